/**
 * collector-config/builder-config.yaml, run through the real OpenTelemetry Collector Builder (ocb)
 * at the pinned version: it must generate the distribution we keep by hand in
 * collector-config/distribution (the one the tests build and run), so a user building from the
 * manifest gets the Collector the configs are tested on. stock-distribution.test.ts checks the
 * same pins statically; this runs ocb with `--skip-compilation` (sources, go.mod and go.sum, no
 * binary) into a fresh temporary directory and compares what it writes.
 *
 * Needs Go on PATH (the one `npm run peers` builds the Collector with; nothing else is
 * provisioned), and the Go module proxy on a cold module cache: ocb and the distribution's
 * modules are downloaded into Go's shared caches, as test/peers/provision-go.ts does. Nothing in
 * the repository is written: ocb runs in the temporary directory and writes only there.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import type { Context } from 'mocha';
import { parse } from 'yaml';
import { REPO_ROOT } from '../peers/cache.js';
import { PEER_VERSIONS } from '../peers/versions.js';
import { formatDuration, runStep } from '../../src/up/run-step.js';
import { GO_ENV } from '../peers/provision-go.js';

const CONFIG_DIR = join(REPO_ROOT, 'collector-config');
const DISTRIBUTION_DIR = join(CONFIG_DIR, 'distribution');
const MANIFEST = join(CONFIG_DIR, 'builder-config.yaml');
/** ocb is released with the Collector core, at the version our distribution pins. */
const BUILDER = `go.opentelemetry.io/collector/cmd/builder@${PEER_VERSIONS.collector}`;
/** The import paths of a Go file: every `import (...)` block and single `import [name] "path"`. */
function goImportPaths(source: string): Set<string> {
  const paths = new Set<string>();
  const spec = /^\s*(?:[\w.]+\s+)?"([^"]+)"/;
  for (const block of source.matchAll(/^import\s*\(([\s\S]*?)^\)/gm)) {
    for (const line of (block[1] ?? '').split('\n')) {
      const path = spec.exec(line.replace(/\/\/.*$/, ''))?.[1];
      if (path !== undefined) paths.add(path);
    }
  }
  for (const single of source.matchAll(/^import\s+(?:[\w.]+\s+)?"([^"]+)"/gm)) paths.add(single[1] ?? '');
  return paths;
}

/** What a go.mod says: its module path, requirements (version, `// indirect`) and replacements. */
interface GoMod {
  module: string;
  requires: Map<string, { version: string; indirect: boolean }>;
  /** `old[ version] => new version`, keyed by `old` or `old@version`. */
  replaces: Map<string, string>;
}
function parseGoMod(text: string): GoMod {
  const mod: GoMod = { module: '', requires: new Map(), replaces: new Map() };
  let block: string | undefined;
  for (const raw of text.split('\n')) {
    const indirect = /\/\/\s*indirect\b/.test(raw);
    let line = raw.replace(/\/\/.*$/, '').trim();
    if (line === '') continue;
    if (block !== undefined && line === ')') {
      block = undefined;
      continue;
    }
    const opening = /^(\w+)\s*\($/.exec(line);
    if (opening !== null) {
      block = opening[1];
      continue;
    }
    let verb = block;
    if (verb === undefined) {
      verb = line.split(/\s+/)[0];
      line = line.slice(verb?.length ?? 0).trim();
    }
    if (verb === 'module') mod.module = line;
    else if (verb === 'require') {
      const [path, version] = line.split(/\s+/);
      if (path !== undefined && version !== undefined) mod.requires.set(path, { version, indirect });
    } else if (verb === 'replace') {
      const [from, to] = line.split(/\s*=>\s*/);
      const [fromPath, fromVersion] = (from ?? '').split(/\s+/);
      mod.replaces.set(fromVersion === undefined ? (fromPath ?? '') : `${fromPath ?? ''}@${fromVersion}`, (to ?? '').replace(/\s+/g, ' '));
    }
  }
  return mod;
}
/** The module a requirement resolves to after the go.mod's replace directives, as `path version`. */
function effective(mod: GoMod, path: string, version: string): string {
  return mod.replaces.get(`${path}@${version}`) ?? mod.replaces.get(path) ?? `${path} ${version}`;
}

/** builder-config.yaml's `replaces`, as `old[ version] => new version` strings. */
function manifestReplaces(): string[] {
  const doc: unknown = parse(readFileSync(MANIFEST, 'utf8'));
  const replaces = (doc as { replaces?: unknown }).replaces;
  if (replaces === undefined) return [];
  if (!Array.isArray(replaces) || !replaces.every((r): r is string => typeof r === 'string')) {
    throw new Error('builder-config.yaml: replaces is not a list of strings');
  }
  return replaces.map((r) => r.trim().replace(/\s+/g, ' '));
}

/**
 * A fingerprint of what ocb reads (the manifest) and must never write (distribution/: its files'
 * names and contents), to prove neither changed.
 */
function inputsHash(): string {
  const hash = createHash('sha256');
  const files = [
    MANIFEST,
    ...readdirSync(DISTRIBUTION_DIR)
      .sort()
      .map((name) => join(DISTRIBUTION_DIR, name)),
  ];
  for (const file of files) hash.update(`${file}\0`).update(readFileSync(file)).update('\0');
  return hash.digest('hex');
}

describe(`builder-config.yaml through ocb ${PEER_VERSIONS.collector} (--skip-compilation) generates collector-config/distribution`, function () {
  // Cold, ocb and every module of the distribution are downloaded (~40 s here); warm, ~1 s.
  this.timeout(15 * 60_000);

  let workDir = '';
  let outDir = '';
  let keepWorkDir = false;
  let inputsBefore = '';
  /** Why ocb failed (its exit code and the end of its log), or undefined when it exited 0. */
  let ocbFailure: string | undefined;

  /** A file ocb wrote; none is compared when ocb failed (it writes go.mod before it fails tidying it). */
  const generated = (file: string): string => {
    if (ocbFailure !== undefined) throw new Error(`ocb failed (see "ocb exits 0"), so its ${file} is not compared`);
    return readFileSync(join(outDir, file), 'utf8');
  };
  const ours = (file: string): string => readFileSync(join(DISTRIBUTION_DIR, file), 'utf8');

  before(async () => {
    try {
      await promisify(execFile)('go', ['version'], { env: { ...process.env, ...GO_ENV } });
    } catch (error) {
      throw new Error(
        `this test runs ocb with Go, and \`go version\` failed (${String(error)}): install Go (the version distribution/go.mod's go line names, or newer) on PATH`,
      );
    }
    inputsBefore = inputsHash();
    workDir = mkdtempSync(join(tmpdir(), 'aim-ocb-'));
    outDir = join(workDir, 'otelcol-aim');
    const started = Date.now();
    try {
      // cwd is the temporary directory: no go command runs in (or may write to) the repository.
      await runStep(`ocb ${PEER_VERSIONS.collector}`, 'go', ['run', BUILDER, `--config=${MANIFEST}`, '--skip-compilation', `--output-path=${outDir}`], {
        cwd: workDir,
        env: GO_ENV,
        logFile: join(workDir, 'ocb.log'),
        print: (line) => {
          console.log(`      ${line}`);
        },
      });
    } catch (error) {
      ocbFailure = error instanceof Error ? error.message : String(error);
    }
    console.log(
      `      ocb ${PEER_VERSIONS.collector} --skip-compilation took ${formatDuration(Date.now() - started)} (${ocbFailure === undefined ? 'exit 0' : 'failed'})`,
    );
  });

  afterEach(function (this: Context) {
    if (this.currentTest?.state === 'failed') keepWorkDir = true;
  });

  after(() => {
    if (workDir === '') return;
    if (keepWorkDir) console.log(`      ocb's output and log kept in ${workDir}`);
    else rmSync(workDir, { recursive: true, force: true });
  });

  it('ocb exits 0 and writes components.go, main.go, go.mod and go.sum', () => {
    expect(ocbFailure, ocbFailure).to.equal(undefined);
    for (const file of ['components.go', 'main.go', 'go.mod', 'go.sum']) expect(existsSync(join(outDir, file)), file).to.equal(true);
  });

  it('the generated components.go imports exactly the Go packages distribution/components.go imports', () => {
    const mine = goImportPaths(ours('components.go'));
    expect(mine.size, 'imports parsed from distribution/components.go').to.be.above(20);
    expect([...goImportPaths(generated('components.go'))].sort()).to.deep.equal([...mine].sort());
  });

  it("the generated go.mod requires every module distribution/go.mod requires directly, at the same version (after builder-config.yaml's replaces)", () => {
    const theirs = parseGoMod(generated('go.mod'));
    const mine = parseGoMod(ours('go.mod'));
    expect(theirs.module, 'module path').to.equal(mine.module);
    const direct = [...mine.requires].filter(([, r]) => !r.indirect);
    expect(direct.length, 'direct requirements parsed from distribution/go.mod').to.be.above(20);
    for (const [path, { version }] of direct) {
      const required = theirs.requires.get(path);
      expect(required, `${path}: not required by the generated go.mod`).to.not.equal(undefined);
      expect(effective(theirs, path, required?.version ?? ''), path).to.equal(effective(mine, path, version));
    }
  });

  it("its replace directives are exactly builder-config.yaml's replaces, and every indirect requirement of distribution/go.mod resolves to the same version", () => {
    const theirs = parseGoMod(generated('go.mod'));
    const mine = parseGoMod(ours('go.mod'));
    const replaceLines = [...theirs.replaces].map(([from, to]) => `${from.replace('@', ' ')} => ${to}`);
    expect(replaceLines.sort()).to.deep.equal(manifestReplaces().sort());
    const differing = [...mine.requires]
      .filter(([, r]) => r.indirect)
      .map(([path, { version }]) => {
        const required = theirs.requires.get(path);
        const resolved = required === undefined ? 'not required' : effective(theirs, path, required.version);
        return { path, ours: effective(mine, path, version), generated: resolved };
      })
      .filter((row) => row.ours !== row.generated);
    expect(differing).to.deep.equal([]);
  });

  it('the generated go.sum is byte-identical to distribution/go.sum', () => {
    const theirs = generated('go.sum');
    const mine = ours('go.sum');
    const theirLines = new Set(theirs.split('\n').filter((l) => l !== ''));
    const myLines = new Set(mine.split('\n').filter((l) => l !== ''));
    expect(myLines.size, 'lines of distribution/go.sum').to.be.above(100);
    // The lines first, so a mismatch names the modules; then the bytes (order, whitespace).
    expect({
      onlyInGenerated: [...theirLines].filter((l) => !myLines.has(l)),
      onlyInDistribution: [...myLines].filter((l) => !theirLines.has(l)),
    }).to.deep.equal({ onlyInGenerated: [], onlyInDistribution: [] });
    expect(theirs === mine, 'same lines, but not the same bytes').to.equal(true);
  });

  it('leaves builder-config.yaml and distribution/ untouched', () => {
    expect(inputsHash()).to.equal(inputsBefore);
  });
});
