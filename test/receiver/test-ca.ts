/**
 * Certificates made in the test: a CA, and server and client certificates it issues, with the
 * system's `openssl` command (EC P-256 keys, valid for two days, fresh random serials). Made per
 * test run in a temporary directory; nothing is checked in.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function openssl(args: readonly string[]): Promise<void> {
  try {
    await run('openssl', args);
  } catch (error) {
    const { code, stderr } = error as NodeJS.ErrnoException & { stderr?: string };
    if (code === 'ENOENT') throw new Error('the TLS tests make their certificates with the `openssl` command, which is not on the PATH');
    throw new Error(`openssl ${args[0] ?? ''} failed: ${stderr ?? String(error)}`);
  }
}

/** A PEM certificate and its key, as files. */
export interface CertificateFiles {
  readonly certFile: string;
  readonly keyFile: string;
  /** The certificate's serial number, upper-case hex as `X509Certificate.serialNumber` gives it. */
  readonly serial: string;
  /** Its subject's common name. */
  readonly commonName: string;
}

/** A certificate authority made for the test. */
export interface TestCa extends CertificateFiles {
  /** The directory its files (and those of the certificates it issues) are in. */
  readonly dir: string;
}

/** A fresh serial: 16 random bytes, the high bit clear (serials are positive). */
function freshSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x10;
  return bytes.toString('hex').toUpperCase();
}

async function newKey(keyFile: string): Promise<void> {
  await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyFile]);
}

/** Makes a CA (self-signed, `CA:TRUE`, `keyCertSign`) named `commonName`, in a new temporary directory unless `dir` is given. */
export async function makeTestCa(commonName: string, dir?: string): Promise<TestCa> {
  const home = dir ?? (await mkdtemp(join(tmpdir(), 'aim-otel-bridge-ca-')));
  const name = commonName.replace(/\W+/g, '-');
  const keyFile = join(home, `${name}.key`);
  const certFile = join(home, `${name}.pem`);
  const serial = freshSerial();
  await newKey(keyFile);
  await openssl([
    'req',
    '-x509',
    '-new',
    '-key',
    keyFile,
    '-subj',
    `/CN=${commonName}`,
    '-days',
    '2',
    '-set_serial',
    `0x${serial}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-out',
    certFile,
  ]);
  return { dir: home, certFile, keyFile, serial, commonName };
}

/** What a certificate issued by a test CA is for. */
export interface IssueOptions {
  /** Its common name (also the file names). */
  readonly commonName: string;
  /** `server` (serverAuth, SAN `localhost` and `127.0.0.1`) or `client` (clientAuth). */
  readonly kind: 'server' | 'client';
}

/** Issues a certificate from `ca`, its files in the CA's directory (named after the common name and the serial). */
export async function issueCertificate(ca: TestCa, options: IssueOptions): Promise<CertificateFiles> {
  const serial = freshSerial();
  const base = join(ca.dir, `${options.commonName.replace(/\W+/g, '-')}-${serial.slice(0, 8)}`);
  const keyFile = `${base}.key`;
  const certFile = `${base}.pem`;
  const requestFile = `${base}.csr`;
  const extensionsFile = `${base}.ext`;
  await newKey(keyFile);
  await openssl(['req', '-new', '-key', keyFile, '-subj', `/CN=${options.commonName}`, '-out', requestFile]);
  await writeFile(
    extensionsFile,
    [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
      options.kind === 'server' ? 'extendedKeyUsage=serverAuth' : 'extendedKeyUsage=clientAuth',
      ...(options.kind === 'server' ? ['subjectAltName=DNS:localhost,IP:127.0.0.1'] : []),
      '',
    ].join('\n'),
  );
  await openssl([
    'x509',
    '-req',
    '-in',
    requestFile,
    '-CA',
    ca.certFile,
    '-CAkey',
    ca.keyFile,
    '-set_serial',
    `0x${serial}`,
    '-days',
    '2',
    '-extfile',
    extensionsFile,
    '-out',
    certFile,
  ]);
  return { certFile, keyFile, serial, commonName: options.commonName };
}
