/**
 * `npm run bench -- handler [rounds] [invokesPerRound]`: time a LangChain handler adds to a 4-step
 * chain (prompt → fake chat model → tool → parser), against no handler and the two OpenTelemetry
 * LangChain peers, in one process and one run: @arizeai/openinference-instrumentation-langchain
 * (as its users run it: its patch of `CallbackManager._configureSync`) and
 * @traceloop/instrumentation-langchain (its `TraceloopCallbackHandler` passed as a callback, its
 * cheapest correct mode: its own patch drops user handlers).
 *
 * Method: every contender runs `invokesPerRound` sequential invokes per round, then LangChain's
 * callback queue is drained (`awaitAllCallbacks`), so background callback work is counted. The
 * contenders take turns inside each round (rotating order), each with its own
 * BasicTracerProvider + SimpleSpanProcessor + InMemorySpanExporter. Added time = median over rounds
 * of (contender − baseline of the same round), in µs per invoke. Content capture: the peers record
 * prompts and completions by default, so the headline ratio uses ours with capture on; ours with
 * the default (capture off) is reported too.
 *
 * Two reference handlers show the floor any handler pays: `noopHandler` (a BaseCallbackHandler with
 * no methods: LangChain's per-handler dispatch — run ids, run managers, the callback queue, tool
 * input serialisation) and `minimalSpans` (one bare span per run from a runId → span map, no
 * attributes, no parent linking). `oursInline` / `noopInline` run the callbacks inline
 * (`awaitHandlers: true`) instead of through LangChain's background queue.
 */
import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Span, Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { context } from '@opentelemetry/api';
import * as CallbackManagerModule from '@langchain/core/callbacks/manager';
import { awaitAllCallbacks } from '@langchain/core/callbacks/promises';
import { BaseCallbackHandler } from '@langchain/core/callbacks/base';
import { StringOutputParser } from '@langchain/core/output_parsers';
import { ChatPromptTemplate } from '@langchain/core/prompts';
import { tool } from '@langchain/core/tools';
import type { AIMessageChunk } from '@langchain/core/messages';
import type { Runnable } from '@langchain/core/runnables';
import { FakeListChatModel } from '@langchain/core/utils/testing';
import { LangChainInstrumentation as OpenInferenceInstrumentation } from '@arizeai/openinference-instrumentation-langchain';
import { TraceloopCallbackHandler } from '@traceloop/instrumentation-langchain';
import { z } from 'zod';
import { GenAICallbackHandler } from '../../src/langchain/index.js';

interface Contender {
  readonly name: string;
  readonly exporter: InMemorySpanExporter | undefined;
  /** Callbacks to pass to invoke (or undefined). */
  readonly callbacks: BaseCallbackHandler[] | undefined;
  readonly enter?: () => void;
  readonly leave?: () => void;
}

/** Reference: no callback methods at all. */
class NoopHandler extends BaseCallbackHandler {
  name = 'bench_noop';
}

/** Reference: the least a span-per-run handler can do (bare spans, no attributes, no tree). */
class MinimalSpanHandler extends BaseCallbackHandler {
  name = 'bench_minimal_spans';
  private readonly _spans = new Map<string, Span>();
  private readonly _tracer: Tracer;
  constructor(tracer: Tracer) {
    super();
    this._tracer = tracer;
  }
  private _start(runId: string): void {
    this._spans.set(runId, this._tracer.startSpan('run'));
  }
  private _end(runId: string): void {
    this._spans.get(runId)?.end();
    this._spans.delete(runId);
  }
  override handleChainStart(_chain: unknown, _inputs: unknown, runId: string): void {
    this._start(runId);
  }
  override handleChatModelStart(_llm: unknown, _messages: unknown, runId: string): void {
    this._start(runId);
  }
  override handleToolStart(_tool: unknown, _input: unknown, runId: string): void {
    this._start(runId);
  }
  override handleChainEnd(_outputs: unknown, runId: string): void {
    this._end(runId);
  }
  override handleLLMEnd(_output: unknown, runId: string): void {
    this._end(runId);
  }
  override handleToolEnd(_output: unknown, runId: string): void {
    this._end(runId);
  }
}

function tracing(): { provider: BasicTracerProvider; exporter: InMemorySpanExporter } {
  const exporter = new InMemorySpanExporter();
  return { exporter, provider: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }) };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

function ratio(value: number | undefined, reference: number): number {
  return Math.round(((value ?? NaN) / reference) * 1000) / 1000;
}

export default async function handlerBench(args: string[]): Promise<Record<string, unknown>> {
  const rounds = Number(args[0] ?? 9);
  const perRound = Number(args[1] ?? 400);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());

  const shout = tool((input: { content: string }) => input.content.toUpperCase(), {
    name: 'shout',
    description: 'upper-cases the text',
    schema: z.object({ content: z.string() }),
  });
  const chain = ChatPromptTemplate.fromTemplate('Tell me about {topic}')
    .pipe(new FakeListChatModel({ responses: ['langchain and opentelemetry'] }))
    // The tool receives the model's AIMessage; its schema picks the message's `content`.
    .pipe(shout as unknown as Runnable<AIMessageChunk, string>)
    .pipe(new StringOutputParser());

  // OpenInference: its patch of CallbackManager._configureSync, switched on only for its turn.
  const configureOriginal = CallbackManagerModule.CallbackManager._configureSync.bind(CallbackManagerModule.CallbackManager);
  const oi = tracing();
  const openInference = new OpenInferenceInstrumentation();
  openInference.setTracerProvider(oi.provider);
  openInference.manuallyInstrument(CallbackManagerModule);
  const configurePatched = CallbackManagerModule.CallbackManager._configureSync.bind(CallbackManagerModule.CallbackManager);
  CallbackManagerModule.CallbackManager._configureSync = configureOriginal;

  const minimal = tracing();
  const ours = tracing();
  const oursContent = tracing();
  const oursInline = tracing();
  const tl = tracing();
  const contenders: Contender[] = [
    { name: 'baseline', exporter: undefined, callbacks: undefined },
    { name: 'noopHandler', exporter: undefined, callbacks: [new NoopHandler()] },
    { name: 'minimalSpans', exporter: minimal.exporter, callbacks: [new MinimalSpanHandler(minimal.provider.getTracer('minimal'))] },
    { name: 'ours', exporter: ours.exporter, callbacks: [new GenAICallbackHandler({ tracerProvider: ours.provider })] },
    { name: 'oursInline', exporter: oursInline.exporter, callbacks: [new GenAICallbackHandler({ tracerProvider: oursInline.provider, awaitHandlers: true })] },
    { name: 'noopInline', exporter: undefined, callbacks: [new NoopHandler({ _awaitHandler: true })] },
    {
      name: 'oursContent',
      exporter: oursContent.exporter,
      callbacks: [new GenAICallbackHandler({ tracerProvider: oursContent.provider, captureMessageContent: true })],
    },
    {
      name: 'openinference',
      exporter: oi.exporter,
      callbacks: undefined,
      enter: () => {
        CallbackManagerModule.CallbackManager._configureSync = configurePatched;
      },
      leave: () => {
        CallbackManagerModule.CallbackManager._configureSync = configureOriginal;
      },
    },
    {
      name: 'traceloop',
      exporter: tl.exporter,
      callbacks: [new TraceloopCallbackHandler(tl.provider.getTracer('traceloop'), true)],
    },
  ];

  async function runTurn(contender: Contender, invokes: number): Promise<{ wallUs: number; cpuUs: number; spans: number }> {
    contender.enter?.();
    try {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < invokes; i += 1) {
        await chain.invoke({ topic: 'tracing' }, contender.callbacks === undefined ? {} : { callbacks: contender.callbacks });
      }
      await awaitAllCallbacks();
      const wallUs = ((performance.now() - t0) * 1000) / invokes;
      const cpu = process.cpuUsage(cpu0);
      const spans = contender.exporter?.getFinishedSpans().length ?? 0;
      contender.exporter?.reset();
      return { wallUs, cpuUs: (cpu.user + cpu.system) / invokes, spans: spans / invokes };
    } finally {
      contender.leave?.();
    }
  }

  // Warm-up (JIT, lazy module loads) for every contender.
  for (const contender of contenders) await runTurn(contender, 200);

  const wall = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  const cpu = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  const added = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  const spansPerInvoke = new Map<string, number>();
  for (let r = 0; r < rounds; r += 1) {
    const order = contenders.map((_, i) => contenders[(i + r) % contenders.length] as Contender);
    const results = new Map<string, { wallUs: number; cpuUs: number }>();
    for (const contender of order) {
      const result = await runTurn(contender, perRound);
      results.set(contender.name, result);
      spansPerInvoke.set(contender.name, result.spans);
      wall.get(contender.name)?.push(result.wallUs);
      cpu.get(contender.name)?.push(result.cpuUs);
    }
    const base = results.get('baseline')?.wallUs ?? 0;
    for (const [name, result] of results) added.get(name)?.push(result.wallUs - base);
  }

  const addedUs = Object.fromEntries([...added].filter(([name]) => name !== 'baseline').map(([name, values]) => [name, round1(median(values))]));
  const bestPeer = Math.min(addedUs['openinference'] ?? Infinity, addedUs['traceloop'] ?? Infinity);
  const bestPeerName = (addedUs['openinference'] ?? Infinity) <= (addedUs['traceloop'] ?? Infinity) ? 'openinference' : 'traceloop';
  trace.disable();
  return {
    chain: 'prompt -> FakeListChatModel -> tool -> StringOutputParser (5 runs per invoke)',
    rounds,
    invokesPerRound: perRound,
    baselineUsPerInvoke: round1(median(wall.get('baseline') ?? [])),
    addedUsPerInvoke: addedUs,
    cpuUsPerInvoke: Object.fromEntries([...cpu].map(([name, values]) => [name, round1(median(values))])),
    spansPerInvoke: Object.fromEntries(spansPerInvoke),
    bestPeer: bestPeerName,
    ratioToBestPeer: ratio(addedUs['oursContent'], bestPeer),
    ratioToBestPeerContentOff: ratio(addedUs['ours'], bestPeer),
    ratioToBestPeerInline: ratio(addedUs['oursInline'], bestPeer),
    ratioOfFloorsToBestPeer: {
      noopHandler: ratio(addedUs['noopHandler'], bestPeer),
      noopInline: ratio(addedUs['noopInline'], bestPeer),
      minimalSpans: ratio(addedUs['minimalSpans'], bestPeer),
    },
    goal: 'ratioToBestPeer <= 0.5',
  };
}
