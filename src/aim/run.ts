import { AimObject, type AimKey, type AimValue } from './codec/values.js';
import { AimClosedError, AimRunLockedError, AimServerError, AimUsageError } from './errors.js';
import { AIM_FIGURE, type PlotlyFigure, aimFigure, figureJson } from './figure.js';
import { RunPoints, type TrackOptions } from './run-points.js';
import type { SequenceInfo, SequenceTracker, TrackedValue } from './sequence.js';
import type { AimTransport } from './transport.js';

export type { TrackOptions } from './run-points.js';

/** Where a tracked figure goes: {@link TrackOptions} without `pointKey` (a figure is stored under its step). */
export type FigureTrackOptions = Omit<TrackOptions, 'pointKey'>;

/** A param key: one name, or a path of names into the params tree. */
export type ParamKey = string | readonly string[];

/** How a run is opened. */
export interface RunSettings {
  /** The run hash (no '-'); default a new random 24-hex-digit hash. */
  hash?: string;
  /** Experiment name; default none (Aim shows "default"). */
  experiment?: string;
  name?: string;
  description?: string;
  tags?: readonly string[];
  /**
   * Take the run's lock (as Aim's SDK does), so no second writer interleaves. `force` breaks a
   * stale lock (Aim's `force_resume`). Default `true`.
   */
  lock?: boolean | 'force';
}

/**
 * A metric series of a run as `aim server` stores it ({@link AimRun.readMetrics}): its points'
 * values under their storage keys — Aim's `hash(step)`, or the `pointKey` they were tracked with —
 * without their steps, epochs or times.
 */
export interface StoredMetric {
  /** The metric's name. */
  readonly name: string;
  /** Aim's id of the series' context (`contextId` of the context dict). */
  readonly contextId: bigint;
  /** The context dict as the run stores it (a `Map`); `undefined` if the run does not list it. */
  readonly context: AimValue | undefined;
  /** Aim's dtype of the series: `float`, `int`, `number` (both) or `float64`. */
  readonly dtype: string;
  /** The points, `[storage key, value]`, in the order the server keeps their keys (not step order): floats as `number`, ints as `bigint`. */
  readonly points: readonly (readonly [bigint, number | bigint])[];
}

/** Series read at once by {@link AimRun.readMetrics}. */
export const READ_SERIES_AT_ONCE = 8;

/** The dtypes of Aim's metric series (`Metric.allowed_dtypes`). */
const METRIC_DTYPES: ReadonlySet<string> = new Set(['float', 'float64', 'int', 'number']);

/** The server-side resources a run holds. */
interface RunHandlers {
  lock: string | undefined;
  meta: string;
  heartbeat: string;
  props: string;
  seqs: string;
}

const RUN_HASH = /^[^-\s/]+$/;

/** Points a run holds back for coalescing, at most: a bigger burst is sent in parts. */
const MAX_PENDING_POINTS = 2_048;

/**
 * An Aim run written through `aim server`. Writes (`set`, `track`, `trackText`) are queued and
 * pipelined; `flush()` resolves once the server applied everything before it; `close()` marks the
 * run finished and releases its server resources. Create runs with `AimRepo.createRun` or
 * `AimRepo.openRun`.
 */
export class AimRun {
  readonly hash: string;
  /** Whether the repository had the run before this open (it was resumed, not created). */
  readonly resumed: boolean;
  private readonly transport: AimTransport;
  private readonly handlers: RunHandlers;
  private readonly points: RunPoints;
  private closed = false;
  private sendScheduled = false;

  private readonly onClosed: (run: AimRun) => void;

  private constructor(transport: AimTransport, hash: string, handlers: RunHandlers, points: RunPoints, onClosed: (run: AimRun) => void, resumed: boolean) {
    this.transport = transport;
    this.hash = hash;
    this.resumed = resumed;
    this.handlers = handlers;
    this.points = points;
    this.onClosed = onClosed;
  }

  /** Whether {@link close} was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Opens the run `settings.hash` (a new random one by default), creating it if the repository
   * does not have it, resuming it (appending to its sequences) if it does. `mustExist` makes a
   * missing run an error instead.
   * @internal use AimRepo.createRun / AimRepo.openRun
   */
  static async open(transport: AimTransport, settings: RunSettings, mustExist: boolean, onClosed: (run: AimRun) => void = () => undefined): Promise<AimRun> {
    const hash = settings.hash ?? newRunHash();
    if (!RUN_HASH.test(hash)) throw new AimUsageError(`invalid run hash ${JSON.stringify(hash)}: it must be non-empty, without '-', '/' or spaces`);

    // Handlers created so far: given up (see forgetResource) if the open fails half way, so a
    // restored session does not re-create resources nobody owns.
    const created: string[] = [];
    const create = async (...args: Parameters<AimTransport['createResource']>): Promise<string> => {
      const handler = await transport.createResource(...args);
      created.push(handler);
      return handler;
    };
    try {
      return await AimRun.openWith(transport, hash, settings, mustExist, onClosed, create);
    } catch (error) {
      for (const handler of created) transport.forgetResource(handler);
      throw error;
    }
  }

  private static async openWith(
    transport: AimTransport,
    hash: string,
    settings: RunSettings,
    mustExist: boolean,
    onClosed: (run: AimRun) => void,
    create: (...args: Parameters<AimTransport['createResource']>) => Promise<string>,
  ): Promise<AimRun> {
    const lockMode = settings.lock ?? true;
    let lock: string | undefined;
    if (lockMode !== false) {
      const force = lockMode === 'force';
      // readNow: when the session is restored, writes wait for the lock, not the other way round.
      const takeLock = async (handler: string): Promise<void> => {
        try {
          await transport.readNow(handler, 'lock', [force]);
        } catch (error) {
          if (error instanceof AimServerError && error.remote.className === 'RunLockingError') {
            throw new AimRunLockedError(`run ${hash} is locked by another writer: ${error.remote.message}`);
          }
          throw error;
        }
      };
      lock = await create('Lock', { run_hash: hash }, () => takeLock(handlerOf(lock)));
      await takeLock(lock);
    }
    const treeArgs = (name: string): Record<string, AimValue> => ({
      name,
      sub: hash,
      read_only: false,
      from_union: false, // required by servers 3.19–3.28, ignored by 3.29
      index: false,
      timeout: null,
      no_cache: false,
    });
    const meta = await create('TreeView', treeArgs('meta'));
    const runPath: AimKey[] = ['meta', 'chunks', hash];
    // Every run Aim opened for writing has an end_time key (None while active).
    const endTime = hasKey(transport, meta, 'collect', [...runPath, 'end_time']);
    if (mustExist && !(await endTime)) {
      await releaseAll(transport, [meta, lock]);
      throw new AimUsageError(`the repository has no run ${hash}`);
    }
    // The rest of the run's resources and the params check are independent: one round trip, not five.
    const [exists, hasParams, heartbeat, props, seqs] = await allSettledOrThrow([
      endTime,
      hasKey(transport, meta, 'first_key', [...runPath, 'attrs']),
      create('RunHeartbeat', { run_hash: hash }),
      create('StructuredRun', { hash_: hash, read_only: false, created_at: null }),
      create('TreeView', treeArgs('seqs')),
    ] as const);
    const points = new RunPoints(hash);
    if (exists) await loadSequences(transport, meta, hash, points.tracker);
    const run = new AimRun(transport, hash, { lock, meta, heartbeat, props, seqs }, points, onClosed, exists);
    if (!hasParams) {
      // No params yet: Aim writes an empty params dict, so readers find one (as the SDK does).
      await run.writeMeta([...runPath, 'attrs'], new Map());
      await run.writeMeta(['meta', 'attrs'], new Map());
    }
    await run.writeMeta([...runPath, 'end_time'], null); // (re)opened: active
    if (settings.experiment !== undefined) await run.setExperiment(settings.experiment);
    if (settings.name !== undefined) await run.setName(settings.name);
    if (settings.description !== undefined) await run.setDescription(settings.description);
    for (const tag of settings.tags ?? []) await run.addTag(tag);
    return run;
  }

  /**
   * Sets a param: `run.set('hparams', {lr: 0.01, layers: [64n, 32n]})` is Python's
   * `run['hparams'] = {...}`. Use `bigint` for ints, `number` for floats.
   */
  set(key: ParamKey, value: AimValue): Promise<void> {
    const path = typeof key === 'string' ? [key] : [...key];
    if (path.length === 0 || path.some((part) => part === '')) throw new AimUsageError('a param key must be non-empty');
    return Promise.all([this.writeMeta(['meta', 'chunks', this.hash, 'attrs', ...path], value), this.writeMeta(['meta', 'attrs', ...path], value)]).then(
      () => undefined,
    );
  }

  /**
   * Reads a param back, as the server holds it (Python's `run[key]`; dicts are `Map`s), once the
   * writes made before it are applied; `undefined` when the run has no param at `key`.
   */
  async get(key: ParamKey): Promise<AimValue | undefined> {
    const path = typeof key === 'string' ? [key] : [...key];
    if (path.length === 0 || path.some((part) => part === '')) throw new AimUsageError('a param key must be non-empty');
    this.assertOpen();
    try {
      return await this.transport.read(this.handlers.meta, 'collect', [['meta', 'chunks', this.hash, 'attrs', ...path], true, false]);
    } catch (error) {
      if (error instanceof AimServerError && error.remote.className === 'KeyError') return undefined;
      throw error;
    }
  }

  /**
   * Reads the run's metric series back as `aim server` holds them now, once the writes made
   * before are applied: every point stored, whoever tracked it (this run object, an earlier
   * session, another process writing the same run). `names`: only these metrics (default every
   * metric of the run), in every context they have. Series come sorted by name, then context id.
   *
   * Cost: one round trip for the run's sequence list and contexts (two reads in parallel), then
   * one read per series, {@link READ_SERIES_AT_ONCE} at a time. A series' read carries its whole
   * `val` column: Aim's `items_eager` on it (`collect` would make the server pad a list up to each
   * hash-keyed index), three records and about 100 bytes a point, which `aim server` streams one
   * record at a time, at some 0.1–0.15 ms a record (measured with 3.29.1 on a loaded 2-core
   * machine: 3–4.5 s per series of 10,000 points, no faster in parallel). Only v2 (metric) series
   * are read; texts and figures are not metrics.
   *
   * @throws {AimClosedError} once the run is closed; rejects with the transport's errors.
   */
  async readMetrics(names?: Iterable<string>): Promise<StoredMetric[]> {
    this.assertOpen();
    await this.sendPending(); // points held back for coalescing are writes made before, too
    const wanted = names === undefined ? undefined : new Set(names);
    const runPath: AimKey[] = ['meta', 'chunks', this.hash];
    const [traces, contexts] = await Promise.all([
      this.readOrUndefined(this.handlers.meta, [...runPath, 'traces']),
      this.readOrUndefined(this.handlers.meta, [...runPath, 'contexts']),
    ]);
    const listed: { name: string; contextId: bigint; dtype: string }[] = [];
    for (const [ctx, byName] of asMap(traces) ?? []) {
      if (typeof ctx !== 'bigint') continue;
      for (const [name, info] of asMap(byName) ?? []) {
        const fields = asMap(info);
        if (typeof name !== 'string' || !fields || (wanted && !wanted.has(name))) continue;
        const dtype = fields.get('dtype');
        if (fields.get('version') !== 2n || typeof dtype !== 'string' || !METRIC_DTYPES.has(dtype)) continue;
        listed.push({ name, contextId: ctx, dtype });
      }
    }
    listed.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.contextId < b.contextId ? -1 : a.contextId > b.contextId ? 1 : 0));
    const series: StoredMetric[] = new Array<StoredMetric>(listed.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < listed.length; i = next++) {
        const { name, contextId: id, dtype } = listed[i] as (typeof listed)[number];
        const items = await this.transport.read(this.handlers.seqs, 'items_eager', [['seqs', 'v2', 'chunks', this.hash, id, name, 'val']]);
        const context = asMap(contexts)?.get(id);
        series[i] = { name, contextId: id, context, dtype, points: metricPoints(items) };
      }
    };
    await Promise.all(Array.from({ length: Math.min(READ_SERIES_AT_ONCE, listed.length) }, worker));
    return series;
  }

  /** `collect(path)` on a tree, `undefined` when the tree has no such key. */
  private async readOrUndefined(tree: string, path: AimKey[]): Promise<AimValue | undefined> {
    try {
      return await this.transport.read(tree, 'collect', [path, true, false]);
    } catch (error) {
      if (error instanceof AimServerError && error.remote.className === 'KeyError') return undefined;
      throw error;
    }
  }

  /**
   * Sets several params under one parent in one instruction per tree (Aim's `update`):
   * `run.setEntries(['langchain', 'metadata'], [['user', 'ada'], ['team', 'search']])` is
   * `run['langchain']['metadata']['user'] = 'ada'` and so on, for the price of one write.
   */
  setEntries(parent: ParamKey, entries: readonly (readonly [string, AimValue])[]): Promise<void> {
    const path = typeof parent === 'string' ? [parent] : [...parent];
    if (path.some((part) => part === '') || entries.some(([key]) => key === '')) throw new AimUsageError('a param key must be non-empty');
    if (entries.length === 0) return Promise.resolve();
    this.assertOpen();
    return Promise.all([
      this.transport.write(this.handlers.meta, 'update', [['meta', 'chunks', this.hash, 'attrs', ...path], entries]),
      this.transport.write(this.handlers.meta, 'update', [['meta', 'attrs', ...path], entries]),
    ]).then(() => undefined);
  }

  /** Tracks a metric point: a `number` is an Aim float, a `bigint` an Aim int. */
  track(value: number | bigint, options: TrackOptions): Promise<void> {
    const point: TrackedValue = typeof value === 'bigint' ? { kind: 'int', value } : { kind: 'float', value };
    return this.trackPoint(point, options);
  }

  /** Tracks a text point (an `aim.Text`) on a text sequence. */
  trackText(text: string, options: Omit<TrackOptions, 'epoch'> & { epoch?: number | bigint }): Promise<void> {
    return this.trackPoint({ kind: 'text', value: text }, options);
  }

  /**
   * Tracks a list of texts as one point (Python's `run.track([Text(a), Text(b)], ...)`): the
   * sequence's dtype is `list(aim.text)` and the UI shows the texts of a step together.
   */
  trackTexts(texts: readonly string[], options: TrackOptions): Promise<void> {
    return this.trackPoint({ kind: 'texts', value: [...texts] }, options);
  }

  /**
   * Tracks a Plotly figure (an `aim.Figure`, Python's `run.track(aim.Figure(fig), ...)`) on a
   * figure sequence: dtype `aim.figure`, listed under the run's `figures`, shown in Aim's Figures
   * tab. `figure` is an {@link aimFigure} object, the figure's JSON text (stored as given) or a
   * figure object (stored as `JSON.stringify(figure)`); the last two get `version` `'unknown'`.
   *
   * Like texts, a figure is stored under its step (default: one after the sequence's last step, 0
   * for a new sequence): tracking a figure again at the same step replaces it, so writing the same
   * figure twice leaves one point with the same value (and, given the same `time`, the same tree).
   * Each point copies the whole JSON into the request, and the sequence's newest figure into the
   * run's metadata (`last`, as Aim does): keep figures to a size the UI can draw.
   *
   * @throws {AimUsageError} for a value that is not a figure (see {@link aimFigure}), an empty
   *   name, a negative step, or a sequence that holds another dtype.
   * @throws {AimClosedError} once the run is closed.
   */
  trackFigure(figure: AimObject | string | PlotlyFigure, options: FigureTrackOptions): Promise<void> {
    let value: AimObject;
    if (figure instanceof AimObject) {
      if (figureJson(figure) === undefined) {
        const what = figure.alias === AIM_FIGURE ? 'an aim.figure without a BLOB of JSON text as its data' : `an ${figure.alias} object`;
        throw new AimUsageError(`trackFigure takes an aim.figure object (from aimFigure), not ${what}`);
      }
      value = figure;
    } else {
      value = aimFigure(figure);
    }
    return this.trackPoint({ kind: 'object', value }, options);
  }

  /** Sets the run's experiment (created if missing). */
  setExperiment(name: string): Promise<void> {
    return this.writeProp('experiment.setter', name);
  }

  setName(name: string): Promise<void> {
    return this.writeProp('name.setter', name);
  }

  setDescription(description: string): Promise<void> {
    return this.writeProp('description.setter', description);
  }

  /** Adds a tag (created in the repository if missing). */
  async addTag(tag: string): Promise<void> {
    this.assertOpen();
    // Independent of the writes queued before it: no need to wait for them (readNow).
    await this.transport.readNow(this.handlers.props, 'add_tag', [tag]);
  }

  /** Resolves when the server applied every write made so far. */
  async flush(): Promise<void> {
    await this.sendPending();
    return this.transport.flush();
  }

  /**
   * Finishes the run: sets its end time, stops its server-side heartbeat, releases its lock and
   * its server resources. Idempotent.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.sendPending();
    await this.writeMeta(['meta', 'chunks', this.hash, 'end_time'], Date.now() / 1000);
    this.closed = true;
    this.onClosed(this);
    await this.transport.flush();
    // The heartbeat stops before the trees go, as in Aim's SDK (else its last touch leaves a progress marker).
    await Promise.all([
      this.transport.readNow(this.handlers.heartbeat, 'stop', []),
      this.handlers.lock ? this.transport.readNow(this.handlers.lock, 'release', [false]) : undefined,
    ]);
    const { props, heartbeat, lock, meta, seqs } = this.handlers;
    await releaseAll(this.transport, [props, heartbeat, lock, meta, seqs]);
  }

  private trackPoint(point: TrackedValue, options: TrackOptions): Promise<void> {
    this.assertOpen();
    this.points.track(point, options);
    // Points wait until the current burst of calls ends (setImmediate) or the batch is full, so
    // that a burst goes to the server as a few coalesced instructions (see SequenceTracker).
    if (this.points.pending >= MAX_PENDING_POINTS) return this.sendPending();
    if (!this.sendScheduled) {
      this.sendScheduled = true;
      setImmediate(() => {
        this.sendScheduled = false;
        // A closed channel fails the next flush, which reports it.
        if (!this.closed) this.sendPending().catch(() => undefined);
      });
    }
    return Promise.resolve();
  }

  /**
   * Hands the points tracked so far to the write channel (coalesced). Called by {@link flush},
   * {@link close} and `AimRepo.flush`; the promise waits while the channel is over its memory bound.
   * @internal
   */
  sendPending(): Promise<void> {
    if (this.points.pending === 0 || this.closed) return Promise.resolve();
    let last: Promise<void> = Promise.resolve();
    for (const write of this.points.drain()) {
      last = this.transport.write(write.tree === 'meta' ? this.handlers.meta : this.handlers.seqs, write.method, write.args);
    }
    return last;
  }

  private writeMeta(path: AimKey[], value: AimValue): Promise<void> {
    this.assertOpen();
    return this.transport.write(this.handlers.meta, '__setitem__', [path, value]);
  }

  /**
   * Gives the run object up without a word to the server (which may have lost it: a restart):
   * its resources are forgotten, later writes throw `AimClosedError`, and the run stays active in
   * Aim. Open the run again (`AimRepo.createRun` with its hash) to go on writing it.
   */
  detach(): void {
    if (this.closed) return;
    this.points.drain(); // points not sent yet are given up with the run
    this.closed = true;
    this.onClosed(this);
    const { lock, meta, heartbeat, props, seqs } = this.handlers;
    for (const handler of [lock, meta, heartbeat, props, seqs]) if (handler !== undefined) this.transport.forgetResource(handler);
  }

  private writeProp(setter: string, value: AimValue): Promise<void> {
    this.assertOpen();
    return this.transport.write(this.handlers.props, setter, [value]);
  }

  private assertOpen(): void {
    if (this.closed) throw new AimClosedError(`run ${this.hash} is closed`);
  }
}

/** A new run hash like Aim's own: 24 hex digits. */
export function newRunHash(): string {
  return crypto.randomUUID().replaceAll('-', '').slice(0, 24);
}

function handlerOf(handler: string | undefined): string {
  if (handler === undefined) throw new Error('lock handler used before it was created');
  return handler;
}

/** Whether `collect` (the key exists) or `first_key` (the key has children) succeeds on `path`. */
async function hasKey(transport: AimTransport, tree: string, method: 'collect' | 'first_key', path: AimKey[]): Promise<boolean> {
  try {
    await transport.read(tree, method, method === 'collect' ? [path, true, false] : [path]);
    return true;
  } catch (error) {
    if (error instanceof AimServerError && (error.remote.className === 'KeyError' || error.remote.className === 'StopIteration')) {
      return false;
    }
    throw error;
  }
}

/** Reads an existing run's sequence metadata so tracking resumes where it stopped. */
async function loadSequences(transport: AimTransport, meta: string, hash: string, tracker: SequenceTracker): Promise<void> {
  let traces: AimValue;
  try {
    traces = await transport.read(meta, 'collect', [['meta', 'chunks', hash, 'traces'], true, false]);
  } catch (error) {
    if (error instanceof AimServerError && error.remote.className === 'KeyError') return;
    throw error;
  }
  if (!(traces instanceof Map)) return;
  for (const [ctx, byName] of traces) {
    if (typeof ctx !== 'bigint' || !(byName instanceof Map)) continue;
    for (const [name, rawInfo] of byName) {
      if (typeof name !== 'string' || !(rawInfo instanceof Map)) continue;
      const fields = rawInfo as ReadonlyMap<AimKey, AimValue>;
      const field = (key: string): AimValue | undefined => fields.get(key);
      const lastStep = field('last_step');
      const version = field('version') === 1n ? 1 : 2;
      const dtype = field('dtype');
      const recordMaxLength = field('record_max_length');
      const info: SequenceInfo = {
        dtype: typeof dtype === 'string' ? dtype : 'float',
        version,
        count: typeof lastStep === 'bigint' ? lastStep + 1n : 0n,
        max: numeric(field('max')) ?? -Infinity,
        min: numeric(field('min')) ?? Infinity,
        ...(typeof recordMaxLength === 'bigint' ? { recordMaxLength: Number(recordMaxLength) } : {}),
      };
      tracker.load(ctx, name, info);
    }
  }
}

/** A decoded dict as a map; `undefined` for any other value. */
function asMap(value: AimValue | undefined): ReadonlyMap<AimKey, AimValue> | undefined {
  return value instanceof Map ? (value as ReadonlyMap<AimKey, AimValue>) : undefined;
}

/** The points of a series' `val` column as `items_eager` returns them (`[[key, value], ...]`); entries of another shape are left out. */
function metricPoints(items: AimValue): [bigint, number | bigint][] {
  const points: [bigint, number | bigint][] = [];
  if (!Array.isArray(items)) return points;
  for (const item of items as readonly AimValue[]) {
    if (!Array.isArray(item) || item.length !== 2) continue;
    const [key, value] = item as readonly AimValue[];
    if (typeof key === 'bigint' && (typeof value === 'number' || typeof value === 'bigint')) points.push([key, value]);
  }
  return points;
}

function numeric(value: AimValue | undefined): number | bigint | undefined {
  return typeof value === 'number' || typeof value === 'bigint' ? value : undefined;
}

/** Like `Promise.all`, but rejects (with the first error) only once every promise has settled. */
async function allSettledOrThrow<T extends readonly unknown[]>(promises: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((result) => (result as PromiseFulfilledResult<unknown>).value) as { -readonly [K in keyof T]: Awaited<T[K]> };
}

/** Releases server resources, all at once (they do not depend on each other). */
async function releaseAll(transport: AimTransport, handlers: readonly (string | undefined)[]): Promise<void> {
  await Promise.all(handlers.filter((handler) => handler !== undefined).map((handler) => transport.releaseResource(handler)));
}
