/**
 * The trace waterfall of a run: its traces as a Plotly figure (an `aim.Figure` in Aim's Figures
 * tab), spans as horizontal bars on a time axis, nested by parent and coloured by operation. Pure
 * and deterministic: the same spans (in any order) give the same figure, JSON byte for byte, at the
 * same step and time, so writing it again is a no-op in Aim.
 *
 * **What it shows** (the bounds, {@link WaterfallBounds}): the run's last `maxTraces` traces
 * (default 20; by start, the earliest start of their spans known) and at most `maxSpans` spans
 * (default 500, at most 1 000). Beyond, the oldest go first: whole traces, oldest first, while more
 * than one is left; then, in a trace that alone has too many, its earliest-starting spans. The
 * title then says so ("older traces and spans left out").
 *
 * **Layout**: traces one under the other, oldest first, each starting at 0 on the x axis (seconds
 * since the trace's first span started), so every trace reads as its own waterfall: a grey header
 * row (the trace id's first 8 digits and its start, UTC), then one row per span, depth first: a
 * span, then its children by start time (a span whose parent is not shown is a first-level row);
 * a dotted line between traces. Row labels are the span names, children marked `└` and shifted
 * right by their depth. Every bar is 0.7 rows thick. One bar trace per operation category (the
 * legend): chat (model calls), embeddings, execute_tool, invoke_agent, workflow / chain,
 * retrieval, other. A failed span has a red outline and a red `x` at its end. Hover text: name,
 * operation, model and provider, start and duration, tokens, cost (when the plan has a cost point
 * for the span, see {@link COST_METRIC}), error type and status message, trace and span ids. Each
 * point's `customdata` is `[traceId, spanId, parentSpanId or null]`.
 *
 * **Step and time** of the figure ({@link TraceWaterfall}): `step` = the end of the latest span
 * shown, in ms, × 1024 + the number of spans shown; `time` = that end, in unix seconds. A figure
 * that grows gets a later step; the same spans give the same step; a figure made from fewer
 * spans (a memory that started over, see run-waterfalls.ts) never lands on the step of a fuller
 * one that ends at the same millisecond. Below 2^53 (exact in Aim's UI) until the year 2248.
 */
import type { SpanRecord } from '../model/span-record.js';
import type { AimWritePlan, MetricWrite, RunWritePlan, WaterfallSpan } from './aim-plan.js';
import { spanKey } from './span-places.js';

/** The Aim sequence the figure is tracked on (context `{}`). */
export const TRACE_WATERFALL_SEQUENCE = 'otel.trace_waterfall';

/** Default of {@link WaterfallBounds.maxTraces}. */
export const DEFAULT_WATERFALL_TRACES = 20;
/** Default of {@link WaterfallBounds.maxSpans}. */
export const DEFAULT_WATERFALL_SPANS = 500;
/** The most spans a figure may show: the span count is the low 10 bits of its step. */
export const MAX_WATERFALL_SPANS = 1_000;

/**
 * The metric point of a span's cost (USD) in the plan, which the mapping writes for a priced model
 * call (its parts are the series `gen_ai.usage.cost.input`...): the waterfall's hover shows it. Of
 * several points of this name for a span, the one with the fewest context keys counts; a span
 * without one (not a model call, an unpriced model, the outer span of a stacked call) shows none.
 */
export const COST_METRIC = 'gen_ai.usage.cost';

/** Span names and model, provider and operation names are cut to this many characters; status messages to {@link MAX_MESSAGE}. */
const MAX_NAME = 120;
const MAX_MESSAGE = 300;
/** Row labels show this many characters of a span name. */
const MAX_LABEL = 48;
/** Deeper rows are not shifted further right. */
const MAX_INDENT = 6;

/** How much a waterfall shows. */
export interface WaterfallBounds {
  /** The last traces of the run shown, at most (at least 1). Default {@link DEFAULT_WATERFALL_TRACES}. */
  readonly maxTraces?: number;
  /** Spans shown, at most (1 to {@link MAX_WATERFALL_SPANS}). Default {@link DEFAULT_WATERFALL_SPANS}. */
  readonly maxSpans?: number;
}

/** The bounds with their defaults, clamped to their ranges. */
export function waterfallBounds(bounds: WaterfallBounds = {}): Required<WaterfallBounds> {
  const whole = (value: number | undefined, fallback: number): number => (value !== undefined && Number.isFinite(value) ? Math.floor(value) : fallback);
  return {
    maxTraces: Math.max(1, whole(bounds.maxTraces, DEFAULT_WATERFALL_TRACES)),
    maxSpans: Math.min(MAX_WATERFALL_SPANS, Math.max(1, whole(bounds.maxSpans, DEFAULT_WATERFALL_SPANS))),
  };
}

/** One trace of a waterfall: its spans, and when the earliest of them started. */
export interface WaterfallTrace {
  readonly traceId: string;
  readonly startNs: bigint;
  /** In start order (ties by span id). */
  readonly spans: readonly WaterfallSpan[];
}

/** What {@link selectWaterfall} keeps. */
export interface WaterfallSelection {
  /** Oldest first (by start, ties by trace id). */
  readonly traces: readonly WaterfallTrace[];
  /** Whether spans were left out by the bounds. */
  readonly cut: boolean;
}

/**
 * The traces and spans a waterfall shows within `bounds` (see the module documentation); a span
 * given twice (same trace and span id) counts once, the first given.
 */
export function selectWaterfall(spans: readonly WaterfallSpan[], bounds: WaterfallBounds = {}): WaterfallSelection {
  const { maxTraces, maxSpans } = waterfallBounds(bounds);
  const byTrace = new Map<string, Map<string, WaterfallSpan>>();
  for (const span of spans) {
    let trace = byTrace.get(span.traceId);
    if (!trace) byTrace.set(span.traceId, (trace = new Map<string, WaterfallSpan>()));
    if (!trace.has(span.spanId)) trace.set(span.spanId, span);
  }
  let traces: WaterfallTrace[] = [...byTrace].map(([traceId, trace]) => {
    const ordered = [...trace.values()].sort(byStart);
    return { traceId, startNs: (ordered[0] as WaterfallSpan).startNs, spans: ordered };
  });
  traces.sort((a, b) => (a.startNs === b.startNs ? compareText(a.traceId, b.traceId) : a.startNs < b.startNs ? -1 : 1));
  let cut = false;
  if (traces.length > maxTraces) {
    traces = traces.slice(traces.length - maxTraces);
    cut = true;
  }
  let total = traces.reduce((sum, trace) => sum + trace.spans.length, 0);
  while (total > maxSpans && traces.length > 1) {
    total -= (traces.shift() as WaterfallTrace).spans.length;
    cut = true;
  }
  const [only] = traces;
  if (only && total > maxSpans) {
    const kept = only.spans.slice(only.spans.length - maxSpans);
    traces = [{ traceId: only.traceId, startNs: (kept[0] as WaterfallSpan).startNs, spans: kept }];
    cut = true;
  }
  return { traces, cut };
}

/** A run's waterfall figure, and where it goes in Aim. */
export interface TraceWaterfall {
  /** The Plotly figure (`{data, layout}`), ready for `trackFigure`. */
  readonly figure: { readonly data: readonly unknown[]; readonly layout: Readonly<Record<string, unknown>> };
  /** Its step on {@link TRACE_WATERFALL_SEQUENCE} (see the module documentation). */
  readonly step: bigint;
  /** Unix seconds: the end of the latest span shown. */
  readonly time: number;
  /** Traces and spans shown. */
  readonly traces: number;
  readonly spans: number;
  /** Whether spans were left out (by these bounds, or before: `cut` given). */
  readonly cut: boolean;
}

/**
 * The waterfall figure of `spans` (see the module documentation); `undefined` when there are none.
 * `options.cut` says spans were left out before (a bounded memory dropped them): the title says so.
 */
export function buildTraceWaterfall(spans: readonly WaterfallSpan[], options: WaterfallBounds & { readonly cut?: boolean } = {}): TraceWaterfall | undefined {
  const bounds = waterfallBounds(options);
  const selection = selectWaterfall(spans, bounds);
  if (selection.traces.length === 0) return undefined;
  const cut = selection.cut || options.cut === true;
  // Each trace: a header row (its id and start), then its spans' rows.
  const rows: Row[] = [];
  const headers: { trace: WaterfallTrace; y: number }[] = [];
  let maxEnd = 0n;
  for (const trace of selection.traces) {
    headers.push({ trace, y: rows.length + headers.length });
    for (const row of treeRows(trace, rows.length + headers.length)) {
      rows.push(row);
      if (row.span.endNs > maxEnd) maxEnd = row.span.endNs;
    }
  }
  const widest = rows.reduce((most, row) => Math.max(most, seconds(row.span.endNs - row.trace.startNs)), 0);
  // A bar at least this wide, so that instant spans can be seen and hovered (the hover says the real duration).
  const minWidth = widest / 500;
  const deepest = Math.min(
    MAX_INDENT,
    rows.reduce((most, row) => Math.max(most, row.depth), 0),
  );

  const data: unknown[] = [];
  for (const category of CATEGORIES) {
    const mine = rows.filter((row) => categoryOf(row.span.operation) === category.id);
    if (mine.length === 0) continue;
    data.push({
      type: 'bar',
      orientation: 'h',
      name: category.label,
      legendgroup: category.id,
      y: mine.map((row) => row.y),
      base: mine.map((row) => seconds(row.span.startNs - row.trace.startNs)),
      x: mine.map((row) => Math.max(seconds(row.span.endNs - row.span.startNs), minWidth)),
      // In rows (y units): one category's bars are rows apart, and plotly would widen them to fill the gaps.
      width: BAR_WIDTH,
      marker: {
        color: category.color,
        line: {
          color: mine.map((row) => (row.span.error ? ERROR_COLOR : category.color)),
          width: mine.map((row) => (row.span.error ? 2 : 0)),
        },
      },
      customdata: mine.map((row) => idsOf(row.span)),
      hovertext: mine.map((row) => hoverText(row)),
      hovertemplate: HOVER_TEMPLATE,
    });
  }
  const failed = rows.filter((row) => row.span.error);
  if (failed.length > 0) {
    data.push({
      type: 'scatter',
      mode: 'markers',
      name: 'error',
      y: failed.map((row) => row.y),
      x: failed.map((row) => seconds(row.span.endNs - row.trace.startNs)),
      marker: { symbol: 'x', color: ERROR_COLOR, size: 10 },
      customdata: failed.map((row) => idsOf(row.span)),
      hovertext: failed.map((row) => hoverText(row)),
      hovertemplate: HOVER_TEMPLATE,
    });
  }

  const traceCount = selection.traces.length;
  const title = `Trace waterfall: ${plural(traceCount, 'trace')}, ${plural(rows.length, 'span')}${
    cut ? ` (older traces and spans left out: the last ${String(bounds.maxTraces)} traces, ${String(bounds.maxSpans)} spans at most)` : ''
  }`;
  const ticks = [
    ...headers.map((header) => ({ y: header.y, text: headerLabel(header.trace, deepest) })),
    ...rows.map((row) => ({ y: row.y, text: label(row, deepest) })),
  ].sort((a, b) => a.y - b.y);
  const layout = {
    title: { text: escapeHtml(title), x: 0, xanchor: 'left', font: { size: 14 } },
    barmode: 'overlay',
    hovermode: 'closest',
    hoverlabel: { align: 'left' },
    showlegend: true,
    height: Math.max(360, 140 + 24 * ticks.length),
    margin: { t: 60, b: 50 },
    xaxis: { title: { text: 'seconds since the trace started' }, rangemode: 'tozero', zeroline: true },
    yaxis: {
      // Top down, every row shown (the first header has no bar that autorange would see).
      range: [ticks.length - 0.5, -0.5],
      autorange: false,
      tickmode: 'array',
      tickvals: ticks.map((tick) => tick.y),
      ticktext: ticks.map((tick) => tick.text),
      automargin: true,
      showgrid: false,
      zeroline: false,
    },
    // A dotted line above each trace's header but the first.
    shapes: headers
      .filter((header) => header.y > 0)
      .map((header) => ({
        type: 'line',
        xref: 'paper',
        x0: 0,
        x1: 1,
        yref: 'y',
        y0: header.y - 0.5,
        y1: header.y - 0.5,
        line: { color: '#bbbbbb', width: 1, dash: 'dot' },
      })),
  };
  return {
    figure: { data, layout },
    step: (maxEnd / 1_000_000n) * 1024n + BigInt(rows.length),
    time: Number(maxEnd / 1_000n) / 1e6,
    traces: traceCount,
    spans: rows.length,
    cut,
  };
}

/**
 * The plans of a batch with their {@link RunWritePlan.waterfall}: a summary of each GenAI span
 * the plan placed (`placements`), found among `spans`, with its call context (operation, model,
 * provider), its token counts and cost from the plan's metric points for the span, its error type
 * (the `errors` point) and status message. Plans without such spans are returned as they are.
 */
export function withWaterfallSpans(plan: AimWritePlan, spans: readonly SpanRecord[]): RunWritePlan[] {
  if (plan.placements.length === 0) return [...plan.runs];
  const records = new Map<string, SpanRecord>();
  for (const span of spans) records.set(spanKey(span.traceId, span.spanId), span);
  const byRun = new Map<string, WaterfallSpan[]>();
  const pointsOf = new Map<string, Map<string, MetricWrite[]>>();
  for (const run of plan.runs) {
    const points = new Map<string, MetricWrite[]>();
    for (const metric of run.metrics) {
      const list = points.get(metric.spanId);
      if (list) list.push(metric);
      else points.set(metric.spanId, [metric]);
    }
    pointsOf.set(run.hash, points);
  }
  for (const placement of plan.placements) {
    const span = records.get(spanKey(placement.traceId, placement.spanId));
    if (!span) continue;
    const points = pointsOf.get(placement.hash)?.get(placement.spanId) ?? [];
    let list = byRun.get(placement.hash);
    if (!list) byRun.set(placement.hash, (list = []));
    list.push(waterfallSpan(span, placement.context, points));
  }
  return plan.runs.map((run) => {
    const waterfall = byRun.get(run.hash);
    return waterfall ? { ...run, waterfall } : run;
  });
}

/** The summary of one span: `context` is its call context, `points` the plan's metric points under its id. */
function waterfallSpan(span: SpanRecord, context: Readonly<Record<string, string | number | boolean>>, points: readonly MetricWrite[]): WaterfallSpan {
  const value = (name: string): number | undefined => {
    let found: MetricWrite | undefined;
    for (const point of points) if (point.name === name && (!found || Object.keys(point.context).length < Object.keys(found.context).length)) found = point;
    return found === undefined ? undefined : Number(found.value);
  };
  const failed = span.status.code === 'error';
  const errorType = failed ? points.find((point) => point.name === 'errors')?.context['error_type'] : undefined;
  const message = failed && span.status.message !== undefined && span.status.message !== '' ? cut(span.status.message, MAX_MESSAGE) : undefined;
  const text = (key: string): string | undefined => {
    const given = context[key];
    return typeof given === 'string' && given !== '' ? cut(given, MAX_NAME) : undefined;
  };
  const operation = text('operation');
  const model = text('model');
  const provider = text('provider');
  const inputTokens = value('gen_ai.usage.input_tokens');
  const outputTokens = value('gen_ai.usage.output_tokens');
  const totalTokens = value('gen_ai.usage.total_tokens');
  const costUsd = value(COST_METRIC);
  return {
    traceId: span.traceId,
    spanId: span.spanId,
    ...(span.parentSpanId !== undefined ? { parentSpanId: span.parentSpanId } : {}),
    name: cut(span.name, MAX_NAME),
    startNs: span.startTimeUnixNano,
    endNs: span.endTimeUnixNano < span.startTimeUnixNano ? span.startTimeUnixNano : span.endTimeUnixNano,
    ...(operation !== undefined ? { operation } : {}),
    ...(model !== undefined ? { model } : {}),
    ...(provider !== undefined ? { provider } : {}),
    ...(inputTokens !== undefined ? { inputTokens } : {}),
    ...(outputTokens !== undefined ? { outputTokens } : {}),
    ...(totalTokens !== undefined ? { totalTokens } : {}),
    ...(costUsd !== undefined ? { costUsd } : {}),
    ...(failed
      ? { error: { ...(typeof errorType === 'string' ? { type: cut(errorType, MAX_NAME) } : {}), ...(message !== undefined ? { message } : {}) } }
      : {}),
  };
}

/** The colour categories, in legend order. */
const CATEGORIES = [
  { id: 'chat', label: 'chat', color: '#1f77b4' },
  { id: 'embeddings', label: 'embeddings', color: '#17becf' },
  { id: 'execute_tool', label: 'execute_tool', color: '#ff7f0e' },
  { id: 'invoke_agent', label: 'invoke_agent', color: '#9467bd' },
  { id: 'workflow', label: 'workflow / chain', color: '#7f7f7f' },
  { id: 'retrieval', label: 'retrieval', color: '#2ca02c' },
  { id: 'other', label: 'other', color: '#bcbd22' },
] as const;

type CategoryId = (typeof CATEGORIES)[number]['id'];

/** The outline and marker of failed spans. */
const ERROR_COLOR = '#d62728';

/** The operation names of each category but `other` (GenAI names, and the span kinds other conventions use). */
const CATEGORY_OF: Readonly<Record<string, CategoryId>> = {
  chat: 'chat',
  text_completion: 'chat',
  generate_content: 'chat',
  completion: 'chat',
  llm: 'chat',
  embeddings: 'embeddings',
  embedding: 'embeddings',
  execute_tool: 'execute_tool',
  tool: 'execute_tool',
  invoke_agent: 'invoke_agent',
  create_agent: 'invoke_agent',
  agent: 'invoke_agent',
  invoke_workflow: 'workflow',
  workflow: 'workflow',
  chain: 'workflow',
  task: 'workflow',
  retrieval: 'retrieval',
  retriever: 'retrieval',
  reranker: 'retrieval',
};

/** The colour category of an operation name. */
export function categoryOf(operation: string | undefined): CategoryId {
  return (operation !== undefined && Object.hasOwn(CATEGORY_OF, operation) ? CATEGORY_OF[operation] : undefined) ?? 'other';
}

interface Row {
  readonly span: WaterfallSpan;
  readonly trace: WaterfallTrace;
  readonly depth: number;
  /** Its place on the y axis (rows from the top; each trace's header row comes first). */
  readonly y: number;
}

/** Bar thickness, in rows. */
const BAR_WIDTH = 0.7;

/** The rows of a trace from `firstY` on, depth first: each span, then its children by start (ties by span id); spans whose parent is not shown first-level. */
function treeRows(trace: WaterfallTrace, firstY: number): Row[] {
  const ids = new Set(trace.spans.map((span) => span.spanId));
  const children = new Map<string, WaterfallSpan[]>();
  const roots: WaterfallSpan[] = [];
  for (const span of trace.spans) {
    const parent = span.parentSpanId;
    if (parent !== undefined && parent !== span.spanId && ids.has(parent)) {
      const list = children.get(parent);
      if (list) list.push(span);
      else children.set(parent, [span]);
    } else {
      roots.push(span);
    }
  }
  const rows: Row[] = [];
  const seen = new Set<string>();
  const visit = (span: WaterfallSpan, depth: number): void => {
    if (seen.has(span.spanId)) return;
    seen.add(span.spanId);
    rows.push({ span, trace, depth, y: firstY + rows.length });
    for (const child of children.get(span.spanId) ?? []) visit(child, depth + 1);
  };
  // trace.spans is in start order, so roots and children lists are too.
  for (const root of roots) visit(root, 0);
  // Spans in a parent cycle (malformed parent ids) reach no root: shown first-level.
  for (const span of trace.spans) visit(span, 0);
  return rows;
}

/** A row's label: the span name, `└ ` before a child's, then no-break spaces that shift deeper rows right (labels end at the axis). */
function label(row: Row, deepest: number): string {
  const depth = Math.min(row.depth, MAX_INDENT);
  const name = escapeHtml(cut(row.span.name, MAX_LABEL));
  return `${depth > 0 ? '└\u00a0' : ''}${name}${'\u00a0'.repeat(3 * (deepest - depth))}`;
}

/** A trace's header row: its id's first 8 digits and its start (UTC), in grey, level with the trace's first-level rows. */
function headerLabel(trace: WaterfallTrace, deepest: number): string {
  return `<span style="color:#888888">trace ${trace.traceId.slice(0, 8)} · ${isoTime(trace.startNs)}</span>${'\u00a0'.repeat(3 * deepest)}`;
}

function hoverText(row: Row): string {
  const { span, trace } = row;
  const lines = [`<b>${escapeHtml(span.name)}</b>`];
  const call = [span.operation, span.model, span.provider].filter((part): part is string => part !== undefined);
  if (call.length > 0) lines.push(escapeHtml(call.join(' · ')));
  lines.push(`start +${seconds(span.startNs - trace.startNs).toFixed(3)} s · duration ${seconds(span.endNs - span.startNs).toFixed(3)} s`);
  const tokens = [
    span.inputTokens !== undefined ? `${String(span.inputTokens)} in` : undefined,
    span.outputTokens !== undefined ? `${String(span.outputTokens)} out` : undefined,
    span.totalTokens !== undefined ? `${String(span.totalTokens)} total` : undefined,
  ].filter((part): part is string => part !== undefined);
  if (tokens.length > 0) lines.push(`tokens: ${tokens.join(' · ')}`);
  if (span.costUsd !== undefined) lines.push(`cost: ${usd(span.costUsd)}`);
  if (span.error) {
    const what = [span.error.type, span.error.message].filter((part): part is string => part !== undefined).join(': ');
    lines.push(`<b>error</b>${what !== '' ? `: ${escapeHtml(what)}` : ''}`);
  }
  return lines.join('<br>');
}

/** Every point's hover: its text, then the ids of its `customdata` ({@link idsOf}). */
const HOVER_TEMPLATE = '%{hovertext}<br>trace %{customdata[0]}<br>span %{customdata[1]}<extra></extra>';

/** A bar's `customdata`: `[traceId, spanId, parentSpanId or null]`, for the hover and for readers of the figure. */
function idsOf(span: WaterfallSpan): [string, string, string | null] {
  return [span.traceId, span.spanId, span.parentSpanId ?? null];
}

/** A cost in USD: `$0.000123` (3 significant digits below a cent), else `$1.2345`. */
function usd(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return value !== 0 && Math.abs(value) < 0.01 ? `$${value.toPrecision(3)}` : `$${value.toFixed(4)}`;
}

/** Nanoseconds as seconds, to the microsecond. */
function seconds(ns: bigint): number {
  return Number(ns / 1_000n) / 1e6;
}

/** `2026-12-01 17:00:22Z` (UTC, to the second). */
function isoTime(ns: bigint): string {
  const iso = new Date(Number(ns / 1_000_000n)).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}Z`;
}

function plural(count: number, noun: string): string {
  return `${String(count)} ${noun}${count === 1 ? '' : 's'}`;
}

/** Plotly renders a subset of HTML in texts: the user's text is shown as it is, entities for `&`, `<` and `>`. */
function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  // Not in the middle of a surrogate pair.
  let end = max - 1;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

function byStart(a: WaterfallSpan, b: WaterfallSpan): number {
  return a.startNs === b.startNs ? compareText(a.spanId, b.spanId) : a.startNs < b.startNs ? -1 : 1;
}

/** Code-unit order (not locale order: the same in every process). */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
