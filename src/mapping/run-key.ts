import { createHash } from 'node:crypto';
import type { Attributes, SpanRecord } from '../model/span-record.js';
import type { GenAIFacts } from './conventions.js';

/**
 * How spans are grouped into Aim runs:
 * - `auto` (default): the `aim.run_key` attribute, else `gen_ai.conversation.id`, else `session.id`,
 *   else the trace id;
 * - `attribute`: only `aim.run_key` (else the trace id);
 * - `conversation`: `gen_ai.conversation.id` (else the trace id);
 * - `session`: `session.id` (else the trace id);
 * - `trace`: one run per trace;
 * - a function of the span returning a key (or undefined for the trace id).
 */
export type RunKeyStrategy = 'auto' | 'attribute' | 'conversation' | 'session' | 'trace' | ((span: SpanRecord) => string | undefined);

const RUN_KEY_ATTRIBUTES: Record<Exclude<RunKeyStrategy, 'trace' | ((span: SpanRecord) => string | undefined)>, readonly string[]> = {
  auto: ['aim.run_key', 'gen_ai.conversation.id', 'session.id'],
  attribute: ['aim.run_key'],
  conversation: ['gen_ai.conversation.id'],
  session: ['session.id'],
};

/**
 * The explicit run key a span carries under `strategy`, or undefined (then its trace decides).
 * The key is the attribute's value itself, whichever attribute supplied it, so a Collector that
 * copies the conversation id (or the trace id) into `aim.run_key` puts spans in the same run as a
 * bridge that reads the conversation id (or trace id) itself.
 */
export function explicitRunKey(span: SpanRecord, strategy: RunKeyStrategy): string | undefined {
  if (typeof strategy === 'function') {
    try {
      return nonEmpty(strategy(span));
    } catch {
      return undefined; // a user function that throws must not lose the span
    }
  }
  return attributeRunKey(span.attributes, span.origin.resource, strategy);
}

/**
 * The run key named by attributes (else the resource's) under an attribute-based strategy; `undefined`
 * for `trace` and for a function strategy (which only spans are given to).
 */
export function attributeRunKey(attributes: Attributes, resource: Attributes, strategy: RunKeyStrategy): string | undefined {
  if (strategy === 'trace' || typeof strategy === 'function') return undefined;
  for (const name of RUN_KEY_ATTRIBUTES[strategy]) {
    const value = attributes[name] ?? resource[name];
    const key = typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint' ? nonEmpty(String(value)) : undefined;
    if (key !== undefined) return key;
  }
  return undefined;
}

/** The run key of spans with no explicit key: their trace id. */
export function traceRunKey(traceId: string): string {
  return traceId;
}

/** How spans with no run key of their own, nor of their trace, are grouped (today: by trace). */
export interface UnkeyedRunOptions {
  /** `trace` (default): one run per trace. */
  readonly grouping?: 'trace';
}

/**
 * The run key of a span that has no explicit key and whose trace has none either (see
 * {@link UnkeyedRunOptions}); `facts` are the span's GenAI facts, if it has any.
 */
export function unkeyedRunKey(span: SpanRecord, _facts: GenAIFacts | undefined, _options: UnkeyedRunOptions | undefined): string {
  return traceRunKey(span.traceId);
}

/**
 * The Aim run hash of a run key: the first 24 hex digits of SHA-256(namespace, key). The same key
 * gives the same run in every process, so late spans, replays and several bridge replicas all land
 * in one run. `namespace` (default empty) separates deployments sharing a repository.
 */
export function runHash(key: string, namespace = ''): string {
  return createHash('sha256').update(`aim-otel-bridge\0${namespace}\0${key}`).digest('hex').slice(0, 24);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
