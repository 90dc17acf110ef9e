/** `aim-otel-bridge` as a child process, run from source the way `npm start` runs it (tests of `up`). */
import { type ChildProcess, spawn } from 'node:child_process';
import { REPO_ROOT } from './cache.js';

/** A running `aim-otel-bridge` child process, with its output collected. */
export class CliProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;

  constructor(args: readonly string[]) {
    // node --import tsx (not npx): signals reach the CLI itself.
    this.child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    this.child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((done) => this.child.on('exit', (code) => { done(code); }));
  }

  /** Resolves with the output once it matches `pattern` (rejects if the process exits first or after `timeoutMs`). */
  async waitFor(pattern: RegExp, timeoutMs = 180_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    const state = { exited: false };
    void this.exited.then(() => (state.exited = true));
    for (;;) {
      const match = this.stdout.match(pattern);
      if (match) return match;
      if (state.exited || Date.now() > deadline) throw new Error(`no ${String(pattern)} in the output of up:\n${this.stdout}\n${this.stderr}`);
      await new Promise((wake) => setTimeout(wake, 200));
    }
  }

  /** Sends Ctrl-C (SIGINT) to the CLI. */
  interrupt(): void {
    this.child.kill('SIGINT');
  }

  /** Ctrl-C, and SIGKILL if it has not exited after `graceMs` (test cleanup). */
  async stop(graceMs = 30_000): Promise<void> {
    this.interrupt();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
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
  if (uiUrl === undefined || runHash === undefined || aimPort === undefined || receiverPort === undefined) throw new Error(`up did not print its addresses:\n${stdout}`);
  return { uiUrl, runHash, aimPort: Number(aimPort), receiverPort: Number(receiverPort) };
}
