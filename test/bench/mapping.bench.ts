/**
 * `npm run bench -- mapping [spans] [rounds]`: GenAI spans/s through the bridge's own work on the
 * Aim write path, on one core and without an Aim server: the mapping (`planWrites`: spans to run
 * plans) and the encoding of those plans into the bytes of Aim write instructions — the plan
 * applier the sink runs (`applyPlan`), each run's points turned into tree writes (`RunPoints`) and
 * packed as the write channel packs them (`encodeInstruction`, `buildFrame` into 16 KiB frames).
 *
 * The workload is the pipeline benchmark's (three texts and five metric points per span, 50
 * conversations), in batches of 512 spans as the Collector sends them. Two contenders in
 * alternating rounds: `coalesced` (the product: a batch's points become one update per column and
 * one metadata update per sequence) and `perPoint` (each point drained on its own, the writes of
 * Aim's own tracker, as the bridge wrote before coalescing) — for instructions, bytes and frames per
 * span before and after, and what coalescing costs or saves the bridge's CPU — and `floor`, only the
 * work no implementation can skip (JSON-parse the messages, hash the span id, produce the same
 * frame bytes by copying ready-made ones; see {@link floorRound}). Every round checks that all
 * points were encoded. `ONLY=coalesced` (or a comma-separated list) runs only those contenders.
 * Defaults: 50,000 spans, 5 rounds.
 */
import type { AimValue } from '../../src/aim/codec/values.js';
import { RunPoints, type TrackOptions } from '../../src/aim/run-points.js';
import type { ParamKey, RunSettings } from '../../src/aim/run.js';
import { type EncodedInstruction, buildFrame, encodeInstruction } from '../../src/aim/write-channel.js';
import { hashAuto } from '../../src/aim/hash.js';
import { planWrites } from '../../src/mapping/to-aim.js';
import type { SpanRecord } from '../../src/model/span-record.js';
import type { AimWriter, RunWriter } from '../../src/sink/aim-writer.js';
import { OpenRunCache } from '../../src/sink/open-runs.js';
import { applyPlan } from '../../src/sink/plan-applier.js';
import { BoundedTraceKeyMemo } from '../../src/sink/trace-key-memo.js';
import { METRIC_POINTS_PER_SPAN, TEXTS_PER_SPAN, WORKLOAD_MODEL, chatAttributes } from './genai-workload.js';
import { alternatingOrder, parseArgs, positiveInteger, roundTo, spread } from './rounds.js';

const CONVERSATIONS = 50;
const BATCH = 512;
const FRAME_BYTES = 16 * 1024;

type Mode = 'coalesced' | 'perPoint' | 'floor';

/** What encoding produced: instructions, bytes and frames, and the points that went in. */
interface Encoded {
  instructions: number;
  bytes: number;
  frames: number;
  points: number;
}

/**
 * A run that encodes what it is asked to write, as `AimRun` would send it, and packs the
 * instructions into frames as the write channel does.
 */
class EncodingRun implements RunWriter {
  /** Always a new run: the bench reads nothing back. */
  readonly resumed = false;
  private readonly points: RunPoints;
  private queued: EncodedInstruction[] = [];
  private queuedBytes = 0;

  constructor(
    hash: string,
    private readonly mode: Mode,
    private readonly out: Encoded,
  ) {
    this.points = new RunPoints(hash);
  }

  get(): Promise<undefined> {
    return Promise.resolve(undefined);
  }

  set(key: ParamKey, value: AimValue): Promise<void> {
    const path = typeof key === 'string' ? [key] : [...key];
    this.send('meta', '__setitem__', [['meta', 'chunks', 'h', 'attrs', ...path], value]);
    this.send('meta', '__setitem__', [['meta', 'attrs', ...path], value]);
    return Promise.resolve();
  }

  setEntries(parent: ParamKey, entries: readonly (readonly [string, AimValue])[]): Promise<void> {
    const path = typeof parent === 'string' ? [parent] : [...parent];
    this.send('meta', 'update', [['meta', 'chunks', 'h', 'attrs', ...path], entries]);
    this.send('meta', 'update', [['meta', 'attrs', ...path], entries]);
    return Promise.resolve();
  }

  track(value: number | bigint, options: TrackOptions): Promise<void> {
    this.points.track(typeof value === 'bigint' ? { kind: 'int', value } : { kind: 'float', value }, options);
    return this.tracked();
  }

  trackText(text: string, options: TrackOptions): Promise<void> {
    this.points.track({ kind: 'text', value: text }, options);
    return this.tracked();
  }

  trackTexts(texts: readonly string[], options: TrackOptions): Promise<void> {
    this.points.track({ kind: 'texts', value: [...texts] }, options);
    return this.tracked();
  }

  setName(name: string): Promise<void> {
    this.send('props', 'name.setter', [name]);
    return Promise.resolve();
  }

  addTag(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  detach(): void {
    // nothing held on a server
  }

  /** Sends the points tracked since the last call (the run's `sendPending`), then the last frame. */
  finish(): void {
    for (const write of this.points.drain()) this.send(write.tree, write.method, write.args);
    this.flushFrame();
  }

  private tracked(): Promise<void> {
    this.out.points += 1;
    if (this.mode === 'perPoint') for (const write of this.points.drain()) this.send(write.tree, write.method, write.args);
    return Promise.resolve();
  }

  private send(handler: string, method: string, args: AimValue[]): void {
    const encoded = encodeInstruction({ handler, method, args });
    if (this.queued.length > 0 && this.queuedBytes + encoded.bytes > FRAME_BYTES) this.flushFrame();
    this.queued.push(encoded);
    this.queuedBytes += encoded.bytes;
    this.out.instructions += 1;
  }

  private flushFrame(): void {
    if (this.queued.length === 0) return;
    this.out.bytes += buildFrame(this.queued).length;
    this.out.frames += 1;
    this.queued = [];
    this.queuedBytes = 0;
  }
}

/** An Aim connection whose runs only encode. */
class EncodingWriter implements AimWriter {
  readonly runs = new Map<string, EncodingRun>();
  constructor(
    private readonly mode: Mode,
    private readonly out: Encoded,
  ) {}

  connect(): Promise<void> {
    return Promise.resolve();
  }

  createRun(settings: RunSettings): Promise<RunWriter> {
    const hash = settings.hash ?? 'run';
    const run = new EncodingRun(hash, this.mode, this.out);
    this.runs.set(hash, run);
    return Promise.resolve(run);
  }

  flush(): Promise<void> {
    for (const run of this.runs.values()) run.finish();
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** The workload's spans as the receiver hands them to the sink, in batches of {@link BATCH}. */
function workload(spans: number): SpanRecord[][] {
  const batches: SpanRecord[][] = [];
  const baseNs = BigInt(Date.now()) * 1_000_000n;
  for (let first = 0; first < spans; first += BATCH) {
    const batch: SpanRecord[] = [];
    for (let i = first; i < Math.min(spans, first + BATCH); i++) {
      const start = baseNs + BigInt(i) * 1_000_000n;
      batch.push({
        traceId: (i + 1).toString(16).padStart(32, '0'),
        spanId: (i + 1).toString(16).padStart(16, '0'),
        name: `chat ${WORKLOAD_MODEL}`,
        kind: 'client',
        startTimeUnixNano: start,
        endTimeUnixNano: start + 200_000_000n,
        attributes: chatAttributes(i, i % CONVERSATIONS),
        events: [],
        links: [],
        status: { code: 'unset' },
        origin: { resource: { 'service.name': 'mapping-bench' }, scopeName: 'bench' },
      });
    }
    batches.push(batch);
  }
  return batches;
}

interface RoundFigures {
  mapSeconds: number;
  encodeSeconds: number;
  /** CPU seconds of the process (all its threads: GC helpers too) over the same spans: less noisy on a shared machine. */
  cpuSeconds: number;
  encoded: Encoded;
}

/**
 * The floor: only what no implementation of this design can skip, per span — parsing the two
 * message attributes (JSON) and hashing the span id into its point key (BLAKE2b), as "map"; and
 * producing the frame bytes the product produces (`bytesPerSpan`), as copies of ready-made bytes
 * into 16 KiB frames, as "encode". What the product spends above it is its own overhead.
 */
function floorRound(batches: readonly SpanRecord[][], bytesPerSpan: number): RoundFigures {
  const encoded: Encoded = { instructions: 0, bytes: 0, frames: 0, points: 0 };
  const template = Buffer.alloc(Math.ceil(bytesPerSpan), 0xfe);
  let mapSeconds = 0;
  let encodeSeconds = 0;
  let sink = 0n;
  const cpu = process.cpuUsage();
  for (const batch of batches) {
    const mapped = performance.now();
    for (const span of batch) {
      const input: unknown = JSON.parse(span.attributes['gen_ai.input.messages'] as string);
      const output: unknown = JSON.parse(span.attributes['gen_ai.output.messages'] as string);
      if (!Array.isArray(input) || !Array.isArray(output)) throw new Error('workload messages are not lists');
      sink ^= hashAuto(span.spanId);
    }
    const applied = performance.now();
    let frame = Buffer.allocUnsafe(FRAME_BYTES);
    let at = 0;
    for (let i = 0; i < batch.length; i++) {
      if (at + template.length > FRAME_BYTES) {
        encoded.bytes += at;
        encoded.frames += 1;
        frame = Buffer.allocUnsafe(FRAME_BYTES);
        at = 0;
      }
      template.copy(frame, at);
      at += template.length;
    }
    encoded.bytes += at;
    encoded.frames += 1;
    encoded.points += batch.length * (TEXTS_PER_SPAN + METRIC_POINTS_PER_SPAN);
    const done = performance.now();
    mapSeconds += (applied - mapped) / 1000;
    encodeSeconds += (done - applied) / 1000;
  }
  const used = process.cpuUsage(cpu);
  if (sink === 1n) console.log('(unlikely hash)');
  return { mapSeconds, encodeSeconds, cpuSeconds: (used.user + used.system) / 1e6, encoded };
}

/** Maps and encodes every batch as the sink does (plan on arrival, apply each run's plan, flush). */
async function round(batches: readonly SpanRecord[][], mode: Mode): Promise<RoundFigures> {
  const encoded: Encoded = { instructions: 0, bytes: 0, frames: 0, points: 0 };
  const writer = new EncodingWriter(mode, encoded);
  const runs = new OpenRunCache({ maxOpenRuns: 1_000 });
  const memo = new BoundedTraceKeyMemo(100_000);
  let mapSeconds = 0;
  let encodeSeconds = 0;
  const cpu = process.cpuUsage();
  for (const batch of batches) {
    const mapped = performance.now();
    const plan = planWrites(batch, {}, memo);
    const applied = performance.now();
    for (const run of plan.runs) await applyPlan(run, writer, runs);
    await writer.flush();
    const done = performance.now();
    mapSeconds += (applied - mapped) / 1000;
    encodeSeconds += (done - applied) / 1000;
  }
  const used = process.cpuUsage(cpu);
  return { mapSeconds, encodeSeconds, cpuSeconds: (used.user + used.system) / 1e6, encoded };
}

export default async function bench(args: string[]): Promise<Record<string, unknown>> {
  const { positional } = parseArgs(args);
  const spans = positiveInteger(positional[0], 50_000, 'spans');
  const rounds = positiveInteger(positional[1], 5, 'rounds');
  const batches = workload(spans);
  const expectedPoints = spans * (TEXTS_PER_SPAN + METRIC_POINTS_PER_SPAN);
  const warmUp = await round(workload(Math.min(spans, 5_000)), 'coalesced'); // warm-up (JIT)
  const floorBytesPerSpan = warmUp.encoded.bytes / Math.min(spans, 5_000);

  const figures = new Map<Mode, RoundFigures[]>([
    ['coalesced', []],
    ['perPoint', []],
    ['floor', []],
  ]);
  const only = process.env['ONLY'];
  for (let r = 1; r <= rounds; r++) {
    for (const mode of alternatingOrder(r, (only ? only.split(',') : ['coalesced', 'perPoint', 'floor']) as Mode[])) {
      const result = mode === 'floor' ? floorRound(batches, floorBytesPerSpan) : await round(batches, mode);
      if (result.encoded.points !== expectedPoints) {
        throw new Error(`${mode}: ${String(result.encoded.points)} points encoded, expected ${String(expectedPoints)}`);
      }
      figures.get(mode)?.push(result);
      const total = result.mapSeconds + result.encodeSeconds;
      console.log(
        `round ${String(r)} ${mode}: ${String(Math.round(spans / total))} spans/s (map ${String(Math.round(spans / result.mapSeconds))}/s, encode ${String(Math.round(spans / result.encodeSeconds))}/s; ${String(Math.round(spans / result.cpuSeconds))} spans per CPU second), ${roundTo(result.encoded.instructions / spans).toString()} instructions/span`,
      );
    }
  }
  const summary = (mode: Mode): Record<string, unknown> => {
    const results = figures.get(mode) ?? [];
    const first = results[0]?.encoded ?? { instructions: NaN, bytes: NaN, frames: NaN, points: NaN };
    return {
      spansPerSecond: spread(results.map((r) => spans / (r.mapSeconds + r.encodeSeconds))),
      spansPerCpuSecond: spread(results.map((r) => spans / r.cpuSeconds)),
      mapSpansPerSecond: spread(results.map((r) => spans / r.mapSeconds)),
      encodeSpansPerSecond: spread(results.map((r) => spans / r.encodeSeconds)),
      instructionsPerSpan: roundTo(first.instructions / spans),
      bytesPerSpan: roundTo(first.bytes / spans),
      framesPer1000Spans: roundTo((first.frames / spans) * 1000),
    };
  };
  const coalesced = summary('coalesced');
  const perPoint = summary('perPoint');
  const floor = summary('floor');
  const median = (value: unknown): number => (value as { median: number }).median;
  return {
    spans,
    rounds,
    pointsPerSpan: TEXTS_PER_SPAN + METRIC_POINTS_PER_SPAN,
    coalesced,
    perPoint,
    floor: { ...floor, instructionsPerSpan: undefined },
    coalescedShareOfFloor: roundTo(median(coalesced['spansPerSecond']) / median(floor['spansPerSecond'])),
    speedupCoalescedOverPerPoint: roundTo(median(coalesced['spansPerSecond']) / median(perPoint['spansPerSecond'])),
    instructionsRatioPerPointOverCoalesced: roundTo((perPoint['instructionsPerSpan'] as number) / (coalesced['instructionsPerSpan'] as number)),
    goalSpansPerSecond: 100_000,
  };
}
