/**
 * GenAI facts producers record as span events rather than attributes:
 *
 * | fact | event | read |
 * |---|---|---|
 * | time to first token (s) | `First Token Stream Event` (OpenInference, streaming) | event time − span start |
 * | input text | `gen_ai.content.prompt` (older OpenLLMetry / OpenTelemetry instrumentations) | attribute `gen_ai.prompt` (OpenAI messages JSON) |
 * | output text | `gen_ai.content.completion` (same) | attribute `gen_ai.completion` (OpenAI messages or choices JSON) |
 */
import type { SpanRecord } from '../model/span-record.js';
import { str } from './attribute-read.js';
import { renderChatMessages } from './chat-messages.js';

/** OpenInference's event at the first streamed token. */
export const FIRST_TOKEN_EVENT = 'First Token Stream Event';

/** Seconds from the span's start to its first `First Token Stream Event`; undefined without one. */
export function firstTokenSecondsFromEvents(span: SpanRecord): number | undefined {
  const event = span.events.find((e) => e.name === FIRST_TOKEN_EVENT);
  if (!event || event.timeUnixNano < span.startTimeUnixNano) return undefined;
  return Number(event.timeUnixNano - span.startTimeUnixNano) / 1e9;
}

/** The prompt of a `gen_ai.content.prompt` event (`gen_ai.prompt`), rendered as `role: content` lines. */
export function promptFromEvents(span: SpanRecord): string | undefined {
  return contentEvent(span, 'gen_ai.content.prompt', 'gen_ai.prompt');
}

/** The completion of a `gen_ai.content.completion` event (`gen_ai.completion`), rendered as `role: content` lines. */
export function completionFromEvents(span: SpanRecord): string | undefined {
  return contentEvent(span, 'gen_ai.content.completion', 'gen_ai.completion');
}

function contentEvent(span: SpanRecord, eventName: string, attribute: string): string | undefined {
  const texts: string[] = [];
  for (const event of span.events) {
    const content = event.name === eventName ? renderChatMessages(str(event.attributes, attribute)) : undefined;
    if (content !== undefined) texts.push(content);
  }
  return texts.length > 0 ? texts.join('\n') : undefined;
}
