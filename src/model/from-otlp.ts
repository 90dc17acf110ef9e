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
import { type SpanEventRecord, type SpanKindName, type SpanLinkRecord, type SpanOrigin, type SpanRecord, type SpanStatusRecord } from './span-record.js';
import {
  DEFAULT_MAX_VALUE_DEPTH,
  OtlpShapeError,
  Problem,
  ZERO_SPAN,
  enumName,
  isObject,
  itemList,
  optionalString,
  readAttributes,
  readId,
  readU64,
  requiredId,
  under,
  walkOtlpRequest,
  within,
} from './otlp-reader.js';

export { DEFAULT_MAX_VALUE_DEPTH, OtlpShapeError };

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

/** Converts a decoded OTLP trace request; throws only {@link OtlpShapeError}. */
export function fromOtlpTraceRequest(request: unknown, options: FromOtlpOptions = {}): OtlpConversion {
  const maxDepth = options.maxValueDepth ?? DEFAULT_MAX_VALUE_DEPTH;
  const { items, rejected, errors } = walkOtlpRequest(request, TRACES, maxDepth, options.maxErrors ?? 10, (value, origin, warn) =>
    readSpan(value, origin, maxDepth, warn),
  );
  return { spans: items, rejected, errors };
}

const TRACES = { resources: 'resourceSpans', scopes: 'scopeSpans', items: 'spans' } as const;

// ---- one span ----

const SPAN_KINDS: readonly SpanKindName[] = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];
const STATUS_CODES: readonly SpanStatusRecord['code'][] = ['unset', 'ok', 'error'];
/** The proto enum value names, accepted in JSON too (OTLP senders must use integers; proto3 JSON allows names). */
const SPAN_KIND_WORDS = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER'];
const STATUS_CODE_WORDS = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];
const UNSET: SpanStatusRecord = { code: 'unset' };

function readSpan(value: unknown, origin: SpanOrigin, maxDepth: number, warn: (problem: Problem) => void): SpanRecord {
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
  const links = readLinks(value.links, maxDepth, warn);
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

function readEvents(value: unknown, maxDepth: number): SpanEventRecord[] {
  const list = itemList(value, '.events');
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

/** The span's links; one with an absent, malformed or all-zero id is dropped with a warning (`warn`). */
function readLinks(value: unknown, maxDepth: number, warn: (problem: Problem) => void): SpanLinkRecord[] {
  const list = itemList(value, '.links');
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
        warn(error.at(`[${i}]`).at('.links'));
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
