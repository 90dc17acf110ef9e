/**
 * The runs the sink holds open, with what it remembers of each (params set once, name, tags) so
 * later batches write only what changed. Bounded: beyond `maxOpenRuns` the least recently used run
 * is closed; a run unused for `idleCloseMs` is closed by {@link OpenRunCache.closeIdle}. Closed runs
 * reopen when more comes for them.
 */
import { type Clock, systemClock } from './clock.js';
import type { RunWriter } from './aim-writer.js';
import { describeError } from './describe-error.js';
import type { RateLimitedLog } from './rate-limited-log.js';

/** A run the sink holds open. */
export interface OpenRun {
  readonly run: RunWriter;
  /** Param paths set once already (e.g. the first model call's request). */
  readonly setOnce: Set<string>;
  /** The name the run has now. */
  name: string | undefined;
  /** The tags the run has now. */
  readonly tags: Set<string>;
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
}

/** See the module documentation. */
export class OpenRunCache {
  /** By hash, least recently used first. */
  private readonly runs = new Map<string, OpenRun>();
  private readonly maxOpenRuns: number;
  readonly idleCloseMs: number;
  private readonly clock: Clock;
  private readonly log: RateLimitedLog | undefined;

  constructor(options: OpenRunCacheOptions = {}) {
    this.maxOpenRuns = Math.max(1, options.maxOpenRuns ?? 1_000);
    this.idleCloseMs = options.idleCloseMs ?? 30_000;
    this.clock = options.clock ?? systemClock;
    this.log = options.log;
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

  /** Holds `run` open as `hash` (used now), closing the least recently used runs beyond the limit. */
  async add(hash: string, run: RunWriter, name: string | undefined, tags: readonly string[]): Promise<OpenRun> {
    const open: OpenRun = { run, setOnce: new Set(), name, tags: new Set(tags), lastUsed: this.clock.now() };
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
  }

  /** Closes every run. */
  async closeAll(): Promise<void> {
    for (const hash of [...this.runs.keys()]) await this.close(hash);
  }

  private async close(hash: string): Promise<void> {
    const open = this.runs.get(hash);
    if (!open) return;
    this.runs.delete(hash);
    try {
      await open.run.close();
    } catch (error) {
      this.log?.log('closing a run failed', `run ${hash}: ${describeError(error)}`);
    }
  }
}
