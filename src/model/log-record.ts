/**
 * The neutral shape of one OTLP log record (the receiver's logs signal). GenAI instrumentations
 * send their events as log records: `gen_ai.client.inference.operation.details`, or one record per
 * message (`gen_ai.user.message`, `gen_ai.choice`, ...), tied to their span by trace and span id.
 */
import type { AttributeValue, Attributes, RecordTenant, SpanOrigin } from './span-record.js';

/** One log record. Ids are lowercase hex, absent when the record was not emitted inside a span. */
export interface LogRecord {
  readonly traceId?: string;
  readonly spanId?: string;
  /** When the event happened: `time_unix_nano`, else `observed_time_unix_nano` (0 when neither is set). */
  readonly timeUnixNano: bigint;
  /** The event name: the record's `event_name` field, else its `event.name` attribute (older SDKs); absent for plain logs. */
  readonly eventName?: string;
  readonly severityNumber: number;
  /** The body (`null` when absent); GenAI events keep their message fields here. */
  readonly body: AttributeValue;
  readonly attributes: Attributes;
  readonly origin: SpanOrigin;
  /** The tenant of the record (see {@link RecordTenant}); absent when unscoped. */
  readonly tenant?: RecordTenant;
}
