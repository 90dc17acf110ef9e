/**
 * `npm run bench -- aim-client [steps] [rounds] [--max-frame-bytes N]`: how fast our TypeScript
 * Aim client (src/aim: AimRepo/AimRun) writes to a real `aim server`, against Aim's own Python SDK
 * (`aim.Run(repo='aim://...')`, in the provisioned Aim venv) writing the same points to the same
 * server in the same benchmark run.
 *
 * Two workloads, each in a run of its own per contender and round:
 * - metrics: `steps` steps × 2 metrics (`loss`, `accuracy`, context `{subset: 'train'}`);
 * - texts:   `steps` steps × 2 texts (`prompts` and `completions`, ~200 characters each, as
 *   `run.track(aim.Text(...))` in Python and `trackText` in ours).
 * `rounds` rounds (default 3, at least 3 for a spread), the order alternating: ours first in odd
 * rounds, Python first in even rounds. Each contender's time runs from connecting to the closed
 * run (Python's interpreter start and `import aim` excluded). After every round the oracle (Aim's
 * SDK) reads each run of the round back: every point of every sequence must be there, or the bench
 * throws.
 *
 * Reports per workload and contender: points/s (median, min, max over rounds), the ratio
 * ours / Python (ratio of medians and median of per-round ratios), aim server CPU seconds (its
 * process tree: `aim server` and its uvicorn worker, from /proc, until the server is idle again),
 * client CPU seconds, and our client's WebSocket frames and write instructions.
 * Defaults: 5,000 steps, 3 rounds; `--max-frame-bytes` sets our client's frame size.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { AimRepo } from '../../src/aim/index.js';
import type { WriteStats } from '../../src/aim/write-channel.js';
import { type AimServer, requireAim, startAimServer } from '../peers/aim.js';
import { type OracleRun, readAimRepo } from '../peers/oracle.js';
import { treeCpuSeconds, waitUntilIdle } from './proc-stats.js';
import { type Spread, alternatingOrder, parseArgs, perRoundRatios, positiveInteger, roundTo, secondsSince, spread } from './rounds.js';

const runFile = promisify(execFile);

type Contender = 'typescript' | 'python';
type Workload = 'metrics' | 'texts';
const CONTENDERS: readonly Contender[] = ['typescript', 'python'];
const WORKLOADS: readonly Workload[] = ['metrics', 'texts'];

/** The sequences each workload writes, `steps` points each; the same names in both clients. */
const SEQUENCES: Record<Workload, readonly { name: string; context: Record<string, string>; dtype: string }[]> = {
  metrics: [
    { name: 'loss', context: { subset: 'train' }, dtype: 'float' },
    { name: 'accuracy', context: { subset: 'train' }, dtype: 'float' },
  ],
  texts: [
    { name: 'prompts', context: { action: 'on_llm_start' }, dtype: 'aim.text' },
    { name: 'completions', context: { action: 'on_llm_end' }, dtype: 'aim.text' },
  ],
};

/** The text at step `i` of a text sequence: the same bytes from both clients (the filler is passed to Python). */
const TEXT_FILLER = ' Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud.';
function textAt(sequence: string, step: number): string {
  return `${sequence} ${String(step)}:${TEXT_FILLER}`;
}

const PYTHON_WRITER = `
import json, sys, time, aim
url, workload, steps, experiment, filler = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
cpu_started = time.process_time()
started = time.perf_counter()
run = aim.Run(repo=url, experiment=experiment, system_tracking_interval=None,
              log_system_params=False, capture_terminal_logs=False)
if workload == 'metrics':
    for i in range(steps):
        run.track(1.0 / (i + 1), name='loss', step=i, context={'subset': 'train'})
        run.track(i / steps, name='accuracy', step=i, context={'subset': 'train'})
else:
    for i in range(steps):
        run.track(aim.Text('prompts %d:%s' % (i, filler)), name='prompts', step=i, context={'action': 'on_llm_start'})
        run.track(aim.Text('completions %d:%s' % (i, filler)), name='completions', step=i, context={'action': 'on_llm_end'})
run.close()
print(json.dumps({'hash': run.hash, 'seconds': time.perf_counter() - started, 'cpuSeconds': time.process_time() - cpu_started}))
`;

/** What one contender did with one workload in one round. */
interface Attempt {
  hash: string;
  seconds: number;
  clientCpuSeconds: number;
  serverCpuSeconds: number;
  writeStats?: WriteStats;
}

async function writeWithTypeScript(server: AimServer, workload: Workload, steps: number, maxFrameBytes: number | undefined): Promise<Omit<Attempt, 'serverCpuSeconds'>> {
  const cpuStarted = process.cpuUsage();
  const started = performance.now();
  const repo = await AimRepo.connect(server.url, maxFrameBytes === undefined ? {} : { maxFrameBytes });
  const run = await repo.createRun({ experiment: `bench-typescript-${workload}` });
  if (workload === 'metrics') {
    for (let i = 0; i < steps; i++) {
      await run.track(1 / (i + 1), { name: 'loss', step: i, context: { subset: 'train' } });
      await run.track(i / steps, { name: 'accuracy', step: i, context: { subset: 'train' } });
    }
  } else {
    for (let i = 0; i < steps; i++) {
      await run.trackText(textAt('prompts', i), { name: 'prompts', step: i, context: { action: 'on_llm_start' } });
      await run.trackText(textAt('completions', i), { name: 'completions', step: i, context: { action: 'on_llm_end' } });
    }
  }
  await run.close();
  await repo.close();
  const seconds = secondsSince(started);
  const cpu = process.cpuUsage(cpuStarted);
  const writeStats = writeStatsOf(repo);
  return { hash: run.hash, seconds, clientCpuSeconds: (cpu.user + cpu.system) / 1e6, ...(writeStats ? { writeStats } : {}) };
}

/** The write channel's counters: `AimRepo.writeStats` once the client exposes it, else its transport's. */
function writeStatsOf(repo: AimRepo): WriteStats | undefined {
  const exposed = repo as unknown as { writeStats?: WriteStats; transport?: { writeStats?: WriteStats } };
  const stats = exposed.writeStats ?? exposed.transport?.writeStats;
  return stats ? { ...stats } : undefined;
}

async function writeWithPython(server: AimServer, workload: Workload, steps: number): Promise<Omit<Attempt, 'serverCpuSeconds'>> {
  const { stdout } = await runFile(requireAim().python, ['-c', PYTHON_WRITER, server.url, workload, String(steps), `bench-python-${workload}`, TEXT_FILLER], { maxBuffer: 1 << 20 });
  const answer = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { hash?: string; seconds?: number; cpuSeconds?: number };
  if (typeof answer.hash !== 'string' || typeof answer.seconds !== 'number' || typeof answer.cpuSeconds !== 'number') throw new Error(`the Python writer printed ${stdout}`);
  return { hash: answer.hash, seconds: answer.seconds, clientCpuSeconds: answer.cpuSeconds };
}

/** Throws unless `run` holds every point of `workload`: each sequence with steps 0..steps-1 (and the right texts). */
function checkRun(run: OracleRun | undefined, hash: string, workload: Workload, steps: number): void {
  if (!run) throw new Error(`the oracle does not find run ${hash} (${workload})`);
  for (const expected of SEQUENCES[workload]) {
    const found = run.sequences.find((s) => s.name === expected.name && JSON.stringify(s.context) === JSON.stringify(expected.context));
    if (!found) throw new Error(`run ${hash} (${workload}) has no sequence ${expected.name}`);
    if (found.dtype !== expected.dtype) throw new Error(`run ${hash}: ${expected.name} is ${found.dtype}, not ${expected.dtype}`);
    const sorted = [...found.steps].sort((a, b) => a - b);
    if (sorted.length !== steps || sorted.some((step, i) => step !== i)) {
      throw new Error(`run ${hash} (${workload}): ${expected.name} holds ${String(sorted.length)} points, expected steps 0..${String(steps - 1)}`);
    }
    if (workload === 'texts') {
      const last = found.values[found.steps.indexOf(steps - 1)];
      if (last !== textAt(expected.name, steps - 1)) throw new Error(`run ${hash}: the last text of ${expected.name} is ${JSON.stringify(last)}`);
    }
  }
}

interface Summary {
  pointsPerSecond: Spread;
  seconds: Spread;
  serverCpuSeconds: Spread;
  /** aim server CPU seconds per 1,000 points (median round). */
  serverCpuSecondsPer1000Points: number;
  clientCpuSeconds: Spread;
  writeStats?: WriteStats;
}

export default async function bench(args: string[]): Promise<Record<string, unknown>> {
  const { positional, options } = parseArgs(args);
  const steps = positiveInteger(positional[0], 5_000, 'steps');
  const rounds = positiveInteger(positional[1], 3, 'rounds');
  const maxFrameBytesText = options.get('max-frame-bytes');
  const maxFrameBytes = maxFrameBytesText === undefined ? undefined : positiveInteger(maxFrameBytesText, 0, '--max-frame-bytes');
  if (rounds < 3) console.log(`note: ${String(rounds)} round(s) give no meaningful spread; use 3 or more`);
  const pointsPerRun = steps * 2;

  const server = await startAimServer();
  const serverPid = server.process.pid;
  if (serverPid === undefined) throw new Error('aim server has no pid');
  const attempts: Record<Workload, Record<Contender, Attempt[]>> = {
    metrics: { typescript: [], python: [] },
    texts: { typescript: [], python: [] },
  };
  try {
    for (let round = 1; round <= rounds; round++) {
      const order = alternatingOrder(round, CONTENDERS);
      const written: { hash: string; workload: Workload }[] = [];
      for (const contender of order) {
        for (const workload of WORKLOADS) {
          await waitUntilIdle(serverPid);
          const cpuBefore = treeCpuSeconds(serverPid);
          const attempt = contender === 'typescript' ? await writeWithTypeScript(server, workload, steps, maxFrameBytes) : await writeWithPython(server, workload, steps);
          await waitUntilIdle(serverPid); // what the server still does for this client counts for it
          const serverCpuSeconds = treeCpuSeconds(serverPid) - cpuBefore;
          attempts[workload][contender].push({ ...attempt, serverCpuSeconds });
          written.push({ hash: attempt.hash, workload });
          console.log(
            `round ${String(round)} ${contender.padEnd(10)} ${workload.padEnd(7)}: ${String(pointsPerRun)} points in ${attempt.seconds.toFixed(2)} s = ${String(Math.round(pointsPerRun / attempt.seconds))} points/s; aim server CPU ${serverCpuSeconds.toFixed(2)} s, client CPU ${attempt.clientCpuSeconds.toFixed(2)} s` +
              (attempt.writeStats ? `, ${String(attempt.writeStats.instructions)} instructions in ${String(attempt.writeStats.frames)} frames` : ''),
          );
        }
      }
      // Every run of the round, read back by Aim's own SDK.
      const report = await readAimRepo(server.repoDir, written.map((w) => w.hash));
      for (const { hash, workload } of written) checkRun(report.runs.find((r) => r.hash === hash), hash, workload, steps);
      console.log(`round ${String(round)}: the oracle found every point of the ${String(written.length)} runs`);
    }
  } finally {
    await server.process.stop();
  }

  const summarize = (list: Attempt[]): Summary => {
    const last = list[list.length - 1]?.writeStats;
    const cpu = spread(list.map((a) => a.serverCpuSeconds));
    return {
      pointsPerSecond: spread(list.map((a) => pointsPerRun / a.seconds)),
      seconds: spread(list.map((a) => a.seconds)),
      serverCpuSeconds: cpu,
      serverCpuSecondsPer1000Points: roundTo((cpu.median / pointsPerRun) * 1000),
      clientCpuSeconds: spread(list.map((a) => a.clientCpuSeconds)),
      ...(last ? { writeStats: last } : {}),
    };
  };
  const figures: Record<string, unknown> = {};
  for (const workload of WORKLOADS) {
    const ours = summarize(attempts[workload].typescript);
    const python = summarize(attempts[workload].python);
    const rateRatios = perRoundRatios(
      attempts[workload].typescript.map((a) => pointsPerRun / a.seconds),
      attempts[workload].python.map((a) => pointsPerRun / a.seconds),
    );
    const serverCpuRatios = perRoundRatios(
      attempts[workload].typescript.map((a) => a.serverCpuSeconds),
      attempts[workload].python.map((a) => a.serverCpuSeconds),
    );
    const ratioOursToPython = roundTo(ours.pointsPerSecond.median / python.pointsPerSecond.median);
    figures[workload] = {
      typescript: ours,
      python,
      /** ours / python points/s: ratio of the medians, and the median and spread of the per-round ratios. */
      ratioOursToPython,
      perRoundRatioOursToPython: spread(rateRatios),
      /** aim server CPU ours / python (below 1: we cost the server less for the same points). */
      serverCpuRatioOursToPython: spread(serverCpuRatios),
    };
    console.log(
      `${workload}: ours ${String(ours.pointsPerSecond.median)} points/s (${String(ours.pointsPerSecond.min)}–${String(ours.pointsPerSecond.max)}), python ${String(python.pointsPerSecond.median)} (${String(python.pointsPerSecond.min)}–${String(python.pointsPerSecond.max)}): ratio ${String(ratioOursToPython)}`,
    );
  }
  return {
    stepsPerRun: steps,
    pointsPerRun,
    rounds,
    order: 'typescript first in odd rounds, python first in even rounds',
    ...(maxFrameBytes !== undefined ? { maxFrameBytes } : {}),
    ...figures,
  };
}
