import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { type Receiver, createReceiver } from '../../src/receiver/index.js';
import { type AimServer, startAimServer } from '../peers/aim.js';
import { otlpJsonTrace, postOtlpJson } from '../peers/otlp-fixture.js';

describe('/readyz: not ready while writes fail for good, not only while Aim is unreachable (real aim server)', function () {
  this.timeout(120_000);
  let server: AimServer;
  let receiver: Receiver;
  before(async () => {
    server = await startAimServer();
    // One run per trace: the write after the repository is gone must open a new run (a window run would already be open).
    receiver = await createReceiver({ url: server.url, port: 0, retryDeadlineMs: 5_000, writeTimeoutMs: 5_000, unkeyed: { grouping: 'trace' } });
  });
  after(async () => {
    await receiver.close();
    await server.process.stop();
  });

  it('is ready with a healthy repository; with the repository removed under aim server, a write fails and /readyz answers 503 saying why', async () => {
    expect((await fetch(`${receiver.url}/readyz`)).status).to.equal(200);
    expect(await postOtlpJson(receiver.url, otlpJsonTrace('readyz-test', 'chat ok').body)).to.equal(200);

    rmSync(join(server.repoDir, '.aim'), { recursive: true, force: true }); // aim server still answers /status/
    expect(await postOtlpJson(receiver.url, otlpJsonTrace('readyz-test', 'chat broken').body)).to.equal(503);
    const ready = await fetch(`${receiver.url}/readyz`);
    expect(ready.status).to.equal(503);
    expect(await ready.text()).to.match(/^writes to Aim fail: /);
    expect((await fetch(`${server.httpUrl}/status/`)).status, 'Aim itself still answers').to.equal(200);
  });
});
