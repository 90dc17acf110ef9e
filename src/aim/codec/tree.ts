/**
 * Tree flattening (spec §8.2, Aim's `encode_tree`) and rebuilding (§8.3, Aim's `decode_tree`): a
 * value becomes a pre-order list of `(encoded path, encoded value)` records, framed by
 * `framing.ts`.
 */
import { AimCodecError, AimEncodeError } from '../errors.js';
import { ByteWriter, isWellFormed, putU32LE } from './bytes.js';
import { type AimRecord, type ParseRecordsOptions, parseRecords } from './framing.js';
import { decodePath, keyProblem, writeIndexKey, writeKey } from './path.js';
import { AimTag, type AimMarker, type AimScalar, decodeValue, scalarProblem, writeScalar } from './value.js';
import { type AimKey, type AimValue, AimBlob, AimObject } from './values.js';

/**
 * The deepest nesting {@link encodeTree} accepts (the root is depth 0). Deeper input is refused
 * (it is almost certainly a cycle); Aim's own recursive encoder gives up far earlier.
 */
export const MAX_TREE_DEPTH = 1000;

/** Scratch buffers are kept between calls up to this size; larger ones are dropped after use. */
const SCRATCH_KEEP_LIMIT = 1 << 20;

/**
 * Copies `source[0, length)` to `target` at `at`. Record keys are short (tens of bytes) and copied
 * once per record; for those a plain loop beats `Buffer#copy` (whose native call and view
 * allocation dominated profiles), so the loop is used below 64 bytes.
 */
function copyBytes(source: Buffer, length: number, target: Buffer, at: number): void {
  if (length < 64) {
    for (let i = 0; i < length; i++) target[at + i] = source[i] as number;
  } else {
    target.set(source.subarray(0, length), at);
  }
}

/** Walks a value and writes its framed records straight into one output buffer. */
class TreeWriter {
  readonly out: ByteWriter;
  /** The encoded path of the node being visited: `path.buf[0, path.pos)`. */
  readonly path: ByteWriter;

  constructor() {
    this.out = new ByteWriter(1024);
    this.path = new ByteWriter(256);
  }

  reset(): void {
    this.out.pos = 0;
    this.path.pos = 0;
  }

  fail(message: string): never {
    throw new AimEncodeError(message, decodePath(this.path.buf.subarray(0, this.path.pos)));
  }

  /** Writes the record header for the current path; returns where the value length goes. */
  private begin(isBlob: boolean): number {
    const { out, path } = this;
    const keyLength = path.pos;
    out.reserve(9 + keyLength);
    const buf = out.buf;
    let at = out.pos;
    putU32LE(buf, at, keyLength);
    at += 4;
    copyBytes(path.buf, keyLength, buf, at);
    at += keyLength;
    buf[at] = isBlob ? 1 : 0;
    out.pos = at + 5;
    return at + 1;
  }

  private finish(lengthAt: number): void {
    const { out } = this;
    const length = out.pos - lengthAt - 4;
    if (length > 0xffff_ffff) this.fail('a value is longer than 2^32-1 bytes, the most a record can hold');
    putU32LE(out.buf, lengthAt, length);
  }

  private tagRecord(tag: number): void {
    const lengthAt = this.begin(false);
    this.out.u8(tag);
    this.finish(lengthAt);
  }

  private scalarRecord(value: AimScalar, isBlob: boolean): void {
    const lengthAt = this.begin(isBlob);
    writeScalar(this.out, value);
    this.finish(lengthAt);
  }

  /** Enters a child by key (validated); returns the path length to restore. */
  private enter(key: unknown): number {
    const problem = keyProblem(key);
    if (problem !== undefined) this.fail(problem);
    const saved = this.path.pos;
    writeKey(this.path, key as AimKey);
    return saved;
  }

  private fields(entries: Iterable<readonly [unknown, AimValue]>, depth: number): void {
    for (const [key, child] of entries) {
      const saved = this.enter(key);
      this.node(child, depth);
      this.path.pos = saved;
    }
  }

  node(value: AimValue, depth: number): void {
    switch (typeof value) {
      case 'boolean':
      case 'number':
        this.scalarRecord(value, false);
        return;
      case 'bigint':
      case 'string': {
        const problem = scalarProblem(value);
        if (problem !== undefined) this.fail(problem);
        this.scalarRecord(value, false);
        return;
      }
      case 'object':
        break;
      default:
        this.fail(`a value of type ${typeof value} cannot be encoded`);
    }
    if (value === null || value instanceof Uint8Array) {
      this.scalarRecord(value, false);
      return;
    }
    if (depth >= MAX_TREE_DEPTH) this.fail(`the tree is nested deeper than ${String(MAX_TREE_DEPTH)} levels (a cycle?)`);
    const next = depth + 1;
    if (Array.isArray(value)) {
      const list = value as readonly AimValue[];
      this.tagRecord(AimTag.ARRAY);
      const saved = this.path.pos;
      for (let i = 0; i < list.length; i++) {
        writeIndexKey(this.path, i);
        this.node(list[i] as AimValue, next);
        this.path.pos = saved;
      }
    } else if (value instanceof Map) {
      const map = value as ReadonlyMap<unknown, AimValue>;
      if (map.size === 0) this.tagRecord(AimTag.OBJECT);
      else this.fields(map, next);
    } else if (value instanceof AimObject) {
      if (!isWellFormed(value.alias)) this.fail('a custom object alias with a lone UTF-16 surrogate cannot be encoded');
      const lengthAt = this.begin(false);
      this.out.u8(AimTag.CUSTOM_OBJECT);
      this.out.utf8(value.alias);
      this.finish(lengthAt);
      this.fields(value.storage, next);
    } else if (value instanceof AimBlob) {
      const inner = value.value;
      if (inner === null) this.fail('a BLOB of null cannot be encoded (Aim fails on BLOB(None) too)');
      const problem = scalarProblem(inner);
      if (problem !== undefined) {
        this.fail(problem === 'not a scalar' ? 'a BLOB must wrap a scalar (null, boolean, bigint, number, string or bytes)' : problem);
      }
      this.scalarRecord(inner as AimScalar, true);
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
        const saved = this.enter(key);
        this.node(object[key] as AimValue, next);
        this.path.pos = saved;
      }
    }
  }
}

let scratch: TreeWriter | undefined;
let scratchBusy = false;

/**
 * Flattens and frames `value` in one pass: the bytes of `packRecords(encodeTree(value))`, i.e.
 * Aim's `pack_args(encode_tree(value))`. This is the fast path for building messages.
 *
 * @throws {AimEncodeError} (see {@link encodeTree}).
 */
export function packTree(value: AimValue): Buffer {
  const reuse = !scratchBusy;
  const writer = reuse ? (scratch ??= new TreeWriter()) : new TreeWriter();
  if (reuse) scratchBusy = true;
  try {
    writer.reset();
    writer.node(value, 0);
    return writer.out.copyOut();
  } finally {
    if (reuse) {
      scratchBusy = false;
      if (writer.out.buf.length > SCRATCH_KEEP_LIMIT || writer.path.buf.length > SCRATCH_KEEP_LIMIT) scratch = undefined;
    }
  }
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
        throw new AimCodecError(`list index ${key.toString()} at ${formatKeys(keys.slice(0, depth))} needs more than the allowed list padding (a hash-keyed array?)`);
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
