/**
 * The neutral shape of one OTLP metric data point: what the receiver hands the mapping for the
 * metrics signal, next to `SpanRecord` (traces) and `LogRecord` (logs). Plain readonly data.
 *
 * One OTLP `Metric` carries many data points (one per attribute set); each becomes one
 * {@link MetricPoint} that repeats the metric's name, unit, description and temporality, so a
 * point can be mapped on its own.
 */
import type { Attributes, RecordTenant, SpanOrigin } from './span-record.js';

/** The OTLP metric data kinds (the `Metric.data` oneof). */
export type MetricKind = 'gauge' | 'sum' | 'histogram' | 'exponential_histogram' | 'summary';

/**
 * How a point aggregates over time (`AggregationTemporality`): `delta` covers the interval since
 * the previous export, `cumulative` everything since `startTimeUnixNano`. Gauges and summaries
 * have none (`unspecified`).
 */
export type MetricTemporality = 'unspecified' | 'delta' | 'cumulative';

/** What every kind of point has. */
interface MetricPointCommon {
  /** The metric's name, e.g. `gen_ai.client.token.usage`; never empty. */
  readonly name: string;
  /** The metric's unit (UCUM, e.g. `s`, `{token}`); '' when none. */
  readonly unit: string;
  /** The metric's description; absent when empty. */
  readonly description?: string;
  readonly temporality: MetricTemporality;
  /** `Sum.is_monotonic`; false for every other kind. */
  readonly monotonic: boolean;
  /** The point's attributes (the series it belongs to). */
  readonly attributes: Attributes;
  /** Start of the aggregation window (cumulative: the series' start); 0n when the sender set none. */
  readonly startTimeUnixNano: bigint;
  /** When the point was taken (the collection time); never 0. */
  readonly timeUnixNano: bigint;
  /**
   * The `FLAG_NO_RECORDED_VALUE` flag: the series has no value at this time (a staleness marker,
   * e.g. from Prometheus); the value fields are then meaningless.
   */
  readonly noRecordedValue: boolean;
  /** The resource and scope the point came from. */
  readonly origin: SpanOrigin;
  /** The tenant of the point (see {@link RecordTenant}); absent when unscoped. */
  readonly tenant?: RecordTenant;
}

/** A gauge or sum point: `bigint` for an integer point (`as_int`), `number` for a double (`as_double`). */
export interface NumberMetricPoint extends MetricPointCommon {
  readonly kind: 'gauge' | 'sum';
  readonly value: number | bigint;
}

/** An explicit-bucket histogram point. */
export interface HistogramMetricPoint extends MetricPointCommon {
  readonly kind: 'histogram';
  readonly count: bigint;
  /** Absent when the sender did not record it (e.g. for measurements that may be negative). */
  readonly sum?: number;
  readonly min?: number;
  readonly max?: number;
  /** `explicitBounds.length + 1` counts, or none at all. */
  readonly bucketCounts: readonly bigint[];
  /** Upper bounds (inclusive) of every bucket but the last, increasing. */
  readonly explicitBounds: readonly number[];
}

/** The buckets of one sign of an exponential histogram. */
export interface ExponentialBuckets {
  /** The index of the first bucket (bucket `i` covers `(base^i, base^(i+1)]`, `base = 2^(2^-scale)`). */
  readonly offset: number;
  readonly bucketCounts: readonly bigint[];
}

/** An exponential (base-2) histogram point. */
export interface ExponentialHistogramMetricPoint extends MetricPointCommon {
  readonly kind: 'exponential_histogram';
  readonly count: bigint;
  readonly sum?: number;
  readonly min?: number;
  readonly max?: number;
  readonly scale: number;
  /** Measurements in `[-zeroThreshold, zeroThreshold]`. */
  readonly zeroCount: bigint;
  readonly zeroThreshold: number;
  readonly positive: ExponentialBuckets;
  readonly negative: ExponentialBuckets;
}

/** One quantile of a summary point. */
export interface QuantileValue {
  /** In [0, 1]. */
  readonly quantile: number;
  readonly value: number;
}

/** A summary point (legacy; OpenTelemetry SDKs do not produce them, Prometheus bridges do). */
export interface SummaryMetricPoint extends MetricPointCommon {
  readonly kind: 'summary';
  readonly count: bigint;
  readonly sum: number;
  readonly quantiles: readonly QuantileValue[];
}

/** One OTLP metric data point, by kind. */
export type MetricPoint = NumberMetricPoint | HistogramMetricPoint | ExponentialHistogramMetricPoint | SummaryMetricPoint;
