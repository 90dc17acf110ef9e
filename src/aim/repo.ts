import { AimRun, type RunSettings } from './run.js';
import { AimTransport, type AimTransportOptions } from './transport.js';

/**
 * A remote Aim repository served by `aim server` (Aim 3.29.1), reached through Aim's remote
 * tracking protocol. The first client of that protocol outside Python.
 *
 * ```ts
 * const repo = await AimRepo.connect('aim://127.0.0.1:53800');
 * const run = await repo.createRun({ experiment: 'prompts', name: 'gpt-4o-mini' });
 * await run.set('hparams', { temperature: 0.2, max_tokens: 256n });
 * await run.track(0.5, { name: 'loss', step: 0, context: { subset: 'train' } });
 * await run.trackText('Hello!', { name: 'completions' });
 * await run.close();
 * await repo.close();
 * ```
 *
 * Security: `aim server` has no authentication; keep it on a trusted network.
 */
export class AimRepo {
  private readonly transport: AimTransport;
  /** Runs opened and not closed yet (closed runs remove themselves). */
  private readonly runs = new Set<AimRun>();
  private readonly forget = (run: AimRun): void => {
    this.runs.delete(run);
  };

  private constructor(transport: AimTransport) {
    this.transport = transport;
  }

  /**
   * Connects to `aim server` at `url`: `aim://host:port` (default port 53800), or `http(s)://`
   * to choose the scheme. Rejects with `AimUnavailableError` when it does not answer.
   */
  static async connect(url: string, options: AimTransportOptions = {}): Promise<AimRepo> {
    return new AimRepo(await AimTransport.connect(url, options));
  }

  /** The server's Aim version, e.g. `3.29.1`. */
  serverVersion(): Promise<string> {
    return this.transport.serverVersion();
  }

  /** The hashes of every run in the repository. */
  async listRuns(): Promise<string[]> {
    const hashes = await this.transport.read(this.transport.repoResource, 'list_all_runs', []);
    return Array.isArray(hashes) ? hashes.filter((hash): hash is string => typeof hash === 'string') : [];
  }

  /**
   * Creates a run (a new random hash unless `settings.hash` is given). With the hash of a run the
   * repository already has, that run is resumed: new points append to its sequences.
   */
  createRun(settings: RunSettings = {}): Promise<AimRun> {
    return this.track(AimRun.open(this.transport, settings, false, this.forget));
  }

  /** Opens an existing run to append to it; rejects with `AimUsageError` if there is none with `hash`. */
  openRun(hash: string, settings: Omit<RunSettings, 'hash'> = {}): Promise<AimRun> {
    return this.track(AimRun.open(this.transport, { ...settings, hash }, true, this.forget));
  }

  /** Resolves when the server applied every write made so far, by every run of this repo. */
  async flush(): Promise<void> {
    await Promise.all([...this.runs].map((run) => run.sendPending()));
    return this.transport.flush();
  }

  /** Closes every open run, then the connection. */
  async close(): Promise<void> {
    for (const run of [...this.runs]) await run.close();
    await this.transport.close();
  }

  private async track(opening: Promise<AimRun>): Promise<AimRun> {
    const run = await opening;
    this.runs.add(run);
    return run;
  }
}
