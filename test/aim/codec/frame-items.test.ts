import { expect } from 'chai';
import { type AimRecord, countRecords, packArrayOfItems, packArrayOfPacked, packRecords, parseRecords } from '../../../src/aim/codec/framing.js';
import { encodePath } from '../../../src/aim/codec/path.js';
import { ARRAY_MARKER, OBJECT_MARKER, customMarker, encodeValue } from '../../../src/aim/codec/value.js';
import { encodeTree, packArrayItem, packTree } from '../../../src/aim/codec/tree.js';
import { AimBlob, type AimKey, AimObject, type AimValue, aimResource, aimText } from '../../../src/aim/codec/values.js';
import { AimEncodeError } from '../../../src/aim/errors.js';
import { buildFrame, encodeInstruction, type Instruction } from '../../../src/aim/write-channel.js';
import { CTX, HASH0, trackBatch } from './vectors.js';

/**
 * Aim's `encode_tree` written down from the spec (§8.2) as plainly as possible, one record at a
 * time through `encodePath` / `encodeValue`: an oracle independent of the fast writer.
 */
function naiveRecords(value: AimValue, path: AimKey[] = [], out: AimRecord[] = []): AimRecord[] {
  const record = (encoded: Parameters<typeof encodeValue>[0], isBlob = false): void => {
    out.push({ key: encodePath(path), value: encodeValue(encoded), isBlob });
  };
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) {
    record(value);
  } else if (Array.isArray(value)) {
    record(ARRAY_MARKER);
    (value as readonly AimValue[]).forEach((child, i) => naiveRecords(child, [...path, BigInt(i)], out));
  } else if (value instanceof AimBlob) {
    record(value.value as Parameters<typeof encodeValue>[0], true);
  } else if (value instanceof AimObject) {
    record(customMarker(value.alias));
    for (const [key, child] of value.storage) naiveRecords(child, [...path, key], out);
  } else {
    const entries: [AimKey, AimValue][] = value instanceof Map ? [...(value as ReadonlyMap<AimKey, AimValue>)] : Object.entries(value);
    if (entries.length === 0) record(OBJECT_MARKER);
    for (const [key, child] of entries) naiveRecords(child, [...path, key], out);
  }
  return out;
}

const H = 'c0ffee0123456789abcdef01';
const series = ['seqs', 'v2', 'chunks', H, CTX, 'gen_ai.usage.input_tokens'];
const texts = ['seqs', 'chunks', H, -2n, 'on_llm_start'];
const trace = ['meta', 'chunks', H, 'traces', CTX, 'gen_ai.usage.input_tokens'];

/** The instruction shapes the bridge sends (coalesced columns, metadata, params, props), and odd ones. */
const INSTRUCTIONS: Instruction[] = [
  { handler: 'S', method: 'make_array', args: [[...series, 'val']] },
  {
    handler: 'S',
    method: 'update',
    args: [
      [...series, 'val'],
      [
        [HASH0, 120n],
        [-1n, 2n ** 63n - 1n],
        [-(2n ** 63n), -7n],
      ],
    ],
  },
  {
    handler: 'S',
    method: 'update',
    args: [
      [...series, 'time'],
      [
        [HASH0, 1_700_000_000.25],
        [5n, Number.NaN],
        [6n, -Infinity],
        [7n, -0],
        [8n, 5e-324],
      ],
    ],
  },
  {
    handler: 'S',
    method: 'update',
    args: [
      [...series, 'epoch'],
      [
        [HASH0, null],
        [1n, null],
      ],
    ],
  },
  {
    handler: 'S',
    method: 'update',
    args: [
      [...texts, 'val'],
      [
        [0n, aimText('user: what is 2+2?\nassistant: 4')],
        [1n, aimText('ünïcödé ✓ 日本語 😀')],
        [2n, aimText('')],
      ],
    ],
  },
  {
    handler: 'S',
    method: 'update',
    args: [
      [...texts, 'val'],
      [
        [3n, [aimText('a'), aimText('b')]],
        [4n, []],
      ],
    ],
  },
  {
    handler: 'M',
    method: 'update',
    args: [
      trace,
      [
        ['last', 120n],
        ['last_step', 7_000_000_000_000n],
        ['max', 0.5],
        ['dtype', 'int'],
        ['version', 2n],
        ['first', true],
      ],
    ],
  },
  {
    handler: 'M',
    method: '__setitem__',
    args: [
      ['meta', 'contexts', CTX],
      new Map<AimKey, AimValue>([
        ['operation', 'chat'],
        ['model', 'gpt-bench'],
        ['n', 3n],
      ]),
    ],
  },
  { handler: 'M', method: '__setitem__', args: [['meta', 'chunks', H, 'contexts', CTX], {}] },
  { handler: 'M', method: '__setitem__', args: [['meta', 'chunks', H, 'end_time'], null] },
  {
    handler: 'M',
    method: 'update',
    args: [
      ['meta', 'attrs', 'otel', 'trace_ids'],
      [
        ['0af7651916cd43dd8448eb211c80319c', true],
        ['ü-trace', false],
      ],
    ],
  },
  {
    handler: 'M',
    method: '__setitem__',
    args: [
      ['meta', 'attrs', 'otel', 'resource'],
      { 'service.name': 'bench', nested: { deep: [1n, 2.5, 'x', null, {}, []] }, bytes: Uint8Array.of(0, 0xfe, 0xff) },
    ],
  },
  { handler: 'P', method: 'name.setter', args: ['a run — with ünïcödé'] },
  { handler: 'P', method: 'add_tag', args: [aimResource('h1'), new AimBlob(Uint8Array.of(1, 2))] },
  { handler: 'X', method: 'odd', args: [[], new Map(), new AimObject('empty', {}), [[[[[0n]]]]], 'k'.repeat(5_000)] },
];

const values = (instructions: readonly Instruction[]): AimValue[] => instructions.map(({ handler, method, args }) => [handler, method, args]);

describe('frames built from instructions packed once (packArrayItem + packArrayOfItems)', () => {
  it('equal the generic encoders byte for byte: packTree, packArrayOfPacked and a naive encode_tree', () => {
    for (let count = 0; count <= INSTRUCTIONS.length; count++) {
      const chosen = INSTRUCTIONS.slice(0, count);
      const frame = buildFrame(chosen.map(encodeInstruction));
      const generic = packTree(values(chosen));
      expect(frame.equals(generic), `${String(count)} instructions vs packTree`).to.equal(true);
      const alone = values(chosen).map((value) => packTree(value));
      expect(frame.equals(packArrayOfPacked(alone, alone.map(countRecords))), `${String(count)} vs packArrayOfPacked`).to.equal(true);
      expect(frame.equals(packRecords(naiveRecords(values(chosen)))), `${String(count)} vs the naive encoder`).to.equal(true);
    }
  });

  it('each instruction alone equals the naive encoder too (so packTree is checked beyond the golden vectors)', () => {
    for (const value of values(INSTRUCTIONS)) expect(packTree(value).equals(packRecords(naiveRecords(value)))).to.equal(true);
  });

  it('the §15 track batch (253 records, 11,540 bytes) comes out the same from frame items', () => {
    const batch = trackBatch();
    const frame = packArrayOfItems(batch.map((value) => packArrayItem(value).bytes));
    expect(frame.length).to.equal(11_540);
    expect(frame.equals(packTree(batch))).to.equal(true);
  });

  it('counts records and sizes items as 10 bytes more per record than packTree', () => {
    for (const value of values(INSTRUCTIONS)) {
      const item = packArrayItem(value);
      const records = parseRecords(packTree(value)).length;
      expect(item.records).to.equal(records);
      expect(item.bytes.length).to.equal(packTree(value).length + 10 * records);
      const encoded = encodeInstruction({ handler: 'a', method: 'b', args: [value] });
      expect(encoded.bytes).to.equal(encoded.packed.length);
      expect(encoded.records).to.equal(encodeTree(['a', 'b', [value]]).length);
    }
  });

  it('keeps indexes above 255 and 65535 in big-endian key order', () => {
    const many: AimValue[] = Array.from({ length: 70_000 }, (_, i) => (i % 3 === 0 ? BigInt(i) : [String(i), i / 2]));
    expect(packArrayOfItems(many.map((value) => packArrayItem(value).bytes)).equals(packTree(many))).to.equal(true);
  });

  it('is not changed by later changes to the instruction objects (encoded at enqueue)', () => {
    const entries: [AimKey, AimValue][] = [[1n, 0.5]];
    const instruction: Instruction = { handler: 'S', method: 'update', args: [[...series, 'val'], entries] };
    const encoded = encodeInstruction(instruction);
    const before = packTree(values([instruction]));
    entries.push([2n, 1.5]);
    (entries[0] as [AimKey, AimValue])[1] = 9;
    expect(buildFrame([encoded]).equals(before)).to.equal(true);
  });

  it('reports errors with the path inside the item (not the index slot)', () => {
    try {
      packArrayItem(['S', 'update', [['a', 'b'], [[1n, 2n ** 64n]]]]);
      expect.fail('no error');
    } catch (error) {
      expect(error).to.be.instanceOf(AimEncodeError);
      expect((error as AimEncodeError).path).to.deep.equal([2n, 1n, 0n, 1n]);
    }
    expect(packArrayItem('after an error').bytes.equals(packArrayOfItems([packArrayItem('after an error').bytes]).subarray(10))).to.equal(true);
  });
});
