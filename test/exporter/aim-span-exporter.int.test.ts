import { type Tracer, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { expect } from 'chai';
import { AimSpanExporter } from '../../src/exporter/aim-span-exporter.js';
import { runHash } from '../../src/mapping/run-key.js';
import { type AimServer, startAimServer } from '../peers/aim.js';
import { type OracleRun, readAimRepo } from '../peers/oracle.js';
import { exportNow } from '../support/readable-span.js';

/** Spans of `count` chat calls, each with a tool call, in conversation `conversation`. */
function recordChats(count: number, conversation: string): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'exporter-test' }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer: Tracer = provider.getTracer('test');
  for (let i = 0; i < count; i++) {
    const agent = tracer.startSpan('invoke_agent helper', {
      attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'helper', 'gen_ai.conversation.id': conversation },
    });
    const parent = trace.setSpan(context.active(), agent); // explicit: no context manager is registered here
    {
      const chat = tracer.startSpan(
        'chat fake-model',
        {
          attributes: {
            'gen_ai.operation.name': 'chat',
            'gen_ai.provider.name': 'fake',
            'gen_ai.request.model': 'fake-model',
            'gen_ai.request.temperature': 0.5,
            'gen_ai.conversation.id': conversation,
            'gen_ai.usage.input_tokens': 10 + i,
            'gen_ai.usage.output_tokens': 20 + i,
            'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: `question ${String(i)}` }] }]),
            'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: `answer ${String(i)}` }] }]),
          },
        },
        parent,
      );
      chat.end();
      const tool = tracer.startSpan(
        'execute_tool add',
        {
          attributes: {
            'gen_ai.operation.name': 'execute_tool',
            'gen_ai.tool.name': 'add',
            'gen_ai.tool.call.arguments': `{"i":${String(i)}}`,
            'gen_ai.tool.call.result': String(i),
          },
        },
        parent,
      );
      if (i === 0) tool.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
      tool.end();
      agent.end();
    }
  }
  return memory.getFinishedSpans();
}

async function theRun(server: AimServer, conversation: string): Promise<OracleRun> {
  const hash = runHash(conversation);
  const report = await readAimRepo(server.repoDir, [hash]);
  const run = report.runs[0];
  if (!run) throw new Error(`no run for conversation ${conversation}`);
  return run;
}

function points(run: OracleRun, name: string): number {
  return run.sequences.filter((s) => s.name === name).reduce((n, s) => n + s.steps.length, 0);
}

describe('AimSpanExporter against the real aim server', function () {
  this.timeout(180_000);
  let server: AimServer;
  beforeEach(async () => {
    server = await startAimServer();
  });
  afterEach(async () => {
    await server.process.stop();
  });

  it('writes one run per conversation with params, token metrics, durations and texts; the run is closed at shutdown', async () => {
    const spans = recordChats(3, 'conv-1');
    const exporter = new AimSpanExporter({ url: server.url });
    expect(await exportNow(exporter, spans)).to.equal(ExportResultCode.SUCCESS);
    await exporter.shutdown();

    const run = await theRun(server, 'conv-1');
    expect(run.experiment).to.equal('exporter-test');
    expect(run.active).to.equal(false);
    const traceIds = [...new Set(spans.map((s) => s.spanContext().traceId))].sort();
    expect(Object.keys(run.params['otel'] as Record<string, unknown>)).to.have.members(['resource', 'traces']);
    const traces = (run.params['otel'] as { traces: { count: number; first: { trace_id: string }[]; last: unknown[] } }).traces;
    expect([traces.count, traces.first.map((t) => t.trace_id).sort(), traces.last]).to.deep.equal([3, traceIds, []]);
    expect(run.params['gen_ai']).to.deep.equal({ request: { model: 'fake-model', temperature: 0.5 }, conversation: { id: 'conv-1' } });
    const context = { operation: 'chat', model: 'fake-model', provider: 'fake' };
    const input = run.sequences.find((s) => s.name === 'gen_ai.usage.input_tokens');
    expect(input?.context).to.deep.equal(context);
    expect(input?.dtype).to.equal('int');
    // Spans started in the same millisecond are ordered by their span ids' low bits, not by creation.
    expect([...(input?.values ?? [])].sort()).to.deep.equal([10, 11, 12]);
    expect([...(run.sequences.find((s) => s.name === 'gen_ai.usage.output_tokens')?.values ?? [])].sort()).to.deep.equal([20, 21, 22]);
    expect(points(run, 'gen_ai.client.operation.duration')).to.equal(3);
    expect([...(run.sequences.find((s) => s.name === 'on_llm_start')?.values ?? [])].sort()).to.deep.equal([
      'user: question 0',
      'user: question 1',
      'user: question 2',
    ]);
    expect([...(run.sequences.find((s) => s.name === 'on_llm_end')?.values ?? [])].sort()).to.deep.equal([
      'assistant: answer 0',
      'assistant: answer 1',
      'assistant: answer 2',
    ]);
    expect(run.sequences.find((s) => s.name === 'on_tool_end')?.context).to.deep.equal({ action: 'on_tool_end', operation: 'execute_tool', tool: 'add' });
    expect(points(run, 'errors')).to.equal(1);
    expect(exporter.stats).to.deep.include({ received: spans.length, written: spans.length, dropped: 0, queued: 0 });
  });

  it('adds nothing twice: the same spans exported again, and again by a restarted exporter', async () => {
    const spans = recordChats(5, 'conv-dup');
    const first = new AimSpanExporter({ url: server.url });
    await exportNow(first, spans);
    await exportNow(first, spans); // a retry after a timeout
    await first.shutdown();
    const restarted = new AimSpanExporter({ url: server.url }); // a new process replays the batch
    await exportNow(restarted, spans);
    await restarted.shutdown();

    const run = await theRun(server, 'conv-dup');
    for (const name of [
      'gen_ai.usage.input_tokens',
      'gen_ai.usage.output_tokens',
      'gen_ai.client.operation.duration',
      'on_llm_start',
      'on_llm_end',
      'on_tool_start',
    ]) {
      expect(points(run, name), name).to.equal(5);
    }
    expect(points(run, 'errors')).to.equal(1);
  });

  it('an Aim outage of 10 s during export: every span lands exactly once', async () => {
    const exporter = new AimSpanExporter({ url: server.url, aim: { ackTimeoutMs: 2_000 } });
    const before = recordChats(4, 'conv-outage');
    await exportNow(exporter, before);
    await exporter.forceFlush();

    await server.process.stop();
    const during = recordChats(4, 'conv-outage');
    expect(await exportNow(exporter, during)).to.equal(ExportResultCode.SUCCESS);
    await new Promise((wait) => setTimeout(wait, 10_000));
    server = await startAimServer({ repoDir: server.repoDir, port: server.port });
    await exporter.shutdown();

    const run = await theRun(server, 'conv-outage');
    expect(points(run, 'gen_ai.usage.input_tokens')).to.equal(8);
    expect(points(run, 'on_llm_end')).to.equal(8);
    expect(exporter.stats).to.deep.include({ written: before.length + during.length, dropped: 0 });
  });

  it('a run kept open across batches gets later tags and a changed name, each written once', async () => {
    const exporter = new AimSpanExporter({ url: server.url });
    const tagged = (tags: string[], name: string): ReadableSpan[] => {
      const memory = new InMemorySpanExporter();
      const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] });
      provider
        .getTracer('t')
        .startSpan('chat m', {
          attributes: {
            'gen_ai.operation.name': 'chat',
            'gen_ai.request.model': 'm',
            'gen_ai.conversation.id': 'conv-tags',
            'aim.tags': tags,
            'aim.run_name': name,
          },
        })
        .end();
      return memory.getFinishedSpans();
    };
    await exportNow(exporter, tagged(['a'], 'first name'));
    await exportNow(exporter, tagged(['a', 'b'], 'first name'));
    await exportNow(exporter, tagged(['b'], 'second name'));
    await exporter.shutdown();
    const run = await theRun(server, 'conv-tags');
    expect([run.name, run.tags]).to.deep.equal(['second name', ['a', 'b']]);
  });

  it('closes a run after the idle time, and reopens it for late spans', async () => {
    const exporter = new AimSpanExporter({ url: server.url, idleCloseMs: 1_000 });
    await exportNow(exporter, recordChats(1, 'conv-idle'));
    await exporter.forceFlush();
    await new Promise((wait) => setTimeout(wait, 3_000));
    expect(exporter.stats.openRuns).to.equal(0);
    expect((await theRun(server, 'conv-idle')).active).to.equal(false);

    await exportNow(exporter, recordChats(1, 'conv-idle'));
    await exporter.forceFlush();
    // Reopened (checked at once: reading the run with the oracle takes longer than the idle time,
    // after which the exporter rightly closes it again).
    expect(exporter.stats.openRuns).to.equal(1);
    await exporter.shutdown();
    const run = await theRun(server, 'conv-idle');
    expect([run.active, points(run, 'on_llm_start')]).to.deep.equal([false, 2]);
  });

  it('a full queue answers FAILED and counts the dropped spans; shutdown is idempotent; after it export answers FAILED; nothing throws', async () => {
    server.process.signal('SIGSTOP');
    const exporter = new AimSpanExporter({ url: server.url, maxQueueSpans: 10, retryDeadlineMs: 1_000, aim: { requestTimeoutMs: 500 } });
    const spans = recordChats(2, 'conv-full'); // 6 spans
    expect(await exportNow(exporter, spans)).to.equal(ExportResultCode.SUCCESS);
    expect(await exportNow(exporter, spans)).to.equal(ExportResultCode.FAILED);
    expect(exporter.droppedSpans).to.equal(6);
    expect(() => {
      exporter.export(spans, () => {
        throw new Error('a callback that throws');
      });
    }).to.not.throw();
    server.process.signal('SIGCONT');
    await exporter.shutdown();
    await exporter.shutdown(); // idempotent
    expect(await exportNow(exporter, spans)).to.equal(ExportResultCode.FAILED);
  });
});
