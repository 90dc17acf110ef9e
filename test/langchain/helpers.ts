/**
 * Test harness for the LangChain handler: an AsyncLocalStorage context manager, a tracer provider
 * writing to an InMemorySpanExporter, a metric reader, and the scripted chat model of the demo
 * (src/up/scripted-chat-model.ts).
 */
import { context, trace } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';

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

export { ScriptedChatModel, type ScriptedChatModelFields, type ScriptedResponse } from '../../src/up/scripted-chat-model.js';

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
