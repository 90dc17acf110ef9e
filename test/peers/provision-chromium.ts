/**
 * Chromium for the browser test (playwright-core drives it headless): Debian's `chromium` package.
 * `AIM_OTEL_BRIDGE_CHROMIUM` names another binary. When none is installed, it is installed with
 * `apt-get` (as root, or through passwordless `sudo`); apt keeps its own package cache, so a
 * second machine-local run finds it installed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot } from './cache.js';
import { ProvisionError, progress, runStep } from '../../src/up/run-step.js';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

/** The Chromium binary to use, if one is installed. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const override = env['AIM_OTEL_BRIDGE_CHROMIUM'];
  if (override !== undefined && override !== '') return override;
  return CANDIDATES.find((path) => existsSync(path));
}

function version(binary: string): string {
  try {
    return execFileSync(binary, ['--version'], { encoding: 'utf8', timeout: 30_000 }).trim();
  } catch {
    return 'version unknown';
  }
}

/** Returns the Chromium binary, installing Debian's `chromium` first if there is none. */
export async function provisionChromium(): Promise<string> {
  const found = findChromium();
  if (found !== undefined) {
    progress(`chromium: ${found} (${version(found)})`);
    return found;
  }
  const asRoot = process.getuid?.() === 0;
  const [command, prefix] = asRoot ? ['apt-get', []] : ['sudo', ['-n', 'apt-get']];
  mkdirSync(cacheRoot(), { recursive: true });
  const logFile = join(cacheRoot(), 'chromium-provision.log');
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  try {
    await runStep('chromium: apt-get update', command, [...prefix, 'update', '-qq'], { logFile, env });
    await runStep('chromium: apt-get install chromium', command, [...prefix, 'install', '-y', '-qq', '--no-install-recommends', 'chromium'], { logFile, env });
  } catch (error) {
    throw new ProvisionError(
      `Chromium is needed for the browser test and could not be installed (${error instanceof Error ? error.message : String(error)}).\n` +
        "Install Debian's chromium (`sudo apt-get install chromium`), or set AIM_OTEL_BRIDGE_CHROMIUM to a Chromium binary.",
    );
  }
  const installed = findChromium();
  if (installed === undefined) throw new ProvisionError(`apt-get installed chromium but none of ${CANDIDATES.join(', ')} exists`);
  progress(`chromium: installed ${installed} (${version(installed)})`);
  return installed;
}
