/**
 * `npm run bench -- receiver [rounds]`: the OTLP/HTTP receiver's throughput.
 * 1. decode + map, one core, no I/O: requests of 512 GenAI spans (protobuf and JSON, as the OTel
 *    JS SDK serializes them) → SpanRecords → the Aim write plan, the Aim write replaced by an
 *    in-process sink. Goal (issue 6): ≥ 50,000 spans/s for protobuf.
 * 2. end to end: the same requests POSTed to a running receiver writing to a real aim server, one
 *    request at a time (the Collector's default), until Aim acknowledged each.
 * Reports spans/s, the ratio to the goal, and the process's peak RSS.
 */
import { planWrites } from '../../src/mapping/to-aim.js';
import { createReceiver } from '../../src/receiver/index.js';
import { decodeTraceRequest } from '../../src/receiver/decode.js';
import { startAimServer } from '../peers/aim.js';
import { jsonBody, memoryProvider, protobufBody } from '../receiver/sdk-fixtures.js';

const SPANS_PER_REQUEST = 512;
const GOAL_SPANS_PER_SECOND = 50_000;

/** 512 finished chat spans in 16 conversations, with usage, request params and content. */
function genAISpans(): ReturnType<ReturnType<typeof memoryProvider>['exporter']['getFinishedSpans']> {
  const { provider, exporter } = memoryProvider({ 'service.name': 'bench' });
  const tracer = provider.getTracer('bench');
  for (let i = 0; i < SPANS_PER_REQUEST; i++) {
    tracer
      .startSpan('chat gpt-bench', {
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': 'gpt-bench',
          'gen_ai.request.temperature': 0.7,
          'gen_ai.conversation.id': `conversation-${String(i % 16)}`,
          'gen_ai.usage.input_tokens': 100 + i,
          'gen_ai.usage.output_tokens': 20 + (i % 7),
          'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: `question ${String(i)}` }] }]),
          'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: `answer ${String(i)}` }] }]),
        },
      })
      .end();
  }
  return exporter.getFinishedSpans();
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

export default async function bench(args: string[]): Promise<Record<string, unknown>> {
  const rounds = Number(args[0] ?? 40);
  const spans = genAISpans();
  const bodies = { protobuf: protobufBody(spans), json: jsonBody(spans) };
  const types = { protobuf: 'application/x-protobuf', json: 'application/json' };
  let peakRss = process.memoryUsage().rss;
  const sample = (): void => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  };

  const decodeAndMap: Record<string, number> = {};
  for (const format of ['protobuf', 'json'] as const) {
    const perRound: number[] = [];
    for (let round = -10; round < rounds; round++) {
      const started = performance.now();
      const decoded = await decodeTraceRequest(bodies[format], types[format], undefined, { maxBodyBytes: 64 * 1024 * 1024 });
      const plan = planWrites(decoded.spans);
      if (decoded.spans.length !== SPANS_PER_REQUEST || plan.runs.length !== 16) throw new Error('the benchmark request did not decode and map whole');
      if (round >= 0) perRound.push(performance.now() - started); // 10 warm-up rounds first
      sample();
    }
    decodeAndMap[format] = Math.round(SPANS_PER_REQUEST / (median(perRound) / 1000));
    console.log(`decode + map ${format}: ${String(decodeAndMap[format])} spans/s (median of ${String(rounds)} requests of ${String(SPANS_PER_REQUEST)} spans, ${String(bodies[format].length)} bytes)`);
  }

  const endToEnd: Record<string, number> = {};
  const aim = await startAimServer();
  const receiver = await createReceiver({ url: aim.url, port: 0 });
  try {
    for (const format of ['protobuf', 'json'] as const) {
      const requests = 10;
      const started = performance.now();
      for (let i = 0; i < requests; i++) {
        const response = await fetch(`${receiver.url}/v1/traces`, { method: 'POST', body: bodies[format], headers: { 'content-type': types[format] } });
        await response.arrayBuffer();
        if (response.status !== 200) throw new Error(`the receiver answered ${String(response.status)}`);
        sample();
      }
      endToEnd[format] = Math.round((requests * SPANS_PER_REQUEST) / ((performance.now() - started) / 1000));
      console.log(`end to end into Aim, ${format}: ${String(endToEnd[format])} spans/s (${String(requests)} requests; replays of one batch after the first)`);
    }
  } finally {
    await receiver.close();
    await aim.process.stop();
  }
  return {
    spansPerRequest: SPANS_PER_REQUEST,
    decodeMapSpansPerSecond: decodeAndMap,
    protobufRatioToGoal: Math.round(((decodeAndMap['protobuf'] ?? 0) / GOAL_SPANS_PER_SECOND) * 100) / 100,
    endToEndSpansPerSecond: endToEnd,
    peakRssMiB: Math.round(peakRss / 2 ** 20),
  };
}
