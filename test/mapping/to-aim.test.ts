import { expect } from 'chai';
import type { RunWritePlan } from '../../src/mapping/aim-plan.js';
import { renderMessages } from '../../src/mapping/message-text.js';
import { runHash } from '../../src/mapping/run-key.js';
import { spanStep } from '../../src/mapping/span-places.js';
import { planWrites } from '../../src/mapping/to-aim.js';
import type { Attributes, SpanRecord } from '../../src/model/span-record.js';

const TRACE_A = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const TRACE_B = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const START = 1_764_000_000_123_456_789n; // ns

let nextSpan = 1;
/** A finished span with defaults: an internal root span of service "svc" in trace A. */
function span(attributes: Attributes, more: Partial<SpanRecord> = {}): SpanRecord {
  const spanId = (nextSpan++).toString(16).padStart(16, '0');
  return {
    traceId: TRACE_A,
    spanId,
    name: 'span',
    kind: 'internal',
    startTimeUnixNano: START,
    endTimeUnixNano: START + 1_500_000_000n,
    attributes,
    events: [],
    links: [],
    status: { code: 'unset' },
    origin: { resource: { 'service.name': 'svc', 'deployment.environment': 'test' }, scopeName: 'test' },
    ...more,
  };
}

const CHAT: Attributes = {
  'gen_ai.operation.name': 'chat',
  'gen_ai.provider.name': 'openai',
  'gen_ai.request.model': 'gpt-4o-mini',
  'gen_ai.request.temperature': 0.2,
  'gen_ai.request.max_tokens': 256,
  'gen_ai.usage.input_tokens': 12,
  'gen_ai.usage.output_tokens': 34,
  'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'Hi?' }] }]),
  'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: 'Hello!' }], finish_reason: 'stop' }]),
};

function onlyRun(spans: SpanRecord[]): RunWritePlan {
  const plan = planWrites(spans);
  expect(plan.runs).to.have.length(1);
  const [run] = plan.runs;
  if (!run) throw new Error('no run');
  return run;
}

const CALL = { operation: 'chat', model: 'gpt-4o-mini', provider: 'openai' };

describe('planWrites: spans → the Aim write plan (default layout)', () => {
  it('a chat span: run by trace, experiment from service.name, token metrics as ints, duration, texts, params', () => {
    const chat = span(CHAT, { name: 'chat gpt-4o-mini' });
    const run = onlyRun([chat]);
    expect(run.key).to.equal(TRACE_A);
    expect(run.hash)
      .to.equal(runHash(TRACE_A))
      .and.match(/^[0-9a-f]{24}$/);
    expect(run.experiment).to.equal('svc');
    // A run per trace: the root's name, its start (UTC) and the trace id's first 8 digits.
    expect(run.name).to.equal('chat gpt-4o-mini · 16:00:00 · trace aaaaaaaa');
    const step = spanStep(chat);
    const time = Number(START + 1_500_000_000n) / 1e9;
    expect(run.metrics.map((m) => [m.name, m.value, m.context, m.step, m.time])).to.deep.equal([
      ['gen_ai.usage.input_tokens', 12n, CALL, step, time],
      ['gen_ai.usage.output_tokens', 34n, CALL, step, time],
      ['gen_ai.usage.total_tokens', 46n, CALL, step, time],
      ['gen_ai.client.operation.duration', 1.5, CALL, step, time],
    ]);
    expect(run.texts.map((t) => [t.name, t.text, t.context])).to.deep.equal([
      ['on_llm_start', 'user: Hi?', { action: 'on_llm_start', ...CALL }],
      ['on_llm_end', 'assistant: Hello!', { action: 'on_llm_end', ...CALL }],
      ['gen_ai.response', 'finish_reasons: stop', CALL],
    ]);
    const params = Object.fromEntries(run.params.map((p) => [p.path.join('/'), [p.value, p.once ?? false]]));
    expect(params).to.deep.equal({
      'otel/resource': [{ 'service.name': 'svc', 'deployment.environment': 'test' }, false],
      'gen_ai/request': [{ model: 'gpt-4o-mini', temperature: 0.2, max_tokens: 256n }, true],
    });
    // The batch's traces are no param: the applier merges them into otel.traces (see run-description.test.ts).
    expect(run.traces?.marks.map((t) => t.traceId)).to.deep.equal([TRACE_A]);
  });

  it('is deterministic: the same spans give the same plan (a replay writes the same points)', () => {
    const spans = [span(CHAT), span({ ...CHAT, 'gen_ai.usage.input_tokens': 5 }, { startTimeUnixNano: START + 7_000n })];
    expect(planWrites(spans)).to.deep.equal(planWrites(spans));
    const [s1, s2] = spans.map((s) => spanStep(s));
    expect(planWrites(spans).runs[0]?.metrics.map((m) => m.step)).to.deep.equal([s1, s1, s1, s1, s2, s2, s2, s2]);
  });

  it("a step is the start in ms x 4096 + the span id's last 12 bits: in time order, below 2^53", () => {
    const a = span(CHAT, { spanId: '0000000000000fff', startTimeUnixNano: START });
    const b = span(CHAT, { spanId: '0000000000000001', startTimeUnixNano: START + 1_000_000n });
    expect(spanStep(a)).to.equal((START / 1_000_000n) * 4096n + 4095n);
    expect(spanStep(a) < spanStep(b)).to.equal(true);
    expect(spanStep(b) < 2n ** 53n).to.equal(true);
  });

  it('spans of one sequence that share a step within a batch get the next free steps, whatever the batch order', () => {
    const a = span(CHAT, { spanId: '1000000000000abc' });
    const b = span(CHAT, { spanId: '2000000000000abc' }); // same ms, same last 12 bits
    const steps = (spans: SpanRecord[]): bigint[] =>
      (planWrites(spans).runs[0]?.texts ?? [])
        .filter((t) => t.name === 'on_llm_start')
        .map((t) => t.step)
        .sort();
    expect(steps([a, b])).to.deep.equal([spanStep(a), spanStep(a) + 1n]);
    expect(steps([b, a])).to.deep.equal(steps([a, b]));
    expect(planWrites([b, a]).runs[0]?.texts.find((t) => t.spanId === b.spanId && t.name === 'on_llm_start')?.step).to.equal(spanStep(a) + 1n);
  });

  describe('run keys', () => {
    const keyed = (conversation: string, traceId: string): SpanRecord => span({ ...CHAT, 'gen_ai.conversation.id': conversation }, { traceId });
    const cases: [string, SpanRecord[], string[]][] = [
      ['two traces of one conversation share a run', [keyed('c1', TRACE_A), keyed('c1', TRACE_B)], ['c1']],
      ['two conversations are two runs', [keyed('c1', TRACE_A), keyed('c2', TRACE_B)], ['c1', 'c2']],
      ['aim.run_key wins over the conversation', [span({ ...CHAT, 'aim.run_key': 'k', 'gen_ai.conversation.id': 'c1' })], ['k']],
      ['session.id when there is no conversation', [span({ ...CHAT, 'session.id': 's1' })], ['s1']],
      [
        'a span without a key follows the key of its trace',
        [span({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'add' }), keyed('c9', TRACE_A)],
        ['c9'],
      ],
    ];
    for (const [title, spans, keys] of cases) {
      it(title, () => {
        expect(planWrites(spans).runs.map((r) => r.key)).to.deep.equal(keys);
      });
    }

    it('the trace strategy ignores conversation ids; a function strategy decides itself', () => {
      expect(planWrites([keyed('c1', TRACE_A)], { runKey: 'trace' }).runs.map((r) => r.key)).to.deep.equal([TRACE_A]);
      expect(planWrites([keyed('c1', TRACE_A)], { runKey: (s) => s.name }).runs.map((r) => r.key)).to.deep.equal(['span']);
    });

    it("the memo carries a trace's key to spans of later batches", () => {
      const memo = new Map<string, string>();
      planWrites([keyed('c1', TRACE_A)], {}, memo);
      const late = span({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'add' });
      expect(planWrites([late], {}, memo).runs.map((r) => r.key)).to.deep.equal(['c1']);
    });

    it('the namespace changes every hash', () => {
      expect(planWrites([span(CHAT)], { namespace: 'prod' }).runs[0]?.hash).to.not.equal(planWrites([span(CHAT)]).runs[0]?.hash);
    });
  });

  it('aim.experiment, aim.run_name, aim.tags and aim.run_description are honoured', () => {
    const run = onlyRun([span({ ...CHAT, 'aim.experiment': 'exp', 'aim.run_name': 'my run', 'aim.tags': ['a', 'b'], 'aim.run_description': 'd' })]);
    expect([run.experiment, run.name, run.tags, run.description]).to.deep.equal(['exp', 'my run', ['a', 'b'], 'd']);
    expect(onlyRun([span(CHAT)]).experiment).to.equal('svc');
    expect(planWrites([span(CHAT)], { experiment: 'configured' }).runs[0]?.experiment).to.equal('configured');
  });

  it('the experiment a span names wins wherever the span is in the batch (children first, as a BatchSpanProcessor sends them), over the configured one and the service', () => {
    const conversation = { ...CHAT, 'gen_ai.conversation.id': 'named-later' };
    const root = span({ ...conversation, 'aim.experiment': 'named' }, { spanId: '00000000000000e1' });
    const child = span(conversation, { spanId: '00000000000000e2', parentSpanId: '00000000000000e1' });
    for (const batch of [
      [child, root],
      [root, child],
    ]) {
      expect(onlyRun(batch).experiment).to.equal('named');
      expect(planWrites(batch, { experiment: 'configured' }).runs[0]?.experiment).to.equal('named');
      expect(planWrites(batch).placements.map((placement) => placement.experiment)).to.deep.equal(['named', 'named']);
    }
  });

  it('a non-GenAI span (an HTTP client span) is not mapped unless includeNonGenAI', () => {
    const http = span({ 'http.request.method': 'POST', 'url.full': 'https://api.example/v1' }, { kind: 'client' });
    expect(planWrites([http]).runs).to.deep.equal([]);
    expect(planWrites([http], { includeNonGenAI: true }).runs[0]?.spanCount).to.equal(1);
  });

  it('a failed model call counts an error with its type', () => {
    const failed = span({ ...CHAT, 'error.type': 'RateLimitError' }, { status: { code: 'error', message: '429' } });
    expect(
      onlyRun([failed])
        .metrics.filter((m) => m.name === 'errors')
        .map((m) => [m.value, m.context]),
    ).to.deep.equal([[1n, { ...CALL, role: 'llm', error_type: 'RateLimitError' }]]);
  });

  it('a tool a model called: on_tool_start/end and on_agent_action, with the tool in the context', () => {
    const tool = span({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'add',
      'gen_ai.tool.call.id': 'call_1',
      'gen_ai.tool.call.arguments': '{"a":1,"b":2}',
      'gen_ai.tool.call.result': '3',
    });
    expect(onlyRun([tool]).texts.map((t) => [t.name, t.text, t.context])).to.deep.equal([
      ['on_tool_start', '{"a":1,"b":2}', { action: 'on_tool_start', operation: 'execute_tool', tool: 'add' }],
      ['on_tool_end', '3', { action: 'on_tool_end', operation: 'execute_tool', tool: 'add' }],
      ['on_agent_action', 'TOOL INPUT:\n{"a":1,"b":2}', { action: 'on_agent_action', operation: 'execute_tool', tool: 'add' }],
    ]);
  });

  describe('other conventions', () => {
    it('OpenInference: span kind, llm.model_name, llm.token_count.*, input.value/output.value', () => {
      const run = onlyRun([
        span({
          'openinference.span.kind': 'LLM',
          'llm.model_name': 'claude-x',
          'llm.provider': 'anthropic',
          'llm.token_count.prompt': 7,
          'llm.token_count.completion': 9,
          'input.value': 'question',
          'output.value': 'answer',
        }),
      ]);
      const context = { operation: 'chat', model: 'claude-x', provider: 'anthropic' };
      expect(run.metrics.slice(0, 2).map((m) => [m.name, m.value, m.context])).to.deep.equal([
        ['gen_ai.usage.input_tokens', 7n, context],
        ['gen_ai.usage.output_tokens', 9n, context],
      ]);
      expect(run.texts.map((t) => [t.name, t.text])).to.deep.equal([
        ['on_llm_start', 'question'],
        ['on_llm_end', 'answer'],
        ['gen_ai.response', 'model: claude-x'],
      ]);
    });

    it('OpenLLMetry: gen_ai.system, gen_ai.prompt.N.*, gen_ai.completion.N.*, llm.usage.*', () => {
      const run = onlyRun([
        span({
          'llm.request.type': 'chat',
          'gen_ai.system': 'openai',
          'gen_ai.request.model': 'gpt-x',
          'gen_ai.prompt.0.role': 'system',
          'gen_ai.prompt.0.content': 'be brief',
          'gen_ai.prompt.1.role': 'user',
          'gen_ai.prompt.1.content': 'hi',
          'gen_ai.completion.0.role': 'assistant',
          'gen_ai.completion.0.content': 'hello',
          'llm.usage.prompt_tokens': 3,
          'llm.usage.completion_tokens': 1,
        }),
      ]);
      expect(run.texts.map((t) => t.text)).to.deep.equal(['system: be brief\nuser: hi', 'assistant: hello']);
      expect(run.metrics.slice(0, 2).map((m) => m.value)).to.deep.equal([3n, 1n]);
    });
  });

  it('renderMessages renders text, tool calls and tool results; other text is kept as it is', () => {
    const messages = [
      { role: 'user', parts: [{ type: 'text', content: 'add 1 and 2' }] },
      { role: 'assistant', parts: [{ type: 'tool_call', name: 'add', arguments: { a: 1, b: 2 }, id: 'c' }] },
      { role: 'tool', parts: [{ type: 'tool_call_response', response: '3', id: 'c' }] },
    ];
    expect(renderMessages(JSON.stringify(messages))).to.equal('user: add 1 and 2\nassistant: add({"a":1,"b":2})\ntool: 3');
    expect(renderMessages('[{"role": "user", "parts": [{"type": "text", "content": "trunc')).to.equal(
      '[{"role": "user", "parts": [{"type": "text", "content": "trunc',
    );
  });
});

describe('planWrites: content carried as span events', () => {
  const CALL_ONLY: Attributes = Object.fromEntries(Object.entries(CHAT).filter(([key]) => !key.endsWith('.messages')));
  const at = (ms: bigint): bigint => START + ms * 1_000_000n;

  it('per-message events (gen_ai.*.message, gen_ai.choice) fill the texts, in time order; the placement says where the span went', () => {
    const record = span(CALL_ONLY, {
      events: [
        { name: 'gen_ai.choice', timeUnixNano: at(900n), attributes: { index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'Hello.' } } },
        { name: 'gen_ai.user.message', timeUnixNano: at(2n), attributes: { content: 'Hi?' } },
        { name: 'gen_ai.system.message', timeUnixNano: at(1n), attributes: { content: 'Be brief.' } },
      ],
    });
    const plan = planWrites([record]);
    const texts = plan.runs[0]?.texts.map((t) => [t.name, t.text]);
    expect(texts).to.deep.equal([
      ['on_llm_start', 'system: Be brief.\nuser: Hi?'],
      ['on_llm_end', 'assistant: Hello.'],
    ]);
    expect(plan.placements).to.deep.equal([
      {
        traceId: record.traceId,
        spanId: record.spanId,
        key: TRACE_A,
        hash: runHash(TRACE_A),
        modelCall: true,
        wrote: [
          'gen_ai.usage.input_tokens',
          'gen_ai.usage.output_tokens',
          'gen_ai.usage.total_tokens',
          'gen_ai.client.operation.duration',
          'on_llm_start',
          'on_llm_end',
        ],
        experiment: 'svc',
        context: { operation: 'chat', model: 'gpt-4o-mini', provider: 'openai' },
        step: spanStep(record),
        time: Number(record.endTimeUnixNano) / 1e9,
      },
    ]);
  });

  it('the operation.details event with structured messages fills the texts; content attributes win over events', () => {
    const details = {
      name: 'gen_ai.client.inference.operation.details',
      timeUnixNano: at(5n),
      attributes: {
        'gen_ai.input.messages': [{ role: 'user', parts: [{ type: 'text', content: 'from the event' }] }],
        'gen_ai.output.messages': [{ role: 'assistant', parts: [{ type: 'text', content: 'Event answer.' }], finish_reason: 'stop' }],
      },
    };
    expect(planWrites([span(CALL_ONLY, { events: [details] })]).runs[0]?.texts.map((t) => t.text)).to.deep.equal([
      'user: from the event',
      'assistant: Event answer.',
    ]);
    expect(planWrites([span(CHAT, { events: [details] })]).runs[0]?.texts.map((t) => t.text)).to.deep.equal([
      'user: Hi?',
      'assistant: Hello!',
      'finish_reasons: stop',
    ]);
  });
});

describe('planWrites: LangChain handler specifics', () => {
  it('chain inputs/outputs attributes feed on_chain_start/on_chain_end', () => {
    const chain = span({
      'gen_ai.operation.name': 'invoke_workflow',
      'langchain.chain.inputs': '{"input":"hi"}',
      'langchain.chain.outputs': '{"output":"yo"}',
    });
    expect(onlyRun([chain]).texts.map((t) => [t.name, t.text])).to.deep.equal([
      ['on_chain_start', '{"input":"hi"}'],
      ['on_chain_end', '{"output":"yo"}'],
    ]);
  });

  it("legacy agent action/finish events become on_agent_action/on_agent_finish in the Python handler's text form", () => {
    const t = START + 5_000_000n;
    const agent = span(
      { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'exec', 'langchain.chain.outputs': '{"output":"4"}' },
      {
        events: [
          { name: 'langchain.agent.action', timeUnixNano: t, attributes: { 'gen_ai.tool.name': 'add', tool_input: '{"a":2,"b":2}', log: 'I should add' } },
          { name: 'langchain.agent.finish', timeUnixNano: t + 2_000_000n, attributes: { return_values: '{"output":"4"}', log: 'done' } },
        ],
      },
    );
    const texts = onlyRun([agent]).texts.filter((x) => x.name.startsWith('on_agent'));
    expect(texts.map((x) => [x.name, x.text, x.context])).to.deep.equal([
      ['on_agent_action', 'TOOL INPUT:\n{"a":2,"b":2}\n\nLOG:\nI should add', { action: 'on_agent_action', tool: 'add' }],
      ['on_agent_finish', 'OUTPUT:\n{"output":"4"}\n\nLOG:\ndone', { action: 'on_agent_finish' }],
    ]);
    expect(texts[0]?.step).to.not.equal(texts[1]?.step);
  });
});

describe('planWrites: content recorded as JSON', () => {
  it('a tool result recorded as a JSON string literal reads as its text; JSON objects stay JSON', () => {
    const tool = span({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 't',
      'gen_ai.tool.call.arguments': '{"a":1}',
      'gen_ai.tool.call.result': '"3"',
    });
    expect(onlyRun([tool]).texts.map((t) => t.text)).to.deep.equal(['{"a":1}', '3']);
  });
});

describe('planWrites: LangChain metadata and tags as params', () => {
  it("keeps the user's metadata and tags, leaves out LangGraph's per-step bookkeeping and LangChain's step tags", () => {
    const run = onlyRun([
      span({
        ...CHAT,
        'langchain.metadata.thread_id': 't-1',
        'langchain.metadata.user': 'ada',
        'langchain.metadata.langgraph_step': 5,
        'langchain.metadata.langgraph_node': 'agent',
        'langchain.metadata.checkpoint_ns': 'agent:1',
        'langchain.tags': ['experiment-a', 'seq:step:2', 'graph:step:1', 'langsmith:hidden'],
      }),
    ]);
    const params = Object.fromEntries(run.params.map((p) => [p.path.join('.'), p.value]));
    expect(params['langchain.metadata.thread_id']).to.equal('t-1');
    expect(params['langchain.metadata.user']).to.equal('ada');
    expect(Object.keys(params).filter((key) => /langgraph_|checkpoint_/.test(key))).to.deep.equal([]);
    expect(params['langchain.tags']).to.deep.equal(['experiment-a']);
  });

  it("writes no tags param when a span has only step tags (it would overwrite the user's)", () => {
    const run = onlyRun([span({ ...CHAT, 'langchain.tags': ['seq:step:3'] })]);
    expect(run.params.map((p) => p.path.join('.'))).to.not.include('langchain.tags');
  });
});

describe('planWrites: unkeyed root-level model calls under `unkeyed: { grouping: "window" }`', () => {
  const WINDOW = { unkeyed: { grouping: 'window' } } as const;
  /** START is 2025-11-24 16:00:00.123 UTC: its window run (service svc, environment test). */
  const windowKey = (model: string, hour = '16'): string =>
    `unkeyed:service=svc;environment=test;provider=openai;model=${model};window=2025-11-24T${hour}:00:00.000Z/PT1H`;
  const trace = (n: number): string => n.toString(16).padStart(32, '0');

  it('independent calls of one service and model within an hour share one run, each at its own step; another model or hour is another run', () => {
    const calls = [1, 2, 3].map((n) => span(CHAT, { traceId: trace(n), startTimeUnixNano: START + BigInt(n) * 60_000_000_000n }));
    const other = span({ ...CHAT, 'gen_ai.request.model': 'gpt-4o' }, { traceId: trace(4) });
    const later = span(CHAT, { traceId: trace(5), startTimeUnixNano: START + 3_600_000_000_000n });
    const plan = planWrites([...calls, other, later], WINDOW);
    expect(plan.runs.map((run) => [run.key, run.hash, run.spanCount])).to.deep.equal([
      [windowKey('gpt-4o-mini'), runHash(windowKey('gpt-4o-mini')), 3],
      [windowKey('gpt-4o'), runHash(windowKey('gpt-4o')), 1],
      [windowKey('gpt-4o-mini', '17'), runHash(windowKey('gpt-4o-mini', '17')), 1],
    ]);
    const [hourly] = plan.runs;
    expect(hourly?.experiment).to.equal('svc');
    expect(hourly?.metrics.filter((m) => m.name === 'gen_ai.usage.input_tokens').map((m) => [m.step, m.value])).to.deep.equal(
      calls.map((call) => [spanStep(call), 12n]),
    );
    // Where each call went: its trace id finds it.
    expect(plan.placements.filter((p) => p.key === windowKey('gpt-4o-mini')).map((p) => p.traceId)).to.deep.equal([trace(1), trace(2), trace(3)]);
  });

  it('keyed calls, keyed traces and traces with structure keep their runs', () => {
    const conversation = span({ ...CHAT, 'gen_ai.conversation.id': 'conv-1' }, { traceId: trace(1) });
    const keyedTrace = [
      span(CHAT, { traceId: trace(2) }),
      span({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 't', 'aim.run_key': 'k-2' }, { traceId: trace(2), parentSpanId: '0000000000000001' }),
    ];
    const chainRoot = span({ 'gen_ai.operation.name': 'invoke_workflow' }, { traceId: trace(3), spanId: '00000000000000c0' });
    const chainCall = span(CHAT, { traceId: trace(3), parentSpanId: '00000000000000c0' });
    const plan = planWrites([conversation, ...keyedTrace, chainCall, chainRoot], WINDOW);
    expect(plan.runs.map((run) => [run.key, run.spanCount])).to.deep.equal([
      ['conv-1', 1],
      ['k-2', 2],
      [trace(3), 2],
    ]);
  });

  it("the later spans of a window call's trace follow it into its run (the trace-key memo), in another batch too", () => {
    const memo = new Map<string, string>();
    const root = span(CHAT, { traceId: trace(7), spanId: '0000000000000070' });
    expect(planWrites([root], WINDOW, memo).runs.map((run) => run.key)).to.deep.equal([windowKey('gpt-4o-mini')]);
    const late = span({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 't' }, { traceId: trace(7), parentSpanId: '0000000000000070' });
    expect(planWrites([late], WINDOW, memo).runs.map((run) => run.key)).to.deep.equal([windowKey('gpt-4o-mini')]);
  });
});

describe('planWrites: the call facts of model calls', () => {
  const TOOLS = JSON.stringify([{ type: 'function', name: 'add', parameters: { type: 'object' } }]);

  it('gen_ai.request, gen_ai.tool.definitions and gen_ai.response.model come from the first call (by start time) that has each, set once', () => {
    const first = span({ ...CHAT, 'gen_ai.response.model': 'gpt-4o-mini-1' }, { startTimeUnixNano: START });
    const withTools = span(
      { ...CHAT, 'gen_ai.request.temperature': 0.9, 'gen_ai.tool.definitions': TOOLS, 'gen_ai.response.model': 'gpt-4o-mini-2' },
      { startTimeUnixNano: START + 2_000_000_000n },
    );
    const laterTools = span(
      { ...CHAT, 'gen_ai.tool.definitions': JSON.stringify([{ type: 'function', name: 'mul' }]) },
      { startTimeUnixNano: START + 4_000_000_000n },
    );
    for (const order of [
      [first, withTools, laterTools],
      [laterTools, withTools, first],
    ]) {
      const params = Object.fromEntries(
        onlyRun(order)
          .params.filter((p) => p.path[0] === 'gen_ai' && p.once === true)
          .map((p) => [p.path.join('.'), p.value]),
      );
      expect(params).to.deep.equal({
        'gen_ai.request': { model: 'gpt-4o-mini', temperature: 0.2, max_tokens: 256n },
        'gen_ai.tool.definitions': [{ type: 'function', name: 'add', parameters: { type: 'object' } }],
        'gen_ai.response.model': 'gpt-4o-mini-1',
      });
    }
  });

  it("gen_ai.usage.total_tokens as given, and a gen_ai.response text with the lines known, at the call's step and context", () => {
    const call = span({
      ...CHAT,
      'gen_ai.usage.total_tokens': 50,
      'gen_ai.response.id': 'r-1',
      'gen_ai.response.model': 'gpt-4o-mini-2',
      'gen_ai.response.finish_reasons': ['stop', 'length'],
    });
    const run = onlyRun([call]);
    expect(run.metrics.filter((m) => m.name === 'gen_ai.usage.total_tokens').map((m) => [m.value, m.context, m.step])).to.deep.equal([
      [50n, CALL, spanStep(call)],
    ]);
    expect(run.texts.filter((t) => t.name === 'gen_ai.response').map((t) => [t.text, t.context, t.step])).to.deep.equal([
      ['id: r-1\nmodel: gpt-4o-mini-2\nfinish_reasons: stop, length', CALL, spanStep(call)],
    ]);
  });

  it('no gen_ai.response text for a call whose response says nothing, nor for spans that are no model call', () => {
    const bare = span({ 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'm', 'gen_ai.usage.input_tokens': 1 });
    const tool = span({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 't', 'gen_ai.response.id': 'x' });
    expect(onlyRun([bare, tool]).texts.filter((t) => t.name === 'gen_ai.response')).to.deep.equal([]);
  });
});
