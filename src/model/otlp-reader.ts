/**
 * The parts of OTLP request decoding that every signal shares: the resource / scope / item walk
 * with per-item rejection, ids, 64-bit integers, doubles, bytes, attributes and `AnyValue`, in both
 * decoded forms (a protobufjs message, or parsed OTLP JSON). See `from-otlp.ts` (traces),
 * `from-otlp-logs.ts` and `from-otlp-metrics.ts` for the signals.
 */
import type { AttributeValue, Attributes, SpanOrigin } from './span-record.js';

/** Default of the `maxValueDepth` options: how many `AnyValue` levels an attribute value may have. */
export const DEFAULT_MAX_VALUE_DEPTH = 32;

/** The request itself is not an OTLP export request of its signal (outside any item). */
export class OtlpShapeError extends Error {
  override readonly name = 'OtlpShapeError';
  /** The offending field, e.g. `resourceSpans[0].scopeSpans`; empty for the request itself. */
  readonly path: string;

  constructor(path: string, problem: string) {
    super(path === '' ? `the request ${problem}` : `${path} ${problem}`);
    this.path = path;
  }
}

/** The items of one request (spans, log records, metric points), and what was rejected. */
export interface OtlpItems<T> {
  /** The accepted items, in request order. */
  readonly items: T[];
  /** How many items were rejected (the `partial_success` count to report). */
  readonly rejected: number;
  /** English reasons, one per rejected item or warning, each starting with the item's path. */
  readonly errors: string[];
}

/** Where a signal keeps its items: `resourceSpans[].scopeSpans[].spans[]` and the like. */
export interface OtlpLayout {
  readonly resources: string;
  readonly scopes: string;
  readonly items: string;
}

/** Reads one item; throws {@link Problem} to reject it. `warn` records a warning (the item is kept). */
export type ItemReader<T> = (value: unknown, origin: SpanOrigin, warn: (problem: Problem) => void) => T | readonly T[];

/**
 * Walks a decoded request: resources, scopes, items. A problem inside an item rejects that item
 * (counted, its reason in `errors`, at most `maxErrors` reasons then one `… N more` line); a
 * problem outside the items throws {@link OtlpShapeError}.
 */
export function walkOtlpRequest<T>(request: unknown, layout: OtlpLayout, maxDepth: number, maxErrors: number, readItem: ItemReader<T>): OtlpItems<T> {
  const items: T[] = [];
  const errors: string[] = [];
  let rejected = 0;
  let omitted = 0;
  const note = (message: string): void => {
    if (errors.length < maxErrors) errors.push(message);
    else omitted++;
  };
  // One warnings list and one closure for every item (no allocation per item on the hot path).
  const warnings: Problem[] = [];
  const warn = (problem: Problem): void => {
    warnings.push(problem);
  };
  if (!isObject(request)) throw new OtlpShapeError('', 'must be an object');
  const resources = listAt(request, layout.resources, '');
  for (let r = 0; r < resources.length; r++) {
    const rPath = `${layout.resources}[${r}]`;
    const rs = objectIn(resources, r, layout.resources);
    const resource = readResource(rs.resource, `${rPath}.resource`, maxDepth);
    const scopes = listAt(rs, layout.scopes, rPath);
    for (let s = 0; s < scopes.length; s++) {
      const sPath = `${rPath}.${layout.scopes}[${s}]`;
      const ss = objectIn(scopes, s, `${rPath}.${layout.scopes}`);
      const origin = readOrigin(resource, ss.scope, `${sPath}.scope`);
      const list = listAt(ss, layout.items, sPath);
      for (let i = 0; i < list.length; i++) {
        warnings.length = 0;
        try {
          const read = readItem(list[i], origin, warn);
          if (Array.isArray(read)) items.push(...(read as readonly T[]));
          else items.push(read as T);
        } catch (error) {
          if (!(error instanceof Problem)) throw error;
          rejected++;
          note(`${sPath}.${layout.items}[${i}]${error.where()} ${error.message}`);
          continue;
        }
        for (const warning of warnings) note(`${sPath}.${layout.items}[${i}]${warning.where()} ${warning.message}`);
      }
    }
  }
  if (omitted > 0) errors.push(`… ${omitted} more`);
  return { items, rejected, errors };
}

type Obj = Record<string, unknown>;

/**
 * Why an item (or a part of it) cannot be accepted. Thrown where the problem is found, with the
 * path from the item down to the field collected into `segments` while unwinding (innermost first).
 */
export class Problem extends Error {
  readonly segments: string[] = [];

  /** Adds the next outer path segment (`.name` or `[i]`). */
  at(segment: string): this {
    this.segments.push(segment);
    return this;
  }

  /** The path from the item to the field, e.g. `.attributes[2].value.intValue`. */
  where(): string {
    return this.segments.reduceRight((path, segment) => path + segment, '');
  }
}

/** Adds `segment` (the next outer one) to the path of `error` when it is a {@link Problem}; returns it to rethrow. */
export function within(error: unknown, segment: string): unknown {
  return error instanceof Problem ? error.at(segment) : error;
}

/** Runs `read`, prefixing `segment` to the path of a {@link Problem} it throws. */
export function under<T>(segment: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    throw within(error, segment);
  }
}

/** A plain object (not an array, not bytes). */
export function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/** A list inside an item; absent is empty. */
export function itemList(value: unknown, segment: string): readonly unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new Problem('must be an array').at(segment);
  return value;
}

// ---- outside the spans: shape errors reject the request ----

function listAt(obj: Obj, key: string, path: string): readonly unknown[] {
  const value = obj[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new OtlpShapeError(join(path, key), 'must be an array');
  return value;
}

function objectIn(list: readonly unknown[], index: number, path: string): Obj {
  const value = list[index];
  if (!isObject(value)) throw new OtlpShapeError(`${path}[${index}]`, 'must be an object');
  return value;
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function readResource(value: unknown, path: string, maxDepth: number): Attributes {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw new OtlpShapeError(path, 'must be an object');
  return shapeChecked(path, () => under('.attributes', () => readAttributes(value.attributes, maxDepth)));
}

function readOrigin(resource: Attributes, value: unknown, path: string): SpanOrigin {
  if (value === undefined || value === null) return { resource, scopeName: '' };
  if (!isObject(value)) throw new OtlpShapeError(path, 'must be an object');
  const scopeName = shapeChecked(path, () => optionalString(value.name, '.name'));
  const scopeVersion = shapeChecked(path, () => optionalString(value.version, '.version'));
  return scopeVersion === '' ? { resource, scopeName } : { resource, scopeName, scopeVersion };
}

/** Runs a span-level reader on a resource or scope, turning its {@link Problem} into a shape error. */
function shapeChecked<T>(path: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof Problem)) throw error;
    throw new OtlpShapeError(path + error.where(), error.message);
  }
}

// ---- scalars ----

export function optionalString(value: unknown, segment: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new Problem('must be a string').at(segment);
  return value;
}

/** An enum by its integer (unknown integers read as the first, zero name) or its proto value name. */
export function enumName<T>(value: unknown, names: readonly T[], words: readonly string[], segment: string): T {
  const fallback = names[0] as T;
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'number' && Number.isInteger(value)) return names[value] ?? fallback;
  if (typeof value === 'string' && words.includes(value)) return names[words.indexOf(value)] ?? fallback;
  throw new Problem('must be an integer').at(segment);
}

const ZERO_TRACE = '0'.repeat(32);
/** An all-zero span id (proto3's way of saying none). */
export const ZERO_SPAN = '0'.repeat(16);
const HEX_32 = /^[0-9a-fA-F]{32}$/;
const HEX_16 = /^[0-9a-fA-F]{16}$/;

/** An id as lowercase hex; '' when absent or empty. Bytes (protobuf) or hex (JSON). */
export function readId(value: unknown, bytes: 16 | 8, segment: string): string {
  if (value === undefined || value === null) return '';
  if (value instanceof Uint8Array) {
    if (value.length === 0) return '';
    if (value.length !== bytes) throw new Problem(`must be ${bytes} bytes (got ${value.length})`).at(segment);
    return (Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength)).toString('hex');
  }
  if (typeof value === 'string') {
    if (value === '') return '';
    if (!(bytes === 16 ? HEX_32 : HEX_16).test(value)) {
      throw new Problem(`must be ${bytes * 2} hex digits (got ${describeString(value)})`).at(segment);
    }
    return value.toLowerCase();
  }
  // protobufjs keeps an empty array as the default of an unset bytes field.
  if (Array.isArray(value) && value.length === 0) return '';
  throw new Problem('must be a hex string').at(segment);
}

export function requiredId(value: unknown, bytes: 16 | 8, segment: string): string {
  const id = readId(value, bytes, segment);
  if (id === '') throw new Problem('is missing').at(segment);
  if (id === (bytes === 16 ? ZERO_TRACE : ZERO_SPAN)) throw new Problem('must not be all zeros').at(segment);
  return id;
}

/** A short, safe description of a bad string for an error message (never the whole value). */
function describeString(value: string): string {
  return value.length > 40 ? `${value.length} characters` : JSON.stringify(value);
}

interface LongLike {
  readonly low: number;
  readonly high: number;
  readonly unsigned?: boolean;
}

function isLong(value: object): value is LongLike {
  return typeof (value as Partial<LongLike>).low === 'number' && typeof (value as Partial<LongLike>).high === 'number';
}

const U64_MAX = 2n ** 64n - 1n;
const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;
const TWO_32 = 4294967296;
const DECIMAL_U64 = /^[0-9]{1,20}$/;
const DECIMAL_I64 = /^-?[0-9]{1,19}$/;

/** A fixed64 (nanosecond time): `Long`, decimal string or number; absent is 0. */
export function readU64(value: unknown, segment: string): bigint {
  if (value === undefined || value === null) return 0n;
  let result: bigint;
  if (typeof value === 'object' && isLong(value)) {
    result = (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
  } else if (typeof value === 'string' && DECIMAL_U64.test(value)) {
    result = BigInt(value);
  } else if (typeof value === 'number' && Number.isInteger(value)) {
    result = BigInt(value);
  } else if (typeof value === 'bigint') {
    result = value;
  } else {
    throw new Problem('must be an unsigned 64-bit integer (a decimal string or number)').at(segment);
  }
  if (result < 0n || result > U64_MAX) throw new Problem('is out of the unsigned 64-bit range').at(segment);
  return result;
}

/** An int64: a `number` when safe, else a `bigint`. */
export function readI64(value: unknown, segment: string): number | bigint {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Problem('must be an integer').at(segment);
    if (Number.isSafeInteger(value)) return value;
    return inI64Range(BigInt(value), segment);
  }
  if (typeof value === 'object' && value !== null && isLong(value)) {
    if (value.unsigned === true && value.high < 0) return inI64Range((BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0), segment);
    const n = value.high * TWO_32 + (value.low >>> 0);
    return Number.isSafeInteger(n) ? n : (BigInt(value.high | 0) << 32n) + BigInt(value.low >>> 0);
  }
  if (typeof value === 'string' && DECIMAL_I64.test(value)) {
    const big = inI64Range(BigInt(value), segment);
    const n = Number(big);
    return Number.isSafeInteger(n) ? n : big;
  }
  if (typeof value === 'bigint') {
    const big = inI64Range(value, segment);
    return Number.isSafeInteger(Number(big)) ? Number(big) : big;
  }
  throw new Problem('must be a 64-bit integer (a decimal string or number)').at(segment);
}

function inI64Range(value: bigint, segment: string): bigint {
  if (value < I64_MIN || value > I64_MAX) throw new Problem('is out of the signed 64-bit range').at(segment);
  return value;
}

const DOUBLE_WORDS: Readonly<Record<string, number>> = {
  NaN: Number.NaN,
  Infinity: Number.POSITIVE_INFINITY,
  '-Infinity': Number.NEGATIVE_INFINITY,
};
const DECIMAL_DOUBLE = /^-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$/;

export function readDouble(value: unknown, segment: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const word = DOUBLE_WORDS[value];
    if (word !== undefined) return word;
    if (DECIMAL_DOUBLE.test(value)) return Number(value);
  }
  throw new Problem('must be a number').at(segment);
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

export function readBytes(value: unknown, segment: string): Uint8Array {
  // A copy: a protobufjs view would keep the whole request body alive as long as the record.
  if (value instanceof Uint8Array) return new Uint8Array(value);
  if (typeof value === 'string' && BASE64.test(value) && value.length % 4 !== 1) {
    return new Uint8Array(Buffer.from(value, 'base64'));
  }
  if (Array.isArray(value) && value.length === 0) return new Uint8Array(0);
  throw new Problem('must be base64').at(segment);
}

// ---- attributes and AnyValue ----

/** Sets `key` on a fresh plain object, also when the key is `__proto__`. */
function put(target: Record<string, AttributeValue>, key: string, value: AttributeValue): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

export function readAttributes(value: unknown, maxDepth: number): Attributes {
  if (value === undefined || value === null) return {};
  if (!Array.isArray(value)) throw new Problem('must be an array');
  return readKeyValues(value, 1, maxDepth);
}

function readKeyValues(list: readonly unknown[], depth: number, maxDepth: number): Record<string, AttributeValue> {
  const result: Record<string, AttributeValue> = {};
  for (let i = 0; i < list.length; i++) {
    const kv = list[i];
    try {
      if (!isObject(kv)) throw new Problem('must be an object (KeyValue)');
      const key = optionalString(kv.key, '.key');
      let item: AttributeValue;
      try {
        item = readAnyValue(kv.value, depth, maxDepth);
      } catch (error) {
        throw within(error, '.value');
      }
      put(result, key, item);
    } catch (error) {
      throw within(error, `[${i}]`);
    }
  }
  return result;
}

const ONE_OF: readonly string[] = ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'];

export function readAnyValue(value: unknown, depth: number, maxDepth: number): AttributeValue {
  if (value === undefined || value === null) return null;
  if (!isObject(value)) throw new Problem('must be an object (AnyValue)');
  if (depth > maxDepth) throw new Problem(`is nested deeper than ${maxDepth} levels`);
  // Own keys: a protobufjs message has only its set oneof member as an own property (defaults
  // live on the prototype), parsed JSON has what was sent (unknown keys are skipped).
  const keys = Object.keys(value);
  let which: string | undefined;
  for (const key of keys) {
    if (!ONE_OF.includes(key) || value[key] === null || value[key] === undefined) continue;
    if (which !== undefined) throw new Problem(`must hold one value, not both ${which} and ${key}`);
    which = key;
  }
  switch (which) {
    case undefined:
      return null;
    case 'stringValue':
      return optionalString(value.stringValue, '.stringValue');
    case 'boolValue':
      if (typeof value.boolValue !== 'boolean') throw new Problem('must be a boolean').at('.boolValue');
      return value.boolValue;
    case 'intValue':
      return readI64(value.intValue, '.intValue');
    case 'doubleValue':
      return readDouble(value.doubleValue, '.doubleValue');
    case 'bytesValue':
      return readBytes(value.bytesValue, '.bytesValue');
    case 'arrayValue':
      return under('.arrayValue', () => readArray(value.arrayValue, depth, maxDepth));
    case 'kvlistValue':
      return under('.kvlistValue', () => readKvList(value.kvlistValue, depth, maxDepth));
    default:
      return null;
  }
}

function valuesOf(container: unknown): readonly unknown[] {
  if (!isObject(container)) throw new Problem('must be an object');
  const values = container.values;
  if (values === undefined || values === null) return [];
  if (!Array.isArray(values)) throw new Problem('must be an array').at('.values');
  return values;
}

function readArray(container: unknown, depth: number, maxDepth: number): AttributeValue[] {
  const values = valuesOf(container);
  const result: AttributeValue[] = [];
  for (let i = 0; i < values.length; i++) {
    try {
      result.push(readAnyValue(values[i], depth + 1, maxDepth));
    } catch (error) {
      throw within(within(error, `[${i}]`), '.values');
    }
  }
  return result;
}

function readKvList(container: unknown, depth: number, maxDepth: number): Record<string, AttributeValue> {
  const values = valuesOf(container);
  try {
    return readKeyValues(values, depth + 1, maxDepth);
  } catch (error) {
    throw within(error, '.values');
  }
}
