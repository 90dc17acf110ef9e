/**
 * Explicit Aim instructions a span can carry, for producers that know exactly what they want in
 * Aim (the `AimCallbackHandler` facade writes LangChain Python's layout with them). They travel as
 * ordinary span data, so they work in-process, through the OTLP receiver and through a Collector.
 *
 * - span attribute **`aim.params`**: a JSON object; each top-level key becomes a run param
 *   (`run[key] = value`; integral numbers are Aim ints).
 * - span event **`aim.track`**: one point of a sequence, with the attributes
 *   - `aim.name` (string, required): the sequence name;
 *   - `aim.context` (JSON object of strings, numbers, booleans; default `{}`): the context;
 *   - `aim.step` (integer ≥ 0; default the step of the event's time, as for span points);
 *   - exactly one value: `aim.text` (string), `aim.texts` (string array: one point holding a list
 *     of texts, Aim dtype `list(aim.text)`) or `aim.value` (number: a float metric point).
 *
 * Bounded: a sequence name of more than {@link MAX_SEQUENCE_NAME_LENGTH} (256) characters, a
 * context of more than {@link MAX_CONTEXT_ENTRIES} (32) entries, with an empty key or one of more
 * than {@link MAX_CONTEXT_KEY_LENGTH} (256) characters, or a value of more than
 * {@link MAX_CONTEXT_VALUE_LENGTH} (1 024), and a step beyond 2^63 − 1 make the event malformed.
 * The params' bounds (how many per run, key length, value size) are the sink's, see param-limits.ts.
 * Names, keys and values are data only: Aim's key encoding keeps every string key within its own
 * path segment (UTF-8 never holds the separator byte 0xFE), so no name reaches another sequence or run.
 *
 * Pure. Malformed instructions are returned as problems (the caller counts and logs them).
 */
import type { AttributeValue, SpanEventRecord, SpanRecord } from '../model/span-record.js';
import type { PlanContext, PlanValue } from './aim-plan.js';
import { MAX_CONTEXT_ENTRIES, MAX_CONTEXT_KEY_LENGTH, MAX_CONTEXT_VALUE_LENGTH, MAX_SEQUENCE_NAME_LENGTH, setEntry } from './param-limits.js';
import { toPlanValue } from './plan-value.js';

export const ATTR_AIM_PARAMS = 'aim.params';
export const EVENT_AIM_TRACK = 'aim.track';
export const ATTR_AIM_TRACK_NAME = 'aim.name';
export const ATTR_AIM_TRACK_CONTEXT = 'aim.context';
export const ATTR_AIM_TRACK_STEP = 'aim.step';
export const ATTR_AIM_TRACK_TEXT = 'aim.text';
export const ATTR_AIM_TRACK_TEXTS = 'aim.texts';
export const ATTR_AIM_TRACK_VALUE = 'aim.value';

/** The largest step Aim can store (an i64 key). */
const MAX_STEP = 2n ** 63n - 1n;

/** One `aim.track` event, read. */
export interface TrackInstruction {
  readonly name: string;
  readonly context: PlanContext;
  /** Undefined: the caller derives it from `timeUnixNano`. */
  readonly step: bigint | undefined;
  readonly timeUnixNano: bigint;
  readonly value:
    | { readonly kind: 'text'; readonly text: string }
    | { readonly kind: 'texts'; readonly texts: readonly string[] }
    | { readonly kind: 'float'; readonly value: number };
}

/** What a span asks for explicitly. */
export interface SpanInstructions {
  readonly params: Readonly<Record<string, PlanValue>>;
  readonly tracks: readonly TrackInstruction[];
  /** Why an instruction was ignored, one line each. */
  readonly problems: readonly string[];
}

const NONE: SpanInstructions = { params: {}, tracks: [], problems: [] };

/** Whether the span carries any explicit instruction (cheap: no parsing). */
export function hasInstructions(span: SpanRecord): boolean {
  return span.attributes[ATTR_AIM_PARAMS] !== undefined || span.events.some((event) => event.name === EVENT_AIM_TRACK);
}

/** Reads the span's explicit instructions. */
export function readInstructions(span: SpanRecord): SpanInstructions {
  if (!hasInstructions(span)) return NONE;
  const problems: string[] = [];
  const where = `span ${span.spanId} (${span.name})`;
  let params: Record<string, PlanValue> = {};
  const rawParams = span.attributes[ATTR_AIM_PARAMS];
  if (rawParams !== undefined) {
    const parsed = parseJsonObject(rawParams);
    if (parsed === undefined) problems.push(`${where}: ${ATTR_AIM_PARAMS} is not a JSON object`);
    // Parsed JSON is an attribute value tree (no bytes, no bigint): integral numbers become Aim ints.
    else
      params = Object.fromEntries(
        Object.entries(parsed)
          .filter(([key]) => key !== '')
          .map(([key, value]) => [key, toPlanValue(value as AttributeValue)]),
      );
  }
  const tracks: TrackInstruction[] = [];
  for (const event of span.events) {
    if (event.name !== EVENT_AIM_TRACK) continue;
    const track = readTrack(event);
    if (typeof track === 'string') problems.push(`${where}: ${EVENT_AIM_TRACK} event ignored: ${track}`);
    else tracks.push(track);
  }
  return { params, tracks, problems };
}

/** One `aim.track` event, or why it is malformed. */
function readTrack(event: SpanEventRecord): TrackInstruction | string {
  const attributes = event.attributes;
  const name = attributes[ATTR_AIM_TRACK_NAME];
  if (typeof name !== 'string' || name === '') return `${ATTR_AIM_TRACK_NAME} must be a non-empty string`;
  if (name.length > MAX_SEQUENCE_NAME_LENGTH)
    return `${ATTR_AIM_TRACK_NAME} of ${String(name.length)} characters (at most ${String(MAX_SEQUENCE_NAME_LENGTH)}): '${name.slice(0, 40)}…'`;

  let context: PlanContext = {};
  const rawContext = attributes[ATTR_AIM_TRACK_CONTEXT];
  if (rawContext !== undefined) {
    const parsed = parseJsonObject(rawContext);
    if (parsed === undefined) return `${ATTR_AIM_TRACK_CONTEXT} of '${name}' is not a JSON object`;
    const entries = Object.entries(parsed);
    if (entries.length > MAX_CONTEXT_ENTRIES)
      return `${ATTR_AIM_TRACK_CONTEXT} of '${name}' has ${String(entries.length)} entries (at most ${String(MAX_CONTEXT_ENTRIES)})`;
    const flat: Record<string, string | number | boolean> = {};
    for (const [key, value] of entries) {
      if (key === '' || key.length > MAX_CONTEXT_KEY_LENGTH)
        return `${ATTR_AIM_TRACK_CONTEXT} of '${name}' has a key of ${String(key.length)} characters (1 to ${String(MAX_CONTEXT_KEY_LENGTH)})`;
      // Aim contexts are flat: nested values are kept as JSON text.
      const item = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? value : JSON.stringify(value);
      if (typeof item === 'string' && item.length > MAX_CONTEXT_VALUE_LENGTH)
        return `${ATTR_AIM_TRACK_CONTEXT} of '${name}' has a value of ${String(item.length)} characters (at most ${String(MAX_CONTEXT_VALUE_LENGTH)})`;
      setEntry(flat, key, item); // own data, `__proto__` too
    }
    context = flat;
  }

  let step: bigint | undefined;
  const rawStep = attributes[ATTR_AIM_TRACK_STEP];
  if (rawStep !== undefined) {
    if (typeof rawStep === 'bigint' && rawStep >= 0n && rawStep <= MAX_STEP) step = rawStep;
    else if (typeof rawStep === 'number' && Number.isSafeInteger(rawStep) && rawStep >= 0) step = BigInt(rawStep);
    else return `${ATTR_AIM_TRACK_STEP} of '${name}' must be an integer ≥ 0`;
  }

  const text = attributes[ATTR_AIM_TRACK_TEXT];
  const texts = attributes[ATTR_AIM_TRACK_TEXTS];
  const value = attributes[ATTR_AIM_TRACK_VALUE];
  const given = [text, texts, value].filter((item) => item !== undefined).length;
  if (given !== 1) return `'${name}' needs exactly one of ${ATTR_AIM_TRACK_TEXT}, ${ATTR_AIM_TRACK_TEXTS}, ${ATTR_AIM_TRACK_VALUE}`;
  const base = { name, context, step, timeUnixNano: event.timeUnixNano };
  if (text !== undefined) {
    return typeof text === 'string' ? { ...base, value: { kind: 'text', text } } : `${ATTR_AIM_TRACK_TEXT} of '${name}' must be a string`;
  }
  if (texts !== undefined) {
    return isStringArray(texts) ? { ...base, value: { kind: 'texts', texts } } : `${ATTR_AIM_TRACK_TEXTS} of '${name}' must be an array of strings`;
  }
  const number = typeof value === 'bigint' ? Number(value) : value;
  return typeof number === 'number' ? { ...base, value: { kind: 'float', value: number } } : `${ATTR_AIM_TRACK_VALUE} of '${name}' must be a number`;
}

function isStringArray(value: AttributeValue): value is readonly string[] {
  return Array.isArray(value) && (value as readonly AttributeValue[]).every((item) => typeof item === 'string');
}

function parseJsonObject(value: AttributeValue): Record<string, unknown> | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
