/**
 * The Python that builds venvs (Aim's for `up`; the tests' producers too), and a clear error when
 * there is none.
 */
import { execFileSync } from 'node:child_process';

/** Python is missing, too old, or cannot make venvs; the message says what to install. */
export class PythonMissingError extends Error {
  override readonly name = 'PythonMissingError';
}

/** The Python interpreter that builds venvs: `AIM_OTEL_BRIDGE_PYTHON`, default `python3`. */
export function basePython(env: NodeJS.ProcessEnv = process.env): string {
  return env['AIM_OTEL_BRIDGE_PYTHON'] ?? 'python3';
}

const HOW_TO_GET_PYTHON =
  'Install Python 3.9–3.12 with its venv module (Debian/Ubuntu: `sudo apt install python3 python3-venv`; macOS: `brew install python@3.11`), ' +
  'or point AIM_OTEL_BRIDGE_PYTHON at one, or install Aim yourself (`pip install aim`) and pass `--aim <path to the aim command>`.';

const versions = new Map<string, string>();

/**
 * `major.minor` of `python`, checking on the way that it can build a venv (`venv` and `ensurepip`
 * import). Throws a {@link PythonMissingError} that says what to install when it cannot.
 */
export function pythonVersion(python: string): string {
  const known = versions.get(python);
  if (known !== undefined) return known;
  let output: string;
  try {
    output = execFileSync(python, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2]); import venv, ensurepip'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    const stderr = (error as { stderr?: unknown }).stderr;
    if (typeof stderr === 'string' && /No module named '?(ensurepip|venv)/.test(stderr)) {
      throw new PythonMissingError(`\`${python}\` cannot create virtual environments (its venv/ensurepip module is missing). ${HOW_TO_GET_PYTHON}`);
    }
    throw new PythonMissingError(`Aim runs on Python, but \`${python}\` did not run (${(error as Error).message.split('\n')[0] ?? ''}). ${HOW_TO_GET_PYTHON}`);
  }
  const version = output.trim().split('\n')[0] ?? '';
  const [major, minor] = version.split('.').map(Number);
  if (major !== 3 || minor === undefined || minor < 9) {
    throw new PythonMissingError(`\`${python}\` is Python ${version}; Aim needs Python 3.9 or newer. ${HOW_TO_GET_PYTHON}`);
  }
  versions.set(python, version);
  return version;
}
