/**
 * The LangChain integration's logger (component `langchain`, see src/logging) and its rate-limited
 * log, for lines that can repeat per callback or per run (a failing callback, an expired run, a
 * throwing content hook): at most one line per kind every 10 s, then the count held back.
 */
import { componentLogger } from '../logging/component-logger.js';
import { RateLimitedLog } from '../logging/rate-limited-log.js';

export const log = componentLogger('langchain');

export const limitedLog = new RateLimitedLog(log);

/** What a log line says of `error`: its stack when it has one (a handler bug), else its message. */
export function errorDetail(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return typeof error === 'string' ? error : String(error);
}
