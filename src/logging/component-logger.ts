/**
 * One diag logger per module of the package: `componentLogger('sink')` is OpenTelemetry's
 * `diag.createComponentLogger({ namespace: 'aim-otel-bridge/sink' })`. Every line it logs reaches
 * the global `DiagLogger` with the namespace as its first argument
 * (`logger.warn('aim-otel-bridge/sink', message, ...args)`), so `DiagConsoleLogger` prints
 * `aim-otel-bridge/sink message` and a structured logger can keep the component apart
 * (see `jsonLogger`). The global logger is looked up at each call, not when the component logger
 * is made: an application that calls `diag.setLogger` after importing the package (the usual
 * order) still gets the package's lines.
 */
import { type DiagLogger, diag } from '@opentelemetry/api';

/** The first part of every namespace of the package's component loggers. */
export const LOG_NAMESPACE = 'aim-otel-bridge';

/**
 * The diag logger of one component (a module or directory of the package, e.g. `sink`,
 * `receiver`, `aim`), namespaced `aim-otel-bridge/<component>`. Lines that can repeat per
 * request, span or batch go through a `RateLimitedLog` over it
 * (`rate-limited-log.ts`).
 */
export function componentLogger(component: string): DiagLogger {
  return diag.createComponentLogger({ namespace: `${LOG_NAMESPACE}/${component}` });
}
