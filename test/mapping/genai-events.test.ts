import { expect } from 'chai';
import { OPERATION_DETAILS_EVENT, type ContentEvent, readContentEvent, renderContentEvents } from '../../src/mapping/genai-events.js';
import { renderMessages } from '../../src/mapping/message-text.js';
import type { AttributeValue, Attributes } from '../../src/model/span-record.js';

const T = 1_764_000_000_000_000_000n;
const TOOL_CALL = { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city": "Paris"}' } };

function read(name: string | undefined, body: AttributeValue, attributes: Attributes = {}, time = T): ContentEvent | undefined {
  return readContentEvent(name, body, attributes, time);
}

describe('GenAI content events (log records, span events) read into one shape', () => {
  it('reads no content from events that are not GenAI content events', () => {
    expect(read('gen_ai.content.prompt', { content: 'x' })).to.equal(undefined);
    expect(read(undefined, { content: 'x' })).to.equal(undefined);
    expect(read('exception', { content: 'x' })).to.equal(undefined);
  });

  describe('per-message events (legacy conventions: one log record per message)', () => {
    const cases: [string, string, AttributeValue, Partial<ContentEvent>][] = [
      ['a system message', 'gen_ai.system.message', { content: 'Be terse.' }, { input: ['system: Be terse.'], output: [] }],
      ['a user message', 'gen_ai.user.message', { content: 'Hi' }, { input: ['user: Hi'], output: [] }],
      ['a user message with a role of its own', 'gen_ai.user.message', { role: 'developer', content: 'Hi' }, { input: ['developer: Hi'], output: [] }],
      [
        'content as OpenAI-style parts',
        'gen_ai.user.message',
        {
          content: [
            { type: 'text', text: 'a' },
            { type: 'text', text: 'b' },
          ],
        },
        { input: ['user: a\nb'], output: [] },
      ],
      [
        'an assistant message with a tool call',
        'gen_ai.assistant.message',
        { tool_calls: [TOOL_CALL] },
        { input: ['assistant: get_weather({"city":"Paris"})'], output: [] },
      ],
      [
        'an assistant message with text and a tool call',
        'gen_ai.assistant.message',
        { content: 'Let me look.', tool_calls: [TOOL_CALL] },
        { input: ['assistant: Let me look.\nget_weather({"city":"Paris"})'], output: [] },
      ],
      ['a tool result', 'gen_ai.tool.message', { content: '{"sky": "sunny"}', id: 'call_1' }, { input: ['tool: {"sky": "sunny"}'], output: [] }],
      [
        'a choice with text',
        'gen_ai.choice',
        { index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'Hello.' } },
        { input: [], output: ['assistant: Hello.'] },
      ],
      [
        'a choice with a tool call',
        'gen_ai.choice',
        { index: 0, finish_reason: 'tool_calls', message: { role: 'assistant', tool_calls: [TOOL_CALL] } },
        { input: [], output: ['assistant: get_weather({"city":"Paris"})'] },
      ],
      ['a choice without a role', 'gen_ai.choice', { index: 0, message: { content: 'Hello.' } }, { input: [], output: ['assistant: Hello.'] }],
    ];
    for (const [title, name, body, expected] of cases) {
      it(`reads ${title}`, () => {
        expect(read(name, body)).to.deep.equal({ timeUnixNano: T, ...expected });
      });
    }

    it('reads the fields from the attributes when there is no body (span events)', () => {
      expect(read('gen_ai.user.message', null, { content: 'Hi' })).to.deep.equal({ timeUnixNano: T, input: ['user: Hi'], output: [] });
      expect(read('gen_ai.choice', null, { message: { role: 'assistant', content: 'Yo' } })).to.deep.equal({
        timeUnixNano: T,
        input: [],
        output: ['assistant: Yo'],
      });
    });

    it('reads content that is not text as JSON', () => {
      expect(read('gen_ai.user.message', { content: { a: 1n } })).to.deep.equal({ timeUnixNano: T, input: ['user: {"a":1}'], output: [] });
    });

    it('finds no content in the events of a producer with capture off (no body, no content, tool calls without arguments)', () => {
      expect(read('gen_ai.system.message', null)).to.equal(undefined);
      expect(read('gen_ai.user.message', {})).to.equal(undefined);
      expect(read('gen_ai.user.message', { content: '' })).to.equal(undefined);
      expect(read('gen_ai.choice', { index: 0, finish_reason: 'stop', message: { role: 'assistant' } })).to.equal(undefined);
      const redacted = { id: 'call_1', type: 'function', function: { name: 'get_weather' } };
      expect(read('gen_ai.choice', { index: 0, finish_reason: 'tool_calls', message: { role: 'assistant', tool_calls: [redacted] } })).to.equal(undefined);
      expect(read('gen_ai.assistant.message', { tool_calls: [redacted] })).to.equal(undefined);
      expect(read('gen_ai.tool.message', { id: 'call_1' })).to.equal(undefined);
    });
  });

  describe(`${OPERATION_DETAILS_EVENT} (current conventions: one event per call)`, () => {
    const input = [
      { role: 'user', parts: [{ type: 'text', content: 'What is the weather in Paris?' }] },
      { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: { city: 'Paris' } }] },
      { role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_1', response: '{"sky": "sunny"}' }] },
    ];
    const output = [{ role: 'assistant', parts: [{ type: 'text', content: 'Sunny.' }], finish_reason: 'stop' }];
    const instructions = [{ type: 'text', content: 'Be terse.' }];
    const expected: ContentEvent = {
      timeUnixNano: T,
      instructions: 'system: Be terse.',
      input: ['user: What is the weather in Paris?', 'assistant: get_weather({"city":"Paris"})', 'tool: {"sky": "sunny"}'],
      output: ['assistant: Sunny.'],
    };
    const structured: Attributes = { 'gen_ai.system_instructions': instructions, 'gen_ai.input.messages': input, 'gen_ai.output.messages': output };
    const asJson: Attributes = Object.fromEntries(Object.entries(structured).map(([key, value]) => [key, JSON.stringify(value)]));

    it('reads structured AnyValue attributes (as the Python SDK sends them)', () => {
      expect(read(OPERATION_DETAILS_EVENT, null, { 'gen_ai.operation.name': 'chat', ...structured })).to.deep.equal(expected);
    });

    // JSON text renders as one item (the whole list), structured values one item per message: the same texts.
    const joined: ContentEvent = { ...expected, input: [expected.input.join('\n')] };

    it('reads JSON text attributes, into the same texts', () => {
      const event = read(OPERATION_DETAILS_EVENT, null, asJson);
      expect(event).to.deep.equal(joined);
      expect(renderContentEvents([event as ContentEvent])).to.deep.equal(renderContentEvents([expected]));
    });

    it('reads the same fields from a structured body and from a JSON-text body', () => {
      expect(read(OPERATION_DETAILS_EVENT, structured)).to.deep.equal(expected);
      expect(read(OPERATION_DETAILS_EVENT, asJson)).to.deep.equal(joined);
    });

    it('prefers the attributes over the body', () => {
      const event = read(
        OPERATION_DETAILS_EVENT,
        { 'gen_ai.output.messages': [{ role: 'assistant', parts: [{ type: 'text', content: 'body' }] }] },
        {
          'gen_ai.output.messages': [{ role: 'assistant', parts: [{ type: 'text', content: 'attribute' }] }],
        },
      );
      expect(event?.output).to.deep.equal(['assistant: attribute']);
    });

    it('reads int64 values and bytes inside structured values', () => {
      const event = read(OPERATION_DETAILS_EVENT, null, {
        'gen_ai.input.messages': [{ role: 'user', parts: [{ type: 'tool_call', name: 'f', arguments: { n: 3n, b: new Uint8Array([1, 2]) } }] }],
      });
      expect(event?.input).to.deep.equal(['user: f({"n":3,"b":"AQI="})']);
    });

    it('keeps text that is not JSON as one item', () => {
      expect(read(OPERATION_DETAILS_EVENT, null, { 'gen_ai.input.messages': '[{"role": "user", "par' })?.input).to.deep.equal(['[{"role": "user", "par']);
    });

    it('reads only what is there (output only, instructions only) and nothing when there is no content', () => {
      expect(read(OPERATION_DETAILS_EVENT, null, { 'gen_ai.output.messages': output })).to.deep.equal({
        timeUnixNano: T,
        input: [],
        output: ['assistant: Sunny.'],
      });
      expect(read(OPERATION_DETAILS_EVENT, null, { 'gen_ai.system_instructions': 'Be terse.' })).to.deep.equal({
        timeUnixNano: T,
        instructions: 'system: Be terse.',
        input: [],
        output: [],
      });
      expect(read(OPERATION_DETAILS_EVENT, null, { 'gen_ai.operation.name': 'chat', 'gen_ai.usage.input_tokens': 11 })).to.equal(undefined);
      expect(read(OPERATION_DETAILS_EVENT, null, { 'gen_ai.input.messages': null })).to.equal(undefined);
    });
  });

  describe('tool call arguments read the same whatever form the producer sent', () => {
    it('renders JSON text and parsed values as compact JSON; other text as it is', () => {
      const call = (args: unknown): string | undefined => renderMessages([{ role: 'assistant', parts: [{ type: 'tool_call', name: 'f', arguments: args }] }]);
      expect(call('{"city": "Paris"}')).to.equal('assistant: f({"city":"Paris"})');
      expect(call({ city: 'Paris' })).to.equal('assistant: f({"city":"Paris"})');
      expect(call('[1, 2]')).to.equal('assistant: f([1,2])');
      expect(call('not json')).to.equal('assistant: f(not json)');
      expect(call('"a string"')).to.equal('assistant: f("a string")');
      expect(call(undefined)).to.equal('assistant: f({})');
    });
  });

  describe('renderContentEvents', () => {
    const event = (time: bigint, input: string[], output: string[] = [], instructions?: string): ContentEvent => ({
      timeUnixNano: time,
      input,
      output,
      ...(instructions !== undefined ? { instructions } : {}),
    });

    it('joins the events of a span in time order, whatever order they came in', () => {
      const events = [event(T + 3n, [], ['assistant: Hello.']), event(T + 2n, ['user: Hi']), event(T + 1n, ['system: Be terse.'])];
      expect(renderContentEvents(events)).to.deep.equal({ input: 'system: Be terse.\nuser: Hi', output: 'assistant: Hello.' });
    });

    it('keeps the given order for events of the same time', () => {
      expect(renderContentEvents([event(T, ['user: a']), event(T, ['user: b']), event(T, ['user: c'])])).to.deep.equal({ input: 'user: a\nuser: b\nuser: c' });
    });

    it('puts an event’s instructions before its input messages', () => {
      expect(renderContentEvents([event(T, ['user: Hi'], ['assistant: Yo'], 'system: Be terse.')])).to.deep.equal({
        input: 'system: Be terse.\nuser: Hi',
        output: 'assistant: Yo',
      });
    });

    it('gives no text for a side without messages', () => {
      expect(renderContentEvents([event(T, [], ['assistant: Yo'])])).to.deep.equal({ output: 'assistant: Yo' });
      expect(renderContentEvents([])).to.deep.equal({});
    });
  });
});
