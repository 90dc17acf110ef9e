/**
 * The demo behind `npm start` (`aim-otel-bridge up --demo`) and `aim-otel-bridge demo`: a
 * LangChain.js calculator agent (LangGraph's prebuilt ReAct agent with two tools) and a
 * prompt → model → parser chain, traced by our GenAICallbackHandler, its spans sent as OTLP/HTTP
 * protobuf to a bridge receiver — the collector-side path, without a Collector in between.
 *
 * The model is a scripted fake (tool calls, token usage) unless `OPENAI_API_KEY` is set: then it
 * is OpenAI's (`OPENAI_MODEL`, default `gpt-4o-mini`) through `@langchain/openai`.
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
import { tool } from '@langchain/core/tools';
import { createReactAgent } from '@langchain/langgraph/prebuilt';
import { z } from 'zod';
import { GenAICallbackHandler } from '../../src/langchain/index.js';
import { runHash } from '../../src/mapping/run-key.js';
import { ScriptedChatModel } from '../langchain/helpers.js';

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
  /** Spans sent, and spans the bridge refused or did not answer for. */
  spansSent: number;
  spansFailed: number;
}

export const DEMO_SERVICE_NAME = 'aim-otel-bridge-demo';
export const DEMO_QUESTION = 'What is (3 + 4) × 5?';

const add = tool((input: { a: number; b: number }) => String(input.a + input.b), {
  name: 'add',
  description: 'Adds two numbers.',
  schema: z.object({ a: z.number(), b: z.number() }),
});
const multiply = tool((input: { a: number; b: number }) => String(input.a * input.b), {
  name: 'multiply',
  description: 'Multiplies two numbers.',
  schema: z.object({ a: z.number(), b: z.number() }),
});

async function chooseModel(): Promise<{ model: BaseChatModel; name: string; summarizer: BaseChatModel }> {
  const key = process.env['OPENAI_API_KEY'];
  if (key !== undefined && key !== '') {
    const { ChatOpenAI } = await import('@langchain/openai');
    const name = process.env['OPENAI_MODEL'] ?? 'gpt-4o-mini';
    const model = new ChatOpenAI({ model: name, temperature: 0 });
    return { model, name, summarizer: model };
  }
  const usage = (input: number, output: number): { input_tokens: number; output_tokens: number; total_tokens: number } => ({ input_tokens: input, output_tokens: output, total_tokens: input + output });
  const model = new ScriptedChatModel({
    model: 'fake-calculator',
    temperature: 0,
    responses: [
      { content: '', tool_calls: [{ id: 'call_add', name: 'add', args: { a: 3, b: 4 } }], usage_metadata: usage(84, 18) },
      { content: '', tool_calls: [{ id: 'call_multiply', name: 'multiply', args: { a: 7, b: 5 } }], usage_metadata: usage(112, 18) },
      { content: '(3 + 4) × 5 = 35', usage_metadata: usage(140, 9) },
    ],
  });
  const summarizer = new ScriptedChatModel({
    model: 'fake-summarizer',
    temperature: 0.2,
    responses: [{ content: 'The agent added 3 and 4, then multiplied by 5: 35.', usage_metadata: usage(40, 14) }],
  });
  return { model, name: 'fake', summarizer };
}

/** Counts what the OTLP exporter delivered, so the demo can say whether the bridge took every span. */
class CountingExporter implements SpanExporter {
  sent = 0;
  failed = 0;
  constructor(private readonly inner: SpanExporter) {}
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      if (result.code === ExportResultCode.SUCCESS) this.sent += spans.length;
      else this.failed += spans.length;
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
    const { model, name, summarizer } = await chooseModel();

    // The issue asks for LangGraph's prebuilt ReAct agent (deprecated in favour of langchain's createAgent).
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    const agent = createReactAgent({ llm: model, tools: [add, multiply], name: 'calculator' });
    const state = await agent.invoke({ messages: [{ role: 'user', content: DEMO_QUESTION }] }, config);
    const last = state.messages.at(-1);
    const answer = typeof last?.content === 'string' ? last.content : JSON.stringify(last?.content);

    const summary = ChatPromptTemplate.fromMessages([['human', 'Summarise in one sentence how this was solved: {answer}']])
      .pipe(summarizer)
      .pipe(new StringOutputParser());
    await summary.invoke({ answer }, config);

    await awaitAllCallbacks();
    await provider.forceFlush();
    return { conversationId, runHash: runHash(conversationId), answer, model: name, spansSent: exporter.sent, spansFailed: exporter.failed };
  } finally {
    await provider.shutdown();
    context.disable();
  }
}
