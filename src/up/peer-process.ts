import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A peer did not become ready, or exited while the tests needed it; the message has its log tail. */
export class PeerError extends Error {
  override readonly name = 'PeerError';
}

/** How to start one peer process and how to tell it is ready. */
export interface PeerSpec {
  /** A short name for logs, e.g. `aim-server`. */
  name: string;
  command: string;
  args: readonly string[];
  /** Extra environment variables, on top of this process's. */
  env?: Record<string, string>;
  cwd?: string;
  /** Resolves to true once the peer answers as ready; polled until `readyTimeoutMs`. */
  isReady: () => Promise<boolean>;
  /** Default 60 000 ms. */
  readyTimeoutMs?: number;
}

const LOG_DIR = join(tmpdir(), 'aim-otel-bridge-peers');
const running = new Set<PeerProcess>();
/** Recently started peers, running or not, for failure reports (bounded). */
const recent: PeerProcess[] = [];
const RECENT_LIMIT = 100;
let sequence = 0;

/**
 * One started peer: a child process in its own process group (so stopping it also stops the
 * workers it forks, e.g. `aim up`'s web server), its output in a log file.
 */
export class PeerProcess {
  readonly name: string;
  readonly logFile: string;
  /** Order of start, for telling which peers a test started. */
  readonly serial: number;
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;
  private exitCode: number | null = null;
  private exitSignal: NodeJS.Signals | null = null;
  private hasExited = false;

  private constructor(spec: PeerSpec) {
    this.name = spec.name;
    this.serial = ++sequence;
    mkdirSync(LOG_DIR, { recursive: true });
    this.logFile = join(LOG_DIR, `${spec.name}-${String(process.pid)}-${String(this.serial)}.log`);
    const fd = openSync(this.logFile, 'w');
    try {
      this.child = spawn(spec.command, spec.args, {
        cwd: spec.cwd,
        env: { ...process.env, ...spec.env },
        stdio: ['ignore', fd, fd],
        detached: true, // own process group: stop() signals the whole group
      });
    } finally {
      closeSync(fd);
    }
    this.exited = new Promise((resolveExit) => {
      this.child.on('exit', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        this.hasExited = true;
        running.delete(this);
        resolveExit();
      });
      this.child.on('error', () => {
        this.hasExited = true;
        running.delete(this);
        resolveExit();
      });
    });
    running.add(this);
    recent.push(this);
    if (recent.length > RECENT_LIMIT) recent.shift();
  }

  /** Starts the peer and waits until it is ready; on failure it is stopped and the error has its log. */
  static async start(spec: PeerSpec): Promise<PeerProcess> {
    const peer = new PeerProcess(spec);
    const deadline = Date.now() + (spec.readyTimeoutMs ?? 60_000);
    while (Date.now() < deadline) {
      if (peer.hasExited) {
        throw new PeerError(`${spec.name} exited before it was ready (${peer.describeExit()})\n${peer.logTail()}`);
      }
      if (await spec.isReady().catch(() => false)) return peer;
      await sleep(200);
    }
    await peer.stop();
    throw new PeerError(`${spec.name} was not ready within ${String(spec.readyTimeoutMs ?? 60_000)} ms\n${peer.logTail()}`);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Whether the process is still running. */
  get alive(): boolean {
    return !this.hasExited;
  }

  /** The last `lines` lines of the peer's output. */
  logTail(lines = 60): string {
    let text = '';
    try {
      text = readFileSync(this.logFile, 'utf8');
    } catch {
      return `(no log at ${this.logFile})`;
    }
    return text.split('\n').slice(-lines).join('\n');
  }

  /** Resolves when the process has exited (by itself or stopped). */
  waitForExit(): Promise<void> {
    return this.exited;
  }

  /** How the process ended, for messages. */
  describeExit(): string {
    if (!this.hasExited) return 'still running';
    return this.exitSignal ? `signal ${this.exitSignal}` : `exit code ${String(this.exitCode)}`;
  }

  /** Sends `signal` to the peer's whole process group. */
  signal(signal: NodeJS.Signals): void {
    if (this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, signal);
    } catch {
      // the group is already gone
    }
  }

  /**
   * Stops the peer: SIGTERM to its process group, SIGKILL to whatever of the group is left after
   * `graceMs` (default 10 000); resolves once no process of the group is left. Idempotent.
   */
  async stop(graceMs = 10_000): Promise<void> {
    const pid = this.child.pid;
    if (pid === undefined) return;
    const deadline = Date.now() + graceMs;
    if (!this.hasExited) this.signal('SIGTERM');
    // Wait for the leader and then for the processes it forked (e.g. `aim up`'s web server).
    while (groupExists(pid) && Date.now() < deadline) await sleep(50);
    if (groupExists(pid)) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
      while (groupExists(pid) && Date.now() < deadline + 5_000) await sleep(50);
    }
    await this.exited;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((wake) => setTimeout(wake, ms));
}

/**
 * Whether any process of the group `pgid` is still alive. Zombies do not count: a forked worker
 * whose parent died first waits for PID 1 to reap it, which can take seconds, yet it holds no
 * socket or file any more. Reads /proc where there is one, else asks the kernel with signal 0.
 */
function groupExists(pgid: number): boolean {
  if (!existsSync('/proc/self/stat')) {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false;
    }
  }
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    // Fields after the parenthesised command name: state ppid pgrp ...
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z') return true;
  }
  return false;
}

/** The peers still running, in start order. */
export function runningPeers(): PeerProcess[] {
  return [...running].sort((a, b) => a.serial - b.serial);
}

/** The peers worth showing for a failed test: those started since `serial`, and those still running. */
export function peersToReport(serial: number): PeerProcess[] {
  return recent.filter((peer) => peer.serial >= serial || peer.alive);
}

/** The serial the next started peer gets: peers with serial >= this were started after the call. */
export function nextPeerSerial(): number {
  return sequence + 1;
}

/** Stops every peer this process started and that is still running. */
export async function stopAllPeers(): Promise<void> {
  await Promise.all(runningPeers().map((peer) => peer.stop()));
}

// Last resort when the test process ends abruptly (a crash, a timeout that exits, Ctrl-C): kill
// exactly the process groups this process started, synchronously.
export function killAllPeersNow(): void {
  for (const peer of running) peer.signal('SIGKILL');
}
process.on('exit', killAllPeersNow);
let killOnSignal = true;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    if (!killOnSignal) return;
    killAllPeersNow();
    process.kill(process.pid, signal);
  });
}

/**
 * For a program that stops its peers itself on SIGINT/SIGTERM/SIGHUP (such as `up`, which must
 * close the bridge's runs while aim server still runs): the peers are no longer killed at once on
 * a signal. They are still killed if the process exits without stopping them.
 */
export function stopPeersOnSignalsYourself(): void {
  killOnSignal = false;
}
