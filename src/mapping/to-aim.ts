import type { SpanRecord } from '../model/span-record.js';
import type { PriceBook } from '../pricing/price-book.js';
import type { AimWritePlan } from './aim-plan.js';
import { type GenAIFacts, readGenAIFacts } from './conventions.js';
import { type ContentEvent, readContentEvent, renderContentEvents } from './genai-events.js';
import { hasInstructions } from './instructions.js';
import { RunBuilder } from './run-builder.js';
import { type RunKeyStrategy, type UnkeyedRunOptions, explicitRunKey, runHash, unkeyedRunKey } from './run-key.js';
import { type PlacedSpan, type PlacementMemo, type SpanPlace, placeSpans, spanKey } from './span-places.js';
import { tenantPlacements, tenantRunKey, tenantTraceKey } from './tenant-keys.js';

/**
 * What the mapping writes:
 * - `genai` (default): the layout of ARCHITECTURE.md (params, GenAI metrics, text sequences read
 *   from the GenAI conventions) plus the spans' explicit instructions ({@link readInstructions});
 * - `explicit`: only the spans' explicit instructions and their `aim.*` run attributes (experiment,
 *   name, tags, description): the `AimCallbackHandler` facade writes LangChain Python's layout so.
 */
export type MappingLayout = 'genai' | 'explicit';

/** Options of the span → Aim mapping. */
export interface MappingOptions {
  /** How spans are grouped into runs. Default `auto` (see {@link RunKeyStrategy}). */
  runKey?: RunKeyStrategy;
  /** Experiment of runs whose spans name none (`aim.experiment`); default the resource's `service.name`. */
  experiment?: string;
  /** Separates deployments that share a repository: part of every run hash. Default empty. */
  namespace?: string;
  /** Map every span (true) or only GenAI spans of the conventions read (false). Default false. */
  includeNonGenAI?: boolean;
  /** Which layout to write ({@link MappingLayout}). Default `genai`. */
  layout?: MappingLayout;
  /**
   * Where spans with no run key and no keyed trace go ({@link UnkeyedRunOptions}). Default
   * `{ grouping: 'trace' }`: one run per trace (the receiver passes `window`).
   */
  unkeyed?: UnkeyedRunOptions;
  /**
   * Template of the link from a run to its latest trace, in the param `otel.traces.link`: every
   * `{trace_id}` is replaced by the trace id, e.g. `http://localhost:16686/trace/{trace_id}`
   * (Jaeger's UI). Default none (no `link`).
   */
  traceLink?: string;
  /**
   * The prices of model calls, for their `gen_ai.usage.cost` metrics. Default: none (the mapping
   * is pure and takes its prices as input: without a book it writes no cost and reports no
   * unpriced calls). The sink (exporter, receiver) always passes one: the built-in table
   * (`PriceBook.builtIn()`, src/pricing/builtin-prices.ts) with the entries of its `prices` option
   * or `AIM_OTEL_BRIDGE_PRICES` file first (see `resolvePriceBook`).
   */
  priceBook?: PriceBook;
}

/** A model call the mapping could not price (see {@link PricingReport}). */
export interface UnpricedCallNote {
  readonly provider: string | undefined;
  readonly model: string | undefined;
}

/**
 * What pricing the model calls of a batch found, for the caller to count and log (the mapping
 * does neither): each call counts once, also when two stacked spans describe it.
 */
export interface PricingReport {
  /** Model calls with token counts and no price (no cost was written for them), one entry per call. */
  readonly unpriced: readonly UnpricedCallNote[];
  /** Model calls whose token totals left their cached or reasoning parts out (`splitUsage` read them so). */
  readonly adjusted: number;
}

/** The plan of a batch of spans, with what pricing found ({@link PricingReport}). */
export interface SpanWritePlan extends AimWritePlan {
  readonly pricing: PricingReport;
}

/**
 * Run keys already decided for traces (a span without a run key of its own follows the key its
 * trace got from an earlier span). The caller keeps it between batches and bounds it.
 */
export interface TraceKeyMemo {
  get(traceId: string): string | undefined;
  set(traceId: string, key: string): void;
}

/**
 * Maps finished spans to what to write to Aim (the default layout of ARCHITECTURE.md). Pure: no
 * I/O, no clock; the same spans always give the same plan, so a replayed batch writes the same
 * points at the same steps (a no-op in Aim).
 *
 * - **run**: one per run key ({@link RunKeyStrategy}), hash derived from the key; a trace's spans
 *   without a key follow the key another span of the trace carries.
 * - **experiment**: `aim.experiment` (span, then resource), else `options.experiment`, else `service.name`.
 * - **tenants**: a span carrying a tenant (`SpanRecord.tenant`, set by the receiver from its token's
 *   scope) gets its run key in the tenant's namespace, what is remembered of its trace under the
 *   tenant's trace key, and when it names no experiment the tenant's (see tenant-keys.ts).
 * - **name / tags / description**: `aim.run_name` (else a name that tells runs apart, see
 *   run-description.ts), `aim.tags`, `aim.run_description`.
 * - **params**: `otel.resource`, `otel.traces` (bounded: count, first and last traces, link),
 *   `gen_ai.conversation.id` / `session.id` / `user.id`, `langchain.metadata.*` / `langchain.tags`
 *   attributes (the user's: LangGraph's per-step bookkeeping and LangChain's step tags left out),
 *   and of the model calls, each from the first call (by start time) that has it, set once per
 *   run: `gen_ai.request` (the request parameters by GenAI name, normalized whatever the producer:
 *   `{model, temperature, max_tokens, ...}`, see request-params.ts), `gen_ai.tool.definitions`
 *   (the tools offered, `[{type, name, description?, parameters?}]`, see tool-definitions.ts) and
 *   `gen_ai.response.model`.
 * - **metrics** (model calls): `gen_ai.usage.input_tokens`, `gen_ai.usage.output_tokens`,
 *   `gen_ai.usage.total_tokens` (given, else input + output), `gen_ai.client.operation.duration`
 *   (s), `gen_ai.server.time_to_first_token` (s) and `errors` (1 per failed GenAI span), context
 *   `{operation, model, provider}`: the call context, in GenAI names whatever the producer's
 *   convention (operation `chat`..., the request model else the response model, the GenAI
 *   provider name; see conventions.ts).
 * - **cost** (with `options.priceBook`: model calls with token counts and a price in it; see
 *   src/pricing): `gen_ai.usage.cost` (USD, float), and each part with tokens as a series of its
 *   own: `gen_ai.usage.cost.input` (uncached input), `.cache_read`, `.cache_write`, `.output`
 *   (text output), `.reasoning`; the parts sum to the total. Same context and step as the token
 *   metrics. The price is the response model's, else the request model's; a call with no price
 *   gets no cost point (it is reported in the plan's `pricing.unpriced`, never guessed).
 * - **texts**: `on_llm_start`/`on_llm_end`, `on_chain_start`/`on_chain_end`,
 *   `on_tool_start`/`on_tool_end` (+ `on_agent_action` for tools a model called), `on_agent_finish`,
 *   `on_retriever_start`/`on_retriever_end`, context `{action, ...}`; per model call
 *   `gen_ai.response`, context the call context, lines of what the response said (those known):
 *   `id: <response id>`, `model: <response model>`, `finish_reasons: stop, tool_call`.
 * - **step** of every point: its span's natural step, `start in ms × 4096 + the span id's last 12
 *   bits` ({@link spanStep}): in time order, below 2^53 (exact in the Aim UI) until 2039, and the
 *   same in every process, so replays, restarts and several replicas write each point at the same
 *   key (Aim overwrites, nothing is added twice). A span whose natural step another span of its run
 *   holds takes the next free one and keeps it: `placements` remembers (see span-places.ts).
 * - **one call, counted once**: of two stacked model-call spans (a framework's and the provider
 *   instrumentation's under it) only one writes the call's points (see span-places.ts).
 */
export function planWrites(spans: readonly SpanRecord[], options: MappingOptions = {}, memo?: TraceKeyMemo, placements?: PlacementMemo): SpanWritePlan {
  const strategy = options.runKey ?? 'auto';
  // A tenant's keys live in its namespace; what is remembered by trace id, under its trace key (tenant-keys.ts).
  const explicit = spans.map((span) => {
    const key = explicitRunKey(span, strategy);
    return key === undefined ? undefined : tenantRunKey(key, span.tenant);
  });
  const traceKeys = new Map<string, string>();
  spans.forEach((span, i) => {
    const key = explicit[i];
    const trace = tenantTraceKey(span.traceId, span.tenant);
    if (key !== undefined && !traceKeys.has(trace)) traceKeys.set(trace, key);
  });
  const builders = new Map<string, RunBuilder>();
  const problems: string[] = [];
  const explicitOnly = options.layout === 'explicit';
  const mapped: { span: SpanRecord; facts: GenAIFacts | undefined; builder: RunBuilder }[] = [];
  for (const [i, span] of spans.entries()) {
    const facts = explicitOnly ? undefined : readGenAIFacts(span);
    if (!facts && !hasInstructions(span) && (explicitOnly || options.includeNonGenAI !== true)) continue;
    // A span placed before stays in its run (a replay must not move its points to another).
    const trace = tenantTraceKey(span.traceId, span.tenant);
    const key =
      tenantPlacements(placements, span.tenant)?.placement(span.traceId, span.spanId)?.key ??
      explicit[i] ??
      traceKeys.get(trace) ??
      memo?.get(trace) ??
      tenantRunKey(unkeyedRunKey(span, facts, options.unkeyed), span.tenant);
    memo?.set(trace, key);
    let builder = builders.get(key);
    if (!builder) {
      builder = new RunBuilder(key, runHash(key, options.namespace), options);
      builders.set(key, builder);
    }
    mapped.push({ span, facts: facts && withEventContent(facts, span), builder });
  }
  const placed: (PlacedSpan & { builder: RunBuilder })[] = [];
  for (const { span, facts, builder } of mapped) if (facts) placed.push({ span, facts, hash: builder.hash, builder });
  const places = placeTenantSpans(placed, placements);
  const placeOf = new Map<SpanRecord, SpanPlace>();
  for (const entry of placed) {
    const place = places.get(entry);
    if (place) placeOf.set(entry.span, place);
  }
  // Outer spans of stacked calls last: they leave out what their inner call wrote in this batch.
  const written = new Map<string, readonly string[]>();
  const ordered = [...mapped.filter((entry) => !placeOf.get(entry.span)?.fill), ...mapped.filter((entry) => placeOf.get(entry.span)?.fill)];
  for (const { span, facts, builder } of ordered) {
    if (explicitOnly) builder.addRunAttributes(span, options);
    else {
      const place = placeOf.get(span);
      const skip = place?.fill ? (place.fill.names ?? written.get(place.fill.inner) ?? []) : [];
      const wrote = builder.addSpan(span, facts, options, place, skip);
      if (wrote) written.set(spanKey(span.traceId, span.spanId), wrote);
    }
    problems.push(...builder.addInstructions(span));
  }
  const runs = [...builders.values()].map((builder) => builder.build());
  const unpriced: UnpricedCallNote[] = [];
  let adjusted = 0;
  for (const builder of builders.values()) {
    const report = builder.pricingReport();
    unpriced.push(...report.unpriced);
    adjusted += report.adjusted;
  }
  return { runs, placements: [...builders.values()].flatMap((builder) => builder.placements()), problems, pricing: { unpriced, adjusted } };
}

/**
 * {@link placeSpans} for each tenant's spans (and the unscoped ones) apart, each seeing only its
 * own placements (`tenantPlacements`). One request is one tenant's: the usual batch is one call.
 */
function placeTenantSpans(placed: readonly PlacedSpan[], placements: PlacementMemo | undefined): Map<PlacedSpan, SpanPlace> {
  const tenants = new Set(placed.map((entry) => entry.span.tenant?.namespace));
  if (tenants.size <= 1) return placeSpans(placed, tenantPlacements(placements, placed[0]?.span.tenant));
  const places = new Map<PlacedSpan, SpanPlace>();
  for (const namespace of tenants) {
    const own = placed.filter((entry) => entry.span.tenant?.namespace === namespace);
    for (const [entry, place] of placeSpans(own, tenantPlacements(placements, own[0]?.span.tenant))) places.set(entry, place);
  }
  return places;
}

/**
 * The span's GenAI content events (`gen_ai.client.inference.operation.details`, the per-message
 * events) fill the input and output texts its attributes leave empty.
 */
function withEventContent(facts: GenAIFacts, span: SpanRecord): GenAIFacts {
  if ((facts.inputText !== undefined && facts.outputText !== undefined) || span.events.length === 0) return facts;
  const events: ContentEvent[] = [];
  for (const event of span.events) {
    const content = readContentEvent(event.name, null, event.attributes, event.timeUnixNano);
    if (content) events.push(content);
  }
  if (events.length === 0) return facts;
  const content = renderContentEvents(events);
  return { ...facts, inputText: facts.inputText ?? content.input, outputText: facts.outputText ?? content.output };
}
