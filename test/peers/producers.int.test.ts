import { expect } from 'chai';
import { FAKE_REPLY, FAKE_TOOL_ANSWER, FAKE_TOOL_ARGUMENTS, FAKE_USAGE, startFakeOpenAI, type FakeOpenAI } from './fake-openai.js';
import { runProducer, type ProducerName, type ProducerMode } from './producers.js';
import { startOtlpCapture, type OtlpCapture } from './producers/otlp-capture.js';
import { jsonText, summarizeRequest, type JsonObject } from './producers/otlp-decode.js';

/** Every span, log record or metric of the captured requests of one signal, flattened. */
function captured(capture: OtlpCapture, signal: 'traces' | 'logs' | 'metrics'): JsonObject[] {
  return capture.decoded(signal).flatMap((request) => {
    expect(request.complete, `${request.path} decoded whole`).to.equal(true);
    return summarizeRequest(signal, request.request);
  });
}

async function chat(openai: FakeOpenAI, body: Record<string, unknown>): Promise<Response> {
  return fetch(`${openai.url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

describe('fake OpenAI server', () => {
  let openai: FakeOpenAI;
  before(async () => {
    openai = await startFakeOpenAI({ chunkDelayMs: 0 });
  });
  after(() => openai.close());

  it('answers a chat completion with fixed text, usage, ids and a dated response model', async () => {
    const answer = (await (await chat(openai, { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })).json()) as Record<string, unknown>;
    expect(answer).to.deep.include({ model: 'gpt-4o-mini-2024-07-18', object: 'chat.completion', usage: FAKE_USAGE.text });
    expect(answer['id']).to.match(/^chatcmpl-fake-\d+$/);
    expect(answer['choices']).to.deep.equal([
      { index: 0, message: { role: 'assistant', content: FAKE_REPLY, refusal: null }, logprobs: null, finish_reason: 'stop' },
    ]);
  });

  it('streams the same text and ends with a usage chunk only when include_usage is set', async () => {
    for (const includeUsage of [true, false]) {
      const response = await chat(openai, {
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
        stream_options: { include_usage: includeUsage },
      });
      expect(response.headers.get('content-type')).to.equal('text/event-stream');
      const events = (await response.text())
        .split('\n\n')
        .filter((line) => line.startsWith('data: '))
        .map((line) => line.slice(6));
      expect(events.pop()).to.equal('[DONE]');
      const chunks = events.map((event) => JSON.parse(event) as { choices: { delta: { content?: string } }[]; usage?: unknown });
      expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).to.equal(FAKE_REPLY);
      const last = chunks[chunks.length - 1];
      if (includeUsage) expect(last).to.deep.include({ choices: [], usage: FAKE_USAGE.text });
      else expect(last?.usage).to.equal(undefined);
    }
  });

  it('answers a request with tools with a tool call, and the tool result with text', async () => {
    const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }];
    const call = (await (await chat(openai, { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'weather?' }], tools })).json()) as {
      choices: { message: { tool_calls: { id: string; function: { name: string; arguments: string } }[] }; finish_reason: string }[];
    };
    expect(call.choices[0]?.finish_reason).to.equal('tool_calls');
    expect(call.choices[0]?.message.tool_calls[0]?.function).to.deep.equal({ name: 'get_weather', arguments: FAKE_TOOL_ARGUMENTS });
    const answer = (await (await chat(openai, { model: 'gpt-4o-mini', tools, messages: [{ role: 'tool', tool_call_id: 'x', content: '{}' }] })).json()) as {
      choices: { message: { content: string } }[];
      usage: unknown;
    };
    expect(answer.choices[0]?.message.content).to.equal(FAKE_TOOL_ANSWER);
    expect(answer.usage).to.deep.equal(FAKE_USAGE.toolAnswer);
  });
});

describe('real GenAI producers (Python) over OTLP/HTTP protobuf', function () {
  this.timeout(120_000);
  let openai: FakeOpenAI;
  let capture: OtlpCapture;
  before(async () => {
    openai = await startFakeOpenAI();
    capture = await startOtlpCapture();
  });
  beforeEach(() => {
    capture.clear();
  });
  after(async () => {
    await openai.close();
    await capture.close();
  });

  const cases: { [P in ProducerName]: { mode: ProducerMode<P>; spanName: string; contentKey: string } } = {
    'openai-v2': { mode: 'span-only', spanName: 'chat gpt-4o-mini', contentKey: 'gen_ai.output.messages' },
    'openai-v2-util1': { mode: 'span-and-event', spanName: 'chat gpt-4o-mini', contentKey: 'gen_ai.output.messages' },
    openllmetry: { mode: 'content', spanName: 'openai.chat', contentKey: 'gen_ai.output.messages' },
    openinference: { mode: 'content', spanName: 'ChatCompletion', contentKey: 'llm.output_messages.0.message.content' },
  };

  for (const [producer, { mode, spanName, contentKey }] of Object.entries(cases) as [ProducerName, (typeof cases)[ProducerName]][]) {
    it(`${producer} (${mode}) sends its chat spans, with the fake model's answer`, async () => {
      const summary = await runProducer({ producer, mode, otlpEndpoint: capture.url, openaiBaseUrl: openai.url });
      expect(summary.calls.map((call) => call.text)).to.deep.equal([FAKE_REPLY, FAKE_REPLY, null, FAKE_TOOL_ANSWER]);
      expect(capture.requests.every((request) => request.contentType === 'application/x-protobuf')).to.equal(true);
      const spans = captured(capture, 'traces').filter((span) => span['name'] === spanName);
      expect(spans).to.have.length(4);
      const ids = new Set(summary.spans.map((span) => `${span.trace_id}/${span.span_id}`));
      for (const span of spans) expect(ids.has(`${jsonText(span['traceId'])}/${jsonText(span['spanId'])}`)).to.equal(true);
      const first = spans[0]?.['attributes'] as JsonObject;
      expect(JSON.stringify(first[contentKey])).to.include('Hello from the fake model.');
    });
  }

  it('openai-v2 (events) sends one log event per message, named in the event_name field, in its span', async () => {
    const summary = await runProducer({ producer: 'openai-v2', mode: 'events', otlpEndpoint: capture.url, openaiBaseUrl: openai.url });
    const logs = captured(capture, 'logs');
    const firstSpan = summary.spans[0];
    const ofFirstCall = logs.filter((log) => log['spanId'] === firstSpan?.span_id);
    expect(ofFirstCall.map((log) => [log['eventName'], log['body']])).to.deep.equal([
      ['gen_ai.system.message', { content: 'You are a terse assistant.' }],
      ['gen_ai.user.message', { content: 'Say hello and tell me the colour of the sky.' }],
      ['gen_ai.choice', { index: 0, finish_reason: 'stop', message: { role: 'assistant', content: FAKE_REPLY } }],
    ]);
    expect(ofFirstCall.every((log) => log['traceId'] === firstSpan?.trace_id)).to.equal(true);
    expect(logs.map((log) => log['eventName'])).to.include.members(['gen_ai.assistant.message', 'gen_ai.tool.message']);
    const metrics = captured(capture, 'metrics').map((metric) => metric['name']);
    expect(metrics).to.have.members(['gen_ai.client.operation.duration', 'gen_ai.client.token.usage']);
  });
});
