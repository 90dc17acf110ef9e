/**
 * Applies one {@link RunWritePlan} to its run: opens the run (or takes it from the open runs,
 * writing only the name and tags that changed), then sets its params and tracks its points; the
 * plans of a batch go to their runs in parallel.
 *
 * What the plan asks to merge with the applier's memory of the run: its `traces` are merged into
 * the run's trace summary (`OpenRunCache.traces`; a run whose summary is not remembered and that
 * Aim had before reads it back from its param) and the summary is written as the param
 * `otel.traces`, before the plan's params; its `defaultName` names a run the plan names not
 * otherwise, only when Aim did not have the run before and the run has no name yet (so it never
 * replaces the name a root span gave).
 *
 * A plan with points on the usage series makes its run's usage totals dirty (`OpenRunCache.totals`,
 * see run-totals.ts): they are recomputed from Aim later, not here.
 *
 * What telemetry chose is kept within bounds (`OpenRunCache.bounds`, see `RunInputBounds`):
 * params and tags beyond a run's bounds are dropped (counted, logged), and every string the plan
 * writes (run attributes, param keys and values, sequence names, contexts, texts) is made
 * well-formed (Aim's encoder refuses a lone surrogate, and a refused write fails its whole batch).
 *
 * With `waterfalls` (the sink keeps the runs' trace waterfalls): a run is held open wrapped by it
 * (its closing writes the figure's changes held back), and after its points the plan's waterfall
 * spans are merged and the figure written if due (`RunWaterfalls.apply`); its write-only plans
 * (`RunWaterfalls.dueTicks`) write only the figure of a run still open, and open none.
 */
import type { AimValue } from '../aim/codec/values.js';
import { hashAuto } from '../aim/hash.js';
import type { ParamWrite, PlanTraces, PlanValue, RunWritePlan } from '../mapping/aim-plan.js';
import { TRACES_PARAM, TraceSummary } from '../mapping/run-description.js';
import type { AimWriter } from './aim-writer.js';
import type { OpenRun, OpenRunCache } from './open-runs.js';
import type { RunWaterfalls } from './run-waterfalls.js';

/** Plans of one batch applied at once, at most (their runs open in parallel: a run open is round trips). */
const PARALLEL_PLANS = 16;

/**
 * Writes the plans of one batch (each for its own run), up to {@link PARALLEL_PLANS} at a time, and
 * resolves once every one has settled; rejects with the first error (only after all settled, so
 * no run is still being opened when the caller reacts to it).
 */
export async function applyPlans(plans: readonly RunWritePlan[], writer: AimWriter, runs: OpenRunCache, waterfalls?: RunWaterfalls): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const worker = async (): Promise<void> => {
    for (let plan = plans[next++]; plan; plan = plans[next++]) {
      try {
        await applyPlan(plan, writer, runs, waterfalls);
      } catch (error) {
        errors.push(error);
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_PLANS, plans.length) }, worker));
  if (errors.length > 0) throw errors[0];
}

/** Writes `plan` through `writer`, keeping its run open in `runs`. Rejects with the writer's error. */
export async function applyPlan(plan: RunWritePlan, writer: AimWriter, runs: OpenRunCache, waterfalls?: RunWaterfalls): Promise<void> {
  if (waterfalls?.isTick(plan)) {
    await waterfalls.applyTick(plan);
    return;
  }
  const open = await openRun(plan, writer, runs, waterfalls);
  const { run, setOnce } = open;
  if (plan.traces) await run.set(TRACES_PARAM, await mergeTraces(plan.hash, open, plan.traces, runs));
  const bounds = runs.bounds;
  const params = bounds.admit(
    plan.hash,
    plan.params.filter((param) => {
      if (param.once !== true) return true;
      const key = param.path.join('\u0000');
      if (setOnce.has(key)) return false;
      setOnce.add(key);
      return true;
    }),
  );
  // Consecutive plain params under one parent (e.g. `langchain.metadata.*`) are one write: same order, same result.
  for (let i = 0; i < params.length;) {
    const first = params[i] as ParamWrite;
    let end = i + 1;
    while (end < params.length && sameParent(params[end] as ParamWrite, first)) end++;
    if (end - i === 1) await run.set(first.path, first.value);
    else
      await run.setEntries(
        first.path.slice(0, -1),
        params.slice(i, end).map((param) => [param.path[param.path.length - 1] ?? '', param.value] as const),
      );
    i = end;
  }
  // Keyed by the span, not by the step: spans that share a step (same millisecond) across
  // batches both stay, and a replayed span rewrites its own point. A span's points share the key.
  let keySource: string | undefined;
  let pointKey = 0n;
  for (const metric of plan.metrics) {
    const source = metric.key ?? metric.spanId;
    if (source !== keySource) {
      keySource = source;
      pointKey = hashAuto(source);
    }
    await run.track(metric.value, { name: bounds.text(metric.name), step: metric.step, context: bounds.context(metric.context), time: metric.time, pointKey });
  }
  for (const text of plan.texts) {
    const where = { name: bounds.text(text.name), step: text.step, context: bounds.context(text.context), time: text.time };
    await (typeof text.text === 'string' ? run.trackText(bounds.text(text.text), where) : run.trackTexts(bounds.texts(text.text), where));
  }
  runs.totals.noteWrites(plan, open);
  if (waterfalls) await waterfalls.apply(plan, run);
}

/** Whether two params (paths of two keys or more) sit under the same parent. */
function sameParent(a: ParamWrite, b: ParamWrite): boolean {
  if (a.path.length !== b.path.length || a.path.length < 2) return false;
  for (let i = 0; i < a.path.length - 1; i++) if (a.path[i] !== b.path[i]) return false;
  return true;
}

async function openRun(given: RunWritePlan, writer: AimWriter, runs: OpenRunCache, waterfalls: RunWaterfalls | undefined): Promise<OpenRun> {
  const plan = wellFormedRun(given, runs);
  const cached = runs.use(plan.hash);
  if (cached) {
    // Only what changed: addTag is a read (a round trip that waits for every queued write).
    const name = plan.name ?? (cached.name === undefined && !cached.resumed ? plan.defaultName : undefined);
    if (name !== undefined && name !== cached.name) {
      await cached.run.setName(name);
      cached.name = name;
    }
    for (const tag of runs.bounds.newTags(plan.hash, plan.tags, cached.tags)) {
      await cached.run.addTag(tag);
      cached.tags.add(tag);
    }
    return cached;
  }
  const tags = runs.bounds.newTags(plan.hash, plan.tags, new Set());
  // No run lock: the hash is shared by every replica writing this run key, and the points are
  // idempotent; a lock would make a second replica wait (blocking aim server) and then fail.
  const run = await writer.createRun({
    hash: plan.hash,
    lock: false,
    ...(plan.experiment !== undefined ? { experiment: plan.experiment } : {}),
    ...(plan.name !== undefined ? { name: plan.name } : {}),
    ...(plan.description !== undefined ? { description: plan.description } : {}),
    tags,
  });
  const resumed = run.resumed;
  // A default name only for a run new in Aim: a resumed one has the name it was given before.
  const name = plan.name ?? (resumed ? undefined : plan.defaultName);
  if (plan.name === undefined && name !== undefined) await run.setName(name);
  return runs.add(plan.hash, waterfalls ? waterfalls.wrap(plan.hash, run) : run, name, tags, resumed, run);
}

/** The plan's run attributes (experiment, names, description, tags) made well-formed: Aim's encoder refuses lone surrogates. */
function wellFormedRun(plan: RunWritePlan, runs: OpenRunCache): RunWritePlan {
  const { bounds } = runs;
  const fix = (text: string | undefined): string | undefined => (text === undefined ? undefined : bounds.text(text));
  const experiment = fix(plan.experiment);
  const name = fix(plan.name);
  const description = fix(plan.description);
  const defaultName = fix(plan.defaultName);
  const tags = bounds.texts(plan.tags);
  if (experiment === plan.experiment && name === plan.name && description === plan.description && defaultName === plan.defaultName && tags === plan.tags)
    return plan;
  return {
    ...plan,
    tags,
    ...(experiment !== undefined ? { experiment } : {}),
    ...(name !== undefined ? { name } : {}),
    ...(description !== undefined ? { description } : {}),
    ...(defaultName !== undefined ? { defaultName } : {}),
  };
}

/**
 * Merges a plan's traces into the run's trace summary and returns the param `otel.traces` to
 * write. The summary is the one the sink remembers, else (a run Aim had before) the one stored in
 * the run, else empty.
 */
async function mergeTraces(hash: string, open: OpenRun, traces: PlanTraces, runs: OpenRunCache): Promise<PlanValue> {
  let summary = runs.traces.get(hash);
  if (!summary) {
    const stored: AimValue | undefined = open.resumed ? await open.run.get(TRACES_PARAM) : undefined;
    summary = TraceSummary.fromParam(stored, runs.traces.maxTraceIdsPerRun);
  }
  summary.merge(traces.marks);
  runs.traces.remember(hash, summary);
  return summary.toParam(traces.link);
}
