/**
 * Remembers export requests by their content, so a retried request makes progress instead of
 * redoing its first attempt's work: a retry whose first attempt is still queued or being written
 * waits for that attempt (it is not queued twice), and a retry whose first attempt was written is
 * answered from it (even when that attempt's own answer was a 503 because Aim took longer than
 * the request's timeout).
 */

/** How one attempt's work ended, as far as the ledger cares: `settled` outcomes are remembered. */
export interface LedgerOptions<T> {
  /** Whether an outcome means the work is done (remembered, answered to retries) or not (forgotten: a retry does it again). */
  readonly isDone: (outcome: T) => boolean;
  /** Done requests remembered, at most (the oldest are forgotten first). Default 100 000. */
  readonly maxDone?: number;
  /** How long a done request is remembered, in ms. Default 15 minutes. */
  readonly doneTtlMs?: number;
}

/** What {@link RequestLedger.settle} found. */
export type LedgerAnswer<T> =
  /** The outcome of this request's work (started now, or earlier by an attempt still in flight or done). */
  | { readonly kind: 'outcome'; readonly outcome: T; readonly from: 'new' | 'in-flight' | 'done' }
  /** The work did not end within the wait: it goes on, and a retry will be answered from it. */
  | { readonly kind: 'still-working'; readonly from: 'new' | 'in-flight' };

/** Content-keyed memory of requests in flight and done (see the module documentation). Bounded. */
export class RequestLedger<T> {
  private readonly inFlight = new Map<string, Promise<T>>();
  private readonly done = new Map<string, { outcome: T; at: number }>();
  private readonly maxDone: number;
  private readonly doneTtlMs: number;

  constructor(private readonly options: LedgerOptions<T>) {
    this.maxDone = options.maxDone ?? 100_000;
    this.doneTtlMs = options.doneTtlMs ?? 15 * 60_000;
  }

  /** Requests whose work is in flight now. */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /**
   * The known outcome or work of `key`, if any: `undefined` when this content is new (or its last
   * attempt failed), so the caller may check its capacity before calling {@link settle}.
   */
  known(key: string): 'in-flight' | 'done' | undefined {
    if (this.inFlight.has(key)) return 'in-flight';
    const done = this.done.get(key);
    if (done === undefined) return undefined;
    if (Date.now() - done.at > this.doneTtlMs) {
      this.done.delete(key);
      return undefined;
    }
    return 'done';
  }

  /**
   * Answers the request `key`: from its done outcome, else by waiting (at most `waitMs`) for its
   * work in flight, else by starting `work` and waiting for it. A rejection of `work` is passed on
   * (and forgotten).
   */
  async settle(key: string, waitMs: number, work: () => Promise<T>): Promise<LedgerAnswer<T>> {
    const known = this.known(key);
    if (known === 'done') {
      const done = this.done.get(key);
      if (done !== undefined) return { kind: 'outcome', outcome: done.outcome, from: 'done' };
    }
    let running = this.inFlight.get(key);
    const from = running === undefined ? 'new' : 'in-flight';
    if (running === undefined) {
      running = work();
      this.inFlight.set(key, running);
      running.then(
        (outcome) => {
          this.inFlight.delete(key);
          if (this.options.isDone(outcome)) this.remember(key, outcome);
        },
        () => {
          this.inFlight.delete(key);
        },
      );
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => {
        resolve('timeout');
      }, waitMs);
    });
    try {
      const outcome = await Promise.race([running, timeout]);
      return outcome === 'timeout' ? { kind: 'still-working', from } : { kind: 'outcome', outcome, from };
    } finally {
      clearTimeout(timer);
    }
  }

  private remember(key: string, outcome: T): void {
    this.done.delete(key);
    this.done.set(key, { outcome, at: Date.now() });
    while (this.done.size > this.maxDone) {
      const oldest = this.done.keys().next();
      if (oldest.done === true) break;
      this.done.delete(oldest.value);
    }
  }
}
