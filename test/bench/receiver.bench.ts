/**
 * `npm run bench -- receiver [rounds] [--baseline DIR]`: the OTLP receiver's throughput.
 * 1. decode + map, one core, no I/O: requests of 512 GenAI spans (protobuf and JSON, as the OTel
 *    JS SDK serializes them) → SpanRecords → the Aim write plan, the Aim write replaced by an
 *    in-process sink. Goal (issue 6): ≥ 50,000 spans/s for protobuf.
 * 2. logs: requests of 512 GenAI log events (`gen_ai.client.inference.operation.details` with
 *    messages, as the OTel JS SDK serializes them) → LogRecords → content events → the texts of
 *    their (placed) spans.
 * 3. with `--baseline DIR` (a checkout of an earlier commit with its node_modules, e.g. made by
 *    `git worktree add DIR <commit>` and a node_modules symlink): the span decode + map of that
 *    checkout and of this one in alternating rounds on the same bodies; medians, spread and the
 *    ratio ours / baseline (issue 12: within 10 %).
 * 4. end to end: the span requests POSTed to a running receiver writing to a real aim server, one
 *    request at a time (the Collector's default), until Aim acknowledged each.
 * Reports items/s, the ratios, and the process's peak RSS.
 */
import { resolve } from 'node:path';
import { ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import { JsonLogsSerializer, ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { groupContentEvents, planPlacedContent } from '../../src/mapping/event-content.js';
import { spanKey } from '../../src/mapping/span-places.js';
import { planWrites } from '../../src/mapping/to-aim.js';
import { createReceiver } from '../../src/receiver/index.js';
import { decodeLogsRequest, decodeTraceRequest } from '../../src/receiver/decode.js';
import { startAimServer } from '../peers/aim.js';
import { fromReadableSpan } from '../../src/model/from-readable-span.js';
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

/** 512 operation-details log events, one per span of `genAISpans`' ids, as the OTel JS SDK serializes them. */
function genAILogBodies(spans: ReturnType<typeof genAISpans>): { protobuf: Buffer; json: Buffer } {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter })] });
  const logger = provider.getLogger('bench');
  for (const [i, span] of spans.entries()) {
    logger.emit({
      eventName: 'gen_ai.client.inference.operation.details',
      context: trace.setSpanContext(ROOT_CONTEXT, { ...span.spanContext(), traceFlags: TraceFlags.SAMPLED }),
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'gpt-bench',
        'gen_ai.input.messages': [{ role: 'user', parts: [{ type: 'text', content: `question ${String(i)}` }] }],
        'gen_ai.output.messages': [{ role: 'assistant', parts: [{ type: 'text', content: `answer ${String(i)}` }], finish_reason: 'stop' }],
      },
    });
  }
  const records = exporter.getFinishedLogRecords();
  const protobuf = ProtobufLogsSerializer.serializeRequest(records);
  const json = JsonLogsSerializer.serializeRequest(records);
  if (!protobuf || !json) throw new Error('the SDK serializers returned nothing');
  return { protobuf: Buffer.from(protobuf), json: Buffer.from(json) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

/** Items per second of the median round, and the spread (the 10th and 90th percentile rounds, as items/s). */
function rate(items: number, roundsMs: number[]): { perSecond: number; p10: number; p90: number } {
  const sorted = [...roundsMs].sort((a, b) => a - b);
  const at = (q: number): number => Math.round(items / ((sorted[Math.floor(q * (sorted.length - 1))] ?? NaN) / 1000));
  return { perSecond: Math.round(items / (median(roundsMs) / 1000)), p10: at(0.9), p90: at(0.1) };
}

type DecodeAndMap = (body: Buffer, type: string) => Promise<number>;

/** Decode + map of one span request with the modules of the checkout at `root` (this one, or a baseline). */
async function spanPath(root: string): Promise<DecodeAndMap> {
  const decode = (await import(resolve(root, 'src/receiver/decode.ts'))) as { decodeTraceRequest: typeof decodeTraceRequest };
  const mapping = (await import(resolve(root, 'src/mapping/to-aim.ts'))) as { planWrites: typeof planWrites };
  return async (body, type) => {
    const decoded = await decode.decodeTraceRequest(body, type, undefined, { maxBodyBytes: 64 * 1024 * 1024 });
    const plan = mapping.planWrites(decoded.spans);
    if (decoded.spans.length !== SPANS_PER_REQUEST || plan.runs.length !== 16) throw new Error(`${root}: the benchmark request did not decode and map whole`);
    return decoded.spans.length;
  };
}

export default async function bench(args: string[]): Promise<Record<string, unknown>> {
  const baselineAt = args.indexOf('--baseline');
  const baselineDir = baselineAt >= 0 ? args[baselineAt + 1] : undefined;
  const positional = args.filter((_, i) => baselineAt < 0 || (i !== baselineAt && i !== baselineAt + 1));
  const rounds = Number(positional[0] ?? 40);
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
    console.log(
      `decode + map ${format}: ${String(decodeAndMap[format])} spans/s (median of ${String(rounds)} requests of ${String(SPANS_PER_REQUEST)} spans, ${String(bodies[format].length)} bytes)`,
    );
  }

  // Logs: decode, read the content events, join them to their (placed) spans' texts.
  const logBodies = genAILogBodies(spans);
  const placements = planWrites(spans.map((span) => fromReadableSpan(span))).placements;
  const placed = new Map(placements.map((placement) => [spanKey(placement.traceId, placement.spanId), placement]));
  const logsPerSecond: Record<string, number> = {};
  for (const format of ['protobuf', 'json'] as const) {
    const perRound: number[] = [];
    for (let round = -10; round < rounds; round++) {
      const started = performance.now();
      const decoded = await decodeLogsRequest(logBodies[format], types[format], undefined, { maxBodyBytes: 64 * 1024 * 1024 });
      const { groups } = groupContentEvents(decoded.items);
      let texts = 0;
      for (const group of groups) {
        const placement = placed.get(group.id);
        if (placement) texts += planPlacedContent(placement, group.events).texts.length;
      }
      if (texts !== 2 * SPANS_PER_REQUEST) throw new Error(`the logs request gave ${String(texts)} texts, not ${String(2 * SPANS_PER_REQUEST)}`);
      if (round >= 0) perRound.push(performance.now() - started);
      sample();
    }
    logsPerSecond[format] = rate(SPANS_PER_REQUEST, perRound).perSecond;
    console.log(
      `logs decode + join ${format}: ${String(logsPerSecond[format])} records/s (median of ${String(rounds)} requests of ${String(SPANS_PER_REQUEST)} records, ${String(logBodies[format].length)} bytes)`,
    );
  }

  // The span path against a baseline checkout, alternating rounds.
  let againstBaseline: Record<string, unknown> | undefined;
  if (baselineDir !== undefined) {
    const contenders = { ours: await spanPath(resolve(import.meta.dirname, '../..')), baseline: await spanPath(resolve(baselineDir)) };
    const times: Record<'ours' | 'baseline', number[]> = { ours: [], baseline: [] };
    for (let round = -10; round < rounds * 2; round++) {
      const order = round % 2 === 0 ? (['ours', 'baseline'] as const) : (['baseline', 'ours'] as const);
      for (const name of order) {
        const started = performance.now();
        const count = await contenders[name](bodies.protobuf, types.protobuf);
        if (count !== SPANS_PER_REQUEST) throw new Error(`${name} decoded ${String(count)} spans`);
        if (round >= 0) times[name].push(performance.now() - started);
      }
    }
    const ours = rate(SPANS_PER_REQUEST, times.ours);
    const baseline = rate(SPANS_PER_REQUEST, times.baseline);
    againstBaseline = { baselineDir, ours, baseline, ratio: Math.round((ours.perSecond / baseline.perSecond) * 1000) / 1000 };
    console.log(
      `span decode + map, protobuf, alternating rounds: ours ${String(ours.perSecond)} spans/s (p10–p90 ${String(ours.p10)}–${String(ours.p90)}), baseline ${String(baseline.perSecond)} (${String(baseline.p10)}–${String(baseline.p90)}): ratio ${String(againstBaseline['ratio'])}`,
    );
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
    logsDecodeJoinRecordsPerSecond: logsPerSecond,
    ...(againstBaseline ? { spanPathAgainstBaseline: againstBaseline } : {}),
    endToEndSpansPerSecond: endToEnd,
    peakRssMiB: Math.round(peakRss / 2 ** 20),
  };
}
