/**
 * Internal byte helpers shared by the codec modules (not part of the public API): a growable
 * output buffer, zero-copy `Buffer` views and strict UTF-8 decoding.
 */
import { AimCodecError } from '../errors.js';

/** A `Buffer` view of `bytes`, sharing its memory (no copy). */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Decodes `buf[start, end)` as UTF-8, rejecting malformed input as Python's `bytes.decode('utf-8')`
 * does (a BOM is kept, as in Python). Fast path: Node's lenient decoder, re-checked strictly only
 * when it produced a U+FFFD (which is then either malformed input or a genuine U+FFFD).
 */
export function decodeUtf8(buf: Buffer, start: number, end: number, what: string): string {
  const text = buf.toString('utf8', start, end);
  if (!text.includes('\uFFFD')) return text;
  try {
    return strictUtf8.decode(buf.subarray(start, end));
  } catch {
    throw new AimCodecError(`${what} is not valid UTF-8`);
  }
}

interface WellFormed {
  isWellFormed(): boolean;
}

/**
 * Whether `text` is well-formed UTF-16 (no lone surrogates), i.e. encodable to UTF-8 without loss.
 * Python refuses to encode lone surrogates; Node would silently write U+FFFD instead.
 */
export function isWellFormed(text: string): boolean {
  return (text as unknown as WellFormed).isWellFormed();
}

/** Stores a u32 little-endian at `at` (no checks: the caller reserved the room). */
export function putU32LE(buf: Buffer, at: number, value: number): void {
  buf[at] = value & 0xff;
  buf[at + 1] = (value >>> 8) & 0xff;
  buf[at + 2] = (value >>> 16) & 0xff;
  buf[at + 3] = value >>> 24;
}

/**
 * Strings up to this many UTF-16 units are tried as ASCII in a plain loop first: for the short
 * keys and names that make up most of a message, the call into `Buffer#write` costs more than the
 * copy (measured: ~2x faster per short string).
 */
const ASCII_FAST_PATH_MAX = 32;

/** Above this many UTF-16 units a string's exact UTF-8 length is computed instead of reserving 3×. */
const EXACT_UTF8_THRESHOLD = 4096;

/** The smallest i64. */
export const I64_MIN = -(2n ** 63n);
/** The largest i64. */
export const I64_MAX = 2n ** 63n - 1n;

/** An append-only byte buffer that doubles its capacity as needed (amortised linear). */
export class ByteWriter {
  /** The buffer written so far; replaced by a larger one when it grows. */
  buf: Buffer;
  /** How many bytes of `buf` are written. */
  pos = 0;

  /** A writer with room for `capacity` bytes before it first grows. */
  constructor(capacity: number) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
  }

  private grow(n: number): void {
    let capacity = Math.max(this.buf.length * 2, 64);
    while (capacity < this.pos + n) capacity *= 2;
    const next = Buffer.allocUnsafe(capacity);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Appends one byte. */
  u8(byte: number): void {
    this.reserve(1);
    this.buf[this.pos++] = byte;
  }

  /** Writes `text` as UTF-8 (well-formedness is the caller's business); returns the byte count. */
  utf8(text: string): number {
    const length = text.length;
    if (length <= ASCII_FAST_PATH_MAX) {
      this.reserve(length * 3);
      const buf = this.buf;
      const start = this.pos;
      let i = 0;
      for (; i < length; i++) {
        const code = text.charCodeAt(i);
        if (code >= 0x80) break;
        buf[start + i] = code;
      }
      if (i === length) {
        this.pos = start + length;
        return length;
      }
    }
    this.reserve(text.length > EXACT_UTF8_THRESHOLD ? Buffer.byteLength(text, 'utf8') : text.length * 3);
    const written = this.buf.write(text, this.pos, 'utf8');
    this.pos += written;
    return written;
  }

  /** Appends raw bytes. */
  bytes(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** Tag byte, then a LE i64 (range checked by the caller). */
  taggedI64(tag: number, value: bigint): void {
    this.reserve(9);
    this.buf[this.pos] = tag;
    this.buf.writeBigInt64LE(value, this.pos + 1);
    this.pos += 9;
  }

  /** Tag byte, then a LE binary64. */
  taggedF64(tag: number, value: number): void {
    this.reserve(9);
    this.buf[this.pos] = tag;
    this.buf.writeDoubleLE(value, this.pos + 1);
    this.pos += 9;
  }

  /** A copy of what was written, exactly sized. */
  copyOut(): Buffer {
    const { buf, pos } = this;
    // Small results come from Node's buffer pool; larger ones are allocated and copied in one
    // native call (ArrayBuffer#slice), which profiles faster than allocUnsafe + Buffer#copy.
    if (pos < Buffer.poolSize >>> 1) {
      const out = Buffer.allocUnsafe(pos);
      out.set(buf.subarray(0, pos));
      return out;
    }
    return Buffer.from(buf.buffer.slice(buf.byteOffset, buf.byteOffset + pos));
  }
}
