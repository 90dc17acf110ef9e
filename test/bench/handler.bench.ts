/**
 * `npm run bench -- handler [rounds] [invokesPerRound] [--only a,b,...] [--node-args '...']`: the time a LangChain
 * handler adds to a 5-run chain (prompt → fake chat model → tool → parser, in a sequence), against
 * no handler, two reference handlers that show the floor, and the two OpenTelemetry LangChain
 * peers: @arizeai/openinference-instrumentation-langchain (as its users run it: its patch of
 * `CallbackManager._configureSync`) and @traceloop/instrumentation-langchain (its
 * `TraceloopCallbackHandler` passed as a callback, content on; its own patch drops user handlers).
 *
 * Fairness: every contender lives in a process of its own (test/bench/handler-worker.ts), so our
 * context bridge — which patches LangChain's model, tool and retriever classes process-wide when
 * our handler is constructed — and OpenInference's patch only exist where they are measured; the
 * baseline runs in such a process too, and a second baseline process (`baselineB`) shows how much
 * two processes running the same thing differ. The processes take turns: in each round every
 * contender runs `invokesPerRound` sequential invokes and drains LangChain's callback queue
 * (`awaitAllCallbacks`, so background callback work is counted) while the others wait; the order
 * rotates from round to round. A round before the first is run and not counted.
 *
 * Figures: per contender and round, wall and CPU time per invoke (CPU: the worker's
 * `process.cpuUsage`, so other load on the machine counts less); added time = contender −
 * baseline of the same round; medians with min and max over the rounds. Ratios are medians (with
 * min and max) of per-round ratios of added times. The headline ratios compare ours with content
 * capture on (the peers record prompts and completions by default) against `minimalSpans` (goal
 * ≤ 1.15) and the best peer (goal ≤ 0.6); ours with capture off (the default) and with inline
 * callbacks (`awaitHandlers`, against the inline floor) are reported the same way.
 *
 * The floor: `noopHandler` (a handler with no methods: LangChain's per-handler dispatch — run ids,
 * run managers, the callback queue), `minimalSpans` (one bare span per run from a runId → span
 * map: no attributes, no parent linking, no content), and their inline twins; `payloadSpans` (our
 * spans — names, kinds, the attributes ours sets at the start and the end, content included, the
 * same tree — recorded from one invoke of ours in another process and replayed from constants:
 * what emitting exactly our spans costs in the SDK and LangChain, computing nothing).
 *
 * Honesty: each turn checks that the contender made the expected spans (5 per invoke; 0 for the
 * baseline and no-op handlers), that nobody reported a callback error (LangChain's `Error in
 * handler` reports, diag errors and warnings, our `stats.callbackErrors`, no run left open), that
 * content was captured where it is on (and not where it is off), and that our spans of one invoke
 * form one tree; every contender's tree is reported. Any failed check fails the bench
 * (`--only failFast,baseline` shows a handler that fails fast being refused).
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ALL_CONTENDERS, CONTENDERS } from './handler-worker.js';
import type { ContenderName, TurnResult } from './handler-worker.js';
import { parseArgs, positiveInteger, spread } from './rounds.js';
import type { Spread } from './rounds.js';

const WORKER = join(import.meta.dirname, 'handler-worker.ts');
const GOAL_TO_FLOOR = 1.15;
const GOAL_TO_BEST_PEER = 0.6;
const PEERS = ['openinference', 'traceloop'] as const;

/** A contender's process. */
class Worker {
  readonly name: ContenderName;
  private readonly _child: ChildProcess;
  private readonly _ready: Promise<void>;
  private _pending: ((message: { result?: TurnResult; error?: string }) => void) | undefined;
  private _exited: string | undefined;

  constructor(name: ContenderName, nodeArgs: readonly string[]) {
    this.name = name;
    this._child = fork(WORKER, [name], { execArgv: [...nodeArgs, '--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this._ready = new Promise((resolve, reject) => {
      this._child.on('message', (message: { ready?: boolean; result?: TurnResult; error?: string }) => {
        if (message.ready === true) resolve();
        else this._pending?.(message);
      });
      this._child.on('exit', (code) => {
        this._exited = `worker ${name} exited (code ${String(code)})`;
        reject(new Error(this._exited));
        this._pending?.({ error: this._exited });
      });
    });
  }

  ready(): Promise<void> {
    return this._ready;
  }

  /** One turn of `invokes` invokes. */
  turn(invokes: number): Promise<TurnResult> {
    if (this._exited !== undefined) return Promise.reject(new Error(this._exited));
    return new Promise((resolve, reject) => {
      this._pending = (message) => {
        this._pending = undefined;
        if (message.result !== undefined) resolve(message.result);
        else reject(new Error(`${this.name}: ${message.error ?? 'no result'}`));
      };
      this._child.send({ run: invokes });
    });
  }

  stop(): void {
    if (this._exited === undefined && this._child.connected) this._child.send({});
  }
}

/** Runs `fn` over `items`, at most `limit` at a time. */
async function limited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: limit }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
    }),
  );
}

interface Series {
  wall: number[];
  cpu: number[];
  addedWall: number[];
  addedCpu: number[];
}

function ratioSpread(series: ReadonlyMap<string, Series>, a: string, b: string, key: 'addedWall' | 'addedCpu'): Spread | undefined {
  const x = series.get(a)?.[key];
  const y = series.get(b)?.[key];
  if (x === undefined || y === undefined) return undefined;
  return spread(x.map((value, i) => value / (y[i] ?? NaN)));
}

export default async function handlerBench(args: string[]): Promise<Record<string, unknown>> {
  const { positional, options } = parseArgs(args);
  const rounds = positiveInteger(options.get('rounds') ?? positional[0], 15, 'rounds');
  const perRound = positiveInteger(options.get('invokes') ?? positional[1], 400, 'invokesPerRound');
  const only = options.get('only')?.split(',');
  const names = (only ?? [...CONTENDERS]) as ContenderName[];
  for (const name of names) if (!ALL_CONTENDERS.includes(name)) throw new Error(`unknown contender ${name}; one of ${ALL_CONTENDERS.join(', ')}`);
  if (!names.includes('baseline')) throw new Error('the contenders must include baseline');

  const nodeArgs =
    options
      .get('node-args')
      ?.split(' ')
      .filter((arg) => arg !== '') ?? [];
  const workers = names.map((name) => new Worker(name, nodeArgs));
  try {
    await limited(workers, 2, (worker) => worker.ready());
    const series = new Map<string, Series>(names.map((name) => [name, { wall: [], cpu: [], addedWall: [], addedCpu: [] }]));
    const spans = new Map<string, number>();
    const trees = new Map<string, string>();
    const problems: string[] = [];
    for (let round = 0; round <= rounds; round += 1) {
      const order = workers.map((_, i) => workers[(i + round) % workers.length] as Worker);
      const results = new Map<string, TurnResult>();
      for (const worker of order) {
        const result = await worker.turn(perRound);
        results.set(worker.name, result);
        for (const problem of result.problems) problems.push(`${worker.name}, round ${String(round)}: ${problem}`);
      }
      if (round === 0) continue; // settling round, not counted
      const base = results.get('baseline') as TurnResult;
      for (const [name, result] of results) {
        const s = series.get(name) as Series;
        s.wall.push(result.wallUs);
        s.cpu.push(result.cpuUs);
        s.addedWall.push(result.wallUs - base.wallUs);
        s.addedCpu.push(result.cpuUs - base.cpuUs);
        spans.set(name, result.spansPerInvoke);
        if (result.tree !== undefined) trees.set(name, result.tree);
      }
    }
    if (problems.length > 0) {
      throw new Error(`the contenders failed the bench's checks (${String(problems.length)}):\n${problems.slice(0, 30).join('\n')}`);
    }

    const added = (key: 'addedWall' | 'addedCpu'): Record<string, Spread> =>
      Object.fromEntries([...series].filter(([name]) => name !== 'baseline').map(([name, s]) => [name, spread(s[key])]));
    const addedWall = added('addedWall');
    const addedCpu = added('addedCpu');
    const present = PEERS.filter((peer) => series.has(peer));
    const bestPeer =
      present.length === 0 ? undefined : present.reduce((a, b) => ((addedWall[a]?.median ?? Infinity) <= (addedWall[b]?.median ?? Infinity) ? a : b));
    const ratios = (key: 'addedWall' | 'addedCpu'): Record<string, Spread | undefined> => ({
      oursContentToMinimalSpans: ratioSpread(series, 'oursContent', 'minimalSpans', key),
      payloadSpansToMinimalSpans: ratioSpread(series, 'payloadSpans', 'minimalSpans', key),
      oursContentToPayloadSpans: ratioSpread(series, 'oursContent', 'payloadSpans', key),
      oursToMinimalSpans: ratioSpread(series, 'ours', 'minimalSpans', key),
      oursContentInlineToMinimalInline: ratioSpread(series, 'oursContentInline', 'minimalInline', key),
      oursInlineToMinimalInline: ratioSpread(series, 'oursInline', 'minimalInline', key),
      ...(bestPeer === undefined
        ? {}
        : {
            oursContentToBestPeer: ratioSpread(series, 'oursContent', bestPeer, key),
            oursToBestPeer: ratioSpread(series, 'ours', bestPeer, key),
            oursContentInlineToBestPeer: ratioSpread(series, 'oursContentInline', bestPeer, key),
            minimalSpansToBestPeer: ratioSpread(series, 'minimalSpans', bestPeer, key),
            bestPeerToMinimalSpans: ratioSpread(series, bestPeer, 'minimalSpans', key),
            noopHandlerToBestPeer: ratioSpread(series, 'noopHandler', bestPeer, key),
          }),
    });
    const wallRatios = ratios('addedWall');
    const cpuRatios = ratios('addedCpu');
    const met = (ratio: Spread | undefined, goal: number): boolean | undefined => (ratio === undefined ? undefined : ratio.median <= goal);
    return {
      chain: 'RunnableSequence(prompt -> FakeListChatModel -> tool -> StringOutputParser): 5 runs per invoke',
      method:
        'one process per contender, turns in rotating order, a settling round; added = contender - baseline of the same round, us per invoke; ratios = median (min, max) of per-round ratios',
      rounds,
      invokesPerRound: perRound,
      workerNodeArgs: nodeArgs,
      baselineUsPerInvoke: { wall: spread(series.get('baseline')?.wall ?? []), cpu: spread(series.get('baseline')?.cpu ?? []) },
      addedWallUsPerInvoke: addedWall,
      addedCpuUsPerInvoke: addedCpu,
      spansPerInvoke: Object.fromEntries(spans),
      spanTreePerInvoke: Object.fromEntries(trees),
      checks: 'passed: expected spans per invoke, no callback error, content on/off as configured, our spans one tree per invoke',
      bestPeer,
      ratiosWall: wallRatios,
      ratiosCpu: cpuRatios,
      goals: {
        oursContentToMinimalSpans: {
          goal: GOAL_TO_FLOOR,
          wall: met(wallRatios['oursContentToMinimalSpans'], GOAL_TO_FLOOR),
          cpu: met(cpuRatios['oursContentToMinimalSpans'], GOAL_TO_FLOOR),
          floor: 'payloadSpansToMinimalSpans: our spans, attributes and tree at no cost of computing them',
        },
        oursContentToBestPeer: {
          goal: GOAL_TO_BEST_PEER,
          wall: met(wallRatios['oursContentToBestPeer'], GOAL_TO_BEST_PEER),
          cpu: met(cpuRatios['oursContentToBestPeer'], GOAL_TO_BEST_PEER),
          floor: 'minimalSpansToBestPeer: bare spans',
        },
      },
      crossProcessBiasUs: {
        wall: addedWall['baselineB'] ?? null,
        cpu: addedCpu['baselineB'] ?? null,
        note: 'baselineB - baseline: two processes running the same thing',
      },
    };
  } finally {
    for (const worker of workers) worker.stop();
  }
}
