/**
 * The CLI's JSON logs carry the component of a line as a field of its own (`component`), taken
 * from the namespace a component logger passes first.
 */
import { DiagLogLevel, diag } from '@opentelemetry/api';
import { expect } from 'chai';
import { componentLogger } from '../../src/logging/component-logger.js';
import { jsonLogger } from '../../src/logging/json-logger.js';

/** The JSON lines written while `body` runs, with `jsonLogger` as the global diag logger. */
function jsonLines(body: () => void): Record<string, unknown>[] {
  const written: string[] = [];
  diag.setLogger(
    jsonLogger((line) => written.push(line)),
    { logLevel: DiagLogLevel.ALL, suppressOverrideMessage: true },
  );
  try {
    body();
  } finally {
    diag.disable();
  }
  for (const line of written) expect(line.endsWith('\n') && !line.slice(0, -1).includes('\n'), line).to.equal(true);
  const lines = written.map((line) => JSON.parse(line) as Record<string, unknown>);
  // Not the lines under test: the API's own notices of (un)registering the logger.
  return lines.filter((line) => !String(line['msg']).startsWith('@opentelemetry/api: '));
}

describe('jsonLogger (the CLI logs)', () => {
  it("a component logger's line: component, msg and args fields of their own", () => {
    const [line] = jsonLines(() => {
      componentLogger('cli').info('stopped', { received: 1, written: 1, dropped: 0 });
    });
    expect(line).to.have.keys('time', 'level', 'component', 'msg', 'args');
    expect(line).to.deep.include({ level: 'info', component: 'aim-otel-bridge/cli', msg: 'stopped', args: [{ received: 1, written: 1, dropped: 0 }] });
    expect(new Date(String(line?.['time'])).toISOString()).to.equal(line?.['time']);
  });

  it('a direct diag line has no component', () => {
    const lines = jsonLines(() => {
      diag.warn('Current logger will be overwritten');
      diag.error('a message with a/slash', 'and an argument');
    });
    expect(lines.map(({ time: _time, ...rest }) => rest)).to.deep.equal([
      { level: 'warn', msg: 'Current logger will be overwritten' },
      { level: 'error', msg: 'a message with a/slash', args: ['and an argument'] },
    ]);
  });

  it("another library's component logger (e.g. an instrumentation's) gets its namespace as component", () => {
    const [line] = jsonLines(() => {
      diag.createComponentLogger({ namespace: '@opentelemetry/instrumentation-http' }).debug('patching http');
    });
    expect(line).to.deep.include({ level: 'debug', component: '@opentelemetry/instrumentation-http', msg: 'patching http' });
  });

  it('errors among the arguments are written as their message', () => {
    const [line] = jsonLines(() => {
      componentLogger('sink').error('closing failed', new Error('socket hang up'));
    });
    expect(line).to.deep.include({ component: 'aim-otel-bridge/sink', msg: 'closing failed', args: ['socket hang up'] });
  });
});
