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
import { type AimServer, createAimRepo, requireAim, startAimServer } from '../peers/aim.js';
import { type OracleRun, readAimRepo } from '../peers/oracle.js';
import { treeCpuSeconds, waitUntilIdle } from './proc-stats.js';
import { type Spread, alternatingOrder, parseArgs, perRoundRatios, positiveInteger, roundTo, secondsSince, spread } from './rounds.js';

const runFile = promisify(execFile);

type Contender = 'typescript' | 'python' | 'floor';
type Workload = 'metrics' | 'texts';
const CONTENDERS: readonly Contender[] = ['typescript', 'python', 'floor'];
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
const TEXT_FILLER =
  ' Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud.';
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

/**
 * The floor: what `aim server` itself must do for these points, without any protocol — Aim's own
 * storage (`ContainerTreeView.update`, what the server runs for our instructions) applying the
 * same leaf writes in-process to a repository of its own, in updates of 64 entries as our client
 * sends them, with the sequence metadata once per update. No client of one aim server can write
 * faster than this. It counts the points back from storage (the records of the time column).
 */
const PYTHON_STORAGE_FLOOR = `
import json, sys, time, aim
from aim.sdk.repo import Repo
from aim.storage.hashing import hash_auto
from aim.storage.context import Context
from aim.storage import encoding as E
repo_dir, workload, steps, filler = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
repo = Repo.from_path(repo_dir)
run = 'floor' + workload
seqs = repo.request_tree('seqs', run, read_only=False)
meta = repo.request_tree('meta', run, read_only=False)
names = ['loss', 'accuracy'] if workload == 'metrics' else ['prompts', 'completions']
ctx = Context({'subset': 'train'} if workload == 'metrics' else {'action': 'on_llm_start'}).idx
columns = ['step', 'val', 'epoch', 'time'] if workload == 'metrics' else ['val', 'epoch', 'time']
prefix = ('seqs', 'v2', 'chunks', run, ctx) if workload == 'metrics' else ('seqs', 'chunks', run, ctx)
cpu_started = time.process_time()
started = time.perf_counter()
for name in names:
    for column in columns:
        seqs.make_array(prefix + (name, column))
for first in range(0, steps, 64):
    block = range(first, min(steps, first + 64))
    for name in names:
        keys = [hash_auto(i) for i in block] if workload == 'metrics' else list(block)
        if workload == 'metrics':
            values = [1.0 / (i + 1) if name == 'loss' else i / steps for i in block]
        else:
            values = [aim.Text('%s %d:%s' % (name, i, filler)) for i in block]
        base = prefix + (name,)
        seqs.update(base + ('val',), list(zip(keys, values)))
        seqs.update(base + ('epoch',), [(k, None) for k in keys])
        seqs.update(base + ('time',), [(k, time.time()) for k in keys])
        if workload == 'metrics':
            seqs.update(base + ('step',), list(zip(keys, block)))
        meta.update(('meta', 'chunks', run, 'traces', ctx, name), [('last', values[-1]), ('last_step', block[-1])])
seconds = time.perf_counter() - started
cpu = time.process_time() - cpu_started
# One scalar record per point in the time column (after the array's own flag record).
counted = sum(sum(1 for key, _ in seqs.container.view(E.encode_path(prefix + (name, 'time'))).items() if key) for name in names)
print(json.dumps({'hash': run, 'seconds': seconds, 'cpuSeconds': cpu, 'points': counted}))
`;

/** What one contender did with one workload in one round. */
interface Attempt {
  hash: string;
  seconds: number;
  clientCpuSeconds: number;
  serverCpuSeconds: number;
  writeStats?: WriteStats;
}

async function writeWithTypeScript(
  server: AimServer,
  workload: Workload,
  steps: number,
  maxFrameBytes: number | undefined,
): Promise<Omit<Attempt, 'serverCpuSeconds'>> {
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
  const { stdout } = await runFile(requireAim().python, ['-c', PYTHON_WRITER, server.url, workload, String(steps), `bench-python-${workload}`, TEXT_FILLER], {
    maxBuffer: 1 << 20,
  });
  const answer = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { hash?: string; seconds?: number; cpuSeconds?: number };
  if (typeof answer.hash !== 'string' || typeof answer.seconds !== 'number' || typeof answer.cpuSeconds !== 'number')
    throw new Error(`the Python writer printed ${stdout}`);
  return { hash: answer.hash, seconds: answer.seconds, clientCpuSeconds: answer.cpuSeconds };
}

async function writeFloor(workload: Workload, steps: number): Promise<Omit<Attempt, 'serverCpuSeconds'>> {
  const repoDir = await createAimRepo();
  const { stdout } = await runFile(requireAim().python, ['-c', PYTHON_STORAGE_FLOOR, repoDir, workload, String(steps), TEXT_FILLER], { maxBuffer: 1 << 20 });
  const answer = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { hash?: string; seconds?: number; cpuSeconds?: number; points?: number };
  if (typeof answer.hash !== 'string' || typeof answer.seconds !== 'number' || typeof answer.cpuSeconds !== 'number')
    throw new Error(`the storage floor printed ${stdout}`);
  if (answer.points !== steps * 2) throw new Error(`the storage floor stored ${String(answer.points)} points, expected ${String(steps * 2)}`);
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
    metrics: { typescript: [], python: [], floor: [] },
    texts: { typescript: [], python: [], floor: [] },
  };
  try {
    for (let round = 1; round <= rounds; round++) {
      const order = alternatingOrder(round, CONTENDERS);
      const written: { hash: string; workload: Workload }[] = [];
      for (const contender of order) {
        for (const workload of WORKLOADS) {
          await waitUntilIdle(serverPid);
          const cpuBefore = treeCpuSeconds(serverPid);
          const attempt =
            contender === 'typescript'
              ? await writeWithTypeScript(server, workload, steps, maxFrameBytes)
              : contender === 'python'
                ? await writeWithPython(server, workload, steps)
                : await writeFloor(workload, steps);
          await waitUntilIdle(serverPid); // what the server still does for this client counts for it
          // The floor runs Aim's storage in its own process: its CPU is the server's work.
          const serverCpuSeconds = contender === 'floor' ? attempt.clientCpuSeconds : treeCpuSeconds(serverPid) - cpuBefore;
          attempts[workload][contender].push({ ...attempt, serverCpuSeconds });
          if (contender !== 'floor') written.push({ hash: attempt.hash, workload });
          console.log(
            `round ${String(round)} ${contender.padEnd(10)} ${workload.padEnd(7)}: ${String(pointsPerRun)} points in ${attempt.seconds.toFixed(2)} s = ${String(Math.round(pointsPerRun / attempt.seconds))} points/s; aim server CPU ${serverCpuSeconds.toFixed(2)} s, client CPU ${attempt.clientCpuSeconds.toFixed(2)} s` +
              (attempt.writeStats ? `, ${String(attempt.writeStats.instructions)} instructions in ${String(attempt.writeStats.frames)} frames` : ''),
          );
        }
      }
      // Every run of the round, read back by Aim's own SDK.
      const report = await readAimRepo(
        server.repoDir,
        written.map((w) => w.hash),
      );
      for (const { hash, workload } of written)
        checkRun(
          report.runs.find((r) => r.hash === hash),
          hash,
          workload,
          steps,
        );
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
    const floor = summarize(attempts[workload].floor);
    figures[workload] = {
      typescript: ours,
      python,
      floor,
      /** The most any client of one aim server could reach, as a multiple of Python (floor / python). */
      ratioFloorToPython: roundTo(floor.pointsPerSecond.median / python.pointsPerSecond.median),
      /** How close ours comes to the floor (ours / floor points/s). */
      ratioOursToFloor: roundTo(ours.pointsPerSecond.median / floor.pointsPerSecond.median),
      /** ours / python points/s: ratio of the medians, and the median and spread of the per-round ratios. */
      ratioOursToPython,
      perRoundRatioOursToPython: spread(rateRatios),
      /** aim server CPU ours / python (below 1: we cost the server less for the same points). */
      serverCpuRatioOursToPython: spread(serverCpuRatios),
    };
    console.log(
      `${workload}: ours ${String(ours.pointsPerSecond.median)} points/s (${String(ours.pointsPerSecond.min)}–${String(ours.pointsPerSecond.max)}), python ${String(python.pointsPerSecond.median)} (${String(python.pointsPerSecond.min)}–${String(python.pointsPerSecond.max)}): ratio ${String(ratioOursToPython)}; storage floor ${String(floor.pointsPerSecond.median)} points/s = ${String(figures[workload] && (figures[workload] as { ratioFloorToPython: number }).ratioFloorToPython)}× python`,
    );
  }
  return {
    stepsPerRun: steps,
    pointsPerRun,
    rounds,
    order: 'typescript, python, floor in odd rounds, reversed in even rounds',
    ...(maxFrameBytes !== undefined ? { maxFrameBytes } : {}),
    ...figures,
  };
}
