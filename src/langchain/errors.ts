/** `error.type` values and LangGraph control-flow detection. */
import { ERROR_TYPE_OTHER } from '../semconv/values.js';
import { asNumber, asRecord, asString } from './read.js';

/**
 * Errors LangGraph throws to steer a graph (`interrupt()`, `Command` to a parent graph, drain).
 * They end runs without being failures.
 */
const BUBBLE_UP_NAMES: ReadonlySet<string> = new Set(['GraphBubbleUp', 'GraphInterrupt', 'NodeInterrupt', 'ParentCommand', 'GraphDrained']);

/** The LangGraph control-flow name of `error` (e.g. `GraphInterrupt`), or undefined for real errors. */
export function bubbleUpName(error: unknown): string | undefined {
  const record = asRecord(error);
  if (record === undefined) return undefined;
  const name = asString(record['name']);
  if (name !== undefined && BUBBLE_UP_NAMES.has(name)) return name;
  return record['is_bubble_up'] === true ? (name ?? 'GraphBubbleUp') : undefined;
}

/**
 * A low-cardinality `error.type`: the error's class name when it is more specific than `Error`
 * (`RateLimitError`, `AbortError`, `ModelAbortError`…), else a string error code (`ECONNRESET`), else
 * an HTTP status, else `Error`; `_OTHER` for thrown non-objects.
 */
export function errorType(error: unknown): string {
  const record = asRecord(error);
  if (record === undefined) return ERROR_TYPE_OTHER;
  const name = asString(record['name']);
  if (name !== undefined && name !== 'Error') return name;
  const ctor = (error as { constructor?: { name?: unknown } }).constructor;
  const className = asString(ctor?.name);
  if (className !== undefined && className !== 'Error' && className !== 'Object') return className;
  const code = asString(record['code']);
  if (code !== undefined) return code;
  const status = asNumber(record['status']) ?? asNumber(record['statusCode']);
  if (status !== undefined) return String(status);
  return name ?? ERROR_TYPE_OTHER;
}

/** A short description for the span status. */
export function errorMessage(error: unknown): string {
  if (typeof error === 'string') return error;
  const message = asString(asRecord(error)?.['message']);
  return message ?? errorType(error);
}

/**
 * Whether `error` is LangChain's output parser failure (`OutputParserException`, error code
 * `OUTPUT_PARSING_FAILURE`): its message quotes the model output it could not parse, so it is
 * content, not only an error description.
 */
export function quotesModelOutput(error: unknown): boolean {
  const record = asRecord(error);
  if (record === undefined) return false;
  return record['name'] === 'OutputParserException' || record['lc_error_code'] === 'OUTPUT_PARSING_FAILURE' || typeof record['llmOutput'] === 'string';
}
