import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as services from '../../src/up/aim-services.js';
import { isProvisioned } from './cache.js';
import { type AimInstall, aimInstall } from './provision-aim.js';

export type { AimServer, AimUi } from '../../src/up/aim-services.js';

/** The provisioned Aim, or an error that says how to get it. */
export function requireAim(): AimInstall {
  const install = aimInstall();
  if (!isProvisioned(install.dir)) {
    throw new Error(`Aim is not provisioned at ${install.dir}: run \`npm run peers\` first.`);
  }
  return install;
}

/** A fresh, initialised Aim repository in a new temporary directory; resolves to its path. */
export async function createAimRepo(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'aim-repo-'));
  await services.initAimRepo(requireAim().aim, dir);
  return dir;
}

/**
 * Starts the tests' `aim server` on a free loopback port for `repoDir` (default: a fresh
 * repository). Given the `repoDir` of a running server, it starts a second server on the same
 * repository (what that does and does not support:
 * test/collector-config/partitioned-aim-servers.int.test.ts).
 */
export async function startAimServer(options: { repoDir?: string; port?: number; env?: Record<string, string> } = {}): Promise<services.AimServer> {
  return services.startAimServer({ ...options, aim: requireAim().aim, repoDir: options.repoDir ?? (await createAimRepo()) });
}

/** Starts the tests' `aim up` for `repoDir` on a loopback port (default a free one). */
export async function startAimUi(options: { repoDir: string; port?: number }): Promise<services.AimUi> {
  return services.startAimUi({ ...options, aim: requireAim().aim });
}
