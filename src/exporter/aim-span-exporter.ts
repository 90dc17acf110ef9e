import type { ExportResult, ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { componentLogger } from '../logging/component-logger.js';
import { RateLimitedLog } from '../logging/rate-limited-log.js';
import { fromReadableSpan } from '../model/from-readable-span.js';
import type { SpanOrigin, SpanRecord } from '../model/span-record.js';
import { AimSink, type AimSinkOptions, type AimSinkStats } from '../sink/aim-sink.js';

const log = componentLogger('exporter');

/* eslint-disable @typescript-eslint/no-unsafe-enum-assignment -- the enum's values, typed as its members without loading it */
/**
 * `ExportResultCode.SUCCESS` and `ExportResultCode.FAILED` of `@opentelemetry/core`: 0 and 1, the
 * values of its `ExportResultCode` enum (test/exporter/load-graph.test.ts checks them against
 * it). Local constants, so that the exporter needs no value of `@opentelemetry/core` (about 40
 * CommonJS files, some 20 ms of a fresh process's import) and its import stays type-only.
 */
const SUCCESS = 0 as ExportResultCode.SUCCESS;
const FAILED = 1 as ExportResultCode.FAILED;
/* eslint-enable @typescript-eslint/no-unsafe-enum-assignment */

/**
 * Options of {@link AimSpanExporter}: where Aim is, the mapping, and the sink's limits. Unkeyed
 * root-level model calls keep one run per trace (`unkeyed.grouping` default `trace`, unlike the
 * receiver's `window`): one application's calls, usually under its own chain or agent spans;
 * `{ unkeyed: { grouping: 'window' } }` groups a script's independent calls by model and hour.
 */
export type AimSpanExporterOptions = AimSinkOptions;

/**
 * An OpenTelemetry `SpanExporter` that writes spans to Aim (through `aim server`), in the layout
 * of ARCHITECTURE.md: one run per run key, GenAI params, metrics and text sequences.
 *
 * ```ts
 * const provider = new BasicTracerProvider({
 *   spanProcessors: [new BatchSpanProcessor(new AimSpanExporter({ url: 'aim://127.0.0.1:53800' }))],
 * });
 * ```
 *
 * `export()` hands the spans to a bounded queue and reports success at once; the exporter then
 * owns their delivery: it retries while Aim is unreachable (up to `retryDeadlineMs`), and
 * `forceFlush()`/`shutdown()` wait until everything was written. Spans it cannot take (queue full,
 * after shutdown) are reported as FAILED and counted in {@link stats}. It never throws.
 */
export class AimSpanExporter implements SpanExporter {
  private readonly sink: AimSink;
  private readonly origins = new WeakMap<object, SpanOrigin>();
  private conversionFailures = 0;
  /** Unconvertible spans and a throwing result callback, each kind at most once per interval. */
  private readonly limited = new RateLimitedLog(log);

  /**
   * @param options - see {@link AimSpanExporterOptions}; `prices` adds or replaces model prices
   *   (a price file's path or its entries; default the file `AIM_OTEL_BRIDGE_PRICES` names, else
   *   the built-in table).
   * @throws PricesError - when the price file (or the entries given) cannot be used: it names the
   *   file and the malformed entry. The only error the exporter throws, and only here, at start-up.
   */
  constructor(options: AimSpanExporterOptions) {
    this.sink = new AimSink(options);
  }

  /** Received, written and dropped spans, queue depth and open runs, model calls without a price (`costUnpriced`). */
  get stats(): AimSinkStats {
    const stats = this.sink.stats;
    return { ...stats, received: stats.received + this.conversionFailures, dropped: stats.dropped + this.conversionFailures };
  }

  /** Spans dropped so far (queue full, Aim unreachable past the deadline, refused, unconvertible). */
  get droppedSpans(): number {
    return this.stats.dropped;
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    let result: ExportResult;
    try {
      const records: SpanRecord[] = [];
      for (const span of spans) {
        try {
          records.push(fromReadableSpan(span, this.origins));
        } catch (error) {
          this.conversionFailures += 1;
          this.limited.error('cannot convert a span', `${span.name}: ${String(error)}`);
        }
      }
      result = this.sink.submit(records)
        ? { code: SUCCESS }
        : { code: FAILED, error: new Error('aim-otel-bridge: spans dropped (queue full or exporter shut down)') };
    } catch (error) {
      result = { code: FAILED, error: error instanceof Error ? error : new Error(String(error)) };
    }
    try {
      resultCallback(result);
    } catch (error) {
      this.limited.error('the export result callback threw', String(error));
    }
  }

  /** Resolves when every span exported so far was written to Aim (or dropped). */
  forceFlush(): Promise<void> {
    return this.sink.forceFlush().catch((error: unknown) => {
      log.error(`forceFlush failed: ${String(error)}`);
    });
  }

  /** Writes what is queued, closes the runs and the Aim connection. Idempotent. */
  shutdown(): Promise<void> {
    return this.sink.shutdown().catch((error: unknown) => {
      log.error(`shutdown failed: ${String(error)}`);
    });
  }
}
