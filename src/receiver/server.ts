import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { parseAimUrl } from '../aim/url.js';
import { componentLogger } from '../logging/component-logger.js';
import { RateLimitedLog } from '../logging/rate-limited-log.js';
import { AimSink, type AimSinkOptions, type AimSinkStats, DEFAULT_MAX_QUEUE_SPANS } from '../sink/aim-sink.js';
import { checkBind } from './bind-guard.js';
import { CONTENT_TYPE, answerFormatOf } from './content.js';
import { type Credential, Credentials, describeSet } from './credentials.js';
import { DEFAULT_MAX_BODY_BYTES, parseBody, uncompressedBody } from './decode.js';
import { encodeExportResponse, encodeStatus, statusOf } from './encode.js';
import { GrpcCode, type GrpcCodeValue, type OtlpFormat, isReceiverError } from './errors.js';
import { type GrpcReceiver, startGrpcReceiver } from './grpc-server.js';
import { Ingest, requestKey } from './ingest.js';
import { ReceiverMetrics } from './metrics.js';
import type { OtlpSignal } from './schema.js';
import type { TenantScope } from './tenant-scope.js';
import { ReceiverTls, type ReceiverTlsOptions, registerTlsMetrics } from './tls.js';

const log = componentLogger('receiver');

/** Options of the OTLP/HTTP (and optionally OTLP/gRPC) receiver: where it listens, its limits, and where and how it writes to Aim. */
export interface ReceiverOptions extends AimSinkOptions {
  /** Interface to listen on. Default `127.0.0.1` (loopback only). */
  host?: string;
  /** Port. Default 4319; 0 picks a free one. */
  port?: number;
  /**
   * When set, `POST /v1/traces`, `/v1/logs`, `/v1/metrics` and `GET /metrics` (and every gRPC
   * call) need `Authorization: Bearer <token>`. Default none. With `tokens` and `tokenFile`, any
   * of their tokens is accepted.
   */
  token?: string;
  /** More accepted tokens, each a string or a {@link Credential} (a token with the tenant scope of what it may write). Default none. */
  tokens?: readonly (string | Credential)[];
  /**
   * A file of accepted tokens (one a line, `#` comments; or JSON with tenant scopes: see
   * `credentials.ts`), read again when it changes (every `tokenFileReloadMs`), so tokens rotate
   * without a restart. A file that cannot be used at start makes `createReceiver` reject with a
   * `CredentialsError` (naming the file and the entry, never a token); later, the tokens in use
   * stay and a warning is logged. Default none.
   */
  tokenFile?: string;
  /** How often the token file is checked for changes, in ms. Default 5 000. */
  tokenFileReloadMs?: number;
  /**
   * Listen on a non-loopback `host` (or `grpcHost`) without tokens or client certificates
   * (`tls.clientCaFile`). Without it, `createReceiver` rejects such a start with an
   * `UnauthenticatedBindError`: `aim server` has no authentication, and this receiver would
   * let anyone who reaches it write into Aim. With it, a warning is logged. Default false.
   */
  allowUnauthenticatedNetwork?: boolean;
  /** Largest request body, in bytes, after decompression. Default 64 MiB. */
  maxBodyBytes?: number;
  /** How long a request waits for Aim to acknowledge its spans before it is answered 503, in ms. Default 10 000. */
  writeTimeoutMs?: number;
  /** `Retry-After` of 429 and 503 answers (and the `RetryInfo` delay of gRPC answers), in seconds. Default 5. */
  retryAfterSeconds?: number;
  /**
   * Port of the OTLP/gRPC receiver (`{Trace,Logs,Metrics}Service/Export`); 0 picks a free one.
   * Default: no gRPC receiver. It shares the token, the size limit (`maxBodyBytes`, after
   * decompression), the queue and the answers' contract with OTLP/HTTP.
   */
  grpcPort?: number;
  /** Interface the gRPC receiver listens on. Default: `host`. */
  grpcHost?: string;
  /**
   * Where root-level model calls with no run key go (`UnkeyedRunOptions`). The receiver's
   * default grouping is `window` (one run per service, model variant and hour), not the sink's
   * `trace`: it takes any service's traffic, and a service making independent calls would
   * otherwise make one Aim run per call. `{ grouping: 'trace' }` keeps one run per trace.
   */
  unkeyed?: NonNullable<AimSinkOptions['unkeyed']>;
  /**
   * TLS for OTLP/HTTP (then `https://`) and OTLP/gRPC: certificate and key files, optionally a
   * client CA whose certificates clients must present (mutual TLS); the files are read again while
   * the receiver runs (`ReceiverTlsOptions`). Unusable files at start make `createReceiver` reject
   * with a `TlsConfigError` naming the file. Default: none, plain HTTP and insecure gRPC.
   */
  tls?: ReceiverTlsOptions;
}

/** The receiver's grouping of root-level model calls with no run key: `window`, unless the options say otherwise. */
function receiverUnkeyed(unkeyed: AimSinkOptions['unkeyed']): NonNullable<AimSinkOptions['unkeyed']> {
  return { ...unkeyed, grouping: unkeyed?.grouping ?? 'window' };
}

/** A running receiver. */
export interface Receiver {
  /** `http://host:port`, or `https://host:port` with `tls`. */
  readonly url: string;
  readonly port: number;
  /** `http://host:port` of the OTLP/gRPC receiver (insecure; `https://` with `tls`), when `grpcPort` was given. */
  readonly grpcUrl?: string;
  /** The port of the OTLP/gRPC receiver, when `grpcPort` was given. */
  readonly grpcPort?: number;
  /** Counters of the spans it took and wrote. */
  readonly stats: AimSinkStats;
  /** Whether every client must present a certificate verified against `tls.clientCaFile` (mutual TLS, over HTTP and gRPC). */
  readonly clientCertificatesRequired: boolean;
  /** Stops accepting, answers what is in flight, writes what is queued, closes the Aim runs. Idempotent. */
  close(): Promise<void>;
}

const SIGNAL_PATHS: Readonly<Record<string, OtlpSignal>> = { '/v1/traces': 'traces', '/v1/logs': 'logs', '/v1/metrics': 'metrics' };

/** The paths that are not OTLP: probes and the Prometheus scrape, answered in plain text. */
const ADMIN_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

const TOKEN_REQUIRED = 'a valid bearer token is required (Authorization: Bearer <token>)';

/**
 * Starts the OTLP/HTTP receiver: `POST /v1/traces`, `/v1/logs` and `/v1/metrics` (protobuf or
 * JSON, gzip/deflate) → Aim. A request is answered 200 only once Aim acknowledged what it carried
 * (so a bridge killed mid-request loses nothing: the sender retries it), with `partial_success`
 * for items rejected as invalid; 400/401/404/405/413/415 per OTLP/HTTP (413 also for a request with
 * more items than the queue holds); 429 (busy) or 503 (Aim unreachable) with `Retry-After`, never
 * 500 for a transient failure. Every answer other than 2xx on the OTLP paths and on unknown paths
 * carries a `google.rpc.Status` (`code`, `message`) in the request's format: JSON
 * (`application/json`) when its `Content-Type` is JSON, else protobuf (`application/x-protobuf`),
 * also when the Content-Type is missing or unsupported (see `answerFormatOf`). Every answer other
 * than 2xx is logged (rate-limited) with method, path, status and reason. Also `GET /healthz`
 * (alive), `GET /readyz` (Aim reachable and writes not failing for good) and `GET /metrics`
 * (Prometheus text, behind the token): these are not OTLP endpoints, and answer in plain text,
 * their errors (401, 405, 503) too.
 */
export async function createReceiver(options: ReceiverOptions): Promise<Receiver> {
  const {
    host = '127.0.0.1',
    port = 4319,
    token,
    maxBodyBytes = DEFAULT_MAX_BODY_BYTES,
    writeTimeoutMs = 10_000,
    retryAfterSeconds = 5,
    grpcPort,
    grpcHost = host,
    tls: tlsOptions,
    tokens,
    tokenFile,
    tokenFileReloadMs,
    allowUnauthenticatedNetwork = false,
    ...sinkOptions
  } = options;
  // First: files that cannot be used fail the start before anything listens or connects to Aim.
  const tls = tlsOptions === undefined ? undefined : await ReceiverTls.start(tlsOptions);
  // Who may send: the tokens (a token file that cannot be used fails the start too), and no open door by accident.
  let credentials: Credentials | undefined;
  try {
    credentials = Credentials.load({
      ...(token !== undefined ? { token } : {}),
      ...(tokens !== undefined ? { tokens } : {}),
      ...(tokenFile !== undefined ? { tokenFile } : {}),
      ...(tokenFileReloadMs !== undefined ? { tokenFileReloadMs } : {}),
    });
    const unauthenticated = checkBind({
      hosts: grpcPort === undefined ? [host] : [host, grpcHost],
      tokens: credentials.required,
      clientCertificates: tlsOptions?.clientCaFile !== undefined,
      allowUnauthenticatedNetwork,
    });
    if (unauthenticated.length > 0)
      log.warn(
        `listening on ${unauthenticated.join(' and ')} WITHOUT authentication (allowUnauthenticatedNetwork): anyone who reaches this port can write into Aim`,
      );
    if (credentials.required)
      log.info(
        `senders authenticate with a bearer token: ${describeSet(credentials.size, credentials.tenants)}${tokenFile === undefined ? '' : `, token file ${tokenFile}`}`,
      );
  } catch (error) {
    credentials?.close();
    tls?.close();
    throw error;
  }
  const maxQueueSpans = options.maxQueueSpans ?? DEFAULT_MAX_QUEUE_SPANS;
  // The Aim session's trouble (a restore the server refuses, a run storage it cannot open):
  // reported on /readyz and /metrics until it is over.
  let aimProblem: string | undefined;
  // Reads the sink's stats at scrape time only (the sink is made below).
  const metrics: ReceiverMetrics = new ReceiverMetrics(() => sink.stats);
  const sink: AimSink = new AimSink({
    ...sinkOptions,
    unkeyed: receiverUnkeyed(sinkOptions.unkeyed),
    aim: {
      ...sinkOptions.aim,
      onSessionHealth: (problem) => {
        aimProblem = problem;
        metrics.aimSessionHealthy.set(problem === undefined ? 1 : 0);
        if (problem !== undefined) metrics.aimSessionProblems.inc();
        sinkOptions.aim?.onSessionHealth?.(problem);
      },
    },
  });
  const ingest = new Ingest(sink, metrics, {
    writeTimeoutMs,
    maxQueueItems: maxQueueSpans,
    workDeadlineMs: Math.max(writeTimeoutMs, Math.min(options.retryDeadlineMs ?? 120_000, 120_000)),
  });
  const answers = new RateLimitedLog(log);
  const aimStatusUrl = `${parseAimUrl(options.url).httpBase}/status/`;
  const retryAfter = { 'retry-after': String(retryAfterSeconds) };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = pathOf(request);
    // The format of a Status answered before the body is read (or instead of reading it).
    const answerFormat = answerFormatOf(request.headers['content-type']);
    const signal = path === undefined ? undefined : SIGNAL_PATHS[path];
    if (path === undefined) {
      status(response, 400, answerFormat, GrpcCode.INVALID_ARGUMENT, `the request target ${quote(request.url ?? '')} is not a valid URL`);
    } else if (signal !== undefined) {
      if (request.method !== 'POST')
        status(response, 405, answerFormat, GrpcCode.UNIMPLEMENTED, `method not allowed: ${request.method ?? '?'} ${path} (only POST)`, { allow: 'POST' });
      else {
        const authenticated = credentials.authenticate(request.headers.authorization);
        if (authenticated === undefined) status(response, 401, answerFormat, GrpcCode.UNAUTHENTICATED, TOKEN_REQUIRED, { 'www-authenticate': 'Bearer' });
        else await receive(signal, request, response, authenticated.scope);
      }
    } else if (!ADMIN_PATHS.has(path)) {
      status(response, 404, answerFormat, GrpcCode.UNIMPLEMENTED, `not found: ${path}; the receiver serves POST /v1/traces, /v1/logs and /v1/metrics`);
    } else if (request.method !== 'GET' && request.method !== 'HEAD') {
      plain(response, 405, 'method not allowed', { allow: 'GET' });
    } else if (path === '/healthz') {
      plain(response, 200, 'ok');
    } else if (path === '/readyz') {
      const failing = sink.failingForGood ?? (aimProblem === undefined ? undefined : `the Aim session is in trouble: ${aimProblem}`);
      const ready = failing === undefined && (await aimAnswers(aimStatusUrl));
      plain(response, ready ? 200 : 503, ready ? 'ready' : (failing ?? `Aim at ${options.url} does not answer`));
    } else if (credentials.authenticate(request.headers.authorization) !== undefined) {
      plain(response, 200, await metrics.registry.metrics(), { 'content-type': metrics.registry.contentType });
    } else {
      // A Prometheus scraper is no OTLP client: plain text, like the other answers of /metrics.
      plain(response, 401, TOKEN_REQUIRED, { 'www-authenticate': 'Bearer' });
    }
  };

  /** Receives an authenticated request; `scope`: what its token may write (none: anything). */
  const receive = async (signal: OtlpSignal, request: IncomingMessage, response: ServerResponse, scope: TenantScope | undefined): Promise<void> => {
    // The Content-Type's format until the body is decoded (a 413 can come before).
    let format: OtlpFormat = answerFormatOf(request.headers['content-type']);
    try {
      const body = await readBody(request, maxBodyBytes);
      const uncompressed = await uncompressedBody(body, request.headers['content-type'], request.headers['content-encoding'], { maxBodyBytes });
      const bodyFormat = uncompressed.format;
      format = bodyFormat;
      const outcome = await ingest.exportOnce(
        signal,
        requestKey(signal, uncompressed.plain),
        () => parseBody(signal, uncompressed.plain, bodyFormat),
        bodyFormat,
        scope,
      );
      switch (outcome.kind) {
        case 'accepted':
          send(response, 200, format, encodeExportResponse(signal, format, { rejected: outcome.rejected, errors: outcome.errors }));
          break;
        case 'too-large':
          status(response, 413, format, GrpcCode.RESOURCE_EXHAUSTED, outcome.message);
          break;
        case 'busy':
          status(response, 429, format, GrpcCode.RESOURCE_EXHAUSTED, outcome.message, retryAfter);
          break;
        case 'unavailable':
          status(response, 503, format, GrpcCode.UNAVAILABLE, outcome.message, retryAfter);
          break;
        case 'forbidden':
          status(response, 403, format, GrpcCode.PERMISSION_DENIED, outcome.message);
          break;
      }
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        status(response, 413, format, GrpcCode.RESOURCE_EXHAUSTED, error.message);
      } else if (isReceiverError(error)) {
        status(response, error.httpStatus, error.format ?? format, statusOf(error).code, error.message);
      } else {
        answers.error('unexpected receiver error', String(error));
        status(response, 503, format, GrpcCode.UNAVAILABLE, 'the bridge failed to handle the request; retry later', retryAfter);
      }
    }
  };

  const onRequest = (request: IncomingMessage, response: ServerResponse): void => {
    handle(request, response)
      .catch((error: unknown) => {
        answers.error('receiver request failed', String(error));
        if (response.headersSent) return;
        const path = pathOf(request);
        if (path !== undefined && ADMIN_PATHS.has(path)) plain(response, 503, 'internal error; retry later', retryAfter);
        else status(response, 503, answerFormatOf(request.headers['content-type']), GrpcCode.UNAVAILABLE, 'internal error; retry later', retryAfter);
      })
      .finally(() => {
        metrics.requests.inc({ code: String(response.statusCode) });
        if (response.statusCode >= 300)
          answers.warn(`${request.method ?? '?'} ${request.url ?? '?'} → ${String(response.statusCode)}`, REASONS.get(response) ?? '');
      });
  };
  const server: Server =
    tls === undefined
      ? createServer(onRequest)
      : httpsServer(tls, onRequest, (error) => {
          metrics.tlsHandshakeFailures.inc();
          answers.warn('TLS handshake refused', error.message);
        });
  server.keepAliveTimeout = 65_000;
  if (tls !== undefined) registerTlsMetrics(metrics.registry, tls);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((error: unknown) => {
    tls?.close();
    credentials.close();
    throw error;
  });
  const address = server.address() as AddressInfo;
  const url = `${tls === undefined ? 'http' : 'https'}://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${String(address.port)}`;
  log.info(`receiver listening on ${url}, writing to ${options.url}`);
  let grpcReceiver: GrpcReceiver | undefined;
  if (grpcPort !== undefined) {
    try {
      grpcReceiver = await startGrpcReceiver(
        { ingest, metrics, answers },
        {
          host: grpcHost,
          port: grpcPort,
          maxReceiveBytes: maxBodyBytes,
          retryAfterSeconds,
          credentials,
          ...(tls !== undefined ? { tls } : {}),
        },
      );
    } catch (error) {
      tls?.close();
      credentials.close();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
      await sink.shutdown();
      throw error;
    }
  }

  let closing: Promise<void> | undefined;
  return {
    url,
    port: address.port,
    ...(grpcReceiver !== undefined ? { grpcUrl: grpcReceiver.url, grpcPort: grpcReceiver.port } : {}),
    get stats() {
      return sink.stats;
    },
    clientCertificatesRequired: tls?.clientCertificatesRequired ?? false,
    close() {
      closing ??= (async () => {
        credentials.close();
        tls?.close();
        const grpcClosed = grpcReceiver?.close();
        await new Promise<void>((resolve) => {
          server.close(() => {
            resolve();
          });
          server.closeIdleConnections();
          // Held log events stop waiting for their spans: written now, their requests answered.
          sink.releaseHeldEvents();
        });
        await grpcClosed;
        await sink.shutdown();
        answers.flush();
      })();
      return closing;
    },
  };
}

class BodyTooLargeError extends Error {}

/**
 * The HTTPS server of a receiver with TLS: the material in use, replaced by each reload for new
 * connections (`setSecureContext`); with a client CA, a client certificate it verifies is
 * required. Each refused handshake is told to `onRefused`.
 */
function httpsServer(tls: ReceiverTls, onRequest: (request: IncomingMessage, response: ServerResponse) => void, onRefused: (error: Error) => void): Server {
  const required = tls.clientCertificatesRequired;
  const server = createHttpsServer({ ...tls.secureContextOptions(), requestCert: required, rejectUnauthorized: required }, onRequest);
  tls.onChange(() => {
    server.setSecureContext(tls.secureContextOptions());
  });
  server.on('tlsClientError', onRefused);
  return server;
}

/** The path of a request's target; `undefined` when the target is not a valid URL (e.g. `http://host:99999`). */
function pathOf(request: IncomingMessage): string | undefined {
  try {
    return new URL(request.url ?? '/', 'http://receiver').pathname;
  } catch {
    return undefined;
  }
}

/** The reason each error answer gave (recorded by {@link status} and {@link plain}), for the log. */
const REASONS = new WeakMap<ServerResponse, string>();

/** Reads the request body, refusing (413) once it passes `limit` bytes. */
async function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length'] ?? NaN);
  if (declared > limit) throw new BodyTooLargeError(`the body of ${String(declared)} bytes exceeds the limit of ${String(limit)} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new BodyTooLargeError(`the body exceeds the limit of ${String(limit)} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

async function aimAnswers(statusUrl: string): Promise<boolean> {
  try {
    const answer = await fetch(statusUrl, { signal: AbortSignal.timeout(2_000) });
    await answer.arrayBuffer();
    return answer.ok;
  } catch {
    return false;
  }
}

function send(response: ServerResponse, code: number, format: OtlpFormat, body: Buffer, headers: Record<string, string> = {}): void {
  response.writeHead(code, { 'content-type': CONTENT_TYPE[format], 'content-length': String(body.length), ...headers });
  response.end(body);
}

/**
 * An error answer of an OTLP path (or an unknown one): a `google.rpc.Status` in `format` (the
 * request's; see `answerFormatOf`), with the Content-Type of that format and `headers` (`Retry-After`,
 * `Allow`, `WWW-Authenticate`).
 */
function status(
  response: ServerResponse,
  code: number,
  format: OtlpFormat,
  grpcCode: GrpcCodeValue,
  message: string,
  headers: Record<string, string> = {},
): void {
  REASONS.set(response, message);
  send(response, code, format, encodeStatus(format, { code: grpcCode, message }), headers);
}

/** A request's text quoted for a message, cut to a sane length. */
function quote(text: string): string {
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);
}

function plain(response: ServerResponse, code: number, text: string, headers: Record<string, string> = {}): void {
  if (code >= 300) REASONS.set(response, text);
  response.writeHead(code, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  response.end(`${text}\n`);
}
