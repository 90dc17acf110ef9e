import { expect } from 'chai';
import { AimObject, type AimValue, aimText } from '../../src/aim/codec/values.js';
import { contextId, hashAuto, pythonHash, stepHash } from '../../src/aim/hash.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Every vector of the wire-protocol reference §14, verified against Aim 3.29.1. */
const VECTORS: [label: string, value: AimValue, hash: bigint][] = [
  ['{}', {}, -4504863053055089774n],
  ["{'subset': 'train'}", { subset: 'train' }, -8686149688933388395n],
  ["{'subset': 'val'}", { subset: 'val' }, 5190394695475244853n],
  ["{'subset': 'train', 'fold': 1}", { subset: 'train', fold: 1n }, 8919474038703016434n],
  ["{'fold': 1, 'subset': 'train'}", { fold: 1n, subset: 'train' }, 8919474038703016434n],
  ['0', 0n, 487590686800389010n],
  ['0.0', 0, 487590686800389010n],
  ['False', false, 487590686800389010n],
  ['NaN', Number.NaN, 487590686800389010n],
  ['1', 1n, 6813614137041369426n],
  ['1.0', 1, 6813614137041369426n],
  ['True', true, 6813614137041369426n],
  ['2', 2n, -901861262945818715n],
  ['3', 3n, -4635844459148357575n],
  ['10', 10n, -3701965291497540327n],
  ['100', 100n, 1762878158420030874n],
  ['1000', 1000n, -1219901322750360787n],
  ['-5', -5n, 119085966459619113n],
  ['-1', -1n, -2031535777419256979n],
  ['0.5', 0.5, -3745591848707183511n],
  ['0.1', 0.1, -6804443626259304751n],
  ['2.5', 2.5, 3278360821711337585n],
  ['-0.5', -0.5, 2779494349166001267n],
  ['0.001', 0.001, -8472594801518133487n],
  ['inf', Number.POSITIVE_INFINITY, 3372801684980267467n],
  ['2**53 + 1', 2n ** 53n + 1n, -5667485957076255568n],
  ['None', null, 1393794177995070132n],
  ["'loss'", 'loss', -4955502144532098047n],
  ["'subset'", 'subset', 4898023117525762915n],
  ["'train'", 'train', -5241648839283840182n],
  ["'fold'", 'fold', 7605688231124856869n],
  ["b''", new Uint8Array(0), 8342467732000280265n],
  ['[]', [], -6285522261664082058n],
  ['[1, 2]', [1n, 2n], 3353234803786202970n],
  ["('subset', 'train')", ['subset', 'train'], 6247958039212603686n],
  ["{'a': [1, 2.0, None, True, 'x', b'y', {}]}", { a: [1n, 2, null, true, 'x', bytes('y'), {}] }, -2942366996394061574n],
];

describe('hashAuto (Aim hash_auto)', () => {
  for (const [label, value, expected] of VECTORS) {
    it(`${label} → ${expected}`, () => {
      expect(hashAuto(value)).to.equal(expected);
    });
  }

  it('hashes the empty context to the LE bytes of the reference', () => {
    const view = new DataView(new ArrayBuffer(8));
    view.setBigInt64(0, hashAuto({}), true);
    expect(Buffer.from(view.buffer).toString('hex')).to.equal('92a3dec8eb827bc1');
  });

  it('hashes ints and floats that are equal alike, and -0.0 like 0', () => {
    expect(hashAuto(0n)).to.equal(hashAuto(0)).and.to.equal(hashAuto(false)).and.to.equal(hashAuto(-0));
    expect(hashAuto(1n)).to.equal(hashAuto(1)).and.to.equal(hashAuto(true));
    expect(hashAuto(-7n)).to.equal(hashAuto(-7));
    expect(hashAuto(2n ** 60n)).to.equal(hashAuto(2 ** 60));
    expect(hashAuto(0n)).not.to.equal(hashAuto(1n));
  });

  it('rounds ints beyond 2^53 to a double (half to even) before hashing', () => {
    expect(hashAuto(2n ** 53n + 1n)).to.equal(hashAuto(2 ** 53));
    expect(hashAuto(2n ** 53n + 3n)).to.equal(hashAuto(2 ** 53 + 4));
    expect(hashAuto(-(2n ** 63n))).to.equal(hashAuto(-(2 ** 63)));
    expect(hashAuto(2n ** 63n - 1n)).to.equal(hashAuto(2 ** 63));
  });

  it('ignores dict key order, for plain objects and Maps', () => {
    const a = hashAuto({ x: 1n, y: 'two', z: [3] });
    expect(hashAuto({ z: [3], y: 'two', x: 1n })).to.equal(a);
    expect(
      hashAuto(
        new Map<string, AimValue>([
          ['y', 'two'],
          ['z', [3]],
          ['x', 1n],
        ]),
      ),
    ).to.equal(a);
    const mixed = new Map<string | bigint, AimValue>([
      [5n, 'int key'],
      ['5', 'str key'],
      ['k', null],
    ]);
    const reversed = new Map([...mixed].reverse());
    expect(hashAuto(reversed)).to.equal(hashAuto(mixed));
  });

  it('keeps int and string keys apart, and list order', () => {
    expect(hashAuto(new Map([[1n, 'v']]))).not.to.equal(hashAuto({ '1': 'v' }));
    expect(hashAuto([1n, 2n])).not.to.equal(hashAuto([2n, 1n]));
    expect(hashAuto('y')).not.to.equal(hashAuto(bytes('y')));
  });

  it('rejects what Aim cannot hash', () => {
    expect(() => hashAuto(aimText('hi'))).to.throw(TypeError);
    expect(() => hashAuto(new AimObject('aim.resource', { handler: 'h' }))).to.throw(TypeError);
    expect(() => hashAuto(new Date(0) as unknown as AimValue)).to.throw(TypeError);
    expect(() => hashAuto(undefined as unknown as AimValue)).to.throw(TypeError);
    expect(() => hashAuto(2n ** 1024n)).to.throw(RangeError);
    expect(() => hashAuto(-(2n ** 1024n))).to.throw(RangeError);
  });

  it('hashes the largest int that still converts to a finite double', () => {
    const max = 2n ** 1024n - 2n ** 970n - 1n; // rounds down to Number.MAX_VALUE
    expect(hashAuto(max)).to.equal(hashAuto(Number.MAX_VALUE));
  });

  it('encodes lone surrogates as U+FFFD', () => {
    expect(hashAuto('a\ud800b')).to.equal(hashAuto('a\ufffdb'));
  });
});

describe('contextId (hash(Context(dict)))', () => {
  it('is hash_auto of the dict', () => {
    expect(contextId({})).to.equal(-4504863053055089774n);
    expect(contextId({ subset: 'train' })).to.equal(-8686149688933388395n);
    expect(
      contextId(
        new Map<string, AimValue>([
          ['fold', 1n],
          ['subset', 'train'],
        ]),
      ),
    ).to.equal(8919474038703016434n);
  });

  it('treats null and undefined as the empty context, like Context(None)', () => {
    expect(contextId(null)).to.equal(contextId({}));
    expect(contextId()).to.equal(contextId({}));
  });

  // No input with hash_auto −1 is known (finding one means inverting BLAKE2b-64), so the remap
  // contextId applies is tested on its own.
  it('remaps −1 to −2 and keeps every other i64, as Python hash() does', () => {
    expect(pythonHash(-1n)).to.equal(-2n);
    for (const h of [-2n, 0n, 1n, -(2n ** 63n), 2n ** 63n - 1n, -4504863053055089774n]) {
      expect(pythonHash(h)).to.equal(h);
    }
  });
});

describe('stepHash (v2 step keys)', () => {
  it('is hash_auto of the step, ints and floats alike', () => {
    expect(stepHash(0)).to.equal(487590686800389010n);
    expect(stepHash(0n)).to.equal(487590686800389010n);
    expect(stepHash(1)).to.equal(6813614137041369426n);
    expect(stepHash(1000n)).to.equal(-1219901322750360787n);
    expect(stepHash(0.5)).to.equal(-3745591848707183511n);
    expect(stepHash(2n ** 53n + 1n)).to.equal(-5667485957076255568n);
  });

  it('does not remap −1 (it is the raw hash_auto)', () => {
    expect(stepHash(-1)).to.equal(hashAuto(-1n));
    expect(stepHash(-1n)).to.equal(-2031535777419256979n);
  });

  it('answers cached and uncached steps identically, including colliding cache slots', () => {
    const steps = [0, 1, 1024, 4096, 1025, 1, 0, 2 ** 31 - 1, 2 ** 31, 2 ** 40, 1024, 0, -0, 5.5, 5.5];
    for (const step of steps) {
      expect(stepHash(step), String(step)).to.equal(hashAuto(step));
      if (Number.isInteger(step)) expect(stepHash(BigInt(step)), `${step}n`).to.equal(hashAuto(step));
    }
  });
});
