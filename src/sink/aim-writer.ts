/**
 * The sink's view of Aim: a connection that opens runs, flushes and closes. The sink writes only
 * through {@link AimWriter}, so its queue, retries and run cache are tested against a fake one;
 * {@link RepoWriter} is the real one, over `AimRepo`.
 */
import { AimClosedError, AimServerError, AimUsageError } from '../aim/errors.js';
import { AimRepo } from '../aim/repo.js';
import type { AimRun, RunSettings } from '../aim/run.js';
import type { AimTransportOptions } from '../aim/transport.js';

/**
 * What the sink does with an open run (the `AimRun` methods it calls). `trackFigure` (the run's
 * trace waterfall, see run-waterfalls.ts) and `readMetrics` (the run's usage totals are summed
 * from its stored series, see run-totals.ts) are optional: a writer whose runs cannot hold figures
 * or be read back (a test fake) gets no figures or totals written.
 */
export type RunWriter = Pick<
  AimRun,
  'set' | 'setEntries' | 'track' | 'trackText' | 'trackTexts' | 'setName' | 'addTag' | 'close' | 'detach' | 'get' | 'resumed'
> &
  Partial<Pick<AimRun, 'trackFigure' | 'readMetrics'>>;

/** A connection to Aim, as the sink uses it. */
export interface AimWriter {
  /** Connects, unless connected already. Rejects when Aim does not answer (transient: retried). */
  connect(): Promise<void>;
  /** Opens (creates or resumes) the run `settings.hash`. Only once {@link connect} resolved. */
  createRun(settings: RunSettings): Promise<RunWriter>;
  /** Resolves once Aim applied every write made so far. */
  flush(): Promise<void>;
  /** Closes the connection (and whatever runs it still has open). Nothing can be written after. */
  close(): Promise<void>;
}

/**
 * Errors after which the same writes cannot succeed later: a usage error, an exception Aim raised
 * for the writes, a closed client. Every other error (Aim unreachable, restarting, a handler it
 * forgot, a deadline) is transient.
 */
export function isPermanentAimError(error: unknown): boolean {
  if (error instanceof AimUsageError || error instanceof AimClosedError) return true;
  if (error instanceof AimServerError) return !error.isUnknownHandler;
  return false;
}

/** The real {@link AimWriter}: one `AimRepo` connection to `aim server` at `url`, opened on first use. */
export class RepoWriter implements AimWriter {
  private connecting: Promise<AimRepo> | undefined;
  private repo: AimRepo | undefined;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly options: AimTransportOptions = {},
  ) {}

  async connect(): Promise<void> {
    if (this.closed) throw new AimClosedError('the sink closed its Aim connection');
    this.connecting ??= AimRepo.connect(this.url, this.options).catch((error: unknown) => {
      this.connecting = undefined;
      throw error;
    });
    this.repo = await this.connecting;
  }

  async createRun(settings: RunSettings): Promise<RunWriter> {
    return this.connected().createRun(settings);
  }

  flush(): Promise<void> {
    return this.repo?.flush() ?? Promise.resolve();
  }

  async close(): Promise<void> {
    this.closed = true;
    const repo = this.repo ?? (await this.connecting?.catch(() => undefined));
    this.repo = undefined;
    this.connecting = undefined;
    await repo?.close();
  }

  private connected(): AimRepo {
    if (!this.repo) throw new AimClosedError(this.closed ? 'the sink closed its Aim connection' : 'not connected to Aim');
    return this.repo;
  }
}
