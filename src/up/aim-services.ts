/**
 * `aim server` (remote tracking) and `aim up` (the UI) as child processes on loopback, started
 * and awaited until they answer.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { answersOk } from './http.js';
import { PeerProcess } from './peer-process.js';
import { freePort } from './ports.js';

const run = promisify(execFile);

/** `aim init --repo <dir>`: makes `dir` an Aim repository (`dir/.aim`). */
export async function initAimRepo(aim: string, dir: string): Promise<void> {
  await run(aim, ['init', '--repo', dir]);
}

/** A running `aim server` on a loopback port. */
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

/** Where and how to start `aim server`. */
export interface AimServerOptions {
  /** The `aim` command. */
  aim: string;
  /** An initialised repository. */
  repoDir: string;
  /** Loopback port. @default a free port */
  port?: number;
  /** Extra environment variables, e.g. `{ __AIM_LOG_LEVEL__: '20' }` (Aim's SQL log). */
  env?: Record<string, string>;
}

/** Starts `aim server` for `repoDir` on loopback and waits until `GET /status/` answers. */
export async function startAimServer(options: AimServerOptions): Promise<AimServer> {
  const port = options.port ?? (await freePort());
  const httpUrl = `http://127.0.0.1:${String(port)}`;
  const process = await PeerProcess.start({
    name: 'aim-server',
    command: options.aim,
    args: ['server', '--repo', options.repoDir, '--host', '127.0.0.1', '--port', String(port), '--yes'],
    ...(options.env ? { env: options.env } : {}),
    isReady: () => answersOk(`${httpUrl}/status/`),
  });
  return { process, repoDir: options.repoDir, url: `aim://127.0.0.1:${String(port)}`, httpUrl, port };
}

/** A running `aim up` (the UI and its web API, plus the run indexer) on a loopback port. */
export interface AimUi {
  process: PeerProcess;
  repoDir: string;
  /** `http://127.0.0.1:PORT`: the UI, with the web API under `/api`. */
  url: string;
}

/** Starts `aim up` for `repoDir` on loopback (default a free port) and waits until `GET /api/projects/` answers. */
export async function startAimUi(options: { aim: string; repoDir: string; port?: number }): Promise<AimUi> {
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${String(port)}`;
  const process = await PeerProcess.start({
    name: 'aim-up',
    command: options.aim,
    args: ['up', '--repo', options.repoDir, '--host', '127.0.0.1', '--port', String(port), '--yes'],
    isReady: () => answersOk(`${url}/api/projects/`),
    readyTimeoutMs: 90_000,
  });
  return { process, repoDir: options.repoDir, url };
}
