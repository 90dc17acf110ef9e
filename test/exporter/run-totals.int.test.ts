/**
 * Run totals against the real aim server (3.29.1), read back with Aim's own SDK (the oracle): the
 * params `cost.total_usd`, `cost.priced_calls` and `usage.*` of a conversation's run are the sums
 * of the cost and token series Aim stores for it — computed here from the series the oracle reads
 * (the float sum by Python's `math.fsum`, the token sums as integers) — after one exporter wrote
 * 50 priced calls, after replays (the same batches again, and from a fresh exporter: a restarted
 * bridge), and after two exporters (replicas) each wrote half of the calls.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type Tracer, context, trace } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { expect } from 'chai';
import { AimSpanExporter } from '../../src/exporter/aim-span-exporter.js';
import { runHash } from '../../src/mapping/run-key.js';
import { type AimServer, requireAim, startAimServer } from '../peers/aim.js';
import { type OracleRun, readAimRun } from '../peers/oracle.js';
import { exportNow } from '../support/readable-span.js';

const run = promisify(execFile);

/** 50 model calls of one conversation (two models of the built-in table, some with cached input), in 5 traces under an agent span each. */
function recordCalls(conversation: string): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'totals-test' }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer: Tracer = provider.getTracer('test');
  for (let t = 0; t < 5; t++) {
    const agent = tracer.startSpan('invoke_agent helper', { attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.conversation.id': conversation } });
    const parent = trace.setSpan(context.active(), agent);
    for (let c = 0; c < 10; c++) {
      const i = t * 10 + c;
      const model = i % 3 === 0 ? 'o4-mini' : 'gpt-4o-mini';
      tracer
        .startSpan(
          `chat ${model}`,
          {
            attributes: {
              'gen_ai.operation.name': 'chat',
              'gen_ai.conversation.id': conversation,
              'gen_ai.provider.name': 'openai',
              'gen_ai.request.model': model,
              'gen_ai.usage.input_tokens': 1_000 + 37 * i,
              'gen_ai.usage.output_tokens': 50 + 11 * i,
              ...(i % 4 === 0 ? { 'gen_ai.usage.cache_read.input_tokens': 512 } : {}),
            },
          },
          parent,
        )
        .end();
    }
    agent.end();
  }
  return memory.getFinishedSpans();
}

/** Batches of 7 spans, as a BatchSpanProcessor might send them. */
function batches(spans: readonly ReadableSpan[]): ReadableSpan[][] {
  const out: ReadableSpan[][] = [];
  for (let i = 0; i < spans.length; i += 7) out.push(spans.slice(i, i + 7));
  return out;
}

async function exportAll(exporter: AimSpanExporter, spans: readonly ReadableSpan[]): Promise<void> {
  for (const batch of batches(spans)) expect(await exportNow(exporter, batch)).to.equal(ExportResultCode.SUCCESS);
}

/** Python's math.fsum of `values` (Aim's own interpreter): the correctly rounded float sum. */
async function fsum(values: readonly number[]): Promise<number> {
  const { stdout } = await run(requireAim().python, ['-c', 'import json, math, sys; print(repr(math.fsum(json.loads(sys.argv[1]))))', JSON.stringify(values)]);
  return Number(stdout.trim());
}

/** The totals as the oracle's series give them, figured here; and the params the run holds. */
async function totalsOf(oracle: OracleRun): Promise<{ figured: Record<string, number>; params: Record<string, unknown> }> {
  const values = (name: string): number[] => oracle.sequences.filter((s) => s.name === name).flatMap((s) => s.values.map(Number));
  const tokens = (name: string): number => values(name).reduce((sum, value) => sum + value, 0);
  const costs = values('gen_ai.usage.cost');
  const figured = {
    total_usd: await fsum(costs),
    priced_calls: costs.length,
    input_tokens: tokens('gen_ai.usage.input_tokens'),
    output_tokens: tokens('gen_ai.usage.output_tokens'),
    total_tokens: tokens('gen_ai.usage.total_tokens'),
    calls: values('gen_ai.usage.input_tokens').length,
  };
  const cost = oracle.params['cost'] as Record<string, unknown> | undefined;
  const usage = oracle.params['usage'] as Record<string, unknown> | undefined;
  return { figured, params: { ...cost, ...usage } };
}

describe('run totals (exporter → real aim server → Aim SDK): cost.* and usage.* params exact under replays and replicas', function () {
  this.timeout(300_000);
  let server: AimServer;
  before(async () => {
    server = await startAimServer();
  });
  after(async () => {
    await server.process.stop();
  });

  it('one exporter, 50 priced calls in one conversation: the totals are the sums of the stored series, before and after the run closes', async () => {
    const conversation = 'totals-one-exporter';
    const spans = recordCalls(conversation);
    const exporter = new AimSpanExporter({ url: server.url, traceWaterfall: false });
    await exportAll(exporter, spans);
    // The run stays open (idle close after 30 s): its totals come once its writes have been quiet for 5 s.
    await new Promise((wake) => setTimeout(wake, 7_000));
    const open = await readAimRun(server.repoDir, runHash(conversation));
    const before = await totalsOf(open);
    expect(before.figured.priced_calls).to.equal(50);
    expect(before.params).to.deep.equal(before.figured);
    await exporter.shutdown();

    const closed = await totalsOf(await readAimRun(server.repoDir, runHash(conversation)));
    expect(closed.params).to.deep.equal(closed.figured);
    expect(closed.figured).to.deep.equal(before.figured);
    // The figures, by hand: 50 calls, input Σ(1000 + 37i) = 50 000 + 37·1225, output Σ(50 + 11i) = 2 500 + 11·1225.
    expect(closed.params).to.deep.include({ calls: 50, priced_calls: 50, input_tokens: 95_325, output_tokens: 15_975, total_tokens: 111_300 });
    // Cost, roughly by hand (µ$ per token): 17 o4-mini calls at 1.10 in / 0.275 cached / 4.40 out, 33 gpt-4o-mini at 0.15 / 0.075 / 0.60.
    let usd = 0;
    for (let i = 0; i < 50; i++) {
      const [input, cached, output] = i % 3 === 0 ? [1.1, 0.275, 4.4] : [0.15, 0.075, 0.6];
      const cachedTokens = i % 4 === 0 ? 512 : 0;
      usd += ((1_000 + 37 * i - cachedTokens) * input + cachedTokens * cached + (50 + 11 * i) * output) / 1e6;
    }
    expect(closed.params['total_usd']).to.be.closeTo(usd, 1e-12);
  });

  it('replays — the same batches again, then all of them from a fresh exporter (a restarted bridge) — leave the totals unchanged', async () => {
    const conversation = 'totals-replays';
    const spans = recordCalls(conversation);
    const first = new AimSpanExporter({ url: server.url, traceWaterfall: false });
    await exportAll(first, spans);
    await exportAll(first, spans.slice(10, 30)); // a Collector retrying part of what it sent
    await first.shutdown();
    const once = await totalsOf(await readAimRun(server.repoDir, runHash(conversation)));
    expect(once.params).to.deep.equal(once.figured);
    expect(once.figured.calls).to.equal(50);

    const restarted = new AimSpanExporter({ url: server.url, traceWaterfall: false });
    await exportAll(restarted, [...spans].reverse());
    await restarted.shutdown();
    const again = await totalsOf(await readAimRun(server.repoDir, runHash(conversation)));
    expect(again.params).to.deep.equal(once.params);
    expect(again.figured).to.deep.equal(once.figured);
  });

  it('two exporters (replicas) each writing half of one run’s calls: after both close, the totals of all the calls', async () => {
    const conversation = 'totals-replicas';
    const spans = recordCalls(conversation);
    const halves = [spans.filter((_, i) => i % 2 === 0), spans.filter((_, i) => i % 2 === 1)];
    const replicas = [new AimSpanExporter({ url: server.url, traceWaterfall: false }), new AimSpanExporter({ url: server.url, traceWaterfall: false })];
    await Promise.all(replicas.map((replica, i) => exportAll(replica, halves[i] ?? [])));
    await replicas[0]?.shutdown();
    await replicas[1]?.shutdown();
    const both = await totalsOf(await readAimRun(server.repoDir, runHash(conversation)));
    expect(both.figured.calls).to.equal(50);
    expect(both.params).to.deep.equal(both.figured);

    // The same calls, one replica closing while the other still writes: the last to close has them all.
    const later = 'totals-replicas-staggered';
    const more = recordCalls(later);
    const [a, b] = [new AimSpanExporter({ url: server.url, traceWaterfall: false }), new AimSpanExporter({ url: server.url, traceWaterfall: false })];
    await exportAll(a, more.slice(0, 30));
    await a.shutdown();
    const partial = await totalsOf(await readAimRun(server.repoDir, runHash(later)));
    expect(partial.params).to.deep.equal(partial.figured); // exact for what was stored then
    await exportAll(b, more.slice(20));
    await b.shutdown();
    const all = await totalsOf(await readAimRun(server.repoDir, runHash(later)));
    expect(all.figured.calls).to.equal(50);
    expect(all.params).to.deep.equal(all.figured);
  });
});
