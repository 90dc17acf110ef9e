/**
 * Finds the `aim` command `up` runs: the one the user names, else an `aim` on PATH of the pinned
 * version, else a venv in the user's cache — installed on first use with `python3 -m venv` and pip,
 * with progress lines, from the dependency set the tests verified ({@link AIM_CONSTRAINTS}).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AIM_CONSTRAINTS, AIM_VERSION } from './aim-constraints.js';
import { cacheRoot, fingerprintOf, isProvisioned, stampPath } from './cache.js';
import { basePython, pythonVersion } from './python.js';
import { type Print, runStep } from './run-step.js';

const run = promisify(execFile);

/** A venv holding the pinned Aim, whether or not it is installed yet. */
export interface AimVenv {
  /** The cache directory of this install. */
  dir: string;
  /** The venv's Python, with Aim's SDK importable. */
  python: string;
  /** The venv's `aim` command (`aim server`, `aim up`, `aim init`). */
  aim: string;
}

/** The `aim` command `up` runs, and where it came from (for the progress line). */
export interface FoundAim {
  aim: string;
  /** The version `aim version` reported. */
  version: string;
  origin: 'given' | 'PATH' | 'cache' | 'installed';
}

/** The venv of the pinned Aim for `python` (default {@link basePython}), in the cache. */
export function aimVenv(python = basePython()): AimVenv {
  const key = `aim-${AIM_VERSION}-py${pythonVersion(python)}-${fingerprintOf(AIM_CONSTRAINTS)}`;
  const dir = join(cacheRoot(), key);
  return { dir, python: join(dir, 'venv', 'bin', 'python'), aim: join(dir, 'venv', 'bin', 'aim') };
}

/**
 * Installs the pinned Aim into its venv in the cache unless it is there. A venv cannot be moved,
 * so it is built in place and stamped complete last; an incomplete one (an interrupted install)
 * is wiped and built again. Progress goes to `print`, pip's output to `provision.log` beside it.
 */
export async function installAimVenv(print: Print, python = basePython()): Promise<AimVenv> {
  const venv = aimVenv(python);
  if (isProvisioned(venv.dir)) return venv;
  rmSync(venv.dir, { recursive: true, force: true });
  mkdirSync(venv.dir, { recursive: true });
  const logFile = join(venv.dir, 'provision.log');
  const constraints = join(venv.dir, 'constraints.txt');
  writeFileSync(constraints, `${AIM_CONSTRAINTS.join('\n')}\n`);
  const label = `aim ${AIM_VERSION}`;
  const options = { logFile, print, heartbeatMs: 15_000 };
  await runStep(`${label}: creating a Python venv in ${venv.dir}`, python, ['-m', 'venv', join(venv.dir, 'venv')], options);
  await runStep(
    `${label}: pip install aim==${AIM_VERSION} (about a minute)`,
    venv.python,
    ['-m', 'pip', 'install', '--no-input', '--disable-pip-version-check', `aim==${AIM_VERSION}`, '-c', constraints],
    options,
  );
  await runStep(`${label}: checking the aim command`, venv.aim, ['version'], options);
  writeFileSync(stampPath(venv.dir), `aim ${AIM_VERSION}\n`);
  return venv;
}

/** The version `aim version` prints (`Aim v3.29.1` → `3.29.1`), or undefined when `aim` does not run. */
export async function aimVersionOf(aim: string): Promise<string | undefined> {
  try {
    const { stdout } = await run(aim, ['version'], { timeout: 60_000 });
    return /(\d+\.\d+\.\d+\S*)/.exec(stdout)?.[1];
  } catch {
    return undefined;
  }
}

/** The `aim` given to `up` did not run. */
export class AimNotFoundError extends Error {
  override readonly name = 'AimNotFoundError';
}

/**
 * The `aim` command to run: `given` (the `--aim` flag) if set — any version, the user chose it;
 * else `aim` on PATH if it is {@link AIM_VERSION}; else the cached venv, installed if missing.
 */
export async function findAim(options: { given?: string; print: Print }): Promise<FoundAim> {
  if (options.given !== undefined) {
    const version = await aimVersionOf(options.given);
    if (version === undefined)
      throw new AimNotFoundError(`\`${options.given} version\` did not run: --aim must name Aim's command, e.g. /path/to/venv/bin/aim`);
    return { aim: options.given, version, origin: 'given' };
  }
  const onPath = await aimVersionOf('aim');
  if (onPath === AIM_VERSION) return { aim: 'aim', version: onPath, origin: 'PATH' };
  if (onPath !== undefined)
    options.print(`aim on PATH is ${onPath}, not the tested ${AIM_VERSION}: using a venv of ${AIM_VERSION} instead (or pass --aim aim)`);
  const cached = aimVenv();
  if (isProvisioned(cached.dir)) return { aim: cached.aim, version: AIM_VERSION, origin: 'cache' };
  const installed = await installAimVenv(options.print);
  return { aim: installed.aim, version: AIM_VERSION, origin: 'installed' };
}
