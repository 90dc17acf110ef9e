/**
 * What one run of a batch gets written (a {@link RunWritePlan}), built span by span for
 * {@link planWrites} in to-aim.ts, which decides the spans' runs and places; the layout it writes
 * is documented there.
 */
import type { AttributeValue, Attributes, SpanRecord } from '../model/span-record.js';
import type { MetricWrite, ParamWrite, PlanContext, PlanValue, RunWritePlan, SpanPlacement, TextWrite } from './aim-plan.js';
import { type GenAIFacts, agentEvents } from './conventions.js';
import { type TrackInstruction, readInstructions } from './instructions.js';
import { toPlanValue } from './plan-value.js';
import { RunDescription } from './run-description.js';
import { localRunKey, namedExperiment, tenantExperiment } from './tenant-keys.js';
import { type SpanPlace, callContextOf, isFrameworkCall, isModelCall, spanStep, stepAt } from './span-places.js';
import type { MappingOptions, PricingReport, UnpricedCallNote } from './to-aim.js';
import type { CallParts } from '../pricing/call-cost.js';
import type { PriceBook } from '../pricing/price-book.js';
import { priceCall } from '../pricing/price-call.js';

/** The plan of one run of a batch (see {@link planWrites} in to-aim.ts for the layout). */
export class RunBuilder {
  /** The experiment the run's spans name (`aim.experiment`, span then resource): the first that names one wins, wherever it is in the batch. */
  private experimentNamed: string | undefined;
  /** Else: the tenant's experiment or the bridge's `experiment` option, as of the first span. */
  private experimentConfigured: string | undefined;
  /** Else (GenAI layout): the first span's `service.name`. */
  private experimentOfService: string | undefined;
  private name: string | undefined;
  private description: string | undefined;
  private readonly tags = new Set<string>();
  private resource: Attributes | undefined;
  private readonly params = new Map<string, ParamWrite>();
  private readonly metrics: MetricWrite[] = [];
  private readonly texts: TextWrite[] = [];
  private spanCount = 0;
  /** Placements of this run's GenAI spans; their experiment is set by {@link placements}, once known. */
  private readonly placed: { -readonly [K in keyof SpanPlacement]: SpanPlacement[K] }[] = [];
  /** The run's params from its first model call (by start time) that has each: `gen_ai.request`, `gen_ai.tool.definitions`, `gen_ai.response.model`. */
  private readonly firstCall = new Map<string, { path: readonly string[]; start: bigint; value: PlanValue }>();

  private readonly findable: RunDescription;
  /** This run's model calls with token counts and no price, by span id (see {@link pricingReport}). */
  private readonly unpriced = new Map<string, UnpricedCallNote>();
  /** This run's model calls whose totals left their parts out, by span id. */
  private readonly adjusted = new Set<string>();

  constructor(
    private readonly key: string,
    readonly hash: string,
    options: MappingOptions,
  ) {
    this.findable = new RunDescription(localRunKey(key), options);
  }

  /** The run's `aim.*` attributes (experiment, name, tags, description): all the `explicit` layout reads besides instructions. */
  addRunAttributes(span: SpanRecord, options: MappingOptions): void {
    this.spanCount += 1;
    this.experimentNamed ??= namedExperiment(span.attributes, span.origin.resource);
    this.experimentConfigured ??= tenantExperiment(span.tenant, span.origin.resource, options.experiment) ?? options.experiment;
    this.name ??= text(attr(span, 'aim.run_name'));
    this.description ??= text(attr(span, 'aim.run_description'));
    for (const tag of tagList(attr(span, 'aim.tags'))) this.tags.add(tag);
  }

  /** The span's explicit instructions (`aim.params`, `aim.track` events); returns the malformed ones. */
  addInstructions(span: SpanRecord): readonly string[] {
    const instructions = readInstructions(span);
    for (const [key, value] of Object.entries(instructions.params)) this.param([key], value);
    instructions.tracks.forEach((track, index) => {
      this.addTrack(span, track, index);
    });
    return instructions.problems;
  }

  private addTrack(span: SpanRecord, track: TrackInstruction, index: number): void {
    const point = {
      name: track.name,
      context: track.context,
      step: track.step ?? stepAt(track.timeUnixNano, span.spanId),
      time: Number(track.timeUnixNano) / 1e9,
      spanId: span.spanId,
    };
    if (track.value.kind === 'float') this.metrics.push({ ...point, value: track.value.value, key: `${span.spanId}/aim.track/${String(index)}` });
    else this.texts.push({ ...point, text: track.value.kind === 'text' ? track.value.text : track.value.texts });
  }

  /**
   * A mapped span at its place ({@link placeSpans}): a model call whose place is another span's
   * writes its call points there, leaving out those named in `skip` (what the inner span of its
   * call wrote). Returns the names of the call points a model call wrote.
   */
  addSpan(
    span: SpanRecord,
    facts: GenAIFacts | undefined,
    options: MappingOptions,
    place: SpanPlace | undefined,
    skip: readonly string[],
  ): readonly string[] | undefined {
    const metricsBefore = this.metrics.length;
    const textsBefore = this.texts.length;
    this.add(span, facts, options, place?.step);
    const placement = facts ? this.placed[this.placed.length - 1] : undefined;
    if (!placement || !facts) return undefined;
    if (span.parentSpanId !== undefined) placement.parentSpanId = span.parentSpanId;
    if (!isModelCall(facts)) return undefined;
    placement.modelCall = true;
    if (isFrameworkCall(span, facts)) placement.framework = true;
    const left = new Set(skip);
    // The inner span of the call counted (or priced) it: the call is not unpriced or adjusted twice.
    if (COUNTED_BY_INNER.some((name) => left.has(name))) {
      this.unpriced.delete(span.spanId);
      this.adjusted.delete(span.spanId);
    }
    const ownContext = placement.context;
    const merged = place?.mergedInto;
    const metrics = this.metrics.splice(metricsBefore).filter((point) => !left.has(point.name));
    const texts = this.texts.splice(textsBefore).filter((point) => !left.has(point.name));
    this.metrics.push(...(merged ? metrics.map((point) => retarget(point, ownContext, merged)) : metrics));
    this.texts.push(...(merged ? texts.map((point) => retarget(point, ownContext, merged)) : texts));
    if (merged) {
      placement.context = merged.context;
      placement.callKey = merged.key;
    }
    if (place?.fill) placement.fills = true;
    const wrote = [...new Set([...metrics, ...texts].map((point) => point.name))];
    placement.wrote = wrote;
    return wrote;
  }

  add(span: SpanRecord, facts: GenAIFacts | undefined, options: MappingOptions, at?: bigint): void {
    this.addRunAttributes(span, options);
    this.experimentOfService ??= text(span.origin.resource['service.name']);
    this.findable.observe(span, facts);

    this.resource ??= span.origin.resource;
    for (const key in span.attributes) {
      if (!key.startsWith('langchain.')) continue;
      const value = span.attributes[key];
      if (value === undefined) continue;
      if (key.startsWith('langchain.metadata.')) {
        const name = key.slice('langchain.metadata.'.length);
        if (name !== '' && !isStepMetadata(name)) this.param(['langchain', 'metadata', name], toPlanValue(value));
      } else if (key === 'langchain.tags') {
        const tags = tagList(value).filter((tag) => !isStepTag(tag));
        if (tags.length > 0) this.param(['langchain', 'tags'], tags);
      }
    }
    if (!facts) return;

    const step = at ?? spanStep(span);
    const time = Number(span.endTimeUnixNano) / 1e9;
    const point = { step, time, spanId: span.spanId };
    const callContext = callContextOf(facts);
    this.placed.push({ traceId: span.traceId, spanId: span.spanId, key: this.key, hash: this.hash, context: callContext, step, time });

    const modelCall = isModelCall(facts);
    if (modelCall) {
      if (Object.keys(facts.request).length > 0) this.firstCallParam(['gen_ai', 'request'], span, () => toPlanValue(facts.request));
      if (facts.toolDefinitions.length > 0)
        this.firstCallParam(['gen_ai', 'tool', 'definitions'], span, () => facts.toolDefinitions.map((tool) => toPlanValue({ ...tool })));
      const responseModel = facts.responseModel;
      if (responseModel !== undefined) this.firstCallParam(['gen_ai', 'response', 'model'], span, () => responseModel);
      // Token counts are Aim ints, durations floats.
      this.metric('gen_ai.usage.input_tokens', toInt(facts.inputTokens), callContext, step, time, span.spanId);
      this.metric('gen_ai.usage.output_tokens', toInt(facts.outputTokens), callContext, step, time, span.spanId);
      this.metric('gen_ai.usage.total_tokens', toInt(facts.totalTokens), callContext, step, time, span.spanId);
      this.metric('gen_ai.client.operation.duration', Number(span.endTimeUnixNano - span.startTimeUnixNano) / 1e9, callContext, step, time, span.spanId);
      this.metric('gen_ai.server.time_to_first_token', facts.timeToFirstTokenSeconds, callContext, step, time, span.spanId);
      if (options.priceBook) this.addCost(span, facts, options.priceBook, callContext, step, time);
    }
    if (facts.errorType !== undefined) {
      this.metrics.push({ name: 'errors', value: 1n, context: { ...callContext, ...compact({ role: facts.role, error_type: facts.errorType }) }, ...point });
    }
    const events = agentEvents(span);
    const finishedByEvent = events.some((event) => event.kind === 'finish');
    for (const [name, content, extra] of textsOf(facts)) {
      if (content === undefined || (name === 'on_agent_finish' && finishedByEvent)) continue;
      this.texts.push({ name, text: content, context: compact({ action: name, ...callContext, ...extra }), ...point });
    }
    const response = modelCall ? responseText(facts) : undefined;
    if (response !== undefined) this.texts.push({ name: 'gen_ai.response', text: response, context: callContext, ...point });
    for (const event of events) {
      const name = event.kind === 'action' ? 'on_agent_action' : 'on_agent_finish';
      this.texts.push({
        name,
        text: event.text,
        context: compact({ action: name, tool: event.tool }),
        step: stepAt(event.timeUnixNano, span.spanId),
        time: Number(event.timeUnixNano) / 1e9,
        spanId: span.spanId,
      });
    }
  }

  /**
   * A model call's cost (see to-aim.ts, **cost**): `gen_ai.usage.cost` and its parts with tokens,
   * at the token metrics' context and step; a call with tokens and no price is noted instead.
   */
  private addCost(span: SpanRecord, facts: GenAIFacts, book: PriceBook, context: PlanContext, step: bigint, time: number): void {
    const details = facts.tokenDetails;
    const call = priceCall(book, {
      provider: facts.provider,
      responseModel: facts.responseModel,
      requestModel: facts.model,
      usage: {
        input: count(facts.inputTokens),
        output: count(facts.outputTokens),
        total: count(facts.totalTokens),
        cacheRead: count(details?.cacheRead),
        cacheWrite: count(details?.cacheWrite),
        reasoning: count(details?.reasoning),
        uncachedInput: count(details?.uncachedInput),
        textOutput: count(details?.textOutput),
      },
    });
    if (call === undefined) return;
    if (!call.priced) {
      this.unpriced.set(span.spanId, { provider: call.provider, model: call.model });
      return;
    }
    const { cost } = call;
    this.metric(COST_METRIC, cost.total, context, step, time, span.spanId);
    for (const [part, name] of COST_PARTS) if (cost.tokens[part] > 0) this.metric(name, cost.parts[part], context, step, time, span.spanId);
    if (cost.adjusted) this.adjusted.add(span.spanId);
  }

  /** What pricing found for this run's model calls (call after every span was added). */
  pricingReport(): PricingReport {
    return { unpriced: [...this.unpriced.values()], adjusted: this.adjusted.size };
  }

  /** Keeps `value()` as param `path` when `span` started before the call it came from so far. */
  private firstCallParam(path: readonly string[], span: SpanRecord, value: () => PlanValue): void {
    const key = path.join('.');
    const first = this.firstCall.get(key);
    if (!first || span.startTimeUnixNano < first.start) this.firstCall.set(key, { path, start: span.startTimeUnixNano, value: value() });
  }

  private metric(name: string, value: number | bigint | undefined, context: PlanContext, step: bigint, time: number, spanId: string): void {
    if (value !== undefined) this.metrics.push({ name, value, context, step, time, spanId });
  }

  build(): RunWritePlan {
    const params: ParamWrite[] = [];
    if (this.resource) params.push({ path: ['otel', 'resource'], value: toPlanValue(this.resource) });
    params.push(...this.findable.params());
    params.push(...this.params.values());
    for (const { path, value } of this.firstCall.values()) params.push({ path, value, once: true });
    const name = this.name ?? this.findable.name();
    const defaultName = name === undefined ? this.findable.defaultName() : undefined;
    const traces = this.findable.traces();
    return {
      key: this.key,
      hash: this.hash,
      ...(this.experiment !== undefined ? { experiment: this.experiment } : {}),
      ...(name !== undefined ? { name } : {}),
      ...(this.description !== undefined ? { description: this.description } : {}),
      tags: [...this.tags],
      params,
      ...(defaultName !== undefined ? { defaultName } : {}),
      ...(traces ? { traces } : {}),
      metrics: separateSteps(this.metrics),
      texts: separateSteps(this.texts),
      spanCount: this.spanCount,
    };
  }

  /** The run's experiment: the one its spans name, else the configured one, else the service's. */
  private get experiment(): string | undefined {
    return this.experimentNamed ?? this.experimentConfigured ?? this.experimentOfService;
  }

  /** Where this run's GenAI spans went (call after every span was added). */
  placements(): SpanPlacement[] {
    const experiment = this.experiment;
    if (experiment !== undefined) for (const placed of this.placed) placed.experiment = experiment;
    return this.placed;
  }

  private param(path: string[], value: PlanValue): void {
    this.params.set(JSON.stringify(path), { path, value });
  }
}

/** A model call's cost in USD (float). */
const COST_METRIC = 'gen_ai.usage.cost';

/** The cost parts, each its own series, written when the part has tokens. */
const COST_PARTS: readonly (readonly [keyof CallParts, string])[] = [
  ['input', 'gen_ai.usage.cost.input'],
  ['cacheRead', 'gen_ai.usage.cost.cache_read'],
  ['cacheWrite', 'gen_ai.usage.cost.cache_write'],
  ['output', 'gen_ai.usage.cost.output'],
  ['reasoning', 'gen_ai.usage.cost.reasoning'],
];

/** Call points that mean the inner span of a stacked call counted the call's tokens (and judged its price). */
const COUNTED_BY_INNER: readonly string[] = ['gen_ai.usage.input_tokens', 'gen_ai.usage.output_tokens', COST_METRIC];

/** A token count as a number for pricing (counts are far below 2^53). */
function count(value: number | bigint | undefined): number | undefined {
  return value === undefined ? undefined : Number(value);
}

/**
 * Makes steps unique within each sequence (name + context) of a run: points sharing a step move
 * to the next free steps, in span id order, so the result depends only on the batch. Fast path:
 * points are bucketed by name and step; contexts are compared only where a bucket holds several.
 */
function separateSteps<T extends { readonly name: string; readonly context: PlanContext; readonly step: bigint; readonly spanId: string }>(
  points: readonly T[],
): T[] {
  const buckets = new Map<string, Map<bigint, T[]>>();
  let shared = false;
  for (const point of points) {
    let steps = buckets.get(point.name);
    if (!steps) buckets.set(point.name, (steps = new Map<bigint, T[]>()));
    const bucket = steps.get(point.step);
    if (bucket) {
      bucket.push(point);
      shared = true;
    } else {
      steps.set(point.step, [point]);
    }
  }
  if (!shared) return [...points];

  // Rare path: group the affected names' points by sequence and move the duplicates.
  const moved = new Map<T, bigint>();
  for (const [name, steps] of buckets) {
    if (![...steps.values()].some((bucket) => bucket.length > 1)) continue;
    const sequences = new Map<string, T[]>();
    for (const point of points) {
      if (point.name !== name) continue;
      const key = JSON.stringify(point.context);
      const sequence = sequences.get(key);
      if (sequence) sequence.push(point);
      else sequences.set(key, [point]);
    }
    for (const sequence of sequences.values()) {
      const ordered = [...sequence].sort((a, b) => (a.step === b.step ? a.spanId.localeCompare(b.spanId) : a.step < b.step ? -1 : 1));
      const used = new Set<bigint>();
      for (const point of ordered) {
        let step = point.step;
        while (used.has(step)) step += 1n;
        used.add(step);
        if (step !== point.step) moved.set(point, step);
      }
    }
  }
  return points.map((point) => {
    const step = moved.get(point);
    return step === undefined ? point : { ...point, step };
  });
}

/**
 * A call point moved to the place of the span whose call it also describes: its point key, and
 * its context with the call's keys (`ownContext`) replaced by that span's call context.
 */
function retarget<T extends MetricWrite | TextWrite>(point: T, ownContext: PlanContext, merged: NonNullable<SpanPlace['mergedInto']>): T {
  const context: Record<string, string | number | boolean> = {};
  for (const key in point.context) if (!(key in ownContext)) context[key] = point.context[key] as string | number | boolean;
  return { ...point, spanId: merged.key, context: Object.freeze({ ...context, ...merged.context }) };
}

/** A model call's `gen_ai.response` text: `id: ...`, `model: ...`, `finish_reasons: ...` lines, those known; undefined when none is. */
function responseText(facts: GenAIFacts): string | undefined {
  const lines: string[] = [];
  if (facts.responseId !== undefined) lines.push(`id: ${facts.responseId}`);
  if (facts.responseModel !== undefined) lines.push(`model: ${facts.responseModel}`);
  if (facts.finishReasons.length > 0) lines.push(`finish_reasons: ${facts.finishReasons.join(', ')}`);
  return lines.length > 0 ? lines.join('\n') : undefined;
}

/** The text points of a span: [sequence name, text, extra context]. */
function textsOf(facts: GenAIFacts): [string, string | undefined, Record<string, string | undefined>][] {
  const tool = { tool: facts.toolName };
  switch (facts.role) {
    case 'llm':
    case 'embedding':
      return [
        ['on_llm_start', facts.inputText, {}],
        ['on_llm_end', facts.outputText, {}],
      ];
    case 'tool': {
      const texts: [string, string | undefined, Record<string, string | undefined>][] = [
        ['on_tool_start', facts.inputText, tool],
        ['on_tool_end', facts.outputText, tool],
      ];
      // A tool a model asked for (it has a tool call id) is an agent action in LangChain's terms.
      if (facts.toolCallId !== undefined) {
        texts.push(['on_agent_action', facts.inputText === undefined ? undefined : `TOOL INPUT:\n${facts.inputText}`, tool]);
      }
      return texts;
    }
    case 'agent':
      return [
        ['on_chain_start', facts.inputText, { agent: facts.agentName }],
        ['on_agent_finish', facts.outputText === undefined ? undefined : `OUTPUT:\n${facts.outputText}`, { agent: facts.agentName }],
      ];
    case 'retriever':
      return [
        ['on_retriever_start', facts.inputText, {}],
        ['on_retriever_end', facts.outputText, {}],
      ];
    case 'chain':
    case 'other':
      return [
        ['on_chain_start', facts.inputText, {}],
        ['on_chain_end', facts.outputText, {}],
      ];
  }
}

/**
 * LangChain/LangGraph bookkeeping that differs from step to step (`langgraph_step`,
 * `langgraph_node`, `checkpoint_ns`, ...): as a run param it would only say which span came last.
 */
function isStepMetadata(name: string): boolean {
  return name.startsWith('langgraph_') || name.startsWith('checkpoint_') || name.startsWith('__pregel');
}

/** Tags LangChain adds to child runs (`seq:step:2`, `graph:step:1`, `langsmith:hidden`), not the user's. */
function isStepTag(tag: string): boolean {
  return /^(seq|graph):step:\d+$/.test(tag) || tag.startsWith('langsmith:');
}

/** An attribute of the span, else of its resource. */
function attr(span: SpanRecord, name: string): AttributeValue | undefined {
  return span.attributes[name] ?? span.origin.resource[name];
}

/** A token count as an Aim int. */
function toInt(value: number | bigint | undefined): bigint | undefined {
  return typeof value === 'number' ? BigInt(value) : value;
}

/** The defined entries of `context`, frozen: a span's points share it, and the Aim client knows it again by identity. */
function compact(context: Record<string, string | undefined>): PlanContext {
  const result: Record<string, string> = {};
  for (const key in context) {
    const value = context[key];
    if (value !== undefined) result[key] = value;
  }
  return Object.freeze(result);
}

function text(value: AttributeValue | undefined): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** `aim.tags` as a string array, or a comma-separated string. */
function tagList(value: AttributeValue | undefined): string[] {
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : [];
  return items
    .filter((tag): tag is string => typeof tag === 'string')
    .map((tag) => tag.trim())
    .filter((tag) => tag !== '');
}
