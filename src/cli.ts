#!/usr/bin/env node
/**
 * `aim-otel-bridge`: the command line.
 *
 *   serve   the OTLP/HTTP receiver writing to Aim
 *   up      local Aim + bridge (+ `--demo`): the embedded default behind `npm start`
 *   demo    a demo LangChain.js agent sending its spans to a bridge
 *
 * Commands whose implementation has not landed yet say so and exit with code 2; none pretends
 * to work.
 */
import { Command } from 'commander';
import { VERSION } from './version.js';

/** Exit code of a command that is not available in this version. */
export const EXIT_NOT_AVAILABLE = 2;

function notAvailableYet(command: string, issue: number): () => never {
  return () => {
    console.error(
      `aim-otel-bridge ${command} is not available yet in ${VERSION} (tracked in issue #${String(issue)}).\n` +
        'What works today: `npm run peers` provisions Aim, the Collector and Jaeger; `npm test` runs the tests.',
    );
    process.exit(EXIT_NOT_AVAILABLE);
  };
}

const program = new Command()
  .name('aim-otel-bridge')
  .description('GenAI telemetry from LangChain.js and OpenTelemetry into the Aim experiment tracker')
  .version(VERSION);

program.command('serve').description('run the OTLP/HTTP receiver that writes spans to Aim').action(notAvailableYet('serve', 6));
program
  .command('up')
  .description('start a local Aim (server + UI) and the bridge; with --demo, run the demo agent')
  .option('--demo', 'run the demo LangChain.js agent once everything is up')
  .option('--once', 'exit after the demo instead of running until Ctrl-C')
  .action(notAvailableYet('up', 8));
program.command('demo').description('run the demo LangChain.js agent against a running bridge').action(notAvailableYet('demo', 8));

await program.parseAsync();
