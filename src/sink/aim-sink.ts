import { ROOT_CONTEXT, context, createContextKey } from '@opentelemetry/api';
import type { RunWritePlan } from '../mapping/aim-plan.js';
import { groupContentEvents, planPlacedContent, planUnplacedContent } from '../mapping/event-content.js';
import { planMetricWrites } from '../mapping/metrics-to-aim.js';
import { type MappingOptions, planWrites } from '../mapping/to-aim.js';
import type { MetricPoint } from '../model/metric-point.js';
import type { LogRecord } from '../model/log-record.js';
import type { SpanRecord } from '../model/span-record.js';
import { componentLogger } from '../logging/component-logger.js';
import { resolvePriceBook } from '../pricing/price-file.js';
import { UnpricedModels } from '../pricing/unpriced-models.js';
import { RateLimitedLog } from '../logging/rate-limited-log.js';
import { type AimWriter, RepoWriter, isPermanentAimError } from './aim-writer.js';
import { BatchQueue } from './batch-queue.js';
import { type Clock, systemClock } from './clock.js';
import { describeError } from './describe-error.js';
import { type AimSinkOptions, type AimSinkStats, DEFAULT_MAX_QUEUE_SPANS, type WriteOutcome } from './aim-sink-options.js';
import { LogJoin } from './log-join.js';
import { OpenRunCache } from './open-runs.js';
import { applyPlans } from './plan-applier.js';
import { RunWaterfalls } from './run-waterfalls.js';
import type { RunTotalsOptions } from './run-totals.js';
import { withWaterfallSpans } from '../mapping/trace-waterfall.js';
import { DeadlineError, RetryPolicy, type RetryPolicyOptions, raceDeadline } from './retry-policy.js';
import { BoundedTraceKeyMemo } from './trace-key-memo.js';

const log = componentLogger('sink');

export { type AimSinkOptions, type AimSinkStats, DEFAULT_MAX_QUEUE_SPANS, type WriteOutcome } from './aim-sink-options.js';

/**
 * Test seams of {@link AimSink}: a fake Aim, a clock, fast retries and timers.
 * @internal
 */
export interface AimSinkSeams {
  /** Default: a {@link RepoWriter} to `options.url`. */
  writer?: AimWriter;
  /** Default: the system clock. */
  clock?: Clock;
  /** Backoff of the retries (see {@link RetryPolicyOptions} for the defaults). */
  retry?: Pick<RetryPolicyOptions, 'initialDelayMs' | 'maxDelayMs' | 'multiplier' | 'jitter' | 'random'>;
  /** How often idle runs are looked for, in ms. Default half of `idleCloseMs`, at least 1 000. */
  idleCheckMs?: number;
  /** At most one line per kind of drop or problem this often, in ms. Default 10 000. */
  logIntervalMs?: number;
  /** How long a flush may take past a batch's deadline when its writes were sent near or after it, in ms. Default {@link DEFAULT_FLUSH_GRACE_MS}. */
  flushGraceMs?: number;
  /** How often due trace-waterfall writes are looked for, in ms. Default `RunWaterfalls.tickMs`. */
  waterfallTickMs?: number;
  /** When the runs' usage totals are recomputed (see `RunTotals`). Default its defaults. */
  totals?: RunTotalsOptions;
  /** How often runs whose usage totals are due are looked for, in ms. Default 1 000. */
  totalsTickMs?: number;
}

/**
 * Writes sent near or after their batch's deadline (it waited that long in the queue) may still
 * be acknowledged this long after it, in ms: they are applied in Aim, and reporting them
 * unavailable would have the sender send them again and the bridge redo them.
 */
export const DEFAULT_FLUSH_GRACE_MS = 5_000;

interface QueuedBatch {
  /** What to write: made on arrival (spans are planned when queued). */
  plans: readonly RunWritePlan[];
  /** The spans among the items (none for content events and metric points): what counts as written or dropped. */
  spanCount: number;
  /** What the batch counts for in the queue (spans, events, points). */
  size: number;
  /** Retry transient failures until then (ms since the epoch). */
  deadline: number;
  /** Transient failures of this batch so far (its backoff grows with them). */
  failures: number;
  /** Why its last attempt failed, when it did. */
  lastError?: unknown;
  /** Set for awaited writes: told the outcome instead of counting a failure as a drop. */
  settle?: (outcome: WriteOutcome) => void;
}

/**
 * The context of the sink's own work: no span of it is traced, so Aim traffic never feeds back
 * into the exporter. It is what `suppressTracing(ROOT_CONTEXT)` of `@opentelemetry/core` returns,
 * built without loading core (a fifth of the exporter's import time): the key core's
 * `isTracingSuppressed` reads (`createContextKey` is `Symbol.for`, so every copy of core agrees).
 * test/sink/aim-sink.test.ts checks it with core's `isTracingSuppressed`.
 */
const SINK_CONTEXT = ROOT_CONTEXT.setValue(createContextKey('OpenTelemetry SDK Context Key SUPPRESS_TRACING'), true);

/**
 * Writes spans, GenAI log events and metric points to Aim. Spans are mapped ({@link planWrites})
 * when they arrive, so their placements are known at once; the plans wait in a bounded queue
 * ({@link BatchQueue}) and one worker applies them in the order they came, the runs of a batch in
 * parallel ({@link applyPlans}) through one Aim connection ({@link AimWriter}), retrying transient
 * failures with backoff and jitter until each batch's deadline ({@link RetryPolicy}); a batch that
 * failed waits for its retry behind the others, so one batch's trouble does not stall the rest.
 * Replays are harmless: every point has a step derived from its span, so the order between
 * batches does not matter. Runs stay open while writes keep coming ({@link OpenRunCache}) and close when idle and
 * at shutdown; each run's usage totals (`cost.*`, `usage.*` params) are recomputed from what Aim
 * stores, off the write path, when due and before the run closes (see `RunTotals`). The sink's
 * own Aim traffic is not traced (`suppressTracing`). Bounded: the queue,
 * the open runs, the trace-key memory; every dropped span is counted (see {@link stats}) and logged
 * through the OTel diag logger, at most once per 10 s with the count since the last line.
 */
export class AimSink {
  private readonly mapping: MappingOptions;
  private readonly retryDeadlineMs: number;
  private readonly memo: BoundedTraceKeyMemo;
  private readonly join: LogJoin;
  private readonly queue: BatchQueue<QueuedBatch>;
  private readonly runs: OpenRunCache;
  /** The runs' trace waterfalls; undefined when `traceWaterfall` is false. */
  private readonly waterfalls: RunWaterfalls | undefined;
  private readonly waterfallTimer: NodeJS.Timeout | undefined;
  /** Recomputes the runs' usage totals that are due (`RunTotals.tick`), off the write path. */
  private readonly totalsTimer: NodeJS.Timeout;
  private readonly writer: AimWriter;
  private readonly retry: RetryPolicy;
  private readonly clock: Clock;
  /** Drops, ignored instructions and retries, each kind at most once per interval. */
  private readonly limited: RateLimitedLog;
  private readonly counters = {
    received: 0,
    written: 0,
    dropped: 0,
    ignoredInstructions: 0,
    logRecords: 0,
    logRecordsIgnored: 0,
    eventsJoined: 0,
    eventsUnjoined: 0,
    metricPointsWritten: 0,
    metricPointsIgnored: 0,
    costUnpriced: 0,
    costUsageAdjusted: 0,
  };
  /** Models without a price, each logged once. */
  private readonly unpricedModels = new UnpricedModels();
  private readonly idleTimer: NodeJS.Timeout;
  /** Log writes waiting for their spans (shutdown lets them queue their writes before the last flush). */
  private readonly joining = new Set<Promise<unknown>>();
  /** Why the last write failed for good, until a write succeeds again. */
  private permanentFailure: string | undefined;
  private working: Promise<void> | undefined;
  /** Ends the worker's wait for a retry to come due, when a new batch arrives. */
  private wake: (() => void) | undefined;
  /** Transient failures in a row, of any batches (a write that succeeds or is refused ends the row). */
  private failuresInARow = 0;
  /** While Aim-wide trouble lasts (two transient failures in a row or more), no attempt starts before then (ms since the epoch). */
  private backoffUntil = 0;
  private readonly flushGraceMs: number;
  private idleClosing: Promise<void> | undefined;
  private shutdownOnce: Promise<void> | undefined;
  /** No new writes are taken (shutdown began). */
  private stopped = false;
  /** Nothing more is queued (the last flush began). */
  private closed = false;

  /**
   * @param options - see {@link AimSinkOptions}.
   * @param seams - for tests only: a fake Aim, a clock, fast retries.
   */
  constructor(options: AimSinkOptions, seams: AimSinkSeams = {}) {
    const { runKey, unkeyed, experiment, namespace, includeNonGenAI, layout, traceLink, url, aim, logJoin, traceWaterfall, prices, ...rest } = options;
    this.mapping = {
      // The explicit layout writes no GenAI metrics: no prices to read (nor a price file to refuse).
      ...(layout !== 'explicit' ? { priceBook: resolvePriceBook(prices) } : {}),
      ...(runKey !== undefined ? { runKey } : {}),
      ...(unkeyed !== undefined ? { unkeyed } : {}),
      ...(layout !== undefined ? { layout } : {}),
      ...(experiment !== undefined ? { experiment } : {}),
      ...(namespace !== undefined ? { namespace } : {}),
      ...(includeNonGenAI !== undefined ? { includeNonGenAI } : {}),
      ...(traceLink !== undefined ? { traceLink } : {}),
    };
    this.clock = seams.clock ?? systemClock;
    this.limited = new RateLimitedLog(log, { intervalMs: seams.logIntervalMs, now: () => this.clock.now() });
    this.retryDeadlineMs = rest.retryDeadlineMs ?? 300_000;
    this.memo = new BoundedTraceKeyMemo(rest.maxRememberedTraces ?? 100_000);
    this.join = new LogJoin(logJoin);
    this.queue = new BatchQueue(rest.maxQueueSpans ?? DEFAULT_MAX_QUEUE_SPANS);
    const idleCloseMs = rest.idleCloseMs ?? 30_000;
    this.runs = new OpenRunCache({
      maxOpenRuns: rest.maxOpenRuns ?? 1_000,
      idleCloseMs,
      clock: this.clock,
      log: this.limited,
      ...(seams.totals ? { totals: seams.totals } : {}),
      ...(rest.paramLimits ? { params: { limits: rest.paramLimits } } : {}),
    });
    this.totalsTimer = context.with(SINK_CONTEXT, () =>
      setInterval(() => {
        void this.runs.totals.tick();
      }, seams.totalsTickMs ?? 1_000),
    );
    this.totalsTimer.unref();
    const waterfalls = traceWaterfall === false ? undefined : new RunWaterfalls(traceWaterfall === true ? {} : traceWaterfall, this.clock, this.limited);
    this.waterfalls = waterfalls;
    this.waterfallTimer =
      waterfalls &&
      context.with(SINK_CONTEXT, () =>
        setInterval(() => {
          this.writeWaterfalls(false);
        }, seams.waterfallTickMs ?? waterfalls.tickMs),
      );
    this.waterfallTimer?.unref();
    this.writer = seams.writer ?? new RepoWriter(url, aim ?? {});
    this.retry = new RetryPolicy({ ...seams.retry, isPermanent: isPermanentAimError, clock: this.clock });
    this.flushGraceMs = seams.flushGraceMs ?? DEFAULT_FLUSH_GRACE_MS;
    const idleCheckMs = seams.idleCheckMs ?? Math.max(1_000, Math.floor(idleCloseMs / 2));
    this.idleTimer = context.with(SINK_CONTEXT, () =>
      setInterval(() => {
        this.closeIdleRuns();
      }, idleCheckMs),
    );
    this.idleTimer.unref();
  }

  /**
   * Why writes fail for good (Aim refused the last batch: e.g. a broken or unwritable
   * repository), or `undefined` while they do not. Cleared by the next successful write.
   */
  get failingForGood(): string | undefined {
    return this.permanentFailure;
  }

  /** Counters of received, written and dropped spans, the queue depth and the open runs. */
  get stats(): AimSinkStats {
    return {
      ...this.counters,
      queued: this.queue.queued,
      openRuns: this.runs.size,
      eventsHeld: this.join.held,
      paramsCut: this.runs.bounds.cut,
      tagsCut: this.runs.bounds.tagsCut,
      stringsRepaired: this.runs.bounds.repaired,
    };
  }

  /**
   * Queues spans to be written. Returns false (and counts them dropped) when the queue is full or
   * the sink is shut down. Never throws.
   */
  submit(spans: readonly SpanRecord[]): boolean {
    this.counters.received += spans.length;
    if (this.stopped || !this.queue.fits(spans.length)) {
      this.drop(spans.length, this.stopped ? 'the sink is shut down' : `the queue is full (${String(this.queue.capacity)} items)`);
      return false;
    }
    const { plans, mapped } = this.planSpans(spans);
    return this.enqueue({
      plans,
      spanCount: mapped,
      size: spans.length,
      deadline: this.clock.now() + this.retryDeadlineMs,
      failures: 0,
    });
  }

  /**
   * Writes spans and resolves once Aim acknowledged them, or with why not: `full` (queue full),
   * `unavailable` (not acknowledged within `deadlineMs`: the sender should retry; writes already
   * sent may still land, harmlessly, since replays are no-ops), `failed` (refused). Spans are not
   * counted as dropped: the caller answers its sender. Never rejects.
   */
  write(spans: readonly SpanRecord[], deadlineMs: number): Promise<WriteOutcome> {
    this.counters.received += spans.length;
    if (this.stopped) return Promise.resolve(SHUTTING_DOWN);
    if (!this.queue.fits(spans.length)) return Promise.resolve({ status: 'full' });
    const { plans, mapped } = this.planSpans(spans);
    return this.awaited(plans, spans.length, mapped, this.clock.now() + deadlineMs);
  }

  /**
   * Writes the GenAI content events of log records and resolves once Aim holds them (see
   * {@link write} for the outcomes). Events whose span this sink placed go to the span's run and
   * context; the others wait for their span up to the join window, then go there or to their
   * fallback place (`planUnplacedContent`). Records without GenAI content are counted, not written.
   * `full` when the events cannot wait (too many wait already) or the queue is full. Never rejects.
   */
  async writeLogs(records: readonly LogRecord[], deadlineMs: number): Promise<WriteOutcome> {
    this.counters.logRecords += records.length;
    const { groups, ignored } = groupContentEvents(records);
    this.counters.logRecordsIgnored += ignored;
    if (groups.length === 0) return { status: 'written' };
    if (this.stopped) return SHUTTING_DOWN;
    const waiting = groups.filter((group) => !this.join.placement(group.id));
    const waitingEvents = waiting.reduce((sum, group) => sum + group.events.length, 0);
    if (waitingEvents > 0 && !this.join.canHold(waitingEvents)) return { status: 'full' };
    const deadline = this.clock.now() + this.join.windowMs + deadlineMs;
    let joined = 0;
    let unjoined = 0;
    const planning = Promise.all(
      groups.map(async (group) => {
        const placement = await this.join.wait(group.id, group.events.length);
        if (placement) {
          joined += group.events.length;
          return planPlacedContent(placement, this.join.merge(group.id, group.events));
        }
        unjoined += group.events.length;
        return planUnplacedContent(group, this.mapping, this.memo);
      }),
    );
    this.joining.add(planning);
    let plans: RunWritePlan[];
    try {
      plans = await planning;
    } finally {
      this.joining.delete(planning);
    }
    const outcome = await this.awaited(plans, joined + unjoined, 0, deadline);
    if (outcome.status === 'written') {
      this.counters.eventsJoined += joined;
      this.counters.eventsUnjoined += unjoined;
      if (unjoined > 0)
        this.limited.debug(
          'GenAI events written without their span',
          `${String(unjoined)} (it did not arrive within ${String(this.join.windowMs)} ms)`,
          unjoined,
        );
    }
    return outcome;
  }

  /**
   * Writes OTLP metric data points (the GenAI ones, see `planMetricWrites`; the others are
   * counted, not written) and resolves once Aim holds them. See {@link write} for the outcomes.
   */
  async writeMetricPoints(points: readonly MetricPoint[], deadlineMs: number): Promise<WriteOutcome> {
    const plan = planMetricWrites(points, this.mapping);
    this.counters.metricPointsIgnored += plan.ignored;
    const outcome = await this.writePlans(plan.runs, plan.written, deadlineMs);
    if (outcome.status === 'written') this.counters.metricPointsWritten += plan.written;
    return outcome;
  }

  /**
   * Writes plans made elsewhere and resolves once Aim holds them; `size` is what they count for in
   * the queue. See {@link write} for the outcomes.
   */
  writePlans(plans: readonly RunWritePlan[], size: number, deadlineMs: number): Promise<WriteOutcome> {
    if (this.stopped) return Promise.resolve(SHUTTING_DOWN);
    if (plans.length === 0) return Promise.resolve({ status: 'written' });
    return this.awaited(plans, size, 0, this.clock.now() + deadlineMs);
  }

  /** Resolves when every span submitted so far was written (or dropped), with the trace waterfalls held back. */
  async forceFlush(): Promise<void> {
    this.writeWaterfalls(true);
    while (this.working) await this.working;
  }

  /** GenAI events waiting for their spans stop waiting: they are written to their fallback place. */
  releaseHeldEvents(): void {
    this.join.close();
  }

  /**
   * Writes what is queued (held log events go to their fallback place), closes every run and the
   * connection. Every call returns the same promise, resolved once all that is done. Never rejects.
   */
  shutdown(): Promise<void> {
    this.shutdownOnce ??= context.with(SINK_CONTEXT, () => this.stop());
    return this.shutdownOnce;
  }

  private async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.idleTimer);
    clearInterval(this.waterfallTimer);
    clearInterval(this.totalsTimer);
    try {
      this.join.close();
      await Promise.allSettled([...this.joining]);
      await this.forceFlush();
      this.closed = true;
      this.join.disposeJournal();
      await this.idleClosing;
      await this.runs.closeAll();
    } catch (error) {
      log.warn(`shutting the sink down failed: ${describeError(error)}`);
    }
    await this.writer.close().catch((error: unknown) => {
      log.warn(`closing the Aim connection failed: ${describeError(error)}`);
    });
    this.limited.flush();
  }

  /**
   * Maps spans on arrival, so their placements are known at once (log events need not wait while
   * the spans queue); `mapped`: the spans that could be. Should the mapping throw on a batch (on
   * input it cannot take), it would throw again on every retry of the batch: the spans are then
   * tried one by one, and those it throws on are dropped (counted, logged) while the others are
   * written.
   */
  private planSpans(spans: readonly SpanRecord[]): { plans: readonly RunWritePlan[]; mapped: number } {
    try {
      return { plans: this.mapSpans(spans), mapped: spans.length };
    } catch (error) {
      const kept = spans.filter((span) => {
        try {
          const trial = planWrites([span], this.mapping);
          if (this.waterfalls) withWaterfallSpans(trial, [span]);
          return true;
        } catch {
          return false;
        }
      });
      this.drop(spans.length - kept.length, `the mapping failed on them: ${describeError(error)}`);
      try {
        return { plans: this.mapSpans(kept), mapped: kept.length };
      } catch (again) {
        this.drop(kept.length, `the mapping failed on them: ${describeError(again)}`);
        return { plans: [], mapped: 0 };
      }
    }
  }

  private mapSpans(spans: readonly SpanRecord[]): readonly RunWritePlan[] {
    return context.with(SINK_CONTEXT, () => {
      const plan = planWrites(spans, this.mapping, this.memo, this.join.placements);
      for (const problem of plan.problems) {
        this.counters.ignoredInstructions += 1;
        this.limited.warn('ignored a malformed instruction', problem);
      }
      this.join.place(plan.placements);
      this.counters.costUnpriced += plan.pricing.unpriced.length;
      this.counters.costUsageAdjusted += plan.pricing.adjusted;
      for (const call of plan.pricing.unpriced) this.unpricedModels.note(call.provider, call.model);
      return this.waterfalls ? withWaterfallSpans(plan, spans) : plan.runs;
    });
  }

  private awaited(plans: readonly RunWritePlan[], size: number, spanCount: number, deadline: number): Promise<WriteOutcome> {
    return new Promise((settle) => {
      if (!this.enqueue({ plans, spanCount, size, deadline, failures: 0, settle })) settle(this.closed ? SHUTTING_DOWN : { status: 'full' });
    });
  }

  /** Queues a batch and starts (or wakes) the worker; false when the batch does not fit or the sink is closed. */
  private enqueue(batch: QueuedBatch): boolean {
    if (this.closed || !this.queue.push(batch)) return false;
    this.wake?.();
    this.startWorker();
    return true;
  }

  private startWorker(): void {
    this.working ??= context
      .with(SINK_CONTEXT, () => this.work())
      .finally(() => {
        this.working = undefined;
        // A batch queued between the worker's last look and now still gets written.
        if (this.queue.hasWaiting) this.startWorker();
      });
  }

  /**
   * The worker: writes the queued batches one at a time, the new ones in the order they came. A
   * batch that fails transiently waits for its retry behind the others (writes are idempotent, so
   * the order between batches does not matter): one batch's trouble, e.g. with one run, does not
   * stall the rest. Two transient failures in a row, of any batches, mean Aim-wide trouble: then
   * every attempt waits for a backoff that grows with the failures, until a write succeeds.
   */
  private async work(): Promise<void> {
    await this.idleClosing; // closing runs while writing would race the writes to the same run
    for (;;) {
      const now = this.clock.now();
      const batch = now >= this.backoffUntil ? this.queue.take(now) : undefined;
      if (batch === undefined) {
        if (!this.queue.hasWaiting) return;
        const retryAt = this.queue.nextRetryAt ?? Number.POSITIVE_INFINITY;
        const until = Math.max(this.backoffUntil, this.queue.hasNew ? now : retryAt);
        await this.waitForWork(until - now, now >= this.backoffUntil);
        continue;
      }
      const outcome = await this.attempt(batch);
      if (outcome === RETRY_LATER) continue;
      this.queue.done(batch);
      if (outcome.status === 'written') {
        this.permanentFailure = undefined;
        this.counters.written += batch.spanCount;
      } else if (outcome.status === 'failed' && !this.stopped) {
        this.permanentFailure = `writes to Aim fail: ${outcome.reason}`;
      }
      if (batch.settle) batch.settle(outcome);
      else if (outcome.status !== 'written') this.drop(batch.spanCount, outcome.reason);
    }
  }

  /** Waits `ms`; when `wakeable`, a new batch ends the wait early (it may be written meanwhile). */
  private async waitForWork(ms: number, wakeable: boolean): Promise<void> {
    if (!wakeable) {
      await this.clock.sleep(ms);
      return;
    }
    await Promise.race([
      this.clock.sleep(ms),
      new Promise<void>((wake) => {
        this.wake = wake;
      }),
    ]);
    this.wake = undefined;
  }

  /**
   * One attempt at a batch: its outcome, or {@link RETRY_LATER} when it failed transiently and was
   * put back to be retried after its backoff (before its deadline). Writes sent near or after the
   * deadline (the batch waited that long) get {@link AimSinkSeams.flushGraceMs} to be acknowledged.
   */
  private async attempt(batch: QueuedBatch): Promise<Exclude<WriteOutcome, { status: 'full' }> | typeof RETRY_LATER> {
    // A retry that could not start before its deadline (Aim-wide trouble held every attempt back).
    if (batch.failures > 0 && this.clock.now() > batch.deadline)
      return { status: 'unavailable', reason: `Aim is unreachable: ${describeError(batch.lastError)}` };
    try {
      await this.writer.connect();
      await applyPlans(batch.plans, this.writer, this.runs, this.waterfalls);
      await raceDeadline(this.writer.flush(), Math.max(batch.deadline, this.clock.now() + this.flushGraceMs), this.clock);
      this.failuresInARow = 0;
      this.backoffUntil = 0;
      return { status: 'written' };
    } catch (error) {
      // Aim is slow, not gone: its runs stay, and the batch is not retried past its deadline.
      if (error instanceof DeadlineError) return { status: 'unavailable', reason: error.message };
      if (this.retry.permanent(error)) {
        this.failuresInARow = 0;
        this.backoffUntil = 0;
        return { status: 'failed', reason: `the writes failed for good: ${describeError(error)}` };
      }
      // Aim may have restarted and lost what it had not stored yet of runs being opened (their
      // SQL rows): the runs are opened afresh by the next attempt, which creates what is missing.
      this.runs.detachAll();
      this.failuresInARow += 1;
      batch.failures += 1;
      batch.lastError = error;
      const now = this.clock.now();
      if (this.failuresInARow >= 2) this.backoffUntil = now + this.retry.delay(this.failuresInARow - 2);
      const retryAt = Math.max(now + this.retry.delay(batch.failures - 1), this.backoffUntil);
      if (retryAt > batch.deadline) return { status: 'unavailable', reason: `Aim is unreachable: ${describeError(error)}` };
      const others = this.queue.waitingBatches;
      this.limited.warn(
        'writing to Aim failed, retrying',
        `${describeError(error)} (${String(batch.size)} items; next attempt in ${String(retryAt - now)} ms${others > 0 ? `, ${String(others)} other batches may go first` : ''})`,
      );
      this.queue.retryLater(batch, retryAt);
      return RETRY_LATER;
    }
  }

  /** Queues the trace-waterfall writes that are due (`force`: all held back), see `RunWaterfalls`. */
  private writeWaterfalls(force: boolean): void {
    const ticks = this.waterfalls?.dueTicks(force) ?? [];
    if (ticks.length === 0) return;
    void this.writePlans(ticks, 0, this.retryDeadlineMs).then(() => {
      this.waterfalls?.ticked(ticks);
    });
  }

  /** Closes idle runs, unless the worker is writing (it would race the writes to the same run). */
  private closeIdleRuns(): void {
    if (this.working || this.idleClosing || this.stopped) return;
    this.idleClosing = this.runs.closeIdle().finally(() => {
      this.idleClosing = undefined;
    });
  }

  /** Spans dropped: counted always, logged at most once per interval (with the count since the last line). */
  private drop(count: number, reason: string): void {
    if (count === 0) return;
    this.counters.dropped += count;
    this.limited.warn('dropped spans', `${String(count)} (${String(this.counters.dropped)} in all): ${reason}`, count);
  }
}

/** {@link AimSink.attempt}: the batch failed transiently and waits for its retry in the queue. */
const RETRY_LATER = Symbol('retry later');

const SHUTTING_DOWN: WriteOutcome = { status: 'failed', reason: 'the bridge is shutting down' };
