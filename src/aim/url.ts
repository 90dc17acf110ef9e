import { AimUsageError } from './errors.js';

/** Where an `aim server` is: the HTTP base for reads and the WebSocket base for writes. */
export interface AimEndpoint {
  /** e.g. `http://127.0.0.1:53800` or `http://h:53800/aim` (no trailing slash). */
  httpBase: string;
  /** e.g. `ws://127.0.0.1:53800` (no trailing slash). */
  wsBase: string;
  /** The URL as given, for messages. */
  display: string;
}

/** Aim's default remote tracking port. */
export const AIM_DEFAULT_PORT = 53800;

/**
 * Parses a repository URL: `aim://host[:port][/base-path]` (plain HTTP, as `aim server` serves by
 * default), or `http(s)://host[:port][/base-path]` to choose the scheme explicitly (`https` also
 * selects `wss`). The port defaults to 53800 for `aim://`.
 */
export function parseAimUrl(url: string): AimEndpoint {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new AimUsageError(`not an Aim repository URL: ${JSON.stringify(url)} (expected aim://host:53800)`);
  }
  const schemes: Record<string, [string, string]> = { 'aim:': ['http', 'ws'], 'http:': ['http', 'ws'], 'https:': ['https', 'wss'] };
  const pair = schemes[parsed.protocol];
  if (!pair || !parsed.hostname) {
    throw new AimUsageError(`not an Aim repository URL: ${JSON.stringify(url)} (expected aim://host:53800)`);
  }
  // URL drops a scheme's default port: aim:// means 53800, http(s):// its usual 80/443.
  const port = parsed.port || { 'aim:': String(AIM_DEFAULT_PORT), 'http:': '80', 'https:': '443' }[parsed.protocol];
  const host = parsed.hostname.includes(':') && !parsed.hostname.startsWith('[') ? `[${parsed.hostname}]` : parsed.hostname;
  const basePath = parsed.pathname.replace(/\/+$/, '');
  return {
    httpBase: `${pair[0]}://${host}:${port}${basePath}`,
    wsBase: `${pair[1]}://${host}:${port}${basePath}`,
    display: url,
  };
}
