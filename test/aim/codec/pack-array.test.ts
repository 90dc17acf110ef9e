import { expect } from 'chai';
import { countRecords, packArrayOfPacked, packTree, parseRecords } from '../../../src/aim/codec/index.js';
import { type AimValue, aimText } from '../../../src/aim/codec/values.js';

describe('packArrayOfPacked (frames from instructions packed one by one)', () => {
  const items: AimValue[] = [
    ['S', '__setitem__', [['seqs', 'v2', 'chunks', 'abc123', -4504863053055089774n, 'loss', 'val', 487590686800389010n], 0.5]],
    ['M', '__setitem__', [['meta', 'chunks', 'abc123', 'end_time'], null]],
    ['S', '__setitem__', [['seqs', 'chunks', 'abc123', 5n, 'samples', 'val', 0n], aimText('ünï ✓')]],
    ['M', 'make_array', [['x']]],
    'a scalar item',
    new Map(),
  ];

  it('equals packTree of the whole array, for 0, 1 and many items', () => {
    for (const count of [0, 1, items.length]) {
      const chosen = items.slice(0, count);
      const packed = chosen.map((item) => packTree(item));
      const frame = packArrayOfPacked(
        packed,
        packed.map((p) => countRecords(p)),
      );
      expect(frame.equals(packTree(chosen)), `${String(count)} items`).to.equal(true);
    }
  });

  it('countRecords agrees with the parser', () => {
    for (const item of items) {
      const packed = packTree(item);
      expect(countRecords(packed)).to.equal(parseRecords(packed).length);
    }
  });

  it('keeps item indexes above 255 in big-endian key order', () => {
    const many: AimValue[] = Array.from({ length: 300 }, (_, i) => BigInt(i));
    const packed = many.map((item) => packTree(item));
    expect(
      packArrayOfPacked(
        packed,
        packed.map((p) => countRecords(p)),
      ).equals(packTree(many)),
    ).to.equal(true);
  });
});
