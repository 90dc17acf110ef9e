import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { JsonTraceSerializer, ProtobufMetricsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import protobuf from 'protobufjs';
import type { SpanRecord } from '../../src/model/span-record.js';
import { CONTENT_TYPE, formatOf } from '../../src/receiver/content.js';
import { decodeTraceRequest, type DecodedRequest } from '../../src/receiver/decode.js';
import { encodeStatus, encodeTraceResponse, MAX_MESSAGE_CHARS, statusOf } from '../../src/receiver/encode.js';
import {
  GrpcCode,
  InvalidRequestError,
  isReceiverError,
  PayloadTooLargeError,
  type ReceiverError,
  UnsupportedMediaTypeError,
} from '../../src/receiver/errors.js';
import { otlpTypes } from '../../src/receiver/schema.js';
import { spanProblem } from '../model/span-invariants.js';
import { bySpanId, complexValueSpan, expectedRecord, jsonBody, memoryProvider, protobufBody, variedSpans } from './sdk-fixtures.js';

const PB = CONTENT_TYPE.protobuf;
const JSON_TYPE = CONTENT_TYPE.json;
const LIMITS = { maxBodyBytes: 64 * 1024 * 1024 };
const MiB = 1024 * 1024;

const decode = (body: Buffer, type: string | undefined, encoding?: string, limits = LIMITS): Promise<DecodedRequest> =>
  decodeTraceRequest(body, type, encoding, limits);

/** The typed error `promise` rejects with (fails the test when it resolves or throws something else). */
async function rejection(promise: Promise<unknown>): Promise<ReceiverError> {
  try {
    await promise;
  } catch (error) {
    expect(isReceiverError(error), String(error)).to.equal(true);
    return error as ReceiverError;
  }
  throw new Error('expected the decoding to fail');
}

function withoutOrigins(records: readonly SpanRecord[]): Omit<SpanRecord, 'origin'>[] {
  return records.map(({ origin: _origin, ...rest }) => rest);
}

function checkAll(decoded: DecodedRequest): void {
  for (const span of decoded.spans) expect(spanProblem(span), span.spanId).to.equal(undefined);
}

describe('decodeTraceRequest', () => {
  const sdkSpans = variedSpans();
  const first = sdkSpans[0];
  if (first === undefined) throw new Error('no SDK spans');
  const spans = [...sdkSpans, complexValueSpan(first)];
  const expected = bySpanId(spans.map(expectedRecord));

  describe('real payloads of the OpenTelemetry JS serializers', () => {
    for (const [format, type, body] of [
      ['protobuf', PB, protobufBody(spans)],
      ['JSON', JSON_TYPE, jsonBody(spans)],
    ] as const) {
      it(`decodes ${format} into records equal to the spans made`, async () => {
        const decoded = await decode(body, type);
        expect(decoded.format).to.equal(format === 'JSON' ? 'json' : 'protobuf');
        expect(decoded.rejected, decoded.errors.join('\n')).to.equal(0);
        expect(decoded.errors).to.deep.equal([]);
        expect(decoded.bodyBytes).to.equal(body.length);
        checkAll(decoded);
        expect(bySpanId(decoded.spans)).to.deep.equal(expected);
      });

      it(`shares origins per resource and scope (${format})`, async () => {
        const decoded = await decode(body, type);
        const origins = new Set(decoded.spans.map((span) => span.origin));
        const resources = new Set(decoded.spans.map((span) => span.origin.resource));
        expect(origins.size).to.equal(3); // genai, tools (resource a), other (resource b)
        expect(resources.size).to.equal(2);
      });
    }

    it('decodes protobuf and JSON of the same spans to the same records', async () => {
      const fromProtobuf = await decode(protobufBody(spans), PB);
      const fromJson = await decode(jsonBody(spans), JSON_TYPE);
      expect(fromJson.spans).to.deep.equal(fromProtobuf.spans);
    });

    const codings: [string, (body: Buffer) => Buffer][] = [
      ['gzip', (body) => gzipSync(body)],
      ['x-gzip', (body) => gzipSync(body)],
      ['GZIP', (body) => gzipSync(body)],
      ['deflate', (body) => deflateSync(body)], // the Collector sends zlib streams as `deflate`
      ['zlib', (body) => deflateSync(body)],
      ['deflate', (body) => deflateRawSync(body)], // some HTTP clients send raw deflate
      ['identity', (body) => body],
      ['', (body) => body],
      ['gzip, identity', (body) => gzipSync(body)],
      ['deflate, gzip', (body) => gzipSync(deflateSync(body))],
    ];
    for (const [coding, compress] of codings) {
      it(`undoes Content-Encoding "${coding}" (${compress.toString().includes('Raw') ? 'raw' : 'as sent'})`, async () => {
        for (const [type, body] of [
          [PB, protobufBody(spans)],
          [JSON_TYPE, jsonBody(spans)],
        ] as const) {
          const decoded = await decode(compress(body), type, coding);
          expect(decoded.bodyBytes).to.equal(body.length);
          expect(withoutOrigins(bySpanId(decoded.spans))).to.deep.equal(withoutOrigins(expected));
        }
      });
    }

    it('accepts an empty body as an empty request in both formats', async () => {
      for (const [type, body] of [
        [PB, Buffer.alloc(0)],
        [JSON_TYPE, Buffer.alloc(0)],
        [JSON_TYPE, Buffer.from('{}')],
        [JSON_TYPE, Buffer.from('\uFEFF{"resourceSpans":[]}')],
      ] as const) {
        const decoded = await decode(body, type);
        expect(decoded.spans).to.deep.equal([]);
        expect(decoded.rejected).to.equal(0);
      }
    });
  });

  describe('Content-Type', () => {
    const accepted: [string, string][] = [
      ['application/x-protobuf', 'protobuf'],
      ['application/json', 'json'],
      ['application/json; charset=utf-8', 'json'],
      ['Application/JSON;charset="UTF-8"', 'json'],
      ['application/x-protobuf; proto=opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest', 'protobuf'],
    ];
    for (const [header, format] of accepted) {
      it(`accepts ${header}`, () => {
        expect(formatOf(header)).to.equal(format);
      });
    }

    const refused: [string | undefined, string][] = [
      [undefined, 'Content-Type is missing (supported: application/x-protobuf, application/json)'],
      ['', 'Content-Type is missing'],
      ['text/plain', 'Content-Type "text/plain" is not supported'],
      ['application/grpc', 'Content-Type "application/grpc" is not supported'],
      ['application/protobuf', 'Content-Type "application/protobuf" is not supported'],
      ['application/json; charset=latin1', 'JSON must be UTF-8, not charset="latin1"'],
      ['application/json;;', 'is not a valid media type'],
      ['json', 'Content-Type "json" is not a valid media type'],
    ];
    for (const [header, message] of refused) {
      it(`refuses ${header === undefined ? 'a missing header' : JSON.stringify(header)} with 415`, async () => {
        const error = await rejection(decode(protobufBody(spans), header));
        expect(error).to.be.instanceOf(UnsupportedMediaTypeError);
        expect(error.httpStatus).to.equal(415);
        expect(error.message).to.include(message);
      });
    }
  });

  describe('Content-Encoding', () => {
    for (const coding of ['br', 'zstd', 'snappy', 'x-snappy-framed', 'lz4', 'compress', 'gzip;q=1']) {
      it(`refuses ${coding} with 415`, async () => {
        const error = await rejection(decode(protobufBody(spans), PB, coding));
        expect(error).to.be.instanceOf(UnsupportedMediaTypeError);
        expect(error.format).to.equal('protobuf');
        expect(error.message).to.match(/^Content-Encoding ".*" is not supported \(supported: gzip, deflate, zlib, identity\)$/);
      });
    }

    it('refuses more than two stacked codings', async () => {
      const error = await rejection(decode(Buffer.alloc(0), JSON_TYPE, 'gzip, gzip, gzip'));
      expect(error).to.be.instanceOf(UnsupportedMediaTypeError);
    });

    it('answers 400 for corrupt compressed data, naming the coding', async () => {
      const gzip = gzipSync(protobufBody(spans));
      const cases: [Buffer, string, RegExp][] = [
        [protobufBody(spans), 'gzip', /^gzip: incorrect header check$/],
        [gzip.subarray(0, gzip.length - 10), 'gzip', /^gzip: unexpected end of file$/],
        [randomBytes(64), 'deflate', /^deflate: /],
        [Buffer.alloc(0), 'gzip', /^gzip: unexpected end of file$/],
      ];
      for (const [body, coding, message] of cases) {
        const error = await rejection(decode(body, PB, coding));
        expect(error).to.be.instanceOf(InvalidRequestError);
        expect(error.httpStatus).to.equal(400);
        expect(error.message).to.match(message);
      }
    });
  });

  describe('body limit (after decompression): 413', () => {
    it('refuses an uncompressed body over the limit', async () => {
      const body = protobufBody(spans);
      await decode(body, PB, undefined, { maxBodyBytes: body.length });
      const error = await rejection(decode(body, PB, undefined, { maxBodyBytes: body.length - 1 }));
      expect(error).to.be.instanceOf(PayloadTooLargeError);
      expect(error.httpStatus).to.equal(413);
      expect(error.message).to.equal(`the body of ${body.length} bytes exceeds the limit of ${body.length - 1} bytes`);
    });

    it('measures a compressed body after decompression', async () => {
      const body = jsonBody(spans);
      for (const coding of ['gzip', 'deflate']) {
        const compressed = coding === 'gzip' ? gzipSync(body) : deflateSync(body);
        expect((await decode(compressed, JSON_TYPE, coding, { maxBodyBytes: body.length })).spans).to.have.length(spans.length);
        const error = await rejection(decode(compressed, JSON_TYPE, coding, { maxBodyBytes: body.length - 1 }));
        expect(error).to.be.instanceOf(PayloadTooLargeError);
        expect(error.message).to.equal(`the ${coding}-decompressed body exceeds the limit of ${body.length - 1} bytes`);
      }
    });

    it('cuts off a gzip bomb (1 GiB of zeros in ~1 MB) at the limit, with bounded memory', async function () {
      this.timeout(60_000);
      const member = gzipSync(Buffer.alloc(MiB), { level: 9 });
      const bomb = Buffer.concat(Array.from({ length: 1024 }, () => member)); // gzip allows concatenated members
      const before = process.memoryUsage();
      const started = performance.now();
      const error = await rejection(decode(bomb, PB, 'gzip', { maxBodyBytes: 8 * MiB }));
      const elapsed = performance.now() - started;
      const after = process.memoryUsage();
      expect(error).to.be.instanceOf(PayloadTooLargeError);
      expect(error.message).to.equal(`the gzip-decompressed body exceeds the limit of ${8 * MiB} bytes`);
      const grown = (after.rss - before.rss) / MiB;
      console.log(`      gzip bomb: ${(bomb.length / MiB).toFixed(2)} MiB compressed, refused after ${elapsed.toFixed(0)} ms, RSS +${grown.toFixed(1)} MiB`);
      expect(grown).to.be.below(128);
    });

    it('cuts off a deflate bomb (256 MiB of zeros) at the limit', async function () {
      this.timeout(60_000);
      const bomb = deflateSync(Buffer.alloc(256 * MiB), { level: 9 });
      const before = process.memoryUsage().rss;
      const error = await rejection(decode(bomb, JSON_TYPE, 'deflate', { maxBodyBytes: 4 * MiB }));
      expect(error).to.be.instanceOf(PayloadTooLargeError);
      expect((process.memoryUsage().rss - before) / MiB).to.be.below(128);
    });
  });

  describe('bad input (issue 6, point 5)', () => {
    it('random bytes: 400 in both formats', async () => {
      // Fixed bytes (a varint that never ends, then noise): undecodable whatever the noise.
      const noise = Buffer.concat([Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), randomBytes(4096)]);
      const protobufError = await rejection(decode(noise, PB));
      expect(protobufError).to.be.instanceOf(InvalidRequestError);
      expect(protobufError.message).to.match(/^protobuf: /);
      const jsonError = await rejection(decode(noise, JSON_TYPE));
      expect(jsonError).to.be.instanceOf(InvalidRequestError);
      expect(jsonError.message).to.match(/^JSON: /);
      expect(jsonError.format).to.equal('json');
    });

    it('random bytes, many draws: a typed 400 or (rarely) a valid empty-ish request, never anything else', async () => {
      for (let i = 0; i < 500; i++) {
        const body = randomBytes(1 + (i % 200));
        for (const type of [PB, JSON_TYPE]) {
          try {
            checkAll(await decode(body, type));
          } catch (error) {
            expect(error).to.be.instanceOf(InvalidRequestError);
          }
        }
      }
    });

    it('truncated protobuf: 400 "truncated or malformed message" at every cut inside a span', async () => {
      const body = protobufBody(spans);
      let refused = 0;
      for (let length = 1; length < body.length; length++) {
        try {
          const decoded = await decode(body.subarray(0, length), PB);
          checkAll(decoded);
        } catch (error) {
          expect(error).to.be.instanceOf(InvalidRequestError);
          expect((error as Error).message).to.match(/^protobuf: /);
          refused++;
        }
      }
      // Every cut but one is refused: the one between the two ResourceSpans leaves a valid request.
      expect(refused).to.equal(body.length - 2);
      const error = await rejection(decode(body.subarray(0, body.length >> 1), PB));
      expect(error.message).to.match(/^protobuf: truncated or malformed message \(index out of range/);
    });

    it('a wire type that cannot be: 400 "invalid wire type N at offset M"', async () => {
      const error = await rejection(decode(Buffer.from([0x0f]), PB));
      expect(error.message).to.equal('protobuf: invalid wire type 7 at offset 1');
    });

    it('valid protobuf of another message (a metrics request): nothing accepted', async () => {
      class Reader extends MetricReader {
        protected override onForceFlush(): Promise<void> {
          return Promise.resolve();
        }
        protected override onShutdown(): Promise<void> {
          return Promise.resolve();
        }
      }
      const reader = new Reader();
      const meters = new MeterProvider({ readers: [reader] });
      const meter = meters.getMeter('fixture-meter-name', '1.0.0');
      meter.createCounter('gen_ai.client.token.usage').add(5, { 'gen_ai.token.type': 'input' });
      meter.createHistogram('gen_ai.client.operation.duration').record(0.25);
      const { resourceMetrics } = await reader.collect();
      const metrics = ProtobufMetricsSerializer.serializeRequest(resourceMetrics);
      if (metrics === undefined) throw new Error('no metrics payload');
      // ResourceMetrics reads as ResourceSpans, ScopeMetrics as ScopeSpans, Metric as Span (name → trace_id,
      // data → name, ...): either a string field is not UTF-8 (400), or the "spans" are rejected.
      try {
        const decoded = await decode(Buffer.from(metrics), PB);
        expect(decoded.spans).to.deep.equal([]);
        expect(decoded.rejected).to.equal(2);
        expect(decoded.errors[0]).to.equal('resourceSpans[0].scopeSpans[0].spans[0].traceId must be 16 bytes (got 25)');
      } catch (error) {
        expect(error).to.be.instanceOf(InvalidRequestError);
        expect((error as Error).message).to.equal('protobuf: a string field is not valid UTF-8');
      }
      const notUtf8 = Buffer.from([0x0a, 0x03, 0x1a, 0x01, 0xff]); // resource_spans { schema_url: "\xff" }
      expect((await rejection(decode(notUtf8, PB))).message).to.equal('protobuf: a string field is not valid UTF-8');
      // A google.rpc.Status has no field of a matching wire type: it reads as an empty request.
      expect(await decode(encodeStatus('protobuf', { code: 3, message: 'x' }), PB)).to.deep.include({ spans: [], rejected: 0 });
      // A partial-success response reads its PartialSuccess as a ResourceSpans whose bytes do not parse.
      const response = encodeTraceResponse('protobuf', { rejected: 1, errors: ['e'] });
      expect((await rejection(decode(response, PB))).message).to.match(/^protobuf: truncated or malformed message/);
    });

    it('JSON with wrong types: 400 outside spans, a rejected span inside one', async () => {
      const outside: [string, string][] = [
        ['[]', 'JSON: the request must be an object'],
        ['"resourceSpans"', 'JSON: the request must be an object'],
        ['{"resourceSpans":{"scopeSpans":[]}}', 'JSON: resourceSpans must be an array'],
        ['{"resourceSpans":[{"scopeSpans":[{"scope":{"name":1}}]}]}', 'JSON: resourceSpans[0].scopeSpans[0].scope.name must be a string'],
        ['{"resourceSpans":[{"resource":{"attributes":{}}}]}', 'JSON: resourceSpans[0].resource.attributes must be an array'],
        ['{"resourceSpans":[', 'JSON: '],
        ['{"resourceSpans":[]}x', 'JSON: '],
      ];
      for (const [text, message] of outside) {
        const error = await rejection(decode(Buffer.from(text), JSON_TYPE));
        expect(error, text).to.be.instanceOf(InvalidRequestError);
        expect(error.message, text).to.include(message);
        expect(error.grpcCode).to.equal(GrpcCode.INVALID_ARGUMENT);
      }
      const body = JSON.parse(jsonBody(spans).toString()) as { resourceSpans: { scopeSpans: { spans: Record<string, unknown>[] }[] }[] };
      const firstScope = body.resourceSpans[0]?.scopeSpans[0];
      if (firstScope?.spans[0] === undefined || firstScope.spans[1] === undefined) throw new Error('fixture shape');
      firstScope.spans[0].startTimeUnixNano = { nanos: 1 };
      firstScope.spans[1].attributes = [{ key: 'a', value: { intValue: true } }];
      const decoded = await decode(Buffer.from(JSON.stringify(body)), JSON_TYPE);
      expect(decoded.rejected).to.equal(2);
      expect(decoded.spans).to.have.length(spans.length - 2);
      expect(decoded.errors).to.deep.equal([
        'resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano must be an unsigned 64-bit integer (a decimal string or number)',
        'resourceSpans[0].scopeSpans[0].spans[1].attributes[0].value.intValue must be a 64-bit integer (a decimal string or number)',
      ]);
    });

    it('1 MB attribute values decode whole, with memory bounded by the body', async function () {
      this.timeout(60_000);
      const { provider, exporter } = memoryProvider();
      const tracer = provider.getTracer('big');
      const big = 'x'.repeat(MiB - 1) + 'é';
      for (let i = 0; i < 8; i++) tracer.startSpan(`big ${i}`, { attributes: { 'gen_ai.prompt': big, i } }).end();
      const made = exporter.getFinishedSpans();
      for (const [type, body] of [
        [PB, protobufBody(made)],
        [JSON_TYPE, jsonBody(made)],
      ] as const) {
        const before = process.memoryUsage().heapUsed;
        const decoded = await decode(body, type);
        const grown = process.memoryUsage().heapUsed - before;
        expect(decoded.spans).to.have.length(8);
        for (const span of decoded.spans) expect(span.attributes['gen_ai.prompt']).to.equal(big);
        console.log(`      ${type}: ${(body.length / MiB).toFixed(1)} MiB body, heap +${(grown / MiB).toFixed(1)} MiB`);
        expect(grown).to.be.below(6 * body.length);
      }
    });

    it('100,000 spans in one request decode (time logged, not asserted)', async function () {
      this.timeout(120_000);
      const { provider, exporter } = memoryProvider();
      const tracer = provider.getTracer('many', '1');
      for (let i = 0; i < 100_000; i++) {
        tracer.startSpan('chat gpt-4o', { attributes: { 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': i } }).end();
      }
      const made = exporter.getFinishedSpans();
      exporter.reset();
      for (const [type, body] of [
        [PB, protobufBody(made)],
        [JSON_TYPE, jsonBody(made)],
      ] as const) {
        const started = performance.now();
        const decoded = await decode(body, type);
        const ms = performance.now() - started;
        expect(decoded.spans).to.have.length(100_000);
        expect(decoded.rejected).to.equal(0);
        expect(decoded.spans[99_999]?.attributes['gen_ai.usage.input_tokens']).to.equal(99_999);
        console.log(`      ${type}: 100,000 spans, ${(body.length / MiB).toFixed(1)} MiB, decoded in ${ms.toFixed(0)} ms`);
      }
    });

    describe('deeply nested AnyValue', () => {
      const { ExportTraceServiceRequest: type } = otlpTypes();
      const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
      const tag = (field: number, wire: number): number => (field << 3) | wire;
      const message = (field: number, inner: Uint8Array): Uint8Array => protobuf.Writer.create().uint32(tag(field, 2)).bytes(inner).finish();
      const concat = (...parts: Uint8Array[]): Buffer => Buffer.concat(parts);

      /** A protobuf request with one span per depth, each with attribute `deep` nested `depth` AnyValues deep. */
      function protobufNested(depths: number[]): Buffer {
        const spansBytes = depths.map((depth, i) => {
          let value: Uint8Array = message(1, Buffer.from('leaf')); // AnyValue.string_value
          for (let level = 1; level < depth; level++) value = message(5, message(1, value)); // AnyValue{array_value{values}}
          const keyValue = concat(message(1, Buffer.from('deep')), message(2, value));
          const head = otlpTypes().ExportTraceServiceRequest.lookupType('opentelemetry.proto.trace.v1.Span');
          const base = head
            .encode(
              head.fromObject({
                traceId: Buffer.from(TRACE, 'hex'),
                spanId: Buffer.from(String(i + 1).padStart(16, '0'), 'hex'),
                name: `depth ${depth}`,
                startTimeUnixNano: 1,
                endTimeUnixNano: 2,
              }),
            )
            .finish();
          return message(2, concat(base, message(9, keyValue))); // ScopeSpans.spans
        });
        return Buffer.from(message(1, message(2, concat(...spansBytes)))); // Request.resource_spans{scope_spans}
      }

      it("protobuf: depth 32 accepted, 33 rejected per span; past protobufjs' 100 message levels: 400", async () => {
        const decoded = await decode(protobufNested([32, 33, 1]), PB);
        expect(decoded.spans.map((span) => span.name)).to.deep.equal(['depth 32', 'depth 1']);
        expect(decoded.rejected).to.equal(1);
        expect(decoded.errors[0]).to.match(
          /^resourceSpans\[0]\.scopeSpans\[0]\.spans\[1]\.attributes\[0]\.value(\.arrayValue\.values\[0]){32} is nested deeper than 32 levels$/,
        );
        const error = await rejection(decode(protobufNested([60]), PB));
        expect(error).to.be.instanceOf(InvalidRequestError);
        expect(error.message).to.equal('protobuf: messages nested too deeply (protobufjs allows 100 levels)');
        expect(type.decode(protobufNested([47]))).to.be.an('object'); // the deepest that protobufjs reads
      });

      it('JSON: 33 and 100,000 levels rejected per span, no stack overflow', async () => {
        const nested = (levels: number): string => `${'{"arrayValue":{"values":['.repeat(levels - 1)}{"stringValue":"leaf"}${']}}'.repeat(levels - 1)}`;
        const spanJson = (id: string, levels: number): string =>
          `{"traceId":"${TRACE}","spanId":"${id}","name":"d${levels}","startTimeUnixNano":"1","endTimeUnixNano":"2","attributes":[{"key":"deep","value":${nested(levels)}}]}`;
        const text = `{"resourceSpans":[{"scopeSpans":[{"spans":[${spanJson('0000000000000001', 32)},${spanJson('0000000000000002', 33)},${spanJson('0000000000000003', 100_000)}]}]}]}`;
        const decoded = await decode(Buffer.from(text), JSON_TYPE);
        expect(decoded.spans.map((span) => span.name)).to.deep.equal(['d32']);
        expect(decoded.rejected).to.equal(2);
      });
    });

    it('invalid trace/span ids: those spans rejected and counted, the rest accepted', async () => {
      const { ExportTraceServiceRequest: type } = otlpTypes();
      const good = { traceId: Buffer.alloc(16, 0xab), spanId: Buffer.alloc(8, 0xcd), name: 'good', startTimeUnixNano: 5, endTimeUnixNano: 6 };
      const body = Buffer.from(
        type
          .encode(
            type.fromObject({
              resourceSpans: [
                {
                  scopeSpans: [
                    {
                      spans: [
                        { ...good, traceId: Buffer.alloc(15, 1) },
                        { ...good, spanId: Buffer.alloc(8) },
                        { ...good, traceId: Buffer.alloc(0) },
                        { ...good, parentSpanId: Buffer.alloc(9, 1) },
                        { ...good, parentSpanId: Buffer.alloc(8) }, // all zeros: a root span
                        good,
                      ],
                    },
                  ],
                },
              ],
            }),
          )
          .finish(),
      );
      const decoded = await decode(body, PB);
      expect(decoded.rejected).to.equal(4);
      expect(decoded.spans).to.have.length(2);
      checkAll(decoded);
      expect(decoded.spans[0]).to.not.have.property('parentSpanId');
      expect(decoded.spans[0]?.traceId).to.equal('ab'.repeat(16));
      expect(decoded.errors).to.deep.equal([
        'resourceSpans[0].scopeSpans[0].spans[0].traceId must be 16 bytes (got 15)',
        'resourceSpans[0].scopeSpans[0].spans[1].spanId must not be all zeros',
        'resourceSpans[0].scopeSpans[0].spans[2].traceId is missing',
        'resourceSpans[0].scopeSpans[0].spans[3].parentSpanId must be 8 bytes (got 9)',
      ]);
    });
  });
});

describe('answer bodies', () => {
  it('full success: no partial_success (zero bytes / {}), readable by the OTel JS exporters', () => {
    expect(encodeTraceResponse('protobuf')).to.have.length(0);
    expect(encodeTraceResponse('protobuf', { rejected: 0, errors: [] })).to.have.length(0);
    expect(encodeTraceResponse('json').toString()).to.equal('{}');
    expect(ProtobufTraceSerializer.deserializeResponse(encodeTraceResponse('protobuf'))).to.deep.equal({});
    expect(JsonTraceSerializer.deserializeResponse(encodeTraceResponse('json'))).to.deep.equal({});
  });

  it('partial success: rejected_spans and the reasons, in either format', () => {
    const outcome = { rejected: 3, errors: ['a must be x', 'b must be y'] };
    const protobufBytes = encodeTraceResponse('protobuf', outcome);
    expect(ProtobufTraceSerializer.deserializeResponse(protobufBytes)).to.deep.equal({
      partialSuccess: { rejectedSpans: 3, errorMessage: 'a must be x; b must be y' },
    });
    const { ExportTraceServiceResponse: type } = otlpTypes();
    expect(type.toObject(type.decode(protobufBytes), { longs: Number })).to.deep.equal({
      partialSuccess: { rejectedSpans: 3, errorMessage: 'a must be x; b must be y' },
    });
    expect(JSON.parse(encodeTraceResponse('json', outcome).toString())).to.deep.equal({
      partialSuccess: { rejectedSpans: '3', errorMessage: 'a must be x; b must be y' },
    });
    // Warnings alone (rejected 0) still produce partial_success, as OTLP allows.
    expect(JSON.parse(encodeTraceResponse('json', { rejected: 0, errors: ['link dropped'] }).toString())).to.deep.equal({
      partialSuccess: { rejectedSpans: '0', errorMessage: 'link dropped' },
    });
  });

  it('google.rpc.Status for errors, in either format', () => {
    const error = new InvalidRequestError('protobuf: invalid wire type 7 at offset 1', 'protobuf');
    const status = statusOf(error);
    expect(status).to.deep.equal({ code: 3, message: 'protobuf: invalid wire type 7 at offset 1' });
    const bytes = encodeStatus('protobuf', status);
    expect([...bytes.subarray(0, 4)]).to.deep.equal([0x08, 0x03, 0x12, status.message.length]); // code=1 varint, message=2
    const { Status: type } = otlpTypes();
    expect(type.toObject(type.decode(bytes))).to.deep.equal(status);
    expect(JSON.parse(encodeStatus('json', status).toString())).to.deep.equal(status);
    expect(statusOf(new PayloadTooLargeError('big')).code).to.equal(GrpcCode.RESOURCE_EXHAUSTED);
    expect(statusOf(new UnsupportedMediaTypeError('no')).code).to.equal(GrpcCode.UNIMPLEMENTED);
  });

  it('cuts long messages', () => {
    const body = JSON.parse(encodeStatus('json', { code: 3, message: 'x'.repeat(10_000) }).toString()) as { message: string };
    expect(body.message).to.have.length(MAX_MESSAGE_CHARS);
  });
});
