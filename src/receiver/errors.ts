/**
 * Typed errors of the OTLP/HTTP receiver. Each knows the HTTP status it maps to and the
 * `google.rpc.Code` to put in the `Status` body; the message is English, meant for the sender.
 */

/** The request or response encodings the receiver speaks. */
export type OtlpFormat = 'protobuf' | 'json';

/** `google.rpc.Code` values the receiver uses in `Status` bodies. */
export const GrpcCode = {
  OK: 0,
  INVALID_ARGUMENT: 3,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** A `google.rpc.Code` value. */
export type GrpcCodeValue = (typeof GrpcCode)[keyof typeof GrpcCode];

/** Base class of every error the receiver's decoding raises. */
export abstract class ReceiverError extends Error {
  override readonly name: string = 'ReceiverError';
  /** The HTTP status to answer with. */
  abstract readonly httpStatus: number;
  /** The `google.rpc.Code` for the `Status` body. */
  abstract readonly grpcCode: GrpcCodeValue;
  /**
   * The request's format when it was recognised (answer in it), else `undefined` (the
   * Content-Type itself was the problem: the answer's format is then `answerFormatOf` the header,
   * protobuf unless its media type is `application/json`).
   */
  readonly format: OtlpFormat | undefined;

  constructor(message: string, format?: OtlpFormat, options?: ErrorOptions) {
    super(message, options);
    this.format = format;
  }
}

/** 400: the body cannot be decompressed or decoded, or is not an `ExportTraceServiceRequest`. */
export class InvalidRequestError extends ReceiverError {
  override readonly name = 'InvalidRequestError';
  readonly httpStatus = 400;
  readonly grpcCode = GrpcCode.INVALID_ARGUMENT;
}

/** 413: the body is larger than the limit, measured after decompression. */
export class PayloadTooLargeError extends ReceiverError {
  override readonly name = 'PayloadTooLargeError';
  readonly httpStatus = 413;
  readonly grpcCode = GrpcCode.RESOURCE_EXHAUSTED;
}

/** 415: a Content-Type or Content-Encoding the receiver does not accept. */
export class UnsupportedMediaTypeError extends ReceiverError {
  override readonly name = 'UnsupportedMediaTypeError';
  readonly httpStatus = 415;
  readonly grpcCode = GrpcCode.UNIMPLEMENTED;
}

/** Whether `error` is one of the receiver's typed errors (also across module copies, by name). */
export function isReceiverError(error: unknown): error is ReceiverError {
  if (error instanceof ReceiverError) return true;
  if (!(error instanceof Error)) return false;
  const candidate = error as Partial<ReceiverError>;
  return typeof candidate.httpStatus === 'number' && typeof candidate.grpcCode === 'number';
}
