/**
 * No text lost or duplicated by replays (issue 14, part 5), against the real aim server: 300 chat
 * spans of one conversation, 150 of them started in the same millisecond (with span ids whose last
 * 12 bits repeat, so their natural steps collide), exported as six overlapping batches — what a
 * Collector retrying after a partial failure, or a second bridge replica, sends. Aim's own SDK
 * (the oracle) reads the run back and compares every prompt and completion with what was sent.
 */
import { SpanKind } from '@opentelemetry/api';
import { ExportResultCode, hrTimeToNanoseconds } from '@opentelemetry/core';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { expect } from 'chai';
import { AimSpanExporter } from '../../src/exporter/aim-span-exporter.js';
import { runHash } from '../../src/mapping/run-key.js';
import { type AimServer, startAimServer } from '../peers/aim.js';
import { type OracleSequence, readAimRun } from '../peers/oracle.js';
import { exportNow, testReadableSpan } from '../support/readable-span.js';

const CONVERSATION = 'replayed-texts';
const TRACE = '0af7651916cd43dd8448eb211c80319c';
const START_MS = 1_764_590_000_000;

/** Chat span `i`: spans 0–149 start in one millisecond, and 20 of each 150 share their last 12 bits. */
function chatSpan(i: number): ReadableSpan {
  const spanId = `${i.toString(16).padStart(13, '0')}${(i < 150 ? i % 20 : i).toString(16).padStart(3, '0')}`;
  const startMs = i < 150 ? START_MS : START_MS + i;
  const startNs = BigInt(startMs) * 1_000_000n;
  return testReadableSpan({
    traceId: TRACE,
    spanId,
    name: 'chat gpt-4o-mini',
    kind: SpanKind.CLIENT,
    startNs,
    endNs: startNs + 500_000n,
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.conversation.id': CONVERSATION,
      'gen_ai.usage.input_tokens': i,
      'gen_ai.usage.output_tokens': 1,
      'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: `prompt ${String(i)}` }] }]),
      'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: `answer ${String(i)}` }] }]),
    },
    service: 'replay-test',
  });
}

function texts(sequences: readonly OracleSequence[], name: string): { step: number; text: string }[] {
  const sequence = sequences.filter((s) => s.name === name);
  expect(sequence, name).to.have.length(1);
  const [only] = sequence;
  if (!only) return [];
  return only.steps.map((step, i) => {
    const text = only.values[i];
    return { step, text: typeof text === 'string' ? text : JSON.stringify(text) };
  });
}

describe('replayed batches against the real aim server: every text once, with its own content', function () {
  this.timeout(300_000);
  let server: AimServer;
  before(async () => {
    server = await startAimServer();
  });
  after(async () => {
    await server.process.stop();
  });

  it('300 spans (150 in one millisecond) sent as six overlapping batches', async () => {
    const spans = Array.from({ length: 300 }, (_, i) => chatSpan(i));
    expect(new Set(spans.slice(0, 150).map((span) => hrTimeToNanoseconds(span.startTime))).size).to.equal(1);
    const exporter = new AimSpanExporter({ url: server.url });
    // The last batch replays a middle part after everything else was written.
    for (const [from, to] of [
      [0, 100],
      [50, 150],
      [100, 200],
      [150, 250],
      [200, 300],
      [25, 125],
    ] as const) {
      expect(await exportNow(exporter, spans.slice(from, to))).to.equal(ExportResultCode.SUCCESS);
    }
    await exporter.shutdown();

    const run = await readAimRun(server.repoDir, runHash(CONVERSATION));
    for (const [name, prefix] of [
      ['on_llm_start', 'user: prompt '],
      ['on_llm_end', 'assistant: answer '],
    ] as const) {
      const read = texts(run.sequences, name);
      // Contents, not counts: each span's own text, once.
      expect(read.map((point) => point.text).sort(), name).to.deep.equal(spans.map((_, i) => `${prefix}${String(i)}`).sort());
      // Steps in time order: each span of a later millisecond after all spans of earlier ones.
      const stepOf = new Map(read.map((point) => [Number(point.text.slice(prefix.length)), point.step]));
      const firstMillisecond = Math.max(...Array.from({ length: 150 }, (_, i) => stepOf.get(i) ?? Infinity));
      expect(stepOf.get(150) ?? 0, name).to.be.above(firstMillisecond);
      for (let i = 151; i < 300; i++) expect(stepOf.get(i) ?? 0, `${name} ${String(i)}`).to.be.above(stepOf.get(i - 1) ?? Infinity);
    }
    const tokens = run.sequences.filter((s) => s.name === 'gen_ai.usage.input_tokens').flatMap((s) => s.values);
    expect(tokens.map(Number).sort((a, b) => a - b)).to.deep.equal(spans.map((_, i) => i));
  });
});
