/**
 * Reads what the mapping needs from a span, whichever GenAI convention produced it: the
 * OpenTelemetry GenAI semantic conventions (v1.41.1, `gen_ai.*`, what our LangChain handler
 * emits), OpenInference (`openinference.span.kind`, `llm.*`, `input.value`) and OpenLLMetry
 * (`traceloop.*`, `gen_ai.prompt.N.*`, `llm.usage.*`) and the Vercel AI SDK (`ai.*`, see
 * vercel-ai.ts; its model calls, tool calls and the calls around them map to the same layout as
 * GenAI-semconv spans). The first name listed wins; span events are read where the attributes say
 * nothing (see span-events.ts). The call context (operation, model, provider) is in GenAI names
 * whatever the convention, so one call lands in one metric context from every producer.
 *
 * | fact | attributes read, in order |
 * |---|---|
 * | kind, operation | `gen_ai.operation.name`, `ai.operationId` (Vercel: model calls `chat`, embeddings `embeddings`, `ai.toolCall` `execute_tool`, the calls around them `invoke_workflow`), `openinference.span.kind` (`LLM` → `text_completion` with `llm.prompts`/`llm.choices` and no `llm.input_messages`/`llm.output_messages`, else `chat`; `EMBEDDING` → `embeddings`), `traceloop.span.kind`, `llm.request.type` (`completion` → `text_completion`, `embedding` → `embeddings`); other kinds lower-cased |
 * | model | the request model: `model` of `llm.invocation_parameters` / `embedding.invocation_parameters` (OpenInference; in its GenAI mode its `gen_ai.request.model` is the response model), `gen_ai.request.model`, `llm.request.model`, `ai.model.id`; else the response model |
 * | provider | as a GenAI provider name (providers.ts): `gen_ai.provider.name`, `ai.model.provider` (`openai.chat` → `openai`), `gen_ai.system` (`OpenAI` → `openai`), `llm.provider` + `llm.system` (`azure` + `openai` → `azure.ai.openai`) |
 * | response model (model calls) | `gen_ai.response.model`, `ai.response.model`, `llm.model_name` (OpenInference: the model its instrumentation saw in the response, else the requested one), `embedding.model_name` |
 * | response id (model calls) | `gen_ai.response.id`, `ai.response.id`, OpenInference: `id` of the JSON answer in `output.value` (`output.mime_type` `application/json`) |
 * | finish reasons (model calls) | in GenAI terms (finish-reasons.ts: `tool_calls` → `tool_call`, `end_turn` → `stop`...): `gen_ai.response.finish_reasons`, `llm.response.finish_reason`, `llm.response.stop_reason`, `llm.finish_reason`, `ai.response.finishReason`, `gen_ai.completion.N.finish_reason`, `finish_reason` of `gen_ai.output.messages`, OpenInference: `choices[].finish_reason` of the JSON answer in `output.value` |
 * | request parameters (model calls) | see request-params.ts: `gen_ai.request.*`, `llm.request.*` and OpenLLMetry's other older names, `llm.invocation_parameters`, `ai.settings.*` |
 * | tool definitions (model calls) | see tool-definitions.ts: `gen_ai.tool.definitions`, `llm.tools.N.tool.json_schema`, `llm.request.functions.N.*`, `ai.prompt.tools` |
 * | input tokens | `gen_ai.usage.input_tokens`, `gen_ai.usage.prompt_tokens`, `llm.token_count.prompt`, `llm.usage.prompt_tokens`, Vercel model calls `ai.usage.inputTokens`, `ai.usage.promptTokens`, embeddings `ai.usage.tokens` |
 * | output tokens | `gen_ai.usage.output_tokens`, `gen_ai.usage.completion_tokens`, `llm.token_count.completion`, `llm.usage.completion_tokens`, Vercel model calls `ai.usage.outputTokens`, `ai.usage.completionTokens` |
 * | total tokens | `gen_ai.usage.total_tokens`, `llm.usage.total_tokens`, `llm.token_count.total`, Vercel model calls `ai.usage.totalTokens`; else input + output when both are known |
 * | cache read tokens (inside input tokens) | `gen_ai.usage.cache_read.input_tokens`, `gen_ai.usage.cache_read_input_tokens` (OpenLLMetry), `llm.token_count.prompt_details.cache_read` (OpenInference), Vercel model calls `ai.usage.inputTokenDetails.cacheReadTokens`, `ai.usage.cachedInputTokens` |
 * | cache write tokens (inside input tokens) | `gen_ai.usage.cache_creation.input_tokens`, `gen_ai.usage.cache_write.input_tokens` (the queued GenAI rename), `gen_ai.usage.cache_creation_input_tokens` (OpenLLMetry), `llm.token_count.prompt_details.cache_write` (OpenInference), Vercel model calls `ai.usage.inputTokenDetails.cacheWriteTokens` |
 * | reasoning tokens (inside output tokens) | `gen_ai.usage.reasoning.output_tokens`, `gen_ai.usage.reasoning_tokens` and `llm.usage.reasoning_tokens` (OpenLLMetry), `llm.token_count.completion_details.reasoning` (OpenInference), Vercel model calls `ai.usage.outputTokenDetails.reasoningTokens`, `ai.usage.reasoningTokens` |
 * | uncached input, text output tokens (as the producer counted them) | Vercel model calls `ai.usage.inputTokenDetails.noCacheTokens`, `ai.usage.outputTokenDetails.textTokens` |
 * | time to first token (s) | `gen_ai.response.time_to_first_chunk`, `gen_ai.server.time_to_first_token`, Vercel model calls `ai.response.msToFirstChunk`, `ai.stream.msToFirstChunk` (ms; also on the event `ai.stream.firstChunk`), event `First Token Stream Event` (OpenInference: event time − span start) |
 * | input text | `gen_ai.system_instructions` + `gen_ai.input.messages`, `gen_ai.tool.call.arguments`, `gen_ai.retrieval.query.text`, `langchain.chain.inputs`, `llm.input_messages.N.message.*`, `gen_ai.prompt.N.*`, `input.value`, `traceloop.entity.input`, Vercel `ai.prompt.messages` (model calls), `ai.toolCall.args`/`ai.toolCall.input` (tool calls), `ai.prompt` (calls around), `ai.values`/`ai.value` (embeddings), event `gen_ai.content.prompt` (`gen_ai.prompt`) |
 * | output text | `gen_ai.output.messages`, `gen_ai.tool.call.result`, `gen_ai.retrieval.documents`, `langchain.chain.outputs`, `llm.output_messages.N.message.*`, `gen_ai.completion.N.*`, `output.value`, `traceloop.entity.output`, Vercel `ai.response.reasoning` + `ai.response.text`/`ai.response.object` + `ai.response.toolCalls` (model calls, as an `assistant:` message; the calls around: the text as it is), `ai.toolCall.result`/`ai.toolCall.output` (tool calls), event `gen_ai.content.completion` (`gen_ai.completion`) |
 * | agent actions | events `langchain.agent.action` (`gen_ai.tool.name`, `tool_input`, `log`) and `langchain.agent.finish` (`return_values`, `log`) |
 * | tool | `gen_ai.tool.name`, `tool.name`, `traceloop.entity.name` (tool spans), `ai.toolCall.name` |
 * | tool call id | `gen_ai.tool.call.id`, `ai.toolCall.id` |
 * | agent | `gen_ai.agent.name`, `agent.name` |
 * | error | status `error`; `error.type`, else `exception.type` of an exception event, else `_OTHER` |
 */
import type { Attributes, SpanRecord } from '../model/span-record.js';
import { int, isObject, jsonObject, num, parseJson, str, strList, unquote } from './attribute-read.js';
import { genAIFinishReason } from '../semconv/finish-reasons.js';
import { genAIProviderName, openInferenceProviderName } from './providers.js';
import { type RequestParams, readRequestParams } from './request-params.js';
import { completionFromEvents, firstTokenSecondsFromEvents, promptFromEvents } from './span-events.js';
import { type ToolDefinition, readToolDefinitions } from './tool-definitions.js';
import { readVercelAI } from './vercel-ai.js';
import { renderInstructions, renderMessages, renderPart } from './message-text.js';

/** What a span is, in LangChain's terms (which Python `AimCallbackHandler` sequences it feeds). */
export type SpanRole = 'llm' | 'embedding' | 'chain' | 'tool' | 'agent' | 'retriever' | 'other';

/** The GenAI facts of one span. The facts of the call (response, request, tools) are read for model calls (roles `llm`, `embedding`) only. */
export interface GenAIFacts {
  role: SpanRole;
  /** The GenAI operation name (`chat`, `text_completion`, `embeddings`, `execute_tool`...). */
  operation: string | undefined;
  /** The request model, else the response model. */
  model: string | undefined;
  /** The GenAI provider name (`openai`, `aws.bedrock`...). */
  provider: string | undefined;
  /** The model the response named. */
  responseModel: string | undefined;
  responseId: string | undefined;
  /** Why the model stopped (one per choice), in GenAI terms (`stop`, `length`, `tool_call`...); empty when not known. */
  finishReasons: readonly string[];
  /** The request parameters by GenAI name without `gen_ai.request.` (see request-params.ts); empty when none. */
  request: RequestParams;
  /** The tools the call offered the model (see tool-definitions.ts); empty when none. */
  toolDefinitions: readonly ToolDefinition[];
  inputTokens: number | bigint | undefined;
  outputTokens: number | bigint | undefined;
  /** As given, else input + output when both are known. */
  totalTokens: number | bigint | undefined;
  /** The parts of the token counts, where the producer reports them: set for model calls (their token counts), unset for other spans. */
  tokenDetails?: TokenDetails;
  timeToFirstTokenSeconds: number | undefined;
  inputText: string | undefined;
  outputText: string | undefined;
  toolName: string | undefined;
  toolCallId: string | undefined;
  agentName: string | undefined;
  /** Set when the span failed. */
  errorType: string | undefined;
}

/**
 * The parts of a call's token counts, as reported (undefined: not reported). By the conventions
 * the cache reads and writes are inside the input tokens and the reasoning inside the output
 * tokens; pricing (src/pricing/call-cost.ts) splits them so, and recognises producers whose totals
 * leave them out.
 */
export interface TokenDetails {
  /** Input tokens read from the provider's prompt cache. */
  cacheRead: number | bigint | undefined;
  /** Input tokens written to the prompt cache. */
  cacheWrite: number | bigint | undefined;
  /** Output tokens spent on reasoning ("thinking"). */
  reasoning: number | bigint | undefined;
  /** Input tokens neither read from nor written to the cache, as the producer counted them (only the Vercel AI SDK does). */
  uncachedInput: number | bigint | undefined;
  /** Output tokens that are not reasoning, as the producer counted them (only the Vercel AI SDK does). */
  textOutput: number | bigint | undefined;
}

const OPERATION_ROLES: Readonly<Record<string, SpanRole>> = {
  chat: 'llm',
  text_completion: 'llm',
  generate_content: 'llm',
  completion: 'llm',
  embeddings: 'embedding',
  execute_tool: 'tool',
  invoke_agent: 'agent',
  create_agent: 'agent',
  invoke_workflow: 'chain',
  retrieval: 'retriever',
  // OpenInference span kinds (upper case), OpenLLMetry span kinds and request types
  LLM: 'llm',
  EMBEDDING: 'embedding',
  CHAIN: 'chain',
  TOOL: 'tool',
  AGENT: 'agent',
  RETRIEVER: 'retriever',
  RERANKER: 'retriever',
  workflow: 'chain',
  task: 'chain',
  agent: 'agent',
  tool: 'tool',
  embedding: 'embedding',
};

/** Reads the GenAI facts of a span; undefined when it carries none of the conventions (not a GenAI span). */
export function readGenAIFacts(span: SpanRecord): GenAIFacts | undefined {
  const a = span.attributes;
  const vercel = readVercelAI(span);
  const declared = str(a, 'gen_ai.operation.name') ?? vercel?.operation;
  const openInference = str(a, 'openinference.span.kind');
  const kindName = declared ?? openInference ?? str(a, 'traceloop.span.kind') ?? str(a, 'llm.request.type');
  const invocation = jsonObject(a, 'llm.invocation_parameters') ?? jsonObject(a, 'embedding.invocation_parameters');
  const invokedModel = invocation?.['model'];
  const requestModel =
    (typeof invokedModel === 'string' && invokedModel !== '' ? invokedModel : undefined) ??
    str(a, 'gen_ai.request.model') ??
    str(a, 'llm.request.model') ??
    str(a, 'ai.model.id');
  const responseModel = str(a, 'gen_ai.response.model') ?? vercel?.responseModel ?? str(a, 'llm.model_name') ?? str(a, 'embedding.model_name');
  const model = requestModel ?? responseModel;
  const provider =
    genAIProviderName(str(a, 'gen_ai.provider.name')) ??
    vercel?.provider ??
    genAIProviderName(str(a, 'gen_ai.system')) ??
    openInferenceProviderName(str(a, 'llm.provider'), str(a, 'llm.system'));
  if (kindName === undefined && model === undefined && provider === undefined && vercel === undefined) return undefined;
  const role = (kindName !== undefined ? OPERATION_ROLES[kindName] : undefined) ?? vercel?.role ?? (model !== undefined ? 'llm' : 'other');
  const call = role === 'llm' || role === 'embedding';
  // The Vercel AI SDK's calls around the model calls carry the steps' token totals (`ai.usage.*`): only model calls count.
  const counts = vercel === undefined || vercel.role === 'llm' || vercel.role === 'embedding';
  const input = counts ? (inputTokens(a) ?? vercel?.inputTokens) : undefined;
  const output = counts ? (outputTokens(a) ?? vercel?.outputTokens) : undefined;
  // OpenInference keeps the provider's answer (OpenAI's JSON) in `output.value`: its id and finish reasons are nowhere else.
  const answer = call && openInference !== undefined && str(a, 'output.mime_type') === 'application/json' ? jsonObject(a, 'output.value') : undefined;
  return {
    role,
    operation: declared ?? (kindName !== undefined ? operationOfKind(kindName, a) : undefined),
    model,
    provider,
    responseModel: call ? responseModel : undefined,
    responseId: call ? (str(a, 'gen_ai.response.id') ?? vercel?.responseId ?? answerId(answer)) : undefined,
    finishReasons: call ? finishReasons(a, vercel?.finishReasons, answer).map(genAIFinishReason) : [],
    request: call ? readRequestParams(a, { invocation, model: requestModel, streamed: vercel?.streamed === true }) : {},
    toolDefinitions: call ? readToolDefinitions(a) : [],
    inputTokens: input,
    outputTokens: output,
    totalTokens: counts ? (totalTokens(a) ?? vercel?.totalTokens ?? sum(input, output)) : undefined,
    ...(counts && call ? { tokenDetails: tokenDetails(a, vercel !== undefined) } : {}),
    timeToFirstTokenSeconds:
      num(a, 'gen_ai.response.time_to_first_chunk') ??
      num(a, 'gen_ai.server.time_to_first_token') ??
      vercel?.timeToFirstTokenSeconds ??
      firstTokenSecondsFromEvents(span),
    inputText: inputText(a) ?? vercel?.inputText ?? promptFromEvents(span),
    outputText: outputText(a) ?? vercel?.outputText ?? completionFromEvents(span),
    toolName: str(a, 'gen_ai.tool.name') ?? str(a, 'tool.name') ?? (role === 'tool' ? str(a, 'traceloop.entity.name') : undefined) ?? vercel?.toolName,
    toolCallId: str(a, 'gen_ai.tool.call.id') ?? vercel?.toolCallId,
    agentName: str(a, 'gen_ai.agent.name') ?? str(a, 'agent.name'),
    errorType: span.status.code === 'error' ? errorType(span) : undefined,
  };
}

/**
 * The GenAI operation of a span that names none: OpenInference's `LLM` is `text_completion` when
 * it has completion-API prompts or choices (`llm.prompts`, `llm.choices`) and no chat messages,
 * else `chat` (also when its content is hidden); its `EMBEDDING` is `embeddings`; OpenLLMetry's
 * `llm.request.type` `completion` / `embedding` are `text_completion` / `embeddings`. Other kinds
 * (OpenInference's `CHAIN`, `TOOL`..., OpenLLMetry's `workflow`, `task`...) lower-cased.
 */
function operationOfKind(kind: string, a: Attributes): string {
  switch (kind) {
    case 'LLM':
      return hasCompletionPrompts(a) && !hasChatMessages(a) ? 'text_completion' : 'chat';
    case 'EMBEDDING':
    case 'embedding':
      return 'embeddings';
    case 'completion':
      return 'text_completion';
    default:
      return kind.toLowerCase();
  }
}

function hasChatMessages(a: Attributes): boolean {
  return ['llm.input_messages.0.message.', 'llm.output_messages.0.message.'].some((at) => a[`${at}role`] !== undefined || a[`${at}content`] !== undefined);
}

function hasCompletionPrompts(a: Attributes): boolean {
  return a['llm.prompts'] !== undefined || a['llm.prompts.0.prompt.text'] !== undefined || a['llm.choices.0.completion.text'] !== undefined;
}

/** Finish reasons as the producer named them (mapped to GenAI terms by the caller). */
function finishReasons(a: Attributes, vercel: readonly string[] | undefined, answer: Record<string, unknown> | undefined): readonly string[] {
  const given =
    strList(a, 'gen_ai.response.finish_reasons') ??
    strList(a, 'llm.response.finish_reason') ??
    strList(a, 'llm.response.stop_reason') ??
    strList(a, 'llm.finish_reason') ??
    (vercel !== undefined && vercel.length > 0 ? vercel : undefined);
  if (given) return given;
  const indexed: string[] = [];
  for (let i = 0; i < 1000; i++) {
    const reason = str(a, `gen_ai.completion.${String(i)}.finish_reason`);
    if (reason === undefined) break;
    indexed.push(reason);
  }
  if (indexed.length > 0) return indexed;
  const messages = str(a, 'gen_ai.output.messages');
  return (
    reasonsOf(messages === undefined ? undefined : parseJson(messages), (message) => message['finish_reason']) ??
    reasonsOf(answer?.['choices'], (choice) => choice['finish_reason']) ??
    []
  );
}

/** The string `pick` of each object of `list`; undefined when none has one. */
function reasonsOf(list: unknown, pick: (item: Record<string, unknown>) => unknown): string[] | undefined {
  if (!Array.isArray(list)) return undefined;
  const reasons = list
    .map((item) => (isObject(item) ? pick(item) : undefined))
    .filter((reason): reason is string => typeof reason === 'string' && reason !== '');
  return reasons.length > 0 ? reasons : undefined;
}

function answerId(answer: Record<string, unknown> | undefined): string | undefined {
  const id = answer?.['id'];
  return typeof id === 'string' && id !== '' ? id : undefined;
}

function sum(a: number | bigint | undefined, b: number | bigint | undefined): number | bigint | undefined {
  if (a === undefined || b === undefined) return undefined;
  if (typeof a === 'number' && typeof b === 'number' && Number.isSafeInteger(a + b)) return a + b;
  return BigInt(a) + BigInt(b);
}

/** An agent step recorded as a span event by LangChain's legacy agents (AgentExecutor). */
export interface AgentEvent {
  kind: 'action' | 'finish';
  timeUnixNano: bigint;
  /** The text Python's AimCallbackHandler tracks for it. */
  text: string;
  tool: string | undefined;
}

/** The agent actions and finishes of a span, in the text form of Python's `AimCallbackHandler`. */
export function agentEvents(span: SpanRecord): AgentEvent[] {
  const events: AgentEvent[] = [];
  for (const event of span.events) {
    const a = event.attributes;
    if (event.name === 'langchain.agent.action') {
      const tool = str(a, 'gen_ai.tool.name');
      events.push({
        kind: 'action',
        timeUnixNano: event.timeUnixNano,
        text: `TOOL INPUT:\n${str(a, 'tool_input') ?? ''}\n\nLOG:\n${str(a, 'log') ?? ''}`,
        tool,
      });
    } else if (event.name === 'langchain.agent.finish') {
      events.push({
        kind: 'finish',
        timeUnixNano: event.timeUnixNano,
        text: `OUTPUT:\n${str(a, 'return_values') ?? ''}\n\nLOG:\n${str(a, 'log') ?? ''}`,
        tool: undefined,
      });
    }
  }
  return events;
}

function inputTokens(a: Attributes): number | bigint | undefined {
  return int(a, 'gen_ai.usage.input_tokens') ?? int(a, 'gen_ai.usage.prompt_tokens') ?? int(a, 'llm.token_count.prompt') ?? int(a, 'llm.usage.prompt_tokens');
}

function outputTokens(a: Attributes): number | bigint | undefined {
  return (
    int(a, 'gen_ai.usage.output_tokens') ??
    int(a, 'gen_ai.usage.completion_tokens') ??
    int(a, 'llm.token_count.completion') ??
    int(a, 'llm.usage.completion_tokens')
  );
}

function totalTokens(a: Attributes): number | bigint | undefined {
  return int(a, 'gen_ai.usage.total_tokens') ?? int(a, 'llm.usage.total_tokens') ?? int(a, 'llm.token_count.total');
}

/** The parts of a model call's token counts (`vercel`: also the Vercel AI SDK's `ai.usage.*Details` names). */
function tokenDetails(a: Attributes, vercel: boolean): TokenDetails {
  return {
    cacheRead:
      int(a, 'gen_ai.usage.cache_read.input_tokens') ??
      int(a, 'gen_ai.usage.cache_read_input_tokens') ??
      int(a, 'llm.token_count.prompt_details.cache_read') ??
      (vercel ? (int(a, 'ai.usage.inputTokenDetails.cacheReadTokens') ?? int(a, 'ai.usage.cachedInputTokens')) : undefined),
    cacheWrite:
      int(a, 'gen_ai.usage.cache_creation.input_tokens') ??
      int(a, 'gen_ai.usage.cache_write.input_tokens') ??
      int(a, 'gen_ai.usage.cache_creation_input_tokens') ??
      int(a, 'llm.token_count.prompt_details.cache_write') ??
      (vercel ? int(a, 'ai.usage.inputTokenDetails.cacheWriteTokens') : undefined),
    reasoning:
      int(a, 'gen_ai.usage.reasoning.output_tokens') ??
      int(a, 'gen_ai.usage.reasoning_tokens') ??
      int(a, 'llm.usage.reasoning_tokens') ??
      int(a, 'llm.token_count.completion_details.reasoning') ??
      (vercel ? (int(a, 'ai.usage.outputTokenDetails.reasoningTokens') ?? int(a, 'ai.usage.reasoningTokens')) : undefined),
    uncachedInput: vercel ? int(a, 'ai.usage.inputTokenDetails.noCacheTokens') : undefined,
    textOutput: vercel ? int(a, 'ai.usage.outputTokenDetails.textTokens') : undefined,
  };
}

function inputText(a: Attributes): string | undefined {
  const messages = renderMessages(str(a, 'gen_ai.input.messages'));
  const system = renderInstructions(str(a, 'gen_ai.system_instructions'));
  if (messages !== undefined || system !== undefined) return [system, messages].filter((t) => t !== undefined).join('\n');
  return (
    unquote(str(a, 'gen_ai.tool.call.arguments')) ??
    str(a, 'gen_ai.retrieval.query.text') ??
    str(a, 'langchain.chain.inputs') ??
    indexedMessages(a, 'llm.input_messages.', OPENINFERENCE_MESSAGE) ??
    indexedMessages(a, 'gen_ai.prompt.', OPENLLMETRY_MESSAGE) ??
    unredacted(str(a, 'input.value')) ??
    str(a, 'traceloop.entity.input')
  );
}

function outputText(a: Attributes): string | undefined {
  return (
    renderMessages(str(a, 'gen_ai.output.messages')) ??
    unquote(str(a, 'gen_ai.tool.call.result')) ??
    str(a, 'gen_ai.retrieval.documents') ??
    str(a, 'langchain.chain.outputs') ??
    indexedMessages(a, 'llm.output_messages.', OPENINFERENCE_MESSAGE) ??
    indexedMessages(a, 'gen_ai.completion.', OPENLLMETRY_MESSAGE) ??
    unredacted(str(a, 'output.value')) ??
    str(a, 'traceloop.entity.output')
  );
}

/** Where a flattened message keeps its parts, after `<prefix>N`. */
interface FlatMessage {
  readonly role: string;
  readonly content: string;
  /** Tool call M is at `<prefix>N<toolCalls>M<name|arguments>`. */
  readonly toolCalls: string;
  readonly name: string;
  readonly arguments: string;
}

const OPENINFERENCE_MESSAGE: FlatMessage = {
  role: '.message.role',
  content: '.message.content',
  toolCalls: '.message.tool_calls.',
  name: '.tool_call.function.name',
  arguments: '.tool_call.function.arguments',
};
const OPENLLMETRY_MESSAGE: FlatMessage = { role: '.role', content: '.content', toolCalls: '.tool_calls.', name: '.name', arguments: '.arguments' };

/** OpenInference's placeholder for hidden inputs and outputs (`OPENINFERENCE_HIDE_*`): no content. */
const REDACTED = '__REDACTED__';

function unredacted(value: string | undefined): string | undefined {
  return value === REDACTED ? undefined : value;
}

/**
 * `prefix0.role: content` style flattened messages (OpenInference, OpenLLMetry), tool calls as
 * `name(arguments)`. Messages with neither content nor tool calls (redacted) give no line; no
 * line at all gives `undefined`.
 */
function indexedMessages(a: Attributes, prefix: string, shape: FlatMessage): string | undefined {
  const lines: string[] = [];
  for (let i = 0; i < 1000; i++) {
    const at = `${prefix}${String(i)}`;
    const content = unredacted(str(a, `${at}${shape.content}`));
    const role = str(a, `${at}${shape.role}`);
    const calls: string[] = [];
    for (let j = 0; j < 1000; j++) {
      const name = str(a, `${at}${shape.toolCalls}${String(j)}${shape.name}`);
      if (name === undefined) break;
      calls.push(renderPart({ type: 'tool_call', name, arguments: str(a, `${at}${shape.toolCalls}${String(j)}${shape.arguments}`) }));
    }
    if (content === undefined && role === undefined && calls.length === 0) break;
    if (content === undefined && calls.length === 0) continue;
    lines.push(`${role ?? 'message'}: ${[content, ...calls].filter((part) => part !== undefined && part !== '').join('\n')}`);
  }
  return lines.length > 0 ? lines.join('\n') : undefined;
}

function errorType(span: SpanRecord): string {
  const declared = str(span.attributes, 'error.type');
  if (declared !== undefined) return declared;
  for (const event of span.events) {
    const type = event.name === 'exception' ? str(event.attributes, 'exception.type') : undefined;
    if (type !== undefined) return type;
  }
  return '_OTHER';
}
