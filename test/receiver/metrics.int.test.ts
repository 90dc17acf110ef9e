import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { expect } from 'chai';
import { runHash } from '../../src/mapping/run-key.js';
import { type Receiver, createReceiver } from '../../src/receiver/index.js';
import { type AimServer, startAimServer } from '../peers/aim.js';
import { readAimRepo } from '../peers/oracle.js';

describe('OTLP/HTTP metrics: GenAI metrics land in the service’s metrics run (real aim server, OTel JS exporter)', function () {
  this.timeout(120_000);
  let server: AimServer;
  let receiver: Receiver;
  before(async () => {
    server = await startAimServer();
    receiver = await createReceiver({ url: server.url, port: 0 });
  });
  after(async () => {
    await receiver.close();
    await server.process.stop();
  });

  it('writes token usage and duration histograms as count/sum/mean series with the GenAI context; other metrics are counted, not written', async () => {
    const exporter = new OTLPMetricExporter({ url: `${receiver.url}/v1/metrics` }); // cumulative, the SDK's default;
    const provider = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': 'metrics-test' }),
      readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 })],
    });
    const meter = provider.getMeter('genai');
    const tokens = meter.createHistogram('gen_ai.client.token.usage', { unit: '{token}' });
    const duration = meter.createHistogram('gen_ai.client.operation.duration', { unit: 's' });
    const base = { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o-mini' };
    tokens.record(11, { ...base, 'gen_ai.token.type': 'input' });
    tokens.record(63, { ...base, 'gen_ai.token.type': 'input' });
    tokens.record(9, { ...base, 'gen_ai.token.type': 'output' });
    duration.record(0.25, base);
    meter.createCounter('http.server.requests').add(5);
    await provider.shutdown();

    expect(receiver.stats.metricPointsWritten).to.equal(3);
    expect(receiver.stats.metricPointsIgnored).to.equal(1);
    const run = (await readAimRepo(server.repoDir, [runHash('metrics/metrics-test')])).runs[0];
    expect(run?.experiment).to.equal('metrics-test');
    const series = (name: string, tokenType?: string) =>
      run?.sequences.find((s) => s.name === name && (tokenType === undefined || s.context['token_type'] === tokenType));
    expect(series('gen_ai.client.token.usage.count', 'input')?.values).to.deep.equal([2]);
    expect(series('gen_ai.client.token.usage.sum', 'input')?.values).to.deep.equal([74]);
    expect(series('gen_ai.client.token.usage.mean', 'input')?.values).to.deep.equal([37]);
    expect(series('gen_ai.client.token.usage.sum', 'output')?.values).to.deep.equal([9]);
    expect(series('gen_ai.client.token.usage.count', 'input')?.context).to.deep.include({
      operation: 'chat',
      model: 'gpt-4o-mini',
      provider: 'openai',
      token_type: 'input',
    });
    expect(series('gen_ai.client.operation.duration.sum')?.values).to.deep.equal([0.25]);
    expect(run?.sequences.some((s) => s.name.startsWith('http.'))).to.equal(false);
  });
});
