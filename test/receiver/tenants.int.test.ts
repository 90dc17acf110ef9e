/**
 * Issue 18, point 4: tenants kept apart. A real receiver with two scoped tokens — team-a (the
 * experiment `team-a`) and team-b (experiments starting with `team-b/`) — in front of a real
 * `aim server`; spans that try to cross, over OTLP/HTTP (JSON) and OTLP/gRPC, read back with Aim's
 * own SDK (the oracle):
 * - the same `aim.run_key` from both, even with the same trace and span ids: two runs, each in its
 *   own experiment, nothing of team-a's overwritten by team-b;
 * - team-b naming the experiment `team-a`: 403 (a `google.rpc.Status` PERMISSION_DENIED) over
 *   HTTP, PERMISSION_DENIED over gRPC, nothing written, counted on `/metrics` by tenant;
 * - team-a naming no experiment: its run lands in `team-a`.
 */
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import { runHash } from '../../src/mapping/run-key.js';
import { tenantRunKey } from '../../src/mapping/tenant-keys.js';
import { type Receiver, createReceiver } from '../../src/receiver/index.js';
import { otlpTypes } from '../../src/receiver/schema.js';
import { type AimServer, startAimServer } from '../peers/aim.js';
import { type OracleRun, readAimRepo } from '../peers/oracle.js';

const TEAM_A = { token: 'token-of-team-a', scope: { name: 'team-a', experiment: 'team-a' } };
const TEAM_B = { token: 'token-of-team-b', scope: { name: 'team-b', experimentPrefix: 'team-b/' } };
const TRACE_ID = 'a1'.repeat(16);
const SPAN_ID = 'b2'.repeat(8);

/** An OTLP/JSON traces request: one chat span with `attributes` and `inputTokens`, of trace `traceId` and span `spanId`. */
function chatRequest(attributes: Record<string, string>, inputTokens: number, traceId = TRACE_ID, spanId = SPAN_ID): Record<string, unknown> {
  const start = BigInt(Date.now() - 60_000) * 1_000_000n;
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'tenant-test' } }] },
        scopeSpans: [
          {
            scope: { name: 'test' },
            spans: [
              {
                traceId,
                spanId,
                name: 'chat gpt-4o-mini',
                kind: 3,
                startTimeUnixNano: String(start),
                endTimeUnixNano: String(start + 500_000_000n),
                attributes: [
                  { key: 'gen_ai.operation.name', value: { stringValue: 'chat' } },
                  { key: 'gen_ai.provider.name', value: { stringValue: 'openai' } },
                  { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o-mini' } },
                  { key: 'gen_ai.usage.input_tokens', value: { intValue: inputTokens } },
                  { key: 'gen_ai.usage.output_tokens', value: { intValue: 1 } },
                  ...Object.entries(attributes).map(([key, value]) => ({ key, value: { stringValue: value } })),
                ],
              },
            ],
          },
        ],
      },
    ],
  };
}

async function post(receiver: Receiver, token: string, body: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${receiver.url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** A raw OTLP/gRPC traces `Export` of `body` (as protobuf) with `token`; resolves to the status code and details. */
async function grpcExport(receiver: Receiver, token: string, body: Record<string, unknown>): Promise<{ code: grpc.status; details: string }> {
  const type = otlpTypes().signals.traces.request;
  const json = structuredClone(body) as { resourceSpans: { scopeSpans: { spans: Record<string, unknown>[] }[] }[] };
  for (const span of json.resourceSpans[0]?.scopeSpans[0]?.spans ?? []) {
    span['traceId'] = Buffer.from(String(span['traceId']), 'hex');
    span['spanId'] = Buffer.from(String(span['spanId']), 'hex');
  }
  const bytes = Buffer.from(type.encode(type.fromObject(json)).finish());
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  const client = new grpc.Client((receiver.grpcUrl ?? '').replace(/^http:\/\//, ''), grpc.credentials.createInsecure());
  try {
    return await new Promise((resolve) => {
      client.makeUnaryRequest(
        '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
        (request: Buffer) => request,
        (response: Buffer) => response,
        bytes,
        metadata,
        { deadline: Date.now() + 60_000 },
        (error) => {
          resolve(error === null ? { code: grpc.status.OK, details: '' } : { code: error.code, details: error.details });
        },
      );
    });
  } finally {
    client.close();
  }
}

async function forbiddenCount(receiver: Receiver, tenant: string): Promise<number> {
  const response = await fetch(`${receiver.url}/metrics`, { headers: { authorization: `Bearer ${TEAM_A.token}` } });
  const text = await response.text();
  const line = text.split('\n').find((l) => l.startsWith(`aim_otel_bridge_forbidden_requests_total{tenant="${tenant}"}`));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

function inputTokens(run: OracleRun | undefined): unknown[] {
  return run?.sequences.find((sequence) => sequence.name === 'gen_ai.usage.input_tokens')?.values ?? [];
}

describe('tenants kept apart: two scoped tokens against the real aim server', function () {
  this.timeout(180_000);
  let server: AimServer;
  let receiver: Receiver;

  before(async () => {
    server = await startAimServer();
    receiver = await createReceiver({ url: server.url, port: 0, grpcPort: 0, tokens: [TEAM_A, TEAM_B], idleCloseMs: 2_000 });
  });

  after(async () => {
    await receiver.close();
    await server.process.stop();
  });

  it('spans that try to cross land each in their own tenant’s runs; one naming another tenant’s experiment is refused, counted, and writes nothing', async () => {
    const aShared = runHash(tenantRunKey('shared', { namespace: 'team-a' }));
    const bShared = runHash(tenantRunKey('shared', { namespace: 'team-b' }));
    const aDefault = runHash(tenantRunKey('conv-a', { namespace: 'team-a' }));

    // The same run key, trace and span ids from both: two runs, two experiments.
    expect((await post(receiver, TEAM_A.token, chatRequest({ 'aim.run_key': 'shared' }, 11))).status).to.equal(200);
    expect((await post(receiver, TEAM_B.token, chatRequest({ 'aim.run_key': 'shared', 'aim.experiment': 'team-b/evals' }, 22))).status).to.equal(200);

    // team-b names team-a's experiment: 403 with a google.rpc.Status, over HTTP and gRPC; nothing written.
    const crossing = chatRequest({ 'aim.run_key': 'shared', 'aim.experiment': 'team-a' }, 33, 'c3'.repeat(16), 'd4'.repeat(8));
    const refused = await post(receiver, TEAM_B.token, crossing);
    expect(refused.status).to.equal(403);
    expect(refused.body['code']).to.equal(7);
    expect(String(refused.body['message'])).to.include('"team-a"').and.include('tenant "team-b"').and.include('"team-b/"').and.not.include(TEAM_B.token);
    const refusedGrpc = await grpcExport(receiver, TEAM_B.token, crossing);
    expect(refusedGrpc.code).to.equal(grpc.status.PERMISSION_DENIED);
    expect(refusedGrpc.details).to.include('"team-a"').and.not.include(TEAM_B.token);
    expect(await forbiddenCount(receiver, 'team-b')).to.equal(2);
    expect(await forbiddenCount(receiver, 'team-a')).to.equal(0);

    // team-a names no experiment: its run goes to team-a.
    expect((await post(receiver, TEAM_A.token, chatRequest({ 'gen_ai.conversation.id': 'conv-a' }, 44, 'e5'.repeat(16), 'f6'.repeat(8)))).status).to.equal(200);

    const report = await readAimRepo(server.repoDir);
    const byHash = new Map(report.runs.map((run) => [run.hash, run]));
    expect(
      report.runs.map((run) => [run.hash, run.experiment]),
      'exactly the three runs, each in its tenant’s experiment',
    ).to.have.deep.members([
      [aShared, 'team-a'],
      [bShared, 'team-b/evals'],
      [aDefault, 'team-a'],
    ]);
    expect(inputTokens(byHash.get(aShared)), 'team-a’s run holds its own point only').to.deep.equal([11]);
    expect(inputTokens(byHash.get(bShared))).to.deep.equal([22]);
    expect(inputTokens(byHash.get(aDefault))).to.deep.equal([44]);
    expect(
      report.runs.flatMap((run) => inputTokens(run)),
      'nothing of the refused request',
    ).to.not.include(33);
    // The runs are named as unscoped ones would be (the tenant prefix is no part of the name).
    expect(byHash.get(aShared)?.name).to.equal(byHash.get(bShared)?.name).and.to.include('shared').and.not.include('\u0000');
  });
});
