import { ValueType } from '@opentelemetry/api';
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  AggregationType,
  type AggregationOption,
  InstrumentType,
  MeterProvider,
  MetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { expect } from 'chai';
import { OtlpShapeError, fromOtlpMetricsRequest } from '../../src/model/from-otlp-metrics.js';
import type { MetricPoint } from '../../src/model/metric-point.js';
import { otlpTypes } from '../../src/receiver/schema.js';

type Json = Record<string, unknown>;

const T1 = '1700000000000000001';
const good: Json = { timeUnixNano: T1, asDouble: 1 };

function request(...metrics: unknown[]): Json {
  return {
    resourceMetrics: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
        scopeMetrics: [{ scope: { name: 'scope' }, metrics }],
      },
    ],
  };
}

/** A reader collected on demand (no timer). */
class OnDemandReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

/** What the GenAI producers record: a token histogram, a duration histogram, int and double counters, a gauge, an up-down counter. */
async function sdkMetrics(temporality: AggregationTemporality, exponential = false): Promise<ResourceMetrics> {
  const reader = new OnDemandReader({
    aggregationTemporalitySelector: () => temporality,
    aggregationSelector: (type): AggregationOption =>
      exponential && type === InstrumentType.HISTOGRAM ? { type: AggregationType.EXPONENTIAL_HISTOGRAM } : { type: AggregationType.DEFAULT },
  });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'chat-app', 'service.instance.id': 'i-1' }),
    readers: [reader],
  });
  const meter = provider.getMeter('genai', '1.2.3');
  const tokens = meter.createHistogram('gen_ai.client.token.usage', {
    unit: '{token}',
    description: 'tokens',
    advice: { explicitBucketBoundaries: [1, 4, 16] },
  });
  const call = { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.provider.name': 'openai' };
  tokens.record(10, { ...call, 'gen_ai.token.type': 'input' });
  tokens.record(3, { ...call, 'gen_ai.token.type': 'input' });
  tokens.record(7, { ...call, 'gen_ai.token.type': 'output' });
  const duration = meter.createHistogram('gen_ai.client.operation.duration', { unit: 's' });
  duration.record(0.25, call);
  const choices = meter.createCounter('gen_ai.client.generation.choices', { unit: 'choice', valueType: ValueType.INT });
  choices.add(2, { 'big.int': 2 ** 60 });
  const size = meter.createCounter('llm.openai.embeddings.vector_size');
  size.add(0);
  meter.createGauge('queue.depth').record(-1.5, { flag: true });
  meter.createUpDownCounter('inflight', { valueType: ValueType.INT }).add(-3);
  const { resourceMetrics, errors } = await reader.collect();
  expect(errors).to.deep.equal([]);
  await provider.shutdown();
  return resourceMetrics;
}

/** Both encodings of one collection, decoded as the receiver decodes them. */
function bothForms(metrics: ResourceMetrics): { proto: unknown; json: unknown } {
  const bytes = ProtobufMetricsSerializer.serializeRequest(metrics);
  const text = JsonMetricsSerializer.serializeRequest(metrics);
  if (!bytes || !text) throw new Error('serialization failed');
  return { proto: otlpTypes().signals.metrics.request.decode(bytes), json: JSON.parse(new TextDecoder().decode(text)) };
}

function convertedClean(request: unknown): MetricPoint[] {
  const result = fromOtlpMetricsRequest(request);
  expect(result.errors).to.deep.equal([]);
  expect(result.rejected).to.equal(0);
  return result.points;
}

/** The fields that do not depend on the clock. */
function timeless(point: MetricPoint): Json {
  const { startTimeUnixNano, timeUnixNano, origin, ...rest } = point;
  expect(timeUnixNano > 1_700_000_000_000_000_000n).to.equal(true);
  expect(startTimeUnixNano <= timeUnixNano).to.equal(true);
  expect(origin).to.deep.equal({ resource: { 'service.name': 'chat-app', 'service.instance.id': 'i-1' }, scopeName: 'genai', scopeVersion: '1.2.3' });
  return rest;
}

const CALL = { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.provider.name': 'openai' };
const COMMON = { temporality: 'cumulative', monotonic: false, noRecordedValue: false } as const;

describe('fromOtlpMetricsRequest', () => {
  describe('real OTel JS SDK payloads (protobuf and JSON)', () => {
    it('converts every kind the SDK makes, the same from both encodings (cumulative)', async () => {
      const { proto, json } = bothForms(await sdkMetrics(AggregationTemporality.CUMULATIVE));
      const fromProto = convertedClean(proto);
      const fromJson = convertedClean(json);
      expect(fromProto).to.deep.equal(fromJson);
      expect(fromProto.map(timeless)).to.deep.equal([
        {
          ...COMMON,
          kind: 'histogram',
          name: 'gen_ai.client.token.usage',
          unit: '{token}',
          description: 'tokens',
          attributes: { ...CALL, 'gen_ai.token.type': 'input' },
          count: 2n,
          sum: 13,
          min: 3,
          max: 10,
          bucketCounts: [0n, 1n, 1n, 0n],
          explicitBounds: [1, 4, 16],
        },
        {
          ...COMMON,
          kind: 'histogram',
          name: 'gen_ai.client.token.usage',
          unit: '{token}',
          description: 'tokens',
          attributes: { ...CALL, 'gen_ai.token.type': 'output' },
          count: 1n,
          sum: 7,
          min: 7,
          max: 7,
          bucketCounts: [0n, 0n, 1n, 0n],
          explicitBounds: [1, 4, 16],
        },
        {
          ...COMMON,
          kind: 'histogram',
          name: 'gen_ai.client.operation.duration',
          unit: 's',
          attributes: CALL,
          count: 1n,
          sum: 0.25,
          min: 0.25,
          max: 0.25,
          bucketCounts: [0n, 1n, ...Array<bigint>(14).fill(0n)],
          explicitBounds: [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000],
        },
        { ...COMMON, kind: 'sum', name: 'gen_ai.client.generation.choices', unit: 'choice', monotonic: true, attributes: { 'big.int': 2n ** 60n }, value: 2n },
        { ...COMMON, kind: 'sum', name: 'llm.openai.embeddings.vector_size', unit: '', monotonic: true, attributes: {}, value: 0 },
        { ...COMMON, kind: 'gauge', name: 'queue.depth', unit: '', temporality: 'unspecified', attributes: { flag: true }, value: -1.5 },
        { ...COMMON, kind: 'sum', name: 'inflight', unit: '', attributes: {}, value: -3n },
      ]);
    });

    it('reads delta temporality, and one time per collection', async () => {
      const { proto, json } = bothForms(await sdkMetrics(AggregationTemporality.DELTA));
      const fromProto = convertedClean(proto);
      expect(fromProto).to.deep.equal(convertedClean(json));
      expect(fromProto.map((point) => [point.name, point.temporality])).to.deep.equal([
        ['gen_ai.client.token.usage', 'delta'],
        ['gen_ai.client.token.usage', 'delta'],
        ['gen_ai.client.operation.duration', 'delta'],
        ['gen_ai.client.generation.choices', 'delta'],
        ['llm.openai.embeddings.vector_size', 'delta'],
        ['queue.depth', 'unspecified'],
        ['inflight', 'delta'],
      ]);
      expect(new Set(fromProto.map((point) => point.timeUnixNano)).size).to.equal(1);
    });

    it('converts exponential histograms the same from both encodings', async () => {
      const { proto, json } = bothForms(await sdkMetrics(AggregationTemporality.CUMULATIVE, true));
      const fromProto = convertedClean(proto);
      expect(fromProto).to.deep.equal(convertedClean(json));
      const input = fromProto[0];
      if (input?.kind !== 'exponential_histogram') throw new Error(`not an exponential histogram: ${String(input?.kind)}`);
      const { positive, ...rest } = input;
      expect(timeless(rest as MetricPoint)).to.deep.equal({
        ...COMMON,
        kind: 'exponential_histogram',
        name: 'gen_ai.client.token.usage',
        unit: '{token}',
        description: 'tokens',
        attributes: { ...CALL, 'gen_ai.token.type': 'input' },
        count: 2n,
        sum: 13,
        min: 3,
        max: 10,
        scale: 6,
        zeroCount: 0n,
        zeroThreshold: 0,
        negative: { offset: 0, bucketCounts: [] },
      });
      // 3 and 10 at scale 6: bucket ⌈64·log2(v)⌉ − 1, i.e. 101 and 212.
      expect(positive.offset).to.equal(101);
      expect(positive.bucketCounts).to.have.length(212 - 101 + 1);
      expect(positive.bucketCounts.reduce((a, b) => a + b, 0n)).to.equal(2n);
      expect(positive.bucketCounts[0]).to.equal(1n);
      expect(positive.bucketCounts[212 - 101]).to.equal(1n);
    });

    it('keeps an unset optional sum/min/max absent in the protobuf form (prototype defaults are not values)', () => {
      const type = otlpTypes().signals.metrics.request;
      const message = type.fromObject(
        request({ name: 'h', histogram: { aggregationTemporality: 2, dataPoints: [{ timeUnixNano: T1, count: 4, bucketCounts: [4], explicitBounds: [] }] } }),
      );
      const decoded = type.decode(type.encode(message).finish());
      const [point] = convertedClean(decoded);
      expect(point).to.include({ kind: 'histogram', count: 4n });
      expect(point).to.not.have.any.keys('sum', 'min', 'max');
    });
  });

  describe('OTLP JSON written by hand', () => {
    it('accepts enum names, numeric times and strings for 64-bit integers', () => {
      const [sum, summary] = convertedClean(
        request(
          {
            name: 'c',
            sum: {
              aggregationTemporality: 'AGGREGATION_TEMPORALITY_DELTA',
              isMonotonic: true,
              dataPoints: [{ startTimeUnixNano: 5, timeUnixNano: T1, asInt: '9007199254740993' }],
            },
          },
          { name: 's', summary: { dataPoints: [{ timeUnixNano: T1, count: '3', sum: 'Infinity', quantileValues: [{ quantile: 0.5, value: 2 }, {}] }] } },
        ),
      );
      expect(sum).to.include({ kind: 'sum', temporality: 'delta', monotonic: true, startTimeUnixNano: 5n, timeUnixNano: BigInt(T1), value: 9007199254740993n });
      expect(summary).to.deep.include({
        kind: 'summary',
        temporality: 'unspecified',
        count: 3n,
        sum: Infinity,
        quantiles: [
          { quantile: 0.5, value: 2 },
          { quantile: 0, value: 0 },
        ],
      });
    });

    it('reads a point flagged no-recorded-value without a value', () => {
      const [point] = convertedClean(request({ name: 'g', gauge: { dataPoints: [{ timeUnixNano: T1, flags: 1 }] } }));
      expect(point).to.include({ kind: 'gauge', noRecordedValue: true, value: 0 });
    });

    it('reads an unknown temporality integer as unspecified', () => {
      const [point] = convertedClean(request({ name: 'c', sum: { aggregationTemporality: 7, dataPoints: [{ timeUnixNano: T1, asDouble: 1 }] } }));
      expect(point?.temporality).to.equal('unspecified');
    });

    const M = 'resourceMetrics[0].scopeMetrics[0].metrics[0]';
    const rejections: [string, Json, number, string][] = [
      ['a point without time', { name: 'g', gauge: { dataPoints: [{ asDouble: 1 }, good] } }, 1, `${M}.gauge.dataPoints[0].timeUnixNano is missing (0)`],
      [
        'a start after the time',
        { name: 'g', gauge: { dataPoints: [good, { ...good, startTimeUnixNano: '1700000000000000002' }] } },
        1,
        `${M}.gauge.dataPoints[1].startTimeUnixNano is after timeUnixNano`,
      ],
      [
        'a bad time',
        { name: 'g', gauge: { dataPoints: [{ ...good, timeUnixNano: 'soon' }, good] } },
        1,
        `${M}.gauge.dataPoints[0].timeUnixNano must be an unsigned 64-bit integer (a decimal string or number)`,
      ],
      [
        'a bad attribute',
        { name: 'g', gauge: { dataPoints: [good, { ...good, attributes: [{ key: 'k', value: { intValue: 1.5 } }] }] } },
        1,
        `${M}.gauge.dataPoints[1].attributes[0].value.intValue must be an integer`,
      ],
      ['no value', { name: 'g', gauge: { dataPoints: [{ timeUnixNano: T1 }, good] } }, 1, `${M}.gauge.dataPoints[0] has no value (asDouble or asInt)`],
      [
        'two values',
        { name: 'g', gauge: { dataPoints: [{ ...good, asInt: 1 }, good] } },
        1,
        `${M}.gauge.dataPoints[0] must hold one value, not both asDouble and asInt`,
      ],
      [
        'a bad double',
        { name: 'g', gauge: { dataPoints: [{ timeUnixNano: T1, asDouble: true }, good] } },
        1,
        `${M}.gauge.dataPoints[0].asDouble must be a number`,
      ],
      [
        'a bad flags value',
        { name: 'g', gauge: { dataPoints: [{ ...good, flags: -1 }, good] } },
        1,
        `${M}.gauge.dataPoints[0].flags is out of the unsigned 32-bit range`,
      ],
      [
        'bucket counts that do not fit the bounds',
        { name: 'h', histogram: { dataPoints: [{ timeUnixNano: T1, count: 1, bucketCounts: [1, 0], explicitBounds: [1, 2] }, { timeUnixNano: T1 }] } },
        1,
        `${M}.histogram.dataPoints[0].bucketCounts must hold one count more than explicitBounds (3, got 2)`,
      ],
      [
        'a bad bucket count',
        { name: 'h', histogram: { dataPoints: [{ timeUnixNano: T1, count: 1, bucketCounts: [1, 'x'], explicitBounds: [1] }, { timeUnixNano: T1 }] } },
        1,
        `${M}.histogram.dataPoints[0].bucketCounts[1] must be an unsigned 64-bit integer (a decimal string or number)`,
      ],
      [
        'a bad exponential scale',
        {
          name: 'e',
          exponentialHistogram: {
            dataPoints: [
              { timeUnixNano: T1, scale: 2 ** 31 },
              { timeUnixNano: T1, positive: { offset: -3, bucketCounts: [1] } },
            ],
          },
        },
        1,
        `${M}.exponentialHistogram.dataPoints[0].scale is out of the signed 32-bit range`,
      ],
      [
        'bad exponential buckets',
        { name: 'e', exponentialHistogram: { dataPoints: [{ timeUnixNano: T1, negative: { bucketCounts: {} } }, { timeUnixNano: T1 }] } },
        1,
        `${M}.exponentialHistogram.dataPoints[0].negative.bucketCounts must be an array`,
      ],
      [
        'a bad quantile',
        { name: 's', summary: { dataPoints: [{ timeUnixNano: T1, quantileValues: [{ quantile: 0.5 }, { value: 'x' }] }, { timeUnixNano: T1 }] } },
        1,
        `${M}.summary.dataPoints[0].quantileValues[1].value must be a number`,
      ],
      ['a point that is not an object', { name: 'g', gauge: { dataPoints: [7, good] } }, 1, `${M}.gauge.dataPoints[0] must be an object`],
      // Problems around the points reject all of the metric's points.
      ['a metric without name', { gauge: { dataPoints: [good, good, good] } }, 3, `${M}.name is missing (3 data points rejected)`],
      ['a name that is not a string', { name: 5, gauge: { dataPoints: [good, good] } }, 2, `${M}.name must be a string (2 data points rejected)`],
      [
        'two kinds of data',
        { name: 'x', gauge: { dataPoints: [good] }, sum: { dataPoints: [good] } },
        2,
        `${M} must hold one kind of data, not both gauge and sum (2 data points rejected)`,
      ],
      [
        'a bad temporality',
        { name: 'c', sum: { aggregationTemporality: 'CUMULATIVE', dataPoints: [good] } },
        1,
        `${M}.sum.aggregationTemporality must be an integer (1 data point rejected)`,
      ],
      [
        'a bad monotonic flag',
        { name: 'c', sum: { isMonotonic: 1, dataPoints: [good, good] } },
        2,
        `${M}.sum.isMonotonic must be a boolean (2 data points rejected)`,
      ],
      ['data points that are not a list', { name: 'c', sum: { dataPoints: {} } }, 1, `${M}.sum.dataPoints must be an array (1 data point rejected)`],
      ['data that is not an object', { name: 'c', histogram: 'h' }, 1, `${M}.histogram must be an object (1 data point rejected)`],
    ];
    for (const [what, metric, rejected, reason] of rejections) {
      it(`rejects ${what}: ${String(rejected)} point(s), keeping the others`, () => {
        const result = fromOtlpMetricsRequest(request(metric, { name: 'ok', gauge: { dataPoints: [good] } }));
        expect(result.errors).to.deep.equal([reason]);
        expect(result.rejected).to.equal(rejected);
        const kept = result.points.filter((point) => point.name !== 'ok');
        const sent = Object.values(metric).flatMap((data) =>
          typeof data === 'object' && data !== null && Array.isArray((data as Json).dataPoints) ? ((data as Json).dataPoints as unknown[]) : [],
        );
        expect(kept.length + rejected).to.equal(Math.max(1, sent.length));
        expect(result.points.filter((point) => point.name === 'ok')).to.have.length(1);
      });
    }

    it('rejects a metric that is not an object as one point', () => {
      const result = fromOtlpMetricsRequest(request('metric'));
      expect(result).to.deep.equal({ points: [], rejected: 1, errors: [`${M} must be an object (1 data point rejected)`] });
    });

    it('warns about a metric without data, rejecting nothing', () => {
      const result = fromOtlpMetricsRequest(request({ name: 'empty', unit: 's' }));
      expect(result).to.deep.equal({
        points: [],
        rejected: 0,
        errors: [`${M} has no data (gauge, sum, histogram, exponentialHistogram or summary): no points`],
      });
    });

    it('keeps at most maxErrors reasons', () => {
      const result = fromOtlpMetricsRequest(request({ name: 'g', gauge: { dataPoints: [{}, {}, {}, good] } }), { maxErrors: 1 });
      expect(result.rejected).to.equal(3);
      expect(result.points).to.have.length(1);
      expect(result.errors).to.deep.equal([`${M}.gauge.dataPoints[0].timeUnixNano is missing (0)`, '… 2 more']);
    });

    it('rejects attributes nested deeper than maxValueDepth', () => {
      const nested = { key: 'k', value: { arrayValue: { values: [{ arrayValue: { values: [] } }] } } };
      const result = fromOtlpMetricsRequest(request({ name: 'g', gauge: { dataPoints: [{ ...good, attributes: [nested] }] } }), { maxValueDepth: 1 });
      expect(result.rejected).to.equal(1);
      expect(result.errors).to.deep.equal([`${M}.gauge.dataPoints[0].attributes[0].value.arrayValue.values[0] is nested deeper than 1 levels`]);
    });

    const shapes: [string, unknown, string][] = [
      ['a request that is not an object', [], 'the request must be an object'],
      ['resourceMetrics that is not a list', { resourceMetrics: {} }, 'resourceMetrics must be an array'],
      ['a resource that is not an object', { resourceMetrics: [{ resource: 'r' }] }, 'resourceMetrics[0].resource must be an object'],
      ['scopeMetrics that is not a list', { resourceMetrics: [{ scopeMetrics: 1 }] }, 'resourceMetrics[0].scopeMetrics must be an array'],
      ['a scope entry that is not an object', { resourceMetrics: [{ scopeMetrics: [null] }] }, 'resourceMetrics[0].scopeMetrics[0] must be an object'],
      [
        'metrics that is not a list',
        { resourceMetrics: [{ scopeMetrics: [{ metrics: 'm' }] }] },
        'resourceMetrics[0].scopeMetrics[0].metrics must be an array',
      ],
      ['a bad scope name', { resourceMetrics: [{ scopeMetrics: [{ scope: { name: 1 } }] }] }, 'resourceMetrics[0].scopeMetrics[0].scope.name must be a string'],
    ];
    for (const [what, body, message] of shapes) {
      it(`throws OtlpShapeError for ${what}`, () => {
        expect(() => fromOtlpMetricsRequest(body)).to.throw(OtlpShapeError, message);
      });
    }

    it('accepts an empty request', () => {
      expect(fromOtlpMetricsRequest({})).to.deep.equal({ points: [], rejected: 0, errors: [] });
    });
  });
});
