/**
 * Token usage of a model call. The canonical source is `AIMessage.usage_metadata` (input/output
 * totals plus `input_token_details.cache_read|cache_creation` and `output_token_details.reasoning`);
 * the provider-specific `llmOutput.tokenUsage` / `llmOutput.usage` is the fallback. Totals include
 * their details, as the conventions require: nothing is subtracted.
 */
import type { Attributes } from '@opentelemetry/api';
import type { SemconvNames } from '../semconv/profile.js';
import { KeyFamilies, asNumber, asRecord } from './read.js';
import type { UnknownRecord } from './read.js';

/** Token counts; a field is absent when the provider did not report it. */
export interface Usage {
  input?: number;
  output?: number;
  cacheRead?: number;
  cacheCreation?: number;
  reasoning?: number;
}

/** Usage from a LangChain `UsageMetadata` object, or undefined when it holds no counts. */
export function usageFromMetadata(value: unknown): Usage | undefined {
  const metadata = asRecord(value);
  if (metadata === undefined) return undefined;
  const usage: Usage = {};
  const input = asNumber(metadata['input_tokens']);
  if (input !== undefined) usage.input = input;
  const output = asNumber(metadata['output_tokens']);
  if (output !== undefined) usage.output = output;
  const inputDetails = asRecord(metadata['input_token_details']);
  const cacheRead = asNumber(inputDetails?.['cache_read']);
  if (cacheRead !== undefined) usage.cacheRead = cacheRead;
  const cacheCreation = asNumber(inputDetails?.['cache_creation']);
  if (cacheCreation !== undefined) usage.cacheCreation = cacheCreation;
  const reasoning = asNumber(asRecord(metadata['output_token_details'])?.['reasoning']);
  if (reasoning !== undefined) usage.reasoning = reasoning;
  return isEmpty(usage) ? undefined : usage;
}

/** OpenAI-style `llmOutput.tokenUsage`. */
const TOKEN_USAGE = new KeyFamilies({ input: ['promptTokens', 'inputTokens'], output: ['completionTokens', 'outputTokens'] });
/** Anthropic- or OpenAI-style `llmOutput.usage`. */
const RAW_USAGE = new KeyFamilies({
  input: ['input_tokens', 'prompt_tokens', 'inputTokens'],
  output: ['output_tokens', 'completion_tokens', 'outputTokens'],
  cacheRead: ['cache_read_input_tokens'],
  cacheCreation: ['cache_creation_input_tokens'],
});

/**
 * Usage from a provider's `llmOutput.tokenUsage` (OpenAI-style) and `llmOutput.usage` (Anthropic- or
 * OpenAI-style). Anthropic's own `input_tokens` leaves out the tokens read from and written to its
 * cache (`cache_read_input_tokens`, `cache_creation_input_tokens`); the conventions' input count
 * includes them, so they are added to it.
 */
export function usageFromLlmOutput(tokenUsageRecord: UnknownRecord | undefined, usageRecord: UnknownRecord | undefined): Usage | undefined {
  const tokenUsage = TOKEN_USAGE.read(tokenUsageRecord);
  const raw = RAW_USAGE.read(usageRecord);
  if (tokenUsage === undefined && raw === undefined) return undefined;
  const usage: Usage = {};
  const cacheRead = RAW_USAGE.number(raw, 'cacheRead');
  const cacheCreation = RAW_USAGE.number(raw, 'cacheCreation');
  const rawInput = RAW_USAGE.number(raw, 'input');
  const input = TOKEN_USAGE.number(tokenUsage, 'input') ?? (rawInput === undefined ? undefined : rawInput + (cacheRead ?? 0) + (cacheCreation ?? 0));
  if (input !== undefined) usage.input = input;
  const output = TOKEN_USAGE.number(tokenUsage, 'output') ?? RAW_USAGE.number(raw, 'output');
  if (output !== undefined) usage.output = output;
  if (cacheRead !== undefined) usage.cacheRead = cacheRead;
  if (cacheCreation !== undefined) usage.cacheCreation = cacheCreation;
  return isEmpty(usage) ? undefined : usage;
}

/** Adds `more` into `total` field by field (for streamed deltas and agent totals). */
export function addUsage(total: Usage, more: Usage): Usage {
  if (more.input !== undefined) total.input = (total.input ?? 0) + more.input;
  if (more.output !== undefined) total.output = (total.output ?? 0) + more.output;
  if (more.cacheRead !== undefined) total.cacheRead = (total.cacheRead ?? 0) + more.cacheRead;
  if (more.cacheCreation !== undefined) total.cacheCreation = (total.cacheCreation ?? 0) + more.cacheCreation;
  if (more.reasoning !== undefined) total.reasoning = (total.reasoning ?? 0) + more.reasoning;
  return total;
}

/** Writes usage attributes (only the counts that are known). */
export function setUsageAttributes(attributes: Attributes, n: SemconvNames, usage: Usage): void {
  if (usage.input !== undefined) attributes[n.usageInputTokens] = usage.input;
  if (usage.output !== undefined) attributes[n.usageOutputTokens] = usage.output;
  if (usage.cacheRead !== undefined) attributes[n.usageCacheReadInputTokens] = usage.cacheRead;
  if (usage.cacheCreation !== undefined) attributes[n.usageCacheCreationInputTokens] = usage.cacheCreation;
  if (usage.reasoning !== undefined) attributes[n.usageReasoningOutputTokens] = usage.reasoning;
}

function isEmpty(usage: Usage): boolean {
  return (
    usage.input === undefined &&
    usage.output === undefined &&
    usage.cacheRead === undefined &&
    usage.cacheCreation === undefined &&
    usage.reasoning === undefined
  );
}
