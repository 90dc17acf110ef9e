/**
 * Issue 12, point 4: scale-out. An app (the OTel JS SDK in this process) sends GenAI chat spans and,
 * for each, its `gen_ai.client.inference.operation.details` log event (some before the span, some
 * after) to the Collector built from our manifest, running collector-config/otelcol-loadbalancing.yaml:
 * `load_balancing` by trace id (traces and logs) straight to TWO `aim-otel-bridge serve --grpc-port`
 * processes writing ONE aim server. Mid-load one bridge is killed with SIGKILL and started again on
 * the same ports with the same flags (and its `--state-dir`). Once the Collector's retries have
 * delivered everything, the oracle must find every span's token points and every event's texts
 * exactly once, in the span's conversation run and context, and no run but the conversations'.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT_CONTEXT, type Span, trace } from '@opentelemetry/api';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { expect } from 'chai';
import { runHash } from '../../src/mapping/run-key.js';
import { stepAt } from '../../src/mapping/span-places.js';
import { type AimServer, startAimServer } from '../peers/aim.js';
import { type BridgeProcess, startBridge } from '../peers/bridge.js';
import { REPO_ROOT } from '../peers/cache.js';
import { type Collector, startCollector } from '../peers/collector.js';
import { type OracleReport, type OracleRun, readAimRepo } from '../peers/oracle.js';
import { freePort, isListening } from '../../src/up/ports.js';
import { eventually } from '../peers/wait.js';

const SPANS = Number(process.env['SCALE_SPANS'] ?? 1_000);
const CONVERSATIONS = 50;
/** Spans started together; half of their log events are sent before the spans end, half after. */
const CHUNK = 100;
/** Pause between chunks, so the load lasts long enough to kill a bridge in the middle of it. */
const CHUNK_PAUSE_MS = 400;
/** The chunk after which bridge #1 is killed. */
const KILL_AFTER_CHUNK = Number(process.env['SCALE_KILL_AFTER'] ?? 3);
/** Least time between two oracle reads while waiting for the Collector's retries. */
const ORACLE_PAUSE_MS = 8_000;
const SERVICE = 'scale-out-app';
const MODEL = 'gpt-4o-mini';
const PROVIDER = 'openai';
const CALL_CONTEXT = { operation: 'chat', model: MODEL, provider: PROVIDER };

/** One model call the app makes: a span, and a log event carrying its prompt and completion. */
interface Call {
  conversation: string;
  traceId: string;
  spanId: string;
  /** The span's step in Aim (its start in ms and span id; starts are 1 ms apart, so no two share one). */
  step: bigint;
  inputTokens: number;
  outputTokens: number;
  prompt: string;
  completion: string;
}

const conversationOf = (i: number): string => `scale-conv-${String(i % CONVERSATIONS).padStart(2, '0')}`;

/**
 * The app: SPANS chat spans in chunks of CHUNK, each with its operation-details log event (with the
 * span's trace and span id, no conversation id: only the join can put it in the conversation's run).
 * Even calls' events are exported before their span ends, odd ones' after. `afterChunk` runs after
 * each chunk was handed to the Collector. Resolves to the calls made, once everything was exported.
 */
async function runApp(collectorHttpUrl: string, afterChunk: (chunk: number) => Promise<void>): Promise<Call[]> {
  const resource = resourceFromAttributes({ 'service.name': SERVICE });
  const tracerProvider = new BasicTracerProvider({
    resource,
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: `${collectorHttpUrl}/v1/traces` }), {
        maxQueueSize: SPANS,
        maxExportBatchSize: 512,
        scheduledDelayMillis: 100,
      }),
    ],
  });
  const loggerProvider = new LoggerProvider({
    resource,
    processors: [
      new BatchLogRecordProcessor({
        exporter: new OTLPLogExporter({ url: `${collectorHttpUrl}/v1/logs` }),
        maxQueueSize: SPANS,
        maxExportBatchSize: 512,
        scheduledDelayMillis: 100,
      }),
    ],
  });
  const tracer = tracerProvider.getTracer('scale-out-app');
  const logger = loggerProvider.getLogger('opentelemetry.instrumentation.openai_v2');
  const calls: Call[] = [];
  const t0 = Date.now();
  const emit = (span: Span, call: Call, endMs: number): void => {
    logger.emit({
      eventName: 'gen_ai.client.inference.operation.details',
      context: trace.setSpan(ROOT_CONTEXT, span),
      timestamp: endMs,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': MODEL,
        'gen_ai.provider.name': PROVIDER,
        'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: call.prompt }] }]),
        'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: call.completion }], finish_reason: 'stop' }]),
      },
    });
  };
  try {
    for (let chunk = 0; chunk * CHUNK < SPANS; chunk++) {
      const open: { span: Span; call: Call; endMs: number }[] = [];
      for (let i = chunk * CHUNK; i < Math.min(SPANS, (chunk + 1) * CHUNK); i++) {
        const conversation = conversationOf(i);
        const startMs = t0 + i;
        const inputTokens = 1_000 + i;
        const outputTokens = 1 + (i % 97);
        const span = tracer.startSpan(
          `chat ${MODEL}`,
          {
            startTime: startMs,
            attributes: {
              'gen_ai.operation.name': 'chat',
              'gen_ai.request.model': MODEL,
              'gen_ai.provider.name': PROVIDER,
              'gen_ai.conversation.id': conversation,
              'gen_ai.usage.input_tokens': inputTokens,
              'gen_ai.usage.output_tokens': outputTokens,
            },
          },
          ROOT_CONTEXT,
        );
        const { traceId, spanId } = span.spanContext();
        const call: Call = {
          conversation,
          traceId,
          spanId,
          step: stepAt(BigInt(startMs) * 1_000_000n, spanId),
          inputTokens,
          outputTokens,
          prompt: `Question ${String(i)} in ${conversation}: what is ${String(i)} squared?`,
          completion: `Answer ${String(i)}: ${String(i * i)}.`,
        };
        calls.push(call);
        open.push({ span, call, endMs: startMs + 300 });
      }
      // Events before their span: exported (into the Collector's queue) while the span is still open.
      for (const [n, { span, call, endMs }] of open.entries()) if (n % 2 === 0) emit(span, call, endMs);
      await loggerProvider.forceFlush();
      for (const { span, endMs } of open) span.end(endMs);
      await tracerProvider.forceFlush();
      // Events after their span.
      for (const [n, { span, call, endMs }] of open.entries()) if (n % 2 === 1) emit(span, call, endMs);
      await loggerProvider.forceFlush();
      await afterChunk(chunk);
      await new Promise((wake) => setTimeout(wake, CHUNK_PAUSE_MS));
    }
  } finally {
    await Promise.all([tracerProvider.shutdown(), loggerProvider.shutdown()]);
  }
  return calls;
}

/** A bridge replica: `serve --port HTTP --grpc-port GRPC --state-dir DIR` (as AIM_OTEL_BRIDGE_* variables). */
interface Replica {
  httpPort: number;
  grpcPort: number;
  stateDir: string;
}

async function startReplica(aim: AimServer, replica: Replica): Promise<BridgeProcess> {
  const bridge = await startBridge(aim.url, {
    port: replica.httpPort,
    env: {
      AIM_OTEL_BRIDGE_GRPC_PORT: String(replica.grpcPort),
      AIM_OTEL_BRIDGE_STATE_DIR: replica.stateDir,
    },
  });
  // /healthz answers once HTTP listens; gRPC starts right after.
  await eventually(`bridge gRPC on ${String(replica.grpcPort)}`, async () => ((await isListening(replica.grpcPort)) ? true : undefined), 30_000);
  return bridge;
}

/** The bridge's join counters (since it started), for the report when something is off. */
async function joinCounters(bridge: BridgeProcess): Promise<string> {
  try {
    const text = await (await fetch(`${bridge.url}/metrics`)).text();
    return text
      .split('\n')
      .filter((line) =>
        /^aim_otel_bridge_(genai_events_(un)?joined_total|genai_events_held|spans_received_total|log_records_received_total|spans_written_total) /.test(line),
      )
      .join(', ');
  } catch (error) {
    return `no metrics: ${String(error)}`;
  }
}

type Expected = Map<string, Call[]>;

function byConversation(calls: readonly Call[]): Expected {
  const expected: Expected = new Map();
  for (const call of calls) {
    const list = expected.get(call.conversation);
    if (list) list.push(call);
    else expected.set(call.conversation, [call]);
  }
  return expected;
}

/** Whether a context read by the oracle (keys sorted) is `context`. */
function sameContext(read: Record<string, unknown>, context: Record<string, string>): boolean {
  const keys = Object.keys(context);
  return Object.keys(read).length === keys.length && keys.every((key) => read[key] === context[key]);
}

/** Points of sequence `name` in `context` of a run, as `step → value` (duplicate steps counted). */
function points(run: OracleRun, name: string, context: Record<string, string>): { byStep: Map<string, unknown>; count: number } {
  const sequence = run.sequences.find((s) => s.name === name && sameContext(s.context, context));
  const byStep = new Map<string, unknown>();
  (sequence?.steps ?? []).forEach((step, n) => byStep.set(String(step), sequence?.values[n]));
  return { byStep, count: sequence?.steps.length ?? 0 };
}

/** How many of the expected points (tokens, texts) the repository holds, and how many points in all. */
function progress(report: OracleReport, expected: Expected): { found: number; total: number } {
  let found = 0;
  let total = 0;
  for (const run of report.runs) {
    for (const sequence of run.sequences) {
      if (['gen_ai.usage.input_tokens', 'on_llm_start', 'on_llm_end'].includes(sequence.name)) total += sequence.steps.length;
    }
  }
  for (const [conversation, calls] of expected) {
    const run = report.runs.find((r) => r.hash === runHash(conversation));
    if (!run) continue;
    const tokens = points(run, 'gen_ai.usage.input_tokens', CALL_CONTEXT).byStep;
    const starts = points(run, 'on_llm_start', { action: 'on_llm_start', ...CALL_CONTEXT }).byStep;
    const ends = points(run, 'on_llm_end', { action: 'on_llm_end', ...CALL_CONTEXT }).byStep;
    for (const call of calls) {
      const step = String(call.step);
      if (tokens.get(step) === call.inputTokens) found++;
      if (starts.get(step) === `user: ${call.prompt}`) found++;
      if (ends.get(step) === `assistant: ${call.completion}`) found++;
    }
  }
  return { found, total };
}

/** Every expectation on the final repository: one message listing whatever is wrong (empty when all is right). */
function problems(report: OracleReport, expected: Expected): string[] {
  const wrong: string[] = [];
  const hashes = new Map([...expected.keys()].map((conversation) => [runHash(conversation), conversation]));
  for (const run of report.runs) {
    if (hashes.has(run.hash)) continue;
    const texts = run.sequences
      .filter((s) => s.name.startsWith('on_'))
      .map((s) => `${s.name} ${JSON.stringify(s.context)} ×${String(s.values.length)}: ${JSON.stringify(s.values.slice(0, 2))}`);
    wrong.push(
      `a run that is no conversation's: ${run.hash} (experiment ${String(run.experiment)}), ${texts.join('; ') || run.sequences.map((s) => `${s.name}×${String(s.values.length)}`).join(', ')}`,
    );
  }
  for (const [conversation, calls] of expected) {
    const run = report.runs.find((r) => r.hash === runHash(conversation));
    if (!run) {
      wrong.push(`${conversation}: no run ${runHash(conversation)}`);
      continue;
    }
    if (run.experiment !== SERVICE) wrong.push(`${conversation}: experiment ${String(run.experiment)}`);
    const expectSequence = (name: string, context: Record<string, string>, valueOf: (call: Call) => unknown): void => {
      const { byStep, count } = points(run, name, context);
      if (count !== calls.length)
        wrong.push(`${conversation}: ${name} ${JSON.stringify(context)} has ${String(count)} points, expected ${String(calls.length)} (one per span)`);
      const missing = calls.filter((call) => byStep.get(String(call.step)) !== valueOf(call));
      if (missing.length > 0) {
        const sample = missing
          .slice(0, 3)
          .map(
            (call) =>
              `span ${call.traceId}/${call.spanId} step ${String(call.step)}: ${JSON.stringify(byStep.get(String(call.step)) ?? null)} instead of ${JSON.stringify(valueOf(call))}`,
          );
        wrong.push(`${conversation}: ${name}: ${String(missing.length)} spans without their point (${sample.join('; ')})`);
      }
    };
    expectSequence('gen_ai.usage.input_tokens', CALL_CONTEXT, (call) => call.inputTokens);
    expectSequence('gen_ai.usage.output_tokens', CALL_CONTEXT, (call) => call.outputTokens);
    expectSequence('on_llm_start', { action: 'on_llm_start', ...CALL_CONTEXT }, (call) => `user: ${call.prompt}`);
    expectSequence('on_llm_end', { action: 'on_llm_end', ...CALL_CONTEXT }, (call) => `assistant: ${call.completion}`);
    // Texts in any other context (a fallback context) are misplaced.
    for (const s of run.sequences) {
      if (s.name.startsWith('on_') && !sameContext(s.context, { action: s.name, ...CALL_CONTEXT }))
        wrong.push(`${conversation}: texts in another context: ${s.name} ${JSON.stringify(s.context)}`);
    }
  }
  return wrong;
}

describe('collector-config/otelcol-loadbalancing.yaml: scale-out to two bridges, one killed mid-load (issue 12)', function () {
  this.timeout(240_000);

  it('every span’s token points and every log event’s texts land exactly once, in the span’s run and context, and no other run exists', async () => {
    const started = Date.now();
    const elapsed = (): string => `${((Date.now() - started) / 1_000).toFixed(1)} s`;
    const aim = await startAimServer();
    const replicas: Replica[] = [];
    for (const n of [1, 2])
      replicas.push({ httpPort: await freePort(), grpcPort: await freePort(), stateDir: mkdtempSync(join(tmpdir(), `bridge-state-${String(n)}-`)) });
    const [first, second] = replicas as [Replica, Replica];
    let bridges: BridgeProcess[] = [];
    let collector: Collector | undefined;
    try {
      bridges = await Promise.all([startReplica(aim, first), startReplica(aim, second)]);
      const otlpHttp = await freePort();
      collector = await startCollector(join(REPO_ROOT, 'collector-config', 'otelcol-loadbalancing.yaml'), {
        OTLP_HTTP_ENDPOINT: `127.0.0.1:${String(otlpHttp)}`,
        OTLP_GRPC_ENDPOINT: `127.0.0.1:${String(await freePort())}`,
        AIM_TIER2_FIRST: `127.0.0.1:${String(first.grpcPort)}`,
        AIM_TIER2_SECOND: `127.0.0.1:${String(second.grpcPort)}`,
      });
      console.log(`      peers up after ${elapsed()}`);

      let restarted: Promise<void> | undefined;
      const calls = await runApp(`http://127.0.0.1:${String(otlpHttp)}`, (chunk) => {
        if (chunk === KILL_AFTER_CHUNK) {
          const victim = bridges[0];
          if (!victim) throw new Error('no bridge #1');
          console.log(`      SIGKILL bridge #1 after ${String((chunk + 1) * CHUNK)} spans, at ${elapsed()}`);
          victim.process.signal('SIGKILL');
          restarted = victim.process.waitForExit().then(async () => {
            bridges[0] = await startReplica(aim, first);
            console.log(`      bridge #1 restarted at ${elapsed()}`);
          });
        }
        return Promise.resolve();
      });
      console.log(`      app done (${String(calls.length)} spans and events) at ${elapsed()}`);
      await restarted;
      expect(calls).to.have.length(SPANS);
      const expected = byConversation(calls);
      expect(expected.size).to.equal(CONVERSATIONS);

      // The Collector retries until both bridges took everything: wait for every expected point.
      const wanted = SPANS * 3;
      let last = { found: 0, total: 0 };
      let reported = 0;
      let read = 0;
      await eventually(
        'every token point and text in Aim',
        async () => {
          // The oracle (Python, indexing every changed run) competes with aim server for the CPU: not too often.
          if (Date.now() - read < ORACLE_PAUSE_MS) return undefined;
          read = Date.now();
          last = progress(await readAimRepo(aim.repoDir), expected);
          if (Date.now() - reported > 10_000) {
            reported = Date.now();
            console.log(`      ${String(last.found)} of ${String(wanted)} expected points in Aim (${String(last.total)} in all) at ${elapsed()}`);
          }
          return last.found >= wanted ? true : undefined;
        },
        150_000,
      ).catch((error: unknown) => {
        throw new Error(`${String(error)}: ${String(last.found)} of ${String(wanted)} expected points found (${String(last.total)} points in all)`);
      });
      console.log(`      all ${String(wanted)} points in Aim at ${elapsed()}`);

      // Whatever could still land does now: the Collector drains its queues, the bridges write what
      // they hold and close their runs. Then the repository must be exactly right.
      const counters = await Promise.all(bridges.map(joinCounters));
      await collector.process.stop(30_000);
      await Promise.all(bridges.map((bridge) => bridge.process.stop(30_000)));
      const report = await readAimRepo(aim.repoDir);
      const wrong = problems(report, expected);
      console.log(`      checked ${String(report.runs.length)} runs at ${elapsed()}`);
      expect(wrong, `bridge #1 (restarted): ${counters[0] ?? ''}\nbridge #2: ${counters[1] ?? ''}`).to.deep.equal([]);
      expect(report.runs.map((run) => run.hash).sort()).to.deep.equal([...expected.keys()].map((conversation) => runHash(conversation)).sort());
    } finally {
      await collector?.process.stop();
      await Promise.all(bridges.map((bridge) => bridge.process.stop()));
      await aim.process.stop();
    }
  });
});
