import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isProvisioned } from './cache.js';
import { answersOk } from './http.js';
import { PeerProcess } from './peer-process.js';
import { freePort } from './ports.js';
import { type AimInstall, aimInstall } from './provision-aim.js';

const run = promisify(execFile);

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
  await run(requireAim().aim, ['init', '--repo', dir]);
  return dir;
}

/** A running `aim server` (remote tracking) on a loopback port. */
export interface AimServer {
  process: PeerProcess;
  /** The repository directory it serves. */
  repoDir: string;
  /** `aim://127.0.0.1:PORT`, what clients connect to. */
  url: string;
  /** `http://127.0.0.1:PORT`, for the HTTP endpoints. */
  httpUrl: string;
  port: number;
}

/**
 * Starts `aim server` on a free loopback port for `repoDir` (default: a fresh repository) and
 * waits until `GET /status/` answers. Given the `repoDir` of a running server, it starts a second
 * server on the same repository (what that does and does not support:
 * test/collector-config/partitioned-aim-servers.int.test.ts). `env` adds environment variables, e.g. `{ __AIM_LOG_LEVEL__: '20' }` makes Aim's SQLAlchemy
 * engine log every SQL statement.
 */
export async function startAimServer(
  options: { repoDir?: string; port?: number; env?: Record<string, string> } = {},
): Promise<AimServer> {
  const repoDir = options.repoDir ?? (await createAimRepo());
  const port = options.port ?? (await freePort());
  const httpUrl = `http://127.0.0.1:${String(port)}`;
  const process = await PeerProcess.start({
    name: 'aim-server',
    command: requireAim().aim,
    args: ['server', '--repo', repoDir, '--host', '127.0.0.1', '--port', String(port), '--yes'],
    ...(options.env ? { env: options.env } : {}),
    isReady: () => answersOk(`${httpUrl}/status/`),
  });
  return { process, repoDir, url: `aim://127.0.0.1:${String(port)}`, httpUrl, port };
}

/** A running `aim up` (the UI and its web API, plus the run indexer) on a loopback port. */
export interface AimUi {
  process: PeerProcess;
  repoDir: string;
  /** `http://127.0.0.1:PORT`: the UI, with the web API under `/api`. */
  url: string;
}

/** Starts `aim up` for `repoDir` on a loopback port (default a free one) and waits until `GET /api/projects/` answers. */
export async function startAimUi(options: { repoDir: string; port?: number }): Promise<AimUi> {
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${String(port)}`;
  const process = await PeerProcess.start({
    name: 'aim-up',
    command: requireAim().aim,
    args: ['up', '--repo', options.repoDir, '--host', '127.0.0.1', '--port', String(port), '--yes'],
    isReady: () => answersOk(`${url}/api/projects/`),
    readyTimeoutMs: 90_000,
  });
  return { process, repoDir: options.repoDir, url };
}
