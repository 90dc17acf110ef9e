/**
 * The OTLP/gRPC receiver: `opentelemetry.proto.collector.{trace,logs,metrics}.v1.{Trace,Logs,Metrics}Service/Export`
 * with `@grpc/grpc-js`, decoded with our protobufjs types, answering by the same acceptance
 * contract as OTLP/HTTP ({@link Ingest}): OK (with `partial_success`) only once Aim holds what the
 * request carried; INVALID_ARGUMENT for a request that does not decode or is not of the signal's
 * shape; RESOURCE_EXHAUSTED with a `google.rpc.RetryInfo` when busy (the Collector retries
 * RESOURCE_EXHAUSTED only with it) and without one for a request that can never fit; UNAVAILABLE
 * with a `RetryInfo` while Aim does not acknowledge; UNAUTHENTICATED without the bearer token;
 * PERMISSION_DENIED for a request naming an experiment outside its token's tenant scope.
 * As over HTTP, a request is known by its content (and its token's scope, {@link Ingest.exportOnce}): a retry joins its
 * first attempt or is answered from it, and new requests are shed before they are decoded while
 * the queue is full.
 */
import * as grpc from '@grpc/grpc-js';
import { parseBody } from './decode.js';
import { MAX_MESSAGE_CHARS, encodeExportResponse } from './encode.js';
import { type GrpcCodeValue, GrpcCode, isReceiverError } from './errors.js';
import type { Authenticated, Credentials } from './credentials.js';
import { type Ingest, requestKey } from './ingest.js';
import type { ReceiverMetrics } from './metrics.js';
import { componentLogger } from '../logging/component-logger.js';
import type { RateLimitedLog } from '../logging/rate-limited-log.js';
import type { ReceiverTls } from './tls.js';
import { type OtlpSignal, otlpTypes } from './schema.js';
import type { TenantScope } from './tenant-scope.js';

const log = componentLogger('receiver');

/** Where and how the gRPC receiver listens. */
export interface GrpcReceiverOptions {
  /** Interface to listen on. */
  readonly host: string;
  /** Port; 0 picks a free one. */
  readonly port: number;
  /**
   * The accepted bearer tokens (the HTTP receiver's): when they require a token, every call needs
   * `authorization: Bearer <token>` metadata (else UNAUTHENTICATED). Default: none needed.
   */
  readonly credentials?: Credentials;
  /** Largest request message, in bytes, after decompression (`grpc.max_receive_message_length`). */
  readonly maxReceiveBytes: number;
  /** The `retry_delay` of the `RetryInfo` of RESOURCE_EXHAUSTED (busy) and UNAVAILABLE answers, in seconds. */
  readonly retryAfterSeconds: number;
  /** Server keepalive: ping a connection after this long without activity, in ms. Default 120 000. */
  readonly keepaliveTimeMs?: number;
  /** Server keepalive: drop the connection when a ping is not answered within this, in ms. Default 20 000. */
  readonly keepaliveTimeoutMs?: number;
  /** TLS (and mutual TLS with a client CA), following the reloads of its files. Default: none, insecure gRPC. */
  readonly tls?: ReceiverTls;
}

/** What the gRPC receiver shares with the HTTP one. */
export interface GrpcReceiverDeps {
  readonly ingest: Ingest;
  readonly metrics: ReceiverMetrics;
  /** Where every non-OK answer (and every unexpected error) is logged, rate-limited. */
  readonly answers: RateLimitedLog;
}

/** A running gRPC receiver. */
export interface GrpcReceiver {
  /** `http://host:port` (insecure gRPC), or `https://host:port` with TLS, as OTel gRPC exporters take it. */
  readonly url: string;
  readonly port: number;
  /**
   * Stops accepting calls and waits for the calls in flight (`tryShutdown`); after `graceMs`
   * (default 5 000) cancels what is still running (`forceShutdown`). Idempotent.
   */
  close(graceMs?: number): Promise<void>;
}

/** `type_url` of a packed `google.rpc.RetryInfo`. */
export const RETRY_INFO_TYPE_URL = 'type.googleapis.com/google.rpc.RetryInfo';

/** The trailer carrying the binary `google.rpc.Status` with details. */
export const STATUS_DETAILS_TRAILER = 'grpc-status-details-bin';

const SIGNALS: readonly OtlpSignal[] = ['traces', 'logs', 'metrics'];

/** Our `google.rpc.Code` values as grpc-js status codes (the same numbers). */
const GRPC_STATUS: Readonly<Record<GrpcCodeValue, grpc.status>> = {
  [GrpcCode.OK]: grpc.status.OK,
  [GrpcCode.INVALID_ARGUMENT]: grpc.status.INVALID_ARGUMENT,
  [GrpcCode.PERMISSION_DENIED]: grpc.status.PERMISSION_DENIED,
  [GrpcCode.RESOURCE_EXHAUSTED]: grpc.status.RESOURCE_EXHAUSTED,
  [GrpcCode.UNIMPLEMENTED]: grpc.status.UNIMPLEMENTED,
  [GrpcCode.INTERNAL]: grpc.status.INTERNAL,
  [GrpcCode.UNAVAILABLE]: grpc.status.UNAVAILABLE,
  [GrpcCode.UNAUTHENTICATED]: grpc.status.UNAUTHENTICATED,
};

/** The answer to a call: OK with the encoded response, or a status with a `RetryInfo` when `retry`. */
type Answer = { readonly body: Buffer } | { readonly code: GrpcCodeValue; readonly message: string; readonly retry: boolean };

/**
 * The `/<package>.<Service>/Export` method of `signal`, from our protobufjs service. The request
 * reaches the handler as its (decompressed) bytes: the handler knows it by its content and decodes
 * it only when it is new and there is room ({@link Ingest.exportOnce}); a request that does not
 * decode is answered INVALID_ARGUMENT there (a deserializer that throws would make grpc-js answer
 * INTERNAL). The response is encoded by {@link encodeExportResponse}.
 */
export function exportMethod(signal: OtlpSignal): grpc.MethodDefinition<Buffer, Buffer> {
  const { service } = otlpTypes().signals[signal];
  const method = service.methods['Export'];
  if (method === undefined) throw new Error(`the ${service.fullName} service of the OTLP subset has no Export method`);
  return {
    path: `/${service.fullName.replace(/^\./, '')}/${method.name}`,
    requestStream: false,
    responseStream: false,
    requestSerialize: () => {
      throw new Error('the receiver never sends requests');
    },
    requestDeserialize: (bytes: Buffer): Buffer => bytes,
    responseSerialize: (body: Buffer) => body,
    responseDeserialize: (bytes: Buffer) => bytes,
  };
}

/** The binary `google.rpc.Status` of a refusal, with a `RetryInfo` when the sender should retry. */
export function encodeGrpcStatus(code: GrpcCodeValue, message: string, retryDelaySeconds?: number): Buffer {
  const { Status, RetryInfo } = otlpTypes();
  const details =
    retryDelaySeconds === undefined
      ? []
      : [{ typeUrl: RETRY_INFO_TYPE_URL, value: RetryInfo.encode(RetryInfo.create({ retryDelay: { seconds: retryDelaySeconds, nanos: 0 } })).finish() }];
  const bytes = Status.encode(Status.create({ code, message: cut(message), details })).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Starts the gRPC receiver on `host:port` for all three signals' `Export`, gzip (and deflate)
 * accepted, messages up to `maxReceiveBytes` after decompression (larger: RESOURCE_EXHAUSTED,
 * answered by grpc-js itself, so neither logged nor counted here).
 */
export async function startGrpcReceiver(deps: GrpcReceiverDeps, options: GrpcReceiverOptions): Promise<GrpcReceiver> {
  const { ingest, metrics, answers } = deps;
  const server = new grpc.Server({
    'grpc.max_receive_message_length': options.maxReceiveBytes,
    'grpc.max_send_message_length': 4 * 1024 * 1024,
    'grpc.keepalive_time_ms': options.keepaliveTimeMs ?? 120_000,
    'grpc.keepalive_timeout_ms': options.keepaliveTimeoutMs ?? 20_000,
  });

  const answer = (signal: OtlpSignal, path: string, call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>): void => {
    const finish = (result: Answer): void => {
      const name = grpc.status['body' in result ? grpc.status.OK : GRPC_STATUS[result.code]];
      metrics.requests.inc({ code: `grpc_${name}` });
      if ('body' in result) {
        callback(null, result.body);
        return;
      }
      answers.warn(`gRPC ${path} → ${name}`, result.message);
      const trailer = new grpc.Metadata();
      trailer.set(STATUS_DETAILS_TRAILER, encodeGrpcStatus(result.code, result.message, result.retry ? options.retryAfterSeconds : undefined));
      callback({ code: GRPC_STATUS[result.code], details: cut(result.message), metadata: trailer });
    };
    const authenticated = authenticate(call.metadata, options.credentials);
    if (authenticated === undefined) {
      finish({ code: GrpcCode.UNAUTHENTICATED, message: 'a valid bearer token is required (authorization: Bearer <token>)', retry: false });
      return;
    }
    receive(signal, call.request, authenticated.scope).then(finish, (error: unknown) => {
      answers.error('unexpected gRPC receiver error', String(error));
      finish({ code: GrpcCode.UNAVAILABLE, message: 'the bridge failed to handle the request; retry later', retry: true });
    });
  };

  /** Receives an authenticated call; `scope`: what its token may write (none: anything). */
  const receive = async (signal: OtlpSignal, bytes: Buffer, scope: TenantScope | undefined): Promise<Answer> => {
    try {
      const outcome = await ingest.exportOnce(signal, requestKey(signal, bytes), () => parseBody(signal, bytes, 'protobuf'), 'protobuf', scope);
      switch (outcome.kind) {
        case 'accepted':
          return { body: encodeExportResponse(signal, 'protobuf', { rejected: outcome.rejected, errors: outcome.errors }) };
        case 'too-large':
          return { code: GrpcCode.RESOURCE_EXHAUSTED, message: outcome.message, retry: false };
        case 'busy':
          return { code: GrpcCode.RESOURCE_EXHAUSTED, message: outcome.message, retry: true };
        case 'unavailable':
          return { code: GrpcCode.UNAVAILABLE, message: outcome.message, retry: true };
        case 'forbidden':
          return { code: GrpcCode.PERMISSION_DENIED, message: outcome.message, retry: false };
      }
    } catch (error) {
      if (!isReceiverError(error)) throw error;
      return { code: error.grpcCode, message: error.message, retry: false };
    }
  };

  for (const signal of SIGNALS) {
    const definition = exportMethod(signal);
    const handler: grpc.handleUnaryCall<Buffer, Buffer> = (call, callback) => {
      answer(signal, definition.path, call, callback);
    };
    server.addService({ Export: definition }, { Export: handler });
  }

  const port = await new Promise<number>((resolve, reject) => {
    const credentials = options.tls?.grpcCredentials() ?? grpc.ServerCredentials.createInsecure();
    server.bindAsync(`${bracketed(options.host)}:${String(options.port)}`, credentials, (error, bound) => {
      if (error) reject(error);
      else resolve(bound);
    });
  });
  const url = `${options.tls === undefined ? 'http' : 'https'}://${bracketed(options.host)}:${String(port)}`;
  log.info(`OTLP/gRPC receiver listening on ${url}`);

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    close(graceMs = 5_000) {
      closing ??= new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      return closing;
    },
  };
}

function bracketed(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** What a call's `authorization` metadata authenticates as (`Credentials.authenticate`); `undefined`: refused. */
function authenticate(metadata: grpc.Metadata, credentials: Credentials | undefined): Authenticated | undefined {
  if (credentials === undefined) return {};
  const value = metadata.get('authorization')[0];
  return credentials.authenticate(typeof value === 'string' ? value : undefined);
}

function cut(text: string): string {
  return text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS - 1)}…` : text;
}
