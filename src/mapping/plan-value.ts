import type { AttributeValue, Attributes } from '../model/span-record.js';
import type { PlanValue } from './aim-plan.js';
import { PARAM_DEPTH_CEILING, setEntry } from './param-limits.js';

/**
 * An attribute value as a param value: safe integers become Aim ints (`bigint`), other numbers
 * floats, bytes base64. Dict keys are own data properties whatever their name (`__proto__`
 * included); empty keys are left out. Deeper than {@link PARAM_DEPTH_CEILING} levels the conversion
 * stops: the part below becomes an empty list, so the value stays too deep and the sink drops it,
 * counted (see param-limits.ts), instead of recursing as deep as a hostile tree goes.
 */
export function toPlanValue(value: AttributeValue | Attributes): PlanValue {
  return convert(value, 0);
}

function convert(value: AttributeValue | Attributes, depth: number): PlanValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean' || typeof value === 'bigint') return value;
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (depth > PARAM_DEPTH_CEILING) return [];
  if (Array.isArray(value)) return (value as readonly AttributeValue[]).map((item) => convert(item, depth + 1));
  const result: Record<string, PlanValue> = {};
  for (const [key, item] of Object.entries(value as Attributes)) if (key !== '') setEntry(result, key, convert(item, depth + 1));
  return result;
}
