/**
 * `__system_params`, the run param Aim's Python SDK writes with `log_system_params=True`, for a
 * Node.js process: `{packages, env_variables, git_info, executable, arguments}`.
 *
 * - `packages`: the dependencies of the application's `package.json` (the one in the working
 *   directory), with the version installed in `node_modules`, else the declared range (read once).
 * - `env_variables`: the environment without any variable whose name contains `secret`, `key`,
 *   `token` or `password` (case-insensitive) — Aim's rule — nor `auth`, `credential` or `cookie`.
 * - `git_info`: `{branch, remote_origin_url, commit: {hash, timestamp, author}}` of the working
 *   directory's repository, `{}` outside one (as Aim: `git` commands, short hash, ISO date).
 * - `executable`: the Node.js binary; `arguments`: `process.argv`.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** What {@link collectSystemParams} reads; every field defaults to this process's own. */
export interface SystemParamsSource {
  cwd?: string;
  env?: Readonly<Record<string, string | undefined>>;
  argv?: readonly string[];
  executable?: string;
}

/** A JSON-like param value. */
export type SystemParamValue = string | number | boolean | null | readonly SystemParamValue[] | { readonly [key: string]: SystemParamValue };

/** Name parts that mark an environment variable as secret. Aim's four, plus three more. */
const SECRET_MARKERS = ['secret', 'key', 'token', 'password', 'auth', 'credential', 'cookie'];

export function collectSystemParams(source: SystemParamsSource = {}): Record<string, SystemParamValue> {
  const cwd = source.cwd ?? process.cwd();
  return {
    packages: packages(cwd),
    env_variables: withoutSecrets(source.env ?? process.env),
    git_info: gitInfo(cwd),
    executable: source.executable ?? process.execPath,
    arguments: [...(source.argv ?? process.argv)],
  };
}

/** The environment minus variables whose name looks secret. */
export function withoutSecrets(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (SECRET_MARKERS.some((marker) => lower.includes(marker))) continue;
    kept[name] = value;
  }
  return kept;
}

function readJson(path: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The installed packages do not change while the process runs, and reading them is one file per
 * dependency: read once per directory (the last one asked for is kept), not on every new run.
 */
let packagesCache: { cwd: string; packages: Readonly<Record<string, string>> } | undefined;

function packages(cwd: string): Record<string, string> {
  if (packagesCache?.cwd !== cwd) packagesCache = { cwd, packages: readPackages(cwd) };
  return { ...packagesCache.packages };
}

function readPackages(cwd: string): Record<string, string> {
  const manifest = readJson(join(cwd, 'package.json'));
  const result: Record<string, string> = {};
  for (const field of ['dependencies', 'devDependencies', 'optionalDependencies']) {
    const declared = manifest?.[field];
    if (typeof declared !== 'object' || declared === null) continue;
    for (const [name, range] of Object.entries(declared)) {
      const installed = readJson(join(cwd, 'node_modules', name, 'package.json'))?.['version'];
      result[name] = typeof installed === 'string' ? installed : String(range);
    }
  }
  return result;
}

function git(cwd: string, args: readonly string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5_000 }).trim();
  } catch {
    return undefined;
  }
}

function gitInfo(cwd: string): Record<string, SystemParamValue> {
  if (git(cwd, ['rev-parse', '--is-inside-work-tree'])?.toLowerCase() !== 'true') return {};
  const [hash, timestamp, author] = (git(cwd, ['log', '--pretty=format:%h/%ad/%an', '--date=iso-strict', '-1']) ?? '').split('/');
  return {
    branch: git(cwd, ['rev-parse', '--abbrev-ref', 'HEAD']) ?? null,
    remote_origin_url: git(cwd, ['config', '--get', 'remote.origin.url']) ?? null,
    commit: { hash: hash || null, timestamp: timestamp || null, author: author || null },
  };
}
