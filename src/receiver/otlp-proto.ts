/**
 * Our own subset of the OTLP trace protos (opentelemetry-proto v1.x) and of `google.rpc.Status`,
 * as `.proto` source text: only the messages and fields the receiver reads or writes. Fields left
 * out (`dropped_*_count`, the metrics/logs signals, ...) are skipped by the decoder as unknown
 * fields. Field numbers were written from the OTLP specification and are checked by the tests
 * against payloads of the OpenTelemetry JS serializers. Kept as a string module so that it ships
 * inside the compiled package without a loader or a copy step; parsed once by `schema.ts`.
 */

/** `opentelemetry/proto/common/v1/common.proto` (subset). */
export const COMMON_PROTO = `
syntax = "proto3";
package opentelemetry.proto.common.v1;

message AnyValue {
  oneof value {
    string string_value = 1;
    bool bool_value = 2;
    int64 int_value = 3;
    double double_value = 4;
    ArrayValue array_value = 5;
    KeyValueList kvlist_value = 6;
    bytes bytes_value = 7;
  }
}

message ArrayValue {
  repeated AnyValue values = 1;
}

message KeyValueList {
  repeated KeyValue values = 1;
}

message KeyValue {
  string key = 1;
  AnyValue value = 2;
}

message InstrumentationScope {
  string name = 1;
  string version = 2;
  repeated KeyValue attributes = 3;
}
`;

/** `opentelemetry/proto/resource/v1/resource.proto` (subset). */
export const RESOURCE_PROTO = `
syntax = "proto3";
package opentelemetry.proto.resource.v1;

message Resource {
  repeated .opentelemetry.proto.common.v1.KeyValue attributes = 1;
  uint32 dropped_attributes_count = 2;
}
`;

/** `opentelemetry/proto/trace/v1/trace.proto` (subset). */
export const TRACE_PROTO = `
syntax = "proto3";
package opentelemetry.proto.trace.v1;

message ResourceSpans {
  .opentelemetry.proto.resource.v1.Resource resource = 1;
  repeated ScopeSpans scope_spans = 2;
  string schema_url = 3;
}

message ScopeSpans {
  .opentelemetry.proto.common.v1.InstrumentationScope scope = 1;
  repeated Span spans = 2;
  string schema_url = 3;
}

message Span {
  bytes trace_id = 1;
  bytes span_id = 2;
  string trace_state = 3;
  bytes parent_span_id = 4;
  fixed32 flags = 16;
  string name = 5;

  enum SpanKind {
    SPAN_KIND_UNSPECIFIED = 0;
    SPAN_KIND_INTERNAL = 1;
    SPAN_KIND_SERVER = 2;
    SPAN_KIND_CLIENT = 3;
    SPAN_KIND_PRODUCER = 4;
    SPAN_KIND_CONSUMER = 5;
  }
  SpanKind kind = 6;

  fixed64 start_time_unix_nano = 7;
  fixed64 end_time_unix_nano = 8;
  repeated .opentelemetry.proto.common.v1.KeyValue attributes = 9;

  message Event {
    fixed64 time_unix_nano = 1;
    string name = 2;
    repeated .opentelemetry.proto.common.v1.KeyValue attributes = 3;
  }
  repeated Event events = 11;

  message Link {
    bytes trace_id = 1;
    bytes span_id = 2;
    string trace_state = 3;
    repeated .opentelemetry.proto.common.v1.KeyValue attributes = 4;
    fixed32 flags = 6;
  }
  repeated Link links = 13;

  Status status = 15;
}

message Status {
  reserved 1;
  string message = 2;

  enum StatusCode {
    STATUS_CODE_UNSET = 0;
    STATUS_CODE_OK = 1;
    STATUS_CODE_ERROR = 2;
  }
  StatusCode code = 3;
}
`;

/** `opentelemetry/proto/collector/trace/v1/trace_service.proto` (the messages, no service). */
export const TRACE_SERVICE_PROTO = `
syntax = "proto3";
package opentelemetry.proto.collector.trace.v1;

message ExportTraceServiceRequest {
  repeated .opentelemetry.proto.trace.v1.ResourceSpans resource_spans = 1;
}

message ExportTraceServiceResponse {
  ExportTracePartialSuccess partial_success = 1;
}

message ExportTracePartialSuccess {
  int64 rejected_spans = 1;
  string error_message = 2;
}
`;

/** `google/rpc/status.proto` with the `google.protobuf.Any` it refers to. */
export const GOOGLE_RPC_STATUS_PROTO = `
syntax = "proto3";
package google.rpc;

message Status {
  int32 code = 1;
  string message = 2;
  repeated .google.protobuf.Any details = 3;
}
`;

/** `google/protobuf/any.proto`. */
export const GOOGLE_PROTOBUF_ANY_PROTO = `
syntax = "proto3";
package google.protobuf;

message Any {
  string type_url = 1;
  bytes value = 2;
}
`;
