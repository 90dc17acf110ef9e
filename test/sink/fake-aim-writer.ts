/**
 * A fake Aim for the sink's unit tests: records every call (in order, with whether tracing was
 * suppressed), fails or hangs on demand, and imitates the real connection's heartbeat timer.
 */
import { context } from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import type { RunSettings } from '../../src/aim/index.js';
import type { AimWriter, RunWriter } from '../../src/sink/aim-writer.js';

/** The calls a fake can be told to fail. */
export type FakeOperation = 'connect' | 'createRun' | 'flush' | 'set' | 'track' | 'close';

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
    return new FakeRun(hash, this);
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
    private readonly hash: string,
    private readonly writer: FakeAimWriter,
  ) {}

  get(): Promise<undefined> {
    return Promise.resolve(undefined);
  }

  async set(key: string | readonly string[]): Promise<void> {
    this.writer.record('set', `set ${this.hash} ${typeof key === 'string' ? key : key.join('.')}`, this.hash);
    await Promise.resolve();
  }

  async setEntries(parent: string | readonly string[], entries: readonly (readonly [string, unknown])[]): Promise<void> {
    const path = typeof parent === 'string' ? parent : parent.join('.');
    this.writer.record('set', `setEntries ${this.hash} ${path} ${entries.map(([key]) => key).join(',')}`, this.hash);
    await Promise.resolve();
  }

  async track(_value: number | bigint, options: { name: string; pointKey?: bigint }): Promise<void> {
    this.writer.record('track', `track ${this.hash} ${options.name}`, this.hash);
    this.writer.pointKeys.push(options.pointKey);
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

function delay(ms: number): Promise<void> {
  return ms <= 0
    ? Promise.resolve()
    : new Promise((wake) => {
        setTimeout(wake, ms);
      });
}
