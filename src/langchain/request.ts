/**
 * Attributes of an inference span known at its start (so samplers see them): operation, provider,
 * request model and parameters, read from the run's `ls_*` metadata first and from the provider
 * request parameters (`extraParams.invocation_params`) second. Parameter names differ per provider
 * SDK (`max_tokens`, `maxTokens`, `max_output_tokens`…), so each attribute checks the usual spellings.
 */
import type { Attributes } from '@opentelemetry/api';
import type { SemconvNames } from '../semconv/profile.js';
import { GenAIOutputType } from '../semconv/values.js';
import type { ToolDefinition } from '../semconv/parts.js';
import { providerFromClassName, providerFromLsProvider } from './provider.js';
import { asRecord, asString, asStringArray, firstNumberOf, firstStringOf, serializedClassName } from './read.js';
import type { UnknownRecord } from './read.js';

// Provider spellings of each request parameter, checked in order (constant arrays: no allocation per call).
const MODEL_KEYS = ['model', 'model_name', 'modelName', 'model_id', 'modelId', 'deployment_name', 'azureOpenAIApiDeploymentName'];
const TEMPERATURE_KEYS = ['temperature'];
const MAX_TOKENS_KEYS = ['max_tokens', 'max_completion_tokens', 'maxTokens', 'max_output_tokens', 'maxOutputTokens', 'num_predict'];
const TOP_P_KEYS = ['top_p', 'topP'];
const TOP_K_KEYS = ['top_k', 'topK'];
const FREQUENCY_PENALTY_KEYS = ['frequency_penalty', 'frequencyPenalty'];
const PRESENCE_PENALTY_KEYS = ['presence_penalty', 'presencePenalty'];
const SEED_KEYS = ['seed', 'randomSeed', 'random_seed'];
const CHOICE_KEYS = ['n', 'candidateCount', 'candidate_count'];
const LS_TEMPERATURE = ['ls_temperature'];
const LS_MAX_TOKENS = ['ls_max_tokens'];

/** What the inference span starts with. */
export interface InferenceRequest {
  readonly attributes: Attributes;
  readonly model: string | undefined;
  readonly provider: string;
  /** True when the provider came from `ls_provider` (not guessed from the class name). */
  readonly providerKnown: boolean;
}

/** Provider request parameters of a chat model / LLM start. */
export function invocationParams(extraParams: UnknownRecord | undefined): UnknownRecord | undefined {
  return asRecord(extraParams?.['invocation_params']);
}

/** Request attributes of a chat-model or LLM run. */
export function inferenceRequest(
  n: SemconvNames,
  operation: string,
  serialized: unknown,
  extraParams: UnknownRecord | undefined,
  metadata: UnknownRecord | undefined,
): InferenceRequest {
  const params = invocationParams(extraParams);
  const lsProvider = asString(metadata?.['ls_provider']);
  const className = serializedClassName(serialized);
  const provider =
    lsProvider !== undefined
      ? providerFromLsProvider(lsProvider)
      : ((className !== undefined ? providerFromClassName(className) : undefined) ?? className ?? 'langchain');
  const model =
    asString(metadata?.['ls_model_name']) ??
    firstStringOf(params, MODEL_KEYS);

  const attributes: Attributes = { [n.operationName]: operation, [n.providerName]: provider };
  if (model !== undefined) attributes[n.requestModel] = model;
  const temperature = firstNumberOf(metadata, LS_TEMPERATURE) ?? firstNumberOf(params, TEMPERATURE_KEYS);
  if (temperature !== undefined) attributes[n.requestTemperature] = temperature;
  const maxTokens = firstNumberOf(metadata, LS_MAX_TOKENS) ?? firstNumberOf(params, MAX_TOKENS_KEYS);
  if (maxTokens !== undefined) attributes[n.requestMaxTokens] = maxTokens;
  const topP = firstNumberOf(params, TOP_P_KEYS);
  if (topP !== undefined) attributes[n.requestTopP] = topP;
  const topK = firstNumberOf(params, TOP_K_KEYS);
  if (topK !== undefined) attributes[n.requestTopK] = topK;
  const frequencyPenalty = firstNumberOf(params, FREQUENCY_PENALTY_KEYS);
  if (frequencyPenalty !== undefined) attributes[n.requestFrequencyPenalty] = frequencyPenalty;
  const presencePenalty = firstNumberOf(params, PRESENCE_PENALTY_KEYS);
  if (presencePenalty !== undefined) attributes[n.requestPresencePenalty] = presencePenalty;
  const seed = firstNumberOf(params, SEED_KEYS);
  if (seed !== undefined) attributes[n.requestSeed] = seed;
  const stop =
    asStringArray(metadata?.['ls_stop']) ??
    asStringArray(params?.['stop']) ??
    asStringArray(params?.['stop_sequences']) ??
    asStringArray(params?.['stopSequences']);
  if (stop !== undefined) attributes[n.requestStopSequences] = stop;
  const choices = firstNumberOf(params, CHOICE_KEYS);
  if (choices !== undefined && choices !== 1) attributes[n.requestChoiceCount] = choices;
  if (params?.['stream'] === true || params?.['streaming'] === true) attributes[n.requestStream] = true;
  const outputType = outputTypeOf(params);
  if (outputType !== undefined) attributes[n.outputType] = outputType;
  return { attributes, model, provider, providerKnown: lsProvider !== undefined };
}

function outputTypeOf(params: UnknownRecord | undefined): string | undefined {
  const format = params?.['response_format'];
  const type = typeof format === 'string' ? format : asString(asRecord(format)?.['type']);
  if (type === undefined) return undefined;
  if (type === 'json_object' || type === 'json_schema' || type === 'json') return GenAIOutputType.JSON;
  if (type === 'text') return GenAIOutputType.TEXT;
  return undefined;
}

/**
 * Tool definitions offered to the model, from `invocation_params.tools` (OpenAI, Anthropic, Bedrock,
 * Gemini shapes) or, when the model does not report them there, the bound LangChain tools in
 * `extraParams.options.tools`.
 */
export function toolDefinitions(extraParams: UnknownRecord | undefined): ToolDefinition[] | undefined {
  const fromParams = invocationParams(extraParams)?.['tools'];
  const fromOptions = asRecord(extraParams?.['options'])?.['tools'];
  const list = Array.isArray(fromParams) ? fromParams : Array.isArray(fromOptions) ? fromOptions : undefined;
  if (list === undefined) return undefined;
  const out: ToolDefinition[] = [];
  for (const item of list as unknown[]) {
    const tool = asRecord(item);
    if (tool === undefined) continue;
    for (const declaration of expandGoogle(tool)) {
      const definition = toolDefinition(declaration);
      if (definition !== undefined) out.push(definition);
    }
  }
  return out.length > 0 ? out : undefined;
}

function expandGoogle(tool: UnknownRecord): UnknownRecord[] {
  const declarations = tool['functionDeclarations'];
  if (!Array.isArray(declarations)) return [tool];
  return (declarations as unknown[]).map(asRecord).filter((item) => item !== undefined);
}

function toolDefinition(tool: UnknownRecord): ToolDefinition | undefined {
  const fn = asRecord(tool['function']) ?? asRecord(tool['toolSpec']) ?? tool;
  const name = asString(fn['name']);
  if (name === undefined) return undefined;
  const definition: ToolDefinition = { type: asString(tool['type']) ?? 'function', name };
  const description = asString(fn['description']);
  if (description !== undefined) definition.description = description;
  const parameters = fn['parameters'] ?? fn['input_schema'] ?? fn['inputSchema'];
  if (parameters !== undefined && (typeof parameters !== 'object' || parameters === null || !isZodLike(parameters))) definition.parameters = parameters;
  return definition;
}

/** LangChain tool objects carry zod schemas, which are not JSON; leave those out. */
function isZodLike(value: object): boolean {
  return '_def' in value || '_zod' in value;
}
