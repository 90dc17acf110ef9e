/**
 * The real Python GenAI instrumentations (test/peers/producers/drive.py: OTel openai-v2 on
 * util-genai 0.4b0 and 1.1b0, OpenLLMetry, OpenInference), in each of their content modes, export
 * OTLP/HTTP protobuf traces, logs and metrics through our receiver into a real `aim server`; Aim's
 * own SDK (the oracle) reads back what a user gets: which runs, the token metrics of each call
 * (input, output, total) in one GenAI context whatever the producer (`{operation: 'chat', model:
 * 'gpt-4o-mini', provider: 'openai'}`), the prompt/completion texts, each call's `gen_ai.response`
 * text (response id, model, finish reasons) and the first call's `gen_ai.request`,
 * `gen_ai.tool.definitions` and `gen_ai.response.model` params — exact, derived from drive.py's
 * calls and the fake OpenAI server's fixed answers. Content sent as log events must land in the
 * run, context and step of its span's token metrics.
 *
 * One aim server for all modes; per mode a fresh fake OpenAI server (response ids 1..4) and a
 * receiver with its own run-key namespace, so each mode writes runs of its own.
 */
import { expect } from 'chai';
import { runHash, windowRunKey } from '../../src/mapping/run-key.js';
import type { SpanRecord } from '../../src/model/span-record.js';
import { type Receiver, createReceiver } from '../../src/receiver/index.js';
import { type AimServer, startAimServer } from '../peers/aim.js';
import { FAKE_REPLY, FAKE_TOOL_ANSWER, FAKE_TOOL_ARGUMENTS, FAKE_USAGE, type FakeOpenAI, startFakeOpenAI } from '../peers/fake-openai.js';
import { type OracleRun, type OracleSequence, type OracleValue, readAimRepo } from '../peers/oracle.js';
import { type ProducerMode, type ProducerName, type ProducerSummary, runProducer } from '../peers/producers.js';

// drive.py's prompts (MODEL, SYSTEM_PROMPT, USER_PROMPT, TOOL_QUESTION, TOOL_RESULT).
const MODEL = 'gpt-4o-mini';
const RESPONSE_MODEL = 'gpt-4o-mini-2024-07-18';
const SYSTEM_PROMPT = 'You are a terse assistant.';
const USER_PROMPT = 'Say hello and tell me the colour of the sky.';
const TOOL_QUESTION = 'What is the weather in Paris?';
const TOOL_RESULT = '{"city": "Paris", "temperature_c": 22, "sky": "sunny"}';

/** The texts a user reads in Aim. Tool call arguments are compact JSON whatever form the producer sent. */
const PROMPT = `system: ${SYSTEM_PROMPT}\nuser: ${USER_PROMPT}`;
const REPLY = `assistant: ${FAKE_REPLY}`;
const QUESTION = `user: ${TOOL_QUESTION}`;
const TOOL_CALL = `assistant: get_weather(${JSON.stringify(JSON.parse(FAKE_TOOL_ARGUMENTS))})`;
const ANSWER = `assistant: ${FAKE_TOOL_ANSWER}`;
const toolConversation = (toolResult: string, toolCall = TOOL_CALL): string => `${QUESTION}\n${toolCall}\ntool: ${toolResult}`;

/** The four calls drive.py makes: plain, stream, tool call, tool result. */
const TOKENS = {
  input: [FAKE_USAGE.text.prompt_tokens, FAKE_USAGE.text.prompt_tokens, FAKE_USAGE.toolCall.prompt_tokens, FAKE_USAGE.toolAnswer.prompt_tokens],
  output: [
    FAKE_USAGE.text.completion_tokens,
    FAKE_USAGE.text.completion_tokens,
    FAKE_USAGE.toolCall.completion_tokens,
    FAKE_USAGE.toolAnswer.completion_tokens,
  ],
  total: [FAKE_USAGE.text.total_tokens, FAKE_USAGE.text.total_tokens, FAKE_USAGE.toolCall.total_tokens, FAKE_USAGE.toolAnswer.total_tokens],
};
/** Why each call ended, in GenAI terms (the fake server's `tool_calls` is `tool_call`). */
const FINISH_REASONS = ['stop', 'stop', 'tool_call', 'stop'];

/** What a producer records of each call's response. */
interface ResponseRecorded {
  /** The response ids (OpenInference with its outputs hidden has none: it is in the hidden answer). */
  ids: boolean;
  /** The streamed call's finish reason (openai-v2 records none for it in `gen_ai.response.finish_reasons`; with content on the span its output message has it). */
  streamFinishReason: boolean;
}

/** The `gen_ai.response` text of each call. */
function responseTexts(recorded: ResponseRecorded): string[] {
  return FINISH_REASONS.map((reason, i) =>
    [
      recorded.ids ? `id: chatcmpl-fake-${String(i + 1)}` : undefined,
      `model: ${RESPONSE_MODEL}`,
      i === 1 && !recorded.streamFinishReason ? undefined : `finish_reasons: ${reason}`,
    ]
      .filter((line) => line !== undefined)
      .join('\n'),
  );
}

/** drive.py's `get_weather` tool, as the run's `gen_ai.tool.definitions` (when the producer records tool definitions). */
const WEATHER_TOOL = {
  type: 'function',
  name: 'get_weather',
  description: 'Current weather in a city.',
  parameters: { type: 'object', properties: { city: { type: 'string', description: 'City name' } }, required: ['city'] },
};
/** The `gen_ai.request` param of a run whose first call is call `i` (the first two set temperature and max_tokens). */
const requestOf = (i: number): Record<string, OracleValue> => (i < 2 ? { model: MODEL, temperature: 0.2, max_tokens: 64 } : { model: MODEL });
const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

/** Long, so a log request that waited it out shows in the producer's run time (normally ~3 s: drive.py sends spans before logs). */
const JOIN_WINDOW_MS = 20_000;

/** The `on_llm_start` / `on_llm_end` text of each of the four calls. */
interface CallTexts {
  start: readonly string[];
  end: readonly string[];
}
const FULL: CallTexts = { start: [PROMPT, PROMPT, QUESTION, toolConversation(TOOL_RESULT)], end: [REPLY, REPLY, TOOL_CALL, ANSWER] };

interface Expectation {
  /**
   * `window`: the calls name no run (no conversation id, no parent span): the receiver's default
   * groups them into the run of their service, model and hour; `conversation`: one run, key = the
   * conversation id.
   */
  runs: 'window' | 'conversation';
  /**
   * The label of the run name (the root span's name, or its workflow): a run per trace is named
   * `<label> · HH:MM:SS · trace <8 hex>`, a conversation run `<label> · conversation <id>` (or
   * `session <id>`, see `keyedBy`).
   */
  name: string;
  /** What the conversation run is keyed by: `gen_ai.conversation.id` (default) or `session.id`. */
  keyedBy?: 'conversation' | 'session';
  /** The context of the token metrics (and, with `action`, of the texts). */
  context: { operation: string; model: string; provider: string };
  /** Texts of the four calls; undefined: no text at all (content capture off). */
  texts: CallTexts | undefined;
  /** Content events sent as log records that must join their spans (0: none sent). */
  joinedEvents: number;
  /** Log records that carry no content (capture off): accepted, not written. */
  ignoredLogRecords?: number;
  /** Whether the producer exports GenAI metrics (then a `metrics/<service>` run holds them). */
  metrics: boolean;
  /** What the producer records of the responses (`gen_ai.response` texts). */
  responses: ResponseRecorded;
  /** The producer records the tool definitions (then the run with the tool call has `gen_ai.tool.definitions`). */
  tools: boolean;
  /** The calls whose tokens its `gen_ai.client.token.usage` histogram counts (default all four). */
  metricCalls?: readonly number[];
  /** The span run has `gen_ai.server.time_to_first_token` (one point: the streamed call). */
  ttft?: boolean;
  /** Run params at the top level. */
  params: readonly string[];
  /** Further sequences of the conversation run (beyond tokens, duration, texts, TTFT). */
  extra?: (run: OracleRun, summary: ProducerSummary) => void;
}

/** One call context, whatever the producer. */
const GENAI = { operation: 'chat', model: MODEL, provider: 'openai' };
const RESPONSES = { ids: true, streamFinishReason: true };
const OPENAI_V2 = {
  runs: 'window',
  name: `openai/${MODEL}`,
  context: GENAI,
  metrics: true,
  params: ['gen_ai', 'otel'],
  responses: { ids: true, streamFinishReason: false },
  tools: false,
} as const;

interface Case {
  producer: ProducerName;
  mode: string;
  run: (options: { otlpEndpoint: string; openaiBaseUrl: string; conversationId: string }) => Promise<ProducerSummary>;
  expect: Expectation;
}

function mode<P extends ProducerName>(producer: P, name: ProducerMode<P>, expectation: Expectation): Case {
  return { producer, mode: name, run: (options) => runProducer({ producer, mode: name, ...options }), expect: expectation };
}

const workflowChains = (run: OracleRun, summary: ProducerSummary): void => {
  const args = '{"args": [], "kwargs": {}}';
  expect(texts(run, 'on_chain_start', { operation: 'workflow' })).to.deep.equal([args]);
  expect(texts(run, 'on_chain_start', { operation: 'task' })).to.deep.equal([args, args, args, args]);
  const tasks = texts(run, 'on_chain_end', { operation: 'task' }).map((text) => JSON.parse(text) as { kind: string; response_id: string; text: string | null });
  expect(tasks.map((t) => [t.kind, t.response_id, t.text])).to.deep.equal([
    ['plain', 'chatcmpl-fake-1', FAKE_REPLY],
    ['stream', 'chatcmpl-fake-2', FAKE_REPLY],
    ['tool_call', 'chatcmpl-fake-3', null],
    ['tool_result', 'chatcmpl-fake-4', FAKE_TOOL_ANSWER],
  ]);
  const workflow = texts(run, 'on_chain_end', { operation: 'workflow' });
  expect(workflow).to.have.length(1);
  expect((JSON.parse(workflow[0] ?? '') as unknown[]).length).to.equal(4);
  expect(summary.spans.map((s) => s.name).filter((n) => !n.startsWith('openai.'))).to.deep.equal([
    'plain.task',
    'stream.task',
    'tool_call.task',
    'tool_result.task',
    'weather_chat.workflow',
  ]);
};

const OPENINFERENCE = { runs: 'conversation', name: 'ChatCompletion', metrics: false, ttft: true, joinedEvents: 0 } as const;

const CASES: readonly Case[] = [
  // The per-message events of capture-off mode carry no content (empty bodies, tool calls without arguments).
  // With the legacy conventions, openai-v2 2.4b0 records no token usage metric for a streamed call.
  mode('openai-v2', 'no-content', { ...OPENAI_V2, texts: undefined, joinedEvents: 0, ignoredLogRecords: 12, metricCalls: [0, 2, 3] }),
  mode('openai-v2', 'events', { ...OPENAI_V2, texts: FULL, joinedEvents: 12, metricCalls: [0, 2, 3] }),
  mode('openai-v2', 'span-only', { ...OPENAI_V2, texts: FULL, joinedEvents: 0, responses: RESPONSES }),
  mode('openai-v2', 'event-only', { ...OPENAI_V2, texts: FULL, joinedEvents: 4 }),
  mode('openai-v2', 'span-and-event', { ...OPENAI_V2, texts: FULL, joinedEvents: 4, responses: RESPONSES }),
  mode('openai-v2-util1', 'no-content', { ...OPENAI_V2, texts: undefined, joinedEvents: 0 }),
  mode('openai-v2-util1', 'span-only', { ...OPENAI_V2, texts: FULL, joinedEvents: 0, responses: RESPONSES }),
  mode('openai-v2-util1', 'event-only', { ...OPENAI_V2, texts: FULL, joinedEvents: 4 }),
  mode('openai-v2-util1', 'span-and-event', { ...OPENAI_V2, texts: FULL, joinedEvents: 4, responses: RESPONSES }),
  // util-genai 1.x rejects the legacy value `true`: no content anywhere.
  mode('openai-v2-util1', 'legacy-true', { ...OPENAI_V2, texts: undefined, joinedEvents: 0 }),
  mode('openllmetry', 'content', {
    runs: 'conversation',
    name: 'openai.chat',
    context: GENAI,
    texts: FULL,
    joinedEvents: 0,
    metrics: true,
    params: ['gen_ai', 'otel'],
    responses: RESPONSES,
    tools: true,
  }),
  // Tool definitions are content: not recorded with content capture off.
  mode('openllmetry', 'no-content', {
    runs: 'conversation',
    name: 'openai.chat',
    context: GENAI,
    texts: undefined,
    joinedEvents: 0,
    metrics: true,
    params: ['gen_ai', 'otel'],
    responses: RESPONSES,
    tools: false,
  }),
  mode('openllmetry', 'workflow', {
    runs: 'conversation',
    name: 'weather_chat',
    context: GENAI,
    texts: FULL,
    joinedEvents: 0,
    metrics: true,
    params: ['gen_ai', 'otel'],
    responses: RESPONSES,
    tools: true,
    extra: workflowChains,
  }),
  mode('openinference', 'content', {
    ...OPENINFERENCE,
    keyedBy: 'session',
    // OpenInference names no operation: its span kind LLM with chat messages is a chat; the request model is in llm.invocation_parameters.
    context: GENAI,
    texts: FULL,
    params: ['gen_ai', 'otel', 'session'],
    // The response id is in the answer OpenInference keeps as output.value.
    responses: RESPONSES,
    tools: true,
  }),
  mode('openinference', 'no-content', {
    ...OPENINFERENCE,
    keyedBy: 'session',
    // No messages (hidden): an LLM span is still a chat.
    context: GENAI,
    texts: undefined,
    params: ['gen_ai', 'otel', 'session'],
    responses: { ids: false, streamFinishReason: true },
    tools: false,
  }),
  mode('openinference', 'genai-semconv', {
    ...OPENINFERENCE,
    // Its gen_ai.request.model is the response model: llm.invocation_parameters names the request model.
    context: GENAI,
    responses: RESPONSES,
    tools: true,
    // This producer sends the tool result parsed (a JSON value), so it reads back as compact JSON.
    texts: { start: [PROMPT, PROMPT, QUESTION, toolConversation(JSON.stringify(JSON.parse(TOOL_RESULT)))], end: [REPLY, REPLY, TOOL_CALL, ANSWER] },
    params: ['gen_ai', 'otel', 'session'],
  }),
];

/**
 * The window runs of calls made between `startedMs` and now by `service` (one, or two when the
 * calls straddle an hour), each with the calls it holds in time order.
 */
function windowRuns(service: string, namespace: string, startedMs: number, fresh: readonly OracleRun[]): { key: string; calls: number[] }[] {
  const keyAt = (ms: number): string => {
    const at = BigInt(ms) * 1_000_000n;
    const call: SpanRecord = {
      traceId: '0'.repeat(32),
      spanId: '0'.repeat(16),
      name: `chat ${MODEL}`,
      kind: 'client',
      startTimeUnixNano: at,
      endTimeUnixNano: at,
      attributes: {},
      events: [],
      links: [],
      status: { code: 'unset' },
      origin: { resource: { 'service.name': service }, scopeName: 'drive.py' },
    };
    return windowRunKey(call, { provider: 'openai', model: MODEL });
  };
  const keys = [...new Set([keyAt(startedMs), keyAt(Date.now())])];
  const runs: { key: string; calls: number[] }[] = [];
  let next = 0;
  for (const key of keys) {
    const run = fresh.find((r) => r.hash === runHash(key, namespace));
    if (!run && keys.length > 1) continue;
    const count = run ? sequences(run, 'gen_ai.usage.input_tokens').reduce((n, s) => n + s.steps.length, 0) : 4;
    runs.push({ key, calls: Array.from({ length: count }, (_, i) => next + i) });
    next += count;
  }
  return runs;
}

/** The sequences of `run` named `name` whose context includes `context`. */
function sequences(run: OracleRun, name: string, context: Record<string, string> = {}): OracleSequence[] {
  return run.sequences.filter((s) => s.name === name && Object.entries(context).every(([key, value]) => s.context[key] === value));
}

/** The texts of the one sequence `name` (with `context`), in step order. */
function texts(run: OracleRun, name: string, context: Record<string, string> = {}): string[] {
  const found = sequences(run, name, context);
  expect(found, `${name} ${JSON.stringify(context)} in run ${run.name ?? run.hash}`).to.have.length(1);
  return (found[0]?.values ?? []).map(String);
}

function only(run: OracleRun, name: string): OracleSequence {
  const found = sequences(run, name);
  expect(
    found.map((s) => s.context),
    `one ${name} sequence in run ${run.name ?? run.hash}`,
  ).to.have.length(1);
  return found[0] as OracleSequence;
}

function numbers(values: readonly OracleValue[]): number[] {
  return values.map((value) => Number(value));
}

/** What one call (or a conversation of calls) reads back as in its run. */
function checkSpanRun(run: OracleRun, e: Expectation, calls: readonly number[]): void {
  const label = `run ${run.name ?? ''} (${run.hash})`;
  const tokensIn = only(run, 'gen_ai.usage.input_tokens');
  const tokensOut = only(run, 'gen_ai.usage.output_tokens');
  const tokensTotal = only(run, 'gen_ai.usage.total_tokens');
  const duration = only(run, 'gen_ai.client.operation.duration');
  const response = only(run, 'gen_ai.response');
  for (const sequence of [tokensIn, tokensOut, tokensTotal, duration, response])
    expect(sequence.context, `${sequence.name} context in ${label}`).to.deep.equal(e.context);
  expect(tokensIn.values, label).to.deep.equal(calls.map((i) => TOKENS.input[i]));
  expect(tokensOut.values, label).to.deep.equal(calls.map((i) => TOKENS.output[i]));
  expect(tokensTotal.values, label).to.deep.equal(calls.map((i) => TOKENS.total[i]));
  for (const sequence of [tokensTotal, duration, response]) expect(sequence.steps, `${sequence.name} steps in ${label}`).to.deep.equal(tokensIn.steps);
  for (const seconds of numbers(duration.values)) expect(seconds).to.be.within(0.000_01, 30);
  expect(response.dtype).to.equal('aim.text');
  const responses = responseTexts(e.responses);
  expect(response.values, `gen_ai.response in ${label}`).to.deep.equal(calls.map((i) => responses[i]));

  // The first call's request parameters and response model; the tools of the first call that offered some.
  const genai = run.params['gen_ai'] as Record<string, OracleValue> | undefined;
  expect(genai?.['request'], `gen_ai.request of ${label}`).to.deep.equal(requestOf(calls[0] ?? 0));
  expect(genai?.['response'], `gen_ai.response of ${label}`).to.deep.equal({ model: RESPONSE_MODEL });
  const tools = e.tools && calls.includes(2) ? { definitions: [WEATHER_TOOL] } : undefined;
  expect(genai?.['tool'], `gen_ai.tool of ${label}`).to.deep.equal(tools);

  // gpt-4o-mini (the fake server's model) is priced: each call also has its cost and the cost's parts;
  // every run has its trace waterfall figure.
  const names = [
    'gen_ai.client.operation.duration',
    'gen_ai.response',
    'gen_ai.usage.cost',
    'gen_ai.usage.cost.input',
    'gen_ai.usage.cost.output',
    'gen_ai.usage.input_tokens',
    'gen_ai.usage.output_tokens',
    'gen_ai.usage.total_tokens',
    'otel.trace_waterfall',
  ];
  if (e.ttft === true) {
    const ttft = only(run, 'gen_ai.server.time_to_first_token');
    expect(ttft.context).to.deep.equal(e.context);
    expect(ttft.steps, 'TTFT of the streamed call').to.deep.equal([tokensIn.steps[1]]);
    const [first] = numbers(ttft.values);
    expect(first).to.be.greaterThan(0).and.lessThan(Number(duration.values[1]));
    names.push('gen_ai.server.time_to_first_token');
  }
  if (e.texts) {
    const { start, end } = e.texts;
    for (const [name, expected] of [
      ['on_llm_start', start],
      ['on_llm_end', end],
    ] as const) {
      // Same run, same context (plus the action) and same step as the span's token metrics: joined.
      const sequence = only(run, name);
      expect(sequence.context, `${name} context in ${label}`).to.deep.equal({ action: name, ...e.context });
      expect(sequence.dtype).to.equal('aim.text');
      expect(sequence.values, `${name} in ${label}`).to.deep.equal(calls.map((i) => expected[i]));
      expect(sequence.steps, `${name} steps in ${label}`).to.deep.equal(tokensIn.steps);
      names.push(name);
    }
  }
  const own = run.sequences.map((s) => s.name).filter((n) => !n.startsWith('on_chain_'));
  expect([...new Set(own)].sort(), `sequences of ${label}`).to.deep.equal(names.sort());
}

/** The GenAI metrics run of a service: token usage sums over all its series. */
function checkMetricsRun(run: OracleRun, service: string, calls: readonly number[]): void {
  expect(run.name).to.equal(`${service} metrics`);
  expect(run.experiment).to.equal(service);
  const usage = (tokenType: string): number =>
    sum(sequences(run, 'gen_ai.client.token.usage.sum', { token_type: tokenType }).map((s) => Number(s.values[s.values.length - 1])));
  expect(usage('input'), 'input tokens in the metrics run').to.equal(sum(calls.map((i) => TOKENS.input[i] ?? 0)));
  expect(usage('output'), 'output tokens in the metrics run').to.equal(sum(calls.map((i) => TOKENS.output[i] ?? 0)));
  expect(run.sequences.every((s) => s.name.startsWith('gen_ai.') || s.name.startsWith('llm.'))).to.equal(true);
}

describe('real GenAI producers → receiver → aim server: what users get in Aim', function () {
  this.timeout(180_000);
  let aim: AimServer;
  /** Runs of the modes before (each mode's runs are told apart by its namespace). */
  const seen = new Set<string>();
  before(async () => {
    aim = await startAimServer();
  });
  after(async () => {
    await aim.process.stop();
  });

  for (const c of CASES) {
    const e = c.expect;
    it(`${c.producer} ${c.mode}: ${e.runs === 'window' ? 'the run of its service, model and hour' : 'one conversation run'}, tokens per call, ${e.texts ? 'exact texts' : 'no texts'}${e.joinedEvents > 0 ? ', log events joined to their spans' : ''}`, async () => {
      const namespace = `${c.producer}/${c.mode}`;
      const conversationId = `conv-${c.producer}-${c.mode}`;
      const service = `drive-${c.producer}`;
      const openai: FakeOpenAI = await startFakeOpenAI();
      const receiver: Receiver = await createReceiver({ url: aim.url, port: 0, namespace, logJoin: { windowMs: JOIN_WINDOW_MS } });
      let summary: ProducerSummary;
      const started = Date.now();
      let elapsed: number;
      try {
        summary = await c.run({ otlpEndpoint: receiver.url, openaiBaseUrl: openai.url, conversationId });
        elapsed = Date.now() - started;
      } finally {
        await receiver.close();
        await openai.close();
      }
      expect(summary.calls.map((call) => call.usage?.prompt_tokens)).to.deep.equal(TOKENS.input);

      // Log events: every content event joined its span, none waited out the join window.
      const stats = receiver.stats;
      expect(stats.eventsJoined, 'events joined').to.equal(e.joinedEvents);
      expect(stats.eventsUnjoined, 'events in the fallback place').to.equal(0);
      expect(stats.logRecordsIgnored, 'log records without content').to.equal(e.ignoredLogRecords ?? 0);
      if (e.joinedEvents > 0) expect(elapsed, 'the producer run (its logs did not wait for the join window)').to.be.lessThan(JOIN_WINDOW_MS);

      const report = await readAimRepo(aim.repoDir);
      const fresh = report.runs.filter((run) => !seen.has(run.hash));
      for (const run of fresh) seen.add(run.hash);

      const llmSpans = summary.spans.filter((span) => span.name === `chat ${MODEL}` || span.name === 'openai.chat' || span.name === 'ChatCompletion');
      expect(llmSpans).to.have.length(4);
      const spanRuns = e.runs === 'window' ? windowRuns(service, namespace, started, fresh) : [{ key: conversationId, calls: [0, 1, 2, 3] }];
      if (e.runs === 'window') expect(new Set(llmSpans.map((s) => s.trace_id)).size, 'one trace per call').to.equal(4);
      const metricsKey = `metrics/${service}`;
      const expectedHashes = [...spanRuns.map((r) => runHash(r.key, namespace)), ...(e.metrics ? [runHash(metricsKey, namespace)] : [])];
      expect(fresh.map((run) => run.hash).sort(), 'the runs this mode wrote').to.deep.equal([...expectedHashes].sort());

      for (const { key, calls } of spanRuns) {
        const run = fresh.find((r) => r.hash === runHash(key, namespace)) as OracleRun;
        expect(run.experiment).to.equal(service);
        if (e.runs === 'window') expect(run.name).to.match(new RegExp(`^${service} · ${e.name} · \\d{4}-\\d\\d-\\d\\d \\d\\d:00 UTC, 1h$`));
        else expect(run.name).to.equal(`${e.name} · ${e.keyedBy ?? 'conversation'} ${conversationId}`);
        // cost.* and usage.*: the run totals, summed from the stored series (test/exporter/run-totals.int.test.ts).
        const { cost, usage, ...others } = run.params;
        expect(Object.keys(others).sort()).to.deep.equal([...e.params]);
        expect(
          [cost, usage].map((totals) => typeof totals),
          'run totals',
        ).to.deep.equal(['object', 'object']);
        expect(run.params['otel'])
          .to.have.property('resource')
          .that.deep.includes({ 'service.name': service, 'drive.producer': c.producer, 'drive.mode': c.mode });
        checkSpanRun(run, e, calls);
        e.extra?.(run, summary);
      }
      if (e.metrics) checkMetricsRun(fresh.find((r) => r.hash === runHash(metricsKey, namespace)) as OracleRun, service, e.metricCalls ?? [0, 1, 2, 3]);
    });
  }
});
