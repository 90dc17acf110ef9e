import { type Attributes, type Context, type Tracer, context, trace } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { expect } from 'chai';
import { AimSpanExporter } from '../../src/exporter/aim-span-exporter.js';
import { runHash } from '../../src/mapping/run-key.js';
import { createReceiver } from '../../src/receiver/index.js';
import { type AimServer, startAimServer } from '../peers/aim.js';
import { postOtlpJson } from '../peers/otlp-fixture.js';
import { type OracleRun, queryAimRuns, readAimRepo, readAimRun } from '../peers/oracle.js';

/** 2025-11-24T16:00:00Z: trace n starts n seconds later. */
const BASE_MS = Date.UTC(2025, 10, 24, 16, 0, 0);
const LINK = 'http://localhost:16686/trace/{trace_id}';
const CHAT = { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'fake', 'gen_ai.request.model': 'm-alpha' };

/** Records spans with explicit times (so names and trace order are known) and hands them out by trace. */
class Recorder {
  private readonly memory = new InMemorySpanExporter();
  private readonly tracer: Tracer;

  constructor() {
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'support-bot' }),
      spanProcessors: [new SimpleSpanProcessor(this.memory)],
    });
    this.tracer = provider.getTracer('findable-runs');
  }

  /** One trace starting `second` s after BASE_MS: a root span with children (each 100 ms later); returns [children, root]. */
  turn(second: number, root: { name: string; attributes: Attributes }, children: { name: string; attributes: Attributes }[]): [ReadableSpan[], ReadableSpan] {
    const start = BASE_MS + second * 1_000;
    const rootSpan = this.tracer.startSpan(root.name, { attributes: root.attributes, startTime: start }, context.active());
    const parent: Context = trace.setSpan(context.active(), rootSpan);
    children.forEach((child, i) => {
      this.tracer.startSpan(child.name, { attributes: child.attributes, startTime: start + 100 * (i + 1) }, parent).end(start + 100 * (i + 1) + 50);
    });
    rootSpan.end(start + 900);
    const spans = this.memory.getFinishedSpans();
    this.memory.reset();
    const rootRecord = spans.find((s) => s.parentSpanContext === undefined);
    if (!rootRecord) throw new Error('no root');
    return [spans.filter((s) => s !== rootRecord), rootRecord];
  }
}

function exportNow(exporter: AimSpanExporter, spans: readonly ReadableSpan[]): Promise<void> {
  return new Promise((resolve, reject) => {
    exporter.export([...spans], (result) => {
      if (result.code === ExportResultCode.SUCCESS) resolve();
      else reject(result.error ?? new Error('export failed'));
    });
  });
}

interface Traces {
  count: number;
  first: { trace_id: string; start: string }[];
  last: { trace_id: string; start: string }[];
  link?: string;
}

describe("findable runs: names, id params and the bounded trace link, read back and queried by Aim's SDK", function () {
  this.timeout(240_000);
  let server: AimServer;
  before(async () => {
    server = await startAimServer();
  });
  after(async () => {
    await server.process.stop();
  });

  it('two conversations, a session, runs per trace and a 50-trace conversation: distinct readable names, queryable ids, otel.traces bounded', async () => {
    const rec = new Recorder();
    const agent = (name: string, more: Attributes): { name: string; attributes: Attributes } => ({
      name: `invoke_agent ${name}`,
      attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': name, ...more },
    });
    const chat = (more: Attributes): { name: string; attributes: Attributes } => ({ name: 'chat m-alpha', attributes: { ...CHAT, ...more } });

    // Conversation c-1 (user u-ada): turn 1 whole; turn 2 children, then its root; turn 3's children only (its root not ended yet).
    const c1 = { 'gen_ai.conversation.id': 'c-1', 'user.id': 'u-ada' };
    const [c1t1, c1t1root] = rec.turn(1, agent('support', c1), [chat(c1)]);
    const [c1t2, c1t2root] = rec.turn(2, agent('support', c1), [chat(c1)]);
    const [c1t3] = rec.turn(3, agent('support', c1), [
      chat(c1),
      { name: 'execute_tool lookup', attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'lookup', ...c1 } },
    ]);
    // Conversation c-2, its user named as OpenLLMetry names it.
    const c2 = { 'gen_ai.conversation.id': 'c-2', 'traceloop.association.properties.user_id': 'u-bob' };
    const [c2t1, c2t1root] = rec.turn(4, agent('billing', c2), [chat(c2)]);
    // Session s-7 (OpenInference): an AGENT root span.
    const s7 = { 'session.id': 's-7', 'user.id': 'u-ada' };
    const [s7t1, s7t1root] = rec.turn(5, { name: 'AgentExecutor', attributes: { 'openinference.span.kind': 'AGENT', ...s7 } }, [
      { name: 'ChatCompletion', attributes: { 'openinference.span.kind': 'LLM', 'llm.model_name': 'm-alpha', ...s7 } },
    ]);
    // Two runs per trace, both rooted at a chat span of the same name (what used to be "eleven runs all called chat m-alpha").
    const [, solo1] = rec.turn(6, chat({}), []);
    const [, solo2] = rec.turn(7, chat({}), []);
    // Conversation c-3 under an HTTP server span (not a GenAI span: not mapped): no GenAI root, ever.
    const [c3t1, c3root] = rec.turn(8, { name: 'POST /chat', attributes: { 'http.request.method': 'POST' } }, [chat({ 'gen_ai.conversation.id': 'c-3' })]);
    // Conversation c-long: 50 traces, each a root-level chat call.
    const long = Array.from({ length: 50 }, (_, i) => rec.turn(100 + i, chat({ 'gen_ai.conversation.id': 'c-long' }), [])[1]);
    const longBatches: ReadableSpan[][] = [];
    for (let i = 0; i < long.length; i += 7) longBatches.push(long.slice(i, i + 7));

    const first = new AimSpanExporter({ url: server.url, traceLink: LINK });
    for (const batch of [[...c1t1, c1t1root], c1t2, [c1t2root], c1t3, [...c2t1, c2t1root], [...s7t1, s7t1root], [solo1], [solo2], [...c3t1, c3root]])
      await exportNow(first, batch);
    // c-long: traces 0–27 in batches of 7, children-first order does not apply (roots only); batch 0 and 2 replayed.
    for (const batch of [longBatches[0], longBatches[1], longBatches[2], longBatches[0], longBatches[3], longBatches[2]])
      await exportNow(first, batch as ReadableSpan[]);
    await first.shutdown();
    // A restarted bridge: it reads the stored summary back when it opens c-long again; its own batch replayed.
    const second = new AimSpanExporter({ url: server.url, traceLink: LINK });
    for (const batch of [...longBatches.slice(4), longBatches[5]]) await exportNow(second, batch as ReadableSpan[]);
    await second.shutdown();

    const hash = (key: string): string => runHash(key);
    const soloHash = (span: ReadableSpan): string => runHash(span.spanContext().traceId);
    const report = await readAimRepo(server.repoDir);
    const byHash = new Map(report.runs.map((run) => [run.hash, run]));
    const runOf = (h: string): OracleRun => {
      const run = byHash.get(h);
      if (!run) throw new Error(`no run ${h}`);
      return run;
    };

    // Names: distinct and readable; children-only batches (c-1's turn 3) did not rename c-1.
    const soloName = (span: ReadableSpan, time: string): string => `chat m-alpha · ${time} · trace ${span.spanContext().traceId.slice(0, 8)}`;
    const expected: [string, string][] = [
      [hash('c-1'), 'support · conversation c-1'],
      [hash('c-2'), 'billing · conversation c-2'],
      [hash('s-7'), 'AgentExecutor · session s-7'],
      [soloHash(solo1), soloName(solo1, '16:00:06')],
      [soloHash(solo2), soloName(solo2, '16:00:07')],
      [hash('c-3'), 'chat m-alpha · conversation c-3'],
      [hash('c-long'), 'chat m-alpha · conversation c-long'],
    ];
    expect(expected.map(([h]) => [h, runOf(h).name])).to.deep.equal(expected);
    expect(new Set(report.runs.map((run) => run.name)).size).to.equal(report.runs.length);

    // Params: the ids, where present.
    const ids = (h: string): unknown[] => {
      const params = runOf(h).params as { gen_ai?: { conversation?: { id?: string } }; session?: { id?: string }; user?: { id?: string } };
      return [params.gen_ai?.conversation?.id, params.session?.id, params.user?.id];
    };
    expect(ids(hash('c-1'))).to.deep.equal(['c-1', undefined, 'u-ada']);
    expect(ids(hash('c-2'))).to.deep.equal(['c-2', undefined, 'u-bob']);
    expect(ids(hash('s-7'))).to.deep.equal([undefined, 's-7', 'u-ada']);
    expect(ids(soloHash(solo1))).to.deep.equal([undefined, undefined, undefined]);
    for (const run of report.runs) expect(run.params['otel'], run.name ?? run.hash).to.have.all.keys('resource', 'traces');

    // Aim's query language finds each run by its ids, and by its trace count.
    const queries = await queryAimRuns(server.repoDir, [
      'run.gen_ai.conversation.id == "c-1"',
      'run.gen_ai.conversation.id == "c-2"',
      'run.session.id == "s-7"',
      'run.user.id == "u-ada"',
      'run.user.id == "u-bob"',
      'run.otel.traces.count == 50',
      'run.otel.traces.count == 3 and run.gen_ai.conversation.id == "c-1"',
    ]);
    expect(queries).to.deep.equal({
      'run.gen_ai.conversation.id == "c-1"': [hash('c-1')],
      'run.gen_ai.conversation.id == "c-2"': [hash('c-2')],
      'run.session.id == "s-7"': [hash('s-7')],
      'run.user.id == "u-ada"': [hash('c-1'), hash('s-7')].sort(),
      'run.user.id == "u-bob"': [hash('c-2')],
      'run.otel.traces.count == 50': [hash('c-long')],
      'run.otel.traces.count == 3 and run.gen_ai.conversation.id == "c-1"': [hash('c-1')],
    });

    // The 50-trace run: count 50 across replays and a restart, the first and last three, the link to the latest.
    const traces = runOf(hash('c-long')).params['otel'] as unknown as { traces: Traces };
    const id = (i: number): string => (long[i] as ReadableSpan).spanContext().traceId;
    const at = (i: number): string => new Date(BASE_MS + (100 + i) * 1_000).toISOString();
    expect(traces.traces).to.deep.equal({
      count: 50,
      first: [0, 1, 2].map((i) => ({ trace_id: id(i), start: at(i) })),
      last: [47, 48, 49].map((i) => ({ trace_id: id(i), start: at(i) })),
      link: `http://localhost:16686/trace/${id(49)}`,
    });
    expect(JSON.stringify(traces.traces).length).to.be.below(1_000);
  });

  it('the receiver (serve --trace-link) writes the same: name, session and user ids, otel.traces with its link', async () => {
    const receiver = await createReceiver({ url: server.url, port: 0, traceLink: LINK, namespace: 'receiver' });
    const traceId = 'feedc0de000000000000000000000001';
    const attributes = Object.entries({ ...CHAT, 'session.id': 's-r', 'user.id': 'u-r' }).map(([key, value]) => ({ key, value: { stringValue: value } }));
    const startNs = BigInt(BASE_MS + 3_600_000) * 1_000_000n;
    const body = JSON.stringify({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'support-bot' } }] },
          scopeSpans: [
            {
              scope: { name: 'findable-runs' },
              spans: [
                {
                  traceId,
                  spanId: '00000000000000a1',
                  name: 'chat m-alpha',
                  kind: 3,
                  startTimeUnixNano: String(startNs),
                  endTimeUnixNano: String(startNs + 5_000_000n),
                  attributes,
                },
              ],
            },
          ],
        },
      ],
    });
    try {
      expect(await postOtlpJson(receiver.url, body)).to.equal(200);
    } finally {
      await receiver.close();
    }
    const run = await readAimRun(server.repoDir, runHash('s-r', 'receiver'));
    expect(run.name).to.equal('chat m-alpha · session s-r');
    expect(run.params['otel']).to.deep.include({
      traces: {
        count: 1,
        first: [{ trace_id: traceId, start: new Date(BASE_MS + 3_600_000).toISOString() }],
        last: [],
        link: `http://localhost:16686/trace/${traceId}`,
      },
    });
    expect(await queryAimRuns(server.repoDir, ['run.session.id == "s-r" and run.user.id == "u-r"'])).to.deep.equal({
      'run.session.id == "s-r" and run.user.id == "u-r"': [runHash('s-r', 'receiver')],
    });
  });
});
