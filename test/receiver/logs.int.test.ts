import { expect } from 'chai';
import { runHash } from '../../src/mapping/run-key.js';
import { type Receiver, createReceiver } from '../../src/receiver/index.js';
import { type AimServer, startAimServer } from '../peers/aim.js';
import { type OracleRun, type OracleSequence, readAimRepo } from '../peers/oracle.js';
import { CALL_CONTEXT, futureSpan, sendEvents, sendSpan } from './genai-otlp.js';

/** The sequence `name` of a run read by the oracle. */
function sequence(run: OracleRun | undefined, name: string): OracleSequence | undefined {
  return run?.sequences.find((s) => s.name === name);
}

describe('OTLP/HTTP logs: GenAI events joined to their spans in Aim (real aim server, OTel JS exporters)', function () {
  this.timeout(120_000);
  let server: AimServer;
  let receiver: Receiver;
  before(async () => {
    server = await startAimServer();
    receiver = await createReceiver({ url: server.url, port: 0, logJoin: { windowMs: 3_000 } });
  });
  after(async () => {
    await receiver.close();
    await server.process.stop();
  });

  const expectJoined = async (conversation: string): Promise<void> => {
    const run = (await readAimRepo(server.repoDir, [runHash(conversation)])).runs[0];
    expect(sequence(run, 'gen_ai.usage.input_tokens')?.context).to.deep.equal(CALL_CONTEXT);
    const start = sequence(run, 'on_llm_start');
    const end = sequence(run, 'on_llm_end');
    expect(start?.values).to.deep.equal(['system: You are terse.\nuser: Colour of the sky?']);
    expect(start?.context).to.deep.equal({ action: 'on_llm_start', ...CALL_CONTEXT });
    expect(end?.values).to.deep.equal(['assistant: Blue.']);
    expect(start?.steps).to.deep.equal(sequence(run, 'gen_ai.usage.input_tokens')?.steps);
  };

  it('events sent before their span wait for it, then land in its run and context; the export succeeds only then', async () => {
    const span = futureSpan();
    let answered = false;
    const events = sendEvents(receiver.url, span).then(() => {
      answered = true;
    });
    await new Promise((wake) => setTimeout(wake, 500));
    expect(answered, 'the logs request waits for its span').to.equal(false);
    expect(receiver.stats.eventsHeld).to.equal(3);
    await sendSpan(receiver.url, 'conv-logs-first', span);
    await events;
    expect(receiver.stats.eventsHeld).to.equal(0);
    await expectJoined('conv-logs-first');
  });

  it('events sent after their span land in its run and context at once', async () => {
    const span = await sendSpan(receiver.url, 'conv-span-first');
    const started = Date.now();
    await sendEvents(receiver.url, span);
    expect(Date.now() - started).to.be.below(2_500);
    await expectJoined('conv-span-first');
  });

  it('events whose span never comes land, after the join window, in their trace’s run with the context they tell (one point per request)', async () => {
    const before = receiver.stats.eventsUnjoined;
    const span = futureSpan();
    await sendEvents(receiver.url, span);
    expect(receiver.stats.eventsUnjoined - before).to.equal(3);
    const run = (await readAimRepo(server.repoDir, [runHash(span.traceId)])).runs[0];
    expect(run?.experiment).to.equal('logs-join-test');
    // The SDK's simple processor sends each record in a request of its own: each is its own point.
    expect(sequence(run, 'on_llm_start')?.values).to.deep.equal(['system: You are terse.', 'user: Colour of the sky?']);
    expect(sequence(run, 'on_llm_start')?.context).to.deep.equal({ action: 'on_llm_start', provider: 'openai' });
    expect(sequence(run, 'on_llm_end')?.values).to.deep.equal(['assistant: Blue.']);
  });

  const post = async (path: string, body: string | Buffer, contentType: string): Promise<{ status: number; text: string }> => {
    const response = await fetch(`${receiver.url}${path}`, { method: 'POST', headers: { 'content-type': contentType }, body });
    return { status: response.status, text: Buffer.from(await response.arrayBuffer()).toString('utf8') };
  };

  for (const path of ['/v1/logs', '/v1/metrics']) {
    it(`${path} has the status contract of /v1/traces: 400 for a body of the wrong shape, 415 for a wrong type, partial success for invalid items`, async () => {
      expect(await post(path, path === '/v1/logs' ? '{"resourceLogs": 5}' : '{"resourceMetrics": 5}', 'application/json')).to.deep.include({ status: 400 });
      expect((await post(path, Buffer.from([0xff, 0xff, 0xff, 0x07]), 'application/x-protobuf')).status).to.equal(400);
      expect((await post(path, '{}', 'text/plain')).status).to.equal(415);
      const invalid =
        path === '/v1/logs'
          ? { resourceLogs: [{ scopeLogs: [{ logRecords: [{ traceId: 'zz' }, { body: { stringValue: 'ok' } }] }] }] }
          : { resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'gen_ai.client.token.usage', gauge: { dataPoints: [{ asInt: '1' }] } }] }] }] };
      const answer = await post(path, JSON.stringify(invalid), 'application/json');
      expect(answer.status).to.equal(200);
      const partial = (JSON.parse(answer.text) as { partialSuccess: Record<string, string> }).partialSuccess;
      expect(partial[path === '/v1/logs' ? 'rejectedLogRecords' : 'rejectedDataPoints']).to.equal('1');
      expect(partial['errorMessage']).to.match(path === '/v1/logs' ? /logRecords\[0\]\.traceId/ : /dataPoints\[0\]\.timeUnixNano/);
    });
  }

  it('answers 429 with Retry-After when more events would wait for their spans than it holds (and keeps running)', async () => {
    const small = await createReceiver({ url: server.url, port: 0, logJoin: { windowMs: 60_000, maxHeldEvents: 2 } });
    try {
      const traceId = futureSpan().traceId;
      const events = ['a', 'b', 'c'].map((content, i) => ({
        traceId,
        spanId: `00000000000000a${String(i)}`,
        eventName: 'gen_ai.user.message',
        body: { kvlistValue: { values: [{ key: 'content', value: { stringValue: content } }] } },
      }));
      const response = await fetch(`${small.url}/v1/logs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: events }] }] }),
      });
      expect(response.status).to.equal(429);
      expect(response.headers.get('retry-after')).to.equal('5');
      expect(small.stats.eventsHeld).to.equal(0);
      expect((await fetch(`${small.url}/healthz`)).status).to.equal(200);
    } finally {
      await small.close();
    }
  });

  it('counts log records without GenAI content as ignored, and a request of only such records is answered at once', async () => {
    expect(receiver.stats.logRecordsIgnored).to.be.at.least(3);
    const response = await fetch(`${receiver.url}/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'hello' } }] }] }] }),
    });
    expect(response.status).to.equal(200);
    expect(await response.json()).to.deep.equal({});
  });
});
