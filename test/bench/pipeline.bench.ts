/**
 * `npm run bench -- pipeline [spans] [rounds] [--baseline DIR]`: sustained GenAI spans/s through
 * the whole collector-side path — OTel JS SDK → the Collector (collector-config/otelcol.yaml) →
 * `aim-otel-bridge serve` → one real aim server — with prompts and completions: each span is a
 * chat call in one of 50 conversations (`gen_ai.conversation.id`, so 50 runs; traces of ten calls) carrying
 * `gen_ai.input.messages` / `gen_ai.output.messages` (GenAI semconv JSON), token usage and time to
 * first chunk, which the bridge writes as three texts (`on_llm_start`, `on_llm_end`,
 * `gen_ai.response`) and five metric points (input, output and total tokens, duration, time to
 * first token). A probe first sends one such span to a bridge and prints what the oracle finds in
 * Aim; the bench throws unless it is exactly that (an older checkout given as `--baseline` writes
 * fewer: two texts and four metric points before issue 14).
 *
 * Each round starts fresh peers (aim server, Jaeger, bridge, Collector), sends `spans` spans, and
 * waits until the bridge counts them all written; the oracle (Aim's SDK) then counts the text and
 * metric points of every run: 0 lost, or the bench throws. Reports spans/s into Aim, the rate of
 * the Collector → Jaeger side of the same round (all spans visible in Jaeger's query API; spans it
 * never shows are counted as lost there) and the ratio, and CPU seconds and peak RSS (sampled) of
 * the bridge and of the aim server (process trees), while the spans are sent and written.
 *
 * `--baseline DIR`: DIR is a checkout of an earlier commit with its node_modules (e.g.
 * `git worktree add DIR <commit>` and a node_modules symlink); its bridge and ours run in
 * alternating rounds (ours first in odd rounds) on the same workload, the Collector config of this
 * checkout for both; reports medians, spread and the ratio ours / baseline. The baseline's points
 * per span are checked as `--baseline-per-span T+M` (texts + metric points; default `2+4`, what
 * every commit before issue 14 writes for the workload span).
 * Defaults: 30,000 spans (~30 s a round at ~1,000 spans/s; spans come in traces of ten, as Jaeger's
 * memory store of the test peer keeps 20,000 traces and searches fewer);
 * rounds 1, or 3 with a baseline.
 */
import { resolve } from 'node:path';
import { ROOT_CONTEXT, type Span, type Tracer, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { startAimServer } from '../peers/aim.js';
import { startBridge } from '../peers/bridge.js';
import { startCollectorPipeline, startJaeger } from '../peers/collector.js';
import { getJson } from '../../src/up/http.js';
import { runHash } from '../../src/mapping/run-key.js';
import { type OracleRun, readAimRepo } from '../peers/oracle.js';
import { bridgeCounter, spansWritten } from './bridge-figures.js';
import { TreeMeter } from './proc-stats.js';
import { METRIC_POINTS_PER_SPAN, TEXTS_PER_SPAN, WORKLOAD_MODEL, chatAttributes } from './genai-workload.js';
import { type Spread, alternatingOrder, parseArgs, perRoundRatios, positiveInteger, roundTo, secondsSince, spread } from './rounds.js';

const CONVERSATIONS = 50;
const SERVICE = 'pipeline-bench';
const MODEL = WORKLOAD_MODEL;
const DEADLINE_MS = 15 * 60_000;
/** `max_traces` of the Jaeger peer's memory store (test/peers/jaeger/jaeger.yaml); a search must ask for fewer. */
const JAEGER_MAX_TRACES = 20_000;

/** Spans of one trace (an agent turn of ten model calls): Jaeger's memory store counts traces. */
const SPANS_PER_TRACE = 10;

/** The conversation of span `i`: every span of a trace is in the same one. */
function conversationOf(i: number): number {
  return Math.floor(i / SPANS_PER_TRACE) % CONVERSATIONS;
}

/**
 * Span `i` of the workload: a chat call with its prompt and completion, usage and time to first
 * chunk, started `i` ms after `firstStartMs` (the calls of one conversation never start in the same
 * millisecond, as in real conversations; an earlier mapping put two texts of such spans on one step)
 * and lasting 200–499 ms. Spans come in traces of SPANS_PER_TRACE: the first is the trace's root,
 * the others its children. Returns the span, the parent of the next ones.
 */
function startChatSpan(tracer: Tracer, i: number, firstStartMs: number, parent: Span | undefined): Span {
  const startMs = firstStartMs + i;
  const span = tracer.startSpan(
    `chat ${MODEL}`,
    {
      startTime: startMs,
      attributes: chatAttributes(i, conversationOf(i)),
    },
    parent === undefined || i % SPANS_PER_TRACE === 0 ? ROOT_CONTEXT : trace.setSpan(ROOT_CONTEXT, parent),
  );
  span.end(startMs + 200 + (i % 300));
  return i % SPANS_PER_TRACE === 0 ? span : (parent ?? span);
}

/** The whole workload, `spans` spans. */
function startChatSpans(tracer: Tracer, spans: number): void {
  const firstStartMs = Date.now() - spans - 1000;
  let root: Span | undefined;
  for (let i = 0; i < spans; i++) root = startChatSpan(tracer, i, firstStartMs, root);
}

/**
 * A tracer sending to `tracesUrl` through a batch processor that holds the whole workload (its
 * shutdown exports every queued batch at once: the exporter must take that many concurrently).
 */
function sdkTracer(tracesUrl: string, spans: number): { tracer: Tracer; provider: BasicTracerProvider } {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': SERVICE }),
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: tracesUrl, concurrencyLimit: Math.ceil(spans / 512) + 8 }), {
        maxQueueSize: Math.max(spans, 2048),
        maxExportBatchSize: 512,
        scheduledDelayMillis: 20,
      }),
    ],
  });
  return { tracer: provider.getTracer('bench'), provider };
}

async function waitForWritten(bridgeUrl: string, spans: number): Promise<void> {
  const started = performance.now();
  while ((await spansWritten(bridgeUrl)) < spans) {
    if (performance.now() - started > DEADLINE_MS)
      throw new Error(`the bridge did not write ${String(spans)} spans within ${String(DEADLINE_MS / 60_000)} minutes`);
    await new Promise((wake) => setTimeout(wake, 200));
  }
}

function isText(dtype: string): boolean {
  return dtype === 'aim.text' || dtype === 'list(aim.text)';
}

function countPoints(run: OracleRun): { texts: number; metricPoints: number } {
  let texts = 0;
  let metricPoints = 0;
  for (const sequence of run.sequences) {
    if (isText(sequence.dtype)) texts += sequence.steps.length;
    else if (sequence.dtype === 'float' || sequence.dtype === 'int') metricPoints += sequence.steps.length;
  }
  return { texts, metricPoints };
}

/** Texts and metric points one workload span becomes in Aim. */
interface PerSpan {
  readonly texts: number;
  readonly metricPoints: number;
}

const OURS_PER_SPAN: PerSpan = { texts: TEXTS_PER_SPAN, metricPoints: METRIC_POINTS_PER_SPAN };

/** `T+M` (texts + metric points per span). */
function parsePerSpan(text: string): PerSpan {
  const match = /^(\d+)\+(\d+)$/.exec(text);
  if (!match) throw new Error(`--baseline-per-span takes T+M (texts + metric points per span), not ${text}`);
  return { texts: Number(match[1]), metricPoints: Number(match[2]) };
}

/** One span through our bridge into a fresh aim server: prints what it became and throws unless it is the workload's texts and metric points. */
async function probeOneSpan(): Promise<Record<string, unknown>[]> {
  const aim = await startAimServer();
  const bridge = await startBridge(aim.url);
  try {
    const { tracer, provider } = sdkTracer(`${bridge.url}/v1/traces`, 1);
    startChatSpans(tracer, 1);
    await provider.shutdown();
    await waitForWritten(bridge.url, 1);
    const report = await readAimRepo(aim.repoDir);
    const run = report.runs[0];
    if (report.runs.length !== 1 || !run) throw new Error(`one span made ${String(report.runs.length)} runs`);
    const became = run.sequences.map((s) => ({ name: s.name, dtype: s.dtype, context: s.context, points: s.steps.length, value: s.values[0] ?? null }));
    console.log(`one span became run ${run.hash} (experiment ${String(run.experiment)}, name ${String(run.name)}):`);
    for (const sequence of became)
      console.log(
        `  ${sequence.name} [${sequence.dtype}] ${JSON.stringify(sequence.context)} × ${String(sequence.points)}: ${JSON.stringify(sequence.value).slice(0, 100)}`,
      );
    const { texts, metricPoints } = countPoints(run);
    if (texts !== TEXTS_PER_SPAN || metricPoints !== METRIC_POINTS_PER_SPAN) {
      throw new Error(
        `one span became ${String(texts)} texts and ${String(metricPoints)} metric points, not ${String(TEXTS_PER_SPAN)} and ${String(METRIC_POINTS_PER_SPAN)}: the workload does not match its description`,
      );
    }
    return became;
  } finally {
    await bridge.process.stop();
    await aim.process.stop();
  }
}

/** How many spans of SERVICE Jaeger's query API shows. */
async function spansInJaeger(queryUrl: string, spans: number): Promise<number> {
  const traces = Math.ceil(spans / SPANS_PER_TRACE);
  const answer = (await getJson(`${queryUrl}/api/traces?service=${SERVICE}&limit=${String(traces)}&lookback=1h`, 60_000)) as { data: { spans: unknown[] }[] };
  return answer.data.reduce((n, trace) => n + trace.spans.length, 0);
}

interface ProcessFigures {
  cpuSeconds: number;
  peakRssMiB: number;
}

interface Attempt {
  seconds: number;
  sendSeconds: number;
  /** Seconds until Jaeger showed every span; undefined if it never did. */
  jaegerSeconds: number | undefined;
  /** Spans Jaeger's query API showed last (the Collector drops what Jaeger refuses). */
  jaegerSpans: number;
  bridge: ProcessFigures;
  aimServer: ProcessFigures;
  /** Spans the bridge answered 429/503 for (the Collector sent them again). */
  deferredSpans: number;
}

/** One round of one bridge (the checkout at `root`): fresh peers, the workload, the oracle's count. */
async function runPipeline(spans: number, root: string | undefined, label: string, perSpan: PerSpan): Promise<Attempt> {
  const aim = await startAimServer();
  const jaeger = await startJaeger();
  const bridge = await startBridge(aim.url, root === undefined ? {} : { root });
  const collector = await startCollectorPipeline(jaeger, bridge.url);
  try {
    const bridgeMeter = new TreeMeter(bridge.process.pid);
    const aimMeter = new TreeMeter(aim.process.pid);
    bridgeMeter.start();
    aimMeter.start();
    const { tracer, provider } = sdkTracer(`${collector.otlpHttpUrl}/v1/traces`, spans);
    const started = performance.now();
    startChatSpans(tracer, spans);
    await provider.shutdown();
    const sendSeconds = secondsSince(started);
    // Jaeger is asked until it shows every span, or until its count stood still for 5 s after the
    // last span was sent (then the rest was lost on the way: the Collector logs why).
    let jaegerSeconds: number | undefined;
    let jaegerSpans = 0;
    let jaegerWatching = true;
    let jaegerStillSince = performance.now();
    for (;;) {
      if (jaegerWatching) {
        const count = await spansInJaeger(jaeger.queryUrl, spans);
        if (count !== jaegerSpans) jaegerStillSince = performance.now();
        jaegerSpans = count;
        if (count >= spans) jaegerSeconds = secondsSince(started);
        if (count >= spans || performance.now() - jaegerStillSince > 5_000) jaegerWatching = false;
      }
      if ((await spansWritten(bridge.url)) >= spans) break;
      if (performance.now() - started > DEADLINE_MS)
        throw new Error(`${label}: the pipeline did not deliver ${String(spans)} spans within ${String(DEADLINE_MS / 60_000)} minutes`);
      await new Promise((wake) => setTimeout(wake, jaegerWatching ? 500 : 200));
    }
    if (jaegerSpans < spans)
      console.log(`${label}: Jaeger shows ${String(jaegerSpans)} of ${String(spans)} spans (see the Collector's log: ${collector.process.logFile})`);
    const seconds = secondsSince(started);
    const attempt: Attempt = {
      seconds,
      sendSeconds,
      jaegerSeconds,
      jaegerSpans,
      bridge: bridgeMeter.stop(),
      aimServer: aimMeter.stop(),
      deferredSpans: await bridgeCounter(bridge.url, 'aim_otel_bridge_spans_deferred_total'),
    };

    // 0 lost: every text and metric point of every span, in the run of its conversation.
    const report = await readAimRepo(aim.repoDir);
    if (report.runs.length !== CONVERSATIONS) throw new Error(`${label}: Aim holds ${String(report.runs.length)} runs, not ${String(CONVERSATIONS)}`);
    let texts = 0;
    let metricPoints = 0;
    for (const run of report.runs) {
      const counted = countPoints(run);
      texts += counted.texts;
      metricPoints += counted.metricPoints;
    }
    if (texts !== spans * perSpan.texts || metricPoints !== spans * perSpan.metricPoints) {
      throw new Error(
        `${label}: Aim holds ${String(texts)} texts and ${String(metricPoints)} metric points, expected ${String(spans * perSpan.texts)} and ${String(spans * perSpan.metricPoints)}`,
      );
    }
    // And each conversation's run holds its own spans' points.
    const expectedPerRun = new Map<string, number>();
    for (let i = 0; i < spans; i++) {
      const hash = runHash(`conversation-${String(conversationOf(i))}`);
      expectedPerRun.set(hash, (expectedPerRun.get(hash) ?? 0) + 1);
    }
    for (const run of report.runs) {
      const counted = countPoints(run);
      const expected = expectedPerRun.get(run.hash);
      if (expected === undefined || counted.texts !== expected * perSpan.texts || counted.metricPoints !== expected * perSpan.metricPoints) {
        throw new Error(
          `${label}: run ${run.hash} holds ${String(counted.texts)} texts and ${String(counted.metricPoints)} metric points, expected ${String(expected)} spans' worth`,
        );
      }
    }
    return attempt;
  } finally {
    await collector.process.stop();
    await bridge.process.stop();
    await Promise.all([aim.process.stop(), jaeger.process.stop()]);
  }
}

interface ContenderSummary {
  spansPerSecond: Spread;
  /** Over the rounds where Jaeger showed every span; null if it never did. */
  jaegerSpansPerSecond: Spread | null;
  /** Spans Jaeger never showed, per round. */
  jaegerLostSpans: Spread;
  ratioAimToJaeger: Spread | null;
  sendSeconds: Spread;
  bridge: { cpuSeconds: Spread; peakRssMiB: Spread };
  aimServer: { cpuSeconds: Spread; peakRssMiB: Spread };
  /** CPU milliseconds per span (median round), where the work goes. */
  cpuMsPerSpan: { bridge: number; aimServer: number };
  /**
   * The floor: spans/s one aim server allows at this CPU per span (1000 / aim server ms per span;
   * its write loop is one thread, so about the most any bridge could reach with these writes).
   */
  aimServerCeilingSpansPerSecond: number;
  /** Spans answered 429/503 and sent again by the Collector, per round. */
  deferredSpans: Spread;
}

function summarize(spans: number, list: Attempt[]): ContenderSummary {
  const jaeger = list.filter((a) => a.jaegerSeconds !== undefined);
  const bridgeCpu = spread(list.map((a) => a.bridge.cpuSeconds));
  const aimCpu = spread(list.map((a) => a.aimServer.cpuSeconds));
  return {
    spansPerSecond: spread(list.map((a) => spans / a.seconds)),
    jaegerSpansPerSecond: jaeger.length === 0 ? null : spread(jaeger.map((a) => spans / (a.jaegerSeconds ?? NaN))),
    jaegerLostSpans: spread(list.map((a) => spans - a.jaegerSpans)),
    ratioAimToJaeger: jaeger.length === 0 ? null : spread(jaeger.map((a) => (a.jaegerSeconds ?? NaN) / a.seconds)),
    sendSeconds: spread(list.map((a) => a.sendSeconds)),
    bridge: { cpuSeconds: bridgeCpu, peakRssMiB: spread(list.map((a) => a.bridge.peakRssMiB)) },
    aimServer: { cpuSeconds: aimCpu, peakRssMiB: spread(list.map((a) => a.aimServer.peakRssMiB)) },
    cpuMsPerSpan: { bridge: roundTo((bridgeCpu.median / spans) * 1000), aimServer: roundTo((aimCpu.median / spans) * 1000) },
    aimServerCeilingSpansPerSecond: roundTo(spans / aimCpu.median),
    deferredSpans: spread(list.map((a) => a.deferredSpans)),
  };
}

export default async function bench(args: string[]): Promise<Record<string, unknown>> {
  const { positional, options } = parseArgs(args);
  const spans = positiveInteger(positional[0], 30_000, 'spans');
  const baselineDir = options.get('baseline');
  const baselinePerSpan = parsePerSpan(options.get('baseline-per-span') ?? '2+4');
  const rounds = positiveInteger(positional[1], baselineDir === undefined ? 1 : 3, 'rounds');
  if (Math.ceil(spans / SPANS_PER_TRACE) >= JAEGER_MAX_TRACES)
    throw new Error(
      `fewer than ${String(JAEGER_MAX_TRACES * SPANS_PER_TRACE)} spans: the Jaeger peer keeps ${String(JAEGER_MAX_TRACES)} traces and searches fewer`,
    );

  const probe = await probeOneSpan();
  type Contender = 'ours' | 'baseline';
  const contenders: Contender[] = baselineDir === undefined ? ['ours'] : ['ours', 'baseline'];
  const attempts: Record<Contender, Attempt[]> = { ours: [], baseline: [] };
  for (let round = 1; round <= rounds; round++) {
    for (const contender of alternatingOrder(round, contenders)) {
      const attempt = await runPipeline(
        spans,
        contender === 'baseline' ? resolve(baselineDir ?? '') : undefined,
        contender,
        contender === 'baseline' ? baselinePerSpan : OURS_PER_SPAN,
      );
      attempts[contender].push(attempt);
      console.log(
        `round ${String(round)} ${contender.padEnd(8)}: ${String(spans)} spans sent in ${attempt.sendSeconds.toFixed(1)} s, in Jaeger after ${attempt.jaegerSeconds === undefined ? `— s (only ${String(attempt.jaegerSpans)})` : `${attempt.jaegerSeconds.toFixed(1)} s`}, all in Aim after ${attempt.seconds.toFixed(1)} s = ${(spans / attempt.seconds).toFixed(0)} spans/s, 0 lost (oracle); ` +
          `bridge CPU ${attempt.bridge.cpuSeconds.toFixed(1)} s, peak RSS ${attempt.bridge.peakRssMiB.toFixed(0)} MiB; aim server CPU ${attempt.aimServer.cpuSeconds.toFixed(1)} s, peak RSS ${attempt.aimServer.peakRssMiB.toFixed(0)} MiB; ${String(attempt.deferredSpans)} spans answered 429/503`,
      );
    }
  }

  const ours = summarize(spans, attempts.ours);
  const figures: Record<string, unknown> = {
    spans,
    conversations: CONVERSATIONS,
    perSpan: { texts: TEXTS_PER_SPAN, metricPoints: METRIC_POINTS_PER_SPAN, probe },
    rounds,
    ours,
  };
  if (baselineDir !== undefined) {
    const baseline = summarize(spans, attempts.baseline);
    const ratio = roundTo(ours.spansPerSecond.median / baseline.spansPerSecond.median);
    Object.assign(figures, {
      baselineDir: resolve(baselineDir),
      order: 'ours first in odd rounds, baseline first in even rounds; fresh peers every round',
      baseline,
      ratioOursToBaseline: ratio,
      perRoundRatioOursToBaseline: spread(
        perRoundRatios(
          attempts.ours.map((a) => spans / a.seconds),
          attempts.baseline.map((a) => spans / a.seconds),
        ),
      ),
    });
    console.log(
      `pipeline: ours ${String(ours.spansPerSecond.median)} spans/s (${String(ours.spansPerSecond.min)}–${String(ours.spansPerSecond.max)}), baseline ${String(baseline.spansPerSecond.median)} (${String(baseline.spansPerSecond.min)}–${String(baseline.spansPerSecond.max)}): ratio ${String(ratio)}`,
    );
  }
  return figures;
}
