/** Typed reads of span and event attributes, shared by the convention readers. */
import type { Attributes } from '../model/span-record.js';

/** A non-empty string attribute; a string array reads as its items joined by `, `. */
export function str(a: Attributes, key: string): string | undefined {
  const value = a[key];
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string')) return value.join(', ');
  return undefined;
}

/** A finite number attribute (a bigint reads as a number). */
export function num(a: Attributes, key: string): number | undefined {
  const value = a[key];
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'bigint') return Number(value);
  return undefined;
}

/** An integer count: safe JS integers stay numbers, larger ones bigint; non-integers are ignored. */
export function int(a: Attributes, key: string): number | bigint | undefined {
  const value = a[key];
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return undefined;
}

/** A plain object (not null, not an array). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** JSON text parsed, or undefined when it is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** A content value recorded as a JSON string literal (`"3"`) reads as its text (`3`). */
export function unquote(text: string | undefined): string | undefined {
  if (text === undefined || !text.startsWith('"')) return text;
  const value = parseJson(text);
  return typeof value === 'string' ? value : text;
}
