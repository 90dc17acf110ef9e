import { expect } from 'chai';
import { fromOtlpTraceRequest, OtlpShapeError } from '../../src/model/from-otlp.js';
import type { SpanRecord } from '../../src/model/span-record.js';
import { otlpTypes } from '../../src/receiver/schema.js';
import { spanProblem } from './span-invariants.js';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const SPAN = 'b7ad6b7169203331';
const PARENT = '00f067aa0ba902b7';
const START = '1700000000000000000';
const END = '1700000000500000000';

type Json = Record<string, unknown>;

/** A valid OTLP JSON span, with `overrides` applied (an `undefined` override deletes the key). */
function span(overrides: Json = {}): Json {
  const base: Json = { traceId: TRACE, spanId: SPAN, name: 'op', kind: 1, startTimeUnixNano: START, endTimeUnixNano: END };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) Reflect.deleteProperty(base, key);
    else base[key] = value;
  }
  return base;
}

function request(...spans: unknown[]): Json {
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
        scopeSpans: [{ scope: { name: 'scope', version: '1.0' }, spans }],
      },
    ],
  };
}

const attr = (key: string, value: unknown): Json => ({ key, value });

function only(conversion: ReturnType<typeof fromOtlpTraceRequest>): SpanRecord {
  expect(conversion.rejected, conversion.errors.join('\n')).to.equal(0);
  expect(conversion.spans).to.have.length(1);
  const record = conversion.spans[0];
  if (record === undefined) throw new Error('no span');
  expect(spanProblem(record)).to.equal(undefined);
  return record;
}

describe('fromOtlpTraceRequest', () => {
  describe('OTLP JSON', () => {
    it('converts every field: ids lowercased, times as bigint, unknown keys ignored', () => {
      const record = only(
        fromOtlpTraceRequest(
          request(
            span({
              traceId: TRACE.toUpperCase(),
              spanId: SPAN.toUpperCase(),
              parentSpanId: PARENT,
              traceState: 'k=v',
              flags: 257,
              kind: 3,
              startTimeUnixNano: 1_700_000_000_000, // numbers are accepted too
              endTimeUnixNano: '1700000000000000001',
              droppedAttributesCount: 4,
              someFutureField: { nested: true },
              events: [{ name: 'e', timeUnixNano: '1700000000000000000', attributes: [attr('k', { boolValue: true })], droppedAttributesCount: 0 }],
              links: [{ traceId: TRACE, spanId: PARENT, traceState: '', attributes: [attr('l', { intValue: '3' })], flags: 1 }],
              status: { code: 2, message: 'boom' },
            }),
          ),
        ),
      );
      expect(record).to.deep.equal({
        traceId: TRACE,
        spanId: SPAN,
        parentSpanId: PARENT,
        name: 'op',
        kind: 'client',
        startTimeUnixNano: 1_700_000_000_000n,
        endTimeUnixNano: 1_700_000_000_000_000_001n,
        attributes: {},
        events: [{ name: 'e', timeUnixNano: 1_700_000_000_000_000_000n, attributes: { k: true } }],
        links: [{ traceId: TRACE, spanId: PARENT, attributes: { l: 3 } }],
        status: { code: 'error', message: 'boom' },
        origin: { resource: { 'service.name': 'svc' }, scopeName: 'scope', scopeVersion: '1.0' },
      });
    });

    it('unwraps every AnyValue form', () => {
      const attributes = [
        attr('s', { stringValue: 'text' }),
        attr('emptyString', { stringValue: '' }),
        attr('b', { boolValue: false }),
        attr('intNumber', { intValue: 12 }),
        attr('intString', { intValue: '-12' }),
        attr('unsafe', { intValue: '9007199254740993' }),
        attr('minInt64', { intValue: '-9223372036854775808' }),
        attr('unsafeNumber', { intValue: 2 ** 60 }),
        attr('d', { doubleValue: 0.5 }),
        attr('dString', { doubleValue: '2.5e3' }),
        attr('nan', { doubleValue: 'NaN' }),
        attr('inf', { doubleValue: '-Infinity' }),
        attr('bytes', { bytesValue: 'AAEC/v8=' }),
        attr('urlSafeBytes', { bytesValue: '-_8' }),
        attr('array', { arrayValue: { values: [{ intValue: 1 }, { stringValue: 'a' }, {}, { arrayValue: {} }] } }),
        attr('kvlist', { kvlistValue: { values: [attr('x', { doubleValue: 1 }), attr('y', { kvlistValue: { values: [] } })] } }),
        attr('empty', {}),
        attr('nullValue', null),
        attr('noValue', undefined),
        attr('nullMember', { stringValue: null, intValue: 5 }),
        { value: { stringValue: 'keyless' } },
      ];
      const record = only(fromOtlpTraceRequest(request(span({ attributes }))));
      expect(record.attributes).to.deep.equal({
        s: 'text',
        emptyString: '',
        b: false,
        intNumber: 12,
        intString: -12,
        unsafe: 9007199254740993n,
        minInt64: -9223372036854775808n,
        unsafeNumber: 2n ** 60n,
        d: 0.5,
        dString: 2500,
        nan: Number.NaN,
        inf: Number.NEGATIVE_INFINITY,
        bytes: new Uint8Array([0, 1, 2, 254, 255]),
        urlSafeBytes: new Uint8Array([0xfb, 0xff]),
        array: [1, 'a', null, []],
        kvlist: { x: 1, y: {} },
        empty: null,
        nullValue: null,
        noValue: null,
        nullMember: 5,
        '': 'keyless',
      });
    });

    it('keeps a __proto__ key as data and lets the last duplicate key win', () => {
      const record = only(
        fromOtlpTraceRequest(
          request(span({ attributes: [attr('__proto__', { stringValue: 'x' }), attr('dup', { intValue: 1 }), attr('dup', { intValue: 2 })] })),
        ),
      );
      expect(Object.getPrototypeOf(record.attributes)).to.equal(Object.prototype);
      expect(Object.keys(record.attributes)).to.deep.equal(['__proto__', 'dup']);
      expect(Object.getOwnPropertyDescriptor(record.attributes, '__proto__')?.value).to.equal('x');
      expect(record.attributes.dup).to.equal(2);
    });

    it('reads absent, empty and all-zero parent ids as a root span', () => {
      for (const parentSpanId of [undefined, null, '', '0000000000000000']) {
        const record = only(fromOtlpTraceRequest(request(span({ parentSpanId }))));
        expect(record).to.not.have.property('parentSpanId');
      }
    });

    it('reads enums as integers (unknown ones as unspecified/unset) and also by proto name', () => {
      const kinds = [0, 1, 2, 3, 4, 5, 9, -1, 'SPAN_KIND_SERVER', null].map((kind) => only(fromOtlpTraceRequest(request(span({ kind })))).kind);
      expect(kinds).to.deep.equal([
        'unspecified',
        'internal',
        'server',
        'client',
        'producer',
        'consumer',
        'unspecified',
        'unspecified',
        'server',
        'unspecified',
      ]);
      const codes = [0, 1, 2, 7, 'STATUS_CODE_ERROR'].map((code) => only(fromOtlpTraceRequest(request(span({ status: { code } })))).status);
      expect(codes).to.deep.equal([{ code: 'unset' }, { code: 'ok' }, { code: 'error' }, { code: 'unset' }, { code: 'error' }]);
    });

    it('shares one origin per scope and one resource per resource entry', () => {
      const conversion = fromOtlpTraceRequest({
        resourceSpans: [
          {
            resource: { attributes: [attr('service.name', { stringValue: 'a' })] },
            scopeSpans: [
              { scope: { name: 'one', version: '' }, spans: [span({ spanId: '1000000000000001' }), span({ spanId: '1000000000000002' })] },
              { spans: [span({ spanId: '1000000000000003' })] },
            ],
          },
          { scopeSpans: [{ scope: { name: 'two', version: '2' }, spans: [span({ spanId: '1000000000000004' })] }] },
        ],
      });
      const [s1, s2, s3, s4] = conversion.spans;
      if (s1 === undefined || s2 === undefined || s3 === undefined || s4 === undefined) throw new Error('missing spans');
      expect(s1.origin).to.equal(s2.origin);
      expect(s1.origin).to.deep.equal({ resource: { 'service.name': 'a' }, scopeName: 'one' });
      expect(s3.origin).to.not.equal(s1.origin);
      expect(s3.origin.resource).to.equal(s1.origin.resource);
      expect(s3.origin).to.deep.equal({ resource: { 'service.name': 'a' }, scopeName: '' });
      expect(s4.origin).to.deep.equal({ resource: {}, scopeName: 'two', scopeVersion: '2' });
    });

    it('accepts an empty request', () => {
      for (const empty of [{}, { resourceSpans: [] }, { resourceSpans: null }, { resourceSpans: [{}] }, { resourceSpans: [{ scopeSpans: [{}] }] }]) {
        expect(fromOtlpTraceRequest(empty)).to.deep.equal({ spans: [], rejected: 0, errors: [] });
      }
    });
  });

  describe('per-span rejection', () => {
    const at = 'resourceSpans[0].scopeSpans[0].spans[0]';
    const cases: [string, unknown, string][] = [
      ['missing trace id', span({ traceId: undefined }), `${at}.traceId is missing`],
      ['short trace id', span({ traceId: TRACE.slice(2) }), `${at}.traceId must be 32 hex digits (got "${TRACE.slice(2)}")`],
      ['non-hex trace id', span({ traceId: 'z'.repeat(32) }), `${at}.traceId must be 32 hex digits (got "${'z'.repeat(32)}")`],
      ['long garbage id', span({ traceId: 'x'.repeat(1000) }), `${at}.traceId must be 32 hex digits (got 1000 characters)`],
      ['base64 trace id', span({ traceId: 'CvdlGRbNQ92ESOshHIAxnA==' }), `${at}.traceId must be 32 hex digits (got "CvdlGRbNQ92ESOshHIAxnA==")`],
      ['all-zero trace id', span({ traceId: '0'.repeat(32) }), `${at}.traceId must not be all zeros`],
      ['all-zero span id', span({ spanId: '0'.repeat(16) }), `${at}.spanId must not be all zeros`],
      ['numeric span id', span({ spanId: 12 }), `${at}.spanId must be a hex string`],
      ['bad parent id', span({ parentSpanId: 'abc' }), `${at}.parentSpanId must be 16 hex digits (got "abc")`],
      ['missing start', span({ startTimeUnixNano: undefined }), `${at}.startTimeUnixNano is missing (0)`],
      ['end before start', span({ endTimeUnixNano: '1' }), `${at}.endTimeUnixNano is before startTimeUnixNano`],
      ['negative time', span({ endTimeUnixNano: -1 }), `${at}.endTimeUnixNano is out of the unsigned 64-bit range`],
      ['time past u64', span({ endTimeUnixNano: '18446744073709551616' }), `${at}.endTimeUnixNano is out of the unsigned 64-bit range`],
      ['time as text', span({ startTimeUnixNano: 'soon' }), `${at}.startTimeUnixNano must be an unsigned 64-bit integer (a decimal string or number)`],
      ['name not a string', span({ name: 5 }), `${at}.name must be a string`],
      ['kind as lowercase name', span({ kind: 'server' }), `${at}.kind must be an integer`],
      ['kind not an integer', span({ kind: 1.5 }), `${at}.kind must be an integer`],
      ['attributes not a list', span({ attributes: { a: 1 } }), `${at}.attributes must be an array`],
      ['attribute not a KeyValue', span({ attributes: ['a'] }), `${at}.attributes[0] must be an object (KeyValue)`],
      ['key not a string', span({ attributes: [attr(1 as unknown as string, {})] }), `${at}.attributes[0].key must be a string`],
      ['value not an AnyValue', span({ attributes: [attr('a', 'plain')] }), `${at}.attributes[0].value must be an object (AnyValue)`],
      ['fractional int', span({ attributes: [attr('a', { intValue: 1.5 })] }), `${at}.attributes[0].value.intValue must be an integer`],
      [
        'int text',
        span({ attributes: [attr('a', { intValue: '12a' })] }),
        `${at}.attributes[0].value.intValue must be a 64-bit integer (a decimal string or number)`,
      ],
      [
        'int past int64',
        span({ attributes: [attr('a', { intValue: '9223372036854775808' })] }),
        `${at}.attributes[0].value.intValue is out of the signed 64-bit range`,
      ],
      [
        'int number past int64',
        span({ attributes: [attr('a', { intValue: 2 ** 63 })] }),
        `${at}.attributes[0].value.intValue is out of the signed 64-bit range`,
      ],
      ['double text', span({ attributes: [attr('a', { doubleValue: 'abc' })] }), `${at}.attributes[0].value.doubleValue must be a number`],
      ['bool text', span({ attributes: [attr('a', { boolValue: 'true' })] }), `${at}.attributes[0].value.boolValue must be a boolean`],
      ['string number', span({ attributes: [attr('a', { stringValue: 3 })] }), `${at}.attributes[0].value.stringValue must be a string`],
      ['bad base64', span({ attributes: [attr('a', { bytesValue: '!!!!' })] }), `${at}.attributes[0].value.bytesValue must be base64`],
      [
        'two values',
        span({ attributes: [attr('a', { stringValue: 'x', intValue: 1 })] }),
        `${at}.attributes[0].value must hold one value, not both stringValue and intValue`,
      ],
      [
        'array values not a list',
        span({ attributes: [attr('a', { arrayValue: { values: 'x' } })] }),
        `${at}.attributes[0].value.arrayValue.values must be an array`,
      ],
      [
        'bad nested value',
        span({ attributes: [attr('ok', {}), attr('a', { kvlistValue: { values: [attr('k', { arrayValue: { values: [{}, { intValue: 'x' }] } })] } })] }),
        `${at}.attributes[1].value.kvlistValue.values[0].value.arrayValue.values[1].intValue must be a 64-bit integer (a decimal string or number)`,
      ],
      ['events not a list', span({ events: {} }), `${at}.events must be an array`],
      [
        'bad event time',
        span({ events: [{ name: 'e' }, { timeUnixNano: 'x' }] }),
        `${at}.events[1].timeUnixNano must be an unsigned 64-bit integer (a decimal string or number)`,
      ],
      [
        'bad event attribute',
        span({ events: [{ attributes: [attr('a', { boolValue: 1 })] }] }),
        `${at}.events[0].attributes[0].value.boolValue must be a boolean`,
      ],
      ['link not an object', span({ links: [3] }), `${at}.links[0] must be an object`],
      ['bad link attribute', span({ links: [{ traceId: TRACE, spanId: SPAN, attributes: 'x' }] }), `${at}.links[0].attributes must be an array`],
      ['status not an object', span({ status: 'error' }), `${at}.status must be an object`],
      ['status code text', span({ status: { code: 'ERROR' } }), `${at}.status.code must be an integer`],
      ['status message number', span({ status: { message: 1 } }), `${at}.status.message must be a string`],
      ['span not an object', 'span', `${at} must be an object`],
      ['span is an array', [], `${at} must be an object`],
    ];
    for (const [title, bad, reason] of cases) {
      it(`rejects the span, keeps the others: ${title}`, () => {
        const conversion = fromOtlpTraceRequest(request(bad, span({ spanId: PARENT })));
        expect(conversion.errors).to.deep.equal([reason]);
        expect(conversion.rejected).to.equal(1);
        expect(conversion.spans.map((s) => s.spanId)).to.deep.equal([PARENT]);
      });
    }

    it('limits AnyValue nesting to 32 levels (configurable), without recursing further', () => {
      const nested = (levels: number): Json => {
        let value: Json = { stringValue: 'leaf' };
        for (let i = 1; i < levels; i++) value = { arrayValue: { values: [value] } };
        return value;
      };
      expect(only(fromOtlpTraceRequest(request(span({ attributes: [attr('deep', nested(32))] })))).attributes).to.have.property('deep');
      const tooDeep = fromOtlpTraceRequest(request(span({ attributes: [attr('deep', nested(33))] })));
      expect(tooDeep.rejected).to.equal(1);
      expect(tooDeep.errors[0]).to.match(
        /^resourceSpans\[0]\.scopeSpans\[0]\.spans\[0]\.attributes\[0]\.value(\.arrayValue\.values\[0]){32} is nested deeper than 32 levels$/,
      );
      const veryDeep = fromOtlpTraceRequest(request(span({ attributes: [attr('deep', nested(100_000))] })));
      expect(veryDeep.rejected).to.equal(1);
      expect(fromOtlpTraceRequest(request(span({ attributes: [attr('deep', nested(3))] })), { maxValueDepth: 2 }).rejected).to.equal(1);
    });

    it('drops a link with bad ids but keeps its span, with a warning', () => {
      const conversion = fromOtlpTraceRequest(
        request(
          span({
            links: [
              { traceId: '0'.repeat(32), spanId: '0'.repeat(16) },
              { traceId: TRACE, spanId: PARENT, attributes: [attr('kept', { boolValue: true })] },
              { spanId: PARENT },
            ],
          }),
        ),
      );
      expect(conversion.rejected).to.equal(0);
      expect(conversion.spans[0]?.links).to.deep.equal([{ traceId: TRACE, spanId: PARENT, attributes: { kept: true } }]);
      expect(conversion.errors).to.deep.equal([
        'resourceSpans[0].scopeSpans[0].spans[0].links[0].traceId must not be all zeros: link dropped',
        'resourceSpans[0].scopeSpans[0].spans[0].links[2].traceId is missing: link dropped',
      ]);
    });

    it('counts every rejection but keeps at most 10 reasons', () => {
      const bad = Array.from({ length: 25 }, () => span({ traceId: 'nope' }));
      const conversion = fromOtlpTraceRequest(request(...bad));
      expect(conversion.rejected).to.equal(25);
      expect(conversion.errors).to.have.length(11);
      expect(conversion.errors[9]).to.equal('resourceSpans[0].scopeSpans[0].spans[9].traceId must be 32 hex digits (got "nope")');
      expect(conversion.errors[10]).to.equal('… 15 more');
    });
  });

  describe('a request that is not an ExportTraceServiceRequest', () => {
    const cases: [string, unknown, string][] = [
      ['an array', [], 'the request must be an object'],
      ['a string', 'x', 'the request must be an object'],
      ['null', null, 'the request must be an object'],
      ['resourceSpans an object', { resourceSpans: {} }, 'resourceSpans must be an array'],
      ['a resourceSpans entry a number', { resourceSpans: [1] }, 'resourceSpans[0] must be an object'],
      ['scopeSpans a string', { resourceSpans: [{ scopeSpans: 's' }] }, 'resourceSpans[0].scopeSpans must be an array'],
      ['spans an object', { resourceSpans: [{ scopeSpans: [{ spans: {} }] }] }, 'resourceSpans[0].scopeSpans[0].spans must be an array'],
      ['a scope a string', { resourceSpans: [{ scopeSpans: [{ scope: 'x' }] }] }, 'resourceSpans[0].scopeSpans[0].scope must be an object'],
      ['a scope name a number', { resourceSpans: [{ scopeSpans: [{ scope: { name: 1 } }] }] }, 'resourceSpans[0].scopeSpans[0].scope.name must be a string'],
      ['a resource a list', { resourceSpans: [{ resource: [] }] }, 'resourceSpans[0].resource must be an object'],
      [
        'a bad resource attribute',
        { resourceSpans: [{ resource: { attributes: [attr('a', { intValue: true })] } }] },
        'resourceSpans[0].resource.attributes[0].value.intValue must be a 64-bit integer (a decimal string or number)',
      ],
    ];
    for (const [title, bad, message] of cases) {
      it(`throws OtlpShapeError: ${title}`, () => {
        expect(() => fromOtlpTraceRequest(bad)).to.throw(OtlpShapeError, message);
      });
    }
  });

  describe('protobufjs input', () => {
    const { ExportTraceServiceRequest: type } = otlpTypes();
    const hex = (text: string): Buffer => Buffer.from(text, 'hex');
    const encoded = type
      .encode(
        type.fromObject({
          resourceSpans: [
            {
              resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
              scopeSpans: [
                {
                  scope: { name: 'scope' },
                  spans: [
                    {
                      traceId: hex(TRACE),
                      spanId: hex(SPAN),
                      parentSpanId: hex(PARENT),
                      name: 'op',
                      kind: 2,
                      startTimeUnixNano: START,
                      endTimeUnixNano: END,
                      attributes: [
                        { key: 'big', value: { intValue: '-9007199254740993' } },
                        { key: 'small', value: { intValue: -5 } },
                        { key: 'bytes', value: { bytesValue: Buffer.from([1, 2, 3]) } },
                        { key: 'emptyString', value: { stringValue: '' } },
                        { key: 'zero', value: { intValue: 0 } },
                        { key: 'list', value: { arrayValue: { values: [{ boolValue: true }, {}] } } },
                        { key: 'map', value: { kvlistValue: { values: [{ key: 'x', value: { doubleValue: 0 } }] } } },
                      ],
                      events: [{ timeUnixNano: START, name: 'ev' }],
                      status: { code: 1 },
                    },
                  ],
                },
              ],
            },
          ],
        }),
      )
      .finish();
    const expected: SpanRecord = {
      traceId: TRACE,
      spanId: SPAN,
      parentSpanId: PARENT,
      name: 'op',
      kind: 'server',
      startTimeUnixNano: BigInt(START),
      endTimeUnixNano: BigInt(END),
      attributes: { big: -9007199254740993n, small: -5, bytes: new Uint8Array([1, 2, 3]), emptyString: '', zero: 0, list: [true, null], map: { x: 0 } },
      events: [{ name: 'ev', timeUnixNano: BigInt(START), attributes: {} }],
      links: [],
      status: { code: 'ok' },
      origin: { resource: { 'service.name': 'svc' }, scopeName: 'scope' },
    };

    it('reads a decoded message, its toObject() and its toObject({longs: String}) alike', () => {
      const message = type.decode(encoded);
      for (const form of [
        message,
        type.toObject(message),
        type.toObject(message, { longs: String }),
        type.toObject(message, { longs: String, defaults: true }),
      ]) {
        expect(only(fromOtlpTraceRequest(form))).to.deep.equal(expected);
      }
    });

    it('copies bytes values out of the request buffer', () => {
      const record = only(fromOtlpTraceRequest(type.decode(Buffer.from(encoded))));
      const bytes = record.attributes.bytes;
      expect(bytes).to.be.instanceOf(Uint8Array);
      expect(Buffer.isBuffer(bytes)).to.equal(false);
      expect((bytes as Uint8Array).buffer.byteLength).to.equal(3);
    });
  });
});
