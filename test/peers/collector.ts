import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { REPO_ROOT, isProvisioned } from './cache.js';
import { COLLECTOR, JAEGER, goPeerBinary } from './go-peers.js';
import { answersOk } from '../../src/up/http.js';
import { PeerProcess } from '../../src/up/peer-process.js';
import { freePort } from '../../src/up/ports.js';
import type { GoBinarySpec } from './provision-go.js';

/** The built binary of a Go peer, or an error that says how to get it. */
export function requireGoPeer(spec: GoBinarySpec): string {
  const binary = goPeerBinary(spec);
  if (!isProvisioned(dirname(binary))) {
    throw new Error(`${spec.label} is not built at ${binary}: run \`npm run peers\` first.`);
  }
  return binary;
}

/** A running otelcol-aim (our Collector distribution). */
export interface Collector {
  process: PeerProcess;
  /** `http://127.0.0.1:PORT` of the health_check extension. */
  healthUrl: string;
}

/**
 * Starts otelcol-aim with `configFile` on loopback. The config reads its listen addresses from
 * the environment; `env` supplies them (pick ports with freePort()). `HEALTH_CHECK_ENDPOINT` is
 * chosen here and must be what the config's health_check extension listens on; the collector is
 * ready when it answers 200.
 */
export async function startCollector(configFile: string, env: Record<string, string> = {}): Promise<Collector> {
  const healthPort = await freePort();
  const healthUrl = `http://127.0.0.1:${String(healthPort)}`;
  const process = await PeerProcess.start({
    name: 'otelcol-aim',
    command: requireGoPeer(COLLECTOR),
    args: [`--config=${configFile}`],
    env: { HEALTH_CHECK_ENDPOINT: `127.0.0.1:${String(healthPort)}`, ...env },
    isReady: () => answersOk(`${healthUrl}/`),
  });
  return { process, healthUrl };
}

/** A running Jaeger v2 with in-memory storage, every listener on a free loopback port. */
export interface Jaeger {
  process: PeerProcess;
  /** `127.0.0.1:PORT` of its OTLP/gRPC receiver. */
  otlpGrpcEndpoint: string;
  /** `http://127.0.0.1:PORT` of its OTLP/HTTP receiver (POST /v1/traces). */
  otlpHttpUrl: string;
  /** `http://127.0.0.1:PORT` of its query API (`/api/...`, `/api/v3/...`). */
  queryUrl: string;
}

/** The Jaeger config the tests run with (memory storage; listen addresses from the environment). */
export const JAEGER_CONFIG = new URL('./jaeger/jaeger.yaml', import.meta.url).pathname;

/** Starts Jaeger on free loopback ports and waits until `GET /api/services` answers. */
export async function startJaeger(): Promise<Jaeger> {
  const [grpc, http, query, queryGrpc] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const address = (port: number): string => `127.0.0.1:${String(port)}`;
  const queryUrl = `http://${address(query)}`;
  const process = await PeerProcess.start({
    name: 'jaeger',
    command: requireGoPeer(JAEGER),
    args: [`--config=${JAEGER_CONFIG}`],
    env: {
      JAEGER_OTLP_GRPC_ENDPOINT: address(grpc),
      JAEGER_OTLP_HTTP_ENDPOINT: address(http),
      JAEGER_QUERY_HTTP_ENDPOINT: address(query),
      JAEGER_QUERY_GRPC_ENDPOINT: address(queryGrpc),
    },
    isReady: () => answersOk(`${queryUrl}/api/services`),
  });
  return { process, otlpGrpcEndpoint: address(grpc), otlpHttpUrl: `http://${address(http)}`, queryUrl };
}

/** A Collector running one of collector-config/'s pipelines, with where apps send OTLP/HTTP. */
export interface CollectorPipeline extends Collector {
  /** `http://127.0.0.1:PORT` of its OTLP/HTTP receiver (POST /v1/traces). */
  otlpHttpUrl: string;
}

/**
 * Starts otelcol-aim with a config of collector-config/ (default `otelcol.yaml`) wired to a
 * running Jaeger and bridge: OTLP receivers on free ports, a fresh persistent-queue directory.
 * `env` adds or overrides variables (e.g. a second bridge for the routing variant).
 */
export async function startCollectorPipeline(
  jaeger: Jaeger,
  bridgeUrl: string,
  options: { config?: string; env?: Record<string, string> } = {},
): Promise<CollectorPipeline> {
  const otlpHttp = await freePort();
  const collector = await startCollector(join(REPO_ROOT, 'collector-config', options.config ?? 'otelcol.yaml'), {
    OTLP_HTTP_ENDPOINT: `127.0.0.1:${String(otlpHttp)}`,
    OTLP_GRPC_ENDPOINT: `127.0.0.1:${String(await freePort())}`,
    JAEGER_OTLP_GRPC_ENDPOINT: jaeger.otlpGrpcEndpoint,
    AIM_BRIDGE_ENDPOINT: bridgeUrl,
    AIM_BRIDGE_QUEUE_DIR: mkdtempSync(join(tmpdir(), 'otelcol-queue-')),
    ...options.env,
  });
  return { ...collector, otlpHttpUrl: `http://127.0.0.1:${String(otlpHttp)}` };
}

/**
 * A Collector config for tests of the bridge's receiver: OTLP/HTTP in (`OTLP_HTTP_ENDPOINT`), a
 * health check (`HEALTH_CHECK_ENDPOINT`), traces batched every 100 ms and sent with gzip by
 * `exporter` (`otlp_http` or `otlp_grpc`) to `${env:<endpointVariable>}`, retried every 100 ms;
 * `settings` are more lines of the exporter's settings (`tls`, `headers`), indented under it.
 */
export function collectorToBridgeConfig(exporter: 'otlp_http' | 'otlp_grpc', endpointVariable: string, settings: readonly string[]): string {
  return [
    'extensions:',
    '  health_check:',
    '    endpoint: ${env:HEALTH_CHECK_ENDPOINT}',
    'receivers:',
    '  otlp:',
    '    protocols:',
    '      http:',
    '        endpoint: ${env:OTLP_HTTP_ENDPOINT}',
    'processors:',
    '  batch:',
    '    timeout: 100ms',
    'exporters:',
    `  ${exporter}/bridge:`,
    `    endpoint: \${env:${endpointVariable}}`,
    '    compression: gzip',
    ...settings.map((line) => `    ${line}`),
    '    retry_on_failure:',
    '      enabled: true',
    '      initial_interval: 100ms',
    'service:',
    '  extensions: [health_check]',
    '  pipelines:',
    '    traces:',
    '      receivers: [otlp]',
    '      processors: [batch]',
    `      exporters: [${exporter}/bridge]`,
    '  telemetry:',
    '    metrics:',
    '      level: none',
    '',
  ].join('\n');
}
