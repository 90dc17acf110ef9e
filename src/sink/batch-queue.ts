/** Something queued, and what it counts for against the queue's capacity (spans, events, points). */
export interface SizedBatch {
  readonly size: number;
}

/**
 * The batches waiting to be written, bounded by the items they hold: a batch that would take the
 * queue past `capacity` is refused. A batch counts from {@link push} until {@link done}, so the
 * one being written (or waiting to be retried) still takes its room. New batches are handed out
 * first in first out; a batch that failed and waits for its retry ({@link retryLater}) goes behind
 * them, handed out again once its time has come (before new ones then), so one failing batch does
 * not hold up the others.
 */
export class BatchQueue<B extends SizedBatch> {
  /** New batches, oldest first; `head` is the index of the next one (no shifting of a long array). */
  private fresh: B[] = [];
  private head = 0;
  /** Batches waiting for their retry, by the time it is due (earliest first). */
  private readonly retries: { batch: B; due: number }[] = [];
  private items = 0;

  /** @param capacity - items (spans, events, points) waiting or being written, at most. */
  constructor(readonly capacity: number) {}

  /** Items waiting or being written. */
  get queued(): number {
    return this.items;
  }

  /** Whether a batch waits to be taken (new, or for its retry). */
  get hasWaiting(): boolean {
    return this.fresh.length > this.head || this.retries.length > 0;
  }

  /** Whether a new batch (not one waiting for its retry) waits to be taken. */
  get hasNew(): boolean {
    return this.fresh.length > this.head;
  }

  /** Batches waiting: new ones and those waiting for their retry. */
  get waitingBatches(): number {
    return this.fresh.length - this.head + this.retries.length;
  }

  /** When the earliest retry is due (ms since the epoch), `undefined` when no batch waits for one. */
  get nextRetryAt(): number | undefined {
    return this.retries[0]?.due;
  }

  /** Whether `size` more items fit now. */
  fits(size: number): boolean {
    return this.items + size <= this.capacity;
  }

  /** Queues `batch` at the end; false (and nothing queued) when it does not fit. */
  push(batch: B): boolean {
    if (!this.fits(batch.size)) return false;
    this.fresh.push(batch);
    this.items += batch.size;
    return true;
  }

  /**
   * The batch to write next, taken out of the line (it still counts until {@link done}): the
   * earliest retry due by `now`, else the oldest new batch; `undefined` when neither waits (a
   * retry may still be due later, see {@link nextRetryAt}). Without `now`, retries are not handed out.
   */
  take(now = Number.NEGATIVE_INFINITY): B | undefined {
    const retry = this.retries[0];
    if (retry !== undefined && retry.due <= now) {
      this.retries.shift();
      return retry.batch;
    }
    if (this.head >= this.fresh.length) return undefined;
    const batch = this.fresh[this.head] as B;
    this.head += 1;
    if (this.head === this.fresh.length) {
      this.fresh = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.fresh.length) {
      this.fresh = this.fresh.slice(this.head);
      this.head = 0;
    }
    return batch;
  }

  /** `batch` (taken earlier, not done) failed: it waits, keeping its room, until `due` (ms since the epoch), behind the new batches. */
  retryLater(batch: B, due: number): void {
    let at = this.retries.length;
    while (at > 0 && (this.retries[at - 1]?.due ?? 0) > due) at--;
    this.retries.splice(at, 0, { batch, due });
  }

  /** `batch` (taken earlier) was written or given up: its room is free again. */
  done(batch: B): void {
    this.items -= batch.size;
  }
}
