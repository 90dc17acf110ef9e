import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (where package.json is). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Where provisioned peers live: outside the clone so that every clone (and CI) on this machine
 * reuses them. `AIM_OTEL_BRIDGE_CACHE` overrides it; default `$XDG_CACHE_HOME/aim-otel-bridge`,
 * else `~/.cache/aim-otel-bridge`.
 */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const override = env['AIM_OTEL_BRIDGE_CACHE'];
  if (override) return resolve(override);
  const xdg = env['XDG_CACHE_HOME'];
  return join(xdg ? resolve(xdg) : join(homedir(), '.cache'), 'aim-otel-bridge');
}

/**
 * A short, stable fingerprint of the files that decide what a peer build contains, so a change to
 * a pin file (go.mod, go.sum, constraints) lands in a new cache directory instead of a stale one.
 * Files are hashed in name order, each with its name, so renames count too.
 */
export function fingerprint(files: readonly string[]): string {
  const hash = createHash('sha256');
  for (const file of [...files].sort()) {
    hash.update(file.slice(REPO_ROOT.length)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 12);
}

/** The files directly in `dir` whose names pass `keep`, as absolute paths. */
export function filesIn(dir: string, keep: (name: string) => boolean): string[] {
  return readdirSync(dir)
    .filter(keep)
    .map((name) => join(dir, name));
}

/** The marker a provisioning step writes last: its presence means the step completed. */
export function stampPath(dir: string): string {
  return join(dir, '.complete');
}

/** Whether a peer directory was provisioned completely. */
export function isProvisioned(dir: string): boolean {
  return existsSync(stampPath(dir));
}
