import { join } from 'node:path';
import { expect } from 'chai';
import { runHash } from '../../src/mapping/run-key.js';
import { createReceiver } from '../../src/receiver/index.js';
import { REPO_ROOT } from '../peers/cache.js';
import { startCollector } from '../peers/collector.js';
import { startAimServer } from '../peers/aim.js';
import { readAimRepo } from '../peers/oracle.js';
import { otlpJsonTrace, postOtlpJson } from '../peers/otlp-fixture.js';
import { freePort } from '../../src/up/ports.js';

const CONFIG = join(REPO_ROOT, 'test', 'peers', 'fixtures', 'collector-to-bridge.yaml');

describe("the built Collector's otlp_http exporter → receiver → real aim server", function () {
  this.timeout(120_000);

  for (const encoding of ['proto', 'json']) {
    it(`delivers GenAI spans (${encoding} encoding, gzip) and the oracle finds them`, async () => {
      const aim = await startAimServer();
      // A root chat span without a conversation: one run per trace, as the test reads it back by its trace.
      const receiver = await createReceiver({ url: aim.url, port: 0, unkeyed: { grouping: 'trace' } });
      const otlpPort = await freePort();
      const collector = await startCollector(CONFIG, {
        OTLP_HTTP_ENDPOINT: `127.0.0.1:${String(otlpPort)}`,
        BRIDGE_ENDPOINT: receiver.url,
        BRIDGE_ENCODING: encoding,
      });
      try {
        const trace = otlpJsonTrace('collector-sender', `chat via collector ${encoding}`);
        expect(await postOtlpJson(`http://127.0.0.1:${String(otlpPort)}`, trace.body)).to.equal(200);
        const hash = runHash(trace.traceId);
        const deadline = Date.now() + 30_000;
        for (;;) {
          if (receiver.stats.written > 0) break;
          if (Date.now() > deadline) throw new Error('the collector did not deliver to the receiver');
          await new Promise((wait) => setTimeout(wait, 200));
        }
        const report = await readAimRepo(aim.repoDir, [hash]);
        expect(report.runs.map((r) => [r.hash, r.experiment])).to.deep.equal([[hash, 'collector-sender']]);
        expect(report.runs[0]?.sequences.some((s) => s.name === 'gen_ai.client.operation.duration')).to.equal(true);
      } finally {
        await collector.process.stop();
        await receiver.close();
        await aim.process.stop();
      }
    });
  }
});
