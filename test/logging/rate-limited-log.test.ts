/**
 * The package's one rate-limit policy: at most one line per key per interval (10 s by default),
 * what is held back counted and reported with the next line of its key or by `flush()`.
 */
import { diag } from '@opentelemetry/api';
import { expect } from 'chai';
import { componentLogger } from '../../src/logging/component-logger.js';
import { DEFAULT_LOG_INTERVAL_MS, RateLimitedLog } from '../../src/logging/rate-limited-log.js';
import { RecordingLogger, recordDiag } from './recording-logger.js';

/** A limiter over a recording logger, with a clock that moves only when told to. */
function limiter(options: { intervalMs?: number; maxKeys?: number } = {}): { log: RateLimitedLog; logger: RecordingLogger; advance: (ms: number) => void } {
  let now = 1_764_000_000_000;
  const logger = new RecordingLogger();
  const log = new RateLimitedLog(logger, { ...options, now: () => now });
  return {
    log,
    logger,
    advance: (ms) => {
      now += ms;
    },
  };
}

describe('RateLimitedLog', () => {
  it('the default policy: one line per key per 10 s, then a line with how many were held back', () => {
    expect(DEFAULT_LOG_INTERVAL_MS).to.equal(10_000);
    const { log, logger, advance } = limiter();
    log.warn('dropped spans', 'first');
    for (let i = 0; i < 5; i++) log.warn('dropped spans', `held ${String(i)}`);
    advance(9_999);
    log.warn('dropped spans', 'still held');
    advance(1);
    log.warn('dropped spans', 'second');
    expect(logger.lines).to.deep.equal(['dropped spans: first', 'dropped spans: second (and 6 more since the last report)']);
  });

  it('a count adds that many to what is held back (e.g. the spans of a dropped batch)', () => {
    const { log, logger, advance } = limiter();
    log.warn('dropped spans', '2', 2);
    log.warn('dropped spans', '5', 5);
    log.warn('dropped spans', '3', 3);
    advance(10_000);
    log.warn('dropped spans', '1', 1);
    expect(logger.lines.at(-1)).to.equal('dropped spans: 1 (and 8 more since the last report)');
  });

  it('keys are limited apart: one key held back does not hold back another', () => {
    const { log, logger } = limiter();
    log.warn('GET /v1/traces → 429', 'busy');
    log.warn('GET /v1/traces → 429', 'busy');
    log.warn('POST /v1/logs → 503', 'Aim did not acknowledge');
    expect(logger.lines).to.deep.equal(['GET /v1/traces → 429: busy', 'POST /v1/logs → 503: Aim did not acknowledge']);
  });

  it('logs at the level asked for, and a line without detail is the key alone', () => {
    const { log, logger } = limiter();
    log.error('a');
    log.warn('b', 'detail');
    log.info('c');
    log.debug('d');
    expect(logger.calls).to.deep.equal([
      { level: 'error', args: ['a'] },
      { level: 'warn', args: ['b: detail'] },
      { level: 'info', args: ['c'] },
      { level: 'debug', args: ['d'] },
    ]);
  });

  it('makes a lazy detail only for a line it logs', () => {
    const { log, logger } = limiter();
    let made = 0;
    const detail = (): string => {
      made += 1;
      return `stats ${String(made)}`;
    };
    for (let i = 0; i < 100; i++) log.warn('shedding load', detail);
    expect(made).to.equal(1);
    expect(logger.lines).to.deep.equal(['shedding load: stats 1']);
  });

  it('flush() reports what each key held back, at its level, once', () => {
    const { log, logger } = limiter();
    log.error('the Aim session is in trouble', 'restoring fails');
    log.error('the Aim session is in trouble', 'restoring fails');
    log.error('the Aim session is in trouble', 'restoring fails');
    log.warn('quiet key', 'once');
    log.flush();
    log.flush();
    expect(logger.calls.slice(2)).to.deep.equal([{ level: 'error', args: ['the Aim session is in trouble: 2 more since the last report'] }]);
  });

  it('is bounded: beyond maxKeys the oldest key is forgotten (its next line is logged at once)', () => {
    const { log, logger } = limiter({ maxKeys: 2 });
    log.warn('a');
    log.warn('b');
    log.warn('c');
    log.warn('a');
    log.warn('c');
    expect(logger.lines).to.deep.equal(['a', 'b', 'c', 'a']);
  });

  it('an interval of its own replaces the default', () => {
    const { log, logger, advance } = limiter({ intervalMs: 100 });
    log.warn('k');
    advance(100);
    log.warn('k');
    expect(logger.lines).to.deep.equal(['k', 'k']);
  });

  it("over a component logger, the line reaches the global logger with the component's namespace", () => {
    const logger = recordDiag();
    try {
      new RateLimitedLog(componentLogger('receiver')).warn('POST /v1/traces → 429', 'the bridge is busy');
    } finally {
      diag.disable();
    }
    expect(logger.calls).to.deep.equal([{ level: 'warn', args: ['aim-otel-bridge/receiver', 'POST /v1/traces → 429: the bridge is busy'] }]);
  });
});
