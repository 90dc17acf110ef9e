/**
 * OTLP trace requests → {@link SpanRecord}s (the receiver side of the one neutral shape).
 *
 * Accepts an `ExportTraceServiceRequest` in either of its decoded forms:
 * - a protobufjs message (or its `toObject()`, with or without `longs: String`): ids are bytes,
 *   64-bit integers are `Long`s (or strings), `bytes_value` is a `Uint8Array`;
 * - parsed OTLP JSON: lowerCamelCase keys, ids as hex strings (any case), 64-bit integers as decimal
 *   strings or numbers (a number past 2^53 is taken as the exact value of that double, which is
 *   what a JS sender meant), enums as integers (the proto value names, e.g. `SPAN_KIND_SERVER`, are
 *   tolerated), `bytesValue` as base64 (standard or URL-safe), doubles also as `"NaN"`/`"Infinity"`/
 *   `"-Infinity"` or decimal strings. Unknown keys are ignored; `null` counts as absent (proto3 JSON).
 *
 * Problems are attributed to the smallest unit that contains them:
 * - inside a span (bad ids, times, attribute values, nesting too deep, wrong JSON types): that span
 *   is **rejected**, counted in `rejected`, and its reason recorded in `errors`;
 * - a link with an absent, malformed or all-zero id is **dropped** from its span (the span is kept),
 *   with a warning in `errors`: SDKs emit such links for invalid span contexts;
 * - outside the spans (the request, resource or scope is not of the right shape): the whole request
 *   is invalid, {@link OtlpShapeError} is thrown. OTLP encoders never produce these, so they mean a
 *   broken sender rather than bad data.
 *
 * Decisions (per span): a trace id of 16 bytes / 32 hex digits and a span id of 8 bytes / 16 hex
 * digits, neither all zeros, are required; an absent or all-zero parent span id means a root span;
 * `startTimeUnixNano` must be non-zero and `endTimeUnixNano` not before it (the mapping derives
 * durations from them); an empty name is kept (proto3 cannot tell it from an absent one); unknown
 * `kind` / status `code` integers read as `unspecified` / `unset` (newer protocol versions may add
 * values); `traceState`, `flags`, `schemaUrl`, dropped counts and scope attributes are not kept.
 * Attribute sizes are not limited here: the request body limit already bounds them, and the mapping
 * decides what to store. Duplicate attribute keys: the last one wins.
 */
import {
  type AttributeValue,
  type Attributes,
  type SpanEventRecord,
  type SpanKindName,
  type SpanLinkRecord,
  type SpanOrigin,
  type SpanRecord,
  type SpanStatusRecord,
} from './span-record.js';

/** The spans of one request, and what was rejected. */
export interface OtlpConversion {
  /** The accepted spans, in request order. */
  readonly spans: SpanRecord[];
  /** How many spans were rejected (the `partial_success.rejected_spans` to report). */
  readonly rejected: number;
  /**
   * English reasons, one per rejected span or dropped link (a link drop alone rejects nothing),
   * each starting with the path of the offending field, e.g.
   * `resourceSpans[0].scopeSpans[0].spans[3].traceId must be 32 hex digits (got "abc")`. At most
   * `maxErrors` of them, then one `… N more` line.
   */
  readonly errors: string[];
}

/** Options of {@link fromOtlpTraceRequest}. */
export interface FromOtlpOptions {
  /**
   * How many `AnyValue` levels an attribute value may have (a scalar is 1, a list of scalars 2).
   * A deeper value rejects its span. Default {@link DEFAULT_MAX_VALUE_DEPTH} (32).
   */
  readonly maxValueDepth?: number;
  /** How many reasons `errors` keeps before summarising the rest. Default 10. */
  readonly maxErrors?: number;
}

/** Default of {@link FromOtlpOptions.maxValueDepth}. */
export const DEFAULT_MAX_VALUE_DEPTH = 32;

/** The request itself is not an `ExportTraceServiceRequest` (outside any span). */
export class OtlpShapeError extends Error {
  override readonly name = 'OtlpShapeError';
  /** The offending field, e.g. `resourceSpans[0].scopeSpans`; empty for the request itself. */
  readonly path: string;

  constructor(path: string, problem: string) {
    super(path === '' ? `the request ${problem}` : `${path} ${problem}`);
    this.path = path;
  }
}

/** Converts a decoded OTLP trace request; throws only {@link OtlpShapeError}. */
export function fromOtlpTraceRequest(request: unknown, options: FromOtlpOptions = {}): OtlpConversion {
  const state: State = {
    maxDepth: options.maxValueDepth ?? DEFAULT_MAX_VALUE_DEPTH,
    maxErrors: options.maxErrors ?? 10,
    spans: [],
    rejected: 0,
    errors: [],
    omitted: 0,
  };
  if (!isObject(request)) throw new OtlpShapeError('', 'must be an object');
  const resourceSpans = listAt(request, 'resourceSpans', '');
  for (let r = 0; r < resourceSpans.length; r++) {
    const rsPath = `resourceSpans[${r}]`;
    const rs = objectIn(resourceSpans, r, 'resourceSpans');
    const resource = readResource(rs.resource, `${rsPath}.resource`, state.maxDepth);
    const scopeSpans = listAt(rs, 'scopeSpans', rsPath);
    for (let s = 0; s < scopeSpans.length; s++) {
      const ssPath = `${rsPath}.scopeSpans[${s}]`;
      const ss = objectIn(scopeSpans, s, `${rsPath}.scopeSpans`);
      const origin = readOrigin(resource, ss.scope, `${ssPath}.scope`);
      const spans = listAt(ss, 'spans', ssPath);
      for (let i = 0; i < spans.length; i++) {
        const dropped: Problem[] = [];
        try {
          state.spans.push(readSpan(spans[i], origin, state.maxDepth, dropped));
        } catch (error) {
          if (!(error instanceof Problem)) throw error;
          state.rejected++;
          note(state, `${ssPath}.spans[${i}]${error.where()} ${error.message}`);
          continue;
        }
        for (const link of dropped) note(state, `${ssPath}.spans[${i}]${link.where()} ${link.message}`);
      }
    }
  }
  if (state.omitted > 0) state.errors.push(`… ${state.omitted} more`);
  return { spans: state.spans, rejected: state.rejected, errors: state.errors };
}

interface State {
  readonly maxDepth: number;
  readonly maxErrors: number;
  readonly spans: SpanRecord[];
  rejected: number;
  readonly errors: string[];
  omitted: number;
}

type Obj = Record<string, unknown>;

/**
 * Why a span (or link) cannot be accepted. Thrown where the problem is found, with the path from
 * the span down to the field collected into `segments` while unwinding (innermost first).
 */
class Problem extends Error {
  readonly segments: string[] = [];

  /** Adds the next outer path segment (`.name` or `[i]`). */
  at(segment: string): this {
    this.segments.push(segment);
    return this;
  }

  /** The path from the span to the field, e.g. `.attributes[2].value.intValue`. */
  where(): string {
    return this.segments.reduceRight((path, segment) => path + segment, '');
  }
}

function note(state: State, message: string): void {
  if (state.errors.length < state.maxErrors) state.errors.push(message);
  else state.omitted++;
}

/** Adds `segment` (the next outer one) to the path of `error` when it is a {@link Problem}; returns it to rethrow. */
function within(error: unknown, segment: string): unknown {
  return error instanceof Problem ? error.at(segment) : error;
}

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
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

// ---- one span ----

const SPAN_KINDS: readonly SpanKindName[] = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];
const STATUS_CODES: readonly SpanStatusRecord['code'][] = ['unset', 'ok', 'error'];
/** The proto enum value names, accepted in JSON too (OTLP senders must use integers; proto3 JSON allows names). */
const SPAN_KIND_WORDS = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER'];
const STATUS_CODE_WORDS = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];
const UNSET: SpanStatusRecord = { code: 'unset' };

function readSpan(value: unknown, origin: SpanOrigin, maxDepth: number, dropped: Problem[]): SpanRecord {
  if (!isObject(value)) throw new Problem('must be an object');
  const traceId = requiredId(value.traceId, 16, '.traceId');
  const spanId = requiredId(value.spanId, 8, '.spanId');
  const parentSpanId = readId(value.parentSpanId, 8, '.parentSpanId');
  const name = optionalString(value.name, '.name');
  const kind = enumName(value.kind, SPAN_KINDS, SPAN_KIND_WORDS, '.kind');
  const startTimeUnixNano = readU64(value.startTimeUnixNano, '.startTimeUnixNano');
  const endTimeUnixNano = readU64(value.endTimeUnixNano, '.endTimeUnixNano');
  if (startTimeUnixNano === 0n) throw new Problem('is missing (0)').at('.startTimeUnixNano');
  if (endTimeUnixNano < startTimeUnixNano) throw new Problem('is before startTimeUnixNano').at('.endTimeUnixNano');
  const attributes = under('.attributes', () => readAttributes(value.attributes, maxDepth));
  const events = readEvents(value.events, maxDepth);
  const links = readLinks(value.links, maxDepth, dropped);
  const status = readStatus(value.status);
  const record: SpanRecord = {
    traceId,
    spanId,
    ...(parentSpanId === '' || parentSpanId === ZERO_SPAN ? {} : { parentSpanId }),
    name,
    kind,
    startTimeUnixNano,
    endTimeUnixNano,
    attributes,
    events,
    links,
    status,
    origin,
  };
  return record;
}

/** Runs `read`, prefixing `segment` to the path of a {@link Problem} it throws. */
function under<T>(segment: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    throw within(error, segment);
  }
}

function spanList(value: unknown, segment: string): readonly unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new Problem('must be an array').at(segment);
  return value;
}

function readEvents(value: unknown, maxDepth: number): SpanEventRecord[] {
  const list = spanList(value, '.events');
  const events: SpanEventRecord[] = [];
  for (let i = 0; i < list.length; i++) {
    const event = list[i];
    try {
      if (!isObject(event)) throw new Problem('must be an object');
      events.push({
        name: optionalString(event.name, '.name'),
        timeUnixNano: readU64(event.timeUnixNano, '.timeUnixNano'),
        attributes: under('.attributes', () => readAttributes(event.attributes, maxDepth)),
      });
    } catch (error) {
      throw within(within(error, `[${i}]`), '.events');
    }
  }
  return events;
}

/** The span's links; one with an absent, malformed or all-zero id is dropped into `dropped`. */
function readLinks(value: unknown, maxDepth: number, dropped: Problem[]): SpanLinkRecord[] {
  const list = spanList(value, '.links');
  const links: SpanLinkRecord[] = [];
  for (let i = 0; i < list.length; i++) {
    const link = list[i];
    try {
      if (!isObject(link)) throw new Problem('must be an object');
      const attributes = under('.attributes', () => readAttributes(link.attributes, maxDepth));
      let traceId: string;
      let spanId: string;
      try {
        traceId = requiredId(link.traceId, 16, '.traceId');
        spanId = requiredId(link.spanId, 8, '.spanId');
      } catch (error) {
        if (!(error instanceof Problem)) throw error;
        // Ids are what a link is: without valid ones it points nowhere. Drop it, keep the span.
        error.message += ': link dropped';
        dropped.push(error.at(`[${i}]`).at('.links'));
        continue;
      }
      links.push({ traceId, spanId, attributes });
    } catch (error) {
      throw within(within(error, `[${i}]`), '.links');
    }
  }
  return links;
}

function readStatus(value: unknown): SpanStatusRecord {
  if (value === undefined || value === null) return UNSET;
  if (!isObject(value)) throw new Problem('must be an object').at('.status');
  const code = under('.status', () => enumName(value.code, STATUS_CODES, STATUS_CODE_WORDS, '.code'));
  const message = under('.status', () => optionalString(value.message, '.message'));
  if (message === '') return code === 'unset' ? UNSET : { code };
  return { code, message };
}

// ---- scalars ----

function optionalString(value: unknown, segment: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new Problem('must be a string').at(segment);
  return value;
}

/** An enum by its integer (unknown integers read as the first, zero name) or its proto value name. */
function enumName<T>(value: unknown, names: readonly T[], words: readonly string[], segment: string): T {
  const fallback = names[0] as T;
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'number' && Number.isInteger(value)) return names[value] ?? fallback;
  if (typeof value === 'string' && words.includes(value)) return names[words.indexOf(value)] ?? fallback;
  throw new Problem('must be an integer').at(segment);
}

const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);
const HEX_32 = /^[0-9a-fA-F]{32}$/;
const HEX_16 = /^[0-9a-fA-F]{16}$/;

/** An id as lowercase hex; '' when absent or empty. Bytes (protobuf) or hex (JSON). */
function readId(value: unknown, bytes: 16 | 8, segment: string): string {
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

function requiredId(value: unknown, bytes: 16 | 8, segment: string): string {
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
function readU64(value: unknown, segment: string): bigint {
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
function readI64(value: unknown, segment: string): number | bigint {
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

function readDouble(value: unknown, segment: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const word = DOUBLE_WORDS[value];
    if (word !== undefined) return word;
    if (DECIMAL_DOUBLE.test(value)) return Number(value);
  }
  throw new Problem('must be a number').at(segment);
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

function readBytes(value: unknown, segment: string): Uint8Array {
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

function readAttributes(value: unknown, maxDepth: number): Attributes {
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

function readAnyValue(value: unknown, depth: number, maxDepth: number): AttributeValue {
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
