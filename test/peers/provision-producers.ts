import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, cacheRoot, fingerprint, isProvisioned, stampPath } from './cache.js';
import { ProvisionError, formatDuration, progress, runStep } from '../../src/up/run-step.js';
import { basePython, pythonVersion } from '../../src/up/python.js';
import { PEER_VERSIONS } from './versions.js';

/** The producer venvs: `main` holds all three instrumentations, `util-genai-1` openai-v2 on util-genai 1.x. */
export type ProducerVenv = 'main' | 'util-genai-1';

/** Where a provisioned producers venv lives. */
export interface ProducersInstall {
  venv: ProducerVenv;
  /** The cache directory of this build. */
  dir: string;
  /** The venv's Python (runs test/peers/producers/drive.py). */
  python: string;
}

/** The directory of the producers' pin files and driver. */
export const PRODUCERS_DIR = join(REPO_ROOT, 'test', 'peers', 'producers');

interface VenvSpec {
  /** The fully pinned requirements (every transitive dependency with ==). */
  requirements: string;
  /** Cache key prefix (carries the headline versions). */
  key: string;
  /** `name==version` lines the requirements file must contain (kept in step with versions.ts). */
  pins: readonly string[];
  /** Modules that must import afterwards. */
  imports: readonly string[];
}

const VENVS: Readonly<Record<ProducerVenv, VenvSpec>> = {
  main: {
    requirements: join(PRODUCERS_DIR, 'requirements.txt'),
    key: `producers-v2-${PEER_VERSIONS.openaiV2}-tl-${PEER_VERSIONS.traceloop}-oi-${PEER_VERSIONS.openinference}`,
    pins: [
      `opentelemetry-instrumentation-openai-v2==${PEER_VERSIONS.openaiV2}`,
      `opentelemetry-util-genai==${PEER_VERSIONS.utilGenai}`,
      `traceloop-sdk==${PEER_VERSIONS.traceloop}`,
      `openinference-instrumentation-openai==${PEER_VERSIONS.openinference}`,
    ],
    imports: [
      'opentelemetry.instrumentation.openai_v2',
      'traceloop.sdk',
      'openinference.instrumentation.openai',
      'opentelemetry.exporter.otlp.proto.http.trace_exporter',
    ],
  },
  'util-genai-1': {
    requirements: join(PRODUCERS_DIR, 'requirements-util-genai-1.txt'),
    key: `producers-util-genai-${PEER_VERSIONS.utilGenaiNext}`,
    pins: [`opentelemetry-instrumentation-openai-v2==${PEER_VERSIONS.openaiV2}`, `opentelemetry-util-genai==${PEER_VERSIONS.utilGenaiNext}`],
    imports: ['opentelemetry.instrumentation.openai_v2', 'opentelemetry.exporter.otlp.proto.http.trace_exporter'],
  },
};

/** The paths of a producers venv for the pinned versions, whether or not it exists yet. */
export function producersInstall(venv: ProducerVenv = 'main'): ProducersInstall {
  const spec = VENVS[venv];
  const dir = join(cacheRoot(), `${spec.key}-py${pythonVersion(basePython())}-${fingerprint([spec.requirements])}`);
  return { venv, dir, python: join(dir, 'venv', 'bin', 'python') };
}

/** The producers venv, or an error saying how to provision it. */
export function requireProducers(venv: ProducerVenv = 'main'): ProducersInstall {
  const install = producersInstall(venv);
  if (!isProvisioned(install.dir)) {
    throw new Error(`the GenAI producers (${venv} venv) are not provisioned at ${install.dir}: run \`npm run peers\` (or \`npm run peers -- producers\`)`);
  }
  return install;
}

function checkPins(spec: VenvSpec): void {
  const lines = new Set(
    readFileSync(spec.requirements, 'utf8')
      .split('\n')
      .map((line) => line.trim()),
  );
  const missing = spec.pins.filter((pin) => !lines.has(pin));
  if (missing.length > 0) throw new ProvisionError(`${spec.requirements} does not pin ${missing.join(', ')} (versions.ts says so)`);
}

async function provisionVenv(venv: ProducerVenv): Promise<ProducersInstall> {
  const spec = VENVS[venv];
  checkPins(spec);
  const install = producersInstall(venv);
  const label = `producers (${venv})`;
  if (isProvisioned(install.dir)) {
    progress(`${label}: cached at ${install.dir}`);
    return install;
  }
  const started = Date.now();
  rmSync(install.dir, { recursive: true, force: true });
  mkdirSync(install.dir, { recursive: true });
  const logFile = join(install.dir, 'provision.log');
  await runStep(`${label}: creating a Python venv`, basePython(), ['-m', 'venv', join(install.dir, 'venv')], { logFile });
  // Every dependency is pinned, so --no-deps installs exactly the file; pip check proves it is whole.
  await runStep(
    `${label}: pip install -r ${spec.requirements.slice(REPO_ROOT.length + 1)}`,
    install.python,
    ['-m', 'pip', 'install', '--no-input', '--disable-pip-version-check', '--no-deps', '-r', spec.requirements],
    { logFile },
  );
  await runStep(`${label}: pip check`, install.python, ['-m', 'pip', 'check'], { logFile });
  await runStep(`${label}: checking the imports`, install.python, ['-c', spec.imports.map((name) => `import ${name}`).join('; ')], { logFile });
  writeFileSync(stampPath(install.dir), `${spec.pins.join('\n')}\n`);
  progress(`${label}: installed in ${formatDuration(Date.now() - started)}`);
  return install;
}

/**
 * Installs the real Python GenAI producers into venvs in the cache, unless they are there: the
 * main venv (opentelemetry-instrumentation-openai-v2 on util-genai 0.4b0, traceloop-sdk,
 * openinference-instrumentation-openai) and a small one with openai-v2 on util-genai 1.x. Each
 * is built in place from its fully pinned requirements file and marked complete last.
 */
export async function provisionProducers(): Promise<ProducersInstall[]> {
  return [await provisionVenv('main'), await provisionVenv('util-genai-1')];
}
