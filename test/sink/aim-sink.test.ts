import { expect } from 'chai';
import { type DiagLogger, DiagLogLevel, ROOT_CONTEXT, context, diag, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { AimUnavailableError, AimUsageError } from '../../src/aim/index.js';
import type { RunWritePlan } from '../../src/mapping/aim-plan.js';
import { runHash } from '../../src/mapping/run-key.js';
import type { Attributes, SpanRecord } from '../../src/model/span-record.js';
import { AimSink, type AimSinkOptions, type AimSinkSeams } from '../../src/sink/aim-sink.js';
import { FakeAimWriter } from './fake-aim-writer.js';
import { FakeClock } from './fake-clock.js';

const TRACE = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const RUN = runHash(TRACE);
const START = 1_764_000_000_123_456_789n;
const CHAT: Attributes = {
  'gen_ai.operation.name': 'chat',
  'gen_ai.provider.name': 'openai',
  'gen_ai.request.model': 'gpt-4o-mini',
  'gen_ai.usage.input_tokens': 12,
  'gen_ai.usage.output_tokens': 34,
};

let nextSpan = 1;
function chatSpan(attributes: Attributes = CHAT): SpanRecord {
  return {
    traceId: TRACE,
    spanId: (nextSpan++).toString(16).padStart(16, '0'),
    name: 'chat gpt-4o-mini',
    kind: 'client',
    startTimeUnixNano: START,
    endTimeUnixNano: START + 1_000_000_000n,
    attributes,
    events: [],
    links: [],
    status: { code: 'unset' },
    origin: { resource: { 'service.name': 'svc' }, scopeName: 'test' },
  };
}

/** A plan for run `hash` with one metric point (writePlans bypasses the mapping). */
function planFor(hash: string): RunWritePlan {
  return {
    key: hash,
    hash,
    tags: [],
    params: [],
    metrics: [{ name: 'loss', context: {}, step: 0n, time: 1, spanId: '01', value: 1 }],
    texts: [],
    spanCount: 0,
  };
}

const FAST: NonNullable<AimSinkSeams['retry']> = { initialDelayMs: 1, maxDelayMs: 4 };

/** A sink writing to `writer`, with fast retries and a short flush grace unless `seams` say otherwise. */
function sinkWith(writer: FakeAimWriter, options: Partial<AimSinkOptions> = {}, seams: AimSinkSeams = {}): AimSink {
  return new AimSink({ url: 'aim://fake', ...options }, { writer, retry: FAST, flushGraceMs: 20, ...seams });
}

/** Polls `condition` every ms until it holds (fails after 2 s). */
async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 2_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met within 2 s');
    await new Promise((wake) => setTimeout(wake, 1));
  }
}

/** The diag lines at warn and above while `body` runs. */
async function diagLines(body: () => Promise<void>): Promise<string[]> {
  const lines: string[] = [];
  const keep = (...args: unknown[]): void => {
    lines.push(args.map(String).join(' ')); // the component's namespace, then the message
  };
  const logger: DiagLogger = { error: keep, warn: keep, info: () => undefined, debug: () => undefined, verbose: () => undefined };
  diag.setLogger(logger, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  try {
    await body();
  } finally {
    diag.disable();
  }
  return lines;
}

describe('AimSink against a fake Aim', () => {
  const sinks: AimSink[] = [];
  const track = (sink: AimSink): AimSink => {
    sinks.push(sink);
    return sink;
  };
  afterEach(async () => {
    await Promise.all(sinks.splice(0).map((sink) => sink.shutdown()));
  });

  it('submit: plans the spans, opens their run without a lock, writes, flushes, counts them written', async () => {
    const writer = new FakeAimWriter();
    const sink = track(sinkWith(writer));
    expect(sink.submit([chatSpan(), chatSpan()])).to.equal(true);
    await sink.forceFlush();
    expect(sink.stats).to.include({ received: 2, written: 2, dropped: 0, queued: 0, openRuns: 1 });
    expect(writer.created).to.have.length(1);
    expect(writer.created[0]).to.include({ hash: RUN, lock: false });
    expect(writer.count('track')).to.be.greaterThan(0);
    expect(writer.calls.at(-1)).to.equal('flush');
  });

  it('queue full: submit refuses and counts the spans dropped; write answers full and counts nothing dropped', async () => {
    const writer = new FakeAimWriter();
    writer.hangFlush = true;
    const sink = track(sinkWith(writer, { maxQueueSpans: 2, retryDeadlineMs: 50 }));
    expect(sink.submit([chatSpan(), chatSpan()])).to.equal(true);
    expect(sink.submit([chatSpan()])).to.equal(false);
    expect(await sink.write([chatSpan()], 1_000)).to.deep.equal({ status: 'full' });
    expect(sink.stats).to.include({ received: 4, dropped: 1, queued: 2 });
  });

  it('a transient failure: the runs are detached and reopened, the batch retried and written', async () => {
    const writer = new FakeAimWriter();
    const sink = track(sinkWith(writer));
    expect(await sink.write([chatSpan()], 5_000)).to.deep.equal({ status: 'written' });
    writer.fail('flush', new AimUnavailableError('aim server restarting'));
    expect(await sink.write([chatSpan()], 5_000)).to.deep.equal({ status: 'written' });
    expect(writer.count(`detach ${RUN}`)).to.equal(1);
    expect(writer.count(`createRun ${RUN}`)).to.equal(2);
    expect(sink.stats).to.include({ written: 2, dropped: 0 });
  });

  it('a permanent failure: not retried, the write fails and failingForGood says why until a write succeeds', async () => {
    const writer = new FakeAimWriter();
    const sink = track(sinkWith(writer));
    writer.fail('createRun', new AimUsageError('invalid run hash'));
    const outcome = await sink.write([chatSpan()], 5_000);
    expect(outcome.status).to.equal('failed');
    expect(writer.count('createRun')).to.equal(1);
    expect(sink.failingForGood).to.match(/^writes to Aim fail: .*invalid run hash/);
    expect(sink.stats.dropped).to.equal(0); // an awaited write gets an outcome, not a drop
    expect(await sink.write([chatSpan()], 5_000)).to.deep.equal({ status: 'written' });
    expect(sink.failingForGood).to.equal(undefined);
  });

  it('Aim unreachable past the deadline: an awaited write is unavailable; submitted spans are dropped', async () => {
    const writer = new FakeAimWriter();
    writer.fail('connect', new AimUnavailableError('refused'), 1_000_000);
    const clock = new FakeClock(); // sleeps pass at once: the whole backoff runs in virtual time
    const sink = track(sinkWith(writer, { retryDeadlineMs: 60_000 }, { clock, retry: { initialDelayMs: 200, maxDelayMs: 5_000 } }));
    const outcome = await sink.write([chatSpan()], 60_000);
    expect(outcome).to.deep.include({ status: 'unavailable' });
    const attempts = writer.count('connect');
    expect(attempts).to.be.within(12, 40); // 200 ms doubling to 5 s, with jitter, within 60 s
    expect(clock.sleeps.every((ms) => ms >= 100 && ms <= 7_500)).to.equal(true);
    expect(sink.submit([chatSpan(), chatSpan()])).to.equal(true);
    await sink.forceFlush();
    expect(sink.stats).to.include({ dropped: 2, written: 0, queued: 0 });
  });

  it('a flush Aim never acknowledges ends at the deadline (here 30 ms, past the 20 ms flush grace) as unavailable', async () => {
    const writer = new FakeAimWriter();
    writer.hangFlush = true;
    const sink = track(sinkWith(writer));
    const started = Date.now();
    const outcome = await sink.write([chatSpan()], 30);
    expect(outcome).to.deep.equal({ status: 'unavailable', reason: 'the deadline passed before Aim acknowledged the writes' });
    expect(Date.now() - started).to.be.lessThan(1_000);
    expect(writer.count('detach')).to.equal(0); // slow is not gone: the runs stay open
  });

  it('a batch that keeps failing transiently for one run does not stall the others: they are written while it waits for its retry, and it is written once its trouble is over', async () => {
    const writer = new FakeAimWriter();
    writer.failRun('bad', new AimUnavailableError('this run cannot be written now'), 4);
    const clock = new FakeClock(); // the backoff (200 ms doubling) passes in virtual time
    const sink = track(sinkWith(writer, { retryDeadlineMs: 60_000 }, { clock, retry: { initialDelayMs: 200, maxDelayMs: 5_000 } }));
    const settled: string[] = [];
    const written = (hash: string): Promise<void> =>
      sink.writePlans([planFor(hash)], 1, 60_000).then((outcome) => {
        settled.push(`${hash} ${outcome.status} at +${String(clock.now() - started)} ms`);
      });
    const started = clock.now();
    await Promise.all([written('bad'), written('good1'), written('good2')]);
    expect(settled.map((line) => line.replace(/ at .*/, ''))).to.deep.equal(['good1 written', 'good2 written', 'bad written']);
    expect(settled[0]).to.match(/at \+0 ms$/); // not after the bad batch's backoff
    expect(writer.count('track bad')).to.equal(5);
    expect(writer.count('track good1')).to.equal(1);
    expect(writer.count('track good2')).to.equal(1);
    expect(sink.stats.queued).to.equal(0);
  });

  it('Aim-wide trouble: batches do not take turns hammering it; every attempt waits for the shared backoff until its deadline', async () => {
    const writer = new FakeAimWriter();
    writer.fail('connect', new AimUnavailableError('refused'), 1_000_000);
    const clock = new FakeClock();
    const sink = track(sinkWith(writer, {}, { clock, retry: { initialDelayMs: 200, maxDelayMs: 5_000 } }));
    const outcomes = await Promise.all([1, 2, 3].map((i) => sink.writePlans([planFor(`r${String(i)}`)], 1, 60_000)));
    expect(outcomes.map((outcome) => outcome.status)).to.deep.equal(['unavailable', 'unavailable', 'unavailable']);
    // One batch alone makes 12 to 40 attempts in 60 s (see above); three together not three times as many.
    expect(writer.count('connect')).to.be.within(12, 45);
    // Given up at the deadline: a shared backoff may end past it (by at most the longest delay, 5 000 ms
    // with the default jitter of ±50 %), then the batch gives up without an attempt.
    expect(clock.now() - 1_764_000_000_000).to.be.within(55_000, 60_000 + 5_000 * 1.5);
  });

  it("writes sent after their batch's deadline (it waited that long in the queue) get the flush grace: acknowledged, they count as written, not unavailable", async () => {
    const writer = new FakeAimWriter();
    writer.latencyMs = 40; // opening the run and the flush each take 40 ms: past the 5 ms deadline
    const sink = track(sinkWith(writer, {}, { flushGraceMs: 2_000 }));
    expect(await sink.write([chatSpan()], 5)).to.deep.equal({ status: 'written' });
    expect(sink.stats).to.include({ written: 1, dropped: 0, queued: 0 });
  });

  it('closes a run idle for idleCloseMs; more writes reopen it', async () => {
    const writer = new FakeAimWriter();
    const sink = track(sinkWith(writer, { idleCloseMs: 20 }, { idleCheckMs: 5 }));
    expect(await sink.writePlans([planFor('r1')], 1, 5_000)).to.deep.equal({ status: 'written' });
    expect(sink.stats.openRuns).to.equal(1);
    await until(() => sink.stats.openRuns === 0);
    expect(writer.count('closeRun r1')).to.equal(1);
    expect(await sink.writePlans([planFor('r1')], 1, 5_000)).to.deep.equal({ status: 'written' });
    expect(writer.count('createRun r1')).to.equal(2);
  });

  it('keeps at most maxOpenRuns open, closing the least recently used', async () => {
    const writer = new FakeAimWriter();
    const sink = track(sinkWith(writer, { maxOpenRuns: 2 }));
    for (const hash of ['r1', 'r2', 'r1', 'r3']) await sink.writePlans([planFor(hash)], 1, 5_000);
    expect(sink.stats.openRuns).to.equal(2);
    expect(writer.calls.filter((call) => call.startsWith('closeRun'))).to.deep.equal(['closeRun r2']);
  });

  it('shutdown: every call returns the same promise, resolved once the runs and the connection are closed', async () => {
    const writer = new FakeAimWriter();
    writer.latencyMs = 20;
    const sink = sinkWith(writer);
    sink.submit([chatSpan()]);
    const first = sink.shutdown();
    const second = sink.shutdown();
    expect(second).to.equal(first);
    await second;
    expect(writer.count(`closeRun ${RUN}`)).to.equal(1);
    expect(writer.calls.at(-1)).to.equal('closed');
    expect(sink.stats).to.include({ written: 1, openRuns: 0 });
    expect(sink.shutdown()).to.equal(first);
    expect(sink.submit([chatSpan()])).to.equal(false);
    expect(await sink.write([chatSpan()], 1_000)).to.deep.include({ status: 'failed' });
  });

  it('drops are counted always and logged at most once per interval, with the count since the last line', async () => {
    const clock = new FakeClock();
    const sink = sinkWith(new FakeAimWriter(), {}, { clock, logIntervalMs: 10_000 });
    await sink.shutdown();
    const lines = await diagLines(async () => {
      for (let i = 0; i < 5; i++) sink.submit([chatSpan(), chatSpan()]);
      clock.advance(10_000);
      sink.submit([chatSpan()]);
      await Promise.resolve();
    });
    expect(sink.stats.dropped).to.equal(11);
    const drops = lines.filter((line) => line.includes('dropped spans'));
    expect(drops).to.have.length(2);
    expect(drops[0]).to.contain('dropped spans: 2 (2 in all): the sink is shut down');
    expect(drops[1]).to.contain('dropped spans: 1 (11 in all)').and.contain('(and 8 more since the last report)');
  });
});

describe('AimSink: its own Aim traffic is not traced', () => {
  let registered = false;
  before(() => {
    registered = context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  });
  after(() => {
    if (registered) context.disable();
  });

  it('the fake sees tracing suppressed in every call, heartbeat and idle close, whatever context the caller writes in', async () => {
    const writer = new FakeAimWriter();
    // The control: called from an app's traced context, the fake does see it unsuppressed.
    const appContext = trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE, spanId: '00000000000000aa', traceFlags: 1 });
    await context.with(appContext, () => writer.flush());
    expect(writer.unsuppressed).to.deep.equal(['flush']);
    writer.unsuppressed.length = 0;
    writer.calls.length = 0;

    const sink = await context.with(appContext, async () => {
      const created = sinkWith(writer, { idleCloseMs: 10 }, { idleCheckMs: 5 });
      created.submit([chatSpan()]);
      expect(await created.writePlans([planFor('r2')], 1, 5_000)).to.deep.equal({ status: 'written' });
      return created;
    });
    await until(() => writer.heartbeats >= 3 && sink.stats.openRuns === 0);
    await context.with(appContext, () => sink.shutdown());
    expect(writer.count('connect')).to.be.greaterThan(0);
    expect(writer.count('closeRun')).to.equal(2);
    expect(writer.count('close')).to.equal(1);
    expect(writer.unsuppressed).to.deep.equal([]);
    expect(writer.unsuppressedHeartbeats).to.equal(0);
  });
});
