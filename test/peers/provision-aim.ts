import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, cacheRoot, fingerprint, isProvisioned, stampPath } from './cache.js';
import { progress, runStep } from './run-step.js';
import { PEER_VERSIONS } from './versions.js';

/** Where a provisioned Aim lives. */
export interface AimInstall {
  /** The cache directory of this Aim build. */
  dir: string;
  /** The venv's Python, with Aim's SDK importable (runs the oracle). */
  python: string;
  /** The `aim` CLI (`aim server`, `aim up`, `aim init`). */
  aim: string;
}

const CONSTRAINTS = join(REPO_ROOT, 'test', 'peers', 'aim-constraints.txt');

/** The Python interpreter that builds the venv: `AIM_OTEL_BRIDGE_PYTHON`, default `python3`. */
function basePython(): string {
  return process.env['AIM_OTEL_BRIDGE_PYTHON'] ?? 'python3';
}

function pythonVersion(python: string): string {
  try {
    return execFileSync(python, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], { encoding: 'utf8' }).trim();
  } catch (error) {
    throw new Error(`Python 3 is needed to install Aim, but \`${python}\` did not run (set AIM_OTEL_BRIDGE_PYTHON): ${String(error)}`);
  }
}

/** The paths of the Aim install for the pinned version, whether or not it exists yet. */
export function aimInstall(): AimInstall {
  const key = `aim-${PEER_VERSIONS.aim}-py${pythonVersion(basePython())}-${fingerprint([CONSTRAINTS])}`;
  const dir = join(cacheRoot(), key);
  return { dir, python: join(dir, 'venv', 'bin', 'python'), aim: join(dir, 'venv', 'bin', 'aim') };
}

/**
 * Installs Aim (pinned version, dependency set from aim-constraints.txt) into a venv in the cache,
 * unless it is there already. A venv cannot be moved, so it is built in place and marked complete
 * last; an incomplete one (an interrupted run) is wiped and built again.
 */
export async function provisionAim(): Promise<AimInstall> {
  const install = aimInstall();
  const label = `aim ${PEER_VERSIONS.aim}`;
  if (isProvisioned(install.dir)) {
    progress(`${label}: cached at ${install.dir}`);
    return install;
  }
  rmSync(install.dir, { recursive: true, force: true });
  mkdirSync(install.dir, { recursive: true });
  const logFile = join(install.dir, 'provision.log');
  await runStep(`${label}: creating a Python venv`, basePython(), ['-m', 'venv', join(install.dir, 'venv')], { logFile });
  await runStep(
    `${label}: pip install aim==${PEER_VERSIONS.aim}`,
    install.python,
    ['-m', 'pip', 'install', '--no-input', '--disable-pip-version-check', `aim==${PEER_VERSIONS.aim}`, '-c', CONSTRAINTS],
    { logFile },
  );
  await runStep(`${label}: checking the aim CLI`, install.aim, ['version'], { logFile });
  writeFileSync(stampPath(install.dir), `aim ${PEER_VERSIONS.aim}\n`);
  return install;
}
