import { REPO_ROOT } from './cache.js';
import { answersOk } from '../../src/up/http.js';
import { PeerProcess } from '../../src/up/peer-process.js';
import { freePort } from '../../src/up/ports.js';

/** A running `aim-otel-bridge serve` process (our receiver as its users run it). */
export interface BridgeProcess {
  process: PeerProcess;
  /** `http://127.0.0.1:PORT`. */
  url: string;
  port: number;
}

/**
 * Starts `aim-otel-bridge serve` (from source, through tsx) writing to `aimUrl`, on `port` (default
 * a free one), and waits until `/healthz` answers. `env` adds AIM_OTEL_BRIDGE_* settings; `root`
 * runs the bridge of another checkout (with its own node_modules), e.g. a benchmark's baseline.
 */
export async function startBridge(aimUrl: string, options: { port?: number; env?: Record<string, string>; root?: string } = {}): Promise<BridgeProcess> {
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${String(port)}`;
  const process = await PeerProcess.start({
    name: 'aim-otel-bridge',
    command: globalThis.process.execPath,
    args: ['--import', 'tsx', 'src/cli.ts', 'serve', '--port', String(port), '--aim-url', aimUrl],
    cwd: options.root ?? REPO_ROOT,
    env: options.env ?? {},
    isReady: () => answersOk(`${url}/healthz`),
  });
  return { process, url, port };
}
