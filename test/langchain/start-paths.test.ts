/**
 * The start path (issue 16): LangChain's synchronous hooks start the spans, so the handler hides
 * its queued `handle*Start` fallbacks from LangChain — which then no longer serialises tool inputs
 * for it — unless a subclass overrides one; the conversation id's key precedence.
 */
import { expect } from 'chai';
import { awaitAllCallbacks } from '@langchain/core/callbacks/promises';
import { tool } from '@langchain/core/tools';
import { z } from 'zod';
import { attributes as A } from '../../src/semconv/index.js';
import { GenAICallbackHandler } from '../../src/langchain/index.js';
import { createTracing, one, ScriptedChatModel } from './helpers.js';

const echo = tool((input: { content: string }) => input.content, {
  name: 'echo',
  description: 'returns its input',
  schema: z.object({ content: z.string() }),
});

/** A tool input that counts how often it is serialised (`JSON.stringify` calls its `toJSON`). */
function countedInput(): { input: { content: string }; serialised: () => number } {
  let count = 0;
  const input = { content: 'hello' };
  Object.defineProperty(input, 'toJSON', {
    enumerable: false,
    value: () => {
      count += 1;
      return { content: 'hello' };
    },
  });
  return { input, serialised: () => count };
}

describe('langchain handler: start path', () => {
  it('with capture off, nobody serialises a tool input for the handler', async () => {
    const { provider, spans } = createTracing();
    const handler = new GenAICallbackHandler({ tracerProvider: provider });
    const { input, serialised } = countedInput();
    await echo.invoke(input, { callbacks: [handler] });
    await awaitAllCallbacks();
    expect(serialised()).to.equal(0);
    const span = one(spans(), 'execute_tool echo');
    expect(span.attributes).not.to.have.property(A.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS);
    expect(handler.stats).to.include({ openRuns: 0, callbackErrors: 0 });
  });

  it('with capture on, the tool input is serialised once, by the handler, into the arguments', async () => {
    const { provider, spans } = createTracing();
    const handler = new GenAICallbackHandler({ tracerProvider: provider, captureMessageContent: true });
    const { input, serialised } = countedInput();
    await echo.invoke(input, { callbacks: [handler] });
    await awaitAllCallbacks();
    expect(serialised()).to.equal(1);
    expect(one(spans(), 'execute_tool echo').attributes[A.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS]).to.equal('{"content":"hello"}');
  });

  it('after the first hook, the handle*Start fallbacks are hidden from LangChain', async () => {
    const { provider } = createTracing();
    const handler = new GenAICallbackHandler({ tracerProvider: provider });
    const starts = ['handleLLMStart', 'handleChatModelStart', 'handleChainStart', 'handleToolStart', 'handleRetrieverStart'];
    const view = handler as unknown as Record<string, unknown>;
    for (const name of starts) expect(view[name], name).to.be.a('function');
    await echo.invoke({ content: 'x' }, { callbacks: [handler] });
    await awaitAllCallbacks();
    for (const name of starts) expect(view[name], name).to.equal(undefined);
  });

  it('a subclass that overrides a start callback keeps receiving it (with LangChain’s JSON of the input)', async () => {
    const { provider, spans } = createTracing();
    const seen: string[] = [];
    class Counting extends GenAICallbackHandler {
      override handleToolStart(...args: Parameters<GenAICallbackHandler['handleToolStart']>): void {
        seen.push(args[1]);
        super.handleToolStart(...args);
      }
    }
    const handler = new Counting({ tracerProvider: provider });
    await echo.invoke({ content: 'x' }, { callbacks: [handler] });
    await echo.invoke({ content: 'y' }, { callbacks: [handler] });
    await awaitAllCallbacks();
    expect(seen).to.deep.equal(['{"content":"x"}', '{"content":"y"}']);
    expect(spans().filter((span) => span.name === 'execute_tool echo')).to.have.length(2);
  });

  it('conversation id: thread_id, conversation_id, session_id, then the camel-case keys; a numeric thread_id last', async () => {
    const cases: [Record<string, unknown>, string | undefined][] = [
      [{ session_id: 's', user: 'u', conversation_id: 'c' }, 'c'],
      [{ sessionId: 'S', thread_id: '', threadId: 't' }, 't'],
      [{ conversationId: 'C', sessionId: 'S' }, 'C'],
      [{ thread_id: 42 }, '42'],
      [{ thread_id: 42, sessionId: 'S' }, 'S'],
      [{ user: 'u' }, undefined],
    ];
    for (const [metadata, expected] of cases) {
      const { provider, spans } = createTracing();
      const handler = new GenAICallbackHandler({ tracerProvider: provider });
      await new ScriptedChatModel({ responses: [{ content: 'x' }] }).invoke('hi', { callbacks: [handler], metadata });
      await awaitAllCallbacks();
      expect(one(spans(), 'chat gpt-test').attributes[A.ATTR_GEN_AI_CONVERSATION_ID], JSON.stringify(metadata)).to.equal(expected);
    }
  });
});
