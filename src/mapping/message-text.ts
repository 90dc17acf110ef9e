/**
 * GenAI chat messages as the readable text Aim shows: one `role: content` line per message, tool
 * calls as `name(arguments)` (arguments as compact JSON), tool results as their content. Accepts the GenAI semconv shapes
 * (`[{role, parts: [{type, ...}]}]`, `gen_ai.system_instructions` parts) as parsed values, as
 * JSON text, or as OTLP `AnyValue`s already turned into plain values.
 */

/** A chat message in the GenAI semconv shape (extra keys allowed). */
export interface MessageValue {
  readonly role: string;
  readonly parts: readonly unknown[];
}

/**
 * Renders a list of messages; `undefined` when `messages` is not a list. A JSON string is parsed
 * first; text that is not JSON (e.g. truncated) is returned as it is.
 */
export function renderMessages(messages: unknown): string | undefined {
  const list = parsedList(messages);
  if (typeof list === 'string') return list;
  if (list === undefined) return undefined;
  return list.map(renderMessage).join('\n');
}

/** Renders `gen_ai.system_instructions` (a list of parts, or plain text) as one `system: ...` line. */
export function renderInstructions(instructions: unknown): string | undefined {
  if (instructions === undefined || instructions === null) return undefined;
  const list = parsedList(instructions);
  if (typeof list === 'string') return `system: ${list}`;
  if (list === undefined) return `system: ${typeof instructions === 'string' ? instructions : JSON.stringify(instructions)}`;
  return `system: ${list.map(renderPart).join('\n')}`;
}

/** One message: `role: part\npart...`. Parts may also be given as OpenAI-style `content`. */
export function renderMessage(message: unknown): string {
  if (!isRecord(message)) return String(message);
  const role = typeof message['role'] === 'string' ? message['role'] : 'message';
  const parts = Array.isArray(message['parts']) ? (message['parts'] as unknown[]) : [];
  return `${role}: ${parts.map(renderPart).join('\n')}`;
}

/** One message part. */
export function renderPart(part: unknown): string {
  if (!isRecord(part)) return typeof part === 'string' ? part : JSON.stringify(part);
  switch (part['type']) {
    case 'text':
    case 'reasoning':
      return asText(part['content'] ?? part['text']);
    case 'tool_call':
      return `${String(part['name'])}(${argumentsText(part['arguments'])})`;
    case 'tool_call_response':
      return asText(part['response'] ?? part['result']);
    default:
      return JSON.stringify(part);
  }
}

/**
 * Tool call arguments as compact JSON, whether the producer sent the model's JSON text or the
 * parsed value (so one call reads the same from every producer); text that is not a JSON object or
 * list stays as it is.
 */
function argumentsText(value: unknown): string {
  if (value === undefined || value === null) return '{}';
  if (typeof value !== 'string') return JSON.stringify(value);
  try {
    const parsed: unknown = JSON.parse(value);
    return parsed !== null && typeof parsed === 'object' ? JSON.stringify(parsed) : value;
  } catch {
    return value;
  }
}

function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  return value === undefined ? '' : JSON.stringify(value);
}

/** A list from a list or its JSON text; the text itself when it is not JSON; else undefined. */
function parsedList(value: unknown): readonly unknown[] | string | undefined {
  if (Array.isArray(value)) return value as readonly unknown[];
  if (typeof value !== 'string') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return value;
  }
  return Array.isArray(parsed) ? (parsed as readonly unknown[]) : value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
