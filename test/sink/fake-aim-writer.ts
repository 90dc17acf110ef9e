/**
 * A fake Aim for the sink's unit tests: records every call (in order, with whether tracing was
 * suppressed), fails or hangs on demand, and imitates the real connection's heartbeat timer.
 * Given a {@link FakeAimStore}, its runs also store their metric points and params there and can
 * be read back (`readMetrics`); fakes sharing a store are replicas writing one Aim.
 */
import { context } from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import type { AimValue, RunSettings, TrackOptions } from '../../src/aim/index.js';
import type { StoredMetric } from '../../src/aim/run.js';
import type { AimWriter, RunWriter } from '../../src/sink/aim-writer.js';

/** The calls a fake can be told to fail. */
export type FakeOperation = 'connect' | 'createRun' | 'flush' | 'set' | 'track' | 'close' | 'read';

/** One metric series a fake stored: its points by key (the point key, else the step), replaced when written again, as Aim does. */
interface FakeSeries {
  name: string;
  contextId: bigint;
  context: Record<string, unknown>;
  dtype: string;
  points: Map<bigint, number | bigint>;
}

/** What the runs of fakes sharing it stored: metric points and params, by run hash. */
export class FakeAimStore {
  private readonly series = new Map<string, Map<string, FakeSeries>>();
  private readonly params = new Map<string, Map<string, AimValue>>();
  private readonly contexts = new Map<string, bigint>();

  /** Stores a point of run `hash` (key: `pointKey`, else the step). */
  track(hash: string, value: number | bigint, options: TrackOptions): void {
    const context = options.context ?? {};
    const contextKey = JSON.stringify(Object.entries(context).sort(([a], [b]) => (a < b ? -1 : 1)));
    let contextId = this.contexts.get(contextKey);
    if (contextId === undefined) {
      contextId = BigInt(this.contexts.size + 1);
      this.contexts.set(contextKey, contextId);
    }
    let run = this.series.get(hash);
    if (!run) {
      run = new Map();
      this.series.set(hash, run);
    }
    const seriesKey = `${options.name}\u0000${contextKey}`;
    let series = run.get(seriesKey);
    if (!series) {
      series = { name: options.name, contextId, context: { ...context }, dtype: typeof value === 'bigint' ? 'int' : 'float', points: new Map() };
      run.set(seriesKey, series);
    }
    series.points.set(options.pointKey ?? BigInt(options.step ?? series.points.size), value);
  }

  /** The metric series of run `hash`, as `AimRun.readMetrics` returns them (only `names`, when given). */
  read(hash: string, names?: Iterable<string>): StoredMetric[] {
    const wanted = names === undefined ? undefined : new Set(names);
    return [...(this.series.get(hash)?.values() ?? [])]
      .filter((series) => !wanted || wanted.has(series.name))
      .sort((a, b) => (a.name !== b.name ? (a.name < b.name ? -1 : 1) : Number(a.contextId - b.contextId)))
      .map((series) => ({
        name: series.name,
        contextId: series.contextId,
        context: new Map(Object.entries(series.context) as [string, AimValue][]),
        dtype: series.dtype,
        points: [...series.points],
      }));
  }

  /** Sets param `path` of run `hash`. */
  set(hash: string, path: readonly string[], value: AimValue): void {
    let run = this.params.get(hash);
    if (!run) {
      run = new Map();
      this.params.set(hash, run);
    }
    run.set(path.join('.'), value);
  }

  /** Param `path` (dotted) of run `hash`, if set. */
  param(hash: string, path: string): AimValue | undefined {
    return this.params.get(hash)?.get(path);
  }
}

/** Options of a {@link FakeAimWriter}. */
export interface FakeAimWriterOptions {
  /** Where its runs store their points and params; with it, runs have `readMetrics`. Default none. */
  store?: FakeAimStore;
}

export class FakeAimWriter implements AimWriter {
  /** Every call, e.g. `connect`, `createRun h1`, `set h1 a.b`, `track h1 loss`, `flush`, `closeRun h1`, `detach h1`, `close`, and `closed` once `close` is done. */
  readonly calls: string[] = [];
  /** Calls made while tracing was not suppressed in the active context. */
  readonly unsuppressed: string[] = [];
  /** Heartbeat ticks, and those that ran unsuppressed. */
  heartbeats = 0;
  unsuppressedHeartbeats = 0;
  /** The settings of every `createRun`. */
  readonly created: RunSettings[] = [];
  /** The point key of every metric tracked, in order. */
  readonly pointKeys: (bigint | undefined)[] = [];
  /** Runs being opened now, and the most at once. */
  opening = 0;
  mostOpeningAtOnce = 0;
  /** `flush()` never settles while set. */
  hangFlush = false;
  /** Milliseconds every `flush()` and run close takes. */
  latencyMs = 0;
  private readonly failures = new Map<FakeOperation, unknown[]>();
  private readonly runFailures = new Map<string, unknown[]>();
  private heartbeat: NodeJS.Timeout | undefined;
  private connected = false;
  readonly store: FakeAimStore | undefined;
  /** While set, every `readMetrics` answers (with what was stored when it was called) only once it resolves: a slow read. */
  readGate: Promise<void> | undefined;

  constructor(options: FakeAimWriterOptions = {}) {
    this.store = options.store;
  }

  /** The next `count` calls of `operation` throw `error`. */
  fail(operation: FakeOperation, error: unknown, count = 1): void {
    const queued = this.failures.get(operation) ?? [];
    for (let i = 0; i < count; i++) queued.push(error);
    this.failures.set(operation, queued);
  }

  /** The next `count` writes (set, track) to run `hash`, whichever batch makes them, throw `error`. */
  failRun(hash: string, error: unknown, count = 1): void {
    const queued = this.runFailures.get(hash) ?? [];
    for (let i = 0; i < count; i++) queued.push(error);
    this.runFailures.set(hash, queued);
  }

  /** Calls whose text starts with `prefix`. */
  count(prefix: string): number {
    return this.calls.filter((call) => call === prefix || call.startsWith(`${prefix} `)).length;
  }

  async connect(): Promise<void> {
    this.record('connect', 'connect');
    await Promise.resolve();
    if (this.connected) return;
    this.connected = true;
    this.heartbeat = setInterval(() => {
      this.heartbeats += 1;
      if (!isTracingSuppressed(context.active())) this.unsuppressedHeartbeats += 1;
    }, 1);
    this.heartbeat.unref();
  }

  async createRun(settings: RunSettings): Promise<RunWriter> {
    const hash = settings.hash ?? 'random';
    this.record('createRun', `createRun ${hash}`);
    this.opening += 1;
    this.mostOpeningAtOnce = Math.max(this.mostOpeningAtOnce, this.opening);
    try {
      await delay(this.latencyMs);
    } finally {
      this.opening -= 1;
    }
    this.created.push(settings);
    return this.store ? new ReadableFakeRun(hash, this, this.store) : new FakeRun(hash, this);
  }

  async flush(): Promise<void> {
    this.record('flush', 'flush');
    if (this.hangFlush) await new Promise<never>(() => undefined);
    await delay(this.latencyMs);
  }

  async close(): Promise<void> {
    this.record('close', 'close');
    clearInterval(this.heartbeat);
    this.connected = false;
    await delay(this.latencyMs);
    this.calls.push('closed');
  }

  /** Records a call; throws the failure queued for `operation`, or for a write to run `hash`, if any. */
  record(operation: FakeOperation | 'other', call: string, hash?: string): void {
    this.calls.push(call);
    if (!isTracingSuppressed(context.active())) this.unsuppressed.push(call);
    const queued = operation === 'other' ? undefined : this.failures.get(operation);
    if (queued && queued.length > 0) throw queued.shift();
    const forRun = hash === undefined ? undefined : this.runFailures.get(hash);
    if (forRun && forRun.length > 0) throw forRun.shift();
  }
}

class FakeRun implements RunWriter {
  /** A fake run is always new in Aim: nothing stored to read back. */
  readonly resumed = false;

  constructor(
    protected readonly hash: string,
    protected readonly writer: FakeAimWriter,
  ) {}

  get(): Promise<undefined> {
    return Promise.resolve(undefined);
  }

  async set(key: string | readonly string[], value?: AimValue): Promise<void> {
    const path = typeof key === 'string' ? [key] : key;
    this.writer.record('set', `set ${this.hash} ${path.join('.')}`, this.hash);
    if (value !== undefined) this.writer.store?.set(this.hash, path, value);
    await Promise.resolve();
  }

  async setEntries(parent: string | readonly string[], entries: readonly (readonly [string, AimValue])[]): Promise<void> {
    const path = typeof parent === 'string' ? [parent] : parent;
    this.writer.record('set', `setEntries ${this.hash} ${path.join('.')} ${entries.map(([key]) => key).join(',')}`, this.hash);
    for (const [key, value] of entries) this.writer.store?.set(this.hash, [...path, key], value);
    await Promise.resolve();
  }

  async track(value: number | bigint, options: TrackOptions): Promise<void> {
    this.writer.record('track', `track ${this.hash} ${options.name}`, this.hash);
    this.writer.pointKeys.push(options.pointKey);
    this.writer.store?.track(this.hash, value, options);
    await Promise.resolve();
  }

  async trackText(_text: string, options: { name: string }): Promise<void> {
    this.writer.record('track', `track ${this.hash} ${options.name}`, this.hash);
    await Promise.resolve();
  }

  async trackTexts(_texts: readonly string[], options: { name: string }): Promise<void> {
    this.writer.record('track', `track ${this.hash} ${options.name}`, this.hash);
    await Promise.resolve();
  }

  async setName(name: string): Promise<void> {
    this.writer.record('other', `setName ${this.hash} ${name}`);
    await Promise.resolve();
  }

  async addTag(tag: string): Promise<void> {
    this.writer.record('other', `addTag ${this.hash} ${tag}`);
    await Promise.resolve();
  }

  async close(): Promise<void> {
    this.writer.record('close', `closeRun ${this.hash}`);
    await delay(this.writer.latencyMs);
  }

  detach(): void {
    this.writer.record('other', `detach ${this.hash}`);
  }
}

/** A fake run of a writer with a store: it reads back what the store holds (every writer's points). */
class ReadableFakeRun extends FakeRun {
  constructor(
    hash: string,
    writer: FakeAimWriter,
    private readonly store: FakeAimStore,
  ) {
    super(hash, writer);
  }

  async readMetrics(names?: Iterable<string>): Promise<StoredMetric[]> {
    const wanted = names === undefined ? undefined : [...names];
    this.writer.record('read', `readMetrics ${this.hash}`);
    // What is stored now; the answer comes once the gate (if any) opens: a read that takes time.
    const read = this.store.read(this.hash, wanted);
    await this.writer.readGate;
    await Promise.resolve();
    return read;
  }
}

function delay(ms: number): Promise<void> {
  return ms <= 0
    ? Promise.resolve()
    : new Promise((wake) => {
        setTimeout(wake, ms);
      });
}
