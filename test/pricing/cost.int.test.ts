/**
 * Cost against the real aim server (3.29.1), read back with Aim's own SDK (the oracle): model
 * calls exported through `AimSpanExporter` get `gen_ai.usage.cost` and its parts as float series
 * in the token metrics' context, at the token metrics' steps; a price file given as the `prices`
 * option prices a model the table lacks; a model without a price gets no cost series and is
 * counted; a replay by a new exporter adds nothing. Figures computed by hand (µ$ = millionths of
 * a dollar).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Attributes, type Tracer, context, trace } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { expect } from 'chai';
import { AimSpanExporter } from '../../src/exporter/aim-span-exporter.js';
import { runHash } from '../../src/mapping/run-key.js';
import { type AimServer, startAimServer } from '../peers/aim.js';
import { type OracleRun, type OracleSequence, readAimRepo } from '../peers/oracle.js';
import { exportNow } from '../support/readable-span.js';

const CONVERSATION = 'cost-conversation';

/** Three model calls under an agent span, in one conversation. */
function recordCalls(): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'cost-test' }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer: Tracer = provider.getTracer('test');
  const agent = tracer.startSpan('invoke_agent helper', { attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.conversation.id': CONVERSATION } });
  const parent = trace.setSpan(context.active(), agent);
  const call = (attributes: Attributes): void => {
    tracer
      .startSpan(
        `chat ${String(attributes['gen_ai.request.model'])}`,
        { attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.conversation.id': CONVERSATION, ...attributes } },
        parent,
      )
      .end();
  };
  // Built-in o4-mini: input 1.10, cached 0.275, output 4.40 (reasoning as output). 3000 input of which 2048 cached; 800 output of which 512 reasoning.
  call({
    'gen_ai.provider.name': 'openai',
    'gen_ai.request.model': 'o4-mini',
    'gen_ai.response.model': 'o4-mini-2025-04-16',
    'gen_ai.usage.input_tokens': 3_000,
    'gen_ai.usage.cache_read.input_tokens': 2_048,
    'gen_ai.usage.output_tokens': 800,
    'gen_ai.usage.reasoning.output_tokens': 512,
  });
  // From the price file: acme-1, input 1, output 2.
  call({ 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'acme-1', 'gen_ai.usage.input_tokens': 1_000, 'gen_ai.usage.output_tokens': 250 });
  // No price anywhere.
  call({ 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'mystery-7', 'gen_ai.usage.input_tokens': 10, 'gen_ai.usage.output_tokens': 10 });
  agent.end();
  return memory.getFinishedSpans();
}

function sequence(run: OracleRun, name: string, model: string): OracleSequence | undefined {
  return run.sequences.find((s) => s.name === name && s.context['model'] === model);
}

describe('cost in Aim (exporter → real aim server → Aim SDK)', function () {
  this.timeout(180_000);
  let server: AimServer;
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'aim-otel-bridge-cost-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    server = await startAimServer();
  });
  afterEach(async () => {
    await server.process.stop();
  });

  it('writes gen_ai.usage.cost and its parts as float series at the token metrics’ steps; unpriced calls get none and are counted; a replay adds nothing', async () => {
    const prices = join(dir, 'prices.json');
    writeFileSync(prices, JSON.stringify({ prices: [{ provider: 'openai', model: 'acme-1', input: 1, output: 2 }] }));
    const spans = recordCalls();
    const exporter = new AimSpanExporter({ url: server.url, prices, traceWaterfall: false });
    expect(await exportNow(exporter, spans)).to.equal(ExportResultCode.SUCCESS);
    await exporter.shutdown();
    expect(exporter.stats).to.deep.include({ written: spans.length, dropped: 0, costUnpriced: 1, costUsageAdjusted: 0 });
    // A new exporter (another process, a replay) sends the same spans again.
    const replay = new AimSpanExporter({ url: server.url, prices, traceWaterfall: false });
    expect(await exportNow(replay, spans)).to.equal(ExportResultCode.SUCCESS);
    await replay.shutdown();

    const report = await readAimRepo(server.repoDir, [runHash(CONVERSATION)]);
    const run = report.runs[0];
    if (!run) throw new Error('no run for the conversation');
    const o4 = { operation: 'chat', model: 'o4-mini', provider: 'openai' };
    const tokenSteps = sequence(run, 'gen_ai.usage.input_tokens', 'o4-mini')?.steps;
    expect(tokenSteps).to.have.length(1);
    // o4-mini: 952·1.10 + 2048·0.275 + 288·4.40 + 512·4.40 = 1047.2 + 563.2 + 1267.2 + 2252.8 = 5130.4 µ$
    const expected: [string, number][] = [
      ['gen_ai.usage.cost', 0.0051304],
      ['gen_ai.usage.cost.input', 0.0010472],
      ['gen_ai.usage.cost.cache_read', 0.0005632],
      ['gen_ai.usage.cost.output', 0.0012672],
      ['gen_ai.usage.cost.reasoning', 0.0022528],
    ];
    for (const [name, usd] of expected) {
      const series = sequence(run, name, 'o4-mini');
      expect(series, name).to.not.equal(undefined);
      expect([series?.context, series?.dtype, series?.steps], name).to.deep.equal([o4, 'float', tokenSteps]);
      expect(series?.values).to.have.length(1);
      expect(Number(series?.values[0]), name).to.be.closeTo(usd, 1e-12);
    }
    expect(sequence(run, 'gen_ai.usage.cost.cache_write', 'o4-mini'), 'no cache writes: no series').to.equal(undefined);
    // acme-1 from the price file: 1000·1 + 250·2 = 1000 + 500 = 1500 µ$
    const acme = sequence(run, 'gen_ai.usage.cost', 'acme-1');
    expect([acme?.dtype, acme?.values]).to.deep.equal(['float', [0.0015]]);
    // mystery-7: tokens, no cost.
    expect(sequence(run, 'gen_ai.usage.input_tokens', 'mystery-7')?.values).to.deep.equal([10]);
    expect(run.sequences.filter((s) => s.context['model'] === 'mystery-7' && s.name.startsWith('gen_ai.usage.cost'))).to.deep.equal([]);
  });
});
