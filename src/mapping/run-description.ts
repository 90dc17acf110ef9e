/**
 * What makes a run findable in Aim: a name that tells it apart from the other runs, the ids
 * (conversation, session, user) as params Aim's query language reaches, and a bounded link to the
 * run's traces. Pure, like the rest of the mapping: {@link RunDescription} reads one batch, and
 * {@link TraceSummary} is the merge the applier runs over batches.
 *
 * **Name** (when no `aim.run_name` names the run) — `<label> · <what sets the run apart>`:
 *
 * | run keyed by | name | example |
 * |---|---|---|
 * | `gen_ai.conversation.id` | `<label> · conversation <id>` | `support · conversation c-17` |
 * | `session.id` | `<label> · session <id>` | `ChatCompletion · session s-4` |
 * | `aim.run_key` (or another key) | `<label> · <key>` | `triage · ab-test-7` |
 * | the trace (one run per trace) | `<label> · HH:MM:SS · trace <8 hex>` (UTC start of the trace's root) | `chat m-alpha · 14:03:22 · trace 4bf92f35` |
 * | a time window (unkeyed root-level model calls, `windowRunKey`) | `<service> · <provider>/<model> · <window start> UTC, <length>` (from the key alone) | `checkout · openai/gpt-4o-mini · 2026-12-01 13:00 UTC, 1h` |
 *
 * The label is the agent or workflow the root span of the trace is (`gen_ai.agent.name`,
 * `agent.name`, an OpenInference `AGENT` span's name, OpenLLMetry's `traceloop.entity.name` of an
 * agent or workflow span, `gen_ai.workflow.name`, `traceloop.workflow.name`), else the root span's
 * name. Only a batch that holds a root span of the run names it ({@link RunDescription.name}):
 * children arrive before their root (a span is exported when it ends), and such a batch must not
 * rename a run into something worse. A batch without a root span offers a default name instead
 * ({@link RunDescription.defaultName}, the plan's `defaultName`), from the first agent or workflow
 * among its spans, else its earliest span's name, which the applier gives only to a run that is
 * new in Aim: so a run whose traces have no GenAI root (an HTTP server span the Collector filtered
 * out) is still named.
 * Names depend only on the spans, so a replay writes the same name.
 *
 * **Params** (strings; the first span of the batch that carries one, attributes before resource):
 * `gen_ai.conversation.id`; `session.id` (from `session.id`, OpenLLMetry's
 * `traceloop.association.properties.session_id`, `langfuse.session.id`); `user.id` (from `user.id`,
 * `enduser.id`, `traceloop.association.properties.user_id`, `langfuse.user.id`). Query them as
 * `run.gen_ai.conversation.id == "c-17"`, `run.session.id == "s-4"`, `run.user.id == "u-1"`.
 *
 * **Trace link** — the param `otel.traces` (see {@link TraceSummary}), which the applier writes
 * from the batches' traces ({@link RunDescription.traces}, the plan's `traces`): `count` (an Aim
 * int), `first` and `last` (the 3 earliest and the 3 latest traces, each `{trace_id, start}` with
 * `start` an ISO 8601 UTC time; `last` leaves out what `first` lists) and, when a template is
 * configured (`MappingOptions.traceLink`, e.g. `http://localhost:16686/trace/{trace_id}`), `link`
 * to the latest trace.
 */
import type { AttributeValue, SpanRecord } from '../model/span-record.js';
import type { ParamWrite, PlanTraces, PlanValue, TraceMark } from './aim-plan.js';
import type { GenAIFacts } from './conventions.js';
import { type WindowRun, parseWindowRunKey } from './run-key.js';
import type { MappingOptions } from './to-aim.js';

/** Between the parts of a name. */
const SEPARATOR = ' · ';
/** Longest label and id a name shows (longer ones end in `…`). */
const MAX_LABEL = 64;
const MAX_ID = 48;

/** Where a run's id params are read from, first name first (span attributes, then resource). */
const ID_PARAMS: readonly { readonly name: string; readonly path: readonly string[]; readonly attributes: readonly string[] }[] = [
  { name: 'gen_ai.conversation.id', path: ['gen_ai', 'conversation', 'id'], attributes: ['gen_ai.conversation.id'] },
  { name: 'session.id', path: ['session', 'id'], attributes: ['session.id', 'traceloop.association.properties.session_id', 'langfuse.session.id'] },
  { name: 'user.id', path: ['user', 'id'], attributes: ['user.id', 'enduser.id', 'traceloop.association.properties.user_id', 'langfuse.user.id'] },
];

/** What the run key is, from the strongest evidence the spans give (later entries win). */
const KEY_KINDS = ['other', 'trace', 'run key', 'session', 'conversation'] as const;
type KeyKind = (typeof KEY_KINDS)[number];

/** A span and the label it gives. */
interface Labelled {
  readonly span: SpanRecord;
  readonly label: string;
}

/**
 * What tells one run from another in Aim's Runs explorer: the run's name (when no `aim.run_name`
 * names it) and the params that find it again (see the module documentation). Fed every mapped
 * span of one run of one batch.
 */
export class RunDescription {
  /** The earliest root span of the run in the batch. */
  private root: SpanRecord | undefined;
  /** The earliest span of the run in the batch. */
  private head: SpanRecord | undefined;
  /** The earliest span that names an agent or workflow. */
  private agent: Labelled | undefined;
  private keyKind: KeyKind = 'other';
  /** The id params, by path (joined with '.'), first value seen. */
  private readonly ids = new Map<string, ParamWrite>();
  /** The run's traces: id → start of their earliest span seen (ns). */
  private readonly traceStarts = new Map<string, bigint>();

  /**
   * @param key - the run's key.
   * @param options - the mapping's options (`traceLink` is the template of the trace link).
   */
  constructor(
    readonly key: string,
    readonly options: MappingOptions,
  ) {}

  /** Takes what the span says about its run. */
  observe(span: SpanRecord, _facts: GenAIFacts | undefined): void {
    if (span.parentSpanId === undefined && (!this.root || earlier(span, this.root))) this.root = span;
    if (!this.head || earlier(span, this.head)) this.head = span;
    if (!this.agent || earlier(span, this.agent.span)) {
      const label = agentOrWorkflow(span);
      if (label !== undefined) this.agent = { span, label };
    }
    if (this.keyKind !== 'conversation') this.keyKind = strongest(this.keyKind, keyKindOf(this.key, span));
    if (this.ids.size < ID_PARAMS.length) {
      for (const { name, path, attributes } of ID_PARAMS) {
        if (this.ids.has(name)) continue;
        const value = firstId(span, attributes);
        if (value !== undefined) this.ids.set(name, { path, value });
      }
    }
    const seen = this.traceStarts.get(span.traceId);
    if (seen === undefined || span.startTimeUnixNano < seen) this.traceStarts.set(span.traceId, span.startTimeUnixNano);
  }

  /**
   * The run's name, unless `aim.run_name` names it: `<label> · <what sets the run apart>` when
   * the batch holds a root span of the run, else undefined (the run keeps its name; see the module
   * documentation).
   */
  name(): string | undefined {
    const window = parseWindowRunKey(this.key);
    if (window) return windowName(window);
    const root = this.root;
    if (!root) return undefined;
    return this.compose(agentOrWorkflow(root) ?? root.name, root);
  }

  /** The params that find the run: the ids (`gen_ai.conversation.id`, `session.id`, `user.id`) the batch carries. */
  params(): ParamWrite[] {
    return [...this.ids.values()];
  }

  /**
   * The name the run gets if it is new in Aim and nothing names it better (the plan's
   * `defaultName`): set only when the batch names the run no better ({@link name} undefined: no
   * root span, not a window run), from the earliest agent or workflow of the batch, else its
   * earliest span's name.
   */
  defaultName(): string | undefined {
    if (this.root || !this.head || parseWindowRunKey(this.key)) return undefined;
    return this.compose(this.agent?.label ?? this.head.name, undefined);
  }

  /**
   * The batch's traces for the applier to merge into the run's `otel.traces` (the plan's
   * `traces`): each trace once, at the start of its earliest span (ms), in trace id order, with the
   * link template when one is configured; undefined when no span was observed.
   */
  traces(): PlanTraces | undefined {
    if (this.traceStarts.size === 0) return undefined;
    const marks = [...this.traceStarts]
      .map(([traceId, start]) => ({ traceId, startMs: Number(start / 1_000_000n) }))
      .sort((a, b) => (a.traceId < b.traceId ? -1 : a.traceId > b.traceId ? 1 : 0));
    const link = this.options.traceLink;
    return { marks, ...(link !== undefined && link !== '' ? { link } : {}) };
  }

  /** `<label> · <what sets the run apart>`; `root` gives a run per trace its start time. */
  private compose(label: string, root: SpanRecord | undefined): string {
    const parts = [clip(label, MAX_LABEL)];
    const id = clip(this.key, MAX_ID);
    // No span of the batch carries the key's attribute (they follow their trace's key): the strategy may tell.
    const kind = this.keyKind === 'other' && (this.options.runKey === 'conversation' || this.options.runKey === 'session') ? this.options.runKey : this.keyKind;
    switch (kind) {
      case 'conversation':
        parts.push(`conversation ${id}`);
        break;
      case 'session':
        parts.push(`session ${id}`);
        break;
      case 'trace':
        if (root) parts.push(utcTime(root.startTimeUnixNano));
        parts.push(`trace ${this.key.slice(0, 8)}`);
        break;
      default:
        parts.push(id);
    }
    return parts.join(SEPARATOR);
  }
}

/**
 * The name of a window run (root-level model calls of a service and model in a time window, see
 * `windowRunKey`): `<service> · <provider>/<model> · <window start> UTC, <length>`, e.g.
 * `checkout · openai/gpt-4o-mini · 2026-12-01 13:00 UTC, 1h`; every part comes from the key, so
 * every batch gives the same name.
 */
function windowName(window: WindowRun): string {
  const service = [window.namespace, window.service].filter((part) => part !== undefined).join('/');
  const where = window.environment !== undefined ? `${service} (${window.environment})` : service;
  const model = [window.provider, window.model].filter((part) => part !== undefined).join('/');
  const start = new Date(window.startMs).toISOString();
  const when = `${start.slice(0, 10)} ${start.slice(11, 16)} UTC, ${duration(window.windowMs)}`;
  return [clip(where, MAX_LABEL), ...(model !== '' ? [clip(model, MAX_LABEL)] : []), when].join(SEPARATOR);
}

/** A window length as `1d`, `1h30m`, `15m`, `90s`. */
function duration(ms: number): string {
  const units: [string, number][] = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
    ['ms', 1],
  ];
  let rest = ms;
  let text = '';
  for (const [unit, size] of units) {
    const count = Math.floor(rest / size);
    if (count > 0) text += `${String(count)}${unit}`;
    rest -= count * size;
  }
  return text === '' ? '0s' : text;
}

/**
 * The agent or workflow a span is, or is part of: `gen_ai.agent.name`, `agent.name`, the name of an
 * OpenInference `AGENT` span, OpenLLMetry's `traceloop.entity.name` of an agent or workflow span,
 * `gen_ai.workflow.name`, `traceloop.workflow.name`.
 */
function agentOrWorkflow(span: SpanRecord): string | undefined {
  const a = span.attributes;
  const traceloopKind = a['traceloop.span.kind'];
  return (
    text(a['gen_ai.agent.name']) ??
    text(a['agent.name']) ??
    (a['openinference.span.kind'] === 'AGENT' ? text(span.name) : undefined) ??
    (traceloopKind === 'agent' || traceloopKind === 'workflow' ? text(a['traceloop.entity.name']) : undefined) ??
    text(a['gen_ai.workflow.name']) ??
    text(a['traceloop.workflow.name'])
  );
}

/** What `key` is for `span`: its conversation id, session id, `aim.run_key`, trace id, or something else. */
function keyKindOf(key: string, span: SpanRecord): KeyKind {
  if (firstId(span, ['gen_ai.conversation.id']) === key) return 'conversation';
  if (firstId(span, ['session.id']) === key) return 'session';
  if (firstId(span, ['aim.run_key']) === key) return 'run key';
  if (span.traceId === key) return 'trace';
  return 'other';
}

function strongest(a: KeyKind, b: KeyKind): KeyKind {
  return KEY_KINDS.indexOf(a) >= KEY_KINDS.indexOf(b) ? a : b;
}

/** The first of `names` the span (else its resource) carries, as a string, the way run keys read them. */
function firstId(span: SpanRecord, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = span.attributes[name] ?? span.origin.resource[name];
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint') {
      const id = String(value);
      if (id.trim() !== '') return id;
    }
  }
  return undefined;
}

/** Whether `a` started before `b` (ties: the lower span id), so the choice does not depend on the batch's order. */
function earlier(a: SpanRecord, b: SpanRecord): boolean {
  return a.startTimeUnixNano === b.startTimeUnixNano ? a.spanId < b.spanId : a.startTimeUnixNano < b.startTimeUnixNano;
}

/** `HH:MM:SS`, UTC. */
function utcTime(unixNano: bigint): string {
  return new Date(Number(unixNano / 1_000_000n)).toISOString().slice(11, 19);
}

function clip(value: string, max: number): string {
  return value.length <= max ? value : `${value.slice(0, max - 1)}…`;
}

function text(value: AttributeValue | undefined): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** Where the applier writes a run's {@link TraceSummary}: the param `otel.traces`. */
export const TRACES_PARAM: readonly string[] = ['otel', 'traces'];

/** Traces `otel.traces` lists at each end (`first`, `last`). */
export const TRACES_AT_EACH_END = 3;

/** Trace ids a {@link TraceSummary} remembers as counted, by default (beyond, the oldest are forgotten). */
export const DEFAULT_COUNTED_TRACES = 10_000;

/**
 * The bounded link from a run to its traces, written as the param `otel.traces`:
 * `{count, first: [{trace_id, start}, ...], last: [...], link?}` (see the module documentation).
 *
 * Merging is idempotent: a trace counts once however often its spans come (a replayed batch does
 * not grow `count`), and `first`/`last` are ordered by the start of each trace's earliest span
 * seen, not by arrival, so an old trace replayed never moves into `last`. What is exact and what
 * is best effort:
 * - `first`, `last`: exact (the 3 earliest and latest traces by that start), whatever the order
 *   and repetition of batches; the stored param carries the starts, so a summary read back from
 *   Aim ({@link fromParam}) merges on exactly.
 * - `count`: exact while the summary remembers the trace ids it counted (up to
 *   {@link DEFAULT_COUNTED_TRACES} per run, the oldest forgotten first; the applier keeps summaries
 *   across run closes and retries, within its own bounds). A summary read back from Aim remembers
 *   only the ids it lists: a replay of another trace of the run after a bridge restart counts it
 *   again. Several bridges writing one run each write their own summary (the last write wins):
 *   route a run's spans to one bridge (e.g. the Collector's load balancing by conversation id) for
 *   exact counts.
 */
export class TraceSummary {
  private count = 0;
  /** The earliest traces, ascending. */
  private first: TraceMark[] = [];
  /** The latest traces, ascending (may share traces with `first`). */
  private last: TraceMark[] = [];
  /** Trace ids counted, oldest first. */
  private readonly counted = new Set<string>();

  /** @param maxCounted - trace ids remembered as counted, at most. Default {@link DEFAULT_COUNTED_TRACES}. */
  constructor(private readonly maxCounted = DEFAULT_COUNTED_TRACES) {}

  /**
   * The summary stored as `otel.traces` (as Aim's client reads it back: dicts as `Map`s, or plain
   * objects); an empty summary when there is none or it does not read as one.
   */
  static fromParam(stored: unknown, maxCounted = DEFAULT_COUNTED_TRACES): TraceSummary {
    const summary = new TraceSummary(maxCounted);
    const count = field(stored, 'count');
    const marks = (name: string): TraceMark[] =>
      items(field(stored, name)).flatMap((entry) => {
        const traceId = field(entry, 'trace_id');
        const start = field(entry, 'start');
        const startMs = typeof start === 'string' ? Date.parse(start) : Number.NaN;
        return typeof traceId === 'string' && Number.isFinite(startMs) ? [{ traceId, startMs }] : [];
      });
    const listed = [...marks('first'), ...marks('last')];
    summary.merge(listed);
    if (typeof count === 'bigint' || typeof count === 'number') summary.count = Math.max(summary.count, Number(count));
    return summary;
  }

  /** Traces counted. */
  get traceCount(): number {
    return this.count;
  }

  /** Trace ids remembered (what the summary weighs in memory). */
  get remembered(): number {
    return this.counted.size;
  }

  /** Adds traces (a trace seen before is not counted again; an earlier start moves it). */
  merge(marks: readonly TraceMark[]): void {
    for (const mark of marks) {
      const known = this.counted.has(mark.traceId) || this.first.some((m) => m.traceId === mark.traceId) || this.last.some((m) => m.traceId === mark.traceId);
      if (!known) this.count += 1;
      this.counted.delete(mark.traceId);
      this.counted.add(mark.traceId);
      if (this.counted.size > this.maxCounted) this.counted.delete(this.counted.values().next().value as string);
      this.first = withMark(this.first, mark).slice(0, TRACES_AT_EACH_END);
      this.last = withMark(this.last, mark).slice(-TRACES_AT_EACH_END);
    }
  }

  /** The param `otel.traces`; `linkTemplate` (`{trace_id}` placeholder) links the latest trace. */
  toParam(linkTemplate?: string): PlanValue {
    const listed = new Set(this.first.map((m) => m.traceId));
    const latest = this.last[this.last.length - 1] ?? this.first[this.first.length - 1];
    return {
      count: BigInt(this.count),
      first: this.first.map(entry),
      last: this.last.filter((m) => !listed.has(m.traceId)).map(entry),
      ...(linkTemplate !== undefined && linkTemplate !== '' && latest ? { link: traceLink(linkTemplate, latest.traceId) } : {}),
    };
  }
}

/** The link to a trace: `template` with every `{trace_id}` replaced by `traceId`. */
export function traceLink(template: string, traceId: string): string {
  return template.replaceAll('{trace_id}', traceId);
}

/** `marks` with `mark` (or its earlier start), in (start, id) order. */
function withMark(marks: readonly TraceMark[], mark: TraceMark): TraceMark[] {
  const at = marks.findIndex((m) => m.traceId === mark.traceId);
  if (at >= 0 && (marks[at] as TraceMark).startMs <= mark.startMs) return [...marks];
  const others = at >= 0 ? marks.filter((_, i) => i !== at) : [...marks];
  others.push(mark);
  return others.sort((a, b) => a.startMs - b.startMs || (a.traceId < b.traceId ? -1 : a.traceId > b.traceId ? 1 : 0));
}

function entry(mark: TraceMark): PlanValue {
  return { trace_id: mark.traceId, start: new Date(mark.startMs).toISOString() };
}

/** A dict's field, whether the dict is a `Map` (as Aim's client decodes it) or a plain object. */
function field(value: unknown, name: string): unknown {
  if (value instanceof Map) return (value as ReadonlyMap<unknown, unknown>).get(name);
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return (value as Record<string, unknown>)[name];
  return undefined;
}

/** A list's items, whether an array or a dict by index. */
function items(value: unknown): unknown[] {
  if (Array.isArray(value)) return value as unknown[];
  if (value instanceof Map) return [...(value as ReadonlyMap<unknown, unknown>).entries()].sort(([a], [b]) => Number(a) - Number(b)).map(([, item]) => item);
  return [];
}
