/**
 * The real Vercel AI SDK (`ai` 6.x, mock model, built-in telemetry) → AimSpanExporter → a real
 * `aim server`, read back with Aim's own SDK (the oracle): generateText, streamText and a
 * two-step tool flow each land as a run with one token point per model call, durations, the time
 * to first token of the stream and the LangChain-named texts.
 */
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { expect } from 'chai';
import { AimSpanExporter } from '../../src/exporter/aim-span-exporter.js';
import { runHash } from '../../src/mapping/run-key.js';
import { hrTimeToNanos } from '../../src/model/from-readable-span.js';
import { startAimServer } from '../peers/aim.js';
import { type OracleRun, type OracleValue, readAimRepo } from '../peers/oracle.js';
import { MOCK_MODEL, MOCK_PROVIDER, runGenerateText, runStreamText, runToolFlow } from '../mapping/vercel-ai-flows.js';

const CALL = { operation: 'chat', model: MOCK_MODEL, provider: MOCK_PROVIDER };
const WORKFLOW = { operation: 'invoke_workflow', model: MOCK_MODEL, provider: MOCK_PROVIDER };
const TOOL = { operation: 'execute_tool', tool: 'add' };

/** Every sequence of a run: name → [context, values in step order]. */
function sequences(run: OracleRun): Record<string, [Record<string, OracleValue>, OracleValue[]]> {
  const result: Record<string, [Record<string, OracleValue>, OracleValue[]]> = {};
  for (const s of run.sequences) {
    if (s.name === 'otel.trace_waterfall') continue; // every run's figure (test/exporter/trace-waterfall.int.test.ts)
    expect(result, `one ${s.name} sequence`).to.not.have.property(s.name);
    result[s.name] = [s.context, s.values];
  }
  return result;
}

const seconds = (s: ReadableSpan): number => Number(hrTimeToNanos(s.endTime) - hrTimeToNanos(s.startTime)) / 1e9;

describe('in-process: Vercel AI SDK telemetry → AimSpanExporter → aim server', function () {
  this.timeout(180_000);

  it('lands generateText, streamText and a tool flow as runs with the GenAI layout', async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    const aim = await startAimServer();
    const exporter = new AimSpanExporter({ url: aim.url });
    const memory = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'vercel-ai-int' }),
      spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 200 }), new SimpleSpanProcessor(memory)],
    });
    try {
      const tracer = provider.getTracer('vercel-ai-int');
      expect(await runGenerateText(tracer)).to.equal('Paris.');
      expect(await runStreamText(tracer)).to.equal('Hello, world!');
      expect(await runToolFlow(tracer)).to.equal('The answer is 3');
      const produced = memory.getFinishedSpans();
      await provider.shutdown(); // flushes the exporter and closes its runs
      expect(exporter.droppedSpans).to.equal(0);

      const byName = (name: string): ReadableSpan[] => produced.filter((s) => s.name === name);
      const roots = produced.filter((s) => s.parentSpanContext === undefined);
      expect(roots.map((s) => s.name)).to.deep.equal(['ai.generateText', 'ai.streamText', 'ai.generateText']);
      const [generate, stream, tools] = roots.map((s) => s.spanContext().traceId) as [string, string, string];
      const report = await readAimRepo(
        aim.repoDir,
        [generate, stream, tools].map((traceId) => runHash(traceId)),
      );
      const run = (traceId: string): OracleRun => {
        const found = report.runs.find((r) => r.hash === runHash(traceId));
        if (!found) throw new Error(`no run for trace ${traceId}`);
        expect([found.experiment, found.active]).to.deep.equal(['vercel-ai-int', false]);
        return found;
      };

      // generateText
      const [call] = byName('ai.generateText.doGenerate');
      if (!call) throw new Error('no doGenerate span');
      const prompt = 'system: Answer briefly.\nuser: What is the capital of France?';
      const g = run(generate);
      const root = roots[0] as ReadableSpan;
      const time = new Date(root.startTime[0] * 1000 + Math.floor(root.startTime[1] / 1e6)).toISOString().slice(11, 19);
      expect(g.name).to.equal(`ai.generateText · ${time} · trace ${generate.slice(0, 8)}`);
      expect(g.params['gen_ai']).to.deep.equal({ request: { model: MOCK_MODEL, temperature: 0.3 }, response: { model: MOCK_MODEL } });
      const response = (span: ReadableSpan, finish: string): string =>
        `id: ${String(span.attributes['ai.response.id'])}\nmodel: ${MOCK_MODEL}\nfinish_reasons: ${finish}`;
      expect(sequences(g)).to.deep.equal({
        'gen_ai.usage.input_tokens': [CALL, [21]],
        'gen_ai.usage.output_tokens': [CALL, [3]],
        'gen_ai.usage.total_tokens': [CALL, [24]],
        'gen_ai.client.operation.duration': [CALL, [seconds(call)]],
        'gen_ai.response': [CALL, [response(call, 'stop')]],
        on_llm_start: [{ action: 'on_llm_start', ...CALL }, [prompt]],
        on_llm_end: [{ action: 'on_llm_end', ...CALL }, ['assistant: Paris.']],
        on_chain_start: [{ action: 'on_chain_start', ...WORKFLOW }, [prompt]],
        on_chain_end: [{ action: 'on_chain_end', ...WORKFLOW }, ['Paris.']],
      });

      // streamText
      const [doStream] = byName('ai.streamText.doStream');
      if (!doStream) throw new Error('no doStream span');
      const msToFirstChunk = doStream.attributes['ai.response.msToFirstChunk'];
      if (typeof msToFirstChunk !== 'number') throw new Error('no ai.response.msToFirstChunk');
      expect(sequences(run(stream))).to.deep.equal({
        'gen_ai.usage.input_tokens': [CALL, [8]],
        'gen_ai.usage.output_tokens': [CALL, [4]],
        'gen_ai.usage.total_tokens': [CALL, [12]],
        'gen_ai.client.operation.duration': [CALL, [seconds(doStream)]],
        'gen_ai.response': [CALL, [response(doStream, 'stop')]],
        'gen_ai.server.time_to_first_token': [CALL, [msToFirstChunk / 1000]],
        on_llm_start: [{ action: 'on_llm_start', ...CALL }, ['user: Say hello.']],
        on_llm_end: [{ action: 'on_llm_end', ...CALL }, ['assistant: Hello, world!']],
        on_chain_start: [{ action: 'on_chain_start', ...WORKFLOW }, ['user: Say hello.']],
        on_chain_end: [{ action: 'on_chain_end', ...WORKFLOW }, ['Hello, world!']],
      });

      // the tool flow: two model calls, one tool call
      const calls = byName('ai.generateText.doGenerate').filter((s) => s.spanContext().traceId === tools);
      expect(calls).to.have.length(2);
      expect(sequences(run(tools))).to.deep.equal({
        'gen_ai.usage.input_tokens': [CALL, [50, 70]],
        'gen_ai.usage.output_tokens': [CALL, [10, 6]],
        'gen_ai.usage.total_tokens': [CALL, [60, 76]],
        'gen_ai.client.operation.duration': [CALL, calls.map(seconds)],
        'gen_ai.response': [CALL, [response(calls[0] as ReadableSpan, 'tool_call'), response(calls[1] as ReadableSpan, 'stop')]],
        on_llm_start: [{ action: 'on_llm_start', ...CALL }, ['user: what is 1+2?', 'user: what is 1+2?\nassistant: add({"a":1,"b":2})\ntool: 3']],
        on_llm_end: [{ action: 'on_llm_end', ...CALL }, ['assistant: add({"a":1,"b":2})', 'assistant: The answer is 3']],
        on_tool_start: [{ action: 'on_tool_start', ...TOOL }, ['{"a":1,"b":2}']],
        on_tool_end: [{ action: 'on_tool_end', ...TOOL }, ['3']],
        on_agent_action: [{ action: 'on_agent_action', ...TOOL }, ['TOOL INPUT:\n{"a":1,"b":2}']],
        on_chain_start: [{ action: 'on_chain_start', ...WORKFLOW }, ['user: what is 1+2?']],
        on_chain_end: [{ action: 'on_chain_end', ...WORKFLOW }, ['The answer is 3']],
      });
    } finally {
      context.disable();
      await provider.shutdown().catch(() => undefined);
      await aim.process.stop();
    }
  });
});
