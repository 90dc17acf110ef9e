import { expect } from 'chai';
import { AimCodecError, AimEncodeError } from '../../../src/aim/errors.js';
import { decodePath, encodePath } from '../../../src/aim/codec/path.js';
import type { AimKey, AimPath } from '../../../src/aim/codec/values.js';

const hex = (text: string): string => text.replace(/[\s|]/g, '');

/** [label, path, encoded hex] — §7 and §17.4. */
const VECTORS: [string, AimPath, string][] = [
  ["('traces', 123, 'loss') (§7, §17.4)", ['traces', 123n, 'loss'], '747261636573 fe | fe 000000000000007b fe | 6c6f7373 fe'],
  ['-1 (§17.4)', [-1n], 'fe ffffffffffffffff fe'],
  ['the empty path', [], ''],
  ['0', [0n], 'fe 0000000000000000 fe'],
  ['i64 max', [2n ** 63n - 1n], 'fe 7fffffffffffffff fe'],
  ['i64 min', [-(2n ** 63n)], 'fe 8000000000000000 fe'],
  ['an int whose BE bytes are all fe', [-0x0101010101010102n], 'fe fefefefefefefefe fe'],
  ['an int whose bytes contain fe, then a string', [0xfe00fen, 'x'], 'fe 0000000000fe00fe fe | 78 fe'],
  ['two ints in a row', [1n, 2n], 'fe 0000000000000001 fe | fe 0000000000000002 fe'],
  ["('foo', 19, 'α-γ') (encoding_native.pyx docstring)", ['foo', 19n, 'α-γ'], '666f6f fe | fe 0000000000000013 fe | ceb12dceb3 fe'],
  ['an astral-plane key', ['😀'], 'f09f9880 fe'],
  ['a key with a BOM and U+FFFD', ['\uFEFFa\uFFFD'], 'efbbbf61efbfbd fe'],
  ['a key that looks like a number', ['5'], '35 fe'],
];

describe('codec path keys (spec §7)', () => {
  for (const [label, path, encoded] of VECTORS) {
    it(`encodes and decodes ${label}`, () => {
      expect(encodePath(path).toString('hex')).to.equal(hex(encoded));
      expect(decodePath(Buffer.from(hex(encoded), 'hex'))).to.deep.equal(path);
    });
  }

  describe('encodePath refuses', () => {
    const cases: [string, readonly unknown[], RegExp][] = [
      ["'' keys (§17.4)", ['a', ''], /empty string/],
      ['ints above i64', [2n ** 63n], /i64/],
      ['ints below i64', [-(2n ** 63n) - 1n], /i64/],
      ['number keys (a number is an Aim float; int keys are bigints)', [5], /bigint/],
      ['boolean keys', [true], /not a valid key/],
      ['null keys', [null], /not a valid key/],
      ['keys with a lone surrogate', ['\uD800'], /surrogate/],
    ];
    for (const [label, path, message] of cases) {
      it(label, () => {
        expect(() => encodePath(path as AimKey[])).to.throw(AimEncodeError, message);
      });
    }

    it('and says where: the prefix before the bad key', () => {
      try {
        encodePath(['a', 1n, '']);
        expect.fail('no error');
      } catch (error) {
        expect(error).to.be.instanceOf(AimEncodeError);
        expect((error as AimEncodeError).path).to.deep.equal(['a', 1n]);
        expect((error as AimEncodeError).message).to.contain('["a", 1n]');
      }
    });
  });

  describe('decodePath refuses malformed keys', () => {
    const cases: [string, string, RegExp][] = [
      ['bytes after the last sentinel', '61fe62', /no closing sentinel/],
      ['a truncated int key', 'fe00000000000000', /truncated int key/],
      ['an int key without its closing sentinel', 'fe000000000000000100', /not followed by the path sentinel/],
      ["a lone fe (what Aim makes of '')", 'fe', /truncated int key/],
      ['malformed UTF-8', 'c328fe', /UTF-8/],
      ['an encoded surrogate (CESU-8)', 'eda080fe', /UTF-8/],
    ];
    for (const [label, bytes, message] of cases) {
      it(label, () => {
        expect(() => decodePath(Buffer.from(bytes, 'hex'))).to.throw(AimCodecError, message);
      });
    }
  });

  it('round-trips random paths', () => {
    const keys: AimKey[] = ['a', 'contexts', 'ünï', '日本', 0n, 1n, 255n, 0xfen, -1n, -4504863053055089774n, 487590686800389010n, 2n ** 62n];
    for (let n = 0; n < 500; n++) {
      const path = Array.from({ length: 1 + (n % 7) }, (_, i) => keys[(n * 7 + i * 13) % keys.length] as AimKey);
      expect(decodePath(encodePath(path))).to.deep.equal(path);
    }
  });
});
