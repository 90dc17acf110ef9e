/**
 * A run's usage totals, summed from the usage series Aim stores for it (read with
 * `AimRun.readMetrics`), and the params they are written as. Pure: no I/O.
 *
 * | param | value |
 * |---|---|
 * | `cost.total_usd` | float: the sum of every `gen_ai.usage.cost` point of the run (all contexts: models, operations, providers), correctly rounded ({@link exactSum}) |
 * | `cost.priced_calls` | int: those points, one per priced model call |
 * | `usage.input_tokens`, `usage.output_tokens`, `usage.total_tokens` | int: the sums of the `gen_ai.usage.*_tokens` points (all contexts) |
 * | `usage.calls` | int: the model calls with token counts (the distinct point keys of those three series: a call's points share its key) |
 *
 * `cost.*` is written only for a run with at least one cost point (a run of unpriced models gets
 * no cost, never a guessed 0), `usage.*` only for a run with at least one token point.
 *
 * Exact by construction: every call's points are stored under a key derived from its span, so a
 * replay rewrites the same points and several writers add disjoint ones; the sum of what is
 * stored counts each call once, whoever wrote it and however often. The float sum is the
 * correctly rounded sum of the stored values, whatever order the reads return them in, so the
 * same stored points always give the same `cost.total_usd`, to the last bit.
 */
import type { AimValue } from '../aim/codec/values.js';
import type { StoredMetric } from '../aim/run.js';

/** A model call's cost in USD (the mapping's `gen_ai.usage.cost`). */
export const COST_SERIES = 'gen_ai.usage.cost';
/** The token series the totals sum (the mapping's token metrics). */
export const INPUT_TOKENS_SERIES = 'gen_ai.usage.input_tokens';
export const OUTPUT_TOKENS_SERIES = 'gen_ai.usage.output_tokens';
export const TOTAL_TOKENS_SERIES = 'gen_ai.usage.total_tokens';

/** The series a run's totals are summed from: a plan with points on one of them changes the totals. */
export const USAGE_TOTAL_SERIES: readonly string[] = [COST_SERIES, INPUT_TOKENS_SERIES, OUTPUT_TOKENS_SERIES, TOTAL_TOKENS_SERIES];

/** The param parents the totals are written under. */
export const COST_PARAM = 'cost';
export const USAGE_PARAM = 'usage';

/** A token sum: an int, unless a stored count was not a whole number (then the exact float sum). */
export type TokenSum = bigint | number;

/** A run's totals (see the module documentation); a part is absent when the run has no point for it. */
export interface UsageTotals {
  cost?: { totalUsd: number; pricedCalls: number };
  usage?: { inputTokens: TokenSum; outputTokens: TokenSum; totalTokens: TokenSum; calls: number };
}

/** Sums a run's usage series (other series are ignored). */
export function sumUsage(series: readonly StoredMetric[]): UsageTotals {
  const costs: number[] = [];
  const tokens = new Map<string, (number | bigint)[]>([
    [INPUT_TOKENS_SERIES, []],
    [OUTPUT_TOKENS_SERIES, []],
    [TOTAL_TOKENS_SERIES, []],
  ]);
  const calls = new Set<bigint>();
  for (const metric of series) {
    if (metric.name === COST_SERIES) {
      for (const [, value] of metric.points) costs.push(Number(value));
      continue;
    }
    const values = tokens.get(metric.name);
    if (!values) continue;
    for (const [key, value] of metric.points) {
      values.push(value);
      calls.add(key);
    }
  }
  const totals: UsageTotals = {};
  if (costs.length > 0) totals.cost = { totalUsd: exactSum(costs), pricedCalls: costs.length };
  if (calls.size > 0) {
    const sum = (name: string): TokenSum => tokenSum(tokens.get(name) ?? []);
    totals.usage = { inputTokens: sum(INPUT_TOKENS_SERIES), outputTokens: sum(OUTPUT_TOKENS_SERIES), totalTokens: sum(TOTAL_TOKENS_SERIES), calls: calls.size };
  }
  return totals;
}

/** The params that hold `totals`: per parent (`cost`, `usage`), its entries, for one `setEntries` each. */
export function usageTotalsParams(totals: UsageTotals): { parent: string; entries: [string, AimValue][] }[] {
  const params: { parent: string; entries: [string, AimValue][] }[] = [];
  if (totals.cost) {
    params.push({
      parent: COST_PARAM,
      entries: [
        ['total_usd', totals.cost.totalUsd],
        ['priced_calls', BigInt(totals.cost.pricedCalls)],
      ],
    });
  }
  if (totals.usage) {
    const { inputTokens, outputTokens, totalTokens, calls } = totals.usage;
    params.push({
      parent: USAGE_PARAM,
      entries: [
        ['input_tokens', inputTokens],
        ['output_tokens', outputTokens],
        ['total_tokens', totalTokens],
        ['calls', BigInt(calls)],
      ],
    });
  }
  return params;
}

/** Token counts summed: as an int when every count is whole (they are: the mapping writes ints), else the exact float sum. */
function tokenSum(values: readonly (number | bigint)[]): TokenSum {
  let sum = 0n;
  for (const value of values) {
    if (typeof value === 'bigint') sum += value;
    else if (Number.isSafeInteger(value)) sum += BigInt(value);
    else return exactSum(values.map(Number));
  }
  return sum;
}

/**
 * The sum of `values` correctly rounded to the nearest float (ties to even), as Python's
 * `math.fsum` computes it: the same result in any order, without the rounding error a running
 * sum gathers (at 10,000 costs of a few hundred µ$ that error shows in the last digits, and it
 * depends on the order the points are read in). Shewchuk's algorithm: the running sum is kept as
 * non-overlapping partials, exact; only the final step rounds. A non-finite value gives the
 * plain sum's result (NaN or ±Infinity). O(n) for sums of similar magnitudes.
 */
export function exactSum(values: Iterable<number>): number {
  const partials: number[] = [];
  let special = 0;
  for (const value of values) {
    if (!Number.isFinite(value)) {
      special += value;
      continue;
    }
    let x = value;
    let kept = 0;
    for (const partial of partials) {
      let y = partial;
      if (Math.abs(x) < Math.abs(y)) [x, y] = [y, x];
      const hi = x + y;
      const lo = y - (hi - x);
      if (lo !== 0) partials[kept++] = lo;
      x = hi;
    }
    partials.length = kept;
    partials.push(x);
  }
  if (special !== 0 || Number.isNaN(special)) return special;
  // Add the partials from the largest down, stopping at the first inexact step; then round half
  // to even by looking at the next partial's sign (math.fsum's final step).
  let n = partials.length;
  if (n === 0) return 0;
  let hi = partials[--n] as number;
  let lo = 0;
  while (n > 0) {
    const x = hi;
    const y = partials[--n] as number;
    hi = x + y;
    lo = y - (hi - x);
    if (lo !== 0) break;
  }
  const next = n > 0 ? (partials[n - 1] as number) : 0;
  if ((lo < 0 && next < 0) || (lo > 0 && next > 0)) {
    const y = lo * 2;
    const x = hi + y;
    if (y === x - hi) hi = x;
  }
  return hi;
}
