/**
 * Applies one {@link RunWritePlan} to its run: opens the run (or takes it from the open runs,
 * writing only the name and tags that changed), then sets its params and tracks its points.
 */
import { hashAuto } from '../aim/index.js';
import type { RunWritePlan } from '../mapping/aim-plan.js';
import type { AimWriter } from './aim-writer.js';
import type { OpenRun, OpenRunCache } from './open-runs.js';

/** Writes `plan` through `writer`, keeping its run open in `runs`. Rejects with the writer's error. */
export async function applyPlan(plan: RunWritePlan, writer: AimWriter, runs: OpenRunCache): Promise<void> {
  const { run, setOnce } = await openRun(plan, writer, runs);
  for (const param of plan.params) {
    const key = param.path.join('\u0000');
    if (param.once === true) {
      if (setOnce.has(key)) continue;
      setOnce.add(key);
    }
    await run.set(param.path, param.value);
  }
  for (const metric of plan.metrics) {
    // Keyed by the span, not by the step: spans that share a step (same millisecond) across
    // batches both stay, and a replayed span rewrites its own point.
    await run.track(metric.value, { name: metric.name, step: metric.step, context: metric.context, time: metric.time, pointKey: hashAuto(metric.key ?? metric.spanId) });
  }
  for (const text of plan.texts) {
    const where = { name: text.name, step: text.step, context: text.context, time: text.time };
    await (typeof text.text === 'string' ? run.trackText(text.text, where) : run.trackTexts(text.text, where));
  }
}

async function openRun(plan: RunWritePlan, writer: AimWriter, runs: OpenRunCache): Promise<OpenRun> {
  const cached = runs.use(plan.hash);
  if (cached) {
    // Only what changed: addTag is a read (a round trip that waits for every queued write).
    if (plan.name !== undefined && plan.name !== cached.name) {
      await cached.run.setName(plan.name);
      cached.name = plan.name;
    }
    for (const tag of plan.tags) {
      if (cached.tags.has(tag)) continue;
      await cached.run.addTag(tag);
      cached.tags.add(tag);
    }
    return cached;
  }
  // No run lock: the hash is shared by every replica writing this run key, and the points are
  // idempotent; a lock would make a second replica wait (blocking aim server) and then fail.
  const run = await writer.createRun({
    hash: plan.hash,
    lock: false,
    ...(plan.experiment !== undefined ? { experiment: plan.experiment } : {}),
    ...(plan.name !== undefined ? { name: plan.name } : {}),
    ...(plan.description !== undefined ? { description: plan.description } : {}),
    tags: plan.tags,
  });
  return runs.add(plan.hash, run, plan.name, plan.tags);
}
