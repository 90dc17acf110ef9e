/**
 * The GenAI client metrics of an inference run: `gen_ai.client.operation.duration`,
 * `gen_ai.client.token.usage` (input and output, only when the provider reported counts),
 * `gen_ai.client.operation.time_to_first_chunk` and `.time_per_output_chunk` (streaming only), with
 * the conventions' bucket boundaries as advice. Instruments come from the given meter provider, or
 * from the global one at the first recording (so an SDK registered after the handler was created
 * still counts); with no SDK they are no-ops and the handler skips building metric attributes.
 */
import { createNoopMeter, metrics } from '@opentelemetry/api';
import type { Attributes, Histogram, MeterProvider } from '@opentelemetry/api';
import { DURATION_BUCKETS_SECONDS, TOKEN_USAGE_BUCKETS } from '../semconv/metrics.js';
import type { SemconvNames } from '../semconv/profile.js';
import { GenAITokenType } from '../semconv/values.js';
import type { Usage } from './usage.js';

/** The instrument scope name of the handler's meter and tracer. */
export const INSTRUMENTATION_SCOPE = 'aim-otel-bridge/langchain';

const NOOP_HISTOGRAM: unknown = createNoopMeter().createHistogram('noop');

interface Instruments {
  readonly duration: Histogram;
  readonly tokens: Histogram;
  readonly timeToFirstChunk: Histogram;
  readonly timePerChunk: Histogram;
}

export class GenAIMetrics {
  private readonly _meterProvider: MeterProvider | undefined;
  private readonly _names: SemconvNames;
  private readonly _version: string;
  private _instruments: Instruments | undefined;
  private _enabled: boolean | undefined;

  /** `meterProvider` undefined: the global provider, looked up at the first recording. */
  constructor(meterProvider: MeterProvider | undefined, names: SemconvNames, version: string) {
    this._meterProvider = meterProvider;
    this._names = names;
    this._version = version;
  }

  /** False when the meter provider is a no-op (callers then skip building attributes). */
  get enabled(): boolean {
    if (this._enabled === undefined) this._create();
    return this._enabled === true;
  }

  private _create(): Instruments {
    const meter = (this._meterProvider ?? metrics.getMeterProvider()).getMeter(INSTRUMENTATION_SCOPE, this._version);
    const names = this._names;
    const seconds = { advice: { explicitBucketBoundaries: [...DURATION_BUCKETS_SECONDS] }, unit: 's' };
    const instruments: Instruments = {
      duration: meter.createHistogram(names.metricOperationDuration, { ...seconds, description: 'GenAI operation duration.' }),
      tokens: meter.createHistogram(names.metricTokenUsage, {
        advice: { explicitBucketBoundaries: [...TOKEN_USAGE_BUCKETS] },
        unit: '{token}',
        description: 'Number of input and output tokens used.',
      }),
      timeToFirstChunk: meter.createHistogram(names.metricTimeToFirstChunk, {
        ...seconds,
        description: 'Time to receive the first chunk in a streaming operation.',
      }),
      timePerChunk: meter.createHistogram(names.metricTimePerOutputChunk, {
        ...seconds,
        description: 'Time between consecutive chunks after the first in a streaming operation.',
      }),
    };
    this._instruments = instruments;
    this._enabled = (instruments.duration as { constructor?: unknown }).constructor !== (NOOP_HISTOGRAM as { constructor?: unknown }).constructor;
    return instruments;
  }

  private get _i(): Instruments {
    return this._instruments ?? this._create();
  }

  /** Records the duration (and, when known, token usage) of a finished operation. */
  recordOperation(durationSeconds: number, attributes: Attributes, usage: Usage | undefined): void {
    const instruments = this._i;
    instruments.duration.record(durationSeconds, attributes);
    const tokenType = this._names.tokenType;
    if (usage?.input !== undefined) instruments.tokens.record(usage.input, { ...attributes, [tokenType]: GenAITokenType.INPUT });
    if (usage?.output !== undefined) instruments.tokens.record(usage.output, { ...attributes, [tokenType]: GenAITokenType.OUTPUT });
  }

  recordTimeToFirstChunk(seconds: number, attributes: Attributes): void {
    this._i.timeToFirstChunk.record(seconds, attributes);
  }

  recordTimePerOutputChunk(seconds: number, attributes: Attributes): void {
    this._i.timePerChunk.record(seconds, attributes);
  }
}
