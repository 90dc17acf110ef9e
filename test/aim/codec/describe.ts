/**
 * Typed JSON descriptions of tree values, shared with golden_vectors.py (see its docstring): they
 * keep ints and floats, dict key kinds and entry order apart, so two values compare equal with a
 * plain deep equality exactly when they are the same Aim value.
 */
import { AimBlob, type AimKey, AimObject, type AimValue, aimResource, aimText } from '../../../src/aim/codec/values.js';
import { aimFigure } from '../../../src/aim/figure.js';

export type KeyDesc = { t: 'str'; v: string } | { t: 'int'; v: string };

export type Desc =
  | { t: 'none' }
  | { t: 'bool'; v: boolean }
  | { t: 'int'; v: string }
  | { t: 'float'; v: string }
  | { t: 'str'; v: string }
  | { t: 'bytes'; v: string }
  | { t: 'list' | 'tuple'; v: Desc[] }
  | { t: 'dict'; v: [KeyDesc, Desc][] }
  | { t: 'custom'; alias: string; v: [KeyDesc, Desc][] }
  | { t: 'blob'; v: Desc }
  | { t: 'text'; v: string }
  | { t: 'resource'; v: string }
  | { t: 'figure'; v: string; version?: string };

/** Builders for readable case tables. */
export const d = {
  none: (): Desc => ({ t: 'none' }),
  bool: (v: boolean): Desc => ({ t: 'bool', v }),
  int: (v: bigint | number | string): Desc => ({ t: 'int', v: String(v) }),
  float: (v: number | string): Desc => ({ t: 'float', v: typeof v === 'string' ? v : floatText(v) }),
  str: (v: string): Desc => ({ t: 'str', v }),
  bytes: (hex: string): Desc => ({ t: 'bytes', v: hex }),
  list: (...v: Desc[]): Desc => ({ t: 'list', v }),
  tuple: (...v: Desc[]): Desc => ({ t: 'tuple', v }),
  dict: (...v: [AimKey, Desc][]): Desc => ({ t: 'dict', v: v.map(([k, x]) => [describeKey(k), x]) }),
  custom: (alias: string, ...v: [AimKey, Desc][]): Desc => ({ t: 'custom', alias, v: v.map(([k, x]) => [describeKey(k), x]) }),
  blob: (v: Desc): Desc => ({ t: 'blob', v }),
  text: (v: string): Desc => ({ t: 'text', v }),
  resource: (v: string): Desc => ({ t: 'resource', v }),
  /** `aim.Figure` of a plotly figure whose `to_json()` is `v`; `version` default: Aim's 'unknown' (plotly not installed). */
  figure: (v: string, version?: string): Desc => (version === undefined ? { t: 'figure', v } : { t: 'figure', v, version }),
};

function floatText(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  if (Object.is(value, -0)) return '-0.0';
  return String(value);
}

function parseFloatText(text: string): number {
  if (text === 'nan') return Number.NaN;
  if (text === 'inf') return Infinity;
  if (text === '-inf') return -Infinity;
  return Number(text);
}

export function describeKey(key: AimKey): KeyDesc {
  return typeof key === 'bigint' ? { t: 'int', v: key.toString() } : { t: 'str', v: key };
}

function keyOf(desc: KeyDesc): AimKey {
  return desc.t === 'int' ? BigInt(desc.v) : desc.v;
}

/** The AimValue a description stands for (dicts as Maps, to keep key kinds and order). */
export function toValue(desc: Desc): AimValue {
  switch (desc.t) {
    case 'none':
      return null;
    case 'bool':
      return desc.v;
    case 'int':
      return BigInt(desc.v);
    case 'float':
      return parseFloatText(desc.v);
    case 'str':
      return desc.v;
    case 'bytes':
      return Uint8Array.from(Buffer.from(desc.v, 'hex'));
    case 'list':
    case 'tuple':
      return desc.v.map(toValue);
    case 'dict':
      return new Map(desc.v.map(([k, v]) => [keyOf(k), toValue(v)]));
    case 'custom':
      return new AimObject(desc.alias, new Map(desc.v.map(([k, v]) => [keyOf(k), toValue(v)])));
    case 'blob':
      return new AimBlob(toValue(desc.v));
    case 'text':
      return aimText(desc.v);
    case 'resource':
      return aimResource(desc.v);
    case 'figure':
      return aimFigure(desc.v, desc.version === undefined ? {} : { version: desc.version });
  }
}

/** The canonical description of a value (as golden_vectors.py describes Aim's decoded values). */
export function describe(value: AimValue): Desc {
  if (value === null) return { t: 'none' };
  switch (typeof value) {
    case 'boolean':
      return { t: 'bool', v: value };
    case 'bigint':
      return { t: 'int', v: value.toString() };
    case 'number':
      return { t: 'float', v: floatText(value) };
    case 'string':
      return { t: 'str', v: value };
    default:
      break;
  }
  if (value instanceof Uint8Array) return { t: 'bytes', v: Buffer.from(value).toString('hex') };
  if (Array.isArray(value)) return { t: 'list', v: (value as readonly AimValue[]).map(describe) };
  if (value instanceof AimBlob) return { t: 'blob', v: describe(value.value) };
  if (value instanceof AimObject) {
    return { t: 'custom', alias: value.alias, v: [...value.storage].map(([k, v]) => [describeKey(k), describe(v)]) };
  }
  const entries: [AimKey, AimValue][] = value instanceof Map ? [...(value as ReadonlyMap<AimKey, AimValue>)] : Object.entries(value);
  return { t: 'dict', v: entries.map(([k, v]) => [describeKey(k), describe(v)]) };
}

/**
 * The description Aim gives back after a round trip: floats in canonical text ('0.10' → '0.1'),
 * tuples as lists, `text` / `resource` / `figure` as the custom objects they are.
 */
export function canonical(desc: Desc): Desc {
  return describe(toValue(desc));
}
