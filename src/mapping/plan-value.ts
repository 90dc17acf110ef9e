import type { AttributeValue, Attributes } from '../model/span-record.js';
import type { PlanValue } from './aim-plan.js';

/** An attribute value as a param value: safe integers become Aim ints (`bigint`), other numbers floats, bytes base64. */
export function toPlanValue(value: AttributeValue | Attributes): PlanValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean' || typeof value === 'bigint') return value;
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return (value as readonly AttributeValue[]).map((item) => toPlanValue(item));
  const result: Record<string, PlanValue> = {};
  for (const [key, item] of Object.entries(value as Attributes)) if (key !== '') result[key] = toPlanValue(item);
  return result;
}
