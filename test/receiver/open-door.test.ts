/**
 * Issue 18, point 2: no open door by accident. `createReceiver` refuses to listen on a
 * non-loopback address (HTTP `host`, gRPC `grpcHost`) without tokens or client certificates,
 * unless `allowUnauthenticatedNetwork` says the network is trusted (then it warns); loopback
 * needs nothing, as before. (The CLI's side: `secrets.int.test.ts`.)
 */
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diag } from '@opentelemetry/api';
import { expect } from 'chai';
import { isLoopback, UnauthenticatedBindError, checkBind } from '../../src/receiver/bind-guard.js';
import { type Receiver, type ReceiverOptions, createReceiver } from '../../src/receiver/server.js';
import { type RecordingLogger, recordDiag } from '../logging/recording-logger.js';
import { issueCertificate, makeTestCa } from './test-ca.js';

/** Nothing is written in these tests: an Aim URL nobody listens on. */
const AIM = 'aim://127.0.0.1:9';
const TOKEN = 'open-door-test-token-5d1c';

async function refusal(options: Omit<ReceiverOptions, 'url'>): Promise<UnauthenticatedBindError> {
  try {
    const receiver = await createReceiver({ url: AIM, port: 0, ...options });
    await receiver.close();
  } catch (error) {
    expect(error).to.be.instanceOf(UnauthenticatedBindError);
    return error as UnauthenticatedBindError;
  }
  expect.fail('createReceiver started');
}

/** `POST /v1/traces` of an empty request on the receiver's port, through loopback. */
async function post(receiver: Receiver, headers: Record<string, string> = {}): Promise<number> {
  const answer = await fetch(`http://127.0.0.1:${String(receiver.port)}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: '{"resourceSpans":[]}',
  });
  await answer.arrayBuffer();
  return answer.status;
}

describe('receiver: no open door by accident', () => {
  let logs: RecordingLogger;
  const started: Receiver[] = [];
  const start = async (options: Omit<ReceiverOptions, 'url'>): Promise<Receiver> => {
    const receiver = await createReceiver({ url: AIM, port: 0, ...options });
    started.push(receiver);
    return receiver;
  };
  /** The warnings about listening unauthenticated (not the 401 answers' lines). */
  const warnings = (): string[] =>
    logs.calls
      .filter((call) => call.level === 'warn')
      .map((call) => call.args.map(String).join(' '))
      .filter((line) => line.includes('WITHOUT authentication'));

  beforeEach(() => {
    logs = recordDiag();
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((receiver) => receiver.close()));
    diag.disable();
  });

  it('knows loopback: localhost, 127.0.0.0/8, ::1 (in any spelling); anything else is a network', () => {
    for (const host of ['localhost', 'LOCALHOST', 'api.localhost', '127.0.0.1', '127.1.2.3', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1'])
      expect(isLoopback(host), host).to.equal(true);
    for (const host of [
      '0.0.0.0',
      '::',
      '[::]',
      '',
      '10.0.0.5',
      '192.168.1.10',
      '::ffff:10.0.0.1',
      'fe80::1',
      'fe80::1%eth0',
      'bridge.internal',
      '128.0.0.1',
      'localhost.example.com',
    ])
      expect(isLoopback(host), host).to.equal(false);
  });

  it('refuses 0.0.0.0 (and ::) without a token, saying what to do', async () => {
    for (const host of ['0.0.0.0', '::']) {
      const error = await refusal({ host });
      expect(error.hosts).to.deep.equal([host]);
      expect(error.message).to.contain(`refusing to listen on ${host} without authentication`);
      for (const way of [
        '--token-file <file>',
        'option tokenFile',
        '--tls-client-ca <file>',
        'option tls.clientCaFile',
        '--allow-unauthenticated-network',
        'allowUnauthenticatedNetwork: true',
      ])
        expect(error.message).to.contain(way);
    }
  });

  it('refuses a non-loopback gRPC host, also when HTTP stays on loopback', async () => {
    const error = await refusal({ host: '127.0.0.1', grpcPort: 0, grpcHost: '0.0.0.0' });
    expect(error.hosts).to.deep.equal(['0.0.0.0']);
  });

  it('refuses TLS without client certificates and without a token (encryption is not authentication)', async function () {
    this.timeout(30_000);
    const ca = await makeTestCa('open-door CA');
    const server = await issueCertificate(ca, { commonName: 'localhost', kind: 'server' });
    await refusal({ host: '0.0.0.0', tls: { certFile: server.certFile, keyFile: server.keyFile } });
  });

  it('starts on 0.0.0.0 with a token (and asks for it), with a token file, or with scoped tokens', async () => {
    const withToken = await start({ host: '0.0.0.0', token: TOKEN });
    expect(await post(withToken)).to.equal(401);
    expect(await post(withToken, { authorization: `Bearer ${TOKEN}` })).to.equal(200);

    const dir = mkdtempSync(join(tmpdir(), 'open-door-'));
    try {
      writeFileSync(join(dir, 'tokens'), `${TOKEN}\n`);
      const withFile = await start({ host: '0.0.0.0', grpcPort: 0, tokenFile: join(dir, 'tokens') });
      expect(await post(withFile)).to.equal(401);
    } finally {
      rmSync(dir, { recursive: true });
    }
    const scoped = await start({ host: '0.0.0.0', tokens: [{ token: TOKEN, scope: { name: 'team-a' } }] });
    expect(await post(scoped)).to.equal(401);
    expect(warnings()).to.deep.equal([]);
  });

  it('starts on 0.0.0.0 with client certificates required (mTLS) and no token', async function () {
    this.timeout(30_000);
    const ca = await makeTestCa('open-door CA');
    const server = await issueCertificate(ca, { commonName: 'localhost', kind: 'server' });
    const receiver = await start({ host: '0.0.0.0', tls: { certFile: server.certFile, keyFile: server.keyFile, clientCaFile: ca.certFile } });
    expect(receiver.url).to.match(/^https:\/\/0\.0\.0\.0:/);
    expect(warnings()).to.deep.equal([]);
  });

  it('starts on 0.0.0.0 without a token with allowUnauthenticatedNetwork, and warns', async () => {
    const receiver = await start({ host: '0.0.0.0', grpcPort: 0, allowUnauthenticatedNetwork: true });
    expect(await post(receiver)).to.equal(200);
    expect(warnings()).to.have.length(1);
    expect(warnings()[0]).to.contain('listening on 0.0.0.0 WITHOUT authentication (allowUnauthenticatedNetwork)');
  });

  it('starts on loopback without a token, as before, without a warning', async () => {
    for (const host of [undefined, '127.0.0.1', 'localhost']) {
      const receiver = await start(host === undefined ? {} : { host });
      expect(await post(receiver)).to.equal(200);
    }
    expect(warnings()).to.deep.equal([]);
  });

  it('checkBind: tokens or client certificates make any host fine; the flag returns the open hosts (to warn about)', () => {
    const open = { hosts: ['0.0.0.0', '127.0.0.1', '0.0.0.0'], tokens: false, clientCertificates: false, allowUnauthenticatedNetwork: false };
    expect(() => checkBind(open)).to.throw(UnauthenticatedBindError, 'refusing to listen on 0.0.0.0 without');
    expect(checkBind({ ...open, tokens: true })).to.deep.equal([]);
    expect(checkBind({ ...open, clientCertificates: true })).to.deep.equal([]);
    expect(checkBind({ ...open, allowUnauthenticatedNetwork: true })).to.deep.equal(['0.0.0.0']);
    expect(checkBind({ ...open, hosts: ['127.0.0.1', '::1'] })).to.deep.equal([]);
  });
});
