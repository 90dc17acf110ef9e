/**
 * Tree flattening (spec §8.2, Aim's `encode_tree`) and rebuilding (§8.3, Aim's `decode_tree`): a
 * value becomes a pre-order list of `(encoded path, encoded value)` records, framed by
 * `framing.ts`.
 */
import { AimCodecError, AimEncodeError } from '../errors.js';
import { I64_MAX, I64_MIN, isWellFormed } from './bytes.js';
import { type AimRecord, INDEX_KEY_BYTES, type ParseRecordsOptions, parseRecords } from './framing.js';
import { PATH_SENTINEL, decodePath, keyProblem, putIndexKey } from './path.js';
import { AimTag, type AimMarker, type AimScalar, decodeValue } from './value.js';
import { type AimKey, type AimValue, AimBlob, AimObject } from './values.js';

/**
 * The deepest nesting {@link encodeTree} accepts (the root is depth 0). Deeper input is refused
 * (it is almost certainly a cycle); Aim's own recursive encoder gives up far earlier.
 */
export const MAX_TREE_DEPTH = 1000;

/** Scratch buffers are kept between calls up to this size; larger ones are dropped after use. */
const SCRATCH_KEEP_LIMIT = 1 << 20;

/** Bytes of the slabs {@link packArrayItem} writes its items into (a bigger item gets a bigger one). */
const SLAB_BYTES = 1 << 20;
/** A slab with less room than this left is given up for a fresh one before the next item. */
const SLAB_MIN_ROOM = 16 * 1024;
/** A slab grown beyond this (for a huge item) is not used for further items. */
const SLAB_KEEP_LIMIT = 4 * SLAB_BYTES;

/** Keys shorter than this are copied byte by byte; longer ones with one `copyWithin` (a native memmove). */
const SHORT_KEY = 12;

/** Strings up to this many UTF-16 units are tried as ASCII in a plain loop before `Buffer#write`. */
const ASCII_LOOP_MAX = 32;

/** Above this many UTF-16 units a string's exact UTF-8 length is computed instead of reserving 3×. */
const EXACT_UTF8_THRESHOLD = 4096;

/**
 * Walks a value and writes its framed records straight into one buffer, `mem`, which also holds
 * the encoded path of the node being visited (`mem[0, pathLength)`, before the output, which
 * starts at `start ≥ pathCapacity`): each record's key is then one `copyWithin` of the path, a
 * native memmove, instead of a copy between two buffers. Numbers go through a `DataView` (inlined
 * by the JIT; `Buffer#writeBigInt64LE` allocates bigints). Strings are checked for lone surrogates
 * only when they are not ASCII (which the writing loop finds out anyway).
 *
 * A scratch writer ({@link packTree}) reuses its buffer and copies each output out. A slab writer
 * ({@link packArrayItem}) writes its outputs one after the other into a large shared slab and
 * hands out slices of it (no copy); a full slab is left to the slices that use it.
 */
class TreeWriter {
  mem: Buffer;
  view: DataView;
  /** Bytes reserved for the path at the front of `mem`. */
  pathCapacity: number;
  /** The encoded path of the node being visited: `mem[0, pathLength)`. */
  pathLength = 0;
  /** Path bytes that are not part of the value's own paths (the index slot of a frame item). */
  base = 0;
  /** Where the output of the current value starts. */
  start: number;
  /** The end of the output written so far (the output is `mem[start, pos)`). */
  pos: number;
  /** Slab writers: where the next value's output may start (after the outputs handed out). */
  private free: number;
  /** Records written. */
  records = 0;

  constructor(private readonly slab: boolean) {
    this.pathCapacity = 256;
    this.mem = slab ? Buffer.allocUnsafeSlow(SLAB_BYTES) : Buffer.allocUnsafe(this.pathCapacity + 4096);
    this.view = new DataView(this.mem.buffer, this.mem.byteOffset, this.mem.length);
    this.start = this.pos = this.free = this.pathCapacity;
  }

  /** Starts a value; with `slot`, every record's key begins with an index key of 0 (see {@link packArrayItem}). */
  reset(slot: boolean): void {
    if (this.slab && (this.mem.length - this.free < SLAB_MIN_ROOM || this.mem.length > SLAB_KEEP_LIMIT)) {
      // A fresh slab: the old one stays alive only as long as the outputs handed out of it.
      this.pathCapacity = 256;
      this.mem = Buffer.allocUnsafeSlow(SLAB_BYTES);
      this.view = new DataView(this.mem.buffer, this.mem.byteOffset, this.mem.length);
      this.free = this.pathCapacity;
    }
    this.start = this.pos = this.slab ? this.free : this.pathCapacity;
    this.records = 0;
    this.pathLength = 0;
    if (slot) {
      this.writeIndexKey(0);
      this.base = INDEX_KEY_BYTES;
    } else {
      this.base = 0;
    }
  }

  /** The output: a slice of the slab (slab writers), else a copy. */
  output(): Buffer {
    if (!this.slab) return this.copyOut();
    const out = this.mem.subarray(this.start, this.pos);
    // The next output starts 8-byte aligned, as in Node's own buffer pool.
    this.free = (this.pos + 7) & ~7;
    return out;
  }

  /** A copy of the output, exactly sized. */
  copyOut(): Buffer {
    const { mem, start, pos } = this;
    const length = pos - start;
    // Small results come from Node's buffer pool; larger ones are allocated and copied in one
    // native call (ArrayBuffer#slice), which profiles faster than allocUnsafe + Buffer#copy.
    if (length < Buffer.poolSize >>> 1) {
      const out = Buffer.allocUnsafe(length);
      out.set(mem.subarray(start, pos));
      return out;
    }
    return Buffer.from(mem.buffer.slice(mem.byteOffset + start, mem.byteOffset + pos));
  }

  /** Whether a scratch writer's buffer grew beyond what is worth keeping. */
  get oversized(): boolean {
    return this.mem.length > SCRATCH_KEEP_LIMIT;
  }

  fail(message: string): never {
    throw new AimEncodeError(message, decodePath(this.mem.subarray(this.base, this.pathLength)));
  }

  /** Makes room for `n` more output bytes. */
  private reserve(n: number): void {
    if (this.pos + n > this.mem.length) this.resize(this.pathCapacity, n);
  }

  /** Makes room for `n` more path bytes. */
  private reservePath(n: number): void {
    if (this.pathLength + n > this.pathCapacity) this.resize(Math.max(this.pathCapacity * 2, this.pathLength + n), 0);
  }

  /**
   * Moves to a larger buffer (a new slab, for slab writers) with `pathCapacity` bytes for the path
   * and room for `n` more output bytes, taking the path and the current output along.
   */
  private resize(pathCapacity: number, n: number): void {
    const output = this.pos - this.start;
    const needed = pathCapacity + output + n;
    let capacity = this.slab ? SLAB_BYTES : this.mem.length * 2;
    while (capacity < needed) capacity *= 2;
    const next = this.slab ? Buffer.allocUnsafeSlow(capacity) : Buffer.allocUnsafe(capacity);
    this.mem.copy(next, 0, 0, this.pathLength);
    this.mem.copy(next, pathCapacity, this.start, this.pos);
    this.mem = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.length);
    this.pathCapacity = pathCapacity;
    this.start = this.free = pathCapacity;
    this.pos = pathCapacity + output;
  }

  /**
   * Writes a record header for the current path, with room for `valueBytes` of value; returns
   * where the value length goes (the value starts 4 bytes later).
   */
  private head(isBlob: boolean, valueBytes: number): number {
    const keyLength = this.pathLength;
    this.reserve(9 + keyLength + valueBytes);
    const mem = this.mem;
    const at = this.pos;
    this.view.setUint32(at, keyLength, true);
    if (keyLength < SHORT_KEY) {
      for (let i = 0; i < keyLength; i++) mem[at + 4 + i] = mem[i] as number;
    } else {
      mem.copyWithin(at + 4, 0, keyLength);
    }
    const lengthAt = at + 4 + keyLength;
    mem[lengthAt] = isBlob ? 1 : 0;
    this.records += 1;
    return lengthAt + 1;
  }

  /** A record holding only a tag (a marker, NONE). */
  private tagRecord(tag: number): void {
    const at = this.head(false, 1);
    this.view.setUint32(at, 1, true);
    this.mem[at + 4] = tag;
    this.pos = at + 5;
  }

  private floatRecord(value: number, isBlob: boolean): void {
    const at = this.head(isBlob, 9);
    this.view.setUint32(at, 9, true);
    this.mem[at + 4] = AimTag.FLOAT;
    this.view.setFloat64(at + 5, value, true);
    this.pos = at + 13;
  }

  private intRecord(value: bigint, isBlob: boolean): void {
    if (value < I64_MIN || value > I64_MAX) this.fail(`int ${value.toString()} is outside the i64 range`);
    const at = this.head(isBlob, 9);
    this.view.setUint32(at, 9, true);
    this.mem[at + 4] = AimTag.INT;
    this.view.setBigInt64(at + 5, value, true);
    this.pos = at + 13;
  }

  private boolRecord(value: boolean, isBlob: boolean): void {
    const at = this.head(isBlob, 2);
    this.view.setUint32(at, 2, true);
    this.mem[at + 4] = AimTag.BOOL;
    this.mem[at + 5] = value ? 1 : 0;
    this.pos = at + 6;
  }

  /** A record whose value is `tag` + the UTF-8 of `text` (STRING, CUSTOM_OBJECT). */
  private textRecord(tag: number, text: string, isBlob: boolean, problem: string): void {
    const length = text.length;
    const room = length > EXACT_UTF8_THRESHOLD ? Buffer.byteLength(text, 'utf8') : length * 3;
    const at = this.head(isBlob, 1 + room);
    const start = at + 5;
    this.mem[at + 4] = tag;
    const written = this.writeText(text, start, room);
    if (written !== length && !isWellFormed(text)) this.fail(problem);
    this.view.setUint32(at, 1 + written, true);
    this.pos = start + written;
  }

  /** Writes `text` as UTF-8 at `at` (with `room` bytes reserved); returns the byte count. */
  private writeText(text: string, at: number, room: number): number {
    const length = text.length;
    const mem = this.mem;
    if (length <= ASCII_LOOP_MAX) {
      let i = 0;
      for (; i < length; i++) {
        const code = text.charCodeAt(i);
        if (code >= 0x80) break;
        mem[at + i] = code;
      }
      if (i === length) return length;
    }
    return mem.write(text, at, room, 'utf8');
  }

  private bytesRecord(bytes: Uint8Array, isBlob: boolean): void {
    const at = this.head(isBlob, 1 + bytes.length);
    if (bytes.length > 0xffff_ffff - 1) this.fail('a value is longer than 2^32-1 bytes, the most a record can hold');
    this.view.setUint32(at, 1 + bytes.length, true);
    this.mem[at + 4] = AimTag.BYTES;
    this.mem.set(bytes, at + 5);
    this.pos = at + 5 + bytes.length;
  }

  /** Appends the key of a list index `0 ≤ index < 2³²` to the path. */
  private writeIndexKey(index: number): void {
    this.reservePath(INDEX_KEY_BYTES);
    putIndexKey(this.mem, this.pathLength, index);
    this.pathLength += INDEX_KEY_BYTES;
  }

  /** Appends a dict key to the path (validated: non-empty well-formed string or i64 bigint). */
  private enter(key: unknown): void {
    if (typeof key === 'string') {
      const length = key.length;
      if (length === 0) this.fail('the empty string is not a valid key');
      const room = length > EXACT_UTF8_THRESHOLD ? Buffer.byteLength(key, 'utf8') : length * 3;
      this.reservePath(room + 1);
      const at = this.pathLength;
      const written = this.writeText(key, at, room);
      if (written !== length && !isWellFormed(key)) this.fail('a key with a lone UTF-16 surrogate cannot be encoded as UTF-8');
      this.mem[at + written] = PATH_SENTINEL;
      this.pathLength = at + written + 1;
    } else if (typeof key === 'bigint') {
      if (key < I64_MIN || key > I64_MAX) this.fail(`int key ${key.toString()} is outside the i64 range`);
      this.reservePath(INDEX_KEY_BYTES);
      const at = this.pathLength;
      this.mem[at] = PATH_SENTINEL;
      this.view.setBigInt64(at + 1, key, false);
      this.mem[at + 9] = PATH_SENTINEL;
      this.pathLength = at + INDEX_KEY_BYTES;
    } else {
      this.fail(keyProblem(key) ?? 'not a valid key');
    }
  }

  private fields(entries: Iterable<readonly [unknown, AimValue]>, depth: number): void {
    for (const [key, child] of entries) {
      const saved = this.pathLength;
      this.enter(key);
      this.node(child, depth);
      this.pathLength = saved;
    }
  }

  /** A scalar (or a BLOB's) record at the current path. */
  private scalar(value: unknown, isBlob: boolean): boolean {
    switch (typeof value) {
      case 'number':
        this.floatRecord(value, isBlob);
        return true;
      case 'bigint':
        this.intRecord(value, isBlob);
        return true;
      case 'string':
        this.textRecord(AimTag.STRING, value, isBlob, 'a string with a lone UTF-16 surrogate cannot be encoded as UTF-8');
        return true;
      case 'boolean':
        this.boolRecord(value, isBlob);
        return true;
      case 'object':
        if (value === null) {
          if (isBlob) this.fail('a BLOB of null cannot be encoded (Aim fails on BLOB(None) too)');
          this.tagRecord(AimTag.NONE);
          return true;
        }
        if (value instanceof Uint8Array) {
          this.bytesRecord(value, isBlob);
          return true;
        }
        return false;
      default:
        return this.fail(`a value of type ${typeof value} cannot be encoded`);
    }
  }

  /** A two-element array whose elements are at `depth` (the same records as {@link node} writes for it). */
  private pair(pair: readonly AimValue[], depth: number): void {
    this.tagRecord(AimTag.ARRAY);
    const saved = this.pathLength;
    this.writeIndexKey(0);
    const first = pair[0] as AimValue;
    if (!this.scalar(first, false)) this.node(first, depth);
    this.pathLength = saved;
    this.writeIndexKey(1);
    const second = pair[1] as AimValue;
    if (!this.scalar(second, false)) this.node(second, depth);
    this.pathLength = saved;
  }

  node(value: AimValue, depth: number): void {
    if (this.scalar(value, false)) return;
    if (depth >= MAX_TREE_DEPTH) this.fail(`the tree is nested deeper than ${String(MAX_TREE_DEPTH)} levels (a cycle?)`);
    const next = depth + 1;
    if (Array.isArray(value)) {
      const list = value as readonly AimValue[];
      this.tagRecord(AimTag.ARRAY);
      const saved = this.pathLength;
      for (let i = 0; i < list.length; i++) {
        this.writeIndexKey(i);
        const item = list[i] as AimValue;
        // Fast path for the pairs of `update` entries ([key, value]): no dispatch for the pair itself.
        if (Array.isArray(item) && item.length === 2 && next < MAX_TREE_DEPTH) this.pair(item as readonly AimValue[], next + 1);
        else this.node(item, next);
        this.pathLength = saved;
      }
    } else if (value instanceof Map) {
      const map = value as ReadonlyMap<unknown, AimValue>;
      if (map.size === 0) this.tagRecord(AimTag.OBJECT);
      else this.fields(map, next);
    } else if (value instanceof AimObject) {
      this.textRecord(AimTag.CUSTOM_OBJECT, value.alias, false, 'a custom object alias with a lone UTF-16 surrogate cannot be encoded');
      this.fields(value.storage, next);
    } else if (value instanceof AimBlob) {
      const inner = value.value;
      if (!this.scalar(inner, true)) this.fail('a BLOB must wrap a scalar (null, boolean, bigint, number, string or bytes)');
    } else {
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
        this.fail(`an object of class ${typeof name === 'string' ? name : '?'} cannot be encoded (use a Map, a plain object, an array, AimObject or AimBlob)`);
      }
      const object = value as { readonly [key: string]: AimValue };
      const keys = Object.keys(object);
      if (keys.length === 0) {
        this.tagRecord(AimTag.OBJECT);
        return;
      }
      for (const key of keys) {
        const saved = this.pathLength;
        this.enter(key);
        this.node(object[key] as AimValue, next);
        this.pathLength = saved;
      }
    }
  }
}

let scratch: TreeWriter | undefined;
let slabWriter: TreeWriter | undefined;
let busy = false;

/**
 * Runs `write` with the shared writer of its kind (a fresh scratch writer when re-entered, e.g.
 * from a getter of the value being encoded), reset for a value.
 */
function withWriter<T>(slot: boolean, slab: boolean, write: (writer: TreeWriter) => T): T {
  const reuse = !busy;
  const writer = !reuse ? new TreeWriter(false) : slab ? (slabWriter ??= new TreeWriter(true)) : (scratch ??= new TreeWriter(false));
  if (reuse) busy = true;
  try {
    writer.reset(slot);
    return write(writer);
  } finally {
    if (reuse) {
      busy = false;
      if (!slab && writer.oversized) scratch = undefined;
    }
  }
}

/**
 * Flattens and frames `value` in one pass: the bytes of `packRecords(encodeTree(value))`, i.e.
 * Aim's `pack_args(encode_tree(value))`. This is the fast path for building messages.
 *
 * @throws {AimEncodeError} (see {@link encodeTree}).
 */
export function packTree(value: AimValue): Buffer {
  return withWriter(false, false, (writer) => {
    writer.node(value, 0);
    return writer.copyOut();
  });
}

/** A value packed as an element of an array ({@link packArrayItem}), ready to be placed in one. */
export interface PackedArrayItem {
  /**
   * The records of `packTree(value)`, each key starting with the index key of element 0
   * (`FE 00000000 00000000 FE`): the bytes the value has as element 0 of an array.
   */
  bytes: Buffer;
  /** How many records `bytes` holds. */
  records: number;
}

/**
 * Packs `value` as an element of an array: `bytes` are the records it has as element 0 of
 * `packTree([value, ...])`, so an array of such items is framed by copying each and setting its
 * index ({@link packArrayOfItems}), without parsing or re-encoding. `bytes.length` is
 * `packTree(value).length + 10 × records`.
 *
 * @throws {AimEncodeError} (see {@link encodeTree}); its `path` is relative to `value`.
 */
export function packArrayItem(value: AimValue): PackedArrayItem {
  return withWriter(true, true, (writer) => {
    writer.node(value, 0);
    return { bytes: writer.output(), records: writer.records };
  });
}

/**
 * Flattens `value` into records exactly as Aim's `encode_tree` does (spec §8.2), in pre-order:
 *
 * - `null`, `boolean`, `bigint` (INT, must fit i64), `number` (FLOAT, always), `string`,
 *   `Uint8Array` (BYTES): one record at the current path;
 * - an array: an ARRAY marker, then element `i` at `path + [i]`;
 * - a non-empty `Map` (keys: non-empty strings or i64 bigints) or plain object: no record of its
 *   own, each entry at `path + [key]` in iteration order (for plain objects that is
 *   `Object.keys` order, which puts integer-like string keys first: use a `Map` when the order of
 *   such keys matters);
 * - an empty `Map` or plain object: an OBJECT marker;
 * - an {@link AimObject}: a CUSTOM_OBJECT(alias) marker, then its storage fields;
 * - an {@link AimBlob}: its scalar value (not `null`: Aim cannot encode `BLOB(None)`) in a record
 *   with `isBlob` set.
 *
 * The records' bytes are views of one buffer holding the packed form.
 *
 * @throws {AimEncodeError} for anything else (`undefined`, functions, symbols, class instances
 *   other than the above, number or empty-string keys, ints outside i64, lone surrogates, a BLOB
 *   of a container, nesting deeper than {@link MAX_TREE_DEPTH}); its `path` says where.
 */
export function encodeTree(value: AimValue): AimRecord[] {
  return parseRecords(packTree(value));
}

/** Options of {@link decodeTree}. */
export interface DecodeTreeOptions {
  /**
   * How many `null`s list gaps may add in total (Aim pads a list up to an index it is given; a
   * hash-keyed array would make that billions). Appending at index `length` is never limited.
   * Default {@link DEFAULT_MAX_LIST_PADDING}; `Infinity` lifts the limit.
   */
  maxListPadding?: number;
}

/** The default total list padding {@link decodeTree} allows. */
export const DEFAULT_MAX_LIST_PADDING = 1_000_000;

type Node = AimValue;

function decodeNode(record: AimRecord): Node {
  const value: AimScalar | AimMarker = decodeValue(record.value);
  if (record.isBlob) {
    if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) {
      throw new AimCodecError(`a BLOB record holds a ${value.kind} marker, not a scalar`);
    }
    return new AimBlob(value);
  }
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return value;
  switch (value.kind) {
    case 'array':
      return [];
    case 'object':
      return new Map<AimKey, AimValue>();
    case 'custom':
      return new AimObject(value.alias, new Map<AimKey, AimValue>());
  }
}

function describeNode(node: Node): string {
  if (node === null) return 'null';
  if (node instanceof AimBlob) return 'a BLOB';
  if (node instanceof Uint8Array) return 'bytes';
  return `a ${typeof node}`;
}

/**
 * Rebuilds a value from records (spec §8.3), with Aim's `decode_tree` semantics:
 *
 * - no records: an error (Aim raises `KeyError`, which also means "no such key");
 * - if the first record has the empty path it is the root, otherwise the root is an implied dict;
 * - each record is stored at its path; the keys it has beyond the previous record's path open new
 *   (implied) dicts. A container is a dict (`Map`), a list (index keys; a gap is padded with
 *   `null`) or a custom object's storage;
 * - OBJECT gives an empty `Map`, ARRAY an empty array, CUSTOM_OBJECT an {@link AimObject} with
 *   `Map` storage (any alias: unknown aliases are not an error, unlike in Aim);
 * - a BLOB record gives an {@link AimBlob} wrapping its decoded value, so
 *   `decodeTree(encodeTree(v))` reproduces `v` exactly (e.g. `aimText('hi')`);
 * - as in Aim: a record with the same path as the one just before it is ignored (the first wins);
 *   a path met again later replaces what was there.
 *
 * Dicts are `Map`s whose keys are strings and bigints (int keys), in record order.
 *
 * @throws {AimCodecError} for no records, a malformed key or value, a record under a scalar or
 *   BLOB, a string key or negative index into a list, list padding beyond `maxListPadding`, a
 *   root record after other records, a record whose path is a prefix of the previous one's (out
 *   of order), or a BLOB record holding a marker.
 */
export function decodeTree(records: readonly AimRecord[], options: DecodeTreeOptions = {}): AimValue {
  const first = records[0];
  if (first === undefined) throw new AimCodecError('no records: an empty tree (Aim raises KeyError)');
  const maxPadding = options.maxListPadding ?? DEFAULT_MAX_LIST_PADDING;
  let paddingBudget = Number.isFinite(maxPadding) ? BigInt(Math.max(0, Math.floor(maxPadding))) : 1n << 64n;
  let start = 0;
  let root: Node;
  if (first.key.length === 0) {
    root = decodeNode(first);
    start = 1;
  } else {
    root = new Map<AimKey, AimValue>();
  }
  /** stack[i] is the node at prevPath[0, i), for i ≤ prevPath.length (entries beyond are stale). */
  const stack: Node[] = [root];
  let prevPath: AimKey[] = [];

  /** Stores `child` under `keys[depth]` of `parent` (the node at `keys[0, depth)`). */
  const store = (parent: Node, keys: readonly AimKey[], depth: number, child: Node): void => {
    const key = keys[depth] as AimKey;
    if (parent instanceof Map) {
      (parent as Map<AimKey, AimValue>).set(key, child);
    } else if (Array.isArray(parent)) {
      const list = parent as AimValue[];
      if (typeof key !== 'bigint') throw new AimCodecError(`string key ${JSON.stringify(key)} into a list at ${formatKeys(keys.slice(0, depth))}`);
      if (key < 0n) throw new AimCodecError(`negative list index ${key.toString()} at ${formatKeys(keys.slice(0, depth))}`);
      const length = BigInt(list.length);
      if (key < length) {
        list[Number(key)] = child;
        return;
      }
      const gap = key - length;
      if (gap > paddingBudget) {
        throw new AimCodecError(
          `list index ${key.toString()} at ${formatKeys(keys.slice(0, depth))} needs more than the allowed list padding (a hash-keyed array?)`,
        );
      }
      paddingBudget -= gap;
      for (let i = 0n; i < gap; i++) list.push(null);
      list.push(child);
    } else if (parent instanceof AimObject) {
      (parent.storage as Map<AimKey, AimValue>).set(key, child);
    } else {
      throw new AimCodecError(`a record under ${describeNode(parent)} at ${formatKeys(keys.slice(0, depth))}`);
    }
  };

  for (let r = start; r < records.length; r++) {
    const record = records[r] as AimRecord;
    const keys = decodePath(record.key);
    const n = keys.length;
    const m = Math.min(n, prevPath.length);
    let common = 0;
    while (common < m && keys[common] === prevPath[common]) common++;
    if (common === n) {
      if (n === prevPath.length) continue; // the same path again: Aim keeps the first
      throw new AimCodecError(
        n === 0 ? 'a root record after other records' : `record ${formatKeys(keys)} comes after its descendant ${formatKeys(prevPath)} (not pre-order)`,
      );
    }
    // stack[0..common] stay valid; deeper entries are overwritten (never read before that).
    for (let j = common; j < n - 1; j++) {
      const implied = new Map<AimKey, AimValue>();
      store(stack[j] as Node, keys, j, implied);
      stack[j + 1] = implied;
    }
    const node = decodeNode(record);
    store(stack[n - 1] as Node, keys, n - 1, node);
    stack[n] = node;
    prevPath = keys;
  }
  return root;
}

function formatKeys(keys: readonly AimKey[]): string {
  return `[${keys.map((key) => (typeof key === 'string' ? JSON.stringify(key) : `${key.toString()}n`)).join(', ')}]`;
}

/**
 * Parses and rebuilds a complete payload: `decodeTree(parseRecords(bytes))`.
 *
 * @throws {AimCodecError} (see {@link parseRecords} and {@link decodeTree}).
 */
export function unpackTree(bytes: Uint8Array, options: DecodeTreeOptions & ParseRecordsOptions = {}): AimValue {
  return decodeTree(parseRecords(bytes, options), options);
}
