import type { AimKey, AimPath, AimValue } from './codec/values.js';
import { aimText } from './codec/values.js';
import { AimUsageError } from './errors.js';
import { stepHash } from './hash.js';

/** Which of a run's two trees a write goes to: `meta` (run metadata) or `seqs` (sequence data). */
export type TreeName = 'meta' | 'seqs';

/** One write the tracker asks for: `tree.method(path, ...rest)`. */
export interface TreeWrite {
  tree: TreeName;
  method: '__setitem__' | 'make_array';
  path: AimPath;
  /** The value, for `__setitem__`. */
  value?: AimValue;
}

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

/**
 * Plans the writes of `run.track()` exactly as Aim's own tracker (`aim/sdk/tracker.py`, 3.29.1)
 * makes them, so the UI and the SDK read our runs like theirs: on first use of a sequence the
 * arrays are allocated and its metadata written, every point updates `last`/`last_step` (and
 * `max`/`min` for metrics) and writes its value, epoch, time (and step, for metrics).
 * Pure: it keeps the per-sequence state and returns writes; the run sends them.
 */
export class SequenceTracker {
  private readonly runHash: string;
  private readonly sequences = new Map<string, SequenceInfo>();
  private readonly contexts = new Set<bigint>();

  constructor(runHash: string) {
    this.runHash = runHash;
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
   * The writes that track one point. `context` is the context dict, `contextId` its Aim id
   * (`contextId(context)`), `step` defaults to the sequence's next step, `time` is unix seconds,
   * `pointKey` (metrics only) the storage key of the point, default Aim's `hash(step)`.
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
  ): TreeWrite[] {
    if (name === '') throw new AimUsageError('a sequence name must not be empty');
    const writes: TreeWrite[] = [];
    const meta = (path: AimPath, value: AimValue): void => {
      writes.push({ tree: 'meta', method: '__setitem__', path, value });
    };
    const run: AimKey[] = ['meta', 'chunks', this.runHash];
    const dtype = dtypeOf(point);
    const version = point.kind === 'float' || point.kind === 'int' ? 2 : 1;
    const series: AimKey[] =
      version === 2 ? ['seqs', 'v2', 'chunks', this.runHash, contextId, name] : ['seqs', 'chunks', this.runHash, contextId, name];

    let info = this.sequences.get(key(contextId, name));
    if (!info) {
      info = { dtype, version, count: 0n, max: -Infinity, min: Infinity };
      this.sequences.set(key(contextId, name), info);
      const columns = version === 2 ? ['step', 'val', 'epoch', 'time'] : ['val', 'epoch', 'time'];
      for (const column of columns) writes.push({ tree: 'seqs', method: 'make_array', path: [...series, column] });
    } else if (info.version !== version || !compatible(info.dtype, dtype)) {
      throw new AimUsageError(`cannot track a ${dtype} value on sequence '${name}', which holds ${info.dtype} values`);
    }
    const at = step ?? info.count;
    if (at < 0n) throw new AimUsageError(`steps must not be negative (got ${String(at)} on sequence '${name}')`);

    if (!this.contexts.has(contextId)) {
      this.contexts.add(contextId);
      meta(['meta', 'contexts', contextId], context);
      meta([...run, 'contexts', contextId], context);
    }
    const trace: AimKey[] = [...run, 'traces', contextId, name];
    const value = stored(point);
    if (info.dtype === 'list' && dtype.startsWith('list(')) {
      // A sequence that started with an empty list learns its element type (Aim's update_trace_dtype).
      info.dtype = dtype;
      meta(['meta', 'traces_types', dtype, contextId, name], 1n);
      meta([...run, 'typed_traces', sequenceType(dtype), contextId, name], 1n);
      meta([...trace, 'dtype'], dtype);
    } else if (info.dtype !== dtype && info.dtype !== 'number' && !(dtype === 'list' && info.dtype.startsWith('list('))) {
      // An int sequence gets a float (or the reverse): Aim widens the dtype to `number`.
      info.dtype = 'number';
      meta(['meta', 'traces_types', 'number', contextId, name], 1n);
      meta([...run, 'typed_traces', 'metric', contextId, name], 1n);
      meta([...trace, 'dtype'], 'number');
    }
    if (info.count === 0n) {
      meta(['meta', 'traces_types', dtype, contextId, name], 1n);
      meta([...trace, 'dtype'], dtype);
      meta([...trace, 'version'], BigInt(version));
      meta([...trace, 'first'], value);
      meta([...trace, 'first_step'], at);
      meta([...run, 'typed_traces', sequenceType(dtype), contextId, name], 1n);
    }
    if (at >= info.count) {
      meta([...trace, 'last'], value);
      meta([...trace, 'last_step'], at);
      info.count = at + 1n;
    }
    if (point.kind === 'float' || point.kind === 'int') {
      if (point.value > info.max) {
        meta([...trace, 'max'], point.value);
        info.max = point.value;
      }
      if (point.value < info.min) {
        meta([...trace, 'min'], point.value);
        info.min = point.value;
      }
    }
    if (point.kind === 'texts') {
      const longest = Math.max(info.recordMaxLength ?? 0, point.value.length);
      meta([...trace, 'record_max_length'], BigInt(longest));
      info.recordMaxLength = longest;
    }
    // v2 (metrics) store a point under a key that readers never recompute (they read the step
    // column and sort by it): Aim uses hash(step); a caller may give its own unique key, so two
    // points at the same step both stay. v1 (texts) are keyed by the step itself.
    const index = version === 2 ? (pointKey ?? stepHash(at)) : at;
    const column = (name: string, columnValue: AimValue): void => {
      writes.push({ tree: 'seqs', method: '__setitem__', path: [...series, name, index], value: columnValue });
    };
    column('val', value);
    column('epoch', epoch ?? null);
    column('time', time);
    if (version === 2) column('step', at);
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
