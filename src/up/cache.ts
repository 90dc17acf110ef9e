/**
 * Where `up` (and the tests) keep what they install: outside any project directory, so that every
 * project and every clone on a machine reuses one Aim install.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * The cache directory: `AIM_OTEL_BRIDGE_CACHE` if set, else `$XDG_CACHE_HOME/aim-otel-bridge`,
 * else `~/.cache/aim-otel-bridge`.
 */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const override = env['AIM_OTEL_BRIDGE_CACHE'];
  if (override) return resolve(override);
  const xdg = env['XDG_CACHE_HOME'];
  return join(xdg ? resolve(xdg) : join(homedir(), '.cache'), 'aim-otel-bridge');
}

/** A short, stable fingerprint of `parts` (12 hex digits), for cache directory names that change when what they hold changes. */
export function fingerprintOf(parts: readonly (string | Uint8Array)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest('hex').slice(0, 12);
}

/** The marker an install step writes last: its presence means the step completed. */
export function stampPath(dir: string): string {
  return join(dir, '.complete');
}

/** Whether an install directory was completed (an interrupted install has no stamp). */
export function isProvisioned(dir: string): boolean {
  return existsSync(stampPath(dir));
}
