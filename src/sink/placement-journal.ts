/**
 * Span placements on disk, so that a bridge restarted (even after SIGKILL) still knows where the
 * spans it wrote before went, and GenAI log events retried after the restart join them.
 *
 * Two segment files of JSON lines in the state directory, `placements.0.jsonl` (current) and
 * `placements.1.jsonl` (previous). A placement is appended to the current segment before the
 * span's request is answered (a plain write: the kernel keeps it when the process is killed; a
 * machine crash may lose the last lines, which then only send later events to their fallback
 * place). When the current segment holds half of `maxEntries`, it becomes the previous one (the
 * older previous is deleted): at most `maxEntries` placements are kept, the newest. A line that
 * does not parse (cut by a crash) is skipped.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { PlanContext, SpanPlacement } from '../mapping/aim-plan.js';

const CURRENT = 'placements.0.jsonl';
const PREVIOUS = 'placements.1.jsonl';

/** One placement as a journal line. */
interface Line {
  t: string;
  s: string;
  k: string;
  h: string;
  e?: string;
  c: PlanContext;
  /** The step, as decimal text (a bigint). */
  st: string;
  tm: number;
  /** Model calls only: parent span id, `1` for a model call, `1` for a framework's, the span whose place its call took, `1` for an outer span that fills in, the names of the call points written. */
  p?: string;
  m?: 1;
  fw?: 1;
  ck?: string;
  f?: 1;
  w?: string[];
}

/** See the module documentation. */
export class PlacementJournal {
  private fd: number;
  private lines: number;

  private constructor(
    private readonly dir: string,
    private readonly segmentEntries: number,
    lines: number,
    endsCut: boolean,
  ) {
    this.lines = lines;
    this.fd = openSync(join(dir, CURRENT), 'a');
    // A line cut by a crash is ended, so the next placement starts a line of its own.
    if (endsCut) writeSync(this.fd, '\n');
  }

  /**
   * Opens (creating) the journal in `dir` and returns it with the placements it holds, oldest first.
   * @param maxEntries - placements kept at most (the newest).
   * @throws the file system's error when `dir` cannot be created or written
   */
  static open(dir: string, maxEntries: number): { journal: PlacementJournal; placements: SpanPlacement[] } {
    mkdirSync(dir, { recursive: true });
    const previous = readSegment(join(dir, PREVIOUS));
    const current = readSegment(join(dir, CURRENT));
    const journal = new PlacementJournal(dir, Math.max(1, Math.ceil(maxEntries / 2)), current.placements.length, current.endsCut);
    return { journal, placements: [...previous.placements, ...current.placements] };
  }

  /** Appends placements (one write). */
  append(placements: readonly SpanPlacement[]): void {
    if (placements.length === 0) return;
    let text = '';
    for (const placement of placements) text += `${JSON.stringify(toLine(placement))}\n`;
    writeSync(this.fd, text);
    this.lines += placements.length;
    if (this.lines >= this.segmentEntries) this.rotate();
  }

  /** Closes the file. */
  close(): void {
    closeSync(this.fd);
  }

  private rotate(): void {
    closeSync(this.fd);
    renameSync(join(this.dir, CURRENT), join(this.dir, PREVIOUS));
    this.fd = openSync(join(this.dir, CURRENT), 'a');
    this.lines = 0;
  }
}

function toLine(placement: SpanPlacement): Line {
  return {
    t: placement.traceId,
    s: placement.spanId,
    k: placement.key,
    h: placement.hash,
    ...(placement.experiment !== undefined ? { e: placement.experiment } : {}),
    c: placement.context,
    st: placement.step.toString(),
    tm: placement.time,
    ...(placement.parentSpanId !== undefined ? { p: placement.parentSpanId } : {}),
    ...(placement.modelCall === true ? { m: 1 as const } : {}),
    ...(placement.framework === true ? { fw: 1 as const } : {}),
    ...(placement.callKey !== undefined ? { ck: placement.callKey } : {}),
    ...(placement.fills === true ? { f: 1 as const } : {}),
    ...(placement.wrote !== undefined ? { w: [...placement.wrote] } : {}),
  };
}

/** The placements of a segment, and whether its last line was cut (no final newline). */
function readSegment(path: string): { placements: SpanPlacement[]; endsCut: boolean } {
  if (!existsSync(path)) return { placements: [], endsCut: false };
  const text = readFileSync(path, 'utf8');
  const placements: SpanPlacement[] = [];
  for (const line of text.split('\n')) {
    const placement = parseLine(line);
    if (placement) placements.push(placement);
  }
  return { placements, endsCut: text !== '' && !text.endsWith('\n') };
}

function parseLine(text: string): SpanPlacement | undefined {
  if (text === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object') return undefined;
  const { t, s, k, h, e, c, st, tm, p, m, fw, ck, f, w } = parsed as Record<string, unknown>;
  if (typeof t !== 'string' || typeof s !== 'string' || typeof k !== 'string' || typeof h !== 'string' || typeof st !== 'string' || typeof tm !== 'number')
    return undefined;
  if (c === null || typeof c !== 'object' || Array.isArray(c) || !/^\d+$/.test(st)) return undefined;
  return {
    traceId: t,
    spanId: s,
    key: k,
    hash: h,
    ...(typeof e === 'string' ? { experiment: e } : {}),
    context: c as PlanContext,
    step: BigInt(st),
    time: tm,
    ...(typeof p === 'string' ? { parentSpanId: p } : {}),
    ...(m === 1 ? { modelCall: true } : {}),
    ...(fw === 1 ? { framework: true } : {}),
    ...(typeof ck === 'string' ? { callKey: ck } : {}),
    ...(f === 1 ? { fills: true } : {}),
    ...(Array.isArray(w) && w.every((name) => typeof name === 'string') ? { wrote: w } : {}),
  };
}
