/**
 * Real OTLP payloads for the decoder tests: spans made with the OpenTelemetry JS SDK (2.12.x),
 * serialized by `@opentelemetry/otlp-transformer` (0.223.x) in both encodings, and the
 * `SpanRecord`s those spans must decode to (written here from the OTLP rules, independently of
 * the code under test).
 */
import { type Attributes as OtelAttributes, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { AttributeValue, Attributes, SpanKindName, SpanRecord } from '../../src/model/span-record.js';

/** A provider that keeps finished spans in memory. */
export function memoryProvider(resource: OtelAttributes = { 'service.name': 'fixture' }): {
  provider: BasicTracerProvider;
  exporter: InMemorySpanExporter;
} {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes(resource),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  return { provider, exporter };
}

/**
 * A varied set of SDK spans: two resources, three scopes (one without version), every kind,
 * parent/child, links with attributes, events, error and ok statuses, every attribute type
 * (int, unsafe int, negative int, double, string, bool, arrays with gaps, empty strings, non-ASCII).
 */
export function variedSpans(): ReadableSpan[] {
  const a = memoryProvider({ 'service.name': 'svc-a', 'deployment.environment': 'test', 'host.cores': 2 });
  const b = memoryProvider({ 'service.name': 'svc-b' });
  const chat = a.provider.getTracer('genai', '1.2.3');
  const tools = a.provider.getTracer('tools');
  const other = b.provider.getTracer('other', '0.0.1');

  const root = chat.startSpan('chain', { kind: SpanKind.SERVER, attributes: { 'gen_ai.operation.name': 'chat' } });
  const parent = trace.setSpan(ROOT_CONTEXT, root);
  const llm = chat.startSpan(
    'chat gpt-4o',
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.usage.input_tokens': 12,
        'gen_ai.request.temperature': 0.25,
        'gen_ai.request.stop_sequences': ['\n', 'END'],
        big: 2 ** 60,
        negative: -42,
        ratio: -1.5e-7,
        flag: false,
        empty: '',
        unicode: 'héllo — 世界 🎉',
        'ints.with.gaps': [1, null, 3, undefined],
        bools: [true, false],
        doubles: [0.5, 1.5],
      },
      links: [{ context: root.spanContext(), attributes: { 'link.kind': 'follows' } }],
    },
    parent,
  );
  llm.addEvent('gen_ai.content.prompt', { 'gen_ai.prompt': 'Say hi' });
  llm.addEvent('no attributes');
  llm.setStatus({ code: SpanStatusCode.OK });
  llm.end();
  const tool = tools.startSpan('execute_tool search', { kind: SpanKind.INTERNAL }, parent);
  tool.recordException(new Error('tool failed'));
  tool.setStatus({ code: SpanStatusCode.ERROR, message: 'tool failed' });
  tool.end();
  root.end();
  for (const kind of [SpanKind.PRODUCER, SpanKind.CONSUMER]) other.startSpan(`kind ${kind}`, { kind }).end();
  return [...a.exporter.getFinishedSpans(), ...b.exporter.getFinishedSpans()];
}

/**
 * A hand-built `ReadableSpan` whose attributes the SDK itself would refuse (bytes, maps, nested
 * arrays) but the serializer encodes as OTLP `bytes_value` / `kvlist_value` / nested `array_value`.
 */
export function complexValueSpan(template: ReadableSpan): ReadableSpan {
  const attributes = {
    bytes: new Uint8Array([0, 1, 2, 254, 255]),
    map: { model: 'gpt-4o', tokens: 7, nested: { deep: [1, 'two', { three: true }] } },
    matrix: [
      [1, 2],
      [3, 4],
    ],
  } as unknown as OtelAttributes;
  const context = template.spanContext();
  return {
    name: 'complex values',
    kind: template.kind,
    spanContext: () => context,
    startTime: template.startTime,
    endTime: template.endTime,
    status: { code: SpanStatusCode.UNSET },
    attributes,
    links: [],
    events: [],
    duration: template.duration,
    ended: true,
    resource: template.resource,
    instrumentationScope: template.instrumentationScope,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

/** The spans as an OTLP protobuf body. */
export function protobufBody(spans: ReadableSpan[]): Buffer {
  const bytes = ProtobufTraceSerializer.serializeRequest(spans);
  if (bytes === undefined) throw new Error('the serializer produced nothing');
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The spans as an OTLP JSON body. */
export function jsonBody(spans: ReadableSpan[]): Buffer {
  const bytes = JsonTraceSerializer.serializeRequest(spans);
  if (bytes === undefined) throw new Error('the serializer produced nothing');
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

// ---- what the spans must decode to ----

const KINDS: readonly SpanKindName[] = ['internal', 'server', 'client', 'producer', 'consumer'];
const STATUS = ['unset', 'ok', 'error'] as const;

const nanos = ([seconds, ns]: [number, number]): bigint => BigInt(seconds) * 1_000_000_000n + BigInt(ns);

/** An attribute value as OTLP carries it: integers are int64 (bigint past 2^53), gaps are empty. */
export function expectedValue(value: unknown): AttributeValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Number.isInteger(value) && !Number.isSafeInteger(value) ? BigInt(value) : value;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (value instanceof Uint8Array) return new Uint8Array(value);
  if (Array.isArray(value)) return value.map(expectedValue);
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, expectedValue(item)]));
  }
  throw new Error(`not an attribute value: ${typeof value}`);
}

function expectedAttributes(attributes: OtelAttributes | undefined): Attributes {
  return Object.fromEntries(Object.entries(attributes ?? {}).map(([key, value]) => [key, expectedValue(value)]));
}

/** The `SpanRecord` an SDK span must decode to (origin compared separately for sharing). */
export function expectedRecord(span: ReadableSpan): SpanRecord {
  const context = span.spanContext();
  const version = span.instrumentationScope.version;
  return {
    traceId: context.traceId,
    spanId: context.spanId,
    ...(span.parentSpanContext === undefined ? {} : { parentSpanId: span.parentSpanContext.spanId }),
    name: span.name,
    kind: KINDS[span.kind] ?? 'unspecified',
    startTimeUnixNano: nanos(span.startTime),
    endTimeUnixNano: nanos(span.endTime),
    attributes: expectedAttributes(span.attributes),
    events: span.events.map((event) => ({ name: event.name, timeUnixNano: nanos(event.time), attributes: expectedAttributes(event.attributes) })),
    links: span.links.map((link) => ({ traceId: link.context.traceId, spanId: link.context.spanId, attributes: expectedAttributes(link.attributes) })),
    status: {
      code: STATUS[span.status.code],
      ...(span.status.message === undefined || span.status.message === '' ? {} : { message: span.status.message }),
    },
    origin: {
      resource: expectedAttributes(span.resource.attributes),
      scopeName: span.instrumentationScope.name,
      ...(version === undefined || version === '' ? {} : { scopeVersion: version }),
    },
  };
}

/** Records sorted by span id (the serializers group spans by resource and scope). */
export function bySpanId<T extends { spanId: string }>(records: readonly T[]): T[] {
  return [...records].sort((x, y) => (x.spanId < y.spanId ? -1 : x.spanId > y.spanId ? 1 : 0));
}
