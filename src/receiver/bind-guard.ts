/**
 * No open door by accident: `aim server` has no authentication at all, so a receiver that anyone
 * on a network can reach without a token writes anyone's data into Aim. A receiver listening on
 * anything but loopback must authenticate its senders (a bearer token, or client certificates),
 * unless its user says explicitly that the network is trusted.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** The receiver refuses to listen on a non-loopback address without authentication (see {@link checkBind}). */
export class UnauthenticatedBindError extends Error {
  override readonly name = 'UnauthenticatedBindError';

  /** @param hosts - the non-loopback addresses it was asked to listen on. */
  constructor(readonly hosts: readonly string[]) {
    super(
      `refusing to listen on ${hosts.join(' and ')} without authentication: aim server has no authentication of its own, so anyone who reaches ` +
        'this port could write into Aim. Give the receiver tokens (serve --token-file <file>, option tokenFile; or --token, option token/tokens), ' +
        'or require client certificates (serve --tls-client-ca <file>, option tls.clientCaFile), ' +
        'or listen on loopback (--host 127.0.0.1); if the network is trusted, say so with ' +
        'serve --allow-unauthenticated-network (AIM_OTEL_BRIDGE_ALLOW_UNAUTHENTICATED_NETWORK=true, option allowUnauthenticatedNetwork: true)',
    );
  }
}

/**
 * Whether `host` names only this machine: `localhost`, `127.0.0.0/8`, `::1` (also bracketed, and
 * `::ffff:127.x.y.z`). Any other name or address — `0.0.0.0`, `::`, a host name — is a network.
 */
export function isLoopback(host: string): boolean {
  const name = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (isIPv4(name)) return name.startsWith('127.');
  if (!isIPv6(name)) return false;
  // The URL parser writes an IPv6 address in its shortest form: ::1, and ::ffff:7f00:1 for ::ffff:127.0.0.1.
  let canonical: string;
  try {
    canonical = new URL(`http://[${name}]`).hostname.slice(1, -1);
  } catch {
    return false; // with a zone id (fe80::1%eth0): a link, not loopback
  }
  return canonical === '::1' || /^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(canonical);
}

/** What {@link checkBind} looks at. */
export interface BindAuthentication {
  /** The addresses the receiver listens on (HTTP, and gRPC when it listens). */
  readonly hosts: readonly string[];
  /** Whether requests need a bearer token. */
  readonly tokens: boolean;
  /** Whether connections need a client certificate (mTLS). */
  readonly clientCertificates: boolean;
  /** The user's explicit "the network is trusted". */
  readonly allowUnauthenticatedNetwork: boolean;
}

/**
 * Throws {@link UnauthenticatedBindError} when the receiver would listen on a non-loopback
 * address without tokens or client certificates and without `allowUnauthenticatedNetwork`;
 * returns the non-loopback addresses it listens on unauthenticated (with the flag: to warn about).
 */
export function checkBind(bind: BindAuthentication): readonly string[] {
  if (bind.tokens || bind.clientCertificates) return [];
  const open = [...new Set(bind.hosts.filter((host) => !isLoopback(host)))];
  if (open.length > 0 && !bind.allowUnauthenticatedNetwork) throw new UnauthenticatedBindError(open);
  return open;
}
