import { diag } from '@opentelemetry/api';

/**
 * Logs (through the OTel diag logger, at warn) a line per kind of event, at most once per
 * `intervalMs` each; what is held back in between is counted and reported with the next line of
 * its kind (or by {@link flush}). Bounded: at most `maxKinds` kinds are remembered (the oldest
 * forgotten first).
 */
export class RateLimitedLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  /**
   * @param intervalMs - at most one line per kind this often. Default 10 000.
   * @param maxKinds - kinds remembered at once. Default 1 000.
   * @param now - the clock, ms since the epoch. Default `Date.now`.
   */
  constructor(
    private readonly intervalMs = 10_000,
    private readonly maxKinds = 1_000,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Logs `kind: detail` unless a line of this kind was logged less than the interval ago; then
   * `count` (default 1: one event; e.g. the spans of a dropped batch) is added to what the next
   * line reports as held back.
   */
  log(kind: string, detail: string, count = 1): void {
    const now = this.now();
    const seen = this.last.get(kind);
    if (seen && now - seen.at < this.intervalMs) {
      seen.suppressed += count;
      return;
    }
    const suppressed = seen?.suppressed ?? 0;
    this.last.delete(kind);
    this.last.set(kind, { at: now, suppressed: 0 });
    if (this.last.size > this.maxKinds) {
      const oldest = this.last.keys().next();
      if (oldest.done !== true) this.last.delete(oldest.value);
    }
    const more = suppressed > 0 ? ` (and ${String(suppressed)} more since the last report)` : '';
    diag.warn(`aim-otel-bridge: ${kind}${detail === '' ? '' : `: ${detail}`}${more}`);
  }

  /** Reports what every kind held back since its last line (e.g. at shutdown), and forgets it. */
  flush(): void {
    for (const [kind, seen] of this.last) {
      if (seen.suppressed > 0) diag.warn(`aim-otel-bridge: ${kind}: ${String(seen.suppressed)} more since the last report`);
      seen.suppressed = 0;
    }
  }
}
