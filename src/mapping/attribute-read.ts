/** Typed reads of span and event attributes, shared by the convention readers. */
import type { AttributeValue, Attributes } from '../model/span-record.js';
import { PARAM_DEPTH_CEILING, setEntry } from './param-limits.js';

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

/**
 * A parsed JSON value as an attribute value (`undefined` for what JSON has no place for, and for
 * values nested deeper than {@link PARAM_DEPTH_CEILING} levels: hostile input must not exhaust the
 * stack). Every key is kept as an own property, `__proto__` included.
 */
export function jsonAttribute(value: unknown, depth = 0): AttributeValue | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (depth >= PARAM_DEPTH_CEILING) return undefined;
  if (Array.isArray(value)) return value.map((item) => jsonAttribute(item, depth + 1) ?? null);
  if (isObject(value)) {
    const result: Record<string, AttributeValue> = {};
    for (const [key, item] of Object.entries(value)) {
      const converted = jsonAttribute(item, depth + 1);
      if (converted !== undefined) setEntry(result, key, converted);
    }
    return result;
  }
  return undefined;
}

/** A JSON object attribute (e.g. OpenInference's `llm.invocation_parameters`), parsed; undefined when it is not one. */
export function jsonObject(a: Attributes, key: string): Record<string, unknown> | undefined {
  const text = str(a, key);
  const value = text === undefined ? undefined : parseJson(text);
  return isObject(value) ? value : undefined;
}

/** A string attribute as a list of it, a string array attribute as its non-empty items; undefined when neither gives one. */
export function strList(a: Attributes, key: string): string[] | undefined {
  const value = a[key];
  if (typeof value === 'string') return value === '' ? undefined : [value];
  if (!Array.isArray(value)) return undefined;
  const items = value.filter((item): item is string => typeof item === 'string' && item !== '');
  return items.length > 0 ? items : undefined;
}
