/**
 * TLS for the receiver (OTLP/HTTP and OTLP/gRPC): the certificate, key and optional client CA
 * read from PEM files, checked before use, and read again while the receiver runs so a rotated
 * certificate is served without a restart.
 *
 * Reloading compares the files' content, read through their paths, every `reloadIntervalMs`: a
 * Kubernetes Secret or cert-manager volume swaps a symlink (`..data`) rather than writing the
 * files in place, which an inode watch misses; reading three small files every few seconds costs
 * nothing. A change is used only once all the files parse and the key matches the certificate:
 * a half-written file, or a certificate written before its key, keeps the previous material
 * serving (logged once per change, counted) until the files are whole again.
 */
import { X509Certificate, createHash, createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { SecureContextOptions } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { Counter, type Registry } from 'prom-client';
import { componentLogger } from '../logging/component-logger.js';

const log = componentLogger('receiver');

/** How often the TLS files are read again for changes by default, in ms. */
export const DEFAULT_TLS_RELOAD_INTERVAL_MS = 5_000;

/**
 * TLS of the receiver (OTLP/HTTP, and OTLP/gRPC when it runs): PEM files, as the Collector's
 * `tls` settings of a receiver (`cert_file`, `key_file`, `client_ca_file`).
 */
export interface ReceiverTlsOptions {
  /** PEM file of the server certificate, optionally followed by its intermediate CA certificates (leaf first). */
  certFile: string;
  /** PEM file of the certificate's private key (PKCS#8, PKCS#1 or SEC1; not encrypted). */
  keyFile: string;
  /**
   * PEM file of the CA certificate(s) that issue client certificates. When set, every client
   * must present a certificate verified against it (mutual TLS), else the handshake is refused;
   * like the Collector's `tls.client_ca_file`. Default: none, no client certificate is asked for.
   */
  clientCaFile?: string;
  /**
   * How often the files are read again, in ms; when their content changed and is usable, new
   * connections get the new certificate (and client CA). Default 5 000; 0 turns reloading off.
   */
  reloadIntervalMs?: number;
}

/** Whether `tls` makes clients present a certificate verified against its CA (mutual TLS). False without TLS. */
export function clientCertificatesRequired(tls: ReceiverTlsOptions | undefined): boolean {
  return tls?.clientCaFile !== undefined;
}

/** The TLS files of the receiver cannot be used: unreadable, not PEM, truncated, or a key that does not match the certificate. */
export class TlsConfigError extends Error {
  override readonly name = 'TlsConfigError';
  /** The file at fault (for a key that does not match its certificate: the key file). */
  readonly file: string;

  constructor(file: string, message: string) {
    super(message);
    this.file = file;
  }
}

/** The TLS material in use: the PEM bytes as read, checked. */
export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** The client CA(s), with `clientCaFile`. */
  readonly ca?: Buffer;
  /** The server certificate (the first of `cert`). */
  readonly certificate: X509Certificate;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** The certificates of a PEM file, each parsed; a file without one, or with a truncated one, is an error. */
function pemCertificates(pem: Buffer, file: string, what: string): X509Certificate[] {
  const text = pem.toString('latin1');
  const blocks = text.match(PEM_CERTIFICATE) ?? [];
  const begun = text.split('-----BEGIN ').length - 1;
  if (begun === 0) throw new TlsConfigError(file, `the ${what} file ${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  if (begun !== blocks.length) throw new TlsConfigError(file, `the ${what} file ${file} is truncated or holds something other than PEM certificates`);
  return blocks.map((block) => {
    try {
      return new X509Certificate(block);
    } catch (error) {
      throw new TlsConfigError(file, `the ${what} file ${file} holds a certificate that does not parse: ${messageOf(error)}`);
    }
  });
}

/** Reads one file, naming it in the error. */
async function readTlsFile(file: string, what: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new TlsConfigError(file, `cannot read the ${what} file ${file}: ${code ?? messageOf(error)}`);
  }
}

/** The files' bytes, as read. */
interface TlsFileBytes {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca?: Buffer;
}

async function readTlsFiles(options: ReceiverTlsOptions): Promise<TlsFileBytes> {
  const [cert, key, ca] = await Promise.all([
    readTlsFile(options.certFile, 'TLS certificate'),
    readTlsFile(options.keyFile, 'TLS key'),
    options.clientCaFile === undefined ? undefined : readTlsFile(options.clientCaFile, 'TLS client CA'),
  ]);
  return ca === undefined ? { cert, key } : { cert, key, ca };
}

/** Checks the bytes of the files: certificates that parse, a key that parses and matches the certificate. */
function checkTlsFiles(options: ReceiverTlsOptions, bytes: TlsFileBytes): TlsMaterial {
  const [certificate] = pemCertificates(bytes.cert, options.certFile, 'TLS certificate');
  if (certificate === undefined) throw new TlsConfigError(options.certFile, `the TLS certificate file ${options.certFile} holds no certificate`);
  let privateKey;
  try {
    privateKey = createPrivateKey(bytes.key);
  } catch (error) {
    throw new TlsConfigError(options.keyFile, `the TLS key file ${options.keyFile} holds no usable private key (PEM, not encrypted): ${messageOf(error)}`);
  }
  if (!certificate.checkPrivateKey(privateKey))
    throw new TlsConfigError(options.keyFile, `the private key in ${options.keyFile} does not match the certificate in ${options.certFile}`);
  if (options.clientCaFile !== undefined && bytes.ca !== undefined) pemCertificates(bytes.ca, options.clientCaFile, 'TLS client CA');
  return { ...bytes, certificate };
}

/**
 * Reads and checks the TLS files once.
 *
 * @throws TlsConfigError naming the file that cannot be used.
 */
export async function loadTlsMaterial(options: ReceiverTlsOptions): Promise<TlsMaterial> {
  return checkTlsFiles(options, await readTlsFiles(options));
}

/** `CN=…, serial …, valid until …` of a certificate, for the log. */
export function describeCertificate(certificate: X509Certificate): string {
  const subject = certificate.subject.replace(/\n/g, ', ');
  return `${subject} (serial ${certificate.serialNumber}, valid until ${certificate.validTo})`;
}

/** A listener of the material in use; called with each new material once it replaced the previous one. */
export type TlsMaterialListener = (material: TlsMaterial) => void;

/**
 * The receiver's TLS files while it runs: the material in use, read again every
 * `reloadIntervalMs`, and what HTTPS and gRPC servers need to use it (and its updates).
 */
export class ReceiverTls {
  /** Times new files were taken into use. */
  reloads = 0;
  /** Times changed files could not be used (the previous material kept serving). */
  reloadFailures = 0;
  private current: TlsMaterial;
  private readonly listeners = new Set<TlsMaterialListener>();
  private timer: NodeJS.Timeout | undefined;
  /** What the last read of the files found (their bytes, or the read error): a reload happens when it changes. */
  private lastSeen: string;
  private polling = false;

  private constructor(
    private readonly options: ReceiverTlsOptions,
    material: TlsMaterial,
  ) {
    this.current = material;
    this.lastSeen = fingerprint(material);
  }

  /**
   * Reads and checks the files and starts watching them.
   *
   * @throws TlsConfigError naming the file that cannot be used.
   */
  static async start(options: ReceiverTlsOptions): Promise<ReceiverTls> {
    const material = await loadTlsMaterial(options);
    const tls = new ReceiverTls(options, material);
    warnWhenNotValidNow(material.certificate, options.certFile);
    const interval = options.reloadIntervalMs ?? DEFAULT_TLS_RELOAD_INTERVAL_MS;
    if (interval > 0) {
      tls.timer = setInterval(() => {
        tls.poll().catch((error: unknown) => {
          log.warn(`reading the TLS files again failed, still serving the certificate in use: ${messageOf(error)}`);
        });
      }, interval);
      tls.timer.unref();
    }
    log.info(
      `TLS on with ${describeCertificate(material.certificate)}${tls.clientCertificatesRequired ? `, client certificates required (CA ${String(options.clientCaFile)})` : ''}`,
    );
    return tls;
  }

  /** Whether clients must present a certificate verified against the client CA (mutual TLS). */
  get clientCertificatesRequired(): boolean {
    return clientCertificatesRequired(this.options);
  }

  /** The material in use. */
  get material(): TlsMaterial {
    return this.current;
  }

  /** The `tls.createSecureContext` options of the material in use (for `createServer` and `setSecureContext`). */
  secureContextOptions(): SecureContextOptions {
    const { cert, key, ca } = this.current;
    return ca === undefined ? { cert, key } : { cert, key, ca };
  }

  /** Calls `listener` with each new material; returns the function that stops it. */
  onChange(listener: TlsMaterialListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /**
   * Credentials of a grpc-js server that serve the material in use and follow its reloads
   * (grpc-js's certificate-provider credentials, fed from here rather than by its own file
   * watcher, so a broken file never reaches the server).
   */
  grpcCredentials(): grpc.ServerCredentials {
    const provider = new MaterialCertificateProvider(this);
    const required = this.clientCertificatesRequired;
    // grpc-js passes its first argument on as the identity provider and its second as the CA
    // provider (whatever the parameter names of its typings say): the same provider serves both.
    return grpc.experimental.createCertificateProviderServerCredentials(provider, required ? provider : null, required);
  }

  /**
   * Reads the files now and takes them into use when they changed and are usable; logs (once per
   * change) and counts a change that is not. Resolves to whether new material was taken.
   */
  async poll(): Promise<boolean> {
    if (this.polling) return false;
    this.polling = true;
    try {
      let bytes: TlsFileBytes | undefined;
      let problem: Error | undefined;
      try {
        bytes = await readTlsFiles(this.options);
      } catch (error) {
        problem = asError(error);
      }
      const seen = bytes === undefined ? `unreadable ${problem?.message ?? ''}` : fingerprint(bytes);
      if (seen === this.lastSeen) return false;
      this.lastSeen = seen;
      let material: TlsMaterial | undefined;
      if (bytes !== undefined) {
        try {
          material = checkTlsFiles(this.options, bytes);
        } catch (error) {
          problem = asError(error);
        }
      }
      if (material === undefined) {
        this.reloadFailures += 1;
        log.warn(
          `the TLS files changed but cannot be used, still serving ${describeCertificate(this.current.certificate)}: ${problem?.message ?? 'unknown problem'}`,
        );
        return false;
      }
      this.current = material;
      this.reloads += 1;
      warnWhenNotValidNow(material.certificate, this.options.certFile);
      log.info(`TLS files reloaded: now serving ${describeCertificate(material.certificate)}`);
      for (const listener of this.listeners) {
        try {
          listener(material);
        } catch (error) {
          this.reloadFailures += 1;
          log.warn(`a server could not take the reloaded TLS files into use: ${messageOf(error)}`);
        }
      }
      return true;
    } finally {
      this.polling = false;
    }
  }

  /** Stops reading the files. Idempotent. */
  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.listeners.clear();
  }
}

/**
 * A grpc-js certificate provider serving the material of a {@link ReceiverTls}: identity
 * (certificate and key) and CA (client CA) updates on each reload. Listeners get the material in
 * use on the next tick after they are added, as grpc-js's own providers do (its server registers
 * its watcher only after adding the listener).
 */
class MaterialCertificateProvider implements grpc.experimental.CertificateProvider {
  private readonly caListeners = new Set<grpc.experimental.CaCertificateUpdateListener>();
  private readonly identityListeners = new Set<grpc.experimental.IdentityCertificateUpdateListener>();
  private stop: (() => void) | undefined;

  constructor(private readonly tls: ReceiverTls) {}

  addCaCertificateListener(listener: grpc.experimental.CaCertificateUpdateListener): void {
    this.caListeners.add(listener);
    this.follow();
    process.nextTick(() => {
      if (this.caListeners.has(listener)) listener(caUpdate(this.tls.material));
    });
  }

  removeCaCertificateListener(listener: grpc.experimental.CaCertificateUpdateListener): void {
    this.caListeners.delete(listener);
    this.unfollowWhenUnused();
  }

  addIdentityCertificateListener(listener: grpc.experimental.IdentityCertificateUpdateListener): void {
    this.identityListeners.add(listener);
    this.follow();
    process.nextTick(() => {
      if (this.identityListeners.has(listener)) listener(identityUpdate(this.tls.material));
    });
  }

  removeIdentityCertificateListener(listener: grpc.experimental.IdentityCertificateUpdateListener): void {
    this.identityListeners.delete(listener);
    this.unfollowWhenUnused();
  }

  private follow(): void {
    this.stop ??= this.tls.onChange((material) => {
      // The CA first: grpc-js sets a context after each update, and the identity's is the one that counts.
      for (const listener of this.caListeners) listener(caUpdate(material));
      for (const listener of this.identityListeners) listener(identityUpdate(material));
    });
  }

  private unfollowWhenUnused(): void {
    if (this.caListeners.size > 0 || this.identityListeners.size > 0) return;
    this.stop?.();
    this.stop = undefined;
  }
}

function caUpdate(material: TlsMaterial): grpc.experimental.CaCertificateUpdate | null {
  return material.ca === undefined ? null : { caCertificate: material.ca };
}

function identityUpdate(material: TlsMaterial): grpc.experimental.IdentityCertificateUpdate {
  return { certificate: material.cert, privateKey: material.key };
}

/**
 * Prometheus counters of a receiver's TLS, read from `tls` at scrape time:
 * `aim_otel_bridge_tls_reloads_total{outcome="reloaded"|"failed"}`.
 */
export function registerTlsMetrics(registry: Registry, tls: ReceiverTls): void {
  let seen = { reloaded: 0, failed: 0 };
  new Counter({
    name: 'aim_otel_bridge_tls_reloads_total',
    help: 'Changes of the TLS files taken into use (reloaded) or not usable, the previous certificate kept serving (failed)',
    labelNames: ['outcome'],
    registers: [registry],
    collect() {
      if (tls.reloads > seen.reloaded) this.inc({ outcome: 'reloaded' }, tls.reloads - seen.reloaded);
      if (tls.reloadFailures > seen.failed) this.inc({ outcome: 'failed' }, tls.reloadFailures - seen.failed);
      seen = { reloaded: tls.reloads, failed: tls.reloadFailures };
    },
  });
}

/** A key telling two reads of the files apart: a digest of their bytes (no copy of the key kept). */
function fingerprint(bytes: TlsFileBytes): string {
  const digest = createHash('sha256');
  for (const part of [bytes.cert, bytes.key, bytes.ca ?? Buffer.alloc(0)]) digest.update(String(part.length)).update(':').update(part);
  return digest.digest('hex');
}

function warnWhenNotValidNow(certificate: X509Certificate, file: string): void {
  const now = Date.now();
  if (Date.parse(certificate.validTo) < now) log.warn(`the TLS certificate in ${file} expired on ${certificate.validTo}; clients will refuse it`);
  else if (Date.parse(certificate.validFrom) > now)
    log.warn(`the TLS certificate in ${file} is not valid before ${certificate.validFrom}; clients will refuse it`);
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
