/**
 * One contender of `npm run bench -- handler` in a process of its own: builds the bench chain and
 * only this contender (so our context bridge, installed when our handler is constructed, and
 * OpenInference's patch of LangChain exist only in their own processes), warms up, then runs the
 * turns the parent asks for over IPC and answers with the turn's wall and CPU time per invoke and
 * what it checked: spans per invoke, the span tree and content of the last invoke, and callback
 * errors (LangChain's `Error in handler …` reports, which it prints with `console.warn` or
 * `console.error`, diag errors and warnings, and our handler's own `stats.callbackErrors`).
 *
 * Standalone (to find where a contender's time goes):
 * `node --import tsx test/bench/handler-worker.ts oursContent --invokes 8000 --cpu-profile FILE`
 * runs turns of 400 invokes, prints their figures, and writes a CPU profile of the turns alone
 * (after the warm-up; summarise it with test/bench/handler-profile.ts); `--dump` prints one
 * invoke's spans.
 */
import { DiagLogLevel, context, diag, trace } from '@opentelemetry/api';
import type { Attributes, Context, Span, SpanKind, Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { BaseCallbackHandler } from '@langchain/core/callbacks/base';
import type { BaseCallbackHandlerInput } from '@langchain/core/callbacks/base';
import * as CallbackManagerModule from '@langchain/core/callbacks/manager';
import { awaitAllCallbacks } from '@langchain/core/callbacks/promises';
import type { AIMessageChunk } from '@langchain/core/messages';
import { StringOutputParser } from '@langchain/core/output_parsers';
import { ChatPromptTemplate } from '@langchain/core/prompts';
import type { Runnable } from '@langchain/core/runnables';
import { tool } from '@langchain/core/tools';
import { FakeListChatModel } from '@langchain/core/utils/testing';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { z } from 'zod';
import { parseArgs, positiveInteger } from './rounds.js';

/** Spans one invoke of the chain makes: the sequence, the prompt, the model, the tool, the parser. */
export const RUNS_PER_INVOKE = 5;

/** The contenders, in the order the report lists them. */
export const CONTENDERS = [
  'baseline',
  'baselineB',
  'noopHandler',
  'noopInline',
  'minimalSpans',
  'minimalInline',
  'payloadSpans',
  'ours',
  'oursContent',
  'oursInline',
  'oursContentInline',
  'openinference',
  'traceloop',
] as const;

/**
 * Contenders that must fail the checks (`--only failFast,baseline` shows the bench refusing them):
 * `failFast` throws in every start callback, so LangChain drops its spans and reports the errors.
 */
export const SELF_TEST_CONTENDERS = ['failFast'] as const;

/** Contenders for finding where time goes (`--only`): ours with content capture on, without the context bridge. */
export const EXTRA_CONTENDERS = ['oursContentNoBridge'] as const;
export type ContenderName = (typeof CONTENDERS)[number] | (typeof SELF_TEST_CONTENDERS)[number] | (typeof EXTRA_CONTENDERS)[number];
export const ALL_CONTENDERS: readonly ContenderName[] = [...CONTENDERS, ...SELF_TEST_CONTENDERS, ...EXTRA_CONTENDERS];

/** What a turn reports to the parent. */
export interface TurnResult {
  readonly wallUs: number;
  readonly cpuUs: number;
  readonly spansPerInvoke: number;
  /** The last invoke's span tree: traces, roots, spans whose parent is not in the invoke. */
  readonly tree: string | undefined;
  /** What was wrong in this turn (empty when every check passed). */
  readonly problems: string[];
}

/** What a contender makes and how its last invoke is checked. */
interface Contender {
  /** Callbacks passed to `invoke` (undefined: none). */
  readonly callbacks: BaseCallbackHandler[] | undefined;
  readonly exporter: InMemorySpanExporter | undefined;
  readonly spansPerInvoke: number;
  /** Whether one invoke's spans must form one tree (ours); for the others the tree is only reported. */
  readonly oneTree?: boolean;
  /** Problems with one invoke's spans (content). */
  readonly checkInvoke?: (spans: readonly ReadableSpan[]) => string[];
  /** Problems the contender itself reports after a turn (our stats). */
  readonly checkTurn?: () => string[];
}

/** Reference: no callback methods at all (LangChain's per-handler dispatch alone). */
class NoopHandler extends BaseCallbackHandler {
  name = 'bench_noop';
}

/** A reference handler with one span per run, started in LangChain's queued start callbacks. */
abstract class SpanPerRunHandler extends BaseCallbackHandler {
  protected abstract _start(serialized: unknown, runId: string, parentRunId: string | undefined, runName: string | undefined): void;
  protected abstract _end(runId: string): void;
  override handleChainStart(
    chain: unknown,
    _inputs: unknown,
    runId: string,
    parentRunId?: string,
    _tags?: unknown,
    _metadata?: unknown,
    _runType?: unknown,
    runName?: string,
  ): void {
    this._start(chain, runId, parentRunId, runName);
  }
  override handleChatModelStart(
    llm: unknown,
    _messages: unknown,
    runId: string,
    parentRunId?: string,
    _extra?: unknown,
    _tags?: unknown,
    _metadata?: unknown,
    runName?: string,
  ): void {
    this._start(llm, runId, parentRunId, runName);
  }
  override handleToolStart(tool: unknown, _input: unknown, runId: string, parentRunId?: string, _tags?: unknown, _metadata?: unknown, runName?: string): void {
    this._start(tool, runId, parentRunId, runName);
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

/** Reference: the least a span-per-run handler can do (bare spans, no attributes, no tree). */
export class MinimalSpanHandler extends SpanPerRunHandler {
  name = 'bench_minimal_spans';
  private readonly _spans = new Map<string, Span>();
  private readonly _tracer: Tracer;
  constructor(tracer: Tracer, input?: BaseCallbackHandlerInput) {
    super(input);
    this._tracer = tracer;
  }
  protected _start(_serialized: unknown, runId: string): void {
    this._spans.set(runId, this._tracer.startSpan('run'));
  }
  protected _end(runId: string): void {
    this._spans.get(runId)?.end();
    this._spans.delete(runId);
  }
}

/** A new string equal to `text` (concatenation, then a slice, makes V8 copy it into a flat string). */
function freshCopy(text: string): string {
  return (text + ' ').slice(0, -1);
}

/** One of our spans as recorded: name, kind, attributes set at its start and at its end. */
interface SpanPayload {
  readonly runName: string;
  readonly name: string;
  readonly kind: SpanKind;
  readonly start: Attributes;
  readonly end: Attributes;
  /** The keys of `end` holding strings. */
  readonly endStrings: readonly string[];
}

/**
 * Reference: our spans' payload at no cost of computing it — per run the span ours makes (name,
 * kind, the attributes ours sets at the start and at the end, content included; recorded from one
 * invoke of ours in another process), started under its parent's span, from a runId → span map.
 * What any handler emitting these spans pays to the SDK and to LangChain: the floor for ours. The
 * string values set at the end (content, response attributes) are fresh copies per span, as a
 * handler recording each call's own content allocates them (shared constants would cost the
 * garbage collector nothing).
 */
export class PayloadSpanHandler extends SpanPerRunHandler {
  name = 'bench_payload_spans';
  private readonly _runs = new Map<string, { span: Span; payload: SpanPayload; ctx?: Context }>();
  private readonly _tracer: Tracer;
  private readonly _payloads: ReadonlyMap<string, SpanPayload>;
  constructor(tracer: Tracer, payloads: readonly SpanPayload[]) {
    super();
    this._tracer = tracer;
    this._payloads = new Map(payloads.map((payload) => [payload.runName, payload]));
  }
  protected _start(serialized: unknown, runId: string, parentRunId: string | undefined, runName: string | undefined): void {
    const id = (serialized as { id?: string[] }).id;
    const payload = this._payloads.get(runName ?? id?.[id.length - 1] ?? '');
    if (payload === undefined) throw new Error(`no payload for run ${String(runName)}`);
    const parent = parentRunId === undefined ? undefined : this._runs.get(parentRunId);
    const ctx = parent === undefined ? context.active() : (parent.ctx ??= trace.setSpan(context.active(), parent.span));
    const span = this._tracer.startSpan(payload.name, { kind: payload.kind, attributes: { ...payload.start, 'langchain.run.id': runId } }, ctx);
    this._runs.set(runId, { span, payload });
  }
  protected _end(runId: string): void {
    const run = this._runs.get(runId);
    if (run === undefined) return;
    this._runs.delete(runId);
    const end: Attributes = { ...run.payload.end };
    for (const key of run.payload.endStrings) end[key] = freshCopy(end[key] as string);
    run.span.setAttributes(end);
    run.span.end();
  }
}

/** Records what ours sets on each span at its start and its end (the payload floor's input). */
class PayloadRecorder implements SpanProcessor {
  readonly payloads: SpanPayload[] = [];
  private readonly _atStart = new Map<Span, Attributes>();
  onStart(span: Span & ReadableSpan): void {
    this._atStart.set(span, { ...span.attributes });
  }
  onEnd(span: ReadableSpan): void {
    const start = this._atStart.get(span as unknown as Span) ?? {};
    const end = Object.fromEntries(Object.entries(span.attributes).filter(([key]) => !(key in start)));
    const runName = String(span.attributes['langchain.run.name']);
    const rest = Object.fromEntries(Object.entries(start).filter(([key]) => key !== 'langchain.run.id'));
    const endStrings = Object.keys(end).filter((key) => typeof end[key] === 'string');
    this.payloads.push({ runName, name: span.name, kind: span.kind, start: rest, end, endStrings });
  }
  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

/** Our spans' payload for one invoke, content on (printed by `--payload`, in a process of its own). */
export async function payloadOfOurs(): Promise<SpanPayload[]> {
  const { GenAICallbackHandler } = await import('../../src/langchain/handler.js');
  const recorder = new PayloadRecorder();
  const provider = new BasicTracerProvider({ spanProcessors: [recorder] });
  const handler = new GenAICallbackHandler({ tracerProvider: provider, captureMessageContent: true });
  await benchChain().invoke({ topic: 'tracing' }, { callbacks: [handler] });
  await awaitAllCallbacks();
  return recorder.payloads;
}

/** Self-test: a span handler that fails fast (see SELF_TEST_CONTENDERS). */
class FailFastHandler extends MinimalSpanHandler {
  override name = 'bench_fail_fast';
  override handleChainStart(): void {
    throw new Error('fails fast');
  }
  override handleChatModelStart(): void {
    throw new Error('fails fast');
  }
  override handleToolStart(): void {
    throw new Error('fails fast');
  }
}

function tracing(): { provider: BasicTracerProvider; exporter: InMemorySpanExporter } {
  const exporter = new InMemorySpanExporter();
  return { exporter, provider: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }) };
}

/** One invoke's spans as a tree: `1 trace, 1 root, 0 orphans` when it is one (orphan: parent not in the invoke). */
function treeOf(spans: readonly ReadableSpan[]): string {
  const ids = new Set(spans.map((span) => span.spanContext().spanId));
  const traces = new Set(spans.map((span) => span.spanContext().traceId)).size;
  const roots = spans.filter((span) => span.parentSpanContext === undefined).length;
  const orphans = spans.filter((span) => span.parentSpanContext !== undefined && !ids.has(span.parentSpanContext.spanId)).length;
  return `${String(traces)} trace${traces === 1 ? '' : 's'}, ${String(roots)} root${roots === 1 ? '' : 's'}, ${String(orphans)} orphans`;
}

const ONE_TREE = '1 trace, 1 root, 0 orphans';

/** Problems unless some span of the invoke has each of `keys` (content the contender must capture). */
function hasAttributes(spans: readonly ReadableSpan[], keys: readonly string[]): string[] {
  return keys.filter((key) => !spans.some((span) => span.attributes[key] !== undefined)).map((key) => `no span carries ${key}`);
}

const OUR_CONTENT = ['gen_ai.input.messages', 'gen_ai.output.messages', 'gen_ai.tool.call.arguments', 'gen_ai.tool.call.result'];

async function ours(options: { content: boolean; inline: boolean; bridge?: boolean }): Promise<Contender> {
  const { GenAICallbackHandler } = await import('../../src/langchain/handler.js');
  const { provider, exporter } = tracing();
  const handler = new GenAICallbackHandler({
    tracerProvider: provider,
    captureMessageContent: options.content,
    awaitHandlers: options.inline,
    bridgeContext: options.bridge ?? true,
  });
  return {
    callbacks: [handler],
    exporter,
    spansPerInvoke: RUNS_PER_INVOKE,
    oneTree: true,
    checkInvoke: (spans) => {
      if (options.content) return hasAttributes(spans, OUR_CONTENT);
      return spans.some((span) => OUR_CONTENT.some((key) => span.attributes[key] !== undefined)) ? ['content recorded with capture off'] : [];
    },
    checkTurn: () => {
      const { callbackErrors, openRuns } = handler.stats;
      const problems: string[] = [];
      if (callbackErrors > 0) problems.push(`stats.callbackErrors = ${String(callbackErrors)}`);
      if (openRuns > 0) problems.push(`stats.openRuns = ${String(openRuns)} after the turn`);
      return problems;
    },
  };
}

async function contender(name: ContenderName): Promise<Contender> {
  switch (name) {
    case 'baseline':
    case 'baselineB':
      return { callbacks: undefined, exporter: undefined, spansPerInvoke: 0 };
    case 'noopHandler':
      return { callbacks: [new NoopHandler()], exporter: undefined, spansPerInvoke: 0 };
    case 'noopInline':
      return { callbacks: [new NoopHandler({ _awaitHandler: true })], exporter: undefined, spansPerInvoke: 0 };
    case 'minimalSpans':
    case 'minimalInline': {
      const { provider, exporter } = tracing();
      const input = name === 'minimalInline' ? { _awaitHandler: true } : undefined;
      return { callbacks: [new MinimalSpanHandler(provider.getTracer('minimal'), input)], exporter, spansPerInvoke: RUNS_PER_INVOKE };
    }
    case 'payloadSpans': {
      // Recorded in a process of its own, so that our handler (and its context bridge) never runs here.
      const output = execFileSync(process.execPath, ['--import', 'tsx', import.meta.filename, 'ours', '--payload'], { encoding: 'utf8' });
      const payloads = JSON.parse(output) as SpanPayload[];
      const { provider, exporter } = tracing();
      return {
        callbacks: [new PayloadSpanHandler(provider.getTracer('payload'), payloads)],
        exporter,
        spansPerInvoke: RUNS_PER_INVOKE,
        oneTree: true,
        checkInvoke: (spans) => hasAttributes(spans, OUR_CONTENT),
      };
    }
    case 'failFast': {
      const { provider, exporter } = tracing();
      return { callbacks: [new FailFastHandler(provider.getTracer('fail-fast'))], exporter, spansPerInvoke: RUNS_PER_INVOKE };
    }
    case 'ours':
      return ours({ content: false, inline: false });
    case 'oursContent':
      return ours({ content: true, inline: false });
    case 'oursInline':
      return ours({ content: false, inline: true });
    case 'oursContentInline':
      return ours({ content: true, inline: true });
    case 'oursContentNoBridge':
      return ours({ content: true, inline: false, bridge: false });
    case 'openinference': {
      // As its users run it: its patch of CallbackManager._configureSync adds its tracer to every run.
      const { LangChainInstrumentation } = await import('@arizeai/openinference-instrumentation-langchain');
      const { provider, exporter } = tracing();
      const instrumentation = new LangChainInstrumentation();
      instrumentation.setTracerProvider(provider);
      instrumentation.manuallyInstrument(CallbackManagerModule);
      return {
        callbacks: undefined,
        exporter,
        spansPerInvoke: RUNS_PER_INVOKE,
        checkInvoke: (spans) => hasAttributes(spans, ['input.value', 'output.value', 'llm.input_messages.0.message.content']),
      };
    }
    case 'traceloop': {
      // Its handler passed as a callback, content on: its own patch drops user handlers.
      const { TraceloopCallbackHandler } = await import('@traceloop/instrumentation-langchain');
      const { provider, exporter } = tracing();
      return {
        callbacks: [new TraceloopCallbackHandler(provider.getTracer('traceloop'), true)],
        exporter,
        spansPerInvoke: RUNS_PER_INVOKE,
        checkInvoke: (spans) => hasAttributes(spans, ['traceloop.entity.input', 'traceloop.entity.output', 'gen_ai.input.messages', 'gen_ai.output.messages']),
      };
    }
  }
}

/** The bench chain: prompt → fake chat model → tool → parser (5 runs per invoke). */
export function benchChain(): Runnable<{ topic: string }, string> {
  const shout = tool((input: { content: string }) => input.content.toUpperCase(), {
    name: 'shout',
    description: 'upper-cases the text',
    schema: z.object({ content: z.string() }),
  });
  return (
    ChatPromptTemplate.fromTemplate('Tell me about {topic}')
      .pipe(new FakeListChatModel({ responses: ['langchain and opentelemetry'] }))
      // The tool receives the model's AIMessage; its schema picks the message's `content`.
      .pipe(shout as unknown as Runnable<AIMessageChunk, string>)
      .pipe(new StringOutputParser())
  );
}

/** Callback errors as LangChain and diag report them, counted while a turn runs. */
class ErrorWatch {
  private readonly _reports: string[] = [];
  private _count = 0;

  constructor() {
    for (const level of ['warn', 'error'] as const) {
      const original = console[level].bind(console);
      console[level] = (...args: unknown[]): void => {
        const text = args.map(String).join(' ');
        // LangChain's reports become problems of the turn (not thousands of lines).
        if (text.startsWith('Error in handler')) this._note(`LangChain: ${text}`);
        else original(...args);
      };
    }
    const note =
      (kind: string) =>
      (message: string, ...args: unknown[]): void => {
        this._note(`diag ${kind}: ${message} ${args.map(String).join(' ')}`.trim());
      };
    const ignore = (): void => undefined;
    diag.setLogger(
      { error: note('error'), warn: note('warn'), info: ignore, debug: ignore, verbose: ignore },
      { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
    );
  }

  private _note(report: string): void {
    this._count += 1;
    if (this._reports.length < 3) this._reports.push(report.slice(0, 300));
  }

  /** Reports since the last call, as problems. */
  take(): string[] {
    const problems = this._count > 0 ? [`${String(this._count)} callback error reports, e.g. ${this._reports.join(' | ')}`] : [];
    this._count = 0;
    this._reports.length = 0;
    return problems;
  }
}

/** Builds `name`, warms it up and returns its turn runner. */
export async function prepare(name: ContenderName): Promise<(invokes: number) => Promise<TurnResult>> {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const watch = new ErrorWatch();
  const subject = await contender(name);
  const chain = benchChain();
  const options = subject.callbacks === undefined ? {} : { callbacks: subject.callbacks };

  async function turn(invokes: number): Promise<TurnResult> {
    subject.exporter?.reset();
    watch.take();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < invokes; i += 1) await chain.invoke({ topic: 'tracing' }, options);
    await awaitAllCallbacks();
    const wallUs = ((performance.now() - t0) * 1000) / invokes;
    const cpu = process.cpuUsage(cpu0);
    const spans = subject.exporter?.getFinishedSpans() ?? [];
    const problems = [...watch.take(), ...(subject.checkTurn?.() ?? [])];
    const last = spans.slice(-subject.spansPerInvoke);
    const tree = subject.spansPerInvoke > 0 ? treeOf(last) : undefined;
    if (spans.length !== invokes * subject.spansPerInvoke) {
      problems.push(`${String(spans.length)} spans for ${String(invokes)} invokes, expected ${String(subject.spansPerInvoke)} per invoke`);
    } else {
      problems.push(...(subject.checkInvoke?.(last) ?? []));
      if (subject.oneTree === true && tree !== ONE_TREE) problems.push(`one invoke's spans: ${String(tree)}`);
    }
    subject.exporter?.reset();
    return { wallUs, cpuUs: (cpu.user + cpu.system) / invokes, spansPerInvoke: spans.length / invokes, tree, problems };
  }

  const warm = await turn(300);
  if (warm.problems.length > 0) throw new Error(`${name} failed its warm-up checks: ${warm.problems.join('; ')}`);
  return turn;
}

/** Prints one invoke's spans (name, parent, attribute keys). */
async function dump(name: ContenderName): Promise<void> {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const subject = await contender(name);
  await benchChain().invoke({ topic: 'tracing' }, subject.callbacks === undefined ? {} : { callbacks: subject.callbacks });
  await awaitAllCallbacks();
  for (const span of subject.exporter?.getFinishedSpans() ?? []) {
    console.log(span.name, span.spanContext().spanId, '<', span.parentSpanContext?.spanId ?? '-', Object.keys(span.attributes).join(' '));
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const { positional, options } = parseArgs(argv.filter((arg) => arg !== '--dump' && arg !== '--payload'));
  const name = positional[0] as ContenderName;
  if (!ALL_CONTENDERS.includes(name)) throw new Error(`contender must be one of ${ALL_CONTENDERS.join(', ')}`);
  if (argv.includes('--dump')) return dump(name);
  if (argv.includes('--payload')) {
    console.log(JSON.stringify(await payloadOfOurs()));
    return;
  }
  const turn = await prepare(name);
  if (process.send !== undefined) {
    const send = process.send.bind(process);
    process.on('message', (message: { run?: number }) => {
      if (message.run === undefined) {
        process.disconnect();
        return;
      }
      turn(message.run).then(
        (result) => send({ result }),
        (error: unknown) => send({ error: String(error) }),
      );
    });
    send({ ready: true });
    return;
  }
  const invokes = positiveInteger(options.get('invokes'), 4000, '--invokes');
  const profile = options.get('cpu-profile');
  const session = new Session();
  if (profile !== undefined) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: positiveInteger(options.get('interval'), 100, '--interval') });
    await session.post('Profiler.start');
  }
  const rounds = Math.max(1, Math.round(invokes / 400));
  for (let r = 0; r < rounds; r += 1) console.log(JSON.stringify(await turn(400)));
  if (profile !== undefined) {
    const { profile: taken } = await session.post('Profiler.stop');
    writeFileSync(profile, JSON.stringify(taken));
    session.disconnect();
  }
}

if (import.meta.filename === process.argv[1]) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
