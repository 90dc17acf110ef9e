/**
 * The trace waterfall (issue 17, point 2) against the real aim server: three traces of one
 * conversation (an agent with two chat calls and a tool; the third trace's tool fails) exported
 * through `AimSpanExporter`, one batch a trace. Aim's own SDK (the oracle) reads the run's figure
 * `otel.trace_waterfall` back: a figure per batch, the last with every trace's bars in
 * depth-first order under their parents, the failed tool marked; replaying the batches writes
 * nothing new; a bridge that starts over (a new exporter: no memory) writes a poorer figure on a
 * step of its own, before the fuller one, which stays as it was.
 */
import { SpanStatusCode } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { expect } from 'chai';
import { AimSpanExporter } from '../../src/exporter/aim-span-exporter.js';
import { runHash } from '../../src/mapping/run-key.js';
import { TRACE_WATERFALL_SEQUENCE } from '../../src/mapping/trace-waterfall.js';
import { type AimServer, startAimServer } from '../peers/aim.js';
import { type OracleSequence, isOracleFigure, readAimRun } from '../peers/oracle.js';
import { exportNow, testReadableSpan } from '../support/readable-span.js';

const CONVERSATION = 'trace-waterfall-int';
const START_MS = 1_764_590_000_000;
const TRACES = ['1a', '2b', '3c'].map((t) => t.repeat(16));

interface SpanSpec {
  id: string;
  parent?: string;
  name: string;
  /** ms after the trace's start. */
  from: number;
  to: number;
  attributes: Record<string, string | number>;
  error?: string;
}

/** The spans of trace `t`: an agent (0–1000 ms), chat, tool, chat under it; trace 3's tool fails. */
function traceSpecs(t: number): SpanSpec[] {
  const id = (n: number): string => `${String(t + 1)}${String(n)}`.padStart(16, '0');
  return [
    {
      id: id(1),
      name: 'invoke_agent calculator',
      from: 0,
      to: 1_000,
      attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'calculator' },
    },
    {
      id: id(2),
      parent: id(1),
      name: 'chat gpt-4o-mini',
      from: 50,
      to: 400,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.usage.input_tokens': 80 + t,
        'gen_ai.usage.output_tokens': 12,
      },
    },
    {
      id: id(3),
      parent: id(1),
      name: 'execute_tool divide',
      from: 450,
      to: 700,
      attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'divide', ...(t === 2 ? { 'error.type': 'ZeroDivisionError' } : {}) },
      ...(t === 2 ? { error: 'division by zero' } : {}),
    },
    {
      id: id(4),
      parent: id(1),
      name: 'chat gpt-4o-mini',
      from: 720,
      to: 950,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.usage.input_tokens': 120,
        'gen_ai.usage.output_tokens': 9,
      },
    },
  ];
}

function readable(t: number, spec: SpanSpec): ReadableSpan {
  const traceStartNs = BigInt(START_MS + t * 10_000) * 1_000_000n;
  return testReadableSpan({
    traceId: TRACES[t] as string,
    spanId: spec.id,
    ...(spec.parent !== undefined ? { parentSpanId: spec.parent } : {}),
    name: spec.name,
    startNs: traceStartNs + BigInt(spec.from) * 1_000_000n,
    endNs: traceStartNs + BigInt(spec.to) * 1_000_000n,
    ...(spec.error !== undefined ? { status: { code: SpanStatusCode.ERROR, message: spec.error } } : {}),
    attributes: { 'gen_ai.conversation.id': CONVERSATION, ...spec.attributes },
    service: 'waterfall-test',
  });
}

/** Trace `t`'s batch, children first (as a BatchSpanProcessor sends them: in end order). */
function batch(t: number): ReadableSpan[] {
  return traceSpecs(t)
    .map((spec) => readable(t, spec))
    .sort((a, b) => a.endTime[0] - b.endTime[0] || a.endTime[1] - b.endTime[1]);
}

async function waterfallOf(server: AimServer): Promise<OracleSequence> {
  const run = await readAimRun(server.repoDir, runHash(CONVERSATION));
  const found = run.sequences.filter((s) => s.name === TRACE_WATERFALL_SEQUENCE);
  expect(found, `${TRACE_WATERFALL_SEQUENCE} sequences`).to.have.length(1);
  return found[0] as OracleSequence;
}

interface FigureJson {
  data: { type: string; name: string; y: number[]; customdata: [string, string, string | null][]; hovertext: string[] }[];
  layout: { title: { text: string } };
}

function figureAt(sequence: OracleSequence, index: number): FigureJson {
  const value = sequence.values[index];
  if (!isOracleFigure(value)) throw new Error(`point ${String(index)} is no figure: ${JSON.stringify(value)}`);
  expect([value.source, value.format, value.version]).to.deep.equal(['plotly', 'raw_json', 'unknown']);
  return JSON.parse(value.data) as FigureJson;
}

/** The figure's span rows top down (trace header rows have no bar): [traceId, spanId, parentSpanId], from the bars' y and customdata. */
function rows(figure: FigureJson): [string, string, string | null][] {
  const found: [string, string, string | null][] = [];
  for (const bar of figure.data.filter((d) => d.type === 'bar')) bar.y.forEach((row, i) => (found[row] = bar.customdata[i] as [string, string, string | null]));
  return Object.values(found); // in index order, without the header rows' holes
}

describe('trace waterfall through AimSpanExporter and the real aim server (Aim’s SDK reads the figure back)', function () {
  this.timeout(300_000);
  let server: AimServer;
  before(async () => {
    server = await startAimServer();
  });
  after(async () => {
    await server.process.stop();
  });

  it('three traces of one conversation: a figure per batch, bars in depth-first order under their parents, the error marked; replays write nothing new; a fresh memory writes before the fuller figure', async () => {
    // Every batch writes its figure at once (no throttle), so each batch's figure is a point.
    const exporter = new AimSpanExporter({ url: server.url, traceWaterfall: { intervalMs: 0 } });
    for (const t of [0, 1, 2]) {
      expect(await exportNow(exporter, batch(t))).to.equal(ExportResultCode.SUCCESS);
      await exporter.forceFlush();
    }
    const first = await waterfallOf(server);
    expect(first.dtype).to.equal('aim.figure');
    expect(first.context).to.deep.equal({});
    expect(first.steps).to.have.length(3);
    expect([...first.steps].sort((a, b) => a - b)).to.deep.equal(first.steps);
    // Step: the latest span's end (ms) × 1024 + the spans shown.
    expect(first.steps).to.deep.equal([0, 1, 2].map((t) => (START_MS + t * 10_000 + 1_000) * 1024 + 4 * (t + 1)));

    const last = figureAt(first, 2);
    expect(last.layout.title.text).to.equal('Trace waterfall: 3 traces, 12 spans');
    const expected = [0, 1, 2].flatMap((t) => traceSpecs(t).map((spec) => [TRACES[t], spec.id, spec.parent ?? null]));
    expect(rows(last)).to.deep.equal(expected);
    expect(rows(figureAt(first, 0))).to.deep.equal(expected.slice(0, 4));
    const errors = last.data.find((d) => d.name === 'error');
    expect(errors?.y).to.deep.equal([13]); // under three trace headers
    expect(errors?.customdata).to.deep.equal([[TRACES[2], '0000000000000033', '0000000000000031']]);
    expect(errors?.hovertext[0]).to.contain('ZeroDivisionError: division by zero');
    expect(last.data.filter((d) => d.type === 'bar').map((d) => d.name)).to.deep.equal(['chat', 'execute_tool', 'invoke_agent']);
    const chat = last.data.find((d) => d.name === 'chat');
    expect(chat?.hovertext[0]).to.contain('chat · gpt-4o-mini · openai').and.contain('tokens: 80 in · 12 out · 92 total').and.contain('cost: $'); // built-in prices

    // Replays: each batch again, then all three as one batch: nothing new in Aim.
    for (const t of [0, 1, 2]) expect(await exportNow(exporter, batch(t))).to.equal(ExportResultCode.SUCCESS);
    expect(await exportNow(exporter, [...batch(2), ...batch(0), ...batch(1)])).to.equal(ExportResultCode.SUCCESS);
    await exporter.shutdown();
    const replayed = await waterfallOf(server);
    expect(replayed.steps).to.deep.equal(first.steps);
    expect(replayed.values).to.deep.equal(first.values);

    // A bridge that starts over (no memory of the run) gets trace 3 again: its figure shows only
    // what it saw, on a step of its own before the fuller figure of the same latest end.
    const restarted = new AimSpanExporter({ url: server.url });
    expect(await exportNow(restarted, batch(2))).to.equal(ExportResultCode.SUCCESS);
    await restarted.shutdown();
    const after = await waterfallOf(server);
    const poorerStep = (START_MS + 20_000 + 1_000) * 1024 + 4;
    expect(after.steps).to.deep.equal([first.steps[0], first.steps[1], poorerStep, first.steps[2]]);
    expect(after.values[3]).to.deep.equal(first.values[2]);
    expect(rows(figureAt(after, 2))).to.deep.equal(expected.slice(8));
  });
});
