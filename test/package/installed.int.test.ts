/**
 * The package as users get it (issue 15, first part): `npm pack`, then `npm install` of the
 * tarball into a fresh project that has only the required peer `@opentelemetry/api` —
 * `@langchain/core` is an optional peer, so npm does not install it. There, the entries that do
 * not need LangChain load from CommonJS (`require`, Node ≥ 20.19 loads ES modules) and from ES
 * modules, and the source maps carry their sources (the package ships no `src/`).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { REPO_ROOT } from '../peers/cache.js';

const run = promisify(execFile);

/** Runs `script` with node in `cwd`; returns what it printed. */
async function node(cwd: string, args: readonly string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [...args], { cwd, maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

describe('the package installed from its tarball into a fresh project', function () {
  this.timeout(300_000);
  let dir: string;
  let app: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'aim-otel-bridge-package-'));
    app = join(dir, 'app');
    await run('npm', ['pack', '--pack-destination', dir], { cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024 });
    const tarball = readdirSync(dir).find((name) => name.endsWith('.tgz'));
    if (tarball === undefined) throw new Error(`npm pack left no tarball in ${dir}`);
    await run('mkdir', [app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
    await run('npm', ['install', '--no-audit', '--no-fund', join(dir, tarball), '@opentelemetry/api@^1.9.0'], { cwd: app, maxBuffer: 64 * 1024 * 1024 });
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('@langchain/core is an optional peer: not installed with the package', () => {
    expect(existsSync(join(app, 'node_modules', 'aim-otel-bridge', 'package.json'))).to.equal(true);
    expect(existsSync(join(app, 'node_modules', '@langchain', 'core'))).to.equal(false);
  });

  for (const [entry, name] of [
    ['aim-otel-bridge/exporter', 'AimSpanExporter'],
    ['aim-otel-bridge/receiver', 'createReceiver'],
    ['aim-otel-bridge/aim', 'AimRepo'],
  ] as const) {
    it(`${entry} loads without LangChain, from CommonJS (require) and from an ES module (import)`, async () => {
      const timed = (load: string): string =>
        `const t = process.hrtime.bigint(); ${load}; console.log(JSON.stringify({ type: typeof m[${JSON.stringify(name)}], ms: Number(process.hrtime.bigint() - t) / 1e6 }));`;
      const required = JSON.parse(await node(app, ['--no-warnings', '-e', timed(`const m = require(${JSON.stringify(entry)})`)])) as { type: string; ms: number };
      const imported = JSON.parse(await node(app, ['--input-type=module', '-e', timed(`const m = await import(${JSON.stringify(entry)})`)])) as { type: string; ms: number };
      expect([required.type, imported.type]).to.deep.equal(['function', 'function']);
      console.log(`      ${entry}: require ${required.ms.toFixed(0)} ms, import ${imported.ms.toFixed(0)} ms (one cold process each)`);
    });
  }

  it('ships no src/, and its source maps carry their sources', () => {
    const installed = join(app, 'node_modules', 'aim-otel-bridge');
    expect(existsSync(join(installed, 'src'))).to.equal(false);
    const map = JSON.parse(readFileSync(join(installed, 'dist', 'exporter', 'aim-span-exporter.js.map'), 'utf8')) as { sources: string[]; sourcesContent?: (string | null)[] };
    expect(map.sourcesContent?.length).to.equal(map.sources.length);
    expect(map.sourcesContent?.[0]).to.contain('class AimSpanExporter');
  });
});
