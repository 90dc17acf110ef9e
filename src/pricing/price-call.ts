/**
 * Prices one model call: which model's price applies, and what the call cost at it.
 *
 * **Which model**: the response model first (what the provider says it ran, and billed: a dated
 * snapshot `gpt-4o-mini-2024-07-18` for a request of `gpt-4o-mini`, the model behind an Azure
 * deployment name), then the request model (when the response names none, or a model the book
 * has no price for: an OpenAI-compatible server echoing an alias). Neither priced: no cost.
 */
import { type CallCost, type CallUsage, priceUsage } from './call-cost.js';
import type { ModelPricing, PriceBook } from './price-book.js';

/** What the pricing needs of a model call. */
export interface ModelCall {
  /** The GenAI provider name (`openai`, `aws.bedrock`...). */
  readonly provider: string | undefined;
  readonly responseModel: string | undefined;
  readonly requestModel: string | undefined;
  readonly usage: CallUsage;
}

/** A call the book has a price for. */
export interface PricedCall {
  readonly priced: true;
  /** The model name the price was found for (the response model, else the request model). */
  readonly model: string;
  readonly pricing: ModelPricing;
  readonly cost: CallCost;
}

/** A call with token counts and no price: no cost is written for it (never a guessed one). */
export interface UnpricedCall {
  readonly priced: false;
  readonly provider: string | undefined;
  /** The model the call names (the response model, else the request model), if any. */
  readonly model: string | undefined;
}

/**
 * Prices a call with `book`: {@link PricedCall} or {@link UnpricedCall}; undefined when the call
 * reports no token counts at all (nothing to price, nothing to count).
 */
export function priceCall(book: PriceBook, call: ModelCall): PricedCall | UnpricedCall | undefined {
  const { usage } = call;
  const counted = [usage.input, usage.output, usage.cacheRead, usage.cacheWrite, usage.reasoning, usage.uncachedInput, usage.textOutput].some(
    (n) => n !== undefined,
  );
  if (!counted) return undefined;
  for (const model of [call.responseModel, call.requestModel]) {
    if (model === undefined || model.trim() === '') continue;
    const pricing = book.priceOf(call.provider, model);
    if (pricing) return { priced: true, model, pricing, cost: priceUsage(usage, pricing) };
  }
  return { priced: false, provider: call.provider, model: call.responseModel ?? call.requestModel };
}
