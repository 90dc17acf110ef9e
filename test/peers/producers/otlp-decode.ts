/**
 * Decoding of OTLP/HTTP protobuf export requests into readable JSON, with nothing left out: the
 * complete OTLP messages (the pinned official definitions, official-proto.ts), OTLP/JSON field names (lowerCamelCase), trace and
 * span ids as hex, enums by name, 64-bit integers as strings. Plus a flat summary of each request
 * (attributes as plain objects) that is easier to read and to assert on.
 */
import type protobuf from 'protobufjs';

/** A JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
/** A JSON object. */
export type JsonObject = Record<string, Json>;

/** The three OTLP signals, named as in their URL paths (`/v1/traces` ...). */
export type OtlpSignal = 'traces' | 'logs' | 'metrics';

const REQUEST_TYPES: Readonly<Record<OtlpSignal, string>> = {
  traces: 'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest',
  logs: 'opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest',
  metrics: 'opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest',
};

const ID_KEYS = new Set(['traceId', 'spanId', 'parentSpanId']);

/** The signal of an OTLP/HTTP path (`/v1/traces` → `traces`), or `undefined`. */
export function signalOfPath(path: string): OtlpSignal | undefined {
  const match = /\/v1\/(traces|logs|metrics)$/.exec(path);
  return match ? (match[1] as OtlpSignal) : undefined;
}

function idsToHex(value: Json, key?: string): Json {
  if (Array.isArray(value)) return value.map((item) => idsToHex(item));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, idsToHex(v, k)]));
  }
  if (typeof value === 'string' && key !== undefined && ID_KEYS.has(key)) return Buffer.from(value, 'base64').toString('hex');
  return value;
}

/** One decoded request. */
export interface DecodedRequest {
  /** The request in OTLP/JSON shape (ids hex, enums by name, 64-bit integers as strings). */
  request: JsonObject;
  /**
   * Whether re-encoding the decoded message gives as many bytes as the body: false means the body
   * had fields this decoder does not know (they would be missing from `request`).
   */
  complete: boolean;
}

/**
 * Decodes one OTLP protobuf export request body of `signal` with the official definitions in
 * `root` (`officialRoot()` of official-proto.ts). Throws on a malformed body.
 */
export function decodeOtlpRequest(root: protobuf.Root, signal: OtlpSignal, body: Uint8Array): DecodedRequest {
  const type = root.lookupType(REQUEST_TYPES[signal]);
  const message = type.decode(body);
  const reencoded = type.encode(message).finish();
  const object: unknown = type.toObject(message, { longs: String, enums: String, bytes: String, defaults: false, oneofs: false });
  return { request: idsToHex(object as JsonObject) as JsonObject, complete: reencoded.length === body.length };
}

/** A JSON value as text: strings as they are, anything else as JSON ('' for undefined). */
export function jsonText(value: Json | undefined): string {
  if (value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function asObject(value: Json | undefined): JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : {};
}

function asArray(value: Json | undefined): Json[] {
  return Array.isArray(value) ? value : [];
}

/** An OTLP `AnyValue` as a plain JSON value (int64 as a number when safe, bytes as `base64:...`). */
export function plainValue(anyValue: Json | undefined): Json {
  const value = asObject(anyValue);
  if ('stringValue' in value) return value['stringValue'] ?? '';
  if ('boolValue' in value) return value['boolValue'] ?? false;
  if ('doubleValue' in value) return value['doubleValue'] ?? 0;
  if ('intValue' in value) {
    const int = Number(value['intValue']);
    return Number.isSafeInteger(int) ? int : jsonText(value['intValue']);
  }
  if ('bytesValue' in value) return `base64:${jsonText(value['bytesValue'])}`;
  if ('arrayValue' in value) return asArray(asObject(value['arrayValue'])['values']).map(plainValue);
  if ('kvlistValue' in value) return plainAttributes(asObject(value['kvlistValue'])['values']);
  return null;
}

/** OTLP `KeyValue`s as one plain object. */
export function plainAttributes(keyValues: Json | undefined): JsonObject {
  const result: JsonObject = {};
  for (const entry of asArray(keyValues)) {
    const keyValue = asObject(entry);
    result[jsonText(keyValue['key'])] = plainValue(keyValue['value']);
  }
  return result;
}

function scopeName(scope: Json | undefined): string {
  const { name, version } = asObject(scope);
  return version ? `${jsonText(name)}@${jsonText(version)}` : jsonText(name);
}

function withoutUndefined(entries: Record<string, Json | undefined>): JsonObject {
  const result: JsonObject = {};
  for (const [key, value] of Object.entries(entries)) if (value !== undefined) result[key] = value;
  return result;
}

/** Each (resource, scope, item) of a request, with the resource and scope summarised. */
function items(
  request: JsonObject,
  resources: string,
  scopes: string,
  list: string,
): { resource: JsonObject; scope: string; scopeSchemaUrl: Json | undefined; item: JsonObject }[] {
  return asArray(request[resources]).flatMap((resourceEntry) => {
    const resource = asObject(resourceEntry);
    const resourceAttributes = plainAttributes(asObject(resource['resource'])['attributes']);
    return asArray(resource[scopes]).flatMap((scopeEntry) => {
      const scope = asObject(scopeEntry);
      return asArray(scope[list]).map((item) => ({
        resource: resourceAttributes,
        scope: scopeName(scope['scope']),
        scopeSchemaUrl: scope['schemaUrl'],
        item: asObject(item),
      }));
    });
  });
}

function summarizeSpans(request: JsonObject): JsonObject[] {
  return items(request, 'resourceSpans', 'scopeSpans', 'spans').map(({ resource, scope, scopeSchemaUrl, item }) =>
    withoutUndefined({
      name: item['name'],
      kind: item['kind'],
      scope,
      scopeSchemaUrl,
      service: resource['service.name'],
      traceId: item['traceId'],
      spanId: item['spanId'],
      parentSpanId: item['parentSpanId'],
      status: item['status'],
      attributes: plainAttributes(item['attributes']),
      events: asArray(item['events']).map((event) => {
        const e = asObject(event);
        return { name: e['name'] ?? '', attributes: plainAttributes(e['attributes']) };
      }),
      links: item['links'],
    }),
  );
}

function summarizeLogs(request: JsonObject): JsonObject[] {
  return items(request, 'resourceLogs', 'scopeLogs', 'logRecords').map(({ resource, scope, scopeSchemaUrl, item }) =>
    withoutUndefined({
      eventName: item['eventName'],
      scope,
      scopeSchemaUrl,
      service: resource['service.name'],
      severityNumber: item['severityNumber'],
      severityText: item['severityText'],
      traceId: item['traceId'],
      spanId: item['spanId'],
      attributes: plainAttributes(item['attributes']),
      body: item['body'] === undefined ? undefined : plainValue(item['body']),
    }),
  );
}

const METRIC_TYPES = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'] as const;

function summarizePoint(point: JsonObject): JsonObject {
  const { attributes, exemplars, ...rest } = point;
  delete rest['startTimeUnixNano'];
  delete rest['timeUnixNano'];
  return withoutUndefined({ attributes: plainAttributes(attributes), ...rest, exemplars: exemplars === undefined ? undefined : asArray(exemplars).length });
}

function summarizeMetrics(request: JsonObject): JsonObject[] {
  return items(request, 'resourceMetrics', 'scopeMetrics', 'metrics').map(({ resource, scope, scopeSchemaUrl, item }) => {
    const type = METRIC_TYPES.find((name) => name in item) ?? 'unknown';
    const data = asObject(item[type]);
    return withoutUndefined({
      name: item['name'],
      type,
      unit: item['unit'],
      description: item['description'],
      scope,
      scopeSchemaUrl,
      service: resource['service.name'],
      temporality: data['aggregationTemporality'],
      isMonotonic: data['isMonotonic'],
      points: asArray(data['dataPoints']).map((point) => summarizePoint(asObject(point))),
    });
  });
}

/** A flat, readable summary of a decoded request: one entry per span, log record or metric. */
export function summarizeRequest(signal: OtlpSignal, request: JsonObject): JsonObject[] {
  if (signal === 'traces') return summarizeSpans(request);
  if (signal === 'logs') return summarizeLogs(request);
  return summarizeMetrics(request);
}
