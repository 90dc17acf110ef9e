/**
 * Issue 8, point 6: every code example of README.md runs. TypeScript examples run as written
 * (a module each, `node --import tsx`) against a real aim server, with three substitutions a
 * reader would make for their own setup: the package imports point at this checkout's sources,
 * `aim://127.0.0.1:53800` at the test's server, port 4319 at a free port. Each must exit 0 and add
 * a run to Aim (read by Aim's own SDK). Shell examples name only commands that exist: npm scripts
 * of package.json, packages it knows, CLI subcommands and flags `--help` lists, the pinned Aim,
 * files the package ships. Links resolve from the installed package or into the repository.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { type AimServer, startAimServer } from './peers/aim.js';
import { REPO_ROOT } from './peers/cache.js';
import { readAimRepo } from './peers/oracle.js';
import { AIM_VERSION } from '../src/up/aim-constraints.js';
import { freePort } from '../src/up/ports.js';

const run = promisify(execFile);

interface PackageManifest {
  name: string;
  scripts: Record<string, string>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}
const README = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
const blocks = [...README.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((match) => ({ lang: match[1] ?? '', code: match[2] ?? '' }));
// Inside node_modules: packages resolve from there, and neither tsc nor eslint looks at it.
const EXAMPLES_DIR = join(REPO_ROOT, 'node_modules', '.cache', 'readme-examples');

/** The example as this checkout runs it (see the module comment). */
function localised(code: string, aimUrl: string, receiverPort: number): string {
  return code
    .replace(/from 'aim-otel-bridge'/g, `from '${join(REPO_ROOT, 'src', 'index.ts')}'`)
    .replace(/from 'aim-otel-bridge\/(\w+)'/g, (_, module: string) => `from '${join(REPO_ROOT, 'src', module, 'index.ts')}'`)
    .replace(/aim:\/\/127\.0\.0\.1:53800/g, aimUrl)
    .replace(/\b4319\b/g, String(receiverPort));
}

async function runHashes(server: AimServer): Promise<string[]> {
  return (await readAimRepo(server.repoDir)).runs.map((r) => r.hash);
}

describe('README.md: every code example runs', function () {
  this.timeout(300_000);
  let server: AimServer;

  let shipped: string[];

  before(async () => {
    server = await startAimServer();
    mkdirSync(EXAMPLES_DIR, { recursive: true });
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024 });
    shipped = (JSON.parse(stdout) as { files: { path: string }[] }[])[0]?.files.map((file) => file.path) ?? [];
  });
  after(async () => {
    await server.process.stop();
  });

  const typescript = blocks.filter((block) => block.lang === 'ts');
  it('has TypeScript examples for the three ways in and the Aim client', () => {
    expect(typescript.map((block) => /AimCallbackHandler|AimSpanExporter|createReceiver|AimRepo/.exec(block.code)?.[0])).to.have.members([
      'AimCallbackHandler',
      'AimSpanExporter',
      'createReceiver',
      'AimRepo',
    ]);
  });

  typescript.forEach((block, index) => {
    const firstImport = /import \{ ([^}]+) \} from 'aim-otel-bridge[^']*'/.exec(block.code)?.[1] ?? '';
    it(`example ${String(index + 1)} (${firstImport.trim()}) runs and writes a run to Aim`, async () => {
      const before = await runHashes(server);
      const file = join(EXAMPLES_DIR, `example-${String(index + 1)}.mts`);
      writeFileSync(file, localised(block.code, server.url, await freePort()));
      try {
        await run(process.execPath, ['--import', 'tsx', file], { cwd: REPO_ROOT, timeout: 120_000 });
      } catch (error) {
        const failed = error as { stdout?: string; stderr?: string; message: string };
        throw new Error(
          `README example ${String(index + 1)} failed: ${failed.message}\n${failed.stdout ?? ''}\n${failed.stderr ?? ''}\n--- code ---\n${block.code}`,
        );
      }
      const after = await runHashes(server);
      expect(after.filter((hash) => !before.includes(hash)).length, 'new runs').to.be.greaterThan(0);
    });
  });

  it('links resolve: relative ones to files the package ships, absolute ones into the repository to files that exist', () => {
    const links = [...README.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1] ?? '');
    expect(links.length).to.be.greaterThan(10);
    for (const link of links) {
      if (link.startsWith('#')) continue;
      const inRepository =
        /^https:\/\/(?:github\.com\/aim-otel-bridge\/aim-otel-bridge\/blob|raw\.githubusercontent\.com\/aim-otel-bridge\/aim-otel-bridge)\/main\/(.+)$/.exec(
          link,
        )?.[1];
      if (inRepository !== undefined) expect(existsSync(join(REPO_ROOT, inRepository)), link).to.equal(true);
      else if (!link.startsWith('https://'))
        expect(shipped, `${link} is not in the npm package: link it absolutely`).to.include(link.replace(/\/$/, '/README.md'));
    }
  });

  it('shell examples name only npm scripts, packages, CLI flags and files that exist', async () => {
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as PackageManifest;
    const scripts = Object.keys(manifest.scripts);
    const known = new Set([manifest.name, ...Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies, ...manifest.devDependencies })]);
    const help = new Map<string, string>();
    const cliHelp = async (command: string): Promise<string> => {
      if (!help.has(command)) help.set(command, (await run(process.execPath, ['--import', 'tsx', 'src/cli.ts', command, '--help'], { cwd: REPO_ROOT })).stdout);
      return help.get(command) ?? '';
    };
    const lines = blocks.filter((block) => block.lang === 'sh').flatMap((block) => block.code.split('\n'));
    const commands = lines.map((line) => line.replace(/#.*$/, '').trim()).filter((line) => line !== '');
    expect(commands.length).to.be.greaterThan(5);
    for (const command of commands) {
      const words = command.split(/\s+/).filter((word) => !/^[A-Z_]+=/.test(word)); // leading VAR=value
      const [tool, first, second] = words;
      if (tool === 'npm' && first === 'install') for (const name of words.slice(2)) expect([...known], command).to.include(name);
      else if (tool === 'npm' && first === 'run') expect(scripts, command).to.include(second);
      else if (tool === 'npm') expect(scripts, command).to.include(first);
      else if (tool === 'npx' && first === 'aim-otel-bridge') {
        const text = await cliHelp(second ?? '');
        for (const flag of words.filter((word) => word.startsWith('--'))) expect(text, command).to.contain(flag);
      } else if (tool === 'npx' && first === 'mocha') expect(existsSync(join(REPO_ROOT, second ?? '')), command).to.equal(true);
      else if (tool === 'otelcol-contrib' || tool === 'otelcol-aim') {
        // Paths as an installed package has them: node_modules/aim-otel-bridge/<a shipped file>.
        const config = (words[words.indexOf('--config') + 1] ?? '').replace(/^node_modules\/aim-otel-bridge\//, '');
        expect(shipped, command).to.include(config);
      } else if (tool === 'pip' && first === 'install') expect(second, command).to.equal(`aim==${AIM_VERSION}`);
      else if (tool === 'aim') expect(['init', 'server', 'up'], command).to.include(first);
      else expect.fail(`README shell example with an unknown command: ${command}`);
    }
  });
});
