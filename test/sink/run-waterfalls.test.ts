import { expect } from 'chai';
import type { RunWritePlan, WaterfallSpan } from '../../src/mapping/aim-plan.js';
import { runHash } from '../../src/mapping/run-key.js';
import { TRACE_WATERFALL_SEQUENCE, buildTraceWaterfall } from '../../src/mapping/trace-waterfall.js';
import type { Attributes, SpanRecord } from '../../src/model/span-record.js';
import { AimSink, type AimSinkOptions } from '../../src/sink/aim-sink.js';
import { OpenRunCache } from '../../src/sink/open-runs.js';
import { applyPlan } from '../../src/sink/plan-applier.js';
import { RunWaterfalls } from '../../src/sink/run-waterfalls.js';
import { FakeClock } from './fake-clock.js';
import { FakeFigureWriter } from './fake-figure-writer.js';

const T0 = 1_764_000_000_000_000_000n;
const MS = 1_000_000n;
const TRACE = 'a'.repeat(32);

function ws(spanId: string, start: number, end: number, more: Partial<WaterfallSpan> = {}): WaterfallSpan {
  return { traceId: TRACE, spanId, name: `span ${spanId}`, startNs: T0 + BigInt(start) * MS, endNs: T0 + BigInt(end) * MS, operation: 'chat', ...more };
}

function plan(hash: string, waterfall: readonly WaterfallSpan[]): RunWritePlan {
  return {
    key: hash,
    hash,
    tags: [],
    params: [],
    metrics: [{ name: 'tokens', context: {}, step: 1n, time: 1, spanId: '01', value: 1n }],
    texts: [],
    spanCount: waterfall.length,
    waterfall,
  };
}

const A1 = ws('0000000000000001', 0, 100, { operation: 'invoke_agent' });
const A2 = ws('0000000000000002', 10, 40, { parentSpanId: '0000000000000001' });
const A3 = ws('0000000000000003', 50, 90, { parentSpanId: '0000000000000001', operation: 'execute_tool' });

/** A fake figure writer, a fake clock, the waterfalls with `options` and the open runs on that clock. */
function setup(options: ConstructorParameters<typeof RunWaterfalls>[0] = {}) {
  const writer = new FakeFigureWriter();
  const clock = new FakeClock();
  return { writer, clock, waterfalls: new RunWaterfalls(options, clock), runs: new OpenRunCache({ clock }) };
}

describe('RunWaterfalls with the plan applier: when a run’s waterfall figure is written', () => {
  it('after the plan’s points, under otel.trace_waterfall, context {}, at the builder’s step and time; the same plan again writes nothing', async () => {
    const { writer, clock, waterfalls, runs } = setup();
    await applyPlan(plan('h1', [A1, A2]), writer, runs, waterfalls);
    expect(writer.calls).to.deep.equal(['createRun h1', 'track h1 tokens', `trackFigure h1 ${TRACE_WATERFALL_SEQUENCE}`]);
    const expected = buildTraceWaterfall([A1, A2]);
    expect(writer.figures).to.deep.equal([
      { hash: 'h1', name: TRACE_WATERFALL_SEQUENCE, step: expected?.step, time: expected?.time, context: {}, json: JSON.stringify(expected?.figure) },
    ]);
    clock.advance(60_000);
    await applyPlan(plan('h1', [A2, A1]), writer, runs, waterfalls);
    expect(writer.figures).to.have.length(1);
    expect(waterfalls.dueTicks(true)).to.deep.equal([]);
  });

  it('changes within the interval wait; once due, a write-only plan writes the figure without opening a run; one such plan per run at a time', async () => {
    const { writer, clock, waterfalls, runs } = setup({ intervalMs: 5_000 });
    await applyPlan(plan('h1', [A1]), writer, runs, waterfalls);
    clock.advance(1_000);
    await applyPlan(plan('h1', [A2]), writer, runs, waterfalls);
    expect(writer.figures).to.have.length(1);
    expect(waterfalls.dueTicks()).to.deep.equal([]);
    clock.advance(4_000);
    const ticks = waterfalls.dueTicks();
    expect(ticks.map((tick) => tick.hash)).to.deep.equal(['h1']);
    expect(waterfalls.isTick(ticks[0] as RunWritePlan)).to.equal(true);
    expect(waterfalls.dueTicks(true)).to.deep.equal([]); // one queued already
    writer.calls.length = 0;
    await applyPlan(ticks[0] as RunWritePlan, writer, runs, waterfalls);
    waterfalls.ticked(ticks);
    expect(writer.calls).to.deep.equal([`trackFigure h1 ${TRACE_WATERFALL_SEQUENCE}`]);
    expect(writer.figures[1]?.json).to.equal(JSON.stringify(buildTraceWaterfall([A1, A2])?.figure));
    expect(waterfalls.dueTicks(true)).to.deep.equal([]); // nothing held back
    // force: whatever the interval.
    await applyPlan(plan('h1', [A3]), writer, runs, waterfalls);
    expect(writer.figures).to.have.length(2);
    const forced = waterfalls.dueTicks(true);
    expect(forced).to.have.length(1);
    await applyPlan(forced[0] as RunWritePlan, writer, runs, waterfalls);
    expect(writer.figures).to.have.length(3);
  });

  it('a run that closes writes what it held back first; a closed run’s write-only plan writes nothing and opens nothing', async () => {
    const { writer, clock, waterfalls, runs } = setup();
    await applyPlan(plan('h1', [A1]), writer, runs, waterfalls);
    await applyPlan(plan('h1', [A2]), writer, runs, waterfalls);
    clock.advance(10_000);
    const stale = waterfalls.dueTicks();
    writer.calls.length = 0;
    await runs.closeAll();
    expect(writer.calls).to.deep.equal([`trackFigure h1 ${TRACE_WATERFALL_SEQUENCE}`, 'closeRun h1']);
    expect(writer.figures.map((figure) => figure.json)).to.deep.equal([
      JSON.stringify(buildTraceWaterfall([A1])?.figure),
      JSON.stringify(buildTraceWaterfall([A1, A2])?.figure),
    ]);
    writer.calls.length = 0;
    await applyPlan(stale[0] as RunWritePlan, writer, runs, waterfalls);
    expect(writer.calls).to.deep.equal([]);
    // A run closing with nothing held back just closes.
    await applyPlan(plan('h1', [A1, A2]), writer, runs, waterfalls);
    writer.calls.length = 0;
    await runs.closeAll();
    expect(writer.calls).to.deep.equal(['closeRun h1']);
  });

  it('a figure write failing at close does not keep the run from closing', async () => {
    const { writer, waterfalls, runs } = setup();
    await applyPlan(plan('h1', [A1]), writer, runs, waterfalls);
    await applyPlan(plan('h1', [A2]), writer, runs, waterfalls);
    writer.failRun('h1', new Error('boom'));
    writer.calls.length = 0;
    await runs.closeAll();
    expect(writer.calls).to.deep.equal([`trackFigure h1 ${TRACE_WATERFALL_SEQUENCE}`, 'closeRun h1']);
  });

  it('a detached run (its writes may be lost) writes its figure again with its next plan: the same JSON at the same step', async () => {
    const { writer, waterfalls, runs } = setup();
    await applyPlan(plan('h1', [A1, A2]), writer, runs, waterfalls);
    runs.detachAll();
    expect(waterfalls.dueTicks(true)).to.deep.equal([]);
    await applyPlan(plan('h1', [A1, A2]), writer, runs, waterfalls); // the batch, retried
    expect(writer.count('createRun')).to.equal(2);
    expect(writer.figures).to.have.length(2);
    expect(writer.figures[1]).to.deep.equal(writer.figures[0]);
  });

  it('remembers the bounds’ spans per run (cut noted) and a bounded total, forgetting the least recently used runs; a forgotten run starts over below the fuller figure', async () => {
    const { writer, clock, waterfalls, runs } = setup({ maxTraces: 2, maxSpans: 3, maxRememberedSpans: 4 });
    const traces = ['1', '2', '3'].map((t) => t.repeat(32)) as [string, string, string];
    // Three traces of one span: the oldest is forgotten at once, the figure says spans were left out.
    await applyPlan(
      plan(
        'h1',
        traces.map((traceId, i) => ws(`000000000000000${String(i)}`, i * 100, i * 100 + 50, { traceId })),
      ),
      writer,
      runs,
      waterfalls,
    );
    expect([waterfalls.size, waterfalls.spans]).to.deep.equal([1, 2]);
    const first = JSON.parse(writer.figures[0]?.json ?? '{}') as { layout: { title: { text: string } } };
    expect(first.layout.title.text).to.equal('Trace waterfall: 2 traces, 2 spans (older traces and spans left out: the last 2 traces, 3 spans at most)');
    // A replay of the forgotten trace's span changes nothing (it is left out again).
    clock.advance(10_000);
    await applyPlan(plan('h1', [ws('0000000000000000', 0, 50, { traceId: traces[0] })]), writer, runs, waterfalls);
    expect(writer.figures).to.have.length(1);
    // Run h2 takes the total past 4: h1, used least recently, is forgotten.
    await applyPlan(plan('h2', [A1, A2, A3]), writer, runs, waterfalls);
    expect([waterfalls.size, waterfalls.spans]).to.deep.equal([1, 3]);
    // h1 starts over with what comes next: a figure of fewer spans with the same latest end lands before the fuller one.
    const latest = ws('0000000000000002', 200, 250, { traceId: traces[2] });
    await applyPlan(plan('h1', [latest]), writer, runs, waterfalls);
    const [fuller, h2, poorer] = writer.figures;
    expect(h2?.hash).to.equal('h2');
    expect(poorer?.hash).to.equal('h1');
    expect(BigInt(poorer?.step ?? 0) < BigInt(fuller?.step ?? 0)).to.equal(true);
    expect(poorer?.time).to.equal(fuller?.time);
  });
});

const CONVERSATION = 'conv-waterfall';
const RUN = runHash(CONVERSATION);

function span(spanId: string, attributes: Attributes, more: Partial<SpanRecord> = {}): SpanRecord {
  return {
    traceId: TRACE,
    spanId,
    name: `span ${spanId}`,
    kind: 'internal',
    startTimeUnixNano: T0,
    endTimeUnixNano: T0 + 100n * MS,
    attributes: { 'gen_ai.conversation.id': CONVERSATION, ...attributes },
    events: [],
    links: [],
    status: { code: 'unset' },
    origin: { resource: { 'service.name': 'svc' }, scopeName: 'test' },
    ...more,
  };
}

const AGENT = span('0000000000000001', { 'gen_ai.operation.name': 'invoke_agent' }, { name: 'invoke_agent calc' });
const CHAT = span(
  '0000000000000002',
  { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'm' },
  { name: 'chat m', parentSpanId: '0000000000000001', startTimeUnixNano: T0 + 10n * MS, endTimeUnixNano: T0 + 40n * MS },
);
const TOOL = span(
  '0000000000000003',
  { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'add' },
  { name: 'execute_tool add', parentSpanId: '0000000000000001', startTimeUnixNano: T0 + 50n * MS, endTimeUnixNano: T0 + 90n * MS },
);

describe('AimSink: trace waterfalls of the runs it writes', () => {
  const sinks: AimSink[] = [];
  function sinkWith(writer: FakeFigureWriter, clock: FakeClock, options: Partial<AimSinkOptions> = {}, waterfallTickMs = 60_000): AimSink {
    const sink = new AimSink({ url: 'aim://fake', ...options }, { writer, clock, waterfallTickMs, flushGraceMs: 20 });
    sinks.push(sink);
    return sink;
  }
  afterEach(async () => {
    await Promise.all(sinks.splice(0).map((sink) => sink.shutdown()));
  });

  it('on by default: one figure per run and batch, after the run’s points; a replayed batch writes none', async () => {
    const writer = new FakeFigureWriter();
    const sink = sinkWith(writer, new FakeClock());
    expect(await sink.write([AGENT, CHAT, TOOL], 1_000)).to.deep.equal({ status: 'written' });
    expect(writer.figures.map((figure) => [figure.hash, figure.name])).to.deep.equal([[RUN, TRACE_WATERFALL_SEQUENCE]]);
    const trackCalls = writer.calls.filter((call) => call.startsWith('track'));
    expect(trackCalls.at(-1)).to.equal(`trackFigure ${RUN} ${TRACE_WATERFALL_SEQUENCE}`);
    const figure = JSON.parse(writer.figures[0]?.json ?? '{}') as { data: { name: string; customdata: string[][] }[] };
    expect(figure.data.map((bar) => [bar.name, bar.customdata.map((ids) => ids[1])])).to.deep.equal([
      ['chat', ['0000000000000002']],
      ['execute_tool', ['0000000000000003']],
      ['invoke_agent', ['0000000000000001']],
    ]);
    expect(await sink.write([AGENT, CHAT, TOOL], 1_000)).to.deep.equal({ status: 'written' });
    await sink.forceFlush();
    expect(writer.figures).to.have.length(1);
  });

  it('throttled per run: a change within the interval is written by the sink’s tick once due, by forceFlush at once, and at shutdown', async () => {
    const writer = new FakeFigureWriter();
    const clock = new FakeClock();
    const sink = sinkWith(writer, clock, { traceWaterfall: { intervalMs: 5_000 } }, 5);
    await sink.write([AGENT], 1_000);
    await sink.write([CHAT], 1_000);
    expect(writer.figures).to.have.length(1);
    await new Promise((wake) => setTimeout(wake, 30)); // ticks: not due yet
    expect(writer.figures).to.have.length(1);
    clock.advance(5_000);
    const deadline = Date.now() + 2_000;
    while (writer.figures.length < 2 && Date.now() < deadline) await new Promise((wake) => setTimeout(wake, 5));
    expect(writer.figures).to.have.length(2);
    await sink.write([TOOL], 1_000);
    expect(writer.figures).to.have.length(2);
    await sink.forceFlush();
    expect(writer.figures).to.have.length(3);
    expect(writer.figures[2]?.json).to.contain('0000000000000003');
    // Held back at shutdown: written before the run closes.
    const late = span(
      '0000000000000004',
      { 'gen_ai.operation.name': 'chat' },
      { parentSpanId: '0000000000000001', startTimeUnixNano: T0 + 95n * MS, endTimeUnixNano: T0 + 99n * MS },
    );
    await sink.write([late], 1_000);
    expect(writer.figures).to.have.length(3);
    await sink.shutdown();
    expect(writer.figures).to.have.length(4);
    expect(writer.calls.slice(-4)).to.deep.equal([`trackFigure ${RUN} ${TRACE_WATERFALL_SEQUENCE}`, `closeRun ${RUN}`, 'close', 'closed']);
  });

  it('traceWaterfall: false writes no figure; the explicit layout writes none either', async () => {
    const off = new FakeFigureWriter();
    const sink = sinkWith(off, new FakeClock(), { traceWaterfall: false });
    await sink.write([AGENT, CHAT, TOOL], 1_000);
    await sink.shutdown();
    expect(off.figures).to.deep.equal([]);
    expect(off.calls).to.include(`track ${RUN} gen_ai.client.operation.duration`).and.not.include(`trackFigure ${RUN} ${TRACE_WATERFALL_SEQUENCE}`);
    const explicit = new FakeFigureWriter();
    const other = sinkWith(explicit, new FakeClock(), { layout: 'explicit' });
    await other.write([{ ...AGENT, attributes: { ...AGENT.attributes, 'aim.run_key': 'k' } }], 1_000);
    await other.shutdown();
    expect(explicit.figures).to.deep.equal([]);
  });
});
