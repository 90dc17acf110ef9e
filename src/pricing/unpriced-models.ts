/**
 * The models calls came for that have no price: each (provider, model) logged once, through the
 * `pricing` component logger, with memory bounded.
 */
import type { DiagLogger } from '@opentelemetry/api';
import { componentLogger } from '../logging/component-logger.js';

/** (provider, model) pairs remembered at once, unless another bound is given. */
export const DEFAULT_MAX_UNPRICED_MODELS = 1_000;

/**
 * Logs the first call of each (provider, model) without a price, as a warning that says how to add
 * the price. Remembers at most `maxModels` pairs: beyond, the pair logged longest ago is forgotten
 * (and would be logged again if its calls come back).
 */
export class UnpricedModels {
  private readonly seen = new Set<string>();

  /**
   * @param logger - where the lines go. Default `componentLogger('pricing')`.
   * @param maxModels - pairs remembered at once. Default {@link DEFAULT_MAX_UNPRICED_MODELS} (1 000).
   */
  constructor(
    private readonly logger: DiagLogger = componentLogger('pricing'),
    private readonly maxModels: number = DEFAULT_MAX_UNPRICED_MODELS,
  ) {}

  /** A call of `model` of `provider` had no price: logged the first time the pair is seen. */
  note(provider: string | undefined, model: string | undefined): void {
    const key = JSON.stringify([provider ?? null, model ?? null]);
    if (this.seen.has(key)) return;
    if (this.seen.size >= this.maxModels) {
      const oldest = this.seen.values().next();
      if (oldest.done !== true) this.seen.delete(oldest.value);
    }
    this.seen.add(key);
    this.logger.warn(
      `no price for model ${model === undefined ? '(none named)' : JSON.stringify(model)} of provider ${provider === undefined ? '(none named)' : JSON.stringify(provider)}: ` +
        'its calls get no gen_ai.usage.cost metric (add its price with a price file: --prices <file>, AIM_OTEL_BRIDGE_PRICES or the prices option)',
    );
  }

  /** How many pairs are remembered now. */
  get size(): number {
    return this.seen.size;
  }
}
