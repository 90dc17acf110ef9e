import { expect } from 'chai';
import { BatchQueue } from '../../src/sink/batch-queue.js';

describe('BatchQueue: a FIFO of batches bounded by the items they hold, failed ones retried behind the new', () => {
  it('hands batches out in the order they came', () => {
    const queue = new BatchQueue<{ size: number; id: string }>(100);
    for (const id of ['a', 'b', 'c']) expect(queue.push({ size: 1, id })).to.equal(true);
    expect([queue.take()?.id, queue.take()?.id, queue.take()?.id, queue.take()]).to.deep.equal(['a', 'b', 'c', undefined]);
  });

  it('counts items, not batches, and refuses a batch that would pass the capacity', () => {
    const queue = new BatchQueue<{ size: number }>(10);
    expect(queue.push({ size: 6 })).to.equal(true);
    expect(queue.push({ size: 4 })).to.equal(true);
    expect(queue.queued).to.equal(10);
    expect(queue.fits(1)).to.equal(false);
    expect(queue.push({ size: 1 })).to.equal(false);
    expect(queue.queued).to.equal(10);
    expect(new BatchQueue<{ size: number }>(10).push({ size: 11 })).to.equal(false);
  });

  it('a taken batch keeps its room until done', () => {
    const queue = new BatchQueue<{ size: number }>(10);
    queue.push({ size: 8 });
    const batch = queue.take();
    expect(queue.hasWaiting).to.equal(false);
    expect(queue.fits(3)).to.equal(false);
    if (batch) queue.done(batch);
    expect(queue.queued).to.equal(0);
    expect(queue.fits(10)).to.equal(true);
  });

  it('a batch put back for its retry keeps its room, waits behind the new ones until due, then goes first (earliest due first)', () => {
    const queue = new BatchQueue<{ size: number; id: string }>(10);
    for (const id of ['a', 'b', 'c', 'd']) queue.push({ size: 2, id });
    const a = queue.take(0);
    const b = queue.take(0);
    if (!a || !b) throw new Error('nothing to take');
    queue.retryLater(a, 200);
    queue.retryLater(b, 100);
    expect(queue.queued).to.equal(8);
    expect(queue.fits(3)).to.equal(false);
    expect(queue.nextRetryAt).to.equal(100);
    expect(queue.take(50)?.id).to.equal('c'); // no retry due yet: the new ones go first
    expect(queue.take(150)?.id).to.equal('b'); // b's retry is due: before the new d
    expect(queue.take(150)?.id).to.equal('d');
    expect(queue.take(150)).to.equal(undefined);
    expect([queue.hasWaiting, queue.hasNew, queue.waitingBatches]).to.deep.equal([true, false, 1]);
    expect(queue.take()).to.equal(undefined); // without a time, retries are not handed out
    expect(queue.take(200)?.id).to.equal('a');
    expect(queue.hasWaiting).to.equal(false);
  });

  it('hands out many batches in order (the taken ones are let go of)', () => {
    const queue = new BatchQueue<{ size: number; id: number }>(10_000);
    for (let id = 0; id < 5_000; id++) queue.push({ size: 1, id });
    const taken: number[] = [];
    for (let batch = queue.take(); batch; batch = queue.take()) {
      taken.push(batch.id);
      if (batch.id < 5_000 && batch.id % 3 === 0) queue.push({ size: 1, id: 10_000 + batch.id });
    }
    const again = Array.from({ length: 1_667 }, (_, i) => 10_000 + 3 * i);
    expect(taken).to.deep.equal([...Array.from({ length: 5_000 }, (_, i) => i), ...again]);
  });
});
