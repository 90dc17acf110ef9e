import { expect } from 'chai';
import { groupContentEvents, planUnplacedContent } from '../../src/mapping/event-content.js';
import { planMetricWrites } from '../../src/mapping/metrics-to-aim.js';
import { runHash } from '../../src/mapping/run-key.js';
import { localRunKey, tenantRunKey } from '../../src/mapping/tenant-keys.js';
import { planWrites } from '../../src/mapping/to-aim.js';
import type { LogRecord } from '../../src/model/log-record.js';
import type { MetricPoint } from '../../src/model/metric-point.js';
import type { RecordTenant, SpanRecord } from '../../src/model/span-record.js';
import { Ingest, requestKey } from '../../src/receiver/ingest.js';
import { ReceiverMetrics } from '../../src/receiver/metrics.js';
import {
  type TenantScope,
  allowsExperiment,
  describeScope,
  experimentOutside,
  forbiddenMessage,
  recordTenantOf,
  scopeIdentity,
} from '../../src/receiver/tenant-scope.js';
import { AimSink } from '../../src/sink/aim-sink.js';
import { LogJoin } from '../../src/sink/log-join.js';
import { BoundedTraceKeyMemo } from '../../src/sink/trace-key-memo.js';
import { FakeAimWriter } from '../sink/fake-aim-writer.js';
import { TEST_START_NS, testSpan } from '../support/span-record.js';

const TEAM_A: TenantScope = { name: 'team-a', experiment: 'team-a' };
const TEAM_B: TenantScope = { name: 'team-b', experimentPrefix: 'team-b/' };
const A = recordTenantOf(TEAM_A);
const B = recordTenantOf(TEAM_B);

/** A chat span of conversation-less run key `runKey` (when given), in trace `traceId`. */
function chat(spanId: string, attributes: Record<string, string>, more: Partial<SpanRecord> = {}): SpanRecord {
  return testSpan(spanId, { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.input_tokens': 3, ...attributes }, more);
}

function scoped<T extends { readonly tenant?: RecordTenant }>(record: T, tenant: RecordTenant): T {
  return { ...record, tenant };
}

/** A GenAI user-message log event of span `spanId` in trace `traceId`. */
function userMessage(traceId: string, spanId: string, content: string, tenant?: RecordTenant): LogRecord {
  return {
    traceId,
    spanId,
    timeUnixNano: TEST_START_NS,
    eventName: 'gen_ai.user.message',
    severityNumber: 9,
    body: { content },
    attributes: { 'gen_ai.system': 'openai' },
    origin: { resource: { 'service.name': 'svc' }, scopeName: 'test' },
    ...(tenant ? { tenant } : {}),
  };
}

function tokenPoint(tenant?: RecordTenant, resource: Record<string, string> = { 'service.name': 'svc' }): MetricPoint {
  return {
    kind: 'sum',
    name: 'gen_ai.client.token.usage',
    unit: '{token}',
    temporality: 'cumulative',
    monotonic: true,
    attributes: {},
    startTimeUnixNano: TEST_START_NS,
    timeUnixNano: TEST_START_NS + 1_000_000_000n,
    noRecordedValue: false,
    origin: { resource, scopeName: 'test' },
    value: 42n,
    ...(tenant ? { tenant } : {}),
  };
}

describe('tenant scopes: the rules of what a scoped token may write', () => {
  it('an experiment scope allows its experiment only; a prefix scope the experiments starting with it; a namespace-only scope any', () => {
    expect(allowsExperiment(TEAM_A, 'team-a')).to.equal(true);
    expect(allowsExperiment(TEAM_A, 'team-a/x')).to.equal(false);
    expect(allowsExperiment(TEAM_A, ' team-a')).to.equal(false);
    expect(allowsExperiment(TEAM_B, 'team-b/evals')).to.equal(true);
    expect(allowsExperiment(TEAM_B, 'team-a')).to.equal(false);
    expect(allowsExperiment(TEAM_B, 'team-b')).to.equal(false);
    expect(allowsExperiment({ name: 'ns-only' }, 'anything')).to.equal(true);
  });

  it('the first experiment outside the scope is found among what the records name (none named: nothing outside)', () => {
    expect(experimentOutside(TEAM_B, [undefined, 'team-b/a', undefined])).to.equal(undefined);
    expect(experimentOutside(TEAM_B, ['team-b/a', 'team-a', 'other'])).to.equal('team-a');
  });

  it('the refusal names the experiment, the tenant and what it allows, never a token', () => {
    const message = forbiddenMessage(TEAM_B, 'team-a');
    expect(message).to.include('"team-a"').and.to.include('tenant "team-b"').and.to.include('experiments starting with "team-b/"');
    expect(message).to.include('nothing of it was written');
    expect(describeScope({ name: 't', runKeyNamespace: 'ns' })).to.equal('tenant "t" writes to any experiment, its runs in the run-key namespace "ns"');
    const long = forbiddenMessage(TEAM_A, 'x'.repeat(10_000));
    expect(long.length).to.be.below(500);
  });

  it('records carry the namespace (runKeyNamespace, else the name) and the experiment rule; scopes are told apart by everything they hold', () => {
    expect(A).to.deep.equal({ namespace: 'team-a', experiment: 'team-a' });
    expect(recordTenantOf({ name: 'x', experimentPrefix: 'p/', runKeyNamespace: 'ns' })).to.deep.equal({ namespace: 'ns', experimentPrefix: 'p/' });
    expect(scopeIdentity(TEAM_A)).to.not.equal(scopeIdentity({ ...TEAM_A, runKeyNamespace: 'other' }));
    expect(scopeIdentity(TEAM_A)).to.not.equal(scopeIdentity({ name: 'team-a', experimentPrefix: 'team-a' }));
  });
});

describe('tenant scopes: run keys in the tenant namespace', () => {
  it('the same aim.run_key from two tenants makes two runs, key strings and hashes apart; unscoped spans keep their key and hash', () => {
    const span = chat('0000000000000001', { 'aim.run_key': 'shared' });
    const plain = planWrites([span]).runs[0];
    const a = planWrites([scoped(span, A)]).runs[0];
    const b = planWrites([scoped(span, B)]).runs[0];
    expect(plain?.key).to.equal('shared');
    expect(plain?.hash).to.equal(runHash('shared'));
    expect(new Set([plain?.key, a?.key, b?.key]).size).to.equal(3);
    expect(new Set([plain?.hash, a?.hash, b?.hash]).size).to.equal(3);
    expect(a?.hash).to.equal(runHash(tenantRunKey('shared', A)));
    expect(localRunKey(a?.key ?? '')).to.equal('shared');
    // The run is named after its key as an unscoped one is (no tenant prefix shown).
    expect(a?.defaultName ?? a?.name).to.equal(plain?.defaultName ?? plain?.name);
  });

  it('every kind of derived key is namespaced: conversation, session, trace, unkeyed window', () => {
    const spans = [
      chat('0000000000000001', { 'gen_ai.conversation.id': 'conv' }),
      chat('0000000000000002', { 'session.id': 'sess' }, { traceId: 'd'.repeat(32) }),
      chat('0000000000000003', {}, { traceId: 'e'.repeat(32) }),
    ];
    const options = { unkeyed: { grouping: 'window' as const } };
    const plainKeys = planWrites(spans, options).runs.map((run) => run.key);
    const keys = planWrites(
      spans.map((span) => scoped(span, A)),
      options,
    ).runs.map((run) => run.key);
    expect(plainKeys).to.have.length(3);
    expect(keys).to.deep.equal(plainKeys.map((key) => tenantRunKey(key, A)));
    expect(plainKeys.some((key) => key.startsWith('unkeyed:'))).to.equal(true);
  });

  it('an unscoped key cannot name a tenant key (a leading NUL is escaped), and tenant namespaces cannot collide through their separator', () => {
    const forged = tenantRunKey('x', A);
    const span = chat('0000000000000001', { 'aim.run_key': forged });
    const run = planWrites([span]).runs[0];
    expect(run?.key).to.not.equal(forged);
    expect(run?.hash).to.not.equal(runHash(forged));
    expect(localRunKey(run?.key ?? '')).to.equal(forged);
    expect(tenantRunKey('b\u0000c', { namespace: 'a' })).to.not.equal(tenantRunKey('c', { namespace: 'a\u0000b' }));
  });

  it('runs naming no experiment go to the tenant’s: its experiment, or the prefix + the configured experiment, else + service.name; a named one is kept', () => {
    const span = chat('0000000000000001', { 'aim.run_key': 'k' });
    expect(planWrites([scoped(span, A)]).runs[0]?.experiment).to.equal('team-a');
    expect(planWrites([scoped(span, A)], { experiment: 'configured' }).runs[0]?.experiment).to.equal('team-a');
    expect(planWrites([scoped(span, B)]).runs[0]?.experiment).to.equal('team-b/svc');
    expect(planWrites([scoped(span, B)], { experiment: 'genai' }).runs[0]?.experiment).to.equal('team-b/genai');
    expect(planWrites([scoped(chat('0000000000000001', { 'aim.experiment': 'team-b/evals' }), B)]).runs[0]?.experiment).to.equal('team-b/evals');
    const instructed = chat('0000000000000001', { 'aim.run_key': 'k', 'aim.params': '{"lr": 0.1}' });
    expect(planWrites([scoped(instructed, B)], { layout: 'explicit' }).runs[0]?.experiment).to.equal('team-b/svc');
    expect(planWrites([span]).runs[0]?.experiment).to.equal('svc');
  });

  it('another tenant’s trace and span ids lead nowhere: its spans do not follow A’s trace memo nor A’s placements', () => {
    const memo = new BoundedTraceKeyMemo(100);
    const join = new LogJoin({ windowMs: 10 });
    const first = planWrites([scoped(chat('0000000000000001', { 'aim.run_key': 'a-run' }), A)], {}, memo, join.placements);
    join.place(first.placements);
    const aRun = first.runs[0];
    // B sends a span of A's trace (no key: it would follow the trace's run) and a replay of A's span.
    const crossing = planWrites([scoped(chat('0000000000000002', {}), B), scoped(chat('0000000000000001', {}), B)], {}, memo, join.placements);
    expect(crossing.runs).to.have.length(1);
    expect(crossing.runs[0]?.hash).to.not.equal(aRun?.hash);
    expect(crossing.runs[0]?.key).to.equal(tenantRunKey('c'.repeat(32), B));
    join.place(crossing.placements);
    // A's own late span of the trace still follows A's run, and A's replay stays at its place.
    const late = planWrites(
      [scoped(chat('0000000000000003', {}), A), scoped(chat('0000000000000001', { 'aim.run_key': 'a-run' }), A)],
      {},
      memo,
      join.placements,
    );
    expect(late.runs.map((run) => run.hash)).to.deep.equal([aRun?.hash]);
    const replayed = late.placements.find((placement) => placement.spanId === '0000000000000001');
    expect(replayed?.step).to.equal(first.placements[0]?.step);
    expect(replayed?.traceId).to.equal('c'.repeat(32));
    join.close();
  });

  it('a tenant’s log event does not join another tenant’s span of the same ids; it goes to its own namespace', () => {
    const join = new LogJoin({ windowMs: 10 });
    const memo = new BoundedTraceKeyMemo(100);
    const plan = planWrites([scoped(chat('0000000000000001', { 'aim.run_key': 'a-run' }), A)], {}, memo, join.placements);
    join.place(plan.placements);
    const traceId = 'c'.repeat(32);
    const { groups } = groupContentEvents([userMessage(traceId, '0000000000000001', 'from A', A), userMessage(traceId, '0000000000000001', 'from B', B)]);
    expect(groups).to.have.length(2);
    const [groupA, groupB] = groups;
    expect(join.placement(groupA?.id ?? '')?.hash).to.equal(plan.runs[0]?.hash);
    expect(join.placement(groupB?.id ?? '')).to.equal(undefined);
    // An unscoped event of those ids does not join A's span either.
    const [plainGroup] = groupContentEvents([userMessage(traceId, '0000000000000001', 'unscoped')]).groups;
    expect(join.placement(plainGroup?.id ?? '')).to.equal(undefined);
    const fallback = planUnplacedContent(groupB as NonNullable<typeof groupB>, {}, memo);
    expect(fallback.key).to.equal(tenantRunKey(traceId, B));
    expect(fallback.experiment).to.equal('team-b/svc');
    join.close();
  });

  it('metric points go to the tenant’s own metrics run of the service, in its experiment', () => {
    const [plain] = planMetricWrites([tokenPoint()]).runs;
    const [a] = planMetricWrites([tokenPoint(A)]).runs;
    const [b] = planMetricWrites([tokenPoint(B)], { experiment: 'genai' }).runs;
    expect(plain?.key).to.equal('metrics/svc');
    expect(a?.key).to.equal(tenantRunKey('metrics/svc', A));
    expect(new Set([plain?.hash, a?.hash, b?.hash]).size).to.equal(3);
    expect([plain?.experiment, a?.experiment, b?.experiment]).to.deep.equal(['svc', 'team-a', 'team-b/genai']);
    expect(planMetricWrites([tokenPoint(B, { 'service.name': 'svc', 'aim.experiment': 'team-b/m' })]).runs[0]?.experiment).to.equal('team-b/m');
  });
});

/** An OTLP/JSON traces request of one chat span with `attributes` (and `resource` attributes). */
function tracesRequest(attributes: Record<string, string>, resource: Record<string, string> = {}): unknown {
  const kv = (record: Record<string, string>): unknown[] => Object.entries(record).map(([key, value]) => ({ key, value: { stringValue: value } }));
  return {
    resourceSpans: [
      {
        resource: { attributes: kv({ 'service.name': 'svc', ...resource }) },
        scopeSpans: [
          {
            scope: { name: 'test' },
            spans: [
              {
                traceId: 'ab'.repeat(16),
                spanId: '12'.repeat(8),
                name: 'chat gpt-4o-mini',
                kind: 3,
                startTimeUnixNano: String(TEST_START_NS),
                endTimeUnixNano: String(TEST_START_NS + 1_000_000_000n),
                attributes: kv({ 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o-mini', ...attributes }),
              },
            ],
          },
        ],
      },
    ],
  };
}

function logsRequest(resource: Record<string, string>): unknown {
  return {
    resourceLogs: [
      {
        resource: { attributes: Object.entries(resource).map(([key, value]) => ({ key, value: { stringValue: value } })) },
        scopeLogs: [
          {
            scope: { name: 'test' },
            logRecords: [
              {
                timeUnixNano: String(TEST_START_NS),
                eventName: 'gen_ai.user.message',
                body: { kvlistValue: { values: [{ key: 'content', value: { stringValue: 'hi' } }] } },
              },
            ],
          },
        ],
      },
    ],
  };
}

function metricsRequest(resource: Record<string, string>): unknown {
  return {
    resourceMetrics: [
      {
        resource: { attributes: Object.entries(resource).map(([key, value]) => ({ key, value: { stringValue: value } })) },
        scopeMetrics: [
          {
            scope: { name: 'test' },
            metrics: [
              {
                name: 'gen_ai.client.token.usage',
                unit: '{token}',
                sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [{ asInt: '5', timeUnixNano: String(TEST_START_NS) }] },
              },
            ],
          },
        ],
      },
    ],
  };
}

describe('tenant scopes: the ingest checks a scoped request and namespaces its records', () => {
  let writer: FakeAimWriter;
  let sink: AimSink;
  let metrics: ReceiverMetrics;
  let ingest: Ingest;

  beforeEach(() => {
    writer = new FakeAimWriter();
    sink = new AimSink({ url: 'aim://fake', traceWaterfall: false }, { writer, retry: { initialDelayMs: 1, maxDelayMs: 4 }, flushGraceMs: 20 });
    metrics = new ReceiverMetrics(() => sink.stats);
    ingest = new Ingest(sink, metrics, { writeTimeoutMs: 2_000, maxQueueItems: 1_000 });
  });

  afterEach(async () => {
    await sink.shutdown();
  });

  async function forbidden(): Promise<number> {
    const metric = await metrics.registry.getSingleMetric('aim_otel_bridge_forbidden_requests_total')?.get();
    return metric?.values.reduce((sum, value) => sum + value.value, 0) ?? 0;
  }

  it('two tenants sending the same bytes: each request is written, to its own run, neither answered from the other’s work', async () => {
    const request = tracesRequest({ 'aim.run_key': 'shared' });
    const key = requestKey('traces', Buffer.from(JSON.stringify(request)));
    const a = await ingest.exportOnce('traces', key, () => request, 'json', TEAM_A);
    const b = await ingest.exportOnce('traces', key, () => request, 'json', TEAM_B);
    expect([a.kind, b.kind]).to.deep.equal(['accepted', 'accepted']);
    const created = writer.created.map((settings) => settings.hash);
    expect(created).to.have.members([runHash(tenantRunKey('shared', A)), runHash(tenantRunKey('shared', B))]);
    expect(writer.created.map((settings) => settings.experiment)).to.have.members(['team-a', 'team-b/svc']);
    const retried = await metrics.registry.getSingleMetric('aim_otel_bridge_requests_retried_total')?.get();
    expect(retried?.values.reduce((sum, value) => sum + value.value, 0) ?? 0).to.equal(0);
    // The same tenant again: answered from its written work.
    const again = await ingest.exportOnce('traces', key, () => request, 'json', TEAM_A);
    expect(again.kind).to.equal('accepted');
    expect(writer.created).to.have.length(2);
  });

  it('a span naming an experiment outside the scope forbids the whole request: nothing written, counted by tenant', async () => {
    const request = tracesRequest({ 'aim.run_key': 'x', 'aim.experiment': 'team-a' });
    const outcome = await ingest.exportOnce('traces', 'k1', () => request, 'json', TEAM_B);
    expect(outcome.kind).to.equal('forbidden');
    expect(outcome.kind === 'forbidden' && outcome.message)
      .to.include('"team-a"')
      .and.include('tenant "team-b"');
    expect(await forbidden()).to.equal(1);
    const byTenant = await metrics.registry.getSingleMetric('aim_otel_bridge_forbidden_requests_total')?.get();
    expect(byTenant?.values[0]?.labels).to.deep.equal({ tenant: 'team-b' });
    await sink.forceFlush();
    expect(writer.created).to.have.length(0);
    // The resource's experiment counts as well.
    expect((await ingest.exportOnce('traces', 'k2', () => tracesRequest({}, { 'aim.experiment': 'other' }), 'json', TEAM_A)).kind).to.equal('forbidden');
    // Within the scope, and unscoped, the same request is written.
    expect((await ingest.exportOnce('traces', 'k3', () => tracesRequest({ 'aim.experiment': 'team-b/evals' }), 'json', TEAM_B)).kind).to.equal('accepted');
    expect((await ingest.exportOnce('traces', 'k1', () => request, 'json')).kind).to.equal('accepted');
    expect(writer.created.map((settings) => settings.experiment)).to.have.members(['team-b/evals', 'team-a']);
    expect(await forbidden()).to.equal(2);
  });

  it('log records and metric points naming an experiment outside the scope are forbidden too', async () => {
    expect((await ingest.exportOnce('logs', 'l1', () => logsRequest({ 'aim.experiment': 'team-b/x' }), 'json', TEAM_A)).kind).to.equal('forbidden');
    expect((await ingest.exportOnce('metrics', 'm1', () => metricsRequest({ 'aim.experiment': 'team-a' }), 'json', TEAM_B)).kind).to.equal('forbidden');
    expect(await forbidden()).to.equal(2);
    await sink.forceFlush();
    expect(writer.created).to.have.length(0);
    expect((await ingest.exportOnce('metrics', 'm2', () => metricsRequest({ 'service.name': 'svc' }), 'json', TEAM_B)).kind).to.equal('accepted');
    expect(writer.created.map((settings) => [settings.hash, settings.experiment])).to.deep.equal([[runHash(tenantRunKey('metrics/svc', B)), 'team-b/svc']]);
  });
});
