/**
 * The cost of one model call, priced once.
 *
 * A call's tokens fall into five disjoint parts: uncached input, cache reads, cache writes, text
 * output and reasoning. The GenAI conventions count cache reads and writes inside
 * `input_tokens` and reasoning inside `output_tokens`, so by default
 *
 *     uncached input = input − cache read − cache write
 *     text output    = output − reasoning
 *     cost = uncached input · input price + cache read · cache read price + cache write · cache write price
 *          + text output · output price + reasoning · reasoning price        (prices per token = per million / 10⁶)
 *
 * Each token is priced once: adding the cached or reasoning tokens on top of the totals (what
 * langfuse#11244 and langfuse#16508 report) would price them twice.
 *
 * Some producers pass on totals that leave their parts out (Anthropic's native `input_tokens`
 * counts only uncached input; Gemini's candidate count leaves thinking out). A total is read as
 * the uncached / text part itself when the numbers say so (see {@link splitUsage}); such calls
 * are flagged `adjusted` (and counted by the sink), and no part is ever negative.
 */
import type { ModelPricing } from './price-book.js';
import type { TokenPrices } from './price-table.js';

/** A call's token counts as its producer reported them (undefined: not reported). */
export interface CallUsage {
  /** Input tokens, by convention including cache reads and writes. */
  readonly input?: number | undefined;
  /** Output tokens, by convention including reasoning. */
  readonly output?: number | undefined;
  readonly cacheRead?: number | undefined;
  readonly cacheWrite?: number | undefined;
  readonly reasoning?: number | undefined;
  /** The producer's own count of uncached input (Vercel AI SDK 6: `ai.usage.inputTokenDetails.noCacheTokens`): used as given. */
  readonly uncachedInput?: number | undefined;
  /** The producer's own count of text (non-reasoning) output (Vercel AI SDK 6: `ai.usage.outputTokenDetails.textTokens`): used as given. */
  readonly textOutput?: number | undefined;
  /** The producer's total tokens, when it reported one (what tells totals that leave parts out). */
  readonly total?: number | undefined;
}

/** Token counts (or their costs) of the five disjoint parts of a call. */
export interface CallParts {
  /** Uncached input. */
  readonly input: number;
  readonly cacheRead: number;
  readonly cacheWrite: number;
  /** Text (non-reasoning) output. */
  readonly output: number;
  readonly reasoning: number;
}

/** A call's usage split into disjoint parts. */
export interface UsageSplit {
  readonly tokens: CallParts;
  /** A total was read as leaving its parts out (or a part was clamped at 0): not what the conventions say. */
  readonly adjusted: boolean;
}

/**
 * Splits a call's usage into disjoint parts. Totals include their parts (the conventions), unless:
 * 1. the producer gives the uncached input / text output itself (used as given);
 * 2. its total tokens equal input + output + the parts on one side (and not input + output): that
 *    side's total leaves its parts out (Gemini's `totalTokenCount` = prompt + candidates + thoughts);
 * 3. a side's parts exceed its total (cache read + cache write > input, reasoning > output): the
 *    total cannot include them, so it leaves them out (Anthropic's native `input_tokens`).
 * A part is never negative (clamped at 0). `adjusted`: the parts are not input − cache read − cache
 * write and output − reasoning (cases 2 and 3, or given counts that differ from them).
 */
export function splitUsage(usage: CallUsage): UsageSplit {
  const input = count(usage.input);
  const output = count(usage.output);
  const cacheRead = count(usage.cacheRead);
  const cacheWrite = count(usage.cacheWrite);
  const reasoning = count(usage.reasoning);
  const cached = cacheRead + cacheWrite;
  let inputLeavesOut = cached > input;
  let outputLeavesOut = reasoning > output;
  const total = usage.total;
  if (total !== undefined && Number.isFinite(total) && total !== input + output) {
    const candidates: [boolean, boolean][] = [];
    if (reasoning > 0 && total === input + output + reasoning) candidates.push([false, true]);
    if (cached > 0 && total === input + cached + output) candidates.push([true, false]);
    if (cached > 0 && reasoning > 0 && total === input + cached + output + reasoning) candidates.push([true, true]);
    const [only] = candidates;
    if (candidates.length === 1 && only) {
      inputLeavesOut ||= only[0];
      outputLeavesOut ||= only[1];
    }
  }
  const uncachedInput = usage.uncachedInput !== undefined ? count(usage.uncachedInput) : inputLeavesOut ? input : input - cached;
  const textOutput = usage.textOutput !== undefined ? count(usage.textOutput) : outputLeavesOut ? output : output - reasoning;
  return {
    tokens: { input: Math.max(0, uncachedInput), cacheRead, cacheWrite, output: Math.max(0, textOutput), reasoning },
    adjusted: uncachedInput !== input - cached || textOutput !== output - reasoning,
  };
}

/** A count as a finite number ≥ 0 (undefined, negative or not finite: 0). */
function count(value: number | undefined): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : 0;
}

/** What a call cost, in USD. */
export interface CallCost {
  /** The sum of the parts. */
  readonly total: number;
  /** What each part cost. */
  readonly parts: CallParts;
  /** The tokens of each part. */
  readonly tokens: CallParts;
  /** See {@link UsageSplit.adjusted}. */
  readonly adjusted: boolean;
  /** The long-context prices applied (the call's input was above their threshold). */
  readonly longContext: boolean;
}

/**
 * Prices a call's usage: {@link splitUsage}, then each part at its price (per million tokens /
 * 10⁶), a price the model lacks falling back as `TokenPrices` says (cache read and write: input;
 * reasoning: output); parts and total rounded to 12 significant digits (float noise only). Long-context prices apply when the call's input (uncached + cache read +
 * cache write) exceeds their threshold; a price the tier lacks falls back within the tier.
 */
export function priceUsage(usage: CallUsage, pricing: Pick<ModelPricing, keyof TokenPrices | 'longContext'>): CallCost {
  const { tokens, adjusted } = splitUsage(usage);
  const allInput = tokens.input + tokens.cacheRead + tokens.cacheWrite;
  const long = pricing.longContext !== undefined && allInput > pricing.longContext.aboveInputTokens;
  const prices: TokenPrices = long ? (pricing.longContext ?? pricing) : pricing;
  const parts: CallParts = {
    input: usd(tokens.input, prices.input),
    cacheRead: usd(tokens.cacheRead, prices.cacheRead ?? prices.input),
    cacheWrite: usd(tokens.cacheWrite, prices.cacheWrite ?? prices.input),
    output: usd(tokens.output, prices.output),
    reasoning: usd(tokens.reasoning, prices.reasoning ?? prices.output),
  };
  const total = rounded(parts.input + parts.cacheRead + parts.cacheWrite + parts.output + parts.reasoning);
  return { total, parts, tokens, adjusted, longContext: long };
}

/** `tokens` at `perMillion` USD per million tokens, in USD. */
function usd(tokens: number, perMillion: number): number {
  return rounded((tokens * perMillion) / 1e6);
}

/**
 * A cost rounded to 12 significant digits: drops binary floating-point noise (11 tokens at
 * $0.15/M is 1.65e-6, not 1.6499999999999999e-6) and nothing a price table could mean.
 */
function rounded(value: number): number {
  return value === 0 ? 0 : Number(value.toPrecision(12));
}
