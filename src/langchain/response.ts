/**
 * Attributes of an inference span known at its end: response model, id and finish reasons, and
 * the token usage (from the first generation that reports `usage_metadata`, else `llmOutput`, else
 * what streamed chunks reported). With `n > 1` providers repeat the call's usage on every choice, so
 * the choices are not summed.
 */
import type { Attributes } from '@opentelemetry/api';
import type { SemconvNames } from '../semconv/profile.js';
import { genAIFinishReason } from '../semconv/finish-reasons.js';
import { GenAIFinishReason } from '../semconv/values.js';
import { KeyFamilies, asRecord, asString } from './read.js';
import type { FamilyValues, UnknownRecord } from './read.js';
import { setUsageAttributes, usageFromLlmOutput, usageFromMetadata } from './usage.js';
import type { Usage } from './usage.js';

/** One choice of the answer, with its finish reason (mapped). */
export interface ResponseChoice {
  readonly choice: UnknownRecord;
  readonly message: UnknownRecord | undefined;
  readonly finishReason: string | undefined;
}

/** What the inference span ends with. */
export interface InferenceResponse {
  readonly attributes: Attributes;
  /** The choices, for the output messages. */
  readonly choices: readonly ResponseChoice[];
  readonly usage: Usage | undefined;
  readonly responseModel: string | undefined;
  /** `response_metadata.model_provider`, when the model reported one. */
  readonly modelProvider: string | undefined;
}

/** What a choice's `response_metadata` (or `generationInfo`) may say, by provider spelling. */
const RESPONSE_METADATA = new KeyFamilies({
  finishReason: ['finish_reason', 'stop_reason', 'finishReason', 'stopReason'],
  model: ['model_name', 'model', 'modelId', 'model_id'],
  id: ['id'],
  modelProvider: ['model_provider'],
});

/** What a provider's `llmOutput` may say. */
const LLM_OUTPUT = new KeyFamilies({ model: ['model_name', 'model'], id: ['id'], tokenUsage: ['tokenUsage'], usage: ['usage'] });

/** The choices (generations) of the run's one prompt. */
function choicesOf(output: unknown): UnknownRecord[] {
  const generations = asRecord(output)?.['generations'];
  const first: unknown = Array.isArray(generations) ? generations[0] : undefined;
  return Array.isArray(first) ? (first as unknown[]).map(asRecord).filter((item) => item !== undefined) : [];
}

/** The finish reason of one choice, mapped; inferred from tool calls when the provider gave none. */
function finishReason(message: UnknownRecord | undefined, metadata: FamilyValues | undefined, choice: UnknownRecord): string | undefined {
  const raw =
    RESPONSE_METADATA.string(metadata, 'finishReason') ?? RESPONSE_METADATA.string(RESPONSE_METADATA.read(asRecord(choice['generationInfo'])), 'finishReason');
  if (raw !== undefined) return genAIFinishReason(raw);
  const toolCalls = message?.['tool_calls'];
  return Array.isArray(toolCalls) && toolCalls.length > 0 ? GenAIFinishReason.TOOL_CALL : undefined;
}

/** LangChain invents `run-<uuid>` message ids when the provider gave none; those are not response ids. */
function providerMessageId(message: UnknownRecord | undefined): string | undefined {
  const id = asString(message?.['id']);
  return id !== undefined && !id.startsWith('run-') && !id.startsWith('lc_run') ? id : undefined;
}

/** Response attributes of a finished chat-model / LLM run. */
export function inferenceResponse(n: SemconvNames, output: unknown, streamedUsage: Usage | undefined): InferenceResponse {
  const llmOutput = asRecord(asRecord(output)?.['llmOutput']);
  const reasons: string[] = [];
  const choices: ResponseChoice[] = [];
  let responseModel: string | undefined;
  let responseId: string | undefined;
  let usage: Usage | undefined;
  let modelProvider: string | undefined;
  for (const choice of choicesOf(output)) {
    const message = asRecord(choice['message']);
    const metadata = RESPONSE_METADATA.read(asRecord(message?.['response_metadata']));
    const reason = finishReason(message, metadata, choice);
    if (reason !== undefined) reasons.push(reason);
    choices.push({ choice, message, finishReason: reason });
    responseModel ??= RESPONSE_METADATA.string(metadata, 'model');
    responseId ??= providerMessageId(message) ?? RESPONSE_METADATA.string(metadata, 'id');
    usage ??= usageFromMetadata(message?.['usage_metadata']);
    modelProvider ??= RESPONSE_METADATA.string(metadata, 'modelProvider');
  }
  const fromLlmOutput = LLM_OUTPUT.read(llmOutput);
  responseModel ??= LLM_OUTPUT.string(fromLlmOutput, 'model');
  responseId ??= LLM_OUTPUT.string(fromLlmOutput, 'id');
  usage ??= usageFromLlmOutput(asRecord(LLM_OUTPUT.value(fromLlmOutput, 'tokenUsage')), asRecord(LLM_OUTPUT.value(fromLlmOutput, 'usage'))) ?? streamedUsage;

  const attributes: Attributes = {};
  if (responseModel !== undefined) attributes[n.responseModel] = responseModel;
  if (responseId !== undefined) attributes[n.responseId] = responseId;
  if (reasons.length > 0) attributes[n.responseFinishReasons] = reasons;
  if (usage !== undefined) setUsageAttributes(attributes, n, usage);
  return { attributes, choices, usage, responseModel, modelProvider };
}
