/**
 * Record framing (spec §6, Aim's `pack_args` / `pack_stream`): a payload is a plain concatenation
 * of records, each `u32 LE key_len | key | u8 is_blob | u32 LE val_len | value`, with no header,
 * count or terminator.
 */
import { AimCodecError } from '../errors.js';
import { asBuffer } from './bytes.js';

/** One record: an encoded path, an encoded value, and whether the value is a BLOB. */
export interface AimRecord {
  /** The encoded path (§7); empty for the root. */
  key: Uint8Array;
  /** The encoded value (§8.1): tag byte and content (also for BLOBs). */
  value: Uint8Array;
  /** The `is_blob` flag: the value is stored out of line (e.g. `aim.text` data). */
  isBlob: boolean;
}

/** Bytes of framing around each record's key and value. */
export const RECORD_OVERHEAD = 9;

const U32_MAX = 0xffff_ffff;

/** The framed size of a record. */
export function recordSize(record: AimRecord): number {
  return RECORD_OVERHEAD + record.key.length + record.value.length;
}

/**
 * Frames records into one payload: for each, `u32 LE key_len`, key, `00`/`01` blob byte,
 * `u32 LE val_len`, value. `packRecords([{ key: empty, value: 07, isBlob: false }])` is
 * `00000000 00 01000000 07`.
 *
 * @throws {AimCodecError} if a key or value is longer than 2³²−1 bytes.
 */
export function packRecords(records: readonly AimRecord[]): Buffer {
  let total = 0;
  for (const record of records) {
    if (record.key.length > U32_MAX || record.value.length > U32_MAX) {
      throw new AimCodecError('a record key or value is longer than 2^32-1 bytes');
    }
    total += RECORD_OVERHEAD + record.key.length + record.value.length;
  }
  const out = Buffer.allocUnsafe(total);
  let pos = 0;
  for (const { key, value, isBlob } of records) {
    out.writeUInt32LE(key.length, pos);
    out.set(key, pos + 4);
    pos += 4 + key.length;
    out[pos] = isBlob ? 1 : 0;
    out.writeUInt32LE(value.length, pos + 1);
    out.set(value, pos + 5);
    pos += 5 + value.length;
  }
  return out;
}

/** Options of {@link RecordStreamParser} and {@link parseRecords}. */
export interface ParseRecordsOptions {
  /**
   * Refuse a record whose framed size (`9 + key_len + val_len`) exceeds this many bytes, as soon
   * as its lengths are known (before buffering it). Default: no limit beyond the u32 lengths.
   */
  maxRecordSize?: number;
}

/**
 * Parses whole records out of `buf` from `pos`, appending them to `out`; returns the offset of the
 * first byte not consumed (the start of an incomplete record, or `buf.length`). Records are views
 * of `buf`.
 */
function parseWhole(buf: Buffer, pos: number, out: AimRecord[], maxRecordSize: number): number {
  const length = buf.length;
  while (length - pos >= 4) {
    const keyLength = buf.readUInt32LE(pos);
    if (length - pos < RECORD_OVERHEAD + keyLength) {
      checkSize(RECORD_OVERHEAD + keyLength, maxRecordSize, pos);
      break;
    }
    const valueStart = pos + RECORD_OVERHEAD + keyLength;
    const valueLength = buf.readUInt32LE(valueStart - 4);
    const end = valueStart + valueLength;
    checkSize(end - pos, maxRecordSize, pos);
    if (end > length) break;
    out.push({
      key: buf.subarray(pos + 4, pos + 4 + keyLength),
      value: buf.subarray(valueStart, end),
      isBlob: buf[pos + 4 + keyLength] !== 0,
    });
    pos = end;
  }
  return pos;
}

function checkSize(size: number, maxRecordSize: number, offset: number): void {
  if (size > maxRecordSize) {
    throw new AimCodecError(`record at offset ${String(offset)} is ${String(size)} bytes, more than the limit of ${String(maxRecordSize)}`);
  }
}

/**
 * Parses a complete payload into records. The records' keys and values are `Buffer` views of
 * `bytes` (no copy): do not modify `bytes` while they are in use. The `is_blob` byte is true when non-zero.
 *
 * @throws {AimCodecError} if the payload ends inside a record (truncation), or a record exceeds
 *   `options.maxRecordSize`.
 */
export function parseRecords(bytes: Uint8Array, options: ParseRecordsOptions = {}): AimRecord[] {
  const buf = asBuffer(bytes);
  const records: AimRecord[] = [];
  const end = parseWhole(buf, 0, records, options.maxRecordSize ?? Infinity);
  if (end !== buf.length) {
    throw new AimCodecError(`truncated record stream: ${String(buf.length - end)} bytes left at offset ${String(end)} are not a whole record`);
  }
  return records;
}

/**
 * An incremental parser for a record stream that arrives in chunks with arbitrary boundaries (an
 * HTTP read-instruction body). Feed it with {@link push}, then call {@link end}.
 *
 * Linear time: records wholly inside one chunk are returned as views of that chunk (do not modify
 * pushed chunks afterwards); a record split across chunks is assembled once, when its last byte
 * arrives, into its own buffer.
 */
export class RecordStreamParser {
  private readonly maxRecordSize: number;
  /** Bytes of the incomplete record at the front of the stream, in order. */
  private pending: Buffer[] = [];
  private pendingLength = 0;
  /** The incomplete record's key length, once its 4 bytes have arrived; else -1. */
  private keyLength = -1;
  /** The incomplete record's framed size, once both lengths have arrived; else -1. */
  private recordLength = -1;
  private offset = 0;

  /** A parser at the start of a stream. */
  constructor(options: ParseRecordsOptions = {}) {
    this.maxRecordSize = options.maxRecordSize ?? Infinity;
  }

  /** Total bytes consumed into complete records so far. */
  get bytesParsed(): number {
    return this.offset;
  }

  /** Bytes buffered for an incomplete record. */
  get bytesPending(): number {
    return this.pendingLength;
  }

  /**
   * Adds the next chunk of the stream and returns the records it completed (possibly none).
   *
   * @throws {AimCodecError} if a record exceeds `maxRecordSize`.
   */
  push(chunk: Uint8Array): AimRecord[] {
    const records: AimRecord[] = [];
    if (chunk.length === 0) return records;
    let buf = asBuffer(chunk);
    if (this.pendingLength > 0) {
      const consumed = this.completePending(buf, records);
      if (consumed < 0) return records;
      buf = buf.subarray(consumed);
    }
    const end = parseWhole(buf, 0, records, this.maxRecordSize);
    this.offset += end;
    if (end < buf.length) this.keep(buf.subarray(end));
    return records;
  }

  /**
   * Declares the stream complete.
   *
   * @throws {AimCodecError} if the stream ended inside a record.
   */
  end(): void {
    if (this.pendingLength > 0) {
      throw new AimCodecError(`truncated record stream: it ended ${String(this.pendingLength)} bytes into a record at offset ${String(this.offset)}`);
    }
  }

  private keep(bytes: Buffer): void {
    this.pending.push(bytes);
    this.pendingLength += bytes.length;
    this.learnLengths();
  }

  /** Reads the pending record's lengths as soon as their bytes are buffered (each at most once). */
  private learnLengths(): void {
    if (this.keyLength < 0 && this.pendingLength >= 4) {
      this.keyLength = this.peekU32(0);
      if (RECORD_OVERHEAD + this.keyLength > this.maxRecordSize) checkSize(RECORD_OVERHEAD + this.keyLength, this.maxRecordSize, this.offset);
    }
    if (this.keyLength >= 0 && this.recordLength < 0 && this.pendingLength >= RECORD_OVERHEAD + this.keyLength) {
      this.recordLength = RECORD_OVERHEAD + this.keyLength + this.peekU32(5 + this.keyLength);
      checkSize(this.recordLength, this.maxRecordSize, this.offset);
    }
  }

  /** The u32 LE at `at` within the pending bytes (which may span chunks). */
  private peekU32(at: number): number {
    const bytes = Buffer.allocUnsafe(4);
    let filled = 0;
    let skip = at;
    for (const part of this.pending) {
      if (skip >= part.length) {
        skip -= part.length;
        continue;
      }
      const n = Math.min(4 - filled, part.length - skip);
      part.copy(bytes, filled, skip, skip + n);
      filled += n;
      skip = 0;
      if (filled === 4) break;
    }
    return bytes.readUInt32LE(0);
  }

  /**
   * With a record pending, takes from `buf` what it lacks. Returns how many bytes of `buf` were
   * used once the record is complete (and appended to `records`), or -1 if all of `buf` was
   * buffered and the record is still incomplete.
   */
  private completePending(buf: Buffer, records: AimRecord[]): number {
    let used = 0;
    if (this.recordLength < 0) {
      // Take just enough header bytes to learn the lengths, without scanning the whole chunk.
      while (this.recordLength < 0) {
        const want = this.keyLength < 0 ? 4 - this.pendingLength : RECORD_OVERHEAD + this.keyLength - this.pendingLength;
        const take = Math.min(want, buf.length - used);
        this.pending.push(buf.subarray(used, used + take));
        this.pendingLength += take;
        used += take;
        this.learnLengths();
        if (used === buf.length && this.recordLength < 0) return -1;
      }
    }
    const missing = this.recordLength - this.pendingLength;
    if (buf.length - used < missing) {
      this.pending.push(buf.subarray(used));
      this.pendingLength += buf.length - used;
      return -1;
    }
    this.pending.push(buf.subarray(used, used + missing));
    used += missing;
    const record = Buffer.concat(this.pending, this.recordLength);
    const keyLength = this.keyLength;
    records.push({
      key: record.subarray(4, 4 + keyLength),
      value: record.subarray(RECORD_OVERHEAD + keyLength),
      isBlob: record[4 + keyLength] !== 0,
    });
    this.offset += this.recordLength;
    this.pending = [];
    this.pendingLength = 0;
    this.keyLength = -1;
    this.recordLength = -1;
    return used;
  }
}

/** Bytes of an array index key in a path: sentinel, 8-byte big-endian i64, sentinel. */
export const INDEX_KEY_BYTES = 10;

/** The number of records in a packed record stream (it must be well-formed, e.g. from packTree). */
export function countRecords(packed: Uint8Array): number {
  const view = Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength);
  let count = 0;
  for (let pos = 0; pos < view.length; count++) {
    const keyLength = view.readUInt32LE(pos);
    pos += 4 + keyLength + 1;
    pos += 4 + view.readUInt32LE(pos);
  }
  return count;
}

/**
 * Packs the array `[item0, item1, ...]` from items already packed on their own (`packTree(item)`):
 * the array marker, then each item's records with its index prepended to their keys. The result
 * equals `packTree([item0, item1, ...])`, without decoding or re-encoding the items. `counts[i]`
 * is the record count of `items[i]` ({@link countRecords}), for sizing the output in one go.
 */
export function packArrayOfPacked(items: readonly Uint8Array[], counts: readonly number[]): Buffer {
  let size = RECORD_OVERHEAD + 1;
  items.forEach((item, i) => {
    size += item.length + INDEX_KEY_BYTES * (counts[i] ?? countRecords(item));
  });
  const out = Buffer.allocUnsafe(size);
  // The root record: empty key, not a blob, the one-byte ARRAY marker.
  out.writeUInt32LE(0, 0);
  out[4] = 0;
  out.writeUInt32LE(1, 5);
  out[9] = 0x06;
  let pos = RECORD_OVERHEAD + 1;
  items.forEach((item, index) => {
    const source = Buffer.from(item.buffer, item.byteOffset, item.byteLength);
    for (let at = 0; at < source.length;) {
      const keyLength = source.readUInt32LE(at);
      const keyStart = at + 4;
      const valueLength = source.readUInt32LE(keyStart + keyLength + 1);
      const end = keyStart + keyLength + 1 + 4 + valueLength;
      out.writeUInt32LE(keyLength + INDEX_KEY_BYTES, pos);
      out[pos + 4] = 0xfe;
      out.writeBigInt64BE(BigInt(index), pos + 5);
      out[pos + 13] = 0xfe;
      // key, blob flag, value length and value follow unchanged
      source.copy(out, pos + 14, keyStart, end);
      pos += 14 + (end - keyStart);
      at = end;
    }
  });
  return out;
}

/**
 * Packs the array `[item0, item1, ...]` from items packed with `packArrayItem` (records keyed
 * under element 0): the array marker, then each item's bytes copied whole, with its index written
 * into the low 4 bytes of its records' leading index key. The result equals
 * `packTree([item0, item1, ...])` and `packArrayOfPacked` of the items packed on their own.
 *
 * @throws {AimCodecError} for more than 2³² items.
 */
export function packArrayOfItems(items: readonly Uint8Array[]): Buffer {
  if (items.length > 0xffff_ffff) throw new AimCodecError('an array of more than 2^32 items');
  let size = RECORD_OVERHEAD + 1;
  for (const item of items) size += item.length;
  const out = Buffer.allocUnsafe(size);
  const view = new DataView(out.buffer, out.byteOffset, out.length);
  // The root record: empty key, not a blob, the one-byte ARRAY marker.
  view.setUint32(0, 0, true);
  out[4] = 0;
  view.setUint32(5, 1, true);
  out[9] = 0x06;
  let pos = RECORD_OVERHEAD + 1;
  for (let index = 0; index < items.length; index++) {
    const item = items[index] as Uint8Array;
    out.set(item, pos);
    const end = pos + item.length;
    if (index > 0) {
      // Each record: u32 key length, key (FE, i64 BE index, FE, ...), blob byte, u32 value length, value.
      for (let at = pos; at < end;) {
        const keyLength = view.getUint32(at, true);
        view.setUint32(at + 9, index, false);
        at += RECORD_OVERHEAD + keyLength + view.getUint32(at + 5 + keyLength, true);
      }
    }
    pos = end;
  }
  return out;
}
