/**
 * Renders chat messages of the formats producers put outside the GenAI semconv message shape as
 * the same readable text the semconv messages get (`renderMessages` in message-text.ts): one
 * `role: content` line per message, tool calls as `name(arguments)`, tool results as their value.
 *
 * Formats read: OpenAI messages and choices (`{role, content, tool_calls: [{function: {name,
 * arguments}}]}`, `{message: {...}}`), which the deprecated `gen_ai.prompt` / `gen_ai.completion`
 * event attributes carry, and the Vercel AI SDK's model messages (`{role, content: string | [{type:
 * 'text' | 'reasoning', text} | {type: 'tool-call', toolName, input | args} | {type: 'tool-result',
 * output | result}]}`).
 */
import { isObject, parseJson } from './attribute-read.js';

/**
 * A JSON list of chat messages as `role: content` lines. Text that is not a JSON list (truncated,
 * or Python's repr of a list, as some producers send) is returned as it is.
 */
export function renderChatMessages(json: string | undefined): string | undefined {
  if (json === undefined) return undefined;
  const messages = parseJson(json);
  return Array.isArray(messages) ? messages.map(renderChatMessage).join('\n') : json;
}

/** One chat message as `role: content` (parts, tool calls each on their own line). */
export function renderChatMessage(message: unknown): string {
  if (typeof message === 'string') return message;
  if (!isObject(message)) return JSON.stringify(message);
  if (isObject(message['message'])) return renderChatMessage(message['message']); // an OpenAI choice
  const role = typeof message['role'] === 'string' ? message['role'] : 'message';
  const pieces: string[] = [];
  const content = message['content'];
  if (typeof content === 'string') pieces.push(content);
  else if (Array.isArray(content)) pieces.push(...content.map(renderContentPart));
  else if (content !== undefined && content !== null) pieces.push(JSON.stringify(content));
  const toolCalls = message['tool_calls'];
  if (Array.isArray(toolCalls)) pieces.push(...toolCalls.map(renderOpenAIToolCall));
  if (isObject(message['function_call'])) pieces.push(renderOpenAIToolCall({ function: message['function_call'] }));
  return `${role}: ${pieces.join('\n')}`;
}

/** A tool call as `name(arguments)`, arguments as compact JSON (a JSON string of them is parsed first). */
export function renderToolCall(name: unknown, args: unknown): string {
  const value = typeof args === 'string' ? (parseJson(args) ?? args) : (args ?? {});
  return `${String(name)}(${JSON.stringify(value)})`;
}

/**
 * A tool result as text: a string as it is; the Vercel AI SDK's typed outputs (`{type: 'text' |
 * 'error-text', value}` as the value, `{type: 'json' | 'error-json', value}` as JSON, `{type:
 * 'content', value: parts}` as their texts); anything else as JSON.
 */
export function renderToolResult(output: unknown): string {
  if (typeof output === 'string') return output;
  if (isObject(output) && typeof output['type'] === 'string' && 'value' in output) {
    const value = output['value'];
    switch (output['type']) {
      case 'text':
      case 'error-text':
        return typeof value === 'string' ? value : JSON.stringify(value);
      case 'content':
        return Array.isArray(value) ? value.map(renderContentPart).join('\n') : JSON.stringify(value);
      default:
        return JSON.stringify(value);
    }
  }
  return JSON.stringify(output);
}

function renderContentPart(part: unknown): string {
  if (typeof part === 'string') return part;
  if (!isObject(part)) return JSON.stringify(part);
  switch (part['type']) {
    case 'text':
    case 'reasoning':
      return typeof part['text'] === 'string' ? part['text'] : JSON.stringify(part['text']);
    case 'tool-call':
      return renderToolCall(part['toolName'], part['input'] ?? part['args']);
    case 'tool-result':
      return renderToolResult(part['output'] ?? part['result']);
    default:
      return JSON.stringify(part);
  }
}

function renderOpenAIToolCall(call: unknown): string {
  if (!isObject(call)) return JSON.stringify(call);
  const fn = isObject(call['function']) ? call['function'] : call;
  return renderToolCall(fn['name'], fn['arguments']);
}
