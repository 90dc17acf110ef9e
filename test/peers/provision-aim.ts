import { type AimVenv, aimVenv, installAimVenv } from '../../src/up/aim-install.js';
import { AIM_VERSION } from '../../src/up/aim-constraints.js';
import { isProvisioned } from '../../src/up/cache.js';
import { progress } from '../../src/up/run-step.js';

/** Where the tests' Aim lives: the same cached venv `aim-otel-bridge up` installs and runs. */
export type AimInstall = AimVenv;

/** The tests' Aim (pinned version and dependency set), whether or not it is installed yet. */
export function aimInstall(): AimInstall {
  return aimVenv();
}

/** Installs the tests' Aim into the cache unless it is there (`up` installs the same venv). */
export async function provisionAim(): Promise<AimInstall> {
  const install = aimInstall();
  if (isProvisioned(install.dir)) {
    progress(`aim ${AIM_VERSION}: cached at ${install.dir}`);
    return install;
  }
  return installAimVenv(progress);
}
