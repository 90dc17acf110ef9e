/**
 * `npm run bench -- pipeline [spans]`: sustained GenAI spans/s through the whole collector-side
 * path — OTel JS SDK → the Collector (collector-config/otelcol.yaml) → `aim-otel-bridge serve` →
 * a real aim server — with no loss (the oracle counts every span in Aim afterwards), and the
 * bridge process's peak RSS. Also reports the rate of the Collector → Jaeger side of the same run
 * for comparison. Default 5,000 spans.
 */
import { readFileSync } from 'node:fs';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { startAimServer } from '../peers/aim.js';
import { startBridge } from '../peers/bridge.js';
import { startCollectorPipeline, startJaeger } from '../peers/collector.js';
import { getJson } from '../peers/http.js';
import { readAimRepo } from '../peers/oracle.js';

/** The bridge's written-spans counter, from its /metrics. */
async function written(bridgeUrl: string): Promise<number> {
  const text = await (await fetch(`${bridgeUrl}/metrics`)).text();
  return Number(/^aim_otel_bridge_spans_written_total (\d+)/m.exec(text)?.[1] ?? 0);
}

function peakRssMiB(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const kb = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${String(pid)}/status`, 'utf8'))?.[1];
  return Math.round(Number(kb) / 1024);
}

export default async function bench(args: string[]): Promise<Record<string, unknown>> {
  const spans = Number(args[0] ?? 5_000);
  const aim = await startAimServer();
  const jaeger = await startJaeger();
  const bridge = await startBridge(aim.url);
  const collector = await startCollectorPipeline(jaeger, bridge.url);
  try {
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'pipeline-bench' }),
      spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${collector.otlpHttpUrl}/v1/traces` }), { maxQueueSize: spans, maxExportBatchSize: 512, scheduledDelayMillis: 20 })],
    });
    const tracer = provider.getTracer('bench');
    const started = performance.now();
    for (let i = 0; i < spans; i++) {
      tracer
        .startSpan('chat m', {
          attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'm', 'gen_ai.conversation.id': `c${String(i % 50)}`, 'gen_ai.usage.input_tokens': i, 'gen_ai.usage.output_tokens': 3 },
        })
        .end();
    }
    await provider.shutdown();
    const sent = performance.now();
    let jaegerDone = NaN;
    for (;;) {
      if (Number.isNaN(jaegerDone)) {
        const answer = (await getJson(`${jaeger.queryUrl}/api/traces?service=pipeline-bench&limit=${String(spans * 2)}&lookback=1h`)) as { data: unknown[] };
        if (answer.data.length >= spans) jaegerDone = performance.now();
      }
      if ((await written(bridge.url)) >= spans) break;
      if (performance.now() - started > 600_000) throw new Error('the pipeline did not deliver within 10 minutes');
      await new Promise((wait) => setTimeout(wait, 200));
    }
    const done = performance.now();
    const report = await readAimRepo(aim.repoDir);
    const inAim = report.runs.reduce((n, run) => n + (run.sequences.find((s) => s.name === 'gen_ai.usage.input_tokens')?.steps.length ?? 0), 0);
    if (inAim !== spans) throw new Error(`Aim holds ${String(inAim)} of ${String(spans)} spans`);
    const seconds = (done - started) / 1000;
    console.log(`${String(spans)} spans: sent in ${((sent - started) / 1000).toFixed(1)} s, all in Aim after ${seconds.toFixed(1)} s`);
    return {
      spans,
      aimSpansPerSecond: Math.round(spans / seconds),
      jaegerSpansPerSecond: Number.isNaN(jaegerDone) ? null : Math.round(spans / ((jaegerDone - started) / 1000)),
      ratioAimToJaeger: Number.isNaN(jaegerDone) ? null : Math.round(((jaegerDone - started) / (done - started)) * 1000) / 1000,
      lostSpans: spans - inAim,
      bridgePeakRssMiB: peakRssMiB(bridge.process.pid),
    };
  } finally {
    await collector.process.stop();
    await bridge.process.stop();
    await Promise.all([aim.process.stop(), jaeger.process.stop()]);
  }
}
