/**
 * The acceptance contract of an OTLP export request, whatever the transport (HTTP or gRPC) and
 * the signal: convert the decoded request into records, write them through the sink, and say how
 * to answer. 200/OK only once Aim holds what the request carried (with partial success for items
 * rejected as invalid); "busy" (429 / RESOURCE_EXHAUSTED with retry info) when the bridge cannot
 * take more now; "unavailable" (503 / UNAVAILABLE) when Aim did not acknowledge in time; "too large"
 * (413 / RESOURCE_EXHAUSTED without retry info) when the request can never fit; "forbidden" (403 /
 * PERMISSION_DENIED) when a request of a scoped token names an experiment outside its tenant's
 * scope (see tenant-scope.ts: nothing of it is written).
 */
import { createHash } from 'node:crypto';
import { fromOtlpLogsRequest } from '../model/from-otlp-logs.js';
import { fromOtlpMetricsRequest } from '../model/from-otlp-metrics.js';
import { fromOtlpTraceRequest } from '../model/from-otlp.js';
import { DEFAULT_MAX_VALUE_DEPTH } from '../model/otlp-reader.js';
import { componentLogger } from '../logging/component-logger.js';
import { RateLimitedLog } from '../logging/rate-limited-log.js';
import type { AimSink, WriteOutcome } from '../sink/aim-sink.js';
import { converted } from './decode.js';
import type { OtlpFormat } from './errors.js';
import type { ReceiverMetrics } from './metrics.js';
import { RequestLedger } from './request-ledger.js';
import type { OtlpSignal } from './schema.js';
import { type TenantScope, experimentOutside, forbiddenMessage, recordTenantOf, scopeIdentity, withTenant } from './tenant-scope.js';
import { namedExperiment } from '../mapping/tenant-keys.js';
import type { RecordTenant } from '../model/span-record.js';

const log = componentLogger('receiver');

/** How to answer an export request. */
export type IngestOutcome =
  /** Everything valid is in Aim; `rejected` items were invalid (partial success when > 0 or with errors). */
  | { readonly kind: 'accepted'; readonly rejected: number; readonly errors: readonly string[] }
  /** The request holds more than the bridge can ever queue: the sender must split it. */
  | { readonly kind: 'too-large'; readonly message: string }
  /** The bridge is busy (queue full, too many events waiting): retry later. */
  | { readonly kind: 'busy'; readonly message: string }
  /** Aim did not acknowledge in time, refused, or the bridge is stopping: retry later. */
  | { readonly kind: 'unavailable'; readonly message: string }
  /** The request names an experiment outside its token's tenant scope: nothing of it was written (the message says what the scope allows, never the token). */
  | { readonly kind: 'forbidden'; readonly message: string };

/** Limits of {@link Ingest}. */
export interface IngestOptions {
  /** How long a request waits for Aim to acknowledge its writes, in ms. */
  readonly writeTimeoutMs: number;
  /** The sink's queue size: a request with more items can never fit. */
  readonly maxQueueItems: number;
  /** How many `AnyValue` levels a value may have. Default 32. */
  readonly maxValueDepth?: number;
  /**
   * How long the sink keeps trying to write a request's items once queued, in ms, when the request
   * is answered before (after `writeTimeoutMs`): its retry is answered from that work. Default
   * `max(writeTimeoutMs, 120 000)`.
   */
  readonly workDeadlineMs?: number;
  /** How often a line of each kind (load shedding, rejected items) is logged at most, in ms. Default 10 000 (`DEFAULT_LOG_INTERVAL_MS`). */
  readonly shedLogIntervalMs?: number;
}

/** The content key of an export request: its signal and its (uncompressed) body. */
export function requestKey(signal: OtlpSignal, plain: Uint8Array): string {
  return createHash('sha256').update(signal).update('\u0000').update(plain).digest('base64');
}

/** Converts and writes export requests of every signal (see the module documentation). */
export class Ingest {
  private readonly ledger = new RequestLedger<IngestOutcome>({ isDone: (outcome) => outcome.kind === 'accepted' });
  private readonly workDeadlineMs: number;
  /** Load shedding and rejected items, each kind at most once per interval. */
  private readonly limited: RateLimitedLog;

  constructor(
    private readonly sink: AimSink,
    private readonly metrics: ReceiverMetrics,
    private readonly options: IngestOptions,
  ) {
    this.workDeadlineMs = options.workDeadlineMs ?? Math.max(options.writeTimeoutMs, 120_000);
    this.limited = new RateLimitedLog(log, { intervalMs: options.shedLogIntervalMs });
  }

  /**
   * Takes one export request known by its content key ({@link requestKey}), parsed only when
   * needed: a retry of a request whose items were written is answered from that (accepted, not
   * parsed again); a retry of a request still queued or being written waits for that work instead
   * of queueing it twice; a new request is refused (busy) without parsing while the queue is full.
   * The items of a request answered "unavailable" because Aim did not acknowledge them within
   * `writeTimeoutMs` stay queued (until `workDeadlineMs`): the retry is answered from them.
   * `scope` is the tenant scope of the request's token (none: unscoped); it is part of the
   * request's identity, so two tenants' identical requests are two requests.
   * @throws `InvalidRequestError` (400 / INVALID_ARGUMENT) when the request is not of the signal's shape
   */
  async exportOnce(signal: OtlpSignal, key: string, parse: () => unknown, format: OtlpFormat, scope?: TenantScope): Promise<IngestOutcome> {
    const identity = scope === undefined ? key : `${key}\u0000${scopeIdentity(scope)}`;
    if (this.ledger.known(identity) === undefined && this.sink.stats.queued >= this.options.maxQueueItems) return this.shed();
    const answer = await this.ledger.settle(identity, this.options.writeTimeoutMs, () => this.export(signal, parse(), format, this.workDeadlineMs, scope));
    if (answer.from === 'done') this.metrics.retries.inc({ answered: 'from-written' });
    else if (answer.from === 'in-flight') this.metrics.retries.inc({ answered: 'joined-in-flight' });
    if (answer.kind === 'outcome') return answer.outcome;
    return {
      kind: 'unavailable',
      message: 'Aim has not acknowledged the writes yet; they stay queued, and a retry of this request is answered from them; retry later',
    };
  }

  /** A refusal because the queue is full: counted, and reported (rate-limited) as load shedding. */
  private shed(): IngestOutcome {
    this.metrics.shedRequests.inc();
    this.limited.warn('shedding load', () => {
      const stats = this.sink.stats;
      return (
        `a request refused as busy (429, RESOURCE_EXHAUSTED): the queue holds ${String(stats.queued)} of ${String(this.options.maxQueueItems)} items, ` +
        `${String(this.ledger.inFlightCount)} requests being written, ${String(stats.written)} spans written so far (senders retry after Retry-After)`
      );
    });
    return { kind: 'busy', message: 'the bridge is busy: its queue is full; retry later' };
  }

  /**
   * Takes one decoded export request of `signal` (a protobufjs message or parsed OTLP JSON). With
   * a tenant `scope`, its records are checked against the scope once converted (one naming an
   * experiment outside it: the request is forbidden, nothing written) and carry the tenant, which
   * puts their runs in the scope's namespace (see tenant-scope.ts).
   * @throws `InvalidRequestError` (400 / INVALID_ARGUMENT) when the request is not of the signal's shape
   */
  async export(
    signal: OtlpSignal,
    request: unknown,
    format: OtlpFormat,
    deadlineMs = this.options.writeTimeoutMs,
    scope?: TenantScope,
  ): Promise<IngestOutcome> {
    const maxValueDepth = this.options.maxValueDepth ?? DEFAULT_MAX_VALUE_DEPTH;
    switch (signal) {
      case 'traces': {
        const { spans, rejected, errors } = converted(format, () => fromOtlpTraceRequest(request, { maxValueDepth }));
        const checked = this.scoped(spans, scope, (span) => namedExperiment(span.attributes, span.origin.resource));
        if (checked.forbidden) return checked.forbidden;
        return this.accept(signal, spans.length, rejected, errors, () => this.sink.write(checked.records, deadlineMs));
      }
      case 'logs': {
        const { items, rejected, errors } = converted(format, () => fromOtlpLogsRequest(request, { maxValueDepth }));
        const checked = this.scoped(items, scope, (record) => namedExperiment(record.attributes, record.origin.resource));
        if (checked.forbidden) return checked.forbidden;
        return this.accept(signal, items.length, rejected, errors, () => this.sink.writeLogs(checked.records, deadlineMs));
      }
      case 'metrics': {
        const { points, rejected, errors } = converted(format, () => fromOtlpMetricsRequest(request, { maxValueDepth }));
        // Metric points name their experiment on the resource only (as the mapping reads it).
        const checked = this.scoped(points, scope, (point) => namedExperiment({}, point.origin.resource));
        if (checked.forbidden) return checked.forbidden;
        return this.accept(signal, points.length, rejected, errors, () => this.sink.writeMetricPoints(checked.records, deadlineMs));
      }
    }
  }

  /**
   * A request's records under its token's `scope`: unchanged without one; else refused (forbidden)
   * when one of them names an experiment outside the scope (`named`: the experiment a record
   * names), or copies carrying the scope's tenant.
   */
  private scoped<T extends { readonly tenant?: RecordTenant }>(
    records: readonly T[],
    scope: TenantScope | undefined,
    named: (record: T) => string | undefined,
  ): { readonly records: readonly T[]; readonly forbidden?: undefined } | { readonly records?: undefined; readonly forbidden: IngestOutcome } {
    if (scope === undefined) return { records };
    const outside = experimentOutside(scope, records.map(named));
    if (outside !== undefined) return { forbidden: this.forbid(scope, outside) };
    return { records: withTenant(records, recordTenantOf(scope)) };
  }

  /** A refusal because the request names an experiment outside its tenant's scope: counted by tenant, logged (rate-limited, per tenant). */
  private forbid(scope: TenantScope, experiment: string): IngestOutcome {
    const message = forbiddenMessage(scope, experiment);
    this.metrics.forbiddenRequests.inc({ tenant: scope.name });
    this.limited.warn(`forbidden request (403, PERMISSION_DENIED) of tenant ${JSON.stringify(scope.name)}`, message);
    return { kind: 'forbidden', message };
  }

  private async accept(
    signal: OtlpSignal,
    count: number,
    rejected: number,
    errors: readonly string[],
    write: () => Promise<WriteOutcome>,
  ): Promise<IngestOutcome> {
    const counters = this.metrics.signals[signal];
    counters.received.inc(count);
    counters.rejected.inc(rejected);
    if (rejected > 0) this.limited.warn(`rejected ${ITEM_NAMES[signal]}`, `${String(rejected)} (${errors.join('; ')})`, rejected);
    if (count > this.options.maxQueueItems) {
      return {
        kind: 'too-large',
        message: `the request holds ${String(count)} ${ITEM_NAMES[signal]}, more than the bridge queues (${String(this.options.maxQueueItems)}); send smaller batches`,
      };
    }
    const outcome = count === 0 ? ({ status: 'written' } as const) : await write();
    if (outcome.status === 'written') return { kind: 'accepted', rejected, errors };
    counters.deferred.inc(count);
    if (outcome.status === 'full') return this.shed();
    // Aim unreachable, and also a refusal by Aim or a shutdown: retrying may reach a healthy
    // bridge or Aim, and the Collector drops data on a 500.
    return {
      kind: 'unavailable',
      message: outcome.status === 'unavailable' ? `Aim did not acknowledge the writes: ${outcome.reason}; retry later` : outcome.reason,
    };
  }
}

const ITEM_NAMES: Readonly<Record<OtlpSignal, string>> = { traces: 'spans', logs: 'log records', metrics: 'data points' };
