/** The public shapes of `AimSink`: its options, its counters, the outcome of an awaited write. */
import type { AimTransportOptions } from '../aim/index.js';
import type { ParamLimits } from '../mapping/param-limits.js';
import type { MappingOptions } from '../mapping/to-aim.js';
import type { PricesOption } from '../pricing/price-file.js';
import type { LogJoinOptions } from './log-join.js';
import type { TraceWaterfallOptions } from './run-waterfalls.js';

/** Options of the sink that writes spans to Aim (shared by the exporter and the receiver). */
export interface AimSinkOptions extends Omit<MappingOptions, 'priceBook'> {
  /** The `aim server` to write to, e.g. `aim://127.0.0.1:53800`. Required. */
  url: string;
  /** Items (spans, GenAI events, metric points) waiting to be written, at most; beyond, new spans are dropped (counted) and awaited writes answered `full`. Default 20 000. */
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
  /**
   * Each run's trace waterfall: an `aim.Figure` `otel.trace_waterfall` (Aim's Figures tab) of its
   * last 20 traces, at most 500 spans, written at most once per 5 s per run and when the run
   * closes (see `RunWaterfalls`). `false` turns it off; an object sets its bounds. Default on.
   */
  traceWaterfall?: boolean | TraceWaterfallOptions;
  /**
   * Prices of model calls beyond or instead of the built-in table (`gen_ai.usage.cost`): a price
   * file's path, or its entries (see `PriceEntry`; the file format is in src/pricing/price-file.ts).
   * Its entries are matched before the built-in ones. Default: the file named by the environment
   * variable `AIM_OTEL_BRIDGE_PRICES`, if set; else the built-in table alone. A malformed file or
   * entry throws a `PricesError` (naming the file and the entry) when the sink is made. Not read
   * in the `explicit` layout (it writes no cost).
   */
  prices?: PricesOption;
  /**
   * Bounds of the params a run gets from telemetry (`aim.params`, `langchain.metadata.*`, resource
   * attributes, request parameters): distinct param paths per run (default 1 000; the bridge's own
   * `otel.*` and `gen_ai.*` params do not count), characters per key (256), a value's size (about
   * its JSON length: 65 536), depth (16 levels) and width (1 000 entries per dict or list). A param
   * beyond them is dropped whole, counted (`paramsCut`) and logged. See `ParamLimits`.
   */
  paramLimits?: Partial<ParamLimits>;
}

/** What the sink did so far. */
export interface AimSinkStats {
  /** Spans handed to the sink. */
  received: number;
  /** Spans whose writes Aim acknowledged. */
  written: number;
  /** Spans dropped: queue full, retry deadline passed, a permanent Aim error, or a span the mapping could not take. */
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
  /** Model calls with token counts whose model has no price: no `gen_ai.usage.cost` was written for them (each model is logged once). */
  costUnpriced: number;
  /** Priced model calls whose token totals left their cached or reasoning parts out (read so, see `splitUsage`). */
  costUsageAdjusted: number;
  /** Params dropped because they broke a bound of {@link AimSinkOptions.paramLimits} (too many for their run, a key too long, a value too big, deep or wide). */
  paramsCut: number;
  /** Tags dropped: longer than 256 characters, or beyond the 100 a run gets while the sink holds it open. */
  tagsCut: number;
  /** Strings with lone UTF-16 surrogates (which Aim cannot store) written with U+FFFD in their place. */
  stringsRepaired: number;
}

/** How an awaited write (`AimSink.write`) ended. */
export type WriteOutcome =
  /** Aim acknowledged every write of the spans. */
  | { status: 'written' }
  /** The queue is full: try again later (the spans were not taken). */
  | { status: 'full' }
  /** Aim did not acknowledge within the deadline (unreachable, restarting): try again later. */
  | { status: 'unavailable'; reason: string }
  /** Aim refused the writes, or the sink is shut down: retrying will not help. */
  | { status: 'failed'; reason: string };

/** Default of {@link AimSinkOptions.maxQueueSpans}. */
export const DEFAULT_MAX_QUEUE_SPANS = 20_000;
