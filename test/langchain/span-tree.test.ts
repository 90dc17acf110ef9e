/**
 * Issue 4, point 2: the span tree. Parent/child from runId/parentRunId; root spans under the
 * caller's active span even with LangChain's background callback queue and 50 concurrent
 * invocations; the model / tool span is the active context during the real call (context bridge).
 */
import { expect } from 'chai';
import { context, trace } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { BaseCallbackHandler } from '@langchain/core/callbacks/base';
import { awaitAllCallbacks } from '@langchain/core/callbacks/promises';
import { StringOutputParser } from '@langchain/core/output_parsers';
import { ChatPromptTemplate } from '@langchain/core/prompts';
import { tool } from '@langchain/core/tools';
import { z } from 'zod';
import { GenAICallbackHandler, installContextBridge, uninstallContextBridge } from '../../src/langchain/index.js';
import { createTracing, drain, named, one, parentOf, providerSpan, ScriptedChatModel } from './helpers.js';

function chainWithModel(model: ScriptedChatModel) {
  return ChatPromptTemplate.fromTemplate('say {x}').pipe(model).pipe(new StringOutputParser());
}

describe('langchain handler: span tree', () => {
  it('builds parent/child links from runId/parentRunId', async () => {
    const { provider, spans } = createTracing();
    const handler = new GenAICallbackHandler({ tracerProvider: provider });
    await chainWithModel(new ScriptedChatModel({ responses: [{ content: 'hi' }] })).invoke({ x: 'a' }, { callbacks: [handler] });
    await awaitAllCallbacks();
    const root = one(spans(), 'invoke_workflow RunnableSequence');
    for (const name of ['ChatPromptTemplate', 'chat gpt-test', 'StrOutputParser']) {
      const child = one(spans(), name);
      expect(parentOf(child), name).to.equal(root.spanContext().spanId);
      expect(child.spanContext().traceId).to.equal(root.spanContext().traceId);
    }
  });

  it('puts each of 50 concurrent invocations under its own request span (background callbacks)', async () => {
    const { provider, spans } = createTracing();
    const handler = new GenAICallbackHandler({ tracerProvider: provider });
    expect(handler.awaitHandlers, 'the test must exercise the background queue').to.equal(false);
    const chain = chainWithModel(new ScriptedChatModel({ responses: [{ content: 'hello' }], chunkDelayMs: 1 }));
    const app = provider.getTracer('app');
    const requests = new Map<string, string>(); // request span id -> input
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        app.startActiveSpan(`request ${String(i)}`, async (span) => {
          requests.set(span.spanContext().spanId, String(i));
          await chain.invoke({ x: String(i) }, { callbacks: [handler], metadata: { request: String(i) } });
          span.end();
        }),
      ),
    );
    await awaitAllCallbacks();
    const roots = named(spans(), 'invoke_workflow RunnableSequence');
    expect(roots).to.have.length(50);
    const wrong = roots.filter((root) => requests.get(parentOf(root) ?? '') !== root.attributes['langchain.metadata.request']);
    expect(wrong.length, 'root spans under another request').to.equal(0);
    // every child is in its root's trace
    const traceOfRoot = new Set(roots.map((root) => root.spanContext().traceId));
    const children = spans().filter((span) => span.name === 'chat gpt-test');
    expect(children).to.have.length(50);
    for (const child of children) expect(traceOfRoot.has(child.spanContext().traceId)).to.equal(true);
  });

  it('does the same with awaited callbacks (awaitHandlers: true)', async () => {
    const { provider, spans } = createTracing();
    const handler = new GenAICallbackHandler({ tracerProvider: provider, awaitHandlers: true });
    expect(handler.awaitHandlers).to.equal(true);
    const chain = chainWithModel(new ScriptedChatModel({ responses: [{ content: 'hello' }], chunkDelayMs: 1 }));
    const app = provider.getTracer('app');
    const requests = new Map<string, string>();
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        app.startActiveSpan(`request ${String(i)}`, async (span) => {
          requests.set(span.spanContext().spanId, String(i));
          await chain.invoke({ x: String(i) }, { callbacks: [handler], metadata: { request: String(i) } });
          span.end();
        }),
      ),
    );
    const roots = named(spans(), 'invoke_workflow RunnableSequence');
    expect(roots).to.have.length(50);
    expect(roots.filter((root) => requests.get(parentOf(root) ?? '') !== root.attributes['langchain.metadata.request'])).to.have.length(0);
  });

  it('control: a handler reading the active context in handleChainStart gets the same setup wrong', async () => {
    const { provider } = createTracing();
    const app = provider.getTracer('app');
    const seen = new Map<string, string | undefined>(); // input -> span id active in the callback
    class NaiveHandler extends BaseCallbackHandler {
      name = 'naive';
      override handleChainStart(_chain: unknown, inputs: Record<string, unknown>, _runId: string, parentRunId?: string): void {
        if (parentRunId === undefined) seen.set(String(inputs['x']), trace.getSpan(context.active())?.spanContext().spanId);
      }
    }
    const chain = chainWithModel(new ScriptedChatModel({ responses: [{ content: 'hello' }], chunkDelayMs: 1 }));
    const requests = new Map<string, string>();
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        app.startActiveSpan(`request ${String(i)}`, async (span) => {
          requests.set(String(i), span.spanContext().spanId);
          await chain.invoke({ x: String(i) }, { callbacks: [new NaiveHandler()] });
          span.end();
        }),
      ),
    );
    await awaitAllCallbacks();
    const wrong = [...requests].filter(([input, spanId]) => seen.get(input) !== spanId);
    expect(wrong.length, 'the background queue mixes contexts up for naive handlers').to.be.greaterThan(0);
  });

  it('records nothing inside suppressTracing (e.g. an exporter’s own work)', async () => {
    const { provider, spans } = createTracing();
    const handler = new GenAICallbackHandler({ tracerProvider: provider });
    await context.with(suppressTracing(context.active()), () =>
      chainWithModel(new ScriptedChatModel({ responses: [{ content: 'x' }] })).invoke({ x: 'a' }, { callbacks: [handler] }),
    );
    await awaitAllCallbacks();
    expect(spans()).to.have.length(0);
    expect(handler.stats.openRuns).to.equal(0);
  });

  it('makes the chat span the active context during the provider call (invoke and stream)', async () => {
    const { provider, spans } = createTracing();
    const handler = new GenAICallbackHandler({ tracerProvider: provider });
    const model = new ScriptedChatModel({ responses: [{ content: 'ok' }], onCall: () => providerSpan(provider) });
    await model.invoke('hi', { callbacks: [handler] });
    await drain(await model.stream('hi', { callbacks: [handler] }));
    await awaitAllCallbacks();
    const chats = named(spans(), 'chat gpt-test');
    const calls = named(spans(), 'POST /v1/chat/completions');
    expect(chats).to.have.length(2);
    expect(calls).to.have.length(2);
    const chatIds = new Set(chats.map((span) => span.spanContext().spanId));
    for (const call of calls) expect(chatIds.has(parentOf(call) ?? '')).to.equal(true);
  });

  it('makes the tool span the active context during the tool function', async () => {
    const { provider, spans } = createTracing();
    const handler = new GenAICallbackHandler({ tracerProvider: provider });
    const lookup = tool(
      (input: { city: string }) => {
        providerSpan(provider, 'GET /weather');
        return `sunny in ${input.city}`;
      },
      { name: 'weather', description: 'weather', schema: z.object({ city: z.string() }) },
    );
    await lookup.invoke({ id: 'call_9', name: 'weather', args: { city: 'Oslo' }, type: 'tool_call' }, { callbacks: [handler] });
    await awaitAllCallbacks();
    expect(parentOf(one(spans(), 'GET /weather'))).to.equal(one(spans(), 'execute_tool weather').spanContext().spanId);
  });

  it('with bridgeContext: false (and no bridge installed), provider spans stay in the caller context', async () => {
    uninstallContextBridge();
    try {
      const { provider, spans } = createTracing();
      const handler = new GenAICallbackHandler({ tracerProvider: provider, bridgeContext: false });
      const model = new ScriptedChatModel({ responses: [{ content: 'ok' }], onCall: () => providerSpan(provider) });
      await model.invoke('hi', { callbacks: [handler] });
      await awaitAllCallbacks();
      const call: ReadableSpan = one(spans(), 'POST /v1/chat/completions');
      expect(parentOf(call)).to.equal(undefined);
    } finally {
      installContextBridge();
    }
  });
});
