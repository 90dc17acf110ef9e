import { expect } from 'chai';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { JsonLogsSerializer, ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import { fromOtlpLogsRequest } from '../../src/model/from-otlp-logs.js';
import { OtlpShapeError } from '../../src/model/otlp-reader.js';
import { otlpTypes } from '../../src/receiver/schema.js';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const SPAN_ID = 'b7ad6b7169203331';

/** Log records made by the OTel JS SDK, as the SDK's own OTLP serializers encode them. */
function sdkLogs(): { protobuf: unknown; json: unknown } {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'logs-test' }),
    processors: [new SimpleLogRecordProcessor({ exporter })],
  });
  const logger = provider.getLogger('genai-events', '1.2.3');
  const context = trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED });
  logger.emit({
    eventName: 'gen_ai.user.message',
    context,
    severityNumber: SeverityNumber.INFO,
    timestamp: 1_760_000_000_123,
    body: { content: 'Hello' },
    attributes: { 'gen_ai.system': 'openai' },
  });
  logger.emit({ body: 'a plain log line' });
  const records = exporter.getFinishedLogRecords();
  const bytes = ProtobufLogsSerializer.serializeRequest(records);
  const json = JsonLogsSerializer.serializeRequest(records);
  if (!bytes || !json) throw new Error('the SDK serializers returned nothing');
  return { protobuf: otlpTypes().signals.logs.request.decode(bytes), json: JSON.parse(Buffer.from(json).toString('utf8')) as unknown };
}

describe('fromOtlpLogsRequest', () => {
  const payloads = sdkLogs();
  for (const format of ['protobuf', 'json'] as const) {
    it(`reads the OTel JS SDK's ${format} log records: ids, event name, time, body, attributes, origin`, () => {
      const { items, rejected, errors } = fromOtlpLogsRequest(payloads[format]);
      expect(rejected).to.equal(0);
      expect(errors).to.deep.equal([]);
      expect(items).to.have.length(2);
      const [event, line] = items;
      expect(event).to.deep.include({
        traceId: TRACE_ID,
        spanId: SPAN_ID,
        eventName: 'gen_ai.user.message',
        timeUnixNano: 1_760_000_000_123_000_000n,
        severityNumber: 9,
        body: { content: 'Hello' },
        attributes: { 'gen_ai.system': 'openai' },
      });
      expect(event?.origin).to.deep.include({ scopeName: 'genai-events', scopeVersion: '1.2.3' });
      expect(event?.origin.resource['service.name']).to.equal('logs-test');
      expect(line).to.not.have.property('traceId');
      expect(line).to.not.have.property('eventName');
      expect(line?.body).to.equal('a plain log line');
    });
  }

  it('takes the event name from the event.name attribute of older SDKs, the observed time when no time is set (Python), and severity names in JSON', () => {
    const { items } = fromOtlpLogsRequest({
      resourceLogs: [
        {
          scopeLogs: [
            {
              logRecords: [
                {
                  attributes: [{ key: 'event.name', value: { stringValue: 'gen_ai.choice' } }],
                  observedTimeUnixNano: '1760000000456000000',
                  severityNumber: 'SEVERITY_NUMBER_WARN',
                },
              ],
            },
          ],
        },
      ],
    });
    expect(items[0]).to.deep.include({ eventName: 'gen_ai.choice', severityNumber: 13, timeUnixNano: 1_760_000_000_456_000_000n });
  });

  it('rejects a record with a malformed id (with its path), keeps the others, and ignores a span id without a trace id', () => {
    const { items, rejected, errors } = fromOtlpLogsRequest({
      resourceLogs: [{ scopeLogs: [{ logRecords: [{ traceId: 'abc' }, { spanId: SPAN_ID, body: { stringValue: 'kept' } }, { traceId: '0'.repeat(32) }] }] }],
    });
    expect(rejected).to.equal(1);
    expect(items).to.have.length(2);
    expect(items[0]).to.not.have.property('spanId');
    expect(items[1]).to.not.have.property('traceId'); // all-zero means none
    expect(errors[0]).to.equal('resourceLogs[0].scopeLogs[0].logRecords[0].traceId must be 32 hex digits (got "abc")');
    expect(errors[1]).to.equal('resourceLogs[0].scopeLogs[0].logRecords[1].spanId is set without a traceId: ignored');
  });

  it('throws OtlpShapeError when the request is not a logs request', () => {
    expect(() => fromOtlpLogsRequest({ resourceLogs: 5 })).to.throw(OtlpShapeError, 'resourceLogs must be an array');
  });
});
