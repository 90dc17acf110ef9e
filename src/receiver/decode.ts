/**
 * An OTLP/HTTP request body → neutral records (`SpanRecord`s, `LogRecord`s): media type, content
 * coding, size limit, protobuf (protobufjs, our subset schema) or OTLP JSON, then the per-item
 * conversion. Every failure is a typed `ReceiverError` (errors.ts) that carries its HTTP status.
 */
import { fromOtlpLogsRequest } from '../model/from-otlp-logs.js';
import { DEFAULT_MAX_VALUE_DEPTH, fromOtlpTraceRequest, type OtlpConversion, OtlpShapeError } from '../model/from-otlp.js';
import type { LogRecord } from '../model/log-record.js';
import type { OtlpItems } from '../model/otlp-reader.js';
import { codingsOf, formatOf } from './content.js';
import { decompress } from './decompress.js';
import { InvalidRequestError, type OtlpFormat, PayloadTooLargeError } from './errors.js';
import { type OtlpSignal, otlpTypes } from './schema.js';

/** The recommended body limit of the OTLP specification: 64 MiB (after decompression). */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;

/** Limits applied while decoding one request. */
export interface DecodeLimits {
  /** The largest body accepted, in bytes, measured after decompression (see {@link DEFAULT_MAX_BODY_BYTES}). */
  readonly maxBodyBytes: number;
  /** How many `AnyValue` levels an attribute value may have. Default 32 ({@link DEFAULT_MAX_VALUE_DEPTH}). */
  readonly maxValueDepth?: number;
}

/** A decoded request: the accepted spans, what was rejected, and the format to answer in. */
export interface DecodedRequest extends OtlpConversion {
  /** The request's format; answer in the same one. */
  readonly format: OtlpFormat;
  /** The body's size after decompression. */
  readonly bodyBytes: number;
}

/**
 * Decodes an OTLP/HTTP `POST /v1/traces` body.
 *
 * @param body - the body as received (possibly compressed)
 * @param contentType - the `Content-Type` header: `application/x-protobuf` or `application/json`,
 *   parameters allowed
 * @param contentEncoding - the `Content-Encoding` header: `gzip`, `deflate`/`zlib`, `identity` or none
 * @param limits - see {@link DecodeLimits}
 * @returns the spans; spans that fail validation are counted in `rejected` (see `fromOtlpTraceRequest`)
 * @throws `UnsupportedMediaTypeError` (415), `PayloadTooLargeError` (413) or
 *   `InvalidRequestError` (400), from errors.ts; nothing else
 */
export async function decodeTraceRequest(
  body: Buffer,
  contentType: string | undefined,
  contentEncoding: string | undefined,
  limits: DecodeLimits,
): Promise<DecodedRequest> {
  const { format, plain } = await uncompressedBody(body, contentType, contentEncoding, limits);
  const conversion = decodeTraceBody(plain, format, limits.maxValueDepth ?? DEFAULT_MAX_VALUE_DEPTH);
  return { format, bodyBytes: plain.length, ...conversion };
}

/** A decoded `POST /v1/logs` request: the accepted log records, what was rejected, and the format to answer in. */
export interface DecodedLogsRequest extends OtlpItems<LogRecord> {
  readonly format: OtlpFormat;
  readonly bodyBytes: number;
}

/** Decodes an OTLP/HTTP `POST /v1/logs` body; the same headers, limits and errors as {@link decodeTraceRequest}. */
export async function decodeLogsRequest(
  body: Buffer,
  contentType: string | undefined,
  contentEncoding: string | undefined,
  limits: DecodeLimits,
): Promise<DecodedLogsRequest> {
  const { format, plain } = await uncompressedBody(body, contentType, contentEncoding, limits);
  const request = parseBody('logs', plain, format);
  const conversion = converted(format, () => fromOtlpLogsRequest(request, { maxValueDepth: limits.maxValueDepth ?? DEFAULT_MAX_VALUE_DEPTH }));
  return { format, bodyBytes: plain.length, ...conversion };
}

/**
 * The body's format (from `Content-Type`) and its bytes with every content coding undone, within
 * the size limit. Throws the typed errors of {@link decodeTraceRequest}.
 */
export async function uncompressedBody(
  body: Buffer,
  contentType: string | undefined,
  contentEncoding: string | undefined,
  limits: DecodeLimits,
): Promise<{ format: OtlpFormat; plain: Buffer }> {
  const format = formatOf(contentType);
  const codings = codingsOf(contentEncoding, format);
  const plain = codings.length === 0 ? body : await decompress(body, codings, limits.maxBodyBytes, format);
  if (plain.length > limits.maxBodyBytes) {
    throw new PayloadTooLargeError(`the body of ${plain.length} bytes exceeds the limit of ${limits.maxBodyBytes} bytes`, format);
  }
  return { format, plain };
}

/**
 * Decodes an uncompressed body of a known format (no size check). Synchronous: a 64 MiB body
 * blocks the event loop for as long as it takes to decode.
 *
 * @throws `InvalidRequestError` (400) when the body is not an `ExportTraceServiceRequest`
 */
export function decodeTraceBody(plain: Buffer, format: OtlpFormat, maxValueDepth: number = DEFAULT_MAX_VALUE_DEPTH): OtlpConversion {
  const request = parseBody('traces', plain, format);
  return converted(format, () => fromOtlpTraceRequest(request, { maxValueDepth }));
}

/** Runs a converter of a decoded request, turning its shape error into an `InvalidRequestError` (400). */
export function converted<T>(format: OtlpFormat, convert: () => T): T {
  try {
    return convert();
  } catch (error) {
    if (error instanceof OtlpShapeError) throw new InvalidRequestError(`${PREFIX[format]}: ${error.message}`, format, { cause: error });
    throw error;
  }
}

/** A body parsed (not yet converted): a protobufjs message of the signal's request type, or parsed JSON. */
export function parseBody(signal: OtlpSignal, plain: Buffer, format: OtlpFormat): unknown {
  return format === 'protobuf' ? parseProtobuf(signal, plain) : parseJson(plain);
}

const PREFIX: Readonly<Record<OtlpFormat, string>> = { protobuf: 'protobuf', json: 'JSON' };

function parseProtobuf(signal: OtlpSignal, plain: Buffer): unknown {
  try {
    // A decoded message, not `toObject()`: the converter reads both, and this skips a copy.
    return otlpTypes().signals[signal].request.decode(plain);
  } catch (error) {
    throw new InvalidRequestError(`protobuf: ${describeProtobufError(error)}`, 'protobuf', { cause: error });
  }
}

/** protobufjs' messages, made to say what they mean for a request body. */
function describeProtobufError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (message.startsWith('index out of range')) return `truncated or malformed message (${message})`;
  if (message === 'max depth exceeded') return 'messages nested too deeply (protobufjs allows 100 levels)';
  if (message.includes('not valid for encoding utf-8')) return 'a string field is not valid UTF-8';
  return message;
}

/** JSON text → value. Lenient about encoding: malformed UTF-8 becomes U+FFFD (protobuf strings, by contrast, are verified). */
function parseJson(plain: Buffer): unknown {
  if (plain.length === 0) return {};
  // A UTF-8 byte order mark is tolerated (JSON.parse would not).
  const start = plain[0] === 0xef && plain[1] === 0xbb && plain[2] === 0xbf ? 3 : 0;
  try {
    return JSON.parse(plain.toString('utf8', start)) as unknown;
  } catch (error) {
    throw new InvalidRequestError(`JSON: ${error instanceof Error ? error.message : String(error)}`, 'json', { cause: error });
  }
}
