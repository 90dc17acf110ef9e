import { diag } from '@opentelemetry/api';
import { AimClosedError, AimRepo, type AimRun, AimServerError, type AimTransportOptions, AimUsageError, hashAuto } from '../aim/index.js';
import type { RunWritePlan } from '../mapping/aim-plan.js';
import { groupContentEvents, planPlacedContent, planUnplacedContent } from '../mapping/event-content.js';
import { planMetricWrites } from '../mapping/metrics-to-aim.js';
import { type MappingOptions, type TraceKeyMemo, planWrites } from '../mapping/to-aim.js';
import type { MetricPoint } from '../model/metric-point.js';
import type { LogRecord } from '../model/log-record.js';
import type { SpanRecord } from '../model/span-record.js';
import { LogJoin, type LogJoinOptions } from './log-join.js';

/** Options of the sink that writes spans to Aim (shared by the exporter and the receiver). */
export interface AimSinkOptions extends MappingOptions {
  /** The `aim server` to write to, e.g. `aim://127.0.0.1:53800`. Required. */
  url: string;
  /** Spans waiting to be written, at most; beyond, new spans are dropped (counted). Default 20 000. */
  maxQueueSpans?: number;
  /** How long a batch is retried while Aim is unreachable before its spans count as dropped, in ms. Default 300 000. */
  retryDeadlineMs?: number;
  /** A run with no new span for this long is closed (it reopens if more come), in ms. Default 30 000. */
  idleCloseMs?: number;
  /** Runs kept open at most; the least recently used is closed beyond. Default 1 000. */
  maxOpenRuns?: number;
  /** Traces whose run key is remembered for their late spans, at most. Default 100 000. */
  maxRememberedTraces?: number;
  /** Options of the Aim connection. */
  aim?: AimTransportOptions;
  /** How GenAI log events wait for their spans (see `LogJoin`), and where placements persist (`logJoin.stateDir`). */
  logJoin?: LogJoinOptions;
}

/** What the sink did so far. */
export interface AimSinkStats {
  /** Spans handed to the sink. */
  received: number;
  /** Spans whose writes Aim acknowledged. */
  written: number;
  /** Spans dropped: queue full, retry deadline passed, or a permanent Aim error. */
  dropped: number;
  /** Spans waiting in the queue or being written. */
  queued: number;
  /** Runs open now. */
  openRuns: number;
  /** Malformed `aim.params` / `aim.track` instructions ignored (the rest of their spans was written). */
  ignoredInstructions: number;
  /** Log records handed to the sink. */
  logRecords: number;
  /** Log records that carry no GenAI content (accepted, not written). */
  logRecordsIgnored: number;
  /** GenAI content events written in their span's run. */
  eventsJoined: number;
  /** GenAI content events written to the fallback place (their span did not come within the join window). */
  eventsUnjoined: number;
  /** GenAI content events waiting for their span now. */
  eventsHeld: number;
  /** OTLP metric data points written (GenAI metrics). */
  metricPointsWritten: number;
  /** OTLP metric data points accepted and not written (not GenAI metrics, or nothing to write). */
  metricPointsIgnored: number;
}

/** How an awaited write ({@link AimSink.write}) ended. */
export type WriteOutcome =
  /** Aim acknowledged every write of the spans. */
  | { status: 'written' }
  /** The queue is full: try again later (the spans were not taken). */
  | { status: 'full' }
  /** Aim did not acknowledge within the deadline (unreachable, restarting): try again later. */
  | { status: 'unavailable'; reason: string }
  /** Aim refused the writes, or the sink is shut down: retrying will not help. */
  | { status: 'failed'; reason: string };

interface QueuedBatch {
  /** The spans of the batch (none for content events and metric points). */
  spans: SpanRecord[];
  /** What to write: made on arrival (spans are planned when queued). */
  plans?: readonly RunWritePlan[];
  /** What the batch counts for in the queue (spans, events, points). */
  size: number;
  /** Retry transient failures until then (ms since the epoch). */
  deadline: number;
  /** Set for awaited writes: told the outcome instead of counting a failure as a drop. */
  settle?: (outcome: WriteOutcome) => void;
}

interface OpenRun {
  run: AimRun;
  lastUsed: number;
  /** Param paths set once already (e.g. the first model call's request). */
  setOnce: Set<string>;
  /** The name and tags the run has now (so later batches only write what changed). */
  name: string | undefined;
  tags: Set<string>;
}

/** Default of {@link AimSinkOptions.maxQueueSpans}. */
export const DEFAULT_MAX_QUEUE_SPANS = 20_000;

const BACKOFF_MIN_MS = 200;
const BACKOFF_MAX_MS = 5_000;

/**
 * Writes spans to Aim: maps each batch ({@link planWrites}) and applies the plan through one Aim
 * connection, in order, retrying while Aim is unreachable. Replays are harmless: the plan puts
 * every point at a step derived from its span. Runs stay open while spans keep coming and close
 * when idle and at shutdown. Bounded: the queue, the open runs and the trace-key memory; every
 * dropped span is counted (see {@link stats}) and logged through the OTel diag logger.
 */
export class AimSink {
  private readonly options: Required<Omit<AimSinkOptions, keyof MappingOptions | 'aim' | 'logJoin'>> & { aim: AimTransportOptions };
  private readonly mapping: MappingOptions;
  private readonly queue: QueuedBatch[] = [];
  private readonly runs = new Map<string, OpenRun>();
  private readonly memo: BoundedMemo;
  private readonly counters = {
    received: 0,
    written: 0,
    dropped: 0,
    queued: 0,
    ignoredInstructions: 0,
    logRecords: 0,
    logRecordsIgnored: 0,
    eventsJoined: 0,
    eventsUnjoined: 0,
    metricPointsWritten: 0,
    metricPointsIgnored: 0,
  };
  private readonly join: LogJoin;
  private readonly idleTimer: NodeJS.Timeout;
  private repo: AimRepo | undefined;
  /** Why the last write failed for good, until a write succeeds again. */
  private permanentFailure: string | undefined;
  private working: Promise<void> | undefined;
  private stopped = false;

  constructor(options: AimSinkOptions) {
    const { runKey, experiment, namespace, includeNonGenAI, layout, url, aim, logJoin, ...rest } = options;
    this.join = new LogJoin(logJoin);
    this.mapping = {
      ...(runKey !== undefined ? { runKey } : {}),
      ...(layout !== undefined ? { layout } : {}),
      ...(experiment !== undefined ? { experiment } : {}),
      ...(namespace !== undefined ? { namespace } : {}),
      ...(includeNonGenAI !== undefined ? { includeNonGenAI } : {}),
    };
    this.options = {
      url,
      aim: aim ?? {},
      maxQueueSpans: rest.maxQueueSpans ?? DEFAULT_MAX_QUEUE_SPANS,
      retryDeadlineMs: rest.retryDeadlineMs ?? 300_000,
      idleCloseMs: rest.idleCloseMs ?? 30_000,
      maxOpenRuns: rest.maxOpenRuns ?? 1_000,
      maxRememberedTraces: rest.maxRememberedTraces ?? 100_000,
    };
    this.memo = new BoundedMemo(this.options.maxRememberedTraces);
    this.idleTimer = setInterval(() => {
      void this.closeIdleRuns();
    }, Math.max(1_000, Math.floor(this.options.idleCloseMs / 2)));
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
    return { ...this.counters, openRuns: this.runs.size, eventsHeld: this.join.held };
  }

  /**
   * Queues spans to be written. Returns false (and counts them dropped) when the queue is full or
   * the sink is shut down. Never throws.
   */
  submit(spans: readonly SpanRecord[]): boolean {
    this.counters.received += spans.length;
    if (this.stopped || this.counters.queued + spans.length > this.options.maxQueueSpans) {
      this.drop(spans.length, this.stopped ? 'the sink is shut down' : `the queue is full (${String(this.options.maxQueueSpans)} spans)`);
      return false;
    }
    this.enqueue({ spans: [...spans], size: spans.length, deadline: Date.now() + this.options.retryDeadlineMs });
    return true;
  }

  /**
   * Writes spans and resolves once Aim acknowledged them, or with why not: `full` (queue full),
   * `unavailable` (not acknowledged within `deadlineMs`: the sender should retry; writes already
   * sent may still land, harmlessly, since replays are no-ops), `failed` (refused). Spans are not
   * counted as dropped: the caller answers its sender. Never rejects.
   */
  write(spans: readonly SpanRecord[], deadlineMs: number): Promise<WriteOutcome> {
    this.counters.received += spans.length;
    if (this.stopped) return Promise.resolve({ status: 'failed', reason: 'the bridge is shutting down' });
    if (this.counters.queued + spans.length > this.options.maxQueueSpans) return Promise.resolve({ status: 'full' });
    return new Promise((settle) => {
      this.enqueue({ spans: [...spans], size: spans.length, deadline: Date.now() + deadlineMs, settle });
    });
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
    if (this.stopped) return { status: 'failed', reason: 'the bridge is shutting down' };
    const waiting = groups.filter((group) => !this.join.placement(group.id));
    const waitingEvents = waiting.reduce((sum, group) => sum + group.events.length, 0);
    if (waitingEvents > 0 && !this.join.canHold(waitingEvents)) return { status: 'full' };
    const started = Date.now();
    let joined = 0;
    let unjoined = 0;
    const plans = await Promise.all(
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
    const size = joined + unjoined;
    if (this.counters.queued + size > this.options.maxQueueSpans) return { status: 'full' };
    const outcome = await new Promise<WriteOutcome>((settle) => {
      this.enqueue({ spans: [], plans, size, deadline: started + this.join.windowMs + deadlineMs, settle });
    });
    if (outcome.status === 'written') {
      this.counters.eventsJoined += joined;
      this.counters.eventsUnjoined += unjoined;
      if (unjoined > 0) diag.debug(`aim-otel-bridge: ${String(unjoined)} GenAI events written without their span (it did not arrive within ${String(this.join.windowMs)} ms)`);
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
    if (this.stopped) return Promise.resolve({ status: 'failed', reason: 'the bridge is shutting down' });
    if (plans.length === 0) return Promise.resolve({ status: 'written' });
    if (this.counters.queued + size > this.options.maxQueueSpans) return Promise.resolve({ status: 'full' });
    return new Promise((settle) => {
      this.enqueue({ spans: [], plans, size, deadline: Date.now() + deadlineMs, settle });
    });
  }

  private enqueue(batch: QueuedBatch): void {
    if (batch.spans.length > 0 && batch.plans === undefined) {
      // Planned on arrival, not when the writer gets to it: the spans' placements are known at
      // once, so log events do not wait (and fall back) while their spans sit in this queue.
      const plan = planWrites(batch.spans, this.mapping, this.memo);
      this.reportProblems(plan.problems);
      this.join.place(plan.placements);
      batch.plans = plan.runs;
    }
    this.queue.push(batch);
    this.counters.queued += batch.size;
    this.working ??= this.work().finally(() => {
      this.working = undefined;
    });
  }

  /** Resolves when every span submitted so far was written (or dropped). */
  async forceFlush(): Promise<void> {
    while (this.working) await this.working;
  }

  /** GenAI events waiting for their spans stop waiting: they are written to their fallback place. */
  releaseHeldEvents(): void {
    this.join.close();
  }

  /** Writes what is queued, closes every run and the connection. Idempotent. */
  async shutdown(): Promise<void> {
    if (this.stopped) return this.forceFlush();
    this.stopped = true;
    this.join.close();
    clearInterval(this.idleTimer);
    await this.forceFlush();
    this.join.disposeJournal();
    for (const hash of [...this.runs.keys()]) await this.closeRun(hash);
    const repo = this.repo;
    this.repo = undefined;
    await repo?.close().catch((error: unknown) => {
      diag.warn(`aim-otel-bridge: closing the Aim connection failed: ${describe(error)}`);
    });
  }

  private async work(): Promise<void> {
    for (let batch = this.queue.shift(); batch; batch = this.queue.shift()) {
      let outcome: WriteOutcome;
      try {
        outcome = await this.writeWithRetry(batch);
      } catch (error) {
        outcome = { status: 'failed', reason: `unexpected error: ${describe(error)}` };
      }
      this.counters.queued -= batch.size;
      if (outcome.status === 'written') this.permanentFailure = undefined;
      else if (outcome.status === 'failed' && !this.stopped) this.permanentFailure = `writes to Aim fail: ${outcome.reason}`;
      if (outcome.status === 'written') this.counters.written += batch.spans.length;
      if (batch.settle) batch.settle(outcome);
      else if (outcome.status !== 'written') this.drop(batch.spans.length, outcome.status === 'full' ? 'queue full' : outcome.reason);
    }
  }

  /** Writes one batch, retrying transient failures with backoff until its deadline. */
  private async writeWithRetry(batch: QueuedBatch): Promise<WriteOutcome> {
    const runs = batch.plans ?? [];
    let delay = BACKOFF_MIN_MS;
    for (;;) {
      try {
        const repo = await this.connection();
        for (const run of runs) await this.writeRun(repo, run);
        await withDeadline(repo.flush(), batch.deadline);
        return { status: 'written' };
      } catch (error) {
        if (error instanceof DeadlineError) return { status: 'unavailable', reason: error.message };
        if (!isTransient(error)) return { status: 'failed', reason: `the writes failed for good: ${describe(error)}` };
        // Aim may have restarted and lost what it had not stored yet of runs being opened (their
        // SQL rows): the runs are opened afresh by the next attempt, which creates what is missing.
        this.detachRuns();
        if (Date.now() + delay > batch.deadline) return { status: 'unavailable', reason: `Aim is unreachable: ${describe(error)}` };
        diag.warn(`aim-otel-bridge: writing ${String(batch.size)} items to Aim failed (${describe(error)}); retrying in ${String(delay)} ms`);
        await sleep(delay);
        delay = Math.min(delay * 2, BACKOFF_MAX_MS);
      }
    }
  }

  private async connection(): Promise<AimRepo> {
    this.repo ??= await AimRepo.connect(this.options.url, this.options.aim);
    return this.repo;
  }

  private async writeRun(repo: AimRepo, plan: RunWritePlan): Promise<void> {
    const open = await this.openRun(repo, plan);
    const { run } = open;
    open.lastUsed = Date.now();
    for (const param of plan.params) {
      const key = param.path.join('\u0000');
      if (param.once === true) {
        if (open.setOnce.has(key)) continue;
        open.setOnce.add(key);
      }
      await run.set(param.path, param.value);
    }
    for (const metric of plan.metrics) {
      // Keyed by the span, not by the step: spans that share a step (same millisecond) across
      // batches both stay, and a replayed span rewrites its own point.
      await run.track(metric.value, { name: metric.name, step: metric.step, context: metric.context, time: metric.time, pointKey: hashAuto(metric.key ?? metric.spanId) });
    }
    for (const text of plan.texts) {
      const where = { name: text.name, step: text.step, context: text.context, time: text.time };
      await (typeof text.text === 'string' ? run.trackText(text.text, where) : run.trackTexts(text.text, where));
    }
  }

  private async openRun(repo: AimRepo, plan: RunWritePlan): Promise<OpenRun> {
    const cached = this.runs.get(plan.hash);
    if (cached) {
      // Only what changed: addTag is a read (a round trip that waits for every queued write).
      if (plan.name !== undefined && plan.name !== cached.name) {
        await cached.run.setName(plan.name);
        cached.name = plan.name;
      }
      for (const tag of plan.tags) {
        if (cached.tags.has(tag)) continue;
        await cached.run.addTag(tag);
        cached.tags.add(tag);
      }
      return cached;
    }
    // No run lock: the hash is shared by every replica writing this run key, and the points are
    // idempotent; a lock would make a second replica wait (blocking aim server) and then fail.
    const run = await repo.createRun({
      hash: plan.hash,
      lock: false,
      ...(plan.experiment !== undefined ? { experiment: plan.experiment } : {}),
      ...(plan.name !== undefined ? { name: plan.name } : {}),
      ...(plan.description !== undefined ? { description: plan.description } : {}),
      tags: plan.tags,
    });
    const open: OpenRun = { run, lastUsed: Date.now(), setOnce: new Set(), name: plan.name, tags: new Set(plan.tags) };
    this.runs.set(plan.hash, open);
    if (this.runs.size > this.options.maxOpenRuns) await this.closeLeastRecentlyUsed();
    return open;
  }

  /** Gives up every cached run object without a word to Aim (see `AimRun.detach`); later writes open them again. */
  private detachRuns(): void {
    for (const open of this.runs.values()) open.run.detach();
    this.runs.clear();
  }

  private async closeIdleRuns(): Promise<void> {
    if (this.working) return; // closing while writing would race the writes to the same run
    const cutoff = Date.now() - this.options.idleCloseMs;
    for (const [hash, open] of [...this.runs]) if (open.lastUsed < cutoff) await this.closeRun(hash);
  }

  private async closeLeastRecentlyUsed(): Promise<void> {
    let oldest: string | undefined;
    let oldestUse = Infinity;
    for (const [hash, open] of this.runs) {
      if (open.lastUsed < oldestUse) {
        oldest = hash;
        oldestUse = open.lastUsed;
      }
    }
    if (oldest !== undefined) await this.closeRun(oldest);
  }

  private async closeRun(hash: string): Promise<void> {
    const open = this.runs.get(hash);
    if (!open) return;
    this.runs.delete(hash);
    try {
      await open.run.close();
    } catch (error) {
      diag.warn(`aim-otel-bridge: closing run ${hash} failed: ${describe(error)}`);
    }
  }

  /** Malformed explicit instructions: counted ({@link AimSinkStats.ignoredInstructions}) and logged. */
  private reportProblems(problems: readonly string[]): void {
    for (const problem of problems) {
      this.counters.ignoredInstructions += 1;
      if (this.counters.ignoredInstructions <= 100) diag.warn(`aim-otel-bridge: ${problem}`);
    }
  }

  private drop(count: number, reason: string): void {
    if (count === 0) return;
    this.counters.dropped += count;
    diag.error(`aim-otel-bridge: dropped ${String(count)} spans (${String(this.counters.dropped)} in all): ${reason}`);
  }
}

/** The retry deadline passed while Aim had not acknowledged a batch. */
class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
}

/**
 * Errors after which the same writes may succeed later: Aim unreachable or restarting. Not: a
 * usage error, an exception Aim raised for the writes, a closed client, the deadline.
 */
function isTransient(error: unknown): boolean {
  if (error instanceof AimUsageError || error instanceof AimClosedError) return false;
  if (error instanceof AimServerError) return error.isUnknownHandler;
  return true;
}

/** Trace id → run key, bounded: the oldest entries go first. */
class BoundedMemo implements TraceKeyMemo {
  private readonly entries = new Map<string, string>();
  constructor(private readonly limit: number) {}

  get(traceId: string): string | undefined {
    return this.entries.get(traceId);
  }

  set(traceId: string, key: string): void {
    if (this.entries.get(traceId) === key) return;
    this.entries.delete(traceId);
    this.entries.set(traceId, key);
    if (this.entries.size > this.limit) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
  }
}

async function withDeadline<T>(promise: Promise<T>, deadline: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(new DeadlineError('the retry deadline passed before Aim acknowledged the writes'));
        }, Math.max(0, deadline - Date.now()));
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((wake) => setTimeout(wake, ms));
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
