import { JsonMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { expect } from 'chai';
import type { MetricWrite, PlanContext, RunWritePlan } from '../../src/mapping/aim-plan.js';
import { isGenAIMetric, planMetricWrites } from '../../src/mapping/metrics-to-aim.js';
import { runHash } from '../../src/mapping/run-key.js';
import type { MappingOptions } from '../../src/mapping/to-aim.js';
import { fromOtlpMetricsRequest } from '../../src/model/from-otlp-metrics.js';
import type { HistogramMetricPoint, MetricPoint, NumberMetricPoint } from '../../src/model/metric-point.js';
import type { Attributes } from '../../src/model/span-record.js';

const START = 1_767_225_000_000_000_000n;
const TIME = 1_767_225_600_123_456_789n; // 2026-01-01T00:00:00.123456789Z
const STEP = 1_767_225_600n;
const SECONDS = 1_767_225_600.1234567;

const CHAT_APP = { 'service.name': 'chat-app', 'service.instance.id': 'i-1' };
const CALL: Attributes = {
  'gen_ai.operation.name': 'chat',
  'gen_ai.request.model': 'gpt-4o',
  'gen_ai.provider.name': 'openai',
  'server.address': 'api.openai.com',
  'server.port': 443,
};
const CALL_CONTEXT = { operation: 'chat', model: 'gpt-4o', provider: 'openai', instance: 'i-1', server_address: 'api.openai.com', server_port: 443 };

function histogram(name: string, attributes: Attributes, values: Partial<HistogramMetricPoint> = {}, resource: Attributes = CHAT_APP): HistogramMetricPoint {
  return {
    kind: 'histogram',
    name,
    unit: 's',
    temporality: 'cumulative',
    monotonic: false,
    attributes,
    startTimeUnixNano: START,
    timeUnixNano: TIME,
    noRecordedValue: false,
    origin: { resource, scopeName: 'genai', scopeVersion: '1.0' },
    count: 0n,
    bucketCounts: [],
    explicitBounds: [],
    ...values,
  };
}

function number(kind: 'gauge' | 'sum', name: string, value: number | bigint, values: Partial<NumberMetricPoint> = {}): NumberMetricPoint {
  return {
    kind,
    name,
    unit: '',
    temporality: kind === 'sum' ? 'cumulative' : 'unspecified',
    monotonic: kind === 'sum',
    attributes: {},
    startTimeUnixNano: START,
    timeUnixNano: TIME,
    noRecordedValue: false,
    origin: { resource: CHAT_APP, scopeName: 'genai' },
    value,
    ...values,
  };
}

/** The metric writes as [name, value, context], the rest checked once per point. */
type Row = [name: string, value: number | bigint, context: PlanContext];

function rows(metrics: readonly MetricWrite[]): Row[] {
  for (const metric of metrics) {
    expect(metric.step).to.equal(STEP);
    expect(metric.time).to.equal(SECONDS);
    expect(metric.spanId).to.equal('');
    expect(metric.key).to.be.a('string');
  }
  return metrics.map((metric) => [metric.name, metric.value, metric.context]);
}

function onlyRun(points: readonly MetricPoint[], options: MappingOptions = {}): RunWritePlan {
  const plan = planMetricWrites(points, options);
  expect(plan.runs).to.have.length(1);
  const [run] = plan.runs;
  if (!run) throw new Error('no run');
  return run;
}

describe('planMetricWrites', () => {
  const cases: [what: string, points: MetricPoint[], expected: Row[]][] = [
    [
      'token usage histograms, input and output',
      [
        histogram(
          'gen_ai.client.token.usage',
          { ...CALL, 'gen_ai.token.type': 'input' },
          { unit: '{token}', count: 2n, sum: 13, min: 3, max: 10, bucketCounts: [0n, 1n, 1n, 0n], explicitBounds: [1, 4, 16] },
        ),
        histogram('gen_ai.client.token.usage', { ...CALL, 'gen_ai.token.type': 'output' }, { unit: '{token}', count: 1n, sum: 7, min: 7, max: 7 }),
      ],
      [
        ['gen_ai.client.token.usage.count', 2n, { ...CALL_CONTEXT, token_type: 'input' }],
        ['gen_ai.client.token.usage.sum', 13, { ...CALL_CONTEXT, token_type: 'input' }],
        ['gen_ai.client.token.usage.mean', 6.5, { ...CALL_CONTEXT, token_type: 'input' }],
        ['gen_ai.client.token.usage.min', 3, { ...CALL_CONTEXT, token_type: 'input' }],
        ['gen_ai.client.token.usage.max', 10, { ...CALL_CONTEXT, token_type: 'input' }],
        ['gen_ai.client.token.usage.count', 1n, { ...CALL_CONTEXT, token_type: 'output' }],
        ['gen_ai.client.token.usage.sum', 7, { ...CALL_CONTEXT, token_type: 'output' }],
        ['gen_ai.client.token.usage.mean', 7, { ...CALL_CONTEXT, token_type: 'output' }],
        ['gen_ai.client.token.usage.min', 7, { ...CALL_CONTEXT, token_type: 'output' }],
        ['gen_ai.client.token.usage.max', 7, { ...CALL_CONTEXT, token_type: 'output' }],
      ],
    ],
    [
      'operation duration with an error type, gen_ai.system and a response model that differs',
      [
        histogram(
          'gen_ai.client.operation.duration',
          {
            'gen_ai.operation.name': 'chat',
            'gen_ai.system': 'openai',
            'gen_ai.request.model': 'gpt-4o',
            'gen_ai.response.model': 'gpt-4o-2024-08-06',
            'error.type': 'timeout',
          },
          { count: 4n, sum: 3 },
        ),
      ],
      [
        [
          'gen_ai.client.operation.duration.count',
          4n,
          { operation: 'chat', model: 'gpt-4o', response_model: 'gpt-4o-2024-08-06', provider: 'openai', error_type: 'timeout', instance: 'i-1' },
        ],
        [
          'gen_ai.client.operation.duration.sum',
          3,
          { operation: 'chat', model: 'gpt-4o', response_model: 'gpt-4o-2024-08-06', provider: 'openai', error_type: 'timeout', instance: 'i-1' },
        ],
        [
          'gen_ai.client.operation.duration.mean',
          0.75,
          { operation: 'chat', model: 'gpt-4o', response_model: 'gpt-4o-2024-08-06', provider: 'openai', error_type: 'timeout', instance: 'i-1' },
        ],
      ],
    ],
    [
      "OpenLLMetry's time to first token (response model only, `stream`), and a histogram without sum",
      [
        histogram(
          'gen_ai.server.time_to_first_token',
          { 'gen_ai.provider.name': 'openai', 'gen_ai.response.model': 'gpt-4o-mini', 'gen_ai.operation.name': 'chat', stream: true },
          { count: 3n, sum: 0.6, min: 0.1, max: 0.3 },
        ),
        histogram('llm.chat_completions.streaming_time_to_generate', {}, { count: 5n }),
      ],
      [
        ['gen_ai.server.time_to_first_token.count', 3n, { operation: 'chat', model: 'gpt-4o-mini', provider: 'openai', instance: 'i-1', stream: true }],
        ['gen_ai.server.time_to_first_token.sum', 0.6, { operation: 'chat', model: 'gpt-4o-mini', provider: 'openai', instance: 'i-1', stream: true }],
        [
          'gen_ai.server.time_to_first_token.mean',
          0.19999999999999998,
          { operation: 'chat', model: 'gpt-4o-mini', provider: 'openai', instance: 'i-1', stream: true },
        ],
        ['gen_ai.server.time_to_first_token.min', 0.1, { operation: 'chat', model: 'gpt-4o-mini', provider: 'openai', instance: 'i-1', stream: true }],
        ['gen_ai.server.time_to_first_token.max', 0.3, { operation: 'chat', model: 'gpt-4o-mini', provider: 'openai', instance: 'i-1', stream: true }],
        ['llm.chat_completions.streaming_time_to_generate.count', 5n, { instance: 'i-1' }],
      ],
    ],
    [
      'an empty delta histogram: count only (no mean of nothing), the temporality in the context',
      [histogram('gen_ai.client.operation.duration', { 'gen_ai.operation.name': 'embeddings' }, { temporality: 'delta', count: 0n, sum: 0 })],
      [
        ['gen_ai.client.operation.duration.count', 0n, { operation: 'embeddings', instance: 'i-1', temporality: 'delta' }],
        ['gen_ai.client.operation.duration.sum', 0, { operation: 'embeddings', instance: 'i-1', temporality: 'delta' }],
      ],
    ],
    [
      'counters (int and double) and a gauge under the metric name; list and unsafe-int attributes',
      [
        number('sum', 'gen_ai.client.generation.choices', 2n, {
          attributes: { 'gen_ai.response.finish_reasons': ['stop', 'length'], big: 2n ** 60n, 'gen_ai.response.finish_reason': 'stop' },
        }),
        number('sum', 'llm.openai.embeddings.vector_size', 1536),
        number('gauge', 'gen_ai.server.queue.depth', -1.5, {
          attributes: Object.fromEntries([
            ['__proto__', 'x'],
            ['constructor', 1],
          ]) as Attributes,
        }),
      ],
      [
        [
          'gen_ai.client.generation.choices',
          2n,
          { finish_reason: 'stop', instance: 'i-1', big: '1152921504606846976', gen_ai_response_finish_reasons: 'stop,length' },
        ],
        ['llm.openai.embeddings.vector_size', 1536, { instance: 'i-1' }],
        [
          'gen_ai.server.queue.depth',
          -1.5,
          Object.fromEntries([
            ['instance', 'i-1'],
            ['__proto__', 'x'],
            ['constructor', 1],
          ]) as PlanContext,
        ],
      ],
    ],
    [
      'an exponential histogram and a summary: count, sum, mean (+ min/max for the histogram)',
      [
        {
          ...histogram('gen_ai.client.token.usage', { 'gen_ai.token.type': 'input' }),
          kind: 'exponential_histogram',
          count: 2n,
          sum: 13,
          min: 3,
          max: 10,
          scale: 6,
          zeroCount: 0n,
          zeroThreshold: 0,
          positive: { offset: 101, bucketCounts: [1n] },
          negative: { offset: 0, bucketCounts: [] },
        },
        { ...histogram('gen_ai.server.request.duration', {}), kind: 'summary', count: 4n, sum: 2, quantiles: [{ quantile: 0.5, value: 0.4 }] },
      ],
      [
        ['gen_ai.client.token.usage.count', 2n, { token_type: 'input', instance: 'i-1' }],
        ['gen_ai.client.token.usage.sum', 13, { token_type: 'input', instance: 'i-1' }],
        ['gen_ai.client.token.usage.mean', 6.5, { token_type: 'input', instance: 'i-1' }],
        ['gen_ai.client.token.usage.min', 3, { token_type: 'input', instance: 'i-1' }],
        ['gen_ai.client.token.usage.max', 10, { token_type: 'input', instance: 'i-1' }],
        ['gen_ai.server.request.duration.count', 4n, { instance: 'i-1' }],
        ['gen_ai.server.request.duration.sum', 2, { instance: 'i-1' }],
        ['gen_ai.server.request.duration.mean', 0.5, { instance: 'i-1' }],
      ],
    ],
  ];
  for (const [what, points, expected] of cases) {
    it(`writes ${what}`, () => {
      const plan = planMetricWrites(points);
      expect(plan.written).to.equal(points.length);
      expect(plan.ignored).to.equal(0);
      const [run] = plan.runs;
      expect(plan.runs).to.have.length(1);
      expect(rows(run?.metrics ?? [])).to.deep.equal(expected);
    });
  }

  it('puts a service in one run: key, hash, experiment and name', () => {
    const run = onlyRun([histogram('gen_ai.client.operation.duration', {}, { count: 1n, sum: 1 })]);
    const { metrics, ...rest } = run;
    expect(metrics).to.have.length(3);
    expect(rest).to.deep.equal({
      key: 'metrics/chat-app',
      hash: runHash('metrics/chat-app'),
      experiment: 'chat-app',
      name: 'chat-app metrics',
      tags: [],
      params: [],
      texts: [],
      spanCount: 0,
    });
  });

  it('keys a point by its series and times, the same for every sequence of the point', () => {
    const run = onlyRun([histogram('gen_ai.client.token.usage', { 'gen_ai.token.type': 'input', n: 1n, b: new Uint8Array([1, 255]) }, { count: 1n, sum: 2 })]);
    const keys = new Set(run.metrics.map((metric) => metric.key));
    expect([...keys]).to.deep.equal([
      ['gen_ai.client.token.usage', 'genai', '{"b":0x01ff,"gen_ai.token.type":"input","n":1n}', String(START), String(TIME)].join('\u0000'),
    ]);
  });

  it('gives two series that share a context and a step different keys', () => {
    const a = histogram('gen_ai.client.operation.duration', { 'x.y': 'a' }, { count: 1n });
    const b = histogram('gen_ai.client.operation.duration', { x_y: 'a' }, { count: 1n });
    const run = onlyRun([a, b]);
    expect(run.metrics.map((metric) => metric.context)).to.deep.equal([
      { instance: 'i-1', x_y: 'a' },
      { instance: 'i-1', x_y: 'a' },
    ]);
    expect(run.metrics[0]?.key).to.not.equal(run.metrics[1]?.key);
  });

  it('plans a replayed batch identically', () => {
    const batch = (): MetricPoint[] => [
      histogram('gen_ai.client.token.usage', { ...CALL, 'gen_ai.token.type': 'input' }, { count: 2n, sum: 13 }),
      number('sum', 'gen_ai.client.generation.choices', 2n),
      histogram('http.server.request.duration', {}, { count: 1n }),
    ];
    const first = planMetricWrites(batch(), { namespace: 'prod' });
    expect(planMetricWrites(batch(), { namespace: 'prod' })).to.deep.equal(first);
    expect(first.runs[0]?.hash).to.equal(runHash('metrics/chat-app', 'prod'));
  });

  it('makes one run per service, in order of appearance; no service.name is unknown_service', () => {
    const plan = planMetricWrites([
      histogram('gen_ai.client.operation.duration', {}, { count: 1n }, { 'service.name': 'b' }),
      histogram('gen_ai.client.operation.duration', {}, { count: 2n }, { 'service.name': 'a' }),
      histogram('gen_ai.client.operation.duration', {}, { count: 3n }, { 'service.name': 'b', 'service.instance.id': 'i-2' }),
      histogram('gen_ai.client.operation.duration', {}, { count: 4n }, {}),
    ]);
    expect(plan.runs.map((run) => [run.key, run.name, run.experiment, run.metrics.map((metric) => [metric.value, metric.context])])).to.deep.equal([
      [
        'metrics/b',
        'b metrics',
        'b',
        [
          [1n, {}],
          [3n, { instance: 'i-2' }],
        ],
      ],
      ['metrics/a', 'a metrics', 'a', [[2n, {}]]],
      ['metrics/unknown_service', 'unknown_service metrics', 'unknown_service', [[4n, {}]]],
    ]);
    expect(plan.written).to.equal(4);
  });

  it('takes the experiment from the resource, else the options, else service.name', () => {
    const point = histogram('gen_ai.client.operation.duration', {}, { count: 1n });
    expect(onlyRun([point], { experiment: 'configured' }).experiment).to.equal('configured');
    const named = histogram('gen_ai.client.operation.duration', {}, { count: 1n }, { ...CHAT_APP, 'aim.experiment': 'from-resource' });
    expect(onlyRun([named], { experiment: 'configured' }).experiment).to.equal('from-resource');
  });

  it('ignores non-GenAI metrics, points without a recorded value and non-finite values', () => {
    const plan = planMetricWrites([
      histogram('http.server.request.duration', {}, { count: 1n }),
      number('gauge', 'process.cpu.utilization', 0.5),
      number('sum', 'gen_ai.client.generation.choices', 1n, { noRecordedValue: true }),
      number('gauge', 'gen_ai.server.queue.depth', Number.NaN),
      histogram('gen_ai.client.operation.duration', {}, { count: 2n, sum: Number.POSITIVE_INFINITY }),
    ]);
    expect(plan.ignored).to.equal(4);
    expect(plan.written).to.equal(1);
    expect(plan.runs[0]?.metrics.map((metric) => [metric.name, metric.value])).to.deep.equal([['gen_ai.client.operation.duration.count', 2n]]);
  });

  it('writes every metric with includeNonGenAI, none with the explicit layout', () => {
    const points = [histogram('http.server.request.duration', {}, { count: 1n }), number('gauge', 'process.cpu.utilization', 0.5)];
    const all = planMetricWrites(points, { includeNonGenAI: true });
    expect([all.written, all.ignored]).to.deep.equal([2, 0]);
    expect(all.runs[0]?.metrics.map((metric) => metric.name)).to.deep.equal(['http.server.request.duration.count', 'process.cpu.utilization']);
    const explicit = planMetricWrites([histogram('gen_ai.client.operation.duration', {}, { count: 1n })], { layout: 'explicit' });
    expect(explicit).to.deep.equal({ runs: [], written: 0, ignored: 1 });
  });

  it('steps by whole unix seconds of the point time', () => {
    const run = onlyRun([number('sum', 'gen_ai.client.generation.choices', 1n, { timeUnixNano: 1_999_999_999n })]);
    expect(run.metrics[0]?.step).to.equal(1n);
    expect(run.metrics[0]?.time).to.equal(1.999999999);
  });

  const names: [string, boolean][] = [
    ['gen_ai.client.token.usage', true],
    ['gen_ai.server.time_per_output_token', true],
    ['llm.openai.chat_completions.streaming_time_to_first_token', true],
    ['llm.openai.embeddings.vector_size', true],
    ['http.client.request.duration', false],
    ['genai.tokens', false],
  ];
  for (const [name, genai] of names) {
    it(`${genai ? 'writes' : 'ignores'} ${name} by default`, () => {
      expect(isGenAIMetric(name)).to.equal(genai);
    });
  }

  it('maps what the OTel JS SDK exports, end to end (OTLP JSON → points → plan)', async () => {
    class OnDemandReader extends MetricReader {
      protected override async onShutdown(): Promise<void> {}
      protected override async onForceFlush(): Promise<void> {}
    }
    const reader = new OnDemandReader();
    const provider = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': 'sdk-app' }), readers: [reader] });
    const meter = provider.getMeter('genai');
    const tokens = meter.createHistogram('gen_ai.client.token.usage', { unit: '{token}' });
    tokens.record(12, { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'm', 'gen_ai.token.type': 'input' });
    tokens.record(30, { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'm', 'gen_ai.token.type': 'input' });
    meter.createCounter('http.requests').add(1);
    const { resourceMetrics } = await reader.collect();
    await provider.shutdown();
    const body = JsonMetricsSerializer.serializeRequest(resourceMetrics);
    if (!body) throw new Error('serialization failed');
    const { points, rejected } = fromOtlpMetricsRequest(JSON.parse(new TextDecoder().decode(body)));
    expect(rejected).to.equal(0);
    const plan = planMetricWrites(points);
    expect([plan.written, plan.ignored]).to.deep.equal([1, 1]);
    const run = plan.runs[0];
    expect(run?.key).to.equal('metrics/sdk-app');
    const context = { operation: 'chat', model: 'm', token_type: 'input' };
    expect(run?.metrics.map((metric) => [metric.name, metric.value, metric.context])).to.deep.equal([
      ['gen_ai.client.token.usage.count', 2n, context],
      ['gen_ai.client.token.usage.sum', 42, context],
      ['gen_ai.client.token.usage.mean', 21, context],
      ['gen_ai.client.token.usage.min', 12, context],
      ['gen_ai.client.token.usage.max', 30, context],
    ]);
    expect(run?.metrics[0]?.step).to.equal((points[0]?.timeUnixNano ?? 0n) / 1_000_000_000n);
  });
});
