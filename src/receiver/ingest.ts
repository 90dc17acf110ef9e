/**
 * The acceptance contract of an OTLP export request, whatever the transport (HTTP or gRPC) and
 * the signal: convert the decoded request into records, write them through the sink, and say how
 * to answer. 200/OK only once Aim holds what the request carried (with partial success for items
 * rejected as invalid); "busy" (429 / RESOURCE_EXHAUSTED with retry info) when the bridge cannot
 * take more now; "unavailable" (503 / UNAVAILABLE) when Aim did not acknowledge in time; "too large"
 * (413 / RESOURCE_EXHAUSTED without retry info) when the request can never fit.
 */
import { diag } from '@opentelemetry/api';
import { fromOtlpLogsRequest } from '../model/from-otlp-logs.js';
import { fromOtlpMetricsRequest } from '../model/from-otlp-metrics.js';
import { fromOtlpTraceRequest } from '../model/from-otlp.js';
import { DEFAULT_MAX_VALUE_DEPTH } from '../model/otlp-reader.js';
import type { AimSink, WriteOutcome } from '../sink/aim-sink.js';
import { converted } from './decode.js';
import type { OtlpFormat } from './errors.js';
import type { ReceiverMetrics } from './metrics.js';
import type { OtlpSignal } from './schema.js';

/** How to answer an export request. */
export type IngestOutcome =
  /** Everything valid is in Aim; `rejected` items were invalid (partial success when > 0 or with errors). */
  | { readonly kind: 'accepted'; readonly rejected: number; readonly errors: readonly string[] }
  /** The request holds more than the bridge can ever queue: the sender must split it. */
  | { readonly kind: 'too-large'; readonly message: string }
  /** The bridge is busy (queue full, too many events waiting): retry later. */
  | { readonly kind: 'busy'; readonly message: string }
  /** Aim did not acknowledge in time, refused, or the bridge is stopping: retry later. */
  | { readonly kind: 'unavailable'; readonly message: string };

/** Limits of {@link Ingest}. */
export interface IngestOptions {
  /** How long a request waits for Aim to acknowledge its writes, in ms. */
  readonly writeTimeoutMs: number;
  /** The sink's queue size: a request with more items can never fit. */
  readonly maxQueueItems: number;
  /** How many `AnyValue` levels a value may have. Default 32. */
  readonly maxValueDepth?: number;
}

/** Converts and writes export requests of every signal (see the module documentation). */
export class Ingest {
  constructor(
    private readonly sink: AimSink,
    private readonly metrics: ReceiverMetrics,
    private readonly options: IngestOptions,
  ) {}

  /**
   * Takes one decoded export request of `signal` (a protobufjs message or parsed OTLP JSON).
   * @throws `InvalidRequestError` (400 / INVALID_ARGUMENT) when the request is not of the signal's shape
   */
  async export(signal: OtlpSignal, request: unknown, format: OtlpFormat): Promise<IngestOutcome> {
    const maxValueDepth = this.options.maxValueDepth ?? DEFAULT_MAX_VALUE_DEPTH;
    switch (signal) {
      case 'traces': {
        const { spans, rejected, errors } = converted(format, () => fromOtlpTraceRequest(request, { maxValueDepth }));
        return this.accept(signal, spans.length, rejected, errors, () => this.sink.write(spans, this.options.writeTimeoutMs));
      }
      case 'logs': {
        const { items, rejected, errors } = converted(format, () => fromOtlpLogsRequest(request, { maxValueDepth }));
        return this.accept(signal, items.length, rejected, errors, () => this.sink.writeLogs(items, this.options.writeTimeoutMs));
      }
      case 'metrics': {
        const { points, rejected, errors } = converted(format, () => fromOtlpMetricsRequest(request, { maxValueDepth }));
        return this.accept(signal, points.length, rejected, errors, () => this.sink.writeMetricPoints(points, this.options.writeTimeoutMs));
      }
    }
  }

  private async accept(signal: OtlpSignal, count: number, rejected: number, errors: readonly string[], write: () => Promise<WriteOutcome>): Promise<IngestOutcome> {
    const counters = this.metrics.signals[signal];
    counters.received.inc(count);
    counters.rejected.inc(rejected);
    if (rejected > 0) diag.warn(`aim-otel-bridge: rejected ${String(rejected)} ${ITEM_NAMES[signal]}: ${errors.join('; ')}`);
    if (count > this.options.maxQueueItems) {
      return {
        kind: 'too-large',
        message: `the request holds ${String(count)} ${ITEM_NAMES[signal]}, more than the bridge queues (${String(this.options.maxQueueItems)}); send smaller batches`,
      };
    }
    const outcome = count === 0 ? ({ status: 'written' } as const) : await write();
    if (outcome.status === 'written') return { kind: 'accepted', rejected, errors };
    counters.deferred.inc(count);
    if (outcome.status === 'full') return { kind: 'busy', message: 'the bridge is busy: its queue is full; retry later' };
    // Aim unreachable, and also a refusal by Aim or a shutdown: retrying may reach a healthy
    // bridge or Aim, and the Collector drops data on a 500.
    return { kind: 'unavailable', message: outcome.status === 'unavailable' ? `Aim did not acknowledge the writes: ${outcome.reason}; retry later` : outcome.reason };
  }
}

const ITEM_NAMES: Readonly<Record<OtlpSignal, string>> = { traces: 'spans', logs: 'log records', metrics: 'data points' };
