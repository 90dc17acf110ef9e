/**
 * A run's cost as Aim shows it: the totals params the bridge writes to every run (`cost.total_usd`,
 * `cost.priced_calls`, `usage.calls`; see "Run totals" in the README), read back through the Aim
 * UI's web API (`aim up`, `GET /api/runs/<hash>/info/`, the call the UI's run page makes). One
 * request, exact for runs of any length: the bridge sums them from every point Aim stores.
 */
import { getJson } from './http.js';

/** What Aim holds of a run's model calls. */
export interface RunCost {
  /** The run's `cost.total_usd`, in USD (0 without priced calls). */
  readonly usd: number;
  /** Its `cost.priced_calls`: the model calls with a price. */
  readonly pricedCalls: number;
  /** Its `usage.calls`: the model calls with token counts. */
  readonly modelCalls: number;
}

/** `params[group][name]` of a run's info, when it is a number. */
function param(params: unknown, group: string, name: string): number | undefined {
  const value = (params as Record<string, Record<string, unknown> | undefined> | null)?.[group]?.[name];
  return typeof value === 'number' ? value : undefined;
}

/** Reads the run's totals params once. */
async function readOnce(uiUrl: string, hash: string): Promise<RunCost> {
  const info = await getJson(`${uiUrl}/api/runs/${hash}/info/?sequence=metric`);
  const params = (info as { params?: unknown } | null)?.params;
  return {
    usd: param(params, 'cost', 'total_usd') ?? 0,
    pricedCalls: param(params, 'cost', 'priced_calls') ?? 0,
    modelCalls: param(params, 'usage', 'calls') ?? 0,
  };
}

/**
 * The run's cost, read from the Aim UI at `uiUrl` once its totals count `modelCalls` model calls
 * (the bridge recomputes them about 5 s after a run's writes stop, and the UI reads the repository
 * a moment behind aim server); after `timeoutMs` (default 15 000), what it shows by then. Throws
 * when the UI does not answer.
 */
export async function readRunCost(uiUrl: string, hash: string, modelCalls: number, timeoutMs = 15_000): Promise<RunCost> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const cost = await readOnce(uiUrl, hash);
    if (cost.modelCalls >= modelCalls || Date.now() > deadline) return cost;
    await new Promise((wake) => setTimeout(wake, 500));
  }
}

/** USD with three significant digits for amounts under a dollar (`$0.0000918`), cents above (`$12.35`). */
export function formatUsd(usd: number): string {
  if (usd === 0) return '$0';
  if (usd >= 1) return `$${usd.toFixed(2)}`;
  const digits = Math.min(12, 2 - Math.floor(Math.log10(usd)));
  return `$${usd.toFixed(digits)}`;
}
