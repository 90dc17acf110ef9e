import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { expect } from 'chai';
import { fromReadableSpan, hrTimeToNanos } from '../../src/model/from-readable-span.js';
import type { SpanOrigin } from '../../src/model/span-record.js';

describe('fromReadableSpan (OTel JS SDK 2.x span → SpanRecord)', () => {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'model-test', 'host.cores': 2 }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('scope-a', '1.2.3');

  it('keeps ids, parent, name, kind, times, attributes, events, links, status and origin', () => {
    memory.reset();
    const parent = tracer.startSpan('parent');
    const child = tracer.startSpan(
      'chat m',
      {
        kind: SpanKind.CLIENT,
        attributes: { 'gen_ai.request.model': 'm', 'gen_ai.usage.input_tokens': 3, tags: ['a', 'b'], flag: true },
        links: [{ context: parent.spanContext(), attributes: { why: 'test' } }],
      },
      trace.setSpan(context.active(), parent),
    );
    child.addEvent('first_token', { 'gen_ai.token': 'x' });
    child.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
    child.end();
    parent.end();
    const [childSpan, parentSpan] = memory.getFinishedSpans();
    if (!childSpan || !parentSpan) throw new Error('spans missing');
    const record = fromReadableSpan(childSpan);
    expect(record.traceId)
      .to.equal(parentSpan.spanContext().traceId)
      .and.match(/^[0-9a-f]{32}$/);
    expect(record.spanId).to.equal(childSpan.spanContext().spanId);
    expect(record.parentSpanId).to.equal(parentSpan.spanContext().spanId);
    expect([record.name, record.kind]).to.deep.equal(['chat m', 'client']);
    expect(record.startTimeUnixNano).to.equal(hrTimeToNanos(childSpan.startTime));
    expect(record.endTimeUnixNano >= record.startTimeUnixNano).to.equal(true);
    expect(record.attributes).to.deep.equal({ 'gen_ai.request.model': 'm', 'gen_ai.usage.input_tokens': 3, tags: ['a', 'b'], flag: true });
    expect(record.events.map((e) => [e.name, e.attributes])).to.deep.equal([['first_token', { 'gen_ai.token': 'x' }]]);
    expect(record.links).to.deep.equal([{ traceId: record.traceId, spanId: record.parentSpanId, attributes: { why: 'test' } }]);
    expect(record.status).to.deep.equal({ code: 'error', message: 'boom' });
    expect(record.origin).to.deep.equal({ resource: { 'service.name': 'model-test', 'host.cores': 2 }, scopeName: 'scope-a', scopeVersion: '1.2.3' });
    expect(fromReadableSpan(parentSpan).parentSpanId).to.equal(undefined);
    expect(fromReadableSpan(parentSpan).kind).to.equal('internal');
  });

  it('shares one converted origin between spans of one resource (the cache)', () => {
    memory.reset();
    tracer.startSpan('a').end();
    tracer.startSpan('b').end();
    const origins = new WeakMap<object, SpanOrigin>();
    const [a, b] = memory.getFinishedSpans().map((span) => fromReadableSpan(span, origins));
    expect(a?.origin).to.equal(b?.origin);
  });

  it('hrTimeToNanos keeps nanosecond precision beyond 2^53', () => {
    expect(hrTimeToNanos([1_764_000_000, 123_456_789])).to.equal(1_764_000_000_123_456_789n);
  });
});
