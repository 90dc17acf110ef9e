/**
 * Issue 4, point 7: bounded and harmless. Runs that never finish are ended after `runTimeoutMs`;
 * the run map has a size cap; after 10,000 runs nothing is left; LangGraph interrupts are not
 * errors; the handler never throws into the chain and never stops another handler from receiving
 * its callbacks.
 */
import { expect } from 'chai';
import { SpanStatusCode } from '@opentelemetry/api';
import type { TracerProvider } from '@opentelemetry/api';
import { BaseCallbackHandler } from '@langchain/core/callbacks/base';
import { awaitAllCallbacks } from '@langchain/core/callbacks/promises';
import { StringOutputParser } from '@langchain/core/output_parsers';
import { ChatPromptTemplate } from '@langchain/core/prompts';
import { RunnableLambda } from '@langchain/core/runnables';
import { tool } from '@langchain/core/tools';
import { Annotation, MemorySaver, StateGraph, interrupt } from '@langchain/langgraph';
import { z } from 'zod';
import type { Serialized } from '@langchain/core/load/serializable';
import { attributes as A } from '../../src/semconv/index.js';
import { GenAICallbackHandler } from '../../src/langchain/index.js';
import { bridgeSize } from '../../src/langchain/context-bridge.js';
import { createTracing, named, one, ScriptedChatModel } from './helpers.js';

const serialized: Serialized = { lc: 1, type: 'not_implemented', id: ['langchain_core', 'runnables', 'RunnableLambda'] };

/** Records every callback it receives (name and run id). */
class RecordingHandler extends BaseCallbackHandler {
  name = 'recording';
  readonly calls: string[] = [];
  override handleChainStart(): void {
    this.calls.push('chainStart');
  }
  override handleChainEnd(): void {
    this.calls.push('chainEnd');
  }
  override handleChatModelStart(): void {
    this.calls.push('chatModelStart');
  }
  override handleLLMEnd(): void {
    this.calls.push('llmEnd');
  }
  override handleToolStart(): void {
    this.calls.push('toolStart');
  }
  override handleToolEnd(): void {
    this.calls.push('toolEnd');
  }
}

function fourStepChain() {
  const echo = tool((input: { content: string }) => input.content, { name: 'echo', description: 'echo', schema: z.object({ content: z.string() }) });
  return ChatPromptTemplate.fromTemplate('say {x}')
    .pipe(new ScriptedChatModel({ responses: [{ content: 'ok' }] }))
    .pipe(RunnableLambda.from((message: { content: unknown }) => ({ content: String(message.content) })))
    .pipe(echo)
    .pipe(new StringOutputParser());
}

describe('langchain handler: bounded and harmless', () => {
  it('ends runs that never finish after runTimeoutMs, with error.type timeout', async () => {
    const { provider, spans } = createTracing();
    const handler = new GenAICallbackHandler({ tracerProvider: provider, runTimeoutMs: 30 });
    handler._createRunForChainStart(serialized, {}, 'root', undefined, [], {}, undefined, 'stuck', undefined);
    handler._createRunForChainStart(serialized, {}, 'child', 'root', [], {}, undefined, 'stuck-child', undefined);
    expect(handler.stats.openRuns).to.equal(2);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(handler.stats.openRuns).to.equal(0);
    expect(handler.stats.timedOutRuns).to.equal(2);
    for (const name of ['invoke_workflow stuck', 'stuck-child']) {
      const span = one(spans(), name);
      expect(span.attributes[A.ATTR_ERROR_TYPE]).to.equal('timeout');
      expect(span.status.code).to.equal(SpanStatusCode.ERROR);
    }
    // a late end for an expired run is ignored
    handler.handleChainEnd({}, 'root');
    expect(named(spans(), 'invoke_workflow stuck')).to.have.length(1);
  });

  it('caps the run map: the oldest run is ended (error.type evicted) when maxOpenRuns are open', () => {
    const { provider, spans } = createTracing();
    const handler = new GenAICallbackHandler({ tracerProvider: provider, maxOpenRuns: 3 });
    for (let i = 0; i < 5; i += 1)
      handler._createRunForChainStart(serialized, {}, `run-${String(i)}`, undefined, [], {}, undefined, `r${String(i)}`, undefined);
    expect(handler.stats.openRuns).to.equal(3);
    expect(handler.stats.evictedRuns).to.equal(2);
    expect(spans().map((span) => span.name)).to.deep.equal(['invoke_workflow r0', 'invoke_workflow r1']);
    expect(spans()[0]?.attributes[A.ATTR_ERROR_TYPE]).to.equal('evicted');
  });

  it('is empty after 10,000 runs', async function () {
    this.timeout(120_000);
    const { provider, spans, exporter } = createTracing();
    const handler = new GenAICallbackHandler({ tracerProvider: provider, captureMessageContent: true });
    const chain = fourStepChain();
    let runs = 0;
    while (runs < 10_000) {
      await Promise.all(Array.from({ length: 8 }, (_, i) => chain.invoke({ x: String(i) }, { callbacks: [handler] })));
      await awaitAllCallbacks();
      runs += spans().length;
      exporter.reset();
    }
    expect(runs).to.be.at.least(10_000);
    expect(handler.stats.openRuns).to.equal(0);
    expect(bridgeSize()).to.equal(0);
    expect(handler.stats.callbackErrors).to.equal(0);
    expect(handler.stats.timedOutRuns + handler.stats.evictedRuns).to.equal(0);
  });

  it('does not mark LangGraph interrupts as errors', async () => {
    const { provider, spans } = createTracing();
    const handler = new GenAICallbackHandler({ tracerProvider: provider });
    const State = Annotation.Root({ answer: Annotation<string> });
    const graph = new StateGraph(State)
      .addNode('ask', () => ({ answer: String(interrupt('approve?')) }))
      .addEdge('__start__', 'ask')
      .compile({ checkpointer: new MemorySaver(), name: 'approval' });
    await graph.invoke({ answer: '' }, { callbacks: [handler], configurable: { thread_id: 't-1' } });
    await awaitAllCallbacks();
    const finished = spans();
    expect(finished.length).to.be.greaterThan(0);
    expect(finished.filter((span) => span.status.code === SpanStatusCode.ERROR).map((span) => span.name)).to.deep.equal([]);
    expect(finished.some((span) => span.attributes['langchain.bubble_up'] === 'GraphInterrupt')).to.equal(true);
    expect(handler.stats.openRuns).to.equal(0);
  });

  it('never throws into the chain and never stops another handler, even when its tracer fails', async () => {
    const broken: TracerProvider = {
      getTracer: () => ({
        startSpan: () => {
          throw new Error('tracer exploded');
        },
        startActiveSpan: () => {
          throw new Error('tracer exploded');
        },
      }),
    };
    const ours = new GenAICallbackHandler({ tracerProvider: broken, captureMessageContent: true });
    const alone = new RecordingHandler();
    const chain = fourStepChain();
    const expected = await chain.invoke({ x: 'a' }, { callbacks: [alone] });
    await awaitAllCallbacks();
    const withOurs = new RecordingHandler();
    const result = await chain.invoke({ x: 'a' }, { callbacks: [ours, withOurs] });
    await awaitAllCallbacks();
    expect(result).to.equal(expected);
    expect(withOurs.calls).to.deep.equal(alone.calls);
    expect(ours.stats.callbackErrors).to.be.greaterThan(0);

    // and with a working tracer the other handler sees exactly the same callbacks too
    const { provider } = createTracing();
    const healthy = new RecordingHandler();
    await chain.invoke({ x: 'a' }, { callbacks: [new GenAICallbackHandler({ tracerProvider: provider }), healthy] });
    await awaitAllCallbacks();
    expect(healthy.calls).to.deep.equal(alone.calls);
  });

  it('survives malformed callback arguments', () => {
    const { provider } = createTracing();
    const handler = new GenAICallbackHandler({ tracerProvider: provider, captureMessageContent: true });
    const hostile = new Proxy(
      {},
      {
        get: () => {
          throw new Error('hostile getter');
        },
      },
    );
    expect(() => {
      handler._createRunForChatModelStart(hostile as never, [[hostile as never]], 'h1', undefined, hostile, undefined, hostile);
      handler.handleLLMEnd(hostile as never, 'h1');
      handler.handleChainEnd(hostile, 'nope');
      handler.handleToolError(hostile, 'nope');
      handler.handleLLMNewToken('x', { prompt: 0, completion: 0 }, 'h1', undefined, undefined, hostile);
      handler.handleCustomEvent('e', hostile, 'nope');
    }).not.to.throw();
    expect(handler.stats.callbackErrors).to.be.greaterThan(0);
  });
});
