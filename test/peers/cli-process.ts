/** `aim-otel-bridge` as a child process: from source the way `npm start` runs it, or installed (`npx`). */
import { type ChildProcess, spawn } from 'node:child_process';
import { REPO_ROOT } from './cache.js';

/**
 * A running `aim-otel-bridge` child process, with its output collected: `node --import tsx
 * src/cli.ts ARGS`, or with `npmStart` literally `npm start -- ARGS` in a process group of its own,
 * as in a terminal (where Ctrl-C signals npm, its shell, tsx and node alike), or with `installedIn`
 * `npx aim-otel-bridge ARGS` in a project where the package is installed.
 */
export class CliProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;
  /** Resolves when its output pipes are closed: it, and every process it started that writes there, ended. */
  readonly closed: Promise<void>;
  /** The signal that ended the process, if one did. */
  exitSignal: NodeJS.Signals | null = null;
  private readonly child: ChildProcess;
  /** Whether it runs in a process group of its own, which Ctrl-C signals as a whole (npm and npx start children). */
  private readonly ownGroup: boolean;

  constructor(args: readonly string[], options: { npmStart?: boolean; installedIn?: string } = {}) {
    this.ownGroup = options.npmStart === true || options.installedIn !== undefined;
    const stdio: ['ignore', 'pipe', 'pipe'] = ['ignore', 'pipe', 'pipe'];
    if (options.npmStart === true) this.child = spawn('npm', ['start', '--', ...args], { cwd: REPO_ROOT, stdio, detached: true });
    else if (options.installedIn !== undefined)
      this.child = spawn('npx', ['--no-install', 'aim-otel-bridge', ...args], { cwd: options.installedIn, stdio, detached: true });
    else this.child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: REPO_ROOT, stdio });
    this.child.stdout?.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    this.child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.closed = new Promise((done) =>
      this.child.on('close', () => {
        done();
      }),
    );
    this.exited = new Promise((done) =>
      this.child.on('exit', (code, signal) => {
        this.exitSignal = signal;
        done(code);
      }),
    );
  }

  /** Resolves with the output once it matches `pattern` (rejects if the output ends first, or after `timeoutMs`). */
  async waitFor(pattern: RegExp, timeoutMs = 180_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    const state = { closed: false };
    void this.closed.then(() => (state.closed = true));
    for (;;) {
      const match = this.stdout.match(pattern);
      if (match) return match;
      if (state.closed || Date.now() > deadline) throw new Error(`no ${String(pattern)} in the output of aim-otel-bridge:\n${this.stdout}\n${this.stderr}`);
      await new Promise((wake) => setTimeout(wake, 200));
    }
  }

  /** Ctrl-C: SIGINT to the CLI (run through npm or npx: to its whole process group, as a terminal does). */
  interrupt(): void {
    this.signal('SIGINT');
  }

  private signal(signal: NodeJS.Signals): void {
    const pid = this.child.pid;
    try {
      if (this.ownGroup && pid !== undefined) process.kill(-pid, signal);
      else this.child.kill(signal);
    } catch {
      // already gone
    }
  }

  /** Ctrl-C, and SIGKILL if it has not exited after `graceMs` (test cleanup). */
  async stop(graceMs = 30_000): Promise<void> {
    this.interrupt();
    const timer = setTimeout(() => {
      this.signal('SIGKILL');
    }, graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** The addresses `up` printed. */
export function printed(stdout: string): { uiUrl: string; runHash: string; aimPort: number; receiverPort: number } {
  const uiUrl = /Aim UI:\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
  const runHash = /run:\s+([0-9a-f]{24})/.exec(stdout)?.[1];
  const aimPort = /aim server on aim:\/\/127\.0\.0\.1:(\d+)/.exec(stdout)?.[1];
  const receiverPort = /bridge receiver on http:\/\/127\.0\.0\.1:(\d+)/.exec(stdout)?.[1];
  if (uiUrl === undefined || runHash === undefined || aimPort === undefined || receiverPort === undefined)
    throw new Error(`up did not print its addresses:\n${stdout}`);
  return { uiUrl, runHash, aimPort: Number(aimPort), receiverPort: Number(receiverPort) };
}
