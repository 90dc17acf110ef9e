/**
 * `npm run bench -- NAME [args...]`: runs the benchmark `test/bench/NAME.bench.ts` and prints its
 * figures as the last line, `RESULT {json}` (with the machine it ran on). A benchmark module
 * exports `default (args: string[]) => Promise<Record<string, unknown>>`; it compares against the
 * peer its issue names in the same run and reports ratios, since the machines are noisy.
 */
import { existsSync, readdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { stopAllPeers } from '../../src/up/peer-process.js';

type Bench = (args: string[]) => Promise<Record<string, unknown>>;

const here = import.meta.dirname;
const available = readdirSync(here)
  .filter((name) => name.endsWith('.bench.ts'))
  .map((name) => name.slice(0, -'.bench.ts'.length));

async function main(): Promise<void> {
  const [name, ...args] = process.argv.slice(2);
  if (!name || !existsSync(join(here, `${name}.bench.ts`))) {
    console.error(`usage: npm run bench -- NAME [args]; NAME is one of: ${available.join(', ')}`);
    process.exit(2);
  }
  const bench = ((await import(join(here, `${name}.bench.ts`))) as { default: Bench }).default;
  try {
    const figures = await bench(args);
    const machine = { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', memGiB: Math.round(totalmem() / 2 ** 30), node: process.version };
    console.log(`RESULT ${JSON.stringify({ bench: name, ...figures, machine })}`);
  } finally {
    await stopAllPeers();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
