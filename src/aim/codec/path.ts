/**
 * Path (record key) encoding (spec §7): each key is written as its encoding followed by the
 * sentinel byte 0xFE. A string key is its UTF-8 bytes (UTF-8 never contains 0xFE); an int key is
 * 0xFE followed by its 8-byte big-endian two's-complement i64 (so its encoding is
 * `FE <8 bytes> FE`). The empty path is the empty byte string.
 */
import { AimCodecError, AimEncodeError } from '../errors.js';
import { ByteWriter, asBuffer, decodeUtf8, isWellFormed } from './bytes.js';
import { isI64 } from './value.js';
import type { AimKey, AimPath } from './values.js';

/** The path sentinel byte. */
export const PATH_SENTINEL = 0xfe;

/**
 * Why `key` cannot be a path key, or `undefined` if it can. Only non-empty strings and i64
 * bigints are keys; JS `number`s are refused on purpose (a `number` is always an Aim float, and
 * Aim refuses float keys), so write `5n`, not `5`.
 */
export function keyProblem(key: unknown): string | undefined {
  if (typeof key === 'string') {
    if (key.length === 0) return 'the empty string is not a valid key';
    return isWellFormed(key) ? undefined : 'a key with a lone UTF-16 surrogate cannot be encoded as UTF-8';
  }
  if (typeof key === 'bigint') {
    return isI64(key) ? undefined : `int key ${key.toString()} is outside the i64 range`;
  }
  if (typeof key === 'number') {
    return `number key ${String(key)} is not a valid key: int keys are bigints (write ${String(key)}n), and Aim refuses float keys`;
  }
  return `a key of type ${typeof key} is not a valid key (only string and bigint)`;
}

/** Appends `encode_key(key) + FE` for a key that passed {@link keyProblem}. @internal */
export function writeKey(w: ByteWriter, key: AimKey): void {
  if (typeof key === 'string') {
    w.utf8(key);
    w.u8(PATH_SENTINEL);
  } else {
    w.reserve(10);
    const buf = w.buf;
    buf[w.pos] = PATH_SENTINEL;
    buf.writeBigInt64BE(key, w.pos + 1);
    buf[w.pos + 9] = PATH_SENTINEL;
    w.pos += 10;
  }
}

/** Appends the key of a list index `0 ≤ index < 2³²` without going through a bigint. @internal */
export function writeIndexKey(w: ByteWriter, index: number): void {
  w.reserve(10);
  putIndexKey(w.buf, w.pos, index);
  w.pos += 10;
}

/** Writes the key of a list index `0 ≤ index < 2³²` at `at` (10 bytes: an 8-byte int between sentinels). @internal */
export function putIndexKey(buf: Uint8Array, at: number, index: number): void {
  buf[at] = PATH_SENTINEL;
  buf[at + 1] = 0;
  buf[at + 2] = 0;
  buf[at + 3] = 0;
  buf[at + 4] = 0;
  buf[at + 5] = index >>> 24;
  buf[at + 6] = (index >>> 16) & 0xff;
  buf[at + 7] = (index >>> 8) & 0xff;
  buf[at + 8] = index & 0xff;
  buf[at + 9] = PATH_SENTINEL;
}

/**
 * Encodes a path to its record-key bytes. `encodePath(['traces', 123n, 'loss'])` is
 * `747261636573fe fe000000000000007bfe 6c6f7373fe`.
 *
 * Keys are non-empty strings or i64 `bigint`s. JS `number` keys are refused (see
 * {@link keyProblem}): a `number` always means an Aim float in this codec, and Aim itself raises on
 * float keys. The empty string is refused because Aim would encode it as a lone `FE`, which
 * decodes as a (truncated) int key.
 *
 * @throws {AimEncodeError} for an invalid key; its `path` is the prefix before that key.
 */
export function encodePath(path: AimPath): Buffer {
  const w = new ByteWriter(16);
  for (let i = 0; i < path.length; i++) {
    const key = path[i];
    const problem = keyProblem(key);
    if (problem !== undefined) throw new AimEncodeError(problem, path.slice(0, i));
    writeKey(w, key as AimKey);
  }
  return w.copyOut();
}

/** The BE i64 at `at`; small non-negative values (list indices) skip the 64-bit BigInt arithmetic. */
function readIntKey(buf: Buffer, at: number): bigint {
  if (buf[at] === 0 && buf[at + 1] === 0 && buf[at + 2] === 0 && buf[at + 3] === 0) return BigInt(buf.readUInt32BE(at + 4));
  return buf.readBigInt64BE(at);
}

/**
 * Decodes record-key bytes to the path. A segment that starts with `FE` is an int key: its 8
 * bytes are read as a big-endian i64 and skipped without being scanned (they may contain `FE`),
 * and the closing `FE` must follow. Any other segment runs to the next `FE` and is a UTF-8 string.
 *
 * Stricter than Aim, which silently drops trailing bytes and reads past the end: bytes after the
 * last sentinel, a truncated int key, a missing closing sentinel and malformed UTF-8 are errors.
 *
 * @throws {AimCodecError} if `bytes` is not a well-formed encoded path.
 */
export function decodePath(bytes: Uint8Array): AimKey[] {
  const buf = asBuffer(bytes);
  const keys: AimKey[] = [];
  const length = buf.length;
  let pos = 0;
  while (pos < length) {
    if (buf[pos] === PATH_SENTINEL) {
      if (pos + 10 > length) throw new AimCodecError(`truncated int key at offset ${String(pos)} of a ${String(length)}-byte path`);
      if (buf[pos + 9] !== PATH_SENTINEL) throw new AimCodecError(`int key at offset ${String(pos)} is not followed by the path sentinel`);
      keys.push(readIntKey(buf, pos + 1));
      pos += 10;
    } else {
      const end = buf.indexOf(PATH_SENTINEL, pos);
      if (end < 0) throw new AimCodecError(`path key at offset ${String(pos)} has no closing sentinel`);
      keys.push(decodeUtf8(buf, pos, end, 'a path key'));
      pos = end + 1;
    }
  }
  return keys;
}
