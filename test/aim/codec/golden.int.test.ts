/**
 * Golden vectors from Aim itself: golden_vectors.py runs Aim 3.29.1's own encoders
 * (`encode_tree` + `pack_args` / `pack_stream`, `encode_path` / `decode_path`, `decode_tree`) on
 * the inputs below; our codec must produce the same bytes and read Aim's bytes back to the same
 * values, and decode hand-made record lists the way Aim's `decode_tree` does.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { AimCodecError } from '../../../src/aim/errors.js';
import { decodePath, encodePath } from '../../../src/aim/codec/path.js';
import { type AimRecord, packRecords } from '../../../src/aim/codec/framing.js';
import { decodeTree, packTree, unpackTree } from '../../../src/aim/codec/tree.js';
import { ARRAY_MARKER, OBJECT_MARKER, customMarker, encodeValue } from '../../../src/aim/codec/value.js';
import type { AimKey } from '../../../src/aim/codec/values.js';
import { REPO_ROOT } from '../../peers/cache.js';
import { requireAim } from '../../peers/aim.js';
import { type Desc, type KeyDesc, canonical, d, describe as describeValue, describeKey, toValue } from './describe.js';
import { T13_MESSAGE, trackBatch } from './vectors.js';

const run = promisify(execFile);
const SCRIPT = join(REPO_ROOT, 'test', 'aim', 'codec', 'golden_vectors.py');

type RecordHex = [key: string, value: string, isBlob: boolean];

interface Answer {
  aim_version: string;
  trees: { name: string; hex: string; decoded: Desc }[];
  paths: { name: string; hex: string; decoded: KeyDesc[] }[];
  decode: ({ name: string; result: Desc } | { name: string; error: string })[];
}

const deep = (levels: number): Desc => {
  let value = d.int(levels);
  for (let i = 0; i < levels; i++) value = i % 2 === 0 ? d.list(value) : d.dict([`k${String(i)}`, value]);
  return value;
};

/** Tree inputs, described so Python builds exactly the value (ints and floats apart). */
const TREES: [string, Desc][] = [
  ['int 42', d.int(42)],
  ['float 42.0', d.float('42.0')],
  ['int 0', d.int(0)],
  ['negative ints', d.list(d.int(-1), d.int(-5), d.int(-128), d.int(-4504863053055089774n))],
  ['i64 max and min', d.list(d.int(2n ** 63n - 1n), d.int(-(2n ** 63n)))],
  ['2**53 + 1 (exact as an int)', d.int(2n ** 53n + 1n)],
  ['floats', d.list(d.float(0.5), d.float(0.1), d.float('-0.0'), d.float(5e-324), d.float(1.7976931348623157e308), d.float(1700000000), d.float(-2.5e-10))],
  ['NaN and infinities', d.list(d.float('nan'), d.float('inf'), d.float('-inf'))],
  ['None', d.none()],
  ['bools', d.list(d.bool(true), d.bool(false))],
  ['the empty string', d.str('')],
  ['unicode strings', d.list(d.str('ünïcode ✓ 日本語'), d.str('😀🎉'), d.str('\uFEFFbom'), d.str('\uFFFD'), d.str('a\u0000b'))],
  ['a long string', d.str('é'.repeat(10_000))],
  ['bytes', d.list(d.bytes(''), d.bytes('00ff'), d.bytes(Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('hex')))],
  ['an empty list', d.list()],
  ['an empty dict', d.dict()],
  ['a tuple', d.tuple(d.int(1), d.str('two'), d.float(3))],
  ['nested empties', d.dict(['a', d.dict()], ['b', d.list(d.dict(), d.list(), d.list(d.dict()))])],
  ['T12', d.dict(['a', d.dict(['b', d.int(1)], ['c', d.list()])], ['d', d.list(d.int(1), d.dict(), d.none())], [5n, d.str('int-key')])],
  [
    'int keys, negative and huge',
    d.dict([0n, d.int(0)], [-1n, d.str('m1')], [2n ** 63n - 1n, d.none()], [-(2n ** 63n), d.bool(true)], [0xfefefen, d.float(1)]),
  ],
  ['mixed keys in insertion order', d.dict(['z', d.int(1)], [5n, d.int(2)], ['a', d.int(3)], ['5', d.int(4)])],
  ['unicode keys', d.dict(['ключ', d.int(1)], ['日本', d.dict(['😀', d.str('x')])])],
  ['a list of 300 ints', d.list(...Array.from({ length: 300 }, (_, i) => d.int(i)))],
  ['deep nesting', deep(60)],
  ["aim.Text('hi')", d.text('hi')],
  ["[Text('hi')]", d.list(d.text('hi'))],
  ['a text sequence point in a dict', d.dict(['texts', d.list(d.text(''), d.text('ünïcode ✓'))])],
  ['aim.resource', d.list(d.resource('5f0c4d2e-8a41-4f3b-9c77-1e2d3a4b5c6d'))],
  [
    "aim.Figure of a plotly figure (plotly not installed: version 'unknown')",
    d.figure('{"data":[{"type":"bar","orientation":"h","x":[1.5,2],"y":["llm","tool"]}],"layout":{}}'),
  ],
  ["aim.Figure with plotly's version and non-ASCII JSON", d.figure('{"data":[],"layout":{"title":{"text":"trace ✓ 日本語"}}}', '6.0.1')],
  ['a figure sequence point in a dict', d.dict(['figures', d.list(d.figure('{"layout":{}}'), d.figure(`{"data":[{"x":"${'é'.repeat(5000)}"}],"layout":{}}`))])],
  [
    'a custom object with nested storage, a BLOB of bytes and an int key',
    d.custom('test.thing', [5n, d.str('five')], ['a', d.dict(['x', d.list(d.int(1), d.float(2))], ['y', d.dict()])], ['b', d.blob(d.bytes('0001'))]),
  ],
  [
    'an aim.image-like object',
    d.custom(
      'aim.image',
      ['data', d.blob(d.bytes('89504e47'))],
      ['source', d.str('PIL.Image')],
      ['mode', d.str('RGB')],
      ['format', d.str('png')],
      ['width', d.int(2)],
      ['height', d.int(1)],
      ['caption', d.str('')],
    ),
  ],
  ['an empty custom object in a list', d.list(d.custom('test.empty'))],
  ['a BLOB of a string at the root', d.blob(d.str('x'))],
  ['BLOBs of an int and a float', d.dict(['i', d.blob(d.int(7))], ['f', d.blob(d.float(0.25))])],
  [
    'T1 TreeView kwargs',
    d.dict(['name', d.str('meta')], ['sub', d.str('abc123')], ['read_only', d.bool(false)], ['index', d.bool(false)], ['timeout', d.none()]),
  ],
  ['T13 write message', describeValue(T13_MESSAGE)],
  ['§15 track batch', describeValue(trackBatch())],
];

const PATHS: [string, AimKey[]][] = [
  ["('traces', 123, 'loss')", ['traces', 123n, 'loss']],
  ['(-1,)', [-1n]],
  ['()', []],
  ['ints whose bytes contain fe', [-0x0101010101010102n, 0xfe00fen, 0xfen]],
  ['i64 min and max', [-(2n ** 63n), 2n ** 63n - 1n]],
  ['unicode', ['α-γ', '😀', 'ü']],
  ['a context path', ['seqs', 'v2', 'chunks', 'abc123', -4504863053055089774n, 'loss', 'val', 487590686800389010n]],
];

const r = (path: readonly AimKey[], value: Parameters<typeof encodeValue>[0], isBlob = false): RecordHex => [
  encodePath(path).toString('hex'),
  encodeValue(value).toString('hex'),
  isBlob,
];

/** Hand-made record lists: where Aim's decode_tree and ours must agree (both succeed alike, or both fail). */
const DECODES: [string, RecordHex[]][] = [
  ['gap fill', [r([], ARRAY_MARKER), r([2n], 'x')]],
  ['implied root dict and nested dicts', [r(['a', 'b'], 1n), r(['a', 'c'], 2n), r(['d'], 3n)]],
  ['explicit OBJECT then children', [r([], OBJECT_MARKER), r(['a'], null)]],
  ['implied dict inside a list', [r([], ARRAY_MARKER), r([0n, 'x'], 1n)]],
  ['consecutive duplicate path', [r(['a'], 1n), r(['a'], 2n)]],
  ['non-consecutive duplicate path', [r(['a'], 1n), r(['b'], 2n), r(['a'], 3n)]],
  ['a prefix met again later', [r(['a', 'b'], 1n), r(['c'], 2n), r(['a', 'd'], 3n)]],
  ['a repeated root record', [r([], ARRAY_MARKER), r([], OBJECT_MARKER)]],
  ['an earlier list slot written later', [r([], ARRAY_MARKER), r([3n], 1n), r([1n, 'x'], 2n)]],
  ['an int-keyed dict', [r([5n], 1n), r(['a'], 2n)]],
  ['a custom object with nested storage', [r([], customMarker('aim.text')), r(['l'], ARRAY_MARKER), r(['l', 0n], 1.5)]],
  ['a BLOB record', [r(['a'], 's', true)]],
  ['a scalar root', [r([], 2.5)]],
  ['no records', []],
  ['array index -1', [r([], ARRAY_MARKER), r([-1n], null)]],
  ['a string key into a list', [r([], ARRAY_MARKER), r(['x'], null)]],
  ['a record under a scalar', [r(['a'], 1n), r(['a', 'b'], 2n)]],
  ['a scalar root followed by more records', [r([], 1n), r(['a'], 2n)]],
  ['a record under a BLOB', [r(['a'], 's', true), r(['a', 'b'], 1n)]],
  ['a prefix of the previous path', [r(['a', 'b'], 1n), r(['a'], 2n)]],
  ['a root record after other records', [r([], OBJECT_MARKER), r(['a'], 1n), r([], OBJECT_MARKER)]],
  ['unknown tags decode to None', [r([], ARRAY_MARKER), [encodePath([0n]).toString('hex'), '08', false], [encodePath([1n]).toString('hex'), 'ff0102', false]]],
];

/** Where we knowingly differ from Aim's decode_tree: Aim raises (this class), we decode. */
const DIVERGENCES: [string, RecordHex[], string][] = [
  // Aim looks the alias up in its class registry; a client has no registry, so any alias is an AimObject.
  ['an unknown custom alias', [r([], customMarker('no.such.alias')), r(['x'], 1n)], 'KeyError'],
];

const toRecords = (records: readonly RecordHex[]): AimRecord[] =>
  records.map(([key, value, isBlob]) => ({ key: Buffer.from(key, 'hex'), value: Buffer.from(value, 'hex'), isBlob }));

describe('codec golden vectors from Aim 3.29.1 itself', function () {
  this.timeout(120_000);
  let answer: Answer;

  before(async () => {
    const request = JSON.stringify({
      trees: TREES.map(([name, value]) => ({ name, value })),
      paths: PATHS.map(([name, path]) => ({ name, path: path.map(describeKey) })),
      decode: [...DECODES, ...DIVERGENCES].map(([name, records]) => ({ name, records })),
    });
    const child = run(requireAim().python, [SCRIPT], { maxBuffer: 256 * 1024 * 1024 });
    child.child.stdin?.end(request);
    const { stdout } = await child;
    answer = JSON.parse(stdout) as Answer;
    expect(answer.aim_version).to.equal('3.29.1');
  });

  describe('encode_tree + pack_args: identical bytes, and each side decodes the other', () => {
    for (const [i, [name, desc]] of TREES.entries()) {
      it(name, () => {
        const golden = answer.trees[i];
        if (golden?.name !== name) throw new Error(`no golden answer for ${name}`);
        const aimBytes = Buffer.from(golden.hex, 'hex');
        const ours = packTree(toValue(desc));
        expect(ours.toString('hex')).to.equal(aimBytes.toString('hex'));
        // Aim reads its bytes back to the input, and so do we.
        expect(canonical(golden.decoded)).to.deep.equal(canonical(desc));
        expect(describeValue(unpackTree(aimBytes))).to.deep.equal(canonical(desc));
      });
    }
  });

  describe('encode_path / decode_path', () => {
    for (const [i, [name, path]] of PATHS.entries()) {
      it(name, () => {
        const golden = answer.paths[i];
        if (golden?.name !== name) throw new Error(`no golden answer for ${name}`);
        expect(encodePath(path).toString('hex')).to.equal(golden.hex);
        expect(decodePath(Buffer.from(golden.hex, 'hex'))).to.deep.equal(path);
        expect(golden.decoded).to.deep.equal(path.map(describeKey));
      });
    }
  });

  describe('decode_tree on hand-made record lists', () => {
    for (const [i, [name, records]] of DECODES.entries()) {
      it(name, () => {
        const golden = answer.decode[i];
        if (golden?.name !== name) throw new Error(`no golden answer for ${name}`);
        const parsed = toRecords(records);
        if ('error' in golden) {
          expect(() => decodeTree(parsed), `Aim raised ${golden.error}`).to.throw(AimCodecError);
          expect(() => unpackTree(packRecords(parsed))).to.throw(AimCodecError);
        } else {
          expect(describeValue(decodeTree(parsed))).to.deep.equal(canonical(golden.result));
        }
      });
    }

    for (const [j, [name, records, aimError]] of DIVERGENCES.entries()) {
      it(`differs on purpose: ${name} (Aim raises ${aimError}, we decode)`, () => {
        const golden = answer.decode[DECODES.length + j];
        if (golden?.name !== name) throw new Error(`no golden answer for ${name}`);
        expect(golden).to.deep.equal({ name, error: aimError });
        expect(() => decodeTree(toRecords(records))).not.to.throw();
      });
    }
  });
});
