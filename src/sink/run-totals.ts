/**
 * When the sink recomputes a run's usage totals (the params `cost.*` and `usage.*`, see
 * usage-totals.ts) from the usage series Aim stores for the run.
 *
 * **Why from Aim**: totals a writer keeps in memory are not exact — two replicas writing one run
 * each know their own calls, and a restarted bridge that is sent a batch again counts it again.
 * The series are exact (a call's points have keys of their own, a replay rewrites them), so the
 * totals are summed from what Aim stores, whoever wrote it, and written over the previous ones.
 *
 * **When**: a run is *dirty* once a plan tracked points on a usage series to it (replays too: the
 * writer cannot tell). {@link RunTotals.tick} (the sink calls it about every second) recomputes
 * dirty runs off the write path, one at a time while batches keep being written, when
 * - the run has been unused (no plan) for `quietMs` (default 5 s): its writes stopped, for now; or
 * - it has been dirty for `intervalMs` (default 30 s) while writes keep coming, or for ten times
 *   its last recompute's duration if that is longer (a run of 10,000 calls is recomputed less often).
 *
 * Background recomputes take at most a fifth of the time: after one that took d, the next starts
 * 4·d later at the earliest, so big runs do not crowd the bridge's writes out of Aim. A run that
 * closes while dirty (idle, evicted, shut down) is recomputed before it closes, whatever the
 * budget, on the path that closes it (a close waits for a recompute under way first); with the
 * defaults an idle run was recomputed long before (`quietMs` is well under the idle time). So a
 * run's totals lag its writes by about `quietMs` once they stop and by at most the interval while
 * they go on, and they are exact once the last writer recomputed after the last write.
 *
 * **Several writers** (replicas, a restarted bridge): each recomputes from everything stored, so
 * the last writer to recompute leaves exact totals. The one race: writer A reads the series, B
 * writes more points and recomputes, and A's write of its totals lands after B's (A's read and
 * write are a recompute apart: tens of ms, seconds for a run of 10,000 calls) — A's totals miss B's
 * last points until a writer recomputes again (the next write to the run from any writer makes it
 * dirty there). It needs B's last write and recompute to fall inside A's recompute.
 *
 * **Cost**: a recompute reads the run's sequence list (one round trip) and each usage series in
 * each context (`AimRun.readMetrics`), which aim server 3.29.1 streams at 0.3–0.4 ms a point (three
 * records each; reading in parallel does not help). Measured on a shared 2-core machine: a run of
 * 10,000 calls on two models (8 series, 40,000 points) takes 12–17 s to read — about as long as,
 * or longer than, writing those calls took (9–26 s) — and 6–40 ms to sum; a conversation of 50
 * calls, tens of ms. Hence the budget above. A failed recompute is logged, and retried after
 * `intervalMs` (or when the run closes); it never fails a write.
 */
import type { RunWritePlan } from '../mapping/aim-plan.js';
import type { RateLimitedLog } from '../logging/rate-limited-log.js';
import type { RunWriter } from './aim-writer.js';
import { type Clock, systemClock } from './clock.js';
import { describeError } from './describe-error.js';
import { USAGE_TOTAL_SERIES, sumUsage, usageTotalsParams } from './usage-totals.js';

/** When run totals are recomputed (see the module documentation). */
export interface RunTotalsOptions {
  /** A run's totals are recomputed at most once per this many ms while writes to it keep coming (or ten times its last recompute, if longer). Default {@link DEFAULT_TOTALS_INTERVAL_MS}. */
  intervalMs?: number;
  /** A dirty run unused this long is recomputed, in ms. Default {@link DEFAULT_TOTALS_QUIET_MS}. */
  quietMs?: number;
}

/** Default of {@link RunTotalsOptions.intervalMs}. */
export const DEFAULT_TOTALS_INTERVAL_MS = 30_000;
/** Default of {@link RunTotalsOptions.quietMs}. */
export const DEFAULT_TOTALS_QUIET_MS = 5_000;
/** A busy run waits at least this many times its last recompute's duration before the next one. */
const SLOW_RUN_FACTOR = 10;
/** After a background recompute that took d ms, the next one starts d times this later at the earliest: reads take at most a fifth of the time. */
const REST_FACTOR = 4;

/** The run as the totals see it: the open run's writer (params), its reader (the unwrapped run), when it was last used. */
export interface TotalsRun {
  readonly run: RunWriter;
  readonly reader: RunWriter;
  readonly lastUsed: number;
}

/** What is known of one open run's totals. */
interface Entry {
  readonly open: TotalsRun;
  /** Since when usage points were written and not yet covered by a recompute; undefined when clean. */
  dirtySince: number | undefined;
  /** How long the last recompute took, in ms. */
  lastDurationMs: number;
  /** No retry before then, after a failure. */
  retryAt: number;
  /** The recompute under way. */
  running: Promise<void> | undefined;
}

/** See the module documentation. One per {@link OpenRunCache}: it knows the open runs whose totals changed. */
export class RunTotals {
  /** The open runs with usage writes, by hash. */
  private readonly entries = new Map<string, Entry>();
  private readonly intervalMs: number;
  private readonly quietMs: number;
  private ticking: Promise<void> | undefined;
  /** No background recompute starts before then (ms since the epoch): see {@link REST_FACTOR}. */
  private restUntil = Number.NEGATIVE_INFINITY;

  constructor(
    options: RunTotalsOptions = {},
    private readonly clock: Clock = systemClock,
    private readonly log?: RateLimitedLog,
  ) {
    this.intervalMs = Math.max(0, options.intervalMs ?? DEFAULT_TOTALS_INTERVAL_MS);
    this.quietMs = Math.max(0, options.quietMs ?? DEFAULT_TOTALS_QUIET_MS);
  }

  /** Open runs whose totals are known to the recompute (dirty or not). */
  get size(): number {
    return this.entries.size;
  }

  /** After `plan` was tracked to its open run: the run is dirty if the plan has usage points (and its writer can read runs back). */
  noteWrites(plan: RunWritePlan, open: TotalsRun): void {
    if (!open.reader.readMetrics || !plan.metrics.some((metric) => USAGE_TOTAL_SERIES.includes(metric.name))) return;
    let entry = this.entries.get(plan.hash);
    if (entry?.open !== open) {
      entry = { open, dirtySince: undefined, lastDurationMs: 0, retryAt: Number.NEGATIVE_INFINITY, running: undefined };
      this.entries.set(plan.hash, entry);
    }
    entry.dirtySince ??= this.clock.now();
  }

  /**
   * Recomputes the totals of the runs that are due, one after the other; resolves when done.
   * A call while a pass is under way returns that pass. Never rejects.
   */
  tick(): Promise<void> {
    this.ticking ??= this.pass().finally(() => {
      this.ticking = undefined;
    });
    return this.ticking;
  }

  /** Before run `hash` closes: waits for its recompute under way, and recomputes if still dirty; forgets it. Never rejects. */
  async closing(hash: string): Promise<void> {
    const entry = this.entries.get(hash);
    if (!entry) return;
    await entry.running;
    if (entry.dirtySince !== undefined && this.entries.get(hash) === entry) await this.recompute(hash, entry, true);
    if (this.entries.get(hash) === entry) this.entries.delete(hash);
  }

  /** The open runs were given up (detached): their recomputes under way are ignored, their state dropped. */
  forgetAll(): void {
    this.entries.clear();
  }

  private async pass(): Promise<void> {
    for (const [hash, entry] of [...this.entries]) {
      if (this.clock.now() < this.restUntil) return;
      if (this.entries.get(hash) !== entry || !this.due(entry)) continue;
      const started = this.clock.now();
      await this.recompute(hash, entry);
      const now = this.clock.now();
      this.restUntil = now + REST_FACTOR * (now - started);
    }
  }

  private due(entry: Entry): boolean {
    const { dirtySince } = entry;
    if (dirtySince === undefined || entry.running) return false;
    const now = this.clock.now();
    if (now < entry.retryAt) return false;
    return now - entry.open.lastUsed >= this.quietMs || now - dirtySince >= Math.max(this.intervalMs, SLOW_RUN_FACTOR * entry.lastDurationMs);
  }

  /** Reads the run's usage series, sums them and writes the totals (`closing`: before the run closes). Failures are logged (never thrown). */
  private recompute(hash: string, entry: Entry, closing = false): Promise<void> {
    const running = this.readAndWrite(hash, entry, closing).finally(() => {
      entry.running = undefined;
    });
    entry.running = running;
    return running;
  }

  private async readAndWrite(hash: string, entry: Entry, closing: boolean): Promise<void> {
    const { run, reader } = entry.open;
    const dirtySince = entry.dirtySince;
    entry.dirtySince = undefined; // writes from now on make it dirty again
    const started = this.clock.now();
    try {
      const series = (await reader.readMetrics?.(USAGE_TOTAL_SERIES)) ?? [];
      const totals = sumUsage(series);
      for (const { parent, entries } of usageTotalsParams(totals)) await run.setEntries(parent, entries);
      entry.lastDurationMs = this.clock.now() - started;
    } catch (error) {
      if (this.entries.get(hash) !== entry) return; // given up meanwhile (detached): its failure says nothing
      entry.dirtySince = dirtySince ?? started; // no later than a dirtySince set meanwhile
      entry.retryAt = this.clock.now() + this.intervalMs;
      const after = closing ? 'the run closes with the totals it had: the next writer of the run recomputes them' : 'retried later';
      this.log?.warn('recomputing run totals failed', `run ${hash}: ${describeError(error)} (${after})`);
    }
  }
}
