/**
 * Issue 4, point 5 (streaming) and point 6 (GenAI metrics): time to first chunk, usage from
 * streamed chunks, aborted or abandoned streams ending with an error type; the histograms with the
 * spec's bucket boundaries when a MeterProvider is set.
 */
import { expect } from 'chai';
import { SpanStatusCode, metrics } from '@opentelemetry/api';
import type { Histogram, HistogramMetricData } from '@opentelemetry/sdk-metrics';
import { awaitAllCallbacks } from '@langchain/core/callbacks/promises';
import { AIMessage, AIMessageChunk } from '@langchain/core/messages';
import { FakeListChatModel, FakeStreamingChatModel } from '@langchain/core/utils/testing';
import { ChatGenerationChunk } from '@langchain/core/outputs';
import { attributes as A, DURATION_BUCKETS_SECONDS, TOKEN_USAGE_BUCKETS } from '../../src/semconv/index.js';
import { GenAICallbackHandler } from '../../src/langchain/index.js';
import { createMetrics, createTracing, drain, one, ScriptedChatModel } from './helpers.js';

const usage = { input_tokens: 40, output_tokens: 5, total_tokens: 45 };

function durationMs(span: { duration: [number, number] }): number {
  return span.duration[0] * 1000 + span.duration[1] / 1e6;
}

describe('langchain handler: streaming', () => {
  it('records time to first chunk, marks the call as streamed, and takes usage from the chunks', async () => {
    const { provider, spans } = createTracing();
    const handler = new GenAICallbackHandler({ tracerProvider: provider });
    const model = new ScriptedChatModel({ responses: [{ content: 'hello', usage_metadata: usage }], chunkDelayMs: 15 });
    let text = '';
    for await (const chunk of await model.stream('hi', { callbacks: [handler] })) text += chunk.text;
    await awaitAllCallbacks();
    expect(text).to.equal('hello');
    const span = one(spans(), 'chat gpt-test');
    const ttfc = span.attributes[A.ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK];
    expect(ttfc).to.be.a('number');
    expect(Number(ttfc))
      .to.be.greaterThan(0.01)
      .and.below(durationMs(span) / 1000);
    expect(span.attributes[A.ATTR_GEN_AI_REQUEST_STREAM]).to.equal(true);
    expect(span.attributes).to.include({ [A.ATTR_GEN_AI_USAGE_INPUT_TOKENS]: 40, [A.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: 5 });
  });

  it('works with @langchain/core’s own fakes (FakeListChatModel, FakeStreamingChatModel)', async () => {
    const { provider, spans } = createTracing();
    const handler = new GenAICallbackHandler({ tracerProvider: provider });
    await drain(await new FakeListChatModel({ responses: ['streamed answer'], sleep: 2 }).stream('hi', { callbacks: [handler] }));
    await drain(await new FakeStreamingChatModel({ responses: [new AIMessage('tokens')], sleep: 2 }).stream('hi', { callbacks: [handler] }));
    await awaitAllCallbacks();
    const chats = spans().filter((span) => span.attributes[A.ATTR_GEN_AI_OPERATION_NAME] === 'chat');
    expect(chats).to.have.length(2);
    for (const span of chats) {
      expect(span.attributes[A.ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK]).to.be.a('number');
      expect(span.attributes[A.ATTR_GEN_AI_REQUEST_STREAM]).to.equal(true);
    }
    expect(chats.map((span) => span.attributes[A.ATTR_GEN_AI_PROVIDER_NAME]).sort()).to.deep.equal(['FakeListChatModel', 'FakeStreamingChatModel']);
  });

  it('sums usage reported on streamed chunks when the final output carries none', () => {
    const { provider, spans } = createTracing();
    const handler = new GenAICallbackHandler({ tracerProvider: provider });
    handler._createRunForChatModelStart({ lc: 1, type: 'not_implemented', id: ['ChatX'] }, [[]], 'r1', undefined, {}, [], {
      ls_provider: 'openai',
      ls_model_name: 'm',
    });
    for (const [text, tokens] of [
      ['a', { input_tokens: 10, output_tokens: 1 }],
      ['b', { input_tokens: 0, output_tokens: 2 }],
    ] as const) {
      const chunk = new ChatGenerationChunk({
        text,
        message: new AIMessageChunk({
          content: text,
          usage_metadata: { ...tokens, total_tokens: tokens.input_tokens + tokens.output_tokens },
        } as ConstructorParameters<typeof AIMessageChunk>[0]),
      });
      handler.handleLLMNewToken(text, { prompt: 0, completion: 0 }, 'r1', undefined, [], { chunk });
    }
    handler.handleLLMEnd({ generations: [[{ text: 'ab' }]] }, 'r1');
    expect(one(spans(), 'chat m').attributes).to.include({ [A.ATTR_GEN_AI_USAGE_INPUT_TOKENS]: 10, [A.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: 3 });
  });

  it('an AbortSignal during .stream() ends the span with error.type AbortError', async () => {
    const { provider, spans } = createTracing();
    const handler = new GenAICallbackHandler({ tracerProvider: provider });
    const model = new ScriptedChatModel({ responses: [{ content: 'hello world' }], chunkDelayMs: 5 });
    const controller = new AbortController();
    let caught: unknown;
    try {
      for await (const chunk of await model.stream('hi', { callbacks: [handler], signal: controller.signal })) {
        if (chunk.text.length > 0) controller.abort();
      }
    } catch (error) {
      caught = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    await awaitAllCallbacks();
    expect((caught as Error).name).to.equal('AbortError');
    const span = one(spans(), 'chat gpt-test');
    expect(span.attributes[A.ATTR_ERROR_TYPE]).to.equal('AbortError');
    expect(span.status.code).to.equal(SpanStatusCode.ERROR);
    expect(handler.stats.openRuns).to.equal(0);
  });

  it('a consumer that stops reading ends the span with error.type cancelled', async () => {
    const { provider, spans } = createTracing();
    const handler = new GenAICallbackHandler({ tracerProvider: provider });
    const model = new ScriptedChatModel({ responses: [{ content: 'hello world' }] });
    for await (const chunk of await model.stream('hi', { callbacks: [handler] })) {
      if (chunk.text.length > 0) break;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    await awaitAllCallbacks();
    const span = one(spans(), 'chat gpt-test');
    expect(span.attributes[A.ATTR_ERROR_TYPE]).to.equal('cancelled');
    expect(span.status.code).to.equal(SpanStatusCode.ERROR);
  });

  it('an aborted invoke through the streaming path ends with ModelAbortError', async () => {
    const { provider, spans } = createTracing();
    const handler = new GenAICallbackHandler({ tracerProvider: provider });
    // A second handler that prefers streaming makes invoke() stream internally.
    const { BaseCallbackHandler } = await import('@langchain/core/callbacks/base');
    class PrefersStreaming extends BaseCallbackHandler {
      name = 'prefers-streaming';
      lc_prefer_streaming = true;
    }
    const model = new ScriptedChatModel({ responses: [{ content: 'hello world' }], chunkDelayMs: 5 });
    const controller = new AbortController();
    setTimeout(() => {
      controller.abort();
    }, 12);
    let caught: unknown;
    try {
      await model.invoke('hi', { callbacks: [handler, new PrefersStreaming()], signal: controller.signal });
    } catch (error) {
      caught = error;
    }
    await awaitAllCallbacks();
    expect(caught).to.be.instanceOf(Error);
    const span = one(spans(), 'chat gpt-test');
    expect(span.attributes[A.ATTR_ERROR_TYPE]).to.be.oneOf(['ModelAbortError', 'AbortError']);
    expect(span.status.code).to.equal(SpanStatusCode.ERROR);
  });
});

describe('langchain handler: GenAI metrics', () => {
  it('records duration, token usage and time to first chunk histograms with the spec’s buckets', async () => {
    const { provider } = createTracing();
    const { meterProvider, reader } = createMetrics();
    const handler = new GenAICallbackHandler({ tracerProvider: provider, meterProvider });
    const model = new ScriptedChatModel({ responses: [{ content: 'hey', usage_metadata: usage, response_metadata: { model_name: 'gpt-test-0501' } }] });
    await model.invoke('hi', { callbacks: [handler] });
    await drain(await model.stream('hi', { callbacks: [handler] }));
    await awaitAllCallbacks();
    const { resourceMetrics } = await reader.collect();
    const metrics = new Map<string, HistogramMetricData>();
    for (const scope of resourceMetrics.scopeMetrics) for (const metric of scope.metrics) metrics.set(metric.descriptor.name, metric as HistogramMetricData);

    const duration = metrics.get('gen_ai.client.operation.duration');
    expect(duration?.descriptor.unit).to.equal('s');
    const durationPoint = duration?.dataPoints[0];
    expect((durationPoint?.value as Histogram).buckets.boundaries).to.deep.equal(DURATION_BUCKETS_SECONDS);
    expect((durationPoint?.value as Histogram).count).to.equal(2);
    expect(durationPoint?.attributes).to.include({
      [A.ATTR_GEN_AI_OPERATION_NAME]: 'chat',
      [A.ATTR_GEN_AI_PROVIDER_NAME]: 'openai',
      [A.ATTR_GEN_AI_REQUEST_MODEL]: 'gpt-test',
      [A.ATTR_GEN_AI_RESPONSE_MODEL]: 'gpt-test-0501',
    });

    const tokens = metrics.get('gen_ai.client.token.usage');
    expect(tokens?.descriptor.unit).to.equal('{token}');
    const byType = new Map(tokens?.dataPoints.map((point) => [point.attributes[A.ATTR_GEN_AI_TOKEN_TYPE], point.value]));
    expect(byType.get('input')?.sum).to.equal(80);
    expect(byType.get('output')?.sum).to.equal(10);
    expect(byType.get('input')?.buckets.boundaries).to.deep.equal(TOKEN_USAGE_BUCKETS);

    const ttfc = metrics.get('gen_ai.client.operation.time_to_first_chunk');
    expect((ttfc?.dataPoints[0]?.value as Histogram).count).to.equal(1);
    expect((ttfc?.dataPoints[0]?.value as Histogram).buckets.boundaries).to.deep.equal(DURATION_BUCKETS_SECONDS);
    expect(metrics.has('gen_ai.client.operation.time_per_output_chunk')).to.equal(true);
  });

  it('uses the global MeterProvider, even one registered after the handler was created', async () => {
    const { provider } = createTracing();
    const handler = new GenAICallbackHandler({ tracerProvider: provider });
    const { meterProvider, reader } = createMetrics();
    metrics.setGlobalMeterProvider(meterProvider);
    try {
      await new ScriptedChatModel({ responses: [{ content: 'x' }] }).invoke('hi', { callbacks: [handler] });
      await awaitAllCallbacks();
      const { resourceMetrics } = await reader.collect();
      const names = resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics.map((metric) => metric.descriptor.name));
      expect(names).to.include('gen_ai.client.operation.duration');
    } finally {
      metrics.disable();
    }
  });

  it('tags failed operations with error.type', async () => {
    const { provider } = createTracing();
    const { meterProvider, reader } = createMetrics();
    const handler = new GenAICallbackHandler({ tracerProvider: provider, meterProvider });
    const model = new ScriptedChatModel({
      responses: [{ content: 'x' }],
      onCall: () => {
        throw new TypeError('bad');
      },
    });
    await model.invoke('hi', { callbacks: [handler] }).catch(() => undefined);
    await awaitAllCallbacks();
    const { resourceMetrics } = await reader.collect();
    const duration = resourceMetrics.scopeMetrics
      .flatMap((scope) => scope.metrics)
      .find((metric) => metric.descriptor.name === 'gen_ai.client.operation.duration');
    expect(duration?.dataPoints[0]?.attributes[A.ATTR_ERROR_TYPE]).to.equal('TypeError');
  });
});
