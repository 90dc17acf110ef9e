import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fingerprintOf } from '../../src/up/cache.js';

export { cacheRoot, isProvisioned, stampPath } from '../../src/up/cache.js';

/** The repository root (where package.json is). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * A short, stable fingerprint of the files that decide what a peer build contains, so a change to
 * a pin file (go.mod, go.sum, requirements) lands in a new cache directory instead of a stale one.
 * Files are hashed in name order, each with its name, so renames count too.
 */
export function fingerprint(files: readonly string[]): string {
  return fingerprintOf([...files].sort().flatMap((file) => [file.slice(REPO_ROOT.length), readFileSync(file)]));
}

/** The files directly in `dir` whose names pass `keep`, as absolute paths. */
export function filesIn(dir: string, keep: (name: string) => boolean): string[] {
  return readdirSync(dir)
    .filter(keep)
    .map((name) => join(dir, name));
}
