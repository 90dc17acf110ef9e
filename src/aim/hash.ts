/**
 * Aim's deterministic hash, `aim.storage.hashing.hash_auto` (Aim 3.29.1), and the two ids built on
 * it: context ids (`hash(Context(dict))`) and the step keys of v2 (int/float) metric sequences.
 *
 * Every digest is BLAKE2b with an 8-byte digest and a fixed per-type 8-byte salt (zero-padded to
 * BLAKE2b's 16-byte salt field, as Python's `hashlib` does), read as a little-endian signed i64.
 * Numbers go through CPython's numeric hash for doubles first (`det_hash`, modulus 2^61 − 1, without
 * CPython's −1 → −2 remap), so equal numbers hash equally whatever their type: `0n`, `0`, `-0`,
 * `false` (and NaN, which `det_hash` maps to 0) all hash alike. See the wire-protocol reference §14.
 */
import { blake2b } from '@noble/hashes/blake2.js';
import type { AimKey, AimValue } from './codec/values.js';
import { AimBlob, AimObject } from './codec/values.js';

/** A dict as {@link hashAuto} and {@link contextId} take it: a `Map`, or a plain string-keyed object. */
export type AimDict = ReadonlyMap<AimKey, AimValue> | { readonly [key: string]: AimValue };

type Hasher = ReturnType<typeof blake2b.create>;

/** A BLAKE2b state with one of Aim's salts absorbed, cloned into a working state for each digest. */
function saltedBlake2b(salt: bigint): Hasher {
  const salt16 = new Uint8Array(16); // Aim's 8-byte salt, zero-padded like hashlib does.
  new DataView(salt16.buffer).setBigInt64(0, salt, true);
  return blake2b.create({ dkLen: 8, salt: salt16 });
}

// Aim's fixed salts (aim/storage/hashing/hashing.py).
const UNIFORM = saltedBlake2b(-7494597716789683807n);
const ARRAY = saltedBlake2b(2965039128708897743n);
const OBJECT = saltedBlake2b(-2435585119574290752n);
const STR = saltedBlake2b(7540324813251503183n);
const BYTES = saltedBlake2b(-6836296829636613855n);

/** Aim's hard-coded hash of `None`. */
const HASH_NONE = 1393794177995070132n;

// Scratch state shared by every digest. Each use is a reset-update-digest sequence with no hashing
// in between (children are always hashed before their parent's bytes are written), so one working
// state and one output buffer suffice: no allocation per digest beyond the returned bigint.
const work: Hasher = blake2b.create({ dkLen: 8 });
const out = new Uint8Array(8);
const outView = new DataView(out.buffer);
const scratch = new Uint8Array(16);
const scratchView = new DataView(scratch.buffer);
const scratch8 = scratch.subarray(0, 8);
const utf8 = new TextEncoder();

/** BLAKE2b-64 of `bytes` with the salt of `salted`, as a signed i64 (LE). */
function digest(salted: Hasher, bytes: Uint8Array): bigint {
  salted._cloneInto(work);
  work.update(bytes);
  work.digestInto(out);
  return outView.getBigInt64(0, true);
}

const TWO_32 = 4294967296;
/** The Mersenne prime 2^61 − 1, CPython's numeric-hash modulus. */
const MODULUS = (1n << 61n) - 1n;
const HASH_INF = 314159;
/** Largest integer the fast path handles: |v| ≤ 2^53 < 2^61 − 1, where `det_hash(v) = v`. */
const FAST_INT_MAX = 2 ** 53;

/**
 * Writes `det_hash(v)` (Aim's `le_Py_HashDouble`, CPython's double hash minus the −1 → −2 remap)
 * into `scratch[0..8]` as LE i64.
 *
 * Closed form: NaN → 0, ±inf → ±314159; otherwise with |v| = M·2^E (M the integer significand),
 * `sign(v) · (M · 2^(E mod 61) mod (2^61 − 1))`. This is exact: 2 has order 61 modulo 2^61 − 1, so
 * the exponent reduces mod 61, which is what CPython's 28-bits-at-a-time loop computes.
 */
function writeDetHash(v: number): void {
  if (Number.isInteger(v) && v <= FAST_INT_MAX && v >= -FAST_INT_MAX) {
    // Integral and below the modulus: the hash is v itself. Two's complement via ToUint32 of the
    // low word and of the (exact) floored high word; -0 writes 0.
    scratchView.setUint32(0, v >>> 0, true);
    scratchView.setUint32(4, Math.floor(v / TWO_32) >>> 0, true);
    return;
  }
  if (Number.isNaN(v)) {
    scratchView.setBigInt64(0, 0n, true);
    return;
  }
  if (!Number.isFinite(v)) {
    scratchView.setBigInt64(0, BigInt(v > 0 ? HASH_INF : -HASH_INF), true);
    return;
  }
  scratchView.setFloat64(0, v, true);
  const lo = scratchView.getUint32(0, true);
  const hi = scratchView.getUint32(4, true);
  const biased = (hi >>> 20) & 0x7ff;
  const fraction = (hi & 0xfffff) * TWO_32 + lo; // < 2^52: exact as a double
  const significand = biased === 0 ? fraction : fraction + 2 ** 52; // subnormals have no implicit 1
  const exponent = biased === 0 ? -1074 : biased - 1075;
  const shift = ((exponent % 61) + 61) % 61;
  const x = (BigInt(significand) << BigInt(shift)) % MODULUS;
  scratchView.setBigInt64(0, hi >>> 31 ? -x : x, true);
}

/** Aim's `hash_number`: `det_hash` of the value, then spread through BLAKE2b (salt UNIFORM). */
function hashDouble(v: number): bigint {
  writeDetHash(v);
  return digest(UNIFORM, scratch8);
}

/** An Aim int as the double Aim converts it to (round half to even, like Python's `float(int)`). */
function intToDouble(v: bigint): number {
  const d = Number(v);
  if (!Number.isFinite(d)) {
    // Python raises OverflowError converting such an int to float; Aim cannot hash it either.
    throw new RangeError(`Aim cannot hash the int ${v}: it is too large to convert to a float`);
  }
  return d;
}

/** Aim's `hash_array`: BLAKE2b (salt ARRAY) of the elements' hashes as LE i64, in order. */
function hashArray(items: readonly AimValue[]): bigint {
  const bytes = new Uint8Array(items.length * 8);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < items.length; i += 1) {
    view.setBigInt64(i * 8, hashAuto(items[i] as AimValue), true);
  }
  return digest(ARRAY, bytes);
}

/** A dict entry with its key's hash, the sort key of Aim's `hash_object`. */
interface HashedEntry {
  keyHash: bigint;
  value: AimValue;
}

function byKeyHash(a: HashedEntry, b: HashedEntry): number {
  return a.keyHash < b.keyHash ? -1 : a.keyHash > b.keyHash ? 1 : 0;
}

/**
 * Aim's `hash_object`: the entries sorted by their key's hash (signed, stable), each hashed as the
 * array `[key, value]`, then BLAKE2b (salt OBJECT) of those pair hashes as LE i64.
 */
function hashDict(dict: AimDict): bigint {
  const entries: HashedEntry[] = [];
  if (isMap(dict)) {
    for (const [key, value] of dict) {
      entries.push({ keyHash: hashAuto(key), value });
    }
  } else {
    for (const [key, value] of Object.entries<AimValue>(dict)) {
      entries.push({ keyHash: hashString(key), value });
    }
  }
  entries.sort(byKeyHash);
  const bytes = new Uint8Array(entries.length * 8);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < entries.length; i += 1) {
    const entry = entries[i] as HashedEntry;
    const valueHash = hashAuto(entry.value);
    // hash_array((key, value)), from the key hash already computed for the sort.
    scratchView.setBigInt64(0, entry.keyHash, true);
    scratchView.setBigInt64(8, valueHash, true);
    view.setBigInt64(i * 8, digest(ARRAY, scratch), true);
  }
  return digest(OBJECT, bytes);
}

/** Aim's `hash_string`: BLAKE2b (salt STR) of the UTF-8 encoding. */
function hashString(value: string): bigint {
  return digest(STR, utf8.encode(value));
}

function isMap(dict: AimDict): dict is ReadonlyMap<AimKey, AimValue> {
  return dict instanceof Map;
}

function isPlainObject(value: object): value is { readonly [key: string]: AimValue } {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Aim's `hash_auto`: the deterministic hash of a value, as a signed 64-bit integer.
 *
 * - `null` (Python `None`): the constant 1393794177995070132.
 * - `boolean`: the hash of the number 0 or 1, so `false`, `0n`, `0` and `-0` hash alike.
 * - `bigint` (Aim int) and `number` (Aim float): one numeric hash, so `1n` and `1` hash alike. Ints
 *   are converted to a double first, as Aim does, so ints beyond ±2^53 round (half to even) and
 *   `2n ** 53n + 1n` hashes like `2 ** 53`. NaN hashes like 0. An int too large for a double (about
 *   ±2^1024) throws a `RangeError`, where Python raises `OverflowError`.
 * - `string`: the hash of its UTF-8 encoding. A lone surrogate is encoded as U+FFFD, as
 *   `TextEncoder` does (Python's strict encoder would raise instead).
 * - `Uint8Array` (bytes): the hash of the bytes; never equal to the hash of the same bytes as a string.
 * - arrays (Python lists and tuples alike): order matters.
 * - dicts (`Map`, or plain objects with string keys): order does not matter. `Map` keys may be
 *   strings or bigints (Aim ints); the string `'1'` and the int `1n` are different keys.
 *
 * Throws a `TypeError` for anything else, including custom objects ({@link AimObject}) and blobs
 * ({@link AimBlob}), which Aim's `hash_auto` rejects with `NotImplementedError`. Cyclic values
 * overflow the stack (`RangeError`), as they exhaust Python's recursion limit.
 */
export function hashAuto(value: AimValue): bigint {
  switch (typeof value) {
    case 'number':
      return hashDouble(value);
    case 'bigint':
      return hashDouble(intToDouble(value));
    case 'string':
      return hashString(value);
    case 'boolean':
      return hashDouble(value ? 1 : 0);
    case 'object':
      if (value === null) return HASH_NONE;
      if (value instanceof Uint8Array) return digest(BYTES, value);
      if (Array.isArray(value)) return hashArray(value as readonly AimValue[]);
      if (value instanceof Map) return hashDict(value);
      if (value instanceof AimObject || value instanceof AimBlob) {
        throw new TypeError(`Aim's hash_auto cannot hash a custom object or blob (${value.constructor.name})`);
      }
      if (isPlainObject(value)) return hashDict(value);
      break;
    default:
      break;
  }
  throw new TypeError(`Aim's hash_auto cannot hash a value of type ${describe(value)}`);
}

function describe(value: unknown): string {
  if (typeof value === 'object' && value !== null) return (value.constructor as { name?: string } | undefined)?.name ?? 'object';
  return typeof value;
}

/**
 * Python's `hash()` applied to an object whose `__hash__` returns `h`: every i64 is kept except −1,
 * which CPython reserves for errors and turns into −2.
 */
export function pythonHash(h: bigint): bigint {
  return h === -1n ? -2n : h;
}

/** `hash_auto({})`, the id of the empty context (before remapping, which does not change it). */
const EMPTY_DICT_HASH = hashDict(new Map());

/**
 * The id of a metric context: Python's `hash(Context(context))`, which is {@link hashAuto} of the
 * context dict with −1 remapped to −2 (see {@link pythonHash}). `null` and `undefined` mean the
 * empty context `{}`, as `Context(None)` does. Key order does not matter. It keys the run's
 * `contexts`, `traces` and `seqs` trees. Not cached: callers that track often should keep the id.
 */
export function contextId(context?: AimDict | null): bigint {
  return pythonHash(context == null ? EMPTY_DICT_HASH : hashDict(context));
}

// Direct-mapped cache of step hashes for non-negative integer steps: slot `step & STEP_CACHE_MASK`
// holds the last such step hashed there. Bounded (1024 slots, about 40 KiB when full); it serves
// the usual pattern where several metrics are tracked at the same, slowly increasing, step (a miss
// costs one BLAKE2b compression, a few µs; a hit some ns).
const STEP_CACHE_SIZE = 1024;
const STEP_CACHE_MASK = STEP_CACHE_SIZE - 1;
const STEP_CACHE_LIMIT = 2 ** 31;
const stepCacheKeys = new Float64Array(STEP_CACHE_SIZE).fill(-1);
const stepCacheValues: bigint[] = new Array<bigint>(STEP_CACHE_SIZE).fill(0n);

/**
 * The key of a step in a v2 (int/float) metric sequence: `hash_auto(step)`, with no −1 remap (Aim
 * stores the raw `hash_auto`). An integral `number` and the equal `bigint` give the same key;
 * bigints beyond ±2^53 round to a double first (see {@link hashAuto}). Hashes of non-negative
 * integer steps below 2^31 are kept in a small bounded cache. Throws a `RangeError` for a bigint too
 * large for a double, as {@link hashAuto} does. v1 sequences (texts, images, ...) key by the raw
 * step instead and need no hash.
 */
export function stepHash(step: number | bigint): bigint {
  const v = typeof step === 'bigint' ? intToDouble(step) : step;
  if (v >= 0 && v < STEP_CACHE_LIMIT && Number.isInteger(v)) {
    const slot = v & STEP_CACHE_MASK;
    if (stepCacheKeys[slot] === v) return stepCacheValues[slot] as bigint;
    const h = hashDouble(v);
    stepCacheKeys[slot] = v;
    stepCacheValues[slot] = h;
    return h;
  }
  return hashDouble(v);
}
