import { randomUUID } from 'node:crypto';
import { RecordStreamParser, decodeTree, packTree } from './codec/index.js';
import type { AimRecord } from './codec/index.js';
import type { AimValue } from './codec/values.js';
import { AimClosedError, AimError, AimProtocolError, AimServerError, AimUnavailableError, remoteException } from './errors.js';
import { type AimEndpoint, parseAimUrl } from './url.js';
import { WriteChannel, type WriteChannelOptions, type WriteStats } from './write-channel.js';
import { componentLogger } from '../logging/component-logger.js';
import { RateLimitedLog } from '../logging/rate-limited-log.js';

const log = componentLogger('aim');

/** Options of a connection to `aim server`. */
export interface AimTransportOptions extends WriteChannelOptions {
  /** Timeout of each HTTP request (reads, resource creation, heartbeats), in ms. Default 30 000. */
  requestTimeoutMs?: number;
  /** How often to tell the server this client is alive, in ms (it reaps clients silent for 300 s). Default 10 000. */
  heartbeatIntervalMs?: number;
  /**
   * Told when the session gets into trouble it cannot get out of by itself at once (`problem`: the
   * cause, e.g. a restore the server refuses, a run's storage it cannot open), and again with
   * `undefined` once it is out. Lets a server report readiness; the trouble is also logged (at
   * error, rate-limited).
   */
  onSessionHealth?: (problem: string | undefined) => void;
}

/** Counters of the session's restorations (see {@link AimTransport.sessionStats}). */
export interface AimSessionStats {
  /** Sessions restored on the server (after a restart, a reaping, or a storage conflict). */
  restores: number;
  /** Restorations that failed (retried later). */
  restoreFailures: number;
  /** Resources the server could not create because their storage was locked (RocksDB LOCK). */
  storageLockConflicts: number;
}

/** The server-side resource types of the protocol. */
export type AimResourceType = 'Repo' | 'TreeView' | 'StructuredRun' | 'Lock' | 'RunHeartbeat' | 'FileManager';

interface ResourceEntry {
  type: AimResourceType;
  kwargs: Record<string, AimValue>;
  /** Run after the resource was re-created under its handler (e.g. take the run lock again). */
  afterRestore: (() => Promise<void>) | undefined;
}

/**
 * One client session with `aim server`: HTTP for resource management and reads, one pipelined
 * WebSocket ({@link WriteChannel}) for writes, a heartbeat that keeps the session's resources
 * alive, and restoration of the session (every resource re-created under its old handler) after
 * the server restarted or reaped it.
 */
export class AimTransport {
  readonly endpoint: AimEndpoint;
  /** This session's client id (`client_uri`), unique per connection. */
  readonly clientId: string;
  private readonly requestTimeoutMs: number;
  private readonly resources = new Map<string, ResourceEntry>();
  /**
   * Resources their owner gave up ({@link forgetResource}) while writes to them may still be
   * queued: still re-created by a restore (so those writes land), released once a flush that
   * began after they were given up settles.
   */
  private readonly retiring = new Map<string, ResourceEntry>();
  private readonly writes: WriteChannel;
  private readonly heartbeat: NodeJS.Timeout;
  private restoring: Promise<void> | undefined;
  /**
   * Set when a call found the server unreachable (it may come back as a new process that knows
   * none of this session's resources): the next resource creation restores the session first, so
   * the `Repo` resource exists before any other (see {@link createResource}).
   */
  private mayHaveLostSession = false;
  private readonly onSessionHealth: ((problem: string | undefined) => void) | undefined;
  private problem: string | undefined;
  /** Heartbeat failures, restorations and the session's trouble, each kind at most once per interval. */
  private readonly limited = new RateLimitedLog(log);
  private readonly counters: AimSessionStats = { restores: 0, restoreFailures: 0, storageLockConflicts: 0 };
  /** The session's `Repo` resource (see connect()). */
  private repoHandler = '';
  private closed = false;

  private constructor(endpoint: AimEndpoint, options: AimTransportOptions) {
    this.endpoint = endpoint;
    this.clientId = randomUUID();
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.onSessionHealth = options.onSessionHealth;
    this.writes = new WriteChannel(
      {
        url: `${endpoint.wsBase}/tracking/${this.clientId}/write-instruction/`,
        restore: () => this.restoreSession(),
      },
      options,
    );
    this.heartbeat = setInterval(() => {
      this.get(`/client/heartbeat/${this.clientId}/`).catch((error: unknown) => {
        this.noteFailure(error);
        this.limited.warn('Aim heartbeat failed', describe(error));
      });
    }, options.heartbeatIntervalMs ?? 10_000);
    this.heartbeat.unref();
  }

  /**
   * Connects to the `aim server` at `url` (`aim://host:53800`, see {@link parseAimUrl}): checks
   * `/status/`, opens the session and starts its heartbeat. Rejects with
   * {@link AimUnavailableError} when the server does not answer.
   */
  static async connect(url: string, options: AimTransportOptions = {}): Promise<AimTransport> {
    const transport = new AimTransport(parseAimUrl(url), options);
    try {
      const status = await transport.get('/status/');
      if (!isRecord(status) || status['status'] !== 'OK') {
        throw new AimProtocolError(`${url} is not an aim server: /status/ answered ${JSON.stringify(status)}`);
      }
      await transport.get(`/client/connect/${transport.clientId}/`);
      await transport.get(`/client/heartbeat/${transport.clientId}/`);
      // Held for the whole session: the server keeps its Repo object (container cache, SQL
      // engine) only while something references it; without it each call opens the repository
      // anew, and a run lock taken through a transient Repo is lost (its lock object is None).
      transport.repoHandler = await transport.createResource('Repo', {});
    } catch (error) {
      transport.stop();
      throw error;
    }
    return transport;
  }

  /** The handler of the session's `Repo` resource (for repository-level reads such as `list_all_runs`). */
  get repoResource(): string {
    return this.repoHandler;
  }

  /** The server's Aim version (`/client/get-version/`). */
  async serverVersion(): Promise<string> {
    const answer = await this.get('/client/get-version/');
    if (!isRecord(answer) || typeof answer['version'] !== 'string') {
      throw new AimProtocolError(`unexpected /client/get-version/ answer: ${JSON.stringify(answer)}`);
    }
    return answer['version'];
  }

  /**
   * Creates a server-side resource and returns its handler. `afterRestore` runs whenever the
   * session is restored and the resource re-created under the same handler.
   *
   * Waits for a restoration under way, and restores the session first when a call since the last
   * one found the server unreachable: on a restarted server, a resource created before the
   * session's `Repo` resource gets a repository object of its own, and the run storage it opens
   * (a RocksDB container) then conflicts with the same storage opened through the session's
   * repository ("lock hold by current process"). When the server answers with such a storage
   * lock conflict anyway, the session is restored from scratch (every resource released, then
   * re-created under the session's repository) and the creation tried once more.
   */
  async createResource(type: AimResourceType, kwargs: Record<string, AimValue>, afterRestore?: () => Promise<void>): Promise<string> {
    await this.sessionReady();
    let handler: string;
    try {
      handler = await this.postResource('', type, kwargs);
    } catch (error) {
      if (!(error instanceof AimStorageLockError)) throw error;
      await this.restoreSession(true);
      try {
        handler = await this.postResource('', type, kwargs);
      } catch (again) {
        if (again instanceof AimStorageLockError) this.reportProblem(`aim server cannot open the storage of a ${type} (${again.message})`);
        throw again;
      }
    }
    this.resources.set(handler, { type, kwargs, afterRestore });
    this.reportProblem(undefined);
    return handler;
  }

  /**
   * Gives up a resource without a word to the server now (which may have lost it: a restart). It
   * stays restorable while writes queued for it may still be sent, and is released on the server
   * once a {@link flush} begun after this call settles. For resources whose owner gives them up
   * after a failure (see `AimRun.detach`).
   */
  forgetResource(handler: string): void {
    const entry = this.resources.get(handler);
    if (!entry) return;
    this.resources.delete(handler);
    this.retiring.set(handler, entry);
  }

  /** Counters of the session's restorations. */
  get sessionStats(): Readonly<AimSessionStats> {
    return { ...this.counters };
  }

  /** Why the session is in trouble now (see {@link AimTransportOptions.onSessionHealth}), or `undefined`. */
  get sessionProblem(): string | undefined {
    return this.problem;
  }

  /** Releases a resource (after every write sent before has been applied). */
  async releaseResource(handler: string): Promise<void> {
    if (!this.resources.delete(handler)) return;
    await this.writes.flush();
    await this.get(`/tracking/${this.clientId}/release-resource/${handler}/`);
  }

  /** Releases on the server the given-up resources of `handlers` still retiring (best effort). */
  private async releaseRetired(handlers: readonly string[]): Promise<void> {
    await this.restoring?.catch(() => undefined);
    for (const handler of handlers) {
      if (!this.retiring.delete(handler) || this.closed) continue;
      await this.releaseQuietly(handler);
    }
  }

  /** Releases a handler on the server, whether or not the server knows it. */
  private async releaseQuietly(handler: string): Promise<void> {
    await this.get(`/tracking/${this.clientId}/release-resource/${handler}/`).catch(() => undefined);
  }

  /**
   * Queues a write instruction on the WebSocket. See {@link WriteChannel.enqueue}: await the
   * promise for backpressure, and {@link flush} to know it was applied.
   */
  write(handler: string, method: string, args: readonly AimValue[]): Promise<void> {
    if (this.closed) return Promise.reject(new AimClosedError('the Aim connection is closed'));
    return this.writes.enqueue({ handler, method, args });
  }

  /** Resolves when every write queued so far was applied; rejects with the first write error. */
  flush(): Promise<void> {
    const done = this.writes.flush();
    if (this.retiring.size > 0) {
      // Every write to a given-up resource was queued before it was given up, so before this flush.
      const retired = [...this.retiring.keys()];
      void done.then(
        () => this.releaseRetired(retired),
        () => this.releaseRetired(retired),
      );
    }
    return done;
  }

  /** Counters of the write channel (frames, instructions, resent). */
  get writeStats(): Readonly<WriteStats> {
    return this.writes.stats;
  }

  /** Encoded bytes of writes queued or in flight. */
  get pendingWriteBytes(): number {
    return this.writes.pendingBytes;
  }

  /**
   * Calls `method(...args)` on a resource and returns the result. Waits until every earlier write
   * was applied first (reads must see them). If the server forgot the handler (restart, reaping),
   * the session is restored and the read retried once.
   */
  async read(handler: string, method: string, args: readonly AimValue[]): Promise<AimValue> {
    await this.writes.flush();
    return this.readNow(handler, method, args);
  }

  /**
   * {@link read} without waiting for earlier writes: for calls that must not queue behind them,
   * such as re-taking a run lock while the session is being restored (the writes wait for that).
   */
  async readNow(handler: string, method: string, args: readonly AimValue[]): Promise<AimValue> {
    try {
      return await this.readOnce(handler, method, args);
    } catch (error) {
      this.noteFailure(error);
      if (!(error instanceof AimServerError && error.isUnknownHandler) || !this.resources.has(handler) || this.restoring) {
        throw error;
      }
      await this.restoreSession();
      return this.readOnce(handler, method, args);
    }
  }

  /** Sends what is queued (waiting at most `timeoutMs`, default 30 000), then ends the session. */
  async close(timeoutMs = 30_000): Promise<void> {
    if (this.closed) return;
    try {
      await withTimeout(this.writes.flush(), timeoutMs, 'flushing writes before close');
    } finally {
      this.closed = true;
      this.stop();
      await this.get(`/client/disconnect/${this.clientId}/`).catch(() => undefined);
    }
  }

  private stop(): void {
    clearInterval(this.heartbeat);
    this.writes.close();
    this.limited.flush();
  }

  /** Waits for a restoration under way; restores first if the server may have lost the session. */
  private async sessionReady(): Promise<void> {
    if (this.restoring) await this.restoring;
    else if (this.mayHaveLostSession) await this.restoreSession();
  }

  /**
   * Re-creates every resource (the session's `Repo` first, then the others in creation order,
   * given-up ones still retiring included) under its handler with its original arguments, then
   * runs each one's `afterRestore`. When the server cannot open a resource's storage because
   * another object of its process holds it (a resource created through a repository object of
   * its own, before the session's `Repo` existed: see {@link createResource}), or when `clean`,
   * every handler is released first, so every storage is opened again through the session's
   * repository. Concurrent callers share one restoration.
   */
  private restoreSession(clean = false): Promise<void> {
    this.restoring ??= (async () => {
      try {
        try {
          await this.recreateAll(clean);
        } catch (error) {
          if (clean || !(error instanceof AimStorageLockError)) throw error;
          this.limited.warn('restoring the Aim session met a storage lock conflict', `${error.message}; releasing every resource and restoring again`);
          await this.recreateAll(true);
        }
      } catch (error) {
        this.counters.restoreFailures += 1;
        this.mayHaveLostSession = true;
        this.reportProblem(`restoring the Aim session fails: ${describe(error)}`);
        throw error;
      }
      this.counters.restores += 1;
      this.mayHaveLostSession = false;
      this.reportProblem(undefined);
      this.limited.info('Aim session restored', `${String(this.resources.size + this.retiring.size)} resources${clean ? ', released first' : ''}`);
    })().finally(() => {
      this.restoring = undefined;
    });
    return this.restoring;
  }

  private async recreateAll(releaseFirst: boolean): Promise<void> {
    await this.get(`/client/reconnect/${this.clientId}/`);
    await this.get(`/client/heartbeat/${this.clientId}/`);
    const entries = [...this.resources, ...this.retiring];
    if (releaseFirst) for (const [handler] of [...entries].reverse()) await this.releaseQuietly(handler);
    for (const [handler, entry] of entries) await this.postResource(handler, entry.type, entry.kwargs);
    // Given up (and released) while this restoration ran: release the copy it just made.
    for (const [handler] of entries) if (!this.resources.has(handler) && !this.retiring.has(handler)) await this.releaseQuietly(handler);
    for (const entry of [...this.resources.values()]) await entry.afterRestore?.();
  }

  /** Remembers that the server may have lost the session (it did not answer). */
  private noteFailure(error: unknown): void {
    if (error instanceof AimUnavailableError && !(error instanceof AimStorageLockError)) this.mayHaveLostSession = true;
    if (error instanceof AimServerError && error.isUnknownHandler) this.mayHaveLostSession = true;
  }

  /** Records the session's trouble (or its end), tells the owner, and logs it (the trouble at error, rate-limited; its end at info). */
  private reportProblem(problem: string | undefined): void {
    if (problem === this.problem && problem === undefined) return;
    const was = this.problem;
    this.problem = problem;
    if (problem !== undefined) this.limited.error('the Aim session is in trouble', problem);
    else if (was !== undefined) log.info(`the Aim session is healthy again (it was: ${was})`);
    if (problem !== was) this.onSessionHealth?.(problem);
  }

  private async postResource(handler: string, type: AimResourceType, kwargs: Record<string, AimValue>): Promise<string> {
    let answer: unknown;
    try {
      answer = await this.post(
        `/tracking/${this.clientId}/get-resource/`,
        {
          resource_handler: handler,
          resource_type: type,
          args: packTree(kwargs).toString('base64'),
        },
        `get-resource ${type}`,
      );
    } catch (error) {
      this.noteFailure(error);
      if (error instanceof AimStorageLockError) this.counters.storageLockConflicts += 1;
      throw error;
    }
    const created = isRecord(answer) ? answer['handler'] : undefined;
    if (typeof created !== 'string' || created === '') {
      throw new AimProtocolError(`get-resource ${type} answered without a handler: ${JSON.stringify(answer)}`);
    }
    return created;
  }

  private async readOnce(handler: string, method: string, args: readonly AimValue[]): Promise<AimValue> {
    const operation = `read-instruction ${method}`;
    const response = await this.fetch(
      `/tracking/${this.clientId}/read-instruction/`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ resource_handler: handler, method_name: method, args: packTree([...args]).toString('base64') }),
      },
      operation,
    );
    if (!response.ok) throw await errorFrom(response, operation);
    const parser = new RecordStreamParser();
    const records: AimRecord[] = [];
    try {
      if (response.body) {
        for await (const chunk of response.body as AsyncIterable<Uint8Array>) records.push(...parser.push(chunk));
      }
      parser.end();
    } catch (error) {
      throw new AimProtocolError(`${operation}: the answer was cut or malformed (${describe(error)})`);
    }
    if (records.length === 0) throw new AimProtocolError(`${operation}: the server answered with no records`);
    return decodeTree(records);
  }

  private async get(path: string): Promise<unknown> {
    const response = await this.fetch(path, { method: 'GET' }, `GET ${path}`);
    if (!response.ok) throw await errorFrom(response, `GET ${path}`);
    return response.json();
  }

  private async post(path: string, body: unknown, operation: string): Promise<unknown> {
    const response = await this.fetch(
      path,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      },
      operation,
    );
    if (!response.ok) throw await errorFrom(response, operation);
    return response.json();
  }

  private async fetch(path: string, init: RequestInit, operation: string): Promise<Response> {
    try {
      return await fetch(`${this.endpoint.httpBase}${path}`, { ...init, signal: AbortSignal.timeout(this.requestTimeoutMs) });
    } catch (error) {
      throw new AimUnavailableError(`aim server at ${this.endpoint.display} is unreachable (${operation}): ${describeCause(error)}`);
    }
  }
}

/**
 * The server could not create a resource because the RocksDB storage it opens is locked: by
 * another object of the server's own process ("lock hold by current process"), or by another
 * process ("Resource temporarily unavailable", e.g. a reader that recovers the storage's log).
 * Transient. (`aim server` 3.29.1 answers it 500: the RocksDB error's bytes break its JSON.)
 */
export class AimStorageLockError extends AimUnavailableError {}

/** The typed error for a non-2xx answer: the server's exception on 400, else a protocol error. */
async function errorFrom(response: Response, operation: string): Promise<AimError> {
  const text = await response.text().catch(() => '');
  if (STORAGE_LOCK.test(text) || (response.status === 500 && UNREPORTABLE.test(text) && operation.startsWith('get-resource'))) {
    return new AimStorageLockError(`${operation}: the storage is locked (HTTP ${String(response.status)} ${text.slice(0, 300)})`);
  }
  if (response.status === 400) {
    try {
      const body = JSON.parse(text) as unknown;
      if (isRecord(body) && 'exception' in body) return new AimServerError(operation, remoteException(body['exception']));
    } catch {
      // not the server's exception format
    }
  }
  if (response.status === 502 || response.status === 503 || response.status === 504) {
    return new AimUnavailableError(`${operation}: HTTP ${String(response.status)} ${text.slice(0, 200)}`);
  }
  return new AimProtocolError(`${operation}: unexpected HTTP ${String(response.status)} ${text.slice(0, 200)}`);
}

/** A RocksDB lock error as `aim server` reports it. */
const STORAGE_LOCK = /lock hold by current process|While lock file|LOCK: (Resource temporarily unavailable|No locks available)/;
/** `aim server` 3.29.1 failing to report an exception whose args hold bytes (a RocksDB error). */
const UNREPORTABLE = /Object of type bytes is not JSON serializable/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** fetch() hides the reason (ECONNREFUSED, ...) in `cause`. */
function describeCause(error: unknown): string {
  if (error instanceof Error && error.cause instanceof Error) return `${error.message}: ${error.cause.message}`;
  return describe(error);
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new AimUnavailableError(`timed out after ${String(ms)} ms ${what}`));
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
