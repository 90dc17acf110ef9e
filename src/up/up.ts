/**
 * `aim-otel-bridge up [--demo] [--once]`, the embedded default behind `npm start`: finds Aim (or
 * installs it into a venv in the user's cache, see aim-install.ts), starts `aim server` and
 * `aim up` on loopback with a repository in a local data directory, starts the bridge receiver in
 * this process, and with `--demo` runs the demo agent against it (its scripted models at demo
 * prices, see demo-prices.ts), then prints what the run's model calls cost (read back from Aim)
 * and where to look in the Aim UI. Runs until Ctrl-C (or, with `--once`, until the demo is
 * done) and stops everything it started.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { createReceiver, type Receiver } from '../receiver/index.js';
import { AIM_VERSION } from './aim-constraints.js';
import { findAim } from './aim-install.js';
import { type AimServer, type AimUi, initAimRepo, startAimServer, startAimUi } from './aim-services.js';
import { DEMO_MODELS, DEMO_PRICED_AS, type DemoPricing, demoPricing } from './demo-prices.js';
import type { DemoResult } from './demo-agent.js';
import { getJson } from './http.js';
import { killAllPeersNow, stopPeersOnSignalsYourself } from './peer-process.js';
import { freePort, isListening } from './ports.js';
import { formatUsd, readRunCost } from './run-cost.js';
import { formatDuration } from './run-step.js';

/** Options of `up` (flags of the CLI). */
export interface UpOptions {
  demo: boolean;
  once: boolean;
  /** Where the Aim repository lives (created and `aim init`-ed if missing). */
  dataDir: string;
  /** Ports on 127.0.0.1; 0 picks a free one. */
  aimPort: number;
  uiPort: number;
  port: number;
  /** The `aim` command to run. @default an `aim` on PATH of the tested version, else a venv in the cache (installed if missing) */
  aim?: string;
  /**
   * A JSON price file for `gen_ai.usage.cost` (see the README's "Cost of model calls"). With
   * `demo`, the demo prices of the scripted models (demo-prices.ts) are added after it: its prices win.
   * @default the built-in prices (and `AIM_OTEL_BRIDGE_PRICES`)
   */
  prices?: string;
  /** Where progress lines go. @default console.log */
  print?: (line: string) => void;
}

/** A step failed in a way the user can fix; the message says how. */
export class UpError extends Error {
  override readonly name: string = 'UpError';
}

/** The demo's peer `@langchain/core` is not installed; the message says how to install it. */
export class DemoPeerMissingError extends UpError {
  override readonly name = 'DemoPeerMissingError';
}

async function choosePort(port: number, what: string, flag: string): Promise<number> {
  if (port === 0) return freePort();
  if (await isListening(port)) {
    throw new UpError(`port ${String(port)} (${what}) is already in use: stop what uses it, or pass ${flag} <port> (0 for any free port)`);
  }
  return port;
}

/** Polls the UI's API until the run is indexed and visible (aim up indexes new runs in the background). */
async function waitForRun(uiUrl: string, hash: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await getJson(`${uiUrl}/api/runs/${hash}/info/`);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new UpError(`the demo run ${hash} did not appear in the Aim UI within ${formatDuration(timeoutMs)}: ${String(error)}`);
      await new Promise((wake) => setTimeout(wake, 500));
    }
  }
}

/**
 * Resolves on the first SIGINT/SIGTERM. A terminal's Ctrl-C reaches npm, tsx and this process, so
 * one press can arrive twice: later signals do not end the process (it is stopping its peers) —
 * except a third, which kills the peers at once and exits 130.
 */
function untilStopSignal(print: (line: string) => void): Promise<string> {
  let count = 0;
  return new Promise((wake) => {
    const onSignal = (signal: string): void => {
      count += 1;
      if (count === 1) wake(signal);
      else if (count >= 3) {
        print(`${signal} again: killing everything up started, now`);
        killAllPeersNow();
        process.exit(130);
      }
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/**
 * The demo agent, loaded only when asked for: it needs the optional peer `@langchain/core`,
 * which `up` without `--demo` does not.
 */
export async function loadDemo(): Promise<typeof import('./demo-agent.js')> {
  try {
    return await import('./demo-agent.js');
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND' && String(error).includes('@langchain/core')) {
      throw new DemoPeerMissingError(
        'the demo is a LangChain.js agent: install its peer @langchain/core next to aim-otel-bridge (npm install @langchain/core), or run up without --demo',
      );
    }
    throw error;
  }
}

/**
 * The demo run's cost as Aim holds it (read back through the UI), its model calls and where
 * their prices come from: `$0.0000918 (4 model calls, demo prices)`.
 */
async function costLine(uiUrl: string, demo: DemoResult, pricing: DemoPricing | undefined): Promise<string> {
  let cost;
  try {
    cost = await readRunCost(uiUrl, demo.runHash, demo.modelCallsSent);
  } catch (error) {
    return `not read from the Aim UI (${error instanceof Error ? error.message : String(error)})`;
  }
  if (cost.pricedCalls === 0) {
    return `none: ${demo.models.join(', ')} of ${demo.provider} ${demo.models.length === 1 ? 'has' : 'have'} no price (add one with --prices <file>, see "Cost of model calls" in the README)`;
  }
  const sources = [...new Set(demo.models.map((model) => pricing?.sourceOf(demo.provider, model)).filter((source) => source !== undefined))];
  const calls =
    cost.pricedCalls < cost.modelCalls
      ? `${String(cost.pricedCalls)} of ${String(cost.modelCalls)} model calls priced`
      : `${String(cost.pricedCalls)} model calls`;
  return `${formatUsd(cost.usd)} (${[calls, ...sources].join(', ')})`;
}

/** Runs `up`; resolves once everything it started is stopped again, rejects (having stopped it) when a step fails. */
export async function runUp(options: UpOptions): Promise<void> {
  const print =
    options.print ??
    ((line: string) => {
      console.log(line);
    });
  const started = Date.now();
  const steps = options.demo ? 6 : 5;
  let step = 0;
  const say = (line: string): void => {
    print(`[${String(++step)}/${String(steps)}] ${line}`);
  };
  let aim: AimServer | undefined;
  let ui: AimUi | undefined;
  let receiver: Receiver | undefined;
  stopPeersOnSignalsYourself(); // the receiver must close its runs while aim server still runs
  const stopAll = async (): Promise<void> => {
    await receiver?.close().catch(() => undefined);
    await ui?.process.stop().catch(() => undefined);
    await aim?.process.stop().catch(() => undefined);
  };
  try {
    // The price file is read before anything starts (a PricesError names the file and the entry).
    const pricing = options.demo ? demoPricing(options.prices) : undefined;
    say(`Aim ${AIM_VERSION}: looking for it (installed into a venv in your cache the first time: about a minute)`);
    const found = await findAim({
      ...(options.aim !== undefined ? { given: options.aim } : {}),
      print: (line) => {
        print(`      ${line}`);
      },
    });
    print(`      using ${found.aim} (Aim ${found.version}, ${found.origin === 'PATH' ? 'on PATH' : found.origin})`);

    const repoDir = resolve(options.dataDir);
    say(`Aim repository in ${repoDir}`);
    mkdirSync(repoDir, { recursive: true });
    if (!existsSync(resolve(repoDir, '.aim'))) await initAimRepo(found.aim, repoDir);

    const aimPort = await choosePort(options.aimPort, 'aim server', '--aim-port');
    const uiPort = await choosePort(options.uiPort, 'Aim UI', '--ui-port');
    const port = await choosePort(options.port, 'bridge receiver', '--port');
    say(`starting aim server on aim://127.0.0.1:${String(aimPort)} and the Aim UI on http://127.0.0.1:${String(uiPort)}`);
    [aim, ui] = await Promise.all([startAimServer({ aim: found.aim, repoDir, port: aimPort }), startAimUi({ aim: found.aim, repoDir, port: uiPort })]);

    say(`starting the bridge receiver on http://127.0.0.1:${String(port)}/v1/traces`);
    const prices = pricing?.entries ?? options.prices;
    receiver = await createReceiver({ url: aim.url, port, ...(prices !== undefined ? { prices } : {}) });
    if (pricing) print(`      demo prices: the scripted models ${DEMO_MODELS.join(' and ')} priced as ${DEMO_PRICED_AS} (gen_ai.usage.cost)`);

    if (options.demo) {
      const { DEMO_QUESTION, runDemoAgent } = await loadDemo();
      say(`running the demo agent ("${DEMO_QUESTION}")`);
      const demo = await runDemoAgent({ endpoint: receiver.url });
      if (demo.spansFailed > 0) throw new UpError(`the bridge did not take ${String(demo.spansFailed)} of the demo's spans (see the logs above)`);
      await waitForRun(ui.url, demo.runHash);
      print('');
      print(`  answer:   ${demo.answer}   (model: ${demo.model}, ${String(demo.spansSent)} spans)`);
      print(`  cost:     ${await costLine(ui.url, demo, pricing)}`);
      print(`  Aim UI:   ${ui.url}`);
      print(`  run:      ${demo.runHash}`);
      print(`  open:     ${ui.url}/runs/${demo.runHash}`);
    }
    say(`ready in ${formatDuration(Date.now() - started)}: OTLP/HTTP → ${receiver.url}/v1/traces, Aim UI ${ui.url}`);
    if (options.once) {
      await stopAll();
      return;
    }
    print('Press Ctrl-C to stop aim server, the Aim UI and the bridge.');
    const signal = await untilStopSignal(print);
    print(`${signal}: stopping everything up started ...`);
    await stopAll();
    print('stopped: aim server, the Aim UI and the bridge receiver are down.');
  } catch (error) {
    await stopAll();
    throw error;
  }
}
