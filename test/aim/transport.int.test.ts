import { expect } from 'chai';
import { AimRepo, AimServerError } from '../../src/aim/index.js';
import { AimTransport } from '../../src/aim/transport.js';
import { type AimServer, startAimServer } from '../peers/aim.js';
import { readAimRepo } from '../peers/oracle.js';

const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);

async function stepsOf(server: AimServer, hash: string, name: string): Promise<number[]> {
  const report = await readAimRepo(server.repoDir, [hash]);
  return report.runs[0]?.sequences.find((s) => s.name === name)?.steps ?? [];
}

describe('Aim transport: pipelining, server errors and outages (real aim server)', function () {
  this.timeout(180_000);

  it('batches many writes per WebSocket frame instead of one round trip per point', async () => {
    const server = await startAimServer();
    const transport = await AimTransport.connect(server.url);
    const tree = await transport.createResource('TreeView', {
      name: 'meta',
      sub: 'batchrun',
      read_only: false,
      from_union: false,
      index: false,
      timeout: null,
      no_cache: false,
    });
    for (const i of range(2000)) void transport.write(tree, '__setitem__', [['meta', 'chunks', 'batchrun', 'attrs', `k${String(i)}`], BigInt(i)]);
    await transport.flush();
    const stats = transport.writeStats;
    expect(stats.instructions).to.equal(2000);
    // Frames fill up to maxFrameBytes (16 KiB): dozens of instructions each, not one per frame.
    expect(stats.instructions / stats.frames).to.be.greaterThan(20);
    const attrs = await transport.read(tree, 'collect', [['meta', 'chunks', 'batchrun', 'attrs'], true, false]);
    expect(attrs instanceof Map ? attrs.size : -1).to.equal(2000);
    await transport.close();
    await server.process.stop();
  });

  it('bounds memory: with the server frozen, enqueue() stops resolving once maxQueuedBytes is reached', async () => {
    const server = await startAimServer();
    const limit = 64 * 1024;
    const transport = await AimTransport.connect(server.url, { maxQueuedBytes: limit, ackTimeoutMs: 60_000 });
    const tree = await transport.createResource('TreeView', {
      name: 'meta',
      sub: 'bprun',
      read_only: false,
      from_union: false,
      index: false,
      timeout: null,
      no_cache: false,
    });
    server.process.signal('SIGSTOP');
    const settlesSoon = (promise: Promise<void>): Promise<boolean> =>
      Promise.race([
        promise.then(() => true),
        new Promise<boolean>((done) =>
          setTimeout(() => {
            done(false);
          }, 300),
        ),
      ]);
    let accepted = 0;
    let blocked: Promise<void> | undefined;
    for (let i = 0; i < 10_000 && !blocked; i++) {
      const write = transport.write(tree, '__setitem__', [['meta', 'chunks', 'bprun', 'attrs', `k${String(i)}`], 'x'.repeat(100)]);
      if (await settlesSoon(write)) accepted += 1;
      else blocked = write;
    }
    expect(blocked, 'a write that waits for room').to.not.equal(undefined);
    expect(transport.pendingWriteBytes).to.be.within(limit, limit + 1024);
    expect(accepted).to.be.greaterThan(100);

    server.process.signal('SIGCONT');
    await blocked;
    await transport.flush();
    const attrs = await transport.read(tree, 'collect', [['meta', 'chunks', 'bprun', 'attrs'], true, false]);
    expect(attrs instanceof Map ? attrs.size : -1).to.equal(accepted + 1);
    await transport.close();
    await server.process.stop();
  });

  it('a failing write instruction is reported by flush() as AimServerError, and later writes still land', async () => {
    const server = await startAimServer();
    const transport = await AimTransport.connect(server.url);
    const tree = await transport.createResource('TreeView', {
      name: 'meta',
      sub: 'errrun',
      read_only: false,
      from_union: false,
      index: false,
      timeout: null,
      no_cache: false,
    });
    void transport.write(tree, 'no_such_method', []);
    const error = await transport.flush().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(AimServerError);
    expect((error as AimServerError).remote.className).to.equal('AttributeError');

    await transport.write(tree, '__setitem__', [['meta', 'chunks', 'errrun', 'attrs'], 'after the error']);
    await transport.flush();
    expect(await transport.read(tree, 'collect', [['meta', 'chunks', 'errrun', 'attrs'], true, false])).to.equal('after the error');
    await transport.close();
    await server.process.stop();
  });

  it('survives an aim server restart mid-run: the session is restored and every point lands once', async () => {
    const server = await startAimServer();
    const repo = await AimRepo.connect(server.url, { ackTimeoutMs: 2_000 });
    const run = await repo.createRun({ experiment: 'restart' });
    for (const i of range(500)) await run.track(i, { name: 'm', step: i });
    await run.flush();

    await server.process.stop();
    for (const i of range(500, 500)) void run.track(i, { name: 'm', step: i }); // queued while the server is down
    const restarted = await startAimServer({ repoDir: server.repoDir, port: server.port });
    await run.flush();
    await run.close();
    await repo.close();

    expect(await stepsOf(restarted, run.hash, 'm')).to.deep.equal(range(1000));
    const report = await readAimRepo(restarted.repoDir, [run.hash]);
    expect(report.runs[0]?.active).to.equal(false);
    await restarted.process.stop();
  });

  it('a frozen server (SIGSTOP) times the acknowledgement out; after SIGCONT the writes are replayed', async () => {
    const server = await startAimServer();
    const repo = await AimRepo.connect(server.url, { ackTimeoutMs: 1_000 });
    const run = await repo.createRun({ experiment: 'frozen' });
    await run.track(0, { name: 'm', step: 0 });
    await run.flush();

    server.process.signal('SIGSTOP');
    for (const i of range(99, 1)) void run.track(i, { name: 'm', step: i });
    await new Promise((wait) => setTimeout(wait, 2_500));
    server.process.signal('SIGCONT');
    await run.flush();
    await run.close();
    await repo.close();

    expect(await stepsOf(server, run.hash, 'm')).to.deep.equal(range(100));
    await server.process.stop();
  });
});
