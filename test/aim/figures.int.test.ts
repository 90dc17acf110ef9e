/**
 * Figures (`aim.Figure`, Plotly JSON) written by our client through the real `aim server` 3.29.1:
 * read back by Aim's SDK (the oracle), stored record for record as Aim's SDK stores the same
 * figures (figures_peer.py writes them through the same server and dumps both runs' RocksDB
 * records), idempotent under replays, and served by the Aim UI's API as its Figures tab asks.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { decodePath } from '../../src/aim/codec/path.js';
import { AimClosedError, type AimKey, AimObject, AimRepo, AimUsageError, aimFigure, aimText } from '../../src/aim/index.js';
import { type AimServer, requireAim, startAimServer, startAimUi } from '../peers/aim.js';
import { decodeWebStream, type PlainValue } from '../peers/aim-ui-api.js';
import { REPO_ROOT } from '../peers/cache.js';
import { type OracleRun, type OracleSequence, isOracleFigure, readAimRun } from '../peers/oracle.js';
import { getJson } from '../../src/up/http.js';

const runFile = promisify(execFile);
const PEER = join(REPO_ROOT, 'test', 'aim', 'figures_peer.py');

const NAME = 'trace waterfall';
const CONTEXT = { view: 'waterfall', traces: 3 };

/** A small waterfall at step `i`: horizontal bars on a time axis, non-ASCII hover text. */
function waterfall(i: number): { data: unknown[]; layout: Record<string, unknown> } {
  return {
    data: [
      {
        type: 'bar',
        orientation: 'h',
        base: [0, 0.25 * i],
        x: [1.5 + i, 0.75],
        y: ['chat gpt-4o ✓', 'execute_tool search'],
        marker: { color: ['#1f77b4', '#ff7f0e'] },
        hovertext: [`tokens ${String(10 * i)}, cost $0.0${String(i)}`, 'tool «search»'],
      },
    ],
    layout: { title: { text: `run step ${String(i)}` }, xaxis: { title: { text: 'seconds' } }, yaxis: { autorange: 'reversed' } },
  };
}

function sequenceOf(run: OracleRun, name: string): OracleSequence {
  const found = run.sequences.find((s) => s.name === name);
  if (!found) throw new Error(`run ${run.hash} has no sequence ${name}: ${run.sequences.map((s) => s.name).join(', ')}`);
  return found;
}

/** A run's records as RocksDB stores them: [tree, key, value] as hex, in key order. */
type StoredRecord = [tree: string, key: string, value: string];

async function storedRecords(server: AimServer, hashes: readonly string[]): Promise<Record<string, StoredRecord[]>> {
  const { stdout } = await runFile(requireAim().python, [PEER, 'records', '--repo', server.repoDir, ...hashes], { maxBuffer: 256 * 1024 * 1024 });
  return JSON.parse(stdout) as Record<string, StoredRecord[]>;
}

const BLOB_DOMAIN = Buffer.from('BLOBS\xfe', 'latin1');

/** The path of a stored key (a BLOB's key is the `BLOBS` domain, then the path), decoded. */
function pathOf(keyHex: string): { blob: boolean; path: AimKey[] } {
  const key = Buffer.from(keyHex, 'hex');
  const blob = key.subarray(0, BLOB_DOMAIN.length).equals(BLOB_DOMAIN);
  return { blob, path: decodePath(blob ? key.subarray(BLOB_DOMAIN.length) : key) };
}

/**
 * A run's records made comparable with another run's: the run hash in a path becomes `<run>`,
 * and the values that hold clock readings (`end_time`, the `time` column) become `<float>`
 * after checking they are floats. Shown as `tree path = value-hex`, BLOBs marked.
 */
function comparable(records: readonly StoredRecord[], hash: string): string[] {
  return records.map(([tree, keyHex, valueHex]) => {
    const { blob, path } = pathOf(keyHex);
    const shown = path.map((part) => (part === hash ? '<run>' : typeof part === 'bigint' ? `#${part.toString()}` : part));
    const isClock = path.at(-1) === 'end_time' || path.at(-2) === 'time';
    if (isClock && valueHex !== '00') {
      expect(valueHex.slice(0, 2), `${shown.join('/')} is a float`).to.equal('03');
      valueHex = '<float>';
    }
    return `${tree} ${blob ? 'BLOB ' : ''}${shown.join('/')} = ${valueHex}`;
  });
}

/** Only the records of the sequence `name` (its trace metadata, its columns and their BLOBs). */
const ofSequence = (records: readonly string[], name: string): string[] => records.filter((r) => r.includes(`/${name}/`) || r.includes(`/${name} =`));

describe('figures (aim.Figure) through the real aim server, as Aim 3.29.1 reads and stores them', function () {
  this.timeout(300_000);
  let server: AimServer;

  before(async () => {
    server = await startAimServer();
  });
  after(async () => {
    await server.process.stop();
  });

  it("three figures at steps 0..2 under a name and context: Aim's SDK reads dtype aim.figure, the steps, the context and each figure's fields and JSON", async () => {
    const repo = await AimRepo.connect(server.url);
    const run = await repo.createRun({ experiment: 'figures' });
    // Three ways in: a figure object, its JSON text (kept as given), an aimFigure with a version.
    const text1 = JSON.stringify(waterfall(1), null, 1);
    await run.trackFigure(waterfall(0), { name: NAME, step: 0, context: CONTEXT });
    await run.trackFigure(text1, { name: NAME, step: 1, context: CONTEXT, epoch: 7 });
    await run.trackFigure(aimFigure(waterfall(2), { version: '6.0.1' }), { name: NAME, context: CONTEXT });
    await run.close();
    await repo.close();

    const got = await readAimRun(server.repoDir, run.hash);
    expect(got.sequences.map((s) => s.name)).to.deep.equal([NAME]);
    const seq = sequenceOf(got, NAME);
    expect(seq.dtype).to.equal('aim.figure');
    expect(seq.context).to.deep.equal(CONTEXT);
    expect(seq.steps).to.deep.equal([0, 1, 2]);
    expect(seq.epochs).to.deep.equal([null, 7, null]);
    expect(seq.values).to.deep.equal([
      { source: 'plotly', format: 'raw_json', version: 'unknown', data: JSON.stringify(waterfall(0)) },
      { source: 'plotly', format: 'raw_json', version: 'unknown', data: text1 },
      { source: 'plotly', format: 'raw_json', version: '6.0.1', data: JSON.stringify(waterfall(2)) },
    ]);
    expect(seq.values.every(isOracleFigure)).to.equal(true);
    expect(seq.values.map((v) => (isOracleFigure(v) ? (JSON.parse(v.data) as unknown) : undefined))).to.deep.equal([0, 1, 2].map(waterfall));
  });

  it("stores exactly the records Aim's SDK stores for the same figures (RocksDB, byte for byte, but the run hash and clock readings)", async () => {
    const texts = [0, 1, 2].map((i) => JSON.stringify(waterfall(i)));
    const { stdout } = await runFile(requireAim().python, [
      PEER,
      'write',
      '--url',
      server.url,
      '--name',
      NAME,
      '--context',
      JSON.stringify(CONTEXT),
      '--experiment',
      'figures-python',
      ...texts,
    ]);
    const python = (JSON.parse(stdout) as { hash: string }).hash;

    const repo = await AimRepo.connect(server.url);
    const run = await repo.createRun({ experiment: 'figures-ours' });
    for (const [step, text] of texts.entries()) await run.trackFigure(text, { name: NAME, step, context: CONTEXT });
    await run.close();
    await repo.close();

    const records = await storedRecords(server, [python, run.hash]);
    const theirs = comparable(records[python] ?? [], python);
    const ours = comparable(records[run.hash] ?? [], run.hash);
    // The figure sequence's own records. meta: dtype, version, first_step, last_step, first and
    // last (each the aim.figure marker, its 4 fields and the BLOB of its data), the two type
    // indexes; seqs: the val/epoch/time arrays, 3 epochs, 3 times, 3 figures (marker, 4 fields, BLOB).
    expect(ofSequence(theirs, NAME)).to.have.length(4 + 2 * 6 + 2 + (3 + 3 + 3 + 3 * 6));
    expect(ours).to.deep.equal(theirs);
  });

  it('the same figure at the same step twice, and again after reopening the run, stays one point with the same value and records', async () => {
    const repo = await AimRepo.connect(server.url);
    const run = await repo.createRun({ experiment: 'figures-replay' });
    const figure = waterfall(5);
    const time = 1_700_000_000.5;
    await run.trackFigure(figure, { name: NAME, step: 0, context: CONTEXT, time });
    await run.flush();
    const once = ofSequence(comparable((await storedRecords(server, [run.hash]))[run.hash] ?? [], run.hash), NAME);
    await run.trackFigure(figure, { name: NAME, step: 0, context: CONTEXT, time });
    await run.trackFigure(JSON.stringify(figure), { name: NAME, step: 0, context: CONTEXT, time });
    await run.close();
    const again = await repo.openRun(run.hash);
    await again.trackFigure(figure, { name: NAME, step: 0, context: CONTEXT, time });
    await again.close();
    await repo.close();

    const after = ofSequence(comparable((await storedRecords(server, [run.hash]))[run.hash] ?? [], run.hash), NAME);
    expect(once).to.have.length.greaterThan(10);
    expect(after).to.deep.equal(once);
    const seq = sequenceOf(await readAimRun(server.repoDir, run.hash), NAME);
    expect(seq.steps).to.deep.equal([0]);
    expect(seq.values).to.deep.equal([{ source: 'plotly', format: 'raw_json', version: 'unknown', data: JSON.stringify(figure) }]);
  });

  it('refuses what is not a figure, or a figure on a sequence of another dtype, recording nothing', async () => {
    const repo = await AimRepo.connect(server.url);
    const run = await repo.createRun({ experiment: 'figures-refused' });
    await run.trackText('a text', { name: 'texts' });
    const refusals: [string, () => Promise<void>, RegExp][] = [
      ['an aim.text object', () => run.trackFigure(aimText('x'), { name: NAME }), /not an aim.text object/],
      ['an aim.figure without a data BLOB', () => run.trackFigure(new AimObject('aim.figure', { data: '{}' }), { name: NAME }), /without a BLOB/],
      ['JSON without a layout', () => run.trackFigure('{"data": []}', { name: NAME }), /needs a layout object/],
      ['a figure on a text sequence', () => run.trackFigure(waterfall(0), { name: 'texts' }), /holds aim.text/],
      ['an empty name', () => run.trackFigure(waterfall(0), { name: '' }), /empty/],
      ['a negative step', () => run.trackFigure(waterfall(0), { name: NAME, step: -1 }), /negative/],
    ];
    for (const [what, call, message] of refusals) expect(call, what).to.throw(AimUsageError, message);
    await run.trackFigure(waterfall(0), { name: NAME });
    await run.close();
    await repo.close();
    expect(() => run.trackFigure(waterfall(1), { name: NAME })).to.throw(AimClosedError);

    const got = await readAimRun(server.repoDir, run.hash);
    expect(got.sequences.map((s) => [s.name, s.dtype, s.steps])).to.have.deep.members([
      [NAME, 'aim.figure', [0]],
      ['texts', 'aim.text', [0]],
    ]);
  });

  it("the Aim UI's API lists the figure sequence and serves the figure its Figures tab draws (the last step by default)", async () => {
    const repo = await AimRepo.connect(server.url);
    const run = await repo.createRun({ experiment: 'figures-ui', name: 'figures in the UI' });
    for (const step of [0, 1, 2]) await run.trackFigure(waterfall(step), { name: NAME, step, context: CONTEXT });
    await run.close();
    await repo.close();

    const ui = await startAimUi({ repoDir: server.repoDir });
    try {
      const info = (await waitFor(() => getJson(`${ui.url}/api/runs/${run.hash}/info/?sequence=figures`))) as {
        traces: Record<string, { name: string; context: unknown }[]>;
      };
      expect(Object.keys(info.traces)).to.deep.equal(['figures']);
      // last_value is the info API's placeholder for every sequence (skip_last_value).
      expect(info.traces['figures']).to.deep.equal([{ name: NAME, context: CONTEXT, last_value: 0.1 }]);

      // What the run page's Figures tab requests (runTracesModel: getBatchByStep, record_density 1).
      const body = JSON.stringify([{ name: NAME, context: CONTEXT }]);
      const step = async (query: string): Promise<Record<string, PlainValue>> => {
        const response = await fetch(`${ui.url}/api/runs/${run.hash}/figures/get-step/?${query}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        expect(response.status, await response.clone().text()).to.equal(200);
        return decodeWebStream(Buffer.from(await response.arrayBuffer())) as Record<string, PlainValue>;
      };
      const last = await step('record_density=1');
      expect(last['name']).to.equal(NAME);
      expect(last['context']).to.deep.equal(CONTEXT);
      expect(last['iters']).to.deep.equal([2]);
      expect(last['record_range_total']).to.deep.equal([0, 3]);
      const [value] = last['values'] as Record<string, PlainValue>[];
      expect(value).to.deep.equal({ source: 'plotly', format: 'raw_json', version: 'unknown', data: JSON.stringify(waterfall(2)) });
      // The UI parses data and sets layout.autosize: the figure has a layout to set it on.
      const data = value?.['data'];
      const parsed = JSON.parse(typeof data === 'string' ? data : 'null') as { layout: Record<string, unknown> } | null;
      expect(parsed?.layout).to.be.an('object');
      const first = await step('record_step=0&record_density=1');
      expect(first['iters']).to.deep.equal([0]);
      expect((first['values'] as Record<string, PlainValue>[])[0]?.['data']).to.equal(JSON.stringify(waterfall(0)));
    } finally {
      await ui.process.stop();
    }
  });
});

/** `aim up` indexes runs a few seconds after they change: retries `read` for up to a minute. */
async function waitFor<T>(read: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return await read();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((wait) => setTimeout(wait, 500));
    }
  }
}
