/**
 * `suppressTracing` awareness without depending on `@opentelemetry/core`: the SDK's key is
 * `createContextKey('OpenTelemetry SDK Context Key SUPPRESS_TRACING')`, and `createContextKey` is
 * `Symbol.for(description)`, so the same call here yields the same key.
 */
import { createContextKey } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';

const SUPPRESS_TRACING_KEY = createContextKey('OpenTelemetry SDK Context Key SUPPRESS_TRACING');

/** True inside `suppressTracing(...)` (e.g. an exporter's own I/O). */
export function isTracingSuppressed(ctx: Context): boolean {
  return ctx.getValue(SUPPRESS_TRACING_KEY) === true;
}
