import { randomUUID } from 'node:crypto';
import { diag } from '@opentelemetry/api';
import { RecordStreamParser, decodeTree, packTree } from './codec/index.js';
import type { AimRecord } from './codec/index.js';
import type { AimValue } from './codec/values.js';
import {
  AimClosedError,
  AimError,
  AimProtocolError,
  AimServerError,
  AimUnavailableError,
  remoteException,
} from './errors.js';
import { type AimEndpoint, parseAimUrl } from './url.js';
import { WriteChannel, type WriteChannelOptions, type WriteStats } from './write-channel.js';

/** Options of a connection to `aim server`. */
export interface AimTransportOptions extends WriteChannelOptions {
  /** Timeout of each HTTP request (reads, resource creation, heartbeats), in ms. Default 30 000. */
  requestTimeoutMs?: number;
  /** How often to tell the server this client is alive, in ms (it reaps clients silent for 300 s). Default 10 000. */
  heartbeatIntervalMs?: number;
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
  private readonly writes: WriteChannel;
  private readonly heartbeat: NodeJS.Timeout;
  private restoring: Promise<void> | undefined;
  /** The session's `Repo` resource (see connect()). */
  private repoHandler = '';
  private closed = false;

  private constructor(endpoint: AimEndpoint, options: AimTransportOptions) {
    this.endpoint = endpoint;
    this.clientId = randomUUID();
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.writes = new WriteChannel(
      {
        url: `${endpoint.wsBase}/tracking/${this.clientId}/write-instruction/`,
        restore: () => this.restoreSession(),
      },
      options,
    );
    this.heartbeat = setInterval(() => {
      this.get(`/client/heartbeat/${this.clientId}/`).catch((error: unknown) => {
        diag.warn(`aim-otel-bridge: Aim heartbeat failed: ${describe(error)}`);
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
   */
  async createResource(
    type: AimResourceType,
    kwargs: Record<string, AimValue>,
    afterRestore?: () => Promise<void>,
  ): Promise<string> {
    const handler = await this.postResource('', type, kwargs);
    this.resources.set(handler, { type, kwargs, afterRestore });
    return handler;
  }

  /**
   * Forgets a resource without telling the server: it is not re-created when the session is
   * restored. For resources whose owner gives them up after the server lost them (see `AimRun.detach`).
   */
  forgetResource(handler: string): void {
    this.resources.delete(handler);
  }

  /** Releases a resource (after every write sent before has been applied). */
  async releaseResource(handler: string): Promise<void> {
    if (!this.resources.delete(handler)) return;
    await this.writes.flush();
    await this.get(`/tracking/${this.clientId}/release-resource/${handler}/`);
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
    return this.writes.flush();
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
  }

  /**
   * Re-creates every live resource under its handler with its original arguments, then runs each
   * one's `afterRestore`. Concurrent callers share one restoration.
   */
  private restoreSession(): Promise<void> {
    this.restoring ??= (async () => {
      await this.get(`/client/reconnect/${this.clientId}/`);
      await this.get(`/client/heartbeat/${this.clientId}/`);
      for (const [handler, entry] of this.resources) await this.postResource(handler, entry.type, entry.kwargs);
      for (const entry of this.resources.values()) await entry.afterRestore?.();
      diag.info(`aim-otel-bridge: Aim session restored (${String(this.resources.size)} resources)`);
    })().finally(() => {
      this.restoring = undefined;
    });
    return this.restoring;
  }

  private async postResource(handler: string, type: AimResourceType, kwargs: Record<string, AimValue>): Promise<string> {
    const answer = await this.post(`/tracking/${this.clientId}/get-resource/`, {
      resource_handler: handler,
      resource_type: type,
      args: packTree(kwargs).toString('base64'),
    }, `get-resource ${type}`);
    const created = isRecord(answer) ? answer['handler'] : undefined;
    if (typeof created !== 'string' || created === '') {
      throw new AimProtocolError(`get-resource ${type} answered without a handler: ${JSON.stringify(answer)}`);
    }
    return created;
  }

  private async readOnce(handler: string, method: string, args: readonly AimValue[]): Promise<AimValue> {
    const operation = `read-instruction ${method}`;
    const response = await this.fetch(`/tracking/${this.clientId}/read-instruction/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ resource_handler: handler, method_name: method, args: packTree([...args]).toString('base64') }),
    }, operation);
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
    const response = await this.fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }, operation);
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

/** The typed error for a non-2xx answer: the server's exception on 400, else a protocol error. */
async function errorFrom(response: Response, operation: string): Promise<AimError> {
  const text = await response.text().catch(() => '');
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
