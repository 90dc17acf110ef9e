/**
 * Demo prices: the scripted models of `aim-otel-bridge up --demo` (`fake-calculator`,
 * `fake-summarizer`) are no provider's models, so no price table has them and their calls would
 * get no `gen_ai.usage.cost`. `up --demo` gives its receiver these entries — the scripted models
 * priced as OpenAI's gpt-4o-mini of the built-in table, and said so wherever the cost is printed —
 * after the user's own prices (`--prices`, `AIM_OTEL_BRIDGE_PRICES`), which win. The scripted
 * models keep their names: the run shows which calls were scripted.
 */
import { PriceBook } from '../pricing/price-book.js';
import { PRICES_ENV, readPriceFile } from '../pricing/price-file.js';
import type { PriceEntry } from '../pricing/price-table.js';

/** The provider the scripted models report (`ls_provider` of the demo's `ScriptedChatModel`). */
export const DEMO_PROVIDER = 'openai';

/** The scripted models of the demo. */
export const DEMO_MODELS = ['fake-calculator', 'fake-summarizer'] as const;

/** The model whose built-in prices the scripted models get. */
export const DEMO_PRICED_AS = 'gpt-4o-mini';

/** How the demo prices are named where they are the source of a price. */
export const DEMO_PRICES_SOURCE = 'demo prices';

function pricedAs(model: string): PriceEntry {
  const prices = PriceBook.builtIn().priceOf(DEMO_PROVIDER, model);
  if (prices === undefined) throw new Error(`the built-in price table has no ${model} of ${DEMO_PROVIDER}, which the demo prices copy`);
  const { input, output, cacheRead, cacheWrite, reasoning } = prices;
  return {
    provider: DEMO_PROVIDER,
    model: [...DEMO_MODELS],
    input,
    output,
    ...(cacheRead !== undefined ? { cacheRead } : {}),
    ...(cacheWrite !== undefined ? { cacheWrite } : {}),
    ...(reasoning !== undefined ? { reasoning } : {}),
  };
}

/** The demo's price entries: {@link DEMO_MODELS} of {@link DEMO_PROVIDER} at the built-in prices of {@link DEMO_PRICED_AS}. */
export const DEMO_PRICES: readonly PriceEntry[] = [pricedAs(DEMO_PRICED_AS)];

/** The prices `up --demo` gives its receiver, and where each model's price comes from. */
export interface DemoPricing {
  /** The user's entries (from their price file, if any) first, then {@link DEMO_PRICES}: the user's win. */
  readonly entries: readonly PriceEntry[];
  /** Where the price of `model` of `provider` comes from: {@link DEMO_PRICES_SOURCE}, the user's price file, `built-in prices`, or undefined when none has it. */
  sourceOf(provider: string, model: string): string | undefined;
}

/**
 * The demo's prices merged with the user's: the price file `userPrices` names (else the one
 * `env.AIM_OTEL_BRIDGE_PRICES` names, as the receiver would read it), matched first. Throws the
 * `PricesError` of a price file that cannot be used.
 */
export function demoPricing(userPrices: string | undefined, env: NodeJS.ProcessEnv = process.env): DemoPricing {
  const file = userPrices ?? (env[PRICES_ENV]?.trim() ? env[PRICES_ENV] : undefined);
  const userEntries = file !== undefined ? readPriceFile(file) : [];
  const book = PriceBook.builtIn()
    .withEntries(DEMO_PRICES, DEMO_PRICES_SOURCE)
    .withEntries(userEntries, file ?? '');
  return {
    entries: [...userEntries, ...DEMO_PRICES],
    sourceOf(provider, model) {
      const found = book.priceOf(provider, model);
      if (found === undefined) return undefined;
      if (found.source === DEMO_PRICES_SOURCE) return DEMO_PRICES_SOURCE;
      if (found.date !== undefined) return 'built-in prices'; // only the built-in table's prices are dated
      return `prices of ${found.source}`;
    },
  };
}
