import { expect } from 'chai';
import type { StoredMetric } from '../../src/aim/run.js';
import { exactSum, sumUsage, usageTotalsParams } from '../../src/sink/usage-totals.js';
import { shuffled } from '../support/span-record.js';

/**
 * The exact sum of doubles, rounded to the nearest double (ties to even), computed another way
 * than `exactSum`: each double is m·2^e exactly, so their sum is an integer over 2^1074 (BigInt),
 * rounded here to 53 bits (nearest, ties to even) and scaled back exactly (for sums that are normal floats).
 */
function referenceSum(values: readonly number[]): number {
  let total = 0n;
  const view = new DataView(new ArrayBuffer(8));
  for (const value of values) {
    view.setFloat64(0, value);
    const bits = view.getBigUint64(0);
    const negative = bits >> 63n === 1n;
    const exponent = Number((bits >> 52n) & 0x7ffn);
    const fraction = bits & 0xfffffffffffffn;
    // value = mantissa · 2^(exponent − 1075), i.e. mantissa · 2^shift over 2^1074.
    const mantissa = exponent === 0 ? fraction : fraction | (1n << 52n);
    const shift = BigInt(Math.max(exponent, 1) - 1);
    total += (negative ? -mantissa : mantissa) << shift;
  }
  const negative = total < 0n;
  let magnitude = negative ? -total : total;
  // Round to 53 significant bits, half to even, by hand; then scale by a power of two (exact).
  let shift = 0;
  const bits = magnitude.toString(2).length;
  if (bits > 53) {
    shift = bits - 53;
    const kept = magnitude >> BigInt(shift);
    const rest = magnitude - (kept << BigInt(shift));
    const half = 1n << BigInt(shift - 1);
    magnitude = rest > half || (rest === half && (kept & 1n) === 1n) ? kept + 1n : kept;
  }
  const rounded = Number(magnitude) * 2 ** (shift - 1074);
  return negative ? -rounded : rounded;
}

function series(name: string, contextId: bigint, points: [bigint, number | bigint][]): StoredMetric {
  return { name, contextId, context: new Map([['model', `m${String(contextId)}`]]), dtype: typeof points[0]?.[1] === 'bigint' ? 'int' : 'float', points };
}

describe('exactSum: the correctly rounded sum of floats (math.fsum)', () => {
  it('is exact where a running sum is not', () => {
    const tenths = Array<number>(10).fill(0.1);
    expect(tenths.reduce((a, b) => a + b, 0)).to.equal(0.9999999999999999);
    expect(exactSum(tenths)).to.equal(1);
    expect(exactSum([1e100, 1, -1e100])).to.equal(1);
    // math.fsum([1e-16, 1, 1e16]) = 1.0000000000000002e16: the 1e-16 tips the tie between 1e16 and 1e16 + 2.
    expect(exactSum([1e-16, 1, 1e16])).to.equal(10000000000000002);
    expect(exactSum([])).to.equal(0);
  });

  it('10,000 costs of a few hundred µ$: the same bits in any order, equal to the exact sum rounded once', () => {
    const costs = Array.from({ length: 10_000 }, (_, i) => ((i % 97) + 1) * 1.1e-6 + ((i * 7) % 13) * 2.5e-7);
    const expected = referenceSum(costs);
    expect(exactSum(costs)).to.equal(expected);
    for (const seed of [1, 2, 3]) expect(exactSum(shuffled(costs, seed)), `order ${String(seed)}`).to.equal(expected);
    // A running sum depends on the order (which is what exactSum avoids).
    const running = new Set([costs, ...[1, 2, 3].map((seed) => shuffled(costs, seed))].map((order) => order.reduce((a, b) => a + b, 0)));
    expect(running.size).to.be.above(1);
  });

  it('a non-finite value gives the plain sum (NaN, ±Infinity)', () => {
    expect(Number.isNaN(exactSum([1, Number.NaN]))).to.equal(true);
    expect(exactSum([1, Number.POSITIVE_INFINITY])).to.equal(Number.POSITIVE_INFINITY);
    expect(Number.isNaN(exactSum([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]))).to.equal(true);
  });
});

describe('sumUsage / usageTotalsParams: a run’s totals from its stored usage series', () => {
  it('sums every context; counts priced calls (cost points) and calls with tokens (distinct point keys)', () => {
    const totals = sumUsage([
      series('gen_ai.usage.cost', 1n, [
        [11n, 0.0051304],
        [12n, 0.0015],
      ]),
      series('gen_ai.usage.cost', 2n, [[21n, 0.00025]]),
      series('gen_ai.usage.input_tokens', 1n, [
        [11n, 3_000n],
        [12n, 1_000n],
      ]),
      series('gen_ai.usage.input_tokens', 2n, [
        [21n, 100n],
        [22n, 10n], // an unpriced call: tokens, no cost
      ]),
      series('gen_ai.usage.output_tokens', 1n, [
        [11n, 800n],
        [12n, 250n],
      ]),
      series('gen_ai.usage.output_tokens', 2n, [[21n, 50n]]), // call 22 reported input tokens only
      series('gen_ai.usage.total_tokens', 1n, [
        [11n, 3_800n],
        [12n, 1_250n],
      ]),
      series('gen_ai.client.operation.duration', 1n, [[11n, 1.5]]), // not a usage series
    ]);
    // 0.0051304 + 0.0015 + 0.00025 = 0.0068804, correctly rounded.
    expect(totals).to.deep.equal({
      cost: { totalUsd: referenceSum([0.0051304, 0.0015, 0.00025]), pricedCalls: 3 },
      usage: { inputTokens: 4_110n, outputTokens: 1_100n, totalTokens: 5_050n, calls: 4 },
    });
    expect(totals.cost?.totalUsd).to.be.closeTo(0.0068804, 1e-15);
    expect(usageTotalsParams(totals)).to.deep.equal([
      {
        parent: 'cost',
        entries: [
          ['total_usd', totals.cost?.totalUsd],
          ['priced_calls', 3n],
        ],
      },
      {
        parent: 'usage',
        entries: [
          ['input_tokens', 4_110n],
          ['output_tokens', 1_100n],
          ['total_tokens', 5_050n],
          ['calls', 4n],
        ],
      },
    ]);
  });

  it('no cost point: no cost params (never a guessed 0); no token point: no usage params; nothing: no params', () => {
    const unpriced = sumUsage([series('gen_ai.usage.input_tokens', 1n, [[1n, 10n]])]);
    expect(unpriced).to.deep.equal({ usage: { inputTokens: 10n, outputTokens: 0n, totalTokens: 0n, calls: 1 } });
    expect(usageTotalsParams(unpriced).map((param) => param.parent)).to.deep.equal(['usage']);
    const costOnly = sumUsage([series('gen_ai.usage.cost', 1n, [[1n, 0.5]])]);
    expect(costOnly).to.deep.equal({ cost: { totalUsd: 0.5, pricedCalls: 1 } });
    expect(sumUsage([])).to.deep.equal({});
    expect(usageTotalsParams({})).to.deep.equal([]);
  });

  it('token counts stored as floats: whole ones still sum to an int, others to the exact float sum', () => {
    expect(
      sumUsage([
        series('gen_ai.usage.input_tokens', 1n, [
          [1n, 3],
          [2n, 4n],
        ]),
      ]).usage?.inputTokens,
    ).to.equal(7n);
    expect(
      sumUsage([
        series('gen_ai.usage.input_tokens', 1n, [
          [1n, 0.1],
          [2n, 0.2],
          [3n, 1n],
        ]),
      ]).usage?.inputTokens,
    ).to.equal(1.3);
  });
});
