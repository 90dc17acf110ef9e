/**
 * Issue 5, point 5: a LangChain.js chain and a tool-calling agent traced by our handler, one
 * TracerProvider with two BatchSpanProcessors — one into AimSpanExporter (real aim server), one into
 * the OTLP exporter (real Jaeger). Aim (read with the oracle) holds the run with its params, token
 * metrics and texts; Jaeger holds the same traces with every span.
 */
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { awaitAllCallbacks } from '@langchain/core/callbacks/promises';
import { StringOutputParser } from '@langchain/core/output_parsers';
import { ChatPromptTemplate } from '@langchain/core/prompts';
import { tool } from '@langchain/core/tools';
import { createReactAgent } from '@langchain/langgraph/prebuilt';
import { expect } from 'chai';
import { z } from 'zod';
import { AimSpanExporter } from '../../src/exporter/aim-span-exporter.js';
import { GenAICallbackHandler } from '../../src/langchain/index.js';
import { runHash } from '../../src/mapping/run-key.js';
import { startJaeger } from '../peers/collector.js';
import { startAimServer } from '../peers/aim.js';
import { getJson } from '../../src/up/http.js';
import { readAimRepo } from '../peers/oracle.js';
import { ScriptedChatModel } from '../langchain/helpers.js';

interface JaegerTrace {
  data: { traceID: string; spans: { spanID: string; operationName: string }[] }[];
}

describe('in-process: LangChain handler → AimSpanExporter (Aim) and OTLP exporter (Jaeger)', function () {
  this.timeout(180_000);

  it('lands a chain and a tool-calling agent in Aim and the same traces with every span in Jaeger', async () => {
    const contextManager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(contextManager);
    const [aim, jaeger] = await Promise.all([startAimServer(), startJaeger()]);
    const aimExporter = new AimSpanExporter({ url: aim.url });
    const memory = new InMemorySpanExporter(); // what was produced, to compare both sides with
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'in-process-e2e' }),
      spanProcessors: [
        new BatchSpanProcessor(aimExporter, { scheduledDelayMillis: 200 }),
        new BatchSpanProcessor(new OTLPTraceExporter({ url: `${jaeger.otlpHttpUrl}/v1/traces` }), { scheduledDelayMillis: 200 }),
        new SimpleSpanProcessor(memory),
      ],
    });
    try {
      const handler = new GenAICallbackHandler({ tracerProvider: provider, captureMessageContent: true });
      const config = { callbacks: [handler], configurable: { thread_id: 'e2e-conversation' }, metadata: { thread_id: 'e2e-conversation' } };

      // A chain: prompt → fake chat model → parser.
      const chatModel = new ScriptedChatModel({
        model: 'fake-gpt',
        temperature: 0.3,
        responses: [{ content: 'Paris.', usage_metadata: { input_tokens: 21, output_tokens: 3, total_tokens: 24 } }],
      });
      const chain = ChatPromptTemplate.fromMessages([['human', 'What is the capital of {country}?']])
        .pipe(chatModel)
        .pipe(new StringOutputParser());
      expect(await chain.invoke({ country: 'France' }, config)).to.equal('Paris.');

      // A tool-calling agent (LangGraph's prebuilt ReAct agent).
      const add = tool((input: { a: number; b: number }) => String(input.a + input.b), {
        name: 'add',
        description: 'adds two numbers',
        schema: z.object({ a: z.number(), b: z.number() }),
      });
      const agentModel = new ScriptedChatModel({
        model: 'fake-gpt',
        responses: [
          {
            content: '',
            tool_calls: [{ id: 'call_1', name: 'add', args: { a: 1, b: 2 } }],
            usage_metadata: { input_tokens: 50, output_tokens: 10, total_tokens: 60 },
          },
          { content: 'The answer is 3', usage_metadata: { input_tokens: 70, output_tokens: 6, total_tokens: 76 } },
        ],
      });
      // The issue asks for LangGraph's prebuilt ReAct agent (deprecated in favour of langchain's createAgent).
      // eslint-disable-next-line @typescript-eslint/no-deprecated
      const agent = createReactAgent({ llm: agentModel, tools: [add], name: 'calculator' });
      await agent.invoke({ messages: [{ role: 'user', content: 'what is 1+2?' }] }, config);
      await awaitAllCallbacks();
      await provider.forceFlush();
      await aimExporter.forceFlush();

      const produced = memory.getFinishedSpans();
      const traceIds = [...new Set(produced.map((s) => s.spanContext().traceId))].sort();
      expect(traceIds).to.have.length(2);

      // Aim: one run for the conversation, closed at shutdown.
      await provider.shutdown();
      const hash = runHash('e2e-conversation');
      const report = await readAimRepo(aim.repoDir, [hash]);
      const run = report.runs[0];
      if (!run) throw new Error('no Aim run for the conversation');
      expect(run.experiment).to.equal('in-process-e2e');
      expect(run.active).to.equal(false);
      const otel = run.params['otel'] as { traces: { count: number; first: { trace_id: string }[]; last: unknown[] } };
      expect(otel.traces.count).to.equal(2);
      expect(otel.traces.first.map((t) => t.trace_id).sort()).to.deep.equal(traceIds);
      expect(otel.traces.last).to.deep.equal([]);
      expect(run.params['gen_ai']).to.deep.include({ request: { model: 'fake-gpt', temperature: 0.3 } });
      const values = (name: string): unknown[] => run.sequences.filter((s) => s.name === name).flatMap((s) => s.values);
      expect(values('gen_ai.usage.input_tokens').sort()).to.deep.equal([21, 50, 70]);
      expect(values('gen_ai.usage.output_tokens').sort((a, b) => Number(a) - Number(b))).to.deep.equal([3, 6, 10]);
      expect(values('gen_ai.client.operation.duration')).to.have.length(3);
      expect(values('on_llm_start')).to.include('user: What is the capital of France?');
      expect(values('on_llm_end')).to.include('assistant: Paris.');
      expect(values('on_tool_start')).to.deep.equal(['{"a":1,"b":2}']);
      expect(values('on_tool_end')).to.deep.equal(['3']);
      expect(run.sequences.find((s) => s.name === 'on_tool_end')?.context).to.deep.include({ tool: 'add' });

      // Jaeger: the same traces, with every span the handler produced.
      for (const traceId of traceIds) {
        const expected = produced
          .filter((s) => s.spanContext().traceId === traceId)
          .map((s) => s.spanContext().spanId)
          .sort();
        const stored = (await getJson(`${jaeger.queryUrl}/api/traces/${traceId}`)) as JaegerTrace;
        expect(stored.data[0]?.spans.map((s) => s.spanID).sort(), `trace ${traceId}`).to.deep.equal(expected);
      }
    } finally {
      context.disable();
      await provider.shutdown().catch(() => undefined);
      await Promise.all([aim.process.stop(), jaeger.process.stop()]);
    }
  });
});
