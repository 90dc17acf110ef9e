/**
 * Issue 8, point 4: `npm start` = `aim-otel-bridge up --demo`. The CLI runs as a user runs it (a
 * child process, from source): it provisions Aim (cached), starts aim server, the Aim UI and the
 * receiver on loopback, runs the demo agent, prints where its run is, and stops everything.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { CliProcess, printed } from './peers/cli-process.js';
import { readAimRun } from './peers/oracle.js';
import { isListening } from '../src/up/ports.js';

describe('aim-otel-bridge up --demo (npm start)', function () {
  this.timeout(300_000);

  it('--once: starts Aim, the UI and the bridge, runs the demo agent into Aim, prints the run, stops everything and exits 0', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'up-once-'));
    const up = new CliProcess(['up', '--demo', '--once', '--data-dir', dataDir, '--aim-port', '0', '--ui-port', '0', '--port', '0']);
    expect(await up.exited, up.stderr).to.equal(0);
    for (const step of ['[1/6] Aim 3.29.1', '[2/6] Aim repository', '[3/6] starting aim server', '[4/6] starting the bridge receiver', '[5/6] running the demo agent', '[6/6] ready']) {
      expect(up.stdout).to.contain(step);
    }
    expect(up.stdout).to.contain('answer:   (3 + 4) × 5 = 35');
    const { uiUrl, runHash, aimPort, receiverPort } = printed(up.stdout);
    expect(up.stdout).to.contain(`open:     ${uiUrl}/runs/${runHash}`);

    // Everything up started is gone.
    for (const port of [aimPort, Number(new URL(uiUrl).port), receiverPort]) expect(await isListening(port), `port ${String(port)}`).to.equal(false);

    // The run, read by Aim's SDK from the data directory: the demo conversation with its metrics and texts.
    const run = await readAimRun(dataDir, runHash);
    expect(run.experiment).to.equal('aim-otel-bridge-demo');
    const values = (name: string): unknown[] => run.sequences.filter((s) => s.name === name).flatMap((s) => s.values);
    expect(values('gen_ai.usage.input_tokens').sort()).to.deep.equal([112, 140, 40, 84]);
    expect(values('on_tool_end').sort()).to.deep.equal(['35', '7']);
    expect(values('on_llm_start')).to.include('user: What is (3 + 4) × 5?');
  });
});
