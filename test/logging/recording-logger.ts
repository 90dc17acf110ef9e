import { type DiagLogger, DiagLogLevel, diag } from '@opentelemetry/api';

/** One call a {@link RecordingLogger} received: its level and every argument, as given. */
export interface RecordedCall {
  level: 'error' | 'warn' | 'info' | 'debug' | 'verbose';
  args: unknown[];
}

/** A `DiagLogger` that keeps every call it gets (but the API's notices of setting and removing it). */
export class RecordingLogger implements DiagLogger {
  readonly calls: RecordedCall[] = [];
  error = this.keep('error');
  warn = this.keep('warn');
  info = this.keep('info');
  debug = this.keep('debug');
  verbose = this.keep('verbose');

  /** The calls' arguments joined by spaces, as `DiagConsoleLogger` would print them. */
  get lines(): string[] {
    return this.calls.map((call) => call.args.map(String).join(' '));
  }

  private keep(level: RecordedCall['level']): (...args: unknown[]) => void {
    return (...args) => {
      // The API's own notices of (un)registering a global logger are not the package's lines.
      if (typeof args[0] === 'string' && args[0].startsWith('@opentelemetry/api: ')) return;
      this.calls.push({ level, args });
    };
  }
}

/** Sets a {@link RecordingLogger} as the global diag logger (all levels) and returns it; undo with `diag.disable()`. */
export function recordDiag(logLevel: DiagLogLevel = DiagLogLevel.ALL): RecordingLogger {
  const logger = new RecordingLogger();
  diag.setLogger(logger, { logLevel, suppressOverrideMessage: true });
  return logger;
}
