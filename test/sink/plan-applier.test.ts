import { expect } from 'chai';
import type { RunWritePlan } from '../../src/mapping/aim-plan.js';
import { OpenRunCache } from '../../src/sink/open-runs.js';
import { hashAuto } from '../../src/aim/hash.js';
import { applyPlan, applyPlans } from '../../src/sink/plan-applier.js';
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

  it('consecutive params under one parent are one setEntries, in plan order; a lone one is a set', async () => {
    const writer = new FakeAimWriter();
    const params = [
      { path: ['otel', 'resource'], value: 'r' },
      { path: ['otel', 'trace_ids', 't1'], value: true },
      { path: ['otel', 'trace_ids', 't2'], value: true },
      { path: ['gen_ai', 'request'], value: 'q', once: true },
      { path: ['otel', 'trace_ids', 't3'], value: true },
    ];
    await applyPlan(plan({ params, metrics: [], texts: [] }), writer, new OpenRunCache());
    expect(writer.calls).to.deep.equal(['createRun h1', 'set h1 otel.resource', 'setEntries h1 otel.trace_ids t1,t2', 'set h1 gen_ai.request', 'set h1 otel.trace_ids.t3']);
  });

  it("a span's metric points share one point key, hashed from the span id (or the point's own key)", async () => {
    const writer = new FakeAimWriter();
    const point = { context: {}, step: 1n, time: 1, value: 1n };
    const metrics = [
      { ...point, name: 'a', spanId: '01' },
      { ...point, name: 'b', spanId: '01' },
      { ...point, name: 'a', spanId: '02' },
      { ...point, name: 'c', spanId: '02', key: 'own' },
    ];
    await applyPlan(plan({ params: [], metrics, texts: [] }), writer, new OpenRunCache());
    expect(writer.pointKeys).to.deep.equal([hashAuto('01'), hashAuto('01'), hashAuto('02'), hashAuto('own')]);
  });
});

describe('applyPlans: the plans of one batch', () => {
  it('opens their runs in parallel (16 at most), and writes every plan', async () => {
    const writer = new FakeAimWriter();
    writer.latencyMs = 5;
    const plans = Array.from({ length: 40 }, (_, i) => plan({ hash: `h${String(i)}`, key: `k${String(i)}` }));
    await applyPlans(plans, writer, new OpenRunCache());
    expect(writer.created).to.have.length(40);
    expect(writer.mostOpeningAtOnce).to.equal(16);
    expect(writer.calls.filter((call) => call.startsWith('track ') && call.endsWith(' tokens'))).to.have.length(40);
  });

  it('rejects with the first error only once every plan has settled', async () => {
    const writer = new FakeAimWriter();
    writer.latencyMs = 5;
    const failing = new Error('Aim refused');
    writer.fail('createRun', failing);
    const plans = Array.from({ length: 4 }, (_, i) => plan({ hash: `h${String(i)}`, key: `k${String(i)}` }));
    let openingAtRejection = -1;
    await applyPlans(plans, writer, new OpenRunCache()).then(
      () => expect.fail('applyPlans resolved'),
      (error: unknown) => {
        openingAtRejection = writer.opening;
        expect(error).to.equal(failing);
      },
    );
    expect(openingAtRejection).to.equal(0);
    expect(writer.created).to.have.length(3);
  });
});

