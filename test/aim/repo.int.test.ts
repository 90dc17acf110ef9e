import { expect } from 'chai';
import { AimRepo, AimUnavailableError, AimUsageError } from '../../src/aim/index.js';
import type { AimValue } from '../../src/aim/index.js';
import { type AimServer, startAimServer, startAimUi } from '../peers/aim.js';
import { getJson } from '../../src/up/http.js';
import { type OracleRun, type OracleSequence, readAimRun } from '../peers/oracle.js';
import { freePort } from '../../src/up/ports.js';

/** The oracle's run with this hash. */
const oracleRun = (server: AimServer, hash: string): Promise<OracleRun> => readAimRun(server.repoDir, hash);

function sequence(run: OracleRun, name: string, context: Record<string, unknown> = {}): OracleSequence {
  const found = run.sequences.find((s) => s.name === name && JSON.stringify(s.context) === JSON.stringify(context));
  if (!found) throw new Error(`run ${run.hash} has no sequence ${name} ${JSON.stringify(context)}`);
  return found;
}

const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);

describe('AimRepo / AimRun against the real aim server (read back with the Aim oracle)', function () {
  this.timeout(180_000);
  let server: AimServer;

  before(async () => {
    server = await startAimServer();
  });
  after(async () => {
    await server.process.stop();
  });

  it('writes a run with params, 2 metrics x 1,000 points in 2 contexts and 100 texts, exactly as sent', async () => {
    const repo = await AimRepo.connect(server.url);
    expect(await repo.serverVersion()).to.equal('3.29.1');
    const run = await repo.createRun({
      experiment: 'client-test',
      name: 'every kind of value',
      description: 'written by the TypeScript client',
      tags: ['ts', 'integration'],
    });
    const params: AimValue = {
      nested: { dict: { deeper: 'yes' }, list: [1n, 2.5, 'three', null, true] },
      int: 42n,
      negative: -7n,
      float: 0.125,
      string: 'ünïcode ✓',
      bool: false,
      nothing: null,
    };
    await run.set('hparams', params);
    await run.set(['hparams', 'added_later'], 1n);
    await run.setEntries(
      ['hparams', 'entries'],
      [
        ['a', 1n],
        ['b', 'two'],
      ],
    );

    const metric = (name: string, subset: string, i: number): number => (name === 'loss' ? 1 / (i + 1) : i / 1000) + (subset === 'val' ? 0.5 : 0);
    for (const i of range(1000)) {
      for (const subset of ['train', 'val']) {
        await run.track(metric('loss', subset, i), { name: 'loss', step: i, epoch: Math.floor(i / 100), context: { subset } });
        await run.track(metric('accuracy', subset, i), { name: 'accuracy', context: { subset } });
      }
    }
    const texts = range(100).map((i) => `text ${String(i)} ✓ 日本語`);
    texts[10] = '';
    texts[20] = 'x'.repeat(100 * 1024);
    for (const [i, text] of texts.entries()) await run.trackText(text, { name: 'samples', step: i, context: { kind: 'prompt' } });
    await run.close();
    await repo.close();

    const got = await oracleRun(server, run.hash);
    expect(got.experiment).to.equal('client-test');
    expect(got.name).to.equal('every kind of value');
    expect(got.description).to.equal('written by the TypeScript client');
    expect(got.tags).to.deep.equal(['integration', 'ts']);
    expect(got.params).to.deep.equal({
      hparams: {
        nested: { dict: { deeper: 'yes' }, list: [1, 2.5, 'three', null, true] },
        int: 42,
        negative: -7,
        float: 0.125,
        string: 'ünïcode ✓',
        bool: false,
        nothing: null,
        added_later: 1,
        entries: { a: 1, b: 'two' },
      },
    });
    expect(got.active).to.equal(false);
    expect(got.end_time).to.be.a('number').and.greaterThan(got.creation_time);
    for (const name of ['loss', 'accuracy']) {
      for (const subset of ['train', 'val']) {
        const seq = sequence(got, name, { subset });
        expect(seq.dtype, `${name}/${subset}`).to.equal('float');
        expect(seq.steps).to.deep.equal(range(1000));
        expect(seq.values).to.deep.equal(range(1000).map((i) => metric(name, subset, i)));
        expect(seq.epochs).to.deep.equal(range(1000).map((i) => (name === 'loss' ? Math.floor(i / 100) : null)));
      }
    }
    const samples = sequence(got, 'samples', { kind: 'prompt' });
    expect(samples.dtype).to.equal('aim.text');
    expect(samples.steps).to.deep.equal(range(100));
    expect(samples.values).to.deep.equal(texts);
  });

  it("tracks lists of texts (Python's run.track([Text, ...])) that the SDK reads back as lists", async () => {
    const repo = await AimRepo.connect(server.url);
    const run = await repo.createRun({ experiment: 'text-lists' });
    await run.trackTexts(['first prompt', 'second prompt ✓'], { name: 'prompts', context: { action: 'on_llm_start' } });
    await run.trackTexts(['third'], { name: 'prompts', context: { action: 'on_llm_start' } });
    await run.close();
    await repo.close();

    const seq = sequence(await oracleRun(server, run.hash), 'prompts', { action: 'on_llm_start' });
    expect(seq.dtype).to.equal('list(aim.text)');
    expect(seq.steps).to.deep.equal([0, 1]);
    expect(seq.values).to.deep.equal([['first prompt', 'second prompt ✓'], ['third']]);
  });

  it('the run appears in the aim up web API with its props, params and traces', async () => {
    const repo = await AimRepo.connect(server.url);
    const run = await repo.createRun({ experiment: 'ui-check', name: 'visible in the UI' });
    await run.set('model', 'fake-model');
    await run.track(1.5, { name: 'tokens', context: { subset: 'train' } });
    await run.trackText('hi', { name: 'completion' });
    await run.close();
    await repo.close();

    const ui = await startAimUi({ repoDir: server.repoDir });
    try {
      const info = await waitForRunInfo(ui.url, run.hash);
      expect(info.props.name).to.equal('visible in the UI');
      expect(info.props.experiment.name).to.equal('ui-check');
      expect(info.props.active).to.equal(false);
      expect(info.params).to.deep.include({ model: 'fake-model' });
      expect(info.traces.metric.map((t) => [t.name, t.context])).to.deep.equal([['tokens', { subset: 'train' }]]);
      expect(info.traces.texts.map((t) => t.name)).to.deep.equal(['completion']);
    } finally {
      await ui.process.stop();
    }
  });

  it('resumes a run: openRun appends after the last step, keeping what was there', async () => {
    const repo = await AimRepo.connect(server.url);
    const first = await repo.createRun({ experiment: 'resume' });
    for (const i of range(10)) await first.track(i * 1.0, { name: 'x' });
    await first.trackText('before', { name: 'log' });
    await first.close();

    const again = await repo.openRun(first.hash);
    for (const i of range(5, 10)) await again.track(i * 1.0, { name: 'x' });
    await again.trackText('after', { name: 'log' });
    await again.close();
    await repo.close();

    const got = await oracleRun(server, first.hash);
    expect(sequence(got, 'x').steps).to.deep.equal(range(15));
    expect(sequence(got, 'x').values).to.deep.equal([...range(10), ...range(5, 10)]);
    expect(sequence(got, 'log').values).to.deep.equal(['before', 'after']);
    expect(got.experiment).to.equal('resume');
    expect(got.active).to.equal(false);
  });

  it('openRun of a hash the repository does not have is a usage error', async () => {
    const repo = await AimRepo.connect(server.url);
    try {
      await repo.openRun('ffffffffffffffffffffffff').then(
        () => expect.fail('openRun resolved'),
        (error: unknown) => expect(error).to.be.instanceOf(AimUsageError),
      );
    } finally {
      await repo.close();
    }
  });

  it('two runs written concurrently from one client stay separate; a caller-chosen hash is kept', async () => {
    const repo = await AimRepo.connect(server.url);
    const [a, b] = await Promise.all([
      repo.createRun({ hash: 'aaaaaaaaaaaaaaaaaaaaaaaa', experiment: 'concurrent' }),
      repo.createRun({ hash: 'bbbbbbbbbbbbbbbbbbbbbbbb', experiment: 'concurrent' }),
    ]);
    await Promise.all(range(200).map((i) => Promise.all([a.track(i, { name: 'm', step: i }), b.track(1000 - i, { name: 'm', step: i })])));
    await Promise.all([a.close(), b.close()]);
    await repo.close();

    const gotA = await oracleRun(server, 'aaaaaaaaaaaaaaaaaaaaaaaa');
    const gotB = await oracleRun(server, 'bbbbbbbbbbbbbbbbbbbbbbbb');
    expect(sequence(gotA, 'm').values).to.deep.equal(range(200));
    expect(sequence(gotB, 'm').values).to.deep.equal(range(200).map((i) => 1000 - i));
  });

  it('flush() resolves once the server applied the writes (visible before close)', async () => {
    const repo = await AimRepo.connect(server.url);
    const run = await repo.createRun({ experiment: 'flush' });
    for (const i of range(300)) void run.track(i, { name: 'queued', step: i });
    await run.flush();
    const got = await oracleRun(server, run.hash);
    expect(sequence(got, 'queued').steps).to.deep.equal(range(300));
    expect(got.active).to.equal(true);
    await repo.close();
  });

  it('metric points at the same step with their own point keys both stay; Aim reads them sorted by step', async () => {
    const repo = await AimRepo.connect(server.url);
    const run = await repo.createRun({ experiment: 'point-keys' });
    await run.track(1.5, { name: 'shared', step: 7, pointKey: 1001n });
    await run.track(2.5, { name: 'shared', step: 7, pointKey: 1002n });
    await run.track(0.5, { name: 'shared', step: 3, pointKey: 1003n });
    await run.track(2.5, { name: 'shared', step: 7, pointKey: 1002n }); // a replay: no new point
    await run.close();
    await repo.close();
    const got = await oracleRun(server, run.hash);
    expect(sequence(got, 'shared').steps).to.deep.equal([3, 7, 7]);
    expect([...sequence(got, 'shared').values].sort()).to.deep.equal([0.5, 1.5, 2.5]);
  });

  it('connecting to a port where no aim server listens fails with AimUnavailableError', async () => {
    const port = await freePort();
    const error = await AimRepo.connect(`aim://127.0.0.1:${String(port)}`).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(AimUnavailableError);
    expect((error as Error).message).to.contain(`127.0.0.1:${String(port)}`);
  });
});

interface RunInfo {
  params: Record<string, unknown>;
  props: { name: string; experiment: { name: string }; active: boolean };
  traces: { metric: { name: string; context: unknown }[]; texts: { name: string }[] };
}

/** `aim up` indexes runs a few seconds after they change: poll /api/runs/{hash}/info/. */
async function waitForRunInfo(uiUrl: string, hash: string): Promise<RunInfo> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return (await getJson(`${uiUrl}/api/runs/${hash}/info/?sequence=metric&sequence=texts`)) as RunInfo;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((wait) => setTimeout(wait, 500));
    }
  }
}
