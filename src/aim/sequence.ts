import type { AimKey, AimPath, AimValue } from './codec/values.js';
import { AimBlob, AimObject, aimText } from './codec/values.js';
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

/**
 * A value tracked on a sequence: an Aim float (`number`), int (`bigint`), text, list of texts (one
 * record), or another custom object (e.g. an `aim.figure`), whose dtype is its alias.
 */
export type TrackedValue =
  | { kind: 'float'; value: number }
  | { kind: 'int'; value: bigint }
  | { kind: 'text'; value: string }
  | { kind: 'texts'; value: readonly string[] }
  | { kind: 'object'; value: AimObject };

/** What a run knows of one sequence (a name in a context) after writing or loading it. */
export interface SequenceInfo {
  /** Aim's dtype: `float`, `int`, `number` (ints and floats mixed), `aim.text`, `list(aim.text)`, `aim.figure`, ... */
  dtype: string;
  /** 2 for metrics (hash-keyed steps), 1 for objects such as texts and figures (raw step keys). */
  version: 1 | 2;
  /** The next automatic step: last step + 1 (0 for a new sequence). */
  count: bigint;
  /** Largest and smallest metric value so far (metrics; start at -inf/+inf as in Aim, so NaN never counts). */
  max: number | bigint;
  min: number | bigint;
  /** Lists only: the longest list tracked so far (Aim's `record_max_length`). */
  recordMaxLength?: number;
}

/** Aim's `SEQUENCE_TYPE_MAP` (`aim/sdk/sequences/sequence_type_map.py`): the sequence type of a dtype. */
const SEQUENCE_TYPES: ReadonlyMap<string, string> = new Map([
  ['int', 'metric'],
  ['float', 'metric'],
  ['float64', 'metric'],
  ['number', 'metric'],
  ['aim.image', 'images'],
  ['list(aim.image)', 'images'],
  ['aim.audio', 'audios'],
  ['list(aim.audio)', 'audios'],
  ['aim.text', 'texts'],
  ['list(aim.text)', 'texts'],
  ['aim.distribution', 'distributions'],
  ['aim.figure', 'figures'],
]);

/** The Aim sequence type (`typed_traces` key) of a dtype: `sequence` for a dtype Aim does not map. */
function sequenceType(dtype: string): string {
  return SEQUENCE_TYPES.get(dtype) ?? 'sequence';
}

/** Aim's typename of a value (`get_object_typename`): an empty list is a plain `list`. */
function dtypeOf(value: TrackedValue): string {
  switch (value.kind) {
    case 'text':
      return 'aim.text';
    case 'texts':
      return value.value.length === 0 ? 'list' : 'list(aim.text)';
    case 'object':
      return value.value.alias;
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
  /** Entries of the `val`, `epoch` and `time` columns, and `step` for metrics, in tracking order. */
  val: [AimKey, AimValue][];
  epoch: [AimKey, AimValue][];
  time: [AimKey, AimValue][];
  step: [AimKey, AimValue][] | undefined;
  /** Metadata fields changed (`last`, `max`, ...): only their final values are written. */
  fields: Map<string, AimValue>;
}

/** One sequence the tracker knows: its state, its paths (built once) and what it got since the last drain. */
interface Sequence {
  info: SequenceInfo;
  /** The sequence's data prefix in the `seqs` tree, per column (`<prefix>/val`, ...), for v1 or v2. */
  columns: { val: AimPath; epoch: AimPath; time: AimPath; step: AimPath } | undefined;
  columnsVersion: 1 | 2;
  /** The sequence's metadata in the `meta` tree (`meta/chunks/<run>/traces/<ctx>/<name>`). */
  trace: AimPath;
  /** Set while the sequence has points not drained yet (then it is in the tracker's pending list). */
  pending: PendingSequence | undefined;
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
 *
 * Per point it allocates only the column entries: a sequence's paths are built once, and
 * sequences are found by context id, then name (no key strings).
 */
export class SequenceTracker {
  private readonly runHash: string;
  /** Sequences by context id, then name. */
  private readonly sequences = new Map<bigint, Map<string, Sequence>>();
  private readonly contexts = new Set<bigint>();
  /** Writes that must precede the pending points' (arrays, contexts, dtypes), in order. */
  private structural: TreeWrite[] = [];
  /** Sequences with points since the last drain, in the order of their first point. */
  private pending: Sequence[] = [];
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
    const sequence = this.sequence(contextId, name);
    if (sequence) sequence.info = { ...info };
    else this.add(contextId, name, { ...info });
    this.contexts.add(contextId);
  }

  /** The state of a sequence, if tracked or loaded. */
  info(contextId: bigint, name: string): Readonly<SequenceInfo> | undefined {
    return this.sequence(contextId, name)?.info;
  }

  private sequence(contextId: bigint, name: string): Sequence | undefined {
    return this.sequences.get(contextId)?.get(name);
  }

  private add(contextId: bigint, name: string, info: SequenceInfo): Sequence {
    let byName = this.sequences.get(contextId);
    if (!byName) {
      byName = new Map();
      this.sequences.set(contextId, byName);
    }
    const sequence: Sequence = {
      info,
      columns: undefined,
      columnsVersion: info.version,
      trace: ['meta', 'chunks', this.runHash, 'traces', contextId, name],
      pending: undefined,
    };
    byName.set(name, sequence);
    return sequence;
  }

  /** The paths of the sequence's columns (built on first use). */
  private columnPaths(sequence: Sequence, contextId: bigint, name: string, version: 1 | 2): NonNullable<Sequence['columns']> {
    if (sequence.columns && sequence.columnsVersion === version) return sequence.columns;
    const series: AimKey[] = version === 2 ? ['seqs', 'v2', 'chunks', this.runHash, contextId, name] : ['seqs', 'chunks', this.runHash, contextId, name];
    sequence.columns = { val: [...series, 'val'], epoch: [...series, 'epoch'], time: [...series, 'time'], step: [...series, 'step'] };
    sequence.columnsVersion = version;
    return sequence.columns;
  }

  private meta(path: AimPath, value: AimValue): void {
    this.structural.push({ tree: 'meta', method: '__setitem__', path, value });
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
    let sequence = this.sequence(contextId, name);
    const known = sequence?.info;
    if (known && (known.version !== version || !compatible(known.dtype, dtype))) {
      throw new AimUsageError(`cannot track a ${dtype} value on sequence '${name}', which holds ${known.dtype} values`);
    }
    const at = step ?? known?.count ?? 0n;
    if (at < 0n) throw new AimUsageError(`steps must not be negative (got ${String(at)} on sequence '${name}')`);

    const runHash = this.runHash;
    sequence ??= this.add(contextId, name, { dtype, version, count: 0n, max: -Infinity, min: Infinity });
    const info = sequence.info;
    const columns = this.columnPaths(sequence, contextId, name, version);
    if (!known) {
      if (version === 2) this.structural.push({ tree: 'seqs', method: 'make_array', path: [...columns.step] });
      this.structural.push({ tree: 'seqs', method: 'make_array', path: [...columns.val] });
      this.structural.push({ tree: 'seqs', method: 'make_array', path: [...columns.epoch] });
      this.structural.push({ tree: 'seqs', method: 'make_array', path: [...columns.time] });
    }
    if (!this.contexts.has(contextId)) {
      this.contexts.add(contextId);
      this.meta(['meta', 'contexts', contextId], context);
      this.meta(['meta', 'chunks', runHash, 'contexts', contextId], context);
    }

    let pending = sequence.pending;
    if (!pending) {
      pending = { val: [], epoch: [], time: [], step: undefined, fields: new Map() };
      sequence.pending = pending;
      this.pending.push(sequence);
    }
    const fields = pending.fields;
    const value = stored(point);
    if (info.dtype === 'list' && dtype.startsWith('list(')) {
      // A sequence that started with an empty list learns its element type (Aim's update_trace_dtype).
      info.dtype = dtype;
      this.meta(['meta', 'traces_types', dtype, contextId, name], 1n);
      this.meta(['meta', 'chunks', runHash, 'typed_traces', sequenceType(dtype), contextId, name], 1n);
      fields.set('dtype', dtype);
    } else if (info.dtype !== dtype && info.dtype !== 'number' && !(dtype === 'list' && info.dtype.startsWith('list('))) {
      // An int sequence gets a float (or the reverse): Aim widens the dtype to `number`.
      info.dtype = 'number';
      this.meta(['meta', 'traces_types', 'number', contextId, name], 1n);
      this.meta(['meta', 'chunks', runHash, 'typed_traces', 'metric', contextId, name], 1n);
      fields.set('dtype', 'number');
    }
    if (info.count === 0n) {
      this.meta(['meta', 'traces_types', dtype, contextId, name], 1n);
      this.meta(['meta', 'chunks', runHash, 'typed_traces', sequenceType(dtype), contextId, name], 1n);
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
    pending.val.push([index, value]);
    pending.epoch.push([index, epoch ?? null]);
    pending.time.push([index, time]);
    if (version === 2) (pending.step ??= []).push([index, at]);
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
    for (const sequence of this.pending) {
      const pending = sequence.pending;
      const columns = sequence.columns;
      sequence.pending = undefined;
      if (!pending || !columns) continue;
      if (pending.fields.size > 0) writes.push({ tree: 'meta', method: 'update', path: sequence.trace, entries: [...pending.fields] });
      pushUpdates(writes, columns.val, pending.val);
      pushUpdates(writes, columns.epoch, pending.epoch);
      pushUpdates(writes, columns.time, pending.time);
      if (pending.step) pushUpdates(writes, columns.step, pending.step);
    }
    this.structural = [];
    this.pending = [];
    this.pendingCount = 0;
    return writes;
  }
}

/**
 * Entries of one `update` instruction, at most, and the text it carries, at most (UTF-16 units):
 * `aim server` parses a message in time quadratic in its size, so an update stays about the size
 * of a frame (16 KiB; an entry of a number column packs to about 200 bytes).
 */
const MAX_UPDATE_ENTRIES = 64;
const MAX_UPDATE_TEXT = 8 * 1024;

/** Appends the `update` instructions that write `entries` under `path`, split to frame size. */
function pushUpdates(writes: TreeWrite[], path: AimPath, entries: [AimKey, AimValue][]): void {
  let start = 0;
  let text = 0;
  for (let i = 0; i < entries.length; i++) {
    const weight = textLength((entries[i] as [AimKey, AimValue])[1]);
    if (i > start && (i - start >= MAX_UPDATE_ENTRIES || text + weight > MAX_UPDATE_TEXT)) {
      writes.push({ tree: 'seqs', method: 'update', path, entries: entries.slice(start, i) });
      start = i;
      text = 0;
    }
    text += weight;
  }
  if (start < entries.length) writes.push({ tree: 'seqs', method: 'update', path, entries: start === 0 ? entries : entries.slice(start) });
}

/** The text a column value carries (texts and lists of texts), in UTF-16 units; 0 for numbers. */
function textLength(value: AimValue): number {
  if (value instanceof AimObject) {
    const data = value.storage.get('data');
    const inner = data instanceof AimBlob ? data.value : data;
    return typeof inner === 'string' ? inner.length : 0;
  }
  if (Array.isArray(value)) return (value as readonly AimValue[]).reduce<number>((sum, item) => sum + textLength(item), 0);
  return 0;
}

const NUMERIC: ReadonlySet<string> = new Set(['int', 'float', 'number']);

/** Whether values of `dtype` may join a sequence of `existing` (Aim's check_types_compatibility). */
function compatible(existing: string, dtype: string): boolean {
  if (existing === dtype) return true;
  if (existing === 'list' || dtype === 'list') return existing.startsWith('list') && dtype.startsWith('list');
  return NUMERIC.has(existing) && NUMERIC.has(dtype);
}
