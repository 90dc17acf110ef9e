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
 * **One call, counted once.** A framework's model-call span (our LangChain handler's, the Vercel AI
 * SDK's `doGenerate`: the scopes of {@link FRAMEWORK_SCOPES}) with a model-call span of another
 * scope (a provider instrumentation's) directly under it describe one call. The rule: *the innermost model-call span is the call*, and the outer one fills in what
 * it lacks. The pair's call points (token and duration metrics, errors, prompt and completion
 * texts, `gen_ai.response`) go to one place: the run, context, step and point key of whichever of
 * the two was placed first. The inner span writes all its points there; the outer span writes
 * there only the points the inner one did not (OpenTelemetry's openai instrumentation puts no
 * prompt on its span, OpenLLMetry's no token counts on streamed calls): each point once, the inner
 * span's value where both have one. This holds child first (the usual: a child ends, and is
 * exported, first), parent first, both in one batch, and for replays of any of them. Two spans
 * in different runs do not stack (the provider span came before the span carrying the trace's
 * run key, in an earlier batch, and went to its trace's run): each run then counts the call. The memory
 * is the caller's (the sink keeps the last 50,000 placements, on disk with `--state-dir`): a pair
 * split across a restart without a state directory, or beyond that memory, is counted twice.
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
  /** Set when the span's call points go to another span's place: that place's call context and point key (a span id). */
  readonly mergedInto?: { readonly context: PlanContext; readonly key: string };
  /**
   * Set for the outer span of a stacked call: it writes only the call points the inner span did
   * not. `names` are those the inner span wrote, when known from an earlier batch; otherwise the
   * caller takes them from what `inner` (`traceId/spanId`, in this batch) writes.
   */
  readonly fill?: { readonly inner: string; readonly names?: readonly string[] };
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

/**
 * The instrumentation scopes of frameworks whose model-call span wraps a provider client's call
 * (the framework's own span around `openai.chat.completions.create` and the like): our LangChain
 * handler, OpenLLMetry's and OpenInference's LangChain and LlamaIndex instrumentations (Python and
 * JS), the Vercel AI SDK. Only a model call of one of these stacks on a model call under it from
 * another scope: model-call spans of any other producer nested in each other (an app's own chat
 * span over chat spans) are separate calls.
 */
export const FRAMEWORK_SCOPES: ReadonlySet<string> = new Set([
  'aim-otel-bridge/langchain',
  'ai',
  'opentelemetry.instrumentation.langchain',
  '@traceloop/instrumentation-langchain',
  'openinference.instrumentation.langchain',
  '@arizeai/openinference-instrumentation-langchain',
  'opentelemetry.instrumentation.llamaindex',
  '@traceloop/instrumentation-llamaindex',
  'openinference.instrumentation.llama_index',
]);

/** Whether the span is a framework's model call (see {@link FRAMEWORK_SCOPES}). */
export function isFrameworkCall(span: SpanRecord, facts: GenAIFacts): boolean {
  return isModelCall(facts) && FRAMEWORK_SCOPES.has(span.origin.scopeName);
}

/** Whether the facts describe one model call (what token and duration metrics count). */
export function isModelCall(facts: GenAIFacts): boolean {
  return facts.role === 'llm' || facts.role === 'embedding';
}

/** The call context of a GenAI span's points: `{operation, model, provider}`, those known. */
export function callContextOf(facts: GenAIFacts): PlanContext {
  const context: Record<string, string> = {};
  if (facts.operation !== undefined) context['operation'] = facts.operation;
  if (facts.model !== undefined) context['model'] = facts.model;
  if (facts.provider !== undefined) context['provider'] = facts.provider;
  return Object.freeze(context);
}

/** A span's id across traces, `traceId/spanId`: what placements, and the log events joining them, are found by. */
export function spanKey(traceId: string | undefined, spanId: string | undefined): string {
  return `${traceId ?? ''}/${spanId ?? ''}`;
}

/** Decides the place of every GenAI span of a batch (see the module documentation). */
export function placeSpans(spans: readonly PlacedSpan[], memo: PlacementMemo | undefined): Map<PlacedSpan, SpanPlace> {
  // The first provider model call (not a framework's) under each span, in this batch.
  const innerInBatch = new Map<string, PlacedSpan>();
  for (const entry of spans) {
    const { span } = entry;
    if (
      isModelCall(entry.facts) &&
      !isFrameworkCall(span, entry.facts) &&
      span.parentSpanId !== undefined &&
      !innerInBatch.has(spanKey(span.traceId, span.parentSpanId))
    ) {
      innerInBatch.set(spanKey(span.traceId, span.parentSpanId), entry);
    }
  }

  const places = new Map<PlacedSpan, SpanPlace>();
  const taken = new Map<string, Map<bigint, string>>();
  const take = (hash: string, step: bigint, spanId: string): void => {
    let steps = taken.get(hash);
    if (!steps) taken.set(hash, (steps = new Map<bigint, string>()));
    steps.set(step, spanId);
  };
  // The provider call under each framework call, in its run (a call that went to another run
  // does not stack: each run then counts the call once).
  const innerCalls = new Map<PlacedSpan, { inBatch: PlacedSpan } | { remembered: SpanPlacement }>();
  for (const entry of spans) {
    const { span } = entry;
    if (!isFrameworkCall(span, entry.facts)) continue;
    const inBatch = innerInBatch.get(spanKey(span.traceId, span.spanId));
    const remembered = memo?.modelCallUnder(span.traceId, span.spanId);
    if (inBatch && inBatch.hash === entry.hash) innerCalls.set(entry, { inBatch });
    else if (remembered && remembered.framework !== true && remembered.hash === entry.hash) innerCalls.set(entry, { remembered });
  }

  const fresh: PlacedSpan[] = [];
  for (const entry of spans) {
    const { span } = entry;
    if (innerCalls.has(entry)) continue;
    const before = memo?.placement(span.traceId, span.spanId);
    if (before) {
      places.set(entry, before.callKey !== undefined ? mergedPlace(before.step, before.context, before.callKey) : { step: before.step });
      if (before.callKey === undefined) take(entry.hash, before.step, span.spanId);
      continue;
    }
    const outer = isModelCall(entry.facts) && !isFrameworkCall(span, entry.facts) ? outerCall(entry, memo) : undefined;
    if (outer) places.set(entry, mergedPlace(outer.step, outer.context, outer.callKey ?? outer.spanId));
    else fresh.push(entry);
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
      const holder = taken.get(hash)?.get(step) ?? memo?.stepHolder(hash, step);
      if (holder === undefined || holder === span.spanId) break;
      step += 1n;
    }
    take(hash, step, span.spanId);
    places.set(entry, { step });
  }

  // An outer call fills in, at its inner call's place, what the inner call lacks.
  for (const [entry, inner] of innerCalls) {
    if ('inBatch' in inner) {
      const call = inner.inBatch;
      const place = places.get(call);
      if (!place) continue; // a provider call is never an outer one: it was placed above
      const target = place.mergedInto ?? { context: callContextOf(call.facts), key: call.span.spanId };
      places.set(entry, { ...mergedPlace(place.step, target.context, target.key), fill: { inner: spanKey(call.span.traceId, call.span.spanId) } });
    } else {
      const call = inner.remembered;
      places.set(entry, {
        ...mergedPlace(call.step, call.context, call.callKey ?? call.spanId),
        fill: { inner: spanKey(call.traceId, call.spanId), names: call.wrote ?? [] },
      });
    }
  }
  return places;
}

function mergedPlace(step: bigint, context: PlanContext, key: string): SpanPlace {
  return { step, mergedInto: { context, key } };
}

/**
 * The framework call placed in an earlier batch directly above a new provider call, whose place
 * the new span then takes (the outer span was placed first, its points are in Aim); undefined when
 * there is none, when it already has a call under it, or when it went to another run.
 */
function outerCall(entry: PlacedSpan, memo: PlacementMemo | undefined): SpanPlacement | undefined {
  const { span } = entry;
  if (span.parentSpanId === undefined) return undefined;
  const parent = memo?.placement(span.traceId, span.parentSpanId);
  if (!parent || parent.modelCall !== true || parent.framework !== true || parent.fills === true || parent.hash !== entry.hash) return undefined;
  const sibling = memo?.modelCallUnder(span.traceId, span.parentSpanId);
  return sibling === undefined || sibling.spanId === span.spanId ? parent : undefined;
}
