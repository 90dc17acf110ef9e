/**
 * One encoded value (spec §8.1): a tag byte followed by its content. This is what the `value` of a
 * record holds; tree structure lives in the record keys (see `tree.ts`).
 */
import { AimCodecError, AimEncodeError } from '../errors.js';
import { ByteWriter, I64_MAX, I64_MIN, asBuffer, decodeUtf8, isWellFormed } from './bytes.js';

/** Aim's value tags (`aim/storage/encoding/encoding.pyx`, `FLAGS`). */
export const AimTag = {
  NONE: 0x00,
  BOOL: 0x01,
  INT: 0x02,
  FLOAT: 0x03,
  STRING: 0x04,
  BYTES: 0x05,
  ARRAY: 0x06,
  OBJECT: 0x07,
  CUSTOM_OBJECT: 0x0f,
} as const;

/** A value that is a complete leaf of a tree: it is encoded in one record with no children. */
export type AimScalar = null | boolean | bigint | number | string | Uint8Array;

/**
 * The structural values: "an array starts here" (ARRAY), "an empty dict here" (OBJECT) and "a
 * custom object with this alias starts here" (CUSTOM_OBJECT). Their elements or fields follow as
 * child records.
 */
export type AimMarker = { readonly kind: 'array' } | { readonly kind: 'object' } | { readonly kind: 'custom'; readonly alias: string };

/** The ARRAY marker (tag 0x06). */
export const ARRAY_MARKER: AimMarker = Object.freeze({ kind: 'array' });
/** The OBJECT (empty dict) marker (tag 0x07). */
export const OBJECT_MARKER: AimMarker = Object.freeze({ kind: 'object' });

/** The CUSTOM_OBJECT marker (tag 0x0F) for `alias`, e.g. `aim.text`. */
export function customMarker(alias: string): AimMarker {
  return { kind: 'custom', alias };
}

/** Whether `value` is one of the markers (as opposed to a scalar). */
export function isMarker(value: AimScalar | AimMarker): value is AimMarker {
  return value !== null && typeof value === 'object' && !(value instanceof Uint8Array);
}

/** Whether `value` is a bigint that fits an i64 (Aim's INT). */
export function isI64(value: bigint): boolean {
  return value >= I64_MIN && value <= I64_MAX;
}

/**
 * Why `value` cannot be a scalar of the tree encoding, or `undefined` if it can. Checks i64 range
 * and UTF-16 well-formedness, which the writer does not.
 */
export function scalarProblem(value: unknown): string | undefined {
  switch (typeof value) {
    case 'boolean':
    case 'number':
      return undefined;
    case 'bigint':
      return isI64(value) ? undefined : `int ${value.toString()} is outside the i64 range`;
    case 'string':
      return isWellFormed(value) ? undefined : 'a string with a lone UTF-16 surrogate cannot be encoded as UTF-8';
    case 'object':
      return value === null || value instanceof Uint8Array ? undefined : 'not a scalar';
    default:
      return `a value of type ${typeof value} cannot be encoded`;
  }
}

/** Appends the encoding of a scalar that passed {@link scalarProblem}. @internal */
export function writeScalar(w: ByteWriter, value: AimScalar): void {
  switch (typeof value) {
    case 'boolean':
      w.reserve(2);
      w.buf[w.pos] = AimTag.BOOL;
      w.buf[w.pos + 1] = value ? 1 : 0;
      w.pos += 2;
      return;
    case 'bigint':
      w.taggedI64(AimTag.INT, value);
      return;
    case 'number':
      w.taggedF64(AimTag.FLOAT, value);
      return;
    case 'string':
      w.u8(AimTag.STRING);
      w.utf8(value);
      return;
    default:
      if (value === null) {
        w.u8(AimTag.NONE);
      } else {
        w.u8(AimTag.BYTES);
        w.bytes(value);
      }
  }
}

/** Appends the encoding of a marker. @internal */
export function writeMarker(w: ByteWriter, marker: AimMarker): void {
  switch (marker.kind) {
    case 'array':
      w.u8(AimTag.ARRAY);
      return;
    case 'object':
      w.u8(AimTag.OBJECT);
      return;
    case 'custom':
      w.u8(AimTag.CUSTOM_OBJECT);
      w.utf8(marker.alias);
  }
}

/**
 * Encodes one value to its tagged bytes (§8.1): `null` → NONE, `boolean` → BOOL, `bigint` → INT
 * (LE i64), `number` → FLOAT (LE binary64, always, even for integral numbers), `string` → STRING
 * (UTF-8), `Uint8Array` → BYTES, or a marker → ARRAY / OBJECT / CUSTOM_OBJECT(alias).
 *
 * @throws {AimEncodeError} for an int outside i64, a string with a lone surrogate, or a
 *   non-scalar value (encode containers with {@link encodeTree}).
 */
export function encodeValue(value: AimScalar | AimMarker): Buffer {
  const w = new ByteWriter(16);
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) {
    const marker = value as Partial<{ kind: unknown; alias: unknown }>;
    if (marker.kind === 'custom') {
      if (typeof marker.alias !== 'string') throw new AimEncodeError('a custom marker needs a string alias');
      if (!isWellFormed(marker.alias)) throw new AimEncodeError('a custom object alias with a lone UTF-16 surrogate cannot be encoded');
    } else if (marker.kind !== 'array' && marker.kind !== 'object') {
      throw new AimEncodeError('not a scalar or a marker (encode containers with encodeTree)');
    }
    writeMarker(w, value);
  } else {
    const problem = scalarProblem(value);
    if (problem !== undefined) throw new AimEncodeError(problem);
    writeScalar(w, value);
  }
  return w.copyOut();
}

function expectLength(buf: Buffer, length: number, name: string): void {
  if (buf.length !== length) {
    throw new AimCodecError(`a ${name} value must be ${String(length)} bytes with its tag, got ${String(buf.length)}`);
  }
}

/**
 * Decodes one tagged value (§8.1). Unknown tags (0x08–0x0E, 0x10–0xFF) decode to `null`, as in
 * Aim. BYTES content is copied (the result does not share memory with `bytes`).
 *
 * Stricter than Aim where Aim would read garbage or silently ignore bytes: a known tag with the
 * wrong content length (e.g. an INT that is not 8 bytes, a NONE with content) and malformed UTF-8
 * are errors.
 *
 * @throws {AimCodecError} for a zero-length value, a wrong content length or malformed UTF-8.
 */
export function decodeValue(bytes: Uint8Array): AimScalar | AimMarker {
  const buf = asBuffer(bytes);
  if (buf.length === 0) throw new AimCodecError('a value must be at least 1 byte (its tag), got 0');
  switch (buf[0]) {
    case AimTag.NONE:
      expectLength(buf, 1, 'NONE');
      return null;
    case AimTag.BOOL:
      expectLength(buf, 2, 'BOOL');
      return buf[1] !== 0;
    case AimTag.INT:
      expectLength(buf, 9, 'INT');
      return buf.readBigInt64LE(1);
    case AimTag.FLOAT:
      expectLength(buf, 9, 'FLOAT');
      return buf.readDoubleLE(1);
    case AimTag.STRING:
      return decodeUtf8(buf, 1, buf.length, 'a STRING value');
    case AimTag.BYTES:
      return new Uint8Array(buf.subarray(1));
    case AimTag.ARRAY:
      expectLength(buf, 1, 'ARRAY');
      return ARRAY_MARKER;
    case AimTag.OBJECT:
      expectLength(buf, 1, 'OBJECT');
      return OBJECT_MARKER;
    case AimTag.CUSTOM_OBJECT:
      return customMarker(decodeUtf8(buf, 1, buf.length, 'a custom object alias'));
    default:
      return null;
  }
}
