import { expect } from 'chai';
import type { RunWritePlan } from '../../src/mapping/aim-plan.js';
import { OpenRunCache } from '../../src/sink/open-runs.js';
import { applyPlan } from '../../src/sink/plan-applier.js';
import { FakeAimWriter } from './fake-aim-writer.js';

function plan(more: Partial<RunWritePlan> = {}): RunWritePlan {
  return {
    key: 'conv-1',
    hash: 'h1',
    experiment: 'exp',
    name: 'first',
    tags: ['a'],
    params: [
      { path: ['request', 'model'], value: 'm', once: true },
      { path: ['otel', 'trace_ids'], value: ['t1'] },
    ],
    metrics: [{ name: 'tokens', context: {}, step: 1n, time: 1, spanId: '01', value: 3n }],
    texts: [{ name: 'on_llm_end', context: {}, step: 1n, time: 1, spanId: '01', text: 'hi' }],
    spanCount: 1,
    ...more,
  };
}

describe('applyPlan: one write plan onto its run', () => {
  it('opens the run without a lock, with its experiment, name and tags, then writes params and points', async () => {
    const writer = new FakeAimWriter();
    await applyPlan(plan(), writer, new OpenRunCache());
    expect(writer.created).to.deep.equal([{ hash: 'h1', lock: false, experiment: 'exp', name: 'first', tags: ['a'] }]);
    expect(writer.calls).to.deep.equal(['createRun h1', 'set h1 request.model', 'set h1 otel.trace_ids', 'track h1 tokens', 'track h1 on_llm_end']);
  });

  it('a later plan for the open run: no second open, once-params not again, only a changed name and new tags', async () => {
    const writer = new FakeAimWriter();
    const runs = new OpenRunCache();
    await applyPlan(plan(), writer, runs);
    writer.calls.length = 0;
    await applyPlan(plan({ tags: ['a', 'b'] }), writer, runs);
    expect(writer.calls).to.deep.equal(['addTag h1 b', 'set h1 otel.trace_ids', 'track h1 tokens', 'track h1 on_llm_end']);
    writer.calls.length = 0;
    await applyPlan(plan({ name: 'second', tags: ['b'], params: [], metrics: [], texts: [] }), writer, runs);
    expect(writer.calls).to.deep.equal(['setName h1 second']);
  });
});
