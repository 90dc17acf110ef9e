/**
 * Price overrides: a JSON price file (`--prices <file>`, `AIM_OTEL_BRIDGE_PRICES=<file>`, the
 * exporter's and receiver's `prices` option) or a table given in code, checked entry by entry at
 * start-up. Its entries are matched before the built-in table's, so they replace built-in prices
 * for the models they match and add the models they name beyond it.
 *
 * The file:
 *
 * ```json
 * {
 *   "note": "our negotiated prices",
 *   "prices": [
 *     { "provider": "openai", "model": ["gpt-4o-mini", "gpt-4o-mini-????-??-??"], "input": 0.12, "output": 0.5, "cacheRead": 0.06 },
 *     { "provider": "gcp.vertex_ai", "model": "claude-sonnet-4-5@*", "input": 3, "output": 15, "cacheRead": 0.3, "cacheWrite": 3.75 },
 *     { "provider": "*", "model": "/^my-finetune-\\d+$/", "input": 1, "output": 2 }
 *   ]
 * }
 * ```
 *
 * (a bare array of entries is accepted too). Each entry: `provider` (a GenAI provider name, a
 * list of them, or `*` for any), `model` (a glob or `/regex/flags`, or a list: see `ModelPrice`),
 * `input` and `output` (required), `cacheRead`, `cacheWrite`, `reasoning` (optional; defaults:
 * input, input, output), `longContext` (optional: `aboveInputTokens` and the prices above it),
 * `note` (free text). Prices are USD per million tokens, numbers ≥ 0. Unknown keys are refused
 * (a misspelt `cached_input` would otherwise price cached tokens as input silently).
 */
import { readFileSync } from 'node:fs';
import { compileModelPatterns } from './model-pattern.js';
import { PriceBook } from './price-book.js';
import type { LongContextPrices, PriceEntry } from './price-table.js';

/** The environment variable naming a price file (used when the `prices` option is not given). */
export const PRICES_ENV = 'AIM_OTEL_BRIDGE_PRICES';

/** How a table given in code is named in errors and as the source of its prices. */
export const PRICES_OPTION_SOURCE = 'the prices option';

/**
 * A price file (or a table given in code) that cannot be used: unreadable, not JSON, or an entry
 * that is malformed. Thrown at start-up (when the exporter or receiver is made), never later.
 */
export class PricesError extends Error {
  override readonly name = 'PricesError';

  /**
   * @param source - the file path, or {@link PRICES_OPTION_SOURCE}.
   * @param problem - what is wrong.
   * @param entry - the index of the malformed entry in the `prices` list, when one is.
   */
  constructor(
    readonly source: string,
    readonly problem: string,
    readonly entry?: number,
  ) {
    super(`invalid prices in ${source}: ${problem}`);
  }
}

const ENTRY_KEYS = new Set(['provider', 'model', 'input', 'output', 'cacheRead', 'cacheWrite', 'reasoning', 'longContext', 'note']);
const PRICE_KEYS = ['input', 'output', 'cacheRead', 'cacheWrite', 'reasoning'] as const;
const LONG_CONTEXT_KEYS = new Set(['aboveInputTokens', ...PRICE_KEYS]);
const FILE_KEYS = new Set(['prices', 'note', 'source', 'date']);

/**
 * Checks a parsed price file (or a table given in code) and returns its entries. Throws a
 * {@link PricesError} naming `source` and the first malformed entry (its index, its model) and
 * what is wrong with it.
 */
export function parsePriceEntries(value: unknown, source: string): PriceEntry[] {
  let list: unknown = value;
  if (isRecord(value)) {
    for (const key of Object.keys(value)) if (!FILE_KEYS.has(key)) throw new PricesError(source, `unknown key "${key}" (expected "prices": [...])`);
    list = value['prices'];
    if (list === undefined) throw new PricesError(source, 'no "prices" list');
  }
  if (!Array.isArray(list)) throw new PricesError(source, '"prices" must be a list of entries');
  return list.map((item, index) => parseEntry(item, source, index));
}

function parseEntry(item: unknown, source: string, index: number): PriceEntry {
  const fail = (problem: string): never => {
    const model = isRecord(item) ? item['model'] : undefined;
    const named = typeof model === 'string' ? ` (model ${JSON.stringify(model)})` : Array.isArray(model) ? ` (model ${JSON.stringify(model)})` : '';
    throw new PricesError(source, `prices[${String(index)}]${named}: ${problem}`, index);
  };
  if (!isRecord(item)) return fail('an entry must be an object');
  for (const key of Object.keys(item)) if (!ENTRY_KEYS.has(key)) fail(`unknown key "${key}" (known: ${[...ENTRY_KEYS].join(', ')})`);
  const provider = names(item['provider']);
  if (provider === undefined) fail('"provider" must be a provider name (e.g. "openai"), a list of them, or "*"');
  const model = names(item['model']);
  if (model === undefined) fail('"model" must be a model pattern (a glob or /regex/) or a list of them');
  try {
    compileModelPatterns(model as string | string[]);
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
  const prices = tokenPrices(item, fail);
  const note = item['note'];
  if (note !== undefined && typeof note !== 'string') fail('"note" must be text');
  let longContext: LongContextPrices | undefined;
  const long = item['longContext'];
  if (long !== undefined) {
    if (!isRecord(long)) return fail('"longContext" must be an object');
    for (const key of Object.keys(long)) if (!LONG_CONTEXT_KEYS.has(key)) fail(`unknown key "longContext.${key}"`);
    const above = long['aboveInputTokens'];
    if (typeof above !== 'number' || !Number.isSafeInteger(above) || above < 0) fail('"longContext.aboveInputTokens" must be a whole number of tokens ≥ 0');
    longContext = { aboveInputTokens: above as number, ...tokenPrices(long, (problem) => fail(`longContext: ${problem}`)) };
  }
  return { provider: provider as string | string[], model: model as string | string[], ...prices, ...(longContext ? { longContext } : {}) };
}

/** The prices of an entry (or of its `longContext`): `input` and `output` required, the others optional. */
function tokenPrices(item: Record<string, unknown>, fail: (problem: string) => never): Pick<PriceEntry, (typeof PRICE_KEYS)[number]> {
  const prices: Partial<Record<(typeof PRICE_KEYS)[number], number>> = {};
  for (const key of PRICE_KEYS) {
    const price = item[key];
    if (price === undefined) {
      if (key === 'input' || key === 'output') fail(`"${key}" is missing (USD per million tokens)`);
      continue;
    }
    if (typeof price !== 'number' || !Number.isFinite(price) || price < 0)
      fail(`"${key}" must be a number ≥ 0 (USD per million tokens), got ${JSON.stringify(price)}`);
    prices[key] = price;
  }
  return prices as Pick<PriceEntry, (typeof PRICE_KEYS)[number]>;
}

/** A non-empty name or a non-empty list of them. */
function names(value: unknown): string | string[] | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value;
  if (Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'string' && item.trim() !== '')) return value as string[];
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Reads and checks a price file. Throws a {@link PricesError} naming the file (and the entry) when it cannot be used. */
export function readPriceFile(path: string): PriceEntry[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new PricesError(path, `cannot read the file: ${error instanceof Error ? error.message : String(error)}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (error) {
    throw new PricesError(path, `not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  return parsePriceEntries(value, path);
}

/** What the `prices` option takes: a price file's path, or the entries themselves. */
export type PricesOption = string | readonly PriceEntry[];

/**
 * The price book to use: the built-in table, with the entries of `prices` (a file path or a
 * table) matched first; without `prices`, those of the file `env.AIM_OTEL_BRIDGE_PRICES` names
 * (when set and not empty). Throws a {@link PricesError} when the file or table is malformed.
 */
export function resolvePriceBook(prices: PricesOption | undefined, env: NodeJS.ProcessEnv = process.env): PriceBook {
  const builtIn = PriceBook.builtIn();
  if (typeof prices === 'string') return builtIn.withEntries(readPriceFile(prices), prices);
  if (prices !== undefined) return builtIn.withEntries(parsePriceEntries(prices, PRICES_OPTION_SOURCE), PRICES_OPTION_SOURCE);
  const file = env[PRICES_ENV];
  if (file !== undefined && file.trim() !== '') return builtIn.withEntries(readPriceFile(file), file);
  return builtIn;
}
