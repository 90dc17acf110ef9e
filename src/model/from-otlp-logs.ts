/**
 * OTLP log requests → {@link LogRecord}s. Same decoded forms and rejection rules as the trace
 * converter (`from-otlp.ts`): a problem inside a record rejects that record (counted in
 * `rejected`, the `partial_success.rejected_log_records` to report), a problem outside the records
 * rejects the request ({@link OtlpShapeError}).
 *
 * Per record: ids are optional (a log emitted outside a span has none), but a present id must be
 * 16 / 8 bytes (32 / 16 hex digits); an all-zero id means none. A span id without a trace id is
 * dropped with a warning (it cannot be placed). The severity number may be an integer or its proto
 * value name (`SEVERITY_NUMBER_INFO`) in JSON.
 */
import type { LogRecord } from './log-record.js';
import {
  DEFAULT_MAX_VALUE_DEPTH,
  type OtlpItems,
  Problem,
  ZERO_SPAN,
  isObject,
  optionalString,
  readAnyValue,
  readAttributes,
  readId,
  readU64,
  under,
  walkOtlpRequest,
} from './otlp-reader.js';
import type { AttributeValue, SpanOrigin } from './span-record.js';

/** Options of {@link fromOtlpLogsRequest}. */
export interface FromOtlpLogsOptions {
  /** How many `AnyValue` levels a body or attribute may have. Default 32. */
  readonly maxValueDepth?: number;
  /** How many reasons `errors` keeps before summarising the rest. Default 10. */
  readonly maxErrors?: number;
}

const LOGS = { resources: 'resourceLogs', scopes: 'scopeLogs', items: 'logRecords' } as const;
const ZERO_TRACE = '0'.repeat(32);

/** Converts a decoded `ExportLogsServiceRequest`; throws only `OtlpShapeError`. */
export function fromOtlpLogsRequest(request: unknown, options: FromOtlpLogsOptions = {}): OtlpItems<LogRecord> {
  const maxDepth = options.maxValueDepth ?? DEFAULT_MAX_VALUE_DEPTH;
  return walkOtlpRequest(request, LOGS, maxDepth, options.maxErrors ?? 10, (value, origin, warn) => readLogRecord(value, origin, maxDepth, warn));
}

function readLogRecord(value: unknown, origin: SpanOrigin, maxDepth: number, warn: (problem: Problem) => void): LogRecord {
  if (!isObject(value)) throw new Problem('must be an object');
  let traceId = readId(value.traceId, 16, '.traceId');
  let spanId = readId(value.spanId, 8, '.spanId');
  if (traceId === ZERO_TRACE) traceId = '';
  if (spanId === ZERO_SPAN) spanId = '';
  if (spanId !== '' && traceId === '') {
    warn(new Problem('is set without a traceId: ignored').at('.spanId'));
    spanId = '';
  }
  const time = readU64(value.timeUnixNano, '.timeUnixNano');
  const timeUnixNano = time !== 0n ? time : readU64(value.observedTimeUnixNano, '.observedTimeUnixNano');
  const attributes = under('.attributes', () => readAttributes(value.attributes, maxDepth));
  let body: AttributeValue = null;
  if (value.body !== undefined && value.body !== null) body = under('.body', () => readAnyValue(value.body, 1, maxDepth));
  const fieldName = optionalString(value.eventName, '.eventName');
  const attributeName = attributes['event.name'];
  const eventName = fieldName !== '' ? fieldName : typeof attributeName === 'string' && attributeName !== '' ? attributeName : undefined;
  return {
    ...(traceId !== '' ? { traceId } : {}),
    ...(spanId !== '' ? { spanId } : {}),
    timeUnixNano,
    ...(eventName !== undefined ? { eventName } : {}),
    severityNumber: readSeverity(value.severityNumber),
    body,
    attributes,
    origin,
  };
}

const SEVERITY_PREFIX = 'SEVERITY_NUMBER_';
const SEVERITY_WORDS = [
  'UNSPECIFIED',
  'TRACE',
  'TRACE2',
  'TRACE3',
  'TRACE4',
  'DEBUG',
  'DEBUG2',
  'DEBUG3',
  'DEBUG4',
  'INFO',
  'INFO2',
  'INFO3',
  'INFO4',
  'WARN',
  'WARN2',
  'WARN3',
  'WARN4',
  'ERROR',
  'ERROR2',
  'ERROR3',
  'ERROR4',
  'FATAL',
  'FATAL2',
  'FATAL3',
  'FATAL4',
];

function readSeverity(value: unknown): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && value.startsWith(SEVERITY_PREFIX)) {
    const index = SEVERITY_WORDS.indexOf(value.slice(SEVERITY_PREFIX.length));
    if (index >= 0) return index;
  }
  throw new Problem('must be an integer').at('.severityNumber');
}
