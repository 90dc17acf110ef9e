/**
 * Pricing of model calls: a price table kept as data (builtin-prices.ts: source and date per
 * provider), overridable by a price file (price-file.ts), compiled into a `PriceBook`; the cost
 * of a call priced once (call-cost.ts); the models without a price, logged once (unpriced-models.ts).
 * Pure but for price-file.ts (reads the file) and unpriced-models.ts (logs).
 */
export { BUILTIN_PRICES } from './builtin-prices.js';
export type { LongContextPrices, ModelPrice, PriceEntry, PriceTable, ProviderPrices, TokenPrices } from './price-table.js';
export { type ModelPricing, PriceBook, providerKey } from './price-book.js';
export { compileModelPattern, compileModelPatterns, modelNamesOf, type ModelMatcher } from './model-pattern.js';
export { type CallCost, type CallParts, type CallUsage, type UsageSplit, priceUsage, splitUsage } from './call-cost.js';
export { type ModelCall, type PricedCall, type UnpricedCall, priceCall } from './price-call.js';
export { PRICES_ENV, PRICES_OPTION_SOURCE, PricesError, type PricesOption, parsePriceEntries, readPriceFile, resolvePriceBook } from './price-file.js';
export { DEFAULT_MAX_UNPRICED_MODELS, UnpricedModels } from './unpriced-models.js';
