/**
 * One call looks the same from every producer: the same two model calls (drive.py's plain call
 * and its tool call against the fake OpenAI server), recorded by each real producer
 * (fixtures/producers/*.json: real attribute dumps, see its README), read by `readGenAIFacts` and
 * mapped by `planWrites`. Every producer's call lands in the same context
 * `{operation: 'chat', model: 'gpt-4o-mini', provider: 'openai'}` with the same facts; where a
 * producer does not record a fact, the table says so.
 */
import { expect } from 'chai';
import type { RunWritePlan } from '../../src/mapping/aim-plan.js';
import { type GenAIFacts, readGenAIFacts } from '../../src/mapping/conventions.js';
import { planWrites } from '../../src/mapping/to-aim.js';
import { PRODUCERS, type ProducerFixtureName, loadFixture, spanRecord } from './fixtures/producers/fixture.js';

const CONTEXT = { operation: 'chat', model: 'gpt-4o-mini', provider: 'openai' };
const RESPONSE_MODEL = 'gpt-4o-mini-2024-07-18';

const WEATHER_TOOL = {
  type: 'function',
  name: 'get_weather',
  description: 'Current weather in a city.',
  parameters: { type: 'object', properties: { city: { type: 'string', description: 'City name' } }, required: ['city'] },
};

type CallFacts = Omit<GenAIFacts, 'timeToFirstTokenSeconds' | 'toolName' | 'toolCallId' | 'agentName' | 'errorType'>;

const PLAIN: CallFacts = {
  role: 'llm',
  ...CONTEXT,
  responseModel: RESPONSE_MODEL,
  responseId: 'chatcmpl-fake-1',
  finishReasons: ['stop'],
  request: { model: 'gpt-4o-mini', temperature: 0.2, max_tokens: 64 },
  toolDefinitions: [],
  inputTokens: 11,
  outputTokens: 9,
  totalTokens: 20,
  inputText: 'system: You are a terse assistant.\nuser: Say hello and tell me the colour of the sky.',
  outputText: 'assistant: Hello from the fake model. The sky is blue.',
};

const TOOL_CALL: CallFacts = {
  role: 'llm',
  ...CONTEXT,
  responseModel: RESPONSE_MODEL,
  responseId: 'chatcmpl-fake-3',
  // OpenAI's `tool_calls`, in GenAI terms.
  finishReasons: ['tool_call'],
  request: { model: 'gpt-4o-mini' },
  toolDefinitions: [WEATHER_TOOL],
  inputTokens: 42,
  outputTokens: 17,
  totalTokens: 59,
  inputText: 'user: What is the weather in Paris?',
  outputText: 'assistant: get_weather({"city":"Paris"})',
};

/** What a producer does not record (the rest is as above). */
const GAPS: Readonly<Record<ProducerFixtureName, Partial<CallFacts>>> = {
  // Legacy conventions: content only as log events (not on the span), no tool definitions.
  'openai-v2-legacy': { inputText: undefined, outputText: undefined, toolDefinitions: [] },
  'openai-v2': { toolDefinitions: [] },
  'openai-v2-util1': { toolDefinitions: [] },
  openllmetry: {},
  openinference: {},
  'openinference-genai': {},
  'langchain-handler': {},
  'vercel-ai': {},
};

function facts(name: ProducerFixtureName, call: 'plain' | 'tool_call'): CallFacts {
  const read = readGenAIFacts(spanRecord(loadFixture(name).calls[call], call === 'plain' ? '00000000000000a1' : '00000000000000a3'));
  if (!read) throw new Error(`${name} ${call}: not read as a GenAI span`);
  const picked = Object.fromEntries(Object.keys(PLAIN).map((key) => [key, read[key as keyof CallFacts]]));
  return picked as CallFacts;
}

/** Both calls of a producer in one run: the plain call first, the tool call 2 s later. */
function run(name: ProducerFixtureName): RunWritePlan {
  const fixture = loadFixture(name);
  const plain = spanRecord(fixture.calls.plain, '00000000000000a1');
  const toolCall = spanRecord(fixture.calls.tool_call, '00000000000000a3');
  const later = { ...toolCall, startTimeUnixNano: toolCall.startTimeUnixNano + 2_000_000_000n, endTimeUnixNano: toolCall.endTimeUnixNano + 2_000_000_000n };
  const plan = planWrites([later, plain], { runKey: () => 'producer-fixtures' });
  expect(plan.runs).to.have.length(1);
  return plan.runs[0] as RunWritePlan;
}

describe('one call looks the same from every producer (real attribute dumps)', () => {
  for (const name of PRODUCERS) {
    describe(name, () => {
      it('the plain call: context, tokens and total, response id/model, finish reasons, request parameters, texts', () => {
        expect(facts(name, 'plain')).to.deep.equal({ ...PLAIN, ...GAPS[name], toolDefinitions: [] });
      });

      it('the tool call: the same, with the tool definitions and the tool call rendered as name(arguments)', () => {
        expect(facts(name, 'tool_call')).to.deep.equal({ ...TOOL_CALL, ...GAPS[name] });
      });

      it("in Aim: token metrics (with the total) and a gen_ai.response text in the call context, the first call's params", () => {
        const plan = run(name);
        const plainStep = plan.metrics.find((m) => m.spanId === '00000000000000a1')?.step;
        const toolStep = plan.metrics.find((m) => m.spanId === '00000000000000a3')?.step;
        const inTimeOrder = <T extends { step: bigint }>(points: readonly T[]): T[] =>
          [...points].sort((a, b) => (a.step < b.step ? -1 : a.step > b.step ? 1 : 0));
        expect(inTimeOrder(plan.metrics.filter((m) => m.name.startsWith('gen_ai.usage.'))).map((m) => [m.name, m.value, m.context, m.step])).to.deep.equal([
          ['gen_ai.usage.input_tokens', 11n, CONTEXT, plainStep],
          ['gen_ai.usage.output_tokens', 9n, CONTEXT, plainStep],
          ['gen_ai.usage.total_tokens', 20n, CONTEXT, plainStep],
          ['gen_ai.usage.input_tokens', 42n, CONTEXT, toolStep],
          ['gen_ai.usage.output_tokens', 17n, CONTEXT, toolStep],
          ['gen_ai.usage.total_tokens', 59n, CONTEXT, toolStep],
        ]);
        expect(inTimeOrder(plan.texts.filter((t) => t.name === 'gen_ai.response')).map((t) => [t.text, t.context, t.step])).to.deep.equal([
          [`id: chatcmpl-fake-1\nmodel: ${RESPONSE_MODEL}\nfinish_reasons: stop`, CONTEXT, plainStep],
          [`id: chatcmpl-fake-3\nmodel: ${RESPONSE_MODEL}\nfinish_reasons: tool_call`, CONTEXT, toolStep],
        ]);
        const callParams = new Set(['gen_ai.request', 'gen_ai.tool.definitions', 'gen_ai.response.model']);
        const params = Object.fromEntries(plan.params.filter((p) => callParams.has(p.path.join('.'))).map((p) => [p.path.join('.'), [p.value, p.once]]));
        const tools = (GAPS[name].toolDefinitions ?? TOOL_CALL.toolDefinitions).length > 0;
        expect(params).to.deep.equal({
          'gen_ai.request': [{ model: 'gpt-4o-mini', temperature: 0.2, max_tokens: 64n }, true],
          'gen_ai.response.model': [RESPONSE_MODEL, true],
          // From the first call that has tools: the tool call.
          ...(tools ? { 'gen_ai.tool.definitions': [[{ ...WEATHER_TOOL }], true] } : {}),
        });
      });
    });
  }

  it('every producer: one call context for all the points of both calls', () => {
    const contexts = new Set(PRODUCERS.flatMap((name) => run(name).metrics.map((m) => JSON.stringify(m.context))));
    expect([...contexts]).to.deep.equal([JSON.stringify(CONTEXT)]);
  });
});
