import type { Attributes as OtelAttributes, AttributeValue as OtelAttributeValue, HrTime } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { AttributeValue, Attributes, SpanKindName, SpanOrigin, SpanRecord } from './span-record.js';

// OTel JS numbers span kinds and status codes itself (not as OTLP does).
const KINDS: readonly SpanKindName[] = ['internal', 'server', 'client', 'producer', 'consumer'];
const STATUS = ['unset', 'ok', 'error'] as const;

/**
 * Converts a span of the OpenTelemetry JS SDK (`ReadableSpan`, sdk-trace-base 2.x) into the
 * neutral {@link SpanRecord}. Ids are lowercased, times become bigint nanoseconds, attribute arrays
 * are copied. `origins` caches the converted resource per SDK resource object (they are shared).
 */
export function fromReadableSpan(span: ReadableSpan, origins: WeakMap<object, SpanOrigin> = new WeakMap()): SpanRecord {
  const context = span.spanContext();
  const parent = span.parentSpanContext?.spanId;
  return {
    traceId: context.traceId.toLowerCase(),
    spanId: context.spanId.toLowerCase(),
    ...(parent !== undefined && parent !== '' && parent !== '0000000000000000' ? { parentSpanId: parent.toLowerCase() } : {}),
    name: span.name,
    kind: KINDS[span.kind] ?? 'unspecified',
    startTimeUnixNano: hrTimeToNanos(span.startTime),
    endTimeUnixNano: hrTimeToNanos(span.endTime),
    attributes: convertAttributes(span.attributes),
    events: span.events.map((event) => ({ name: event.name, timeUnixNano: hrTimeToNanos(event.time), attributes: convertAttributes(event.attributes ?? {}) })),
    links: span.links.map((link) => ({
      traceId: link.context.traceId.toLowerCase(),
      spanId: link.context.spanId.toLowerCase(),
      attributes: convertAttributes(link.attributes ?? {}),
    })),
    status: { code: STATUS[span.status.code], ...(span.status.message ? { message: span.status.message } : {}) },
    origin: originOf(span, origins),
  };
}

function originOf(span: ReadableSpan, origins: WeakMap<object, SpanOrigin>): SpanOrigin {
  const cached = origins.get(span.resource);
  if (cached && cached.scopeName === span.instrumentationScope.name && cached.scopeVersion === span.instrumentationScope.version) return cached;
  const origin: SpanOrigin = {
    resource: convertAttributes(span.resource.attributes),
    scopeName: span.instrumentationScope.name,
    ...(span.instrumentationScope.version ? { scopeVersion: span.instrumentationScope.version } : {}),
  };
  origins.set(span.resource, origin);
  return origin;
}

/** HrTime `[seconds, nanoseconds]` as bigint nanoseconds since the Unix epoch. */
export function hrTimeToNanos([seconds, nanos]: HrTime): bigint {
  return BigInt(seconds) * 1_000_000_000n + BigInt(nanos);
}

function convertAttributes(attributes: OtelAttributes): Attributes {
  const result: Record<string, AttributeValue> = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (value !== undefined) result[key] = convertValue(value);
  }
  return result;
}

function convertValue(value: OtelAttributeValue): AttributeValue {
  if (Array.isArray(value)) return value.map((item: unknown) => (item === undefined ? null : (item as AttributeValue)));
  return value;
}
