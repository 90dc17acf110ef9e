/**
 * Every error answer of the OTLP/HTTP receiver (the OTLP paths and unknown paths) is a
 * `google.rpc.Status` in the request's format — JSON for a JSON request, protobuf for a protobuf
 * one, protobuf when the Content-Type names neither — with that format's Content-Type, a message
 * and the `google.rpc.Code` of the answer. Bodies are decoded with the OFFICIAL `google.rpc.Status`
 * (test/peers/official-proto.ts), not with the receiver's own schema. No Aim is needed: the
 * receiver points at a port nobody listens on, which is how 503 and 429 are produced too.
 */
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import type protobuf from 'protobufjs';
import { type Receiver, createReceiver } from '../../src/receiver/index.js';
import { officialRoot } from '../peers/official-proto.js';
import { freePort } from '../../src/up/ports.js';

/** `google.rpc.Code` values (google/rpc/code.proto), written out here rather than taken from the code under test. */
const CODE = { INVALID_ARGUMENT: 3, PERMISSION_DENIED: 7, RESOURCE_EXHAUSTED: 8, UNIMPLEMENTED: 12, UNAVAILABLE: 14, UNAUTHENTICATED: 16 } as const;

const PROTOBUF = 'application/x-protobuf';
const JSON_TYPE = 'application/json';
const TOKEN = 'secret';
const AUTH = { authorization: `Bearer ${TOKEN}` };
/** A token whose tenant writes only into the experiment `team-a`. */
const TEAM_A = { authorization: 'Bearer team-a-secret' };
/** The receivers' body limit (after decompression). */
const LIMIT = 64 * 1024;

type Format = 'protobuf' | 'json';

interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

interface Ask {
  readonly method?: string;
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Buffer | string;
  /** Send the body chunked, without Content-Length (so a size limit is met while reading). */
  readonly chunked?: boolean;
}

/** One HTTP request through node:http: fetch can send neither an absolute-form request target nor a chunked body of our choosing. */
function ask(baseUrl: string, { method = 'POST', path, headers = {}, body, chunked = false }: Ask): Promise<Answer> {
  const url = new URL(baseUrl);
  const bytes = body === undefined ? undefined : Buffer.from(body);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers: { ...headers, ...(bytes !== undefined && !chunked ? { 'content-length': String(bytes.length) } : {}) },
        timeout: 30_000,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) });
        });
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`${method} ${path}: no answer in 30 s`)));
    // The receiver may answer (413) and close before the whole body is sent.
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error);
    });
    if (bytes !== undefined && chunked) {
      for (let at = 0; at < bytes.length; at += 16 * 1024) request.write(bytes.subarray(at, at + 16 * 1024));
    } else if (bytes !== undefined) {
      request.write(bytes);
    }
    request.end();
  });
}

/** An OTLP/JSON trace request (object form) with `count` GenAI chat spans of one fresh trace. */
/** `count` chat spans of one new trace; with `experiment`, its resource names that experiment (`aim.experiment`). */
function traceObject(count: number, experiment?: string): { resourceSpans: unknown[] } {
  const traceId = randomBytes(16).toString('hex');
  const now = BigInt(Date.now()) * 1_000_000n;
  const spans = Array.from({ length: count }, () => ({
    traceId,
    spanId: randomBytes(8).toString('hex'),
    name: 'chat m',
    kind: 3,
    startTimeUnixNano: String(now - 5_000_000n),
    endTimeUnixNano: String(now),
    attributes: [
      { key: 'gen_ai.operation.name', value: { stringValue: 'chat' } },
      { key: 'gen_ai.request.model', value: { stringValue: 'm' } },
    ],
  }));
  return {
    resourceSpans: [
      {
        resource: {
          attributes: [
            { key: 'service.name', value: { stringValue: 'error-bodies-test' } },
            ...(experiment !== undefined ? [{ key: 'aim.experiment', value: { stringValue: experiment } }] : []),
          ],
        },
        scopeSpans: [{ scope: { name: 'test' }, spans }],
      },
    ],
  };
}

describe('OTLP/HTTP error answers: a google.rpc.Status in the request’s format (protobuf when it cannot be told)', function () {
  this.timeout(60_000);
  let Status: protobuf.Type;
  let TraceRequest: protobuf.Type;
  let receiver: Receiver;

  /** `count` spans as a request body of `format` (protobuf encoded with the official types). */
  const traceBody = (format: Format, count: number, experiment?: string): Buffer => {
    const object = traceObject(count, experiment);
    if (format === 'json') return Buffer.from(JSON.stringify(object));
    // The official types take ids as bytes: re-spell the hex ids.
    const spans = (object.resourceSpans[0] as { scopeSpans: { spans: { traceId: string; spanId: string }[] }[] }).scopeSpans[0]?.spans ?? [];
    const binary = {
      resourceSpans: [
        {
          ...(object.resourceSpans[0] as object),
          scopeSpans: [
            { scope: { name: 'test' }, spans: spans.map((s) => ({ ...s, traceId: Buffer.from(s.traceId, 'hex'), spanId: Buffer.from(s.spanId, 'hex') })) },
          ],
        },
      ],
    };
    return Buffer.from(TraceRequest.encode(TraceRequest.fromObject(binary)).finish());
  };

  /**
   * Checks that `answer` is a `google.rpc.Status` error answer: `status`, the Content-Type of
   * `format` (exactly: the Collector compares it verbatim), a body that decodes as the official
   * Status with `code` and a non-empty message matching `message`. Returns the decoded message.
   */
  const expectStatus = (answer: Answer, status: number, format: Format, code: number, message?: RegExp): string => {
    const what = `the ${String(answer.status)} answer ${JSON.stringify(answer.body.toString('utf8').slice(0, 200))}`;
    expect(answer.status, what).to.equal(status);
    expect(answer.headers['content-type'], what).to.equal(format === 'json' ? JSON_TYPE : PROTOBUF);
    let decoded: { code?: number; message?: string; details?: unknown[] };
    if (format === 'json') {
      const parsed = JSON.parse(answer.body.toString('utf8')) as Record<string, unknown>;
      // The proto3 JSON mapping of google.rpc.Status: these keys and no others.
      expect(Object.keys(parsed), what).to.satisfy((keys: string[]) => keys.every((key) => ['code', 'message', 'details'].includes(key)));
      expect(Status.verify(parsed), what).to.equal(null);
      decoded = Status.toObject(Status.fromObject(parsed));
    } else {
      decoded = Status.toObject(Status.decode(answer.body));
      // Every byte is accounted for by the official fields (no stray JSON or text).
      expect(Buffer.from(Status.encode(Status.fromObject(decoded)).finish()).equals(answer.body), what).to.equal(true);
    }
    expect(decoded.code, what).to.equal(code);
    expect(decoded.message, what).to.be.a('string').and.not.equal('');
    if (message !== undefined) expect(decoded.message, what).to.match(message);
    return decoded.message ?? '';
  };

  before(async () => {
    const official = await officialRoot();
    Status = official.lookupType('google.rpc.Status');
    TraceRequest = official.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
    // Nothing here reaches the sink's writes: Aim need not be there.
    receiver = await createReceiver({
      url: `aim://127.0.0.1:${String(await freePort())}`,
      port: 0,
      token: TOKEN,
      tokens: [{ token: 'team-a-secret', scope: { name: 'team-a', experiment: 'team-a' } }],
      maxBodyBytes: LIMIT,
      maxQueueSpans: 2,
    });
  });
  after(async () => {
    await receiver.close();
  });

  const TYPE: Readonly<Record<Format, string>> = { protobuf: PROTOBUF, json: JSON_TYPE };
  const bothFormats: readonly Format[] = ['protobuf', 'json'];
  const over = Buffer.alloc(LIMIT + 1, 0x20);
  const bomb = gzipSync(Buffer.alloc(16 * LIMIT, 0x20));

  /** [title, request, status, format of the answer, google.rpc.Code, message]. */
  const cases: [string, () => Ask, number, Format, number, RegExp][] = [
    [
      'random bytes as protobuf',
      () => ({ path: '/v1/traces', headers: { 'content-type': PROTOBUF, ...AUTH }, body: Buffer.from([0xff, 0xff, 0xff, 0x07, 0x01]) }),
      400,
      'protobuf',
      CODE.INVALID_ARGUMENT,
      /protobuf/,
    ],
    [
      'truncated protobuf on /v1/logs',
      () => ({ path: '/v1/logs', headers: { 'content-type': PROTOBUF, ...AUTH }, body: Buffer.from([0x0a, 0x80, 0x01, 0x0a]) }),
      400,
      'protobuf',
      CODE.INVALID_ARGUMENT,
      /protobuf/,
    ],
    [
      'malformed JSON',
      () => ({ path: '/v1/traces', headers: { 'content-type': JSON_TYPE, ...AUTH }, body: '{"resourceSpans": [' }),
      400,
      'json',
      CODE.INVALID_ARGUMENT,
      /JSON/,
    ],
    [
      'JSON of the wrong shape on /v1/metrics',
      () => ({ path: '/v1/metrics', headers: { 'content-type': `${JSON_TYPE}; charset=utf-8`, ...AUTH }, body: '{"resourceMetrics": 5}' }),
      400,
      'json',
      CODE.INVALID_ARGUMENT,
      /resourceMetrics/,
    ],
    ...bothFormats.map((format): [string, () => Ask, number, Format, number, RegExp] => [
      `corrupt gzip (${format})`,
      () => ({ path: '/v1/traces', headers: { 'content-type': TYPE[format], 'content-encoding': 'gzip', ...AUTH }, body: Buffer.from('not gzip at all') }),
      400,
      format,
      CODE.INVALID_ARGUMENT,
      /gzip/,
    ]),
    [
      'an invalid request target',
      () => ({ path: 'http://receiver:99999/v1/traces', headers: { 'content-type': JSON_TYPE, ...AUTH }, body: '{}' }),
      400,
      'json',
      CODE.INVALID_ARGUMENT,
      /not a valid URL/,
    ],
    ...bothFormats.flatMap((format): [string, () => Ask, number, Format, number, RegExp][] => [
      [
        `no token (${format})`,
        () => ({ path: '/v1/traces', headers: { 'content-type': TYPE[format] }, body: traceBody(format, 1) }),
        401,
        format,
        CODE.UNAUTHENTICATED,
        /bearer token/,
      ],
      [
        `a wrong token (${format})`,
        () => ({ path: '/v1/logs', headers: { 'content-type': TYPE[format], authorization: 'Bearer nope' }, body: '' }),
        401,
        format,
        CODE.UNAUTHENTICATED,
        /bearer token/,
      ],
      [
        `a tenant's token naming another experiment (${format})`,
        () => ({ path: '/v1/traces', headers: { 'content-type': TYPE[format], ...TEAM_A }, body: traceBody(format, 1, 'team-b') }),
        403,
        format,
        CODE.PERMISSION_DENIED,
        /team-b/,
      ],
      [
        `an unknown path (${format})`,
        () => ({ path: '/v1/profiles', headers: { 'content-type': TYPE[format], ...AUTH }, body: '' }),
        404,
        format,
        CODE.UNIMPLEMENTED,
        /not found: \/v1\/profiles/,
      ],
      [
        `GET /v1/traces (${format})`,
        () => ({ method: 'GET', path: '/v1/traces', headers: { 'content-type': TYPE[format], ...AUTH } }),
        405,
        format,
        CODE.UNIMPLEMENTED,
        /POST/,
      ],
      [
        `a body over the limit, by Content-Length (${format})`,
        () => ({ path: '/v1/traces', headers: { 'content-type': TYPE[format], ...AUTH }, body: over }),
        413,
        format,
        CODE.RESOURCE_EXHAUSTED,
        /limit/,
      ],
      [
        `a body over the limit, chunked (${format})`,
        () => ({ path: '/v1/traces', headers: { 'content-type': TYPE[format], ...AUTH }, body: over, chunked: true }),
        413,
        format,
        CODE.RESOURCE_EXHAUSTED,
        /limit/,
      ],
      [
        `a gzip bomb (${format})`,
        () => ({ path: '/v1/traces', headers: { 'content-type': TYPE[format], 'content-encoding': 'gzip', ...AUTH }, body: bomb }),
        413,
        format,
        CODE.RESOURCE_EXHAUSTED,
        /gzip-decompressed body exceeds the limit/,
      ],
      [
        `more spans than the queue holds (${format})`,
        () => ({ path: '/v1/traces', headers: { 'content-type': TYPE[format], ...AUTH }, body: traceBody(format, 3) }),
        413,
        format,
        CODE.RESOURCE_EXHAUSTED,
        /3 spans, more than the bridge queues/,
      ],
      [
        `an unsupported Content-Encoding (${format})`,
        () => ({ path: '/v1/traces', headers: { 'content-type': TYPE[format], 'content-encoding': 'br', ...AUTH }, body: 'x' }),
        415,
        format,
        CODE.UNIMPLEMENTED,
        /Content-Encoding "br"/,
      ],
    ]),
    // No Content-Type, or one that is not OTLP: the format cannot be told, so protobuf.
    ['no token and no Content-Type', () => ({ path: '/v1/metrics', body: 'x' }), 401, 'protobuf', CODE.UNAUTHENTICATED, /bearer token/],
    ['GET / (a browser)', () => ({ method: 'GET', path: '/', headers: { accept: 'text/html' } }), 404, 'protobuf', CODE.UNIMPLEMENTED, /not found/],
    ['PUT /v1/logs without a Content-Type', () => ({ method: 'PUT', path: '/v1/logs', headers: AUTH, body: 'x' }), 405, 'protobuf', CODE.UNIMPLEMENTED, /POST/],
    [
      'Content-Type text/plain',
      () => ({ path: '/v1/traces', headers: { 'content-type': 'text/plain', ...AUTH }, body: 'x' }),
      415,
      'protobuf',
      CODE.UNIMPLEMENTED,
      /text\/plain.*not supported/,
    ],
    ['no Content-Type', () => ({ path: '/v1/logs', headers: AUTH, body: 'x' }), 415, 'protobuf', CODE.UNIMPLEMENTED, /Content-Type is missing/],
    [
      'a body over the limit with Content-Type text/plain',
      () => ({ path: '/v1/traces', headers: { 'content-type': 'text/plain', ...AUTH }, body: over }),
      413,
      'protobuf',
      CODE.RESOURCE_EXHAUSTED,
      /limit/,
    ],
    // JSON, though not acceptable JSON: answered in JSON, which the sender reads.
    [
      'JSON in another charset',
      () => ({ path: '/v1/traces', headers: { 'content-type': `${JSON_TYPE}; charset=latin1`, ...AUTH }, body: '{}' }),
      415,
      'json',
      CODE.UNIMPLEMENTED,
      /UTF-8/,
    ],
    [
      'JSON with a malformed Content-Type',
      () => ({ path: '/v1/traces', headers: { 'content-type': `${JSON_TYPE};;`, ...AUTH }, body: '{}' }),
      415,
      'json',
      CODE.UNIMPLEMENTED,
      /not a valid media type/,
    ],
  ];
  for (const [title, request, status, format, code, message] of cases) {
    it(`${String(status)} to ${title}: a ${format} Status`, async () => {
      const answer = await ask(receiver.url, request());
      expectStatus(answer, status, format, code, message);
      if (status === 401) expect(answer.headers['www-authenticate']).to.equal('Bearer');
      if (status === 405) expect(answer.headers['allow']).to.equal('POST');
      expect(answer.headers['retry-after'], 'Retry-After only on 429 and 503').to.equal(undefined);
    });
  }

  it('a HEAD to an OTLP path gets 405 with the Status’s Content-Type and no body (HTTP has none for HEAD)', async () => {
    const answer = await ask(receiver.url, { method: 'HEAD', path: '/v1/traces', headers: { 'content-type': JSON_TYPE } });
    expect(answer.status).to.equal(405);
    expect(answer.headers['content-type']).to.equal(JSON_TYPE);
    expect(answer.body.length).to.equal(0);
  });

  it('503 (Aim does not acknowledge) and 429 (queue full) carry a Status in either format, with Retry-After', async () => {
    // Aim unreachable: a request's spans stay queued (and retried) until the work deadline, 4 s
    // here so that close() does not wait long; the queue holds 2 spans.
    const bridge = await createReceiver({
      url: `aim://127.0.0.1:${String(await freePort())}`,
      port: 0,
      maxQueueSpans: 2,
      writeTimeoutMs: 300,
      retryDeadlineMs: 4_000,
      retryAfterSeconds: 7,
    });
    try {
      for (const format of bothFormats) {
        const answer = await ask(bridge.url, { path: '/v1/traces', headers: { 'content-type': TYPE[format] }, body: traceBody(format, 1) });
        expectStatus(answer, 503, format, CODE.UNAVAILABLE, /retry later/);
        expect(answer.headers['retry-after']).to.equal('7');
      }
      // Both spans are still queued: the queue is full.
      for (const format of bothFormats) {
        const answer = await ask(bridge.url, { path: '/v1/logs', headers: { 'content-type': TYPE[format] }, body: format === 'json' ? '{}' : Buffer.alloc(0) });
        expectStatus(answer, 429, format, CODE.RESOURCE_EXHAUSTED, /queue is full/);
        expect(answer.headers['retry-after']).to.equal('7');
      }
    } finally {
      await bridge.close();
    }
  });

  it('the non-OTLP endpoints (/metrics, /healthz, /readyz) answer in plain text, their errors too', async () => {
    const metrics = await ask(receiver.url, { method: 'GET', path: '/metrics', headers: { 'content-type': JSON_TYPE } });
    expect(metrics.status).to.equal(401);
    expect(metrics.headers['content-type']).to.equal('text/plain; charset=utf-8');
    expect(metrics.headers['www-authenticate']).to.equal('Bearer');
    expect(metrics.body.toString('utf8')).to.match(/bearer token/);
    const post = await ask(receiver.url, { path: '/healthz', headers: { 'content-type': PROTOBUF }, body: '' });
    expect(post.status).to.equal(405);
    expect(post.headers['content-type']).to.equal('text/plain; charset=utf-8');
    expect(post.headers['allow']).to.equal('GET');
    const ready = await ask(receiver.url, { method: 'GET', path: '/readyz' });
    expect(ready.status, 'Aim is unreachable').to.equal(503);
    expect(ready.headers['content-type']).to.equal('text/plain; charset=utf-8');
    expect(ready.body.toString('utf8')).to.match(/does not answer/);
    const healthy = await ask(receiver.url, { method: 'GET', path: '/healthz' });
    expect([healthy.status, healthy.body.toString('utf8')]).to.deep.equal([200, 'ok\n']);
  });
});
