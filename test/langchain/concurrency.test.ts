/**
 * Issue 16, point 2: every span's parent proven under concurrency.
 *
 * 50 invocations run at once (Promise.all), each under its own request span, each with its own
 * input and `metadata.invocation`. The chat model, the tool and the retriever wait 0–5 ms (timers)
 * so the invocations really interleave, and each starts a "provider" span (as an SDK or HTTP
 * instrumentation would) inside its real work.
 *
 * Where the expected parents come from: LangChain's own run tree. A `BaseTracer` (LangChain's
 * tracer base class, fed the same runId/parentRunId/tags as our handler) runs next to ours and
 * records every run. Our spans are matched to runs by `langchain.run.id`; the expected parent of a
 * run's span is the span of its nearest recorded ancestor run (runs tagged `langsmith:hidden`, which
 * the handler does not record, pass their parent through), and for a root run the invocation's
 * request span. A provider span is tagged by the test with the run id LangChain handed to the work
 * that started it (the model's / retriever's `runManager`, the tool's child callback manager), so
 * its expected parent is that run's span. On top of that, a fixed table per workload states the
 * parent of each span by name, and the exact number of spans of each name per invocation.
 *
 * Workloads, each with background callbacks and with `awaitHandlers: true`: a chain (retriever in a
 * lambda, prompt, chat model answering with a tool call, the tool in a lambda); LangGraph's ReAct
 * agent (tool call, then an answer; the tool calls the retriever); a streamed chain (retriever and
 * tool in parallel branches, a streaming chat model). And the chain with every fifth invocation
 * failing in its tool. A control shows the check catches a span moved under another invocation.
 */
import { expect } from 'chai';
import { SpanStatusCode, context } from '@opentelemetry/api';
import type { Tracer } from '@opentelemetry/api';
import type { BasicTracerProvider, ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { CallbackManager } from '@langchain/core/callbacks/manager';
import type { CallbackManagerForLLMRun, CallbackManagerForRetrieverRun } from '@langchain/core/callbacks/manager';
import { awaitAllCallbacks } from '@langchain/core/callbacks/promises';
import { Document } from '@langchain/core/documents';
import { AIMessage, AIMessageChunk } from '@langchain/core/messages';
import type { BaseMessage } from '@langchain/core/messages';
import { ChatGenerationChunk } from '@langchain/core/outputs';
import type { ChatResult } from '@langchain/core/outputs';
import { StringOutputParser } from '@langchain/core/output_parsers';
import { ChatPromptTemplate } from '@langchain/core/prompts';
import { BaseRetriever } from '@langchain/core/retrievers';
import { RunnableLambda, RunnableParallel, RunnableSequence } from '@langchain/core/runnables';
import type { RunnableConfig } from '@langchain/core/runnables';
import { tool } from '@langchain/core/tools';
import { BaseTracer } from '@langchain/core/tracers/base';
import type { Run } from '@langchain/core/tracers/base';
import { createReactAgent } from '@langchain/langgraph/prebuilt';
import { z } from 'zod';
import { GenAICallbackHandler } from '../../src/langchain/index.js';
import { createTracing, parentOf, ScriptedChatModel } from './helpers.js';

const INVOCATIONS = 50;
const HIDDEN_TAG = 'langsmith:hidden';
/** Attribute the test puts on provider spans: the LangChain run whose work started them. */
const OWNER_RUN = 'test.owner_run_id';

// ---- workload pieces -------------------------------------------------------------------------

/** Delays of 0–5 ms from a seeded pseudo-random source (mulberry32): varied, but the same sequence every run. */
function jitterSource(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) % 6; // 0..5 ms
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Starts and ends a span in the active context, as a provider SDK / HTTP instrumentation would. */
function providerSpan(tracer: Tracer, name: string, ownerRunId: string | undefined): void {
  const span = tracer.startSpan(name, { attributes: { [OWNER_RUN]: ownerRunId ?? 'unknown' } }, context.active());
  span.end();
}

/** The run id of the tool run whose function got `config` (its callbacks are the run's child manager). */
function toolRunIdOf(config: RunnableConfig | undefined): string | undefined {
  const callbacks = config?.callbacks;
  return callbacks instanceof CallbackManager ? callbacks.getParentRunId() : undefined;
}

/**
 * A chat model (the scripted model of the harness, for its ls params and bindTools) that decides by
 * the conversation, so one instance serves every concurrent invocation: without a tool result yet
 * it calls `toolName` with the user's question; after one it answers.
 */
class ToolThenAnswerModel extends ScriptedChatModel {
  constructor(
    private readonly toolName: string,
    private readonly tracer: Tracer,
    private readonly jitter: () => number,
  ) {
    super({ responses: [{ content: 'unused' }] });
  }

  override async _generate(messages: BaseMessage[], _options: this['ParsedCallOptions'], runManager?: CallbackManagerForLLMRun): Promise<ChatResult> {
    await sleep(this.jitter());
    providerSpan(this.tracer, 'POST /v1/chat/completions', runManager?.runId);
    const question = messages.find((message) => message.type === 'human')?.text ?? '';
    const message =
      messages.at(-1)?.type === 'tool'
        ? new AIMessage({ content: `answer to ${question}` })
        : new AIMessage({ content: '', tool_calls: [{ id: `call-${question}`, name: this.toolName, args: { query: question } }] });
    return { generations: [{ message, text: message.text }] };
  }
}

/** A chat model that streams `answer to <question>` in three chunks, with timers between them. */
class StreamingAnswerModel extends ScriptedChatModel {
  constructor(
    private readonly tracer: Tracer,
    private readonly jitter: () => number,
  ) {
    super({ responses: [{ content: 'unused' }] });
  }

  override async *_streamResponseChunks(
    messages: BaseMessage[],
    _options: this['ParsedCallOptions'],
    runManager?: CallbackManagerForLLMRun,
  ): AsyncGenerator<ChatGenerationChunk> {
    await sleep(this.jitter());
    providerSpan(this.tracer, 'POST /v1/chat/completions', runManager?.runId);
    const question = messages.find((message) => message.type === 'human')?.text ?? '';
    for (const piece of ['answer', ' to ', question]) {
      const chunk = new ChatGenerationChunk({ text: piece, message: new AIMessageChunk({ content: piece }) });
      yield chunk;
      await runManager?.handleLLMNewToken(piece, undefined, undefined, undefined, undefined, { chunk });
      await sleep(this.jitter());
    }
  }
}

/** A retriever returning fixed documents after a timer. */
class KbRetriever extends BaseRetriever {
  lc_namespace = ['test', 'concurrency'];

  constructor(
    private readonly tracer: Tracer,
    private readonly jitter: () => number,
  ) {
    super();
  }

  override async _getRelevantDocuments(query: string, runManager?: CallbackManagerForRetrieverRun): Promise<Document[]> {
    await sleep(this.jitter());
    providerSpan(this.tracer, 'POST /search', runManager?.runId);
    return [new Document({ id: `doc-${query}`, pageContent: `about ${query}` })];
  }
}

// ---- LangChain's run tree ----------------------------------------------------------------------

/** LangChain's own tracer: records every run LangChain creates (id, parent, name, type, tags, metadata). */
class RunTreeLog extends BaseTracer {
  name = 'run_tree_log';
  readonly runs = new Map<string, Run>();

  protected override persistRun(): Promise<void> {
    return Promise.resolve();
  }

  override onRunCreate(run: Run): void {
    this.runs.set(run.id, run);
  }
}

function metadataOf(run: Run): Record<string, unknown> {
  return (run.extra as { metadata?: Record<string, unknown> } | undefined)?.metadata ?? {};
}

// ---- the check -----------------------------------------------------------------------------------

interface Workload {
  /** Span name -> name of its parent span ('request' for the invocation's request span). */
  readonly parents: Readonly<Record<string, string>>;
  /** Span name -> exact number per invocation. */
  readonly counts: Readonly<Record<string, number>>;
}

interface Invocation {
  readonly key: string;
  readonly requestSpanId: string;
  readonly traceId: string;
}

/** Asserts the span forest against LangChain's run tree and the workload's table; returns a summary. */
function verifyForest(all: readonly ReadableSpan[], log: RunTreeLog, invocations: readonly Invocation[], workload: Workload): string {
  const problems: string[] = [];
  const requestsById = new Map(invocations.map((invocation) => [invocation.requestSpanId, invocation]));
  const invocationByKey = new Map(invocations.map((invocation) => [invocation.key, invocation]));
  expect(new Set(invocations.map((invocation) => invocation.traceId)).size, 'one trace per request').to.equal(invocations.length);

  const requestSpans = all.filter((span) => requestsById.has(span.spanContext().spanId));
  expect(requestSpans).to.have.length(invocations.length);
  const spans = all.filter((span) => !requestsById.has(span.spanContext().spanId));
  const byId = new Map(all.map((span) => [span.spanContext().spanId, span]));

  // 1. Our spans <-> LangChain's runs, one to one (hidden runs have no span).
  const spanOfRun = new Map<string, ReadableSpan>();
  for (const span of spans) {
    const runId = span.attributes['langchain.run.id'];
    if (typeof runId !== 'string') continue;
    if (spanOfRun.has(runId)) problems.push(`two spans for run ${runId}`);
    spanOfRun.set(runId, span);
  }
  const recorded = (run: Run): boolean => !(run.tags ?? []).includes(HIDDEN_TAG);
  const expectedRuns = [...log.runs.values()].filter(recorded);
  expect(expectedRuns.length, 'LangChain created runs').to.be.greaterThan(0);
  expect([...spanOfRun.keys()].sort(), 'one span per recorded LangChain run, and no other').to.deep.equal(expectedRuns.map((run) => run.id).sort());

  // The invocation of a run: from its LangChain root (whose metadata names it); every run agrees.
  const invocationOfRun = (run: Run): Invocation | undefined => {
    let root = run;
    for (let parent = log.runs.get(root.parent_run_id ?? ''); parent !== undefined; parent = log.runs.get(parent.parent_run_id ?? '')) root = parent;
    const key = metadataOf(root)['invocation'];
    if (key !== metadataOf(run)['invocation']) problems.push(`run ${run.name} has metadata of another invocation than its root`);
    return invocationByKey.get(String(key));
  };

  // 2. The parent each span must have, from the run tree.
  const nearestRecordedAncestor = (run: Run): Run | undefined => {
    for (let parent = log.runs.get(run.parent_run_id ?? ''); parent !== undefined; parent = log.runs.get(parent.parent_run_id ?? '')) {
      if (recorded(parent)) return parent;
    }
    return undefined;
  };
  const invocationOfSpan = new Map<ReadableSpan, Invocation>();
  let checkedRunSpans = 0;
  for (const run of expectedRuns) {
    const span = spanOfRun.get(run.id);
    const invocation = invocationOfRun(run);
    if (span === undefined || invocation === undefined) {
      problems.push(`run ${run.name} (${run.id}): no span or no invocation`);
      continue;
    }
    invocationOfSpan.set(span, invocation);
    const ancestor = nearestRecordedAncestor(run);
    const expectedParent = ancestor === undefined ? invocation.requestSpanId : spanOfRun.get(ancestor.id)?.spanContext().spanId;
    if (parentOf(span) !== expectedParent) {
      const actual = byId.get(parentOf(span) ?? '');
      problems.push(`${span.name} of ${invocation.key}: parent is ${actual?.name ?? String(parentOf(span))}, must be ${ancestor?.name ?? 'its request'}`);
    }
    if (span.attributes['langchain.metadata.invocation'] !== invocation.key) problems.push(`${span.name}: metadata of another invocation`);
    checkedRunSpans += 1;
  }

  // 3. Provider spans: under the span of the run whose work started them.
  let checkedProviderSpans = 0;
  for (const span of spans) {
    const owner = span.attributes[OWNER_RUN];
    if (owner === undefined) continue;
    const ownerRun = log.runs.get(String(owner));
    const ownerSpan = spanOfRun.get(String(owner));
    const invocation = ownerRun === undefined ? undefined : invocationOfRun(ownerRun);
    if (ownerSpan === undefined || invocation === undefined) {
      problems.push(`provider span ${span.name}: owner run ${String(owner)} unknown`);
      continue;
    }
    invocationOfSpan.set(span, invocation);
    if (parentOf(span) !== ownerSpan.spanContext().spanId) {
      problems.push(
        `${span.name} of ${invocation.key}: parent is ${byId.get(parentOf(span) ?? '')?.name ?? String(parentOf(span))}, must be ${ownerSpan.name}`,
      );
    }
    checkedProviderSpans += 1;
  }
  expect(invocationOfSpan.size, 'every span is a run span or a provider span').to.equal(spans.length);

  // 4. The fixed table: parent by name, exact counts per invocation, and every span in its request's trace.
  const countsPerInvocation = new Map<string, Record<string, number>>();
  for (const [span, invocation] of invocationOfSpan) {
    if (span.spanContext().traceId !== invocation.traceId) problems.push(`${span.name} of ${invocation.key} is in another trace`);
    const counts = countsPerInvocation.get(invocation.key) ?? {};
    counts[span.name] = (counts[span.name] ?? 0) + 1;
    countsPerInvocation.set(invocation.key, counts);
    const parentName = requestsById.has(parentOf(span) ?? '') ? 'request' : byId.get(parentOf(span) ?? '')?.name;
    if (workload.parents[span.name] !== parentName)
      problems.push(`${span.name}: parent ${String(parentName)}, table says ${String(workload.parents[span.name])}`);
  }
  expect(problems, problems.slice(0, 20).join('\n')).to.deep.equal([]);
  for (const invocation of invocations) {
    expect(countsPerInvocation.get(invocation.key), `spans of ${invocation.key}`).to.deep.equal(workload.counts);
  }
  const perInvocation = Object.values(workload.counts).reduce((a, b) => a + b, 0);
  expect(spans).to.have.length(perInvocation * invocations.length);
  return `${String(checkedRunSpans)} run spans, ${String(checkedProviderSpans)} provider spans`;
}

/** Runs `invoke(i, config)` 50 times at once, each under its own request span; returns the invocations. */
async function runConcurrently(
  provider: BasicTracerProvider,
  invoke: (i: number, config: RunnableConfig) => Promise<unknown>,
  callbacks: NonNullable<RunnableConfig['callbacks']>,
): Promise<Invocation[]> {
  const app = provider.getTracer('app');
  let inFlight = 0;
  let peak = 0;
  const finished: number[] = [];
  const invocations = await Promise.all(
    Array.from({ length: INVOCATIONS }, (_, i) =>
      app.startActiveSpan(`request ${String(i)}`, async (span): Promise<Invocation> => {
        const key = `inv-${String(i)}`;
        peak = Math.max(peak, (inFlight += 1));
        try {
          await invoke(i, { callbacks, metadata: { invocation: key } });
        } finally {
          inFlight -= 1;
          finished.push(i);
          span.end();
        }
        return { key, requestSpanId: span.spanContext().spanId, traceId: span.spanContext().traceId };
      }),
    ),
  );
  await awaitAllCallbacks();
  // The invocations really overlapped, and the timers reordered them.
  expect(peak, 'invocations in flight at once').to.equal(INVOCATIONS);
  expect(finished, 'finish order').not.to.deep.equal([...finished].sort((a, b) => a - b));
  return invocations;
}

// ---- the workloads ---------------------------------------------------------------------------------

/** A chain: retrieve (a lambda calling the retriever) -> prompt -> chat model (tool call) -> act (a lambda calling the tool, which throws when `fails`). */
function buildChain(provider: BasicTracerProvider, fails: (query: string) => boolean = () => false) {
  const tracer = provider.getTracer('provider-sdk');
  const jitter = jitterSource(16);
  const retriever = new KbRetriever(tracer, jitter);
  const lookup = tool(
    async (input: { query: string }, config?: RunnableConfig) => {
      await sleep(jitter());
      providerSpan(tracer, 'GET /lookup', toolRunIdOf(config));
      if (fails(input.query)) throw new Error(`lookup failed for ${input.query}`);
      return `result for ${input.query}`;
    },
    { name: 'lookup', description: 'looks something up', schema: z.object({ query: z.string() }) },
  );
  const model = new ToolThenAnswerModel('lookup', tracer, jitter);
  const retrieve = RunnableLambda.from(async (input: { question: string }, config?: RunnableConfig) => {
    const docs = await retriever.invoke(input.question, config);
    return { question: input.question, context: docs.map((doc) => doc.pageContent).join('\n') };
  }).withConfig({ runName: 'retrieve' });
  const prompt = ChatPromptTemplate.fromMessages([
    ['system', 'Use this context: {context}'],
    ['human', '{question}'],
  ]);
  const act = RunnableLambda.from(async (message: AIMessage, config?: RunnableConfig) => {
    const call = message.tool_calls?.[0];
    if (call === undefined) throw new Error('the model made no tool call');
    return lookup.invoke({ ...call, type: 'tool_call' }, config);
  }).withConfig({ runName: 'act' });
  return RunnableSequence.from([retrieve, prompt, model, act]).withConfig({ runName: 'qa' });
}

const CHAIN: Workload = {
  parents: {
    'invoke_workflow qa': 'request',
    retrieve: 'invoke_workflow qa',
    'retrieval KbRetriever': 'retrieve',
    'POST /search': 'retrieval KbRetriever',
    ChatPromptTemplate: 'invoke_workflow qa',
    'chat gpt-test': 'invoke_workflow qa',
    'POST /v1/chat/completions': 'chat gpt-test',
    act: 'invoke_workflow qa',
    'execute_tool lookup': 'act',
    'GET /lookup': 'execute_tool lookup',
  },
  counts: {
    'invoke_workflow qa': 1,
    retrieve: 1,
    'retrieval KbRetriever': 1,
    'POST /search': 1,
    ChatPromptTemplate: 1,
    'chat gpt-test': 1,
    'POST /v1/chat/completions': 1,
    act: 1,
    'execute_tool lookup': 1,
    'GET /lookup': 1,
  },
};

/** A streamed chain: the retriever and the tool in parallel branches, then prompt -> streaming model -> parser. */
function buildStreamedChain(provider: BasicTracerProvider) {
  const tracer = provider.getTracer('provider-sdk');
  const jitter = jitterSource(7);
  const retriever = new KbRetriever(tracer, jitter);
  const lookup = tool(
    async (input: { query: string }, config?: RunnableConfig) => {
      await sleep(jitter());
      providerSpan(tracer, 'GET /lookup', toolRunIdOf(config));
      return `result for ${input.query}`;
    },
    { name: 'lookup', description: 'looks something up', schema: z.object({ query: z.string() }) },
  );
  const gather = RunnableParallel.from({
    docs: RunnableLambda.from((input: { question: string }) => input.question)
      .withConfig({ runName: 'to_query' })
      .pipe(retriever),
    found: RunnableLambda.from((input: { question: string }) => ({ query: input.question }))
      .withConfig({ runName: 'to_args' })
      .pipe(lookup),
    question: RunnableLambda.from((input: { question: string }) => input.question).withConfig({ runName: 'to_question' }),
  }).withConfig({ runName: 'gather' });
  const prompt = ChatPromptTemplate.fromMessages([
    ['system', 'Context: {docs} {found}'],
    ['human', '{question}'],
  ]);
  return RunnableSequence.from([gather, prompt, new StreamingAnswerModel(tracer, jitter), new StringOutputParser()]).withConfig({ runName: 'streamed_qa' });
}

/** LangGraph's prebuilt ReAct agent; its tool calls the retriever. */
function buildAgent(provider: BasicTracerProvider) {
  const tracer = provider.getTracer('provider-sdk');
  const jitter = jitterSource(42);
  const retriever = new KbRetriever(tracer, jitter);
  const search = tool(
    async (input: { query: string }, config?: RunnableConfig) => {
      await sleep(jitter());
      providerSpan(tracer, 'GET /lookup', toolRunIdOf(config));
      const docs = await retriever.invoke(input.query, config);
      return docs.map((doc) => doc.pageContent).join('\n');
    },
    { name: 'search', description: 'searches the knowledge base', schema: z.object({ query: z.string() }) },
  );
  // The issue names LangGraph's prebuilt agent (deprecated in favour of langchain's createAgent, not installed here).
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  return createReactAgent({ llm: new ToolThenAnswerModel('search', tracer, jitter), tools: [search], name: 'researcher' });
}

const AGENT: Workload = {
  parents: {
    'invoke_agent researcher': 'request',
    agent: 'invoke_agent researcher',
    RunnableSequence: 'agent', // the agent node: prompt -> model
    prompt: 'RunnableSequence',
    'chat gpt-test': 'RunnableSequence',
    RunnableLambda: 'agent', // the agent node's routing step
    'POST /v1/chat/completions': 'chat gpt-test',
    tools: 'invoke_agent researcher',
    'execute_tool search': 'tools',
    'GET /lookup': 'execute_tool search',
    'retrieval KbRetriever': 'execute_tool search',
    'POST /search': 'retrieval KbRetriever',
  },
  counts: {
    'invoke_agent researcher': 1,
    agent: 2,
    RunnableSequence: 2,
    prompt: 2,
    'chat gpt-test': 2,
    RunnableLambda: 2,
    'POST /v1/chat/completions': 2,
    tools: 1,
    'execute_tool search': 1,
    'GET /lookup': 1,
    'retrieval KbRetriever': 1,
    'POST /search': 1,
  },
};

const STREAMED_CHAIN: Workload = {
  parents: {
    'invoke_workflow streamed_qa': 'request',
    gather: 'invoke_workflow streamed_qa',
    RunnableSequence: 'gather', // the docs and found branches
    to_query: 'RunnableSequence',
    'retrieval KbRetriever': 'RunnableSequence',
    'POST /search': 'retrieval KbRetriever',
    to_args: 'RunnableSequence',
    'execute_tool lookup': 'RunnableSequence',
    'GET /lookup': 'execute_tool lookup',
    to_question: 'gather',
    ChatPromptTemplate: 'invoke_workflow streamed_qa',
    'chat gpt-test': 'invoke_workflow streamed_qa',
    'POST /v1/chat/completions': 'chat gpt-test',
    StrOutputParser: 'invoke_workflow streamed_qa',
  },
  counts: {
    'invoke_workflow streamed_qa': 1,
    gather: 1,
    RunnableSequence: 2,
    to_query: 1,
    'retrieval KbRetriever': 1,
    'POST /search': 1,
    to_args: 1,
    'execute_tool lookup': 1,
    'GET /lookup': 1,
    to_question: 1,
    ChatPromptTemplate: 1,
    'chat gpt-test': 1,
    'POST /v1/chat/completions': 1,
    StrOutputParser: 1,
  },
};

// ---- tests -------------------------------------------------------------------------------------------

describe('langchain handler: every parent under concurrency (50 invocations)', () => {
  for (const awaitHandlers of [false, true]) {
    const mode = awaitHandlers ? 'awaitHandlers: true' : 'background callbacks';

    it(`chain with a chat model, a tool and a retriever (${mode})`, async () => {
      const { provider, spans } = createTracing();
      const handler = new GenAICallbackHandler({ tracerProvider: provider, ...(awaitHandlers ? { awaitHandlers: true } : {}) });
      expect(handler.awaitHandlers).to.equal(awaitHandlers);
      const log = new RunTreeLog();
      const chain = buildChain(provider);
      const outputs: unknown[] = [];
      const invocations = await runConcurrently(
        provider,
        async (i, config) => outputs.push(await chain.invoke({ question: `question ${String(i)}` }, config)),
        [handler, log],
      );
      // each invocation got its own answer (the workload itself did not mix requests up)
      const contents = outputs.map((output) => (output as { content?: unknown }).content);
      expect(new Set(contents).size).to.equal(INVOCATIONS);
      const summary = verifyForest(spans(), log, invocations, CHAIN);
      expect(summary).to.equal(`${String(7 * INVOCATIONS)} run spans, ${String(3 * INVOCATIONS)} provider spans`);
      expect(handler.stats).to.include({ openRuns: 0, callbackErrors: 0 });
    });

    it(`LangGraph ReAct agent: tool call, then an answer; the tool calls a retriever (${mode})`, async () => {
      const { provider, spans } = createTracing();
      const handler = new GenAICallbackHandler({ tracerProvider: provider, ...(awaitHandlers ? { awaitHandlers: true } : {}) });
      const log = new RunTreeLog();
      const agent = buildAgent(provider);
      const answers: string[] = [];
      const invocations = await runConcurrently(
        provider,
        async (i, config) => {
          const result = await agent.invoke({ messages: [{ role: 'user', content: `question ${String(i)}` }] }, config);
          answers.push(result.messages.at(-1)?.text ?? '');
        },
        [handler, log],
      );
      expect(new Set(answers)).to.deep.equal(new Set(Array.from({ length: INVOCATIONS }, (_, i) => `answer to question ${String(i)}`)));
      // LangGraph's hidden internals (__start__) are in LangChain's run tree, and have no span
      expect([...log.runs.values()].some((run) => (run.tags ?? []).includes(HIDDEN_TAG))).to.equal(true);
      const summary = verifyForest(spans(), log, invocations, AGENT);
      expect(summary).to.equal(`${String(14 * INVOCATIONS)} run spans, ${String(4 * INVOCATIONS)} provider spans`);
      expect(handler.stats).to.include({ openRuns: 0, callbackErrors: 0 });
    });

    it(`streamed chain: parallel retriever and tool branches, a streaming chat model (${mode})`, async () => {
      const { provider, spans } = createTracing();
      const handler = new GenAICallbackHandler({ tracerProvider: provider, ...(awaitHandlers ? { awaitHandlers: true } : {}) });
      const log = new RunTreeLog();
      const chain = buildStreamedChain(provider);
      const outputs = new Map<number, string>();
      const invocations = await runConcurrently(
        provider,
        async (i, config) => {
          let text = '';
          for await (const piece of await chain.stream({ question: `question ${String(i)}` }, config)) text += piece;
          outputs.set(i, text);
        },
        [handler, log],
      );
      for (let i = 0; i < INVOCATIONS; i += 1) expect(outputs.get(i)).to.equal(`answer to question ${String(i)}`);
      const summary = verifyForest(spans(), log, invocations, STREAMED_CHAIN);
      expect(summary).to.equal(`${String(12 * INVOCATIONS)} run spans, ${String(3 * INVOCATIONS)} provider spans`);
      expect(handler.stats).to.include({ openRuns: 0, callbackErrors: 0 });
    });
  }

  it('chain where every fifth invocation fails in its tool (background callbacks)', async () => {
    const { provider, spans } = createTracing();
    const handler = new GenAICallbackHandler({ tracerProvider: provider });
    const log = new RunTreeLog();
    const failing = (i: number): boolean => i % 5 === 0;
    const chain = buildChain(provider, (query) => failing(Number(query.replace('question ', ''))));
    const failed: number[] = [];
    const invocations = await runConcurrently(
      provider,
      (i, config) =>
        chain.invoke({ question: `question ${String(i)}` }, config).catch(() => {
          failed.push(i);
        }),
      [handler, log],
    );
    expect(failed.sort((a, b) => a - b)).to.deep.equal(Array.from({ length: INVOCATIONS }, (_, i) => i).filter(failing));
    expect(verifyForest(spans(), log, invocations, CHAIN)).to.equal(`${String(7 * INVOCATIONS)} run spans, ${String(3 * INVOCATIONS)} provider spans`);
    // the error sits on the tool span and the spans around it, of the failed invocations only
    for (const span of spans()) {
      const invocation = Number(String(span.attributes['langchain.metadata.invocation'] ?? '-1').replace('inv-', ''));
      const mustFail = failing(invocation) && ['execute_tool lookup', 'act', 'invoke_workflow qa'].includes(span.name);
      expect(span.status.code === SpanStatusCode.ERROR, `${span.name} of inv-${String(invocation)}`).to.equal(mustFail);
    }
    expect(handler.stats).to.include({ openRuns: 0, callbackErrors: 0 });
  });

  it('control: the check fails when one span sits under another invocation', async () => {
    const { provider, spans } = createTracing();
    const handler = new GenAICallbackHandler({ tracerProvider: provider });
    const log = new RunTreeLog();
    const chain = buildChain(provider);
    const invocations = await runConcurrently(provider, (i, config) => chain.invoke({ question: `question ${String(i)}` }, config), [handler, log]);
    const all = spans();
    // Move one tool span under the tool span of another invocation (as a context mix-up would).
    const tools = all.filter((span) => span.name === 'execute_tool lookup');
    const [first, second] = tools;
    if (first === undefined || second === undefined) throw new Error('expected tool spans');
    const moved = { ...first, parentSpanContext: second.spanContext(), spanContext: () => first.spanContext() } as ReadableSpan;
    const tampered = all.map((span) => (span === first ? moved : span));
    expect(() => verifyForest(tampered, log, invocations, CHAIN)).to.throw(/execute_tool lookup of inv-\d+: parent is execute_tool lookup, must be act/);
    expect(() => verifyForest(all, log, invocations, CHAIN)).not.to.throw();
  });
});
