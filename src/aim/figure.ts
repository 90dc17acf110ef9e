/**
 * Plotly figures as Aim stores them. Aim 3.29.1's `aim.Figure` (`aim/sdk/objects/figure.py`) is
 * the custom object `aim.figure` with four storage fields, in this order:
 *
 * | field | value |
 * |---|---|
 * | `source` | `'plotly'` |
 * | `version` | the plotly version string (Aim writes `'unknown'` when plotly is not importable) |
 * | `format` | `'raw_json'` |
 * | `data` | a BLOB of the figure's JSON text: what plotly's `fig.to_json()` returns, `{"data": [...], "layout": {...}}` |
 *
 * Aim's UI parses `data` and hands its `data`, `layout` and `frames` to plotly.js; Aim's SDK
 * returns it from `Figure.data`, and `Figure.json()` gives the other three fields.
 */
import { isWellFormed } from './codec/bytes.js';
import { AimBlob, AimObject } from './codec/values.js';
import { AimUsageError } from './errors.js';

/** The alias (and sequence dtype) of a figure: `aim.figure`. */
export const AIM_FIGURE = 'aim.figure';

/** The `version` a figure gets by default: what Aim writes when plotly is not installed. */
export const DEFAULT_FIGURE_VERSION = 'unknown';

/**
 * A Plotly figure as JSON (plotly.js's figure object): its traces, layout and animation frames.
 * Other top-level keys are stored as given.
 */
export interface PlotlyFigure {
  /** The traces, e.g. `[{ type: 'bar', orientation: 'h', x: [...], y: [...] }]`; default none. */
  readonly data?: readonly unknown[];
  /** The layout; required (may be `{}`): Aim's UI sets `layout.autosize` on every figure it shows. */
  readonly layout: Readonly<Record<string, unknown>>;
  readonly frames?: readonly unknown[];
  readonly [key: string]: unknown;
}

/** How {@link aimFigure} builds a figure. */
export interface AimFigureOptions {
  /**
   * The `version` field: the version of the Plotly the JSON is for (Aim writes the version of the
   * Python plotly that serialized it). Aim's SDK and UI do not read it. Default `'unknown'`, what
   * Aim itself writes when plotly is not importable.
   */
  readonly version?: string;
}

/**
 * An `aim.Figure`: the custom object Aim's SDK writes for `aim.Figure(plotly_figure)`.
 *
 * `figure` is either the figure's JSON text (e.g. plotly's `fig.to_json()`), parsed once to check
 * it and stored exactly as given, or a figure object, stored as `JSON.stringify(figure)` (no whitespace, like plotly's
 * `to_json`; keys in insertion order, so the same object gives the same text every time).
 *
 * The figure must have a `layout` object (plotly's `to_json` always writes one; Aim's Figures tab
 * sets `layout.autosize` and fails on a figure without it) and, if it has `data`, an array of traces.
 *
 * @throws {AimUsageError} when the text is not JSON, the figure is not an object with a `layout`
 *   object (and `data` array, if any), the text contains a lone UTF-16 surrogate, the object
 *   cannot be serialized (a cycle, a bigint), or `version` is not a well-formed string.
 */
export function aimFigure(figure: string | PlotlyFigure, options: AimFigureOptions = {}): AimObject {
  const version = options.version ?? DEFAULT_FIGURE_VERSION;
  if (typeof version !== 'string' || !isWellFormed(version)) throw new AimUsageError('a figure version must be a well-formed string');
  const json = typeof figure === 'string' ? checkedJson(figure) : serialized(figure);
  return new AimObject(
    AIM_FIGURE,
    new Map<string, string | AimBlob>([
      ['source', 'plotly'],
      ['version', version],
      ['format', 'raw_json'],
      ['data', new AimBlob(json)],
    ]),
  );
}

/**
 * The figure JSON text an `aim.figure` object holds (its `data` BLOB), or `undefined` when `value`
 * is not a figure as Aim's SDK reads one.
 */
export function figureJson(value: unknown): string | undefined {
  if (!(value instanceof AimObject) || value.alias !== AIM_FIGURE) return undefined;
  const data = value.storage.get('data');
  return data instanceof AimBlob && typeof data.value === 'string' ? data.value : undefined;
}

function checkedJson(text: string): string {
  if (!isWellFormed(text)) throw new AimUsageError('a figure JSON text must not contain a lone UTF-16 surrogate');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new AimUsageError(`a figure must be JSON text: ${(error as Error).message}`);
  }
  checkShape(parsed);
  return text;
}

function serialized(figure: PlotlyFigure): string {
  checkShape(figure);
  let text: string | undefined;
  try {
    text = JSON.stringify(figure);
  } catch (error) {
    throw new AimUsageError(`a figure cannot be serialized to JSON: ${(error as Error).message}`);
  }
  // A toJSON() may turn the object into something else.
  if (typeof text !== 'string' || !text.startsWith('{')) throw new AimUsageError('a figure must serialize to a JSON object');
  return text;
}

/** Throws unless `figure` is an object with a `layout` object and, if any, a `data` array. */
function checkShape(figure: unknown): void {
  if (!isJsonObject(figure)) throw new AimUsageError('a figure must be an object ({"data": [...], "layout": {...}}) or its JSON text');
  if (!isJsonObject(figure['layout'])) throw new AimUsageError("a figure needs a layout object (Aim's UI sets layout.autosize)");
  if (figure['data'] !== undefined && !Array.isArray(figure['data'])) throw new AimUsageError("a figure's data must be an array of traces");
}

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
