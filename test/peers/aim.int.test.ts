import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { createAimRepo, requireAim, startAimServer, startAimUi } from './aim.js';
import { getJson } from '../../src/up/http.js';
import { readAimRepo } from './oracle.js';
import { isListening } from '../../src/up/ports.js';
import { PEER_VERSIONS } from './versions.js';

const run = promisify(execFile);

/**
 * What the Python writer below writes through `aim://`: the oracle must read back exactly this.
 * Written by Aim's own SDK so the oracle is proven on Aim's output, not ours.
 */
const WRITTEN = {
  experiment: 'oracle-experiment',
  name: 'oracle run',
  description: 'written by the Python SDK',
  tags: ['alpha', 'beta'],
  params: { lr: 0.01, layers: [64, 32], nested: { nothing: null, flag: true, label: 'ünïcode' }, epochs: 3 },
  metrics: [
    { name: 'loss', context: { subset: 'train' }, values: [1.5, 1.25, 1.0, 0.75, 0.5] },
    { name: 'loss', context: { subset: 'val' }, values: [2.0, 1.5, 1.0, 0.5, 0.25] },
  ],
  texts: { name: 'samples', context: { kind: 'prompt' }, values: ['first', 'ünïcode ✓ 日本語', ''] },
};

const WRITER = `
import json, sys
import aim
spec = json.loads(sys.argv[2])
run = aim.Run(repo=sys.argv[1], experiment=spec['experiment'], system_tracking_interval=None,
              log_system_params=False, capture_terminal_logs=False)
run.name = spec['name']
run.description = spec['description']
for tag in spec['tags']:
    run.add_tag(tag)
run['hparams'] = spec['params']
for metric in spec['metrics']:
    for step, value in enumerate(metric['values']):
        run.track(float(value), name=metric['name'], step=step, epoch=step // 2, context=metric['context'])
for step, text in enumerate(spec['texts']['values']):
    run.track(aim.Text(text), name=spec['texts']['name'], step=step, context=spec['texts']['context'])
print(run.hash)
run.close()
`;

describe('Aim peers (aim server, aim up) and the Aim oracle', function () {
  this.timeout(180_000);

  it('aim server starts on a free loopback port, answers /status/, and stops', async () => {
    const server = await startAimServer();
    expect(await getJson(`${server.httpUrl}/status/`)).to.deep.equal({ status: 'OK' });
    expect(await getJson(`${server.httpUrl}/client/get-version/`)).to.deep.equal({ version: PEER_VERSIONS.aim });
    await server.process.stop();
    expect(server.process.alive).to.equal(false);
    expect(await isListening(server.port)).to.equal(false);
  });

  it('aim up starts on a free loopback port, answers /api/projects/, and stops with its workers', async () => {
    const repoDir = await createAimRepo();
    const ui = await startAimUi({ repoDir });
    const project = (await getJson(`${ui.url}/api/projects/`)) as { path: string };
    expect(project.path).to.equal(repoDir);
    await ui.process.stop();
    expect(ui.process.alive).to.equal(false);
    expect(await isListening(Number(new URL(ui.url).port))).to.equal(false);
  });

  it('the oracle reads back exactly what the Python SDK wrote through aim://', async () => {
    const server = await startAimServer();
    const before = Date.now() / 1000;
    const { stdout } = await run(requireAim().python, ['-c', WRITER, server.url, JSON.stringify(WRITTEN)]);
    const hash = stdout.trim();
    expect(hash).to.match(/^[0-9a-f]{24}$/);

    // Aim indexes runs lazily: unindexed, the SDK sees only the run's SQL row (no params, no
    // sequences, no end time). The oracle's indexing is what makes the rest visible.
    const unindexed = await readAimRepo(server.repoDir, [], { index: false });
    expect(unindexed.runs.map((r) => [r.hash, r.params, r.sequences, r.active])).to.deep.equal([[hash, {}, [], true]]);

    const report = await readAimRepo(server.repoDir);
    expect(report.aim_version).to.equal(PEER_VERSIONS.aim);
    expect(report.runs).to.have.length(1);
    const [got] = report.runs;
    if (!got) throw new Error('no run');
    expect(got.hash).to.equal(hash);
    expect(got.experiment).to.equal(WRITTEN.experiment);
    expect(got.name).to.equal(WRITTEN.name);
    expect(got.description).to.equal(WRITTEN.description);
    expect(got.tags).to.deep.equal(WRITTEN.tags);
    expect(got.params).to.deep.equal({ hparams: WRITTEN.params });
    expect(got.active).to.equal(false);
    expect(got.archived).to.equal(false);
    expect(got.creation_time).to.be.within(before - 5, Date.now() / 1000 + 5);
    expect(got.end_time).to.be.a('number').and.at.least(got.creation_time);

    const expected = [
      ...WRITTEN.metrics.map((metric) => ({
        name: metric.name,
        context: metric.context,
        dtype: 'float',
        steps: metric.values.map((_, step) => step),
        values: metric.values,
        epochs: metric.values.map((_, step) => Math.floor(step / 2)),
      })),
      {
        name: WRITTEN.texts.name,
        context: WRITTEN.texts.context,
        dtype: 'aim.text',
        steps: WRITTEN.texts.values.map((_, step) => step),
        values: WRITTEN.texts.values,
        epochs: WRITTEN.texts.values.map(() => null),
      },
    ];
    expect(got.sequences).to.deep.equal(expected);
  });
});
