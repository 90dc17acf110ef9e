import { join } from 'node:path';
import { REPO_ROOT } from './cache.js';
import { type GoBinarySpec, goBinaryPath } from './provision-go.js';
import { PEER_VERSIONS } from './versions.js';

/** Our OpenTelemetry Collector distribution, built from collector-config/distribution. */
export const COLLECTOR: GoBinarySpec = {
  label: `otelcol-aim ${PEER_VERSIONS.collector}`,
  cacheName: `otelcol-aim-${PEER_VERSIONS.collector}`,
  moduleDir: join(REPO_ROOT, 'collector-config', 'distribution'),
  pkg: '.',
  binaryName: 'otelcol-aim',
  checkArgs: ['components'],
};

/**
 * Jaeger v2, built from its own Go module in test/peers/jaeger: it pins an older collector, so it
 * cannot share a go.mod with ours.
 */
export const JAEGER: GoBinarySpec = {
  label: `jaeger ${PEER_VERSIONS.jaeger}`,
  cacheName: `jaeger-${PEER_VERSIONS.jaeger}`,
  moduleDir: join(REPO_ROOT, 'test', 'peers', 'jaeger'),
  pkg: 'github.com/jaegertracing/jaeger/cmd/jaeger',
  binaryName: 'jaeger',
  checkArgs: ['version'],
};

/** The path of a Go peer's binary for the current pins (it exists once `npm run peers` ran). */
export function goPeerBinary(spec: GoBinarySpec): string {
  return goBinaryPath(spec).binary;
}
