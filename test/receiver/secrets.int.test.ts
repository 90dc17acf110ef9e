/**
 * Issue 18, points 2 and 3, through the real command line (`aim-otel-bridge serve` as a child
 * process, writing to a real aim server):
 *
 * - secrets that do not leak: tokens from a token file (named by AIM_OTEL_BRIDGE_TOKEN_FILE) and
 *   AIM_OTEL_BRIDGE_TOKEN are accepted over OTLP/HTTP and gRPC, rotated by editing the file while
 *   the bridge runs (several valid at once), a broken edit keeps the tokens in use; and no token
 *   appears in stdout, stderr (debug logs), `/metrics` or any answer;
 * - no open door by accident: `--host 0.0.0.0` without a token exits 1 saying what to do;
 *   `--allow-unauthenticated-network` (or its variable) starts it with a warning; loopback needs
 *   nothing.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import { type AimServer, startAimServer } from '../peers/aim.js';
import { CliProcess } from '../peers/cli-process.js';
import { otlpJsonTrace } from '../peers/otlp-fixture.js';
import { eventually } from '../peers/wait.js';

/** The tokens of the test: none of them may ever be printed. */
const FIRST = 'first-token-9c1f0e7a4b3d2c';
const SECOND = 'second-token-5e8d7c6b5a49';
const THIRD = 'third-token-0f1e2d3c4b5a69';
const BROKEN = 'broken-token-77aa88bb99cc';
const FROM_ENV = 'env-token-1234abcd5678ef';
const ALL_TOKENS = [FIRST, SECOND, THIRD, BROKEN, FROM_ENV];

/** `serve ARGS` with extra environment variables (the child takes the environment at spawn). */
function serve(args: readonly string[], env: Record<string, string> = {}): CliProcess {
  const saved = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
  Object.assign(process.env, env);
  try {
    return new CliProcess(['serve', ...args]);
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) Reflect.deleteProperty(process.env, name);
      else process.env[name] = value;
    }
  }
}

/** The HTTP port `serve` printed. */
async function portOf(cli: CliProcess): Promise<number> {
  const match = await cli.waitFor(/receiving OTLP\/HTTP on http:\/\/\S+:(\d+)\/v1/, 60_000);
  return Number(match[1]);
}

/** Everything a client saw in the answers (bodies of 401s and of /metrics), kept to search for tokens. */
const seen: string[] = [];

/** `POST /v1/traces` of one GenAI span with `authorization` (none: no header); the status. */
async function post(port: number, authorization?: string): Promise<number> {
  const { body } = otlpJsonTrace('secrets-test', 'chat gpt-4o-mini');
  const answer = await fetch(`http://127.0.0.1:${String(port)}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization !== undefined ? { authorization } : {}) },
    body,
    signal: AbortSignal.timeout(30_000),
  });
  seen.push(await answer.text());
  return answer.status;
}

async function scrape(port: number, token: string): Promise<{ status: number; text: string }> {
  const answer = await fetch(`http://127.0.0.1:${String(port)}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  const text = await answer.text();
  seen.push(text);
  return { status: answer.status, text };
}

/** One span through the OTel JS OTLP/gRPC exporter with `token`: whether the export succeeded. */
async function grpcExport(grpcPort: number, token: string): Promise<boolean> {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] });
  const span = provider
    .getTracer('secrets-test')
    .startSpan(
      'chat gpt-4o-mini',
      { attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.input_tokens': 3 } },
      ROOT_CONTEXT,
    );
  span.end();
  await provider.forceFlush();
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  const exporter = new OTLPTraceExporter({ url: `http://127.0.0.1:${String(grpcPort)}`, metadata });
  const result = await new Promise<ExportResult>((done) => {
    exporter.export(memory.getFinishedSpans(), done);
  });
  await exporter.shutdown();
  await provider.shutdown();
  if (result.error !== undefined) seen.push(result.error.message);
  return result.code === ExportResultCode.SUCCESS;
}

/** A bridge's whole output must not hold a token. */
function expectNoToken(text: string, where: string): void {
  for (const token of ALL_TOKENS) expect(text.includes(token), `${where} names a token`).to.equal(false);
}

describe('serve: tokens from a file, never printed; no open door by accident', function () {
  this.timeout(300_000);
  let aim: AimServer;
  let dir: string;
  const clis: CliProcess[] = [];
  const start = (args: readonly string[], env?: Record<string, string>): CliProcess => {
    const cli = serve(args, env);
    clis.push(cli);
    return cli;
  };

  before(async () => {
    aim = await startAimServer();
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'secrets-'));
  });
  afterEach(async () => {
    await Promise.all(clis.splice(0).map((cli) => cli.stop()));
    rmSync(dir, { recursive: true, force: true });
  });
  after(async () => {
    await aim.process.stop();
  });

  it('accepts the tokens of the file and the environment, follows the file as it is rotated, and prints none of them anywhere', async () => {
    const file = join(dir, 'tokens');
    writeFileSync(file, `# bridge tokens\n${FIRST}\n`);
    const cli = start(['--aim-url', aim.url, '--host', '0.0.0.0', '--port', '0', '--grpc-port', '0', '--log-level', 'debug'], {
      AIM_OTEL_BRIDGE_TOKEN_FILE: file,
      AIM_OTEL_BRIDGE_TOKEN: FROM_ENV,
    });
    const port = await portOf(cli);
    const grpcPort = Number((await cli.waitFor(/receiving OTLP\/gRPC on http:\/\/\S+:(\d+)/, 30_000))[1]);

    expect(await post(port, `Bearer ${FIRST}`)).to.equal(200);
    expect(await post(port, `Bearer ${FROM_ENV}`)).to.equal(200);
    expect(await post(port)).to.equal(401);
    expect(await post(port, `Bearer ${SECOND}`)).to.equal(401);
    expect(await post(port, `Basic ${FIRST}`)).to.equal(401);
    expect(await grpcExport(grpcPort, FIRST)).to.equal(true);
    expect(await grpcExport(grpcPort, SECOND)).to.equal(false);
    expect((await scrape(port, FIRST)).status).to.equal(200);
    expect((await scrape(port, SECOND)).status).to.equal(401);

    // Rotation, step 1: the new token next to the old one; both work once the file is re-read (every 5 s).
    writeFileSync(file, `${FIRST}\n${SECOND}\n`);
    await eventually('the second token accepted', async () => ((await post(port, `Bearer ${SECOND}`)) === 200 ? true : undefined), 30_000);
    expect(await post(port, `Bearer ${FIRST}`)).to.equal(200);
    // Step 2: the old one removed, a third added (as JSON this time).
    writeFileSync(file, JSON.stringify({ tokens: [SECOND, { token: THIRD }] }));
    await eventually('the first token refused', async () => ((await post(port, `Bearer ${FIRST}`)) === 401 ? true : undefined), 30_000);
    expect(await post(port, `Bearer ${THIRD}`)).to.equal(200);
    expect(await grpcExport(grpcPort, THIRD)).to.equal(true);
    expect(await grpcExport(grpcPort, FIRST)).to.equal(false);
    // A broken edit (a half-written file) keeps the tokens in use and is warned about.
    writeFileSync(file, `{"tokens": ["${SECOND}", "${BROKEN}"`);
    await eventually('a warning about the broken file', () => Promise.resolve(cli.stderr.includes('keeping the') ? true : undefined), 30_000);
    expect(await post(port, `Bearer ${SECOND}`)).to.equal(200);
    expect(await post(port, `Bearer ${BROKEN}`)).to.equal(401);
    const { text: metrics } = await scrape(port, SECOND);
    expect(metrics).to.match(/aim_otel_bridge_requests_total\{code="401"\} [1-9]/);

    await cli.stop();
    expect(cli.stderr).to.contain('senders authenticate with a bearer token: 2 tokens, token file');
    expect(cli.stderr).to.contain(`token file ${file} reloaded: 3 tokens (was 2)`);
    expect(cli.stderr).to.match(/invalid tokens in \S+tokens: not valid JSON at line 1; keeping the 3 tokens in use/);
    expect(cli.stderr).to.contain('"level":"debug"'); // debug logs were on, and hold no token either
    expectNoToken(cli.stdout, 'stdout');
    expectNoToken(cli.stderr, 'stderr');
    expectNoToken(seen.join('\n'), 'an answer');
  });

  it('a token file that cannot be used stops serve at start with one line naming the file and the entry, not the token', async () => {
    const file = join(dir, 'tokens.json');
    writeFileSync(file, JSON.stringify({ tokens: [FIRST, { token: SECOND, tenant: 'team-b', experiment: 'a', experimentPrefix: 'b' }] }));
    const cli = start(['--aim-url', aim.url, '--port', '0', '--token-file', file]);
    expect(await cli.exited).to.equal(1);
    expect(cli.stderr.trim()).to.equal(
      `aim-otel-bridge serve: invalid tokens in ${file}, tokens[1]: a tenant scope has an experiment or an experiment prefix, not both`,
    );
    const missing = start(['--aim-url', aim.url, '--port', '0', '--token-file', join(dir, 'nowhere')]);
    expect(await missing.exited).to.equal(1);
    expect(missing.stderr).to.contain(`invalid tokens in ${join(dir, 'nowhere')}: cannot be read (ENOENT)`);
    expectNoToken(cli.stdout + cli.stderr, 'the output');
  });

  it('--host 0.0.0.0 without a token exits 1, saying what to do', async () => {
    const cli = start(['--aim-url', aim.url, '--host', '0.0.0.0', '--port', '0']);
    expect(await cli.exited).to.equal(1);
    expect(cli.stderr).to.contain('aim-otel-bridge serve: refusing to listen on 0.0.0.0 without authentication');
    for (const way of ['--token-file <file>', '--tls-client-ca <file>', '--allow-unauthenticated-network']) expect(cli.stderr).to.contain(way);
    expect(cli.stdout).not.to.contain('receiving');
    // The variable set to false changes nothing.
    const off = start(['--aim-url', aim.url, '--host', '0.0.0.0', '--port', '0'], { AIM_OTEL_BRIDGE_ALLOW_UNAUTHENTICATED_NETWORK: 'false' });
    expect(await off.exited).to.equal(1);
  });

  it('--host 0.0.0.0 with --token-file starts without a warning', async () => {
    writeFileSync(join(dir, 'tokens'), `${FIRST}\n`);
    const cli = start(['--aim-url', aim.url, '--host', '0.0.0.0', '--port', '0', '--token-file', join(dir, 'tokens')]);
    const port = await portOf(cli);
    expect(await post(port, `Bearer ${FIRST}`)).to.equal(200);
    expect(cli.stderr).not.to.contain('WITHOUT authentication');
  });

  it('--allow-unauthenticated-network (or its variable) starts on 0.0.0.0 without a token, with a warning', async () => {
    for (const [args, env] of [
      [['--allow-unauthenticated-network'], {}],
      [[], { AIM_OTEL_BRIDGE_ALLOW_UNAUTHENTICATED_NETWORK: 'true' }],
    ] as const) {
      const cli = start(['--aim-url', aim.url, '--host', '0.0.0.0', '--port', '0', ...args], env);
      const port = await portOf(cli);
      expect(await post(port)).to.equal(200);
      const warning = cli.stderr.split('\n').find((line) => line.includes('WITHOUT authentication'));
      expect(JSON.parse(warning ?? '{}')).to.include({ level: 'warn', component: 'aim-otel-bridge/receiver' });
    }
  });

  it('loopback (the default) starts without a token, as before, without a warning', async () => {
    const cli = start(['--aim-url', aim.url, '--port', '0']);
    const port = await portOf(cli);
    expect(await post(port)).to.equal(200);
    expect(cli.stderr).not.to.contain('WITHOUT authentication');
  });
});
