/**
 * The convention readers, one attribute or event at a time: the Vercel AI SDK's `ai.*` spans, the
 * facts producers record as span events (time to first token, deprecated content events), and the
 * call facts in GenAI terms (operation, model, provider, response, request parameters, tools,
 * total tokens) from each convention's names, older ones included. Hand-written spans; real
 * producers' spans are read in producer-facts.test.ts and vercel-ai.test.ts.
 */
import { expect } from 'chai';
import { renderChatMessages } from '../../src/mapping/chat-messages.js';
import { type GenAIFacts, readGenAIFacts } from '../../src/mapping/conventions.js';
import { genAIProviderName, openInferenceProviderName, vercelProviderName } from '../../src/mapping/providers.js';
import type { Attributes, SpanEventRecord, SpanRecord } from '../../src/model/span-record.js';

const START = 1_764_000_000_000_000_000n; // ns

function span(attributes: Attributes, events: SpanEventRecord[] = []): SpanRecord {
  return {
    traceId: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
    spanId: '0000000000000001',
    name: 'span',
    kind: 'internal',
    startTimeUnixNano: START,
    endTimeUnixNano: START + 2_000_000_000n,
    attributes,
    events,
    links: [],
    status: { code: 'unset' },
    origin: { resource: {}, scopeName: 'test' },
  };
}

function event(name: string, attributes: Attributes, afterStartNs = 0n): SpanEventRecord {
  return { name, timeUnixNano: START + afterStartNs, attributes };
}

/** What every Vercel model call of the mock provider carries. */
const DO_GENERATE: Attributes = {
  'ai.operationId': 'ai.generateText.doGenerate',
  'ai.model.provider': 'openai.chat',
  'ai.model.id': 'gpt-4o-mini',
};

const msg = (messages: unknown[]): string => JSON.stringify(messages);

/** [title, span, the facts expected (only the fields listed are compared, each exactly)]. */
const CASES: [string, SpanRecord, Partial<GenAIFacts>][] = [
  // --- Vercel AI SDK: model calls
  [
    'doGenerate (6.x): chat, model ai.model.id, provider as GenAI name, ai.usage.inputTokens/outputTokens',
    span({ ...DO_GENERATE, 'ai.usage.inputTokens': 21, 'ai.usage.outputTokens': 3, 'ai.usage.totalTokens': 24 }),
    { role: 'llm', operation: 'chat', model: 'gpt-4o-mini', provider: 'openai', inputTokens: 21, outputTokens: 3, timeToFirstTokenSeconds: undefined },
  ],
  [
    'doGenerate (4.x): ai.usage.promptTokens/completionTokens',
    span({ ...DO_GENERATE, 'ai.usage.promptTokens': 7, 'ai.usage.completionTokens': 2 }),
    { inputTokens: 7, outputTokens: 2 },
  ],
  [
    'gen_ai.usage.* and gen_ai.request.model win over ai.*',
    span({ ...DO_GENERATE, 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 5, 'ai.usage.inputTokens': 6 }),
    { model: 'gpt-4o', inputTokens: 5 },
  ],
  [
    'ai.model.provider wins over gen_ai.system (the same id, not a GenAI name)',
    span({ ...DO_GENERATE, 'ai.model.provider': 'anthropic.messages', 'gen_ai.system': 'anthropic.messages' }),
    { provider: 'anthropic' },
  ],
  [
    'gen_ai.operation.name and gen_ai.provider.name win over the Vercel ones',
    span({ ...DO_GENERATE, 'gen_ai.operation.name': 'text_completion', 'gen_ai.provider.name': 'azure.ai.openai' }),
    { role: 'llm', operation: 'text_completion', provider: 'azure.ai.openai' },
  ],
  [
    'doStream: ai.response.msToFirstChunk in ms → seconds',
    span({ ...DO_GENERATE, 'ai.operationId': 'ai.streamText.doStream', 'ai.response.msToFirstChunk': 250 }),
    { role: 'llm', operation: 'chat', timeToFirstTokenSeconds: 0.25 },
  ],
  [
    'streamObject doStream: ai.stream.msToFirstChunk',
    span({ ...DO_GENERATE, 'ai.operationId': 'ai.streamObject.doStream', 'ai.stream.msToFirstChunk': 120 }),
    { role: 'llm', timeToFirstTokenSeconds: 0.12 },
  ],
  [
    'doStream: the ai.stream.firstChunk event when the attribute is missing',
    span({ ...DO_GENERATE, 'ai.operationId': 'ai.streamText.doStream' }, [event('ai.stream.firstChunk', { 'ai.response.msToFirstChunk': 80 }, 80_000_000n)]),
    { timeToFirstTokenSeconds: 0.08 },
  ],
  [
    'gen_ai.response.time_to_first_chunk wins over ai.response.msToFirstChunk',
    span({ ...DO_GENERATE, 'gen_ai.response.time_to_first_chunk': 0.5, 'ai.response.msToFirstChunk': 250 }),
    { timeToFirstTokenSeconds: 0.5 },
  ],
  [
    'ai.prompt.messages: system, user parts, assistant tool call, tool result, as role: content lines',
    span({
      ...DO_GENERATE,
      'ai.prompt.messages': msg([
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'add 1 and 2' }] },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Adding.' },
            { type: 'tool-call', toolCallId: 'c1', toolName: 'add', input: { a: 1, b: 2 } },
          ],
        },
        { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'c1', toolName: 'add', output: { type: 'json', value: 3 } }] },
      ]),
    }),
    { inputText: 'system: Be brief.\nuser: add 1 and 2\nassistant: Adding.\nadd({"a":1,"b":2})\ntool: 3' },
  ],
  [
    'ai.prompt.messages (4.x): tool call args, tool result result',
    span({
      ...DO_GENERATE,
      'ai.prompt.messages': msg([
        { role: 'assistant', content: [{ type: 'tool-call', toolCallId: 'c1', toolName: 'weather', args: { city: 'Paris' } }] },
        { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'c1', toolName: 'weather', result: { temp: 21 } }] },
      ]),
    }),
    { inputText: 'assistant: weather({"city":"Paris"})\ntool: {"temp":21}' },
  ],
  [
    'ai.prompt.messages: text tool outputs as they are',
    span({ ...DO_GENERATE, 'ai.prompt.messages': msg([{ role: 'tool', content: [{ type: 'tool-result', output: { type: 'text', value: 'sunny' } }] }]) }),
    { inputText: 'tool: sunny' },
  ],
  ['ai.response.text as an assistant message', span({ ...DO_GENERATE, 'ai.response.text': 'Paris.' }), { outputText: 'assistant: Paris.' }],
  [
    'ai.response.toolCalls (input a JSON string) as name(arguments)',
    span({ ...DO_GENERATE, 'ai.response.toolCalls': msg([{ toolCallId: 'c1', toolName: 'add', input: '{"a":1,"b":2}' }]) }),
    { outputText: 'assistant: add({"a":1,"b":2})' },
  ],
  [
    'ai.response.reasoning, text and tool calls (4.x args) in one assistant message',
    span({
      ...DO_GENERATE,
      'ai.response.reasoning': 'think',
      'ai.response.text': 'Let me add.',
      'ai.response.toolCalls': msg([{ toolCallId: 'c1', toolName: 'add', args: { a: 1 } }]),
    }),
    { outputText: 'assistant: think\nLet me add.\nadd({"a":1})' },
  ],
  [
    'generateObject doGenerate: ai.response.object',
    span({ ...DO_GENERATE, 'ai.operationId': 'ai.generateObject.doGenerate', 'ai.response.object': '{"city":"Paris"}' }),
    { role: 'llm', outputText: 'assistant: {"city":"Paris"}' },
  ],
  // --- Vercel AI SDK: the calls around the model calls
  [
    "generateText: chain-like, no tokens (its ai.usage.* are the steps' totals), ai.prompt as lines, ai.response.text as it is",
    span({
      'ai.operationId': 'ai.generateText',
      'ai.model.provider': 'openai.chat',
      'ai.model.id': 'gpt-4o-mini',
      'ai.prompt': JSON.stringify({ system: 'Be brief.', prompt: 'Capital of France?' }),
      'ai.response.text': 'Paris.',
      'ai.response.msToFirstChunk': 10,
      'ai.usage.inputTokens': 120,
      'ai.usage.outputTokens': 16,
    }),
    {
      role: 'chain',
      operation: 'invoke_workflow',
      model: 'gpt-4o-mini',
      provider: 'openai',
      inputTokens: undefined,
      outputTokens: undefined,
      timeToFirstTokenSeconds: undefined,
      inputText: 'system: Be brief.\nuser: Capital of France?',
      outputText: 'Paris.',
    },
  ],
  [
    'streamText with messages and 4.x ai.stream.msToFirstChunk: still no tokens nor time to first token',
    span({
      'ai.operationId': 'ai.streamText',
      'ai.prompt': JSON.stringify({ messages: [{ role: 'user', content: 'Hi' }] }),
      'ai.stream.msToFirstChunk': 12,
      'ai.usage.promptTokens': 3,
    }),
    { role: 'chain', inputTokens: undefined, timeToFirstTokenSeconds: undefined, inputText: 'user: Hi' },
  ],
  [
    'a call that ended in tool calls: its output is the calls',
    span({ 'ai.operationId': 'ai.generateText', 'ai.response.toolCalls': msg([{ toolCallId: 'c1', toolName: 'add', input: '{"a":1}' }]) }),
    { outputText: 'add({"a":1})' },
  ],
  ['ai.prompt that is not JSON is kept', span({ 'ai.operationId': 'ai.generateText', 'ai.prompt': '{"prompt":"trunc' }), { inputText: '{"prompt":"trunc' }],
  // --- Vercel AI SDK: tools, embeddings, the rest
  [
    'ai.toolCall: tool, name, call id, args, result',
    span({
      'ai.operationId': 'ai.toolCall',
      'ai.toolCall.name': 'add',
      'ai.toolCall.id': 'call_1',
      'ai.toolCall.args': '{"a":1,"b":2}',
      'ai.toolCall.result': '3',
    }),
    {
      role: 'tool',
      operation: 'execute_tool',
      model: undefined,
      provider: undefined,
      toolName: 'add',
      toolCallId: 'call_1',
      inputText: '{"a":1,"b":2}',
      outputText: '3',
    },
  ],
  [
    'ai.toolCall: ai.toolCall.input/output, a string result unquoted',
    span({ 'ai.operationId': 'ai.toolCall', 'ai.toolCall.name': 'weather', 'ai.toolCall.input': '{"city":"Paris"}', 'ai.toolCall.output': '"sunny"' }),
    { role: 'tool', inputText: '{"city":"Paris"}', outputText: 'sunny', toolCallId: undefined },
  ],
  [
    'doEmbed: embeddings, ai.usage.tokens as input tokens, ai.values',
    span({
      'ai.operationId': 'ai.embedMany.doEmbed',
      'ai.model.provider': 'openai.embedding',
      'ai.model.id': 'text-embedding-3-small',
      'ai.values': ['"sunny day"', '"rain"'],
      'ai.usage.tokens': 4,
    }),
    {
      role: 'embedding',
      operation: 'embeddings',
      provider: 'openai',
      inputTokens: 4,
      outputTokens: undefined,
      inputText: 'sunny day\nrain',
      outputText: undefined,
    },
  ],
  [
    'embed: chain-like, ai.value, no tokens',
    span({ 'ai.operationId': 'ai.embed', 'ai.value': '"sunny day"', 'ai.usage.tokens': 2 }),
    { role: 'chain', inputText: 'sunny day', inputTokens: undefined },
  ],
  [
    'an operation id not known: other, no GenAI operation (not a model call, even with a model)',
    span({ 'ai.operationId': 'ai.rerank.doRerank', 'ai.model.id': 'rerank-v3', 'ai.model.provider': 'cohere.reranking' }),
    { role: 'other', operation: undefined, model: 'rerank-v3', provider: 'cohere' },
  ],
  // --- span events
  [
    'OpenInference: First Token Stream Event, seconds after the span start',
    span({ 'openinference.span.kind': 'LLM', 'llm.model_name': 'gpt-4o' }, [event('First Token Stream Event', {}, 350_000_000n)]),
    { role: 'llm', timeToFirstTokenSeconds: 0.35 },
  ],
  [
    'gen_ai.server.time_to_first_token wins over the event',
    span({ 'gen_ai.request.model': 'm', 'gen_ai.server.time_to_first_token': 0.2 }, [event('First Token Stream Event', {}, 350_000_000n)]),
    { timeToFirstTokenSeconds: 0.2 },
  ],
  [
    'gen_ai.content.prompt / gen_ai.content.completion events: OpenAI messages as lines',
    span({ 'gen_ai.system': 'openai', 'gen_ai.request.model': 'gpt-4o' }, [
      event('gen_ai.content.prompt', {
        'gen_ai.prompt': msg([
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Hi?' },
        ]),
      }),
      event('gen_ai.content.completion', { 'gen_ai.completion': msg([{ role: 'assistant', content: 'Hello!' }]) }, 1_000_000n),
    ]),
    { role: 'llm', inputText: 'system: Be brief.\nuser: Hi?', outputText: 'assistant: Hello!' },
  ],
  [
    'content events: OpenAI tool calls and choices; Python reprs kept as they are',
    span({ 'gen_ai.request.model': 'gpt-4o' }, [
      event('gen_ai.content.prompt', { 'gen_ai.prompt': "[{'role': 'user', 'content': 'Hi?'}]" }),
      event('gen_ai.content.completion', {
        'gen_ai.completion': msg([
          {
            index: 0,
            message: { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'add', arguments: '{"a":1}' } }] },
          },
        ]),
      }),
    ]),
    { inputText: "[{'role': 'user', 'content': 'Hi?'}]", outputText: 'assistant: add({"a":1})' },
  ],
  [
    'content attributes win over content events',
    span({ 'gen_ai.request.model': 'gpt-4o', 'gen_ai.prompt.0.role': 'user', 'gen_ai.prompt.0.content': 'from attributes' }, [
      event('gen_ai.content.prompt', { 'gen_ai.prompt': msg([{ role: 'user', content: 'from events' }]) }),
    ]),
    { inputText: 'user: from attributes', outputText: undefined },
  ],
  // --- OpenInference: flattened messages with tool calls, and its redaction placeholder
  [
    'OpenInference tool calls: llm.*_messages.N.message.tool_calls.M.tool_call.function.{name,arguments} as name(arguments)',
    span({
      'openinference.span.kind': 'LLM',
      'llm.input_messages.0.message.role': 'user',
      'llm.input_messages.0.message.content': 'Weather in Paris?',
      'llm.input_messages.1.message.role': 'assistant',
      'llm.input_messages.1.message.tool_calls.0.tool_call.function.name': 'get_weather',
      'llm.input_messages.1.message.tool_calls.0.tool_call.function.arguments': '{"city": "Paris"}',
      'llm.output_messages.0.message.role': 'assistant',
      'llm.output_messages.0.message.tool_calls.0.tool_call.function.name': 'get_weather',
      'llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments': '{"city": "Paris"}',
      'llm.output_messages.0.message.tool_calls.1.tool_call.function.name': 'get_time',
      'llm.output_messages.0.message.tool_calls.1.tool_call.function.arguments': '{}',
    }),
    { inputText: 'user: Weather in Paris?\nassistant: get_weather({"city":"Paris"})', outputText: 'assistant: get_weather({"city":"Paris"})\nget_time({})' },
  ],
  [
    'OpenLLMetry legacy tool calls: gen_ai.completion.N.tool_calls.M.{name,arguments}',
    span({
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.completion.0.role': 'assistant',
      'gen_ai.completion.0.tool_calls.0.name': 'add',
      'gen_ai.completion.0.tool_calls.0.arguments': '{"a":1}',
    }),
    { outputText: 'assistant: add({"a":1})' },
  ],
  [
    'OpenInference with its inputs and outputs hidden (__REDACTED__): no content',
    span({ 'openinference.span.kind': 'LLM', 'input.value': '__REDACTED__', 'output.value': '__REDACTED__', 'llm.token_count.prompt': 11 }),
    { inputText: undefined, outputText: undefined, inputTokens: 11 },
  ],
  // --- the call context in GenAI names
  [
    'OpenInference LLM with chat messages: operation chat; model the request model of llm.invocation_parameters; provider from llm.system',
    span({
      'openinference.span.kind': 'LLM',
      'llm.system': 'openai',
      'llm.model_name': 'gpt-4o-mini-2024-07-18',
      'llm.invocation_parameters': '{"model": "gpt-4o-mini", "temperature": 0.2}',
      'llm.input_messages.0.message.role': 'user',
      'llm.input_messages.0.message.content': 'Hi',
    }),
    { role: 'llm', operation: 'chat', model: 'gpt-4o-mini', provider: 'openai', responseModel: 'gpt-4o-mini-2024-07-18' },
  ],
  [
    'OpenInference LLM with completion prompts (llm.prompts) and no messages: text_completion',
    span({ 'openinference.span.kind': 'LLM', 'llm.model_name': 'gpt-3.5-turbo-instruct', 'llm.prompts.0.prompt.text': 'Once upon' }),
    { operation: 'text_completion', model: 'gpt-3.5-turbo-instruct' },
  ],
  [
    "OpenInference LLM with its content hidden: chat (OpenInference's own GenAI mapping says so too)",
    span({ 'openinference.span.kind': 'LLM', 'input.value': '__REDACTED__', 'llm.model_name': 'gpt-4o' }),
    { operation: 'chat' },
  ],
  [
    'OpenInference EMBEDDING: embeddings, embedding.model_name',
    span({ 'openinference.span.kind': 'EMBEDDING', 'embedding.model_name': 'text-embedding-3-small' }),
    { role: 'embedding', operation: 'embeddings', model: 'text-embedding-3-small' },
  ],
  [
    'OpenInference in its GenAI mode: its gen_ai.request.model (the response model) loses to llm.invocation_parameters',
    span({
      'openinference.span.kind': 'LLM',
      'llm.invocation_parameters': '{"model": "gpt-4o-mini"}',
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
    }),
    { model: 'gpt-4o-mini', request: { model: 'gpt-4o-mini' }, responseModel: 'gpt-4o-mini-2024-07-18' },
  ],
  [
    'OpenInference: Azure serving OpenAI is azure.ai.openai; Google with vertexai is gcp.vertex_ai',
    span({ 'openinference.span.kind': 'LLM', 'llm.provider': 'azure', 'llm.system': 'openai' }),
    { provider: 'azure.ai.openai' },
  ],
  [
    'OpenInference: llm.system vertexai',
    span({ 'openinference.span.kind': 'LLM', 'llm.provider': 'google', 'llm.system': 'vertexai' }),
    { provider: 'gcp.vertex_ai' },
  ],
  [
    'OpenInference: Anthropic on Azure is azure.ai.inference',
    span({ 'openinference.span.kind': 'LLM', 'llm.provider': 'azure', 'llm.system': 'anthropic' }),
    { provider: 'azure.ai.inference' },
  ],
  ['OpenInference: llm.system mistralai', span({ 'openinference.span.kind': 'LLM', 'llm.system': 'mistralai' }), { provider: 'mistral_ai' }],
  [
    'OpenLLMetry (older): llm.request.type completion is text_completion, capitalized gen_ai.system as a GenAI name',
    span({ 'llm.request.type': 'completion', 'gen_ai.system': 'OpenAI', 'gen_ai.request.model': 'gpt-3.5-turbo-instruct' }),
    { role: 'llm', operation: 'text_completion', provider: 'openai' },
  ],
  [
    'OpenLLMetry (older): llm.request.type chat, gen_ai.system Anthropic',
    span({ 'llm.request.type': 'chat', 'gen_ai.system': 'Anthropic' }),
    { operation: 'chat', provider: 'anthropic' },
  ],
  ['OpenLLMetry (older): gen_ai.system AWS is aws.bedrock', span({ 'llm.request.type': 'chat', 'gen_ai.system': 'AWS' }), { provider: 'aws.bedrock' }],
  [
    'older GenAI names: gen_ai.system az.ai.openai',
    span({ 'gen_ai.operation.name': 'chat', 'gen_ai.system': 'az.ai.openai' }),
    { provider: 'azure.ai.openai' },
  ],
  ['a provider not known is kept, lower-cased', span({ 'gen_ai.operation.name': 'chat', 'gen_ai.system': 'Ollama' }), { provider: 'ollama' }],
  [
    'no request model: the response model',
    span({ 'gen_ai.operation.name': 'chat', 'gen_ai.response.model': 'gpt-4o-2024-08-06' }),
    { model: 'gpt-4o-2024-08-06', request: {} },
  ],
  // --- response facts
  [
    'gen_ai.response.*: id, model, finish reasons in GenAI terms (OpenAI tool_calls → tool_call)',
    span({
      'gen_ai.request.model': 'm',
      'gen_ai.response.id': 'r1',
      'gen_ai.response.model': 'm-1',
      'gen_ai.response.finish_reasons': ['stop', 'tool_calls', 'length'],
    }),
    { responseId: 'r1', responseModel: 'm-1', finishReasons: ['stop', 'tool_call', 'length'] },
  ],
  [
    'finish reasons: Anthropic and Gemini spellings; unknown ones as they are',
    span({ 'gen_ai.request.model': 'm', 'gen_ai.response.finish_reasons': ['end_turn', 'tool_use', 'MAX_TOKENS', 'SAFETY', 'pause_turn'] }),
    { finishReasons: ['stop', 'tool_call', 'length', 'content_filter', 'pause_turn'] },
  ],
  [
    'finish reasons: OpenLLMetry (older) gen_ai.completion.N.finish_reason',
    span({ 'gen_ai.request.model': 'm', 'gen_ai.completion.0.finish_reason': 'stop' }),
    { finishReasons: ['stop'] },
  ],
  [
    'finish reasons: OpenInference llm.finish_reason',
    span({ 'openinference.span.kind': 'LLM', 'llm.finish_reason': 'tool_calls' }),
    { finishReasons: ['tool_call'] },
  ],
  [
    'finish reasons: the output messages when nothing else says',
    span({ 'gen_ai.request.model': 'm', 'gen_ai.output.messages': msg([{ role: 'assistant', parts: [], finish_reason: 'length' }]) }),
    { finishReasons: ['length'] },
  ],
  [
    'OpenInference (older): response id and finish reasons from the OpenAI answer in output.value',
    span({
      'openinference.span.kind': 'LLM',
      'output.mime_type': 'application/json',
      'output.value': JSON.stringify({
        id: 'chatcmpl-9',
        model: 'gpt-4o-2024-08-06',
        choices: [{ finish_reason: 'stop', message: { role: 'assistant', content: 'x' } }],
      }),
    }),
    { responseId: 'chatcmpl-9', finishReasons: ['stop'] },
  ],
  [
    'Vercel AI SDK model call: ai.response.id, ai.response.model, ai.response.finishReason, ai.usage.totalTokens',
    span({
      ...DO_GENERATE,
      'ai.response.id': 'r2',
      'ai.response.model': 'gpt-4o-mini-2024-07-18',
      'ai.response.finishReason': 'content-filter',
      'ai.usage.totalTokens': 30,
    }),
    { responseId: 'r2', responseModel: 'gpt-4o-mini-2024-07-18', finishReasons: ['content_filter'], totalTokens: 30 },
  ],
  // --- total tokens
  [
    'total tokens: gen_ai.usage.total_tokens as given',
    span({ 'gen_ai.request.model': 'm', 'gen_ai.usage.input_tokens': 1, 'gen_ai.usage.output_tokens': 2, 'gen_ai.usage.total_tokens': 4 }),
    { totalTokens: 4 },
  ],
  ['total tokens: OpenLLMetry (older) llm.usage.total_tokens', span({ 'gen_ai.request.model': 'm', 'llm.usage.total_tokens': 7 }), { totalTokens: 7 }],
  ['total tokens: OpenInference llm.token_count.total', span({ 'openinference.span.kind': 'LLM', 'llm.token_count.total': 8 }), { totalTokens: 8 }],
  [
    'total tokens: else input + output',
    span({ 'gen_ai.request.model': 'm', 'gen_ai.usage.input_tokens': 11, 'gen_ai.usage.output_tokens': 9 }),
    { totalTokens: 20 },
  ],
  ['total tokens: none with only one of them', span({ 'gen_ai.request.model': 'm', 'gen_ai.usage.input_tokens': 11 }), { totalTokens: undefined }],
  [
    'total tokens: not for the Vercel calls around the model calls',
    span({ 'ai.operationId': 'ai.generateText', 'ai.usage.totalTokens': 136 }),
    { totalTokens: undefined },
  ],
  // --- request parameters
  [
    'request: OpenInference invocation parameters in GenAI names; objects and other parameters left out',
    span({
      'openinference.span.kind': 'LLM',
      'llm.invocation_parameters': JSON.stringify({
        model: 'gpt-4o',
        max_completion_tokens: 100,
        top_p: 0.9,
        n: 2,
        stop: 'END',
        seed: 7,
        frequency_penalty: 0.5,
        presence_penalty: 0.1,
        stream: true,
        stream_options: { include_usage: true },
        tool_choice: 'auto',
        user: 'u1',
      }),
    }),
    {
      request: {
        model: 'gpt-4o',
        max_tokens: 100,
        top_p: 0.9,
        'choice.count': 2,
        stop_sequences: ['END'],
        seed: 7,
        frequency_penalty: 0.5,
        presence_penalty: 0.1,
        stream: true,
      },
    },
  ],
  [
    'request: OpenLLMetry (older) llm.request.*, llm.top_k, llm.chat.stop_sequences, llm.is_streaming; not llm.request.type nor functions',
    span({
      'llm.request.type': 'chat',
      'llm.request.model': 'claude-3',
      'llm.request.max_tokens': 50,
      'llm.request.repetition_penalty': 1.1,
      'llm.request.functions.0.name': 'f',
      'llm.top_k': 40,
      'llm.chat.stop_sequences': ['\n\n'],
      'llm.is_streaming': true,
    }),
    { model: 'claude-3', request: { model: 'claude-3', max_tokens: 50, repetition_penalty: 1.1, top_k: 40, stop_sequences: ['\n\n'], stream: true } },
  ],
  [
    'request: the defaults a producer may state are left out (stream false, choice.count 1)',
    span({ 'gen_ai.request.model': 'm', 'gen_ai.request.choice.count': 1, 'gen_ai.is_streaming': false, 'gen_ai.request.temperature': 0 }),
    { request: { model: 'm', temperature: 0 } },
  ],
  [
    'request: Vercel ai.settings.* (not maxRetries); a doStream call is streamed',
    span({
      ...DO_GENERATE,
      'ai.operationId': 'ai.streamText.doStream',
      'ai.settings.maxOutputTokens': 64,
      'ai.settings.topP': 0.5,
      'ai.settings.topK': 3,
      'ai.settings.stopSequences': ['x'],
      'ai.settings.maxRetries': 2,
    }),
    { request: { model: 'gpt-4o-mini', max_tokens: 64, top_p: 0.5, top_k: 3, stop_sequences: ['x'], stream: true } },
  ],
  ['request: Vercel (4.x) ai.settings.maxTokens', span({ ...DO_GENERATE, 'ai.settings.maxTokens': 32 }), { request: { model: 'gpt-4o-mini', max_tokens: 32 } }],
  // --- tool definitions
  [
    'tools: OpenLLMetry (older) llm.request.functions.N.*, parameters parsed',
    span({
      'llm.request.type': 'chat',
      'gen_ai.request.model': 'm',
      'llm.request.functions.0.name': 'get_weather',
      'llm.request.functions.0.description': 'Weather.',
      'llm.request.functions.0.parameters': '{"type": "object", "properties": {"city": {"type": "string"}}}',
      'llm.request.functions.1.name': 'now',
    }),
    {
      toolDefinitions: [
        { type: 'function', name: 'get_weather', description: 'Weather.', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
        { type: 'function', name: 'now' },
      ],
    },
  ],
  [
    "tools: OpenInference llm.tools.N.tool.json_schema in Anthropic's shape (input_schema)",
    span({ 'openinference.span.kind': 'LLM', 'llm.tools.0.tool.json_schema': '{"name": "add", "description": "Adds.", "input_schema": {"type": "object"}}' }),
    { toolDefinitions: [{ type: 'function', name: 'add', description: 'Adds.', parameters: { type: 'object' } }] },
  ],
  [
    "tools: gen_ai.tool.definitions in OpenAI's chat shape; a tool without a name left out",
    span({
      'gen_ai.request.model': 'm',
      'gen_ai.tool.definitions': msg([{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }, { type: 'function' }]),
    }),
    { toolDefinitions: [{ type: 'function', name: 'f', parameters: { type: 'object' } }] },
  ],
  [
    'tools: Vercel (4.x) ai.prompt.tools with parameters',
    span({ ...DO_GENERATE, 'ai.prompt.tools': [JSON.stringify({ type: 'function', name: 'add', parameters: { type: 'object' } })] }),
    { toolDefinitions: [{ type: 'function', name: 'add', parameters: { type: 'object' } }] },
  ],
  [
    'a span that is no model call: no call facts',
    span({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'add', 'gen_ai.response.id': 'x', 'gen_ai.request.temperature': 1 }),
    { responseId: undefined, responseModel: undefined, finishReasons: [], request: {}, toolDefinitions: [] },
  ],
];

describe('readGenAIFacts: attributes and span events of each convention', () => {
  for (const [title, record, expected] of CASES) {
    it(title, () => {
      const facts = readGenAIFacts(record);
      if (!facts) throw new Error('not read as a GenAI span');
      const picked = Object.fromEntries(Object.keys(expected).map((key) => [key, facts[key as keyof GenAIFacts]]));
      expect(picked).to.deep.equal(expected);
    });
  }

  it('a span with ai.operationId alone is a Vercel AI SDK span; one without any convention is none', () => {
    expect(readGenAIFacts(span({ 'ai.operationId': 'ai.somethingNew' }))?.role).to.equal('other');
    expect(readGenAIFacts(span({ 'http.method': 'GET' }, [event('First Token Stream Event', {})]))).to.equal(undefined);
  });
});

describe('provider names in GenAI terms', () => {
  const vercel: [string | undefined, string | undefined][] = [
    ['openai.chat', 'openai'],
    ['openai.responses', 'openai'],
    ['anthropic.messages', 'anthropic'],
    ['google.generative-ai', 'gcp.gemini'],
    ['google.vertex.chat', 'gcp.vertex_ai'],
    ['amazon-bedrock', 'aws.bedrock'],
    ['azure.chat', 'azure.ai.openai'],
    ['mistral.chat', 'mistral_ai'],
    ['xai.chat', 'x_ai'],
    ['groq.chat', 'groq'],
    ['mock-provider', 'mock-provider'],
    ['googleish.chat', 'googleish'],
    [undefined, undefined],
  ];
  for (const [id, name] of vercel) {
    it(`Vercel AI SDK ${String(id)} → ${String(name)}`, () => {
      expect(vercelProviderName(id)).to.equal(name);
    });
  }

  const names: [string | undefined, string | undefined][] = [
    ['openai', 'openai'],
    ['OpenAI', 'openai'],
    ['MistralAI', 'mistral_ai'],
    ['mistral_ai', 'mistral_ai'],
    ['Bedrock', 'aws.bedrock'],
    ['aws.bedrock', 'aws.bedrock'],
    ['Vertex AI', 'gcp.vertex_ai'],
    ['gcp.vertex_ai', 'gcp.vertex_ai'],
    ['az.ai.inference', 'azure.ai.inference'],
    ['xai', 'x_ai'],
    ['watsonx', 'ibm.watsonx.ai'],
    ['Aleph Alpha', 'aleph_alpha'],
    ['acme.llm', 'acme.llm'],
    ['', undefined],
    [undefined, undefined],
  ];
  for (const [given, name] of names) {
    it(`${String(given)} → ${String(name)}`, () => {
      expect(genAIProviderName(given)).to.equal(name);
    });
  }

  it('OpenInference llm.provider + llm.system', () => {
    expect(openInferenceProviderName('azure', 'openai')).to.equal('azure.ai.openai');
    expect(openInferenceProviderName('azure', undefined)).to.equal('azure.ai.openai');
    expect(openInferenceProviderName('azure', 'anthropic')).to.equal('azure.ai.inference');
    expect(openInferenceProviderName('google', 'vertexai')).to.equal('gcp.vertex_ai');
    expect(openInferenceProviderName('google', undefined)).to.equal('gcp.gen_ai');
    expect(openInferenceProviderName('aws', 'anthropic')).to.equal('aws.bedrock');
    expect(openInferenceProviderName(undefined, 'anthropic')).to.equal('anthropic');
    expect(openInferenceProviderName(undefined, undefined)).to.equal(undefined);
  });
});

describe('renderChatMessages: OpenAI and Vercel AI SDK messages as role: content lines', () => {
  const cases: [string, string | undefined, string | undefined][] = [
    [
      'plain messages',
      msg([
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello' },
      ]),
      'user: Hi\nassistant: Hello',
    ],
    [
      'OpenAI content parts',
      msg([
        {
          role: 'user',
          content: [
            { type: 'text', text: 'a' },
            { type: 'text', text: 'b' },
          ],
        },
      ]),
      'user: a\nb',
    ],
    ['OpenAI legacy function_call', msg([{ role: 'assistant', function_call: { name: 'f', arguments: '{"x":1}' } }]), 'assistant: f({"x":1})'],
    ['a message without a role', msg([{ content: 'x' }]), 'message: x'],
    ['not a list: kept', '{"role":"user"}', '{"role":"user"}'],
    ['not JSON: kept', 'hello', 'hello'],
    ['nothing', undefined, undefined],
  ];
  for (const [title, json, expected] of cases) {
    it(title, () => {
      expect(renderChatMessages(json)).to.equal(expected);
    });
  }
});
