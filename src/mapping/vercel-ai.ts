/**
 * Reads the spans of the Vercel AI SDK (`ai`, telemetry via `experimental_telemetry`; attribute
 * names checked against `ai` 6.0, older names kept where 4.x/5.x differ). Every such span carries
 * `ai.operationId`:
 *
 * | `ai.operationId` | role | GenAI operation |
 * |---|---|---|
 * | `ai.generateText.doGenerate`, `ai.streamText.doStream`, `ai.generateObject.doGenerate`, `ai.streamObject.doStream` | llm (one model call) | `chat` |
 * | `ai.embed.doEmbed`, `ai.embedMany.doEmbed` | embedding | `embeddings` |
 * | `ai.toolCall` | tool | `execute_tool` |
 * | `ai.generateText`, `ai.streamText`, `ai.generateObject`, `ai.streamObject`, `ai.embed`, `ai.embedMany` | chain (the call around the model calls and tool calls: no token or duration metrics, so nothing is counted twice) | `invoke_workflow` |
 * | any other | other | – |
 *
 * Model calls also give: total tokens `ai.usage.totalTokens`, response model `ai.response.model`,
 * response id `ai.response.id`, finish reason `ai.response.finishReason` (`tool-calls`...), and
 * whether the call was streamed (`doStream`).
 */
import type { Attributes, SpanRecord } from '../model/span-record.js';
import { int, isObject, num, parseJson, str, unquote } from './attribute-read.js';
import type { GenAIFacts, SpanRole } from './conventions.js';
import { renderChatMessage, renderChatMessages, renderToolCall } from './chat-messages.js';
import { vercelProviderName } from './providers.js';

/**
 * What a Vercel AI SDK span says beyond the attributes every convention shares (its role is never
 * `agent` or `retriever`; its request parameters and tool definitions are read with the other
 * conventions', see request-params.ts and tool-definitions.ts). `streamed`: a `doStream` call.
 */
export type VercelAIFacts = Pick<
  GenAIFacts,
  | 'operation'
  | 'provider'
  | 'inputTokens'
  | 'outputTokens'
  | 'totalTokens'
  | 'timeToFirstTokenSeconds'
  | 'inputText'
  | 'outputText'
  | 'toolName'
  | 'toolCallId'
  | 'responseModel'
  | 'responseId'
  | 'finishReasons'
> & { role: Exclude<SpanRole, 'agent' | 'retriever'>; streamed: boolean };

const MODEL_CALLS = new Set(['ai.generateText.doGenerate', 'ai.streamText.doStream', 'ai.generateObject.doGenerate', 'ai.streamObject.doStream']);
const EMBEDDING_CALLS = new Set(['ai.embed.doEmbed', 'ai.embedMany.doEmbed']);
const CALLS = new Set(['ai.generateText', 'ai.streamText', 'ai.generateObject', 'ai.streamObject', 'ai.embed', 'ai.embedMany']);

/** The facts of a Vercel AI SDK span; undefined for a span without `ai.operationId`. */
export function readVercelAI(span: SpanRecord): VercelAIFacts | undefined {
  const a = span.attributes;
  const id = str(a, 'ai.operationId');
  if (id === undefined) return undefined;
  const provider = vercelProviderName(str(a, 'ai.model.provider'));
  const none = {
    inputTokens: undefined,
    outputTokens: undefined,
    totalTokens: undefined,
    timeToFirstTokenSeconds: undefined,
    toolName: undefined,
    toolCallId: undefined,
    responseModel: undefined,
    responseId: undefined,
    finishReasons: [],
    streamed: false,
  };
  if (MODEL_CALLS.has(id)) {
    const finishReason = str(a, 'ai.response.finishReason');
    return {
      ...none,
      role: 'llm',
      operation: 'chat',
      provider,
      inputTokens: int(a, 'ai.usage.inputTokens') ?? int(a, 'ai.usage.promptTokens'),
      outputTokens: int(a, 'ai.usage.outputTokens') ?? int(a, 'ai.usage.completionTokens'),
      totalTokens: int(a, 'ai.usage.totalTokens'),
      timeToFirstTokenSeconds: msToFirstChunk(span),
      responseModel: str(a, 'ai.response.model'),
      responseId: str(a, 'ai.response.id'),
      finishReasons: finishReason === undefined ? [] : [finishReason],
      streamed: id.endsWith('.doStream'),
      inputText: renderChatMessages(str(a, 'ai.prompt.messages')),
      outputText: modelOutput(a),
    };
  }
  if (EMBEDDING_CALLS.has(id)) {
    return {
      ...none,
      role: 'embedding',
      operation: 'embeddings',
      provider,
      inputTokens: int(a, 'ai.usage.tokens'),
      inputText: embeddingInput(a),
      outputText: undefined,
    };
  }
  if (id === 'ai.toolCall') {
    return {
      ...none,
      role: 'tool',
      operation: 'execute_tool',
      provider,
      inputText: unquote(str(a, 'ai.toolCall.args') ?? str(a, 'ai.toolCall.input')),
      outputText: unquote(str(a, 'ai.toolCall.result') ?? str(a, 'ai.toolCall.output')),
      toolName: str(a, 'ai.toolCall.name'),
      toolCallId: str(a, 'ai.toolCall.id'),
    };
  }
  if (CALLS.has(id)) {
    return {
      ...none,
      role: 'chain',
      operation: 'invoke_workflow',
      provider,
      inputText: renderPrompt(str(a, 'ai.prompt')) ?? embeddingInput(a),
      outputText: str(a, 'ai.response.text') ?? str(a, 'ai.response.object') ?? toolCallsText(str(a, 'ai.response.toolCalls')),
    };
  }
  return { ...none, role: 'other', operation: undefined, provider, inputText: undefined, outputText: undefined };
}

/** `ai.response.msToFirstChunk` (text), `ai.stream.msToFirstChunk` (objects), else the `ai.stream.firstChunk` event's, in seconds. */
function msToFirstChunk(span: SpanRecord): number | undefined {
  const read = (a: Attributes): number | undefined => num(a, 'ai.response.msToFirstChunk') ?? num(a, 'ai.stream.msToFirstChunk');
  let ms = read(span.attributes);
  for (const event of span.events) {
    if (ms !== undefined) break;
    if (event.name === 'ai.stream.firstChunk') ms = read(event.attributes);
  }
  return ms === undefined ? undefined : ms / 1000;
}

/** What a model call answered, as an `assistant:` message: reasoning, text (or object), tool calls. */
function modelOutput(a: Attributes): string | undefined {
  const pieces = [str(a, 'ai.response.reasoning'), str(a, 'ai.response.text') ?? str(a, 'ai.response.object'), toolCallsText(str(a, 'ai.response.toolCalls'))];
  const present = pieces.filter((piece) => piece !== undefined);
  return present.length > 0 ? `assistant: ${present.join('\n')}` : undefined;
}

/** `ai.response.toolCalls` (`[{toolCallId, toolName, input | args}]`) as `name(arguments)` lines. */
function toolCallsText(json: string | undefined): string | undefined {
  if (json === undefined) return undefined;
  const calls = parseJson(json);
  if (!Array.isArray(calls)) return json;
  if (calls.length === 0) return undefined;
  return calls.map((call) => (isObject(call) ? renderToolCall(call['toolName'], call['input'] ?? call['args']) : JSON.stringify(call))).join('\n');
}

/** `ai.prompt` (`{system, prompt, messages}`) as `role: content` lines, like the model call's messages. */
function renderPrompt(json: string | undefined): string | undefined {
  if (json === undefined) return undefined;
  const prompt = parseJson(json);
  if (!isObject(prompt)) return json;
  const lines: string[] = [];
  const system = prompt['system'];
  if (typeof system === 'string') lines.push(`system: ${system}`);
  else if (Array.isArray(system)) lines.push(...system.map(renderChatMessage));
  else if (system !== undefined && system !== null) lines.push(renderChatMessage(system));
  for (const key of ['prompt', 'messages']) {
    const value = prompt[key];
    if (typeof value === 'string') lines.push(`user: ${value}`);
    else if (Array.isArray(value)) lines.push(...value.map(renderChatMessage));
  }
  return lines.length > 0 ? lines.join('\n') : undefined;
}

/** `ai.value` / `ai.values` (each a JSON value) of embedding calls, one per line. */
function embeddingInput(a: Attributes): string | undefined {
  const values = a['ai.values'];
  if (Array.isArray(values)) {
    const texts = values.filter((value): value is string => typeof value === 'string').map((value) => unquote(value) ?? value);
    return texts.length > 0 ? texts.join('\n') : undefined;
  }
  return unquote(str(a, 'ai.value'));
}
