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
import { RUN_METADATA } from './metadata.js';
import type { RunMetadata } from './metadata.js';
import { providerFromClassName, providerFromLsProvider } from './provider.js';
import { KeyFamilies, asRecord, asString, asStringArray, serializedClassName } from './read.js';
import type { UnknownRecord } from './read.js';

// Provider spellings of each request parameter, in precedence order.
const PARAMS = new KeyFamilies({
  model: ['model', 'model_name', 'modelName', 'model_id', 'modelId', 'deployment_name', 'azureOpenAIApiDeploymentName'],
  temperature: ['temperature'],
  maxTokens: ['max_tokens', 'max_completion_tokens', 'maxTokens', 'max_output_tokens', 'maxOutputTokens', 'num_predict'],
  topP: ['top_p', 'topP'],
  topK: ['top_k', 'topK'],
  frequencyPenalty: ['frequency_penalty', 'frequencyPenalty'],
  presencePenalty: ['presence_penalty', 'presencePenalty'],
  seed: ['seed', 'randomSeed', 'random_seed'],
  choices: ['n', 'candidateCount', 'candidate_count'],
  stop: ['stop'],
  stopSequences: ['stop_sequences'],
  stopSequencesCamel: ['stopSequences'],
  stream: ['stream'],
  streaming: ['streaming'],
  responseFormat: ['response_format'],
});
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

/** Request attributes of a chat-model or LLM run (`known`: what its metadata says, see RUN_METADATA). */
export function inferenceRequest(
  n: SemconvNames,
  operation: string,
  serialized: unknown,
  extraParams: UnknownRecord | undefined,
  known: RunMetadata,
): InferenceRequest {
  const params = PARAMS.read(invocationParams(extraParams));
  const lsProvider = RUN_METADATA.string(known, 'lsProvider');
  const className = serializedClassName(serialized);
  const provider =
    lsProvider !== undefined
      ? providerFromLsProvider(lsProvider)
      : ((className !== undefined ? providerFromClassName(className) : undefined) ?? className ?? 'langchain');
  const model = RUN_METADATA.string(known, 'lsModelName') ?? PARAMS.string(params, 'model');

  const attributes: Attributes = { [n.operationName]: operation, [n.providerName]: provider };
  if (model !== undefined) attributes[n.requestModel] = model;
  const temperature = RUN_METADATA.number(known, 'lsTemperature') ?? PARAMS.number(params, 'temperature');
  if (temperature !== undefined) attributes[n.requestTemperature] = temperature;
  const maxTokens = RUN_METADATA.number(known, 'lsMaxTokens') ?? PARAMS.number(params, 'maxTokens');
  if (maxTokens !== undefined) attributes[n.requestMaxTokens] = maxTokens;
  const topP = PARAMS.number(params, 'topP');
  if (topP !== undefined) attributes[n.requestTopP] = topP;
  const topK = PARAMS.number(params, 'topK');
  if (topK !== undefined) attributes[n.requestTopK] = topK;
  const frequencyPenalty = PARAMS.number(params, 'frequencyPenalty');
  if (frequencyPenalty !== undefined) attributes[n.requestFrequencyPenalty] = frequencyPenalty;
  const presencePenalty = PARAMS.number(params, 'presencePenalty');
  if (presencePenalty !== undefined) attributes[n.requestPresencePenalty] = presencePenalty;
  const seed = PARAMS.number(params, 'seed');
  if (seed !== undefined) attributes[n.requestSeed] = seed;
  const stop =
    asStringArray(RUN_METADATA.value(known, 'lsStop')) ??
    asStringArray(PARAMS.value(params, 'stop')) ??
    asStringArray(PARAMS.value(params, 'stopSequences')) ??
    asStringArray(PARAMS.value(params, 'stopSequencesCamel'));
  if (stop !== undefined) attributes[n.requestStopSequences] = stop;
  const choices = PARAMS.number(params, 'choices');
  if (choices !== undefined && choices !== 1) attributes[n.requestChoiceCount] = choices;
  if (PARAMS.value(params, 'stream') === true || PARAMS.value(params, 'streaming') === true) attributes[n.requestStream] = true;
  const outputType = outputTypeOf(PARAMS.value(params, 'responseFormat'));
  if (outputType !== undefined) attributes[n.outputType] = outputType;
  return { attributes, model, provider, providerKnown: lsProvider !== undefined };
}

function outputTypeOf(format: unknown): string | undefined {
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
