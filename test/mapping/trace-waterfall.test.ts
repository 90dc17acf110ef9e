import { expect } from 'chai';
import type { AimWritePlan, RunWritePlan, WaterfallSpan } from '../../src/mapping/aim-plan.js';
import {
  COST_METRIC,
  MAX_WATERFALL_SPANS,
  type TraceWaterfall,
  buildTraceWaterfall,
  categoryOf,
  selectWaterfall,
  waterfallBounds,
  withWaterfallSpans,
} from '../../src/mapping/trace-waterfall.js';
import { planWrites } from '../../src/mapping/to-aim.js';
import type { Attributes, SpanRecord } from '../../src/model/span-record.js';
import { PriceBook } from '../../src/pricing/price-book.js';

const T0 = 1_764_000_000_000_000_000n; // ns
const MS = 1_000_000n;
const TRACE_A = 'a'.repeat(32);
const TRACE_B = 'b'.repeat(32);

/** A span summary: `start`/`end` in ms after T0. */
function ws(spanId: string, start: number, end: number, more: Partial<WaterfallSpan> = {}): WaterfallSpan {
  return { traceId: TRACE_A, spanId, name: `span ${spanId}`, startNs: T0 + BigInt(start) * MS, endNs: T0 + BigInt(end) * MS, operation: 'chat', ...more };
}

interface Bar {
  type: string;
  name: string;
  y: number[];
  x: number[];
  base?: number[];
  marker: { color: string; symbol?: string; line?: { color: string[]; width: number[] } };
  customdata: [string, string, string | null][];
  hovertext: string[];
}

interface Layout {
  title: { text: string };
  barmode: string;
  yaxis: { tickvals: number[]; ticktext: string[]; range: number[]; autorange: boolean };
  shapes: unknown[];
}

function built(spans: readonly WaterfallSpan[], options: Parameters<typeof buildTraceWaterfall>[1] = {}): TraceWaterfall & { bars: Bar[]; layout: Layout } {
  const waterfall = buildTraceWaterfall(spans, options);
  if (!waterfall) throw new Error('no waterfall');
  // What Aim stores and its UI reads: the JSON text.
  const parsed = JSON.parse(JSON.stringify(waterfall.figure)) as { data: Bar[]; layout: Layout };
  return { ...waterfall, bars: parsed.data, layout: parsed.layout };
}

/** The span id on each row, top down (trace header rows, which have no bar, left out), from the bars' y and customdata. */
function rowsOf(bars: readonly Bar[]): string[] {
  const rows: string[] = [];
  for (const bar of bars.filter((b) => b.type === 'bar')) bar.y.forEach((row, i) => (rows[row] = bar.customdata[i]?.[1] ?? '?'));
  return Object.values(rows); // in index order, without the header rows' holes
}

/** How deep each row is, read from its label: children are marked `└`, labels shifted right by their depth (no-break spaces after); trace headers are -1. */
function depthsOf(layout: Layout): number[] {
  const pads = layout.yaxis.ticktext.map((text) => /\u00a0*$/.exec(text)?.[0].length ?? 0);
  const most = Math.max(...pads);
  return layout.yaxis.ticktext.map((text, i) => (text.startsWith('<span') ? -1 : (most - (pads[i] ?? 0)) / 3));
}

describe('buildTraceWaterfall: a run’s traces as a Plotly waterfall', () => {
  it('rows depth first by parent, children by start time, whatever the order given; labels mark and indent children', () => {
    // root ─┬─ chat1 (10 ms)
    //       ├─ tool (20 ms) ── inner (25 ms)
    //       └─ chat2 (40 ms)
    // and an orphan whose parent is not shown: a first-level row, in start order.
    const spans = [
      ws('0000000000000004', 40, 60, { parentSpanId: '0000000000000001', name: 'chat 2' }),
      ws('0000000000000003', 25, 30, { parentSpanId: '0000000000000005', operation: 'retrieval', name: 'inner' }),
      ws('0000000000000001', 0, 100, { operation: 'invoke_agent', name: 'invoke_agent calc' }),
      ws('0000000000000005', 20, 35, { parentSpanId: '0000000000000001', operation: 'execute_tool', name: 'execute_tool add' }),
      ws('0000000000000002', 10, 18, { parentSpanId: '0000000000000001', name: 'chat 1' }),
      ws('0000000000000009', 50, 55, { parentSpanId: 'ffffffffffffffff', name: 'orphan' }),
    ];
    const { bars, layout } = built(spans);
    expect(rowsOf(bars)).to.deep.equal([
      '0000000000000001',
      '0000000000000002',
      '0000000000000005',
      '0000000000000003',
      '0000000000000004',
      '0000000000000009',
    ]);
    expect(depthsOf(layout)).to.deep.equal([-1, 0, 1, 1, 2, 1, 0]);
    expect(layout.yaxis.ticktext.map((t) => t.replace(/\u00a0/g, ' ').trim())).to.deep.equal([
      '<span style="color:#888888">trace aaaaaaaa · 2025-11-24 16:00:00Z</span>',
      'invoke_agent calc',
      '└ chat 1',
      '└ execute_tool add',
      '└ inner',
      '└ chat 2',
      'orphan',
    ]);
    expect(layout.yaxis.tickvals).to.deep.equal([0, 1, 2, 3, 4, 5, 6]);
    expect([layout.yaxis.range, layout.yaxis.autorange]).to.deep.equal([[6.5, -0.5], false]); // top down, the header row included
    expect(layout.barmode).to.equal('overlay');
    // Bars from the trace's start: base = start offset, x = duration (s); customdata has the parent.
    const chat = bars.find((bar) => bar.name === 'chat') as Bar;
    expect(chat.y).to.deep.equal([2, 5, 6]);
    expect((chat as unknown as { width: number }).width).to.equal(0.7);
    expect(chat.base).to.deep.equal([0.01, 0.04, 0.05]);
    expect(chat.x).to.deep.equal([0.008, 0.02, 0.005]);
    expect(chat.customdata).to.deep.equal([
      [TRACE_A, '0000000000000002', '0000000000000001'],
      [TRACE_A, '0000000000000004', '0000000000000001'],
      [TRACE_A, '0000000000000009', 'ffffffffffffffff'],
    ]);
  });

  it('traces one under the other, oldest first, each from 0 s, under a header row (id and start), with a separator between', () => {
    const spans = [
      ws('000000000000000b', 5_000, 5_300, { traceId: TRACE_B }),
      ws('000000000000000a', 0, 400),
      ws('000000000000000c', 5_100, 5_200, { traceId: TRACE_B, parentSpanId: '000000000000000b' }),
    ];
    const { bars, layout, traces, spans: shown } = built(spans);
    expect([traces, shown]).to.deep.equal([2, 3]);
    expect(rowsOf(bars)).to.deep.equal(['000000000000000a', '000000000000000b', '000000000000000c']);
    const chat = bars[0] as Bar;
    expect(chat.base).to.deep.equal([0, 0, 0.1]);
    expect(chat.y).to.deep.equal([1, 3, 4]);
    expect(layout.yaxis.ticktext.map((t) => t.replace(/\u00a0/g, ' ').trim())).to.deep.equal([
      '<span style="color:#888888">trace aaaaaaaa · 2025-11-24 16:00:00Z</span>',
      'span 000000000000000a',
      '<span style="color:#888888">trace bbbbbbbb · 2025-11-24 16:00:05Z</span>',
      'span 000000000000000b',
      '└ span 000000000000000c',
    ]);
    expect(layout.shapes).to.deep.equal([
      { type: 'line', xref: 'paper', x0: 0, x1: 1, yref: 'y', y0: 1.5, y1: 1.5, line: { color: '#bbbbbb', width: 1, dash: 'dot' } },
    ]);
  });

  it('one bar trace per operation category, in legend order, each with its colour; unknown operations are other', () => {
    const operations = ['retrieval', 'chat', 'mystery', 'invoke_workflow', 'execute_tool', 'embeddings', 'invoke_agent', 'text_completion', 'chain', undefined];
    const spans = operations.map((operation, i) => {
      const given = ws(`00000000000000${String(10 + i)}`, i * 10, i * 10 + 5, operation === undefined ? {} : { operation });
      if (operation !== undefined) return given;
      return Object.fromEntries(Object.entries(given).filter(([key]) => key !== 'operation')) as unknown as WaterfallSpan;
    });
    const { bars } = built(spans);
    expect(bars.map((bar) => [bar.name, bar.marker.color, bar.y])).to.deep.equal([
      ['chat', '#1f77b4', [2, 8]],
      ['embeddings', '#17becf', [6]],
      ['execute_tool', '#ff7f0e', [5]],
      ['invoke_agent', '#9467bd', [7]],
      ['workflow / chain', '#7f7f7f', [4, 9]],
      ['retrieval', '#2ca02c', [1]],
      ['other', '#bcbd22', [3, 10]],
    ]);
    expect(bars.every((bar) => bar.type === 'bar' && (bar as unknown as { orientation: string }).orientation === 'h')).to.equal(true);
    expect(['generate_content', 'tool', 'agent', 'workflow', 'RETRIEVER', 'toString'].map(categoryOf)).to.deep.equal([
      'chat',
      'execute_tool',
      'invoke_agent',
      'workflow',
      'other',
      'other',
    ]);
  });

  it('a failed span: red outline, a red x at its end, error type and status message in its hover', () => {
    const spans = [
      ws('0000000000000001', 0, 100, { operation: 'invoke_agent' }),
      ws('0000000000000002', 10, 30, {
        parentSpanId: '0000000000000001',
        operation: 'execute_tool',
        error: { type: 'ValueError', message: 'division by <zero>' },
      }),
      ws('0000000000000003', 40, 50, { parentSpanId: '0000000000000001', operation: 'execute_tool' }),
      ws('0000000000000004', 60, 90, { parentSpanId: '0000000000000001', error: {} }),
    ];
    const { bars } = built(spans);
    const tool = bars.find((bar) => bar.name === 'execute_tool') as Bar;
    expect(tool.marker.line).to.deep.equal({ color: ['#d62728', '#ff7f0e'], width: [2, 0] });
    const chat = bars.find((bar) => bar.name === 'chat') as Bar;
    expect(chat.marker.line).to.deep.equal({ color: ['#d62728'], width: [2] });
    const errors = bars.find((bar) => bar.name === 'error') as Bar;
    expect(errors.type).to.equal('scatter');
    expect(errors.marker).to.deep.equal({ symbol: 'x', color: '#d62728', size: 10 });
    expect(errors.y).to.deep.equal([2, 4]);
    expect(errors.x).to.deep.equal([0.03, 0.09]);
    expect(errors.hovertext[0]).to.contain('<b>error</b>: ValueError: division by &lt;zero&gt;');
    expect(errors.hovertext[1]).to.contain('<b>error</b>').and.not.contain('<b>error</b>:');
    expect(tool.hovertext[1]).to.not.contain('error');
    // No error trace when nothing failed.
    expect(built([ws('0000000000000001', 0, 1)]).bars.map((bar) => bar.name)).to.deep.equal(['chat']);
  });

  it('hover text: name, operation · model · provider, start and duration, tokens, cost; user text escaped', () => {
    const spans = [
      ws('0000000000000001', 0, 2_000, { name: 'chain <root> & co', operation: 'invoke_workflow' }),
      ws('0000000000000002', 250, 1_484, {
        parentSpanId: '0000000000000001',
        name: 'chat gpt-4o',
        model: 'gpt-4o',
        provider: 'openai',
        inputTokens: 120,
        outputTokens: 30,
        totalTokens: 150,
        costUsd: 0.000_612_6,
      }),
      ws('0000000000000003', 1_500, 1_600, { parentSpanId: '0000000000000001', costUsd: 1.5, inputTokens: 7 }),
    ];
    const { bars } = built(spans);
    const [chat, workflow] = [bars.find((bar) => bar.name === 'chat') as Bar, bars.find((bar) => bar.name === 'workflow / chain') as Bar];
    expect(chat.hovertext[0]).to.equal(
      ['<b>chat gpt-4o</b>', 'chat · gpt-4o · openai', 'start +0.250 s · duration 1.234 s', 'tokens: 120 in · 30 out · 150 total', 'cost: $0.000613'].join(
        '<br>',
      ),
    );
    expect(chat.hovertext[1]).to.equal(
      ['<b>span 0000000000000003</b>', 'chat', 'start +1.500 s · duration 0.100 s', 'tokens: 7 in', 'cost: $1.5000'].join('<br>'),
    );
    expect(workflow.hovertext[0]).to.equal(['<b>chain &lt;root&gt; &amp; co</b>', 'invoke_workflow', 'start +0.000 s · duration 2.000 s'].join('<br>'));
    expect((chat as unknown as { hovertemplate: string }).hovertemplate).to.equal(
      '%{hovertext}<br>trace %{customdata[0]}<br>span %{customdata[1]}<extra></extra>',
    );
  });

  it('instant spans get a bar wide enough to see and hover (the hover keeps the real duration)', () => {
    const { bars } = built([ws('0000000000000001', 0, 1_000), ws('0000000000000002', 500, 500, { parentSpanId: '0000000000000001' })]);
    expect((bars[0] as Bar).x).to.deep.equal([1, 0.002]);
    expect((bars[0] as Bar).hovertext[1]).to.contain('duration 0.000 s');
  });

  it('bounds: the last 20 traces, at most 500 spans; the oldest dropped first, whole traces, and the title says so', () => {
    expect(waterfallBounds()).to.deep.equal({ maxTraces: 20, maxSpans: 500 });
    expect(waterfallBounds({ maxTraces: 0, maxSpans: 5_000 })).to.deep.equal({ maxTraces: 1, maxSpans: MAX_WATERFALL_SPANS });
    // 25 traces of 3 spans: the last 20 (by start) are shown.
    const many: WaterfallSpan[] = [];
    for (let t = 0; t < 25; t++) {
      const traceId = t.toString(16).padStart(32, '0');
      for (let s = 0; s < 3; s++) many.push(ws(`${t.toString(16).padStart(8, '0')}0000000${String(s)}`, t * 1_000 + s, t * 1_000 + s + 10, { traceId }));
    }
    const twenty = built(many);
    expect([twenty.traces, twenty.spans, twenty.cut]).to.deep.equal([20, 60, true]);
    expect(twenty.layout.yaxis.ticktext[0]).to.contain('trace 00000000 · 2025-11-24 16:00:05Z');
    expect(new Set(twenty.bars[0]?.customdata.map(([trace]) => trace)).has((5).toString(16).padStart(32, '0'))).to.equal(true);
    expect(new Set(twenty.bars[0]?.customdata.map(([trace]) => trace)).has((4).toString(16).padStart(32, '0'))).to.equal(false);
    expect(twenty.layout.title.text).to.equal('Trace waterfall: 20 traces, 60 spans (older traces and spans left out: the last 20 traces, 500 spans at most)');
    // More spans than allowed: the oldest traces go while more than one is left...
    const fewer = built(many, { maxSpans: 10 });
    expect([fewer.traces, fewer.spans]).to.deep.equal([3, 9]);
    // ...then, in one trace, its earliest-starting spans.
    const one = built(many.slice(0, 3), { maxSpans: 2 });
    expect([one.traces, one.spans, one.cut]).to.deep.equal([1, 2, true]);
    expect(rowsOf(one.bars)).to.deep.equal(['0000000000000001', '0000000000000002']);
    // Nothing cut: no note; a memory that cut before says so.
    const whole = built(many.slice(0, 3));
    expect(whole.layout.title.text).to.equal('Trace waterfall: 1 trace, 3 spans');
    expect(built(many.slice(0, 3), { cut: true }).layout.title.text).to.contain('older traces and spans left out');
    // selectWaterfall is the rule the sink's memory keeps.
    const selection = selectWaterfall(many, { maxTraces: 2 });
    expect(selection.traces.map((trace) => trace.traceId)).to.deep.equal([(23).toString(16).padStart(32, '0'), (24).toString(16).padStart(32, '0')]);
    expect(selection.cut).to.equal(true);
  });

  it('deterministic: the same spans in any order (and twice) give the same JSON bytes, step and time', () => {
    const spans = [
      ws('0000000000000001', 0, 100, { operation: 'invoke_agent', name: 'agent ✓' }),
      ws('0000000000000002', 10, 30, { parentSpanId: '0000000000000001', inputTokens: 3 }),
      ws('0000000000000003', 10, 40, { parentSpanId: '0000000000000001', operation: 'execute_tool', error: { type: 'E' } }),
      ws('0000000000000004', 5, 8, { traceId: TRACE_B }),
    ];
    const a = buildTraceWaterfall(spans);
    const b = buildTraceWaterfall([...spans].reverse().concat(spans));
    expect(JSON.stringify(b?.figure)).to.equal(JSON.stringify(a?.figure));
    expect([b?.step, b?.time]).to.deep.equal([a?.step, a?.time]);
    expect(buildTraceWaterfall([])).to.equal(undefined);
  });

  it('step = end of the latest span (ms) × 1024 + spans shown; time = that end (s): growing figures go later, fewer spans never take a fuller one’s step', () => {
    const spans = [
      ws('0000000000000001', 0, 100),
      ws('0000000000000002', 10, 30, { parentSpanId: '0000000000000001' }),
      ws('0000000000000003', 40, 60, { parentSpanId: '0000000000000001' }),
    ];
    const full = built(spans);
    const endMs = 1_764_000_000_000n + 100n;
    expect(full.step).to.equal(endMs * 1024n + 3n);
    expect(full.time).to.equal(1_764_000_000.1);
    expect(Number(full.step)).to.be.below(2 ** 53);
    // The same latest end, fewer spans (a memory that started over): an earlier step of its own.
    const poorer = built([spans[0] as WaterfallSpan]);
    expect(poorer.step).to.equal(endMs * 1024n + 1n);
    // A later span: a later step.
    const later = built([...spans, ws('0000000000000004', 150, 170)]);
    expect(later.step > full.step).to.equal(true);
  });
});

describe('withWaterfallSpans: the plan’s GenAI spans summarized for the waterfall', () => {
  const RESOURCE = { resource: { 'service.name': 'svc' }, scopeName: 'test' };
  function span(spanId: string, attributes: Attributes, more: Partial<SpanRecord> = {}): SpanRecord {
    return {
      traceId: TRACE_A,
      spanId,
      name: `span ${spanId}`,
      kind: 'internal',
      startTimeUnixNano: T0,
      endTimeUnixNano: T0 + 5n * MS,
      attributes: { 'gen_ai.conversation.id': 'conv', ...attributes },
      events: [],
      links: [],
      status: { code: 'unset' },
      origin: RESOURCE,
      ...more,
    };
  }

  it('call context, tokens from the plan’s points, the error type and status message; non-GenAI spans left out', () => {
    const spans = [
      span('0000000000000001', { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'calc' }, { name: 'invoke_agent calc' }),
      span(
        '0000000000000002',
        {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.usage.input_tokens': 12,
          'gen_ai.usage.output_tokens': 3,
        },
        { parentSpanId: '0000000000000001', name: 'chat gpt-4o', startTimeUnixNano: T0 + MS },
      ),
      span(
        '0000000000000003',
        { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'divide', 'error.type': 'ZeroDivisionError' },
        { parentSpanId: '0000000000000001', name: 'execute_tool divide', status: { code: 'error', message: 'x'.repeat(400) } },
      ),
      { ...span('0000000000000004', {}), attributes: { 'http.method': 'GET' } },
    ];
    const plan = planWrites(spans);
    const [run] = withWaterfallSpans(plan, spans);
    expect(run?.waterfall).to.deep.equal([
      { traceId: TRACE_A, spanId: '0000000000000001', name: 'invoke_agent calc', startNs: T0, endNs: T0 + 5n * MS, operation: 'invoke_agent' },
      {
        traceId: TRACE_A,
        spanId: '0000000000000002',
        parentSpanId: '0000000000000001',
        name: 'chat gpt-4o',
        startNs: T0 + MS,
        endNs: T0 + 5n * MS,
        operation: 'chat',
        model: 'gpt-4o',
        provider: 'openai',
        inputTokens: 12,
        outputTokens: 3,
        totalTokens: 15,
      },
      {
        traceId: TRACE_A,
        spanId: '0000000000000003',
        parentSpanId: '0000000000000001',
        name: 'execute_tool divide',
        startNs: T0,
        endNs: T0 + 5n * MS,
        operation: 'execute_tool',
        error: { type: 'ZeroDivisionError', message: `${'x'.repeat(299)}…` },
      },
    ]);
  });

  it(`cost: the span’s ${COST_METRIC} point with the fewest context keys (the total, not a part)`, () => {
    const point = { step: 1n, time: 1, spanId: '0000000000000002' };
    const run: RunWritePlan = {
      key: 'k',
      hash: 'h',
      tags: [],
      params: [],
      texts: [],
      spanCount: 1,
      metrics: [
        { ...point, name: COST_METRIC, value: 0.0001, context: { operation: 'chat', part: 'input' } },
        { ...point, name: COST_METRIC, value: 0.0003, context: { operation: 'chat' } },
        { ...point, name: 'gen_ai.usage.input_tokens', value: 10n, context: { operation: 'chat' } },
      ],
    };
    const spans = [
      {
        traceId: TRACE_A,
        spanId: '0000000000000002',
        name: 'chat',
        kind: 'client' as const,
        startTimeUnixNano: T0,
        endTimeUnixNano: T0 + MS,
        attributes: {},
        events: [],
        links: [],
        status: { code: 'unset' as const },
        origin: RESOURCE,
      },
    ];
    const plan: AimWritePlan = {
      runs: [run],
      placements: [{ traceId: TRACE_A, spanId: '0000000000000002', key: 'k', hash: 'h', context: { operation: 'chat' }, step: 1n, time: 1 }],
      problems: [],
    };
    const [withSpans] = withWaterfallSpans(plan, spans);
    expect(withSpans?.waterfall?.[0]).to.include({ costUsd: 0.0003, inputTokens: 10 });
  });

  it('cost of a priced call: the mapping’s own gen_ai.usage.cost point (built-in prices), shown in the hover', () => {
    const chat = span('0000000000000002', {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.usage.input_tokens': 1_000,
      'gen_ai.usage.output_tokens': 500,
    });
    const plan = planWrites([chat], { priceBook: PriceBook.builtIn() });
    const cost = plan.runs[0]?.metrics.find((metric) => metric.name === COST_METRIC)?.value;
    expect(cost).to.be.a('number').and.above(0);
    const [run] = withWaterfallSpans(plan, [chat]);
    expect(run?.waterfall?.[0]?.costUsd).to.equal(cost);
    const hover = (built(run?.waterfall ?? []).bars[0] as Bar).hovertext[0];
    expect(hover).to.contain('cost: $');
  });

  it('a plan without GenAI spans is returned as it is', () => {
    const plan = planWrites([{ ...span('0000000000000004', {}), attributes: { 'http.method': 'GET' } }], { includeNonGenAI: true });
    expect(withWaterfallSpans(plan, [])).to.deep.equal(plan.runs);
    expect(plan.runs[0]?.waterfall).to.equal(undefined);
  });
});
