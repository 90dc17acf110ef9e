/**
 * A model with no price gets no cost (never a guessed one), is counted (the plan's report, the
 * sink's and exporter's stats, the receiver's Prometheus counter) and logged once per
 * (provider, model), with bounded memory.
 */
import { type DiagLogger, DiagLogLevel, diag } from '@opentelemetry/api';
import { expect } from 'chai';
import { planWrites } from '../../src/mapping/to-aim.js';
import type { Attributes, SpanRecord } from '../../src/model/span-record.js';
import { PriceBook } from '../../src/pricing/price-book.js';
import { UnpricedModels } from '../../src/pricing/unpriced-models.js';
import { ReceiverMetrics } from '../../src/receiver/metrics.js';
import { AimSink } from '../../src/sink/aim-sink.js';
import type { AimSinkStats } from '../../src/sink/aim-sink-options.js';
import { FakeAimWriter } from '../sink/fake-aim-writer.js';

const START = 1_764_000_000_000_000_000n;
let nextSpan = 1;

/** A chat span of `model` (provider `openai`) with usage, in trace `trace`. */
function chat(model: string, trace = 'cccccccccccccccccccccccccccccccc', extra: Attributes = {}): SpanRecord {
  const id = nextSpan++;
  return {
    traceId: trace,
    spanId: id.toString(16).padStart(16, '0'),
    name: `chat ${model}`,
    kind: 'client',
    startTimeUnixNano: START + BigInt(id) * 1_000_000n,
    endTimeUnixNano: START + BigInt(id) * 1_000_000n + 500_000n,
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': model,
      'gen_ai.usage.input_tokens': 10,
      'gen_ai.usage.output_tokens': 5,
      ...extra,
    },
    events: [],
    links: [],
    status: { code: 'unset' },
    origin: { resource: { 'service.name': 'svc' }, scopeName: 'test' },
  };
}

/** A logger keeping every line at warn and above, `[namespace, message]`. */
function capture(): { lines: string[][]; logger: DiagLogger } {
  const lines: string[][] = [];
  const keep = (...args: unknown[]): void => {
    lines.push(args.map(String));
  };
  return { lines, logger: { error: keep, warn: keep, info: () => undefined, debug: () => undefined, verbose: () => undefined } };
}

describe('pricing: models without a price', () => {
  afterEach(() => {
    diag.disable();
  });

  it('get no cost metric and are reported, one entry per call; a call without token counts is neither priced nor reported', () => {
    const withoutUsage = chat('acme-9');
    const attributes = Object.fromEntries(Object.entries(withoutUsage.attributes).filter(([key]) => !key.startsWith('gen_ai.usage.')));
    const spans = [chat('acme-9'), chat('acme-9'), chat('gpt-4o-mini'), { ...withoutUsage, attributes }];
    const plan = planWrites(spans, { priceBook: PriceBook.builtIn() });
    const costs = plan.runs.flatMap((run) => run.metrics).filter((point) => point.name.startsWith('gen_ai.usage.cost'));
    expect([...new Set(costs.map((point) => point.context['model']))]).to.deep.equal(['gpt-4o-mini']);
    expect(plan.pricing.unpriced).to.deep.equal([
      { provider: 'openai', model: 'acme-9' },
      { provider: 'openai', model: 'acme-9' },
    ]);
  });

  it('without a price book the mapping prices nothing and reports nothing', () => {
    const plan = planWrites([chat('acme-9'), chat('gpt-4o-mini')]);
    expect(plan.runs.flatMap((run) => run.metrics).filter((point) => point.name.startsWith('gen_ai.usage.cost'))).to.deep.equal([]);
    expect(plan.pricing).to.deep.equal({ unpriced: [], adjusted: 0 });
  });

  it('are logged once per (provider, model) through the pricing component logger', () => {
    const { lines, logger } = capture();
    diag.setLogger(logger, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
    const models = new UnpricedModels();
    models.note('openai', 'acme-9');
    models.note('openai', 'acme-9');
    models.note('x_ai', 'acme-9');
    models.note(undefined, undefined);
    models.note(undefined, undefined);
    expect(lines.map(([namespace]) => namespace)).to.deep.equal(['aim-otel-bridge/pricing', 'aim-otel-bridge/pricing', 'aim-otel-bridge/pricing']);
    expect(lines[0]?.[1]).to.equal(
      'no price for model "acme-9" of provider "openai": its calls get no gen_ai.usage.cost metric (add its price with a price file: --prices <file>, AIM_OTEL_BRIDGE_PRICES or the prices option)',
    );
    expect(lines[2]?.[1]).to.match(/^no price for model \(none named\) of provider \(none named\)/);
  });

  it('remember a bounded number of models: beyond it the one logged longest ago is forgotten (and logged again if it comes back)', () => {
    const { lines, logger } = capture();
    const models = new UnpricedModels(logger, 2);
    for (const model of ['a', 'b', 'c', 'c', 'b', 'a']) models.note('openai', model);
    expect(models.size).to.equal(2);
    expect(lines.map((line) => /model "(\w)"/.exec(line[0] ?? '')?.[1])).to.deep.equal(['a', 'b', 'c', 'a']);
  });

  it('are counted in the sink stats (the exporter and receiver stats) and logged once, while priced calls are written with their cost', async () => {
    const { lines, logger } = capture();
    diag.setLogger(logger, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
    const writer = new FakeAimWriter();
    const sink = new AimSink({ url: 'aim://fake', traceWaterfall: false }, { writer });
    try {
      expect(await sink.write([chat('acme-9'), chat('acme-9'), chat('gpt-4o-mini')], 5_000)).to.deep.equal({ status: 'written' });
      expect(await sink.write([chat('acme-9')], 5_000)).to.deep.equal({ status: 'written' });
      expect(sink.stats).to.deep.include({ costUnpriced: 3, costUsageAdjusted: 0 });
      expect(lines.filter((line) => line[0] === 'aim-otel-bridge/pricing')).to.have.length(1);
      const tracked = writer.calls.filter((call) => call.startsWith('track ')).map((call) => call.split(' ')[2]);
      // One priced call: its total and its two parts with tokens (input, output).
      expect(tracked.filter((name) => name?.startsWith('gen_ai.usage.cost'))).to.have.members([
        'gen_ai.usage.cost',
        'gen_ai.usage.cost.input',
        'gen_ai.usage.cost.output',
      ]);
    } finally {
      await sink.shutdown();
    }
  });

  it('are counted on the receiver’s /metrics (Prometheus), as are calls whose totals left their parts out', async () => {
    const stats: AimSinkStats = {
      received: 0,
      written: 0,
      dropped: 0,
      queued: 0,
      openRuns: 0,
      ignoredInstructions: 0,
      logRecords: 0,
      logRecordsIgnored: 0,
      eventsJoined: 0,
      eventsUnjoined: 0,
      eventsHeld: 0,
      metricPointsWritten: 0,
      metricPointsIgnored: 0,
      paramsCut: 0,
      tagsCut: 0,
      stringsRepaired: 0,
      costUnpriced: 0,
      costUsageAdjusted: 0,
    };
    const metrics = new ReceiverMetrics(() => stats);
    stats.costUnpriced = 3;
    stats.costUsageAdjusted = 2;
    const text = await metrics.registry.metrics();
    expect(text).to.include('aim_otel_bridge_cost_unpriced_calls_total 3');
    expect(text).to.include('aim_otel_bridge_cost_usage_adjusted_calls_total 2');
  });
});
