/**
 * The OTLP/gRPC receiver against real peers: the OTel JS gRPC exporters (gzip), the Collector built
 * from our manifest (its `otlp_grpc` exporter), a real aim server read back with the oracle, and a
 * raw grpc-js client for the error contract (status codes, `RetryInfo` in `grpc-status-details-bin`).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { InMemoryMetricExporter, AggregationTemporality, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import { runHash } from '../../src/mapping/run-key.js';
import { RETRY_INFO_TYPE_URL, STATUS_DETAILS_TRAILER } from '../../src/receiver/grpc-server.js';
import { type Receiver, createReceiver } from '../../src/receiver/index.js';
import { otlpTypes } from '../../src/receiver/schema.js';
import { type AimServer, startAimServer } from '../peers/aim.js';
import { collectorToBridgeConfig, startCollector } from '../peers/collector.js';
import { readAimRun } from '../peers/oracle.js';
import { otlpJsonTrace, postOtlpJson } from '../peers/otlp-fixture.js';
import { freePort } from '../../src/up/ports.js';
import { eventually } from '../peers/wait.js';

const RESOURCE = resourceFromAttributes({ 'service.name': 'grpc-test' });
const TOKEN = 'secret';

function bearer(token = TOKEN): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  return metadata;
}

/** GenAI chat spans of `conversation` (one per input token count), finished, not exported. */
function chatSpans(conversation: string, inputTokens: readonly number[]): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource: RESOURCE, spanProcessors: [new SimpleSpanProcessor(memory)] });
  for (const tokens of inputTokens) {
    provider
      .getTracer('test')
      .startSpan(
        'chat m',
        {
          attributes: {
            'gen_ai.operation.name': 'chat',
            'gen_ai.request.model': 'm',
            'gen_ai.provider.name': 'openai',
            'gen_ai.conversation.id': conversation,
            'gen_ai.usage.input_tokens': tokens,
            'gen_ai.usage.output_tokens': 7,
          },
        },
        ROOT_CONTEXT,
      )
      .end();
  }
  return memory.getFinishedSpans();
}

/** Calls an exporter's `export` and resolves to the result its callback reports. */
function exported<T>(exporter: { export(items: T, done: (result: ExportResult) => void): void }, items: T): Promise<ExportResult> {
  return new Promise((resolve) => {
    exporter.export(items, resolve);
  });
}

/** A raw `Export` call; resolves to the status (OK or not) with the `google.rpc.Status` of the trailer decoded. */
interface CallAnswer {
  code: grpc.status;
  details: string;
  /** `retry_delay.seconds` of a `RetryInfo` in the status details, when there is one. */
  retryDelaySeconds?: number;
  response?: Buffer;
}

async function call(url: string, service: string, body: Buffer, metadata: grpc.Metadata, options: grpc.ChannelOptions = {}): Promise<CallAnswer> {
  const client = new grpc.Client(url.replace(/^http:\/\//, ''), grpc.credentials.createInsecure(), options);
  try {
    return await new Promise<CallAnswer>((resolve) => {
      client.makeUnaryRequest(
        `/opentelemetry.proto.collector.${service}/Export`,
        (request: Buffer) => request,
        (response: Buffer) => response,
        body,
        metadata,
        { deadline: Date.now() + 60_000 },
        (error, response) => {
          if (error === null) {
            resolve({ code: grpc.status.OK, details: '', ...(response !== undefined ? { response } : {}) });
            return;
          }
          const answer: CallAnswer = { code: error.code, details: error.details };
          const detailsBin = error.metadata.get(STATUS_DETAILS_TRAILER)[0];
          if (Buffer.isBuffer(detailsBin)) {
            const { Status, RetryInfo } = otlpTypes();
            const status = Status.toObject(Status.decode(detailsBin), { longs: Number }) as {
              code: number;
              details?: { typeUrl: string; value: Uint8Array }[];
            };
            expect(status.code, 'the Status in the trailer has the call’s code').to.equal(error.code);
            const retry = status.details?.find((d) => d.typeUrl === RETRY_INFO_TYPE_URL);
            if (retry !== undefined) {
              const info = RetryInfo.toObject(RetryInfo.decode(retry.value), { longs: Number }) as { retryDelay?: { seconds?: number } };
              answer.retryDelaySeconds = info.retryDelay?.seconds ?? 0;
            }
          }
          resolve(answer);
        },
      );
    });
  } finally {
    client.close();
  }
}

const TRACES = 'trace.v1.TraceService';

function grpcUrl(receiver: Receiver): string {
  if (receiver.grpcUrl === undefined) throw new Error('the receiver was started without grpcPort');
  return receiver.grpcUrl;
}

/** An `ExportTraceServiceRequest` (protobuf) with `count` GenAI spans of one fresh trace. */
function traceRequest(name: string, count = 1, padding = 0): Buffer {
  const fixture = JSON.parse(otlpJsonTrace('grpc-test', name).body) as { resourceSpans: { scopeSpans: { spans: Record<string, unknown>[] }[] }[] };
  const scope = fixture.resourceSpans[0]?.scopeSpans[0];
  const template = scope?.spans[0] ?? {};
  const traceId = Buffer.from(String(template['traceId']), 'hex');
  const spans = Array.from({ length: count }, (_, i) => ({
    ...template,
    traceId,
    spanId: Buffer.from((i + 1).toString(16).padStart(16, '0'), 'hex'),
    attributes: [...(template['attributes'] as unknown[]), ...(padding > 0 ? [{ key: 'pad', value: { stringValue: 'x'.repeat(padding) } }] : [])],
  }));
  if (scope) scope.spans = spans;
  const type = otlpTypes().signals.traces.request;
  return Buffer.from(type.encode(type.fromObject(fixture)).finish());
}

describe('OTLP/gRPC receiver against real peers (OTel JS gRPC exporters, the Collector, aim server)', function () {
  this.timeout(180_000);
  let server: AimServer;
  let receiver: Receiver;
  before(async () => {
    server = await startAimServer();
    receiver = await createReceiver({
      url: server.url,
      port: 0,
      grpcPort: 0,
      token: TOKEN,
      maxBodyBytes: 1024 * 1024,
      logJoin: { windowMs: 3_000 },
      unkeyed: { grouping: 'trace' },
    });
  });
  after(async () => {
    await receiver.close();
    await server.process.stop();
  });

  it('serves gRPC beside HTTP on its own port, reported as grpcUrl/grpcPort', () => {
    expect(receiver.grpcPort).to.be.a('number').and.not.equal(receiver.port);
    expect(receiver.grpcUrl).to.equal(`http://127.0.0.1:${String(receiver.grpcPort)}`);
  });

  it('the OTel JS gRPC trace exporter (gzip) succeeds only once Aim holds the spans; the oracle finds them', async () => {
    const exporter = new OTLPTraceExporter({ url: grpcUrl(receiver), compression: CompressionAlgorithm.GZIP, metadata: bearer() });
    try {
      const result = await exported(exporter, chatSpans('grpc-conv', [100, 101, 102]));
      expect(result.code, String(result.error)).to.equal(ExportResultCode.SUCCESS);
      // No waiting: the success was answered after Aim acknowledged.
      const run = await readAimRun(server.repoDir, runHash('grpc-conv'));
      expect(run.experiment).to.equal('grpc-test');
      expect(
        run.sequences
          .find((s) => s.name === 'gen_ai.usage.input_tokens')
          ?.values.slice()
          .sort(),
      ).to.deep.equal([100, 101, 102]);
    } finally {
      await exporter.shutdown();
    }
  });

  it('the OTel JS gRPC logs exporter (gzip): an operation.details event after its span lands as on_llm_start in the span’s run', async () => {
    const traces = new OTLPTraceExporter({ url: grpcUrl(receiver), compression: CompressionAlgorithm.GZIP, metadata: bearer() });
    const logs = new OTLPLogExporter({ url: grpcUrl(receiver), compression: CompressionAlgorithm.GZIP, metadata: bearer() });
    try {
      const spans = chatSpans('grpc-logs-conv', [11]);
      expect((await exported(traces, spans)).code).to.equal(ExportResultCode.SUCCESS);
      const memory = new InMemoryLogRecordExporter();
      const provider = new LoggerProvider({ resource: RESOURCE, processors: [new SimpleLogRecordProcessor({ exporter: memory })] });
      const span = spans[0];
      if (span === undefined) throw new Error('no span');
      provider.getLogger('opentelemetry.instrumentation.genai').emit({
        eventName: 'gen_ai.client.inference.operation.details',
        context: trace.setSpanContext(ROOT_CONTEXT, span.spanContext()),
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'Colour of the sky?' }] }]),
          'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: 'Blue.' }], finish_reason: 'stop' }]),
        },
      });
      await provider.forceFlush();
      const result = await exported(logs, memory.getFinishedLogRecords());
      expect(result.code, String(result.error)).to.equal(ExportResultCode.SUCCESS);
      await provider.shutdown();
      const run = await readAimRun(server.repoDir, runHash('grpc-logs-conv'));
      expect(run.sequences.find((s) => s.name === 'on_llm_start')?.values).to.deep.equal(['user: Colour of the sky?']);
      expect(run.sequences.find((s) => s.name === 'on_llm_end')?.values).to.deep.equal(['assistant: Blue.']);
    } finally {
      await traces.shutdown();
      await logs.shutdown();
    }
  });

  it('the OTel JS gRPC metrics exporter reaches MetricsService/Export (answered by the Ingest contract, never UNIMPLEMENTED)', async () => {
    const memory = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter: memory, exportIntervalMillis: 3_600_000 });
    const provider = new MeterProvider({ resource: RESOURCE, readers: [reader] });
    provider
      .getMeter('test')
      .createHistogram('gen_ai.client.token.usage', { unit: '{token}' })
      .record(11, { 'gen_ai.operation.name': 'chat', 'gen_ai.token.type': 'input' });
    await reader.forceFlush();
    const exporter = new OTLPMetricExporter({ url: grpcUrl(receiver), metadata: bearer() });
    try {
      const [metrics] = memory.getMetrics();
      if (metrics === undefined) throw new Error('no metrics collected');
      const result = await exported(exporter, metrics);
      // While metrics are not ingested yet, the Ingest answers INVALID_ARGUMENT; either way the service is served.
      if (result.code !== ExportResultCode.SUCCESS)
        expect(String(result.error))
          .to.not.match(/UNIMPLEMENTED|unknown service/i)
          .and.to.match(/metrics/);
    } finally {
      await exporter.shutdown();
      await provider.shutdown();
    }
  });

  it('answers UNAUTHENTICATED without the token or with a wrong one', async () => {
    const body = traceRequest('unauthenticated');
    expect((await call(grpcUrl(receiver), TRACES, body, new grpc.Metadata())).code).to.equal(grpc.status.UNAUTHENTICATED);
    const wrong = await call(grpcUrl(receiver), TRACES, body, bearer('nope'));
    expect(wrong.code).to.equal(grpc.status.UNAUTHENTICATED);
    expect(wrong.details).to.match(/bearer token/);
    expect(wrong.retryDelaySeconds).to.equal(undefined);
  });

  it('answers INVALID_ARGUMENT to bytes that are not an export request (truncated protobuf, wrong shapes)', async () => {
    const truncated = await call(grpcUrl(receiver), TRACES, Buffer.from([0x0a, 0x80, 0x01, 0x0a]), bearer());
    expect(truncated.code).to.equal(grpc.status.INVALID_ARGUMENT);
    expect(truncated.details).to.match(/protobuf/);
    const garbageLogs = await call(grpcUrl(receiver), 'logs.v1.LogsService', Buffer.from([0xff, 0xff, 0xff, 0x07, 0x01]), bearer());
    expect(garbageLogs.code).to.equal(grpc.status.INVALID_ARGUMENT);
  });

  it('answers RESOURCE_EXHAUSTED without RetryInfo to a message over the size limit (also when it is only over it after gzip)', async () => {
    const big = traceRequest('too big', 1, 2 * 1024 * 1024);
    const plain = await call(grpcUrl(receiver), TRACES, big, bearer());
    expect(plain.code).to.equal(grpc.status.RESOURCE_EXHAUSTED);
    expect(plain.retryDelaySeconds).to.equal(undefined);
    const gzipped = await call(grpcUrl(receiver), TRACES, big, bearer(), { 'grpc.default_compression_algorithm': grpc.compressionAlgorithms.gzip });
    expect(gzipped.code).to.equal(grpc.status.RESOURCE_EXHAUSTED);
    expect(gzipped.details).to.match(/larger than/);
  });

  it('answers OK (empty response) to a valid request from a raw client; counts answers by gRPC status name in /metrics', async () => {
    const ok = await call(grpcUrl(receiver), TRACES, traceRequest('raw ok'), bearer());
    expect(ok.code).to.equal(grpc.status.OK);
    expect(ok.response?.length).to.equal(0);
    const metrics = await (await fetch(`${receiver.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    expect(metrics).to.match(/aim_otel_bridge_requests_total\{code="grpc_OK"\} [1-9]/);
    expect(metrics).to.match(/aim_otel_bridge_requests_total\{code="grpc_UNAUTHENTICATED"\} [1-9]/);
    expect(metrics).to.match(/aim_otel_bridge_requests_total\{code="grpc_INVALID_ARGUMENT"\} [1-9]/);
  });

  it('busy: RESOURCE_EXHAUSTED with RetryInfo while its queue is full (aim SIGSTOPped); too many spans at once: RESOURCE_EXHAUSTED without RetryInfo', async () => {
    const aim = await startAimServer();
    const bridge = await createReceiver({ url: aim.url, port: 0, grpcPort: 0, maxQueueSpans: 3, writeTimeoutMs: 20_000, retryAfterSeconds: 7 });
    try {
      const tooMany = await call(grpcUrl(bridge), TRACES, traceRequest('too many', 4), new grpc.Metadata());
      expect(tooMany.code).to.equal(grpc.status.RESOURCE_EXHAUSTED);
      expect(tooMany.details).to.match(/4 spans/);
      expect(tooMany.retryDelaySeconds).to.equal(undefined);
      aim.process.signal('SIGSTOP');
      const first = call(grpcUrl(bridge), TRACES, traceRequest('first', 2), new grpc.Metadata());
      await new Promise((wait) => setTimeout(wait, 300));
      const second = await call(grpcUrl(bridge), TRACES, traceRequest('second', 2), new grpc.Metadata());
      expect(second.code).to.equal(grpc.status.RESOURCE_EXHAUSTED);
      expect(second.retryDelaySeconds).to.equal(7);
      aim.process.signal('SIGCONT');
      expect((await first).code).to.equal(grpc.status.OK);
    } finally {
      aim.process.signal('SIGCONT');
      await bridge.close();
      await aim.process.stop();
    }
  });

  it('a retried call makes progress: while Aim does not acknowledge, its retry joins the first attempt (not queued twice), new calls are shed before decoding, and once Aim answers the retry is answered from the written spans, in Aim once', async () => {
    const aim = await startAimServer();
    const bridge = await createReceiver({
      url: aim.url,
      port: 0,
      grpcPort: 0,
      maxQueueSpans: 2,
      writeTimeoutMs: 1_500,
      retryAfterSeconds: 3,
      unkeyed: { grouping: 'trace' },
    });
    const metric = async (pattern: RegExp): Promise<number> => Number(pattern.exec(await (await fetch(`${bridge.url}/metrics`)).text())?.[1] ?? 0);
    try {
      aim.process.signal('SIGSTOP');
      const body = traceRequest('retried', 2);
      const first = await call(grpcUrl(bridge), TRACES, body, new grpc.Metadata());
      expect(first.code, first.details).to.equal(grpc.status.UNAVAILABLE);
      expect(first.retryDelaySeconds).to.equal(3);
      expect(first.details).to.match(/stay queued/);
      // The queue holds the first call's 2 spans: a new call is shed (and never decoded: garbage is not refused as invalid).
      const shed = await call(grpcUrl(bridge), TRACES, Buffer.from([0xff, 0xff, 0xff, 0x07, 0x01]), new grpc.Metadata());
      expect(shed.code, shed.details).to.equal(grpc.status.RESOURCE_EXHAUSTED);
      expect(shed.retryDelaySeconds).to.equal(3);
      expect(await metric(/^aim_otel_bridge_requests_shed_total (\d+)/m)).to.equal(1);
      // The retry of the first call joins its work instead of being refused as one more batch.
      const joined = await call(grpcUrl(bridge), TRACES, body, new grpc.Metadata());
      expect(joined.code, joined.details).to.equal(grpc.status.UNAVAILABLE);
      expect(await metric(/^aim_otel_bridge_requests_retried_total\{answered="joined-in-flight"\} (\d+)/m)).to.equal(1);
      aim.process.signal('SIGCONT');
      await eventually('the first call written', () => Promise.resolve(bridge.stats.written >= 2 ? true : undefined));
      const answered = await call(grpcUrl(bridge), TRACES, body, new grpc.Metadata());
      expect(answered.code, answered.details).to.equal(grpc.status.OK);
      expect(await metric(/^aim_otel_bridge_requests_retried_total\{answered="from-written"\} (\d+)/m)).to.equal(1);
      expect(bridge.stats.received, 'spans taken by the sink').to.equal(2);
      const sent = otlpTypes().signals.traces.request.toObject(otlpTypes().signals.traces.request.decode(body), { bytes: String }) as {
        resourceSpans: { scopeSpans: { spans: { traceId: string }[] }[] }[];
      };
      const traceId = Buffer.from(sent.resourceSpans[0]?.scopeSpans[0]?.spans[0]?.traceId ?? '', 'base64').toString('hex');
      const run = await readAimRun(aim.repoDir, runHash(traceId));
      const durations = run.sequences.find((s) => s.name === 'gen_ai.client.operation.duration');
      expect(durations?.steps.length, 'duration points in Aim').to.equal(2);
    } finally {
      aim.process.signal('SIGCONT');
      await bridge.close();
      await aim.process.stop();
    }
  });

  it('unavailable: UNAVAILABLE with RetryInfo while Aim does not answer', async () => {
    // The request's spans stay queued after its answer (a retry is answered from them) until the
    // retry deadline: 3 s here, so that closing the bridge does not wait for the default 120 s.
    const bridge = await createReceiver({
      url: `aim://127.0.0.1:${String(await freePort())}`,
      port: 0,
      grpcPort: 0,
      writeTimeoutMs: 1_500,
      retryDeadlineMs: 3_000,
    });
    try {
      const answer = await call(grpcUrl(bridge), TRACES, traceRequest('while down'), new grpc.Metadata());
      expect(answer.code).to.equal(grpc.status.UNAVAILABLE);
      expect(answer.retryDelaySeconds).to.equal(5);
    } finally {
      await bridge.close();
    }
  });

  it('the Collector built from our manifest, with its otlp_grpc exporter (gzip, bearer token), delivers spans into Aim', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'otelcol-grpc-'));
    const config = join(dir, 'collector-to-bridge-grpc.yaml');
    writeFileSync(
      config,
      collectorToBridgeConfig('otlp_grpc', 'BRIDGE_GRPC_ENDPOINT', ['tls:', '  insecure: true', 'headers:', '  authorization: Bearer ${env:BRIDGE_TOKEN}']),
    );
    const otlpPort = await freePort();
    const collector = await startCollector(config, {
      OTLP_HTTP_ENDPOINT: `127.0.0.1:${String(otlpPort)}`,
      BRIDGE_GRPC_ENDPOINT: `127.0.0.1:${String(receiver.grpcPort)}`,
      BRIDGE_TOKEN: TOKEN,
    });
    try {
      const fixture = otlpJsonTrace('collector-grpc', 'chat via collector grpc');
      expect(await postOtlpJson(`http://127.0.0.1:${String(otlpPort)}`, fixture.body)).to.equal(200);
      const run = await eventually('the span in Aim', async () => {
        try {
          return await readAimRun(server.repoDir, runHash(fixture.traceId));
        } catch {
          return undefined;
        }
      });
      expect(run.experiment).to.equal('collector-grpc');
      expect(run.sequences.some((s) => s.name === 'gen_ai.client.operation.duration')).to.equal(true);
    } finally {
      await collector.process.stop();
    }
  });
});
