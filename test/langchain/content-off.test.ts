/**
 * Issue 16, point 4: content off means off everywhere.
 *
 * One workload covers every kind of run and callback the handler records: a chat model (system and
 * user messages, a history with a tool call and a tool result, an answer with a tool call, tool
 * definitions), a text-completion LLM, a streamed chat call, a chain with inputs, intermediate
 * steps and outputs, a tool (input, output, streamed chunks), LangGraph's ReAct agent, legacy agent
 * action / finish and `handleText` (sent through LangChain's own run manager), a LangGraph
 * interrupt carrying a question, a retriever with documents, a custom event, and errors. A unique
 * marker is planted in every piece of content.
 *
 * With capture off (by default, with the variable `false`, with the option `false`, and with the
 * option `false` beating the variable `true`), no marker may appear anywhere in any finished span:
 * name, attributes, events (names and attributes), links, status — nor in any metric data point.
 * Controls: with capture on (option or variable) every marker appears, so the check can fail.
 *
 * Errors: an exception message is not message content in the GenAI conventions (it is the
 * `exception.message` of the general exception conventions), and the handler records it whatever
 * the capture switch says — as the span status message and in the `exception` event. So markers
 * planted in error messages are only allowed there. One error is content: LangChain's
 * `OutputParserException` quotes the model's completion it could not parse, so with capture off its
 * message (and stack) is withheld from the parser span and the workflow span around it. The last two
 * tests pin both.
 *
 * Not content, recorded by design and so not marked: run names, tool names, tags, metadata, custom
 * event names, tool call ids.
 */
import { expect } from 'chai';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { CallbackManagerForChainRun } from '@langchain/core/callbacks/manager';
import { awaitAllCallbacks } from '@langchain/core/callbacks/promises';
import { dispatchCustomEvent } from '@langchain/core/callbacks/dispatch';
import { Document } from '@langchain/core/documents';
import { AIMessage, HumanMessage, SystemMessage, ToolMessage } from '@langchain/core/messages';
import { StructuredOutputParser } from '@langchain/core/output_parsers';
import { BaseRetriever } from '@langchain/core/retrievers';
import { Runnable, RunnableLambda, RunnableSequence } from '@langchain/core/runnables';
import type { RunnableConfig } from '@langchain/core/runnables';
import { tool } from '@langchain/core/tools';
import { FakeLLM } from '@langchain/core/utils/testing';
import { Annotation, END, MemorySaver, START, StateGraph, interrupt } from '@langchain/langgraph';
import { createReactAgent } from '@langchain/langgraph/prebuilt';
import { z } from 'zod';
import { GenAICallbackHandler } from '../../src/langchain/index.js';
import type { GenAICallbackHandlerOptions } from '../../src/langchain/index.js';
import { ENV_CAPTURE_MESSAGE_CONTENT } from '../../src/langchain/env.js';
import { createMetrics, createTracing, drain, ScriptedChatModel } from './helpers.js';

/** One marker per piece of content. */
const M = {
  system: 'SECRET-SYSTEM-01',
  prompt: 'SECRET-PROMPT-02',
  historyArgs: 'SECRET-HISTORY-ARGS-03',
  toolMessage: 'SECRET-TOOL-MESSAGE-04',
  completion: 'SECRET-COMPLETION-05',
  callArgs: 'SECRET-CALL-ARGS-06',
  toolDefinition: 'SECRET-TOOL-DEFINITION-07',
  llmPrompt: 'SECRET-LLM-PROMPT-08',
  llmCompletion: 'SECRET-LLM-COMPLETION-09',
  streamPrompt: 'SECRET-STREAM-PROMPT-10',
  streamCompletion: 'SECRET-STREAM-COMPLETION-11',
  chainInput: 'SECRET-CHAIN-INPUT-12',
  stepOutput: 'SECRET-STEP-OUTPUT-13',
  chainOutput: 'SECRET-CHAIN-OUTPUT-14',
  toolInput: 'SECRET-TOOL-INPUT-15',
  toolOutput: 'SECRET-TOOL-OUTPUT-16',
  toolChunk: 'SECRET-TOOL-CHUNK-17',
  agentPrompt: 'SECRET-AGENT-PROMPT-18',
  agentArgs: 'SECRET-AGENT-ARGS-19',
  agentToolResult: 'SECRET-AGENT-TOOL-RESULT-20',
  agentAnswer: 'SECRET-AGENT-ANSWER-21',
  actionInput: 'SECRET-ACTION-INPUT-22',
  actionLog: 'SECRET-ACTION-LOG-23',
  finishValue: 'SECRET-FINISH-VALUE-24',
  finishLog: 'SECRET-FINISH-LOG-25',
  text: 'SECRET-TEXT-26',
  query: 'SECRET-QUERY-27',
  document: 'SECRET-DOC-28',
  customData: 'SECRET-CUSTOM-29',
} as const;

/**
 * A LangGraph interrupt's value: the handler records it in no mode (the interrupted runs end through
 * LangChain's error callback with a GraphInterrupt, recorded as `langchain.bubble_up` only), so it
 * is checked for absence but not required by the controls.
 */
const INTERRUPT_VALUE = 'SECRET-INTERRUPT-32';

/** A marker planted in an error message. */
const E = {
  toolError: 'SECRET-ERROR-30',
} as const;

/** A completion the output parser cannot parse: content, which reaches an error message through LangChain's `OutputParserException`. */
const PARSED_COMPLETION = 'SECRET-PARSED-COMPLETION-31';

const CONTENT_MARKERS: readonly string[] = [...Object.values(M), PARSED_COMPLETION];
const ERROR_MARKERS: readonly string[] = Object.values(E);

// ---- the workload -------------------------------------------------------------------------------

class KbRetriever extends BaseRetriever {
  lc_namespace = ['test', 'content_off'];
  override _getRelevantDocuments(query: string): Promise<Document[]> {
    return Promise.resolve([
      new Document({ id: 'doc-1', pageContent: `${M.document} for ${query}`, metadata: { score: 0.9 } }),
      new Document({ pageContent: 'second', metadata: { source: 'kb/2.md' } }),
    ]);
  }
}

/**
 * A step of a legacy (AgentExecutor-style) agent: reports an agent action, text and an agent
 * finish through LangChain's run manager for its chain run — the path LangChain's AgentExecutor
 * takes (that executor is not part of @langchain/core 1.x).
 */
class LegacyAgentStep extends Runnable<{ input: string }, { output: string }> {
  lc_namespace = ['test', 'content_off'];

  override invoke(input: { input: string }, options?: Partial<RunnableConfig>): Promise<{ output: string }> {
    return this._callWithConfig(
      async (_input: { input: string }, _config?: Partial<RunnableConfig>, runManager?: CallbackManagerForChainRun) => {
        await runManager?.handleAgentAction({ tool: 'lookup', toolInput: { q: M.actionInput }, log: `thinking: ${M.actionLog}` });
        await runManager?.handleText(`observation: ${M.text}`);
        await runManager?.handleAgentEnd({ returnValues: { output: M.finishValue }, log: `done: ${M.finishLog}` });
        return { output: M.finishValue };
      },
      input,
      { ...options, runName: 'legacy_agent' },
    );
  }
}

/** Runs every kind of LangChain run through `handler`; every piece of content carries a marker. */
async function runWorkload(handler: GenAICallbackHandler): Promise<void> {
  const config = { callbacks: [handler] };

  // 1. chat model: system + user messages, a history with a tool call and its result, tool definitions;
  //    the answer has text and a tool call.
  const lookupDefinition = tool((input: { q: string }) => input.q, {
    name: 'lookup',
    description: `looks up ${M.toolDefinition}`,
    schema: z.object({ q: z.string() }),
  });
  const chat = new ScriptedChatModel({
    responses: [
      {
        content: M.completion,
        tool_calls: [{ id: 'call_2', name: 'lookup', args: { q: M.callArgs } }],
        usage_metadata: { input_tokens: 5, output_tokens: 3, total_tokens: 8 },
      },
    ],
  });
  await chat
    .bindTools([lookupDefinition])
    .invoke(
      [
        new SystemMessage(M.system),
        new HumanMessage(M.prompt),
        new AIMessage({ content: '', tool_calls: [{ id: 'call_1', name: 'lookup', args: { q: M.historyArgs } }] }),
        new ToolMessage({ content: M.toolMessage, tool_call_id: 'call_1' }),
      ],
      config,
    );

  // 2. text completion
  await new FakeLLM({ response: M.llmCompletion }).invoke(M.llmPrompt, config);

  // 3. streamed chat call
  await drain(await new ScriptedChatModel({ responses: [{ content: M.streamCompletion }] }).stream([new HumanMessage(M.streamPrompt)], config));

  // 4. chain with inputs, an intermediate step, outputs, and a custom event
  const chain = RunnableSequence.from([
    RunnableLambda.from(async (input: { text: string }, stepConfig?: RunnableConfig) => {
      await dispatchCustomEvent('progress', { note: M.customData }, stepConfig);
      return `${M.stepOutput} after ${input.text}`;
    }).withConfig({ runName: 'first_step' }),
    RunnableLambda.from((_previous: string) => ({ answer: M.chainOutput })).withConfig({ runName: 'second_step' }),
  ]).withConfig({ runName: 'pipeline' });
  await chain.invoke({ text: M.chainInput }, config);

  // 5. tool with input and output; a streaming tool (chunks become events)
  const echo = tool((input: { q: string }) => `${M.toolOutput} for ${input.q}`, { name: 'echo', description: 'echoes', schema: z.object({ q: z.string() }) });
  await echo.invoke({ id: 'call_3', name: 'echo', args: { q: M.toolInput }, type: 'tool_call' }, config);
  const streamer = tool(
    async function* (input: { q: string }) {
      await Promise.resolve();
      yield `${M.toolChunk} ${input.q}`;
      yield 'end';
    },
    { name: 'streamer', description: 'streams', schema: z.object({ q: z.string() }) },
  );
  await streamer.invoke({ q: 'x' }, config);

  // 6. LangGraph's ReAct agent: a tool call, the tool's result, an answer
  const agentTool = tool((_input: { q: string }) => M.agentToolResult, { name: 'kb', description: 'knowledge base', schema: z.object({ q: z.string() }) });
  const agentModel = new ScriptedChatModel({
    responses: [{ content: '', tool_calls: [{ id: 'call_4', name: 'kb', args: { q: M.agentArgs } }] }, { content: M.agentAnswer }],
  });
  // The prebuilt agent the issue names (deprecated in favour of langchain's createAgent, not installed here).
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  const agent = createReactAgent({ llm: agentModel, tools: [agentTool], name: 'helper' });
  await agent.invoke({ messages: [{ role: 'user', content: M.agentPrompt }] }, config);

  // 7. legacy agent action / text / finish through LangChain's run manager
  await new LegacyAgentStep().invoke({ input: 'go' }, config);

  // 8. a LangGraph interrupt (control flow, not an error) whose value is a question for a human
  const graph = new StateGraph(Annotation.Root({ question: Annotation<string> }))
    .addNode('ask', (state: { question: string }) => {
      const reply: unknown = interrupt({ ask: INTERRUPT_VALUE, about: state.question });
      return { question: String(reply) };
    })
    .addEdge(START, 'ask')
    .addEdge('ask', END)
    .compile({ checkpointer: new MemorySaver(), name: 'reviewer' });
  await graph.invoke({ question: 'q' }, { ...config, configurable: { thread_id: 'content-off' } });

  // 9. retriever: query and documents
  await new KbRetriever().invoke(M.query, config);

  // 10. errors: a tool that fails with a marker in its message; a parser that fails on a completion
  const failing = tool(
    (_input: { q: string }): string => {
      throw new Error(`backend refused ${E.toolError}`);
    },
    { name: 'failing', description: 'fails', schema: z.object({ q: z.string() }) },
  );
  await failing.invoke({ q: 'x' }, config).then(
    () => expect.fail('the failing tool must throw'),
    () => undefined,
  );
  const parsing = new ScriptedChatModel({ responses: [{ content: `not json: ${PARSED_COMPLETION}` }] }).pipe(
    StructuredOutputParser.fromZodSchema(z.object({ answer: z.string() })),
  );
  await parsing.invoke('answer in JSON', config).then(
    () => expect.fail('the parser must throw'),
    () => undefined,
  );

  await awaitAllCallbacks();
  expect(handler.stats).to.include({ openRuns: 0, callbackErrors: 0 });
}

// ---- where markers are found ----------------------------------------------------------------------

interface Finding {
  readonly marker: string;
  readonly span: string;
  /** `name`, `attribute <key>`, `event <name> attribute <key>`, `event name`, `link`, `status`. */
  readonly where: string;
}

/** Every place of every span where a marker occurs (values serialised as JSON). */
function findMarkers(spans: readonly ReadableSpan[], markers: readonly string[]): Finding[] {
  const found: Finding[] = [];
  const scan = (span: ReadableSpan, where: string, value: unknown): void => {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    for (const marker of markers) if (text.includes(marker)) found.push({ marker, span: span.name, where });
  };
  for (const span of spans) {
    scan(span, 'name', span.name);
    for (const [key, value] of Object.entries(span.attributes)) scan(span, `attribute ${key}`, value);
    for (const event of span.events) {
      scan(span, 'event name', event.name);
      for (const [key, value] of Object.entries(event.attributes ?? {})) scan(span, `event ${event.name} attribute ${key}`, value);
    }
    for (const link of span.links) scan(span, 'link', link);
    scan(span, 'status', span.status);
  }
  return found;
}

/** Where error messages may go whatever the capture switch says. */
const ERROR_PLACES: ReadonlySet<string> = new Set(['status', 'event exception attribute exception.message', 'event exception attribute exception.stacktrace']);

async function collectMetrics(reader: ReturnType<typeof createMetrics>['reader']): Promise<string> {
  const { resourceMetrics, errors } = await reader.collect();
  expect(errors).to.deep.equal([]);
  const metrics = resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics);
  expect(metrics.map((metric) => metric.descriptor.name)).to.include('gen_ai.client.operation.duration');
  return JSON.stringify(metrics);
}

/** Runs the workload with `options` and the capture variable set to `env` (undefined: unset). */
async function record(options: GenAICallbackHandlerOptions, env: string | undefined): Promise<{ spans: ReadableSpan[]; metrics: string }> {
  const saved = process.env[ENV_CAPTURE_MESSAGE_CONTENT];
  try {
    if (env === undefined) Reflect.deleteProperty(process.env, ENV_CAPTURE_MESSAGE_CONTENT);
    else process.env[ENV_CAPTURE_MESSAGE_CONTENT] = env;
    const { provider, spans } = createTracing();
    const { meterProvider, reader } = createMetrics();
    await runWorkload(new GenAICallbackHandler({ tracerProvider: provider, meterProvider, ...options }));
    return { spans: spans(), metrics: await collectMetrics(reader) };
  } finally {
    if (saved === undefined) Reflect.deleteProperty(process.env, ENV_CAPTURE_MESSAGE_CONTENT);
    else process.env[ENV_CAPTURE_MESSAGE_CONTENT] = saved;
  }
}

/** The span kinds the workload must have produced, so a marker is absent because it was not recorded, not because its run was missing. */
const EXPECTED_SPANS = [
  'chat gpt-test',
  'text_completion',
  'invoke_workflow pipeline',
  'first_step',
  'second_step',
  'execute_tool echo',
  'execute_tool streamer',
  'invoke_agent helper',
  'execute_tool kb',
  'invoke_workflow legacy_agent',
  'retrieval KbRetriever',
  'execute_tool failing',
  'invoke_agent reviewer',
  'ask',
];

function describeFindings(findings: readonly Finding[]): string {
  return findings.map((finding) => `${finding.marker} in ${finding.span}: ${finding.where}`).join('\n');
}

// ---- tests ------------------------------------------------------------------------------------------

describe('langchain handler: content off means off everywhere', () => {
  const offCases: { title: string; options: GenAICallbackHandlerOptions; env: string | undefined }[] = [
    { title: 'by default (variable unset, no option)', options: {}, env: undefined },
    { title: `with ${ENV_CAPTURE_MESSAGE_CONTENT}=false`, options: {}, env: 'false' },
    { title: `with ${ENV_CAPTURE_MESSAGE_CONTENT}=NO_CONTENT`, options: {}, env: 'NO_CONTENT' },
    {
      title: 'with captureMessageContent: false (and captureChainSteps: true)',
      options: { captureMessageContent: false, captureChainSteps: true },
      env: undefined,
    },
    {
      title: `with captureMessageContent: false beating ${ENV_CAPTURE_MESSAGE_CONTENT}=true`,
      options: { captureMessageContent: false, captureChainSteps: true },
      env: 'true',
    },
  ];

  for (const { title, options, env } of offCases) {
    it(`records no content in any span attribute, event, link, status or metric ${title}`, async () => {
      const { spans, metrics } = await record(options, env);
      const names = new Set(spans.map((span) => span.name));
      for (const name of EXPECTED_SPANS) expect(names.has(name), `span ${name} recorded`).to.equal(true);
      // the callbacks that become events did happen (their events exist, without content)
      const events = new Set(spans.flatMap((span) => span.events.map((event) => event.name)));
      for (const event of [
        'langchain.agent.action',
        'langchain.agent.finish',
        'langchain.text',
        'langchain.custom_event',
        'langchain.tool.chunk',
        'exception',
      ]) {
        expect(events.has(event), `event ${event}`).to.equal(true);
      }

      const content = findMarkers(spans, [...CONTENT_MARKERS, INTERRUPT_VALUE]);
      expect(content, describeFindings(content)).to.deep.equal([]);
      const errors = findMarkers(spans, ERROR_MARKERS).filter((finding) => !ERROR_PLACES.has(finding.where));
      expect(errors, describeFindings(errors)).to.deep.equal([]);
      for (const marker of [...CONTENT_MARKERS, INTERRUPT_VALUE, ...ERROR_MARKERS]) expect(metrics, `metrics carry ${marker}`).not.to.include(marker);
    });
  }

  for (const { title, options, env } of [
    { title: 'captureMessageContent: true', options: { captureMessageContent: true, captureChainSteps: true }, env: undefined },
    { title: `${ENV_CAPTURE_MESSAGE_CONTENT}=true`, options: { captureChainSteps: true }, env: 'true' },
  ]) {
    it(`control: with ${title} every marker is found (so the check can fail)`, async () => {
      const { spans, metrics } = await record(options, env);
      const found = new Set(findMarkers(spans, CONTENT_MARKERS).map((finding) => finding.marker));
      expect(
        CONTENT_MARKERS.filter((marker) => !found.has(marker)),
        'markers not recorded with capture on',
      ).to.deep.equal([]);
      // metrics never carry content, capture or not
      for (const marker of [...CONTENT_MARKERS, INTERRUPT_VALUE, ...ERROR_MARKERS]) expect(metrics).not.to.include(marker);
    });
  }

  it('records error messages whatever capture says (not content in the conventions)', async () => {
    const { spans } = await record({}, undefined);
    const where = (marker: string): string[] =>
      findMarkers(spans, [marker])
        .map((finding) => `${finding.span}: ${finding.where}`)
        .sort();
    expect(where(E.toolError)).to.deep.equal([
      'execute_tool failing: event exception attribute exception.message',
      'execute_tool failing: event exception attribute exception.stacktrace',
      'execute_tool failing: status',
    ]);
    expect(where(PARSED_COMPLETION)).to.deep.equal([]);
  });

  it("withholds an output parser failure's message only with capture off: it quotes the completion", async () => {
    const found = (spans: ReadableSpan[]): string[] =>
      findMarkers(spans, [PARSED_COMPLETION])
        .filter((finding) => ERROR_PLACES.has(finding.where))
        .map((finding) => `${finding.span}: ${finding.where}`)
        .sort();
    const parserFailure = [
      'StructuredOutputParser: event exception attribute exception.message',
      'StructuredOutputParser: event exception attribute exception.stacktrace',
      'StructuredOutputParser: status',
      'invoke_workflow RunnableSequence: event exception attribute exception.message',
      'invoke_workflow RunnableSequence: event exception attribute exception.stacktrace',
      'invoke_workflow RunnableSequence: status',
    ];
    expect(found((await record({ captureMessageContent: true }, undefined)).spans)).to.deep.equal(parserFailure);
    const { spans } = await record({}, undefined);
    expect(found(spans)).to.deep.equal([]);
    const parser = spans.find((span) => span.name === 'StructuredOutputParser');
    expect(parser?.status.message).to.equal('OutputParserException: the message is withheld, it quotes the model output (content capture is off)');
    expect(parser?.attributes['error.type']).to.equal('OutputParserException');
    expect(parser?.events.find((event) => event.name === 'exception')?.attributes).to.deep.include({ 'exception.type': 'OutputParserException' });
  });
});
