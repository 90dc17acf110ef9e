import { expect } from 'chai';
import { startJaeger } from './collector.js';
import { getJson } from '../../src/up/http.js';
import { otlpJsonTrace, postOtlpJson } from './otlp-fixture.js';
import { isListening } from '../../src/up/ports.js';

interface V3Trace {
  result: { resourceSpans: { scopeSpans: { spans: { traceId: string; spanId: string; name: string }[] }[] }[] };
}

describe('Jaeger peer', function () {
  this.timeout(60_000);

  it('starts on free loopback ports, stores an OTLP trace, returns it by id, and stops', async () => {
    const jaeger = await startJaeger();
    const trace = otlpJsonTrace('jaeger-smoke', 'smoke span');
    expect(await postOtlpJson(jaeger.otlpHttpUrl, trace.body)).to.equal(200);

    const services = (await getJson(`${jaeger.queryUrl}/api/services`)) as { data: string[] };
    expect(services.data).to.include('jaeger-smoke');
    const stored = (await getJson(`${jaeger.queryUrl}/api/v3/traces/${trace.traceId}`)) as V3Trace;
    const spans = stored.result.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));
    expect(spans.map((s) => [s.traceId, s.spanId, s.name])).to.deep.equal([[trace.traceId, trace.spanId, 'smoke span']]);

    await jaeger.process.stop();
    expect(jaeger.process.alive).to.equal(false);
    expect(await isListening(Number(new URL(jaeger.queryUrl).port))).to.equal(false);
  });
});
