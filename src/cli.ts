#!/usr/bin/env node
/**
 * `aim-otel-bridge`: the command line.
 *
 *   serve   the OTLP/HTTP receiver writing to Aim
 *   up      local Aim + bridge (+ `--demo`): the embedded default behind `npm start`
 *   demo    a demo LangChain.js agent sending its spans to a bridge
 *
 * Every option of `serve` is a flag and an environment variable (`--help` lists them). Commands
 * whose implementation has not landed yet say so and exit with code 2; none pretends to work.
 */
import { DiagLogLevel, type DiagLogger, diag } from '@opentelemetry/api';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { RunKeyStrategy } from './mapping/run-key.js';
import { createReceiver } from './receiver/index.js';
import { VERSION } from './version.js';

/** Exit code of a command that is not available in this version. */
export const EXIT_NOT_AVAILABLE = 2;

function notAvailableYet(command: string, issue: number): () => never {
  return () => {
    console.error(
      `aim-otel-bridge ${command} is not available yet in ${VERSION} (tracked in issue #${String(issue)}).\n` +
        'What works today: `aim-otel-bridge serve`; `npm run peers` provisions Aim, the Collector and Jaeger; `npm test` runs the tests.',
    );
    process.exit(EXIT_NOT_AVAILABLE);
  };
}

/** Structured logs: one JSON object a line on stderr (`time`, `level`, `msg`). */
function jsonLogger(): DiagLogger {
  const write = (level: string) => (message: string, ...args: unknown[]): void => {
    const line: Record<string, unknown> = { time: new Date().toISOString(), level, msg: message };
    if (args.length > 0) line['args'] = args.map((arg) => (arg instanceof Error ? arg.message : arg));
    process.stderr.write(`${JSON.stringify(line)}\n`);
  };
  return { error: write('error'), warn: write('warn'), info: write('info'), debug: write('debug'), verbose: write('verbose') };
}

const LOG_LEVELS: Record<string, DiagLogLevel> = { error: DiagLogLevel.ERROR, warn: DiagLogLevel.WARN, info: DiagLogLevel.INFO, debug: DiagLogLevel.DEBUG };
const RUN_KEYS = ['auto', 'attribute', 'conversation', 'session', 'trace'];

function integer(name: string, min: number): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min) throw new InvalidArgumentError(`${name} must be an integer ≥ ${String(min)}`);
    return parsed;
  };
}

const option = (flags: string, description: string, env: string): Option => new Option(flags, description).env(env);

const program = new Command()
  .name('aim-otel-bridge')
  .description('GenAI telemetry from LangChain.js and OpenTelemetry into the Aim experiment tracker')
  .version(VERSION);

program
  .command('serve')
  .description('run the OTLP/HTTP receiver (POST /v1/traces) that writes spans to Aim')
  .addOption(option('--aim-url <url>', 'the aim server to write to', 'AIM_OTEL_BRIDGE_AIM_URL').default('aim://127.0.0.1:53800'))
  .addOption(option('--host <host>', 'interface to listen on (loopback by default; aim server has no auth, keep both on trusted networks)', 'AIM_OTEL_BRIDGE_HOST').default('127.0.0.1'))
  .addOption(option('--port <port>', 'port to listen on (0: any free port)', 'AIM_OTEL_BRIDGE_PORT').default(4319).argParser(integer('--port', 0)))
  .addOption(option('--token <token>', 'require "Authorization: Bearer <token>" on /v1/traces and /metrics', 'AIM_OTEL_BRIDGE_TOKEN'))
  .addOption(option('--max-body-bytes <bytes>', 'largest request body, after decompression', 'AIM_OTEL_BRIDGE_MAX_BODY_BYTES').default(64 * 1024 * 1024).argParser(integer('--max-body-bytes', 1)))
  .addOption(option('--write-timeout-ms <ms>', 'how long a request waits for Aim before it is answered 503', 'AIM_OTEL_BRIDGE_WRITE_TIMEOUT_MS').default(10_000).argParser(integer('--write-timeout-ms', 1)))
  .addOption(option('--max-queue-spans <n>', 'spans waiting for Aim, at most (then 429)', 'AIM_OTEL_BRIDGE_MAX_QUEUE_SPANS').default(20_000).argParser(integer('--max-queue-spans', 1)))
  .addOption(option('--experiment <name>', 'experiment of runs whose spans name none (default: service.name)', 'AIM_OTEL_BRIDGE_EXPERIMENT'))
  .addOption(option('--run-key <strategy>', 'how spans are grouped into runs', 'AIM_OTEL_BRIDGE_RUN_KEY').choices(RUN_KEYS).default('auto'))
  .addOption(option('--namespace <name>', 'separates deployments sharing an Aim repository (part of every run hash)', 'AIM_OTEL_BRIDGE_NAMESPACE'))
  .addOption(option('--idle-close-ms <ms>', 'close a run after this long without spans', 'AIM_OTEL_BRIDGE_IDLE_CLOSE_MS').default(30_000).argParser(integer('--idle-close-ms', 1)))
  .addOption(option('--log-level <level>', 'log level of the JSON logs on stderr', 'AIM_OTEL_BRIDGE_LOG_LEVEL').choices(Object.keys(LOG_LEVELS)).default('info'))
  .action(async (flags: ServeFlags) => {
    diag.setLogger(jsonLogger(), { logLevel: LOG_LEVELS[flags.logLevel] ?? DiagLogLevel.INFO, suppressOverrideMessage: true });
    const receiver = await createReceiver({
      url: flags.aimUrl,
      host: flags.host,
      port: flags.port,
      maxBodyBytes: flags.maxBodyBytes,
      writeTimeoutMs: flags.writeTimeoutMs,
      maxQueueSpans: flags.maxQueueSpans,
      idleCloseMs: flags.idleCloseMs,
      runKey: flags.runKey as RunKeyStrategy,
      ...(flags.token !== undefined ? { token: flags.token } : {}),
      ...(flags.experiment !== undefined ? { experiment: flags.experiment } : {}),
      ...(flags.namespace !== undefined ? { namespace: flags.namespace } : {}),
    });
    console.log(`aim-otel-bridge ${VERSION}: receiving OTLP/HTTP traces on ${receiver.url}/v1/traces, writing to ${flags.aimUrl}`);
    const stop = (signal: string): void => {
      diag.info(`received ${signal}: stop accepting, write what is queued, close the runs`);
      receiver.close().then(
        () => {
          diag.info('stopped', receiver.stats);
          process.exit(0);
        },
        (error: unknown) => {
          diag.error(`stopping failed: ${String(error)}`);
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
  token?: string;
  maxBodyBytes: number;
  writeTimeoutMs: number;
  maxQueueSpans: number;
  experiment?: string;
  runKey: string;
  namespace?: string;
  idleCloseMs: number;
  logLevel: string;
}

program
  .command('up')
  .description('start a local Aim (server + UI) and the bridge; with --demo, run the demo agent')
  .option('--demo', 'run the demo LangChain.js agent once everything is up')
  .option('--once', 'exit after the demo instead of running until Ctrl-C')
  .action(notAvailableYet('up', 8));
program.command('demo').description('run the demo LangChain.js agent against a running bridge').action(notAvailableYet('demo', 8));

await program.parseAsync();
