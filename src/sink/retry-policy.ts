/**
 * How the sink retries a batch: exponential backoff with jitter until the batch's deadline, as the
 * OpenTelemetry Collector's exporterhelper retry sender does. An error is transient (retried)
 * unless it is known to be permanent: retrying a refusal cannot help, retrying an outage can.
 */
import { type Clock, systemClock } from './clock.js';

/** Options of a {@link RetryPolicy}. */
export interface RetryPolicyOptions {
  /** The delay before the first retry, in ms (before jitter). Default 200. */
  initialDelayMs?: number;
  /** The delay grows up to this, in ms (before jitter). Default 5 000. */
  maxDelayMs?: number;
  /** Each retry waits this many times longer than the one before. Default 2. */
  multiplier?: number;
  /**
   * Jitter: each delay is drawn uniformly from `[d·(1−jitter), d·(1+jitter)]`, so that writers
   * who failed together do not retry together. Between 0 and 1. Default 0.5.
   */
  jitter?: number;
  /** Errors that retrying cannot help. Default: none (every error is transient). */
  isPermanent?: (error: unknown) => boolean;
  /** Default {@link systemClock}. */
  clock?: Clock;
  /** Uniform in [0, 1). Default `Math.random`. */
  random?: () => number;
}

/** How {@link RetryPolicy.run} ended. */
export type RetryResult<T> =
  /** An attempt succeeded. */
  | { status: 'done'; value: T }
  /** An attempt failed with a permanent error: not retried. */
  | { status: 'permanent'; error: unknown }
  /** The last attempt failed with a transient error and the next would start after the deadline. */
  | { status: 'exhausted'; error: unknown };

/** Told of every transient failure: `retryInMs` is the wait before the next attempt, `undefined` when there is none. */
export type TransientFailureListener = (error: unknown, retryInMs: number | undefined) => void;

/** Exponential backoff with jitter and a deadline; see the module documentation. */
export class RetryPolicy {
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly multiplier: number;
  private readonly jitter: number;
  private readonly isPermanent: (error: unknown) => boolean;
  readonly clock: Clock;
  private readonly random: () => number;

  constructor(options: RetryPolicyOptions = {}) {
    this.initialDelayMs = Math.max(0, options.initialDelayMs ?? 200);
    this.maxDelayMs = Math.max(this.initialDelayMs, options.maxDelayMs ?? 5_000);
    this.multiplier = Math.max(1, options.multiplier ?? 2);
    this.jitter = Math.min(1, Math.max(0, options.jitter ?? 0.5));
    this.isPermanent = options.isPermanent ?? (() => false);
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
  }

  /** Whether retrying cannot help after `error` (see {@link RetryPolicyOptions.isPermanent}). */
  permanent(error: unknown): boolean {
    return this.isPermanent(error);
  }

  /** The wait before retry number `retry` (0 for the first), jitter included, in ms. */
  delay(retry: number): number {
    const base = Math.min(this.maxDelayMs, this.initialDelayMs * this.multiplier ** retry);
    return Math.round(base * (1 - this.jitter + 2 * this.jitter * this.random()));
  }

  /**
   * Runs `attempt` until it succeeds, fails permanently, or the next attempt would start after
   * `deadline` (ms since the epoch). Never rejects: a listener that throws is ignored.
   */
  async run<T>(attempt: () => Promise<T>, deadline: number, onTransient?: TransientFailureListener): Promise<RetryResult<T>> {
    for (let retry = 0; ; retry++) {
      try {
        return { status: 'done', value: await attempt() };
      } catch (error) {
        if (this.isPermanent(error)) return { status: 'permanent', error };
        const wait = this.delay(retry);
        const retrying = !(error instanceof DeadlineError) && this.clock.now() + wait <= deadline;
        try {
          onTransient?.(error, retrying ? wait : undefined);
        } catch {
          // a listener's trouble is not the batch's
        }
        if (!retrying) return { status: 'exhausted', error };
        await this.clock.sleep(wait);
      }
    }
  }
}

/** The deadline passed before a promise settled (see {@link raceDeadline}). */
export class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
}

/**
 * `promise`, or a {@link DeadlineError} once `deadline` (ms since the epoch, on `clock`) passes.
 * The promise itself goes on: what it does is harmless to repeat (replays are no-ops in Aim).
 */
export async function raceDeadline<T>(promise: Promise<T>, deadline: number, clock: Clock = systemClock): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => {
            reject(new DeadlineError('the deadline passed before Aim acknowledged the writes'));
          },
          Math.max(0, deadline - clock.now()),
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
