/**
 * `npm run bench -- overload [rounds] [--spans N] [--batch N] [--senders N] [--unloaded-senders N]`:
 * does overload degrade into back-pressure or into collapse (issue 13)? A real aim server and
 * `aim-otel-bridge serve` (fresh ones per round and per phase) take the same workload — `spans`
 * GenAI chat spans in 40 conversations, `batch` spans per OTLP/HTTP request — from senders that
 * retry like the Collector's `otlp_http` exporter (test/receiver/retrying-sender.ts: each waits for
 * its answer, honours Retry-After, times out after 30 s), in two phases per round, in alternating
 * order:
 *
 * - unloaded: 6 senders (the 933 spans/s);
 * - overloaded: 120 senders, so `120 × batch` spans are in flight at once, more than the bridge's
 *   queue (20,000 items) holds (24,000 with the defaults).
 *
 * Each phase ends once every request was answered 200; the oracle (Aim's SDK) then reads every
 * token point: each span exactly once, or the bench throws. Reports per phase: goodput (spans in
 * Aim / s, until the bridge counts them all acknowledged by Aim), the time until every request was
 * answered 200 (the time to drain: the last retries wait for their Retry-After), the answers by status (200/429/503/timeout), retries per span
 * (attempts beyond the first, per span carried), the bridge's own counters (requests shed, retries
 * joined to or answered from earlier work), CPU seconds and peak RSS of the bridge (sampled) and
 * CPU seconds of aim server; and over the rounds the ratio overloaded / unloaded goodput (median
 * of per-round ratios and spread), and the same ratio of the times to drain. Defaults: 60,000
 * spans (each overloaded sender sends 2.5 requests: sustained overload, not one burst), batches
 * of 200, 2 rounds.
 */
import { type AimServer, startAimServer } from '../peers/aim.js';
import { type BridgeProcess, startBridge } from '../peers/bridge.js';
import { readAimRepo } from '../peers/oracle.js';
import { type Batch, makeBatches, sendWithRetries } from '../receiver/retrying-sender.js';
import { bridgeCounter, spansWritten } from './bridge-figures.js';
import { TreeMeter } from './proc-stats.js';
import { type Spread, alternatingOrder, parseArgs, perRoundRatios, positiveInteger, roundTo, secondsSince, spread } from './rounds.js';

const CONVERSATIONS = 40;
const QUEUE_ITEMS = 20_000;
const PHASE_DEADLINE_MS = 15 * 60_000;

type Phase = 'unloaded' | 'overloaded';

interface PhaseFigures {
  /** Goodput: spans / {@link writtenSeconds}. */
  spansPerSecond: number;
  /** Until the bridge counted every span acknowledged by Aim. */
  writtenSeconds: number;
  /** Until every request was answered 200 (the last retries wait for their Retry-After). */
  drainSeconds: number;
  answers: Record<string, number>;
  retriesPerSpan: number;
  shedRequests: number;
  retriesJoined: number;
  retriesFromWritten: number;
  bridgeCpuSeconds: number;
  bridgePeakRssMiB: number;
  aimCpuSeconds: number;
}

/** Every input-token point in the repository, checked to be 0..spans-1 exactly once each. */
async function checkEverySpanOnce(aim: AimServer, spans: number, label: string): Promise<void> {
  const points = (await readAimRepo(aim.repoDir)).runs
    .flatMap((run) => run.sequences.filter((s) => s.name === 'gen_ai.usage.input_tokens').flatMap((s) => s.values as number[]))
    .sort((a, b) => a - b);
  const missing = spans - new Set(points).size;
  const duplicates = points.length - new Set(points).size;
  const strays = points.filter((value) => !Number.isInteger(value) || value < 0 || value >= spans).length;
  if (points.length !== spans || missing !== 0 || duplicates !== 0 || strays !== 0) {
    throw new Error(
      `${label}: Aim holds ${String(points.length)} token points for ${String(spans)} spans (${String(missing)} missing, ${String(duplicates)} duplicated, ${String(strays)} strays)`,
    );
  }
}

/** Seconds from `started` (a `performance.now()`) until the bridge counts `spans` written (polled every 100 ms). */
async function whenAllWritten(bridgeUrl: string, spans: number, started: number): Promise<number> {
  while ((await spansWritten(bridgeUrl)) < spans) {
    if (performance.now() - started > PHASE_DEADLINE_MS)
      throw new Error(`the bridge did not write ${String(spans)} spans within ${String(PHASE_DEADLINE_MS / 60_000)} min`);
    await new Promise((wake) => setTimeout(wake, 100));
  }
  return secondsSince(started);
}

/** One phase on fresh peers: the senders until every request was answered 200, then the oracle. */
async function runPhase(batches: readonly Batch[], spans: number, senders: number, label: string): Promise<PhaseFigures> {
  let aim: AimServer | undefined;
  let bridge: BridgeProcess | undefined;
  try {
    aim = await startAimServer();
    bridge = await startBridge(aim.url);
    const bridgeMeter = new TreeMeter(bridge.process.pid);
    const aimMeter = new TreeMeter(aim.process.pid);
    bridgeMeter.start();
    aimMeter.start();
    const started = performance.now();
    const written = whenAllWritten(bridge.url, spans, started);
    const report = await sendWithRetries(bridge.url, batches, { concurrency: senders, deadline: Date.now() + PHASE_DEADLINE_MS });
    const writtenSeconds = await written;
    const bridgeFigures = bridgeMeter.stop();
    const aimFigures = aimMeter.stop();
    if (report.failed > 0)
      throw new Error(`${label}: ${String(report.failed)} requests not delivered within ${String(PHASE_DEADLINE_MS / 60_000)} min: ${JSON.stringify(report)}`);
    const attempts = Object.values(report.answers).reduce((sum, n) => sum + n, 0);
    const batchSize = spans / batches.length;
    const figures: PhaseFigures = {
      spansPerSecond: roundTo(spans / writtenSeconds),
      writtenSeconds: roundTo(writtenSeconds),
      drainSeconds: roundTo(report.elapsedMs / 1000),
      answers: report.answers,
      retriesPerSpan: roundTo(((attempts - batches.length) * batchSize) / spans),
      shedRequests: await bridgeCounter(bridge.url, 'aim_otel_bridge_requests_shed_total'),
      retriesJoined: await bridgeCounter(bridge.url, 'aim_otel_bridge_requests_retried_total{answered="joined-in-flight"}'),
      retriesFromWritten: await bridgeCounter(bridge.url, 'aim_otel_bridge_requests_retried_total{answered="from-written"}'),
      bridgeCpuSeconds: roundTo(bridgeFigures.cpuSeconds),
      bridgePeakRssMiB: roundTo(bridgeFigures.peakRssMiB),
      aimCpuSeconds: roundTo(aimFigures.cpuSeconds),
    };
    await checkEverySpanOnce(aim, spans, label);
    console.log(`${label}: ${JSON.stringify(figures)}`);
    return figures;
  } finally {
    await bridge?.process.stop();
    await aim?.process.stop();
  }
}

/** The median and spread of one figure of one phase over the rounds. */
function over(rounds: readonly Record<Phase, PhaseFigures>[], phase: Phase, figure: (f: PhaseFigures) => number): Spread {
  return spread(rounds.map((round) => figure(round[phase])));
}

export default async function overload(args: string[]): Promise<Record<string, unknown>> {
  const { positional, options } = parseArgs(args);
  const rounds = positiveInteger(positional[0], 2, 'rounds');
  const spans = positiveInteger(options.get('spans'), 60_000, '--spans');
  const batchSize = positiveInteger(options.get('batch'), 200, '--batch');
  const senders = positiveInteger(options.get('senders'), 120, '--senders');
  const unloadedSenders = positiveInteger(options.get('unloaded-senders'), 6, '--unloaded-senders');
  if (spans % batchSize !== 0) throw new Error('--spans must be a multiple of --batch');
  const inFlight = Math.min(spans, senders * batchSize);
  if (inFlight <= QUEUE_ITEMS)
    console.warn(`note: ${String(inFlight)} spans in flight at most, not more than the bridge's queue (${String(QUEUE_ITEMS)} items): this is not overload`);
  const batches = makeBatches({ spans, batchSize, conversations: CONVERSATIONS, service: 'overload-bench' });
  const senderCount: Record<Phase, number> = { unloaded: unloadedSenders, overloaded: senders };

  const results: Record<Phase, PhaseFigures>[] = [];
  for (let round = 1; round <= rounds; round++) {
    const figures: Partial<Record<Phase, PhaseFigures>> = {};
    for (const phase of alternatingOrder<Phase>(round, ['unloaded', 'overloaded'])) {
      figures[phase] = await runPhase(batches, spans, senderCount[phase], `round ${String(round)} ${phase} (${String(senderCount[phase])} senders)`);
    }
    const { unloaded, overloaded } = figures;
    if (!unloaded || !overloaded) throw new Error('a phase did not run');
    results.push({ unloaded, overloaded });
  }

  const ratios = perRoundRatios(
    results.map((r) => r.overloaded.spansPerSecond),
    results.map((r) => r.unloaded.spansPerSecond),
  );
  const drainRatios = perRoundRatios(
    results.map((r) => r.unloaded.drainSeconds),
    results.map((r) => r.overloaded.drainSeconds),
  );
  const summary = (phase: Phase): Record<string, unknown> => ({
    senders: senderCount[phase],
    spansPerSecond: over(results, phase, (f) => f.spansPerSecond),
    writtenSeconds: over(results, phase, (f) => f.writtenSeconds),
    drainSeconds: over(results, phase, (f) => f.drainSeconds),
    retriesPerSpan: over(results, phase, (f) => f.retriesPerSpan),
    bridgePeakRssMiB: over(results, phase, (f) => f.bridgePeakRssMiB),
    bridgeCpuSeconds: over(results, phase, (f) => f.bridgeCpuSeconds),
    aimCpuSeconds: over(results, phase, (f) => f.aimCpuSeconds),
    answers: results.map((r) => r[phase].answers),
    shedRequests: results.map((r) => r[phase].shedRequests),
    retriesJoined: results.map((r) => r[phase].retriesJoined),
    retriesFromWritten: results.map((r) => r[phase].retriesFromWritten),
  });
  return {
    spans,
    batchSize,
    conversations: CONVERSATIONS,
    spansInFlightOverloaded: inFlight,
    queueItems: QUEUE_ITEMS,
    rounds,
    unloaded: summary('unloaded'),
    overloaded: summary('overloaded'),
    goodputRatio: spread(ratios),
    /** The same ratio with the time until every sender was answered 200 (Retry-After waits included). */
    drainRatio: spread(drainRatios),
    everySpanOnce: true,
  };
}
