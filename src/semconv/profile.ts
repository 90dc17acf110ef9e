/**
 * The semantic-convention profile: every GenAI name the handler emits, in one table per convention
 * version. v1.41.1 is the default (and the last released GenAI convention). The GenAI conventions
 * now live in `semantic-conventions-genai`, which only publishes `-dev` pre-releases with renames
 * queued; the `genai-dev` profile applies the pure renames known today, so switching later is a
 * table change. Changes that are not renames (split token metrics, new span types) are not modelled.
 */
import * as a from './attributes.js';
import * as m from './metrics.js';

/** Names of a convention version. */
export interface SemconvNames {
  readonly operationName: string;
  readonly providerName: string;
  readonly conversationId: string;
  readonly outputType: string;
  readonly errorType: string;
  readonly serverAddress: string;
  readonly serverPort: string;
  readonly requestModel: string;
  readonly requestTemperature: string;
  readonly requestMaxTokens: string;
  readonly requestTopP: string;
  readonly requestTopK: string;
  readonly requestFrequencyPenalty: string;
  readonly requestPresencePenalty: string;
  readonly requestStopSequences: string;
  readonly requestSeed: string;
  readonly requestChoiceCount: string;
  readonly requestStream: string;
  readonly responseModel: string;
  readonly responseId: string;
  readonly responseFinishReasons: string;
  readonly responseTimeToFirstChunk: string;
  readonly usageInputTokens: string;
  readonly usageOutputTokens: string;
  readonly usageCacheReadInputTokens: string;
  readonly usageCacheCreationInputTokens: string;
  readonly usageReasoningOutputTokens: string;
  readonly agentName: string;
  readonly agentId: string;
  readonly agentDescription: string;
  readonly workflowName: string;
  readonly toolName: string;
  readonly toolCallId: string;
  readonly toolType: string;
  readonly toolDescription: string;
  readonly toolCallArguments: string;
  readonly toolCallResult: string;
  readonly toolDefinitions: string;
  readonly dataSourceId: string;
  readonly retrievalQueryText: string;
  readonly retrievalDocuments: string;
  readonly inputMessages: string;
  readonly outputMessages: string;
  readonly systemInstructions: string;
  readonly tokenType: string;
  readonly metricOperationDuration: string;
  readonly metricTokenUsage: string;
  readonly metricTimeToFirstChunk: string;
  readonly metricTimePerOutputChunk: string;
}

/** Supported profiles. `'v1.41.1'` is the default; `'genai-dev'` is experimental. */
export type SemconvProfile = 'v1.41.1' | 'genai-dev';

const V1_41_1: SemconvNames = Object.freeze({
  operationName: a.ATTR_GEN_AI_OPERATION_NAME,
  providerName: a.ATTR_GEN_AI_PROVIDER_NAME,
  conversationId: a.ATTR_GEN_AI_CONVERSATION_ID,
  outputType: a.ATTR_GEN_AI_OUTPUT_TYPE,
  errorType: a.ATTR_ERROR_TYPE,
  serverAddress: a.ATTR_SERVER_ADDRESS,
  serverPort: a.ATTR_SERVER_PORT,
  requestModel: a.ATTR_GEN_AI_REQUEST_MODEL,
  requestTemperature: a.ATTR_GEN_AI_REQUEST_TEMPERATURE,
  requestMaxTokens: a.ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  requestTopP: a.ATTR_GEN_AI_REQUEST_TOP_P,
  requestTopK: a.ATTR_GEN_AI_REQUEST_TOP_K,
  requestFrequencyPenalty: a.ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY,
  requestPresencePenalty: a.ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY,
  requestStopSequences: a.ATTR_GEN_AI_REQUEST_STOP_SEQUENCES,
  requestSeed: a.ATTR_GEN_AI_REQUEST_SEED,
  requestChoiceCount: a.ATTR_GEN_AI_REQUEST_CHOICE_COUNT,
  requestStream: a.ATTR_GEN_AI_REQUEST_STREAM,
  responseModel: a.ATTR_GEN_AI_RESPONSE_MODEL,
  responseId: a.ATTR_GEN_AI_RESPONSE_ID,
  responseFinishReasons: a.ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  responseTimeToFirstChunk: a.ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
  usageInputTokens: a.ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  usageOutputTokens: a.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  usageCacheReadInputTokens: a.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  usageCacheCreationInputTokens: a.ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
  usageReasoningOutputTokens: a.ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
  agentName: a.ATTR_GEN_AI_AGENT_NAME,
  agentId: a.ATTR_GEN_AI_AGENT_ID,
  agentDescription: a.ATTR_GEN_AI_AGENT_DESCRIPTION,
  workflowName: a.ATTR_GEN_AI_WORKFLOW_NAME,
  toolName: a.ATTR_GEN_AI_TOOL_NAME,
  toolCallId: a.ATTR_GEN_AI_TOOL_CALL_ID,
  toolType: a.ATTR_GEN_AI_TOOL_TYPE,
  toolDescription: a.ATTR_GEN_AI_TOOL_DESCRIPTION,
  toolCallArguments: a.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS,
  toolCallResult: a.ATTR_GEN_AI_TOOL_CALL_RESULT,
  toolDefinitions: a.ATTR_GEN_AI_TOOL_DEFINITIONS,
  dataSourceId: a.ATTR_GEN_AI_DATA_SOURCE_ID,
  retrievalQueryText: a.ATTR_GEN_AI_RETRIEVAL_QUERY_TEXT,
  retrievalDocuments: a.ATTR_GEN_AI_RETRIEVAL_DOCUMENTS,
  inputMessages: a.ATTR_GEN_AI_INPUT_MESSAGES,
  outputMessages: a.ATTR_GEN_AI_OUTPUT_MESSAGES,
  systemInstructions: a.ATTR_GEN_AI_SYSTEM_INSTRUCTIONS,
  tokenType: a.ATTR_GEN_AI_TOKEN_TYPE,
  metricOperationDuration: m.METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  metricTokenUsage: m.METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
  metricTimeToFirstChunk: m.METRIC_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK,
  metricTimePerOutputChunk: m.METRIC_GEN_AI_CLIENT_OPERATION_TIME_PER_OUTPUT_CHUNK,
});

/**
 * Renames queued in `semantic-conventions-genai` (changelog fragments #440 and the client-inference
 * metrics page): `cache_creation` → `cache_write`, and the chunk-timing metrics move under
 * `gen_ai.client.inference.*`.
 */
const GENAI_DEV: SemconvNames = Object.freeze({
  ...V1_41_1,
  usageCacheCreationInputTokens: 'gen_ai.usage.cache_write.input_tokens',
  metricTimeToFirstChunk: 'gen_ai.client.inference.time_to_first_chunk',
  metricTimePerOutputChunk: 'gen_ai.client.inference.time_per_output_chunk',
});

const PROFILES: Readonly<Record<SemconvProfile, SemconvNames>> = Object.freeze({
  'v1.41.1': V1_41_1,
  'genai-dev': GENAI_DEV,
});

/** The default profile: the GenAI semantic conventions v1.41.1. */
export const DEFAULT_SEMCONV_PROFILE: SemconvProfile = 'v1.41.1';

/** The name table of a profile. */
export function semconvNames(profile: SemconvProfile = DEFAULT_SEMCONV_PROFILE): SemconvNames {
  return PROFILES[profile];
}

/** Whether `value` names a supported profile. */
export function isSemconvProfile(value: unknown): value is SemconvProfile {
  return typeof value === 'string' && Object.hasOwn(PROFILES, value);
}
