import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { REPO_ROOT } from './cache.js';
import { requireGoPeer, startCollector, startJaeger } from './collector.js';
import { COLLECTOR } from './go-peers.js';
import { getJson } from '../../src/up/http.js';
import { otlpJsonTrace, postOtlpJson } from './otlp-fixture.js';
import { freePort, isListening } from '../../src/up/ports.js';
import { eventually } from './wait.js';

const run = promisify(execFile);
const FIXTURES = join(REPO_ROOT, 'test', 'peers', 'fixtures');
const CONFIG_DIR = join(REPO_ROOT, 'collector-config');

/** Runs `otelcol-aim validate`; resolves to its exit code and combined output. */
async function validate(configFile: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(requireGoPeer(COLLECTOR), ['validate', `--config=${configFile}`]);
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: failed.stdout + failed.stderr };
  }
}

describe('Collector peer (otelcol-aim built from collector-config/distribution)', function () {
  this.timeout(60_000);

  it('has every component the configs rely on compiled in', async () => {
    const { stdout } = await run(requireGoPeer(COLLECTOR), ['components']);
    for (const type of [
      'otlp', // receiver
      'batch',
      'memory_limiter',
      'transform',
      'filter',
      'attributes',
      'tail_sampling',
      'groupbytrace',
      'otlp_grpc',
      'otlp_http',
      'debug',
      'file',
      'load_balancing',
      'file_storage',
      'health_check',
      'bearertokenauth',
      'span_metrics',
      'forward',
    ]) {
      expect(stdout, `component ${type}`).to.match(new RegExp(`name: ${type}\\n`));
    }
  });

  // Every Collector config; builder-config.yaml is the Collector Builder's manifest, not a config.
  const configs = readdirSync(CONFIG_DIR).filter((name) => /\.ya?ml$/.test(name) && name !== 'builder-config.yaml');
  it('collector-config/ holds at least one config', () => {
    expect(configs.length).to.be.greaterThan(0);
  });
  for (const name of configs) {
    it(`collector-config/${name} passes otelcol-aim validate`, async () => {
      const { code, output } = await validate(join(CONFIG_DIR, name));
      expect(code, output).to.equal(0);
    });
  }

  for (const [fixture, reason] of [
    ['collector-invalid-key.yaml', /invalid keys: no_such_key/],
    ['collector-invalid-ottl.yaml', /unable to parse OTTL condition/],
  ] as const) {
    it(`validate rejects ${fixture} (${reason.source})`, async () => {
      const { code, output } = await validate(join(FIXTURES, fixture));
      expect(code).to.not.equal(0);
      expect(output).to.match(reason);
    });
  }

  it('starts on free loopback ports, answers health_check, forwards a trace to Jaeger, and stops', async () => {
    const jaeger = await startJaeger();
    const otlpHttpPort = await freePort();
    const collector = await startCollector(join(FIXTURES, 'collector-smoke.yaml'), {
      OTLP_HTTP_ENDPOINT: `127.0.0.1:${String(otlpHttpPort)}`,
      JAEGER_OTLP_GRPC_ENDPOINT: jaeger.otlpGrpcEndpoint,
    });
    const health = (await getJson(`${collector.healthUrl}/`)) as { status: string };
    expect(health.status).to.equal('Server available');

    const trace = otlpJsonTrace('collector-smoke', 'through the collector');
    expect(await postOtlpJson(`http://127.0.0.1:${String(otlpHttpPort)}`, trace.body)).to.equal(200);
    const names = await eventually('the trace in Jaeger', async () => {
      const response = (await getJson(`${jaeger.queryUrl}/api/traces/${trace.traceId}`)) as {
        data: { spans: { operationName: string }[] }[];
      };
      return response.data[0]?.spans.map((span) => span.operationName);
    });
    expect(names).to.deep.equal(['through the collector']);

    await collector.process.stop();
    expect(collector.process.alive).to.equal(false);
    expect(await isListening(otlpHttpPort)).to.equal(false);
    await jaeger.process.stop();
  });
});
