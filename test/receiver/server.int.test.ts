import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { OTLPTraceExporter as OtlpHttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { expect } from 'chai';
import { runHash } from '../../src/mapping/run-key.js';
import { type Receiver, createReceiver } from '../../src/receiver/index.js';
import { REPO_ROOT } from '../peers/cache.js';
import { type AimServer, startAimServer } from '../peers/aim.js';
import { readAimRepo } from '../peers/oracle.js';
import { freePort } from '../../src/up/ports.js';
import { otlpJsonTrace } from '../peers/otlp-fixture.js';

/** Sends `count` GenAI chat spans of conversation `conversation` through an OTel JS exporter. */
async function sendChats(exporter: SpanExporter, conversation: string, count: number): Promise<void> {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'receiver-test' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('test');
  for (let i = 0; i < count; i++) {
    const span = tracer.startSpan('chat m', {
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'm',
        'gen_ai.conversation.id': conversation,
        'gen_ai.usage.input_tokens': 100 + i,
        'gen_ai.usage.output_tokens': 7,
      },
    });
    span.end();
  }
  await provider.forceFlush();
  await provider.shutdown();
}

async function inputTokens(server: AimServer, conversation: string): Promise<unknown[]> {
  const report = await readAimRepo(server.repoDir, [runHash(conversation)]);
  return (report.runs[0]?.sequences.find((s) => s.name === 'gen_ai.usage.input_tokens')?.values ?? []).sort();
}

async function post(url: string, body: Buffer | string, headers: Record<string, string>): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const response = await fetch(url, { method: 'POST', body, headers, signal: AbortSignal.timeout(30_000) });
  return { status: response.status, headers: response.headers, body: Buffer.from(await response.arrayBuffer()) };
}

const JSON_TYPE = { 'content-type': 'application/json' };

describe('OTLP/HTTP receiver against the real aim server', function () {
  this.timeout(180_000);
  let server: AimServer;
  let receiver: Receiver;
  before(async () => {
    server = await startAimServer();
    receiver = await createReceiver({ url: server.url, port: 0, token: 'secret', maxBodyBytes: 1024 * 1024, maxQueueSpans: 1_000 });
  });
  after(async () => {
    await receiver.close();
    await server.process.stop();
  });
  const auth = { authorization: 'Bearer secret' };

  it('the OTel JS JSON and protobuf exporters deliver; the oracle finds every span in Aim', async () => {
    const headers = auth;
    await sendChats(new OtlpHttpJsonExporter({ url: `${receiver.url}/v1/traces`, headers }), 'conv-json', 5);
    await sendChats(new OtlpProtoExporter({ url: `${receiver.url}/v1/traces`, headers }), 'conv-proto', 5);
    expect(await inputTokens(server, 'conv-json')).to.deep.equal([100, 101, 102, 103, 104]);
    expect(await inputTokens(server, 'conv-proto')).to.deep.equal([100, 101, 102, 103, 104]);
  });

  const cases: [string, () => Promise<{ status: number; headers: Headers; body: Buffer }>, number, RegExp][] = [
    ['no token', () => post(`${receiver.url}/v1/traces`, '{}', JSON_TYPE), 401, /bearer token/],
    ['a wrong token', () => post(`${receiver.url}/v1/traces`, '{}', { ...JSON_TYPE, authorization: 'Bearer nope' }), 401, /bearer token/],
    ['an unknown path', () => post(`${receiver.url}/v1/profiles`, '{}', { ...JSON_TYPE, ...auth }), 404, /not found/],
    [
      'GET /v1/traces',
      async () => {
        const r = await fetch(`${receiver.url}/v1/traces`);
        return { status: r.status, headers: r.headers, body: Buffer.from(await r.arrayBuffer()) };
      },
      405,
      /POST/,
    ],
    ['a wrong content type', () => post(`${receiver.url}/v1/traces`, 'x', { 'content-type': 'text/plain', ...auth }), 415, /application\/x-protobuf/],
    [
      'random bytes as protobuf',
      () => post(`${receiver.url}/v1/traces`, Buffer.from([0xff, 0xff, 0xff, 0x07, 0x01]), { 'content-type': 'application/x-protobuf', ...auth }),
      400,
      /protobuf/,
    ],
    ['JSON with wrong types', () => post(`${receiver.url}/v1/traces`, '{"resourceSpans": 5}', { ...JSON_TYPE, ...auth }), 400, /resourceSpans/],
    [
      'a gzip bomb',
      () => post(`${receiver.url}/v1/traces`, gzipSync(Buffer.alloc(64 * 1024 * 1024)), { ...JSON_TYPE, 'content-encoding': 'gzip', ...auth }),
      413,
      /limit/,
    ],
    ['a body over the limit', () => post(`${receiver.url}/v1/traces`, Buffer.alloc(2 * 1024 * 1024, 0x20), { ...JSON_TYPE, ...auth }), 413, /limit/],
  ];
  for (const [title, request, code, message] of cases) {
    it(`answers ${String(code)} to ${title}, with a message that says what is wrong, and keeps running`, async () => {
      const answer = await request();
      expect(answer.status).to.equal(code);
      expect(answer.body.toString('utf8')).to.match(message);
      expect((await fetch(`${receiver.url}/healthz`)).status).to.equal(200);
    });
  }

  it('accepts the valid spans of a request and reports the invalid ones as partial_success', async () => {
    const good = JSON.parse(otlpJsonTrace('receiver-test', 'chat good').body) as { resourceSpans: { scopeSpans: { spans: Record<string, unknown>[] }[] }[] };
    const spans = good.resourceSpans[0]?.scopeSpans[0]?.spans ?? [];
    spans.push({ ...spans[0], traceId: 'not-hex', spanId: '0102030405060708' });
    const answer = await post(`${receiver.url}/v1/traces`, JSON.stringify(good), { ...JSON_TYPE, ...auth });
    expect(answer.status).to.equal(200);
    const body = JSON.parse(answer.body.toString('utf8')) as { partialSuccess: { rejectedSpans: string; errorMessage: string } };
    expect(body.partialSuccess.rejectedSpans).to.equal('1');
    expect(body.partialSuccess.errorMessage).to.match(/traceId/);
  });

  it('serves /healthz, /readyz and Prometheus counters on /metrics', async () => {
    expect(await (await fetch(`${receiver.url}/healthz`)).text()).to.equal('ok\n');
    expect((await fetch(`${receiver.url}/readyz`)).status).to.equal(200);
    expect((await fetch(`${receiver.url}/metrics`)).status).to.equal(401);
    const metrics = await (await fetch(`${receiver.url}/metrics`, { headers: auth })).text();
    expect(metrics).to.match(/aim_otel_bridge_spans_received_total \d+/);
    expect(metrics).to.match(/aim_otel_bridge_spans_written_total [1-9]\d*/);
    expect(metrics).to.match(/aim_otel_bridge_spans_rejected_total [1-9]/);
    expect(metrics).to.match(/aim_otel_bridge_queue_spans 0/);
    expect(metrics).to.match(/aim_otel_bridge_requests_total\{code="401"\} [1-9]/);
  });

  it('answers 503 with Retry-After while Aim is down (never 500), /readyz says so, and recovers', async () => {
    const down = await startAimServer();
    const bridge = await createReceiver({ url: down.url, port: 0, writeTimeoutMs: 1_500 });
    try {
      await down.process.stop();
      const trace = otlpJsonTrace('receiver-test', 'chat while down');
      const answer = await post(`${bridge.url}/v1/traces`, trace.body, JSON_TYPE);
      expect(answer.status).to.equal(503);
      expect(answer.headers.get('retry-after')).to.equal('5');
      expect((await fetch(`${bridge.url}/readyz`)).status).to.equal(503);
      const up = await startAimServer({ repoDir: down.repoDir, port: down.port });
      try {
        // Retried as a Collector does: the first attempt is still queued (in the sink's backoff),
        // so a retry waits for it and may be answered 503 again until it is written.
        let status = 0;
        for (const until = Date.now() + 30_000; status !== 200 && Date.now() < until;) {
          status = (await post(`${bridge.url}/v1/traces`, trace.body, JSON_TYPE)).status;
          if (status !== 200) await new Promise((wait) => setTimeout(wait, 1_000));
        }
        expect(status).to.equal(200);
        expect((await fetch(`${bridge.url}/readyz`)).status).to.equal(200);
      } finally {
        await bridge.close();
        await up.process.stop();
      }
    } finally {
      await bridge.close();
    }
  });

  it('answers 429 with Retry-After while its queue is full, and takes the spans once there is room', async () => {
    const aim = await startAimServer();
    const bridge = await createReceiver({ url: aim.url, port: 0, maxQueueSpans: 3, writeTimeoutMs: 20_000 });
    try {
      aim.process.signal('SIGSTOP'); // Aim stops acknowledging: the first request's spans stay queued
      const two = (name: string): string => {
        const trace = JSON.parse(otlpJsonTrace('receiver-test', name).body) as { resourceSpans: { scopeSpans: { spans: Record<string, unknown>[] }[] }[] };
        const spans = trace.resourceSpans[0]?.scopeSpans[0]?.spans ?? [];
        spans.push({ ...spans[0], spanId: 'abcdefabcdefabcd' });
        return JSON.stringify(trace);
      };
      const first = post(`${bridge.url}/v1/traces`, two('first'), JSON_TYPE);
      await new Promise((wait) => setTimeout(wait, 300));
      const second = await post(`${bridge.url}/v1/traces`, two('second'), JSON_TYPE);
      expect(second.status).to.equal(429);
      expect(second.headers.get('retry-after')).to.equal('5');
      aim.process.signal('SIGCONT');
      expect((await first).status).to.equal(200);
      expect((await post(`${bridge.url}/v1/traces`, two('third'), JSON_TYPE)).status).to.equal(200);
    } finally {
      aim.process.signal('SIGCONT');
      await bridge.close();
      await aim.process.stop();
    }
  });

  it('answers 413 to 100,000 spans in one request (more than it queues), 400 to truncated protobuf, and rejects deeply nested values', async () => {
    const bridge = await createReceiver({ url: server.url, port: 0 });
    try {
      const trace = JSON.parse(otlpJsonTrace('receiver-test', 'many').body) as { resourceSpans: { scopeSpans: { spans: Record<string, unknown>[] }[] }[] };
      const scope = trace.resourceSpans[0]?.scopeSpans[0];
      const template = scope?.spans[0] ?? {};
      if (scope) scope.spans = Array.from({ length: 100_000 }, (_, i) => ({ ...template, spanId: (i + 1).toString(16).padStart(16, '0') }));
      const many = await post(`${bridge.url}/v1/traces`, JSON.stringify(trace), JSON_TYPE);
      expect(many.status).to.equal(413);
      expect(many.body.toString('utf8')).to.match(/100000 spans/);

      // Field 1 (resource_spans), length-delimited, announcing 128 bytes of which 1 follows.
      const truncated = await post(`${bridge.url}/v1/traces`, Buffer.from([0x0a, 0x80, 0x01, 0x0a]), { 'content-type': 'application/x-protobuf' });
      expect(truncated.status).to.equal(400);

      let nested: unknown = { stringValue: 'bottom' };
      for (let i = 0; i < 100; i++) nested = { kvlistValue: { values: [{ key: 'k', value: nested }] } };
      const deep = JSON.parse(otlpJsonTrace('receiver-test', 'deep').body) as { resourceSpans: { scopeSpans: { spans: { attributes: unknown[] }[] }[] }[] };
      deep.resourceSpans[0]?.scopeSpans[0]?.spans[0]?.attributes.push({ key: 'deep', value: nested });
      const answer = await post(`${bridge.url}/v1/traces`, JSON.stringify(deep), JSON_TYPE);
      expect(answer.status).to.equal(200);
      expect(answer.body.toString('utf8')).to.match(/"rejectedSpans":"1"/);
      expect((await fetch(`${bridge.url}/healthz`)).status).to.equal(200);
    } finally {
      await bridge.close();
    }
  });

  it('aim-otel-bridge serve --help lists every option with its environment variable', async () => {
    const { stdout: help } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve', '--help'], { cwd: REPO_ROOT });
    for (const env of [
      'AIM_URL',
      'HOST',
      'PORT',
      'TOKEN',
      'MAX_BODY_BYTES',
      'WRITE_TIMEOUT_MS',
      'MAX_QUEUE_SPANS',
      'EXPERIMENT',
      'RUN_KEY',
      'NAMESPACE',
      'IDLE_CLOSE_MS',
      'LOG_LEVEL',
    ]) {
      expect(help.replace(/\s+/g, ' ')).to.contain(`AIM_OTEL_BRIDGE_${env}`);
    }
  });

  it('aim-otel-bridge serve: options from flags and env, SIGTERM stops it with exit code 0', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve', '--port', String(port)], {
      cwd: REPO_ROOT,
      env: { ...process.env, AIM_OTEL_BRIDGE_AIM_URL: server.url, AIM_OTEL_BRIDGE_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const deadline = Date.now() + 30_000;
      while (
        !(await fetch(`http://127.0.0.1:${String(port)}/healthz`).then(
          (r) => r.ok,
          () => false,
        ))
      ) {
        if (Date.now() > deadline) throw new Error(`serve did not start: ${stderr}`);
        await new Promise((wait) => setTimeout(wait, 200));
      }
      const trace = otlpJsonTrace('receiver-test', 'chat via serve');
      expect((await post(`http://127.0.0.1:${String(port)}/v1/traces`, trace.body, JSON_TYPE)).status).to.equal(200);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).to.equal(0);
    const logs = stderr
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { level: string; msg: string });
    expect(logs.some((line) => line.level === 'info' && line.msg.includes('SIGTERM'))).to.equal(true);
  });
});
