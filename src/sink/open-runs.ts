/**
 * The runs the sink holds open, with what it remembers of each (params set once, name, tags) so
 * later batches write only what changed. Bounded: beyond `maxOpenRuns` the least recently used run
 * is closed; a run unused for `idleCloseMs` is closed by {@link OpenRunCache.closeIdle}. Closed runs
 * reopen when more comes for them.
 * The runs' trace summaries (`otel.traces`) are remembered longer than the runs stay open
 * ({@link TraceSummaries}); a run's usage totals (`cost.*`, `usage.*`) are recomputed from Aim
 * before it closes, if its usage changed ({@link RunTotals}).
 */
import { DEFAULT_COUNTED_TRACES, type TraceSummary } from '../mapping/run-description.js';
import { type Clock, systemClock } from './clock.js';
import type { RunWriter } from './aim-writer.js';
import { describeError } from './describe-error.js';
import { RunTotals, type RunTotalsOptions } from './run-totals.js';
import type { RateLimitedLog } from '../logging/rate-limited-log.js';

/** A run the sink holds open. */
export interface OpenRun {
  readonly run: RunWriter;
  /** The run as the writer opened it, before any wrapper (`run` may wrap it): what reads it back. */
  readonly reader: RunWriter;
  /** Param paths set once already (e.g. the first model call's request). */
  readonly setOnce: Set<string>;
  /** The name the run has now. */
  name: string | undefined;
  /** The tags the run has now. */
  readonly tags: Set<string>;
  /** Whether Aim had the run before the sink opened it (false when unknown). */
  readonly resumed: boolean;
  /** When the run was last used (ms since the epoch). */
  lastUsed: number;
}

/** Limits of the {@link OpenRunCache}. */
export interface OpenRunCacheOptions {
  /** Runs kept open at most (at least 1). Default 1 000. */
  maxOpenRuns?: number;
  /** A run unused this long is closed by {@link OpenRunCache.closeIdle}, in ms. Default 30 000. */
  idleCloseMs?: number;
  /** Default {@link systemClock}. */
  clock?: Clock;
  /** Where failures to close a run are reported. Default: nowhere. */
  log?: RateLimitedLog;
  /** Bounds of the runs' trace summaries remembered ({@link TraceSummaries}). */
  traceSummaries?: TraceSummariesOptions;
  /** When the runs' usage totals are recomputed ({@link RunTotals}). */
  totals?: RunTotalsOptions;
}

/** See the module documentation. */
export class OpenRunCache {
  /** By hash, least recently used first. */
  private readonly runs = new Map<string, OpenRun>();
  private readonly maxOpenRuns: number;
  readonly idleCloseMs: number;
  private readonly clock: Clock;
  private readonly log: RateLimitedLog | undefined;
  /** The runs' trace summaries: kept when a run closes or is detached (a retried batch must not count its traces twice). */
  readonly traces: TraceSummaries;
  /** The open runs' usage totals: recomputed from Aim when due ({@link RunTotals.tick}, the owner calls it) and before a run closes. */
  readonly totals: RunTotals;

  constructor(options: OpenRunCacheOptions = {}) {
    this.traces = new TraceSummaries(options.traceSummaries);
    this.maxOpenRuns = Math.max(1, options.maxOpenRuns ?? 1_000);
    this.idleCloseMs = options.idleCloseMs ?? 30_000;
    this.clock = options.clock ?? systemClock;
    this.log = options.log;
    this.totals = new RunTotals(options.totals, this.clock, this.log);
  }

  /** Runs open now. */
  get size(): number {
    return this.runs.size;
  }

  /** The open run `hash`, marked used now; `undefined` when it is not open. */
  use(hash: string): OpenRun | undefined {
    const open = this.runs.get(hash);
    if (!open) return undefined;
    this.runs.delete(hash);
    this.runs.set(hash, open);
    open.lastUsed = this.clock.now();
    return open;
  }

  /**
   * Holds `run` open as `hash` (used now), closing the least recently used runs beyond the limit;
   * `resumed`: whether Aim had the run before (default false); `reader`: the run as the writer
   * opened it, when `run` wraps it (default `run`).
   */
  async add(hash: string, run: RunWriter, name: string | undefined, tags: readonly string[], resumed = false, reader: RunWriter = run): Promise<OpenRun> {
    const open: OpenRun = { run, reader, setOnce: new Set(), name, tags: new Set(tags), resumed, lastUsed: this.clock.now() };
    this.runs.delete(hash);
    this.runs.set(hash, open);
    while (this.runs.size > this.maxOpenRuns) {
      const oldest = this.runs.keys().next();
      if (oldest.done === true) break;
      await this.close(oldest.value);
    }
    return open;
  }

  /** Closes the runs unused for `idleCloseMs`. */
  async closeIdle(): Promise<void> {
    const cutoff = this.clock.now() - this.idleCloseMs;
    for (const [hash, open] of [...this.runs]) {
      if (open.lastUsed >= cutoff) break; // the rest were used later
      await this.close(hash);
    }
  }

  /**
   * Gives up every run without a word to Aim (see `AimRun.detach`): after a transient failure, Aim
   * may have restarted and lost what it had not stored of them; the next writes open them afresh.
   */
  detachAll(): void {
    for (const open of this.runs.values()) open.run.detach();
    this.runs.clear();
    this.totals.forgetAll();
  }

  /** Closes every run (each recomputing its usage totals first, if they changed). */
  async closeAll(): Promise<void> {
    for (const hash of [...this.runs.keys()]) await this.close(hash);
  }

  private async close(hash: string): Promise<void> {
    const open = this.runs.get(hash);
    if (!open) return;
    this.runs.delete(hash);
    await this.totals.closing(hash);
    try {
      await open.run.close();
    } catch (error) {
      this.log?.warn('closing a run failed', `run ${hash}: ${describeError(error)}`);
    }
  }
}

/** Bounds of {@link TraceSummaries}. */
export interface TraceSummariesOptions {
  /** Runs whose summaries are remembered, at most. Default 10 000. */
  maxRuns?: number;
  /** Trace ids remembered as counted, over all runs, at most. Default 100 000. */
  maxTraceIds?: number;
  /** Trace ids remembered as counted per run, at most. Default {@link DEFAULT_COUNTED_TRACES}. */
  maxTraceIdsPerRun?: number;
}

/**
 * The trace summaries (`otel.traces`, see {@link TraceSummary}) of the runs the sink wrote, by run
 * hash: kept while a run is closed for idleness and across detaches (a batch retried after a
 * transient failure then finds its traces counted), so the count is exact within one bridge
 * process while the summary is remembered. Bounded by runs and by trace ids (the least recently
 * used runs are forgotten first, ~100 bytes per trace id); a run forgotten reads its summary back
 * from Aim when more comes for it (see `applyPlan`).
 */
export class TraceSummaries {
  /** By hash, least recently used first, with the trace ids each weighed when last remembered. */
  private readonly runs = new Map<string, { summary: TraceSummary; weight: number }>();
  private weight = 0;
  private readonly maxRuns: number;
  private readonly maxTraceIds: number;
  /** Trace ids remembered per run, at most (what a new summary gets). */
  readonly maxTraceIdsPerRun: number;

  constructor(options: TraceSummariesOptions = {}) {
    this.maxRuns = Math.max(1, options.maxRuns ?? 10_000);
    this.maxTraceIds = Math.max(1, options.maxTraceIds ?? 100_000);
    this.maxTraceIdsPerRun = Math.max(1, Math.min(options.maxTraceIdsPerRun ?? DEFAULT_COUNTED_TRACES, this.maxTraceIds));
  }

  /** Runs remembered. */
  get size(): number {
    return this.runs.size;
  }

  /** Trace ids remembered, over all runs. */
  get traceIds(): number {
    return this.weight;
  }

  /** The summary of run `hash`, marked used now; undefined when it is not remembered. */
  get(hash: string): TraceSummary | undefined {
    const entry = this.runs.get(hash);
    if (!entry) return undefined;
    this.runs.delete(hash);
    this.runs.set(hash, entry);
    return entry.summary;
  }

  /** Remembers `summary` as run `hash`'s (after a merge: its weight is taken again), forgetting the least recently used runs beyond the bounds. */
  remember(hash: string, summary: TraceSummary): void {
    const previous = this.runs.get(hash);
    if (previous) this.weight -= previous.weight;
    this.runs.delete(hash);
    this.runs.set(hash, { summary, weight: summary.remembered });
    this.weight += summary.remembered;
    while (this.runs.size > this.maxRuns || (this.weight > this.maxTraceIds && this.runs.size > 1)) {
      const [oldest, entry] = this.runs.entries().next().value as [string, { weight: number }];
      this.runs.delete(oldest);
      this.weight -= entry.weight;
    }
  }
}
