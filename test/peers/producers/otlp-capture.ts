/**
 * A capturing OTLP/HTTP server for tests and the capture tool: answers every POST with 200 and an
 * empty body, and records each request's path, content type, content encoding and body.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { officialRoot } from '../official-proto.js';
import { decodeOtlpRequest, signalOfPath, type DecodedRequest, type OtlpSignal } from './otlp-decode.js';

/** One request the capturing server received. */
export interface CapturedRequest {
  method: string;
  path: string;
  /** The `content-type` header ('' when absent). */
  contentType: string;
  /** The `content-encoding` header ('' when absent). */
  contentEncoding: string;
  /** The body as received (still compressed if it was). */
  body: Buffer;
  /** The OTLP signal of the path, if it is one of /v1/traces, /v1/logs, /v1/metrics. */
  signal: OtlpSignal | undefined;
}

/** A decoded captured request. */
export interface DecodedCapture extends DecodedRequest {
  signal: OtlpSignal;
  path: string;
  contentType: string;
}

/** A running capturing server. */
export interface OtlpCapture {
  /** Base URL (`http://127.0.0.1:PORT`), for an OTLP/HTTP endpoint setting. */
  url: string;
  /** Every request received so far, in order. */
  requests: CapturedRequest[];
  /** The protobuf requests of `signal` (all signals when omitted), decoded. */
  decoded(signal?: OtlpSignal): DecodedCapture[];
  /** Forgets the requests received so far. */
  clear(): void;
  /** Stops the server. */
  close(): Promise<void>;
}

/** The body of a captured request, uncompressed. */
export function plainBody(request: CapturedRequest): Buffer {
  return request.contentEncoding.toLowerCase() === 'gzip' ? gunzipSync(request.body) : request.body;
}

/** Starts a capturing OTLP/HTTP server on a free loopback port. */
export async function startOtlpCapture(): Promise<OtlpCapture> {
  const root = await officialRoot();
  const requests: CapturedRequest[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = new URL(request.url ?? '/', 'http://localhost').pathname;
      requests.push({
        method: request.method ?? '',
        path,
        contentType: request.headers['content-type'] ?? '',
        contentEncoding: request.headers['content-encoding'] ?? '',
        body: Buffer.concat(chunks),
        signal: signalOfPath(path),
      });
      response.writeHead(200, { 'content-type': request.headers['content-type'] ?? 'application/x-protobuf', 'content-length': 0 });
      response.end();
    });
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    decoded: (signal) =>
      requests
        .filter((request) => request.signal !== undefined && (signal === undefined || request.signal === signal))
        .filter((request) => request.contentType.startsWith('application/x-protobuf'))
        .map((request) => {
          const requestSignal = request.signal as OtlpSignal;
          return { signal: requestSignal, path: request.path, contentType: request.contentType, ...decodeOtlpRequest(root, requestSignal, plainBody(request)) };
        }),
    clear: () => {
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolveClose) => {
        server.closeAllConnections();
        server.close(() => {
          resolveClose();
        });
      }),
  };
}
