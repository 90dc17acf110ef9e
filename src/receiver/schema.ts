/**
 * The protobufjs types of our OTLP subset (`otlp-proto.ts`), parsed once when first used.
 * Reflection only: no generated code. Field names are lowerCamelCase (protobufjs' default), so a
 * decoded message has the same keys as OTLP JSON.
 */
import protobuf from 'protobufjs';
import {
  COMMON_PROTO,
  GOOGLE_PROTOBUF_ANY_PROTO,
  GOOGLE_PROTOBUF_DURATION_PROTO,
  GOOGLE_RPC_RETRY_INFO_PROTO,
  GOOGLE_RPC_STATUS_PROTO,
  LOGS_PROTO,
  LOGS_SERVICE_PROTO,
  METRICS_PROTO,
  METRICS_SERVICE_PROTO,
  RESOURCE_PROTO,
  TRACE_PROTO,
  TRACE_SERVICE_PROTO,
} from './otlp-proto.js';

/** The three OTLP signals the receiver takes. */
export type OtlpSignal = 'traces' | 'logs' | 'metrics';

/** The request and response types of one signal's `Export` call, and its service. */
export interface SignalTypes {
  readonly request: protobuf.Type;
  readonly response: protobuf.Type;
  /** The gRPC service (`opentelemetry.proto.collector.<signal>.v1.<Name>Service`). */
  readonly service: protobuf.Service;
  /** The `partial_success` count field of the response (`rejectedSpans`, `rejectedLogRecords`, `rejectedDataPoints`). */
  readonly rejectedField: string;
}

/** The message types the receiver decodes or encodes. */
export interface OtlpTypes {
  readonly ExportTraceServiceRequest: protobuf.Type;
  readonly ExportTraceServiceResponse: protobuf.Type;
  /** `google.rpc.Status`, the body of every 4xx/5xx answer. */
  readonly Status: protobuf.Type;
  /** `google.rpc.RetryInfo`, packed in the `Status.details` of a retryable gRPC answer. */
  readonly RetryInfo: protobuf.Type;
  /** Each signal's types. */
  readonly signals: Readonly<Record<OtlpSignal, SignalTypes>>;
}

let types: OtlpTypes | undefined;

const SERVICE_NAMES: Readonly<Record<OtlpSignal, [pkg: string, service: string, request: string, rejected: string]>> = {
  traces: ['opentelemetry.proto.collector.trace.v1', 'TraceService', 'Trace', 'rejectedSpans'],
  logs: ['opentelemetry.proto.collector.logs.v1', 'LogsService', 'Logs', 'rejectedLogRecords'],
  metrics: ['opentelemetry.proto.collector.metrics.v1', 'MetricsService', 'Metrics', 'rejectedDataPoints'],
};

/** The parsed types (parsed on the first call, then cached). */
export function otlpTypes(): OtlpTypes {
  if (types !== undefined) return types;
  const root = new protobuf.Root();
  for (const source of [
    COMMON_PROTO,
    RESOURCE_PROTO,
    TRACE_PROTO,
    TRACE_SERVICE_PROTO,
    LOGS_PROTO,
    LOGS_SERVICE_PROTO,
    METRICS_PROTO,
    METRICS_SERVICE_PROTO,
    GOOGLE_PROTOBUF_ANY_PROTO,
    GOOGLE_PROTOBUF_DURATION_PROTO,
    GOOGLE_RPC_STATUS_PROTO,
    GOOGLE_RPC_RETRY_INFO_PROTO,
  ]) {
    protobuf.parse(source, root);
  }
  root.resolveAll();
  const signal = (name: OtlpSignal): SignalTypes => {
    const [pkg, service, message, rejectedField] = SERVICE_NAMES[name];
    return {
      request: root.lookupType(`${pkg}.Export${message}ServiceRequest`),
      response: root.lookupType(`${pkg}.Export${message}ServiceResponse`),
      service: root.lookupService(`${pkg}.${service}`),
      rejectedField,
    };
  };
  const signals = { traces: signal('traces'), logs: signal('logs'), metrics: signal('metrics') };
  types = {
    ExportTraceServiceRequest: signals.traces.request,
    ExportTraceServiceResponse: signals.traces.response,
    Status: root.lookupType('google.rpc.Status'),
    RetryInfo: root.lookupType('google.rpc.RetryInfo'),
    signals,
  };
  return types;
}
