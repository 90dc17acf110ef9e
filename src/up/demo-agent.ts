/**
 * The demo behind `npm start` (`aim-otel-bridge up --demo`) and `aim-otel-bridge demo`: a
 * LangChain.js calculator agent (a tool-calling loop with two tools) and a prompt → model →
 * parser chain, traced by our GenAICallbackHandler, its spans sent as OTLP/HTTP protobuf to a
 * bridge receiver — the collector-side path, without a Collector in between.
 *
 * It needs only the package's dependencies and its peer `@langchain/core`. The model is scripted
 * (tool calls, token usage) unless `OPENAI_API_KEY` is set: then it is OpenAI's (`OPENAI_MODEL`,
 * default `gpt-4o-mini`) through `@langchain/openai`, which must then be installed.
 */
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { awaitAllCallbacks } from '@langchain/core/callbacks/promises';
import { StringOutputParser } from '@langchain/core/output_parsers';
import { ChatPromptTemplate } from '@langchain/core/prompts';
import type { AIMessage, BaseMessage } from '@langchain/core/messages';
import { HumanMessage } from '@langchain/core/messages';
import { RunnableLambda, type RunnableConfig } from '@langchain/core/runnables';
import { DynamicStructuredTool } from '@langchain/core/tools';
import { GenAICallbackHandler } from '../langchain/index.js';
import { runHash } from '../mapping/run-key.js';
import { ATTR_GEN_AI_OPERATION_NAME } from '../semconv/attributes.js';
import { DEMO_MODELS, DEMO_PROVIDER } from './demo-prices.js';
import { ScriptedChatModel } from './scripted-chat-model.js';

/** Where the demo sends its spans. */
export interface DemoOptions {
  /** The bridge receiver, e.g. `http://127.0.0.1:4319`. */
  endpoint: string;
  /** Bearer token of the receiver, if it requires one. */
  token?: string;
  /** The conversation (and so Aim run) key. @default `demo-<time>` */
  conversationId?: string;
}

/** What the demo did. */
export interface DemoResult {
  conversationId: string;
  /** The Aim run the conversation lands in. */
  runHash: string;
  answer: string;
  /** `fake` or the OpenAI model used. */
  model: string;
  /** The GenAI provider name of the models the demo called (`openai`: the scripted models say so too). */
  provider: string;
  /** The models the demo called: the scripted {@link DEMO_MODELS}, or the OpenAI model. */
  models: string[];
  /** Spans sent, and spans the bridge refused or did not answer for. */
  spansSent: number;
  spansFailed: number;
  /** Of the spans sent, the model calls (`gen_ai.operation.name` `chat`). */
  modelCallsSent: number;
}

export const DEMO_SERVICE_NAME = 'aim-otel-bridge-demo';
export const DEMO_QUESTION = 'What is (3 + 4) × 5?';

/** The JSON schema of both tools' input. */
const TWO_NUMBERS = {
  type: 'object',
  properties: { a: { type: 'number' }, b: { type: 'number' } },
  required: ['a', 'b'],
} as const;
function calculatorTool(name: string, description: string, apply: (a: number, b: number) => number): DynamicStructuredTool {
  return new DynamicStructuredTool({
    name,
    description,
    schema: TWO_NUMBERS,
    func: (input: { a: number; b: number }) => Promise.resolve(String(apply(input.a, input.b))),
  });
}
const TOOLS = [calculatorTool('add', 'Adds two numbers.', (a, b) => a + b), calculatorTool('multiply', 'Multiplies two numbers.', (a, b) => a * b)];

/** Model turns the agent takes at most before it gives up. */
const MAX_TURNS = 6;

/**
 * The calculator agent: asks the model, runs the tools it calls, feeds their results back, until
 * the model answers in text. `lc_agent_name` makes its run an agent (`invoke_agent calculator`),
 * as LangChain's `createAgent({ name })` does.
 */
function calculatorAgent(model: BaseChatModel): RunnableLambda<{ question: string }, AIMessage> {
  const withTools = model.bindTools?.(TOOLS);
  if (withTools === undefined) throw new Error('the demo model cannot call tools');
  return RunnableLambda.from(async (input: { question: string }, config?: RunnableConfig): Promise<AIMessage> => {
    const messages: BaseMessage[] = [new HumanMessage(input.question)];
    for (let turn = 0; turn < MAX_TURNS; turn += 1) {
      const reply = await withTools.invoke(messages, config);
      messages.push(reply);
      const calls = reply.tool_calls ?? [];
      if (calls.length === 0) return reply;
      for (const call of calls) {
        const chosen = TOOLS.find((candidate) => candidate.name === call.name);
        if (chosen === undefined) throw new Error(`the model called an unknown tool ${call.name}`);
        messages.push((await chosen.invoke({ ...call, type: 'tool_call' }, config)) as BaseMessage);
      }
    }
    throw new Error(`the agent gave no answer within ${String(MAX_TURNS)} model turns`);
  }).withConfig({ runName: 'calculator', metadata: { lc_agent_name: 'calculator' } }) as unknown as RunnableLambda<{ question: string }, AIMessage>;
}

async function chooseModel(): Promise<{ model: BaseChatModel; name: string; models: string[]; summarizer: BaseChatModel }> {
  const key = process.env['OPENAI_API_KEY'];
  if (key !== undefined && key !== '') {
    const { ChatOpenAI } = await import('@langchain/openai').catch((error: unknown) => {
      throw new Error(
        `OPENAI_API_KEY is set, so the demo uses OpenAI through @langchain/openai: install it (npm install @langchain/openai) or unset OPENAI_API_KEY (${String(error)})`,
      );
    });
    const name = process.env['OPENAI_MODEL'] ?? 'gpt-4o-mini';
    const model = new ChatOpenAI({ model: name, temperature: 0 });
    return { model, name, models: [name], summarizer: model };
  }
  const usage = (input: number, output: number): { input_tokens: number; output_tokens: number; total_tokens: number } => ({
    input_tokens: input,
    output_tokens: output,
    total_tokens: input + output,
  });
  const [calculatorModel, summarizerModel] = DEMO_MODELS;
  const model = new ScriptedChatModel({
    provider: DEMO_PROVIDER,
    model: calculatorModel,
    temperature: 0,
    responses: [
      { content: '', tool_calls: [{ id: 'call_add', name: 'add', args: { a: 3, b: 4 } }], usage_metadata: usage(84, 18) },
      { content: '', tool_calls: [{ id: 'call_multiply', name: 'multiply', args: { a: 7, b: 5 } }], usage_metadata: usage(112, 18) },
      { content: '(3 + 4) × 5 = 35', usage_metadata: usage(140, 9) },
    ],
  });
  const summarizer = new ScriptedChatModel({
    provider: DEMO_PROVIDER,
    model: summarizerModel,
    temperature: 0.2,
    responses: [{ content: 'The agent added 3 and 4, then multiplied by 5: 35.', usage_metadata: usage(40, 14) }],
  });
  return { model, name: 'fake', models: [...DEMO_MODELS], summarizer };
}

/** Counts what the OTLP exporter delivered, so the demo can say whether the bridge took every span. */
class CountingExporter implements SpanExporter {
  sent = 0;
  failed = 0;
  modelCallsSent = 0;
  constructor(private readonly inner: SpanExporter) {}
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      if (result.code === ExportResultCode.SUCCESS) {
        this.sent += spans.length;
        this.modelCallsSent += spans.filter((span) => span.attributes[ATTR_GEN_AI_OPERATION_NAME] === 'chat').length;
      } else this.failed += spans.length;
      done(result);
    });
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

/** Runs the demo once; resolves when the bridge has answered for every span. */
export async function runDemoAgent(options: DemoOptions): Promise<DemoResult> {
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  const exporter = new CountingExporter(
    new OTLPTraceExporter({
      url: `${options.endpoint.replace(/\/+$/, '')}/v1/traces`,
      ...(options.token !== undefined ? { headers: { authorization: `Bearer ${options.token}` } } : {}),
    }),
  );
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': DEMO_SERVICE_NAME }),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 200 })],
  });
  try {
    const conversationId = options.conversationId ?? `demo-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    const handler = new GenAICallbackHandler({ tracerProvider: provider, captureMessageContent: true });
    const config = { callbacks: [handler], configurable: { thread_id: conversationId }, metadata: { thread_id: conversationId } };
    const { model, name, models, summarizer } = await chooseModel();

    const last = await calculatorAgent(model).invoke({ question: DEMO_QUESTION }, config);
    const answer = typeof last.content === 'string' ? last.content : JSON.stringify(last.content);

    const summary = ChatPromptTemplate.fromMessages([['human', 'Summarise in one sentence how this was solved: {answer}']])
      .pipe(summarizer)
      .pipe(new StringOutputParser());
    await summary.invoke({ answer }, config);

    await awaitAllCallbacks();
    await provider.forceFlush();
    return {
      conversationId,
      runHash: runHash(conversationId),
      answer,
      model: name,
      provider: DEMO_PROVIDER,
      models,
      spansSent: exporter.sent,
      spansFailed: exporter.failed,
      modelCallsSent: exporter.modelCallsSent,
    };
  } finally {
    await provider.shutdown();
    context.disable();
  }
}
