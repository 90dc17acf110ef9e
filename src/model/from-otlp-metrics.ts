/**
 * OTLP metric requests → {@link MetricPoint}s, one per data point. Same decoded forms as the trace
 * converter (`from-otlp.ts`): a protobufjs message (64-bit integers as `Long`, unset oneof members
 * and `optional` fields only on the prototype) or parsed OTLP JSON (64-bit integers as decimal
 * strings or numbers, `aggregationTemporality` as an integer or its proto value name such as
 * `AGGREGATION_TEMPORALITY_CUMULATIVE`, doubles also as `"NaN"`/`"Infinity"`/`"-Infinity"`).
 * Unknown keys are ignored; `null` counts as absent.
 *
 * The unit of rejection is the **data point** (`partial_success.rejected_data_points`):
 * - a problem inside a data point (bad time, value, attribute, bucket counts) rejects that point
 *   only; the metric's other points are kept;
 * - a problem in the metric around its points (no name, a bad temporality, two kinds of data, a
 *   `dataPoints` that is not an array) rejects all of the metric's points (counted: as many as its
 *   `dataPoints` lists hold, at least 1);
 * - a metric with no data at all has no points: nothing is rejected, a warning is recorded;
 * - outside the metrics (request, resource, scope of the wrong shape): {@link OtlpShapeError}.
 * Every rejection and warning adds one English reason to `errors`, starting with the path of the
 * offending field, e.g. `resourceMetrics[0].scopeMetrics[0].metrics[1].histogram.dataPoints[2].timeUnixNano is missing (0)`.
 *
 * Decisions (per point): `timeUnixNano` must be non-zero and `startTimeUnixNano` (0 = unknown)
 * not after it; a gauge/sum point needs exactly one of `asDouble`/`asInt` unless it is flagged
 * `FLAG_NO_RECORDED_VALUE` (then its value reads as 0); a histogram's `bucketCounts` are empty or
 * one more than its `explicitBounds`; `count` is not checked against the buckets. Unknown
 * temporality integers read as `unspecified` (newer protocol versions may add values). Exemplars,
 * `metadata`, scope attributes, `schemaUrl` and flags other than no-recorded-value are not kept.
 */
import type { ExponentialBuckets, MetricKind, MetricPoint, MetricTemporality, QuantileValue } from './metric-point.js';
import {
  DEFAULT_MAX_VALUE_DEPTH,
  OtlpShapeError,
  Problem,
  enumName,
  isObject,
  itemList,
  optionalString,
  readAttributes,
  readDouble,
  readI64,
  readU64,
  under,
  walkOtlpRequest,
  within,
} from './otlp-reader.js';
import type { Attributes, SpanOrigin } from './span-record.js';

export { DEFAULT_MAX_VALUE_DEPTH, OtlpShapeError };

/** The data points of one request, and what was rejected. */
export interface OtlpMetricsConversion {
  /** The accepted points, in request order (a metric's points in their order). */
  readonly points: MetricPoint[];
  /** How many data points were rejected (the `partial_success.rejected_data_points` to report). */
  readonly rejected: number;
  /**
   * English reasons, one per rejected point, rejected metric or warning, each starting with the
   * path of the offending field. At most `maxErrors` of them, then one `… N more` line.
   */
  readonly errors: string[];
}

/** Options of {@link fromOtlpMetricsRequest}. */
export interface FromOtlpMetricsOptions {
  /**
   * How many `AnyValue` levels an attribute value may have (a scalar is 1). A deeper value
   * rejects its point. Default {@link DEFAULT_MAX_VALUE_DEPTH} (32).
   */
  readonly maxValueDepth?: number;
  /** How many reasons `errors` keeps before summarising the rest. Default 10. */
  readonly maxErrors?: number;
}

/** Converts a decoded `ExportMetricsServiceRequest`; throws only {@link OtlpShapeError}. */
export function fromOtlpMetricsRequest(request: unknown, options: FromOtlpMetricsOptions = {}): OtlpMetricsConversion {
  const maxDepth = options.maxValueDepth ?? DEFAULT_MAX_VALUE_DEPTH;
  let rejectedPoints = 0;
  const { items, rejected, errors } = walkOtlpRequest<MetricPoint>(request, METRICS, maxDepth, options.maxErrors ?? 10, (value, origin, warn) => {
    // Rejections are counted here, by data point, and reported through `warn`: the walk would
    // count a thrown problem as one item, but one metric holds many points.
    const reject = (problem: Problem, count: number): void => {
      rejectedPoints += count;
      warn(problem);
    };
    try {
      return readMetric(value, origin, maxDepth, warn, reject);
    } catch (error) {
      if (!(error instanceof Problem)) throw error;
      const count = Math.max(1, pointCount(value));
      error.message += ` (${String(count)} data point${count === 1 ? '' : 's'} rejected)`;
      reject(error, count);
      return [];
    }
  });
  return { points: items, rejected: rejected + rejectedPoints, errors };
}

const METRICS = { resources: 'resourceMetrics', scopes: 'scopeMetrics', items: 'metrics' } as const;

type Obj = Record<string, unknown>;

/** The `Metric.data` oneof members (JSON / protobufjs names) and the kinds they hold. */
const DATA_KINDS: readonly (readonly [key: string, kind: MetricKind])[] = [
  ['gauge', 'gauge'],
  ['sum', 'sum'],
  ['histogram', 'histogram'],
  ['exponentialHistogram', 'exponential_histogram'],
  ['summary', 'summary'],
];
const TEMPORALITIES: readonly MetricTemporality[] = ['unspecified', 'delta', 'cumulative'];
const TEMPORALITY_WORDS = ['AGGREGATION_TEMPORALITY_UNSPECIFIED', 'AGGREGATION_TEMPORALITY_DELTA', 'AGGREGATION_TEMPORALITY_CUMULATIVE'];
/** `DataPointFlags.FLAG_NO_RECORDED_VALUE`. */
const NO_RECORDED_VALUE = 1;

/**
 * Whether `key` is set on a decoded message: an own, non-null property. A protobufjs message
 * keeps the defaults of unset oneof members and `optional` fields on its prototype (an unset
 * `asInt` reads as `Long(0)`), so only own properties say what was sent.
 */
function has(obj: Obj, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key) && obj[key] !== undefined && obj[key] !== null;
}

/** What a point repeats from its metric. */
interface MetricInfo {
  readonly name: string;
  readonly unit: string;
  readonly description?: string;
  readonly temporality: MetricTemporality;
  readonly monotonic: boolean;
  readonly origin: SpanOrigin;
}

function readMetric(
  value: unknown,
  origin: SpanOrigin,
  maxDepth: number,
  warn: (problem: Problem) => void,
  reject: (problem: Problem, count: number) => void,
): MetricPoint[] {
  if (!isObject(value)) throw new Problem('must be an object');
  const name = optionalString(value.name, '.name');
  if (name === '') throw new Problem('is missing').at('.name');
  const unit = optionalString(value.unit, '.unit');
  const description = optionalString(value.description, '.description');
  const set = DATA_KINDS.filter(([key]) => has(value, key));
  const [first, second] = set;
  if (first === undefined) {
    warn(new Problem('has no data (gauge, sum, histogram, exponentialHistogram or summary): no points'));
    return [];
  }
  if (second !== undefined) throw new Problem(`must hold one kind of data, not both ${first[0]} and ${second[0]}`);
  const [key, kind] = first;
  const data = value[key];
  if (!isObject(data)) throw new Problem('must be an object').at(`.${key}`);
  const temporality =
    kind === 'gauge' || kind === 'summary'
      ? 'unspecified'
      : under(`.${key}`, () => enumName(data.aggregationTemporality, TEMPORALITIES, TEMPORALITY_WORDS, '.aggregationTemporality'));
  let monotonic = false;
  if (kind === 'sum' && data.isMonotonic !== undefined && data.isMonotonic !== null) {
    if (typeof data.isMonotonic !== 'boolean') throw new Problem('must be a boolean').at('.isMonotonic').at(`.${key}`);
    monotonic = data.isMonotonic;
  }
  const list = under(`.${key}`, () => itemList(data.dataPoints, '.dataPoints'));
  const info: MetricInfo = { name, unit, ...(description === '' ? {} : { description }), temporality, monotonic, origin };
  const points: MetricPoint[] = [];
  for (let i = 0; i < list.length; i++) {
    try {
      points.push(readPoint(kind, list[i], info, maxDepth));
    } catch (error) {
      if (!(error instanceof Problem)) throw error;
      reject(
        error
          .at(`[${String(i)}]`)
          .at('.dataPoints')
          .at(`.${key}`),
        1,
      );
    }
  }
  return points;
}

/** How many data points a rejected metric held (as far as its shape tells). */
function pointCount(value: unknown): number {
  if (!isObject(value)) return 1;
  let count = 0;
  for (const [key] of DATA_KINDS) {
    const data = value[key];
    if (has(value, key) && isObject(data) && Array.isArray(data.dataPoints)) count += data.dataPoints.length;
  }
  return count;
}

function readPoint(kind: MetricKind, value: unknown, info: MetricInfo, maxDepth: number): MetricPoint {
  if (!isObject(value)) throw new Problem('must be an object');
  const attributes: Attributes = under('.attributes', () => readAttributes(value.attributes, maxDepth));
  const startTimeUnixNano = readU64(value.startTimeUnixNano, '.startTimeUnixNano');
  const timeUnixNano = readU64(value.timeUnixNano, '.timeUnixNano');
  if (timeUnixNano === 0n) throw new Problem('is missing (0)').at('.timeUnixNano');
  if (startTimeUnixNano > timeUnixNano) throw new Problem('is after timeUnixNano').at('.startTimeUnixNano');
  const flags = readUint32(value.flags, '.flags');
  const noRecordedValue = (flags & NO_RECORDED_VALUE) !== 0;
  const common = { ...info, attributes, startTimeUnixNano, timeUnixNano, noRecordedValue };
  switch (kind) {
    case 'gauge':
    case 'sum':
      return { kind, ...common, value: readNumberValue(value, noRecordedValue) };
    case 'histogram': {
      const bucketCounts = readList(value.bucketCounts, '.bucketCounts', readU64);
      const explicitBounds = readList(value.explicitBounds, '.explicitBounds', readDouble);
      if (bucketCounts.length !== 0 && bucketCounts.length !== explicitBounds.length + 1) {
        throw new Problem(`must hold one count more than explicitBounds (${String(explicitBounds.length + 1)}, got ${String(bucketCounts.length)})`).at(
          '.bucketCounts',
        );
      }
      return { kind, ...common, count: readU64(value.count, '.count'), ...readStats(value), bucketCounts, explicitBounds };
    }
    case 'exponential_histogram':
      return {
        kind,
        ...common,
        count: readU64(value.count, '.count'),
        ...readStats(value),
        scale: readInt32(value.scale, '.scale'),
        zeroCount: readU64(value.zeroCount, '.zeroCount'),
        zeroThreshold: doubleOrZero(value.zeroThreshold, '.zeroThreshold'),
        positive: under('.positive', () => readBuckets(value.positive)),
        negative: under('.negative', () => readBuckets(value.negative)),
      };
    case 'summary':
      return {
        kind,
        ...common,
        count: readU64(value.count, '.count'),
        sum: doubleOrZero(value.sum, '.sum'),
        quantiles: readList(value.quantileValues, '.quantileValues', readQuantile),
      };
  }
}

/** A gauge/sum value: `asDouble` as a number, `asInt` as a bigint. */
function readNumberValue(value: Obj, noRecordedValue: boolean): number | bigint {
  const isDouble = has(value, 'asDouble');
  const isInt = has(value, 'asInt');
  if (isDouble && isInt) throw new Problem('must hold one value, not both asDouble and asInt');
  if (isDouble) return readDouble(value.asDouble, '.asDouble');
  if (isInt) {
    const int = readI64(value.asInt, '.asInt');
    return typeof int === 'bigint' ? int : BigInt(int);
  }
  if (noRecordedValue) return 0;
  throw new Problem('has no value (asDouble or asInt)');
}

/** The optional `sum`, `min` and `max` of a histogram point, only those that were sent. */
function readStats(value: Obj): { sum?: number; min?: number; max?: number } {
  const stats: { sum?: number; min?: number; max?: number } = {};
  if (has(value, 'sum')) stats.sum = readDouble(value.sum, '.sum');
  if (has(value, 'min')) stats.min = readDouble(value.min, '.min');
  if (has(value, 'max')) stats.max = readDouble(value.max, '.max');
  return stats;
}

function readBuckets(value: unknown): ExponentialBuckets {
  if (value === undefined || value === null) return { offset: 0, bucketCounts: [] };
  if (!isObject(value)) throw new Problem('must be an object');
  return { offset: readInt32(value.offset, '.offset'), bucketCounts: readList(value.bucketCounts, '.bucketCounts', readU64) };
}

function readQuantile(value: unknown, segment: string): QuantileValue {
  if (!isObject(value)) throw new Problem('must be an object').at(segment);
  return under(segment, () => ({ quantile: doubleOrZero(value.quantile, '.quantile'), value: doubleOrZero(value.value, '.value') }));
}

/** A repeated field read item by item; absent is empty. */
function readList<T>(value: unknown, segment: string, read: (item: unknown, segment: string) => T): T[] {
  const list = itemList(value, segment);
  const result: T[] = [];
  for (let i = 0; i < list.length; i++) {
    try {
      result.push(read(list[i], `[${String(i)}]`));
    } catch (error) {
      throw within(error, segment);
    }
  }
  return result;
}

/** A proto3 double that is not `optional`: absent is 0. */
function doubleOrZero(value: unknown, segment: string): number {
  return value === undefined || value === null ? 0 : readDouble(value, segment);
}

const INT_32 = /^-?[0-9]{1,10}$/;

/** An int32/sint32: a number, or a decimal string (proto3 JSON allows both); absent is 0. */
function readInt32(value: unknown, segment: string): number {
  if (value === undefined || value === null) return 0;
  const n = typeof value === 'string' && INT_32.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new Problem('must be a 32-bit integer').at(segment);
  if (n < -(2 ** 31) || n >= 2 ** 31) throw new Problem('is out of the signed 32-bit range').at(segment);
  return n;
}

/** A uint32 (the point's flags); absent is 0. */
function readUint32(value: unknown, segment: string): number {
  if (value === undefined || value === null) return 0;
  const n = typeof value === 'string' && /^[0-9]{1,10}$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new Problem('must be an unsigned 32-bit integer').at(segment);
  if (n < 0 || n >= 2 ** 32) throw new Problem('is out of the unsigned 32-bit range').at(segment);
  return n;
}
