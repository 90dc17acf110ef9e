/**
 * One logger per component (issue 16, point 5): `componentLogger(name)` is OpenTelemetry's
 * component logger of namespace `aim-otel-bridge/<name>`, which calls the global DiagLogger with
 * the namespace as its first argument, and finds that logger when it logs, not when it is made.
 */
import { DiagConsoleLogger, DiagLogLevel, diag } from '@opentelemetry/api';
import { expect } from 'chai';
import { AimSpanExporter } from '../../src/exporter/aim-span-exporter.js';
import { componentLogger } from '../../src/logging/component-logger.js';
import { recordDiag } from './recording-logger.js';

describe('componentLogger', () => {
  afterEach(() => {
    diag.disable();
  });

  it("calls the global DiagLogger with the namespace 'aim-otel-bridge/<component>' first, then the message and its arguments", () => {
    const logger = recordDiag();
    const error = new Error('boom');
    componentLogger('sink').warn('dropped spans: 2', error);
    componentLogger('receiver').error('unexpected receiver error');
    expect(logger.calls).to.deep.equal([
      { level: 'warn', args: ['aim-otel-bridge/sink', 'dropped spans: 2', error] },
      { level: 'error', args: ['aim-otel-bridge/receiver', 'unexpected receiver error'] },
    ]);
  });

  it("prints as 'aim-otel-bridge/<component> message' through OpenTelemetry's DiagConsoleLogger", () => {
    // DiagConsoleLogger calls the console.warn it found when it loaded, which writes to stderr.
    const printed: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = (chunk: string | Uint8Array): boolean => {
      printed.push(String(chunk));
      return true;
    };
    try {
      diag.setLogger(new DiagConsoleLogger(), { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
      componentLogger('aim').warn('Aim server unreachable: refused');
    } finally {
      process.stderr.write = write;
    }
    expect(printed.join('')).to.equal('aim-otel-bridge/aim Aim server unreachable: refused\n');
  });

  it('logs nothing and throws nothing while no logger is set', () => {
    diag.disable();
    expect(() => {
      componentLogger('sink').error('nobody listens');
    }).not.to.throw();
  });

  it('reaches a logger set after the component logger was made (as an app sets its logger after importing the package)', () => {
    const made = componentLogger('sink');
    made.warn('before any logger');
    const logger = recordDiag();
    made.warn('after setLogger');
    expect(logger.lines).to.deep.equal(['aim-otel-bridge/sink after setLogger']);
  });

  it("reaches a logger set after import from a module's own logger (the exporter's, made when its module loaded)", async () => {
    // Nothing listens on port 9: the exporter gives its (empty) work up at once.
    const exporter = new AimSpanExporter({ url: 'aim://127.0.0.1:9', retryDeadlineMs: 1 });
    const logger = recordDiag();
    exporter.export([], () => {
      throw new Error('the callback broke');
    });
    await exporter.shutdown();
    expect(logger.calls.filter((call) => call.level === 'error').map((call) => call.args)).to.deep.include([
      'aim-otel-bridge/exporter',
      'the export result callback threw: Error: the callback broke',
    ]);
  });

  it("keeps the global logger's level: a component's info is dropped by a logger set at warn", () => {
    const logger = recordDiag(DiagLogLevel.WARN);
    const log = componentLogger('receiver');
    log.info('receiver listening on http://127.0.0.1:4319');
    log.warn('shedding load');
    expect(logger.lines).to.deep.equal(['aim-otel-bridge/receiver shedding load']);
  });
});
