/**
 * The package as users get it (issue 15): `npm pack`, then `npm install` of the tarball into a
 * fresh project that has only the required peer `@opentelemetry/api` — `@langchain/core` is an
 * optional peer, so npm does not install it. There:
 *
 * - the entries that do not need LangChain load from CommonJS (`require`, Node ≥ 20.19 loads ES
 *   modules) and from ES modules, and the source maps carry their sources (no `src/` is shipped);
 * - `npx aim-otel-bridge serve` receives OTLP and writes to a real aim server;
 * - the demo says which peer it lacks;
 *
 * then, after the `npm install` lines of the installed README.md (with the versions this checkout
 * tests), `npx aim-otel-bridge up --demo --once` runs the demo into Aim (Aim's SDK reads the run),
 * the root entry loads, and the README's TypeScript examples type-check under `moduleResolution`
 * `nodenext` and `bundler` and run against a real aim server, as a user would copy them.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { freePort } from '../../src/up/ports.js';
import { type AimServer, startAimServer } from '../peers/aim.js';
import { REPO_ROOT } from '../peers/cache.js';
import { CliProcess, printed } from '../peers/cli-process.js';
import { readAimRepo, readAimRun } from '../peers/oracle.js';
import { otlpJsonTrace, postOtlpJson } from '../peers/otlp-fixture.js';

const run = promisify(execFile);
const BIG_OUTPUT = 64 * 1024 * 1024;

/** Runs node with `args` in `cwd`; returns what it printed. */
async function node(cwd: string, args: readonly string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [...args], { cwd, maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

/** `name@version` with the version this checkout has installed (what the tests ran with). */
function pinned(name: string): string {
  const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string };
  return `${name}@${version}`;
}

/** The packages the README tells users to `npm install`, in the order it names them. */
function readmeInstalls(readme: string): string[] {
  const lines = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((match) => (match[1] ?? '').split('\n'));
  return [...new Set(lines.flatMap((line) => /^npm install (.+)$/.exec(line.replace(/#.*$/, '').trim())?.[1]?.split(/\s+/) ?? []))];
}

/** The README's TypeScript examples, as a reader copies them, pointed at the test's aim server and a free port. */
function readmeExamples(readme: string, aimUrl: string, port: number): string[] {
  return [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) =>
    (match[1] ?? '').replace(/aim:\/\/127\.0\.0\.1:53800/g, aimUrl).replace(/\b4319\b/g, String(port)),
  );
}

const TSCONFIG_BASE = { target: 'es2022', strict: true, skipLibCheck: false, types: ['node'], rootDir: 'examples' };

describe('the package installed from its tarball into a fresh project', function () {
  this.timeout(600_000);
  let dir: string;
  let app: string;
  let tarball: string;
  let server: AimServer;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'aim-otel-bridge-package-'));
    app = join(dir, 'app');
    const [aim] = await Promise.all([startAimServer(), run('npm', ['pack', '--pack-destination', dir], { cwd: REPO_ROOT, maxBuffer: BIG_OUTPUT })]);
    server = aim;
    const packed = readdirSync(dir).find((name) => name.endsWith('.tgz'));
    if (packed === undefined) throw new Error(`npm pack left no tarball in ${dir}`);
    tarball = join(dir, packed);
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
    await run('npm', ['install', '--no-audit', '--no-fund', tarball, '@opentelemetry/api@^1.9.0'], { cwd: app, maxBuffer: BIG_OUTPUT });
  });
  after(async () => {
    await server.process.stop();
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
      const required = JSON.parse(await node(app, ['--no-warnings', '-e', timed(`const m = require(${JSON.stringify(entry)})`)])) as {
        type: string;
        ms: number;
      };
      const imported = JSON.parse(await node(app, ['--input-type=module', '-e', timed(`const m = await import(${JSON.stringify(entry)})`)])) as {
        type: string;
        ms: number;
      };
      expect([required.type, imported.type]).to.deep.equal(['function', 'function']);
      console.log(`      ${entry}: require ${required.ms.toFixed(0)} ms, import ${imported.ms.toFixed(0)} ms (one cold process each)`);
    });
  }

  it('./exporter loads no @langchain module and no ws (the Aim client and ws come with the first connection)', async () => {
    // A module.register hook reports every ES module loaded; require.cache lists the CommonJS ones.
    const script = `
import { createRequire, register } from 'node:module';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
const { port1, port2 } = new MessageChannel();
register('data:text/javascript,' + encodeURIComponent('let p; export function initialize(d) { p = d.port; } export async function load(u, c, n) { p.postMessage(u); return n(u, c); }'), { data: { port: port2 }, transferList: [port2] });
await import('aim-otel-bridge/exporter');
const loaded = [];
for (let m; (m = receiveMessageOnPort(port1)); ) loaded.push(m.message);
loaded.push(...Object.keys(createRequire(import.meta.url).cache));
port1.close();
console.log(JSON.stringify(loaded));`;
    const loaded = JSON.parse(await node(app, ['--input-type=module', '-e', script])) as string[];
    expect(
      loaded.some((url) => url.includes('/aim-otel-bridge/dist/exporter/index.js')),
      'the hook saw the exporter',
    ).to.equal(true);
    expect(loaded.filter((url) => /\/node_modules\/(@langchain|ws)\//.test(url))).to.deep.equal([]);
  });

  it('ships no src/ and no test/, and its source maps carry their sources', () => {
    const installed = join(app, 'node_modules', 'aim-otel-bridge');
    expect(existsSync(join(installed, 'src'))).to.equal(false);
    expect(existsSync(join(installed, 'test'))).to.equal(false);
    const map = JSON.parse(readFileSync(join(installed, 'dist', 'exporter', 'aim-span-exporter.js.map'), 'utf8')) as {
      sources: string[];
      sourcesContent?: (string | null)[];
    };
    expect(map.sourcesContent?.length).to.equal(map.sources.length);
    expect(map.sourcesContent?.[0]).to.contain('class AimSpanExporter');
  });

  it('`npx aim-otel-bridge serve` receives OTLP and writes the span to aim server; Ctrl-C stops it cleanly', async () => {
    const serve = new CliProcess(['serve', '--aim-url', server.url, '--port', '0'], { installedIn: app });
    try {
      const [, url] = await serve.waitFor(/receiving OTLP\/HTTP on (http:\/\/127\.0\.0\.1:\d+)\//, 60_000);
      const { body } = otlpJsonTrace('installed-serve', 'chat gpt-4o-mini');
      expect(await postOtlpJson(url ?? '', body)).to.equal(200);
    } finally {
      await serve.stop();
    }
    await serve.exited; // npx itself ends by the signal; the bridge says how it stopped:
    const stopped = serve.stderr.split('\n').find((line) => line.includes('"msg":"stopped"'));
    expect(stopped, serve.stderr).to.contain('"received":1,"written":1,"dropped":0');
    const runs = (await readAimRepo(server.repoDir)).runs.filter((r) => r.experiment === 'installed-serve');
    expect(runs, 'runs of the served span').to.have.length(1);
  });

  it('`npx aim-otel-bridge demo` without @langchain/core names the peer to install and exits 2', async () => {
    const demo = new CliProcess(['demo', '--endpoint', 'http://127.0.0.1:9'], { installedIn: app });
    expect(await demo.exited).to.equal(2);
    expect(demo.stderr).to.contain('npm install @langchain/core');
  });

  describe("after the README's npm install lines", () => {
    let installs: string[];

    before(async () => {
      const readme = readFileSync(join(app, 'node_modules', 'aim-otel-bridge', 'README.md'), 'utf8');
      installs = readmeInstalls(readme);
      const packages = installs.map((name) => (name === 'aim-otel-bridge' ? tarball : pinned(name)));
      await run('npm', ['install', '--no-audit', '--no-fund', ...packages, pinned('typescript'), pinned('@types/node')], { cwd: app, maxBuffer: BIG_OUTPUT });
    });

    it('they name the package, its peers and what the examples import', () => {
      expect(installs).to.include.members(['aim-otel-bridge', '@opentelemetry/api', '@langchain/core']);
    });

    it("`npx aim-otel-bridge up --demo --once` finds Aim, runs the demo agent into it (read back by Aim's SDK) and stops", async () => {
      const dataDir = join(dir, 'aim-data');
      const up = new CliProcess(['up', '--demo', '--once', '--data-dir', dataDir, '--aim-port', '0', '--ui-port', '0', '--port', '0'], { installedIn: app });
      expect(await up.exited, `${up.stdout}\n${up.stderr}`).to.equal(0);
      const { runHash } = printed(up.stdout);
      const demoRun = await readAimRun(dataDir, runHash);
      expect(demoRun.experiment).to.equal('aim-otel-bridge-demo');
      const tokens = demoRun.sequences.filter((s) => s.name === 'gen_ai.usage.input_tokens').flatMap((s) => s.values);
      expect(tokens.sort()).to.deep.equal([112, 140, 40, 84]);
    });

    it('the root entry loads (it needs @langchain/core), from CommonJS and from an ES module', async () => {
      const probe = "console.log(typeof m.AimCallbackHandler, typeof m.GenAICallbackHandler, typeof m.AimSpanExporter, 'createReceiver' in m)";
      expect(await node(app, ['--no-warnings', '-e', `const m = require('aim-otel-bridge'); ${probe}`])).to.equal('function function function false');
      expect(await node(app, ['--input-type=module', '-e', `const m = await import('aim-otel-bridge'); ${probe}`])).to.equal(
        'function function function false',
      );
    });

    describe("the README's TypeScript examples", () => {
      let examples: string[];
      before(async () => {
        const readme = readFileSync(join(app, 'node_modules', 'aim-otel-bridge', 'README.md'), 'utf8');
        examples = readmeExamples(readme, server.url, await freePort());
        mkdirSync(join(app, 'examples'), { recursive: true });
        examples.forEach((code, index) => {
          writeFileSync(join(app, 'examples', `example-${String(index + 1)}.mts`), code);
        });
        const tsconfig = (compilerOptions: Record<string, unknown>): string =>
          JSON.stringify({ compilerOptions: { ...TSCONFIG_BASE, ...compilerOptions }, include: ['examples/*.mts'] });
        writeFileSync(join(app, 'tsconfig.nodenext.json'), tsconfig({ module: 'nodenext', moduleResolution: 'nodenext', outDir: 'out' }));
        writeFileSync(join(app, 'tsconfig.bundler.json'), tsconfig({ module: 'esnext', moduleResolution: 'bundler', noEmit: true }));
      });

      for (const resolution of ['nodenext', 'bundler'] as const) {
        it(`type-check with moduleResolution ${resolution} (strict, library types checked)`, async () => {
          expect(examples.length).to.be.greaterThanOrEqual(4);
          try {
            await run(join(app, 'node_modules', '.bin', 'tsc'), ['-p', `tsconfig.${resolution}.json`], { cwd: app, maxBuffer: BIG_OUTPUT });
          } catch (error) {
            const failed = error as { stdout?: string; message: string };
            throw new Error(`tsc (${resolution}) failed: ${failed.stdout ?? failed.message}`);
          }
        });
      }

      it('each runs as compiled (nodenext) and adds a run to Aim', async () => {
        expect(existsSync(join(app, 'out', 'example-1.mjs')), 'compiled by the nodenext type-check').to.equal(true);
        for (let index = 1; index <= examples.length; index += 1) {
          const before = (await readAimRepo(server.repoDir)).runs.map((r) => r.hash);
          try {
            await run(process.execPath, [join(app, 'out', `example-${String(index)}.mjs`)], { cwd: app, timeout: 120_000 });
          } catch (error) {
            const failed = error as { stdout?: string; stderr?: string; message: string };
            throw new Error(
              `README example ${String(index)} failed: ${failed.message}\n${failed.stdout ?? ''}\n${failed.stderr ?? ''}\n--- code ---\n${examples[index - 1] ?? ''}`,
            );
          }
          const after = (await readAimRepo(server.repoDir)).runs.map((r) => r.hash);
          expect(after.filter((hash) => !before.includes(hash)).length, `new runs of example ${String(index)}`).to.be.greaterThan(0);
        }
      });
    });
  });
});
