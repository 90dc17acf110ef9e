import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot, filesIn, fingerprint, isProvisioned, stampPath } from './cache.js';
import { progress, runStep } from '../../src/up/run-step.js';

/** A Go program built from one of the project's pinned Go modules. */
export interface GoBinarySpec {
  /** What progress lines call it, e.g. `otelcol-aim v0.161.0`. */
  label: string;
  /** Cache directory name prefix, e.g. `otelcol-aim-v0.161.0`. */
  cacheName: string;
  /** The directory holding go.mod and go.sum (they pin every dependency). */
  moduleDir: string;
  /** The package to build, relative to the module (`.`) or an import path of a `tool` dependency. */
  pkg: string;
  /** The file name of the binary. */
  binaryName: string;
  /** Arguments of a quick run that proves the binary works (e.g. `--version`). */
  checkArgs: readonly string[];
}

/** Where a built Go binary is, for the spec's current go.mod/go.sum/sources. */
export function goBinaryPath(spec: GoBinarySpec): { dir: string; binary: string } {
  const key = fingerprint(filesIn(spec.moduleDir, (name) => /^go\.(mod|sum)$|\.go$/.test(name)));
  const dir = join(cacheRoot(), `${spec.cacheName}-${key}`);
  return { dir, binary: join(dir, spec.binaryName) };
}

/**
 * The environment every Go step runs with: the module proxy only as go.sum allows (readonly
 * modules), the installed toolchain only (no toolchain downloads), and a static binary.
 * The module and build caches are Go's defaults, so they are shared with the user's other work.
 */
export const GO_ENV: Record<string, string> = {
  GOFLAGS: '-mod=readonly -buildvcs=false',
  GOTOOLCHAIN: 'local',
  CGO_ENABLED: '0',
};

/**
 * Builds the binary unless the cache already has it for exactly these pins: downloads the modules
 * go.sum pins, compiles to a temporary name and renames it into place, then marks it complete.
 */
export async function provisionGoBinary(spec: GoBinarySpec): Promise<string> {
  const { dir, binary } = goBinaryPath(spec);
  if (isProvisioned(dir)) {
    progress(`${spec.label}: cached at ${binary}`);
    return binary;
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const logFile = join(dir, 'provision.log');
  const options = { cwd: spec.moduleDir, env: GO_ENV, logFile };
  await runStep(`${spec.label}: downloading Go modules`, 'go', ['mod', 'download'], options);
  const partial = `${binary}.partial`;
  await runStep(`${spec.label}: compiling`, 'go', ['build', '-trimpath', '-ldflags=-s -w', '-o', partial, spec.pkg], options);
  renameSync(partial, binary);
  await runStep(`${spec.label}: checking the binary`, binary, spec.checkArgs, { logFile });
  writeFileSync(stampPath(dir), `${spec.label}\n`);
  return binary;
}
