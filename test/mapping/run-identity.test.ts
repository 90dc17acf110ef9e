/**
 * Golden run identity: literal run hashes and point keys for a fixed set of run keys and spans.
 * A run's hash is how every bridge process, replica and restart finds the same Aim run; a metric
 * point's key is how a replayed span rewrites its own point instead of adding one. Changing either
 * derivation splits existing runs (or doubles points) after an upgrade, so these values are a
 * compatibility promise (README, "Run identity"): a change here must be deliberate, documented
 * and migrated. The literals were cross-checked outside this code: the run hashes with
 * `printf 'aim-otel-bridge\0<namespace>\0<key>' | sha256sum`, the point keys with Aim's own
 * `aim.storage.hashing.hash_auto` (Aim 3.29.1).
 */
import { expect } from 'chai';
import { hashAuto } from '../../src/aim/hash.js';
import { planMetricWrites } from '../../src/mapping/metrics-to-aim.js';
import { runHash } from '../../src/mapping/run-key.js';
import { planWrites } from '../../src/mapping/to-aim.js';
import type { MetricPoint } from '../../src/model/metric-point.js';
import type { Attributes, SpanRecord } from '../../src/model/span-record.js';
import { OpenRunCache } from '../../src/sink/open-runs.js';
import { applyPlans } from '../../src/sink/plan-applier.js';
import { FakeAimWriter } from '../sink/fake-aim-writer.js';

const CHAT: Attributes = {
  'gen_ai.operation.name': 'chat',
  'gen_ai.request.model': 'gpt-4o-mini',
  'gen_ai.provider.name': 'openai',
  'gen_ai.usage.input_tokens': 12,
};

function span(traceId: string, spanId: string, attributes: Attributes): SpanRecord {
  return {
    traceId,
    spanId,
    name: 'chat gpt-4o-mini',
    kind: 'client',
    startTimeUnixNano: 1_764_000_000_123_456_789n,
    endTimeUnixNano: 1_764_000_001_623_456_789n,
    attributes,
    events: [],
    links: [],
    status: { code: 'unset' },
    origin: { resource: { 'service.name': 'checkout' }, scopeName: 'golden' },
  };
}

describe('run identity (golden: literal hashes, a compatibility promise)', () => {
  it('the run hash of a run key: the first 24 hex digits of SHA-256("aim-otel-bridge\\0" + namespace + "\\0" + key)', () => {
    expect(runHash('conversation-42')).to.equal('6e2ca5ddbcb92a887f0b9df3');
    expect(runHash('conversation-42', 'prod')).to.equal('62947671b2b25cb6181249e9');
    expect(runHash('4bf92f3577b34da6a3ce929d0e0e4736')).to.equal('475a269dce649c9184d8109a');
    expect(runHash('metrics/checkout')).to.equal('377fbc7fba1a9629d0aa5d21');
    expect(runHash('sitzung-ü-✓')).to.equal('d4b4ad2ceab5fcb7e2bcd834');
  });

  it('spans land in the runs of their conversation, their session, else their trace', () => {
    const plan = planWrites([
      span('4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7', { ...CHAT, 'gen_ai.conversation.id': 'conversation-42' }),
      span('5bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b8', { ...CHAT, 'session.id': 'session-7' }),
      span('6bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b9', CHAT),
    ]);
    expect(plan.runs.map((run) => [run.key, run.hash])).to.deep.equal([
      ['conversation-42', '6e2ca5ddbcb92a887f0b9df3'],
      ['session-7', '452bdd1f4889cb19c1db0ec7'],
      ['6bf92f3577b34da6a3ce929d0e0e4736', '1f4e99c8a3fb595171fd972c'],
    ]);
  });

  it("a span's metric points are keyed by Aim's hash_auto of its span id, as the sink writes them", async () => {
    expect(hashAuto('00f067aa0ba902b7')).to.equal(-9202160642047020851n);
    expect(hashAuto('0000000000000001')).to.equal(5060006207021336117n);
    const plan = planWrites([span('4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7', { ...CHAT, 'gen_ai.conversation.id': 'conversation-42' })]);
    const writer = new FakeAimWriter();
    await applyPlans(plan.runs, writer, new OpenRunCache());
    expect(writer.pointKeys.length).to.be.greaterThan(0);
    expect(writer.pointKeys).to.deep.equal(writer.pointKeys.map(() => -9202160642047020851n));
  });

  it('OTLP metrics of a service land in the run of the key metrics/<service.name>', () => {
    const point: MetricPoint = {
      kind: 'histogram',
      name: 'gen_ai.client.token.usage',
      unit: '{token}',
      temporality: 'cumulative',
      monotonic: false,
      attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.token.type': 'input' },
      startTimeUnixNano: 1_764_000_000_000_000_000n,
      timeUnixNano: 1_764_000_060_000_000_000n,
      noRecordedValue: false,
      origin: { resource: { 'service.name': 'checkout' }, scopeName: 'golden' },
      count: 1n,
      sum: 12,
      bucketCounts: [],
      explicitBounds: [],
    };
    const plan = planMetricWrites([point]);
    expect(plan.runs.map((run) => [run.key, run.hash])).to.deep.equal([['metrics/checkout', '377fbc7fba1a9629d0aa5d21']]);
  });
});
