/**
 * Total, non-throwing readers for the loosely typed values LangChain hands to callbacks
 * (metadata, invocation params, LLM outputs). Each returns `undefined` for anything unexpected.
 */

export type UnknownRecord = Readonly<Record<string, unknown>>;

/** `value` if it is a non-null, non-array object. */
export function asRecord(value: unknown): UnknownRecord | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as UnknownRecord) : undefined;
}

/** `value` if it is a non-empty string. */
export function asString(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** `value` if it is a finite number (numeric strings are not accepted). */
export function asNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** The first of `keys` in `record` that holds a non-empty string. */
export function firstString(record: UnknownRecord | undefined, ...keys: readonly string[]): string | undefined {
  return firstStringOf(record, keys);
}

/** {@link firstString} with the keys as one (constant) array: no allocation per call. */
export function firstStringOf(record: UnknownRecord | undefined, keys: readonly string[]): string | undefined {
  if (record === undefined) return undefined;
  for (const key of keys) {
    const value = asString(record[key]);
    if (value !== undefined) return value;
  }
  return undefined;
}

/** The first of `keys` in `record` that holds a finite number. */
export function firstNumber(record: UnknownRecord | undefined, ...keys: readonly string[]): number | undefined {
  return firstNumberOf(record, keys);
}

/** {@link firstNumber} with the keys as one (constant) array: no allocation per call. */
export function firstNumberOf(record: UnknownRecord | undefined, keys: readonly string[]): number | undefined {
  if (record === undefined) return undefined;
  for (const key of keys) {
    const value = asNumber(record[key]);
    if (value !== undefined) return value;
  }
  return undefined;
}

/** A string array from a string or an array of strings (other elements dropped). */
export function asStringArray(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value)) return undefined;
  const out = value.filter((item): item is string => typeof item === 'string');
  return out.length > 0 ? out : undefined;
}

/** The last element of a LangChain `Serialized.id` (the class name), if any. */
export function serializedClassName(serialized: unknown): string | undefined {
  const id = asRecord(serialized)?.['id'];
  return Array.isArray(id) ? asString(id[id.length - 1]) : undefined;
}

/** `JSON.stringify` that never throws (cycles, BigInt, throwing getters) and maps failures to undefined. */
export function safeJson(value: unknown): string | undefined {
  try {
    // A replacer function slows JSON.stringify down several times: only use it when BigInt needs it.
    return JSON.stringify(value);
  } catch {
    try {
      return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    } catch {
      return undefined;
    }
  }
}
