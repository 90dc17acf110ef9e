/**
 * The shapes of a price table: what one model's tokens cost, per provider, with where the prices
 * were read and when. The built-in table (builtin-prices.ts) and a user's price file
 * (price-file.ts) both end up as {@link PriceEntry} lists that a `PriceBook` matches calls against.
 *
 * Every price is in **USD per million tokens** (what the providers publish).
 */

/** What the five kinds of tokens of a call cost, in USD per million tokens. */
export interface TokenPrices {
  /** Input tokens that were neither read from nor written to a prompt cache. */
  readonly input: number;
  /** Output tokens that are not reasoning tokens. */
  readonly output: number;
  /** Input tokens read from the prompt cache ("cached input", "cache hits"). Default: {@link input} (no discount). */
  readonly cacheRead?: number;
  /**
   * Input tokens written to the prompt cache ("cache writes"; Anthropic's 5-minute write price).
   * Default: {@link input}: providers without a write premium (OpenAI, Gemini's implicit cache)
   * bill written tokens as input.
   */
  readonly cacheWrite?: number;
  /** Reasoning ("thinking") output tokens. Default: {@link output}, as every provider of the built-in table bills them. */
  readonly reasoning?: number;
}

/**
 * The prices of a call whose input is longer than {@link aboveInputTokens} (a long-context tier:
 * Gemini Pro above 200 000 input tokens, for example). The call's input tokens (all of them,
 * cached or not) decide the tier; the whole call is priced at it, as the providers bill it.
 */
export interface LongContextPrices extends TokenPrices {
  readonly aboveInputTokens: number;
}

/**
 * One model (or family of models) of one provider's block.
 *
 * `match` is one pattern or several; a model matches when any pattern does:
 * - a **glob**, compared with the whole model name, case-insensitively: `*` stands for any run of
 *   characters (also none), `?` for exactly one, everything else for itself
 *   (`gpt-4o-mini`, `gpt-4o-mini-????-??-??`, `claude-sonnet-4-5*`);
 * - a **regular expression** written `/source/flags` (JavaScript syntax, flags among `i`, `u`,
 *   `s`), tested as written: anchor it (`^...$`) to compare whole names
 *   (`/^gemini-2\.5-pro(-\d{3})?$/`).
 *
 * A model name with a path (`models/gemini-2.5-flash`, Vertex AI's
 * `publishers/google/models/...`, a Bedrock ARN `...:inference-profile/us.anthropic...`) is also
 * tried by its last `/`-separated segment.
 */
export interface ModelPrice extends TokenPrices {
  readonly match: string | readonly string[];
  /** Prices of calls with a longer input. Default: none (the prices above at every length). */
  readonly longContext?: LongContextPrices;
  /** What the entry prices, where the patterns do not say it (for readers of the table). */
  readonly note?: string;
}

/** The prices of one provider (or of several that bill the same: Gemini's API names), as published. */
export interface ProviderPrices {
  /**
   * The GenAI provider names (`gen_ai.provider.name` values, as the mapping normalizes them:
   * `openai`, `anthropic`, `gcp.gemini`, `gcp.vertex_ai`, `gcp.gen_ai`, `mistral_ai`,
   * `aws.bedrock`, `azure.ai.openai`...) whose calls this block prices; `*` for any provider.
   */
  readonly providers: readonly string[];
  /** Where the prices were read (the provider's pricing page). */
  readonly source: string;
  /** The day the prices were compiled from what {@link source} publishes, `YYYY-MM-DD` (check them against it). */
  readonly date: string;
  /** What the block's prices are (the tier, the region, what is left out). */
  readonly note?: string;
  /** First match wins: list specific patterns before general ones. */
  readonly models: readonly ModelPrice[];
}

/** A price table: provider blocks, in the order they are matched. */
export type PriceTable = readonly ProviderPrices[];

/**
 * One entry of a user's price file or of the `prices` option: a provider (or several, or `*`),
 * a model pattern (or several: see {@link ModelPrice} for the syntax) and its prices.
 *
 * ```json
 * { "provider": "openai", "model": "ft:gpt-4o-mini-2024-07-18:*", "input": 0.3, "output": 1.2, "cacheRead": 0.15 }
 * ```
 */
export interface PriceEntry extends TokenPrices {
  readonly provider: string | readonly string[];
  readonly model: string | readonly string[];
  readonly longContext?: LongContextPrices;
}
