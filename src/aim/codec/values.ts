/**
 * The values Aim's tree encoding carries, as TypeScript types.
 *
 * Aim (Python) keeps integers and floats apart, and so does the wire (tag 0x02 vs 0x03): here a
 * `bigint` is an Aim int (i64) and a `number` is an Aim float (binary64), always. Dicts may have
 * string and integer keys mixed (e.g. context ids), so decoded dicts are `Map`s; for encoding a
 * plain object (string keys) is accepted too.
 */

/** A dict key: a string, or an i64 integer. The empty string is not a valid key. */
export type AimKey = string | bigint;

/** A path into a tree: a sequence of keys. */
export type AimPath = readonly AimKey[];

/** Any value the tree encoding can carry. */
export type AimValue =
  | null
  | boolean
  | bigint
  | number
  | string
  | Uint8Array
  | readonly AimValue[]
  | ReadonlyMap<AimKey, AimValue>
  | { readonly [key: string]: AimValue }
  | AimObject
  | AimBlob;

/**
 * A custom object (tag 0x0F): an alias such as `aim.text` or `aim.resource`, and its storage
 * fields in the order they are written.
 */
export class AimObject {
  readonly alias: string;
  readonly storage: ReadonlyMap<AimKey, AimValue>;

  constructor(alias: string, storage: ReadonlyMap<AimKey, AimValue> | { readonly [key: string]: AimValue }) {
    this.alias = alias;
    this.storage = storage instanceof Map ? storage : new Map(Object.entries(storage));
  }
}

/**
 * A BLOB: a (large) value stored out of line. On the wire it is the same typed value with the
 * record's `is_blob` flag set; `aim.text` data must be one.
 */
export class AimBlob {
  readonly value: AimValue;

  constructor(value: AimValue) {
    this.value = value;
  }
}

/** `aim.text`: a text point of a text sequence. */
export function aimText(text: string): AimObject {
  return new AimObject('aim.text', new Map([['data', new AimBlob(text)]]));
}

/** `aim.resource`: a server-side object passed as an argument (by its handler). */
export function aimResource(handler: string): AimObject {
  return new AimObject('aim.resource', { handler });
}
