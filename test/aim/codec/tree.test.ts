import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { AimCodecError, AimEncodeError } from '../../../src/aim/errors.js';
import { type AimRecord, packRecords, parseRecords } from '../../../src/aim/codec/framing.js';
import { encodePath } from '../../../src/aim/codec/path.js';
import { ARRAY_MARKER, OBJECT_MARKER, customMarker, encodeValue } from '../../../src/aim/codec/value.js';
import { MAX_TREE_DEPTH, decodeTree, encodeTree, packTree, unpackTree } from '../../../src/aim/codec/tree.js';
import { AimBlob, type AimKey, AimObject, type AimValue, aimResource, aimText } from '../../../src/aim/codec/values.js';
import { describe as describeValue } from './describe.js';
import { HASH0, T13_MESSAGE, trackBatch } from './vectors.js';

const b64 = (value: AimValue): string => packTree(value).toString('base64');
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const map = (...entries: [AimKey, AimValue][]): Map<AimKey, AimValue> => new Map(entries);
const same = (actual: AimValue, expected: AimValue): void => {
  expect(describeValue(actual)).to.deep.equal(describeValue(expected));
};

/** A record built from a path and a value, for hand-made decoder input. */
const rec = (path: readonly AimKey[], value: Parameters<typeof encodeValue>[0], isBlob = false): AimRecord => ({
  key: encodePath(path),
  value: encodeValue(value),
  isBlob,
});

const TREEVIEW_META = { name: 'meta', sub: 'abc123', read_only: false, index: false, timeout: null };

/** [label, value, base64, byte length] — every base64 vector of §13 (T1–T16) and §8.2. */
const VECTORS: [string, AimValue, string, number][] = [
  [
    'T1 TreeView meta kwargs',
    TREEVIEW_META,
    'BQAAAG5hbWX+AAUAAAAEbWV0YQQAAABzdWL+AAcAAAAEYWJjMTIzCgAAAHJlYWRfb25sef4AAgAAAAEABgAAAGluZGV4/gACAAAAAQAIAAAAdGltZW91dP4AAQAAAAA=',
    95,
  ],
  [
    'T1b with from_union / no_cache (3.28 order)',
    { name: 'meta', sub: 'abc123', read_only: false, from_union: false, index: false, timeout: null, no_cache: false },
    'BQAAAG5hbWX+AAUAAAAEbWV0YQQAAABzdWL+AAcAAAAEYWJjMTIzCgAAAHJlYWRfb25sef4AAgAAAAEACwAAAGZyb21fdW5pb27+AAIAAAABAAYAAABpbmRleP4AAgAAAAEACAAAAHRpbWVvdXT+AAEAAAAACQAAAG5vX2NhY2hl/gACAAAAAQA=',
    137,
  ],
  [
    'T2 [aim.resource] (uuid handler)',
    [aimResource('5f0c4d2e-8a41-4f3b-9c77-1e2d3a4b5c6d')],
    'AAAAAAABAAAABgoAAAD+AAAAAAAAAAD+AA0AAAAPYWltLnJlc291cmNlEgAAAP4AAAAAAAAAAP5oYW5kbGVy/gAlAAAABDVmMGM0ZDJlLThhNDEtNGYzYi05Yzc3LTFlMmQzYTRiNWM2ZA==',
    106,
  ],
  [
    "T2 [aim.resource] (handler 'h1')",
    [aimResource('h1')],
    'AAAAAAABAAAABgoAAAD+AAAAAAAAAAD+AA0AAAAPYWltLnJlc291cmNlEgAAAP4AAAAAAAAAAP5oYW5kbGVy/gADAAAABGgx',
    72,
  ],
  ['T2 a bare aim.resource root', aimResource('h1'), 'AAAAAAANAAAAD2FpbS5yZXNvdXJjZQgAAABoYW5kbGVy/gADAAAABGgx', 42],
  ['T3 float 0.5', 0.5, 'AAAAAAAJAAAAAwAAAAAAAOA/', 18],
  ['T4 int 42', 42n, 'AAAAAAAJAAAAAioAAAAAAAAA', 18],
  ["T5 'hello'", 'hello', 'AAAAAAAGAAAABGhlbGxv', 15],
  ['T6 None', null, 'AAAAAAABAAAAAA==', 10],
  ['T7 True', true, 'AAAAAAACAAAAAQE=', 11],
  ['T7 False', false, 'AAAAAAACAAAAAQA=', 11],
  ['T8 int -1', -1n, 'AAAAAAAJAAAAAv//////////', 18],
  ['T9 float 1.0 (≠ int 1)', 1, 'AAAAAAAJAAAAAwAAAAAAAPA/', 18],
  ['T9b bytes 00 ff', Uint8Array.of(0, 0xff), 'AAAAAAADAAAABQD/', 12],
  ['T9c {}', {}, 'AAAAAAABAAAABw==', 10],
  ['T9c {} as an empty Map', new Map(), 'AAAAAAABAAAABw==', 10],
  ['T9c []', [], 'AAAAAAABAAAABg==', 10],
  [
    "T10 the path ('traces', 123, 'loss') as a value (LE ints)",
    ['traces', 123n, 'loss'],
    'AAAAAAABAAAABgoAAAD+AAAAAAAAAAD+AAcAAAAEdHJhY2VzCgAAAP4AAAAAAAAAAf4ACQAAAAJ7AAAAAAAAAAoAAAD+AAAAAAAAAAL+AAUAAAAEbG9zcw==',
    88,
  ],
  ["T11 aim.Text('hi')", aimText('hi'), 'AAAAAAAJAAAAD2FpbS50ZXh0BQAAAGRhdGH+AQMAAAAEaGk=', 35],
  ["T11 [Text('hi')]", [aimText('hi')], 'AAAAAAABAAAABgoAAAD+AAAAAAAAAAD+AAkAAAAPYWltLnRleHQPAAAA/gAAAAAAAAAA/mRhdGH+AQMAAAAEaGk=', 65],
  [
    "T12 {'a': {'b': 1, 'c': []}, 'd': [1, {}, None], 5: 'int-key'}",
    map(['a', { b: 1n, c: [] }], ['d', [1n, {}, null]], [5n, 'int-key']),
    'BAAAAGH+Yv4ACQAAAAIBAAAAAAAAAAQAAABh/mP+AAEAAAAGAgAAAGT+AAEAAAAGDAAAAGT+/gAAAAAAAAAA/gAJAAAAAgEAAAAAAAAADAAAAGT+/gAAAAAAAAAB/gABAAAABwwAAABk/v4AAAAAAAAAAv4AAQAAAAAKAAAA/gAAAAAAAAAF/gAIAAAABGludC1rZXk=',
    149,
  ],
  [
    'T14 collect args',
    [['meta', 'chunks', 'abc123', 'traces'], true, false],
    'AAAAAAABAAAABgoAAAD+AAAAAAAAAAD+AAEAAAAGFAAAAP4AAAAAAAAAAP7+AAAAAAAAAAD+AAUAAAAEbWV0YRQAAAD+AAAAAAAAAAD+/gAAAAAAAAAB/gAHAAAABGNodW5rcxQAAAD+AAAAAAAAAAD+/gAAAAAAAAAC/gAHAAAABGFiYzEyMxQAAAD+AAAAAAAAAAD+/gAAAAAAAAAD/gAHAAAABHRyYWNlcwoAAAD+AAAAAAAAAAH+AAIAAAABAQoAAAD+AAAAAAAAAAL+AAIAAAABAA==',
    214,
  ],
  [
    "T15 WS error frame for KeyError('name')",
    { module_name: 'builtins', class_name: 'KeyError', args: '["name"]', message: "'name'" },
    'DAAAAG1vZHVsZV9uYW1l/gAJAAAABGJ1aWx0aW5zCwAAAGNsYXNzX25hbWX+AAkAAAAES2V5RXJyb3IFAAAAYXJnc/4ACQAAAARbIm5hbWUiXQgAAABtZXNzYWdl/gAHAAAABCduYW1lJw==',
    106,
  ],
  [
    'T16 StructuredRun kwargs',
    { hash_: 'abc123', read_only: false, created_at: null },
    'BgAAAGhhc2hf/gAHAAAABGFiYzEyMwoAAAByZWFkX29ubHn+AAIAAAABAAsAAABjcmVhdGVkX2F0/gABAAAAAA==',
    64,
  ],
  ['T16 Lock / RunHeartbeat kwargs', { run_hash: 'abc123' }, 'CQAAAHJ1bl9oYXNo/gAHAAAABGFiYzEyMw==', 25],
  ['T16 Repo / FileManager kwargs {}', {}, 'AAAAAAABAAAABw==', 10],
  ['T16 lock(False) args', [false], 'AAAAAAABAAAABgoAAAD+AAAAAAAAAAD+AAIAAAABAA==', 31],
  ['T16 empty args [] (also the §4.2 no-op write message)', [], 'AAAAAAABAAAABg==', 10],
  [
    'T16 TreeView seqs kwargs',
    { ...TREEVIEW_META, name: 'seqs' },
    'BQAAAG5hbWX+AAUAAAAEc2VxcwQAAABzdWL+AAcAAAAEYWJjMTIzCgAAAHJlYWRfb25sef4AAgAAAAEABgAAAGluZGV4/gACAAAAAQAIAAAAdGltZW91dP4AAQAAAAA=',
    95,
  ],
];

describe('codec trees (spec §8.2, §8.3, §13)', () => {
  describe('the worked examples of §13 (§17.3, 5–9, 11)', () => {
    for (const [label, value, base64, length] of VECTORS) {
      it(`${label}: ${String(length)} bytes`, () => {
        const packed = packTree(value);
        expect(packed.toString('base64')).to.equal(base64);
        expect(packed.length).to.equal(length);
        expect(packRecords(encodeTree(value)).equals(packed)).to.equal(true);
        same(unpackTree(Buffer.from(base64, 'base64')), value);
      });
    }

    it('T1 is five records, one per kwarg, with no root record', () => {
      const records = encodeTree(TREEVIEW_META);
      expect(records.map((r) => Buffer.from(r.key).toString('latin1'))).to.deep.equal(['name\xfe', 'sub\xfe', 'read_only\xfe', 'index\xfe', 'timeout\xfe']);
      expect(records.map((r) => Buffer.from(r.value).toString('hex'))).to.deep.equal(['046d657461', '04616263313233', '0100', '0100', '00']);
    });

    it('T11 sets is_blob on the data record only', () => {
      expect(encodeTree(aimText('hi')).map((r) => r.isBlob)).to.deep.equal([false, true]);
    });

    it('T12 decodes to Maps with the int key 5n, in order, with implied dicts', () => {
      const t12 = VECTORS.find(([label]) => label.startsWith('T12'))?.[1] ?? null;
      const decoded = unpackTree(packTree(t12));
      expect(decoded).to.be.instanceOf(Map);
      const root = decoded as Map<AimKey, AimValue>;
      expect([...root.keys()]).to.deep.equal(['a', 'd', 5n]);
      expect(root.get(5n)).to.equal('int-key');
      expect(root.has('5')).to.equal(false);
      expect(encodeTree(root)).to.have.length(7);
    });

    it('T13 single write message: 661 bytes, SHA-256 b0c316e5…', () => {
      const packed = packTree(T13_MESSAGE);
      expect(packed.length).to.equal(661);
      expect(sha256(packed)).to.equal('b0c316e52e4884b5d350e601d7d4e5c20039c9317ce85446bc381f371f3df4c7');
      expect(packed.toString('base64')).to.equal(
        'AAAAAAABAAAABgoAAAD+AAAAAAAAAAD+AAEAAAAGFAAAAP4AAAAAAAAAAP7+AAAAAAAAAAD+AAIAAAAEUxQAAAD+AAAAAAAAAAD+/gAAAAAAAAAB/gAMAAAABF9fc2V0aXRlbV9fFAAAAP4AAAAAAAAAAP7+AAAAAAAAAAL+AAEAAAAGHgAAAP4AAAAAAAAAAP7+AAAAAAAAAAL+/gAAAAAAAAAA/gABAAAABigAAAD+AAAAAAAAAAD+/gAAAAAAAAAC/v4AAAAAAAAAAP7+AAAAAAAAAAD+AAUAAAAEc2VxcygAAAD+AAAAAAAAAAD+/gAAAAAAAAAC/v4AAAAAAAAAAP7+AAAAAAAAAAH+AAMAAAAEdjIoAAAA/gAAAAAAAAAA/v4AAAAAAAAAAv7+AAAAAAAAAAD+/gAAAAAAAAAC/gAHAAAABGNodW5rcygAAAD+AAAAAAAAAAD+/gAAAAAAAAAC/v4AAAAAAAAAAP7+AAAAAAAAAAP+AAcAAAAEYWJjMTIzKAAAAP4AAAAAAAAAAP7+AAAAAAAAAAL+/gAAAAAAAAAA/v4AAAAAAAAABP4ACQAAAAKSo97I64J7wSgAAAD+AAAAAAAAAAD+/gAAAAAAAAAC/v4AAAAAAAAAAP7+AAAAAAAAAAX+AAUAAAAEbG9zcygAAAD+AAAAAAAAAAD+/gAAAAAAAAAC/v4AAAAAAAAAAP7+AAAAAAAAAAb+AAQAAAAEdmFsKAAAAP4AAAAAAAAAAP7+AAAAAAAAAAL+/gAAAAAAAAAA/v4AAAAAAAAAB/4ACQAAAAKSo4ZyJUXEBh4AAAD+AAAAAAAAAAD+/gAAAAAAAAAC/v4AAAAAAAAAAf4ACQAAAAMAAAAAAADgPw==',
      );
      // The ints inside the path argument are INT values, so LE.
      expect(packed.includes(Buffer.from('0292a3dec8eb827bc1', 'hex'))).to.equal(true);
      expect(packed.includes(Buffer.from('0292a386722545c406', 'hex'))).to.equal(true);
    });

    it("T13 the smaller message ['H', '__setitem__', [[meta, chunks, abc123, end_time], None]]: 436 bytes", () => {
      const packed = packTree([['H', '__setitem__', [['meta', 'chunks', 'abc123', 'end_time'], null]]]);
      expect(packed.length).to.equal(436);
      expect(packed.subarray(0, 54).toString('hex')).to.equal(
        '00000000' +
          '00' +
          '01000000' +
          '06' +
          '0a000000' +
          'fe0000000000000000fe' +
          '00' +
          '01000000' +
          '06' +
          '14000000' +
          'fe0000000000000000fe' +
          'fe0000000000000000fe',
      );
      expect(packed.subarray(54, 61).toString('hex')).to.equal('00' + '02000000' + '04' + '48');
    });

    it("T14 a collect answer {'a': 1} is the raw body 02000000 61fe 00 09000000 02 0100000000000000", () => {
      const body = Buffer.from('02000000' + '61fe' + '00' + '09000000' + '020100000000000000', 'hex');
      expect(packTree({ a: 1n }).equals(body)).to.equal(true);
      same(unpackTree(body), map(['a', 1n]));
    });

    it("T14 a keys_eager answer ['attrs', 5]", () => {
      const body = Buffer.from(
        '00000000' +
          '00' +
          '01000000' +
          '06' +
          '0a000000' +
          'fe0000000000000000fe' +
          '00' +
          '06000000' +
          '046174747273' +
          '0a000000' +
          'fe0000000000000001fe' +
          '00' +
          '09000000' +
          '020500000000000000',
        'hex',
      );
      expect(packTree(['attrs', 5n]).equals(body)).to.equal(true);
      same(unpackTree(body), ['attrs', 5n]);
    });

    it('T15 the error frame decodes to the four-key dict (§17.14)', () => {
      const frame = Buffer.from(VECTORS.find(([label]) => label.startsWith('T15'))?.[2] ?? '', 'base64');
      const decoded = unpackTree(frame);
      expect(decoded).to.be.instanceOf(Map);
      expect([...(decoded as Map<AimKey, AimValue>)]).to.deep.equal([
        ['module_name', 'builtins'],
        ['class_name', 'KeyError'],
        ['args', '["name"]'],
        ['message', "'name'"],
      ]);
    });

    it('§15 step 10: the 20-instruction track batch is 253 records, 11,540 bytes, SHA-256 881e56c2…b837 (§17.12)', () => {
      const batch = trackBatch();
      expect(batch).to.have.length(20);
      const records = encodeTree(batch);
      expect(records).to.have.length(253);
      const packed = packTree(batch);
      expect(packed.length).to.equal(11_540);
      expect(sha256(packed)).to.equal('881e56c2487de8689f2813661117682aae6626e4250ec114b3c2b9bae062b837');
      same(unpackTree(packed), batch);
    });
  });

  describe('encode_tree rules (§8.2)', () => {
    it("{'a': {}} is one OBJECT record at a; {'a': {'b': 1}} one INT record at a.b", () => {
      expect(packTree({ a: {} }).toString('hex')).to.equal('02000000' + '61fe' + '00' + '01000000' + '07');
      expect(packTree({ a: { b: 1n } }).toString('hex')).to.equal('04000000' + '61fe62fe' + '00' + '09000000' + '020100000000000000');
    });

    it('a plain object and a Map with the same entries encode the same', () => {
      expect(b64({ x: 1n, y: [0.5] })).to.equal(b64(map(['x', 1n], ['y', [0.5]])));
    });

    it('keeps Map insertion order, mixing string and int keys', () => {
      const keys = encodeTree(map(['z', 1n], [5n, 2n], ['a', 3n])).map((r) => Buffer.from(r.key).toString('hex'));
      expect(keys).to.deep.equal(['7afe', 'fe0000000000000005fe', '61fe']);
    });

    it('a custom object is CUSTOM(alias) then its storage fields, nested containers included', () => {
      const object = new AimObject('test.thing', map([5n, 'five'], ['z', 1n], ['a', { q: 1n, b: [] }]));
      const records = encodeTree(object);
      expect(records.map((r) => [Buffer.from(r.key).toString('hex'), Buffer.from(r.value).toString('hex')])).to.deep.equal([
        ['', '0f746573742e7468696e67'],
        ['fe0000000000000005fe', '0466697665'],
        ['7afe', '020100000000000000'],
        ['61fe71fe', '020100000000000000'],
        ['61fe62fe', '06'],
      ]);
    });

    it('an empty custom object is just its marker', () => {
      expect(encodeTree(new AimObject('x', {}))).to.have.length(1);
    });

    it('a BLOB of bytes at the root', () => {
      expect(packTree(new AimBlob(Uint8Array.of(1))).toString('hex')).to.equal('00000000' + '01' + '02000000' + '0501');
    });

    it('encodes list indices above 255 and 65535 as BE int keys', () => {
      const list = Array.from({ length: 70_000 }, (_, i) => BigInt(i));
      const records = encodeTree(list);
      expect(Buffer.from((records[70_000] as AimRecord).key).toString('hex')).to.equal('fe000000000001116ffe');
      expect(unpackTree(packTree(list))).to.deep.equal(list);
    });

    it('encodes long and non-ASCII strings (exact UTF-8 lengths)', () => {
      for (const text of ['ü'.repeat(5000), '😀'.repeat(3000), 'a'.repeat(100_000), '日本語'.repeat(2000)]) {
        const [record] = encodeTree(text);
        expect(Buffer.from((record as AimRecord).value.subarray(1)).toString('utf8')).to.equal(text);
        expect((record as AimRecord).value.length).to.equal(1 + Buffer.byteLength(text));
      }
    });

    it('is re-entrant and independent between calls (the scratch buffer is copied out)', () => {
      const first = packTree('first');
      const second = packTree({ big: 'x'.repeat(3 << 20) });
      expect(first.toString('base64')).to.equal(b64('first'));
      expect(second.length).to.be.greaterThan(3 << 20);
      expect(packTree('first').equals(first)).to.equal(true);
    });

    describe('refuses what Aim cannot encode, and says where', () => {
      const cases: [string, unknown, readonly AimKey[], RegExp][] = [
        ['undefined', { a: [1n, undefined] }, ['a', 1n], /undefined/],
        ['a function', { f: () => 1 }, ['f'], /function/],
        ['a symbol', [Symbol('s')], [0n], /symbol/],
        ['an int outside i64', { n: map(['m', 2n ** 64n]) }, ['n', 'm'], /i64/],
        ['a number key', map([1, 'x'] as unknown as [AimKey, AimValue]), [], /bigint/],
        ["an '' key", { a: { '': 1n } }, ['a'], /empty string/],
        ['a lone surrogate in a value', { s: '\uD83D' }, ['s'], /surrogate/],
        ['a lone surrogate in a key', { '\uDE00': 1n }, [], /surrogate/],
        ['a Date', { when: new Date(0) }, ['when'], /class Date/],
        ['a Set', { s: new Set() }, ['s'], /class Set/],
        ['a Float32Array', { f: new Float32Array(1) }, ['f'], /class Float32Array/],
        ['a BLOB of a container', { b: new AimBlob([1n]) }, ['b'], /BLOB must wrap a scalar/],
        ['a BLOB of null (Aim fails on BLOB(None))', { b: new AimBlob(null) }, ['b'], /BLOB of null/],
        ['a BLOB of undefined', [new AimBlob(undefined as unknown as AimValue)], [0n], /undefined/],
        // eslint-disable-next-line no-sparse-arrays -- the hole is the point
        ['a sparse array hole', [1n, , 3n], [1n], /undefined/],
        ['undefined at the root', undefined, [], /undefined/],
      ];
      for (const [label, value, path, message] of cases) {
        it(label, () => {
          try {
            packTree(value as AimValue);
            expect.fail('no error');
          } catch (error) {
            expect(error).to.be.instanceOf(AimEncodeError);
            expect(error).to.be.instanceOf(AimCodecError);
            expect((error as AimEncodeError).message).to.match(message);
            expect((error as AimEncodeError).path).to.deep.equal(path);
          }
        });
      }

      it(`a cycle (nesting deeper than ${String(MAX_TREE_DEPTH)})`, () => {
        const cyclic: Record<string, unknown> = {};
        cyclic['self'] = cyclic;
        expect(() => packTree(cyclic as AimValue)).to.throw(AimEncodeError, /deeper than/);
        let deep: AimValue = 1n;
        for (let i = 0; i < MAX_TREE_DEPTH; i++) deep = [deep];
        expect(() => packTree(deep)).not.to.throw();
        expect(() => packTree([deep])).to.throw(AimEncodeError, /deeper than/);
      });

      it('and the next call still works (the scratch buffer is released)', () => {
        expect(() => packTree({ a: undefined as unknown as AimValue })).to.throw(AimEncodeError);
        expect(b64('hello')).to.equal('AAAAAAAGAAAABGhlbGxv');
      });
    });
  });

  describe('decode_tree rules (§8.3, §17.10)', () => {
    /** [label, records, expected value] */
    const cases: [string, AimRecord[], AimValue][] = [
      ["gap fill: [((), 06), ((2,), 'x')] → [null, null, 'x']", [rec([], ARRAY_MARKER), rec([2n], 'x')], [null, null, 'x']],
      ['a root that is not the first path: an implied dict', [rec(['a', 'b'], 1n)], map(['a', map(['b', 1n])])],
      ['explicit OBJECT then children', [rec([], OBJECT_MARKER), rec(['a'], null)], map(['a', null])],
      ['implied dicts inside a list', [rec([], ARRAY_MARKER), rec([0n, 'x'], 1n)], [map(['x', 1n])]],
      ['two consecutive records with the same path: the first wins', [rec(['a'], 1n), rec(['a'], 2n)], map(['a', 1n])],
      ['the same path again later: the last wins', [rec(['a'], 1n), rec(['b'], 2n), rec(['a'], 3n)], map(['a', 3n], ['b', 2n])],
      [
        'a prefix met again later opens a new dict, as in Aim',
        [rec(['a', 'b'], 1n), rec(['c'], 2n), rec(['a', 'd'], 3n)],
        map(['a', map(['d', 3n])], ['c', 2n]),
      ],
      ['a repeated root record right after the root is ignored', [rec([], ARRAY_MARKER), rec([], OBJECT_MARKER)], []],
      ['an earlier list slot written later', [rec([], ARRAY_MARKER), rec([3n], 1n), rec([1n, 'x'], 2n)], [null, map(['x', 2n]), null, 1n]],
      ['an int-keyed dict', [rec([5n], 1n), rec(['a'], 2n)], map([5n, 1n], ['a', 2n])],
      [
        'a custom object with nested storage',
        [rec([], customMarker('x.y')), rec(['l'], ARRAY_MARKER), rec(['l', 0n], 1.5)],
        new AimObject('x.y', map(['l', [1.5]])),
      ],
      ['an unknown alias gives an AimObject (Aim: KeyError)', [rec([], customMarker('no.such.alias'))], new AimObject('no.such.alias', {})],
      ['a BLOB record gives an AimBlob', [rec(['a'], 's', true)], map(['a', new AimBlob('s')])],
      ['a BLOB of NONE', [rec([], null, true)], new AimBlob(null)],
      ['a scalar root', [rec([], 2.5)], 2.5],
    ];
    for (const [label, records, expected] of cases) {
      it(label, () => {
        same(decodeTree(records), expected);
        same(unpackTree(packRecords(records)), expected);
      });
    }

    const failures: [string, AimRecord[], RegExp][] = [
      ['no records (Aim: KeyError)', [], /no records/],
      ['array index -1 (Aim: NotImplementedError)', [rec([], ARRAY_MARKER), rec([-1n], null)], /negative list index/],
      ['a string key into a list (Aim: AssertionError)', [rec([], ARRAY_MARKER), rec(['x'], null)], /string key "x" into a list/],
      ['a record under a scalar (Aim: ValueError)', [rec(['a'], 1n), rec(['a', 'b'], 2n)], /under a bigint at \["a"\]/],
      ['a scalar root followed by more records', [rec([], 1n), rec(['a'], 2n)], /under a bigint at \[\]/],
      ['a record under a BLOB', [rec(['a'], 's', true), rec(['a', 'b'], 1n)], /under a BLOB/],
      ['a record under a string in a list', [rec([], ARRAY_MARKER), rec([0n], 's'), rec([0n, 'x'], 1n)], /under a string at \[0n\]/],
      ['a path that is a prefix of the previous one (not pre-order; Aim: IndexError)', [rec(['a', 'b'], 1n), rec(['a'], 2n)], /not pre-order/],
      ['a root record after other records', [rec([], OBJECT_MARKER), rec(['a'], 1n), rec([], OBJECT_MARKER)], /root record after/],
      ['a BLOB holding a marker', [rec([], ARRAY_MARKER, true)], /BLOB record holds a array marker/],
      ['a zero-length value', [{ key: new Uint8Array(0), value: new Uint8Array(0), isBlob: false }], /at least 1 byte/],
      ['a malformed key', [{ key: Uint8Array.of(0x61), value: Uint8Array.of(0), isBlob: false }], /sentinel/],
    ];
    for (const [label, records, message] of failures) {
      it(`refuses ${label}`, () => {
        expect(() => decodeTree(records)).to.throw(AimCodecError, message);
      });
    }

    it('refuses list padding beyond the limit (hash-keyed arrays), and the limit is total', () => {
      const hashKeyed = [rec([], ARRAY_MARKER), rec([HASH0], 0.5)];
      expect(() => decodeTree(hashKeyed)).to.throw(AimCodecError, /list padding/);
      expect(decodeTree([rec([], ARRAY_MARKER), rec([1_000_000n], 1n)])).to.have.length(1_000_001);
      expect(() => decodeTree([rec([], ARRAY_MARKER), rec([1_000_001n], 1n)])).to.throw(AimCodecError, /list padding/);
      const twice = [rec(['a'], ARRAY_MARKER), rec(['a', 600_000n], 1n), rec(['b'], ARRAY_MARKER), rec(['b', 600_000n], 1n)];
      expect(() => decodeTree(twice)).to.throw(AimCodecError, /list padding/);
      expect(decodeTree(twice.slice(0, 2))).to.be.instanceOf(Map);
      expect(decodeTree([rec([], ARRAY_MARKER), rec([10n], 1n)], { maxListPadding: 10 })).to.have.length(11);
      expect(() => decodeTree([rec([], ARRAY_MARKER), rec([11n], 1n)], { maxListPadding: 10 })).to.throw(AimCodecError);
    });

    it('does not limit contiguous lists', () => {
      const records = [rec([], ARRAY_MARKER), ...Array.from({ length: 1_000 }, (_, i) => rec([BigInt(i)], BigInt(i)))];
      expect(decodeTree(records, { maxListPadding: 0 })).to.have.length(1_000);
    });

    it('reads values from parsed records that share one buffer', () => {
      const packed = packTree({ a: Uint8Array.of(1, 2), b: 'x' });
      const decoded = decodeTree(parseRecords(packed)) as Map<AimKey, AimValue>;
      packed.fill(0);
      expect([...(decoded.get('a') as Uint8Array)]).to.deep.equal([1, 2]);
    });
  });

  describe('round trips', () => {
    it('500 random trees (seeded)', () => {
      let seed = 7;
      const random = (): number => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed / 2 ** 31;
      };
      const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
      const keys: AimKey[] = ['a', 'b', 'ü', '日本', '5', 'k'.repeat(40), 0n, 1n, 300n, -1n, 2n ** 62n, -(2n ** 63n)];
      const scalars: AimValue[] = [null, true, false, 0n, -7n, 2n ** 63n - 1n, 0.5, -0, Number.NaN, -Infinity, '', 'x', 'ünï😀', Uint8Array.of(0xfe, 0xff)];
      const tree = (depth: number): AimValue => {
        const kind = depth > 4 ? 0 : Math.floor(random() * 6);
        const size = Math.floor(random() * 4);
        const entries = (): [AimKey, AimValue][] => {
          const map = new Map<AimKey, AimValue>();
          for (let i = 0; i < size; i++) map.set(pick(keys), tree(depth + 1));
          return [...map];
        };
        switch (kind) {
          case 1:
            return Array.from({ length: size }, () => tree(depth + 1));
          case 2:
            return new Map(entries());
          case 3:
            return new AimObject(pick(['aim.text', 'x.y']), new Map(entries()));
          case 4:
            return new AimBlob(pick(scalars.filter((value) => value !== null)));
          default:
            return pick(scalars);
        }
      };
      for (let i = 0; i < 500; i++) {
        const value = tree(0);
        const packed = packTree(value);
        const decoded = unpackTree(packed);
        same(decoded, value);
        expect(packTree(decoded).equals(packed)).to.equal(true);
      }
    });

    const values: [string, AimValue][] = [
      [
        'scalars',
        [
          null,
          true,
          false,
          0n,
          -1n,
          2n ** 63n - 1n,
          -(2n ** 63n),
          0,
          -0,
          0.1,
          Number.NaN,
          Infinity,
          -Infinity,
          5e-324,
          '',
          'ü😀',
          new Uint8Array(0),
          Uint8Array.of(0, 254, 255),
        ],
      ],
      ['nested', map(['a', [map(['b', [[], map(), [map()]]])]], [-7n, map([0n, 'zero'])])],
      [
        'custom objects and blobs',
        [
          aimText('hi'),
          aimText(''),
          aimResource('h'),
          new AimObject('aim.image', map(['data', new AimBlob(Uint8Array.of(1, 2))], ['width', 2n], ['caption', ''])),
        ],
      ],
      ['a BLOB root', new AimBlob('x')],
      ['the track batch', trackBatch()],
    ];
    for (const [label, value] of values) {
      it(label, () => {
        const packed = packTree(value);
        const decoded = unpackTree(packed);
        same(decoded, value);
        expect(packTree(decoded).equals(packed)).to.equal(true);
      });
    }
  });
});
