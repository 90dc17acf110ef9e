/**
 * Issue 13: the aim server behind a running bridge restarted mid-stream while the machine is busy
 * (two busy loops, as in the report). A scripted sender retries like the Collector; every span
 * must land in Aim exactly once (oracle), with no stall after the restart.
 */
import { expect } from 'chai';
import { type AimServer, startAimServer } from '../peers/aim.js';
import { type BridgeProcess, startBridge } from '../peers/bridge.js';
import { readAimRepo } from '../peers/oracle.js';
import { busyLoops, makeBatches, sendWithRetries } from './retrying-sender.js';

const SPANS = 10_000;

/** Every input-token point in the repository, sorted. */
async function tokenPoints(aim: AimServer): Promise<number[]> {
  const report = await readAimRepo(aim.repoDir);
  return report.runs
    .flatMap((run) => run.sequences.filter((s) => s.name === 'gen_ai.usage.input_tokens').flatMap((s) => s.values as number[]))
    .sort((a, b) => a - b);
}

describe('restart under load: aim server restarted behind a running bridge on a busy machine (real aim server, real bridge)', function () {
  this.timeout(600_000);

  it('every span lands exactly once, and the bridge recovers by itself', async () => {
    const stopLoops = await busyLoops(2);
    let aim: AimServer | undefined;
    let bridge: BridgeProcess | undefined;
    try {
      aim = await startAimServer();
      bridge = await startBridge(aim.url);
      const batches = makeBatches({ spans: SPANS, batchSize: 256, conversations: 20, service: 'restart-under-load' });
      const sending = sendWithRetries(bridge.url, batches, { concurrency: 10, deadline: Date.now() + 420_000 });
      await new Promise((wait) => setTimeout(wait, 3_000));
      const { repoDir, port } = aim;
      await aim.process.stop();
      await new Promise((wait) => setTimeout(wait, 3_000));
      aim = await startAimServer({ repoDir, port });
      const report = await sending;
      expect(report.failed, `sender report ${JSON.stringify(report)}`).to.equal(0);
      expect(await tokenPoints(aim)).to.deep.equal(Array.from({ length: SPANS }, (_, i) => i));
    } finally {
      await stopLoops();
      await bridge?.process.stop();
      await aim?.process.stop();
    }
  });
});
