/**
 * Cost in the write plan: a model call with usage gets `gen_ai.usage.cost` and its parts (those
 * with tokens) at its token metrics' step and context; the cached and reasoning token counts are
 * read from every convention; the same call costs the same from every real producer; two stacked
 * spans of one call price it once. Figures computed by hand from the built-in table (µ$ =
 * millionths of a dollar).
 */
import { expect } from 'chai';
import type { MetricWrite } from '../../src/mapping/aim-plan.js';
import { readGenAIFacts } from '../../src/mapping/conventions.js';
import { planWrites } from '../../src/mapping/to-aim.js';
import type { Attributes, SpanRecord } from '../../src/model/span-record.js';
import { PriceBook } from '../../src/pricing/price-book.js';
import { testSpan } from '../support/span-record.js';
import { PRODUCERS, loadFixture, spanRecord } from './fixtures/producers/fixture.js';

const TRACE = 'dddddddddddddddddddddddddddddddd';
const MS = 1_764_000_000_000n * 1_000_000n;
const OPTIONS = { priceBook: PriceBook.builtIn() };

function span(spanId: string, attributes: Attributes, more: Partial<SpanRecord> = {}): SpanRecord {
  return testSpan(spanId, attributes, { traceId: TRACE, startTimeUnixNano: MS, endTimeUnixNano: MS + 800_000_000n, ...more });
}

/** The metric points of a plan named `gen_ai.usage.*` or the duration, as [name, value, context, step]. */
function points(metrics: readonly MetricWrite[], prefix = 'gen_ai.usage.'): [string, number | bigint, unknown, bigint][] {
  return metrics.filter((m) => m.name.startsWith(prefix)).map((m) => [m.name, m.value, m.context, m.step]);
}

describe('planWrites: cost of model calls', () => {
  it('a chat span with usage gets gen_ai.usage.cost and its parts with tokens, at its token metrics’ step and context, as floats', () => {
    // o3 (input 2, cached 0.50, output 8; reasoning billed as output): input 2000 of which 1024 cached, output 1500 of which 1200 reasoning.
    const chat = span('00000000000000c1', {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'o3',
      'gen_ai.response.model': 'o3-2025-04-16',
      'gen_ai.usage.input_tokens': 2_000,
      'gen_ai.usage.output_tokens': 1_500,
      'gen_ai.usage.cache_read.input_tokens': 1_024,
      'gen_ai.usage.reasoning.output_tokens': 1_200,
    });
    const plan = planWrites([chat], OPTIONS);
    const run = plan.runs[0];
    if (!run) throw new Error('no run');
    const context = { operation: 'chat', model: 'o3', provider: 'openai' };
    const step = run.metrics.find((m) => m.name === 'gen_ai.usage.input_tokens')?.step;
    expect(step).to.be.a('bigint');
    expect(points(run.metrics)).to.deep.equal([
      ['gen_ai.usage.input_tokens', 2_000n, context, step],
      ['gen_ai.usage.output_tokens', 1_500n, context, step],
      ['gen_ai.usage.total_tokens', 3_500n, context, step],
      // 976·2 + 1024·0.5 + 300·8 + 1200·8 = 1952 + 512 + 2400 + 9600 = 14 464 µ$
      ['gen_ai.usage.cost', 0.014464, context, step],
      ['gen_ai.usage.cost.input', 0.001952, context, step],
      ['gen_ai.usage.cost.cache_read', 0.000512, context, step],
      ['gen_ai.usage.cost.output', 0.0024, context, step],
      ['gen_ai.usage.cost.reasoning', 0.0096, context, step],
    ]);
    // Floats in Aim (a bigint would be an int), keyed by the span like the token points.
    for (const point of run.metrics.filter((m) => m.name.startsWith('gen_ai.usage.cost'))) {
      expect(typeof point.value).to.equal('number');
      expect([point.spanId, point.key, point.time]).to.deep.equal([chat.spanId, undefined, Number(chat.endTimeUnixNano) / 1e9]);
    }
    expect(plan.pricing).to.deep.equal({ unpriced: [], adjusted: 0 });
  });

  it('is the same plan on a replay: the cost points land at the same steps and keys (Aim overwrites, nothing is added)', () => {
    const chat = span('00000000000000c2', {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': 'claude-sonnet-4-5',
      'gen_ai.usage.input_tokens': 100,
      'gen_ai.usage.output_tokens': 10,
    });
    expect(planWrites([chat], OPTIONS)).to.deep.equal(planWrites([chat], OPTIONS));
  });

  /** Attributes of each convention that say: 1000 input of which 600 read and 100 written to the cache, 400 output of which 300 reasoning. */
  const CONVENTIONS: [string, Attributes][] = [
    [
      'GenAI semconv v1.41.1',
      {
        'gen_ai.usage.input_tokens': 1_000,
        'gen_ai.usage.output_tokens': 400,
        'gen_ai.usage.cache_read.input_tokens': 600,
        'gen_ai.usage.cache_creation.input_tokens': 100,
        'gen_ai.usage.reasoning.output_tokens': 300,
      },
    ],
    [
      'GenAI semconv, the queued cache_write name',
      {
        'gen_ai.usage.input_tokens': 1_000,
        'gen_ai.usage.output_tokens': 400,
        'gen_ai.usage.cache_read.input_tokens': 600,
        'gen_ai.usage.cache_write.input_tokens': 100,
        'gen_ai.usage.reasoning.output_tokens': 300,
      },
    ],
    [
      'OpenLLMetry',
      {
        'gen_ai.usage.prompt_tokens': 1_000,
        'gen_ai.usage.completion_tokens': 400,
        'gen_ai.usage.cache_read_input_tokens': 600,
        'gen_ai.usage.cache_creation_input_tokens': 100,
        'gen_ai.usage.reasoning_tokens': 300,
      },
    ],
    [
      'OpenLLMetry, llm.usage.reasoning_tokens',
      {
        'gen_ai.usage.input_tokens': 1_000,
        'gen_ai.usage.output_tokens': 400,
        'gen_ai.usage.cache_read_input_tokens': 600,
        'gen_ai.usage.cache_creation_input_tokens': 100,
        'llm.usage.reasoning_tokens': 300,
      },
    ],
    [
      'OpenInference',
      {
        'openinference.span.kind': 'LLM',
        'llm.token_count.prompt': 1_000,
        'llm.token_count.completion': 400,
        'llm.token_count.prompt_details.cache_read': 600,
        'llm.token_count.prompt_details.cache_write': 100,
        'llm.token_count.completion_details.reasoning': 300,
      },
    ],
    [
      'Vercel AI SDK 6',
      {
        'ai.operationId': 'ai.generateText.doGenerate',
        'ai.model.provider': 'anthropic.messages',
        'ai.usage.inputTokens': 1_000,
        'ai.usage.inputTokenDetails.noCacheTokens': 300,
        'ai.usage.inputTokenDetails.cacheReadTokens': 600,
        'ai.usage.inputTokenDetails.cacheWriteTokens': 100,
        'ai.usage.outputTokens': 400,
        'ai.usage.outputTokenDetails.textTokens': 100,
        'ai.usage.outputTokenDetails.reasoningTokens': 300,
        'ai.usage.totalTokens': 1_400,
      },
    ],
    [
      'Vercel AI SDK 5',
      {
        'ai.operationId': 'ai.generateText.doGenerate',
        'ai.model.provider': 'anthropic.messages',
        'ai.usage.inputTokens': 1_000,
        'ai.usage.cachedInputTokens': 600,
        'ai.usage.outputTokens': 400,
        'ai.usage.reasoningTokens': 300,
      },
    ],
  ];

  for (const [convention, usage] of CONVENTIONS) {
    it(`reads the cached and reasoning counts of ${convention} and prices each token once`, () => {
      const attributes: Attributes = {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'anthropic',
        'gen_ai.request.model': 'claude-sonnet-4-5',
        ...usage,
      };
      const facts = readGenAIFacts(span('00000000000000c3', attributes));
      const vercel5 = convention === 'Vercel AI SDK 5';
      expect(facts?.tokenDetails).to.deep.include({ cacheRead: 600, cacheWrite: vercel5 ? undefined : 100, reasoning: 300 });
      const cost = planWrites([span('00000000000000c3', attributes)], OPTIONS).runs[0]?.metrics.find((m) => m.name === 'gen_ai.usage.cost')?.value;
      // Sonnet 4.5: input 3, cache read 0.30, cache write 3.75, output 15 (thinking as output).
      // 300·3 + 600·0.3 + 100·3.75 + 100·15 + 300·15 = 900 + 180 + 375 + 1500 + 4500 = 7455 µ$
      // (AI SDK 5 gives no cache writes: the 100 stay in the uncached input, 400·3 = 1200: 7455 − 900 − 375 + 1200 = 7380 µ$)
      expect(cost).to.be.closeTo(vercel5 ? 0.00738 : 0.007455, 1e-12);
    });
  }

  it('one call costs the same from every real producer (the producer fixtures: 11 input and 9 output tokens of gpt-4o-mini)', () => {
    for (const name of PRODUCERS) {
      const plan = planWrites([spanRecord(loadFixture(name).calls.plain, '00000000000000a1')], OPTIONS);
      const costs = points(
        plan.runs.flatMap((run) => run.metrics),
        'gen_ai.usage.cost',
      ).map(([metric, value, context]) => [metric, value, context]);
      // gpt-4o-mini(-2024-07-18): 11·0.15 + 9·0.60 = 1.65 + 5.4 = 7.05 µ$
      const context = { operation: 'chat', model: 'gpt-4o-mini', provider: 'openai' };
      expect(costs, name).to.deep.equal([
        ['gen_ai.usage.cost', 7.05e-6, context],
        ['gen_ai.usage.cost.input', 1.65e-6, context],
        ['gen_ai.usage.cost.output', 5.4e-6, context],
      ]);
    }
  });

  it('two stacked spans of one call (a framework’s over a provider instrumentation’s) write its cost once and count it unpriced once', () => {
    const usage = { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.usage.input_tokens': 100, 'gen_ai.usage.output_tokens': 50 };
    const outer = span(
      '00000000000000d1',
      { ...usage, 'gen_ai.request.model': 'gpt-4o' },
      { origin: { resource: { 'service.name': 'svc' }, scopeName: 'aim-otel-bridge/langchain' } },
    );
    const inner = span(
      '00000000000000d2',
      { ...usage, 'gen_ai.request.model': 'gpt-4o' },
      { parentSpanId: outer.spanId, startTimeUnixNano: MS + 1_000_000n, endTimeUnixNano: MS + 700_000_000n },
    );
    const priced = planWrites([inner, outer], OPTIONS);
    // gpt-4o: 100·2.5 + 50·10 = 250 + 500 = 750 µ$, once
    expect(
      priced.runs
        .flatMap((run) => run.metrics)
        .filter((m) => m.name === 'gen_ai.usage.cost')
        .map((m) => m.value),
    ).to.deep.equal([0.00075]);
    const unpriced = planWrites(
      [
        { ...inner, attributes: { ...inner.attributes, 'gen_ai.request.model': 'acme-1' } },
        { ...outer, attributes: { ...outer.attributes, 'gen_ai.request.model': 'acme-1' } },
      ],
      OPTIONS,
    );
    expect(unpriced.pricing.unpriced).to.deep.equal([{ provider: 'openai', model: 'acme-1' }]);
  });

  it('a call whose totals left the cached part out is priced from its parts and reported adjusted', () => {
    // Anthropic's own counts passed on: input 50 (uncached), 2000 read from the cache.
    const chat = span('00000000000000c4', {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': 'claude-haiku-4-5',
      'gen_ai.usage.input_tokens': 50,
      'gen_ai.usage.cache_read.input_tokens': 2_000,
      'gen_ai.usage.output_tokens': 100,
    });
    const plan = planWrites([chat], OPTIONS);
    // Haiku 4.5: 50·1 + 2000·0.1 + 100·5 = 50 + 200 + 500 = 750 µ$
    expect(plan.runs[0]?.metrics.find((m) => m.name === 'gen_ai.usage.cost')?.value).to.be.closeTo(0.00075, 1e-12);
    expect(plan.pricing.adjusted).to.equal(1);
  });

  it('no cost for spans that are no model calls, for model calls without token counts, nor in the explicit layout', () => {
    const tool = span('00000000000000c5', { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'add' });
    const noUsage = span('00000000000000c6', { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o' });
    const withUsage = span('00000000000000c7', {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.usage.input_tokens': 5,
      'aim.run_key': 'k',
    });
    const plan = planWrites([tool, noUsage], OPTIONS);
    expect(plan.runs.flatMap((run) => run.metrics).filter((m) => m.name.startsWith('gen_ai.usage.cost'))).to.deep.equal([]);
    expect(plan.pricing).to.deep.equal({ unpriced: [], adjusted: 0 });
    const explicit = planWrites([withUsage], { ...OPTIONS, layout: 'explicit' });
    expect(explicit.runs.flatMap((run) => run.metrics)).to.deep.equal([]);
  });
});
