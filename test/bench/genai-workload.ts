/**
 * The GenAI workload the Aim write-path benchmarks share: span `i` is a chat call in one of
 * `conversations` conversations, with its prompt and completion (GenAI semconv JSON), token usage
 * and time to first chunk — which the bridge writes as three texts (prompt, completion, the
 * `gen_ai.response` line) and five metric points (input, output and total tokens, duration, time to
 * first token).
 */

/** The model every workload span names. */
export const WORKLOAD_MODEL = 'gpt-bench';

/** Texts and metric points the bridge writes for one workload span. */
export const TEXTS_PER_SPAN = 3;
export const METRIC_POINTS_PER_SPAN = 5;

/** The attributes of workload span `i`, a call in conversation number `conversation`. */
export function chatAttributes(i: number, conversation: number): Record<string, string | number> {
  return {
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': 'openai',
    'gen_ai.request.model': WORKLOAD_MODEL,
    'gen_ai.request.temperature': 0.7,
    'gen_ai.conversation.id': `conversation-${String(conversation)}`,
    'gen_ai.usage.input_tokens': 100 + (i % 1000),
    'gen_ai.usage.output_tokens': 20 + (i % 7),
    'gen_ai.response.time_to_first_chunk': 0.05 + (i % 10) / 100,
    'gen_ai.input.messages': JSON.stringify([
      { role: 'system', parts: [{ type: 'text', content: 'You are a helpful assistant. Answer briefly.' }] },
      { role: 'user', parts: [{ type: 'text', content: `Question ${String(i)}: what is the capital of the country with code ${String(i % 200)}?` }] },
    ]),
    'gen_ai.output.messages': JSON.stringify([
      {
        role: 'assistant',
        parts: [{ type: 'text', content: `Answer ${String(i)}: the capital you asked about is a city of about ${String(1000 + i)} thousand people.` }],
        finish_reason: 'stop',
      },
    ]),
  };
}
