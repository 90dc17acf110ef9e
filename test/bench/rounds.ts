/**
 * Rounds, medians and spreads for benchmarks that compare contenders in alternating rounds, and the
 * small argument parsing they share.
 */

/** The median (the mean of the two middle values for an even count), min and max of some figures. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { median: NaN, min: NaN, max: NaN };
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? (sorted[middle] ?? NaN) : ((sorted[middle - 1] ?? NaN) + (sorted[middle] ?? NaN)) / 2;
  return { median: roundTo(median), min: roundTo(sorted[0] ?? NaN), max: roundTo(sorted[sorted.length - 1] ?? NaN) };
}

/** `value` to `digits` significant decimals (default 3 after the point for small numbers, whole numbers above 1000). */
export function roundTo(value: number, digits = 3): number {
  if (!Number.isFinite(value)) return value;
  if (Math.abs(value) >= 1000) return Math.round(value);
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/**
 * The order the contenders run in round `round` (1-based): as given in odd rounds, reversed in
 * even rounds, so neither always runs first (warm caches, a fuller repository, a busier machine).
 */
export function alternatingOrder<T>(round: number, contenders: readonly T[]): T[] {
  return round % 2 === 1 ? [...contenders] : [...contenders].reverse();
}

/** Per-round ratios `a[i] / b[i]`, for the median of ratios next to the ratio of medians. */
export function perRoundRatios(a: readonly number[], b: readonly number[]): number[] {
  return a.map((value, i) => value / (b[i] ?? NaN));
}

/** Splits `args` into positionals and `--name value` options (every option takes a value). */
export function parseArgs(args: readonly string[]): { positional: string[]; options: Map<string, string> } {
  const positional: string[] = [];
  const options = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg.startsWith('--')) {
      const value = args[i + 1];
      if (value === undefined) throw new Error(`${arg} needs a value`);
      options.set(arg.slice(2), value);
      i++;
    } else {
      positional.push(arg);
    }
  }
  return { positional, options };
}

/** A positive integer argument, `fallback` when absent; throws on anything else. */
export function positiveInteger(text: string | undefined, fallback: number, what: string): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${what} must be a positive integer, not ${JSON.stringify(text)}`);
  return value;
}

/** Seconds elapsed since `startedMs` (a `performance.now()`). */
export function secondsSince(startedMs: number): number {
  return (performance.now() - startedMs) / 1000;
}
