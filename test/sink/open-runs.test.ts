import { expect } from 'chai';
import { AimUnavailableError } from '../../src/aim/index.js';
import { OpenRunCache } from '../../src/sink/open-runs.js';
import { FakeAimWriter } from './fake-aim-writer.js';
import { FakeClock } from './fake-clock.js';

async function open(cache: OpenRunCache, writer: FakeAimWriter, hash: string): Promise<void> {
  await cache.add(hash, await writer.createRun({ hash }), undefined, []);
}

describe('OpenRunCache: LRU, idle close, detach', () => {
  it('beyond maxOpenRuns closes the least recently used run (use() counts as a use)', async () => {
    const writer = new FakeAimWriter();
    const cache = new OpenRunCache({ maxOpenRuns: 2, clock: new FakeClock() });
    await open(cache, writer, 'r1');
    await open(cache, writer, 'r2');
    expect(cache.use('r1')).to.not.equal(undefined); // r2 is now the least recently used
    await open(cache, writer, 'r3');
    expect(cache.size).to.equal(2);
    expect(writer.calls.filter((call) => call.startsWith('closeRun'))).to.deep.equal(['closeRun r2']);
    expect(cache.use('r2')).to.equal(undefined);
    expect(cache.use('r1')).to.not.equal(undefined);
  });

  it('closeIdle closes the runs unused for idleCloseMs, and only those', async () => {
    const writer = new FakeAimWriter();
    const clock = new FakeClock();
    const cache = new OpenRunCache({ idleCloseMs: 1_000, clock });
    await open(cache, writer, 'old');
    clock.advance(600);
    await open(cache, writer, 'young');
    clock.advance(600);
    await cache.closeIdle();
    expect(writer.calls.filter((call) => call.startsWith('closeRun'))).to.deep.equal(['closeRun old']);
    expect(cache.size).to.equal(1);
    clock.advance(1_000);
    await cache.closeIdle();
    expect(cache.size).to.equal(0);
  });

  it('detachAll gives every run up without closing it', async () => {
    const writer = new FakeAimWriter();
    const cache = new OpenRunCache();
    await open(cache, writer, 'r1');
    await open(cache, writer, 'r2');
    cache.detachAll();
    expect(cache.size).to.equal(0);
    expect(writer.count('detach')).to.equal(2);
    expect(writer.count('closeRun')).to.equal(0);
  });

  it('a run that fails to close is forgotten, and the others still close', async () => {
    const writer = new FakeAimWriter();
    const cache = new OpenRunCache();
    await open(cache, writer, 'r1');
    await open(cache, writer, 'r2');
    writer.fail('close', new AimUnavailableError('down'));
    await cache.closeAll();
    expect(cache.size).to.equal(0);
    expect(writer.calls.filter((call) => call.startsWith('closeRun'))).to.deep.equal(['closeRun r1', 'closeRun r2']);
  });
});
