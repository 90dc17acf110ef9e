/**
 * Beyond one aim server (issue 13, part 6): can two `aim server` processes on ONE repository write
 * disjoint runs? Each run is its own pair of RocksDB chunks, run creation takes Aim's cross-process
 * `locks/structured_db_lock`, and a tag created by both at once is resolved by Aim's IntegrityError
 * retry (which commits): that part works (first test). But both servers also share the SQLite
 * `run_metadata.sqlite` through one SQLAlchemy session per server, and Aim 3.29.1's experiment
 * setter, when it loses the race to create a new experiment, retries with `session.flush()` and no
 * commit (aim/storage/structured/sql_engine/entities.py, `ModelMappedRun.experiment` setter): its
 * server keeps an SQLite write transaction open until its next SQL write. Any SQL write of the
 * other server meanwhile blocks that server's event loop 5 s (pysqlite's busy timeout), fails with
 * `database is locked`, and leaves its session needing a rollback nobody issues: every run it
 * creates afterwards fails (`PendingRollbackError`) until it is restarted. The second test shows
 * it with two real servers; the third makes the interleaving deterministic.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { AimRepo, type AimRun } from '../../src/aim/index.js';
import { type AimServer, requireAim, startAimServer } from '../peers/aim.js';
import { readAimRepo } from '../peers/oracle.js';

const run = promisify(execFile);

/** Rows of an SQL query on the repository's `run_metadata.sqlite`, read by a fresh connection. */
async function sql(repoDir: string, query: string): Promise<unknown[][]> {
  const script = 'import sqlite3, sys, json\nc = sqlite3.connect(sys.argv[1])\nprint(json.dumps(c.execute(sys.argv[2]).fetchall()))';
  const { stdout } = await run(requireAim().python, ['-c', script, join(repoDir, '.aim', 'run_metadata.sqlite'), query]);
  return JSON.parse(stdout) as unknown[][];
}

/** What a promise settled to, and after how long. */
async function timed(work: () => Promise<unknown>): Promise<{ ms: number; error: string | undefined }> {
  const start = Date.now();
  try {
    await work();
    return { ms: Date.now() - start, error: undefined };
  } catch (error) {
    return { ms: Date.now() - start, error: String(error) };
  }
}

/** Creates a run and closes it at once. */
async function createAndClose(repo: AimRepo, experiment: string): Promise<void> {
  const created = await repo.createRun({ experiment });
  await created.close();
}

/** Lines of a server's log that report a failure. */
function failureLines(server: AimServer): string[] {
  return readFileSync(server.process.logFile, 'utf8')
    .split('\n')
    .filter((line) => /Traceback|Error|ERROR|Exception/.test(line));
}

/** A python process that inserts experiment `name` in an SQLite transaction it commits after `holdSeconds`. */
function holdExperimentInsert(repoDir: string, name: string, holdSeconds: number): { process: ChildProcess; held: Promise<void>; done: Promise<void> } {
  const script = [
    'import sqlite3, sys, time, uuid, datetime',
    'c = sqlite3.connect(sys.argv[1], isolation_level=None)',
    "c.execute('BEGIN IMMEDIATE')",
    'now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)',
    "c.execute('INSERT INTO experiment (uuid, name, is_archived, created_at, updated_at) VALUES (?, ?, 0, ?, ?)', (str(uuid.uuid4()), sys.argv[2], now, now))",
    "print('held', flush=True)",
    'time.sleep(float(sys.argv[3]))',
    "c.execute('COMMIT')",
  ].join('\n');
  const child = spawn(requireAim().python, ['-c', script, join(repoDir, '.aim', 'run_metadata.sqlite'), name, String(holdSeconds)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const done = new Promise<void>((resolve, reject) => {
    child.on('exit', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`the SQLite writer exited with ${String(code)}`));
    });
  });
  const held = new Promise<void>((resolve) => {
    child.stdout.once('data', () => {
      resolve();
    });
  });
  return { process: child, held, done };
}

describe('two aim servers on one repository (Aim 3.29.1)', function () {
  this.timeout(300_000);

  it('writes disjoint runs through both at once, the same new tags added through both at once, into an experiment that exists before: every run and point once, one row per experiment and tag', async () => {
    const a = await startAimServer();
    const b = await startAimServer({ repoDir: a.repoDir });
    const [repoA, repoB] = await Promise.all([AimRepo.connect(a.url), AimRepo.connect(b.url)]);
    try {
      // The experiment exists before the two servers write into it (see the next test for why).
      const seed = await repoA.createRun({ experiment: 'shared', tags: ['seed'] });
      await seed.close();

      const pairs = 20;
      const points = 25;
      const written = new Map<string, { tags: string[]; values: number[] }>();
      const write = async (repo: AimRepo, who: string, i: number): Promise<void> => {
        const tags = ['both', `pair-${String(i)}`];
        const created: AimRun = await repo.createRun({ experiment: 'shared', name: `${who}-${String(i)}`, tags });
        const values = Array.from({ length: points }, (_, step) => i * 1000 + step + (who === 'A' ? 0.25 : 0.5));
        await Promise.all(values.map((value, step) => created.track(value, { name: 'tokens', step, context: { server: who } })));
        await created.trackText(`${who} ${String(i)}`, { name: 'completion', step: 0 });
        await created.close();
        written.set(created.hash, { tags, values });
      };
      // In lock step: pair i's two runs are created at the same moment, one through each server.
      for (let i = 0; i < pairs; i++) await Promise.all([write(repoA, 'A', i), write(repoB, 'B', i)]);

      const report = await readAimRepo(a.repoDir);
      expect(report.runs).to.have.length(2 * pairs + 1);
      for (const [hash, expected] of written) {
        const found = report.runs.filter((r) => r.hash === hash);
        expect(found, hash).to.have.length(1);
        const [readBack] = found;
        expect(readBack?.experiment).to.equal('shared');
        expect([...(readBack?.tags ?? [])].sort()).to.deep.equal([...expected.tags].sort());
        const tokens = readBack?.sequences.find((s) => s.name === 'tokens');
        expect(tokens?.values).to.deep.equal(expected.values);
        expect(tokens?.steps).to.deep.equal(expected.values.map((_, step) => step));
        expect(readBack?.sequences.find((s) => s.name === 'completion')?.values).to.have.length(1);
      }
      // Experiment and tag names are UNIQUE in Aim's schema: one row each, and every run's link kept.
      expect(await sql(a.repoDir, "SELECT count(*) FROM experiment WHERE name = 'shared'")).to.deep.equal([[1]]);
      expect(await sql(a.repoDir, 'SELECT count(*) FROM tag')).to.deep.equal([[pairs + 2]]);
      expect(await sql(a.repoDir, 'SELECT count(*) FROM run_tag')).to.deep.equal([[4 * pairs + 1]]);
      expect(failureLines(a)).to.deep.equal([]);
      expect(failureLines(b)).to.deep.equal([]);
    } finally {
      await Promise.all([repoA.close(), repoB.close()]);
      await Promise.all([a.process.stop(), b.process.stop()]);
    }
  });

  it('breaks when a new experiment is first used through both at once: the other server waits 5 s, fails with "database is locked", and then fails every run it creates until it is restarted', async () => {
    const a = await startAimServer();
    const b = await startAimServer({ repoDir: a.repoDir });
    const [repoA, repoB] = await Promise.all([AimRepo.connect(a.url), AimRepo.connect(b.url)]);
    try {
      let [runA, runB] = await Promise.all([repoA.createRun(), repoB.createRun()]);
      let failure: { server: string; ms: number; error: string } | undefined;
      const deadline = Date.now() + 120_000;
      let rounds = 0;
      while (!failure && Date.now() < deadline) {
        // What two partitions do when the first spans of a new experiment reach both at once.
        const experiment = `new-${String(rounds++)}`;
        await Promise.all([runA.setExperiment(experiment), runB.setExperiment(experiment)]);
        await Promise.all([runA.close(), runB.close()]);
        // Then each server creates its next run (an SQL write), B first.
        const nextB = await timed(async () => (runB = await repoB.createRun()));
        if (nextB.error) {
          failure = { server: 'B', ms: nextB.ms, error: nextB.error };
          break;
        }
        const nextA = await timed(async () => (runA = await repoA.createRun()));
        if (nextA.error) failure = { server: 'A', ms: nextA.ms, error: nextA.error };
      }
      console.log(`      the race broke a server after ${String(rounds)} round(s): ${JSON.stringify(failure)}`);
      expect(failure, 'no failure within the time budget').to.not.equal(undefined);
      expect(failure?.error).to.match(/OperationalError.*database is locked/);
      expect(failure?.ms).to.be.at.least(4500); // pysqlite's busy timeout, spent blocking the server's event loop

      // The server's one SQLAlchemy session now needs a rollback that Aim never issues.
      const poisoned = failure?.server === 'A' ? repoA : repoB;
      for (let i = 0; i < 3; i++) {
        const again = await timed(() => createAndClose(poisoned, 'after'));
        expect(again.error).to.match(/PendingRollbackError/);
      }
      // The other server's next SQL write commits its open transaction; then a new aim server
      // process on the same repository creates runs again.
      const other = failure?.server === 'A' ? repoB : repoA;
      expect((await timed(() => createAndClose(other, 'after'))).error).to.equal(undefined);
      const poisonedServer = failure?.server === 'A' ? a : b;
      await poisonedServer.process.stop();
      const restarted = await startAimServer({ repoDir: a.repoDir });
      const repoR = await AimRepo.connect(restarted.url);
      try {
        const fresh = await timed(() => createAndClose(repoR, 'after'));
        expect(fresh.error).to.equal(undefined);
      } finally {
        await repoR.close();
        await restarted.process.stop();
      }
    } finally {
      await Promise.all([repoA.close().catch(() => undefined), repoB.close().catch(() => undefined)]);
      await Promise.all([a.process.stop(), b.process.stop()]);
    }
  });

  it("the same interleaving made deterministic: another writer commits the experiment between server A's SELECT and INSERT; A's retry leaves its write uncommitted, and B fails", async () => {
    const a = await startAimServer();
    const b = await startAimServer({ repoDir: a.repoDir });
    const [repoA, repoB] = await Promise.all([AimRepo.connect(a.url), AimRepo.connect(b.url)]);
    try {
      const runA = await repoA.createRun();
      // Stands in for server B creating experiment 'shared': inserted, committed 1 s later.
      const writer = holdExperimentInsert(a.repoDir, 'shared', 1);
      await writer.held;
      // A does not see the uncommitted row, inserts, waits for the lock, hits UNIQUE, rolls back
      // and retries: the run's experiment is set with session.flush() only.
      const set = await timed(async () => {
        await runA.setExperiment('shared');
        await runA.flush();
      });
      await writer.done;
      expect(set.error).to.equal(undefined);
      expect(set.ms).to.be.at.least(900);
      expect(await sql(a.repoDir, "SELECT count(*) FROM experiment WHERE name = 'shared'")).to.deep.equal([[1]]);
      // A fresh connection does not see A's write: the run is still in Aim's 'default' experiment.
      const experimentOfA = `SELECT experiment.name FROM run JOIN experiment ON run.experiment_id = experiment.id WHERE run.hash = '${runA.hash}'`;
      expect(await sql(a.repoDir, experimentOfA)).to.deep.equal([['default']]);

      const first = await timed(() => createAndClose(repoB, 'other'));
      expect(first.error).to.match(/OperationalError.*database is locked/);
      expect(first.ms).to.be.at.least(4500);
      const second = await timed(() => createAndClose(repoB, 'other'));
      expect(second.error).to.match(/PendingRollbackError/);

      // A's next SQL write commits the experiment; B stays broken.
      await runA.setName('A');
      await runA.flush();
      expect(await sql(a.repoDir, experimentOfA)).to.deep.equal([['shared']]);
      const third = await timed(() => createAndClose(repoB, 'other'));
      expect(third.error).to.match(/PendingRollbackError/);
      await runA.close();
    } finally {
      await Promise.all([repoA.close().catch(() => undefined), repoB.close().catch(() => undefined)]);
      await Promise.all([a.process.stop(), b.process.stop()]);
    }
  });
});
