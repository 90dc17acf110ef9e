/**
 * The join of GenAI content events (OTLP log records) to their spans, in one bridge process.
 *
 * - Every GenAI span the sink maps leaves a **placement** (its run, context and step) here, kept
 *   for the last `maxRememberedSpans` spans.
 * - Events whose span is placed are written at once, in the span's run and context.
 * - Events whose span is not placed yet are **held** — the request that carried them stays
 *   unanswered — until the span is placed or `windowMs` passes; then they are written (joined, or
 *   in the fallback place) and only then answered. Nothing is answered 200 before it is in Aim, so
 *   a bridge that stops loses nothing: the sender retries what was not answered. At most
 *   `maxHeldEvents` events wait at once (beyond, the sender is told to retry later: 429).
 * - The events of one span may come in several requests (one record per message): the events
 *   already written for a placed span are kept (within `maxRetainedBytes`) so a later one rewrites
 *   the span's text with all of them, not only itself.
 *
 * - **Tenants** stay apart: a tenant's placements, and the events waiting for them, are keyed by
 *   the trace id in the tenant's namespace (see `tenantTraceKey`), so a tenant's log event never
 *   joins another tenant's span, whatever trace and span ids it carries.
 *
 * - With `stateDir`, placements are also kept on disk ({@link PlacementJournal}), so a restarted
 *   bridge still joins events to the spans it wrote before it stopped.
 *
 * Bounded: placements (LRU by count), retained content (by bytes, oldest first) and held events.
 */
import type { SpanPlacement } from '../mapping/aim-plan.js';
import type { ContentEvent } from '../mapping/genai-events.js';
import { spanKey } from '../mapping/span-places.js';
import { placementTraceKey } from '../mapping/tenant-keys.js';
import { SpanPlacements } from './span-placements.js';

/** Limits of the {@link LogJoin}. */
export interface LogJoinOptions {
  /** How long events wait for their span, in ms. Default 8 000 (below the 10 s export timeout of the OTel SDKs). */
  windowMs?: number;
  /** Events waiting at once, at most. Default 10 000. */
  maxHeldEvents?: number;
  /** Placements remembered (the most recent spans). Default 50 000. */
  maxRememberedSpans?: number;
  /** Bytes of content kept to rewrite a span's text when more of its events arrive. Default 32 MiB. */
  maxRetainedBytes?: number;
  /** A directory to keep placements in across restarts (see {@link PlacementJournal}). Default none: memory only. */
  stateDir?: string;
}

/** The content events of a placed span written so far. */
interface Retained {
  events: ContentEvent[];
  bytes: number;
}

interface Waiter {
  count: number;
  wake: (placement: SpanPlacement | undefined) => void;
}

/** See the module documentation. */
export class LogJoin {
  readonly windowMs: number;
  /** Where the spans went (also what the mapping remembers between batches). */
  readonly placements: SpanPlacements;
  private readonly maxHeldEvents: number;
  private readonly maxRetainedBytes: number;
  /** By span id (`traceId/spanId`), oldest first. */
  private readonly retained = new Map<string, Retained>();
  private readonly waiting = new Map<string, Waiter[]>();
  private heldEvents = 0;
  private retainedBytes = 0;
  private closed = false;

  /** @throws the file system's error when `stateDir` cannot be created, read or written */
  constructor(options: LogJoinOptions = {}) {
    this.windowMs = options.windowMs ?? 8_000;
    this.maxHeldEvents = options.maxHeldEvents ?? 10_000;
    this.maxRetainedBytes = options.maxRetainedBytes ?? 32 * 1024 * 1024;
    this.placements = new SpanPlacements(options.maxRememberedSpans ?? 50_000, options.stateDir);
  }

  /** Events waiting for their span now. */
  get held(): number {
    return this.heldEvents;
  }

  /** Whether `count` more events may wait now. */
  canHold(count: number): boolean {
    return !this.closed && this.heldEvents + count <= this.maxHeldEvents;
  }

  /**
   * Records where spans went (also in the journal) and wakes the events waiting for them. A
   * tenant's placements are kept under their trace key (`placementTraceKey`: the trace id in the
   * tenant's namespace), which is what its log events wait for and its later spans look up: a
   * tenant never finds, nor replaces, another tenant's placement of the same trace and span ids.
   */
  place(placements: readonly SpanPlacement[]): void {
    const kept = placements.map((placement) => {
      const trace = placementTraceKey(placement);
      return trace === placement.traceId ? placement : { ...placement, traceId: trace };
    });
    this.placements.record(kept);
    for (const placement of kept) {
      const id = spanKey(placement.traceId, placement.spanId);
      const waiters = this.waiting.get(id);
      if (waiters) {
        this.waiting.delete(id);
        for (const waiter of waiters) this.release(waiter, placement);
      }
    }
  }

  /** Where the span `id` (`traceId/spanId`) went, if known. */
  placement(id: string): SpanPlacement | undefined {
    return this.placements.get(id);
  }

  /**
   * Waits until span `id` is placed (resolves its placement) or the window passes, or the join
   * closes (resolves `undefined`). `count` events are held meanwhile (see {@link canHold}).
   */
  wait(id: string, count: number): Promise<SpanPlacement | undefined> {
    const known = this.placement(id);
    if (known || this.closed) return Promise.resolve(known);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        count,
        wake: (placement) => {
          clearTimeout(timer);
          resolve(placement);
        },
      };
      const timer = setTimeout(() => {
        const waiters = this.waiting.get(id);
        const index = waiters?.indexOf(waiter) ?? -1;
        if (waiters && index >= 0) {
          waiters.splice(index, 1);
          if (waiters.length === 0) this.waiting.delete(id);
        }
        this.release(waiter, undefined);
      }, this.windowMs);
      timer.unref();
      this.heldEvents += count;
      const waiters = this.waiting.get(id);
      if (waiters) waiters.push(waiter);
      else this.waiting.set(id, [waiter]);
    });
  }

  /**
   * Adds events of placed span `id` to those written before and returns them all (what its texts
   * must now show). Kept within the byte budget, oldest spans' content dropped first (a later
   * event for such a span then rewrites its text with only what arrives with it).
   */
  merge(id: string, events: readonly ContentEvent[]): ContentEvent[] {
    if (!this.placements.get(id)) return [...events];
    const entry = this.retained.get(id) ?? { events: [], bytes: 0 };
    const all = [...entry.events, ...events.filter((event) => !entry.events.some((seen) => sameEvent(seen, event)))];
    const bytes = all.reduce((sum, event) => sum + eventBytes(event), 0);
    this.retainedBytes += bytes - entry.bytes;
    this.retained.set(id, { events: all, bytes });
    // Over budget: the spans placed longest ago lose their content first (then forgotten spans').
    if (this.retainedBytes > this.maxRetainedBytes) {
      for (const other of chain(this.placements.ids(), this.retained.keys())) {
        if (this.retainedBytes <= this.maxRetainedBytes) break;
        const candidate = other === id ? undefined : this.retained.get(other);
        if (!candidate) continue;
        this.retainedBytes -= candidate.bytes;
        this.retained.delete(other);
      }
    }
    return all;
  }

  /** Wakes every waiting event (they go to their fallback place) and takes no more; placements are still recorded. */
  close(): void {
    this.closed = true;
    for (const waiters of this.waiting.values()) for (const waiter of waiters) this.release(waiter, undefined);
    this.waiting.clear();
  }

  /** Closes the journal (at shutdown, after the last placement). Idempotent. */
  disposeJournal(): void {
    this.placements.disposeJournal();
  }

  private release(waiter: Waiter, placement: SpanPlacement | undefined): void {
    this.heldEvents -= waiter.count;
    waiter.wake(placement);
  }
}

function* chain<T>(first: Iterable<T>, second: Iterable<T>): Generator<T> {
  yield* first;
  yield* second;
}

/** A replayed event (same time, same content) is the same event. */
function sameEvent(a: ContentEvent, b: ContentEvent): boolean {
  return (
    a.timeUnixNano === b.timeUnixNano &&
    a.instructions === b.instructions &&
    a.input.join('\n') === b.input.join('\n') &&
    a.output.join('\n') === b.output.join('\n')
  );
}

function eventBytes(event: ContentEvent): number {
  let chars = event.instructions?.length ?? 0;
  for (const text of event.input) chars += text.length;
  for (const text of event.output) chars += text.length;
  return chars * 2 + 64;
}
