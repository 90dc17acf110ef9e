/**
 * The runs the sink holds open, with what it remembers of each (params set once, name, tags) so
 * later batches write only what changed. Bounded: beyond `maxOpenRuns` the least recently used run
 * is closed; a run unused for `idleCloseMs` is closed by {@link OpenRunCache.closeIdle}. Closed runs
 * reopen when more comes for them.
 * The runs' trace summaries (`otel.traces`) are remembered longer than the runs stay open
 * ({@link TraceSummaries}); a run's usage totals (`cost.*`, `usage.*`) are recomputed from Aim
 * before it closes, if its usage changed ({@link RunTotals}).
 */
import type { ParamWrite, PlanContext } from '../mapping/aim-plan.js';
import {
  MAX_TAGS_PER_RUN,
  MAX_TAG_LENGTH,
  type ParamLimits,
  countsTowardLimit,
  isWellFormedText,
  paramPathKey,
  paramProblem,
  resolveParamLimits,
  wellFormed,
  wellFormedValue,
} from '../mapping/param-limits.js';
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
  /** Bounds of the runs' params ({@link RunInputBounds}). */
  params?: RunInputBoundsOptions;
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
  /** What the runs' params may be and the paths each run has, remembered longer than the runs stay open (see {@link RunInputBounds}). */
  readonly bounds: RunInputBounds;

  constructor(options: OpenRunCacheOptions = {}) {
    this.traces = new TraceSummaries(options.traceSummaries);
    this.bounds = new RunInputBounds(options.params, options.log);
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

/** Options of {@link RunInputBounds}. */
export interface RunInputBoundsOptions {
  /** The bounds of a run's params (see {@link ParamLimits}; each default there). */
  limits?: Partial<ParamLimits>;
  /** Runs whose counted param paths are remembered, at most. Default 10 000. */
  maxRuns?: number;
  /** Param paths remembered, over all runs, at most (up to 128 characters each: see `paramPathKey`). Default 100 000. */
  maxPaths?: number;
}

/**
 * Keeps what telemetry makes the sink write within bounds (see param-limits.ts): a param that breaks
 * a bound of {@link ParamLimits} (key length, value size, depth, width) is dropped, and so is a new
 * param path beyond `maxPathsPerRun` of its run; each drop is counted ({@link cut}) and logged,
 * rate-limited, with the run, the path (its keys cut to 64 characters) and the reason, never the
 * value. Strings with lone UTF-16 surrogates (which Aim's encoder refuses, failing the whole write)
 * are made well-formed and counted ({@link repaired}). A run gets at most {@link MAX_TAGS_PER_RUN}
 * tags from the sink while it is open ({@link newTags}).
 *
 * The paths a run has are counted over every batch while the run is remembered: by run hash, least
 * recently used first, at most `maxRuns` runs and `maxPaths` paths over all (`paramPathKey` each),
 * longer than runs stay open. A run forgotten (or written by another replica, or before a restart)
 * starts its count afresh: it can then get up to `maxPathsPerRun` paths more.
 */
export class RunInputBounds {
  readonly limits: ParamLimits;
  /** Params dropped so far (over a bound, or beyond a run's path count). */
  cut = 0;
  /** Strings made well-formed so far. */
  repaired = 0;
  /** Tags dropped so far (too long, or beyond {@link MAX_TAGS_PER_RUN} for their run). */
  tagsCut = 0;
  /** By hash, least recently used first: the keys of the counted paths each run has. */
  private readonly runs = new Map<string, Set<string>>();
  private paths = 0;
  private readonly maxRuns: number;
  private readonly maxPaths: number;
  private readonly onRepair = (): void => {
    this.repaired += 1;
  };

  constructor(
    options: RunInputBoundsOptions = {},
    private readonly log?: RateLimitedLog,
  ) {
    this.limits = resolveParamLimits(options.limits);
    this.maxRuns = Math.max(1, options.maxRuns ?? 10_000);
    this.maxPaths = Math.max(this.limits.maxPathsPerRun, options.maxPaths ?? 100_000);
  }

  /** Runs whose paths are remembered. */
  get size(): number {
    return this.runs.size;
  }

  /** The params of run `hash` that fit its bounds, in order, made well-formed; the others are counted and logged. */
  admit(hash: string, params: readonly ParamWrite[]): ParamWrite[] {
    const kept: ParamWrite[] = [];
    let paths: Set<string> | undefined;
    for (const param of params) {
      const problem = paramProblem(param, this.limits);
      if (problem !== undefined) {
        this.drop(hash, param.path, problem);
        continue;
      }
      if (countsTowardLimit(param.path)) {
        paths ??= this.pathsOf(hash);
        const key = paramPathKey(param.path);
        if (!paths.has(key)) {
          if (paths.size >= this.limits.maxPathsPerRun) {
            this.drop(hash, param.path, `the run has ${String(paths.size)} params already (at most ${String(this.limits.maxPathsPerRun)})`);
            continue;
          }
          paths.add(key);
          this.paths += 1;
        }
      }
      kept.push(this.wellFormedParam(param));
    }
    if (paths) this.forgetBeyondBounds();
    return kept;
  }

  /**
   * The tags of `tags` that run `hash` does not have yet (`has`: the tags it has), in order, as many
   * as {@link MAX_TAGS_PER_RUN} allows with those it has (each tag is a row in Aim's database and a
   * round trip to add); a tag beyond, or longer than {@link MAX_TAG_LENGTH}, is dropped, counted
   * ({@link tagsCut}) and logged.
   */
  newTags(hash: string, tags: readonly string[], has: ReadonlySet<string>): string[] {
    const added: string[] = [];
    for (const tag of tags) {
      if (has.has(tag) || added.includes(tag)) continue;
      const problem =
        tag.length > MAX_TAG_LENGTH
          ? `a tag of ${String(tag.length)} characters (at most ${String(MAX_TAG_LENGTH)})`
          : has.size + added.length >= MAX_TAGS_PER_RUN
            ? `the run has ${String(MAX_TAGS_PER_RUN)} tags already`
            : undefined;
      if (problem === undefined) added.push(tag);
      else {
        this.tagsCut += 1;
        this.log?.warn('tags cut', () => `run ${hash}: ${JSON.stringify(tag.slice(0, 64))}: ${problem}`);
      }
    }
    return added;
  }

  /** `text` made well-formed (counted when it was not). */
  text(text: string): string {
    if (isWellFormedText(text)) return text;
    this.repaired += 1;
    return wellFormed(text);
  }

  /** `texts` made well-formed; `texts` itself when they were. */
  texts(texts: readonly string[]): readonly string[] {
    return texts.every(isWellFormedText) ? texts : texts.map((item) => this.text(item));
  }

  /** `context` made well-formed (keys and string values); `context` itself when it was (the Aim client knows contexts by identity). */
  context(context: PlanContext): PlanContext {
    for (const key in context) {
      const value = context[key];
      if (!isWellFormedText(key) || (typeof value === 'string' && !isWellFormedText(value))) return wellFormedValue(context, this.onRepair) as PlanContext;
    }
    return context;
  }

  private wellFormedParam(param: ParamWrite): ParamWrite {
    const value = wellFormedValue(param.value, this.onRepair);
    const path = param.path.every(isWellFormedText) ? param.path : param.path.map((key) => this.text(key));
    return value === param.value && path === param.path ? param : { ...param, path, value };
  }

  private pathsOf(hash: string): Set<string> {
    let paths = this.runs.get(hash);
    if (paths) this.runs.delete(hash);
    else paths = new Set();
    this.runs.set(hash, paths);
    return paths;
  }

  private forgetBeyondBounds(): void {
    while (this.runs.size > this.maxRuns || (this.paths > this.maxPaths && this.runs.size > 1)) {
      const [oldest, paths] = this.runs.entries().next().value as [string, Set<string>];
      this.runs.delete(oldest);
      this.paths -= paths.size;
    }
  }

  private drop(hash: string, path: readonly string[], reason: string): void {
    this.cut += 1;
    this.log?.warn('params cut', () => `run ${hash}: ${describePath(path)}: ${reason}`);
  }
}

/** A param path for a log line: its keys cut to 64 characters, at most 4 of them, as JSON strings. */
function describePath(path: readonly string[]): string {
  const keys = path.slice(0, 4).map((key) => JSON.stringify(key.length > 64 ? `${key.slice(0, 64)}…` : key));
  return `[${keys.join(', ')}${path.length > 4 ? ', …' : ''}]`;
}
