/**
 * Issue 4, point 8 (with points 1 and 3): real LangChain workloads on fakes — LangGraph's prebuilt
 * ReAct agent on a scripted model that calls a tool, a retriever, RunnableParallel and batch — and
 * every callback (agent action/finish, text, custom events, tool chunks) driven in LangChain's
 * runtime argument order.
 */
import { expect } from 'chai';
import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { awaitAllCallbacks } from '@langchain/core/callbacks/promises';
import { dispatchCustomEvent } from '@langchain/core/callbacks/dispatch';
import { Document } from '@langchain/core/documents';
import type { Serialized } from '@langchain/core/load/serializable';
import { BaseRetriever } from '@langchain/core/retrievers';
import { RunnableLambda, RunnableParallel } from '@langchain/core/runnables';
import { tool } from '@langchain/core/tools';
import { FakeLLM } from '@langchain/core/utils/testing';
import { createReactAgent } from '@langchain/langgraph/prebuilt';
import { z } from 'zod';
import { attributes as A } from '../../src/semconv/index.js';
import { GenAICallbackHandler } from '../../src/langchain/index.js';
import { createTracing, named, one, parentOf, ScriptedChatModel } from './helpers.js';

function byId(spans: readonly ReadableSpan[]): Map<string, ReadableSpan> {
  return new Map(spans.map((span) => [span.spanContext().spanId, span]));
}

/** Names of the ancestors of `span`, nearest first. */
function ancestors(span: ReadableSpan, spans: readonly ReadableSpan[]): string[] {
  const index = byId(spans);
  const out: string[] = [];
  for (let parent = index.get(parentOf(span) ?? ''); parent !== undefined; parent = index.get(parentOf(parent) ?? '')) out.push(parent.name);
  return out;
}

describe('langchain handler: agents, retrievers, parallel runs', () => {
  it('records a LangGraph ReAct agent: invoke_agent, chat calls, execute_tool with the call id, usage totals', async () => {
    const { provider, spans } = createTracing();
    const handler = new GenAICallbackHandler({ tracerProvider: provider, captureMessageContent: true });
    const add = tool((input: { a: number; b: number }) => String(input.a + input.b), {
      name: 'add',
      description: 'adds two numbers',
      schema: z.object({ a: z.number(), b: z.number() }),
    });
    const model = new ScriptedChatModel({
      responses: [
        {
          content: '',
          tool_calls: [{ id: 'call_1', name: 'add', args: { a: 1, b: 2 } }],
          usage_metadata: { input_tokens: 50, output_tokens: 10, total_tokens: 60 },
        },
        { content: 'The answer is 3', usage_metadata: { input_tokens: 70, output_tokens: 6, total_tokens: 76 } },
      ],
    });
    // The issue asks for LangGraph's prebuilt ReAct agent (deprecated in favour of langchain's createAgent).
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    const agent = createReactAgent({ llm: model, tools: [add], name: 'calculator' });
    const result = await agent.invoke(
      { messages: [{ role: 'user', content: 'what is 1+2?' }] },
      { callbacks: [handler], configurable: { thread_id: 'thread-7' } },
    );
    await awaitAllCallbacks();
    expect(result.messages.at(-1)?.text).to.equal('The answer is 3');

    const all = spans();
    const root = one(all, 'invoke_agent calculator');
    expect(root.kind).to.equal(SpanKind.INTERNAL);
    expect(parentOf(root)).to.equal(undefined);
    expect(root.attributes).to.include({
      [A.ATTR_GEN_AI_OPERATION_NAME]: 'invoke_agent',
      [A.ATTR_GEN_AI_AGENT_NAME]: 'calculator',
      [A.ATTR_GEN_AI_CONVERSATION_ID]: 'thread-7',
      [A.ATTR_GEN_AI_PROVIDER_NAME]: 'openai',
      [A.ATTR_GEN_AI_REQUEST_MODEL]: 'gpt-test',
      [A.ATTR_GEN_AI_USAGE_INPUT_TOKENS]: 120,
      [A.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: 16,
    });
    expect(JSON.parse(String(root.attributes[A.ATTR_GEN_AI_INPUT_MESSAGES]))).to.deep.equal([
      { role: 'user', parts: [{ type: 'text', content: 'what is 1+2?' }] },
    ]);
    expect(JSON.parse(String(root.attributes[A.ATTR_GEN_AI_OUTPUT_MESSAGES]))).to.deep.equal([
      { role: 'assistant', name: 'calculator', parts: [{ type: 'text', content: 'The answer is 3' }], finish_reason: 'stop' },
    ]);

    const chats = named(all, 'chat gpt-test');
    expect(chats).to.have.length(2);
    for (const chat of chats) {
      expect(ancestors(chat, all)).to.include('invoke_agent calculator');
      expect(chat.attributes[A.ATTR_GEN_AI_CONVERSATION_ID]).to.equal('thread-7');
    }
    expect(chats.map((chat) => chat.attributes[A.ATTR_GEN_AI_RESPONSE_FINISH_REASONS])).to.deep.include(['tool_call']);

    const toolSpan = one(all, 'execute_tool add');
    expect(toolSpan.attributes).to.include({ [A.ATTR_GEN_AI_TOOL_NAME]: 'add', [A.ATTR_GEN_AI_TOOL_CALL_ID]: 'call_1', [A.ATTR_GEN_AI_TOOL_TYPE]: 'function' });
    expect(JSON.parse(String(toolSpan.attributes[A.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS]))).to.deep.equal({ a: 1, b: 2 });
    expect(JSON.parse(String(toolSpan.attributes[A.ATTR_GEN_AI_TOOL_CALL_RESULT]))).to.equal('3');
    expect(ancestors(toolSpan, all)).to.include('invoke_agent calculator');
    // LangGraph internals tagged langsmith:hidden (__start__, channel writers) are not recorded.
    expect(all.some((span) => (span.attributes['langchain.tags'] as string[] | undefined)?.includes('langsmith:hidden') === true)).to.equal(false);
    expect(handler.stats.openRuns).to.equal(0);
  });

  it('records a retriever as a retrieval span with its data source', async () => {
    const { provider, spans } = createTracing();
    class KbRetriever extends BaseRetriever {
      lc_namespace = ['test'];
      override _getRelevantDocuments(query: string): Promise<Document[]> {
        return Promise.resolve([new Document({ id: 'a', pageContent: query, metadata: { score: 1 } })]);
      }
    }
    await new KbRetriever().invoke('q', { callbacks: [new GenAICallbackHandler({ tracerProvider: provider })] });
    await awaitAllCallbacks();
    const span = one(spans(), 'retrieval KbRetriever');
    expect(span.kind).to.equal(SpanKind.CLIENT);
    expect(span.attributes).to.include({ [A.ATTR_GEN_AI_OPERATION_NAME]: 'retrieval', [A.ATTR_GEN_AI_DATA_SOURCE_ID]: 'KbRetriever' });
  });

  it('keeps RunnableParallel branches and batch items apart', async () => {
    const { provider, spans } = createTracing();
    const handler = new GenAICallbackHandler({ tracerProvider: provider });
    const parallel = RunnableParallel.from({
      left: new ScriptedChatModel({ responses: [{ content: 'L' }], model: 'left-model' }),
      right: new ScriptedChatModel({ responses: [{ content: 'R' }], model: 'right-model' }),
    });
    await parallel.batch(['one', 'two', 'three'], { callbacks: [handler] });
    await awaitAllCallbacks();
    const all = spans();
    const roots = named(all, 'invoke_workflow RunnableMap');
    expect(roots).to.have.length(3);
    for (const root of roots) {
      const children = all
        .filter((span) => parentOf(span) === root.spanContext().spanId)
        .map((span) => span.name)
        .sort();
      expect(children).to.deep.equal(['chat left-model', 'chat right-model']);
      for (const span of all.filter((s) => parentOf(s) === root.spanContext().spanId)) expect(span.spanContext().traceId).to.equal(root.spanContext().traceId);
    }
    expect(new Set(roots.map((root) => root.spanContext().traceId)).size).to.equal(3);
  });

  it('handles every callback in LangChain’s runtime argument order', () => {
    const { provider, spans } = createTracing();
    const handler = new GenAICallbackHandler({ tracerProvider: provider, captureMessageContent: true });
    const chain: Serialized = { lc: 1, type: 'not_implemented', id: ['langchain', 'agents', 'AgentExecutor'] };
    // runtime order: (chain, inputs, runId, parentRunId, tags, metadata, runType, runName, extra)
    handler.handleChainStart(chain, { input: 'hi' }, 'exec', undefined, ['t'], { k: 'v' }, 'chain', 'executor', undefined);
    handler.handleChainStart(chain, { input: 'hi' }, 'step', 'exec', [], {}, 'prompt', 'step', undefined);
    handler.handleAgentAction({ tool: 'search', toolInput: { q: 'x' }, log: 'thinking' }, 'exec');
    handler.handleText('some text', 'exec');
    handler.handleCustomEvent('progress', { pct: 50 }, 'exec');
    handler.handleToolStart({ lc: 1, type: 'not_implemented', id: ['Tool'] }, '{"q":"x"}', 'tool-run', 'exec', [], {}, 'search', 'call_7');
    handler.handleToolEvent({ partial: 1 }, 'tool-run');
    handler.handleToolEnd('found', 'tool-run');
    handler.handleRetrieverStart({ lc: 1, type: 'not_implemented', id: ['R'] }, 'query', 'ret', 'exec', [], {}, 'kb');
    handler.handleRetrieverError(new Error('index offline'), 'ret');
    handler.handleChainError(new Error('step failed'), 'step');
    handler.handleAgentEnd({ returnValues: { output: 'done' }, log: 'final' }, 'exec');
    handler.handleChainEnd({ output: 'done' }, 'exec');
    const all = spans();
    const exec = one(all, 'invoke_workflow executor');
    expect(exec.attributes['langchain.metadata.k']).to.equal('v');
    expect(parentOf(one(all, 'step'))).to.equal(exec.spanContext().spanId);
    expect(one(all, 'step').attributes['langchain.run.type']).to.equal('prompt');
    expect(exec.events.map((event) => event.name)).to.deep.equal([
      'langchain.agent.action',
      'langchain.text',
      'langchain.custom_event',
      'langchain.agent.finish',
    ]);
    expect(exec.events[0]?.attributes).to.include({ [A.ATTR_GEN_AI_TOOL_NAME]: 'search', tool_input: '{"q":"x"}', log: 'thinking' });
    expect(exec.events[2]?.attributes).to.include({ name: 'progress', data: '{"pct":50}' });
    const toolSpan = one(all, 'execute_tool search');
    expect(toolSpan.attributes[A.ATTR_GEN_AI_TOOL_CALL_ID]).to.equal('call_7');
    expect(toolSpan.events.map((event) => event.name)).to.deep.equal(['langchain.tool.chunk']);
    expect(one(all, 'retrieval kb').attributes[A.ATTR_ERROR_TYPE]).to.equal('Error');
    expect(handler.stats.openRuns).to.equal(0);
    expect(handler.stats.callbackErrors).to.equal(0);
  });

  it('takes time to first chunk and usage from chat-model stream events', () => {
    const { provider, spans } = createTracing();
    const handler = new GenAICallbackHandler({ tracerProvider: provider });
    handler.handleChatModelStart({ lc: 1, type: 'not_implemented', id: ['ChatX'] }, [[]], 'ev', undefined, {}, [], {
      ls_provider: 'openai',
      ls_model_name: 'm',
    });
    handler.handleChatModelStreamEvent({ event: 'message-start' }, 'ev');
    handler.handleChatModelStreamEvent({ event: 'content-block-delta', index: 0, delta: { type: 'text-delta', text: 'hi' } }, 'ev');
    handler.handleChatModelStreamEvent({ event: 'usage', usage: { input_tokens: 3, output_tokens: 1, total_tokens: 4 } }, 'ev');
    handler.handleLLMEnd({ generations: [[{ text: 'hi' }]] }, 'ev');
    const span = one(spans(), 'chat m');
    expect(span.attributes[A.ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK]).to.be.a('number');
    expect(span.attributes).to.include({ [A.ATTR_GEN_AI_USAGE_INPUT_TOKENS]: 3, [A.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: 1 });
  });

  it('records LLMs (text completion) through LangChain', async () => {
    const { provider, spans } = createTracing();
    await new FakeLLM({ response: 'four' }).invoke('2+2=', {
      callbacks: [new GenAICallbackHandler({ tracerProvider: provider, captureMessageContent: true })],
    });
    await awaitAllCallbacks();
    const span = one(spans(), 'text_completion');
    expect(span.attributes[A.ATTR_GEN_AI_OPERATION_NAME]).to.equal('text_completion');
    expect(JSON.parse(String(span.attributes[A.ATTR_GEN_AI_INPUT_MESSAGES]))).to.deep.equal([{ role: 'user', parts: [{ type: 'text', content: '2+2=' }] }]);
    expect(JSON.parse(String(span.attributes[A.ATTR_GEN_AI_OUTPUT_MESSAGES]))).to.deep.equal([
      { role: 'assistant', parts: [{ type: 'text', content: 'four' }], finish_reason: 'stop' },
    ]);
  });

  it('records custom events dispatched from inside a runnable', async () => {
    const { provider, spans } = createTracing();
    const handler = new GenAICallbackHandler({ tracerProvider: provider });
    const step = RunnableLambda.from(async (x: string, config) => {
      await dispatchCustomEvent('checkpoint', { at: x }, config);
      return x;
    });
    await step.invoke('a', { callbacks: [handler], runName: 'stepper' });
    await awaitAllCallbacks();
    expect(one(spans(), 'invoke_workflow stepper').events.map((event) => [event.name, event.attributes?.['name']])).to.deep.equal([
      ['langchain.custom_event', 'checkpoint'],
    ]);
  });
});
