/**
 * A model call's request parameters, normalized: keyed by their GenAI names without the
 * `gen_ai.request.` prefix (`model`, `temperature`, `top_p`, `top_k`, `max_tokens`,
 * `frequency_penalty`, `presence_penalty`, `stop_sequences`, `seed`, `choice.count`, `stream`...),
 * whichever convention recorded them. The first source that gives a parameter wins:
 *
 * | source | read |
 * |---|---|
 * | GenAI semconv (openai-v2, OpenLLMetry, our LangChain handler, Vercel AI SDK, OpenInference's GenAI mode) | every `gen_ai.request.*` attribute, as it is |
 * | OpenLLMetry, older names | `llm.request.*` (but `llm.request.type` and `llm.request.functions.*`), `llm.top_k`, `llm.frequency_penalty`, `llm.presence_penalty`, `llm.chat.stop_sequences`, `gen_ai.is_streaming` / `llm.is_streaming` (→ `stream`) |
 * | OpenInference | the JSON object `llm.invocation_parameters` (`embedding.invocation_parameters` for embeddings): `model`, `temperature`, `top_p`, `top_k`, `max_tokens` / `max_completion_tokens` / `max_output_tokens` / `max_new_tokens` (→ `max_tokens`), `frequency_penalty`, `presence_penalty`, `stop` / `stop_sequences` (→ `stop_sequences`), `seed`, `n` / `candidate_count` (→ `choice.count`), `stream`, camelCase spellings too; other invocation parameters are not read |
 * | Vercel AI SDK | `ai.settings.*`: `maxOutputTokens` / `maxTokens` (→ `max_tokens`), `temperature`, `topP`, `topK`, `frequencyPenalty`, `presencePenalty`, `stopSequences`, `seed` (not `maxRetries`, a client setting); its streamed calls (`doStream`) are `stream: true` |
 *
 * Then: `model` is the call's request model as `readGenAIFacts` decided it (OpenInference's
 * GenAI mode writes the response model into `gen_ai.request.model`); `stop_sequences` given as one
 * string is a list of it; the defaults a producer may or may not state are left out (`stream` when
 * not `true`, `choice.count` 1), so the same call gives the same parameters from every producer.
 */
import type { AttributeValue, Attributes } from '../model/span-record.js';
import { isObject, jsonAttribute } from './attribute-read.js';
import { setEntry } from './param-limits.js';

/** Normalized request parameters (see the module documentation). */
export type RequestParams = Readonly<Record<string, AttributeValue>>;

/** What the convention readers found besides the attributes: the parsed invocation parameters, the request model, a stream known from elsewhere. */
export interface RequestSources {
  /** OpenInference's invocation parameters, parsed. */
  readonly invocation?: Readonly<Record<string, unknown>> | undefined;
  /** The call's request model. */
  readonly model?: string | undefined;
  /** The call was streamed (known from the operation, e.g. the Vercel AI SDK's `doStream`). */
  readonly streamed?: boolean;
}

/** Names of request parameters outside the GenAI ones (OpenInference's, OpenAI's, Anthropic's, Gemini's, camelCase) and their GenAI names. */
const PARAM_NAMES: ReadonlyMap<string, string> = new Map([
  ['model', 'model'],
  ['temperature', 'temperature'],
  ['top_p', 'top_p'],
  ['topP', 'top_p'],
  ['top_k', 'top_k'],
  ['topK', 'top_k'],
  ['max_tokens', 'max_tokens'],
  ['max_completion_tokens', 'max_tokens'],
  ['max_output_tokens', 'max_tokens'],
  ['max_new_tokens', 'max_tokens'],
  ['maxTokens', 'max_tokens'],
  ['maxOutputTokens', 'max_tokens'],
  ['frequency_penalty', 'frequency_penalty'],
  ['frequencyPenalty', 'frequency_penalty'],
  ['presence_penalty', 'presence_penalty'],
  ['presencePenalty', 'presence_penalty'],
  ['stop', 'stop_sequences'],
  ['stop_sequences', 'stop_sequences'],
  ['stopSequences', 'stop_sequences'],
  ['seed', 'seed'],
  ['n', 'choice.count'],
  ['candidate_count', 'choice.count'],
  ['candidateCount', 'choice.count'],
  ['stream', 'stream'],
]);

/** OpenLLMetry's older request attributes outside `llm.request.*`. */
const OPENLLMETRY_NAMES: readonly (readonly [string, string])[] = [
  ['llm.top_k', 'top_k'],
  ['llm.frequency_penalty', 'frequency_penalty'],
  ['llm.presence_penalty', 'presence_penalty'],
  ['llm.chat.stop_sequences', 'stop_sequences'],
  ['gen_ai.is_streaming', 'stream'],
  ['llm.is_streaming', 'stream'],
];

/** The normalized request parameters of a model call (see the module documentation). */
export function readRequestParams(a: Attributes, sources: RequestSources = {}): RequestParams {
  const params: Record<string, AttributeValue> = {};
  const put = (name: string, value: AttributeValue | undefined): void => {
    // Own properties only, whatever the name (`constructor`, `__proto__` are request params too).
    if (value !== undefined && value !== null && !Object.hasOwn(params, name)) setEntry(params, name, value);
  };
  // One pass over the attributes; then the sources in their order.
  const older: [string, AttributeValue | undefined][] = [];
  const settings: [string, AttributeValue | undefined][] = [];
  for (const key in a) {
    if (key.startsWith('gen_ai.request.')) {
      put(key.slice('gen_ai.request.'.length), a[key]);
    } else if (key.startsWith('llm.request.')) {
      const name = key.slice('llm.request.'.length);
      if (name !== 'type' && !name.startsWith('functions.')) older.push([PARAM_NAMES.get(name) ?? name, a[key]]);
    } else if (key.startsWith('ai.settings.')) {
      const name = PARAM_NAMES.get(key.slice('ai.settings.'.length));
      if (name !== undefined && name !== 'stream' && name !== 'model') settings.push([name, a[key]]);
    }
  }
  for (const [name, value] of older) put(name, value);
  for (const [key, name] of OPENLLMETRY_NAMES) put(name, a[key]);
  const invocation = sources.invocation;
  if (invocation) {
    for (const key in invocation) {
      const name = PARAM_NAMES.get(key);
      if (name !== undefined) put(name, scalarOrList(invocation[key]));
    }
  }
  for (const [name, value] of settings) put(name, value);
  if (sources.streamed === true) put('stream', true);
  if (sources.model !== undefined) params['model'] = sources.model;
  const stop = params['stop_sequences'];
  if (typeof stop === 'string') params['stop_sequences'] = [stop];
  if (params['stream'] !== true) delete params['stream'];
  const choices = params['choice.count'];
  if (choices === 1 || choices === 1n) delete params['choice.count'];
  return params;
}

/** An invocation parameter as an attribute value: scalars and lists of scalars; objects (`stream_options`, `tools`...) are not parameters. */
function scalarOrList(value: unknown): AttributeValue | undefined {
  if (isObject(value)) return undefined;
  if (Array.isArray(value) && !value.every((item) => typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean')) return undefined;
  return jsonAttribute(value);
}
