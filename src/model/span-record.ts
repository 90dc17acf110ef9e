/**
 * The one neutral span shape the mapping accepts. Both inputs are converted into it: spans from
 * the OpenTelemetry JS SDK (`ReadableSpan`, in-process exporter) and spans from OTLP requests
 * (protobuf or JSON, the receiver). Plain readonly data: no SDK classes, no methods.
 */

/** An attribute value. OTLP's int64 is a `number` when safe, else a `bigint`; `kvlist` is a record. */
export type AttributeValue = string | number | bigint | boolean | null | Uint8Array | readonly AttributeValue[] | { readonly [key: string]: AttributeValue };

/** Attributes by key. */
export type Attributes = Readonly<Record<string, AttributeValue>>;

/** Span kinds, as names (OTel JS and OTLP number them differently). */
export type SpanKindName = 'unspecified' | 'internal' | 'server' | 'client' | 'producer' | 'consumer';

/** A span status. */
export interface SpanStatusRecord {
  readonly code: 'unset' | 'ok' | 'error';
  /** The description (meaningful for errors). */
  readonly message?: string;
}

/** A span event (e.g. an exception, a streamed token). */
export interface SpanEventRecord {
  readonly name: string;
  readonly timeUnixNano: bigint;
  readonly attributes: Attributes;
}

/** A link to another span. */
export interface SpanLinkRecord {
  readonly traceId: string;
  readonly spanId: string;
  readonly attributes: Attributes;
}

/** The resource and instrumentation scope a span came from (shared by many spans). */
export interface SpanOrigin {
  /** Resource attributes (`service.name`, ...). */
  readonly resource: Attributes;
  readonly scopeName: string;
  readonly scopeVersion?: string;
}

/**
 * The tenant a record belongs to: set by the receiver, after conversion, from the scope of the
 * token that authenticated the request (never read from the telemetry, which cannot forge it).
 * Absent for records of unscoped tokens, of a receiver without tokens, and of the in-process
 * exporter: their run keys and hashes are what they always were.
 */
export interface RecordTenant {
  /** The namespace of the tenant's run keys: part of every run key (and so run hash) of its records. */
  readonly namespace: string;
  /** The one experiment the tenant writes to (also that of its runs whose records name none). */
  readonly experiment?: string;
  /** Or: the prefix of every experiment it writes to (its runs whose records name none go to `prefix` + the default experiment name). */
  readonly experimentPrefix?: string;
}

/** One finished span. Ids are lowercase hex: 32 digits for traces, 16 for spans. */
export interface SpanRecord {
  readonly traceId: string;
  readonly spanId: string;
  /** Absent for a root span. */
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind: SpanKindName;
  readonly startTimeUnixNano: bigint;
  readonly endTimeUnixNano: bigint;
  readonly attributes: Attributes;
  readonly events: readonly SpanEventRecord[];
  readonly links: readonly SpanLinkRecord[];
  readonly status: SpanStatusRecord;
  readonly origin: SpanOrigin;
  /** The tenant of the span (see {@link RecordTenant}); absent when unscoped. */
  readonly tenant?: RecordTenant;
}

/** Whether `id` is a valid trace id (32 lowercase hex digits, not all zero). */
export function isValidTraceId(id: string): boolean {
  return /^[0-9a-f]{32}$/.test(id) && !/^0+$/.test(id);
}

/** Whether `id` is a valid span id (16 lowercase hex digits, not all zero). */
export function isValidSpanId(id: string): boolean {
  return /^[0-9a-f]{16}$/.test(id) && !/^0+$/.test(id);
}
