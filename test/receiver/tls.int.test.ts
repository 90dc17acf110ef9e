/**
 * The receiver over TLS with client certificates (mutual TLS) against real peers: the Collector
 * built from our manifest (its `otlp_http` and `otlp_grpc` exporters with `tls: { ca_file,
 * cert_file, key_file }`), the OTel JS gRPC trace exporter with TLS credentials, a Node HTTPS
 * client, and `aim-otel-bridge serve --tls-*`, each writing into a real aim server read back with
 * the Aim SDK oracle. The CA and the certificates are made in the test (test-ca.ts).
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { expect } from 'chai';
import { runHash } from '../../src/mapping/run-key.js';
import { type Receiver, createReceiver } from '../../src/receiver/index.js';
import { freePort } from '../../src/up/ports.js';
import { type AimServer, startAimServer } from '../peers/aim.js';
import { CliProcess } from '../peers/cli-process.js';
import { collectorToBridgeConfig, startCollector } from '../peers/collector.js';
import { type OracleRun, readAimRun } from '../peers/oracle.js';
import { otlpJsonTrace } from '../peers/otlp-fixture.js';
import { eventually } from '../peers/wait.js';
import { type CertificateFiles, type TestCa, issueCertificate, makeTestCa } from './test-ca.js';

/** POSTs an OTLP/JSON body to `url/v1/traces` over HTTPS trusting `ca`, with a client certificate when given; resolves to the status. */
async function postOtlpJsonTls(url: string, body: string, ca: TestCa, identity?: CertificateFiles): Promise<number> {
  const tls = {
    ca: await readFile(ca.certFile),
    ...(identity === undefined ? {} : { cert: await readFile(identity.certFile), key: await readFile(identity.keyFile) }),
  };
  return new Promise((resolve, reject) => {
    const call = request(
      `${url}/v1/traces`,
      { method: 'POST', agent: false, headers: { 'content-type': 'application/json' }, timeout: 15_000, ...tls },
      (response) => {
        response.resume();
        response.on('end', () => {
          resolve(response.statusCode ?? 0);
        });
        response.on('error', reject);
      },
    );
    call.on('timeout', () => call.destroy(new Error('timed out')));
    call.on('error', reject);
    call.end(body);
  });
}

/** The run of `traceId` once the oracle finds it in the repository. */
async function runInAim(aim: AimServer, traceId: string): Promise<OracleRun> {
  return eventually('the span in Aim', async () => {
    try {
      return await readAimRun(aim.repoDir, runHash(traceId));
    } catch {
      return undefined;
    }
  });
}

/** A Collector config: OTLP/HTTP in, `exporter` (otlp_http or otlp_grpc) out to the bridge with mutual TLS. */
function collectorConfig(exporter: 'otlp_http' | 'otlp_grpc', files: { ca: string; cert: string; key: string }): string {
  return collectorToBridgeConfig(exporter, 'BRIDGE_ENDPOINT', ['tls:', `  ca_file: ${files.ca}`, `  cert_file: ${files.cert}`, `  key_file: ${files.key}`]);
}

describe('receiver over TLS with client certificates, against real peers (Collector, OTel JS gRPC exporter, aim server)', function () {
  this.timeout(180_000);
  let ca: TestCa;
  let otherCa: TestCa;
  let server: CertificateFiles;
  let client: CertificateFiles;
  let strangerClient: CertificateFiles;
  let aim: AimServer;
  let receiver: Receiver;

  before(async () => {
    ca = await makeTestCa('bridge int CA');
    otherCa = await makeTestCa('another int CA');
    [server, client, strangerClient] = await Promise.all([
      issueCertificate(ca, { commonName: 'bridge', kind: 'server' }),
      issueCertificate(ca, { commonName: 'collector', kind: 'client' }),
      issueCertificate(otherCa, { commonName: 'intruder', kind: 'client' }),
    ]);
    aim = await startAimServer();
    receiver = await createReceiver({
      url: aim.url,
      port: 0,
      grpcPort: 0,
      // A root chat span without a conversation: one run per trace, read back by its trace.
      unkeyed: { grouping: 'trace' },
      tls: { certFile: server.certFile, keyFile: server.keyFile, clientCaFile: ca.certFile },
    });
  });
  after(async () => {
    await receiver.close();
    await aim.process.stop();
  });

  it('HTTPS: a span from a client with the CA’s certificate is answered 200 and lands in Aim; without one, or with another CA’s, the handshake fails', async () => {
    expect(receiver.url).to.match(/^https:/);
    expect(receiver.clientCertificatesRequired).to.equal(true);
    const refused = otlpJsonTrace('tls-https', 'chat refused');
    for (const identity of [undefined, strangerClient]) {
      let status: number | undefined;
      try {
        status = await postOtlpJsonTls(receiver.url, refused.body, ca, identity);
      } catch {
        status = undefined;
      }
      expect(status, `client certificate ${identity?.commonName ?? 'none'}`).to.equal(undefined);
    }
    const fixture = otlpJsonTrace('tls-https', 'chat over https');
    expect(await postOtlpJsonTls(receiver.url, fixture.body, ca, client)).to.equal(200);
    const run = await runInAim(aim, fixture.traceId);
    expect(run.experiment).to.equal('tls-https');
    expect(run.sequences.some((s) => s.name === 'gen_ai.client.operation.duration')).to.equal(true);
    // Nothing of the refused requests reached Aim.
    let refusedRun: OracleRun | undefined;
    try {
      refusedRun = await readAimRun(aim.repoDir, runHash(refused.traceId));
    } catch {
      refusedRun = undefined;
    }
    expect(refusedRun).to.equal(undefined);
  });

  for (const exporter of ['otlp_http', 'otlp_grpc'] as const) {
    it(`the Collector's ${exporter} exporter with tls { ca_file, cert_file, key_file } delivers spans into Aim`, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'otelcol-tls-'));
      const config = join(dir, `collector-to-bridge-${exporter}-tls.yaml`);
      await writeFile(config, collectorConfig(exporter, { ca: ca.certFile, cert: client.certFile, key: client.keyFile }));
      const otlpPort = await freePort();
      const collector = await startCollector(config, {
        OTLP_HTTP_ENDPOINT: `127.0.0.1:${String(otlpPort)}`,
        BRIDGE_ENDPOINT: exporter === 'otlp_http' ? receiver.url : `127.0.0.1:${String(receiver.grpcPort)}`,
      });
      try {
        const fixture = otlpJsonTrace(`collector-${exporter}-tls`, `chat via collector ${exporter} over mTLS`);
        const sent = await fetch(`http://127.0.0.1:${String(otlpPort)}/v1/traces`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: fixture.body,
          signal: AbortSignal.timeout(10_000),
        });
        expect(sent.status).to.equal(200);
        const run = await runInAim(aim, fixture.traceId);
        expect(run.experiment).to.equal(`collector-${exporter}-tls`);
        expect(run.sequences.some((s) => s.name === 'gen_ai.client.operation.duration')).to.equal(true);
      } finally {
        await collector.process.stop();
      }
    });
  }

  it('the OTel JS gRPC trace exporter with TLS credentials and a client certificate delivers spans into Aim; without a certificate it fails', async () => {
    expect(receiver.grpcUrl).to.match(/^https:/);
    const memory = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'tls-grpc-js' }),
      spanProcessors: [new SimpleSpanProcessor(memory)],
    });
    const span = provider.getTracer('test').startSpan(
      'chat m',
      {
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': 'm',
          'gen_ai.provider.name': 'openai',
          'gen_ai.usage.input_tokens': 11,
          'gen_ai.usage.output_tokens': 7,
        },
      },
      ROOT_CONTEXT,
    );
    span.end();
    const spans = memory.getFinishedSpans();
    const traceId = span.spanContext().traceId;
    const rootCa = await readFile(ca.certFile);
    const send = async (credentials: grpc.ChannelCredentials): Promise<ExportResult> => {
      // The certificate names localhost and 127.0.0.1; the URL's host is localhost so TLS can name it.
      const exporter = new OTLPTraceExporter({ url: `https://localhost:${String(receiver.grpcPort)}`, credentials, timeoutMillis: 10_000 });
      try {
        return await new Promise((resolve) => {
          exporter.export(spans, resolve);
        });
      } finally {
        await exporter.shutdown();
      }
    };
    const refused = await send(grpc.credentials.createSsl(rootCa));
    expect(refused.code).to.equal(ExportResultCode.FAILED);
    const delivered = await send(grpc.credentials.createSsl(rootCa, await readFile(client.keyFile), await readFile(client.certFile)));
    expect(delivered.code, String(delivered.error)).to.equal(ExportResultCode.SUCCESS);
    const run = await runInAim(aim, traceId);
    expect(run.experiment).to.equal('tls-grpc-js');
  });

  describe('aim-otel-bridge serve', () => {
    it('--tls-cert, --tls-key, --tls-client-ca: receives on https:// and takes a span from a client with a certificate into Aim', async () => {
      const cli = new CliProcess([
        'serve',
        '--aim-url',
        aim.url,
        '--port',
        '0',
        '--unkeyed-runs',
        'trace',
        '--tls-cert',
        server.certFile,
        '--tls-key',
        server.keyFile,
        '--tls-client-ca',
        ca.certFile,
      ]);
      try {
        const [, url] = await cli.waitFor(/receiving OTLP\/HTTP on (https:\/\/127\.0\.0\.1:\d+)\//, 60_000);
        const fixture = otlpJsonTrace('tls-cli', 'chat via serve over mTLS');
        expect(await postOtlpJsonTls(url ?? '', fixture.body, ca, client)).to.equal(200);
        expect((await runInAim(aim, fixture.traceId)).experiment).to.equal('tls-cli');
      } finally {
        await cli.stop();
      }
    });

    it('a certificate without its key, or a key file that cannot be read, exits 1 with a line that says so', async () => {
      const alone = new CliProcess(['serve', '--aim-url', aim.url, '--port', '0', '--tls-cert', server.certFile]);
      expect(await alone.exited).to.equal(1);
      expect(alone.stderr).to.include('TLS needs both --tls-cert and --tls-key');
      const missing = join(ca.dir, 'missing.key');
      const unreadable = new CliProcess(['serve', '--aim-url', aim.url, '--port', '0', '--tls-cert', server.certFile, '--tls-key', missing]);
      expect(await unreadable.exited).to.equal(1);
      expect(unreadable.stderr).to.include(`cannot read the TLS key file ${missing}: ENOENT`);
    });
  });
});
