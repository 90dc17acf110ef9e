/**
 * Length limits that keep values usable: `truncateText` for plain strings and `boundedJson`, which
 * serialises a value to JSON of at most `maxLength` characters that still parses. Long strings are
 * shortened first (all of them to one common cap, so a single huge part does not starve the
 * others); when even that is not enough, trailing array elements / object keys are dropped.
 */
import { safeJson } from './read.js';

const ELLIPSIS = '…';

function marker(dropped: number): string {
  return `${ELLIPSIS}[${String(dropped)} chars truncated]`;
}

/** Cuts `text` to `cap` UTF-16 units without splitting a surrogate pair. */
function cut(text: string, cap: number): string {
  let end = Math.max(0, cap);
  const code = text.charCodeAt(end - 1);
  if (end > 0 && code >= 0xd800 && code <= 0xdbff) end -= 1;
  return text.slice(0, end);
}

/** `text` shortened (with a `…[N chars truncated]` marker) so that it is at most `maxLength` long. */
export function truncateText(text: string, maxLength: number): string {
  if (text.length <= maxLength) return text;
  const tail = marker(text.length - maxLength);
  if (tail.length >= maxLength) return cut(text, maxLength);
  const kept = cut(text, maxLength - tail.length);
  return kept + marker(text.length - kept.length);
}

/** A string shortened to `cap` characters plus marker, or unchanged when that would not be shorter. */
function capString(text: string, cap: number): string {
  if (text.length <= cap) return text;
  const kept = cut(text, cap);
  const shortened = kept + marker(text.length - kept.length);
  return shortened.length < text.length ? shortened : text;
}

/** Deep copy of a JSON value with every string (keys excepted) passed through `capString`. */
function capStrings(value: unknown, cap: number): unknown {
  if (typeof value === 'string') return capString(value, cap);
  if (Array.isArray(value)) return value.map((item) => capStrings(item, cap));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = capStrings(item, cap);
    return out;
  }
  return value;
}

function longestString(value: unknown): number {
  if (typeof value === 'string') return value.length;
  let longest = 0;
  if (Array.isArray(value)) for (const item of value) longest = Math.max(longest, longestString(item));
  else if (typeof value === 'object' && value !== null) for (const item of Object.values(value)) longest = Math.max(longest, longestString(item));
  return longest;
}

/** Drops the last element (array) or key (object) of the outermost container; false when empty. */
function dropLast(value: unknown): boolean {
  if (Array.isArray(value)) {
    if (value.length === 0) return false;
    value.pop();
    return true;
  }
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value);
    const last = keys[keys.length - 1];
    if (last === undefined) return false;
    Reflect.deleteProperty(value, last);
    return true;
  }
  return false;
}

/**
 * `value` as JSON of at most `maxLength` characters that `JSON.parse` accepts, or `undefined` when
 * it cannot be serialised or not even an empty container fits.
 */
export function boundedJson(value: unknown, maxLength: number): string | undefined {
  const full = safeJson(value);
  if (full === undefined) return undefined;
  if (full.length <= maxLength) return full;
  // Work on the plain JSON form (toJSON applied, undefined dropped), so lengths are exact.
  const plain: unknown = JSON.parse(full);
  if (typeof plain === 'string') return shrinkEscapedString(plain, maxLength);

  // Largest common string cap whose serialisation fits (binary search; length grows with the cap).
  let lo = 0;
  let hi = longestString(plain);
  let best: string | undefined;
  while (lo <= hi) {
    const mid = Math.floor((lo + hi) / 2);
    const candidate = JSON.stringify(capStrings(plain, mid));
    if (candidate.length <= maxLength) {
      best = candidate;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (best !== undefined) return best;

  // Even empty-ish strings do not fit: drop trailing elements at the top level.
  const shrunk = capStrings(plain, 0);
  while (dropLast(shrunk)) {
    const candidate = JSON.stringify(shrunk);
    if (candidate.length <= maxLength) return candidate;
  }
  const empty = JSON.stringify(shrunk);
  return empty.length <= maxLength ? empty : undefined;
}

/** A top-level string whose escaping makes it longer than its text: cut until the JSON fits. */
function shrinkEscapedString(text: string, maxLength: number): string | undefined {
  let cap = Math.max(0, maxLength - 2);
  while (cap >= 0) {
    const candidate = JSON.stringify(truncateText(text, cap));
    if (candidate.length <= maxLength) return candidate;
    cap = Math.min(cap - 1, Math.floor(cap * 0.9));
  }
  return undefined;
}
