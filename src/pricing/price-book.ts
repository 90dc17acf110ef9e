/**
 * A compiled price table: finds the price of a provider's model. Built from the built-in table
 * ({@link BUILTIN_PRICES}) and, matched before it, the entries of a user's price file.
 */
import { BUILTIN_PRICES } from './builtin-prices.js';
import { type ModelMatcher, compileModelPatterns, modelNamesOf } from './model-pattern.js';
import type { LongContextPrices, PriceEntry, PriceTable, TokenPrices } from './price-table.js';

/** A provider name as price entries and calls compare it: trimmed, lower-case. */
export function providerKey(provider: string): string {
  return provider.trim().toLowerCase();
}

/** A model's prices and where they come from. */
export interface ModelPricing extends TokenPrices {
  readonly longContext?: LongContextPrices;
  /** The entry's model pattern(s), as written. */
  readonly pattern: string | readonly string[];
  /** Where the prices come from: the built-in block's source URL, or the price file (`prices option` for a table given in code). */
  readonly source: string;
  /** The day the built-in prices were read; unset for user entries. */
  readonly date?: string;
}

interface CompiledEntry {
  /** Provider keys, or `*` for any provider. */
  readonly providers: ReadonlySet<string>;
  readonly matches: ModelMatcher;
  readonly pricing: ModelPricing;
}

/** Lookups remembered per book (the book is immutable: a remembered answer stays true). */
const MAX_REMEMBERED = 2_000;

/**
 * Finds prices: {@link priceOf} a provider's model. Entries are tried in order and the first that
 * matches both the provider and the model wins: a user's entries ({@link withEntries}) before the
 * built-in ones, so a user entry replaces a built-in one for every model it matches and extends
 * the table with the others. Immutable; lookups are remembered (bounded).
 */
export class PriceBook {
  private readonly remembered = new Map<string, ModelPricing | null>();

  private constructor(private readonly entries: readonly CompiledEntry[]) {}

  /** A book of a price table (provider blocks). Throws an `Error` when a pattern does not compile. */
  static fromTable(table: PriceTable): PriceBook {
    const entries: CompiledEntry[] = [];
    for (const block of table) {
      const providers = new Set(block.providers.map(providerKey));
      for (const model of block.models) {
        const { match, longContext, input, output, cacheRead, cacheWrite, reasoning } = model;
        entries.push({
          providers,
          matches: compileModelPatterns(match),
          pricing: { input, output, ...defined({ cacheRead, cacheWrite, reasoning, longContext }), pattern: match, source: block.source, date: block.date },
        });
      }
    }
    return new PriceBook(entries);
  }

  /** The built-in table's book (compiled once). */
  static builtIn(): PriceBook {
    builtInBook ??= PriceBook.fromTable(BUILTIN_PRICES);
    return builtInBook;
  }

  /**
   * This book with `entries` matched first. `source` says where they come from (a file path).
   * The entries must be valid (see `parsePriceEntries`); a pattern that does not compile throws.
   */
  withEntries(entries: readonly PriceEntry[], source: string): PriceBook {
    const compiled = entries.map((entry): CompiledEntry => {
      const { provider, model, longContext, input, output, cacheRead, cacheWrite, reasoning } = entry;
      return {
        providers: new Set((typeof provider === 'string' ? [provider] : provider).map(providerKey)),
        matches: compileModelPatterns(model),
        pricing: { input, output, ...defined({ cacheRead, cacheWrite, reasoning, longContext }), pattern: model, source },
      };
    });
    return new PriceBook([...compiled, ...this.entries]);
  }

  /**
   * The prices of `model` of `provider` (a GenAI provider name; undefined when the call named
   * none: then only entries for any provider, `*`, can match), or undefined when no entry has it.
   */
  priceOf(provider: string | undefined, model: string): ModelPricing | undefined {
    const key = `${provider === undefined ? '' : providerKey(provider)}\u0000${model}`;
    const known = this.remembered.get(key);
    if (known !== undefined) return known ?? undefined;
    const found = this.find(provider === undefined ? undefined : providerKey(provider), model);
    if (this.remembered.size >= MAX_REMEMBERED) this.remembered.clear();
    this.remembered.set(key, found ?? null);
    return found;
  }

  private find(provider: string | undefined, model: string): ModelPricing | undefined {
    const names = modelNamesOf(model.trim());
    for (const entry of this.entries) {
      if (!entry.providers.has('*') && (provider === undefined || !entry.providers.has(provider))) continue;
      if (names.some((name) => entry.matches(name))) return entry.pricing;
    }
    return undefined;
  }
}

let builtInBook: PriceBook | undefined;

/** `fields` without its undefined values (for `exactOptionalPropertyTypes`). */
function defined<T extends object>(fields: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) result[key] = value;
  return result as { [K in keyof T]?: Exclude<T[K], undefined> };
}
