import { expect } from 'chai';
import { readInstructions } from '../../src/mapping/instructions.js';
import { spanStep } from '../../src/mapping/span-places.js';
import { planWrites } from '../../src/mapping/to-aim.js';
import type { Attributes, SpanEventRecord, SpanRecord } from '../../src/model/span-record.js';

const START = 1_764_000_000_123_000_000n;

function span(attributes: Attributes, events: SpanEventRecord[] = [], spanId = '00000000000000a1'): SpanRecord {
  return {
    traceId: 'cccccccccccccccccccccccccccccccc',
    spanId,
    name: 'facade',
    kind: 'internal',
    startTimeUnixNano: START,
    endTimeUnixNano: START + 1_000_000n,
    attributes,
    events,
    links: [],
    status: { code: 'unset' },
    origin: { resource: { 'service.name': 'svc' }, scopeName: 'test' },
  };
}

function track(attributes: Attributes, timeUnixNano = START): SpanEventRecord {
  return { name: 'aim.track', timeUnixNano, attributes };
}

describe('explicit Aim instructions on spans (aim.params, aim.track events)', () => {
  it('reads params, texts, text lists and float points with their contexts and steps', () => {
    const got = readInstructions(
      span({ 'aim.params': JSON.stringify({ model: 'fake', hparams: { temperature: 0.5, max_tokens: 64 } }) }, [
        track({ 'aim.name': 'on_llm_start', 'aim.context': JSON.stringify({ action: 'on_llm_start', step: 1 }), 'aim.step': 0, 'aim.texts': ['a', 'b'] }),
        track({ 'aim.name': 'on_tool_end', 'aim.text': 'result' }),
        track({ 'aim.name': '__system__cpu', 'aim.step': 3, 'aim.value': 12.5 }),
      ]),
    );
    expect(got.problems).to.deep.equal([]);
    expect(got.params).to.deep.equal({ model: 'fake', hparams: { temperature: 0.5, max_tokens: 64n } });
    expect(got.tracks.map((t) => [t.name, t.context, t.step, t.value])).to.deep.equal([
      ['on_llm_start', { action: 'on_llm_start', step: 1 }, 0n, { kind: 'texts', texts: ['a', 'b'] }],
      ['on_tool_end', {}, undefined, { kind: 'text', text: 'result' }],
      ['__system__cpu', {}, 3n, { kind: 'float', value: 12.5 }],
    ]);
  });

  it('several points of one sequence on one span get distinct, replay-stable storage keys', () => {
    const many = span({}, [track({ 'aim.name': 'loss', 'aim.step': 0, 'aim.value': 1 }), track({ 'aim.name': 'loss', 'aim.step': 1, 'aim.value': 0.5 })]);
    const keys = (): (string | undefined)[] => planWrites([many], { layout: 'explicit' }).runs[0]?.metrics.map((m) => m.key) ?? [];
    expect(new Set(keys()).size).to.equal(2);
    expect(keys()).to.deep.equal(keys());
  });

  it('reports each malformed instruction and keeps the others', () => {
    const got = readInstructions(
      span({ 'aim.params': '[1, 2]' }, [
        track({ 'aim.text': 'no name' }),
        track({ 'aim.name': 'two values', 'aim.text': 'a', 'aim.value': 1 }),
        track({ 'aim.name': 'bad step', 'aim.step': -1, 'aim.text': 'a' }),
        track({ 'aim.name': 'bad context', 'aim.context': 'not json', 'aim.text': 'a' }),
        track({ 'aim.name': 'bad list', 'aim.texts': ['a', 1] }),
        track({ 'aim.name': 'fine', 'aim.text': 'kept' }),
      ]),
    );
    expect(got.problems).to.have.length(6);
    expect(got.problems.join('\n'))
      .to.match(/aim\.params is not a JSON object/)
      .and.match(/aim\.name must be a non-empty string/)
      .and.match(/exactly one/);
    expect(got.tracks.map((t) => t.name)).to.deep.equal(['fine']);
  });

  it('the explicit layout writes only the instructions and the run attributes: no GenAI params, metrics or texts', () => {
    const chat = span(
      {
        'aim.run_key': 'session-1',
        'aim.experiment': 'parity',
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'm',
        'gen_ai.usage.input_tokens': 3,
        'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'hi' }] }]),
      },
      [track({ 'aim.name': 'on_llm_start', 'aim.context': '{"action":"on_llm_start"}', 'aim.step': 0, 'aim.texts': ['Human: hi'] })],
    );
    const params = span({ 'aim.run_key': 'session-1', 'aim.params': '{"foo":"bar"}' }, [], '00000000000000a2');
    const plan = planWrites([chat, params], { layout: 'explicit' });
    expect(plan.runs).to.have.length(1);
    const [run] = plan.runs;
    expect(run?.experiment).to.equal('parity');
    expect(run?.name).to.equal(undefined);
    expect(run?.params).to.deep.equal([{ path: ['foo'], value: 'bar' }]);
    expect(run?.metrics).to.deep.equal([]);
    expect(run?.texts.map((t) => [t.name, t.text, t.context, t.step])).to.deep.equal([['on_llm_start', ['Human: hi'], { action: 'on_llm_start' }, 0n]]);
  });

  it('the default layout adds the instructions to what it reads from the conventions, and maps a non-GenAI span that carries some', () => {
    const plain = span({ 'aim.run_key': 'k' }, [track({ 'aim.name': 'custom', 'aim.value': 2 }, START + 5_000_000n)]);
    const plan = planWrites([plain]);
    expect(plan.runs[0]?.metrics.map((m) => [m.name, m.value, m.step])).to.deep.equal([
      ['custom', 2, spanStep({ ...plain, startTimeUnixNano: START + 5_000_000n })],
    ]);
    expect(plan.runs[0]?.params.map((p) => p.path.join('.'))).to.include('otel.resource');
  });
});
