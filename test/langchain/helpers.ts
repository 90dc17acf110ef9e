/**
 * Test harness for the LangChain handler: an AsyncLocalStorage context manager, a tracer provider
 * writing to an InMemorySpanExporter, a metric reader, and a scripted fake chat model (tool calls,
 * usage, streaming) built on LangChain's own BaseChatModel.
 */
import { context, trace } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { BaseChatModelCallOptions, BindToolsInput } from '@langchain/core/language_models/chat_models';
import type { CallbackManagerForLLMRun } from '@langchain/core/callbacks/manager';
import { AIMessage, AIMessageChunk } from '@langchain/core/messages';
import type { BaseMessage, UsageMetadata } from '@langchain/core/messages';
import { ChatGenerationChunk } from '@langchain/core/outputs';
import type { ChatResult } from '@langchain/core/outputs';
import type { Runnable } from '@langchain/core/runnables';
import type { BaseLanguageModelInput } from '@langchain/core/language_models/base';

let contextManagerSet = false;

/** Installs an AsyncLocalStorage context manager once per process (as a Node app would). */
export function useAsyncContext(): void {
  if (contextManagerSet) return;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  contextManagerSet = true;
}

/** A tracer provider with an in-memory exporter. */
export function createTracing(): { provider: BasicTracerProvider; exporter: InMemorySpanExporter; spans: () => ReadableSpan[] } {
  useAsyncContext();
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return { provider, exporter, spans: () => exporter.getFinishedSpans() };
}

class TestReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

/** A meter provider whose metrics can be collected on demand. */
export function createMetrics(): { meterProvider: MeterProvider; reader: TestReader } {
  const reader = new TestReader();
  return { meterProvider: new MeterProvider({ readers: [reader] }), reader };
}

/** Finished spans with this exact name. */
export function named(spans: readonly ReadableSpan[], name: string): ReadableSpan[] {
  return spans.filter((span) => span.name === name);
}

/** The single finished span with this name (throws when there is not exactly one). */
export function one(spans: readonly ReadableSpan[], name: string): ReadableSpan {
  const found = named(spans, name);
  if (found.length !== 1) throw new Error(`expected one span "${name}", found ${String(found.length)}: ${spans.map((s) => s.name).join(', ')}`);
  return found[0] as ReadableSpan;
}

/** Parent span id of a finished span. */
export function parentOf(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

/** One scripted answer. */
export interface ScriptedResponse {
  content: string;
  id?: string;
  tool_calls?: { id: string; name: string; args: Record<string, unknown> }[];
  usage_metadata?: UsageMetadata;
  response_metadata?: Record<string, unknown>;
}

/** Scripted responses: what the fake model answers, call after call (cycling). */
export interface ScriptedChatModelFields {
  responses: ScriptedResponse[];
  /** `ls_provider` reported to LangChain. @default 'openai' */
  provider?: string;
  /** `ls_model_name`. @default 'gpt-test' */
  model?: string;
  temperature?: number;
  maxTokens?: number;
  /** Milliseconds between streamed chunks. @default 0 */
  chunkDelayMs?: number;
  /** Called inside the model's real work with the active context (to simulate a provider SDK span). */
  onCall?: () => void;
}

/**
 * A chat model that answers from a script. Streams its text one character per chunk, with the
 * usage on the last chunk; `bindTools` keeps the tools in the call options (as real providers do).
 */
export class ScriptedChatModel extends BaseChatModel {
  private _i = 0;
  readonly fields: ScriptedChatModelFields;

  constructor(fields: ScriptedChatModelFields) {
    super({});
    this.fields = fields;
  }

  override _llmType(): string {
    return 'scripted';
  }

  static override lc_name(): string {
    return 'ScriptedChatModel';
  }

  override getLsParams(options: this['ParsedCallOptions']) {
    const params = super.getLsParams(options);
    params.ls_provider = this.fields.provider ?? 'openai';
    params.ls_model_name = this.fields.model ?? 'gpt-test';
    if (this.fields.temperature !== undefined) params.ls_temperature = this.fields.temperature;
    if (this.fields.maxTokens !== undefined) params.ls_max_tokens = this.fields.maxTokens;
    return params;
  }

  override bindTools(tools: BindToolsInput[]): Runnable<BaseLanguageModelInput, AIMessageChunk, BaseChatModelCallOptions> {
    return this.withConfig({ tools } as Partial<BaseChatModelCallOptions>);
  }

  private _next(): ScriptedResponse {
    const response = this.fields.responses[this._i % this.fields.responses.length];
    this._i += 1;
    if (response === undefined) throw new Error('ScriptedChatModel has no responses');
    return response;
  }

  override async _generate(_messages: BaseMessage[], options: this['ParsedCallOptions']): Promise<ChatResult> {
    await Promise.resolve();
    this.fields.onCall?.();
    options.signal?.throwIfAborted();
    // exactOptionalPropertyTypes: our optional fields are plain optional, LangChain's accept undefined.
    const message = new AIMessage({ ...this._next() } as ConstructorParameters<typeof AIMessage>[0]);
    return { generations: [{ message, text: typeof message.content === 'string' ? message.content : '' }] };
  }

  override async *_streamResponseChunks(
    _messages: BaseMessage[],
    options: this['ParsedCallOptions'],
    runManager?: CallbackManagerForLLMRun,
  ): AsyncGenerator<ChatGenerationChunk> {
    this.fields.onCall?.();
    const response = this._next();
    const text = response.content;
    const chars = Array.from(text);
    for (let i = 0; i < chars.length; i += 1) {
      if (this.fields.chunkDelayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, this.fields.chunkDelayMs));
      const last = i === chars.length - 1;
      const chunk = new ChatGenerationChunk({
        text: chars[i] ?? '',
        message: new AIMessageChunk({
          content: chars[i] ?? '',
          ...(last && response.usage_metadata !== undefined ? { usage_metadata: response.usage_metadata } : {}),
          ...(last && response.response_metadata !== undefined ? { response_metadata: response.response_metadata } : {}),
        } as ConstructorParameters<typeof AIMessageChunk>[0]),
      });
      yield chunk;
      await runManager?.handleLLMNewToken(chars[i] ?? '', undefined, undefined, undefined, undefined, { chunk });
    }
  }
}

/** Reads a stream to its end; returns the number of chunks. */
export async function drain(stream: AsyncIterable<unknown>): Promise<number> {
  let count = 0;
  for await (const chunk of stream) if (chunk !== undefined) count += 1;
  return count;
}

/** Starts a span in the active context, as a provider SDK / HTTP instrumentation would. */
export function providerSpan(provider: BasicTracerProvider, name = 'POST /v1/chat/completions'): Span {
  const span = provider.getTracer('provider-sdk').startSpan(name, {}, context.active());
  span.end();
  return span;
}

export { trace };
