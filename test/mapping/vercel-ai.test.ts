/**
 * The real Vercel AI SDK (`ai` 6.x, mock language model, built-in telemetry) → finished spans →
 * `fromReadableSpan` → `planWrites`: its model calls land in the same Aim layout as GenAI-semconv
 * spans (one token point per model call, context {operation, model, provider}), the calls around
 * them as chains without metrics, tool calls as tools.
 */
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { expect } from 'chai';
import type { RunWritePlan } from '../../src/mapping/aim-plan.js';
import { spanStep } from '../../src/mapping/span-places.js';
import { planWrites } from '../../src/mapping/to-aim.js';
import { fromReadableSpan } from '../../src/model/from-readable-span.js';
import type { SpanRecord } from '../../src/model/span-record.js';
import { FIRST_CHUNK_DELAY_MS, MOCK_MODEL, MOCK_PROVIDER, runGenerateText, runStreamText, runToolFlow } from './vercel-ai-flows.js';

const CALL = { operation: 'chat', model: MOCK_MODEL, provider: MOCK_PROVIDER };
const WORKFLOW = { operation: 'invoke_workflow', model: MOCK_MODEL, provider: MOCK_PROVIDER };
const TOOL = { operation: 'execute_tool', tool: 'add' };

describe('Vercel AI SDK (ai 6.x, real, mock model) → planWrites', () => {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'vercel-ai-test' }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('vercel-ai-test');

  before(() => {
    // The SDK nests its spans through the active context.
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  });
  after(async () => {
    context.disable();
    await provider.shutdown();
  });
  beforeEach(() => {
    memory.reset();
  });

  /** The finished spans as records, by name (several of a name in end order). */
  function finished(): { spans: SpanRecord[]; named: (name: string) => SpanRecord[]; run: RunWritePlan } {
    const spans = memory.getFinishedSpans().map((s) => fromReadableSpan(s));
    const plan = planWrites(spans);
    expect(plan.problems).to.deep.equal([]);
    expect(plan.runs).to.have.length(1);
    const [run] = plan.runs;
    if (!run) throw new Error('no run');
    return { spans, named: (name) => spans.filter((s) => s.name === name), run };
  }

  const seconds = (s: SpanRecord): number => Number(s.endTimeUnixNano - s.startTimeUnixNano) / 1e9;
  /** The `gen_ai.response` text of a model call: the SDK's response id (the mock makes one up), the model, the finish reason in GenAI terms. */
  const responseId = (call: SpanRecord): string => {
    const id = call.attributes['ai.response.id'];
    if (typeof id !== 'string') throw new Error('no ai.response.id');
    return id;
  };
  const response = (call: SpanRecord, finishReason: string): string => `id: ${responseId(call)}\nmodel: ${MOCK_MODEL}\nfinish_reasons: ${finishReason}`;
  const only = (spans: SpanRecord[]): SpanRecord => {
    expect(spans).to.have.length(1);
    return spans[0] as SpanRecord;
  };

  it('generateText: one model call (tokens, duration, prompts, completion) inside a chain without metrics', async () => {
    expect(await runGenerateText(tracer)).to.equal('Paris.');
    const { spans, named, run } = finished();
    expect(spans.map((s) => s.name)).to.deep.equal(['ai.generateText.doGenerate', 'ai.generateText']);
    const call = only(named('ai.generateText.doGenerate'));
    const outer = only(named('ai.generateText'));
    const time = Number(call.endTimeUnixNano) / 1e9;

    expect(run.key).to.equal(outer.traceId);
    // One run per trace: named after its root span, the root's start (UTC) and the trace (run-description.ts).
    const started = new Date(Number(outer.startTimeUnixNano / 1_000_000n)).toISOString().slice(11, 19);
    expect(run.name).to.equal(`ai.generateText · ${started} · trace ${outer.traceId.slice(0, 8)}`);
    expect(run.experiment).to.equal('vercel-ai-test');
    expect(run.metrics.map((m) => [m.name, m.value, m.context, m.step, m.time, m.spanId])).to.deep.equal([
      ['gen_ai.usage.input_tokens', 21n, CALL, spanStep(call), time, call.spanId],
      ['gen_ai.usage.output_tokens', 3n, CALL, spanStep(call), time, call.spanId],
      ['gen_ai.usage.total_tokens', 24n, CALL, spanStep(call), time, call.spanId],
      ['gen_ai.client.operation.duration', seconds(call), CALL, spanStep(call), time, call.spanId],
    ]);
    const prompt = 'system: Answer briefly.\nuser: What is the capital of France?';
    expect(run.texts.map((t) => [t.name, t.text, t.context, t.spanId])).to.deep.equal([
      ['on_llm_start', prompt, { action: 'on_llm_start', ...CALL }, call.spanId],
      ['on_llm_end', 'assistant: Paris.', { action: 'on_llm_end', ...CALL }, call.spanId],
      ['gen_ai.response', response(call, 'stop'), CALL, call.spanId],
      ['on_chain_start', prompt, { action: 'on_chain_start', ...WORKFLOW }, outer.spanId],
      ['on_chain_end', 'Paris.', { action: 'on_chain_end', ...WORKFLOW }, outer.spanId],
    ]);
    const request = run.params.find((p) => p.path.join('/') === 'gen_ai/request');
    expect(request?.value).to.deep.equal({ model: MOCK_MODEL, temperature: 0.3 });
    expect(run.params.find((p) => p.path.join('/') === 'gen_ai/response/model')?.value).to.equal(MOCK_MODEL);
  });

  it('generateText: the same points as a GenAI-semconv span of the same call', async () => {
    await runGenerateText(tracer);
    const { named, run } = finished();
    const call = only(named('ai.generateText.doGenerate'));
    const semconv: SpanRecord = {
      ...call,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': MOCK_PROVIDER,
        'gen_ai.request.model': MOCK_MODEL,
        'gen_ai.request.temperature': 0.3,
        'gen_ai.usage.input_tokens': 21,
        'gen_ai.usage.output_tokens': 3,
        'gen_ai.response.id': responseId(call),
        'gen_ai.response.model': MOCK_MODEL,
        'gen_ai.response.finish_reasons': ['stop'],
        'gen_ai.system_instructions': JSON.stringify([{ type: 'text', content: 'Answer briefly.' }]),
        'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'What is the capital of France?' }] }]),
        'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: 'Paris.' }], finish_reason: 'stop' }]),
      },
    };
    const [reference] = planWrites([semconv]).runs;
    const points = (r: RunWritePlan | undefined): unknown[] => [
      ...(r?.metrics ?? []).map((m) => [m.name, m.value, m.context, m.step]),
      ...(r?.texts ?? []).filter((t) => t.spanId === call.spanId).map((t) => [t.name, t.text, t.context, t.step]),
    ];
    expect(points(run)).to.deep.equal(points(reference));
    expect(run.params.find((p) => p.path.join('/') === 'gen_ai/request')).to.deep.equal(reference?.params.find((p) => p.path.join('/') === 'gen_ai/request'));
  });

  it('streamText (consumed fully): tokens, duration and time to first token of the stream, texts', async () => {
    expect(await runStreamText(tracer)).to.equal('Hello, world!');
    const { spans, named, run } = finished();
    expect(spans.map((s) => s.name)).to.deep.equal(['ai.streamText.doStream', 'ai.streamText']);
    const call = only(named('ai.streamText.doStream'));
    const outer = only(named('ai.streamText'));
    const msToFirstChunk = call.attributes['ai.response.msToFirstChunk'];
    if (typeof msToFirstChunk !== 'number') throw new Error('no ai.response.msToFirstChunk');
    expect(msToFirstChunk)
      .to.be.greaterThan(FIRST_CHUNK_DELAY_MS / 2)
      .and.lessThan(seconds(call) * 1000);

    expect(run.metrics.map((m) => [m.name, m.value, m.context, m.spanId])).to.deep.equal([
      ['gen_ai.usage.input_tokens', 8n, CALL, call.spanId],
      ['gen_ai.usage.output_tokens', 4n, CALL, call.spanId],
      ['gen_ai.usage.total_tokens', 12n, CALL, call.spanId],
      ['gen_ai.client.operation.duration', seconds(call), CALL, call.spanId],
      ['gen_ai.server.time_to_first_token', msToFirstChunk / 1000, CALL, call.spanId],
    ]);
    expect(run.texts.map((t) => [t.name, t.text, t.context, t.spanId])).to.deep.equal([
      ['on_llm_start', 'user: Say hello.', { action: 'on_llm_start', ...CALL }, call.spanId],
      ['on_llm_end', 'assistant: Hello, world!', { action: 'on_llm_end', ...CALL }, call.spanId],
      ['gen_ai.response', response(call, 'stop'), CALL, call.spanId],
      ['on_chain_start', 'user: Say hello.', { action: 'on_chain_start', ...WORKFLOW }, outer.spanId],
      ['on_chain_end', 'Hello, world!', { action: 'on_chain_end', ...WORKFLOW }, outer.spanId],
    ]);
  });

  it('a tool flow over two steps: two model calls (one token point each), the tool call, the chain', async () => {
    expect(await runToolFlow(tracer)).to.equal('The answer is 3');
    const { spans, named, run } = finished();
    expect(spans.map((s) => s.name)).to.deep.equal(['ai.generateText.doGenerate', 'ai.toolCall', 'ai.generateText.doGenerate', 'ai.generateText']);
    const [first, second] = named('ai.generateText.doGenerate') as [SpanRecord, SpanRecord];
    const toolCall = only(named('ai.toolCall'));
    const outer = only(named('ai.generateText'));
    // The outer span carries the steps' totals (120 in, 16 out): they must not be counted again.
    expect([outer.attributes['ai.usage.inputTokens'], outer.attributes['ai.usage.outputTokens']]).to.deep.equal([120, 16]);

    expect(run.metrics.map((m) => [m.name, m.value, m.context, m.spanId])).to.deep.equal([
      ['gen_ai.usage.input_tokens', 50n, CALL, first.spanId],
      ['gen_ai.usage.output_tokens', 10n, CALL, first.spanId],
      ['gen_ai.usage.total_tokens', 60n, CALL, first.spanId],
      ['gen_ai.client.operation.duration', seconds(first), CALL, first.spanId],
      ['gen_ai.usage.input_tokens', 70n, CALL, second.spanId],
      ['gen_ai.usage.output_tokens', 6n, CALL, second.spanId],
      ['gen_ai.usage.total_tokens', 76n, CALL, second.spanId],
      ['gen_ai.client.operation.duration', seconds(second), CALL, second.spanId],
    ]);
    expect(run.texts.map((t) => [t.name, t.text, t.context, t.spanId])).to.deep.equal([
      ['on_llm_start', 'user: what is 1+2?', { action: 'on_llm_start', ...CALL }, first.spanId],
      ['on_llm_end', 'assistant: add({"a":1,"b":2})', { action: 'on_llm_end', ...CALL }, first.spanId],
      ['gen_ai.response', response(first, 'tool_call'), CALL, first.spanId],
      ['on_tool_start', '{"a":1,"b":2}', { action: 'on_tool_start', ...TOOL }, toolCall.spanId],
      ['on_tool_end', '3', { action: 'on_tool_end', ...TOOL }, toolCall.spanId],
      ['on_agent_action', 'TOOL INPUT:\n{"a":1,"b":2}', { action: 'on_agent_action', ...TOOL }, toolCall.spanId],
      ['on_llm_start', 'user: what is 1+2?\nassistant: add({"a":1,"b":2})\ntool: 3', { action: 'on_llm_start', ...CALL }, second.spanId],
      ['on_llm_end', 'assistant: The answer is 3', { action: 'on_llm_end', ...CALL }, second.spanId],
      ['gen_ai.response', response(second, 'stop'), CALL, second.spanId],
      ['on_chain_start', 'user: what is 1+2?', { action: 'on_chain_start', ...WORKFLOW }, outer.spanId],
      ['on_chain_end', 'The answer is 3', { action: 'on_chain_end', ...WORKFLOW }, outer.spanId],
    ]);
    // ai.prompt.tools (the schema as zod turned it into JSON schema) as the run's tool definitions.
    const tools = run.params.find((p) => p.path.join('/') === 'gen_ai/tool/definitions');
    expect(tools?.once).to.equal(true);
    const [add] = tools?.value as { type: string; name: string; description: string; parameters: { properties: Record<string, unknown> } }[];
    expect([add?.type, add?.name, add?.description, Object.keys(add?.parameters.properties ?? {})]).to.deep.equal([
      'function',
      'add',
      'adds two numbers',
      ['a', 'b'],
    ]);
  });
});
