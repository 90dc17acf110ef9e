/**
 * The model calls the stacked-producers test drives against the fake OpenAI server, each through a
 * framework whose model-call span has a provider instrumentation's span under it:
 *
 * - {@link runLangChainCalls}: LangChain.js `ChatOpenAI` (`@langchain/openai`, on the real `openai`
 *   client) traced by our `GenAICallbackHandler`: an invoke, a stream, and a LangGraph ReAct agent
 *   whose model calls the `get_weather` tool once (two model calls).
 * - {@link runVercelCalls}: the Vercel AI SDK's `generateText` (built-in telemetry) on a language
 *   model whose `doGenerate` calls the real `openai` client: a plain call and a two-step tool flow.
 *   The AI SDK's own OpenAI provider talks HTTP with `fetch`, not with the `openai` client, so no
 *   provider instrumentation sees it: {@link openAIClientModel} is the small adapter (as an app
 *   with its own provider would write) that puts the `openai` client under `doGenerate`.
 */
import type { Tracer } from '@opentelemetry/api';
import { awaitAllCallbacks } from '@langchain/core/callbacks/promises';
import type { BaseCallbackHandler } from '@langchain/core/callbacks/base';
import { tool as langchainTool } from '@langchain/core/tools';
import { createReactAgent } from '@langchain/langgraph/prebuilt';
import { ChatOpenAI } from '@langchain/openai';
import { generateText, stepCountIs, tool as aiTool } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import OpenAI from 'openai';
import { z } from 'zod';
import type { FakeAnswerKind } from '../peers/fake-openai.js';

/** The request model of every call. */
export const STACKED_MODEL = 'gpt-4o-mini';
/** The question of the plain calls. */
export const SKY_QUESTION = 'What color is the sky?';
/** The question of the tool flows (the fake server answers it with a `get_weather` tool call). */
export const WEATHER_QUESTION = 'What is the weather in Paris?';
/** What the `get_weather` tool returns. */
export const WEATHER_RESULT = 'sunny, 22 degrees';

/** The fake server's answers to {@link runLangChainCalls}, in call order. */
export const LANGCHAIN_CALLS: readonly FakeAnswerKind[] = ['text', 'text', 'toolCall', 'toolAnswer'];
/** The fake server's answers to {@link runVercelCalls}, in call order. */
export const VERCEL_CALLS: readonly FakeAnswerKind[] = ['text', 'toolCall', 'toolAnswer'];

/**
 * Four model calls through `ChatOpenAI` with `callbacks`: `invoke`, `stream`, and a LangGraph
 * ReAct agent (tool call, then the answer to the tool result). Returns the final texts.
 */
export async function runLangChainCalls(openaiBaseUrl: string, callbacks: BaseCallbackHandler[]): Promise<string[]> {
  const model = new ChatOpenAI({ model: STACKED_MODEL, apiKey: 'sk-fake', configuration: { baseURL: openaiBaseUrl }, temperature: 0 });
  const answers: string[] = [];
  answers.push((await model.invoke(SKY_QUESTION, { callbacks })).text);
  let streamed = '';
  for await (const chunk of await model.stream(SKY_QUESTION, { callbacks })) streamed += chunk.text;
  answers.push(streamed);
  const getWeather = langchainTool((input: { city: string }) => `${input.city}: ${WEATHER_RESULT}`, {
    name: 'get_weather',
    description: 'The current weather in a city.',
    schema: z.object({ city: z.string() }),
  });
  // LangGraph's prebuilt ReAct agent, as in the in-process test (deprecated in favour of langchain's createAgent).
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  const agent = createReactAgent({ llm: model, tools: [getWeather] });
  const result = await agent.invoke({ messages: [{ role: 'user', content: WEATHER_QUESTION }] }, { callbacks });
  const last = result.messages[result.messages.length - 1];
  answers.push(last?.text ?? '');
  await awaitAllCallbacks();
  return answers;
}

// The V3 model types, from the mock's own signature (`@ai-sdk/provider` is not a dependency of ours).
type MockOptions = NonNullable<ConstructorParameters<typeof MockLanguageModelV3>[0]>;
type DoGenerate = Extract<MockOptions['doGenerate'], (...args: never[]) => unknown>;
type CallOptions = Parameters<DoGenerate>[0];
type GenerateResult = Awaited<ReturnType<DoGenerate>>;
type Message = OpenAI.Chat.Completions.ChatCompletionMessageParam;

/** The AI SDK prompt as OpenAI chat messages (text, tool calls and tool results: what these flows send). */
function toOpenAIMessages(prompt: CallOptions['prompt']): Message[] {
  const messages: Message[] = [];
  for (const message of prompt) {
    switch (message.role) {
      case 'system':
        messages.push({ role: 'system', content: message.content });
        break;
      case 'user':
        messages.push({ role: 'user', content: message.content.map((part) => (part.type === 'text' ? part.text : '')).join('') });
        break;
      case 'assistant': {
        const text = message.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
        const toolCalls = message.content.flatMap((part) =>
          part.type === 'tool-call'
            ? [{ id: part.toolCallId, type: 'function' as const, function: { name: part.toolName, arguments: JSON.stringify(part.input) } }]
            : [],
        );
        messages.push({ role: 'assistant', content: text === '' ? null : text, ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}) });
        break;
      }
      case 'tool':
        for (const part of message.content) {
          if (part.type !== 'tool-result') continue;
          const output = part.output;
          const content = output.type === 'text' || output.type === 'error-text' ? output.value : JSON.stringify('value' in output ? output.value : output);
          messages.push({ role: 'tool', tool_call_id: part.toolCallId, content });
        }
        break;
    }
  }
  return messages;
}

/**
 * A Vercel AI SDK language model (provider `openai.chat`, like the AI SDK's OpenAI provider) whose
 * `doGenerate` is one `client.chat.completions.create` call.
 */
export function openAIClientModel(client: OpenAI, modelId = STACKED_MODEL): MockLanguageModelV3 {
  return new MockLanguageModelV3({
    provider: 'openai.chat',
    modelId,
    doGenerate: async (options: CallOptions): Promise<GenerateResult> => {
      const tools = (options.tools ?? []).flatMap((t) =>
        t.type === 'function'
          ? [{ type: 'function' as const, function: { name: t.name, description: t.description ?? '', parameters: t.inputSchema as Record<string, unknown> } }]
          : [],
      );
      const completion = await client.chat.completions.create({
        model: modelId,
        messages: toOpenAIMessages(options.prompt),
        ...(tools.length > 0 ? { tools } : {}),
        ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
      });
      const choice = completion.choices[0];
      if (!choice) throw new Error('the OpenAI completion has no choice');
      const content: GenerateResult['content'] = [];
      if (choice.message.content) content.push({ type: 'text', text: choice.message.content });
      for (const call of choice.message.tool_calls ?? []) {
        if (call.type === 'function') content.push({ type: 'tool-call', toolCallId: call.id, toolName: call.function.name, input: call.function.arguments });
      }
      const usage = completion.usage;
      return {
        content,
        finishReason: { unified: choice.finish_reason === 'tool_calls' ? 'tool-calls' : 'stop', raw: choice.finish_reason },
        usage: {
          inputTokens: { total: usage?.prompt_tokens, noCache: undefined, cacheRead: undefined, cacheWrite: undefined },
          outputTokens: { total: usage?.completion_tokens, text: undefined, reasoning: undefined },
        },
        response: { id: completion.id, modelId: completion.model, timestamp: new Date(completion.created * 1000) },
        warnings: [],
      };
    },
  });
}

/**
 * Three model calls through `generateText` with telemetry on (inputs and outputs recorded): a plain
 * call, then a two-step tool flow (`get_weather` called once). Returns the final texts.
 */
export async function runVercelCalls(tracer: Tracer, openaiBaseUrl: string): Promise<string[]> {
  const model = openAIClientModel(new OpenAI({ apiKey: 'sk-fake', baseURL: openaiBaseUrl }));
  const telemetry = { isEnabled: true, recordInputs: true, recordOutputs: true, tracer };
  const plain = await generateText({ model, prompt: SKY_QUESTION, temperature: 0, experimental_telemetry: { ...telemetry, functionId: 'sky' } });
  const getWeather = aiTool({
    description: 'The current weather in a city.',
    inputSchema: z.object({ city: z.string() }),
    execute: ({ city }) => Promise.resolve(`${city}: ${WEATHER_RESULT}`),
  });
  const flow = await generateText({
    model,
    prompt: WEATHER_QUESTION,
    tools: { get_weather: getWeather },
    stopWhen: stepCountIs(2),
    temperature: 0,
    experimental_telemetry: { ...telemetry, functionId: 'weather' },
  });
  return [plain.text, flow.text];
}
