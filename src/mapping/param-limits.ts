/**
 * Bounds on what telemetry can make the bridge write as params, so that attributes a sender chose
 * (`aim.params`, `langchain.metadata.*`, resource attributes, request parameters) cannot blow a run
 * up: how many param paths a run gets, how long a key is, how big, deep and wide a value is. A param
 * beyond a bound is dropped whole, never truncated (two truncated keys could collide, and a cut value
 * would be a different value); the sink counts and logs every cut (`AimSinkStats.paramsCut`).
 *
 * Also here: strings made well-formed (a lone UTF-16 surrogate, which JSON text can carry as
 * `"\ud800"`, cannot be encoded as UTF-8 and Aim's encoder refuses it: it becomes U+FFFD, as Node's
 * own UTF-8 encoder does it), and the depth at which converting an attribute tree stops.
 *
 * Pure: no I/O, no clock.
 */
import { createHash } from 'node:crypto';
import type { ParamWrite, PlanValue } from './aim-plan.js';

/** Default of {@link ParamLimits.maxPathsPerRun}: distinct param paths a run gets, at most. */
export const MAX_PARAM_PATHS_PER_RUN = 1_000;
/** Default of {@link ParamLimits.maxKeyLength}: characters (UTF-16 code units) of one key of a param's path or of a dict inside its value, at most. */
export const MAX_PARAM_KEY_LENGTH = 256;
/** Default of {@link ParamLimits.maxValueSize}: the size of a param value, about the length of its JSON text, at most (64 KiB). */
export const MAX_PARAM_VALUE_SIZE = 65_536;
/** Default of {@link ParamLimits.maxDepth}: nesting levels of dicts and lists inside a param value, at most. */
export const MAX_PARAM_DEPTH = 16;
/**
 * Nesting levels at which converting an attribute tree to a param value stops (`toPlanValue`):
 * what lies deeper becomes an empty list, which makes the value deeper than any
 * {@link ParamLimits.maxDepth} allowed, so it is dropped and counted, never cut silently.
 */
export const PARAM_DEPTH_CEILING = 64;
/** Default of {@link ParamLimits.maxWidth}: entries of one dict or list inside a param value, at most. */
export const MAX_PARAM_WIDTH = 1_000;

/** Characters of an `aim.track` sequence name, at most (a longer one is refused as a malformed instruction). */
export const MAX_SEQUENCE_NAME_LENGTH = 256;
/** Entries of an `aim.track` context, at most. */
export const MAX_CONTEXT_ENTRIES = 32;
/** Characters of a key of an `aim.track` context, at most. */
export const MAX_CONTEXT_KEY_LENGTH = 256;
/** Characters of a string value of an `aim.track` context, at most (contexts are hashed and stored with every run that has them). */
export const MAX_CONTEXT_VALUE_LENGTH = 1_024;

/** Tags the sink adds to a run while it holds it open, at most: each is a row in Aim's database and a round trip to add. */
export const MAX_TAGS_PER_RUN = 100;
/** Characters of one tag, at most. */
export const MAX_TAG_LENGTH = 256;

/** The bounds of the params one run gets (see the module documentation). */
export interface ParamLimits {
  /**
   * Distinct param paths a run gets, at most, over every batch written to it while the sink
   * remembers the run: a path beyond is dropped (a path the run has already is still rewritten).
   * The bridge's own fixed params (`otel.*`, `gen_ai.*` of depth 2 or more) do not count.
   * Default {@link MAX_PARAM_PATHS_PER_RUN} (1 000).
   */
  readonly maxPathsPerRun: number;
  /** Characters of one key (of the param's path, or of a dict in its value), at most. Default {@link MAX_PARAM_KEY_LENGTH} (256). */
  readonly maxKeyLength: number;
  /** A value's size (≈ the length of its JSON text), at most. Default {@link MAX_PARAM_VALUE_SIZE} (65 536). */
  readonly maxValueSize: number;
  /** Nesting levels of dicts and lists in a value (and keys in its path), at most; at most {@link PARAM_DEPTH_CEILING} (64). Default {@link MAX_PARAM_DEPTH} (16). */
  readonly maxDepth: number;
  /** Entries of one dict or list in a value, at most. Default {@link MAX_PARAM_WIDTH} (1 000). */
  readonly maxWidth: number;
}

/** The default {@link ParamLimits}. */
export const DEFAULT_PARAM_LIMITS: ParamLimits = Object.freeze({
  maxPathsPerRun: MAX_PARAM_PATHS_PER_RUN,
  maxKeyLength: MAX_PARAM_KEY_LENGTH,
  maxValueSize: MAX_PARAM_VALUE_SIZE,
  maxDepth: MAX_PARAM_DEPTH,
  maxWidth: MAX_PARAM_WIDTH,
});

/** `limits` over the defaults; each bound at least 1. */
export function resolveParamLimits(limits: Partial<ParamLimits> = {}): ParamLimits {
  const pick = (given: number | undefined, fallback: number): number =>
    given !== undefined && Number.isFinite(given) ? Math.max(1, Math.floor(given)) : fallback;
  return {
    maxPathsPerRun: pick(limits.maxPathsPerRun, MAX_PARAM_PATHS_PER_RUN),
    maxKeyLength: pick(limits.maxKeyLength, MAX_PARAM_KEY_LENGTH),
    maxValueSize: pick(limits.maxValueSize, MAX_PARAM_VALUE_SIZE),
    maxDepth: Math.min(PARAM_DEPTH_CEILING, pick(limits.maxDepth, MAX_PARAM_DEPTH)),
    maxWidth: pick(limits.maxWidth, MAX_PARAM_WIDTH),
  };
}

/** Roots of the bridge's own params (`otel.resource`, `gen_ai.request`, ...): their paths of two keys or more do not count toward {@link ParamLimits.maxPathsPerRun}. */
const OWN_ROOTS: ReadonlySet<string> = new Set(['otel', 'gen_ai']);

/** Whether a param path counts toward {@link ParamLimits.maxPathsPerRun} (every path but the bridge's own). */
export function countsTowardLimit(path: readonly string[]): boolean {
  return !(path.length > 1 && OWN_ROOTS.has(path[0] as string));
}

/**
 * Why `param` cannot be written within `limits` (one short line, never the value), or undefined
 * when it can: an empty or over-long key in its path or in a dict of its value, a value too deep,
 * too wide or too big. Walks the value once, stopping at the first problem.
 */
export function paramProblem(param: ParamWrite, limits: ParamLimits): string | undefined {
  if (param.path.length === 0) return 'an empty path';
  if (param.path.length > limits.maxDepth) return `a path of ${String(param.path.length)} keys (at most ${String(limits.maxDepth)})`;
  for (const key of param.path) {
    if (key === '') return 'an empty key';
    if (key.length > limits.maxKeyLength) return `a key of ${String(key.length)} characters (at most ${String(limits.maxKeyLength)})`;
  }
  return valueProblem(param.value, 0, { size: 0 }, limits);
}

/** The first problem of `value` at `depth` within `limits`, adding its size to `seen.size`. */
function valueProblem(value: PlanValue, depth: number, seen: { size: number }, limits: ParamLimits): string | undefined {
  if (value === null || typeof value === 'boolean' || typeof value === 'number' || typeof value === 'bigint') seen.size += 8;
  else if (typeof value === 'string') seen.size += value.length + 2;
  else {
    if (depth >= limits.maxDepth) return `a value nested deeper than ${String(limits.maxDepth)} levels`;
    seen.size += 2;
    if (Array.isArray(value)) {
      const items = value as readonly PlanValue[];
      if (items.length > limits.maxWidth) return `a list of ${String(items.length)} items (at most ${String(limits.maxWidth)})`;
      for (const item of items) {
        seen.size += 1;
        const problem = valueProblem(item, depth + 1, seen, limits);
        if (problem !== undefined) return problem;
      }
    } else {
      const dict = value as { readonly [key: string]: PlanValue };
      const keys = Object.keys(dict);
      if (keys.length > limits.maxWidth) return `a dict of ${String(keys.length)} entries (at most ${String(limits.maxWidth)})`;
      for (const key of keys) {
        if (key === '') return 'an empty key in its value';
        if (key.length > limits.maxKeyLength) return `a key of ${String(key.length)} characters in its value (at most ${String(limits.maxKeyLength)})`;
        seen.size += key.length + 4;
        const problem = valueProblem(dict[key] as PlanValue, depth + 1, seen, limits);
        if (problem !== undefined) return problem;
      }
    }
  }
  return seen.size > limits.maxValueSize ? `a value bigger than ${String(limits.maxValueSize)} characters` : undefined;
}

/** Longest {@link paramPathKey} kept as the path's own text; a longer one is a digest. */
const MAX_PATH_KEY_CHARS = 128;

/**
 * What a run's counted param paths are remembered by: the path as JSON (unambiguous whatever its
 * keys hold) when it is short, as almost every path is; else a SHA-256 digest of that JSON (44
 * characters), so a remembered path takes at most {@link MAX_PATH_KEY_CHARS} characters.
 */
export function paramPathKey(path: readonly string[]): string {
  const json = JSON.stringify(path);
  return json.length <= MAX_PATH_KEY_CHARS ? json : `#${createHash('sha256').update(json).digest('base64')}`;
}

/** The ES2024 string methods of Node 20 (the tsconfig's lib is ES2023). */
interface WellFormedString {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

/** Whether `text` holds no lone UTF-16 surrogate (it can be encoded as UTF-8 as it is). */
export function isWellFormedText(text: string): boolean {
  return (text as unknown as WellFormedString).isWellFormed();
}

/** `text` with every lone UTF-16 surrogate replaced by U+FFFD; `text` itself when it has none. */
export function wellFormed(text: string): string {
  return isWellFormedText(text) ? text : (text as unknown as WellFormedString).toWellFormed();
}

/**
 * `value` with every string (and dict key) made well-formed ({@link wellFormed}); `value` itself
 * when nothing needed it, so the common case allocates nothing. `repaired` is called once per
 * string changed.
 */
export function wellFormedValue(value: PlanValue, repaired: () => void): PlanValue {
  if (typeof value === 'string') {
    if (isWellFormedText(value)) return value;
    repaired();
    return wellFormed(value);
  }
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const items = value as readonly PlanValue[];
    let copy: PlanValue[] | undefined;
    items.forEach((item, i) => {
      const fixed = wellFormedValue(item, repaired);
      if (fixed !== item) (copy ??= [...items])[i] = fixed;
    });
    return copy ?? items;
  }
  const dict = value as { readonly [key: string]: PlanValue };
  let changed = false;
  const entries: [string, PlanValue][] = [];
  for (const key of Object.keys(dict)) {
    const item = dict[key] as PlanValue;
    let fixedKey = key;
    if (!isWellFormedText(key)) {
      repaired();
      fixedKey = wellFormed(key);
    }
    const fixed = wellFormedValue(item, repaired);
    if (fixedKey !== key || fixed !== item) changed = true;
    entries.push([fixedKey, fixed]);
  }
  return changed ? plainDict(entries) : dict;
}

/**
 * A dict of `entries` whose keys are all own data properties, `__proto__` and `constructor`
 * included (an assignment `dict['__proto__'] = x` would set the dict's prototype instead of a key).
 */
export function plainDict(entries: Iterable<readonly [string, PlanValue]>): { [key: string]: PlanValue } {
  const dict: { [key: string]: PlanValue } = {};
  for (const [key, value] of entries) setEntry(dict, key, value);
  return dict;
}

/** Sets `dict[key] = value` as an own data property, whatever the key (see {@link plainDict}). */
export function setEntry<T>(dict: { [key: string]: T }, key: string, value: T): void {
  Object.defineProperty(dict, key, { value, enumerable: true, writable: true, configurable: true });
}
