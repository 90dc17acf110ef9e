import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './cache.js';
import { requireAim } from './aim.js';

const run = promisify(execFile);

/** A JSON value as the oracle prints it (non-finite floats as "NaN", "inf", "-inf"). */
export type OracleValue = null | boolean | number | string | OracleValue[] | { [key: string]: OracleValue };

/** One sequence of a run, as Aim's SDK reads it back. */
export interface OracleSequence {
  name: string;
  context: Record<string, OracleValue>;
  /** Aim's dtype: `float`, `int`, `aim.text`, `aim.figure`, `aim.log_line`, ... */
  dtype: string;
  steps: number[];
  /** Metric values, texts as strings, figures as {@link OracleFigure}s. */
  values: OracleValue[];
  /** null where no epoch was tracked. */
  epochs: (number | null)[];
}

/**
 * A figure (`aim.Figure`) as Aim's SDK reads it back: `Figure.json()` (source, format, version)
 * and `Figure.data`, the plotly JSON text.
 */
export interface OracleFigure {
  source: string;
  format: string;
  version: string;
  data: string;
}

/** Whether an oracle value is a figure ({@link OracleFigure}). */
export function isOracleFigure(value: OracleValue | undefined): value is OracleValue & OracleFigure {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  return ['source', 'format', 'version', 'data'].every((key) => typeof value[key] === 'string') && Object.keys(value).length === 4;
}

/** One run, as Aim's SDK reads it back. */
export interface OracleRun {
  hash: string;
  experiment: string | null;
  name: string | null;
  description: string | null;
  tags: string[];
  /** The run's params tree (`run[key] = value`). */
  params: Record<string, OracleValue>;
  /** Seconds since the epoch (UTC). */
  creation_time: number;
  end_time: number | null;
  active: boolean;
  archived: boolean;
  sequences: OracleSequence[];
}

export interface OracleReport {
  aim_version: string;
  runs: OracleRun[];
}

const ORACLE_SCRIPT = join(REPO_ROOT, 'test', 'peers', 'aim_oracle.py');

/**
 * Reads the Aim repository in `repoDir` with Aim's own SDK and returns every run, or only
 * `runHashes` when given. Freshly written runs are indexed first unless `index` is false.
 */
export async function readAimRepo(repoDir: string, runHashes: readonly string[] = [], options: { index?: boolean } = {}): Promise<OracleReport> {
  const args = [ORACLE_SCRIPT, '--repo', repoDir, ...runHashes.flatMap((hash) => ['--run', hash])];
  if (options.index === false) args.push('--no-index');
  const { stdout } = await run(requireAim().python, args, { maxBuffer: 1024 * 1024 * 1024 });
  return JSON.parse(stdout) as OracleReport;
}

/** One run of the repository in `repoDir`, read by the oracle; throws when it has no run `hash`. */
export async function readAimRun(repoDir: string, hash: string): Promise<OracleRun> {
  const report = await readAimRepo(repoDir, [hash]);
  const run = report.runs.find((r) => r.hash === hash);
  if (!run) throw new Error(`the oracle does not find run ${hash} in ${repoDir}`);
  return run;
}

/**
 * Runs Aim query language expressions over the repository in `repoDir` with Aim's own SDK
 * (`repo.query_runs(expression)`, what the UI's search box runs; freshly written runs are indexed
 * first) and returns, for each, the hashes of the runs it matches, sorted.
 */
export async function queryAimRuns(repoDir: string, expressions: readonly string[]): Promise<Record<string, string[]>> {
  const args = [ORACLE_SCRIPT, '--repo', repoDir, ...expressions.flatMap((expression) => ['--query', expression])];
  const { stdout } = await run(requireAim().python, args, { maxBuffer: 64 * 1024 * 1024 });
  return (JSON.parse(stdout) as { queries: Record<string, string[]> }).queries;
}
