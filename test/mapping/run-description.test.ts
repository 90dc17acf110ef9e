import { expect } from 'chai';
import type { RunWritePlan, TraceMark } from '../../src/mapping/aim-plan.js';
import { RunDescription, TRACES_AT_EACH_END, TraceSummary, traceLink } from '../../src/mapping/run-description.js';
import { windowRunKey } from '../../src/mapping/run-key.js';
import { type MappingOptions, planWrites } from '../../src/mapping/to-aim.js';
import type { Attributes, SpanRecord } from '../../src/model/span-record.js';
import { shuffled, testSpan } from '../support/span-record.js';

const START_MS = 1_764_000_000_123; // 2025-11-24T16:00:00.123Z
const START = BigInt(START_MS) * 1_000_000n;
const CHAT: Attributes = { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'm-alpha' };

let nextSpan = 1;
function span(attributes: Attributes, more: Partial<SpanRecord> = {}, resource: Attributes = {}): SpanRecord {
  const spanId = (nextSpan++).toString(16).padStart(16, '0');
  return testSpan(spanId, attributes, {
    traceId: 'aaaaaaaa00000000000000000000000a',
    name: 'chat m-alpha',
    startTimeUnixNano: START,
    endTimeUnixNano: START + 1_000_000_000n,
    origin: { resource: { 'service.name': 'svc', ...resource }, scopeName: 'test' },
    ...more,
  });
}

/** The trace id of trace `n` (32 hex digits, distinct first 8). */
function traceId(n: number): string {
  return `${n.toString(16).padStart(8, '0')}${'0'.repeat(23)}1`;
}

function runs(spans: readonly SpanRecord[], options: MappingOptions = {}): RunWritePlan[] {
  return [...planWrites(spans, options).runs];
}

function only(spans: readonly SpanRecord[], options: MappingOptions = {}): RunWritePlan {
  const all = runs(spans, options);
  expect(all).to.have.length(1);
  return all[0] as RunWritePlan;
}

/** The params of a run plan, by dotted path. */
function plain(run: RunWritePlan): Record<string, unknown> {
  return Object.fromEntries(run.params.map((p) => [p.path.join('.'), p.value]));
}

describe('RunDescription: names that tell runs apart', () => {
  it("a run per trace: the root span name, the UTC start time of the root and the trace id's first 8 hex digits; eleven such runs get eleven names", () => {
    const spans = Array.from({ length: 11 }, (_, i) => span(CHAT, { traceId: traceId(i + 1), startTimeUnixNano: START + BigInt(i) * 61_000_000_000n }));
    const names = runs(spans).map((run) => run.name);
    expect(names[0]).to.equal('chat m-alpha · 16:00:00 · trace 00000001');
    expect(names[10]).to.equal('chat m-alpha · 16:10:10 · trace 0000000b');
    expect(new Set(names).size).to.equal(11);
  });

  it('a conversation run: the agent the root span is, and the conversation id', () => {
    const root = span(
      { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'support', 'gen_ai.conversation.id': 'c-17' },
      { name: 'invoke_agent support' },
    );
    const chat = span({ ...CHAT, 'gen_ai.conversation.id': 'c-17' }, { parentSpanId: root.spanId, startTimeUnixNano: START + 5n });
    expect(only([chat, root]).name).to.equal('support · conversation c-17');
  });

  it("a session run (OpenInference): the AGENT root span's name and the session id", () => {
    const root = span({ 'openinference.span.kind': 'AGENT', 'session.id': 's-4' }, { name: 'AgentExecutor' });
    expect(only([root]).name).to.equal('AgentExecutor · session s-4');
  });

  it("the workflow of the root: gen_ai.workflow.name, OpenLLMetry's workflow span (traceloop.entity.name)", () => {
    const genai = span(
      { 'gen_ai.operation.name': 'invoke_workflow', 'gen_ai.workflow.name': 'triage', 'gen_ai.conversation.id': 'c-1' },
      { name: 'invoke_workflow triage' },
    );
    expect(only([genai]).name).to.equal('triage · conversation c-1');
    const traceloop = span(
      {
        'traceloop.span.kind': 'workflow',
        'traceloop.entity.name': 'joke_generator',
        'traceloop.workflow.name': 'joke_generator',
        'gen_ai.conversation.id': 'c-2',
      },
      { name: 'joke_generator.workflow' },
    );
    expect(only([traceloop]).name).to.equal('joke_generator · conversation c-2');
  });

  it('aim.run_key: the key as it is; copied from the conversation id (as the Collector config does), it is a conversation', () => {
    expect(only([span({ ...CHAT, 'aim.run_key': 'ab-test-7' })]).name).to.equal('chat m-alpha · ab-test-7');
    expect(only([span({ ...CHAT, 'aim.run_key': 'c-9', 'gen_ai.conversation.id': 'c-9' })]).name).to.equal('chat m-alpha · conversation c-9');
  });

  it("a conversation id on the resource counts as the span's", () => {
    const run = only([span(CHAT, {}, { 'gen_ai.conversation.id': 'c-r' })]);
    expect(run.name).to.equal('chat m-alpha · conversation c-r');
    expect(plain(run)['gen_ai.conversation.id']).to.equal('c-r');
  });

  it("under the conversation strategy, spans that follow their trace's key (no attribute in the batch) still name a conversation", () => {
    const memo = new Map([['aaaaaaaa00000000000000000000000a', 'c-5']]);
    const plan = planWrites([span(CHAT)], { runKey: 'conversation' }, { get: (id) => memo.get(id), set: () => undefined });
    expect(plan.runs[0]?.name).to.equal('chat m-alpha · conversation c-5');
  });

  it('aim.run_name wins', () => {
    expect(only([span({ ...CHAT, 'aim.run_name': 'baseline', 'gen_ai.conversation.id': 'c-1' })]).name).to.equal('baseline');
  });

  it('long labels and ids are clipped', () => {
    const name = only([span({ ...CHAT, 'gen_ai.conversation.id': 'c'.repeat(100) }, { name: 'n'.repeat(100) })]).name ?? '';
    expect(name).to.equal(`${'n'.repeat(63)}… · conversation ${'c'.repeat(47)}…`);
  });

  it('a batch without the root span names nothing (children come before their root), but offers a default name for a new run', () => {
    const child = span({ ...CHAT, 'gen_ai.conversation.id': 'c-1' }, { parentSpanId: 'ffffffffffffffff' });
    const run = only([child]);
    expect(run.name).to.equal(undefined);
    expect(run.defaultName).to.equal('chat m-alpha · conversation c-1');
    // A run per trace: no time without the root (its start is not known).
    expect(only([span(CHAT, { parentSpanId: 'ffffffffffffffff' })]).defaultName).to.equal('chat m-alpha · trace aaaaaaaa');
  });

  it("the default name prefers an agent or workflow of the batch (OpenLLMetry propagates the workflow name) to the earliest span's name", () => {
    const task = span(
      { 'traceloop.span.kind': 'task', 'traceloop.workflow.name': 'weather_chat', 'gen_ai.conversation.id': 'c-1' },
      { name: 'plain.task', parentSpanId: 'ffffffffffffffff', startTimeUnixNano: START + 9n },
    );
    const chat = span({ ...CHAT, 'gen_ai.conversation.id': 'c-1' }, { parentSpanId: task.spanId });
    expect(only([chat, task]).defaultName).to.equal('weather_chat · conversation c-1');
    expect(only([chat]).defaultName).to.equal('chat m-alpha · conversation c-1');
  });

  it('a batch with the root names the run and offers no default name; nor does a run aim.run_name names', () => {
    expect(only([span(CHAT)])).to.not.have.property('defaultName');
    expect(only([span({ ...CHAT, 'aim.run_name': 'baseline' }, { parentSpanId: 'ffffffffffffffff' })])).to.not.have.property('defaultName');
  });

  it('neither the default name nor the traces are params', () => {
    const run = only([span({ ...CHAT, 'gen_ai.conversation.id': 'c-1' }, { parentSpanId: 'ffffffffffffffff' })]);
    expect(run.params.map((p) => p.path.join('.')))
      .to.include('gen_ai.conversation.id')
      .and.not.include.members(['', 'otel.traces']);
    expect(run.defaultName).to.be.a('string');
    expect(run.traces?.marks).to.have.length(1);
  });

  it('the same spans in any order give the same name and params (replays)', () => {
    const root = span({ 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'a', 'gen_ai.conversation.id': 'c' }, { name: 'root-1' });
    const root2 = span(
      { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'b', 'gen_ai.conversation.id': 'c' },
      { traceId: traceId(2), name: 'root-2', startTimeUnixNano: START + 1_000n },
    );
    const chat = span({ ...CHAT, 'gen_ai.conversation.id': 'c', 'user.id': 'u-1' }, { parentSpanId: root.spanId, startTimeUnixNano: START + 10n });
    const forward = only([root, chat, root2]);
    const backward = only([root2, chat, root]);
    expect(forward.name).to.equal('a · conversation c'); // the earliest root of the batch
    expect(backward.name).to.equal(forward.name);
    expect(backward.params).to.deep.equal(forward.params);
    expect(backward.traces).to.deep.equal(forward.traces);
  });

  it('a window run (unkeyed root-level model calls): service, model and window, from the key alone', () => {
    const options: MappingOptions = { unkeyed: { grouping: 'window' } };
    const calls = [
      span(CHAT, { traceId: traceId(1) }, { 'deployment.environment.name': 'prod' }),
      span(CHAT, { traceId: traceId(2), startTimeUnixNano: START + 60_000_000_000n }, { 'deployment.environment.name': 'prod' }),
    ];
    const run = only(calls, options);
    expect(run.key).to.equal(windowRunKey(calls[0] as SpanRecord, { provider: 'openai', model: 'm-alpha' }));
    expect(run.name).to.equal('svc (prod) · openai/m-alpha · 2025-11-24 16:00 UTC, 1h');
    expect(run.traces?.marks.map((t) => t.traceId)).to.deep.equal([traceId(1), traceId(2)]);
    expect(run).to.not.have.property('defaultName');
    const quarter = new RunDescription(windowRunKey(calls[0] as SpanRecord, { provider: undefined, model: 'm' }, 15 * 60_000), {});
    expect(quarter.name()).to.equal('svc (prod) · m · 2025-11-24 16:00 UTC, 15m');
  });

  it('the explicit layout (AimCallbackHandler) describes nothing: no name, no params from here', () => {
    const run = only([span({ 'aim.run_key': 'k', 'aim.params': '{"a":1}', 'gen_ai.conversation.id': 'c' })], { layout: 'explicit' });
    expect(run.name).to.equal(undefined);
    expect(run.params.map((p) => p.path.join('.'))).to.deep.equal(['a']);
    expect(run).to.not.have.property('defaultName');
    expect(run).to.not.have.property('traces');
  });
});

describe('RunDescription: ids as params Aim queries reach', () => {
  it('conversation, session and user ids from span attributes, else the resource, as strings', () => {
    const run = only([span({ ...CHAT, 'gen_ai.conversation.id': 'c-1', 'session.id': 's-1', 'user.id': 42 })]);
    expect(plain(run)).to.deep.include({ 'gen_ai.conversation.id': 'c-1', 'session.id': 's-1', 'user.id': '42' });
    const fromResource = only([span(CHAT, {}, { 'enduser.id': 'ada' })]);
    expect(plain(fromResource)).to.deep.include({ 'user.id': 'ada' });
    expect(Object.keys(plain(fromResource))).to.not.include.members(['gen_ai.conversation.id', 'session.id']);
  });

  it('OpenLLMetry association properties and Langfuse attributes', () => {
    const run = only([span({ ...CHAT, 'traceloop.association.properties.session_id': 's-t', 'traceloop.association.properties.user_id': 'u-t' })]);
    expect(plain(run)).to.deep.include({ 'session.id': 's-t', 'user.id': 'u-t' });
    expect(plain(only([span({ ...CHAT, 'langfuse.session.id': 's-l', 'langfuse.user.id': 'u-l' })]))).to.deep.include({
      'session.id': 's-l',
      'user.id': 'u-l',
    });
  });

  it('the first span of the batch that carries an id gives it; a span without ids adds none', () => {
    const run = only([span(CHAT), span({ ...CHAT, 'user.id': 'u-1' }), span({ ...CHAT, 'user.id': 'u-2' })]);
    expect(plain(run)['user.id']).to.equal('u-1');
  });
});

describe("RunDescription: the batch's traces, for the bounded otel.traces", () => {
  it("the plan's traces: every trace of the run once, at the start of its earliest span seen (ms), in id order; no otel.trace_ids.<id> or otel.traces param", () => {
    const spans = [
      span({ ...CHAT, 'gen_ai.conversation.id': 'c' }, { traceId: traceId(2), startTimeUnixNano: START + 7_000_000n }),
      span({ ...CHAT, 'gen_ai.conversation.id': 'c' }, { traceId: traceId(1), startTimeUnixNano: START + 3_000_000n }),
      span({ ...CHAT, 'gen_ai.conversation.id': 'c' }, { traceId: traceId(2), startTimeUnixNano: START + 2_000_000n }),
    ];
    const run = only(spans);
    expect(run.traces).to.deep.equal({
      marks: [
        { traceId: traceId(1), startMs: START_MS + 3 },
        { traceId: traceId(2), startMs: START_MS + 2 },
      ],
    });
    expect(run.params.filter((p) => p.path[0] === 'otel' && p.path[1] !== 'resource')).to.deep.equal([]);
  });

  it('carries the link template when one is configured', () => {
    const link = 'http://localhost:16686/trace/{trace_id}';
    expect(only([span(CHAT)], { traceLink: link }).traces?.link).to.equal(link);
    expect(only([span(CHAT)], { traceLink: '' }).traces).to.not.have.property('link');
  });
});

/** `count` traces, trace i starting i seconds after START. */
function marks(from: number, to: number): TraceMark[] {
  return Array.from({ length: to - from }, (_, i) => ({ traceId: traceId(from + i), startMs: START_MS + (from + i) * 1_000 }));
}

interface SummaryParam {
  count: bigint;
  first: { trace_id: string; start: string }[];
  last: { trace_id: string; start: string }[];
  link?: string;
}

function param(summary: TraceSummary, link?: string): SummaryParam {
  return summary.toParam(link) as unknown as SummaryParam;
}

const ids = (entries: { trace_id: string }[]): string[] => entries.map((e) => e.trace_id);

describe('TraceSummary: otel.traces, bounded and idempotent', () => {
  it('the layout: count (an Aim int), the 3 earliest and 3 latest traces with ISO start times (last leaves out what first lists), the link to the latest', () => {
    const one = new TraceSummary();
    one.merge(marks(1, 2));
    expect(one.toParam('http://j/trace/{trace_id}')).to.deep.equal({
      count: 1n,
      first: [{ trace_id: traceId(1), start: '2025-11-24T16:00:01.123Z' }],
      last: [],
      link: `http://j/trace/${traceId(1)}`,
    });
    const four = new TraceSummary();
    four.merge(marks(1, 5));
    expect([ids(param(four).first), ids(param(four).last)]).to.deep.equal([[traceId(1), traceId(2), traceId(3)], [traceId(4)]]);
    const seven = new TraceSummary();
    seven.merge(marks(1, 8));
    expect([ids(param(seven).first), ids(param(seven).last)]).to.deep.equal([
      [traceId(1), traceId(2), traceId(3)],
      [traceId(5), traceId(6), traceId(7)],
    ]);
    expect(param(seven)).to.not.have.property('link');
  });

  it('50 traces in batches of any composition and order, replayed: count 50, the first and last three by start time, bounded', () => {
    const all = marks(1, 51);
    const batches: TraceMark[][] = [];
    for (let i = 0; i < all.length; i += 7) batches.push(all.slice(i, i + 7));
    const replays = [batches[0], batches[3], batches[0], batches[batches.length - 1]] as TraceMark[][];
    for (const seed of [1, 2, 3, 4, 5]) {
      const summary = new TraceSummary();
      for (const batch of shuffled([...batches, ...replays], seed)) summary.merge(shuffled(batch, seed));
      const got = param(summary, 'http://j/{trace_id}');
      expect(got.count, `seed ${String(seed)}`).to.equal(50n);
      expect(ids(got.first)).to.deep.equal([traceId(1), traceId(2), traceId(3)]);
      expect(ids(got.last)).to.deep.equal([traceId(48), traceId(49), traceId(50)]);
      expect(got.link).to.equal(`http://j/${traceId(50)}`);
      expect(JSON.stringify(got, (_, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)).length).to.be.below(1_000);
    }
  });

  it('an old trace replayed after newer ones neither grows the count nor moves into last', () => {
    const summary = new TraceSummary();
    summary.merge(marks(1, 11));
    const before = param(summary);
    summary.merge(marks(2, 3));
    summary.merge(marks(5, 6));
    expect(param(summary)).to.deep.equal(before);
  });

  it('a trace seen again with an earlier start (its root came later) moves there, counted once', () => {
    const summary = new TraceSummary();
    summary.merge(marks(1, 6));
    summary.merge([{ traceId: traceId(5), startMs: START_MS }]);
    const got = param(summary);
    expect(got.count).to.equal(5n);
    expect(ids(got.first)).to.deep.equal([traceId(5), traceId(1), traceId(2)]);
  });

  it("read back from the stored param (as Aim's client decodes it: Maps): merging goes on; the listed traces are known, others count again after a restart (best effort)", () => {
    const summary = new TraceSummary();
    summary.merge(marks(1, 21));
    const stored = toAimMaps(summary.toParam());
    const back = TraceSummary.fromParam(stored);
    expect(param(back)).to.deep.equal(param(summary));
    back.merge(marks(18, 23)); // 18, 19, 20 listed in last: known; 21, 22 new
    expect(param(back).count).to.equal(22n);
    expect(ids(param(back).last)).to.deep.equal([traceId(20), traceId(21), traceId(22)]);
    back.merge(marks(10, 11)); // not listed: counted again
    expect(param(back).count).to.equal(23n);
  });

  it('a stored value that is not a summary reads as an empty one', () => {
    for (const stored of [undefined, null, 'x', 3n, new Map([['count', 'many']])]) expect(param(TraceSummary.fromParam(stored)).count).to.equal(0n);
  });

  it('remembers at most maxCounted trace ids (the oldest forgotten); first and last stay bounded', () => {
    const summary = new TraceSummary(5);
    summary.merge(marks(1, 101));
    expect(summary.remembered).to.equal(5);
    expect(summary.traceCount).to.equal(100);
    expect(param(summary).first).to.have.length(TRACES_AT_EACH_END);
    expect(param(summary).last).to.have.length(TRACES_AT_EACH_END);
  });

  it('traceLink fills every {trace_id}', () => {
    expect(traceLink('http://h/trace/{trace_id}?x={trace_id}', 'abc')).to.equal('http://h/trace/abc?x=abc');
  });
});

/** A plain value as Aim's client decodes it: dicts as Maps. */
function toAimMaps(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toAimMaps);
  if (value !== null && typeof value === 'object') return new Map(Object.entries(value).map(([k, v]) => [k, toAimMaps(v)]));
  return value;
}
