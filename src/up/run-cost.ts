/**
 * A run's cost as Aim shows it: the `gen_ai.usage.cost` points the bridge wrote to the run,
 * read back through the Aim UI's web API (`aim up`) — the run's metric sequences
 * (`GET /api/runs/<hash>/info/?sequence=metric`), then their points
 * (`POST /api/runs/<hash>/metric/get-batch/`, the call the UI's run page makes). The UI samples at
 * most 200 points a sequence there: enough for the demo's run (a handful of calls), not a sum
 * for long runs.
 */
import { getJson, postJson } from './http.js';

const COST_METRIC = 'gen_ai.usage.cost';
const INPUT_TOKENS_METRIC = 'gen_ai.usage.input_tokens';

/** What Aim holds of a run's model calls. */
export interface RunCost {
  /** The sum of the run's `gen_ai.usage.cost` points, in USD. */
  readonly usd: number;
  /** Its `gen_ai.usage.cost` points: the priced model calls. */
  readonly pricedCalls: number;
  /** Its `gen_ai.usage.input_tokens` points: the model calls with token counts. */
  readonly modelCalls: number;
}

interface Trace {
  name: string;
  context: Record<string, unknown>;
  values?: (number | null)[];
}

function tracesOf(value: unknown, key?: string): Trace[] {
  const list = key === undefined ? value : (value as Record<string, unknown> | null)?.[key];
  return Array.isArray(list) ? list.filter((item): item is Trace => typeof (item as Trace | null)?.name === 'string') : [];
}

/** Reads the run's cost and call counts once. */
async function readOnce(uiUrl: string, hash: string): Promise<RunCost> {
  const info = await getJson(`${uiUrl}/api/runs/${hash}/info/?sequence=metric`);
  const wanted = tracesOf((info as { traces?: unknown } | null)?.traces, 'metric')
    .filter((trace) => trace.name === COST_METRIC || trace.name === INPUT_TOKENS_METRIC)
    .map(({ name, context }) => ({ name, context }));
  if (wanted.length === 0) return { usd: 0, pricedCalls: 0, modelCalls: 0 };
  const traces = tracesOf(await postJson(`${uiUrl}/api/runs/${hash}/metric/get-batch/`, wanted));
  const points = (name: string): number[] =>
    traces.filter((trace) => trace.name === name).flatMap((trace) => (trace.values ?? []).filter((value): value is number => typeof value === 'number'));
  const costs = points(COST_METRIC);
  return { usd: costs.reduce((sum, value) => sum + value, 0), pricedCalls: costs.length, modelCalls: points(INPUT_TOKENS_METRIC).length };
}

/**
 * The run's cost, read from the Aim UI at `uiUrl` once it shows `modelCalls` model calls (the UI
 * reads the repository as aim server writes it, a moment behind); after `timeoutMs` (default
 * 15 000), what it shows by then. Throws when the UI does not answer.
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
