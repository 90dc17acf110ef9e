/**
 * The protobufjs types of our OTLP subset (`otlp-proto.ts`), parsed once when first used.
 * Reflection only: no generated code. Field names are lowerCamelCase (protobufjs' default), so a
 * decoded message has the same keys as OTLP JSON.
 */
import protobuf from 'protobufjs';
import {
  COMMON_PROTO,
  GOOGLE_PROTOBUF_ANY_PROTO,
  GOOGLE_RPC_STATUS_PROTO,
  RESOURCE_PROTO,
  TRACE_PROTO,
  TRACE_SERVICE_PROTO,
} from './otlp-proto.js';

/** The message types the receiver decodes or encodes. */
export interface OtlpTypes {
  readonly ExportTraceServiceRequest: protobuf.Type;
  readonly ExportTraceServiceResponse: protobuf.Type;
  /** `google.rpc.Status`, the body of every 4xx/5xx answer. */
  readonly Status: protobuf.Type;
}

let types: OtlpTypes | undefined;

/** The parsed types (parsed on the first call, then cached). */
export function otlpTypes(): OtlpTypes {
  if (types !== undefined) return types;
  const root = new protobuf.Root();
  for (const source of [COMMON_PROTO, RESOURCE_PROTO, TRACE_PROTO, TRACE_SERVICE_PROTO, GOOGLE_PROTOBUF_ANY_PROTO, GOOGLE_RPC_STATUS_PROTO]) {
    protobuf.parse(source, root);
  }
  root.resolveAll();
  types = {
    ExportTraceServiceRequest: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest'),
    ExportTraceServiceResponse: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse'),
    Status: root.lookupType('google.rpc.Status'),
  };
  return types;
}
