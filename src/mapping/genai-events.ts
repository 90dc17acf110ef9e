/**
 * GenAI content carried as events — OTLP log records or span events — read into one shape, so a
 * prompt looks the same whether its producer put it in span attributes, in a span event or in a log
 * record. Pure: no I/O, no clock.
 *
 * | event | where the content is | becomes |
 * |---|---|---|
 * | `gen_ai.client.inference.operation.details` (current conventions) | `gen_ai.system_instructions`, `gen_ai.input.messages`, `gen_ai.output.messages` in the attributes or the body (structured values or JSON text) | input: instructions + messages; output: messages |
 * | `gen_ai.system.message` | body `{content}` | input message, role `system` |
 * | `gen_ai.user.message` | body `{content}` | input message, role `user` |
 * | `gen_ai.assistant.message` | body `{content, tool_calls: [{id, function: {name, arguments}}]}` | input message, role `assistant` (tool calls as `name(arguments)`; a call without arguments — capture off — is no content) |
 * | `gen_ai.tool.message` | body `{content, id}` | input message, role `tool` |
 * | `gen_ai.choice` | body `{index, finish_reason, message: {role, content, tool_calls}}` | output message |
 *
 * Body fields may also come as attributes of the same names (span events cannot carry a body).
 * `content` may be text or a list of OpenAI-style parts (`{type: 'text', text}`).
 */
import type { AttributeValue, Attributes } from '../model/span-record.js';
import { type MessageValue, renderInstructions, renderMessage, renderMessages } from './message-text.js';

/** The event name of the current conventions' one-event-per-call form. */
export const OPERATION_DETAILS_EVENT = 'gen_ai.client.inference.operation.details';

const MESSAGE_EVENTS: Readonly<Record<string, { role: string; output: boolean }>> = {
  'gen_ai.system.message': { role: 'system', output: false },
  'gen_ai.user.message': { role: 'user', output: false },
  'gen_ai.assistant.message': { role: 'assistant', output: false },
  'gen_ai.tool.message': { role: 'tool', output: false },
  'gen_ai.choice': { role: 'assistant', output: true },
};

/** The GenAI content of one event. */
export interface ContentEvent {
  readonly timeUnixNano: bigint;
  /** System instructions (rendered), when the event carries them. */
  readonly instructions?: string;
  /** Messages sent to the model (rendered, one per element). */
  readonly input: readonly string[];
  /** Messages the model answered (rendered). */
  readonly output: readonly string[];
}

/**
 * Reads the content of a GenAI event; `undefined` for other events and for GenAI events that
 * carry no content (a producer with content capture off).
 */
export function readContentEvent(name: string | undefined, body: AttributeValue, attributes: Attributes, timeUnixNano: bigint): ContentEvent | undefined {
  if (name === undefined) return undefined;
  const fields = bodyFields(body);
  const field = (key: string): unknown => plain(attributes[key] ?? fields[key]);
  if (name === OPERATION_DETAILS_EVENT) {
    const instructions = renderInstructions(field('gen_ai.system_instructions'));
    const input = renderedList(field('gen_ai.input.messages'));
    const output = renderedList(field('gen_ai.output.messages'));
    if (instructions === undefined && input.length === 0 && output.length === 0) return undefined;
    return { timeUnixNano, ...(instructions !== undefined ? { instructions } : {}), input, output };
  }
  const kind = MESSAGE_EVENTS[name];
  if (!kind) return undefined;
  const source = kind.output ? asRecord(field('message')) : undefined;
  const get = (key: string): unknown => (source ? source[key] : field(key));
  const message = toMessage(
    typeof get('role') === 'string' ? (get('role') as string) : kind.role,
    get('content'),
    get('tool_calls'),
    name === 'gen_ai.tool.message',
  );
  if (message === undefined) return undefined;
  const text = renderMessage(message);
  return { timeUnixNano, input: kind.output ? [] : [text], output: kind.output ? [text] : [] };
}

/** The texts of a span's content events, in time order (ties keep the given order). */
export function renderContentEvents(events: readonly ContentEvent[]): { input?: string; output?: string } {
  const ordered = [...events].sort((a, b) => (a.timeUnixNano < b.timeUnixNano ? -1 : a.timeUnixNano > b.timeUnixNano ? 1 : 0));
  const input: string[] = [];
  const output: string[] = [];
  for (const event of ordered) {
    if (event.instructions !== undefined) input.push(event.instructions);
    input.push(...event.input);
    output.push(...event.output);
  }
  return { ...(input.length > 0 ? { input: input.join('\n') } : {}), ...(output.length > 0 ? { output: output.join('\n') } : {}) };
}

/** A per-message event's fields as a semconv message; `undefined` when it has no content at all. */
function toMessage(role: string, content: unknown, toolCalls: unknown, isToolResult: boolean): MessageValue | undefined {
  const parts: unknown[] = [];
  if (content !== undefined && content !== null && content !== '') {
    if (isToolResult) parts.push({ type: 'tool_call_response', response: contentText(content) });
    else parts.push({ type: 'text', content: contentText(content) });
  }
  if (Array.isArray(toolCalls)) {
    for (const call of toolCalls) {
      const record = asRecord(call);
      const fn = asRecord(record?.['function']);
      // Without arguments the call was redacted (content capture off): it is no content.
      if (fn && fn['arguments'] !== undefined && fn['arguments'] !== null) parts.push({ type: 'tool_call', name: fn['name'], arguments: fn['arguments'] });
    }
  }
  return parts.length > 0 ? { role, parts } : undefined;
}

/** `content` as text: text stays, a list of OpenAI-style parts gives their texts, anything else JSON. */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    const texts = content.map((part) => {
      const record = asRecord(part);
      const text = record?.['text'] ?? record?.['content'];
      return typeof text === 'string' ? text : JSON.stringify(part);
    });
    return texts.join('\n');
  }
  return JSON.stringify(content);
}

/** Each message of a list rendered on its own (a JSON string is parsed; non-JSON text is one item). */
function renderedList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.map(renderMessage);
  const text = renderMessages(value);
  return text === undefined ? [] : [text];
}

function bodyFields(body: AttributeValue): Attributes {
  return body !== null && typeof body === 'object' && !Array.isArray(body) && !(body instanceof Uint8Array) ? (body as Attributes) : {};
}

/** An OTLP value as a plain value: int64 `bigint`s become numbers, bytes base64. */
function plain(value: AttributeValue | undefined): unknown {
  if (value === undefined || value === null) return value;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return (value as readonly AttributeValue[]).map(plain);
  if (typeof value === 'object') {
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value as Attributes)) result[key] = plain(item);
    return result;
  }
  return value;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
