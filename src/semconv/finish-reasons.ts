/**
 * Finish reasons in GenAI terms: the vocabulary of the output-messages schema (`stop`, `length`,
 * `content_filter`, `tool_call`, `error`), whatever the producer or provider called them (OpenAI
 * `tool_calls`, Anthropic `end_turn` / `tool_use` / `max_tokens`, Gemini `STOP` / `SAFETY`, the
 * Vercel AI SDK's `tool-calls` / `content-filter`): what our LangChain handler records and what the
 * mapping reads from every producer, so one answer reads the same whichever sent it. Reasons not known pass through as they are.
 */
import { GenAIFinishReason } from './values.js';

const REASONS: ReadonlyMap<string, string> = new Map([
  ['stop', GenAIFinishReason.STOP],
  ['end_turn', GenAIFinishReason.STOP],
  ['stop_sequence', GenAIFinishReason.STOP],
  ['complete', GenAIFinishReason.STOP],
  ['eos', GenAIFinishReason.STOP],
  ['length', GenAIFinishReason.LENGTH],
  ['max_tokens', GenAIFinishReason.LENGTH],
  ['model_length', GenAIFinishReason.LENGTH],
  ['tool_calls', GenAIFinishReason.TOOL_CALL],
  ['tool_call', GenAIFinishReason.TOOL_CALL],
  ['tool_use', GenAIFinishReason.TOOL_CALL],
  ['function_call', GenAIFinishReason.TOOL_CALL],
  ['content_filter', GenAIFinishReason.CONTENT_FILTER],
  ['safety', GenAIFinishReason.CONTENT_FILTER],
  ['recitation', GenAIFinishReason.CONTENT_FILTER],
  ['refusal', GenAIFinishReason.CONTENT_FILTER],
  ['guardrail_intervened', GenAIFinishReason.CONTENT_FILTER],
  ['error', GenAIFinishReason.ERROR],
]);

/** One finish reason in the GenAI vocabulary (compared lower-cased, `-` as `_`); unknown ones as they are. */
export function genAIFinishReason(reason: string): string {
  return REASONS.get(reason.toLowerCase().replace(/-/g, '_')) ?? reason;
}
