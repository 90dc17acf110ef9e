/**
 * Issue 14, part 7: one call, counted once. When two real producers are stacked — a framework's
 * model-call span with a provider instrumentation's model-call span directly under it — Aim counts
 * the call once: per call exactly one point in each token and duration metric and one
 * `on_llm_start` / `on_llm_end` text, however the two spans reach the exporter: as they end (one
 * `export()` per span, child first), the provider spans in an earlier batch than the framework
 * spans, the framework spans first, all in one batch, and replayed. The rule (src/mapping
 * span-places.ts): the innermost model-call span is the call.
 *
 * The stacked pairs, each run in-process (OpenTelemetry JS SDK, AimSpanExporter, a real
 * `aim server`, read back with Aim's own SDK), against the fake OpenAI server:
 * - our LangChain handler (`chat gpt-4o-mini`, scope aim-otel-bridge/langchain) around
 *   `ChatOpenAI`, with `@opentelemetry/instrumentation-openai`'s `chat gpt-4o-mini` under it
 *   (the handler's context bridge makes the chat span active during the model call);
 * - the same, with `@traceloop/instrumentation-openai` under it (it puts the messages on its span:
 *   both spans carry the texts);
 * - the Vercel AI SDK's `ai.generateText.doGenerate` (under `ai.generateText`), with
 *   `@opentelemetry/instrumentation-openai`'s span under it.
 * OpenLLMetry's LangChain handler over its OpenAI instrumentation is not such a pair: its chat span
 * is never the active span, so the provider span lands beside it (pinned by the last test).
 */
import { context, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { TraceloopCallbackHandler } from '@traceloop/instrumentation-langchain';
import { ChatOpenAI } from '@langchain/openai';
import { expect } from 'chai';
import { AimSpanExporter } from '../../src/exporter/aim-span-exporter.js';
import { GenAICallbackHandler } from '../../src/langchain/index.js';
import { runHash } from '../../src/mapping/run-key.js';
import { type AimServer, startAimServer } from '../peers/aim.js';
import { FAKE_REPLY, FAKE_TOOL_ANSWER, FAKE_USAGE, type FakeAnswerKind, type FakeOpenAI, startFakeOpenAI } from '../peers/fake-openai.js';
import { OPENAI_INSTRUMENTATION_SCOPE, type OpenAIInstrumentationKind, instrumentOpenAI } from '../peers/openai-instrumentations.js';
import { type OracleRun, type OracleValue, readAimRepo } from '../peers/oracle.js';
import { LANGCHAIN_CALLS, SKY_QUESTION, STACKED_MODEL, VERCEL_CALLS, WEATHER_QUESTION, runLangChainCalls, runVercelCalls } from './stacked-producers-flows.js';

const OUR_LANGCHAIN_SCOPE = 'aim-otel-bridge/langchain';

/** A framework producer with a provider instrumentation under it. */
interface StackedPair {
  /** Part of the run key and of each scenario's namespace. */
  id: string;
  title: string;
  provider: OpenAIInstrumentationKind;
  /** The framework's model-call spans. */
  isFrameworkCall(span: ReadableSpan): boolean;
  /** The fake server's answers, one per model call. */
  calls: readonly FakeAnswerKind[];
  /** How many of the calls are streamed. */
  streamedCalls: number;
  /** Drives the calls with the framework traced to `provider`. */
  drive(provider: BasicTracerProvider, fake: FakeOpenAI): Promise<void>;
  /** Substrings of the prompts (`on_llm_start`) and completions (`on_llm_end`): how many call texts hold each. */
  inputs: readonly [string, number][];
  outputs: readonly [string, number][];
}

const isOurChatSpan = (span: ReadableSpan): boolean =>
  span.instrumentationScope.name === OUR_LANGCHAIN_SCOPE && span.attributes['gen_ai.operation.name'] === 'chat';

const driveLangChain = async (provider: BasicTracerProvider, fake: FakeOpenAI): Promise<void> => {
  const handler = new GenAICallbackHandler({ tracerProvider: provider, captureMessageContent: true });
  const answers = await runLangChainCalls(fake.url, [handler]);
  expect(answers).to.deep.equal([FAKE_REPLY, FAKE_REPLY, FAKE_TOOL_ANSWER]);
};

const LANGCHAIN_TEXTS = {
  inputs: [
    [SKY_QUESTION, 2],
    [WEATHER_QUESTION, 2],
  ],
  outputs: [
    [FAKE_REPLY, 2],
    ['get_weather', 1],
    [FAKE_TOOL_ANSWER, 1],
  ],
} as const satisfies Pick<StackedPair, 'inputs' | 'outputs'>;

const PAIRS: readonly StackedPair[] = [
  {
    id: 'langchain-otel',
    title: 'our LangChain handler over @opentelemetry/instrumentation-openai',
    provider: 'opentelemetry',
    isFrameworkCall: isOurChatSpan,
    calls: LANGCHAIN_CALLS,
    streamedCalls: 1,
    drive: driveLangChain,
    ...LANGCHAIN_TEXTS,
  },
  {
    id: 'langchain-traceloop',
    title: 'our LangChain handler over @traceloop/instrumentation-openai',
    provider: 'traceloop',
    isFrameworkCall: isOurChatSpan,
    calls: LANGCHAIN_CALLS,
    streamedCalls: 1,
    drive: driveLangChain,
    ...LANGCHAIN_TEXTS,
  },
  {
    id: 'vercel-otel',
    title: 'the Vercel AI SDK (ai.generateText.doGenerate) over @opentelemetry/instrumentation-openai',
    provider: 'opentelemetry',
    isFrameworkCall: (span) => span.name === 'ai.generateText.doGenerate',
    calls: VERCEL_CALLS,
    streamedCalls: 0,
    drive: async (provider, fake) => {
      const answers = await runVercelCalls(provider.getTracer('ai'), fake.url);
      expect(answers).to.deep.equal([FAKE_REPLY, FAKE_TOOL_ANSWER]);
    },
    inputs: [
      [SKY_QUESTION, 1],
      [WEATHER_QUESTION, 2],
    ],
    outputs: [
      [FAKE_REPLY, 1],
      ['get_weather', 1],
      [FAKE_TOOL_ANSWER, 1],
    ],
  },
];

/** The spans of one stacked run, split as the batch scenarios need them. */
interface Produced {
  all: ReadableSpan[];
  /** The provider instrumentation's spans (the inner model-call spans). */
  inner: ReadableSpan[];
  /** The framework's model-call spans with a provider span under them. */
  outer: ReadableSpan[];
  /** Every other span (chains, tools, agents, `ai.generateText`...). */
  rest: ReadableSpan[];
  traceIds: string[];
}

/** How the spans reach a fresh exporter: each inner array is one `export()`, flushed before the next. */
const SCENARIOS: readonly { id: string; title: string; batches: (p: Produced) => ReadableSpan[][] }[] = [
  { id: 'child-first', title: 'provider spans in one batch, then the framework spans in a later one', batches: (p) => [p.inner, [...p.outer, ...p.rest]] },
  { id: 'parent-first', title: 'framework spans in one batch, then the provider spans in a later one', batches: (p) => [[...p.outer, ...p.rest], p.inner] },
  { id: 'one-batch', title: 'all spans in one batch', batches: (p) => [p.all] },
  {
    id: 'replay-after-child-first',
    title: 'child first, then everything replayed in one batch, then parents and children replayed again in that order',
    batches: (p) => [p.inner, [...p.outer, ...p.rest], p.all, [...p.outer, ...p.rest], p.inner],
  },
  {
    id: 'replay-after-parent-first',
    title: 'parent first, then everything replayed in one batch, then children and parents replayed again in that order',
    batches: (p) => [[...p.outer, ...p.rest], p.inner, p.all, p.inner, [...p.outer, ...p.rest]],
  },
];

const runKeyOf = (pair: StackedPair): string => `stacked-${pair.id}`;
const spanId = (span: ReadableSpan): string => span.spanContext().spanId;
const numeric = (values: readonly OracleValue[]): number[] => values.map(Number).sort((a, b) => a - b);
const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

/** Exports `batches` to a fresh exporter in `namespace`, each flushed to Aim before the next; then shuts it down. */
async function deliver(aim: AimServer, namespace: string, batches: readonly ReadableSpan[][]): Promise<void> {
  const exporter = new AimSpanExporter({ url: aim.url, namespace });
  try {
    for (const batch of batches) {
      const code = await new Promise<ExportResultCode>((resolve) => {
        exporter.export(batch, (result) => {
          resolve(result.code);
        });
      });
      expect(code, 'export result').to.equal(ExportResultCode.SUCCESS);
      await exporter.forceFlush();
    }
  } finally {
    await exporter.shutdown();
  }
  expect(exporter.droppedSpans, `dropped spans: ${JSON.stringify(exporter.stats)}`).to.equal(0);
}

/**
 * The scenario's run, read by the oracle; also asserts no span went to a run of its own trace (every
 * span carries the run key through the resource).
 */
async function readRun(aim: AimServer, pair: StackedPair, namespace: string, produced: Produced): Promise<OracleRun> {
  const hash = runHash(runKeyOf(pair), namespace);
  const report = await readAimRepo(aim.repoDir, [hash, ...produced.traceIds.map((traceId) => runHash(traceId, namespace))]);
  expect(
    report.runs.map((r) => r.hash),
    'the runs of the scenario',
  ).to.deep.equal([hash]);
  const [run] = report.runs;
  if (!run) throw new Error(`no run ${hash}`);
  return run;
}

/**
 * The pair's calls, each counted once, with its texts once (every deviation is listed, not only
 * the first).
 */
function expectEachCallOnce(run: OracleRun, pair: StackedPair): void {
  const points = (name: string): OracleValue[] => run.sequences.filter((s) => s.name === name).flatMap((s) => s.values);
  const problems: string[] = [];
  const check = (what: string, assertion: () => void): void => {
    try {
      assertion();
    } catch (error) {
      problems.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const calls = pair.calls.length;
  const input = pair.calls.map((kind) => FAKE_USAGE[kind].prompt_tokens);
  const output = pair.calls.map((kind) => FAKE_USAGE[kind].completion_tokens);

  // Tokens: one point per call, over all contexts of the run; the totals are the fake server's.
  check('gen_ai.usage.input_tokens points', () => expect(numeric(points('gen_ai.usage.input_tokens'))).to.deep.equal(numeric(input)));
  check('gen_ai.usage.output_tokens points', () => expect(numeric(points('gen_ai.usage.output_tokens'))).to.deep.equal(numeric(output)));
  check('input tokens in total', () => expect(sum(numeric(points('gen_ai.usage.input_tokens')))).to.equal(sum(input)));
  check('output tokens in total', () => expect(sum(numeric(points('gen_ai.usage.output_tokens')))).to.equal(sum(output)));
  const total = pair.calls.map((kind) => FAKE_USAGE[kind].total_tokens);
  const totals = numeric(points('gen_ai.usage.total_tokens'));
  check('gen_ai.usage.total_tokens points (none, or one per call)', () => (totals.length === 0 ? undefined : expect(totals).to.deep.equal(numeric(total))));
  check('gen_ai.client.operation.duration points', () => expect(points('gen_ai.client.operation.duration')).to.have.length(calls));
  check('errors points', () => expect(points('errors')).to.have.length(0));
  check('gen_ai.server.time_to_first_token points (at most one per streamed call)', () =>
    expect(points('gen_ai.server.time_to_first_token').length).to.be.at.most(pair.streamedCalls),
  );
  check('gen_ai.response points (none, or one per call)', () => expect([0, calls]).to.include(points('gen_ai.response').length));

  // Texts: one prompt and one completion per call, none written twice, none lost.
  const starts = points('on_llm_start').map(String);
  const ends = points('on_llm_end').map(String);
  check('on_llm_start texts', () => expect(starts).to.have.length(calls));
  check('on_llm_end texts', () => expect(ends).to.have.length(calls));
  for (const [text, count] of pair.inputs)
    check(`on_llm_start texts with "${text}"`, () => expect(starts.filter((s) => s.includes(text))).to.have.length(count));
  for (const [text, count] of pair.outputs) check(`on_llm_end texts with "${text}"`, () => expect(ends.filter((s) => s.includes(text))).to.have.length(count));
  if (problems.length > 0) expect.fail(`the run's call points:\n  ${problems.join('\n  ')}`);
}

describe('stacked producers: one model call, counted once (issue 14)', function () {
  this.timeout(240_000);
  let aim: AimServer;
  let fake: FakeOpenAI;

  before(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    [aim, fake] = await Promise.all([startAimServer(), startFakeOpenAI()]);
  });

  after(async () => {
    context.disable();
    await Promise.all([aim.process.stop(), fake.close()]);
  });

  for (const pair of PAIRS) {
    describe(pair.title, () => {
      let produced: Produced;
      let liveStats: AimSpanExporter['stats'];
      const liveNamespace = `stacked/${pair.id}/live`;

      // The calls run once; the live exporter gets each span as it ends (one export() per span).
      before(async () => {
        const memory = new InMemorySpanExporter();
        const live = new AimSpanExporter({ url: aim.url, namespace: liveNamespace });
        const provider = new BasicTracerProvider({
          resource: resourceFromAttributes({ 'service.name': 'stacked-producers', 'aim.run_key': runKeyOf(pair) }),
          spanProcessors: [new SimpleSpanProcessor(memory), new SimpleSpanProcessor(live)],
        });
        const instrumented = instrumentOpenAI(pair.provider, provider);
        const requestsBefore = fake.requests.length;
        let all: ReadableSpan[];
        try {
          await pair.drive(provider, fake);
          await provider.forceFlush();
          all = memory.getFinishedSpans(); // before shutdown, which empties the memory exporter
        } finally {
          instrumented.restore();
          await provider.shutdown(); // flushes the live exporter and closes its runs
        }
        expect(
          fake.requests.slice(requestsBefore).map((r) => r.answer),
          'the fake server answers',
        ).to.deep.equal(pair.calls);
        liveStats = live.stats;
        const inner = all.filter((s) => s.instrumentationScope.name === OPENAI_INSTRUMENTATION_SCOPE[pair.provider]);
        const outerIds = new Set(inner.map((s) => s.parentSpanContext?.spanId));
        const outer = all.filter((s) => pair.isFrameworkCall(s) && outerIds.has(spanId(s)));
        const rest = all.filter((s) => !inner.includes(s) && !outer.includes(s));
        produced = { all, inner, outer, rest, traceIds: [...new Set(all.map((s) => s.spanContext().traceId))] };
      });

      it('nests each provider span directly under a framework model-call span: one pair per call', () => {
        const { all, inner } = produced;
        const frameworkCalls = all.filter((s) => pair.isFrameworkCall(s));
        expect(inner, 'provider spans').to.have.length(pair.calls.length);
        expect(frameworkCalls, 'framework model-call spans').to.have.length(pair.calls.length);
        const parents = inner.map((span) => {
          const parent = frameworkCalls.find((s) => spanId(s) === span.parentSpanContext?.spanId);
          expect(parent, `the parent of provider span ${spanId(span)} is a framework model-call span`).to.not.equal(undefined);
          expect(parent?.spanContext().traceId).to.equal(span.spanContext().traceId);
          return parent;
        });
        expect(new Set(parents).size, 'one provider span per framework call').to.equal(pair.calls.length);
        // Both spans of each pair are model calls of the request model. The framework span carries
        // the call's usage; the provider span too, except where its instrumentation does not read
        // it (@traceloop/instrumentation-openai on a streamed call): then it has none.
        const byStart = (a: ReadableSpan, b: ReadableSpan): number => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1];
        const usage = (spans: ReadableSpan[], name: string): unknown[] => [...spans].sort(byStart).map((s) => s.attributes[name]);
        expect(usage(frameworkCalls, 'gen_ai.usage.input_tokens')).to.deep.equal(pair.calls.map((k) => FAKE_USAGE[k].prompt_tokens));
        expect(usage(frameworkCalls, 'gen_ai.usage.output_tokens')).to.deep.equal(pair.calls.map((k) => FAKE_USAGE[k].completion_tokens));
        usage(inner, 'gen_ai.usage.input_tokens').forEach((tokens, i) => {
          expect([FAKE_USAGE[pair.calls[i] ?? 'text'].prompt_tokens, undefined], `input tokens of provider span ${String(i)}`).to.include(tokens);
        });
        for (const s of [...inner, ...frameworkCalls]) expect(s.attributes['gen_ai.request.model']).to.equal(STACKED_MODEL);
        for (const s of inner) expect(s.attributes['gen_ai.operation.name']).to.equal('chat');
      });

      it('live (one export() per span as it ends, provider span first): each call counted once', async () => {
        expect(liveStats.dropped, `spans dropped by the live exporter: ${JSON.stringify(liveStats)}`).to.equal(0);
        expectEachCallOnce(await readRun(aim, pair, liveNamespace, produced), pair);
      });

      for (const scenario of SCENARIOS) {
        it(`${scenario.title}: each call counted once`, async () => {
          const namespace = `stacked/${pair.id}/${scenario.id}`;
          const batches = scenario.batches(produced);
          expect(new Set(batches.flat()), 'every span delivered').to.have.property('size', produced.all.length);
          await deliver(aim, namespace, batches);
          expectEachCallOnce(await readRun(aim, pair, namespace, produced), pair);
        });
      }
    });
  }

  it("OpenLLMetry's LangChain handler over its OpenAI instrumentation is not a stacked pair: the provider span is the chat span's sibling", async () => {
    const memory = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] });
    const instrumented = instrumentOpenAI('traceloop', provider);
    let spans: ReadableSpan[];
    try {
      const tracer = provider.getTracer('app');
      const handler = new TraceloopCallbackHandler(provider.getTracer('@traceloop/instrumentation-langchain'), true);
      const model = new ChatOpenAI({ model: STACKED_MODEL, apiKey: 'sk-fake', configuration: { baseURL: fake.url } });
      await tracer.startActiveSpan('app', async (root: Span) => {
        await model.invoke(SKY_QUESTION, { callbacks: [handler] });
        root.end();
      });
      spans = memory.getFinishedSpans();
    } finally {
      instrumented.restore();
      await provider.shutdown();
    }
    const root = spans.find((s) => s.name === 'app');
    const chat = spans.filter((s) => s.instrumentationScope.name === '@traceloop/instrumentation-langchain');
    const call = spans.filter((s) => s.instrumentationScope.name === '@traceloop/instrumentation-openai');
    expect([chat.length, call.length]).to.deep.equal([1, 1]);
    // Both are model calls of one request, with the same usage, both children of the app's span.
    for (const s of [...chat, ...call]) {
      expect(s.attributes['gen_ai.operation.name']).to.equal('chat');
      expect(s.attributes['gen_ai.usage.input_tokens']).to.equal(FAKE_USAGE.text.prompt_tokens);
      expect(s.parentSpanContext?.spanId).to.equal(root?.spanContext().spanId);
    }
  });
});
