/**
 * `AimRun.readMetrics` against the real aim server (3.29.1): the metric series a run stores, read
 * back with their point keys and values — the same values Aim's own SDK (the oracle) reads — in
 * every context, including points another connection wrote to the same run and points this run
 * object still held back for coalescing; texts and figures are not metrics.
 */
import { expect } from 'chai';
import { AimClosedError, AimRepo, type AimValue, contextId, hashAuto, stepHash } from '../../src/aim/index.js';
import type { StoredMetric } from '../../src/aim/run.js';
import { type AimServer, startAimServer } from '../peers/aim.js';
import { readAimRun } from '../peers/oracle.js';

/** A stored context dict as a plain object (the client decodes dicts to Maps). */
function plain(context: AimValue | undefined): Record<string, unknown> {
  return context instanceof Map ? Object.fromEntries([...context].map(([key, value]) => [String(key), typeof value === 'bigint' ? Number(value) : value])) : {};
}

function summary(series: readonly StoredMetric[]): { name: string; context: Record<string, unknown>; dtype: string; points: number }[] {
  return series.map((s) => ({ name: s.name, context: plain(s.context), dtype: s.dtype, points: s.points.length }));
}

describe('AimRun.readMetrics against the real aim server', function () {
  this.timeout(180_000);
  let server: AimServer;
  before(async () => {
    server = await startAimServer();
  });
  after(async () => {
    await server.process.stop();
  });

  it('reads every metric series of the run (name, context, dtype, point keys and values), not its texts or figures', async () => {
    const repo = await AimRepo.connect(server.url);
    const run = await repo.createRun({ experiment: 'read-metrics' });
    const a = { model: 'a', operation: 'chat' };
    const b = { model: 'b', operation: 'chat' };
    // Two points at the same step, kept apart by their keys; one point stored under Aim's hash(step).
    await run.track(0.25, { name: 'cost', step: 1, context: a, pointKey: hashAuto('span-1') });
    await run.track(0.5, { name: 'cost', step: 1, context: a, pointKey: hashAuto('span-2') });
    await run.track(1.75, { name: 'cost', step: 7, context: b });
    await run.track(10n, { name: 'tokens', step: 1, context: a, pointKey: hashAuto('span-1') });
    await run.track(3n, { name: 'tokens', step: 2, context: a, pointKey: hashAuto('span-2') });
    await run.trackText('not a metric', { name: 'prompts', step: 0, context: a });
    await run.trackFigure({ data: [], layout: {} }, { name: 'waterfall', step: 0, context: {} });
    await run.flush();

    const series = await run.readMetrics();
    expect(summary(series)).to.have.deep.members([
      { name: 'cost', context: a, dtype: 'float', points: 2 },
      { name: 'cost', context: b, dtype: 'float', points: 1 },
      { name: 'tokens', context: a, dtype: 'int', points: 2 },
    ]);
    // Sorted by name, then context id.
    const order = series.map((s) => [s.name, s.contextId] as const);
    expect(order).to.deep.equal([...order].sort(([n1, c1], [n2, c2]) => (n1 !== n2 ? (n1 < n2 ? -1 : 1) : c1 < c2 ? -1 : c1 > c2 ? 1 : 0)));
    const byName = (name: string, context: Record<string, string>): Map<bigint, number | bigint> => {
      const found = series.find((s) => s.name === name && s.contextId === contextId(new Map(Object.entries(context))));
      return new Map(found?.points.map(([key, value]) => [key, value]));
    };
    expect(byName('cost', a)).to.deep.equal(
      new Map([
        [hashAuto('span-1'), 0.25],
        [hashAuto('span-2'), 0.5],
      ]),
    );
    expect(byName('cost', b)).to.deep.equal(new Map([[stepHash(7n), 1.75]]));
    expect(byName('tokens', a)).to.deep.equal(
      new Map([
        [hashAuto('span-1'), 10n],
        [hashAuto('span-2'), 3n],
      ]),
    );

    expect(summary(await run.readMetrics(['tokens', 'prompts', 'missing']))).to.deep.equal([{ name: 'tokens', context: a, dtype: 'int', points: 2 }]);
    await run.close();
    await repo.close();

    // Aim's SDK reads the same values.
    const oracle = await readAimRun(server.repoDir, run.hash);
    const oracleValues = (name: string, model: string): number[] =>
      oracle.sequences
        .filter((s) => s.name === name && s.context['model'] === model)
        .flatMap((s) => s.values.map(Number))
        .sort((x, y) => x - y);
    expect(oracleValues('cost', 'a')).to.deep.equal([0.25, 0.5]);
    expect(oracleValues('cost', 'b')).to.deep.equal([1.75]);
    expect(oracleValues('tokens', 'a')).to.deep.equal([3, 10]);
  });

  it('sees points another connection wrote to the run, and points it still held back', async () => {
    const first = await AimRepo.connect(server.url);
    const second = await AimRepo.connect(server.url);
    const run = await first.createRun({ lock: false });
    const other = await second.createRun({ hash: run.hash, lock: false });
    await run.track(1n, { name: 'calls', step: 0, pointKey: hashAuto('mine') });
    await other.track(2n, { name: 'calls', step: 0, pointKey: hashAuto('theirs') });
    await other.track(5n, { name: 'calls', step: 1, context: { replica: 'b' }, pointKey: hashAuto('theirs') });
    await other.flush();
    // Not flushed: readMetrics sends the held-back points before it reads.
    await run.track(3n, { name: 'calls', step: 2, pointKey: hashAuto('mine later') });
    const series = await run.readMetrics(['calls']);
    expect(summary(series).map((s) => [s.context, s.points])).to.have.deep.members([
      [{}, 3],
      [{ replica: 'b' }, 1],
    ]);
    const values = series.flatMap((s) => s.points.map(([, value]) => Number(value)));
    expect(values.sort((x, y) => x - y)).to.deep.equal([1, 2, 3, 5]);
    await other.close();
    await run.close();
    await Promise.all([first.close(), second.close()]);
  });

  it('a run without metrics reads none; a closed run refuses', async () => {
    const repo = await AimRepo.connect(server.url);
    const run = await repo.createRun({});
    expect(await run.readMetrics()).to.deep.equal([]);
    await run.trackText('only a text', { name: 'notes', step: 0 });
    expect(await run.readMetrics()).to.deep.equal([]);
    await run.close();
    const refused = await run.readMetrics().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).to.be.instanceOf(AimClosedError);
    await repo.close();
  });
});
