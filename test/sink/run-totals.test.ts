/**
 * When the sink recomputes a run's usage totals (RunTotals, through OpenRunCache and applyPlan),
 * against fake writers whose runs store their points in a shared fake Aim (FakeAimStore): quiet
 * runs, busy runs (throttled, slow runs spaced, a budget), closes (eviction, shutdown, idle), replays,
 * replicas, failures, and the one race the design documents.
 */
import { expect } from 'chai';
import type { MetricWrite, RunWritePlan } from '../../src/mapping/aim-plan.js';
import { OpenRunCache, type OpenRunCacheOptions } from '../../src/sink/open-runs.js';
import { applyPlan } from '../../src/sink/plan-applier.js';
import { exactSum } from '../../src/sink/usage-totals.js';
import { AimSink } from '../../src/sink/aim-sink.js';
import { RateLimitedLog } from '../../src/logging/rate-limited-log.js';
import { FakeAimStore, FakeAimWriter } from './fake-aim-writer.js';
import { FakeClock } from './fake-clock.js';

const HASH = 'h1';

/** Model call `i`: cost (i + 1)·1.1 µ$, 100 + i input, 10 output, 110 + i total tokens, on model a (even) or b (odd). */
function call(i: number): MetricWrite[] {
  const context = { operation: 'chat', model: i % 2 === 0 ? 'a' : 'b', provider: 'openai' };
  const spanId = `span-${String(i)}`;
  const at = { context, step: BigInt(i), time: 1, spanId };
  return [
    { name: 'gen_ai.usage.input_tokens', value: BigInt(100 + i), ...at },
    { name: 'gen_ai.usage.output_tokens', value: 10n, ...at },
    { name: 'gen_ai.usage.total_tokens', value: BigInt(110 + i), ...at },
    { name: 'gen_ai.client.operation.duration', value: 0.5, ...at },
    { name: 'gen_ai.usage.cost', value: (i + 1) * 1.1e-6, ...at },
  ];
}

function plan(calls: readonly number[], hash = HASH): RunWritePlan {
  return { key: hash, hash, tags: [], params: [], metrics: calls.flatMap(call), texts: [], spanCount: calls.length };
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

/** The totals params calls `calls` should leave, figured from the calls themselves. */
function expected(calls: readonly number[]): Record<string, unknown> {
  return {
    'cost.total_usd': exactSum(calls.map((i) => (i + 1) * 1.1e-6)),
    'cost.priced_calls': BigInt(calls.length),
    'usage.input_tokens': calls.reduce((sum, i) => sum + BigInt(100 + i), 0n),
    'usage.output_tokens': 10n * BigInt(calls.length),
    'usage.total_tokens': calls.reduce((sum, i) => sum + BigInt(110 + i), 0n),
    'usage.calls': BigInt(calls.length),
  };
}

function totals(store: FakeAimStore, hash = HASH): Record<string, unknown> {
  const names = ['cost.total_usd', 'cost.priced_calls', 'usage.input_tokens', 'usage.output_tokens', 'usage.total_tokens', 'usage.calls'];
  return Object.fromEntries(names.map((name) => [name, store.param(hash, name)]));
}

/** One writer (a bridge process) on `store`, with its open-run cache. */
function bridge(store: FakeAimStore, clock: FakeClock, options: OpenRunCacheOptions = {}): { writer: FakeAimWriter; runs: OpenRunCache } {
  return { writer: new FakeAimWriter({ store }), runs: new OpenRunCache({ clock, idleCloseMs: 30_000, ...options }) };
}

describe('RunTotals: a run’s usage totals recomputed from what Aim stores', () => {
  it('a run quiet for 5 s gets its totals at the next tick, summed from the stored series; once clean, ticks read nothing', async () => {
    const store = new FakeAimStore();
    const clock = new FakeClock();
    const { writer, runs } = bridge(store, clock);
    await applyPlan(plan(range(0, 3)), writer, runs);
    await runs.totals.tick();
    expect(writer.count('readMetrics'), 'still being written: not yet').to.equal(0);
    clock.advance(4_999);
    await runs.totals.tick();
    expect(writer.count('readMetrics')).to.equal(0);
    clock.advance(1);
    await runs.totals.tick();
    expect(writer.count('readMetrics')).to.equal(1);
    expect(totals(store)).to.deep.equal(expected(range(0, 3)));
    expect(writer.calls.filter((c) => c.startsWith('setEntries'))).to.deep.equal([
      `setEntries ${HASH} cost total_usd,priced_calls`,
      `setEntries ${HASH} usage input_tokens,output_tokens,total_tokens,calls`,
    ]);
    clock.advance(60_000);
    await runs.totals.tick();
    expect(writer.count('readMetrics'), 'clean: nothing to recompute').to.equal(1);
  });

  it('replays — the same plans again, and by a new writer after a restart — leave the totals as they were', async () => {
    const store = new FakeAimStore();
    const clock = new FakeClock();
    const first = bridge(store, clock);
    await applyPlan(plan(range(0, 50)), first.writer, first.runs);
    await applyPlan(plan(range(20, 30)), first.writer, first.runs); // a replayed part
    await first.runs.closeAll();
    expect(totals(store)).to.deep.equal(expected(range(0, 50)));
    const restarted = bridge(store, clock);
    await applyPlan(plan(range(0, 25)), restarted.writer, restarted.runs);
    await applyPlan(plan(range(25, 50)), restarted.writer, restarted.runs);
    await restarted.runs.closeAll();
    expect(restarted.writer.count('readMetrics')).to.equal(1);
    expect(totals(store)).to.deep.equal(expected(range(0, 50)));
  });

  it('replicas: two writers each writing half of a run — the last to close leaves the totals of all calls', async () => {
    const store = new FakeAimStore();
    const clock = new FakeClock();
    const a = bridge(store, clock);
    const b = bridge(store, clock);
    await applyPlan(plan(range(0, 25)), a.writer, a.runs);
    await a.runs.closeAll();
    expect(totals(store), 'a closed first: its half').to.deep.equal(expected(range(0, 25)));
    await applyPlan(plan(range(25, 50)), b.writer, b.runs);
    await b.runs.closeAll();
    expect(totals(store)).to.deep.equal(expected(range(0, 50)));
    // Interleaved: both write, then both recompute (any order): each reads everything.
    const store2 = new FakeAimStore();
    const c = bridge(store2, clock);
    const d = bridge(store2, clock);
    await applyPlan(plan(range(0, 10)), c.writer, c.runs);
    await applyPlan(plan(range(10, 20)), d.writer, d.runs);
    await applyPlan(plan(range(20, 30)), c.writer, c.runs);
    await Promise.all([d.runs.closeAll(), c.runs.closeAll()]);
    expect(totals(store2)).to.deep.equal(expected(range(0, 30)));
  });

  it('while writes keep coming: at most once per intervalMs (30 s)', async () => {
    const store = new FakeAimStore();
    const clock = new FakeClock();
    const { writer, runs } = bridge(store, clock);
    const readsAt: number[] = [];
    const start = clock.now();
    for (let second = 0; second < 95; second++) {
      await applyPlan(plan([second]), writer, runs);
      const before = writer.count('readMetrics');
      await runs.totals.tick();
      if (writer.count('readMetrics') > before) readsAt.push((clock.now() - start) / 1000);
      clock.advance(1_000);
    }
    expect(readsAt).to.deep.equal([30, 61, 92]);
    expect(totals(store)).to.deep.equal(expected(range(0, 93)));
  });

  it('a slow recompute spaces the next ones: ten times its duration while writes keep coming', async () => {
    const store = new FakeAimStore();
    const clock = new FakeClock();
    const { writer, runs } = bridge(store, clock);
    const readsAt: number[] = [];
    const start = clock.now();
    let slow = true;
    for (let second = 0; second < 200; second++) {
      await applyPlan(plan([second]), writer, runs);
      const before = writer.count('readMetrics');
      let open: () => void = () => undefined;
      if (slow) writer.readGate = new Promise<void>((resolve) => (open = resolve));
      const tick = runs.totals.tick();
      if (writer.count('readMetrics') > before) {
        readsAt.push((clock.now() - start) / 1000);
        if (slow) clock.advance(8_000); // the first read takes 8 s
        slow = false;
      }
      open();
      writer.readGate = undefined;
      await tick;
      clock.advance(1_000);
    }
    // At 30 s (it takes 8 s); the writes from 39 s on wait 80 s (10 × 8 s): 119 s; that one is quick, so 30 s again.
    expect(readsAt.slice(0, 3)).to.deep.equal([30, 119, 150]);
  });

  it('background recomputes take at most a fifth of the time: after one that took d, the next waits 4·d', async () => {
    const store = new FakeAimStore();
    const clock = new FakeClock();
    const { writer, runs } = bridge(store, clock);
    for (const hash of ['h1', 'h2', 'h3']) await applyPlan(plan(range(0, 2), hash), writer, runs);
    clock.advance(5_000);
    let open: () => void = () => undefined;
    writer.readGate = new Promise<void>((resolve) => (open = resolve));
    const tick = runs.totals.tick();
    clock.advance(2_000); // h1's read takes 2 s
    writer.readGate = undefined;
    open();
    await tick;
    expect(writer.calls.filter((c) => c.startsWith('readMetrics'))).to.deep.equal(['readMetrics h1']);
    clock.advance(7_999);
    await runs.totals.tick();
    expect(writer.count('readMetrics'), 'resting 8 s').to.equal(1);
    clock.advance(1);
    await runs.totals.tick(); // quick reads: h2, h3 in one pass
    expect(writer.calls.filter((c) => c.startsWith('readMetrics'))).to.deep.equal(['readMetrics h1', 'readMetrics h2', 'readMetrics h3']);
    // A close does not wait for the budget.
    await applyPlan(plan([5], 'h1'), writer, runs);
    await runs.closeAll();
    expect(writer.count('readMetrics')).to.equal(4);
  });

  it('a run closing while dirty (evicted, shut down) recomputes first: read, totals, then close', async () => {
    const store = new FakeAimStore();
    const clock = new FakeClock();
    const { writer, runs } = bridge(store, clock, { maxOpenRuns: 1 });
    await applyPlan(plan(range(0, 3), 'h1'), writer, runs);
    await applyPlan(plan(range(0, 2), 'h2'), writer, runs); // evicts h1
    expect(writer.calls.filter((c) => /^(readMetrics|setEntries|closeRun) h1/.test(c))).to.deep.equal([
      'readMetrics h1',
      'setEntries h1 cost total_usd,priced_calls',
      'setEntries h1 usage input_tokens,output_tokens,total_tokens,calls',
      'closeRun h1',
    ]);
    await runs.closeAll();
    expect(writer.calls.slice(-4)).to.deep.equal([
      'readMetrics h2',
      'setEntries h2 cost total_usd,priced_calls',
      'setEntries h2 usage input_tokens,output_tokens,total_tokens,calls',
      'closeRun h2',
    ]);
    expect(totals(store, 'h1')).to.deep.equal(expected(range(0, 3)));
    expect(totals(store, 'h2')).to.deep.equal(expected(range(0, 2)));
    expect(runs.totals.size).to.equal(0);
  });

  it('the idle close: a run the tick recomputed closes without reading again; one still dirty is recomputed first', async () => {
    const store = new FakeAimStore();
    const clock = new FakeClock();
    const { writer, runs } = bridge(store, clock);
    await applyPlan(plan(range(0, 3)), writer, runs);
    clock.advance(5_000);
    await runs.totals.tick();
    clock.advance(25_001);
    await runs.closeIdle();
    expect(writer.calls.filter((c) => /^(readMetrics|closeRun)/.test(c))).to.deep.equal([`readMetrics ${HASH}`, `closeRun ${HASH}`]);
    expect(totals(store)).to.deep.equal(expected(range(0, 3)));
    // An idle time shorter than the quiet time: the close does the recompute.
    const short = bridge(store, clock, { idleCloseMs: 1_000 });
    await applyPlan(plan(range(0, 4), 'h2'), short.writer, short.runs);
    clock.advance(1_001);
    await short.runs.closeIdle();
    expect(short.writer.calls.filter((c) => /^(readMetrics|closeRun)/.test(c))).to.deep.equal(['readMetrics h2', 'closeRun h2']);
    expect(totals(store, 'h2')).to.deep.equal(expected(range(0, 4)));
  });

  it('a close during a recompute waits for it, then recomputes again if points came meanwhile', async () => {
    const store = new FakeAimStore();
    const clock = new FakeClock();
    const { writer, runs } = bridge(store, clock);
    await applyPlan(plan(range(0, 3)), writer, runs);
    clock.advance(5_000);
    let open: () => void = () => undefined;
    writer.readGate = new Promise<void>((resolve) => (open = resolve));
    const tick = runs.totals.tick(); // reads calls 0–2, answers later
    expect(writer.count('readMetrics')).to.equal(1);
    await applyPlan(plan(range(3, 5)), writer, runs);
    const closing = runs.closeAll();
    await Promise.resolve();
    expect(writer.count('closeRun')).to.equal(0);
    writer.readGate = undefined;
    open();
    await Promise.all([tick, closing]);
    expect(writer.count('readMetrics')).to.equal(2);
    expect(totals(store)).to.deep.equal(expected(range(0, 5)));
    expect(writer.calls.at(-1)).to.equal(`closeRun ${HASH}`);
  });

  it('a failed read is logged and retried after intervalMs; it fails no write, and a close tries once more', async () => {
    const store = new FakeAimStore();
    const clock = new FakeClock();
    const warnings: string[] = [];
    const logger = {
      warn: (line: string) => warnings.push(line),
      error: () => undefined,
      info: () => undefined,
      debug: () => undefined,
      verbose: () => undefined,
    };
    const { writer, runs } = bridge(store, clock, { log: new RateLimitedLog(logger, { intervalMs: 0, now: () => clock.now() }) });
    await applyPlan(plan(range(0, 3)), writer, runs);
    writer.fail('read', new Error('aim server hiccup'));
    clock.advance(5_000);
    await runs.totals.tick();
    expect(totals(store)['cost.total_usd']).to.equal(undefined);
    expect(warnings).to.deep.equal([`recomputing run totals failed: run ${HASH}: Error: aim server hiccup (retried later)`]);
    clock.advance(29_999);
    await runs.totals.tick();
    expect(writer.count('readMetrics'), 'not retried before intervalMs').to.equal(1);
    clock.advance(1);
    await runs.totals.tick();
    expect(writer.count('readMetrics')).to.equal(2);
    expect(totals(store)).to.deep.equal(expected(range(0, 3)));
    // Writes never failed: the plan went through, and later ones do too.
    await applyPlan(plan([3]), writer, runs);
    writer.fail('read', new Error('down again'));
    await runs.closeAll(); // one more try at the close: logged, and the run closes all the same
    expect(writer.count('closeRun')).to.equal(1);
    expect(warnings.at(-1)).to.equal(
      `recomputing run totals failed: run ${HASH}: Error: down again (the run closes with the totals it had: the next writer of the run recomputes them)`,
    );
  });

  it('no totals for plans without usage points, for a writer that cannot read runs back, or after a detach', async () => {
    const store = new FakeAimStore();
    const clock = new FakeClock();
    const { writer, runs } = bridge(store, clock);
    await applyPlan({ ...plan([]), metrics: [{ name: 'loss', value: 1, context: {}, step: 0n, time: 1, spanId: 's' }] }, writer, runs);
    expect(runs.totals.size).to.equal(0);
    const blind = new FakeAimWriter();
    const blindRuns = new OpenRunCache({ clock });
    await applyPlan(plan(range(0, 3)), blind, blindRuns);
    expect(blindRuns.totals.size).to.equal(0);
    await blindRuns.closeAll();
    expect(blind.count('readMetrics')).to.equal(0);
    await applyPlan(plan(range(0, 3), 'h2'), writer, runs);
    expect(runs.totals.size).to.equal(1);
    runs.detachAll();
    expect(runs.totals.size).to.equal(0);
  });

  it('the race it documents: an older read written last leaves the totals short until the next recompute fixes them', async () => {
    const store = new FakeAimStore();
    const clock = new FakeClock();
    const a = bridge(store, clock);
    const b = bridge(store, clock);
    await applyPlan(plan(range(0, 10)), a.writer, a.runs);
    clock.advance(5_000);
    let open: () => void = () => undefined;
    a.writer.readGate = new Promise<void>((resolve) => (open = resolve));
    const aTick = a.runs.totals.tick(); // a reads calls 0–9; its totals are written later
    await applyPlan(plan(range(10, 20)), b.writer, b.runs);
    await b.runs.closeAll(); // b reads all 20 and writes them
    expect(totals(store)).to.deep.equal(expected(range(0, 20)));
    open();
    await aTick; // a's older read lands last
    expect(totals(store)).to.deep.equal(expected(range(0, 10)));
    // Any later write to the run makes a writer dirty again: its recompute reads everything.
    await applyPlan(plan([20]), a.writer, a.runs);
    await a.runs.closeAll();
    expect(totals(store)).to.deep.equal(expected(range(0, 21)));
  });
});

describe('AimSink: run totals through the sink', () => {
  it('the sink’s tick writes a quiet run’s totals while it stays open; shutdown leaves them exact', async () => {
    const store = new FakeAimStore();
    const writer = new FakeAimWriter({ store });
    const sink = new AimSink({ url: 'aim://fake', traceWaterfall: false }, { writer, totals: { quietMs: 0 }, totalsTickMs: 5 });
    expect((await sink.writePlans([plan(range(0, 4))], 4, 1_000)).status).to.equal('written');
    const deadline = Date.now() + 2_000;
    while (store.param(HASH, 'usage.calls') === undefined && Date.now() < deadline) await new Promise((wake) => setTimeout(wake, 2));
    expect(totals(store)).to.deep.equal(expected(range(0, 4)));
    expect(writer.count('closeRun'), 'still open').to.equal(0);
    expect((await sink.writePlans([plan(range(4, 6))], 2, 1_000)).status).to.equal('written');
    await sink.shutdown();
    expect(totals(store)).to.deep.equal(expected(range(0, 6)));
    expect(writer.calls.at(-3)).to.equal(`closeRun ${HASH}`);
  });
});
