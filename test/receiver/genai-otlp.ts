/**
 * GenAI telemetry made and sent by the OTel JS SDK's own OTLP/protobuf exporters, for the receiver's
 * logs tests: a chat span, and openai-v2's per-message log events for it.
 */
import { ROOT_CONTEXT, type SpanContext, TraceFlags, trace } from '@opentelemetry/api';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';

const RESOURCE = resourceFromAttributes({ 'service.name': 'logs-join-test' });
/** The context of the chat span's points. */
export const CALL_CONTEXT = { operation: 'chat', model: 'gpt-4o-mini', provider: 'openai' };

/**
 * Exports one GenAI chat span of `conversation` through the OTel JS OTLP/protobuf exporter;
 * resolves to its span context. With `ids`, the span gets those ids (an id generator that returns them).
 */
export async function sendSpan(receiverUrl: string, conversation: string, ids?: SpanContext): Promise<SpanContext> {
  const provider = new BasicTracerProvider({
    resource: RESOURCE,
    spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${receiverUrl}/v1/traces` }))],
    ...(ids ? { idGenerator: { generateTraceId: () => ids.traceId, generateSpanId: () => ids.spanId } } : {}),
  });
  const span = provider.getTracer('test').startSpan(
    'chat gpt-4o-mini',
    {
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.provider.name': 'openai',
        'gen_ai.conversation.id': conversation,
        'gen_ai.usage.input_tokens': 11,
        'gen_ai.usage.output_tokens': 9,
      },
    },
    ROOT_CONTEXT,
  );
  span.end();
  await provider.shutdown();
  return span.spanContext();
}

/** The OTel JS SDK's way to make a span context a log record belongs to (the ids a span will have). */
export function futureSpan(): SpanContext {
  const traceId = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('hex');
  const spanId = Buffer.from(crypto.getRandomValues(new Uint8Array(8))).toString('hex');
  return { traceId, spanId, traceFlags: TraceFlags.SAMPLED };
}

/** Exports openai-v2's per-message events for the call of `spanContext` through the OTLP/protobuf logs exporter. */
export async function sendEvents(receiverUrl: string, spanContext: SpanContext): Promise<void> {
  const provider = new LoggerProvider({
    resource: RESOURCE,
    processors: [new SimpleLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${receiverUrl}/v1/logs` }) })],
  });
  const logger = provider.getLogger('opentelemetry.instrumentation.openai_v2');
  const context = trace.setSpanContext(ROOT_CONTEXT, spanContext);
  const attributes = { 'gen_ai.system': 'openai' };
  const base = Date.now();
  logger.emit({ eventName: 'gen_ai.system.message', context, attributes, timestamp: base, body: { content: 'You are terse.' } });
  logger.emit({ eventName: 'gen_ai.user.message', context, attributes, timestamp: base + 1, body: { content: 'Colour of the sky?' } });
  logger.emit({
    eventName: 'gen_ai.choice',
    context,
    attributes,
    timestamp: base + 2,
    body: { index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'Blue.' } },
  });
  logger.emit({ eventName: 'app.log', context, body: 'not GenAI: accepted, not written' });
  await provider.shutdown();
}
