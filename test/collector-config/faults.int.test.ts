/**
 * Issue 7, point 3: nothing lost and nothing twice. 10,000 GenAI spans go through the Collector
 * (collector-config/otelcol.yaml, persistent queue) to `aim-otel-bridge serve`; the bridge is
 * killed with SIGKILL mid-stream and started again, and in a second run the aim server behind a
 * running bridge is restarted. Every span must end in Aim exactly once (oracle) and in Jaeger.
 */
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { expect } from 'chai';
import { type AimServer, startAimServer } from '../peers/aim.js';
import { startBridge } from '../peers/bridge.js';
import { startCollectorPipeline, startJaeger } from '../peers/collector.js';
import { getJson } from '../../src/up/http.js';
import { readAimRepo } from '../peers/oracle.js';
import { freePort } from '../../src/up/ports.js';
import { busyLoops } from '../receiver/retrying-sender.js';

const SPANS = 10_000;
const CONVERSATIONS = 20;

/** Sends SPANS chat spans (SPANS / CONVERSATIONS per conversation) to the Collector. */
async function sendSpans(collectorUrl: string, service: string): Promise<void> {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: `${collectorUrl}/v1/traces` }), {
        maxQueueSize: SPANS,
        maxExportBatchSize: 1_000,
        scheduledDelayMillis: 50,
      }),
    ],
  });
  const tracer = provider.getTracer('load');
  for (let i = 0; i < SPANS; i++) {
    tracer
      .startSpan('chat m', {
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': 'm',
          'gen_ai.conversation.id': `c${String(i % CONVERSATIONS)}`,
          'gen_ai.usage.input_tokens': i,
        },
      })
      .end();
  }
  await provider.shutdown();
}

/** Every input-token point in the repository (one per span), once the Collector's queue drained into Aim. */
async function tokenPoints(aim: AimServer, timeoutMs = 240_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let last: number[] = [];
  for (;;) {
    let report;
    try {
      report = await readAimRepo(aim.repoDir);
    } catch (error) {
      // Right after aim server restarts, a run's SQL row may be missing until the bridge's next
      // write restores its session (which re-creates the run's props): not yet consistent.
      if (Date.now() > deadline || !String(error).includes('RepoIntegrityError')) throw error;
      await new Promise((wait) => setTimeout(wait, 5_000));
      continue;
    }
    last = report.runs.flatMap((run) => run.sequences.filter((s) => s.name === 'gen_ai.usage.input_tokens').flatMap((s) => s.values as number[]));
    if (last.length >= SPANS || Date.now() > deadline) return last.sort((a, b) => a - b);
    await new Promise((wait) => setTimeout(wait, 5_000));
  }
}

async function jaegerSpanCount(queryUrl: string, service: string): Promise<number> {
  const answer = (await getJson(`${queryUrl}/api/traces?service=${service}&limit=20000&lookback=1h`)) as { data: { spans: unknown[] }[] };
  return answer.data.reduce((n, t) => n + t.spans.length, 0);
}

async function pipeline(
  aim: AimServer,
): Promise<{ collectorUrl: string; bridgePort: number; queryUrl: string; stop: () => Promise<void>; bridge: Awaited<ReturnType<typeof startBridge>> }> {
  const jaeger = await startJaeger();
  const bridgePort = await freePort();
  const bridge = await startBridge(aim.url, { port: bridgePort });
  const collector = await startCollectorPipeline(jaeger, bridge.url);
  return {
    collectorUrl: collector.otlpHttpUrl,
    bridgePort,
    queryUrl: jaeger.queryUrl,
    bridge,
    stop: async () => {
      await collector.process.stop();
      await jaeger.process.stop();
    },
  };
}

const expected = Array.from({ length: SPANS }, (_, i) => i);

describe('faults: nothing lost, nothing twice (Collector persistent queue → bridge → Aim)', function () {
  this.timeout(600_000);

  it('the bridge killed with SIGKILL while 10,000 spans are in flight, then started again', async () => {
    const aim = await startAimServer();
    const p = await pipeline(aim);
    let bridge = p.bridge;
    try {
      const sending = sendSpans(p.collectorUrl, 'fault-kill');
      await new Promise((wait) => setTimeout(wait, 3_000));
      bridge.process.signal('SIGKILL');
      await bridge.process.waitForExit();
      await sending;
      await new Promise((wait) => setTimeout(wait, 2_000));
      bridge = await startBridge(aim.url, { port: p.bridgePort });
      expect(await tokenPoints(aim)).to.deep.equal(expected);
      expect(await jaegerSpanCount(p.queryUrl, 'fault-kill')).to.equal(SPANS);
    } finally {
      await bridge.process.stop();
      await p.stop();
      await aim.process.stop();
    }
  });

  it('the aim server behind a running bridge restarted mid-stream', async () => {
    await restartAimMidStream();
  });

  it('the aim server behind a running bridge restarted mid-stream, on a busy machine (two busy loops, as in issue 13)', async () => {
    const stopLoops = await busyLoops(2);
    try {
      await restartAimMidStream();
    } finally {
      await stopLoops();
    }
  });
});

/** 10,000 spans through the Collector to a bridge whose aim server is restarted 3 s in; every span once. */
async function restartAimMidStream(): Promise<void> {
  let aim = await startAimServer();
  const p = await pipeline(aim);
  try {
    const sending = sendSpans(p.collectorUrl, 'fault-aim');
    await new Promise((wait) => setTimeout(wait, 3_000));
    await aim.process.stop();
    await new Promise((wait) => setTimeout(wait, 3_000));
    aim = await startAimServer({ repoDir: aim.repoDir, port: aim.port });
    await sending;
    expect(await tokenPoints(aim)).to.deep.equal(expected);
  } finally {
    await p.bridge.process.stop();
    await p.stop();
    await aim.process.stop();
  }
}
