/**
 * collector-config/otelcol.yaml end to end (issue 7, point 2): a LangChain.js app (our handler +
 * the OTLP exporter) → the Collector built from our manifest → every span to real Jaeger, the GenAI
 * spans to the bridge receiver → real aim server.
 */
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { SpanKind, context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { awaitAllCallbacks } from '@langchain/core/callbacks/promises';
import { StringOutputParser } from '@langchain/core/output_parsers';
import { ChatPromptTemplate } from '@langchain/core/prompts';
import { expect } from 'chai';
import { GenAICallbackHandler } from '../../src/langchain/index.js';
import { runHash } from '../../src/mapping/run-key.js';
import { createReceiver } from '../../src/receiver/index.js';
import { startAimServer } from '../peers/aim.js';
import { startCollectorPipeline, startJaeger } from '../peers/collector.js';
import { getJson } from '../../src/up/http.js';
import { readAimRepo } from '../peers/oracle.js';
import { eventually } from '../peers/wait.js';
import { ScriptedChatModel } from '../langchain/helpers.js';
import { CALL_CONTEXT, sendEvents, sendSpan } from '../receiver/genai-otlp.js';
import { type CertificateFiles, issueCertificate, makeTestCa } from '../receiver/test-ca.js';

/** The collector's GenAI marker condition (transform/aim_keys), for counting what should reach Aim. */
const GENAI_KEYS = [
  'gen_ai.operation.name',
  'gen_ai.system',
  'gen_ai.provider.name',
  'gen_ai.request.model',
  'openinference.span.kind',
  'traceloop.span.kind',
  'llm.model_name',
];
const isGenAI = (span: ReadableSpan): boolean => GENAI_KEYS.some((key) => span.attributes[key] !== undefined);

describe('collector-config/otelcol.yaml: Jaeger and Aim side by side, routed in the Collector', function () {
  this.timeout(180_000);

  it('Jaeger gets every span, Aim one run per conversation with the GenAI spans only, the same trace ids on both sides', async () => {
    const contextManager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(contextManager);
    const [aim, jaeger] = await Promise.all([startAimServer(), startJaeger()]);
    const receiver = await createReceiver({ url: aim.url, port: 0 });
    const collector = await startCollectorPipeline(jaeger, receiver.url);
    const produced = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'pipeline-app' }),
      spanProcessors: [
        new BatchSpanProcessor(new OTLPTraceExporter({ url: `${collector.otlpHttpUrl}/v1/traces` }), { scheduledDelayMillis: 200 }),
        new SimpleSpanProcessor(produced),
      ],
    });
    try {
      const tracer = provider.getTracer('app');
      const handler = new GenAICallbackHandler({ tracerProvider: provider, captureMessageContent: true });
      for (const conversation of ['conv-a', 'conv-b']) {
        const model = new ScriptedChatModel({
          model: 'fake-gpt',
          responses: [{ content: `hello ${conversation}`, usage_metadata: { input_tokens: 11, output_tokens: 2, total_tokens: 13 } }],
        });
        const chain = ChatPromptTemplate.fromMessages([['human', 'Say hello to {name}']])
          .pipe(model)
          .pipe(new StringOutputParser());
        // An HTTP server span around the chain: not GenAI, so Jaeger only.
        await tracer.startActiveSpan('POST /chat', { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'POST' } }, async (request) => {
          await chain.invoke(
            { name: conversation },
            { callbacks: [handler], configurable: { thread_id: conversation }, metadata: { thread_id: conversation } },
          );
          await awaitAllCallbacks();
          request.end();
        });
      }
      await provider.forceFlush();
      const spans = produced.getFinishedSpans();
      const traceIds = [...new Set(spans.map((s) => s.spanContext().traceId))].sort();
      expect(traceIds).to.have.length(2);
      const genAI = spans.filter(isGenAI);
      expect(genAI.length).to.be.greaterThan(0);
      expect(spans.length).to.be.greaterThan(genAI.length);

      // Jaeger: every span of both traces, GenAI or not.
      for (const traceId of traceIds) {
        const expected = spans
          .filter((s) => s.spanContext().traceId === traceId)
          .map((s) => s.spanContext().spanId)
          .sort();
        const stored = await eventually(`trace ${traceId} in Jaeger`, async () => {
          const answer = (await getJson(`${jaeger.queryUrl}/api/traces/${traceId}`)) as { data: { spans: { spanID: string }[] }[] };
          const ids = answer.data[0]?.spans.map((s) => s.spanID).sort();
          return ids?.length === expected.length ? ids : undefined;
        });
        expect(stored).to.deep.equal(expected);
      }
      // The bridge: exactly the GenAI spans (the non-GenAI ones were filtered in the Collector).
      await eventually('the GenAI spans at the bridge', () => Promise.resolve(receiver.stats.written >= genAI.length ? true : undefined));
      expect(receiver.stats.received).to.equal(genAI.length);

      await receiver.close();
      for (const conversation of ['conv-a', 'conv-b']) {
        const report = await readAimRepo(aim.repoDir, [runHash(conversation)]);
        const run = report.runs[0];
        if (!run) throw new Error(`no Aim run for ${conversation}`);
        expect(run.experiment).to.equal('pipeline-app');
        expect((run.params['gen_ai'] as { request: { model: string } }).request.model).to.equal('fake-gpt');
        expect((run.params['otel'] as { resource: Record<string, unknown> }).resource['service.name']).to.equal('pipeline-app');
        const runTraces = (run.params['otel'] as { traces: { count: number; first: { trace_id: string }[] } }).traces;
        expect(runTraces.count).to.equal(1);
        expect(traceIds).to.include(runTraces.first[0]?.trace_id);
        expect(run.sequences.find((s) => s.name === 'gen_ai.usage.input_tokens')?.values).to.deep.equal([11]);
        expect(run.sequences.find((s) => s.name === 'on_llm_end')?.values).to.deep.equal([`assistant: hello ${conversation}`]);
      }
      // A span that is not GenAI is nowhere in Aim: the Aim runs hold only the two conversations.
      expect((await readAimRepo(aim.repoDir)).runs.map((r) => r.hash).sort()).to.deep.equal([runHash('conv-a'), runHash('conv-b')].sort());
    } finally {
      context.disable();
      await provider.shutdown().catch(() => undefined);
      await collector.process.stop();
      await receiver.close();
      await Promise.all([aim.process.stop(), jaeger.process.stop()]);
    }
  });

  it('GenAI log events and GenAI metrics go to the bridge too (other logs and metrics are filtered in the Collector); the events join their spans', async () => {
    const [aim, jaeger] = await Promise.all([startAimServer(), startJaeger()]);
    const receiver = await createReceiver({ url: aim.url, port: 0 });
    const collector = await startCollectorPipeline(jaeger, receiver.url);
    try {
      const span = await sendSpan(collector.otlpHttpUrl, 'conv-logs');
      await sendEvents(collector.otlpHttpUrl, span); // three GenAI events and one app log
      const meters = new MeterProvider({
        resource: resourceFromAttributes({ 'service.name': 'pipeline-app' }),
        readers: [
          new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter({ url: `${collector.otlpHttpUrl}/v1/metrics` }), exportIntervalMillis: 60_000 }),
        ],
      });
      meters.getMeter('app').createHistogram('gen_ai.client.token.usage').record(11, { 'gen_ai.operation.name': 'chat', 'gen_ai.token.type': 'input' });
      meters.getMeter('app').createCounter('http.server.requests').add(1);
      await meters.shutdown();

      await eventually('the events and the metric point at the bridge', () =>
        Promise.resolve(receiver.stats.eventsJoined === 3 && receiver.stats.metricPointsWritten === 1 ? true : undefined),
      );
      expect(receiver.stats.logRecords, 'the app log was filtered in the Collector').to.equal(3);
      expect(receiver.stats.metricPointsIgnored, 'the HTTP metric was filtered in the Collector').to.equal(0);
      const run = (await readAimRepo(aim.repoDir, [runHash('conv-logs')])).runs[0];
      const start = run?.sequences.find((s) => s.name === 'on_llm_start');
      expect(start?.values).to.deep.equal(['system: You are terse.\nuser: Colour of the sky?']);
      expect(start?.context).to.deep.equal({ action: 'on_llm_start', ...CALL_CONTEXT });
    } finally {
      await collector.process.stop();
      await receiver.close();
      await Promise.all([aim.process.stop(), jaeger.process.stop()]);
    }
  });

  it('to a bridge with TLS, client certificates and a token: the AIM_BRIDGE_* variables of otelcol.yaml carry them; without the token every export is refused (401) and nothing written', async () => {
    const ca = await makeTestCa('otelcol-test-ca');
    const [server, client] = await Promise.all([
      issueCertificate(ca, { commonName: 'bridge', kind: 'server' }),
      issueCertificate(ca, { commonName: 'collector', kind: 'client' }),
    ]);
    const [aim, jaeger] = await Promise.all([startAimServer(), startJaeger()]);
    const receiver = await createReceiver({
      url: aim.url,
      port: 0,
      tokens: ['collector-token'],
      tls: { certFile: server.certFile, keyFile: server.keyFile, clientCaFile: ca.certFile },
    });
    expect(receiver.url).to.match(/^https:/);
    const tlsEnv = { AIM_BRIDGE_CA_FILE: ca.certFile, AIM_BRIDGE_CLIENT_CERT: client.certFile, AIM_BRIDGE_CLIENT_KEY: client.keyFile };
    const refused = await startCollectorPipeline(jaeger, receiver.url, { env: tlsEnv });
    try {
      await sendSpan(refused.otlpHttpUrl, 'conv-no-token');
      await eventually('the bridge refusing the token-less exports', async () => {
        const metrics = await fetchMetrics(receiver.url, ca.certFile, client);
        return /aim_otel_bridge_requests_total\{code="401"\} [1-9]/.test(metrics) ? true : undefined;
      });
      expect(receiver.stats.received, 'nothing taken without the token').to.equal(0);
    } finally {
      await refused.process.stop();
    }
    const collector = await startCollectorPipeline(jaeger, receiver.url, { env: { ...tlsEnv, AIM_BRIDGE_AUTHORIZATION: 'Bearer collector-token' } });
    try {
      await sendSpan(collector.otlpHttpUrl, 'conv-tls');
      await eventually('the span written to Aim', () => Promise.resolve(receiver.stats.written >= 1 ? true : undefined));
      const run = (await readAimRepo(aim.repoDir, [runHash('conv-tls')])).runs[0];
      expect(run?.sequences.find((s) => s.name === 'gen_ai.usage.input_tokens')?.values).to.have.length(1);
      expect((await readAimRepo(aim.repoDir, [runHash('conv-no-token')])).runs, 'the refused span wrote no run').to.deep.equal([]);
    } finally {
      await collector.process.stop();
      await receiver.close();
      await Promise.all([aim.process.stop(), jaeger.process.stop()]);
    }
  });
});

/** The bridge's /metrics over mutual TLS (with the token the test configured). */
function fetchMetrics(url: string, caFile: string, client: CertificateFiles): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(
      `${url}/metrics`,
      {
        ca: readFileSync(caFile),
        cert: readFileSync(client.certFile),
        key: readFileSync(client.keyFile),
        headers: { authorization: 'Bearer collector-token' },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          resolve(Buffer.concat(chunks).toString('utf8'));
        });
      },
    );
    request.on('error', reject);
    request.end();
  });
}
