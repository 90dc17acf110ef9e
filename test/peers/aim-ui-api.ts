/**
 * The Aim UI's web API (`aim up`, routes under `/api`), called as the UI's explorers call it, and
 * timed: the Runs explorer's run list (`GET /api/runs/search/run/?q=&limit=45`), the Metrics
 * explorer's query (`GET /api/runs/search/metric/?q=...&p=500`, 500 points a sequence: the UI's
 * "maximum" density) and the params/sequences skeleton both load first (`GET /api/projects/params/`).
 * The search answers are binary streams (aim-run-lifecycle.md §8): records framed
 * `u32 LE key length | key | u32 LE value length | value` (no blob byte), with the path and value
 * encoding of the tracking protocol, decoded here with our Aim codec.
 */
import { type AimKey, type AimValue, AimBlob, AimObject, decodeTree } from '../../src/aim/codec/index.js';

/** An answer of the UI's API and how long it took (first byte sent to last byte read). */
export interface TimedAnswer<T> {
  readonly value: T;
  /** Wall time of the request, in ms. */
  readonly ms: number;
  /** Size of the body, in bytes (after gzip). */
  readonly bytes: number;
}

/** A decoded value with dicts as plain objects (int keys as decimal strings) and ints as numbers where exact. */
export type PlainValue = null | boolean | number | bigint | string | Uint8Array | PlainValue[] | { [key: string]: PlainValue };

/** One run of the Runs explorer's list: its props (name, experiment, ...), params and metric sequences. */
export interface UiRun {
  readonly hash: string;
  readonly props: { [key: string]: PlainValue };
  readonly params: { [key: string]: PlainValue };
  /** `{ metric: [{ name, context, values: { last, ... } }] }`. */
  readonly traces: { [key: string]: PlainValue };
}

/** One metric sequence of a Metrics explorer answer. */
export interface UiMetricTrace {
  readonly name: string;
  readonly context: { [key: string]: PlainValue };
  /** The sampled values (at most `p`), decoded from the answer's float64 blob. */
  readonly values: number[];
  /** Their steps. */
  readonly iters: number[];
}

/** The Runs explorer's run list for `query` (empty: every run), `limit` runs at most (the UI's page: 45). */
export async function searchRuns(uiUrl: string, query: string, limit = 45): Promise<TimedAnswer<UiRun[]>> {
  const answer = await getStream(
    `${uiUrl}/api/runs/search/run/?${new URLSearchParams({ q: query, limit: String(limit), report_progress: 'false' }).toString()}`,
  );
  const runs = Object.entries(objectOf(answer.value)).map(([hash, run]) => {
    const fields = objectOf(run);
    return { hash, props: objectOf(fields['props'] ?? {}), params: objectOf(fields['params'] ?? {}), traces: objectOf(fields['traces'] ?? {}) };
  });
  return { ...answer, value: runs };
}

/** The Metrics explorer's answer to `query` (e.g. `metric.name == "loss"`), `p` points a sequence: the metric sequences by run hash. */
export async function searchMetrics(uiUrl: string, query: string, p = 500): Promise<TimedAnswer<Map<string, UiMetricTrace[]>>> {
  const answer = await getStream(`${uiUrl}/api/runs/search/metric/?${new URLSearchParams({ q: query, p: String(p), report_progress: 'false' }).toString()}`);
  const runs = new Map<string, UiMetricTrace[]>();
  for (const [hash, run] of Object.entries(objectOf(answer.value))) {
    const traces = objectOf(run)['traces'];
    runs.set(
      hash,
      (Array.isArray(traces) ? traces : []).map((trace) => {
        const fields = objectOf(trace);
        const name = fields['name'];
        return {
          name: typeof name === 'string' ? name : '',
          context: objectOf(fields['context'] ?? {}),
          values: float64s(fields['values']),
          iters: float64s(fields['iters']),
        };
      }),
    );
  }
  return { ...answer, value: runs };
}

/** The params and sequence names every explorer loads first (`/api/projects/params/?sequence=metric`), as JSON. */
export async function projectParams(uiUrl: string): Promise<TimedAnswer<{ params: Record<string, unknown>; metric: Record<string, unknown[]> }>> {
  const started = performance.now();
  const response = await fetch(`${uiUrl}/api/projects/params/?sequence=metric`);
  const body = Buffer.from(await response.arrayBuffer());
  if (!response.ok) throw new Error(`GET /api/projects/params/ answered ${String(response.status)}: ${body.toString('utf8').slice(0, 500)}`);
  return {
    value: JSON.parse(body.toString('utf8')) as { params: Record<string, unknown>; metric: Record<string, unknown[]> },
    ms: performance.now() - started,
    bytes: body.length,
  };
}

/** GETs a binary stream of the UI's API and decodes it into one tree (`{}` when empty). */
async function getStream(url: string): Promise<TimedAnswer<PlainValue>> {
  const started = performance.now();
  const response = await fetch(url);
  const body = Buffer.from(await response.arrayBuffer());
  const ms = performance.now() - started;
  if (!response.ok) throw new Error(`GET ${url} answered ${String(response.status)}: ${body.toString('utf8').slice(0, 500)}`);
  return { value: decodeWebStream(body), ms, bytes: body.length };
}

/** Decodes a web API stream: records without the blob byte, folded like Aim's `decode_tree`. */
export function decodeWebStream(body: Buffer): PlainValue {
  const records = [];
  for (let at = 0; at < body.length;) {
    const keyLength = body.readUInt32LE(at);
    const key = body.subarray(at + 4, at + 4 + keyLength);
    const valueLength = body.readUInt32LE(at + 4 + keyLength);
    const value = body.subarray(at + 8 + keyLength, at + 8 + keyLength + valueLength);
    records.push({ key, value, isBlob: false });
    at += 8 + keyLength + valueLength;
  }
  return records.length === 0 ? {} : plain(decodeTree(records));
}

function plain(value: AimValue): PlainValue {
  if (value === null || typeof value === 'boolean' || typeof value === 'number' || typeof value === 'string' || value instanceof Uint8Array) return value;
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value;
  if (value instanceof AimBlob) return plain(value.value);
  if (value instanceof AimObject) return plain(value.storage);
  if (Array.isArray(value)) return (value as readonly AimValue[]).map(plain);
  const entries: [AimKey, AimValue][] = value instanceof Map ? [...(value as ReadonlyMap<AimKey, AimValue>).entries()] : Object.entries(value);
  return Object.fromEntries(entries.map(([key, item]) => [String(key), plain(item)]));
}

function objectOf(value: PlainValue): { [key: string]: PlainValue } {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Uint8Array) ? value : {};
}

/** A numpy array of the answer (`{type: "numpy", shape, dtype: "float64", blob}`) as numbers. */
function float64s(value: PlainValue | undefined): number[] {
  const blob = objectOf(value ?? null)['blob'];
  if (!(blob instanceof Uint8Array)) return [];
  const bytes = Buffer.from(blob);
  return Array.from({ length: Math.floor(bytes.length / 8) }, (_, i) => bytes.readDoubleLE(i * 8));
}
