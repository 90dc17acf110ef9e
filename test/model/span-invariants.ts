/**
 * The invariants every accepted `SpanRecord` must satisfy, as a checker that returns the first
 * violation (or `undefined`). Used by the conversion tests and the decoder fuzz test.
 */
import { DEFAULT_MAX_VALUE_DEPTH } from '../../src/model/from-otlp.js';
import { isValidSpanId, isValidTraceId, type SpanRecord } from '../../src/model/span-record.js';

const KINDS = new Set(['unspecified', 'internal', 'server', 'client', 'producer', 'consumer']);
const CODES = new Set(['unset', 'ok', 'error']);
const U64_MAX = 2n ** 64n - 1n;
const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

/** The first broken invariant of `value` as an attribute value at `depth`, or undefined. */
export function valueProblem(value: unknown, depth: number, maxDepth = DEFAULT_MAX_VALUE_DEPTH): string | undefined {
  if (depth > maxDepth) return `nested deeper than ${maxDepth}`;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return undefined; // any double, or a safe int64
  if (typeof value === 'bigint') {
    if (value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)) return 'a safe integer as bigint';
    return value < I64_MIN || value > I64_MAX ? 'bigint outside int64' : undefined;
  }
  if (value instanceof Uint8Array) return Buffer.isBuffer(value) ? 'a Buffer (a view that may pin the body)' : undefined;
  if (Array.isArray(value)) {
    for (const item of value) {
      const problem = valueProblem(item, depth + 1, maxDepth);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  if (typeof value === 'object') return attributesProblem(value, depth + 1, maxDepth);
  return `not an attribute value: ${typeof value}`;
}

function attributesProblem(attributes: unknown, depth: number, maxDepth = DEFAULT_MAX_VALUE_DEPTH): string | undefined {
  if (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes)) return 'attributes not an object';
  for (const value of Object.values(attributes)) {
    const problem = valueProblem(value, depth, maxDepth);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/** The first broken invariant of `span`, or undefined when it is a well-formed `SpanRecord`. */
export function spanProblem(span: SpanRecord): string | undefined {
  if (!isValidTraceId(span.traceId)) return `traceId ${span.traceId}`;
  if (!isValidSpanId(span.spanId)) return `spanId ${span.spanId}`;
  if ('parentSpanId' in span) {
    const parent: unknown = span.parentSpanId; // present means a valid id, never undefined
    if (typeof parent !== 'string' || !isValidSpanId(parent)) return 'parentSpanId';
  }
  if (typeof span.name !== 'string') return 'name';
  if (!KINDS.has(span.kind)) return `kind ${span.kind}`;
  if (typeof span.startTimeUnixNano !== 'bigint' || span.startTimeUnixNano <= 0n) return 'start time';
  if (typeof span.endTimeUnixNano !== 'bigint' || span.endTimeUnixNano < span.startTimeUnixNano || span.endTimeUnixNano > U64_MAX) return 'end time';
  const attributes = attributesProblem(span.attributes, 1);
  if (attributes !== undefined) return `attributes: ${attributes}`;
  for (const event of span.events) {
    if (typeof event.name !== 'string' || typeof event.timeUnixNano !== 'bigint' || event.timeUnixNano < 0n) return 'event';
    const problem = attributesProblem(event.attributes, 1);
    if (problem !== undefined) return `event attributes: ${problem}`;
  }
  for (const link of span.links) {
    if (!isValidTraceId(link.traceId) || !isValidSpanId(link.spanId)) return 'link ids';
    const problem = attributesProblem(link.attributes, 1);
    if (problem !== undefined) return `link attributes: ${problem}`;
  }
  if (!CODES.has(span.status.code)) return 'status code';
  if ('message' in span.status && (typeof span.status.message !== 'string' || span.status.message === '')) return 'status message';
  const origin = attributesProblem(span.origin.resource, 1);
  if (origin !== undefined) return `resource: ${origin}`;
  if (typeof span.origin.scopeName !== 'string') return 'scope name';
  if ('scopeVersion' in span.origin && (typeof span.origin.scopeVersion !== 'string' || span.origin.scopeVersion === '')) return 'scope version';
  return undefined;
}
