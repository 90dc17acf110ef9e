/**
 * The system metrics Aim's Python SDK tracks for a run (its `ResourceTracker`), measured for this
 * Node.js process and its host. Names and units are Aim's, so the UI shows them as system metrics:
 *
 * | metric | value |
 * |---|---|
 * | `__system__cpu` | this process's CPU use since the previous sample, % of one core (can exceed 100) |
 * | `__system__memory_percent` | host memory in use, % (total − available) |
 * | `__system__p_memory_percent` | this process's resident memory, % of host memory |
 * | `__system__disk_percent` | use of the file system holding `/`, % (as `psutil.disk_usage`) |
 *
 * Aim's GPU metrics (`__system__gpu*`, from NVML) have no Node.js counterpart and are not written.
 * Values are rounded to 6 decimals, as Aim does; the first CPU sample is 0, as `psutil`'s is.
 */
import { statfsSync } from 'node:fs';
import { freemem, totalmem } from 'node:os';

/** One sample: metric name → value. */
export type SystemSample = Readonly<Record<string, number>>;

/** Samples the process and host; keeps the previous CPU reading to report use between samples. */
export class SystemMetricsSampler {
  private lastCpu: NodeJS.CpuUsage | undefined;
  private lastAt = 0;

  constructor(private readonly diskPath = '/') {}

  sample(): SystemSample {
    const total = totalmem();
    const values: Record<string, number> = {
      __system__cpu: this.cpuPercent(),
      __system__memory_percent: ((total - freemem()) / total) * 100,
      __system__p_memory_percent: (process.memoryUsage.rss() / total) * 100,
    };
    const disk = this.diskPercent();
    if (disk !== undefined) values['__system__disk_percent'] = disk;
    for (const [name, value] of Object.entries(values)) values[name] = Math.round(value * 1e6) / 1e6;
    return values;
  }

  private cpuPercent(): number {
    const now = performance.now();
    const usage = process.cpuUsage();
    const previous = this.lastCpu;
    const elapsedMs = now - this.lastAt;
    this.lastCpu = usage;
    this.lastAt = now;
    if (previous === undefined || elapsedMs <= 0) return 0;
    const usedMicros = usage.user - previous.user + (usage.system - previous.system);
    return (usedMicros / 1000 / elapsedMs) * 100;
  }

  private diskPercent(): number | undefined {
    try {
      const stats = statfsSync(this.diskPath);
      const used = (stats.blocks - stats.bfree) * stats.bsize;
      const available = stats.bavail * stats.bsize;
      return used + available === 0 ? 0 : (used / (used + available)) * 100;
    } catch {
      return undefined; // no such path or no statfs: the metric is left out, like Aim without psutil data
    }
  }
}
