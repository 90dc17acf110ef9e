import { createHash } from 'node:crypto';
import type { AttributeValue, Attributes, SpanRecord } from '../model/span-record.js';
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

/**
 * How root-level model calls that carry no run key are grouped into runs:
 * - `trace`: one run per trace (run key = the trace id). Every independent call is a run of its
 *   own: faithful (one run = one request), but a service making N calls makes N runs.
 * - `window`: one run per service, model variant and time window ({@link windowRunKey}), so the
 *   number of runs stays bounded however many calls come.
 */
export type UnkeyedGrouping = 'trace' | 'window';

/** The default length of a `window` run: one hour, in ms. */
export const DEFAULT_RUN_WINDOW_MS = 3_600_000;

/**
 * Where spans with no run key of their own, nor of their trace, go.
 *
 * With `grouping: 'window'`, a **root-level model call** — a GenAI span of role `llm` or
 * `embedding` with no parent span, no run key (`aim.run_key`, conversation or session id under the
 * run-key strategy) and no keyed trace — goes to the run of its service (resource `service.name`,
 * with `service.namespace` and `deployment.environment.name` when set), its model variant
 * (provider + request model) and the time window its start falls in. Every other unkeyed span
 * keeps one run per trace: a trace with structure (a root chain, agent or workflow span, or a
 * model call under a parent span) is a meaningful run of its own.
 *
 * What a window run holds: every such call of that service and model in that window, as metric
 * and text points at the calls' own steps (time order), with `otel.traces` (count, first and last
 * traces) linking them. How many runs: services × model variants × windows (10,000 calls of one service
 * and one model within an hour are one run, not 10,000). What is lost: one run is no longer one
 * request; a single call is found by its step (its start time, see `spanStep`) or its trace id.
 * Choosing the window: long enough that a window holds many calls (new runs are what cost Aim:
 * each is tens of ms of `aim server` time and an indexing job), short enough that a run is a
 * period one compares (an hour of traffic, a day of an eval job). Windows are aligned to the
 * Unix epoch in UTC: one that divides a day starts at round UTC times (1 h windows at every
 * full hour, 1 d windows at 00:00 UTC).
 */
export interface UnkeyedRunOptions {
  /**
   * {@link UnkeyedGrouping}. Default `trace` for the mapping, the sink and `AimSpanExporter`;
   * the receiver (`createReceiver`, `aim-otel-bridge serve` and `up`) defaults to `window`.
   */
  readonly grouping?: UnkeyedGrouping;
  /**
   * Length of a `window` run, in ms; a positive integer, else the default is used.
   * Default {@link DEFAULT_RUN_WINDOW_MS} (1 h).
   */
  readonly windowMs?: number;
}

/**
 * The run key of a span that has no explicit key and whose trace has none either (see
 * {@link UnkeyedRunOptions}); `facts` are the span's GenAI facts, if it has any. Its trace id,
 * unless `options.grouping` is `window` and the span is a root-level model call: then
 * {@link windowRunKey}. Deterministic: the same span gives the same key in every process.
 */
export function unkeyedRunKey(span: SpanRecord, facts: GenAIFacts | undefined, options: UnkeyedRunOptions | undefined): string {
  if (options?.grouping !== 'window' || span.parentSpanId !== undefined || (facts?.role !== 'llm' && facts?.role !== 'embedding')) {
    return traceRunKey(span.traceId);
  }
  return windowRunKey(span, facts, options.windowMs);
}

/** What a `window` run key names (see {@link windowRunKey}). */
export interface WindowRun {
  /** Resource `service.name` (`unknown_service` when the resource names none). */
  readonly service: string;
  /** Resource `service.namespace`, when set. */
  readonly namespace?: string;
  /** Resource `deployment.environment.name` (else the older `deployment.environment`), when set. */
  readonly environment?: string;
  /** The provider (`gen_ai.provider.name`, else the producer's equivalent), when known. */
  readonly provider?: string;
  /** The request model (else the response model), when known. */
  readonly model?: string;
  /** Start of the window, in ms since the epoch (UTC). */
  readonly startMs: number;
  /** Length of the window, in ms. */
  readonly windowMs: number;
}

const WINDOW_FIELDS = ['namespace', 'service', 'environment', 'provider', 'model'] as const;

/**
 * The run key of a root-level model call under `window` grouping:
 * `unkeyed:` + `field=value` pairs joined by `;` — `namespace` (when set), `service`,
 * `environment` (when set), `provider` and `model` (when known), and `window` = the window as an
 * ISO 8601 interval (start/duration), e.g.
 * `unkeyed:service=checkout;provider=openai;model=gpt-4o-mini;window=2026-12-01T13:00:00.000Z/PT1H`.
 * `%`, `;` and `=` in values are percent-encoded, so distinct runs never share a key. The window
 * length is part of the key: bridges configured with different windows write different runs
 * rather than overlapping ones.
 */
export function windowRunKey(span: SpanRecord, facts: Pick<GenAIFacts, 'provider' | 'model'>, windowMs?: number): string {
  const length = validWindow(windowMs);
  const startMs = span.startTimeUnixNano / 1_000_000n;
  const window = BigInt(length);
  // Floored toward −∞, and kept within the dates JavaScript can write (±8.64e15 ms).
  const floored = clamp(startMs - (((startMs % window) + window) % window), -MAX_DATE_MS, MAX_DATE_MS);
  const resource = span.origin.resource;
  const run: WindowRun = {
    service: resourceText(resource['service.name']) ?? 'unknown_service',
    ...optional('namespace', resourceText(resource['service.namespace'])),
    ...optional('environment', resourceText(resource['deployment.environment.name']) ?? resourceText(resource['deployment.environment'])),
    ...optional('provider', facts.provider),
    ...optional('model', facts.model),
    startMs: Number(floored),
    windowMs: length,
  };
  const fields = WINDOW_FIELDS.flatMap((name) => (run[name] === undefined ? [] : [`${name}=${escapeValue(run[name])}`]));
  return `unkeyed:${[...fields, `window=${new Date(run.startMs).toISOString()}/${isoDuration(length)}`].join(';')}`;
}

/**
 * What a `window` run key names, or undefined for any other key (e.g. to name the run:
 * `<service> · <model> · <window start> UTC`).
 */
export function parseWindowRunKey(key: string): WindowRun | undefined {
  if (!key.startsWith('unkeyed:')) return undefined;
  const values = new Map<string, string>();
  for (const pair of key.slice('unkeyed:'.length).split(';')) {
    const at = pair.indexOf('=');
    if (at <= 0) return undefined;
    values.set(pair.slice(0, at), unescapeValue(pair.slice(at + 1)));
  }
  const window = /^(.+)\/(P.+)$/.exec(values.get('window') ?? '');
  const service = values.get('service');
  const startMs = window?.[1] !== undefined ? Date.parse(window[1]) : NaN;
  const windowMs = window?.[2] !== undefined ? parseIsoDuration(window[2]) : undefined;
  if (service === undefined || Number.isNaN(startMs) || windowMs === undefined) return undefined;
  const run: WindowRun = { service, startMs, windowMs };
  return WINDOW_FIELDS.reduce<WindowRun>((parsed, name) => (name === 'service' ? parsed : { ...parsed, ...optional(name, values.get(name)) }), run);
}

/**
 * Reads a window length written as `<number><unit>` parts, units `ms`, `s`, `m`, `h`, `d`
 * (`1h`, `15m`, `1h30m`, `1d`); undefined unless it is at least one second.
 */
export function parseRunWindow(text: string): number | undefined {
  const trimmed = text.trim().toLowerCase();
  if (!/^(\d+(ms|s|m|h|d))+$/.test(trimmed)) return undefined;
  let ms = 0;
  for (const [, count, unit] of trimmed.matchAll(/(\d+)(ms|s|m|h|d)/g)) ms += Number(count) * UNIT_MS[unit as keyof typeof UNIT_MS];
  return Number.isSafeInteger(ms) && ms >= 1_000 ? ms : undefined;
}

const MAX_DATE_MS = 8_640_000_000_000_000n;

function clamp(value: bigint, min: bigint, max: bigint): bigint {
  return value < min ? min : value > max ? max : value;
}

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

function validWindow(windowMs: number | undefined): number {
  return windowMs !== undefined && Number.isSafeInteger(windowMs) && windowMs > 0 ? windowMs : DEFAULT_RUN_WINDOW_MS;
}

/** An ISO 8601 duration: `P1D`, `PT1H`, `PT1H30M`, `PT0.5S`. */
function isoDuration(ms: number): string {
  if (ms % UNIT_MS.d === 0) return `P${String(ms / UNIT_MS.d)}D`;
  const hours = Math.floor(ms / UNIT_MS.h);
  const minutes = Math.floor((ms % UNIT_MS.h) / UNIT_MS.m);
  const seconds = (ms % UNIT_MS.m) / 1_000;
  return `PT${hours > 0 ? `${String(hours)}H` : ''}${minutes > 0 ? `${String(minutes)}M` : ''}${seconds > 0 ? `${String(seconds)}S` : ''}`;
}

/** The inverse of {@link isoDuration}. */
function parseIsoDuration(text: string): number | undefined {
  const match = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text);
  if (!match) return undefined;
  const [, days = '0', hours = '0', minutes = '0', seconds = '0'] = match;
  const ms = Number(days) * UNIT_MS.d + Number(hours) * UNIT_MS.h + Number(minutes) * UNIT_MS.m + Math.round(Number(seconds) * 1_000);
  return ms > 0 ? ms : undefined;
}

function escapeValue(value: string): string {
  return value.replace(/[%;=]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function unescapeValue(value: string): string {
  return value.replace(/%(25|3B|3D)/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

function resourceText(value: AttributeValue | undefined): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

function optional<K extends string>(name: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [name]: value }) as { [P in K]?: string };
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
