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

/** The first of `keys` in `record` that holds a non-empty string (for a one-off read; see {@link KeyFamilies}). */
export function firstString(record: UnknownRecord | undefined, ...keys: readonly string[]): string | undefined {
  if (record === undefined) return undefined;
  for (const key of keys) {
    const value = asString(record[key]);
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

/**
 * Reads several families of keys of loosely typed objects (metadata, provider parameters,
 * response metadata) in one pass over the keys an object has. Looking each key up instead costs
 * far more in a real application: most of the keys are absent, and the lookups, which see many
 * object shapes, miss V8's caches. A family is a list of spellings in precedence order
 * (`['max_tokens', 'maxTokens', ...]`); {@link KeyFamilies.string} and {@link KeyFamilies.number}
 * return the first spelling holding a valid value (a non-empty string, a finite number).
 *
 * Only enumerable string keys are seen (as `for…in` sees them): use it for plain data objects, not
 * for class instances with getters.
 */
export class KeyFamilies<Family extends string> {
  private readonly _slots = new Map<string, number>();
  private readonly _ranges: Record<Family, readonly [number, number]>;
  private readonly _size: number;

  constructor(families: Readonly<Record<Family, readonly string[]>>) {
    let next = 0;
    const ranges: Partial<Record<Family, readonly [number, number]>> = {};
    for (const family of Object.keys(families) as Family[]) {
      const from = next;
      for (const key of families[family]) {
        if (this._slots.has(key)) throw new Error(`key ${key} is in two families`);
        this._slots.set(key, next++);
      }
      ranges[family] = [from, next];
    }
    this._ranges = ranges as Record<Family, readonly [number, number]>;
    this._size = next;
  }

  /** The values of `record` under the families' keys (one pass over its keys); undefined when it has none. */
  read(record: UnknownRecord | undefined): FamilyValues | undefined {
    if (record === undefined) return undefined;
    let values: unknown[] | undefined;
    for (const key in record) {
      const slot = this._slots.get(key);
      if (slot !== undefined) (values ??= new Array<unknown>(this._size))[slot] = record[key];
    }
    return values;
  }

  /** The first of `family`'s keys holding a non-empty string. */
  string(values: FamilyValues | undefined, family: Family): string | undefined {
    return this._first(values, family, asString);
  }

  /** The first of `family`'s keys holding a finite number. */
  number(values: FamilyValues | undefined, family: Family): number | undefined {
    return this._first(values, family, asNumber);
  }

  private _first<T>(values: FamilyValues | undefined, family: Family, as: (value: unknown) => T | undefined): T | undefined {
    if (values === undefined) return undefined;
    const [from, to] = this._ranges[family];
    for (let slot = from; slot < to; slot++) {
      const value = as(values[slot]);
      if (value !== undefined) return value;
    }
    return undefined;
  }

  /** The value under `family`'s first key (families of one key, or values that are not strings or numbers). */
  value(values: FamilyValues | undefined, family: Family): unknown {
    return values?.[this._ranges[family][0]];
  }
}

/** What {@link KeyFamilies.read} returns: values by slot. */
export type FamilyValues = readonly unknown[];
