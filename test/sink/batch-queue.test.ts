import { expect } from 'chai';
import { BatchQueue } from '../../src/sink/batch-queue.js';

describe('BatchQueue: a FIFO of batches bounded by the items they hold', () => {
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
});
