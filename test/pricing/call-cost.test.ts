/**
 * A call's cost, priced once: its tokens split into five disjoint parts (uncached input, cache
 * read, cache write, text output, reasoning), each at its price. Figures computed by hand from the
 * prices below (µ$ = millionths of a dollar: tokens × USD per million tokens), written next to
 * each case.
 */
import { expect } from 'chai';
import { type CallUsage, priceUsage, splitUsage } from '../../src/pricing/call-cost.js';
import type { ModelPricing } from '../../src/pricing/price-book.js';

/** A model with every price distinct, so each part shows which price it got. */
const PRICES: Pick<ModelPricing, 'input' | 'output' | 'cacheRead' | 'cacheWrite' | 'reasoning'> = {
  input: 2,
  cacheRead: 0.5,
  cacheWrite: 2.5,
  output: 8,
  reasoning: 12,
};

interface Case {
  name: string;
  usage: CallUsage;
  tokens: { input: number; cacheRead: number; cacheWrite: number; output: number; reasoning: number };
  /** The total in USD, computed by hand (see the comment of each case). */
  usd: number;
  adjusted: boolean;
}

const CASES: Case[] = [
  {
    // 1000·2 + 500·8 = 2000 + 4000 = 6000 µ$
    name: 'input and output only',
    usage: { input: 1000, output: 500 },
    tokens: { input: 1000, cacheRead: 0, cacheWrite: 0, output: 500, reasoning: 0 },
    usd: 0.006,
    adjusted: false,
  },
  {
    // input 10 000 includes 6 000 read and 1 000 written: uncached 3 000.
    // 3000·2 + 6000·0.5 + 1000·2.5 + 200·8 = 6000 + 3000 + 2500 + 1600 = 13 100 µ$
    name: 'cache reads and writes inside the input (GenAI conventions)',
    usage: { input: 10_000, cacheRead: 6_000, cacheWrite: 1_000, output: 200 },
    tokens: { input: 3_000, cacheRead: 6_000, cacheWrite: 1_000, output: 200, reasoning: 0 },
    usd: 0.0131,
    adjusted: false,
  },
  {
    // output 1 000 includes 700 reasoning: text 300.
    // 100·2 + 300·8 + 700·12 = 200 + 2400 + 8400 = 11 000 µ$
    name: 'reasoning inside the output',
    usage: { input: 100, output: 1_000, reasoning: 700 },
    tokens: { input: 100, cacheRead: 0, cacheWrite: 0, output: 300, reasoning: 700 },
    usd: 0.011,
    adjusted: false,
  },
  {
    // Anthropic's native counts: input_tokens 50 is the uncached part; 2000 + 300 > 50 cannot be inside it.
    // 50·2 + 2000·0.5 + 300·2.5 + 100·8 = 100 + 1000 + 750 + 800 = 2650 µ$ (clamping the uncached part at 0 would give 2550)
    name: 'cache parts larger than the input: the input left them out',
    usage: { input: 50, cacheRead: 2_000, cacheWrite: 300, output: 100 },
    tokens: { input: 50, cacheRead: 2_000, cacheWrite: 300, output: 100, reasoning: 0 },
    usd: 0.00265,
    adjusted: true,
  },
  {
    // reasoning 60 > output 40: the output is the text part.
    // 100·2 + 40·8 + 60·12 = 200 + 320 + 720 = 1240 µ$
    name: 'reasoning larger than the output: the output left it out',
    usage: { input: 100, output: 40, reasoning: 60 },
    tokens: { input: 100, cacheRead: 0, cacheWrite: 0, output: 40, reasoning: 60 },
    usd: 0.00124,
    adjusted: true,
  },
  {
    // Gemini's totalTokenCount = prompt + candidates + thoughts: 100 + 80 + 60 = 240 ≠ 100 + 80, so the output 80 is text only.
    // 100·2 + 80·8 + 60·12 = 200 + 640 + 720 = 1560 µ$ (read as inside the output: 200 + 20·8 + 720 = 1080)
    name: 'a total of input + output + reasoning: the output left the reasoning out',
    usage: { input: 100, output: 80, reasoning: 60, total: 240 },
    tokens: { input: 100, cacheRead: 0, cacheWrite: 0, output: 80, reasoning: 60 },
    usd: 0.00156,
    adjusted: true,
  },
  {
    // total 1410 = 1000 + 400 + 10: the input 1000 is the uncached part.
    // 1000·2 + 400·0.5 + 10·8 = 2000 + 200 + 80 = 2280 µ$ (read as inside: 600·2 + 200 + 80 = 1480)
    name: 'a total of input + cache parts + output: the input left them out',
    usage: { input: 1_000, cacheRead: 400, output: 10, total: 1_410 },
    tokens: { input: 1_000, cacheRead: 400, cacheWrite: 0, output: 10, reasoning: 0 },
    usd: 0.00228,
    adjusted: true,
  },
  {
    // total 1600 = 1000 + 500 + 100 fits both readings (cache read 100 = reasoning 100): the conventions' reading stays.
    // 900·2 + 100·0.5 + 400·8 + 100·12 = 1800 + 50 + 3200 + 1200 = 6250 µ$
    name: 'a total that fits both sides leaving their parts out: ambiguous, the conventions decide',
    usage: { input: 1_000, cacheRead: 100, output: 500, reasoning: 100, total: 1_600 },
    tokens: { input: 900, cacheRead: 100, cacheWrite: 0, output: 400, reasoning: 100 },
    usd: 0.00625,
    adjusted: false,
  },
  {
    // total = input + output: the parts are inside. 900·2 + 100·0.5 + 400·8 + 100·12 = 6250 µ$
    name: 'a total of input + output: the parts are inside',
    usage: { input: 1_000, cacheRead: 100, output: 500, reasoning: 100, total: 1_500 },
    tokens: { input: 900, cacheRead: 100, cacheWrite: 0, output: 400, reasoning: 100 },
    usd: 0.00625,
    adjusted: false,
  },
  {
    // Vercel AI SDK 6 gives the uncached input and the text output itself: 500 and 300.
    // 500·2 + 500·0.5 + 300·8 + 200·12 = 1000 + 250 + 2400 + 2400 = 6050 µ$
    name: "the producer's own uncached-input and text-output counts, consistent with the totals",
    usage: { input: 1_000, uncachedInput: 500, cacheRead: 500, output: 500, textOutput: 300, reasoning: 200 },
    tokens: { input: 500, cacheRead: 500, cacheWrite: 0, output: 300, reasoning: 200 },
    usd: 0.00605,
    adjusted: false,
  },
  {
    // noCacheTokens = inputTokens while 500 were read from the cache: the total left them out.
    // 1000·2 + 500·0.5 + 10·8 = 2000 + 250 + 80 = 2330 µ$
    name: "the producer's own uncached-input count equal to the input: the input left the cache out",
    usage: { input: 1_000, uncachedInput: 1_000, cacheRead: 500, output: 10 },
    tokens: { input: 1_000, cacheRead: 500, cacheWrite: 0, output: 10, reasoning: 0 },
    usd: 0.00233,
    adjusted: true,
  },
  {
    // Negative or not-finite counts count as 0: nothing is negative.
    name: 'counts that are not counts',
    usage: { input: -5, output: Number.NaN, cacheRead: Number.POSITIVE_INFINITY },
    tokens: { input: 0, cacheRead: 0, cacheWrite: 0, output: 0, reasoning: 0 },
    usd: 0,
    adjusted: false,
  },
];

describe('pricing: a call priced once', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const split = splitUsage(c.usage);
      expect(split.tokens).to.deep.equal(c.tokens);
      expect(split.adjusted).to.equal(c.adjusted);
      const cost = priceUsage(c.usage, PRICES);
      expect(cost.total).to.be.closeTo(c.usd, 1e-12);
      expect(cost.adjusted).to.equal(c.adjusted);
      // The parts are each part's tokens at its price and sum to the total.
      expect(cost.parts.input).to.be.closeTo((c.tokens.input * 2) / 1e6, 1e-15);
      expect(cost.parts.cacheRead).to.be.closeTo((c.tokens.cacheRead * 0.5) / 1e6, 1e-15);
      expect(cost.parts.cacheWrite).to.be.closeTo((c.tokens.cacheWrite * 2.5) / 1e6, 1e-15);
      expect(cost.parts.output).to.be.closeTo((c.tokens.output * 8) / 1e6, 1e-15);
      expect(cost.parts.reasoning).to.be.closeTo((c.tokens.reasoning * 12) / 1e6, 1e-15);
      expect(cost.parts.input + cost.parts.cacheRead + cost.parts.cacheWrite + cost.parts.output + cost.parts.reasoning).to.be.closeTo(cost.total, 1e-15);
      for (const part of Object.values(split.tokens)) expect(part).to.be.at.least(0);
    });
  }

  it('counting cached and reasoning tokens on top of the totals (what langfuse#11244 and #16508 report) would price them twice', () => {
    const usage: CallUsage = { input: 10_000, cacheRead: 6_000, cacheWrite: 1_000, output: 1_000, reasoning: 700 };
    // Priced once: 3000·2 + 6000·0.5 + 1000·2.5 + 300·8 + 700·12 = 6000 + 3000 + 2500 + 2400 + 8400 = 22 300 µ$
    expect(priceUsage(usage, PRICES).total).to.be.closeTo(0.0223, 1e-12);
    // Double counted: 10000·2 + 6000·0.5 + 1000·2.5 + 1000·8 + 700·12 = 20000 + 3000 + 2500 + 8000 + 8400 = 41 900 µ$
    const doubleCounted = (10_000 * 2 + 6_000 * 0.5 + 1_000 * 2.5 + 1_000 * 8 + 700 * 12) / 1e6;
    expect(doubleCounted).to.be.closeTo(0.0419, 1e-12);
    expect(priceUsage(usage, PRICES).total).to.be.below(doubleCounted);
  });

  it('a model without cache or reasoning prices bills those tokens as input and output: the same as without the details', () => {
    const plain = { input: 1, output: 4 };
    // 700·1 + 200·1 + 100·1 + 200·4 + 100·4 = 700 + 200 + 100 + 800 + 400 = 2200 µ$ = 1000·1 + 300·4
    expect(priceUsage({ input: 1_000, cacheRead: 200, cacheWrite: 100, output: 300, reasoning: 100 }, plain).total).to.be.closeTo(0.0022, 1e-12);
    expect(priceUsage({ input: 1_000, output: 300 }, plain).total).to.be.closeTo(0.0022, 1e-12);
  });

  it('long-context prices apply to the whole call when its input (cached or not) is above their threshold', () => {
    const gemini = { input: 1.25, cacheRead: 0.125, output: 10, longContext: { aboveInputTokens: 200_000, input: 2.5, cacheRead: 0.25, output: 15 } };
    // At the threshold: 200000·1.25 + 1000·10 = 250000 + 10000 = 260 000 µ$
    const at = priceUsage({ input: 200_000, output: 1_000 }, gemini);
    expect([at.total, at.longContext]).to.deep.equal([0.26, false]);
    // Above (100 000 of 200 001 read from the cache): 100001·2.5 + 100000·0.25 + 1000·15 = 250002.5 + 25000 + 15000 = 290 002.5 µ$
    const above = priceUsage({ input: 200_001, cacheRead: 100_000, output: 1_000 }, gemini);
    expect(above.total).to.be.closeTo(0.2900025, 1e-12);
    expect(above.longContext).to.equal(true);
  });

  it('costs carry no binary floating-point noise: 11 tokens at $0.15/M and 9 at $0.60/M are 7.05e-6', () => {
    // 11·0.15 + 9·0.6 = 1.65 + 5.4 = 7.05 µ$
    const cost = priceUsage({ input: 11, output: 9 }, { input: 0.15, output: 0.6 });
    expect([cost.parts.input, cost.parts.output, cost.total]).to.deep.equal([1.65e-6, 5.4e-6, 7.05e-6]);
  });
});
