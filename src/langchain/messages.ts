/**
 * LangChain messages → the conventions' message parts. Content goes through LangChain's own
 * normalisation (`message.contentBlocks`, the v1 standard blocks that every provider format maps
 * to), then each block becomes a part: text, reasoning, tool_call, tool_call_response,
 * server_tool_call(_response), blob / uri / file for multimodal data, and a generic part otherwise.
 */
import type { ChatMessage, MessagePart, OutputMessage, SystemInstructions } from '../semconv/parts.js';
import { GenAIFinishReason } from '../semconv/values.js';
import { asRecord, asString } from './read.js';
import type { UnknownRecord } from './read.js';
import type { ResponseChoice } from './response.js';

/** Options of the conversion. */
export interface PartOptions {
  /** Keep base64 payloads of blobs; otherwise they are replaced by their size. */
  readonly captureBinary: boolean;
}

const ROLES: ReadonlyMap<string, string> = new Map([
  ['human', 'user'],
  ['user', 'user'],
  ['ai', 'assistant'],
  ['assistant', 'assistant'],
  ['system', 'system'],
  ['developer', 'system'],
  ['tool', 'tool'],
  ['function', 'tool'],
]);

/** Whether `value` looks like a LangChain message or a `{role, content}` message dict. */
export function isMessageLike(value: unknown): value is UnknownRecord {
  const record = asRecord(value);
  return record !== undefined && 'content' in record && (typeof record['type'] === 'string' || typeof record['role'] === 'string');
}

function roleOf(message: UnknownRecord): string {
  const type = asString(message['type']);
  if (type !== undefined && type !== 'generic' && type !== 'chat') return ROLES.get(type) ?? type;
  // Only now `role` (LangChain's generic ChatMessage, or a `{role, content}` dict): most messages have none.
  const role = asString(message['role']);
  return role !== undefined ? (ROLES.get(role) ?? role) : 'user';
}

function modalityOf(type: string, mimeType: string | undefined): string {
  if (type === 'image' || type === 'audio' || type === 'video') return type;
  const major = mimeType?.split('/')[0];
  return major === 'image' || major === 'audio' || major === 'video' ? major : 'document';
}

function base64Of(data: unknown): string | undefined {
  if (typeof data === 'string') return data;
  if (data instanceof Uint8Array) return Buffer.from(data).toString('base64');
  return undefined;
}

function blobPart(modality: string, mimeType: string | undefined, base64: string, options: PartOptions): MessagePart {
  const part: MessagePart = options.captureBinary
    ? { type: 'blob', modality, content: base64 }
    : { type: 'blob', modality, content: '', content_omitted_bytes: Math.floor((base64.length * 3) / 4) };
  if (mimeType !== undefined) part['mime_type'] = mimeType;
  return part;
}

const DATA_URL = /^data:([^;,]+)?(?:;[^,]*)?;base64,(.*)$/s;

function dataPart(block: UnknownRecord, type: string, options: PartOptions): MessagePart {
  let mimeType = asString(block['mimeType']) ?? asString(block['mime_type']);
  const base64 = base64Of(block['data']);
  if (base64 !== undefined) return blobPart(modalityOf(type, mimeType), mimeType, base64, options);
  const url = asString(block['url']);
  if (url !== undefined) {
    const match = DATA_URL.exec(url);
    if (match !== null) {
      mimeType ??= match[1];
      return blobPart(modalityOf(type, mimeType), mimeType, match[2] ?? '', options);
    }
    const part: MessagePart = { type: 'uri', modality: modalityOf(type, mimeType), uri: url };
    if (mimeType !== undefined) part['mime_type'] = mimeType;
    return part;
  }
  const fileId = asString(block['fileId']) ?? asString(block['file_id']) ?? asString(block['id']);
  if (fileId !== undefined) {
    const part: MessagePart = { type: 'file', modality: modalityOf(type, mimeType), file_id: fileId };
    if (mimeType !== undefined) part['mime_type'] = mimeType;
    return part;
  }
  return { type, ...block };
}

function withId<T extends MessagePart>(part: T, id: unknown): T {
  const value = asString(id);
  if (value !== undefined) (part as Record<string, unknown>)['id'] = value;
  return part;
}

/** One standard content block → one part. */
function partOf(block: UnknownRecord, options: PartOptions): MessagePart | undefined {
  const type = asString(block['type']);
  switch (type) {
    case 'text':
      return { type: 'text', content: asString(block['text']) ?? '' };
    case 'text-plain':
      return { type: 'text', content: asString(block['text']) ?? '' };
    case 'reasoning':
      return { type: 'reasoning', content: asString(block['reasoning']) ?? '' };
    case 'tool_call':
    case 'invalid_tool_call':
    case 'tool_call_chunk':
      return withId({ type: 'tool_call', name: asString(block['name']) ?? '', arguments: block['args'] }, block['id']);
    case 'server_tool_call':
      return withId(
        {
          type: 'server_tool_call',
          name: asString(block['name']) ?? '',
          server_tool_call: { type: asString(block['name']) ?? 'server_tool', arguments: block['args'] },
        },
        block['id'],
      );
    case 'server_tool_call_result':
      return withId(
        {
          type: 'server_tool_call_response',
          server_tool_call_response: { type: 'result', status: block['status'], output: block['output'] },
        },
        block['toolCallId'],
      );
    case 'image':
    case 'audio':
    case 'video':
    case 'file':
      return dataPart(block, type, options);
    case undefined:
      return undefined;
    default:
      return { ...block, type };
  }
}

function contentBlocksOf(message: UnknownRecord): unknown[] {
  try {
    // The getter normalises provider formats (OpenAI image_url, Anthropic source blocks…); it is
    // LangChain code and may throw on odd content, hence the fallback to the raw content.
    const blocks: unknown = message['contentBlocks'];
    if (Array.isArray(blocks)) return blocks;
  } catch {
    // fall through
  }
  const content = message['content'];
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return Array.isArray(content) ? content : [];
}

/** The parts of a message. Tool results become one `tool_call_response` part. */
export function partsOf(message: UnknownRecord, options: PartOptions, role: string = roleOf(message)): MessagePart[] {
  if (role === 'tool') {
    return [withId({ type: 'tool_call_response', response: toolResponseValue(message['content']) }, message['tool_call_id'])];
  }
  const parts: MessagePart[] = [];
  const content = message['content'];
  if (typeof content === 'string') {
    // The common case needs none of LangChain's block conversion: text, then the tool calls.
    if (content !== '') parts.push({ type: 'text', content });
    appendToolCalls(parts, message['tool_calls']);
    return parts;
  }
  for (const block of contentBlocksOf(message)) {
    const record = typeof block === 'string' ? { type: 'text', text: block } : asRecord(block);
    const part = record !== undefined ? partOf(record, options) : undefined;
    // An empty text block is LangChain's `content: ''` next to tool calls, not content.
    if (part !== undefined && !(part.type === 'text' && part['content'] === '')) parts.push(part);
  }
  // Dict-style messages ({role, content, tool_calls}) have no contentBlocks getter.
  if (!('contentBlocks' in message)) appendToolCalls(parts, message['tool_calls']);
  return parts;
}

function appendToolCalls(parts: MessagePart[], toolCalls: unknown): void {
  if (!Array.isArray(toolCalls)) return;
  for (const call of toolCalls as unknown[]) {
    const record = asRecord(call);
    if (record !== undefined) parts.push(withId({ type: 'tool_call', name: asString(record['name']) ?? '', arguments: record['args'] }, record['id']));
  }
}

/** A tool result value: parsed JSON when the text is JSON, else the text / blocks as they are. */
export function toolResponseValue(content: unknown): unknown {
  if (typeof content !== 'string') return content;
  const trimmed = content.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return JSON.parse(content) as unknown;
    } catch {
      return content;
    }
  }
  return content;
}

/** One chat message. */
export function chatMessageOf(message: UnknownRecord, options: PartOptions): ChatMessage {
  return chatMessageWithRole(message, roleOf(message), options);
}

function chatMessageWithRole(message: UnknownRecord, role: string, options: PartOptions): ChatMessage {
  const out: ChatMessage = { role, parts: partsOf(message, options, role) };
  const name = asString(message['name']);
  if (name !== undefined) out.name = name;
  return out;
}

/**
 * A chat model's input: the leading system messages become `gen_ai.system_instructions` (LangChain
 * keeps the system prompt as the first message; most provider adapters send it as a separate
 * instruction field), everything else `gen_ai.input.messages`.
 */
export function chatInput(messages: readonly unknown[], options: PartOptions): { system: SystemInstructions | undefined; input: ChatMessage[] } {
  const system: MessagePart[] = [];
  const input: ChatMessage[] = [];
  let leading = true;
  for (const item of messages) {
    const message = asRecord(item);
    if (message === undefined) continue;
    const role = roleOf(message);
    if (leading && role === 'system') {
      system.push(...partsOf(message, options, role));
      continue;
    }
    leading = false;
    input.push(chatMessageWithRole(message, role, options));
  }
  return { system: system.length > 0 ? system : undefined, input };
}

/** A text-completion prompt as one user message. */
export function promptInput(prompt: string): ChatMessage[] {
  return [{ role: 'user', parts: [{ type: 'text', content: prompt }] }];
}

/** The output messages (one per choice) of a finished chat-model / LLM run. */
export function outputMessages(choices: readonly ResponseChoice[], options: PartOptions): OutputMessage[] {
  return choices.map(({ choice, message, finishReason }) => ({
    role: 'assistant',
    parts: message !== undefined ? partsOf(message, options) : [{ type: 'text' as const, content: asString(choice['text']) ?? '' }],
    finish_reason: finishReason ?? GenAIFinishReason.STOP,
  }));
}

/** Messages of a chain's inputs/outputs (`{messages: [...]}` as LangGraph agents use), if any. */
export function messagesIn(values: unknown): unknown[] | undefined {
  const record = asRecord(values);
  const messages = record?.['messages'] ?? (Array.isArray(values) ? values : undefined);
  return Array.isArray(messages) && messages.length > 0 && messages.every(isMessageLike) ? messages : undefined;
}
