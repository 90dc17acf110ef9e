/**
 * TLS of the receiver without Aim (the handshakes are answered by `GET /healthz`, which needs no
 * Aim, and by a gRPC call refused for its missing token, which reaches the handler only once the
 * handshake succeeded): start-up errors naming the file, HTTPS with and without client
 * certificates, reloads of rotated files (in place and by a symlink swap) and of broken files, gRPC
 * over TLS and mutual TLS. Certificates are made in the test (test-ca.ts).
 */
import { copyFile, mkdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { createServer as createTcpServer } from 'node:net';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { diag } from '@opentelemetry/api';
import { expect } from 'chai';
import { exportMethod } from '../../src/receiver/grpc-server.js';
import { type Receiver, createReceiver } from '../../src/receiver/index.js';
import { ReceiverTls, TlsConfigError, clientCertificatesRequired, loadTlsMaterial } from '../../src/receiver/tls.js';
import { recordDiag } from '../logging/recording-logger.js';
import { eventually } from '../peers/wait.js';
import { type CertificateFiles, type TestCa, issueCertificate, makeTestCa } from './test-ca.js';
import { freePort } from '../../src/up/ports.js';

/** What a TLS client presents: the CA it trusts, and its own certificate for mutual TLS. */
interface ClientTls {
  trust?: TestCa;
  identity?: CertificateFiles;
}

/**
 * `GET url/healthz` (or `path`) on a new connection: the status and the serial of the certificate
 * the server presented (and the body, with `path`); rejects when the handshake fails.
 */
async function healthz(url: string, client: ClientTls, path?: string): Promise<{ status: number; serial: string; body?: string }> {
  const ca = client.trust === undefined ? undefined : await readFile(client.trust.certFile);
  const identity = client.identity === undefined ? {} : { cert: await readFile(client.identity.certFile), key: await readFile(client.identity.keyFile) };
  return new Promise((resolve, reject) => {
    const call = request(`${url}${path ?? '/healthz'}`, { agent: false, ...(ca === undefined ? {} : { ca }), ...identity, timeout: 5_000 }, (response) => {
      const serial = (response.socket as TLSSocket).getPeerCertificate().serialNumber;
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        resolve({ status: response.statusCode ?? 0, serial, ...(path === undefined ? {} : { body }) });
      });
      response.on('error', reject);
    });
    call.on('timeout', () => call.destroy(new Error('timed out')));
    call.on('error', reject);
    call.end();
  });
}

/** Whether a promise rejects (and with what), for handshakes that must fail. */
async function failure(promise: Promise<unknown>): Promise<Error | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return error as Error;
  }
}

const TOKEN = 'tls-test-token';

/**
 * An `Export` of traces over gRPC without the token on a new channel: the status code (UNAUTHENTICATED
 * means the handshake succeeded and the call reached the receiver) and the serial of the server's
 * certificate as the client checked it.
 */
async function grpcCall(target: string, client: ClientTls): Promise<{ code: grpc.status; details: string; serial?: string }> {
  const root = client.trust === undefined ? null : await readFile(client.trust.certFile);
  const key = client.identity === undefined ? null : await readFile(client.identity.keyFile);
  const cert = client.identity === undefined ? null : await readFile(client.identity.certFile);
  let serial: string | undefined;
  const credentials = grpc.credentials.createSsl(root, key, cert, {
    checkServerIdentity: (_host, certificate) => {
      serial = certificate.serialNumber;
      return undefined;
    },
  });
  const definition = exportMethod('traces');
  // The server's certificate names localhost (and 127.0.0.1, which TLS's server name cannot carry).
  const channel = new grpc.Client(target, credentials, { 'grpc.ssl_target_name_override': 'localhost' });
  try {
    return await new Promise((resolve) => {
      channel.makeUnaryRequest(
        definition.path,
        (body: Buffer) => body,
        (bytes: Buffer) => bytes,
        Buffer.alloc(0),
        new grpc.Metadata(),
        { deadline: Date.now() + 5_000 },
        (error) => {
          resolve({ code: error?.code ?? grpc.status.OK, details: error?.details ?? '', ...(serial === undefined ? {} : { serial }) });
        },
      );
    });
  } finally {
    channel.close();
  }
}

describe('receiver TLS (certificates made in the test)', function () {
  this.timeout(60_000);
  let ca: TestCa;
  let otherCa: TestCa;
  let server: CertificateFiles;
  let rotated: CertificateFiles;
  let client: CertificateFiles;
  let strangerClient: CertificateFiles;
  let aimUrl: string;

  before(async () => {
    ca = await makeTestCa('bridge test CA');
    otherCa = await makeTestCa('another CA');
    [server, rotated, client, strangerClient] = await Promise.all([
      issueCertificate(ca, { commonName: 'bridge server', kind: 'server' }),
      issueCertificate(ca, { commonName: 'bridge server rotated', kind: 'server' }),
      issueCertificate(ca, { commonName: 'collector', kind: 'client' }),
      issueCertificate(otherCa, { commonName: 'collector of another CA', kind: 'client' }),
    ]);
    aimUrl = `aim://127.0.0.1:${String(await freePort())}`;
  });

  /** A fresh copy of `server`'s files (the receiver's, to be rotated in place by the test). */
  async function servedFiles(name: string): Promise<{ certFile: string; keyFile: string }> {
    const dir = join(ca.dir, `served-${name}`);
    await mkdir(dir, { recursive: true });
    const certFile = join(dir, 'tls.crt');
    const keyFile = join(dir, 'tls.key');
    await copyFile(server.certFile, certFile);
    await copyFile(server.keyFile, keyFile);
    return { certFile, keyFile };
  }

  describe('files that cannot be used fail the start with a TlsConfigError naming the file', () => {
    async function startError(tls: Parameters<typeof loadTlsMaterial>[0]): Promise<TlsConfigError> {
      const error = await failure(createReceiver({ url: aimUrl, port: 0, tls }));
      expect(error).to.be.instanceOf(TlsConfigError);
      return error as TlsConfigError;
    }

    it('a missing certificate file', async () => {
      const missing = join(ca.dir, 'no-such.pem');
      const error = await startError({ certFile: missing, keyFile: server.keyFile });
      expect(error.file).to.equal(missing);
      expect(error.message).to.include(missing).and.include('ENOENT');
    });

    it('a key that is not the certificate’s', async () => {
      const error = await startError({ certFile: server.certFile, keyFile: rotated.keyFile });
      expect(error.file).to.equal(rotated.keyFile);
      expect(error.message).to.include('does not match').and.include(server.certFile);
    });

    it('a truncated certificate, a key that is not a key, a client CA that holds no certificate', async () => {
      const truncated = join(ca.dir, 'truncated.pem');
      const pem = await readFile(server.certFile);
      await writeFile(truncated, pem.subarray(0, pem.length >> 1));
      const truncatedError = await startError({ certFile: truncated, keyFile: server.keyFile });
      expect([truncatedError.file, truncatedError.message]).to.deep.equal([
        truncated,
        `the TLS certificate file ${truncated} is truncated or holds something other than PEM certificates`,
      ]);
      expect((await startError({ certFile: server.certFile, keyFile: server.certFile })).message).to.include('no usable private key');
      const garbage = join(ca.dir, 'garbage-ca.pem');
      await writeFile(garbage, 'not a certificate\n');
      const error = await startError({ certFile: server.certFile, keyFile: server.keyFile, clientCaFile: garbage });
      expect(error.file).to.equal(garbage);
      expect(error.message).to.include('no PEM certificate');
    });

    it('nothing listens after a failed start (the port is free again)', async () => {
      const port = await freePort();
      await failure(createReceiver({ url: aimUrl, port, tls: { certFile: server.certFile, keyFile: rotated.keyFile } }));
      const probe = createTcpServer();
      await new Promise<void>((resolve, reject) => {
        probe.once('error', reject);
        probe.listen(port, '127.0.0.1', resolve);
      });
      probe.close();
    });
  });

  it('clientCertificatesRequired: only with a client CA', () => {
    expect(clientCertificatesRequired(undefined)).to.equal(false);
    expect(clientCertificatesRequired({ certFile: 'c', keyFile: 'k' })).to.equal(false);
    expect(clientCertificatesRequired({ certFile: 'c', keyFile: 'k', clientCaFile: 'ca' })).to.equal(true);
  });

  describe('HTTPS', () => {
    let receiver: Receiver | undefined;
    afterEach(async () => {
      await receiver?.close();
      receiver = undefined;
    });

    it('serves https:// to a client trusting the CA; a client that does not trust it fails the handshake', async () => {
      receiver = await createReceiver({ url: aimUrl, port: 0, tls: { certFile: server.certFile, keyFile: server.keyFile } });
      expect(receiver.url).to.match(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(receiver.clientCertificatesRequired).to.equal(false);
      expect(await healthz(receiver.url, { trust: ca })).to.deep.equal({ status: 200, serial: server.serial });
      const error = await failure(healthz(receiver.url, {}));
      expect(error?.message).to.match(/unable to verify|self[- ]signed/i);
      expect((await failure(healthz(receiver.url, { trust: otherCa })))?.message).to.match(/unable to verify|self[- ]signed/i);
    });

    it('with a client CA: no client certificate and one of another CA are refused, the CA’s own gets 200', async () => {
      receiver = await createReceiver({ url: aimUrl, port: 0, tls: { certFile: server.certFile, keyFile: server.keyFile, clientCaFile: ca.certFile } });
      expect(receiver.clientCertificatesRequired).to.equal(true);
      const REFUSED = /certificate required|unknown ca|socket hang up|ECONNRESET/;
      expect((await failure(healthz(receiver.url, { trust: ca })))?.message).to.match(REFUSED);
      expect((await failure(healthz(receiver.url, { trust: ca, identity: strangerClient })))?.message).to.match(REFUSED);
      expect(await healthz(receiver.url, { trust: ca, identity: client })).to.deep.equal({ status: 200, serial: server.serial });
      const { body } = await healthz(receiver.url, { trust: ca, identity: client }, '/metrics');
      expect(body).to.match(/aim_otel_bridge_tls_handshake_failures_total [2-9]\n/);
    });

    it('reloads rotated files: new connections get the new certificate; a broken file keeps the last good one serving (warned once)', async () => {
      const files = await servedFiles('https-rotation');
      receiver = await createReceiver({ url: aimUrl, port: 0, tls: { ...files, reloadIntervalMs: 100 } });
      const url = receiver.url;
      expect((await healthz(url, { trust: ca })).serial).to.equal(server.serial);
      // Rotated in place: the key first, then the certificate (a poll between the two sees a mismatch and waits).
      await copyFile(rotated.keyFile, files.keyFile);
      await copyFile(rotated.certFile, files.certFile);
      await eventually(
        'the rotated certificate served',
        async () => ((await healthz(url, { trust: ca })).serial === rotated.serial ? true : undefined),
        10_000,
      );
      const logger = recordDiag();
      try {
        // Half a certificate, as a writer caught mid-way leaves it.
        const pem = await readFile(server.certFile);
        await writeFile(files.certFile, pem.subarray(0, pem.length >> 1));
        await eventually(
          'the warning about the broken file',
          () => Promise.resolve(logger.lines.some((line) => line.includes('cannot be used, still serving')) ? true : undefined),
          10_000,
        );
        await new Promise((wait) => setTimeout(wait, 500));
        expect((await healthz(url, { trust: ca })).serial).to.equal(rotated.serial);
        const warnings = logger.calls.filter((call) => call.level === 'warn' && call.args.map(String).join(' ').includes('still serving'));
        expect(warnings).to.have.length(1);
        expect(warnings[0]?.args.join(' ')).to.include('aim-otel-bridge/receiver').and.include(files.certFile).and.include('bridge server rotated');
      } finally {
        diag.disable();
      }
      const { body } = await healthz(url, { trust: ca }, '/metrics');
      expect(body).to.include('aim_otel_bridge_tls_reloads_total{outcome="reloaded"} 1');
      // The broken file, and perhaps a poll that read the new key before the new certificate.
      expect(body).to.match(/aim_otel_bridge_tls_reloads_total\{outcome="failed"\} [12]\n/);
    });

    it('reloads the client CA: after the CA file is replaced, clients of the new CA get in and those of the old one no longer do', async () => {
      const dir = join(ca.dir, 'served-client-ca');
      await mkdir(dir, { recursive: true });
      const clientCaFile = join(dir, 'client-ca.pem');
      await copyFile(ca.certFile, clientCaFile);
      receiver = await createReceiver({
        url: aimUrl,
        port: 0,
        tls: { certFile: server.certFile, keyFile: server.keyFile, clientCaFile, reloadIntervalMs: 100 },
      });
      const url = receiver.url;
      expect((await healthz(url, { trust: ca, identity: client })).status).to.equal(200);
      expect(await failure(healthz(url, { trust: ca, identity: strangerClient }))).to.be.instanceOf(Error);
      await copyFile(otherCa.certFile, clientCaFile);
      await eventually(
        'the client of the new CA admitted',
        async () => ((await healthz(url, { trust: ca, identity: strangerClient })).status === 200 ? true : undefined),
        10_000,
      );
      expect(await failure(healthz(url, { trust: ca, identity: client }))).to.be.instanceOf(Error);
      // Still mutual TLS: no client certificate at all is refused.
      expect(await failure(healthz(url, { trust: ca }))).to.be.instanceOf(Error);
    });
  });

  describe('ReceiverTls', () => {
    it('follows a Kubernetes-style symlink swap (..data → a new directory), by content, and counts reloads and failures', async () => {
      const root = join(ca.dir, 'k8s-secret');
      await rm(root, { recursive: true, force: true });
      const version = async (name: string, files: CertificateFiles): Promise<void> => {
        await mkdir(join(root, name), { recursive: true });
        await copyFile(files.certFile, join(root, name, 'tls.crt'));
        await copyFile(files.keyFile, join(root, name, 'tls.key'));
      };
      await version('v1', server);
      await symlink('v1', join(root, '..data'));
      await symlink(join('..data', 'tls.crt'), join(root, 'tls.crt'));
      await symlink(join('..data', 'tls.key'), join(root, 'tls.key'));
      const tls = await ReceiverTls.start({ certFile: join(root, 'tls.crt'), keyFile: join(root, 'tls.key'), reloadIntervalMs: 0 });
      try {
        const seen: string[] = [];
        tls.onChange((material) => seen.push(material.certificate.serialNumber));
        expect(await tls.poll()).to.equal(false);
        await version('v2', rotated);
        await symlink('v2', join(root, '..data_tmp'));
        await rename(join(root, '..data_tmp'), join(root, '..data'));
        expect(await tls.poll()).to.equal(true);
        expect(tls.material.certificate.serialNumber).to.equal(rotated.serial);
        expect(seen).to.deep.equal([rotated.serial]);
        // A version whose key is not its certificate's: kept out, counted once however often it is read.
        await mkdir(join(root, 'v3'));
        await copyFile(server.certFile, join(root, 'v3', 'tls.crt'));
        await copyFile(rotated.keyFile, join(root, 'v3', 'tls.key'));
        await symlink('v3', join(root, '..data_tmp'));
        await rename(join(root, '..data_tmp'), join(root, '..data'));
        expect(await tls.poll()).to.equal(false);
        expect(await tls.poll()).to.equal(false);
        expect(tls.material.certificate.serialNumber).to.equal(rotated.serial);
        expect([tls.reloads, tls.reloadFailures]).to.deep.equal([1, 1]);
      } finally {
        tls.close();
      }
    });
  });

  describe('gRPC', () => {
    let receiver: Receiver | undefined;
    afterEach(async () => {
      await receiver?.close();
      receiver = undefined;
    });

    it('over TLS: grpcUrl is https://, a client trusting the CA reaches the receiver, one that does not fails the handshake', async () => {
      receiver = await createReceiver({ url: aimUrl, port: 0, grpcPort: 0, token: TOKEN, tls: { certFile: server.certFile, keyFile: server.keyFile } });
      expect(receiver.grpcUrl).to.match(/^https:\/\/127\.0\.0\.1:\d+$/);
      const target = `127.0.0.1:${String(receiver.grpcPort)}`;
      const trusted = await grpcCall(target, { trust: ca });
      expect([trusted.code, trusted.serial]).to.deep.equal([grpc.status.UNAUTHENTICATED, server.serial]);
      const untrusted = await grpcCall(target, { trust: otherCa });
      expect(untrusted.code).to.equal(grpc.status.UNAVAILABLE);
      expect(untrusted.details).to.include('unable to verify');
    });

    it('with a client CA: no client certificate and one of another CA are refused, the CA’s own reaches the receiver', async () => {
      receiver = await createReceiver({
        url: aimUrl,
        port: 0,
        grpcPort: 0,
        token: TOKEN,
        tls: { certFile: server.certFile, keyFile: server.keyFile, clientCaFile: ca.certFile },
      });
      const target = `127.0.0.1:${String(receiver.grpcPort)}`;
      expect((await grpcCall(target, { trust: ca })).code).to.equal(grpc.status.UNAVAILABLE);
      expect((await grpcCall(target, { trust: ca, identity: strangerClient })).code).to.equal(grpc.status.UNAVAILABLE);
      expect((await grpcCall(target, { trust: ca, identity: client })).code).to.equal(grpc.status.UNAUTHENTICATED);
    });

    it('reloads rotated files: a new channel gets the new certificate; a broken file keeps the last good one', async () => {
      const files = await servedFiles('grpc-rotation');
      receiver = await createReceiver({
        url: aimUrl,
        port: 0,
        grpcPort: 0,
        token: TOKEN,
        tls: { ...files, clientCaFile: ca.certFile, reloadIntervalMs: 100 },
      });
      const target = `127.0.0.1:${String(receiver.grpcPort)}`;
      expect((await grpcCall(target, { trust: ca, identity: client })).serial).to.equal(server.serial);
      await copyFile(rotated.keyFile, files.keyFile);
      await copyFile(rotated.certFile, files.certFile);
      await eventually(
        'the rotated certificate over gRPC',
        async () => ((await grpcCall(target, { trust: ca, identity: client })).serial === rotated.serial ? true : undefined),
        10_000,
      );
      await writeFile(files.keyFile, 'half a key');
      await new Promise((wait) => setTimeout(wait, 500));
      const after = await grpcCall(target, { trust: ca, identity: client });
      expect([after.code, after.serial]).to.deep.equal([grpc.status.UNAUTHENTICATED, rotated.serial]);
    });
  });
});
