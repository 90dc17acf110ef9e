/** Builders of SDK spans (`ReadableSpan`) for tests of the exporter, and a promise around its export. */
import { type Attributes, SpanKind, type SpanStatus, SpanStatusCode } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

/** What a {@link testReadableSpan} is made of; the rest is fixed (no links or events, scope `test`, nothing dropped). */
export interface ReadableSpanSpec {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  /** Default `SpanKind.INTERNAL`. */
  readonly kind?: SpanKind;
  readonly startNs: bigint;
  readonly endNs: bigint;
  readonly attributes: Attributes;
  /** Default unset. */
  readonly status?: SpanStatus;
  /** The resource's `service.name`. */
  readonly service: string;
}

/** `ns` as an `HrTime` (seconds, nanoseconds). */
function hrTime(ns: bigint): [number, number] {
  return [Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n)];
}

/** A finished SDK span, as a span processor hands it to an exporter. */
export function testReadableSpan(spec: ReadableSpanSpec): ReadableSpan {
  const { traceId, spanId, parentSpanId } = spec;
  return {
    name: spec.name,
    kind: spec.kind ?? SpanKind.INTERNAL,
    spanContext: () => ({ traceId, spanId, traceFlags: 1 }),
    ...(parentSpanId !== undefined ? { parentSpanContext: { traceId, spanId: parentSpanId, traceFlags: 1 } } : {}),
    startTime: hrTime(spec.startNs),
    endTime: hrTime(spec.endNs),
    duration: hrTime(spec.endNs - spec.startNs),
    status: spec.status ?? { code: SpanStatusCode.UNSET },
    attributes: spec.attributes,
    links: [],
    events: [],
    resource: resourceFromAttributes({ 'service.name': spec.service }),
    instrumentationScope: { name: 'test' },
    ended: true,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

/** Exports `spans` and resolves with the result code the exporter reported. */
export function exportNow(exporter: SpanExporter, spans: ReadableSpan[]): Promise<ExportResultCode> {
  return new Promise((resolve) => {
    exporter.export(spans, (result: ExportResult) => {
      resolve(result.code);
    });
  });
}
