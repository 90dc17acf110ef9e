import { expect } from 'chai';
import { AimCodecError, AimEncodeError } from '../../../src/aim/errors.js';
import { ARRAY_MARKER, type AimMarker, type AimScalar, OBJECT_MARKER, customMarker, decodeValue, encodeValue, isMarker } from '../../../src/aim/codec/value.js';

const bytes = (hex: string): Buffer => Buffer.from(hex.replace(/\s/g, ''), 'hex');

/** [label, value, encoded hex] — the tags of §8.1 (§17.2). */
const VECTORS: [string, AimScalar | AimMarker, string][] = [
  ['NONE', null, '00'],
  ['BOOL true', true, '01 01'],
  ['BOOL false', false, '01 00'],
  ['INT 42 (LE)', 42n, '02 2a00000000000000'],
  ['INT -1', -1n, '02 ffffffffffffffff'],
  ['INT 0', 0n, '02 0000000000000000'],
  ['INT i64 max', 2n ** 63n - 1n, '02 ffffffffffffff7f'],
  ['INT i64 min', -(2n ** 63n), '02 0000000000000080'],
  ['INT 123 (T10)', 123n, '02 7b00000000000000'],
  ['FLOAT 0.5 (LE)', 0.5, '03 000000000000e03f'],
  ['FLOAT 1.0 (≠ INT 1)', 1, '03 000000000000f03f'],
  ['FLOAT 42.0 (≠ INT 42)', 42, '03 0000000000004540'],
  ['FLOAT NaN', Number.NaN, '03 000000000000f87f'],
  ['FLOAT -inf', -Infinity, '03 000000000000f0ff'],
  ['FLOAT inf', Infinity, '03 000000000000f07f'],
  ['FLOAT -0.0', -0, '03 0000000000000080'],
  ['FLOAT 1700000000.0', 1700000000, '03 00000040fc54d941'],
  ['STRING hello', 'hello', '04 68656c6c6f'],
  ['STRING empty', '', '04'],
  ['STRING unicode', 'ü✓😀', '04 c3bce29c93f09f9880'],
  ['BYTES 00 ff', Uint8Array.of(0x00, 0xff), '05 00ff'],
  ['BYTES empty', new Uint8Array(0), '05'],
  ['ARRAY', ARRAY_MARKER, '06'],
  ['OBJECT', OBJECT_MARKER, '07'],
  ['CUSTOM aim.text', customMarker('aim.text'), '0f 61696d2e74657874'],
];

describe('codec values (spec §8.1)', () => {
  for (const [label, value, encoded] of VECTORS) {
    it(`encodes and decodes ${label}`, () => {
      expect(encodeValue(value).toString('hex')).to.equal(encoded.replace(/\s/g, ''));
      const decoded = decodeValue(bytes(encoded));
      if (typeof value === 'number') {
        expect(typeof decoded).to.equal('number');
        expect(Object.is(decoded, value)).to.equal(true);
      } else {
        expect(decoded).to.deep.equal(value);
      }
    });
  }

  it('keeps ints and floats apart: 42n ≠ 42', () => {
    expect(encodeValue(42n).equals(encodeValue(42))).to.equal(false);
    expect(decodeValue(encodeValue(42n))).to.equal(42n);
    expect(decodeValue(encodeValue(42))).to.equal(42);
  });

  it('decodes unknown tags (08–0e, 10–ff) to null, as Aim does', () => {
    for (let tag = 0x08; tag <= 0xff; tag++) {
      if (tag === 0x0f) continue;
      expect(decodeValue(Uint8Array.of(tag, 1, 2, 3)), `tag ${tag.toString(16)}`).to.equal(null);
      expect(decodeValue(Uint8Array.of(tag))).to.equal(null);
    }
  });

  it('decodes any non-zero BOOL byte as true', () => {
    expect(decodeValue(bytes('0102'))).to.equal(true);
    expect(decodeValue(bytes('01ff'))).to.equal(true);
  });

  it('keeps a leading BOM in strings (Python utf-8, not utf-8-sig)', () => {
    expect(decodeValue(bytes('04 efbbbf 41'))).to.equal('\uFEFFA');
  });

  it('decodes a genuine U+FFFD', () => {
    expect(decodeValue(bytes('04 efbfbd'))).to.equal('\uFFFD');
  });

  it('copies BYTES out of the input', () => {
    const input = bytes('05 0102');
    const decoded = decodeValue(input) as Uint8Array;
    input[1] = 9;
    expect([...decoded]).to.deep.equal([1, 2]);
    expect(decoded.constructor).to.equal(Uint8Array);
  });

  it('tells markers from scalars', () => {
    expect(isMarker(ARRAY_MARKER)).to.equal(true);
    expect(isMarker(customMarker('x'))).to.equal(true);
    expect(isMarker(null)).to.equal(false);
    expect(isMarker(new Uint8Array(1))).to.equal(false);
    expect(isMarker('array')).to.equal(false);
  });

  describe('decodeValue refuses', () => {
    const cases: [string, string, RegExp][] = [
      ['a zero-length value (Aim: IndexError)', '', /at least 1 byte/],
      ['a BOOL without content', '01', /BOOL/],
      ['a short INT', '02 01000000', /INT/],
      ['a long FLOAT', '03 000000000000e03f00', /FLOAT/],
      ['a NONE with content', '00 00', /NONE/],
      ['an ARRAY with content', '06 00', /ARRAY/],
      ['an OBJECT with content', '07 00', /OBJECT/],
      ['malformed UTF-8 in a STRING', '04 ff', /UTF-8/],
      ['a truncated UTF-8 sequence', '04 e29c', /UTF-8/],
      ['malformed UTF-8 in an alias', '0f c0', /UTF-8/],
    ];
    for (const [label, hex, message] of cases) {
      it(label, () => {
        expect(() => decodeValue(bytes(hex))).to.throw(AimCodecError, message);
      });
    }
  });

  describe('encodeValue refuses', () => {
    const cases: [string, unknown, RegExp][] = [
      ['ints above i64', 2n ** 63n, /i64/],
      ['ints below i64', -(2n ** 63n) - 1n, /i64/],
      ['strings with a lone surrogate', 'a\uDC00', /surrogate/],
      ['undefined', undefined, /undefined/],
      ['containers', [1n], /not a scalar or a marker/],
      ['aliases with a lone surrogate', customMarker('\uD800'), /surrogate/],
    ];
    for (const [label, value, message] of cases) {
      it(label, () => {
        expect(() => encodeValue(value as AimScalar)).to.throw(AimEncodeError, message);
      });
    }
  });
});
