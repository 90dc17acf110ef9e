/**
 * Where each GenAI span of a batch writes its points: its step, and for model calls described by
 * two stacked spans, which of the two carries the call. Pure: what is remembered of earlier
 * batches comes in through a {@link PlacementMemo} the caller keeps.
 *
 * **Steps.** A span's natural step is its start in ms × 4096 + its span id's last 12 bits
 * ({@link spanStep}): in time order, and the same in every process. Two spans of one run can
 * still share it (same millisecond, same 12 bits). Then the span placed later takes the next free
 * step, and keeps it: a span placed before (remembered) always gets the step it got then, so a
 * replay rewrites its own points whatever the batch composition, and never another span's.
 * Within a batch, new spans are placed in (natural step, span id) order, so the batch alone
 * decides. Steps stay in time order: a moved span stays inside its millisecond.
 *
 * **One call, counted once.** A framework's model-call span (our LangChain handler's, OpenLLMetry's
 * LangChain span) with a provider instrumentation's model-call span directly under it describe one
 * call. The rule: *the innermost model-call span is the call*. Its points (token and duration
 * metrics, errors, prompt and completion texts) are written once, in the run, context and step of
 * whichever of the two was placed first:
 * - the inner span placed first (the usual: a child ends, and is exported, first), or both in one
 *   batch: the inner span writes at its own place and the outer one writes no call points;
 * - the outer span placed first (batches delivered out of order): its points are already in Aim,
 *   so the inner span writes its points at the outer span's place (same run, context, step and
 *   point key), replacing them.
 * Replays keep what was decided. The memory is the caller's (the sink keeps the last 50,000
 * placements, on disk with `--state-dir`): a pair split across a restart without a state
 * directory, or beyond that memory, is counted twice.
 */
import type { SpanRecord } from '../model/span-record.js';
import type { PlanContext, SpanPlacement } from './aim-plan.js';
import type { GenAIFacts } from './conventions.js';

/** What the mapping remembers of spans placed in earlier batches (kept by the caller, bounded). */
export interface PlacementMemo {
  /** Where span `spanId` of trace `traceId` was placed, if remembered. */
  placement(traceId: string, spanId: string): SpanPlacement | undefined;
  /** The span id that holds `step` in the run with hash `hash`, if remembered. */
  stepHolder(hash: string, step: bigint): string | undefined;
  /** A model-call span placed directly under span `parentSpanId` of trace `traceId`, if remembered. */
  modelCallUnder(traceId: string, parentSpanId: string): SpanPlacement | undefined;
}

/** A GenAI span of the batch, with its run. */
export interface PlacedSpan {
  readonly span: SpanRecord;
  readonly facts: GenAIFacts;
  readonly hash: string;
}

/** Where a span's points go. */
export interface SpanPlace {
  readonly step: bigint;
  /** Set when the span writes its call points at another span's place: that span's call context and point key (a span id). */
  readonly mergedInto?: { readonly context: PlanContext; readonly key: string };
  /** The span is a model call whose call points another span carries: it writes none. */
  readonly callElsewhere: boolean;
}

/** The step of a span's points before any collision: its start in ms × 4096 + its span id's last 12 bits. */
export function spanStep(span: SpanRecord): bigint {
  return stepAt(span.startTimeUnixNano, span.spanId);
}

/** OpenTelemetry JS stamps spans in whole milliseconds: 12 bits of the span id separate spans of one millisecond. */
const STEP_SLOTS = 4096n;

/** The natural step of a point at `timeUnixNano` of span `spanId` (see {@link spanStep}). */
export function stepAt(timeUnixNano: bigint, spanId: string): bigint {
  return (timeUnixNano / 1_000_000n) * STEP_SLOTS + BigInt(parseInt(spanId.slice(-3), 16) || 0);
}

/** Whether the facts describe one model call (what token and duration metrics count). */
export function isModelCall(facts: GenAIFacts): boolean {
  return facts.role === 'llm' || facts.role === 'embedding';
}

const id = (traceId: string, spanId: string): string => `${traceId}/${spanId}`;

/** Decides the place of every GenAI span of a batch (see the module documentation). */
export function placeSpans(spans: readonly PlacedSpan[], memo: PlacementMemo | undefined): Map<PlacedSpan, SpanPlace> {
  const callParents = new Set<string>();
  const absorbed = new Set<string>();
  const remembered = new Map<PlacedSpan, SpanPlacement>();
  const merges = new Map<PlacedSpan, SpanPlacement>();
  for (const entry of spans) {
    const { span } = entry;
    const before = memo?.placement(span.traceId, span.spanId);
    if (before) remembered.set(entry, before);
    if (!isModelCall(entry.facts)) continue;
    if (span.parentSpanId !== undefined) callParents.add(id(span.traceId, span.parentSpanId));
    const outer = before ? undefined : outerCall(entry, memo);
    if (outer) merges.set(entry, outer);
    const took = before?.callKey ?? outer?.spanId;
    if (took !== undefined) absorbed.add(id(span.traceId, took));
  }

  const places = new Map<PlacedSpan, SpanPlace>();
  const taken = new Map<string, Map<bigint, string>>();
  const take = (hash: string, step: bigint, spanId: string): void => {
    let steps = taken.get(hash);
    if (!steps) taken.set(hash, (steps = new Map<bigint, string>()));
    steps.set(step, spanId);
  };
  const fresh: PlacedSpan[] = [];
  for (const entry of spans) {
    const before = remembered.get(entry);
    const outer = merges.get(entry);
    if (before) {
      places.set(entry, rememberedPlace(entry, before, callParents, absorbed, memo));
      take(entry.hash, before.step, entry.span.spanId);
    } else if (outer) {
      places.set(entry, { step: outer.step, mergedInto: { context: outer.context, key: outer.callKey ?? outer.spanId }, callElsewhere: false });
    } else {
      fresh.push(entry);
    }
  }

  fresh.sort((a, b) => {
    const sa = spanStep(a.span);
    const sb = spanStep(b.span);
    return sa === sb ? a.span.spanId.localeCompare(b.span.spanId) : sa < sb ? -1 : 1;
  });
  for (const entry of fresh) {
    const { span, hash } = entry;
    let step = spanStep(span);
    for (;;) {
      const inBatch = taken.get(hash)?.get(step);
      const holder = inBatch ?? memo?.stepHolder(hash, step);
      if (holder === undefined || holder === span.spanId) break;
      step += 1n;
    }
    take(hash, step, span.spanId);
    const key = id(span.traceId, span.spanId);
    const callElsewhere = isModelCall(entry.facts) && (callParents.has(key) || memo?.modelCallUnder(span.traceId, span.spanId) !== undefined);
    places.set(entry, { step, callElsewhere });
  }
  return places;
}

/** The place of a span placed before: the same step; call points where they went then (or nowhere, when a call under it carries them). */
function rememberedPlace(entry: PlacedSpan, before: SpanPlacement, callParents: ReadonlySet<string>, absorbed: ReadonlySet<string>, memo: PlacementMemo | undefined): SpanPlace {
  const { span } = entry;
  if (before.callKey !== undefined) return { step: before.step, mergedInto: { context: before.context, key: before.callKey }, callElsewhere: false };
  const key = id(span.traceId, span.spanId);
  const callElsewhere =
    isModelCall(entry.facts) &&
    (before.callElsewhere === true || callParents.has(key) || absorbed.has(key) || memo?.modelCallUnder(span.traceId, span.spanId) !== undefined);
  return { step: before.step, callElsewhere };
}

/**
 * The model call placed in an earlier batch directly above a new model-call span, whose place the
 * new span then takes (the outer span was placed first, its points are in Aim); undefined when
 * there is none, when it gave way to another call under it, or when it went to another run.
 */
function outerCall(entry: PlacedSpan, memo: PlacementMemo | undefined): SpanPlacement | undefined {
  const { span } = entry;
  if (span.parentSpanId === undefined) return undefined;
  const parent = memo?.placement(span.traceId, span.parentSpanId);
  if (!parent || parent.modelCall !== true || parent.callElsewhere === true || parent.hash !== entry.hash) return undefined;
  return parent;
}
