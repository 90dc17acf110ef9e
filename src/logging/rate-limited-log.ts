/**
 * The package's one rate-limit policy for log lines that can repeat per request, span, batch or
 * reconnection (a flood under load or with a broken peer): at most one line per key every
 * {@link DEFAULT_LOG_INTERVAL_MS} (10 s); what is held back in between is counted, and the next
 * line of that key says how many (`... (and 8 more since the last report)`), as does
 * {@link RateLimitedLog.flush} (e.g. at shutdown). Lines that happen once (listening, a shutdown
 * failure) go to the component logger directly.
 */
import type { DiagLogger } from '@opentelemetry/api';

/** At most one line per key this often, in ms, unless a limiter is given another interval. */
export const DEFAULT_LOG_INTERVAL_MS = 10_000;

/** Keys a limiter remembers at once, unless given another bound (the oldest is forgotten first). */
export const DEFAULT_MAX_LOG_KEYS = 1_000;

/** Options of a {@link RateLimitedLog}. */
export interface RateLimitedLogOptions {
  /** At most one line per key this often, in ms. Default {@link DEFAULT_LOG_INTERVAL_MS} (10 000). */
  intervalMs?: number | undefined;
  /** Keys remembered at once (the oldest forgotten first). Default {@link DEFAULT_MAX_LOG_KEYS} (1 000). */
  maxKeys?: number | undefined;
  /** The clock, ms since the epoch. Default `Date.now`. */
  now?: (() => number) | undefined;
}

/** The levels a limited line can be logged at. */
type Level = 'error' | 'warn' | 'info' | 'debug';

/** A line's detail, or a function making it (called only when the line is logged). */
export type LogDetail = string | (() => string);

/**
 * Logs through `logger` (a component logger, see `componentLogger`) at most one line per key every
 * `intervalMs`. A line reads `key: detail`; a key names the kind of event (`dropped spans`, `GET
 * /v1/traces → 429`), the detail what happened this time. `count` (default 1) is what the event
 * adds to the held-back count when it is held back (e.g. the spans of a dropped batch). Memory is
 * bounded: at most `maxKeys` keys are remembered.
 *
 * ```ts
 * const log = componentLogger('sink');
 * const limited = new RateLimitedLog(log);
 * limited.warn('dropped spans', `${n} (queue full)`, n);
 * ```
 */
export class RateLimitedLog {
  private readonly last = new Map<string, { at: number; suppressed: number; level: Level }>();
  private readonly intervalMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;

  /**
   * @param logger - where the lines go: the component logger of the module.
   * @param options - interval (default 10 000 ms), key bound (default 1 000), clock (default `Date.now`).
   */
  constructor(
    private readonly logger: DiagLogger,
    options: RateLimitedLogOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? DEFAULT_LOG_INTERVAL_MS;
    this.maxKeys = options.maxKeys ?? DEFAULT_MAX_LOG_KEYS;
    this.now = options.now ?? Date.now;
  }

  /** Logs `key: detail` at error, unless a line of this key was logged less than the interval ago. */
  error(key: string, detail: LogDetail = '', count = 1): void {
    this.log('error', key, detail, count);
  }

  /** Logs `key: detail` at warn, unless a line of this key was logged less than the interval ago. */
  warn(key: string, detail: LogDetail = '', count = 1): void {
    this.log('warn', key, detail, count);
  }

  /** Logs `key: detail` at info, unless a line of this key was logged less than the interval ago. */
  info(key: string, detail: LogDetail = '', count = 1): void {
    this.log('info', key, detail, count);
  }

  /** Logs `key: detail` at debug, unless a line of this key was logged less than the interval ago. */
  debug(key: string, detail: LogDetail = '', count = 1): void {
    this.log('debug', key, detail, count);
  }

  /** Reports what every key held back since its last line (at that line's level), and forgets it. */
  flush(): void {
    for (const [key, seen] of this.last) {
      if (seen.suppressed > 0) this.logger[seen.level](`${key}: ${String(seen.suppressed)} more since the last report`);
      seen.suppressed = 0;
    }
  }

  private log(level: Level, key: string, detail: LogDetail, count: number): void {
    const now = this.now();
    const seen = this.last.get(key);
    if (seen && now - seen.at < this.intervalMs) {
      seen.suppressed += count;
      return;
    }
    const suppressed = seen?.suppressed ?? 0;
    this.last.delete(key);
    this.last.set(key, { at: now, suppressed: 0, level });
    if (this.last.size > this.maxKeys) {
      const oldest = this.last.keys().next();
      if (oldest.done !== true) this.last.delete(oldest.value);
    }
    const text = typeof detail === 'function' ? detail() : detail;
    const more = suppressed > 0 ? ` (and ${String(suppressed)} more since the last report)` : '';
    this.logger[level](`${key}${text === '' ? '' : `: ${text}`}${more}`);
  }
}
