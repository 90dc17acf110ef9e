/**
 * Where the sink placed the GenAI spans it mapped ({@link SpanPlacement}): what makes a replay
 * land on the points it wrote before, keeps two spans of one run off one text step, finds the two
 * stacked spans of one model call ({@link PlacementMemo}), and joins GenAI log events to their
 * spans (`LogJoin`).
 *
 * The last `maxEntries` placements are kept (LRU by count), with an index by run and step and one
 * by parent span for model calls. With a state directory they are also appended to a
 * {@link PlacementJournal} and read back at start, so a restarted bridge still knows them.
 */
import type { SpanPlacement } from '../mapping/aim-plan.js';
import { type PlacementMemo, spanKey } from '../mapping/span-places.js';
import { componentLogger } from '../logging/component-logger.js';
import { PlacementJournal } from './placement-journal.js';

const log = componentLogger('sink');

/** See the module documentation. */
export class SpanPlacements implements PlacementMemo {
  private readonly byId = new Map<string, SpanPlacement>();
  /** `hash/step` → span id. */
  private readonly bySteps = new Map<string, string>();
  /** `traceId/parentSpanId` → the id (`traceId/spanId`) of a model call placed under that span. */
  private readonly callsUnder = new Map<string, string>();
  private journal: PlacementJournal | undefined;

  /**
   * @param maxEntries - placements kept at most (default 50,000).
   * @param stateDir - a directory to keep them in across restarts; default none (memory only).
   * @throws the file system's error when `stateDir` cannot be created, read or written
   */
  constructor(
    private readonly maxEntries = 50_000,
    stateDir?: string,
  ) {
    if (stateDir !== undefined) {
      const { journal, placements } = PlacementJournal.open(stateDir, maxEntries);
      this.journal = journal;
      this.remember(placements);
    }
  }

  /** Records where spans went (in the journal first, when there is one). */
  record(placements: readonly SpanPlacement[]): void {
    if (this.journal && placements.length > 0) {
      try {
        this.journal.append(placements);
      } catch (error) {
        log.error(`the placement journal cannot be written (${String(error)}); placements are kept in memory only from now on`);
        this.disposeJournal();
      }
    }
    this.remember(placements);
  }

  /** Where the span `id` (`traceId/spanId`) went, if known. */
  get(id: string): SpanPlacement | undefined {
    return this.byId.get(id);
  }

  placement(traceId: string, spanId: string): SpanPlacement | undefined {
    return this.byId.get(spanKey(traceId, spanId));
  }

  stepHolder(hash: string, step: bigint): string | undefined {
    return this.bySteps.get(`${hash}/${String(step)}`);
  }

  modelCallUnder(traceId: string, parentSpanId: string): SpanPlacement | undefined {
    const child = this.callsUnder.get(spanKey(traceId, parentSpanId));
    return child === undefined ? undefined : this.byId.get(child);
  }

  /** The ids (`traceId/spanId`) of the spans remembered, placed longest ago first. */
  ids(): IterableIterator<string> {
    return this.byId.keys();
  }

  /** Placements remembered now. */
  get size(): number {
    return this.byId.size;
  }

  /** Closes the journal (at shutdown, after the last placement). Idempotent. */
  disposeJournal(): void {
    const journal = this.journal;
    this.journal = undefined;
    try {
      journal?.close();
    } catch {
      // closing a file that failed to be written: nothing more to do
    }
  }

  private remember(placements: readonly SpanPlacement[]): void {
    for (const placement of placements) {
      const id = spanKey(placement.traceId, placement.spanId);
      const previous = this.byId.get(id);
      if (previous) this.unindex(id, previous);
      this.byId.delete(id);
      this.byId.set(id, placement);
      // A call that took its outer span's place holds no step of its own.
      if (placement.callKey === undefined) this.bySteps.set(`${placement.hash}/${String(placement.step)}`, placement.spanId);
      if (placement.modelCall === true && placement.parentSpanId !== undefined) this.callsUnder.set(spanKey(placement.traceId, placement.parentSpanId), id);
    }
    while (this.byId.size > this.maxEntries) {
      const oldest = this.byId.entries().next();
      if (oldest.done === true) break;
      const [id, placement] = oldest.value;
      this.byId.delete(id);
      this.unindex(id, placement);
    }
  }

  private unindex(id: string, placement: SpanPlacement): void {
    const stepKey = `${placement.hash}/${String(placement.step)}`;
    if (this.bySteps.get(stepKey) === placement.spanId) this.bySteps.delete(stepKey);
    if (placement.parentSpanId !== undefined) {
      const parentKey = spanKey(placement.traceId, placement.parentSpanId);
      if (this.callsUnder.get(parentKey) === id) this.callsUnder.delete(parentKey);
    }
  }
}
