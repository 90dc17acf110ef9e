/**
 * Issue 13: overload degrades into back-pressure, not collapse. 120 senders that retry like the
 * Collector (429/503 honouring Retry-After, 30 s request timeout) push 24,000 spans at once into a
 * real bridge (20,000-span queue, 10 s write timeout) in front of a real aim server: more than the
 * queue holds. Every span must land exactly once (oracle), the backlog must drain within a bound
 * generous enough for a busy 2-core machine, and the bridge must say that it sheds load.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { type AimServer, startAimServer } from '../peers/aim.js';
import { type BridgeProcess, startBridge } from '../peers/bridge.js';
import { readAimRepo } from '../peers/oracle.js';
import { makeBatches, sendWithRetries } from './retrying-sender.js';

const SPANS = 24_000;
const SENDERS = 120;
/** Generous: about 55 spans/s, a sixth of what a busy 2-core machine measured. */
const DRAIN_BOUND_MS = 420_000;

describe('overload: 120 Collector-like senders, more spans in flight than the queue holds (real aim server, real bridge)', function () {
  this.timeout(600_000);
  let aim: AimServer;
  let bridge: BridgeProcess;
  before(async () => {
    aim = await startAimServer();
    bridge = await startBridge(aim.url);
  });
  after(async () => {
    await bridge.process.stop();
    await aim.process.stop();
  });

  it('drains the backlog with every span written exactly once, answering 429/503 while it cannot take more, and logs that it sheds load', async () => {
    // 120 requests of 200 spans at once: 24,000 spans in flight, more than the 20,000-item queue.
    const batches = makeBatches({ spans: SPANS, batchSize: 200, conversations: 40, service: 'overload' });
    const report = await sendWithRetries(bridge.url, batches, { concurrency: SENDERS, deadline: Date.now() + DRAIN_BOUND_MS });
    // Measured numbers for the record (the machine may be shared): not asserted beyond the bound.
    process.stdout.write(`      overload: ${JSON.stringify({ ...report, spansPerSecond: Math.round(SPANS / (report.elapsedMs / 1000)) })}\n`);
    expect(report.failed, `not delivered within ${String(DRAIN_BOUND_MS)} ms: ${JSON.stringify(report)}`).to.equal(0);
    expect(report.delivered).to.equal(batches.length);

    const points = (await readAimRepo(aim.repoDir)).runs
      .flatMap((run) => run.sequences.filter((s) => s.name === 'gen_ai.usage.input_tokens').flatMap((s) => s.values as number[]))
      .sort((a, b) => a - b);
    expect(points.length, 'token points in Aim').to.equal(SPANS);
    expect(points).to.deep.equal(Array.from({ length: SPANS }, (_, i) => i));

    const metrics = await (await fetch(`${bridge.url}/metrics`)).text();
    expect(report.answers['429'] ?? 0, 'requests shed with 429').to.be.greaterThan(0);
    expect(readFileSync(bridge.process.logFile, 'utf8'), 'the bridge log').to.include('shedding load');
    expect(metrics).to.match(/^aim_otel_bridge_requests_shed_total [1-9]/m);
    expect(metrics).to.match(/^aim_otel_bridge_spans_written_total /m);
  });
});
