/**
 * Issue 8, point 4 and issue 17, point 3: `npm start` = `aim-otel-bridge up --demo`. The CLI runs
 * as a user runs it (a child process, from source): it provisions Aim (cached), starts aim server,
 * the Aim UI and the receiver on loopback, runs the demo agent, prints where its run is and what
 * its model calls cost (read back from Aim), and stops everything.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { CliProcess, printed } from './peers/cli-process.js';
import { readAimRun } from './peers/oracle.js';
import { isListening } from '../src/up/ports.js';

/** `up --demo --once` with `args` on free ports; its output once it exited 0. */
async function upDemoOnce(dataDir: string, args: readonly string[] = []): Promise<CliProcess> {
  const up = new CliProcess(['up', '--demo', '--once', '--data-dir', dataDir, '--aim-port', '0', '--ui-port', '0', '--port', '0', ...args]);
  expect(await up.exited, `${up.stdout}\n${up.stderr}`).to.equal(0);
  return up;
}

describe('aim-otel-bridge up --demo (npm start)', function () {
  this.timeout(300_000);

  it('--once: starts Aim, the UI and the bridge, runs the demo agent into Aim, prints the run and its cost, stops everything and exits 0', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'up-once-'));
    const up = await upDemoOnce(dataDir);
    for (const step of [
      '[1/6] Aim 3.29.1',
      '[2/6] Aim repository',
      '[3/6] starting aim server',
      '[4/6] starting the bridge receiver',
      '[5/6] running the demo agent',
      '[6/6] ready',
    ]) {
      expect(up.stdout).to.contain(step);
    }
    expect(up.stdout).to.contain('demo prices: the scripted models fake-calculator and fake-summarizer priced as gpt-4o-mini');
    expect(up.stdout).to.contain('answer:   (3 + 4) × 5 = 35');
    // Four calls, 376 input and 59 output tokens at gpt-4o-mini's $0.15 and $0.60 per million:
    // 376 × 0.15 + 59 × 0.6 = 91.8 µ$.
    expect(up.stdout).to.contain('cost:     $0.0000918 (4 model calls, demo prices)');
    const { uiUrl, runHash, aimPort, receiverPort } = printed(up.stdout);
    expect(up.stdout).to.contain(`open:     ${uiUrl}/runs/${runHash}`);

    // Everything up started is gone.
    for (const port of [aimPort, Number(new URL(uiUrl).port), receiverPort]) expect(await isListening(port), `port ${String(port)}`).to.equal(false);

    // The run, read by Aim's SDK from the data directory: the demo conversation with its metrics, cost and texts.
    const run = await readAimRun(dataDir, runHash);
    expect(run.experiment).to.equal('aim-otel-bridge-demo');
    const values = (name: string): unknown[] => run.sequences.filter((s) => s.name === name).flatMap((s) => s.values);
    expect(values('gen_ai.usage.input_tokens').sort()).to.deep.equal([112, 140, 40, 84]);
    const costs = values('gen_ai.usage.cost') as number[];
    expect(costs).to.have.length(4);
    expect(costs.reduce((sum, cost) => sum + cost, 0)).to.be.closeTo(91.8e-6, 1e-12);
    expect(values('on_tool_end').sort()).to.deep.equal(['35', '7']);
    expect(values('on_llm_start')).to.include('user: What is (3 + 4) × 5?');
  });

  it('--prices: the price file wins over the demo prices, and the cost says whose prices it used', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'up-prices-'));
    const prices = join(dataDir, 'prices.json');
    writeFileSync(prices, JSON.stringify({ prices: [{ provider: 'openai', model: 'fake-calculator', input: 1, output: 2 }] }));
    const up = await upDemoOnce(dataDir, ['--prices', prices]);
    // The calculator's three calls at the file's prices: 336 × 1 + 45 × 2 = 426 µ$; the summarizer's
    // at the demo prices: 40 × 0.15 + 14 × 0.6 = 14.4 µ$. Together 440.4 µ$.
    expect(up.stdout).to.contain(`cost:     $0.000440 (4 model calls, prices of ${prices}, demo prices)`);
    const run = await readAimRun(dataDir, printed(up.stdout).runHash);
    const cost = (model: string): number[] =>
      run.sequences.filter((s) => s.name === 'gen_ai.usage.cost' && s.context['model'] === model).flatMap((s) => s.values as number[]);
    expect(cost('fake-calculator').reduce((sum, value) => sum + value, 0)).to.be.closeTo(426e-6, 1e-12);
    expect(cost('fake-summarizer')).to.have.length(1);
    expect(cost('fake-summarizer')[0]).to.be.closeTo(14.4e-6, 1e-12);
  });
});
