#!/usr/bin/env node
/**
 * `aim-otel-bridge`: the command line.
 *
 *   serve   the OTLP/HTTP receiver writing to Aim
 *   up      local Aim + bridge (+ `--demo`): the embedded default behind `npm start`
 *   demo    a demo LangChain.js agent sending its spans to a bridge
 *
 * Every option is a flag and an environment variable (`--help` lists them). `up` and `demo` are
 * loaded only when run; the demo needs the optional peer `@langchain/core` and exits with code 2,
 * saying so, when it is missing.
 */
import { DiagLogLevel, diag } from '@opentelemetry/api';
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_RUN_WINDOW_MS, type RunKeyStrategy, type UnkeyedGrouping, parseRunWindow } from './mapping/run-key.js';
import { componentLogger } from './logging/component-logger.js';
import { jsonLogger } from './logging/json-logger.js';
import { PRICES_ENV, PricesError, readPriceFile } from './pricing/price-file.js';
import { CredentialsError, UnauthenticatedBindError, createReceiver } from './receiver/index.js';
import { type ReceiverTlsOptions, TlsConfigError } from './receiver/tls.js';
import { AIM_VERSION } from './up/aim-constraints.js';
import type { UpOptions } from './up/up.js';
import { VERSION } from './version.js';

/** Exit code of a command that cannot run here (the demo without its peer `@langchain/core`). */
export const EXIT_NOT_AVAILABLE = 2;

const log = componentLogger('cli');

const LOG_LEVELS: Record<string, DiagLogLevel> = { error: DiagLogLevel.ERROR, warn: DiagLogLevel.WARN, info: DiagLogLevel.INFO, debug: DiagLogLevel.DEBUG };
const RUN_KEYS = ['auto', 'attribute', 'conversation', 'session', 'trace'];
const UNKEYED_GROUPINGS: readonly UnkeyedGrouping[] = ['window', 'trace'];

function runWindow(value: string): number {
  const ms = parseRunWindow(value);
  if (ms === undefined) throw new InvalidArgumentError('--run-window must be a duration of at least 1s, e.g. 1h, 15m, 1h30m, 1d');
  return ms;
}

/** A trace link template must place the trace id somewhere. */
function traceLinkTemplate(value: string): string {
  if (!value.includes('{trace_id}')) throw new InvalidArgumentError('--trace-link must contain {trace_id}, e.g. http://localhost:16686/trace/{trace_id}');
  return value;
}

function integer(name: string, min: number): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min) throw new InvalidArgumentError(`${name} must be an integer ≥ ${String(min)}`);
    return parsed;
  };
}

const option = (flags: string, description: string, env: string): Option => new Option(flags, description).env(env);

/** `--prices <file>` of `serve` and `up` (also `AIM_OTEL_BRIDGE_PRICES`). */
const pricesOption = (): Option =>
  option(
    '--prices <file>',
    'a JSON price file: model prices (USD per million tokens) added to or replacing the built-in table of gen_ai.usage.cost',
    PRICES_ENV,
  );

/** Exits with a clear line when a price file cannot be used (a `PricesError` names the file and the entry); rethrows anything else. */
function exitOnPricesError(command: string, error: unknown): void {
  if (!(error instanceof PricesError)) return;
  console.error(`aim-otel-bridge ${command}: ${error.message}`);
  process.exit(1);
}

const ALLOW_UNAUTHENTICATED_ENV = 'AIM_OTEL_BRIDGE_ALLOW_UNAUTHENTICATED_NETWORK';

/** `--allow-unauthenticated-network`, or its variable set to true/1/yes (false/0/no/empty: off; anything else exits 1, saying so). */
function allowUnauthenticatedNetwork(flag: boolean | undefined): boolean {
  if (flag === true) return true;
  const value = (process.env[ALLOW_UNAUTHENTICATED_ENV] ?? '').trim().toLowerCase();
  if (['true', '1', 'yes'].includes(value)) return true;
  if (['false', '0', 'no', ''].includes(value)) return false;
  console.error(`aim-otel-bridge serve: ${ALLOW_UNAUTHENTICATED_ENV} must be true or false`);
  process.exit(1);
}

/** Exits with the error's line when the receiver's tokens cannot be used or it would listen on a network unauthenticated; returns on anything else. */
function exitOnAuthenticationError(command: string, error: unknown): void {
  if (!(error instanceof CredentialsError) && !(error instanceof UnauthenticatedBindError)) return;
  console.error(`aim-otel-bridge ${command}: ${error.message}`);
  process.exit(1);
}

/**
 * The receiver's TLS from `--tls-cert`, `--tls-key` and `--tls-client-ca`: none without them;
 * exits 1, saying why, when only one of certificate and key is given, or a client CA without them.
 */
function tlsOf(command: string, flags: { tlsCert?: string; tlsKey?: string; tlsClientCa?: string }): ReceiverTlsOptions | undefined {
  const { tlsCert, tlsKey, tlsClientCa } = flags;
  if (tlsCert === undefined && tlsKey === undefined && tlsClientCa === undefined) return undefined;
  if (tlsCert === undefined || tlsKey === undefined) {
    console.error(
      `aim-otel-bridge ${command}: TLS needs both --tls-cert and --tls-key (AIM_OTEL_BRIDGE_TLS_CERT, AIM_OTEL_BRIDGE_TLS_KEY)${tlsClientCa !== undefined ? '; --tls-client-ca only adds client certificates to them' : ''}`,
    );
    process.exit(1);
  }
  return { certFile: tlsCert, keyFile: tlsKey, ...(tlsClientCa !== undefined ? { clientCaFile: tlsClientCa } : {}) };
}

/** Exits with the error's line (naming the file) when the TLS files cannot be used; returns on anything else. */
function exitOnTlsError(command: string, error: unknown): void {
  if (!(error instanceof TlsConfigError)) return;
  console.error(`aim-otel-bridge ${command}: ${error.message}`);
  process.exit(1);
}

const program = new Command()
  .name('aim-otel-bridge')
  .description('GenAI telemetry from LangChain.js and OpenTelemetry into the Aim experiment tracker')
  .version(VERSION);

program
  .command('serve')
  .description('run the OTLP receiver (HTTP: POST /v1/traces, /v1/logs, /v1/metrics; gRPC with --grpc-port) that writes GenAI telemetry to Aim')
  .addOption(option('--aim-url <url>', 'the aim server to write to', 'AIM_OTEL_BRIDGE_AIM_URL').default('aim://127.0.0.1:53800'))
  .addOption(
    option(
      '--host <host>',
      'interface to listen on (loopback by default; any other needs --token-file, --tls-client-ca or --allow-unauthenticated-network: aim server has no auth)',
      'AIM_OTEL_BRIDGE_HOST',
    ).default('127.0.0.1'),
  )
  .addOption(option('--port <port>', 'port to listen on (0: any free port)', 'AIM_OTEL_BRIDGE_PORT').default(4319).argParser(integer('--port', 0)))
  .addOption(
    option(
      '--grpc-port <port>',
      'also receive OTLP/gRPC (traces, logs, metrics) on this port, same host, token and limits (0: any free port; default: no gRPC)',
      'AIM_OTEL_BRIDGE_GRPC_PORT',
    ).argParser(integer('--grpc-port', 0)),
  )
  .addOption(
    option(
      '--token-file <file>',
      'require "Authorization: Bearer <token>" on /v1/* (and gRPC) and /metrics, with any token of this file (one a line, or JSON with tenant scopes; re-read when it changes). The recommended way to give tokens',
      'AIM_OTEL_BRIDGE_TOKEN_FILE',
    ),
  )
  .addOption(option('--token <token>', 'one accepted token, as --token-file (visible to other users in ps: prefer --token-file)', 'AIM_OTEL_BRIDGE_TOKEN'))
  .addOption(
    // Not commander's env(): it would turn the flag on for any value of the variable, "false" too.
    new Option(
      '--allow-unauthenticated-network',
      `listen on a non-loopback --host without a token or client certificates (refused otherwise): anyone who reaches the port writes into Aim (env: ${ALLOW_UNAUTHENTICATED_ENV}=true)`,
    ),
  )
  .addOption(
    option('--tls-cert <file>', 'serve OTLP/HTTP (and gRPC) over TLS with this PEM certificate (chain); re-read when it changes', 'AIM_OTEL_BRIDGE_TLS_CERT'),
  )
  .addOption(option('--tls-key <file>', 'the PEM private key of --tls-cert; re-read when it changes', 'AIM_OTEL_BRIDGE_TLS_KEY'))
  .addOption(
    option(
      '--tls-client-ca <file>',
      'require client certificates (mutual TLS) issued by this PEM CA, verified on every connection; re-read when it changes',
      'AIM_OTEL_BRIDGE_TLS_CLIENT_CA',
    ),
  )
  .addOption(
    option('--max-body-bytes <bytes>', 'largest request body, after decompression', 'AIM_OTEL_BRIDGE_MAX_BODY_BYTES')
      .default(64 * 1024 * 1024)
      .argParser(integer('--max-body-bytes', 1)),
  )
  .addOption(
    option('--write-timeout-ms <ms>', 'how long a request waits for Aim before it is answered 503', 'AIM_OTEL_BRIDGE_WRITE_TIMEOUT_MS')
      .default(10_000)
      .argParser(integer('--write-timeout-ms', 1)),
  )
  .addOption(
    option('--max-queue-spans <n>', 'spans waiting for Aim, at most (then 429)', 'AIM_OTEL_BRIDGE_MAX_QUEUE_SPANS')
      .default(20_000)
      .argParser(integer('--max-queue-spans', 1)),
  )
  .addOption(option('--experiment <name>', 'experiment of runs whose spans name none (default: service.name)', 'AIM_OTEL_BRIDGE_EXPERIMENT'))
  .addOption(option('--run-key <strategy>', 'how spans are grouped into runs', 'AIM_OTEL_BRIDGE_RUN_KEY').choices(RUN_KEYS).default('auto'))
  .addOption(
    option(
      '--unkeyed-runs <grouping>',
      'where root-level model calls with no run key (conversation, session, aim.run_key) go: window = one run per service, model and --run-window; trace = one run per call',
      'AIM_OTEL_BRIDGE_UNKEYED_RUNS',
    )
      .choices(UNKEYED_GROUPINGS)
      .default('window'),
  )
  .addOption(
    option('--run-window <duration>', 'length of a window run (--unkeyed-runs window), aligned to UTC: e.g. 15m, 1h, 1d', 'AIM_OTEL_BRIDGE_RUN_WINDOW')
      .default(DEFAULT_RUN_WINDOW_MS, '1h')
      .argParser(runWindow),
  )
  .addOption(option('--namespace <name>', 'separates deployments sharing an Aim repository (part of every run hash)', 'AIM_OTEL_BRIDGE_NAMESPACE'))
  .addOption(
    option(
      '--trace-link <template>',
      'link each run to its latest trace (param otel.traces.link): {trace_id} is replaced by the trace id, e.g. http://localhost:16686/trace/{trace_id}',
      'AIM_OTEL_BRIDGE_TRACE_LINK',
    ).argParser(traceLinkTemplate),
  )
  .addOption(
    option(
      '--state-dir <dir>',
      'keep where spans went on disk, so GenAI log events retried after a restart still join their spans (default: memory only)',
      'AIM_OTEL_BRIDGE_STATE_DIR',
    ),
  )
  .addOption(
    option(
      '--log-join-window-ms <ms>',
      'how long GenAI log events wait for their span before they go to their fallback run',
      'AIM_OTEL_BRIDGE_LOG_JOIN_WINDOW_MS',
    )
      .default(8_000)
      .argParser(integer('--log-join-window-ms', 0)),
  )
  .addOption(
    option('--idle-close-ms <ms>', 'close a run after this long without spans', 'AIM_OTEL_BRIDGE_IDLE_CLOSE_MS')
      .default(30_000)
      .argParser(integer('--idle-close-ms', 1)),
  )
  .addOption(
    option(
      '--no-trace-waterfall',
      "don't write each run's trace waterfall figure (otel.trace_waterfall, Aim's Figures tab)",
      'AIM_OTEL_BRIDGE_NO_TRACE_WATERFALL',
    ),
  )
  .addOption(
    option('--log-level <level>', 'log level of the JSON logs on stderr', 'AIM_OTEL_BRIDGE_LOG_LEVEL').choices(Object.keys(LOG_LEVELS)).default('info'),
  )
  .addOption(pricesOption())
  .action(async (flags: ServeFlags) => {
    // Structured logs: one JSON object a line on stderr (time, level, component, msg, args).
    diag.setLogger(
      jsonLogger((line) => process.stderr.write(line)),
      { logLevel: LOG_LEVELS[flags.logLevel] ?? DiagLogLevel.INFO, suppressOverrideMessage: true },
    );
    const tls = tlsOf('serve', flags);
    const receiver = await createReceiver({
      url: flags.aimUrl,
      host: flags.host,
      port: flags.port,
      maxBodyBytes: flags.maxBodyBytes,
      writeTimeoutMs: flags.writeTimeoutMs,
      maxQueueSpans: flags.maxQueueSpans,
      idleCloseMs: flags.idleCloseMs,
      traceWaterfall: flags.traceWaterfall,
      runKey: flags.runKey as RunKeyStrategy,
      unkeyed: { grouping: flags.unkeyedRuns as UnkeyedGrouping, windowMs: flags.runWindow },
      logJoin: { windowMs: flags.logJoinWindowMs, ...(flags.stateDir !== undefined ? { stateDir: flags.stateDir } : {}) },
      ...(flags.token !== undefined ? { token: flags.token } : {}),
      ...(flags.tokenFile !== undefined ? { tokenFile: flags.tokenFile } : {}),
      ...(allowUnauthenticatedNetwork(flags.allowUnauthenticatedNetwork) ? { allowUnauthenticatedNetwork: true } : {}),
      ...(flags.grpcPort !== undefined ? { grpcPort: flags.grpcPort } : {}),
      ...(tls !== undefined ? { tls } : {}),
      ...(flags.experiment !== undefined ? { experiment: flags.experiment } : {}),
      ...(flags.namespace !== undefined ? { namespace: flags.namespace } : {}),
      ...(flags.traceLink !== undefined ? { traceLink: flags.traceLink } : {}),
      ...(flags.prices !== undefined ? { prices: flags.prices } : {}),
    }).catch((error: unknown) => {
      exitOnPricesError('serve', error);
      exitOnTlsError('serve', error);
      exitOnAuthenticationError('serve', error);
      throw error;
    });
    console.log(`aim-otel-bridge ${VERSION}: receiving OTLP/HTTP on ${receiver.url}/v1/{traces,logs,metrics}, writing to ${flags.aimUrl}`);
    if (receiver.grpcUrl !== undefined) console.log(`aim-otel-bridge ${VERSION}: receiving OTLP/gRPC on ${receiver.grpcUrl}`);
    const stop = (signal: string): void => {
      log.info(`received ${signal}: stop accepting, write what is queued, close the runs`);
      receiver.close().then(
        () => {
          log.info('stopped', receiver.stats);
          process.exit(0);
        },
        (error: unknown) => {
          log.error(`stopping failed: ${String(error)}`);
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });

interface ServeFlags {
  aimUrl: string;
  host: string;
  port: number;
  grpcPort?: number;
  stateDir?: string;
  logJoinWindowMs: number;
  token?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsClientCa?: string;
  tokenFile?: string;
  allowUnauthenticatedNetwork?: boolean;
  maxBodyBytes: number;
  writeTimeoutMs: number;
  maxQueueSpans: number;
  experiment?: string;
  runKey: string;
  unkeyedRuns: string;
  runWindow: number;
  namespace?: string;
  traceLink?: string;
  prices?: string;
  idleCloseMs: number;
  /** False with --no-trace-waterfall. */
  traceWaterfall: boolean;
  logLevel: string;
}

/** The flags of `up` are its options (a type-only import: up.ts loads when `up` runs). */
type UpFlags = Omit<UpOptions, 'print'>;

/**
 * Prints a failure of `up`/`demo` and exits: {@link EXIT_NOT_AVAILABLE} when the demo's peer is
 * missing, else 1. (By name: up.ts is imported lazily, it installs signal handlers `serve` must not get.)
 */
function fail(command: string, error: unknown): never {
  console.error(`aim-otel-bridge ${command} failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(error instanceof Error && error.name === 'DemoPeerMissingError' ? EXIT_NOT_AVAILABLE : 1);
}

program
  .command('up')
  .description('start a local Aim (aim server + UI) and the bridge receiver on loopback; with --demo, run the demo agent')
  .option('--demo', 'run the demo LangChain.js agent once everything is up', false)
  .option('--once', 'exit after the demo instead of running until Ctrl-C', false)
  .addOption(option('--data-dir <dir>', 'where the Aim repository lives (created if missing)', 'AIM_OTEL_BRIDGE_DATA_DIR').default('.aim-otel-bridge'))
  .addOption(
    option('--aim-port <port>', 'port of aim server (0: any free port)', 'AIM_OTEL_BRIDGE_AIM_PORT').default(53800).argParser(integer('--aim-port', 0)),
  )
  .addOption(option('--ui-port <port>', 'port of the Aim UI (0: any free port)', 'AIM_OTEL_BRIDGE_UI_PORT').default(43800).argParser(integer('--ui-port', 0)))
  .addOption(option('--port <port>', 'port of the bridge receiver (0: any free port)', 'AIM_OTEL_BRIDGE_PORT').default(4319).argParser(integer('--port', 0)))
  .addOption(
    option(
      '--aim <command>',
      `the aim command to run (default: aim on PATH if it is ${AIM_VERSION}, else a venv in ~/.cache/aim-otel-bridge, installed with python3 and pip the first time)`,
      'AIM_OTEL_BRIDGE_AIM',
    ),
  )
  .addOption(pricesOption())
  .action(async (flags: UpFlags) => {
    try {
      if (flags.prices !== undefined) readPriceFile(flags.prices); // checked before anything starts
      const { runUp } = await import('./up/up.js');
      await runUp(flags);
      process.exit(0);
    } catch (error) {
      fail('up', error);
    }
  });

program
  .command('demo')
  .description('run the demo LangChain.js agent once, sending its spans to a running bridge receiver')
  .addOption(option('--endpoint <url>', 'the bridge receiver', 'AIM_OTEL_BRIDGE_ENDPOINT').default('http://127.0.0.1:4319'))
  .addOption(option('--token <token>', 'bearer token of the receiver', 'AIM_OTEL_BRIDGE_TOKEN'))
  .action(async (flags: { endpoint: string; token?: string }) => {
    try {
      const { loadDemo } = await import('./up/up.js');
      const result = await (await loadDemo()).runDemoAgent(flags);
      console.log(
        `answer: ${result.answer} (model: ${result.model}); ${String(result.spansSent)} spans sent, ${String(result.spansFailed)} failed; Aim run ${result.runHash}`,
      );
      process.exit(result.spansFailed > 0 ? 1 : 0);
    } catch (error) {
      fail('demo', error);
    }
  });

await program.parseAsync();
