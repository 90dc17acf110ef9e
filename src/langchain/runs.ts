/**
 * The open LangChain runs: a bounded map from run id to what the handler needs until the run ends.
 * Bounded twice: at most `maxRuns` entries (the oldest is evicted first), and a run that is still
 * open `ttlMs` after it started (and has no open child) is expired by a sweep timer, which only
 * runs while the map is not empty and never keeps the process alive.
 */
import { trace } from '@opentelemetry/api';
import type { Attributes, Context, Span } from '@opentelemetry/api';
import type { Usage } from './usage.js';

/** What a run is, for the handler. */
export type RunKind = 'inference' | 'tool' | 'retrieval' | 'agent' | 'workflow' | 'chain' | 'skipped';

/** Per-run state of a chat-model / LLM run. */
export interface InferenceState {
  /** Attributes of the GenAI metrics (operation, provider, request model). */
  readonly metricAttributes: Attributes;
  /** Whether the provider came from `ls_provider` (else it was guessed). */
  readonly providerKnown: boolean;
  /** `performance.now()` of the first and latest streamed chunk. */
  firstChunkAt?: number;
  lastChunkAt?: number;
  /** Usage summed over streamed chunks that carried `usage_metadata`. */
  chunkUsage?: Usage;
}

/** Totals an agent span gets from the model calls made under it. */
export interface AgentTotals {
  usage: Usage;
  provider?: string;
  model?: string;
}

/** One open run. */
export interface RunRecord {
  readonly runId: string;
  /** The run's span; undefined for skipped runs (hidden, suppressed), whose children attach to its parent. */
  readonly span: Span | undefined;
  /** The context the run started in (its parent's span, or the caller's context for a root). */
  readonly parentCtx: Context;
  /** The context its children start in: see {@link childContext} (made when first needed). */
  ctx?: Context;
  readonly parent: RunRecord | undefined;
  readonly kind: RunKind;
  /** `performance.now()` at the start. */
  readonly startedAt: number;
  /** `performance.now()` after which the sweep may end the run. */
  expiresAt: number;
  /** Open runs whose parent is this one (a run with open children is not expired). */
  openChildren: number;
  /** `lc_agent_name` in force at this run. */
  readonly agentName: string | undefined;
  /** The nearest enclosing agent run (this run, for agents). */
  agent: RunRecord | undefined;
  inference?: InferenceState;
  totals?: AgentTotals;
  /** Model runs: ends the run when the context bridge sees its stream abandoned. */
  onCancel?: (runId: string, reason: unknown) => void;
}

/**
 * The context children of `record` start in: its span in the context it started in (a skipped run
 * passes its own context on). Made on first use, since most runs (models, tools, leaf steps) have
 * no children and the context is a copy per run.
 */
export function childContext(record: RunRecord): Context {
  return (record.ctx ??= record.span === undefined ? record.parentCtx : trace.setSpan(record.parentCtx, record.span));
}

/** Why a run was ended by the registry. */
export type ExpiryReason = 'timeout' | 'evicted';

/** Bounded, self-cleaning map of open runs. */
export class RunRegistry {
  private readonly _runs = new Map<string, RunRecord>();
  private readonly _maxRuns: number;
  private readonly _ttlMs: number;
  private readonly _onExpire: (record: RunRecord, reason: ExpiryReason) => void;
  private _timer: NodeJS.Timeout | undefined;
  private _expired = 0;
  private _evicted = 0;

  constructor(maxRuns: number, ttlMs: number, onExpire: (record: RunRecord, reason: ExpiryReason) => void) {
    this._maxRuns = maxRuns;
    this._ttlMs = ttlMs;
    this._onExpire = onExpire;
  }

  /** Open runs. */
  get size(): number {
    return this._runs.size;
  }

  /** Runs ended by the timeout so far. */
  get expired(): number {
    return this._expired;
  }

  /** Runs ended because the map was full, so far. */
  get evicted(): number {
    return this._evicted;
  }

  /** Whether the sweep timer is running (only while runs are open, and until the next sweep after). */
  get sweeping(): boolean {
    return this._timer !== undefined;
  }

  /** The time-to-live the registry applies. */
  get ttlMs(): number {
    return this._ttlMs;
  }

  get(runId: string): RunRecord | undefined {
    return this._runs.get(runId);
  }

  /** Adds a run; evicts the oldest runs first when the map is full. */
  add(record: RunRecord): void {
    const previous = this._runs.get(record.runId);
    if (previous !== undefined) this._end(previous, 'evicted');
    while (this._runs.size >= this._maxRuns) {
      const oldest = this._runs.values().next();
      if (oldest.done === true) break;
      this._end(oldest.value, 'evicted');
    }
    this._runs.set(record.runId, record);
    if (record.parent !== undefined) record.parent.openChildren += 1;
    if (this._timer === undefined) this._startTimer();
  }

  /** Removes and returns a run (when it ends). */
  take(runId: string): RunRecord | undefined {
    const record = this._runs.get(runId);
    if (record === undefined) return undefined;
    this._remove(record);
    return record;
  }

  /** Ends every run past its time (children first); returns how many. */
  sweep(now: number = performance.now()): number {
    let total = 0;
    for (;;) {
      const due: RunRecord[] = [];
      for (const record of this._runs.values()) if (record.expiresAt <= now && record.openChildren === 0) due.push(record);
      if (due.length === 0) return total;
      for (const record of due) this._end(record, 'timeout');
      total += due.length;
    }
  }

  private _end(record: RunRecord, reason: ExpiryReason): void {
    this._remove(record);
    if (reason === 'timeout') this._expired += 1;
    else this._evicted += 1;
    this._onExpire(record, reason);
  }

  private _remove(record: RunRecord): void {
    if (!this._runs.delete(record.runId)) return;
    if (record.parent !== undefined) record.parent.openChildren -= 1;
  }

  private _startTimer(): void {
    const interval = Math.min(60_000, Math.max(10, Math.floor(this._ttlMs / 2)));
    // The timer stops itself once the map is empty (not on every removal: a busy app would
    // otherwise create and clear a timer per request).
    this._timer = setInterval(() => {
      this.sweep();
      if (this._runs.size === 0) this._stopTimer();
    }, interval);
    this._timer.unref();
  }

  private _stopTimer(): void {
    if (this._timer !== undefined) clearInterval(this._timer);
    this._timer = undefined;
  }
}
