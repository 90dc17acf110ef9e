/**
 * The Collector without building one (issue 15, point 5). Users get collector-config/ from npm,
 * without our Go distribution (collector-config/distribution/), so:
 * - every component the configs use is in the builder manifest collector-config/builder-config.yaml,
 *   which pins exactly the modules and versions distribution/components.go and go.mod compile in;
 * - every component the configs use ships in the stock otelcol-contrib at the pinned version, and
 *   the tests state, per config, which stock distributions run it (core `otelcol` runs none).
 *
 * What is upstream comes from upstream, captured in fixtures/ by fixtures/refetch.sh: each
 * component module's metadata.yaml at the pinned version (its type, and the stock distributions
 * that ship it) from the Go module proxy, and the stock distributions' release manifests from
 * open-telemetry/opentelemetry-collector-releases at the newest release tag reachable here
 * (v0.159.0: the proxy serves no module of that repository, and our snapshot of it ends there).
 *
 * Fast: files only, plus one `npm pack --dry-run` for what the package ships. No Go build.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { parse } from 'yaml';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CONFIG_DIR = join(ROOT, 'collector-config');
const DISTRIBUTION_DIR = join(CONFIG_DIR, 'distribution');
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const BUILDER_CONFIG = 'builder-config.yaml';
/** The release tag of the stock distributions' manifests in fixtures/ (see the file comment). */
const RELEASES_TAG = 'v0.159.0';
/** Where collector-config/README.md links files the npm package does not ship. */
const GITHUB_BLOB = 'https://github.com/aim-otel-bridge/aim-otel-bridge/blob/main/';

/** The component sections of a Collector config and of a builder manifest. */
const KINDS = ['receivers', 'processors', 'exporters', 'extensions', 'connectors'] as const;
type Kind = (typeof KINDS)[number];
/** metadata.yaml's `status.class` of a component of each section. */
const CLASS: Record<Kind, string> = {
  receivers: 'receiver',
  processors: 'processor',
  exporters: 'exporter',
  extensions: 'extension',
  connectors: 'connector',
};
/** components.go's `factories.<Field>` of each section. */
const FACTORY_FIELD: Record<string, Kind> = {
  Receivers: 'receivers',
  Processors: 'processors',
  Exporters: 'exporters',
  Extensions: 'extensions',
  Connectors: 'connectors',
};
/** metadata.yaml's distribution names and the stock distributions (release manifests) they stand for. */
const STOCK = { core: 'otelcol', contrib: 'otelcol-contrib', k8s: 'otelcol-k8s' } as const;
type Stock = keyof typeof STOCK;

function record(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${what}: not a mapping`);
  return value as Record<string, unknown>;
}
function list(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new Error(`${what}: not a list`);
  return value;
}
function text(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new Error(`${what}: not a string`);
  return value;
}
function readYaml(path: string): Record<string, unknown> {
  const doc: unknown = parse(readFileSync(path, 'utf8'));
  return record(doc, path);
}

/** One `gomod:` entry of a builder manifest, its import path filled in as ocb does. */
interface GoModule {
  path: string;
  version: string;
  import: string;
}
function goModule(entry: unknown, what: string): GoModule {
  const fields = record(entry, what);
  const [path, version, ...rest] = text(fields['gomod'], `${what}.gomod`).split(' ');
  if (path === undefined || version === undefined || rest.length > 0) throw new Error(`${what}: gomod is not "<module> <version>"`);
  const importPath = fields['import'] === undefined ? path : text(fields['import'], `${what}.import`);
  return { path, version, import: importPath };
}
const show = (m: GoModule): string => `${m.import} (${m.path} ${m.version})`;

/** collector-config/builder-config.yaml. */
function builderManifest(): { doc: Record<string, unknown>; components: Record<Kind, GoModule[]> } {
  const doc = readYaml(join(CONFIG_DIR, BUILDER_CONFIG));
  const components = Object.fromEntries(
    KINDS.map((kind) => [kind, doc[kind] === undefined ? [] : list(doc[kind], kind).map((entry, i) => goModule(entry, `${kind}[${String(i)}]`))]),
  ) as Record<Kind, GoModule[]>;
  return { doc, components };
}

/** The Collector configs: every collector-config/*.yaml but the builder manifest. */
function configFiles(): string[] {
  return readdirSync(CONFIG_DIR)
    .filter((name) => name.endsWith('.yaml') && name !== BUILDER_CONFIG)
    .sort();
}

/** A component a config uses: its section and type (the id without its `/name`). */
interface UsedComponent {
  kind: Kind;
  type: string;
  id: string;
}
function usedComponents(file: string): UsedComponent[] {
  const doc = readYaml(join(CONFIG_DIR, file));
  return KINDS.flatMap((kind) =>
    doc[kind] === undefined ? [] : Object.keys(record(doc[kind], `${file} ${kind}`)).map((id) => ({ kind, id, type: id.split('/')[0] ?? id })),
  );
}

/** What a component module's upstream metadata.yaml (fixtures/component-metadata/) says. */
interface ComponentMetadata {
  module: GoModule;
  kind: Kind;
  type: string;
  deprecatedType: string | undefined;
  distributions: string[];
}
function metadataPath(m: GoModule): string {
  return join(FIXTURES, 'component-metadata', `${m.path}@${m.version}`, 'metadata.yaml');
}
function componentMetadata(kind: Kind, module: GoModule): ComponentMetadata {
  const doc = readYaml(metadataPath(module));
  const status = record(doc['status'], `${module.path} status`);
  expect(status['class'], `${module.path}: class in its metadata.yaml`).to.equal(CLASS[kind]);
  return {
    module,
    kind,
    type: text(doc['type'], `${module.path} type`),
    deprecatedType: doc['deprecated_type'] === undefined ? undefined : text(doc['deprecated_type'], `${module.path} deprecated_type`),
    distributions: list(status['distributions'], `${module.path} distributions`).map((d) => text(d, 'distribution')),
  };
}
/** The metadata of every component module of the builder manifest. */
function allMetadata(): ComponentMetadata[] {
  const { components } = builderManifest();
  return KINDS.flatMap((kind) => components[kind].map((module) => componentMetadata(kind, module)));
}
/** The module that provides a used component, by its current type name. */
function providerOf(used: UsedComponent, metadata: readonly ComponentMetadata[]): ComponentMetadata | undefined {
  return metadata.find((m) => m.kind === used.kind && m.type === used.type);
}

/** The component modules of a stock distribution's release manifest, as module paths. */
function stockManifestModules(stock: Stock): Set<string> {
  const doc = readYaml(join(FIXTURES, `${STOCK[stock]}-manifest-${RELEASES_TAG}.yaml`));
  const dist = record(doc['dist'], 'dist');
  expect(dist['name'], `the ${stock} manifest fixture`).to.equal(STOCK[stock]);
  expect(`v${text(dist['version'], 'dist.version')}`, `the ${stock} manifest fixture`).to.equal(RELEASES_TAG);
  return new Set(KINDS.flatMap((kind) => (doc[kind] === undefined ? [] : list(doc[kind], kind).map((e, i) => goModule(e, `${kind}[${String(i)}]`).path))));
}

/** distribution/go.mod's requirements: module path → version. */
function goModRequires(): Map<string, string> {
  const requires = new Map<string, string>();
  let inBlock = false;
  for (const raw of readFileSync(join(DISTRIBUTION_DIR, 'go.mod'), 'utf8').split('\n')) {
    const line = raw.replace(/\/\/.*$/, '').trim();
    if (line === 'require (') inBlock = true;
    else if (inBlock && line === ')') inBlock = false;
    else {
      const fields = (inBlock ? line : line.startsWith('require ') ? line.slice('require '.length) : '').split(/\s+/);
      if (fields.length === 2 && fields[0] !== undefined && fields[1] !== undefined) requires.set(fields[0], fields[1]);
    }
  }
  return requires;
}
function goModModulePath(): string {
  const match = /^module\s+(\S+)/m.exec(readFileSync(join(DISTRIBUTION_DIR, 'go.mod'), 'utf8'));
  if (match?.[1] === undefined) throw new Error('distribution/go.mod names no module');
  return match[1];
}
/** The required module an import path belongs to (the longest module path that prefixes it). */
function moduleOf(importPath: string, requires: ReadonlyMap<string, string>): GoModule {
  let best: string | undefined;
  for (const path of requires.keys()) {
    if ((importPath === path || importPath.startsWith(`${path}/`)) && (best === undefined || path.length > best.length)) best = path;
  }
  const version = best === undefined ? undefined : requires.get(best);
  if (best === undefined || version === undefined) throw new Error(`distribution/go.mod requires no module of ${importPath}`);
  return { path: best, version, import: importPath };
}
/** A Go file's imports: package name (alias, else the path's last element) → import path. */
function goImports(source: string): Map<string, string> {
  const imports = new Map<string, string>();
  const block = /^import \(([\s\S]*?)^\)/m.exec(source)?.[1] ?? '';
  for (const match of block.matchAll(/^\s*(?:(\w+)\s+)?"([^"]+)"/gm)) {
    const path = match[2] ?? '';
    imports.set(match[1] ?? path.split('/').pop() ?? path, path);
  }
  return imports;
}
/** The packages whose `NewFactory()` a piece of Go source calls, in order. */
function factoryPackages(source: string): string[] {
  return [...source.matchAll(/(\w+)\.NewFactory\(\)/g)].map((m) => m[1] ?? '');
}
function goImportOf(pkg: string, imports: ReadonlyMap<string, string>): string {
  const path = imports.get(pkg);
  if (path === undefined) throw new Error(`no import of package ${pkg}`);
  return path;
}

/** What distribution/components.go compiles in, per section, as modules of go.mod. */
function distributionComponents(): { components: Record<Kind, GoModule[]>; telemetry: GoModule; modulesMaps: Map<string, string> } {
  const source = readFileSync(join(DISTRIBUTION_DIR, 'components.go'), 'utf8');
  const imports = goImports(source);
  const requires = goModRequires();
  const components = Object.fromEntries(KINDS.map((kind) => [kind, [] as GoModule[]])) as Record<Kind, GoModule[]>;
  for (const match of source.matchAll(/factories\.(\w+), err = otelcol\.MakeFactoryMap\[\w+\.Factory\]\(([\s\S]*?)\n\t\)/g)) {
    const kind = FACTORY_FIELD[match[1] ?? ''];
    if (kind === undefined) throw new Error(`components.go: factories.${match[1] ?? ''} is no component section`);
    components[kind] = factoryPackages(match[2] ?? '').map((pkg) => moduleOf(goImportOf(pkg, imports), requires));
  }
  const telemetryPkg = /Telemetry:\s*(\w+)\.NewFactory\(\)/.exec(source)?.[1];
  if (telemetryPkg === undefined) throw new Error('components.go sets no Telemetry factory');
  const modulesMaps = new Map<string, string>();
  for (const match of source.matchAll(/(\w+)\.NewFactory\(\)\.Type\(\):\s*"([^"]+)"/g)) {
    modulesMaps.set(goImportOf(match[1] ?? '', imports), match[2] ?? '');
  }
  return { components, telemetry: moduleOf(goImportOf(telemetryPkg, imports), requires), modulesMaps };
}

const sortedShow = (modules: readonly GoModule[]): string[] => modules.map(show).sort();

describe('collector-config on a stock Collector, and the builder manifest of ours', () => {
  it('every collector-config/*.yaml parses, is a Collector config with pipelines, and uses components', () => {
    const files = configFiles();
    expect(files).to.include.members(['otelcol.yaml', 'otelcol-routing.yaml', 'otelcol-loadbalancing.yaml']);
    for (const file of files) {
      const service = record(readYaml(join(CONFIG_DIR, file))['service'], `${file} service`);
      expect(Object.keys(record(service['pipelines'], `${file} pipelines`)), file).to.have.length.above(0);
      expect(
        usedComponents(file).map((c) => c.kind),
        file,
      ).to.include.members(['receivers', 'exporters']);
    }
  });

  it('fixtures/component-metadata holds the upstream metadata.yaml of exactly the modules and versions builder-config.yaml pins', () => {
    const { components } = builderManifest();
    const pinned = KINDS.flatMap((kind) => components[kind]);
    for (const m of pinned) expect(existsSync(metadataPath(m)), `${metadataPath(m)}: run fixtures/refetch.sh`).to.equal(true);
    const captured: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.isDirectory()) walk(join(dir, entry.name));
        else captured.push(dirname(join(dir, entry.name)).slice(join(FIXTURES, 'component-metadata').length + 1));
      }
    };
    walk(join(FIXTURES, 'component-metadata'));
    expect(captured.sort(), 'no stale fixtures').to.deep.equal(pinned.map((m) => `${m.path}@${m.version}`).sort());
    // Each fixture is the metadata of a component of the section it is listed under.
    expect(allMetadata()).to.have.length(pinned.length);
  });

  it('every component a config uses is in builder-config.yaml, under its current (not deprecated) type name', () => {
    const metadata = allMetadata();
    for (const file of configFiles()) {
      for (const used of usedComponents(file)) {
        const deprecated = metadata.find((m) => m.kind === used.kind && m.deprecatedType === used.type);
        expect(deprecated, `${file}: ${used.kind}.${used.id} uses the deprecated type name of ${deprecated?.type ?? ''}`).to.equal(undefined);
        expect(providerOf(used, metadata), `${file}: ${used.kind}.${used.id} is in no module of ${BUILDER_CONFIG}`).to.not.equal(undefined);
      }
    }
  });

  it('builder-config.yaml pins exactly the component modules distribution/components.go compiles in, at the versions of distribution/go.mod', () => {
    const manifest = builderManifest();
    const distribution = distributionComponents();
    for (const kind of KINDS) {
      expect(sortedShow(manifest.components[kind]), kind).to.deep.equal(sortedShow(distribution.components[kind]));
    }
    expect(show(goModule(manifest.doc['telemetry'], 'telemetry')), 'telemetry').to.equal(show(distribution.telemetry));
    // components.go's *Modules maps (the `components` subcommand's output) name the same versions.
    const compiledIn = KINDS.flatMap((kind) => distribution.components[kind]);
    expect([...distribution.modulesMaps.entries()].sort()).to.deep.equal(compiledIn.map((m) => [m.import, `${m.path} ${m.version}`]).sort());
  });

  it('builder-config.yaml has the confmap providers, name, description, version and module of distribution/main.go and go.mod', () => {
    const { doc } = builderManifest();
    const source = readFileSync(join(DISTRIBUTION_DIR, 'main.go'), 'utf8');
    const imports = goImports(source);
    const requires = goModRequires();
    const providersBlock = /ProviderFactories: \[\]confmap\.ProviderFactory\{([\s\S]*?)\}/.exec(source)?.[1] ?? '';
    const providers = factoryPackages(providersBlock).map((pkg) => moduleOf(goImportOf(pkg, imports), requires));
    expect(providers, 'main.go providers').to.have.length.above(0);
    expect(sortedShow(list(doc['providers'], 'providers').map((e, i) => goModule(e, `providers[${String(i)}]`)))).to.deep.equal(sortedShow(providers));
    const dist = record(doc['dist'], 'dist');
    const buildInfo = (field: string): string | undefined => new RegExp(`${field}:\\s*"([^"]*)"`).exec(source)?.[1];
    expect(dist['name']).to.equal(buildInfo('Command'));
    expect(dist['description']).to.equal(buildInfo('Description'));
    expect(String(dist['version'])).to.equal(buildInfo('Version'));
    expect(dist['module']).to.equal(goModModulePath());
  });

  it("builder-config.yaml's replaces pick the versions distribution/go.mod requires", () => {
    const { doc } = builderManifest();
    const requires = goModRequires();
    for (const entry of doc['replaces'] === undefined ? [] : list(doc['replaces'], 'replaces')) {
      const match = /^(\S+) => (\S+) (\S+)$/.exec(text(entry, 'replaces[]'));
      expect(match, String(entry)).to.not.equal(null);
      const [, from, to, version] = match ?? [];
      expect(to, String(entry)).to.equal(from);
      expect(version, String(entry)).to.equal(requires.get(from ?? ''));
    }
  });

  it('every component a config uses ships in the stock otelcol-contrib at the pinned version (its module metadata.yaml lists contrib)', () => {
    const metadata = allMetadata();
    for (const file of configFiles()) {
      for (const used of usedComponents(file)) {
        const provider = providerOf(used, metadata);
        expect(provider?.distributions, `${file}: ${used.kind}.${used.id} (${provider?.module.path ?? '?'} ${provider?.module.version ?? '?'})`).to.include(
          'contrib',
        );
      }
    }
  });

  it(`and the otelcol-contrib ${RELEASES_TAG} release manifest lists the module of every component a config uses`, () => {
    const metadata = allMetadata();
    const contrib = stockManifestModules('contrib');
    for (const file of configFiles()) {
      for (const used of usedComponents(file)) {
        const provider = providerOf(used, metadata);
        expect(contrib.has(provider?.module.path ?? ''), `${file}: ${used.kind}.${used.id} (${provider?.module.path ?? '?'})`).to.equal(true);
      }
    }
  });

  it('per config, the stock distributions that run it: otelcol-contrib and otelcol-k8s; the core otelcol runs none', () => {
    /** Per config: the stock distributions with all its components, and the components core lacks. */
    const expected: Record<string, { runsOn: Stock[]; notInCore: string[] }> = {
      'otelcol.yaml': { runsOn: ['contrib', 'k8s'], notInCore: ['extensions.file_storage', 'processors.transform'] },
      'otelcol-routing.yaml': { runsOn: ['contrib', 'k8s'], notInCore: ['extensions.file_storage', 'processors.transform'] },
      'otelcol-loadbalancing.yaml': { runsOn: ['contrib', 'k8s'], notInCore: ['exporters.load_balancing', 'processors.transform'] },
    };
    expect(configFiles(), 'a new config needs its row here').to.have.members(Object.keys(expected));
    const metadata = allMetadata();
    const stocks = Object.keys(STOCK) as Stock[];
    const manifests = new Map(stocks.map((stock) => [stock, stockManifestModules(stock)]));
    for (const file of configFiles()) {
      const used = usedComponents(file).map((u) => ({ name: `${u.kind}.${u.type}`, provider: providerOf(u, metadata) }));
      const row = expected[file];
      // By the modules' metadata at the pinned version…
      const runsOn = stocks.filter((stock) => used.every((u) => u.provider?.distributions.includes(stock) === true));
      const notInCore = [...new Set(used.filter((u) => u.provider?.distributions.includes('core') !== true).map((u) => u.name))].sort();
      expect({ runsOn, notInCore }, `${file}, by the components' metadata.yaml`).to.deep.equal(row);
      // …and by the stock distributions' release manifests.
      const runsOnByManifest = stocks.filter((stock) => used.every((u) => manifests.get(stock)?.has(u.provider?.module.path ?? '') === true));
      expect(runsOnByManifest, `${file}, by the ${RELEASES_TAG} release manifests`).to.deep.equal(row?.runsOn);
    }
  });

  it('the npm package ships builder-config.yaml, every config, and what collector-config/README.md links to relatively; other links are to files of the repository on GitHub', async function () {
    this.timeout(60_000);
    const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--ignore-scripts', '--json'], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
    const packed = new Set(
      list(record(list(JSON.parse(stdout), 'npm pack --json')[0], 'pack')['files'], 'files').map((f) => text(record(f, 'file')['path'], 'path')),
    );
    for (const file of [BUILDER_CONFIG, ...configFiles()]) expect(packed.has(`collector-config/${file}`), file).to.equal(true);
    const readme = readFileSync(join(CONFIG_DIR, 'README.md'), 'utf8');
    const links = [...readme.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => (m[1] ?? '').replace(/#.*$/, '')).filter((l) => l !== '');
    expect(links).to.have.length.above(0);
    for (const link of links) {
      if (link.startsWith(GITHUB_BLOB)) {
        expect(existsSync(join(ROOT, link.slice(GITHUB_BLOB.length))), `${link}: no such file in the repository`).to.equal(true);
      } else if (!/^https?:\/\//.test(link)) {
        const inPackage = normalize(join('collector-config', link));
        expect(packed.has(inPackage), `${link}: relative link to a file the npm package does not ship`).to.equal(true);
      }
    }
  });
});
