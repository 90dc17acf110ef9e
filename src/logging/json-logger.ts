/**
 * The command line's structured logs: a `DiagLogger` writing one JSON object a line
 * (`time`, `level`, `component`, `msg`, `args`).
 */
import type { DiagLogger } from '@opentelemetry/api';

/**
 * Whether the first argument of a diag call is a component logger's namespace: a component logger
 * (`diag.createComponentLogger`, and so `componentLogger`) calls the global logger with its
 * namespace first and the message second (`warn('aim-otel-bridge/sink', 'dropped spans: ...')`).
 * A namespace is one word holding a `/` (`aim-otel-bridge/sink`, `@opentelemetry/instrumentation-http`);
 * a message has spaces, or is not followed by another string.
 */
function isNamespace(first: unknown, second: unknown): first is string {
  return typeof first === 'string' && typeof second === 'string' && first.includes('/') && !/\s/.test(first);
}

/**
 * A `DiagLogger` that writes each line as one JSON object and a newline to `write`:
 * `{"time":"<ISO 8601>","level":"warn","component":"aim-otel-bridge/sink","msg":"...","args":[...]}`.
 * `component` is there when the line came through a component logger (its namespace), `args` when
 * the call had arguments after the message (errors as their message).
 */
export function jsonLogger(write: (line: string) => void): DiagLogger {
  const logAt =
    (level: string) =>
    (...given: unknown[]): void => {
      const [component, message, args] = isNamespace(given[0], given[1]) ? [given[0], given[1], given.slice(2)] : [undefined, given[0], given.slice(1)];
      const line: Record<string, unknown> = { time: new Date().toISOString(), level };
      if (component !== undefined) line['component'] = component;
      line['msg'] = message;
      if (args.length > 0) line['args'] = args.map((arg) => (arg instanceof Error ? arg.message : arg));
      write(`${JSON.stringify(line)}\n`);
    };
  return { error: logAt('error'), warn: logAt('warn'), info: logAt('info'), debug: logAt('debug'), verbose: logAt('verbose') };
}
