import { diag } from '@opentelemetry/api';

/**
 * Logs (through the OTel diag logger, at warn) a line per kind of event, at most once per
 * `intervalMs` each; the lines held back in between are counted and reported with the next one.
 * Bounded: at most `maxKinds` kinds are remembered (the oldest forgotten first).
 */
export class RateLimitedLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  /**
   * @param intervalMs - at most one line per kind this often. Default 10 000.
   * @param maxKinds - kinds remembered at once. Default 1 000.
   */
  constructor(
    private readonly intervalMs = 10_000,
    private readonly maxKinds = 1_000,
  ) {}

  /** Logs `kind: detail` unless a line of this kind was logged less than the interval ago. */
  log(kind: string, detail: string): void {
    const now = Date.now();
    const seen = this.last.get(kind);
    if (seen && now - seen.at < this.intervalMs) {
      seen.suppressed++;
      return;
    }
    const suppressed = seen?.suppressed ?? 0;
    this.last.delete(kind);
    this.last.set(kind, { at: now, suppressed: 0 });
    if (this.last.size > this.maxKinds) {
      const oldest = this.last.keys().next();
      if (oldest.done !== true) this.last.delete(oldest.value);
    }
    const more = suppressed > 0 ? ` (and ${String(suppressed)} more like it since the last report)` : '';
    diag.warn(`aim-otel-bridge: ${kind}${detail === '' ? '' : `: ${detail}`}${more}`);
  }
}
