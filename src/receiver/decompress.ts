/**
 * Undoes a request's content codings with Node's zlib, bounded: no step may produce more than the
 * body limit, so a compression bomb costs at most that much memory before it is refused.
 */
import { constants as bufferConstants } from 'node:buffer';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import type { ContentCoding } from './content.js';
import { InvalidRequestError, type OtlpFormat, PayloadTooLargeError } from './errors.js';

type Inflate = (buffer: zlib.InputType, options: zlib.ZlibOptions) => Promise<Buffer>;

const gunzip: Inflate = promisify(zlib.gunzip);
const inflate: Inflate = promisify(zlib.inflate);
const inflateRaw: Inflate = promisify(zlib.inflateRaw);

/**
 * Undoes `codings` (in the order they were applied) and returns the plain body.
 * - `gzip`: one or more gzip members (RFC 1952).
 * - `deflate`: a zlib stream (RFC 1950), which is what the Collector sends for both `deflate` and
 *   `zlib`; a raw deflate stream (RFC 1951, sent by some HTTP clients as `deflate`) is accepted too.
 *
 * Throws {@link PayloadTooLargeError} (413) when the result would exceed `maxBytes` (checked while
 * inflating, so a bomb is cut off there), and {@link InvalidRequestError} (400) for corrupt data.
 */
export async function decompress(body: Buffer, codings: readonly ContentCoding[], maxBytes: number, format?: OtlpFormat): Promise<Buffer> {
  let data = body;
  for (let i = codings.length - 1; i >= 0; i--) {
    const coding = codings[i];
    if (coding === undefined) continue;
    data = await undo(data, coding, maxBytes, format);
  }
  return data;
}

async function undo(data: Buffer, coding: ContentCoding, maxBytes: number, format: OtlpFormat | undefined): Promise<Buffer> {
  // zlib refuses a maxOutputLength below 1 or above buffer.kMaxLength.
  const options: zlib.ZlibOptions = { maxOutputLength: Math.min(Math.max(1, maxBytes), bufferConstants.MAX_LENGTH) };
  try {
    if (coding === 'gzip') return await gunzip(data, options);
    if (!looksLikeZlib(data)) return await inflateRaw(data, options);
    try {
      return await inflate(data, options);
    } catch (zlibError) {
      // A raw stream can start with two bytes that pass the zlib header check: try it as raw.
      if (isTooLarge(zlibError)) throw zlibError;
      try {
        return await inflateRaw(data, options);
      } catch (rawError) {
        throw isTooLarge(rawError) ? rawError : zlibError;
      }
    }
  } catch (error) {
    if (isTooLarge(error)) {
      throw new PayloadTooLargeError(`the ${coding}-decompressed body exceeds the limit of ${maxBytes} bytes`, format);
    }
    const detail = error instanceof Error ? error.message : String(error);
    throw new InvalidRequestError(`${coding}: ${detail}`, format, { cause: error });
  }
}

/** Whether `data` starts with a zlib header (RFC 1950 §2.2: CM = 8, CINFO ≤ 7, FCHECK). */
function looksLikeZlib(data: Buffer): boolean {
  if (data.length < 2) return false;
  const cmf = data[0] ?? 0;
  const flg = data[1] ?? 0;
  return (cmf & 0x0f) === 8 && cmf >> 4 <= 7 && ((cmf << 8) | flg) % 31 === 0;
}

function isTooLarge(error: unknown): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
}
