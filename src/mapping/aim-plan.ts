/**
 * The Aim write plan: what the mapping decides to write, and the contract between the pure
 * mapping and the code that talks to Aim (the exporter, the receiver).
 */

/** A value the plan writes as a param (a JSON-like tree; `bigint` is an Aim int, `number` a float). */
export type PlanValue = null | boolean | number | bigint | string | readonly PlanValue[] | { readonly [key: string]: PlanValue };

/** A flat context dict of a sequence. */
export type PlanContext = Readonly<Record<string, string | number | boolean>>;

/** One param to set: `run[path] = value`. */
export interface ParamWrite {
  readonly path: readonly string[];
  readonly value: PlanValue;
  /** Set it only if this process has not set it for the run yet (e.g. the first model call's request). */
  readonly once?: boolean;
}

/** One trace of a run: its id, and when the earliest of its spans seen so far started (ms since the epoch). */
export interface TraceMark {
  readonly traceId: string;
  readonly startMs: number;
}

/**
 * The traces of a plan's spans, for the applier to merge with what it knows of the run beyond one
 * batch (the mapping is pure and sees one batch; a run gets spans from many).
 */
export interface PlanTraces {
  /** Every trace the plan's spans belong to, once, at the start of its earliest span in the batch; in trace id order. */
  readonly marks: readonly TraceMark[];
  /** The trace link template (`{trace_id}` placeholder), when one is configured (`MappingOptions.traceLink`). */
  readonly link?: string;
}

/** One point of a sequence. `step` is deterministic per span, so writing a point twice is a no-op. */
interface PointWrite {
  readonly name: string;
  readonly context: PlanContext;
  readonly step: bigint;
  /** Unix seconds of the point (the span's end). */
  readonly time: number;
  /** The span the point comes from (for logs). */
  readonly spanId: string;
}

/** A metric point: `number` is an Aim float, `bigint` an Aim int. */
export interface MetricWrite extends PointWrite {
  readonly value: number | bigint;
  /**
   * What the point's storage key derives from (the same on every replay): default the span id;
   * points of explicit `aim.track` events add their place in the span, so one span can carry many.
   */
  readonly key?: string;
}

/** A text point: one text, or a list of texts tracked as one point (Aim dtype `list(aim.text)`). */
export interface TextWrite extends PointWrite {
  readonly text: string | readonly string[];
}

/** Everything to write to one Aim run. */
export interface RunWritePlan {
  /** The run key the run was chosen by (see {@link RunKeyStrategy}). */
  readonly key: string;
  /** The Aim run hash, derived from the key. */
  readonly hash: string;
  readonly experiment?: string;
  readonly name?: string;
  readonly description?: string;
  readonly tags: readonly string[];
  /** The params to set, in order (every one a real param: what the applier merges is {@link traces}). */
  readonly params: readonly ParamWrite[];
  /**
   * The name the run gets when {@link name} is unset and the run is new in Aim (a resumed run, or
   * one the applier already named, keeps its name): a batch without the trace's root span names a
   * run only this way, so it never renames a run that a root span named. Unset: no default.
   */
  readonly defaultName?: string;
  /**
   * The traces of the plan's spans. The applier merges them into the run's bounded trace summary
   * (`TraceSummary`: the one it remembers, else, for a run Aim had before, the one stored in the
   * run) and writes the summary as the param `otel.traces`, linking the latest trace with
   * `link`. Unset: the applier leaves `otel.traces` alone.
   */
  readonly traces?: PlanTraces;
  readonly metrics: readonly MetricWrite[];
  readonly texts: readonly TextWrite[];
  /** How many spans went into this run. */
  readonly spanCount: number;
  /**
   * What the run's trace waterfall (the figure `otel.trace_waterfall`, see trace-waterfall.ts)
   * learns from this plan: a summary of each of its GenAI spans. The applier merges them into the
   * run's bounded waterfall memory (`RunWaterfalls`) and writes the figure. Unset: none.
   */
  readonly waterfall?: readonly WaterfallSpan[];
}

/**
 * One span as the trace waterfall shows it: a bar from its start to its end, under its parent,
 * coloured by its operation; the rest is its hover text. Strings are cut to a bounded length.
 */
export interface WaterfallSpan {
  readonly traceId: string;
  readonly spanId: string;
  /** Absent for a root span. */
  readonly parentSpanId?: string;
  readonly name: string;
  readonly startNs: bigint;
  readonly endNs: bigint;
  /** The GenAI operation (`chat`, `execute_tool`, `invoke_agent`...), model and provider: the span's call context. */
  readonly operation?: string;
  readonly model?: string;
  readonly provider?: string;
  readonly inputTokens?: number;
  readonly outputTokens?: number;
  readonly totalTokens?: number;
  /** The call's cost in USD, when the plan has one for the span. */
  readonly costUsd?: number;
  /** Set when the span failed: its error type and status message, those known. */
  readonly error?: { readonly type?: string; readonly message?: string };
}

/**
 * Where a mapped span's points went: what content arriving later for the span (GenAI log events)
 * needs to land in the same run, context and step as the span's own.
 */
export interface SpanPlacement {
  /**
   * The span's trace id. Where the log join keeps placements, a tenant's span is kept under the
   * tenant's version of the trace id (`placementTraceKey` in tenant-keys.ts), so another tenant's
   * ids never find it; the plan's own placements carry the real id.
   */
  readonly traceId: string;
  readonly spanId: string;
  /** The run key and hash of the span's run. */
  readonly key: string;
  readonly hash: string;
  /** The experiment the span's run was given, if any. */
  readonly experiment?: string;
  /** The span's call context (`{operation, model, provider}`): texts add `action`. */
  readonly context: PlanContext;
  readonly step: bigint;
  /** Unix seconds of the span's points (its end). */
  readonly time: number;
  /** The span's parent, for model calls (what finds two stacked spans of one call). */
  readonly parentSpanId?: string;
  /** The span is one model call (its tokens count). */
  readonly modelCall?: boolean;
  /** A model call of a framework (`FRAMEWORK_SCOPES`): it stacks on a provider's call under it. */
  readonly framework?: boolean;
  /** The span id whose place (context, step, point key) this model call's points took: set when its outer span was placed first. */
  readonly callKey?: string;
  /** The outer span of a stacked call: it wrote only the call points its inner span lacks. */
  readonly fills?: boolean;
  /** Model calls: the names of the call points it wrote (what an outer span of the same call leaves out). */
  readonly wrote?: readonly string[];
}

/** The plan for a batch of spans. */
export interface AimWritePlan {
  readonly runs: readonly RunWritePlan[];
  /** Where each GenAI span of the batch went (for content that arrives apart from it). */
  readonly placements: readonly SpanPlacement[];
  /** Explicit instructions that were malformed and ignored, one line each (for the logs). */
  readonly problems: readonly string[];
}
