/**
 * `npm run bench -- new-runs [runs] [rounds] [--spans-per-request N] [--concurrency N]`: the rate at
 * which new Aim runs are created in one `aim server`.
 *
 * - ours: `runs` root GenAI chat spans with no conversation, session or parent — each in a trace of
 *   its own, so each becomes its own run (run key = its trace id, src/mapping/run-key.ts) — sent as
 *   OTLP/HTTP protobuf straight to `aim-otel-bridge serve` (no Collector), `--spans-per-request`
 *   spans a request (default 50), `--concurrency` requests at a time (default 4), 429/503 retried
 *   after Retry-After. The bridge's write timeout is raised so a slow Aim delays answers instead of
 *   turning them into retries. Timed from the first request to the last 200 (the bridge answers
 *   once Aim acknowledged every span of a request). The bridge keeps its runs open afterwards (it
 *   closes them when idle), while the Python floor closes each run inside its timing.
 * - the floor, Aim's own Python SDK: one process creating the same number of runs remotely
 *   (`aim.Run(repo='aim://...')`, one `track`, `close()` each), timed inside the process from the
 *   first `Run` to the last `close`.
 * Each contender gets a fresh aim server (and ours a fresh bridge) per round; rounds alternate the
 * order (ours first in odd rounds). After each contender the oracle (Aim's SDK) reads the
 * repository: every expected run hash must be there with its token point, and no other run, or the
 * bench throws.
 *
 * Reports runs/s of both (median, min, max), the ratio ours / Python (ratio of medians and the
 * per-round ratios), and CPU seconds and peak RSS of the aim server and of the bridge (process
 * trees), and the floor: aim server CPU per new run, and the rate it allows (aim server serves one
 * request at a time, so 1000 / ms per run is the most new runs a second). Defaults: 500 runs, 3
 * rounds. Goal (issue 13): ours ≥ 100 runs/s.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { runHash } from '../../src/mapping/run-key.js';
import { requireAim, startAimServer } from '../peers/aim.js';
import { startBridge } from '../peers/bridge.js';
import { type OracleRun, readAimRepo } from '../peers/oracle.js';
import { memoryProvider } from '../receiver/sdk-fixtures.js';
import { postAll, spansWritten } from './bridge-figures.js';
import { TreeMeter } from './proc-stats.js';
import { type Spread, alternatingOrder, parseArgs, perRoundRatios, positiveInteger, roundTo, secondsSince, spread } from './rounds.js';

const runFile = promisify(execFile);

type Contender = 'ours' | 'python';
const CONTENDERS: readonly Contender[] = ['ours', 'python'];
const GOAL_RUNS_PER_SECOND = 100;
const MODEL = 'gpt-bench';

const PYTHON_CREATOR = `
import json, sys, time, aim
url, runs, model = sys.argv[1], int(sys.argv[2]), sys.argv[3]
hashes = []
started = time.perf_counter()
for i in range(runs):
    run = aim.Run(repo=url, experiment='new-runs-python', system_tracking_interval=None,
                  log_system_params=False, capture_terminal_logs=False)
    run.track(100 + i, name='gen_ai.usage.input_tokens', step=0,
              context={'operation': 'chat', 'model': model, 'provider': 'openai'})
    run.close()
    hashes.append(run.hash)
print(json.dumps({'seconds': time.perf_counter() - started, 'hashes': hashes}))
`;

/** One round of one contender: the seconds until every run was in Aim, and the process trees' figures. */
interface Attempt {
  seconds: number;
  aimServer: { cpuSeconds: number; peakRssMiB: number };
  bridge?: { cpuSeconds: number; peakRssMiB: number };
  retries?: number;
}

/** The OTLP requests of `runs` root chat spans (one trace each), and the run hash each span must land in, with its input tokens. */
function rootSpanRequests(runs: number, spansPerRequest: number): { bodies: Uint8Array[]; expected: Map<string, number> } {
  const { provider, exporter } = memoryProvider({ 'service.name': 'new-runs-bench' });
  const tracer = provider.getTracer('bench');
  for (let i = 0; i < runs; i++) {
    tracer
      .startSpan(`chat ${MODEL}`, {
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': MODEL,
          'gen_ai.usage.input_tokens': 100 + i,
          'gen_ai.usage.output_tokens': 20,
        },
      })
      .end();
  }
  const spans = exporter.getFinishedSpans();
  const expected = new Map<string, number>();
  spans.forEach((span, i) => {
    if (span.parentSpanContext !== undefined) throw new Error('a bench span has a parent');
    expected.set(runHash(span.spanContext().traceId), 100 + i);
  });
  if (expected.size !== runs) throw new Error(`${String(runs)} spans make ${String(expected.size)} distinct runs`);
  const bodies: Uint8Array[] = [];
  for (let at = 0; at < spans.length; at += spansPerRequest) {
    const body = ProtobufTraceSerializer.serializeRequest(spans.slice(at, at + spansPerRequest));
    if (!body) throw new Error('the OTLP serializer returned nothing');
    bodies.push(body);
  }
  return { bodies, expected };
}

function inputTokens(run: OracleRun): number[] {
  return run.sequences.find((s) => s.name === 'gen_ai.usage.input_tokens')?.values.filter((v): v is number => typeof v === 'number') ?? [];
}

/** Throws unless the repository holds exactly the `expected` runs, each with its one input-token point. */
async function checkRuns(repoDir: string, expected: Map<string, number>, who: string): Promise<void> {
  const report = await readAimRepo(repoDir);
  const found = new Map(report.runs.map((run) => [run.hash, run]));
  const missing = [...expected.keys()].filter((hash) => !found.has(hash));
  if (missing.length > 0 || report.runs.length !== expected.size) {
    throw new Error(
      `${who}: the oracle finds ${String(report.runs.length)} runs, ${String(missing.length)} of the ${String(expected.size)} expected missing (e.g. ${missing.slice(0, 3).join(', ')})`,
    );
  }
  for (const [hash, tokens] of expected) {
    const points = inputTokens(found.get(hash) as OracleRun);
    if (points.length !== 1 || points[0] !== tokens)
      throw new Error(`${who}: run ${hash} holds input tokens ${JSON.stringify(points)}, expected [${String(tokens)}]`);
  }
}

async function createWithBridge(runs: number, spansPerRequest: number, concurrency: number): Promise<Attempt> {
  const { bodies, expected } = rootSpanRequests(runs, spansPerRequest);
  const aim = await startAimServer();
  // One run per call (a root span each): what this bench measures is the cost of a new run.
  const bridge = await startBridge(aim.url, { env: { AIM_OTEL_BRIDGE_WRITE_TIMEOUT_MS: String(15 * 60_000), AIM_OTEL_BRIDGE_UNKEYED_RUNS: 'trace' } });
  try {
    const aimMeter = new TreeMeter(aim.process.pid);
    const bridgeMeter = new TreeMeter(bridge.process.pid);
    aimMeter.start();
    bridgeMeter.start();
    const started = performance.now();
    const { retries } = await postAll(`${bridge.url}/v1/traces`, bodies, concurrency);
    const seconds = secondsSince(started);
    const attempt: Attempt = { seconds, aimServer: aimMeter.stop(), bridge: bridgeMeter.stop(), retries };
    const written = await spansWritten(bridge.url);
    if (written < runs) throw new Error(`every request was answered 200, yet the bridge counts ${String(written)} of ${String(runs)} spans written`);
    await checkRuns(aim.repoDir, expected, 'ours');
    return attempt;
  } finally {
    await bridge.process.stop();
    await aim.process.stop();
  }
}

async function createWithPython(runs: number): Promise<Attempt> {
  const aim = await startAimServer();
  try {
    const aimMeter = new TreeMeter(aim.process.pid);
    aimMeter.start();
    const { stdout } = await runFile(requireAim().python, ['-c', PYTHON_CREATOR, aim.url, String(runs), MODEL], { maxBuffer: 64 << 20 });
    const aimServer = aimMeter.stop();
    const answer = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { seconds?: number; hashes?: string[] };
    if (typeof answer.seconds !== 'number' || !Array.isArray(answer.hashes)) throw new Error(`the Python creator printed ${stdout.slice(0, 500)}`);
    await checkRuns(aim.repoDir, new Map(answer.hashes.map((hash, i) => [hash, 100 + i])), 'python');
    return { seconds: answer.seconds, aimServer };
  } finally {
    await aim.process.stop();
  }
}

export default async function bench(args: string[]): Promise<Record<string, unknown>> {
  const { positional, options } = parseArgs(args);
  const runs = positiveInteger(positional[0], 500, 'runs');
  const rounds = positiveInteger(positional[1], 3, 'rounds');
  const spansPerRequest = positiveInteger(options.get('spans-per-request'), 50, '--spans-per-request');
  const concurrency = positiveInteger(options.get('concurrency'), 4, '--concurrency');
  if (rounds < 3) console.log(`note: ${String(rounds)} round(s) give no meaningful spread; use 3 or more`);

  const attempts: Record<Contender, Attempt[]> = { ours: [], python: [] };
  for (let round = 1; round <= rounds; round++) {
    for (const contender of alternatingOrder(round, CONTENDERS)) {
      const attempt = contender === 'ours' ? await createWithBridge(runs, spansPerRequest, concurrency) : await createWithPython(runs);
      attempts[contender].push(attempt);
      console.log(
        `round ${String(round)} ${contender.padEnd(6)}: ${String(runs)} runs in ${attempt.seconds.toFixed(2)} s = ${(runs / attempt.seconds).toFixed(1)} runs/s (every run checked); ` +
          `aim server CPU ${attempt.aimServer.cpuSeconds.toFixed(2)} s, peak RSS ${attempt.aimServer.peakRssMiB.toFixed(0)} MiB` +
          (attempt.bridge
            ? `; bridge CPU ${attempt.bridge.cpuSeconds.toFixed(2)} s, peak RSS ${attempt.bridge.peakRssMiB.toFixed(0)} MiB; ${String(attempt.retries ?? 0)} retried requests`
            : ''),
      );
    }
  }

  const rates = (contender: Contender): number[] => attempts[contender].map((a) => runs / a.seconds);
  const processFigures = (list: Attempt[], pick: (a: Attempt) => { cpuSeconds: number; peakRssMiB: number } | undefined): Record<string, unknown> => {
    const figures = list.map(pick).filter((f) => f !== undefined);
    return { cpuSeconds: spread(figures.map((f) => f.cpuSeconds)), peakRssMiB: spread(figures.map((f) => f.peakRssMiB)) };
  };
  const ours = spread(rates('ours'));
  const python = spread(rates('python'));
  const ratio = roundTo(ours.median / python.median);
  // The floor: aim server works on one client's requests at a time (one asyncio loop), so the
  // server CPU a new run costs it caps the rate of new runs, whatever the client does.
  const serverMsPerRun = (contender: Contender): Spread => spread(attempts[contender].map((a) => (a.aimServer.cpuSeconds / runs) * 1000));
  const oursMsPerRun = serverMsPerRun('ours');
  const ceiling = roundTo(1000 / oursMsPerRun.median);
  console.log(
    `aim server CPU per new run: ours ${String(oursMsPerRun.median)} ms, python ${String(serverMsPerRun('python').median)} ms: one aim server can create at most ${String(ceiling)} of our runs a second`,
  );
  console.log(
    `new runs: ours ${String(ours.median)} runs/s (${String(ours.min)}–${String(ours.max)}), python SDK ${String(python.median)} (${String(python.min)}–${String(python.max)}): ratio ${String(ratio)}; goal ${String(GOAL_RUNS_PER_SECOND)} runs/s`,
  );
  return {
    runs,
    rounds,
    spansPerRequest,
    concurrency,
    order: 'ours first in odd rounds, python first in even rounds; a fresh aim server per contender and round',
    ours: {
      runsPerSecond: ours,
      aimServer: processFigures(attempts.ours, (a) => a.aimServer),
      bridge: processFigures(attempts.ours, (a) => a.bridge),
      retriedRequests: attempts.ours.reduce((n, a) => n + (a.retries ?? 0), 0),
    },
    python: { runsPerSecond: python, aimServer: processFigures(attempts.python, (a) => a.aimServer) },
    ratioOursToPython: ratio,
    perRoundRatioOursToPython: spread(perRoundRatios(rates('ours'), rates('python'))),
    goalRunsPerSecond: GOAL_RUNS_PER_SECOND,
    ratioToGoal: roundTo(ours.median / GOAL_RUNS_PER_SECOND),
    /** aim server CPU milliseconds per new run (it serves one request at a time). */
    aimServerCpuMsPerRun: { ours: oursMsPerRun, python: serverMsPerRun('python') },
    /** The most new runs a second one aim server allows at our CPU per run (1000 / ms per run): the floor. */
    ceilingRunsPerSecond: ceiling,
    ratioOursToCeiling: roundTo(ours.median / ceiling),
  };
}
