/**
 * The sink's memory of each run's trace waterfall (the figure `otel.trace_waterfall`, built by
 * `buildTraceWaterfall` in trace-waterfall.ts), and when the figure is written.
 *
 * **Memory**: per run, the span summaries the figure shows (its last `maxTraces` traces, at most
 * `maxSpans` spans: what falls outside the bounds is forgotten at once, and the figure's title
 * says spans were left out); over all runs at most `maxRememberedSpans` summaries and `maxRuns`
 * runs, the least recently used runs forgotten first. Like the runs' trace summaries
 * (`TraceSummaries` in open-runs.ts) it outlives a run's closing for idleness and a detach, so a
 * run that reopens goes on with its figure. A run forgotten (or a restarted bridge, or another
 * replica) starts over with the spans that come next: its next figure shows only those. It does
 * not overwrite a fuller figure: a figure's step grows with its latest span's end and its span
 * count (see trace-waterfall.ts), so the figure made from fewer spans lands on a step of its own,
 * before the fuller one if it ends no later, and the figures written before stay as they are.
 *
 * **Writes**: after a plan of a batch is applied to its run ({@link RunWaterfalls.apply}), at most
 * once per run and batch, and only when the run's spans changed since its figure was last
 * written: at once when the last write is `intervalMs` (default 5 s) ago or more, else later — the
 * sink asks for the runs whose write is due ({@link RunWaterfalls.dueTicks}) about every second and
 * queues a write-only plan for them, and a run that closes (idle, evicted, shutdown) writes what it
 * holds back first (see {@link RunWaterfalls.wrap}); `forceFlush` writes them all. So a run's figure
 * is at most `intervalMs` (and a second) behind its spans while it is open, and complete once it
 * closes. Writing the same spans again writes the same figure at the same step and time: a no-op in
 * Aim, and skipped here while the memory knows it wrote them. A run given up after a transient
 * failure (detached: its last writes may be lost) writes its figure again with its next plan.
 *
 * Cost, bounded: a figure's JSON is about 300 bytes a span shown (some 150 KB at 500 spans), and
 * Aim's tracker sends it twice (the point and the sequence's `last`); with every run writing at
 * most once per interval, the figures written per interval hold at most `maxRememberedSpans` spans
 * between them. Most writes are a new point (a later step): a run's figure history in Aim grows
 * by at most one figure per interval while its spans keep coming.
 */
import type { RunWritePlan, WaterfallSpan } from '../mapping/aim-plan.js';
import { TRACE_WATERFALL_SEQUENCE, type WaterfallBounds, buildTraceWaterfall, selectWaterfall, waterfallBounds } from '../mapping/trace-waterfall.js';
import { spanKey } from '../mapping/span-places.js';
import type { RateLimitedLog } from '../logging/rate-limited-log.js';
import type { RunWriter } from './aim-writer.js';
import { type Clock, systemClock } from './clock.js';
import { describeError } from './describe-error.js';

/** How the sink keeps and writes the runs' trace waterfalls (`traceWaterfall` of the sink's options). */
export interface TraceWaterfallOptions extends WaterfallBounds {
  /** A run's figure is written at most once per this many ms while spans keep coming (and once more when the run closes). Default {@link DEFAULT_WATERFALL_INTERVAL_MS}. */
  intervalMs?: number;
  /** Span summaries remembered over all runs, at most (at least `maxSpans`). Default 20 000 (some 10 MB). */
  maxRememberedSpans?: number;
  /** Runs whose waterfall is remembered, at most. Default 10 000. */
  maxRuns?: number;
}

/** Default of {@link TraceWaterfallOptions.intervalMs}. */
export const DEFAULT_WATERFALL_INTERVAL_MS = 5_000;

/** What the sink remembers of one run's waterfall. */
interface Entry {
  /** The spans shown, by `traceId/spanId`. */
  readonly spans: Map<string, WaterfallSpan>;
  /** Whether the bounds left spans out. */
  cut: boolean;
  /** Counts the changes of `spans` and `cut`. */
  version: number;
  /** The version whose figure was last written to the run; undefined when none was, or its writes may be lost. */
  written: number | undefined;
  /** When the figure was last written (ms since the epoch). */
  lastWriteAt: number;
  /** The run, while it is open (the wrapper {@link RunWaterfalls.wrap} made). */
  run: RunWriter | undefined;
}

/** See the module documentation. */
export class RunWaterfalls {
  /** By run hash, least recently used first. */
  private readonly entries = new Map<string, Entry>();
  /** Span summaries remembered, over all runs. */
  private weight = 0;
  /** Runs whose figure has changes not written yet. */
  private readonly pending = new Set<string>();
  /** The write-only plans handed out by {@link dueTicks}, and whether each writes regardless of the interval. */
  private readonly ticks = new WeakMap<RunWritePlan, boolean>();
  /** Runs with a write-only plan queued. */
  private readonly ticking = new Set<string>();
  private readonly bounds: Required<WaterfallBounds>;
  private readonly intervalMs: number;
  private readonly maxSpans: number;
  private readonly maxRuns: number;

  constructor(
    options: TraceWaterfallOptions = {},
    private readonly clock: Clock = systemClock,
    private readonly log?: RateLimitedLog,
  ) {
    this.bounds = waterfallBounds(options);
    this.intervalMs = Math.max(0, options.intervalMs ?? DEFAULT_WATERFALL_INTERVAL_MS);
    this.maxSpans = Math.max(this.bounds.maxSpans, options.maxRememberedSpans ?? 20_000);
    this.maxRuns = Math.max(1, options.maxRuns ?? 10_000);
  }

  /** Runs remembered. */
  get size(): number {
    return this.entries.size;
  }

  /** Span summaries remembered, over all runs. */
  get spans(): number {
    return this.weight;
  }

  /** How often the sink should look for due writes ({@link dueTicks}), in ms. */
  get tickMs(): number {
    return Math.min(1_000, Math.max(100, this.intervalMs));
  }

  /**
   * `run` (just opened as `hash`) as the sink holds it open: closing it first writes the figure's
   * changes held back; detaching it (its writes may be lost) has its next plan write the figure again.
   */
  wrap(hash: string, run: RunWriter): RunWriter {
    return new WaterfallRun(run, {
      closing: (wrapper) => this.closing(hash, wrapper),
      detached: (wrapper) => {
        this.detached(hash, wrapper);
      },
    });
  }

  /**
   * After `plan` was applied to its open `run`: merges its spans ({@link RunWritePlan.waterfall})
   * into the run's memory and writes the figure if it changed and the interval allows. Rejects
   * with the run's error.
   */
  async apply(plan: RunWritePlan, run: RunWriter): Promise<void> {
    let entry = this.touch(plan.hash);
    if (plan.waterfall && plan.waterfall.length > 0) {
      entry ??= this.add(plan.hash);
      this.merge(plan.hash, entry, plan.waterfall);
    }
    if (!entry) return;
    entry.run = run;
    if (entry.written === entry.version) return;
    if (this.clock.now() - entry.lastWriteAt >= this.intervalMs) await this.write(plan.hash, entry, run);
    else this.pending.add(plan.hash);
  }

  /**
   * Write-only plans for the open runs whose figure has changes held back and is due (`force`:
   * whatever the interval). Queue them like other plans (the applier knows them, {@link isTick})
   * and call {@link ticked} once they settled. A run with such a plan queued gets no second one.
   */
  dueTicks(force = false): RunWritePlan[] {
    const now = this.clock.now();
    const plans: RunWritePlan[] = [];
    for (const hash of [...this.pending]) {
      const entry = this.entries.get(hash);
      if (!entry?.run || entry.written === entry.version) {
        this.pending.delete(hash);
        continue;
      }
      if (this.ticking.has(hash) || (!force && now - entry.lastWriteAt < this.intervalMs)) continue;
      const plan: RunWritePlan = { key: hash, hash, tags: [], params: [], metrics: [], texts: [], spanCount: 0 };
      this.ticks.set(plan, force);
      this.ticking.add(hash);
      plans.push(plan);
    }
    return plans;
  }

  /** Whether `plan` is a write-only plan of {@link dueTicks}. */
  isTick(plan: RunWritePlan): boolean {
    return this.ticks.has(plan);
  }

  /** Applies a write-only plan: writes its run's figure, if the run is still open and still due. Rejects with the run's error. */
  async applyTick(plan: RunWritePlan): Promise<void> {
    const force = this.ticks.get(plan) === true;
    this.ticking.delete(plan.hash);
    const entry = this.entries.get(plan.hash);
    if (!entry?.run || entry.written === entry.version) return;
    if (force || this.clock.now() - entry.lastWriteAt >= this.intervalMs) await this.write(plan.hash, entry, entry.run);
  }

  /** The write-only plans `plans` settled (written, or given up). */
  ticked(plans: readonly RunWritePlan[]): void {
    for (const plan of plans) this.ticking.delete(plan.hash);
  }

  private async write(hash: string, entry: Entry, run: RunWriter): Promise<void> {
    const version = entry.version;
    const waterfall = buildTraceWaterfall([...entry.spans.values()], { ...this.bounds, cut: entry.cut });
    if (waterfall && run.trackFigure) {
      await run.trackFigure(waterfall.figure, { name: TRACE_WATERFALL_SEQUENCE, step: waterfall.step, time: waterfall.time, context: {} });
    }
    entry.written = version;
    entry.lastWriteAt = this.clock.now();
    if (entry.version === version) this.pending.delete(hash);
  }

  /** The run `hash` closes: writes its figure's changes held back (a failure is logged: the run closes all the same). */
  private async closing(hash: string, wrapper: RunWriter): Promise<void> {
    const entry = this.entries.get(hash);
    if (!entry || entry.run !== wrapper) return;
    try {
      if (entry.written !== entry.version) await this.write(hash, entry, wrapper);
    } catch (error) {
      this.log?.warn('writing a trace waterfall failed', `run ${hash}: ${describeError(error)}`);
    }
    entry.run = undefined;
    this.pending.delete(hash);
  }

  private detached(hash: string, wrapper: RunWriter): void {
    const entry = this.entries.get(hash);
    if (!entry || entry.run !== wrapper) return;
    entry.run = undefined;
    entry.written = undefined;
    entry.lastWriteAt = Number.NEGATIVE_INFINITY;
    this.pending.delete(hash);
  }

  /** The entry of `hash`, marked used now. */
  private touch(hash: string): Entry | undefined {
    const entry = this.entries.get(hash);
    if (!entry) return undefined;
    this.entries.delete(hash);
    this.entries.set(hash, entry);
    return entry;
  }

  private add(hash: string): Entry {
    const entry: Entry = { spans: new Map(), cut: false, version: 0, written: undefined, lastWriteAt: Number.NEGATIVE_INFINITY, run: undefined };
    this.entries.set(hash, entry);
    return entry;
  }

  /** Adds the spans not known yet (a replayed span changes nothing), keeps what the bounds allow, forgets the least recently used runs beyond the totals. */
  private merge(hash: string, entry: Entry, spans: readonly WaterfallSpan[]): void {
    const added: string[] = [];
    for (const span of spans) {
      const key = spanKey(span.traceId, span.spanId);
      if (entry.spans.has(key)) continue;
      entry.spans.set(key, span);
      added.push(key);
    }
    if (added.length === 0) return;
    const before = entry.spans.size - added.length;
    const selection = selectWaterfall([...entry.spans.values()], this.bounds);
    const wasCut = entry.cut;
    if (selection.cut) {
      entry.spans.clear();
      for (const trace of selection.traces) for (const span of trace.spans) entry.spans.set(spanKey(span.traceId, span.spanId), span);
      entry.cut = true;
    }
    if (entry.cut !== wasCut || added.some((key) => entry.spans.has(key))) entry.version += 1;
    this.weight += entry.spans.size - before;
    while ((this.weight > this.maxSpans || this.entries.size > this.maxRuns) && this.entries.size > 1) {
      const [oldest, forgotten] = this.entries.entries().next().value as [string, Entry];
      if (oldest === hash) break; // only the run being merged is left to forget: never (its own bounds are below the total)
      this.entries.delete(oldest);
      this.pending.delete(oldest);
      this.weight -= forgotten.spans.size;
    }
  }
}

/** What a {@link WaterfallRun} tells its memory. */
interface WaterfallRunHooks {
  closing(wrapper: RunWriter): Promise<void>;
  detached(wrapper: RunWriter): void;
}

/** An open run as the sink holds it when it keeps waterfalls: the run's own methods, with {@link RunWaterfalls} told of its closing and detach. */
class WaterfallRun implements RunWriter {
  constructor(
    private readonly run: RunWriter,
    private readonly hooks: WaterfallRunHooks,
  ) {}

  get resumed(): boolean {
    return this.run.resumed;
  }

  set(...args: Parameters<RunWriter['set']>): ReturnType<RunWriter['set']> {
    return this.run.set(...args);
  }

  setEntries(...args: Parameters<RunWriter['setEntries']>): ReturnType<RunWriter['setEntries']> {
    return this.run.setEntries(...args);
  }

  get(...args: Parameters<RunWriter['get']>): ReturnType<RunWriter['get']> {
    return this.run.get(...args);
  }

  track(...args: Parameters<RunWriter['track']>): ReturnType<RunWriter['track']> {
    return this.run.track(...args);
  }

  trackText(...args: Parameters<RunWriter['trackText']>): ReturnType<RunWriter['trackText']> {
    return this.run.trackText(...args);
  }

  trackTexts(...args: Parameters<RunWriter['trackTexts']>): ReturnType<RunWriter['trackTexts']> {
    return this.run.trackTexts(...args);
  }

  async trackFigure(...args: Parameters<NonNullable<RunWriter['trackFigure']>>): Promise<void> {
    await this.run.trackFigure?.(...args);
  }

  setName(...args: Parameters<RunWriter['setName']>): ReturnType<RunWriter['setName']> {
    return this.run.setName(...args);
  }

  addTag(...args: Parameters<RunWriter['addTag']>): ReturnType<RunWriter['addTag']> {
    return this.run.addTag(...args);
  }

  async close(): Promise<void> {
    await this.hooks.closing(this);
    await this.run.close();
  }

  detach(): void {
    this.hooks.detached(this);
    this.run.detach();
  }
}
