/**
 * Property-based fuzzing of the decoders (fast-check), 10,500 cases in all: arbitrary bytes,
 * mutated real payloads (bytes, and span fields re-encoded), OTLP-shaped JSON with arbitrary values, through both content types
 * and the whole `decodeTraceRequest` (headers, compression). Properties: only our typed errors
 * escape, every case finishes quickly, and every accepted span satisfies the SpanRecord invariants.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { deflateSync, gzipSync } from 'node:zlib';
import type { OtlpConversion } from '../../src/model/from-otlp.js';
import { decodeTraceBody, decodeTraceRequest } from '../../src/receiver/decode.js';
import { otlpTypes } from '../../src/receiver/schema.js';
import { InvalidRequestError, isReceiverError, type OtlpFormat } from '../../src/receiver/errors.js';
import { spanProblem } from '../model/span-invariants.js';
import { complexValueSpan, jsonBody, protobufBody, variedSpans } from './sdk-fixtures.js';

/** No single case may take this long (a hang shows up as a time-out of the whole test instead). */
const MAX_CASE_MS = 2_000;
let slowest = 0;
/** Outcomes, to check that the generators reach the interesting paths (accepted and rejected spans). */
const seen = { accepted: 0, rejected: 0, refused: 0 };

function checkConversion(conversion: OtlpConversion): void {
  seen.accepted += conversion.spans.length;
  seen.rejected += conversion.rejected;
  expect(Number.isInteger(conversion.rejected) && conversion.rejected >= 0).to.equal(true);
  expect(conversion.errors.length).to.be.at.most(11);
  for (const error of conversion.errors) expect(error).to.be.a('string');
  for (const span of conversion.spans) {
    const problem = spanProblem(span);
    if (problem !== undefined) throw new Error(`accepted span ${span.spanId} breaks an invariant: ${problem}`);
  }
}

/** Decodes synchronously; only InvalidRequestError may escape. */
function decodeBodyProperty(body: Uint8Array, format: OtlpFormat): void {
  const started = performance.now();
  try {
    checkConversion(decodeTraceBody(Buffer.from(body.buffer, body.byteOffset, body.byteLength), format));
  } catch (error) {
    if (!(error instanceof InvalidRequestError)) throw error;
    seen.refused++;
    expect(error.message).to.match(format === 'protobuf' ? /^protobuf: / : /^JSON: /);
  } finally {
    slowest = Math.max(slowest, performance.now() - started);
  }
}

// ---- mutations of real payloads ----

type Edit =
  | { kind: 'set'; at: number; byte: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'truncate'; at: number };

const editArb: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

function mutate(base: Buffer, edits: readonly Edit[]): Buffer {
  let data = Buffer.from(base);
  for (const edit of edits) {
    const at = data.length === 0 ? 0 : edit.at % data.length;
    switch (edit.kind) {
      case 'set':
        if (data.length > 0) data[at] = edit.byte;
        break;
      case 'insert':
        data = Buffer.concat([data.subarray(0, at), edit.bytes, data.subarray(at)]);
        break;
      case 'delete':
        data = Buffer.concat([data.subarray(0, at), data.subarray(at + edit.length)]);
        break;
      case 'truncate':
        data = data.subarray(0, at);
        break;
    }
  }
  return data;
}

// ---- OTLP-shaped JSON whose every field may hold anything ----

/** Mostly a plausible value, sometimes any JSON value at all. */
const orAnything = <T>(plausible: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 15, arbitrary: plausible }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) });
const hexId = (digits: number): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 8, arbitrary: fc.stringMatching(new RegExp(`^[0-9a-fA-F]{${digits}}$`)) },
    { weight: 1, arbitrary: fc.constant('0'.repeat(digits)) },
    { weight: 1, arbitrary: fc.stringMatching(/^[0-9a-z]{0,40}$/) },
  );
const u64 = orAnything(fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n }).map(String), fc.nat(), fc.integer()));
/** Start and end times: mostly a valid pair (end ≥ start > 0), as strings or numbers. */
const times = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(fc.bigInt({ min: 1n, max: 2n ** 63n }), fc.bigInt({ min: 0n, max: 10n ** 12n }))
      .map(([start, d]) => ({ startTimeUnixNano: String(start), endTimeUnixNano: String(start + d) })),
  },
  { weight: 1, arbitrary: fc.record({ startTimeUnixNano: u64, endTimeUnixNano: u64 }, { requiredKeys: [] }) },
);
const { keyValue } = fc.letrec((tie) => ({
  anyValue: fc.oneof(
    { depthSize: 'small', maxDepth: 6 },
    { weight: 3, arbitrary: fc.record({ stringValue: orAnything(fc.string()) }) },
    fc.record({ boolValue: orAnything(fc.boolean()) }),
    fc.record({ intValue: orAnything(fc.oneof(fc.integer(), fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }).map(String))) }),
    fc.record({ doubleValue: orAnything(fc.oneof(fc.double(), fc.constantFrom('NaN', 'Infinity', '-Infinity', '1e3'))) }),
    fc.record({ bytesValue: orAnything(fc.base64String()) }),
    fc.record({ arrayValue: fc.record({ values: fc.array(tie('anyValue'), { maxLength: 3 }) }, { requiredKeys: [] }) }),
    fc.record({ kvlistValue: fc.record({ values: fc.array(tie('keyValue'), { maxLength: 3 }) }, { requiredKeys: [] }) }),
    { weight: 1, arbitrary: fc.record({ stringValue: fc.string(), intValue: fc.integer() }) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) },
  ),
  keyValue: fc.record({ key: orAnything(fc.string()), value: tie('anyValue') }, { requiredKeys: [] }),
}));
const attributes = orAnything(fc.array(keyValue, { maxLength: 4 }));
const span = fc
  .tuple(
    fc.record(
      {
        traceId: orAnything(hexId(32)),
        spanId: orAnything(hexId(16)),
        parentSpanId: orAnything(hexId(16)),
        name: orAnything(fc.string()),
        kind: orAnything(fc.integer({ min: -1, max: 7 })),
        attributes,
        events: orAnything(fc.array(fc.record({ name: orAnything(fc.string()), timeUnixNano: u64, attributes }, { requiredKeys: [] }), { maxLength: 2 })),
        links: orAnything(
          fc.array(fc.record({ traceId: orAnything(hexId(32)), spanId: orAnything(hexId(16)), attributes }, { requiredKeys: [] }), { maxLength: 2 }),
        ),
        status: orAnything(fc.record({ code: orAnything(fc.integer({ min: -1, max: 4 })), message: orAnything(fc.string()) }, { requiredKeys: [] })),
      },
      { requiredKeys: ['traceId', 'spanId'] },
    ),
    times,
  )
  .map(([fields, time]) => ({ ...fields, ...time }));
const otlpJson = fc.record({
  resourceSpans: orAnything(
    fc.array(
      fc.record(
        {
          resource: orAnything(fc.record({ attributes }, { requiredKeys: [] })),
          scopeSpans: orAnything(
            fc.array(
              fc.record(
                {
                  scope: orAnything(fc.record({ name: orAnything(fc.string()), version: orAnything(fc.string()) }, { requiredKeys: [] })),
                  spans: orAnything(fc.array(span, { maxLength: 4 })),
                },
                { requiredKeys: [] },
              ),
              { maxLength: 2 },
            ),
          ),
        },
        { requiredKeys: [] },
      ),
      { maxLength: 2 },
    ),
  ),
});

// ---- protobuf requests re-encoded with random, well-typed span fields ----

const { pbKeyValue } = fc.letrec((tie) => ({
  pbValue: fc.oneof(
    { depthSize: 'small', maxDepth: 5 },
    fc.record({ stringValue: fc.string() }),
    fc.record({ boolValue: fc.boolean() }),
    fc.record({ intValue: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String) }),
    fc.record({ doubleValue: fc.double() }),
    fc.record({ bytesValue: fc.uint8Array({ maxLength: 8 }).map((bytes) => Buffer.from(bytes)) }),
    fc.constant({}),
    fc.record({ arrayValue: fc.record({ values: fc.array(tie('pbValue'), { maxLength: 3 }) }) }),
    fc.record({ kvlistValue: fc.record({ values: fc.array(tie('pbKeyValue'), { maxLength: 3 }) }) }),
    // Chains past the decoder's 32 AnyValue levels; at most 38, so that even under 5 nested
    // kvlists (3 messages each) and an event, the encoder stays within protobufjs's 100 levels.
    fc.integer({ min: 1, max: 38 }).map((levels) => {
      let value: Record<string, unknown> = { stringValue: 'leaf' };
      for (let i = 1; i < levels; i++) value = { arrayValue: { values: [value] } };
      return value;
    }),
  ),
  pbKeyValue: fc.record({ key: fc.string(), value: tie('pbValue') }, { requiredKeys: [] }),
}));
const idBytes = (size: number): fc.Arbitrary<Buffer> =>
  fc
    .oneof(
      { weight: 6, arbitrary: fc.uint8Array({ minLength: size, maxLength: size }) },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 20 }) },
      { weight: 1, arbitrary: fc.constant(new Uint8Array(size)) },
    )
    .map((bytes) => Buffer.from(bytes));
const pbU64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String);
const pbSpanEdits = fc.record(
  {
    traceId: idBytes(16),
    spanId: idBytes(8),
    parentSpanId: idBytes(8),
    kind: fc.integer({ min: -3, max: 9 }),
    startTimeUnixNano: pbU64,
    endTimeUnixNano: pbU64,
    attributes: fc.array(pbKeyValue, { maxLength: 4 }),
    links: fc.array(fc.record({ traceId: idBytes(16), spanId: idBytes(8), attributes: fc.array(pbKeyValue, { maxLength: 2 }) }), { maxLength: 2 }),
    status: fc.record({ code: fc.integer({ min: -1, max: 4 }), message: fc.string() }, { requiredKeys: [] }),
  },
  { requiredKeys: [] },
);

describe('decoder fuzzing (fast-check)', function () {
  this.timeout(120_000);
  const sdkSpans = variedSpans();
  const first = sdkSpans[0];
  if (first === undefined) throw new Error('no SDK spans');
  const spans = [...sdkSpans, complexValueSpan(first)];
  const protobufBases = [protobufBody(spans), protobufBody(sdkSpans.slice(0, 1))];
  const jsonBases = [jsonBody(spans), jsonBody(sdkSpans.slice(0, 1))];

  after(() => {
    console.log(`      slowest case: ${slowest.toFixed(1)} ms`);
    expect(slowest).to.be.below(MAX_CASE_MS);
  });

  /** Runs `run` and checks that it accepted and rejected spans (when `both`) or refused requests. */
  function reaches(run: () => void, expectation: { accepted?: boolean; rejected?: boolean; refused?: boolean }): void {
    const before = { ...seen };
    run();
    const delta = { accepted: seen.accepted - before.accepted, rejected: seen.rejected - before.rejected, refused: seen.refused - before.refused };
    console.log(`      spans accepted ${delta.accepted}, spans rejected ${delta.rejected}, requests refused ${delta.refused}`);
    if (expectation.accepted === true) expect(delta.accepted).to.be.above(0);
    if (expectation.rejected === true) expect(delta.rejected).to.be.above(0);
    if (expectation.refused === true) expect(delta.refused).to.be.above(0);
  }

  it('arbitrary bytes as protobuf (3,000 cases)', () => {
    reaches(
      () => {
        fc.assert(
          fc.property(fc.uint8Array({ maxLength: 600 }), (body) => {
            decodeBodyProperty(body, 'protobuf');
          }),
          { numRuns: 3_000 },
        );
      },
      { refused: true },
    );
  });

  it('mutated real protobuf payloads (2,000 cases)', () => {
    reaches(
      () => {
        fc.assert(
          fc.property(fc.constantFrom(...protobufBases), fc.array(editArb, { minLength: 1, maxLength: 6 }), (base, edits) => {
            decodeBodyProperty(mutate(base, edits), 'protobuf');
          }),
          { numRuns: 2_000 },
        );
      },
      { accepted: true, refused: true },
    );
  });

  it('real protobuf payloads with random well-typed span fields (1,000 cases)', () => {
    const { ExportTraceServiceRequest: type } = otlpTypes();
    const base = type.toObject(type.decode(protobufBases[0] ?? Buffer.alloc(0)), { longs: String }) as {
      resourceSpans: { scopeSpans: { spans: Record<string, unknown>[] }[] }[];
    };
    const slots = base.resourceSpans.flatMap((rs, r) => rs.scopeSpans.flatMap((ss, s) => ss.spans.map((_, i) => [r, s, i] as const)));
    reaches(
      () => {
        fc.assert(
          fc.property(fc.array(fc.tuple(fc.constantFrom(...slots), pbSpanEdits), { minLength: 1, maxLength: 4 }), (edits) => {
            const request = structuredClone(base);
            for (const [[r, s, i], fields] of edits) {
              const spans = request.resourceSpans[r]?.scopeSpans[s]?.spans;
              if (spans?.[i] !== undefined) spans[i] = { ...spans[i], ...fields };
            }
            decodeBodyProperty(type.encode(type.fromObject(request)).finish(), 'protobuf');
          }),
          { numRuns: 1_000 },
        );
      },
      { accepted: true, rejected: true },
    );
  });

  it('OTLP-shaped JSON with arbitrary values (2,000 cases)', () => {
    reaches(
      () => {
        fc.assert(
          fc.property(otlpJson, (request) => {
            decodeBodyProperty(Buffer.from(JSON.stringify(request)), 'json');
          }),
          { numRuns: 2_000 },
        );
      },
      { accepted: true, rejected: true, refused: true },
    );
  });

  it('arbitrary JSON and mutated real JSON payloads (1,000 + 1,000 cases)', () => {
    fc.assert(
      fc.property(fc.json({ maxDepth: 4 }), (text) => {
        decodeBodyProperty(Buffer.from(text), 'json');
      }),
      { numRuns: 1_000 },
    );
    fc.assert(
      fc.property(fc.constantFrom(...jsonBases), fc.array(editArb, { minLength: 1, maxLength: 4 }), (base, edits) => {
        decodeBodyProperty(mutate(base, edits), 'json');
      }),
      { numRuns: 1_000 },
    );
  });

  it('the whole request: arbitrary headers, compression and bodies (500 cases)', async () => {
    const compressions = { none: (b: Buffer) => b, gzip: (b: Buffer) => gzipSync(b), deflate: (b: Buffer) => deflateSync(b) };
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...protobufBases, ...jsonBases),
        fc.constantFrom(...(Object.keys(compressions) as (keyof typeof compressions)[])),
        fc.array(editArb, { maxLength: 3 }),
        fc.constantFrom(
          'application/x-protobuf',
          'application/json',
          'application/json; charset=utf-8',
          'text/plain',
          '',
          undefined,
          'application/x-protobuf;;',
        ),
        fc.constantFrom(undefined, '', 'identity', 'gzip', 'deflate', 'zlib', 'br', 'gzip, deflate'),
        fc.integer({ min: 0, max: 8192 }),
        async (base, compression, edits, contentType, contentEncoding, maxBodyBytes) => {
          const body = mutate(compressions[compression](base), edits);
          const started = performance.now();
          try {
            checkConversion(await decodeTraceRequest(body, contentType, contentEncoding, { maxBodyBytes }));
          } catch (error) {
            if (!isReceiverError(error)) throw error;
            expect([400, 413, 415]).to.include(error.httpStatus);
          } finally {
            slowest = Math.max(slowest, performance.now() - started);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
