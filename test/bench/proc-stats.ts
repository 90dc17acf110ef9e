/**
 * CPU time and memory of a process tree, read from /proc (Linux), for the benchmarks: a peer such
 * as `aim server` or the bridge may do its work in forked children, so the figures are summed over
 * the process and every descendant alive when they are read.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's time fields. */
const TICKS_PER_SECOND = ((): number => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime + cutime + cstime (own time and that of reaped children), in ticks. */
  ticks: number;
}

function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
  } catch {
    return undefined; // exited meanwhile
  }
  // Fields after the parenthesised command name, from field 3 (state): state ppid pgrp ... utime(14) stime(15) cutime(16) cstime(17).
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const field = (n: number): number => Number(fields[n - 3]);
  return { pid, ppid: field(4), ticks: field(14) + field(15) + field(16) + field(17) };
}

/** `rootPid` and every process descending from it, as /proc shows them now. */
export function processTree(rootPid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (!stat) continue;
    const siblings = children.get(stat.ppid) ?? [];
    siblings.push(stat.pid);
    children.set(stat.ppid, siblings);
  }
  const tree: number[] = [];
  const pending = [rootPid];
  for (let pid = pending.pop(); pid !== undefined; pid = pending.pop()) {
    tree.push(pid);
    pending.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/** CPU seconds (user + system, including reaped children) used so far by the tree of `rootPid`. */
export function treeCpuSeconds(rootPid: number): number {
  let ticks = 0;
  for (const pid of processTree(rootPid)) ticks += readStat(pid)?.ticks ?? 0;
  return ticks / TICKS_PER_SECOND;
}

/** A `/proc/<pid>/status` field in kB (VmRSS, VmHWM), 0 when the process is gone. */
function statusKb(pid: number, field: string): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(readFileSync(`/proc/${String(pid)}/status`, 'utf8'));
    return Number(match?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** The resident set of the tree of `rootPid` now, in MiB (sum over its processes). */
export function treeRssMiB(rootPid: number): number {
  return processTree(rootPid).reduce((sum, pid) => sum + statusKb(pid, 'VmRSS'), 0) / 1024;
}

/** The sum of each process's own peak resident set (VmHWM) over the tree of `rootPid`, in MiB: an upper bound of the tree's peak. */
export function treeHighWaterMiB(rootPid: number): number {
  return processTree(rootPid).reduce((sum, pid) => sum + statusKb(pid, 'VmHWM'), 0) / 1024;
}

/**
 * Measures process trees over an interval: CPU seconds used between `start()` and `stop()`, and
 * the peak of the tree's summed resident set, sampled every `sampleMs` (default 250).
 */
export class TreeMeter {
  private readonly rootPid: number;
  private readonly sampleMs: number;
  private cpuAtStart = 0;
  private peakRss = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(rootPid: number | undefined, sampleMs = 250) {
    if (rootPid === undefined) throw new Error('the process to measure has no pid (it did not start)');
    this.rootPid = rootPid;
    this.sampleMs = sampleMs;
  }

  start(): void {
    this.cpuAtStart = treeCpuSeconds(this.rootPid);
    this.peakRss = treeRssMiB(this.rootPid);
    this.timer = setInterval(() => {
      this.peakRss = Math.max(this.peakRss, treeRssMiB(this.rootPid));
    }, this.sampleMs);
    this.timer.unref();
  }

  /** CPU seconds since `start()` and the peak sampled RSS (MiB) of the tree. */
  stop(): { cpuSeconds: number; peakRssMiB: number } {
    clearInterval(this.timer);
    this.peakRss = Math.max(this.peakRss, treeRssMiB(this.rootPid));
    return { cpuSeconds: treeCpuSeconds(this.rootPid) - this.cpuAtStart, peakRssMiB: this.peakRss };
  }
}

/**
 * Waits until the tree of `rootPid` is idle (under `idleShare` of one core over `windowMs`), so
 * work it still does for the last client is counted for that client; gives up after `timeoutMs`.
 */
export async function waitUntilIdle(rootPid: number | undefined, options: { windowMs?: number; idleShare?: number; timeoutMs?: number } = {}): Promise<void> {
  if (rootPid === undefined) return;
  const { windowMs = 300, idleShare = 0.05, timeoutMs = 15_000 } = options;
  const deadline = Date.now() + timeoutMs;
  let before = treeCpuSeconds(rootPid);
  while (Date.now() < deadline) {
    await new Promise((wake) => setTimeout(wake, windowMs));
    const now = treeCpuSeconds(rootPid);
    if (now - before <= (idleShare * windowMs) / 1000) return;
    before = now;
  }
}
