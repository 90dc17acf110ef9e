/** Something queued, and what it counts for against the queue's capacity (spans, events, points). */
export interface SizedBatch {
  readonly size: number;
}

/**
 * The batches waiting to be written, first in first out, bounded by the items they hold: a batch
 * that would take the queue past `capacity` is refused. A batch counts from {@link push} until
 * {@link done}, so the one being written still takes its room.
 */
export class BatchQueue<B extends SizedBatch> {
  private readonly waiting: B[] = [];
  private items = 0;

  /** @param capacity - items (spans, events, points) waiting or being written, at most. */
  constructor(readonly capacity: number) {}

  /** Items waiting or being written. */
  get queued(): number {
    return this.items;
  }

  /** Whether a batch waits to be taken. */
  get hasWaiting(): boolean {
    return this.waiting.length > 0;
  }

  /** Whether `size` more items fit now. */
  fits(size: number): boolean {
    return this.items + size <= this.capacity;
  }

  /** Queues `batch` at the end; false (and nothing queued) when it does not fit. */
  push(batch: B): boolean {
    if (!this.fits(batch.size)) return false;
    this.waiting.push(batch);
    this.items += batch.size;
    return true;
  }

  /** The oldest waiting batch, taken out of the line; it still counts until {@link done}. */
  take(): B | undefined {
    return this.waiting.shift();
  }

  /** `batch` (taken earlier) was written or given up: its room is free again. */
  done(batch: B): void {
    this.items -= batch.size;
  }
}
