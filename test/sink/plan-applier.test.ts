import { expect } from 'chai';
import type { RunSettings } from '../../src/aim/index.js';
import type { ParamWrite, PlanTraces, RunWritePlan, TraceMark } from '../../src/mapping/aim-plan.js';
import { TraceSummary } from '../../src/mapping/run-description.js';
import type { RunWriter } from '../../src/sink/aim-writer.js';
import { OpenRunCache, TraceSummaries } from '../../src/sink/open-runs.js';
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
      { path: ['otel', 'resource'], value: { 'service.name': 'svc' } },
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
    expect(writer.calls).to.deep.equal(['createRun h1', 'set h1 request.model', 'set h1 otel.resource', 'track h1 tokens', 'track h1 on_llm_end']);
  });

  it('a later plan for the open run: no second open, once-params not again, only a changed name and new tags', async () => {
    const writer = new FakeAimWriter();
    const runs = new OpenRunCache();
    await applyPlan(plan(), writer, runs);
    writer.calls.length = 0;
    await applyPlan(plan({ tags: ['a', 'b'] }), writer, runs);
    expect(writer.calls).to.deep.equal(['addTag h1 b', 'set h1 otel.resource', 'track h1 tokens', 'track h1 on_llm_end']);
    writer.calls.length = 0;
    await applyPlan(plan({ name: 'second', tags: ['b'], params: [], metrics: [], texts: [] }), writer, runs);
    expect(writer.calls).to.deep.equal(['setName h1 second']);
  });

  it('consecutive params under one parent are one setEntries, in plan order; a lone one is a set', async () => {
    const writer = new FakeAimWriter();
    const params = [
      { path: ['otel', 'resource'], value: 'r' },
      { path: ['langchain', 'metadata', 'a'], value: true },
      { path: ['langchain', 'metadata', 'b'], value: true },
      { path: ['gen_ai', 'request'], value: 'q', once: true },
      { path: ['langchain', 'metadata', 'c'], value: true },
    ];
    await applyPlan(plan({ params, metrics: [], texts: [] }), writer, new OpenRunCache());
    expect(writer.calls).to.deep.equal([
      'createRun h1',
      'set h1 otel.resource',
      'setEntries h1 langchain.metadata a,b',
      'set h1 gen_ai.request',
      'set h1 langchain.metadata.c',
    ]);
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

/** A fake Aim that also keeps param values, and whose runs can be resumed ones holding stored params (as `AimRun.resumed` / `AimRun.get`). */
class StoringAimWriter extends FakeAimWriter {
  /** Every param set, in order: [hash, dotted path, value]. */
  readonly sets: [string, string, unknown][] = [];
  /** Params Aim holds already, by hash and dotted path: such runs open resumed. */
  readonly stored = new Map<string, Map<string, unknown>>();
  /** `get` calls made: [hash, dotted path]. */
  readonly gets: [string, string][] = [];

  override async createRun(settings: RunSettings): Promise<RunWriter> {
    const run = await super.createRun(settings);
    const hash = settings.hash ?? 'random';
    const stored = this.stored.get(hash);
    const set = run.set.bind(run);
    return Object.assign(run, {
      resumed: stored !== undefined,
      set: async (key: string | readonly string[], value: unknown): Promise<void> => {
        this.sets.push([hash, typeof key === 'string' ? key : key.join('.'), value]);
        await set(key, value as never);
      },
      get: async (key: string | readonly string[]): Promise<unknown> => {
        const path = typeof key === 'string' ? key : key.join('.');
        this.gets.push([hash, path]);
        return Promise.resolve(stored?.get(path));
      },
    });
  }

  /** The last value set at `path` of run `hash`. */
  last(hash: string, path: string): unknown {
    return [...this.sets].reverse().find(([h, p]) => h === hash && p === path)?.[2];
  }
}

const TRACE = (n: number): string => n.toString(16).padStart(32, '0');
const T0 = 1_764_000_000_000;
const marks = (...ns: number[]): TraceMark[] => ns.map((n) => ({ traceId: TRACE(n), startMs: T0 + n * 1_000 }));
const traces = (marks: TraceMark[], link?: string): PlanTraces => ({ marks, ...(link !== undefined ? { link } : {}) });

interface Summary {
  count: bigint;
  first: { trace_id: string }[];
  last: { trace_id: string }[];
  link?: string;
}
const ids = (entries: { trace_id: string }[]): number[] => entries.map((e) => parseInt(e.trace_id, 16));

describe('applyPlan: the bounded trace summary (otel.traces)', () => {
  const bare = (batch: PlanTraces, more: Partial<RunWritePlan> = {}): RunWritePlan => plan({ params: [], traces: batch, metrics: [], texts: [], ...more });

  it('merges the traces of every plan of the run into one param: count, first, last, link to the latest', async () => {
    const writer = new StoringAimWriter();
    const runs = new OpenRunCache();
    await applyPlan(bare(traces(marks(1, 2))), writer, runs);
    await applyPlan(bare(traces(marks(3, 4, 5, 6, 7), 'http://j/trace/{trace_id}')), writer, runs);
    const got = writer.last('h1', 'otel.traces') as Summary;
    expect(got.count).to.equal(7n);
    expect([ids(got.first), ids(got.last)]).to.deep.equal([
      [1, 2, 3],
      [5, 6, 7],
    ]);
    expect(got.link).to.equal(`http://j/trace/${TRACE(7)}`);
    expect(writer.count('setEntries')).to.equal(0);
  });

  it('replayed plans, and plans retried after the runs were detached or closed, count nothing twice', async () => {
    const writer = new StoringAimWriter();
    const runs = new OpenRunCache();
    const batches = [marks(1, 2, 3), marks(4, 5), marks(6)];
    for (const batch of batches) await applyPlan(bare(traces(batch)), writer, runs);
    await applyPlan(bare(traces(batches[0] as TraceMark[])), writer, runs);
    runs.detachAll();
    await applyPlan(bare(traces(batches[1] as TraceMark[])), writer, runs);
    await runs.closeAll();
    await applyPlan(bare(traces(batches[2] as TraceMark[])), writer, runs);
    const got = writer.last('h1', 'otel.traces') as Summary;
    expect(got.count).to.equal(6n);
    expect(ids(got.last)).to.deep.equal([4, 5, 6]);
    expect(writer.gets, 'remembered: nothing read back').to.deep.equal([]);
  });

  it('a run Aim had before, whose summary the sink does not remember (a restart), reads it back and merges on', async () => {
    const writer = new StoringAimWriter();
    const earlier = new StoringAimWriter();
    const first = new OpenRunCache();
    await applyPlan(bare(traces(marks(1, 2, 3, 4, 5))), earlier, first);
    writer.stored.set('h1', new Map([['otel.traces', earlier.last('h1', 'otel.traces')]]));
    await applyPlan(bare(traces(marks(5, 6))), writer, new OpenRunCache());
    expect(writer.gets).to.deep.equal([['h1', 'otel.traces']]);
    const got = writer.last('h1', 'otel.traces') as Summary;
    expect(got.count).to.equal(6n);
    expect(ids(got.last)).to.deep.equal([4, 5, 6]);
  });

  it("writes the summary before the plan's params; a plan without traces leaves otel.traces alone", async () => {
    const writer = new StoringAimWriter();
    const runs = new OpenRunCache();
    const params: ParamWrite[] = [
      { path: ['otel', 'resource'], value: 'r' },
      { path: ['gen_ai', 'conversation', 'id'], value: 'c' },
    ];
    await applyPlan(bare(traces(marks(1)), { params }), writer, runs);
    await applyPlan(plan({ params, metrics: [], texts: [] }), writer, runs);
    expect(writer.calls).to.deep.equal([
      'createRun h1',
      'set h1 otel.traces',
      'set h1 otel.resource',
      'set h1 gen_ai.conversation.id',
      'set h1 otel.resource',
      'set h1 gen_ai.conversation.id',
    ]);
  });

  it('a new run reads nothing back (no round trip for the runs most plans open)', async () => {
    const writer = new StoringAimWriter();
    const runs = new OpenRunCache({ traceSummaries: { maxRuns: 1 } });
    await applyPlan(bare(traces(marks(1)), { hash: 'a' }), writer, runs);
    await applyPlan(bare(traces(marks(2)), { hash: 'b' }), writer, runs);
    expect(writer.gets).to.deep.equal([]);
    expect(runs.traces.size).to.equal(1);
  });
});

describe('applyPlan: default names', () => {
  const bare = (defaultName: string | undefined, more: Partial<RunWritePlan> = {}): RunWritePlan => {
    const unnamed: { -readonly [K in keyof RunWritePlan]?: RunWritePlan[K] } = plan({
      tags: [],
      params: [],
      ...(defaultName !== undefined ? { defaultName } : {}),
      metrics: [],
      texts: [],
    });
    delete unnamed.name;
    return { ...(unnamed as RunWritePlan), ...more };
  };

  it("a new run the plan names not otherwise gets the default name; a later default does not rename it; a plan's name does", async () => {
    const writer = new StoringAimWriter();
    const runs = new OpenRunCache();
    await applyPlan(bare('chat · conversation c'), writer, runs);
    await applyPlan(bare('tool · conversation c'), writer, runs);
    await applyPlan(bare(undefined, { name: 'agent · conversation c' }), writer, runs);
    await applyPlan(bare('chat · conversation c'), writer, runs);
    expect(writer.calls.filter((call) => call.startsWith('setName'))).to.deep.equal(['setName h1 chat · conversation c', 'setName h1 agent · conversation c']);
  });

  it('a run Aim had before keeps its name: no default name, when opened again or later', async () => {
    const writer = new StoringAimWriter();
    writer.stored.set('h1', new Map());
    const runs = new OpenRunCache();
    await applyPlan(bare('chat · conversation c'), writer, runs);
    await applyPlan(bare('chat · conversation c'), writer, runs);
    expect(writer.calls.filter((call) => call.startsWith('setName'))).to.deep.equal([]);
    expect(writer.created[0]).to.not.have.property('name');
  });

  it('the default name is written as no param', async () => {
    const writer = new StoringAimWriter();
    await applyPlan(bare('n'), writer, new OpenRunCache());
    expect(writer.sets).to.deep.equal([]);
  });
});

describe("TraceSummaries: bounded memory of the runs' trace summaries", () => {
  it('forgets the least recently used runs beyond maxRuns, and beyond the trace ids of all runs', () => {
    const memory = new TraceSummaries({ maxRuns: 3, maxTraceIds: 10 });
    const summary = (n: number): TraceSummary => {
      const s = new TraceSummary();
      s.merge(marks(...Array.from({ length: n }, (_, i) => i + 1)));
      return s;
    };
    memory.remember('a', summary(2));
    memory.remember('b', summary(2));
    memory.remember('c', summary(2));
    memory.get('a');
    memory.remember('d', summary(2));
    expect(memory.get('b')).to.equal(undefined);
    expect(memory.size).to.equal(3);
    memory.remember('e', summary(8)); // 2 + 2 + 2 + 8 > 10: the oldest go
    expect(memory.traceIds).to.be.at.most(10);
    expect(memory.get('e')?.traceCount).to.equal(8);
  });
});
