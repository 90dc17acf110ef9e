/**
 * collector-config/otelcol-routing.yaml end to end (issue 7, point 4): GenAI spans are routed in the
 * Collector by the resource attribute `aim.repo` to two bridges writing two Aim repositories;
 * each repository holds only its own runs.
 */
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { expect } from 'chai';
import { runHash } from '../../src/mapping/run-key.js';
import { createReceiver } from '../../src/receiver/index.js';
import { startAimServer } from '../peers/aim.js';
import { startCollectorPipeline, startJaeger } from '../peers/collector.js';
import { readAimRepo } from '../peers/oracle.js';

/** Sends one chat span per conversation from an app whose resource is `resource`. */
async function send(url: string, resource: Record<string, string>, conversations: string[]): Promise<void> {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes(resource),
    spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url }))],
  });
  const tracer = provider.getTracer('app');
  for (const conversation of conversations) {
    tracer
      .startSpan('chat m', {
        attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'm', 'gen_ai.conversation.id': conversation, 'gen_ai.usage.input_tokens': 5 },
      })
      .end();
  }
  await provider.shutdown();
}

describe('collector-config/otelcol-routing.yaml: two bridges, two Aim repositories', function () {
  this.timeout(180_000);

  it('routes by aim.repo: each repository holds only its own runs', async () => {
    const [aimMain, aimOther, jaeger] = await Promise.all([startAimServer(), startAimServer(), startJaeger()]);
    const [bridgeMain, bridgeOther] = await Promise.all([createReceiver({ url: aimMain.url, port: 0 }), createReceiver({ url: aimOther.url, port: 0 })]);
    const collector = await startCollectorPipeline(jaeger, bridgeMain.url, {
      config: 'otelcol-routing.yaml',
      env: { AIM_SECONDARY_BRIDGE_ENDPOINT: bridgeOther.url },
    });
    try {
      const url = `${collector.otlpHttpUrl}/v1/traces`;
      await send(url, { 'service.name': 'team-main' }, ['m1', 'm2']);
      await send(url, { 'service.name': 'team-other', 'aim.repo': 'secondary' }, ['o1']);
      const deadline = Date.now() + 60_000;
      while (bridgeMain.stats.written < 2 || bridgeOther.stats.written < 1) {
        if (Date.now() > deadline) throw new Error(`not delivered: main ${String(bridgeMain.stats.written)}, other ${String(bridgeOther.stats.written)}`);
        await new Promise((wait) => setTimeout(wait, 250));
      }
      await Promise.all([bridgeMain.close(), bridgeOther.close()]);
      const main = await readAimRepo(aimMain.repoDir);
      const other = await readAimRepo(aimOther.repoDir);
      expect(main.runs.map((r) => [r.hash, r.experiment]).sort()).to.deep.equal(
        [
          [runHash('m1'), 'team-main'],
          [runHash('m2'), 'team-main'],
        ].sort(),
      );
      expect(other.runs.map((r) => [r.hash, r.experiment])).to.deep.equal([[runHash('o1'), 'team-other']]);
    } finally {
      await collector.process.stop();
      await Promise.all([bridgeMain.close(), bridgeOther.close()]);
      await Promise.all([aimMain.process.stop(), aimOther.process.stop(), jaeger.process.stop()]);
    }
  });
});
