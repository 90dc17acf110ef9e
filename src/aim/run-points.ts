import type { AimKey, AimValue } from './codec/values.js';
import { AimUsageError } from './errors.js';
import { contextId } from './hash.js';
import { SequenceTracker, type TrackedValue, type TreeName, type TreeWrite } from './sequence.js';

/** Where a tracked point goes. */
export interface TrackOptions {
  /** The sequence (metric or text) name. Required, non-empty. */
  name: string;
  /** The step; default: one after the sequence's last step (0 for a new sequence). */
  step?: number | bigint;
  /** The epoch; default none. */
  epoch?: number | bigint;
  /** The context dict (flat string/number/boolean values; integral numbers are stored as ints); default `{}`. */
  context?: ContextDict;
  /** The time of the point, unix seconds; default now. */
  time?: number;
  /**
   * Metrics only: the key the point is stored under, default Aim's `hash(step)` (so a second
   * point at the same step replaces the first). Give each point a unique key (e.g. `hashAuto` of
   * its source's id) to keep points that share a step; writing the same key again is a no-op.
   */
  pointKey?: bigint;
}

/** One write of a run's points, as sent: `method(...args)` on the run's `meta` or `seqs` tree. */
export interface PointWrite {
  tree: TreeName;
  method: string;
  args: AimValue[];
}

/**
 * The points a run tracked and has not sent yet: it turns `track()` calls into coalesced tree
 * writes ({@link SequenceTracker}), resolving each context dict to its Aim id once. The run sends
 * what {@link drain} returns; benchmarks encode it without a server.
 */
export class RunPoints {
  readonly tracker: SequenceTracker;
  private readonly contexts = new ContextCache();

  constructor(runHash: string) {
    this.tracker = new SequenceTracker(runHash);
  }

  /** Points tracked since the last {@link drain}. */
  get pending(): number {
    return this.tracker.pendingPoints;
  }

  /** Records a point (see `AimRun.track`); throws `AimUsageError` for a point Aim cannot take. */
  track(point: TrackedValue, options: TrackOptions): void {
    const { value: contextValue, id } = this.contexts.resolve(options.context ?? {});
    this.tracker.track(
      point,
      options.name,
      contextValue,
      id,
      toBigInt(options.step, 'step'),
      toBigInt(options.epoch, 'epoch'),
      options.time ?? Date.now() / 1000,
      options.pointKey,
    );
  }

  /** The writes of the points recorded since the last drain, coalesced, with their wire arguments. */
  drain(): PointWrite[] {
    return this.tracker.drain().map((write) => ({ tree: write.tree, method: write.method, args: argumentsOf(write) }));
  }
}

/** A context dict resolved: the value as Aim stores it and its id. */
interface ResolvedContext {
  value: ReadonlyMap<AimKey, AimValue>;
  id: bigint;
}

type ContextDict = Readonly<Record<string, string | number | bigint | boolean>>;

/**
 * Context dicts and their Aim ids (hashing a context costs tens of µs, and a run tracks the same
 * few contexts over and over). Bounded: at 1,000 entries it starts afresh.
 */
class ContextCache {
  private static readonly LIMIT = 1_000;
  private readonly entries = new Map<string, ResolvedContext>();
  /** The same dict object again (the points of one span share theirs) skips building the key. */
  private lastObject: ContextDict | undefined;
  private lastEntry: ResolvedContext | undefined;

  resolve(context: ContextDict): ResolvedContext {
    if (context === this.lastObject && this.lastEntry) return this.lastEntry;
    const key = contextKey(context);
    let entry = this.entries.get(key);
    if (!entry) {
      // Integral numbers are Aim ints in a context, as Python users write them.
      const value = new Map<AimKey, AimValue>(Object.entries(context).map(([k, v]) => [k, typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : v]));
      entry = { value, id: contextId(value) };
      if (this.entries.size >= ContextCache.LIMIT) this.entries.clear();
      this.entries.set(key, entry);
    }
    // Only a frozen dict can be remembered by identity: a mutable one may change before its next use.
    this.lastObject = Object.isFrozen(context) ? context : undefined;
    this.lastEntry = entry;
    return entry;
  }
}

/**
 * A string that tells context dicts apart: each entry as the lengths and text of its key and value
 * and its value's type (length prefixes keep it unambiguous whatever the keys hold).
 */
function contextKey(context: ContextDict): string {
  let key = '';
  for (const name in context) {
    const value = context[name] as string | number | bigint | boolean;
    const text = String(value);
    key += `${String(name.length)}:${name}${typeof value}${String(text.length)}:${text}`;
  }
  return key;
}

/**
 * The arguments of a tracker write on the wire: `[path]`, `[path, value]` or `[path, entries]`.
 * The tracker's paths and entries are handed over as they are (not copied): the write channel
 * encodes them when they are enqueued, and nothing changes them afterwards.
 */
function argumentsOf(write: TreeWrite): AimValue[] {
  switch (write.method) {
    case 'make_array':
      return [write.path];
    case 'update':
      return [write.path, write.entries];
    default:
      return [write.path, write.value];
  }
}

function toBigInt(value: number | bigint | undefined, what: string): bigint | undefined {
  if (value === undefined || typeof value === 'bigint') return value;
  if (!Number.isSafeInteger(value)) throw new AimUsageError(`${what} must be an integer (got ${String(value)})`);
  return BigInt(value);
}
