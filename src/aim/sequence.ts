import type { AimKey, AimPath, AimValue } from './codec/values.js';
import { aimText } from './codec/values.js';
import { AimUsageError } from './errors.js';
import { stepHash } from './hash.js';

/** Which of a run's two trees a write goes to: `meta` (run metadata) or `seqs` (sequence data). */
export type TreeName = 'meta' | 'seqs';

/**
 * One write the tracker asks for: `tree.method(path, ...rest)`. `update(path, entries)` is Aim's
 * `ContainerTreeView.update`: `set(path + [key], value)` for each entry, in one instruction.
 */
export type TreeWrite =
  | { tree: TreeName; method: '__setitem__'; path: AimPath; value: AimValue }
  | { tree: TreeName; method: 'make_array'; path: AimPath }
  | { tree: TreeName; method: 'update'; path: AimPath; entries: readonly (readonly [AimKey, AimValue])[] };

/** A value tracked on a sequence: an Aim float (`number`), int (`bigint`), text, or list of texts (one record). */
export type TrackedValue =
  | { kind: 'float'; value: number }
  | { kind: 'int'; value: bigint }
  | { kind: 'text'; value: string }
  | { kind: 'texts'; value: readonly string[] };

/** What a run knows of one sequence (a name in a context) after writing or loading it. */
export interface SequenceInfo {
  /** Aim's dtype: `float`, `int`, `number` (ints and floats mixed), `aim.text` or `list(aim.text)`. */
  dtype: string;
  /** 2 for metrics (hash-keyed steps), 1 for objects such as texts (raw step keys). */
  version: 1 | 2;
  /** The next automatic step: last step + 1 (0 for a new sequence). */
  count: bigint;
  /** Largest and smallest metric value so far (metrics; start at -inf/+inf as in Aim, so NaN never counts). */
  max: number | bigint;
  min: number | bigint;
  /** Lists only: the longest list tracked so far (Aim's `record_max_length`). */
  recordMaxLength?: number;
}

/** The Aim sequence type (`typed_traces` key) of a dtype. */
function sequenceType(dtype: string): string {
  if (dtype === 'aim.text' || dtype === 'list(aim.text)') return 'texts';
  return dtype === 'list' ? 'sequence' : 'metric';
}

/** Aim's typename of a value (`get_object_typename`): an empty list is a plain `list`. */
function dtypeOf(value: TrackedValue): string {
  switch (value.kind) {
    case 'text':
      return 'aim.text';
    case 'texts':
      return value.value.length === 0 ? 'list' : 'list(aim.text)';
    default:
      return value.kind;
  }
}

function stored(value: TrackedValue): AimValue {
  switch (value.kind) {
    case 'text':
      return aimText(value.value);
    case 'texts':
      return value.value.map((text) => aimText(text));
    default:
      return value.value;
  }
}

/** What one sequence got since the last drain: its columns' new entries and its changed metadata. */
interface PendingSequence {
  /** The sequence's data prefix in the `seqs` tree. */
  series: AimPath;
  /** The sequence's metadata in the `meta` tree (`meta/chunks/<run>/traces/<ctx>/<name>`). */
  trace: AimPath;
  /** Entries per column (`val`, `epoch`, `time`, and `step` for metrics), in tracking order. */
  columns: Map<string, [AimKey, AimValue][]>;
  /** Metadata fields changed (`last`, `max`, ...): only their final values are written. */
  fields: Map<string, AimValue>;
}

/**
 * Plans the writes of `run.track()` so that Aim's SDK and UI read our runs exactly like those of
 * Aim's own tracker (`aim/sdk/tracker.py`, 3.29.1): on first use of a sequence the arrays are
 * allocated and its metadata written; every point updates `last`/`last_step` (and `max`/`min`
 * for metrics) and writes its value, epoch, time (and step, for metrics).
 *
 * Unlike Aim's tracker it writes points in batches: {@link track} records a point, {@link drain}
 * returns the writes of every point since the last drain, coalesced — each column of a sequence
 * is one `update` instruction with all its new entries, and the sequence's metadata one `update`
 * with only the final `last`/`last_step`/`max`/`min`. `aim server` pays per instruction (parsing,
 * dispatch, a RocksDB write batch per key), so this cuts its work several-fold for the same
 * stored result. Pure: it keeps the per-sequence state and returns writes; the run sends them.
 */
export class SequenceTracker {
  private readonly runHash: string;
  private readonly sequences = new Map<string, SequenceInfo>();
  private readonly contexts = new Set<bigint>();
  /** Writes that must precede the pending points' (arrays, contexts, dtypes), in order. */
  private structural: TreeWrite[] = [];
  private pending = new Map<string, PendingSequence>();
  private pendingCount = 0;

  constructor(runHash: string) {
    this.runHash = runHash;
  }

  /** Points tracked since the last {@link drain}. */
  get pendingPoints(): number {
    return this.pendingCount;
  }

  /** Records a sequence that already exists in the run (when resuming it). */
  load(contextId: bigint, name: string, info: SequenceInfo): void {
    this.sequences.set(key(contextId, name), { ...info });
    this.contexts.add(contextId);
  }

  /** The state of a sequence, if tracked or loaded. */
  info(contextId: bigint, name: string): Readonly<SequenceInfo> | undefined {
    return this.sequences.get(key(contextId, name));
  }

  /**
   * Records one point; its writes come out of the next {@link drain}. `context` is the context
   * dict, `contextId` its Aim id (`contextId(context)`), `step` defaults to the sequence's next
   * step, `time` is unix seconds, `pointKey` (metrics only) the storage key of the point, default
   * Aim's `hash(step)`. Throws `AimUsageError` (recording nothing) for an empty name, a negative
   * step, or a value the sequence's dtype cannot take.
   */
  track(
    point: TrackedValue,
    name: string,
    context: AimValue,
    contextId: bigint,
    step: bigint | undefined,
    epoch: bigint | undefined,
    time: number,
    pointKey?: bigint,
  ): void {
    if (name === '') throw new AimUsageError('a sequence name must not be empty');
    const dtype = dtypeOf(point);
    const version = point.kind === 'float' || point.kind === 'int' ? 2 : 1;
    const sequenceKey = key(contextId, name);
    let info = this.sequences.get(sequenceKey);
    if (info && (info.version !== version || !compatible(info.dtype, dtype))) {
      throw new AimUsageError(`cannot track a ${dtype} value on sequence '${name}', which holds ${info.dtype} values`);
    }
    const at = step ?? info?.count ?? 0n;
    if (at < 0n) throw new AimUsageError(`steps must not be negative (got ${String(at)} on sequence '${name}')`);

    const run: AimKey[] = ['meta', 'chunks', this.runHash];
    const series: AimKey[] =
      version === 2 ? ['seqs', 'v2', 'chunks', this.runHash, contextId, name] : ['seqs', 'chunks', this.runHash, contextId, name];
    const trace: AimKey[] = [...run, 'traces', contextId, name];
    const meta = (path: AimPath, value: AimValue): void => {
      this.structural.push({ tree: 'meta', method: '__setitem__', path, value });
    };
    if (!info) {
      info = { dtype, version, count: 0n, max: -Infinity, min: Infinity };
      this.sequences.set(sequenceKey, info);
      const columns = version === 2 ? ['step', 'val', 'epoch', 'time'] : ['val', 'epoch', 'time'];
      for (const column of columns) this.structural.push({ tree: 'seqs', method: 'make_array', path: [...series, column] });
    }
    if (!this.contexts.has(contextId)) {
      this.contexts.add(contextId);
      meta(['meta', 'contexts', contextId], context);
      meta([...run, 'contexts', contextId], context);
    }

    let pending = this.pending.get(sequenceKey);
    if (!pending) {
      pending = { series, trace, columns: new Map(), fields: new Map() };
      this.pending.set(sequenceKey, pending);
    }
    const fields = pending.fields;
    const value = stored(point);
    if (info.dtype === 'list' && dtype.startsWith('list(')) {
      // A sequence that started with an empty list learns its element type (Aim's update_trace_dtype).
      info.dtype = dtype;
      meta(['meta', 'traces_types', dtype, contextId, name], 1n);
      meta([...run, 'typed_traces', sequenceType(dtype), contextId, name], 1n);
      fields.set('dtype', dtype);
    } else if (info.dtype !== dtype && info.dtype !== 'number' && !(dtype === 'list' && info.dtype.startsWith('list('))) {
      // An int sequence gets a float (or the reverse): Aim widens the dtype to `number`.
      info.dtype = 'number';
      meta(['meta', 'traces_types', 'number', contextId, name], 1n);
      meta([...run, 'typed_traces', 'metric', contextId, name], 1n);
      fields.set('dtype', 'number');
    }
    if (info.count === 0n) {
      meta(['meta', 'traces_types', dtype, contextId, name], 1n);
      meta([...run, 'typed_traces', sequenceType(dtype), contextId, name], 1n);
      fields.set('dtype', dtype);
      fields.set('version', BigInt(version));
      fields.set('first', value);
      fields.set('first_step', at);
    }
    if (at >= info.count) {
      fields.set('last', value);
      fields.set('last_step', at);
      info.count = at + 1n;
    }
    if (point.kind === 'float' || point.kind === 'int') {
      if (point.value > info.max) {
        fields.set('max', point.value);
        info.max = point.value;
      }
      if (point.value < info.min) {
        fields.set('min', point.value);
        info.min = point.value;
      }
    }
    if (point.kind === 'texts') {
      const longest = Math.max(info.recordMaxLength ?? 0, point.value.length);
      fields.set('record_max_length', BigInt(longest));
      info.recordMaxLength = longest;
    }
    // v2 (metrics) store a point under a key that readers never recompute (they read the step
    // column and sort by it): Aim uses hash(step); a caller may give its own unique key, so two
    // points at the same step both stay. v1 (texts) are keyed by the step itself.
    const index = version === 2 ? (pointKey ?? stepHash(at)) : at;
    const column = (columnName: string, columnValue: AimValue): void => {
      let entries = pending.columns.get(columnName);
      if (!entries) {
        entries = [];
        pending.columns.set(columnName, entries);
      }
      entries.push([index, columnValue]);
    };
    column('val', value);
    column('epoch', epoch ?? null);
    column('time', time);
    if (version === 2) column('step', at);
    this.pendingCount += 1;
  }

  /**
   * The writes of every point tracked since the last drain, coalesced: first the structural
   * writes (arrays, contexts, sequence types) in order, then per sequence one `update` of its
   * metadata and one `update` per column. Applying them gives the tree Aim's tracker would have
   * written point by point.
   */
  drain(): TreeWrite[] {
    const writes = this.structural;
    for (const pending of this.pending.values()) {
      if (pending.fields.size > 0) writes.push({ tree: 'meta', method: 'update', path: pending.trace, entries: [...pending.fields] });
      for (const [column, entries] of pending.columns) {
        writes.push({ tree: 'seqs', method: 'update', path: [...pending.series, column], entries });
      }
    }
    this.structural = [];
    this.pending = new Map();
    this.pendingCount = 0;
    return writes;
  }
}

function key(contextId: bigint, name: string): string {
  return `${contextId.toString()}\u0000${name}`;
}

/** Whether values of `dtype` may join a sequence of `existing` (Aim's check_types_compatibility). */
function compatible(existing: string, dtype: string): boolean {
  if (existing === dtype) return true;
  if (existing === 'list' || dtype === 'list') return existing.startsWith('list') && dtype.startsWith('list');
  const numeric = new Set(['int', 'float', 'number']);
  return numeric.has(existing) && numeric.has(dtype);
}
