/**
 * Install steps with progress: a command run with its output in a log file, a line when it
 * starts, a heartbeat while it runs, and the end of the log when it fails.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';

/** Where progress lines go. */
export type Print = (line: string) => void;

/** A provisioning command failed; the message carries the end of its log. */
export class ProvisionError extends Error {
  override readonly name = 'ProvisionError';
}

export interface StepOptions {
  /** Working directory of the command. */
  cwd?: string;
  /** Extra environment variables, on top of this process's. */
  env?: Record<string, string>;
  /** Append the command's output to this file (it is also where a failure's log tail comes from). */
  logFile: string;
  /** Where progress lines go. @default {@link progress} */
  print?: Print;
  /** How often a long step says it is still running, in ms. Default 30 000. */
  heartbeatMs?: number;
}

/** Formats a duration in ms as `42.0 s` or `3 min 12 s`. */
export function formatDuration(ms: number): string {
  const seconds = ms / 1000;
  if (seconds < 90) return `${seconds.toFixed(1)} s`;
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

/** Prints one progress line of an install, prefixed so it stands out among other output. */
export function progress(message: string): void {
  console.log(`[setup] ${message}`);
}

/**
 * Runs one provisioning command with its output in a log file, printing when it starts, a line
 * every `heartbeatMs` while it runs, and how long it took. Rejects with a {@link ProvisionError}
 * holding the last lines of the log when the command fails.
 */
export async function runStep(label: string, command: string, args: readonly string[], options: StepOptions): Promise<number> {
  const started = Date.now();
  const print = options.print ?? progress;
  print(`${label} ...`);
  const log = createWriteStream(options.logFile, { flags: 'a' });
  log.write(`\n$ ${command} ${args.join(' ')}\n`);
  const heartbeat = setInterval(() => {
    print(`${label}: still running (${formatDuration(Date.now() - started)})`);
  }, options.heartbeatMs ?? 30_000);
  try {
    const code = await new Promise<number | null>((resolvePromise, reject) => {
      const child = spawn(command, args, {
        cwd: options.cwd,
        env: { ...process.env, ...options.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout.pipe(log, { end: false });
      child.stderr.pipe(log, { end: false });
      child.on('error', reject);
      child.on('close', resolvePromise);
    });
    if (code !== 0) {
      await new Promise<void>((done) => log.end(done));
      const tail = readFileSync(options.logFile, 'utf8').split('\n').slice(-40).join('\n');
      throw new ProvisionError(`${label} failed (exit ${String(code)}); log ${options.logFile} ends with:\n${tail}`);
    }
  } finally {
    clearInterval(heartbeat);
    if (!log.closed) log.end();
  }
  const elapsed = Date.now() - started;
  print(`${label}: done in ${formatDuration(elapsed)}`);
  return elapsed;
}
