import type { TraceKeyMemo } from '../mapping/to-aim.js';

/** Trace id → run key (so a trace's late spans find their run), bounded: the oldest entries go first. */
export class BoundedTraceKeyMemo implements TraceKeyMemo {
  private readonly entries = new Map<string, string>();

  /** @param limit - traces remembered at most. */
  constructor(private readonly limit: number) {}

  get(traceId: string): string | undefined {
    return this.entries.get(traceId);
  }

  set(traceId: string, key: string): void {
    if (this.entries.get(traceId) === key) return;
    this.entries.delete(traceId);
    this.entries.set(traceId, key);
    if (this.entries.size > this.limit) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
  }
}
