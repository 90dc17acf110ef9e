/**
 * Answer bodies of the OTLP/HTTP receiver, in the request's format: an `ExportTraceServiceResponse`
 * for 2xx and a `google.rpc.Status` for 4xx/5xx.
 */
import { type GrpcCodeValue, type OtlpFormat, type ReceiverError } from './errors.js';
import { type OtlpSignal, otlpTypes } from './schema.js';

/** What a request's decoding (and writing) left unaccepted. */
export interface ExportOutcome {
  /** Spans not accepted (`partial_success.rejected_spans`). */
  readonly rejected: number;
  /** English reasons (and warnings); joined into `partial_success.error_message`. */
  readonly errors: readonly string[];
}

/** The contents of a `google.rpc.Status` body. */
export interface StatusBody {
  readonly code: GrpcCodeValue;
  readonly message: string;
}

/** `error_message` and `Status.message` are cut to this many characters. */
export const MAX_MESSAGE_CHARS = 4096;

/**
 * The body of a 2xx answer. Without `outcome`, or when nothing was rejected and there is nothing
 * to warn about, it is the empty response (no `partial_success`, as OTLP requires on full success):
 * zero bytes in protobuf, `{}` in JSON. Otherwise it carries `partial_success` with
 * `rejected_spans` (may be 0 for warnings only) and the reasons, joined with `; `.
 */
export function encodeTraceResponse(format: OtlpFormat, outcome?: ExportOutcome): Buffer {
  return encodeExportResponse('traces', format, outcome);
}

/** The body of a 2xx answer to an export request of `signal` (see {@link encodeTraceResponse}). */
export function encodeExportResponse(signal: OtlpSignal, format: OtlpFormat, outcome?: ExportOutcome): Buffer {
  const partial = outcome !== undefined && (outcome.rejected > 0 || outcome.errors.length > 0);
  if (!partial) return format === 'json' ? Buffer.from('{}') : Buffer.alloc(0);
  const errorMessage = cut(outcome.errors.join('; '));
  const { response, rejectedField } = otlpTypes().signals[signal];
  if (format === 'json') {
    // int64 as a decimal string, as the proto3 JSON mapping (and OTLP) has it.
    return Buffer.from(JSON.stringify({ partialSuccess: { [rejectedField]: String(outcome.rejected), errorMessage } }));
  }
  return toBuffer(response.encode(response.create({ partialSuccess: { [rejectedField]: outcome.rejected, errorMessage } })).finish());
}

/**
 * The body of a 4xx/5xx answer: a `google.rpc.Status` with `code` and `message` (no details).
 * Note: the Collector's `otlp_http` exporter decodes error bodies as protobuf whatever their
 * Content-Type, so a JSON body there only loses the message in its log, not the retry decision
 * (which follows the HTTP status).
 */
export function encodeStatus(format: OtlpFormat, status: StatusBody): Buffer {
  const message = cut(status.message);
  if (format === 'json') return Buffer.from(JSON.stringify({ code: status.code, message }));
  const type = otlpTypes().Status;
  return toBuffer(type.encode(type.create({ code: status.code, message })).finish());
}

/** The `Status` to answer a typed receiver error with. */
export function statusOf(error: ReceiverError): StatusBody {
  return { code: error.grpcCode, message: error.message };
}

function cut(text: string): string {
  return text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS - 1)}…` : text;
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
