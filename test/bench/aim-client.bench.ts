/**
 * `npm run bench -- aim-client [points]`: metric points per second written to a real `aim server`
 * by our TypeScript client and by Aim's own Python SDK (`Run(repo='aim://...')`), the same points in
 * the same run of the benchmark, each read back with the oracle to prove every point landed.
 * Default 5,000 steps x 2 metrics per client; a second argument sets the client's maxFrameBytes.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { AimRepo } from '../../src/aim/index.js';
import { requireAim, startAimServer } from '../peers/aim.js';
import { readAimRepo } from '../peers/oracle.js';

const run = promisify(execFile);

const PYTHON_WRITER = `
import sys, time, aim
steps = int(sys.argv[2])
started = time.perf_counter()
run = aim.Run(repo=sys.argv[1], experiment='bench-python', system_tracking_interval=None,
              log_system_params=False, capture_terminal_logs=False)
for i in range(steps):
    run.track(1.0 / (i + 1), name='loss', step=i, context={'subset': 'train'})
    run.track(i / steps, name='accuracy', step=i, context={'subset': 'train'})
run.close()
print(run.hash, time.perf_counter() - started)
`;

export default async function bench(args: string[]): Promise<Record<string, unknown>> {
  const steps = Number(args[0] ?? 5_000);
  const maxFrameBytes = args[1] === undefined ? undefined : Number(args[1]);
  const points = steps * 2;
  const server = await startAimServer();

  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 20);
  const tsStarted = performance.now();
  const repo = await AimRepo.connect(server.url, maxFrameBytes === undefined ? {} : { maxFrameBytes });
  const tsRun = await repo.createRun({ experiment: 'bench-typescript' });
  for (let i = 0; i < steps; i++) {
    await tsRun.track(1 / (i + 1), { name: 'loss', step: i, context: { subset: 'train' } });
    await tsRun.track(i / steps, { name: 'accuracy', step: i, context: { subset: 'train' } });
  }
  await tsRun.close();
  await repo.close();
  const tsSeconds = (performance.now() - tsStarted) / 1000;
  clearInterval(sampler);
  console.log(`typescript: ${String(points)} points in ${tsSeconds.toFixed(2)} s`);

  const { stdout } = await run(requireAim().python, ['-c', PYTHON_WRITER, server.url, String(steps)], { maxBuffer: 1 << 20 });
  const [pyHash, pySecondsText] = stdout.trim().split(' ');
  const pySeconds = Number(pySecondsText);
  console.log(`python sdk: ${String(points)} points in ${pySeconds.toFixed(2)} s`);

  // Both runs must hold every point, or the figures mean nothing.
  const report = await readAimRepo(server.repoDir, [tsRun.hash, pyHash ?? '']);
  for (const hash of [tsRun.hash, pyHash]) {
    const landed = report.runs.find((r) => r.hash === hash)?.sequences.reduce((n, s) => n + s.steps.length, 0);
    if (landed !== points) throw new Error(`run ${String(hash)} holds ${String(landed)} points, expected ${String(points)}`);
  }
  await server.process.stop();
  return {
    points,
    tsSeconds: round(tsSeconds),
    pythonSeconds: round(pySeconds),
    tsPointsPerSecond: Math.round(points / tsSeconds),
    pythonPointsPerSecond: Math.round(points / pySeconds),
    speedupVsPython: round(pySeconds / tsSeconds),
    tsPeakRssMiB: Math.round(peakRss / 2 ** 20),
  };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
