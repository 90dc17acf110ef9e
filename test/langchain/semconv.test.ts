/**
 * Issue 4, point 3: GenAI semconv v1.41.1 on every span type — names, kinds, operation, provider,
 * request parameters, response model/id/finish reasons, usage with cache and reasoning details (and
 * the llmOutput fallback), tool name/call id/type, agent name, conversation id, error.type and
 * status, LangChain tags/metadata under `langchain.`; plus the profile switch.
 */
import { expect } from 'chai';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { awaitAllCallbacks } from '@langchain/core/callbacks/promises';
import { tool } from '@langchain/core/tools';
import { z } from 'zod';
import { attributes as A } from '../../src/semconv/index.js';
import { GenAICallbackHandler } from '../../src/langchain/index.js';
import { providerFromClassName, providerFromLsProvider } from '../../src/langchain/provider.js';
import { createTracing, one, ScriptedChatModel } from './helpers.js';

const usage = {
  input_tokens: 120,
  output_tokens: 30,
  total_tokens: 150,
  input_token_details: { cache_read: 100, cache_creation: 8 },
  output_token_details: { reasoning: 12 },
};

describe('langchain handler: GenAI semantic conventions', () => {
  it('chat spans: name, kind, operation, provider, request model and parameters, response, usage', async () => {
    const { provider, spans } = createTracing();
    const handler = new GenAICallbackHandler({ tracerProvider: provider });
    const model = new ScriptedChatModel({
      provider: 'anthropic',
      model: 'claude-test',
      temperature: 0.2,
      maxTokens: 256,
      responses: [
        {
          content: 'done',
          id: 'msg_01abc',
          usage_metadata: usage,
          response_metadata: { model_name: 'claude-test-20260101', stop_reason: 'end_turn' },
        },
      ],
    });
    await model.invoke('hi', { callbacks: [handler], stop: ['END'] });
    await awaitAllCallbacks();
    const span = one(spans(), 'chat claude-test');
    expect(span.kind).to.equal(SpanKind.CLIENT);
    expect(span.attributes).to.include({
      [A.ATTR_GEN_AI_OPERATION_NAME]: 'chat',
      [A.ATTR_GEN_AI_PROVIDER_NAME]: 'anthropic',
      [A.ATTR_GEN_AI_REQUEST_MODEL]: 'claude-test',
      [A.ATTR_GEN_AI_REQUEST_TEMPERATURE]: 0.2,
      [A.ATTR_GEN_AI_REQUEST_MAX_TOKENS]: 256,
      [A.ATTR_GEN_AI_RESPONSE_MODEL]: 'claude-test-20260101',
      [A.ATTR_GEN_AI_RESPONSE_ID]: 'msg_01abc',
      [A.ATTR_GEN_AI_USAGE_INPUT_TOKENS]: 120,
      [A.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: 30,
      [A.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]: 100,
      [A.ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS]: 8,
      [A.ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS]: 12,
    });
    expect(span.attributes[A.ATTR_GEN_AI_REQUEST_STOP_SEQUENCES]).to.deep.equal(['END']);
    expect(span.attributes[A.ATTR_GEN_AI_RESPONSE_FINISH_REASONS]).to.deep.equal(['stop']);
    expect(span.status.code).to.equal(SpanStatusCode.UNSET);
  });

  it('sets the sampling-relevant attributes when the span starts', async () => {
    const { provider } = createTracing();
    const seen: Record<string, unknown>[] = [];
    const tracerProvider = {
      getTracer: (name: string, version?: string) => {
        const real = provider.getTracer(name, version);
        return {
          startSpan: (spanName: string, options: { attributes?: Record<string, unknown> } = {}, ctx?: import('@opentelemetry/api').Context) => {
            seen.push({ name: spanName, ...(options.attributes ?? {}) });
            return real.startSpan(spanName, options as never, ctx);
          },
          startActiveSpan: real.startActiveSpan.bind(real),
        } as unknown as import('@opentelemetry/api').Tracer;
      },
    };
    const handler = new GenAICallbackHandler({ tracerProvider });
    await new ScriptedChatModel({ responses: [{ content: 'x' }] }).invoke('hi', { callbacks: [handler] });
    await awaitAllCallbacks();
    expect(seen[0]).to.include({
      name: 'chat gpt-test',
      [A.ATTR_GEN_AI_OPERATION_NAME]: 'chat',
      [A.ATTR_GEN_AI_PROVIDER_NAME]: 'openai',
      [A.ATTR_GEN_AI_REQUEST_MODEL]: 'gpt-test',
    });
  });

  it("falls back to Anthropic's llmOutput.usage, whose input_tokens leave the cache out: the input count includes cache reads and writes", () => {
    const { provider, spans } = createTracing();
    const handler = new GenAICallbackHandler({ tracerProvider: provider });
    handler._createRunForChatModelStart({ lc: 1, type: 'not_implemented', id: ['x', 'ChatAnthropic'] }, [[]], 'run-a', undefined, {
      invocation_params: { model: 'claude-sonnet-4-5' },
    });
    handler.handleLLMEnd(
      {
        generations: [[{ text: 'a' }]],
        llmOutput: { usage: { input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 100, cache_creation_input_tokens: 20 } },
      },
      'run-a',
    );
    expect(one(spans(), 'chat claude-sonnet-4-5').attributes).to.include({
      [A.ATTR_GEN_AI_USAGE_INPUT_TOKENS]: 130,
      [A.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: 5,
      'gen_ai.usage.cache_read.input_tokens': 100,
      'gen_ai.usage.cache_creation.input_tokens': 20,
    });
  });

  it('falls back to llmOutput.tokenUsage when the message has no usage_metadata', () => {
    const { provider, spans } = createTracing();
    const handler = new GenAICallbackHandler({ tracerProvider: provider });
    handler._createRunForChatModelStart(
      { lc: 1, type: 'not_implemented', id: ['x', 'ChatOpenAI'] },
      [[]],
      'run-1',
      undefined,
      { invocation_params: { model: 'gpt-4o', top_p: 0.9, seed: 7, n: 2, frequency_penalty: 0.5, presence_penalty: 0.1 } },
      [],
      {},
    );
    handler.handleLLMEnd(
      {
        generations: [
          [
            { text: 'a', generationInfo: { finish_reason: 'length' } },
            { text: 'b', generationInfo: { finish_reason: 'tool_calls' } },
          ],
        ],
        llmOutput: { tokenUsage: { promptTokens: 11, completionTokens: 7 }, id: 'chatcmpl-1' },
      },
      'run-1',
    );
    const span = one(spans(), 'chat gpt-4o');
    expect(span.attributes).to.include({
      [A.ATTR_GEN_AI_PROVIDER_NAME]: 'openai',
      [A.ATTR_GEN_AI_REQUEST_TOP_P]: 0.9,
      [A.ATTR_GEN_AI_REQUEST_SEED]: 7,
      [A.ATTR_GEN_AI_REQUEST_CHOICE_COUNT]: 2,
      [A.ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY]: 0.5,
      [A.ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY]: 0.1,
      [A.ATTR_GEN_AI_USAGE_INPUT_TOKENS]: 11,
      [A.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: 7,
      [A.ATTR_GEN_AI_RESPONSE_ID]: 'chatcmpl-1',
    });
    expect(span.attributes[A.ATTR_GEN_AI_RESPONSE_FINISH_REASONS]).to.deep.equal(['length', 'tool_call']);
  });

  it('maps ls_provider and class names to the conventions’ provider values', () => {
    expect(providerFromLsProvider('azure')).to.equal('azure.ai.openai');
    expect(providerFromLsProvider('amazon_bedrock')).to.equal('aws.bedrock');
    expect(providerFromLsProvider('google_genai')).to.equal('gcp.gemini');
    expect(providerFromLsProvider('google_vertexai')).to.equal('gcp.vertex_ai');
    expect(providerFromLsProvider('mistral')).to.equal('mistral_ai');
    expect(providerFromLsProvider('ollama')).to.equal('ollama');
    expect(providerFromClassName('AzureChatOpenAI')).to.equal('azure.ai.openai');
    expect(providerFromClassName('ChatBedrockConverse')).to.equal('aws.bedrock');
    expect(providerFromClassName('ChatSomethingElse')).to.equal(undefined);
  });

  it('text-completion spans for LLMs', () => {
    const { provider, spans } = createTracing();
    const handler = new GenAICallbackHandler({ tracerProvider: provider });
    handler._createRunForLLMStart(
      { lc: 1, type: 'not_implemented', id: ['x', 'OpenAI'] },
      ['2+2='],
      'run-2',
      undefined,
      { invocation_params: { model_name: 'gpt-3.5-turbo-instruct' } },
      [],
      { ls_provider: 'openai' },
    );
    handler.handleLLMEnd({ generations: [[{ text: '4' }]] }, 'run-2');
    const span = one(spans(), 'text_completion gpt-3.5-turbo-instruct');
    expect(span.kind).to.equal(SpanKind.CLIENT);
    expect(span.attributes[A.ATTR_GEN_AI_OPERATION_NAME]).to.equal('text_completion');
  });

  it('tool spans: execute_tool {name}, INTERNAL, tool name, call id and type', async () => {
    const { provider, spans } = createTracing();
    const handler = new GenAICallbackHandler({ tracerProvider: provider });
    const add = tool((input: { a: number; b: number }) => String(input.a + input.b), {
      name: 'add',
      description: 'adds',
      schema: z.object({ a: z.number(), b: z.number() }),
    });
    await add.invoke({ id: 'call_42', name: 'add', args: { a: 1, b: 2 }, type: 'tool_call' }, { callbacks: [handler] });
    await awaitAllCallbacks();
    const span = one(spans(), 'execute_tool add');
    expect(span.kind).to.equal(SpanKind.INTERNAL);
    expect(span.attributes).to.include({
      [A.ATTR_GEN_AI_OPERATION_NAME]: 'execute_tool',
      [A.ATTR_GEN_AI_TOOL_NAME]: 'add',
      [A.ATTR_GEN_AI_TOOL_CALL_ID]: 'call_42',
      [A.ATTR_GEN_AI_TOOL_TYPE]: 'function',
    });
  });

  it('errors: error.type from the error class, ERROR status, exception event', async () => {
    const { provider, spans } = createTracing();
    const handler = new GenAICallbackHandler({ tracerProvider: provider });
    class RateLimitError extends Error {
      override name = 'RateLimitError';
    }
    const model = new ScriptedChatModel({
      responses: [{ content: 'x' }],
      onCall: () => {
        throw new RateLimitError('slow down');
      },
    });
    let thrown: unknown;
    try {
      await model.invoke('hi', { callbacks: [handler] });
    } catch (error) {
      thrown = error;
    }
    await awaitAllCallbacks();
    expect(thrown).to.be.instanceOf(RateLimitError);
    const span = one(spans(), 'chat gpt-test');
    expect(span.attributes[A.ATTR_ERROR_TYPE]).to.equal('RateLimitError');
    expect(span.status).to.deep.equal({ code: SpanStatusCode.ERROR, message: 'slow down' });
    expect(span.events.map((event) => event.name)).to.include('exception');
  });

  it('tags, metadata and conversation id (thread_id) under the langchain. prefix', async () => {
    const { provider, spans } = createTracing();
    const handler = new GenAICallbackHandler({ tracerProvider: provider });
    await new ScriptedChatModel({ responses: [{ content: 'x' }] }).invoke('hi', {
      callbacks: [handler],
      tags: ['team-a', 'exp-7'],
      metadata: { thread_id: 'conv-123', user: 'u1', attempt: 2, flags: ['a', 'b'], nested: { k: 1 } },
    });
    await awaitAllCallbacks();
    const span = one(spans(), 'chat gpt-test');
    expect(span.attributes[A.ATTR_GEN_AI_CONVERSATION_ID]).to.equal('conv-123');
    expect(span.attributes['langchain.tags']).to.deep.equal(['team-a', 'exp-7']);
    expect(span.attributes).to.include({
      'langchain.metadata.user': 'u1',
      'langchain.metadata.attempt': 2,
      'langchain.metadata.nested.k': 1,
      'langchain.run.type': 'chat_model',
    });
    expect(span.attributes['langchain.metadata.flags']).to.deep.equal(['a', 'b']);
  });

  it('the genai-dev profile renames cache_creation to cache_write', async () => {
    const { provider, spans } = createTracing();
    const handler = new GenAICallbackHandler({ tracerProvider: provider, semconv: 'genai-dev' });
    await new ScriptedChatModel({ responses: [{ content: 'x', usage_metadata: usage }] }).invoke('hi', { callbacks: [handler] });
    await awaitAllCallbacks();
    const span = one(spans(), 'chat gpt-test');
    expect(span.attributes['gen_ai.usage.cache_write.input_tokens']).to.equal(8);
    expect(span.attributes).not.to.have.property(A.ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS);
  });
});
