/**
 * Where spans write their points across batches (src/mapping/span-places.ts), with the sink's own
 * memory of placements (SpanPlacements): a store that applies plans as Aim does (texts keyed by
 * step, metrics by point key) shows what a user would read after any batch composition.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import type { AimWritePlan } from '../../src/mapping/aim-plan.js';
import { planWrites, type MappingOptions } from '../../src/mapping/to-aim.js';
import type { Attributes, SpanRecord } from '../../src/model/span-record.js';
import { SpanPlacements } from '../../src/sink/span-placements.js';
import { testSpan } from '../support/span-record.js';

const TRACE = 'cccccccccccccccccccccccccccccccc';
const MS = 1_764_000_000_000n * 1_000_000n; // a whole millisecond, in ns

function record(spanId: string, attributes: Attributes, more: Partial<SpanRecord> = {}): SpanRecord {
  return testSpan(spanId, attributes, { traceId: TRACE, startTimeUnixNano: MS, endTimeUnixNano: MS + 5_000_000n, ...more });
}

const chat = (prompt: string, completion: string, tokens: number): Attributes => ({
  'gen_ai.operation.name': 'chat',
  'gen_ai.provider.name': 'openai',
  'gen_ai.request.model': 'gpt-4o-mini',
  'gen_ai.usage.input_tokens': tokens,
  'gen_ai.usage.output_tokens': tokens + 1,
  'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: prompt }] }]),
  'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: completion }] }]),
});

/** What Aim holds after the plans: texts by (run, name, context, step), metrics by (run, name, context, point key). */
class Store {
  readonly texts = new Map<string, { step: bigint; text: string }>();
  readonly metrics = new Map<string, number | bigint>();

  apply(plan: AimWritePlan): void {
    for (const run of plan.runs) {
      for (const text of run.texts) {
        this.texts.set(`${run.hash}|${text.name}|${JSON.stringify(text.context)}|${String(text.step)}`, { step: text.step, text: String(text.text) });
      }
      for (const metric of run.metrics)
        this.metrics.set(`${run.hash}|${metric.name}|${JSON.stringify(metric.context)}|${metric.key ?? metric.spanId}`, metric.value);
    }
  }

  textsNamed(name: string): { step: bigint; text: string }[] {
    return [...this.texts.entries()].filter(([key]) => key.split('|')[1] === name).map(([, value]) => value);
  }

  metricValues(name: string): (number | bigint)[] {
    return [...this.metrics.entries()].filter(([key]) => key.split('|')[1] === name).map(([, value]) => value);
  }
}

/** A bridge process: plans batch after batch with its memory of placements, as the sink does. */
function bridge(options: MappingOptions = {}): { send: (spans: readonly SpanRecord[]) => void; store: Store } {
  const placements = new SpanPlacements();
  const keys = new Map<string, string>();
  const memo = { get: (traceId: string) => keys.get(traceId), set: (traceId: string, key: string) => void keys.set(traceId, key) };
  const store = new Store();
  return {
    store,
    send(spans) {
      const plan = planWrites(spans, options, memo, placements);
      placements.record(plan.placements);
      store.apply(plan);
    },
  };
}

describe('span places: no text lost or duplicated by replays, one call counted once', () => {
  describe('300 spans of one conversation, 150 of them in the same millisecond', () => {
    const spans: SpanRecord[] = [];
    for (let i = 0; i < 300; i++) {
      // Span ids whose last 12 bits repeat among the spans of one millisecond (the case a step derived from the span alone cannot separate).
      const spanId = `${i.toString(16).padStart(13, '0')}${(i < 150 ? i % 20 : i).toString(16).padStart(3, '0')}`;
      const start = i < 150 ? MS : MS + BigInt(i) * 1_000_000n;
      spans.push(
        record(
          spanId,
          { ...chat(`prompt ${String(i)}`, `answer ${String(i)}`, i), 'gen_ai.conversation.id': 'c-1' },
          { startTimeUnixNano: start, endTimeUnixNano: start + 1_000_000n },
        ),
      );
    }
    const unique = new Set(spans.map((span) => span.spanId));

    function expectEveryTextOnce(store: Store): void {
      for (const [name, prefix] of [
        ['on_llm_start', 'user: prompt '],
        ['on_llm_end', 'assistant: answer '],
      ] as const) {
        const texts = store.textsNamed(name);
        expect(texts.map((t) => t.text).sort()).to.deep.equal(spans.map((_, i) => `${prefix}${String(i)}`).sort());
        // Time order: a span of a later millisecond has a later step than every span of an earlier one.
        const byIndex = new Map(texts.map((t) => [Number(t.text.slice(prefix.length)), t.step]));
        for (let i = 151; i < 300; i++) expect((byIndex.get(i) ?? 0n) > (byIndex.get(i - 1) ?? 0n), `step of ${String(i)}`).to.equal(true);
      }
      expect(store.metricValues('gen_ai.usage.input_tokens')).to.have.length(300);
    }

    it('the fixture has 300 distinct spans, with shared last-12-bits among those of the same millisecond', () => {
      expect(unique.size).to.equal(300);
      const lowBits = new Set(spans.slice(0, 150).map((span) => span.spanId.slice(-3)));
      expect(lowBits.size).to.be.below(150);
    });

    it('six overlapping batches: every prompt and completion once, with its own content', () => {
      const { send, store } = bridge();
      for (const [from, to] of [
        [0, 100],
        [50, 150],
        [100, 200],
        [150, 250],
        [200, 300],
        [0, 300],
      ] as const) {
        send(spans.slice(from, to));
      }
      expectEveryTextOnce(store);
    });

    it('any batch composition and order, replays included (property, 60 runs)', () => {
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.nat(299), fc.nat(299)), { minLength: 1, maxLength: 8 }),
          fc.array(fc.nat(299), { minLength: 300, maxLength: 300 }),
          (cuts, order) => {
            const { send, store } = bridge();
            const shuffled = spans
              .map((span, i) => ({ span, key: order[i] ?? 0 }))
              .sort((a, b) => a.key - b.key)
              .map((entry) => entry.span);
            for (const [a, b] of cuts) send(shuffled.slice(Math.min(a, b), Math.max(a, b) + 1));
            send(shuffled); // the last batch makes sure every span came at least once
            expectEveryTextOnce(store);
          },
        ),
        { numRuns: 60 },
      );
    });
  });

  describe('a framework model-call span with a provider model-call span under it', () => {
    const outer = record('00000000000000a1', chat('hi (framework)', 'hello (framework)', 10), {
      name: 'chat gpt-4o-mini',
      origin: { resource: { 'service.name': 'svc' }, scopeName: 'aim-otel-bridge/langchain' },
    });
    const inner = record('00000000000000b2', chat('hi', 'hello', 12), {
      parentSpanId: outer.spanId,
      startTimeUnixNano: MS + 1_000_000n,
      endTimeUnixNano: MS + 4_000_000n,
      origin: { resource: { 'service.name': 'svc' }, scopeName: 'opentelemetry.instrumentation.openai' },
    });

    const orders: [string, SpanRecord[][]][] = [
      ['provider span first (the usual)', [[inner], [outer]]],
      ['framework span first', [[outer], [inner]]],
      ['both in one batch', [[outer, inner]]],
      ['both in one batch, provider first', [[inner, outer]]],
      ['provider first, then everything replayed twice', [[inner], [outer], [outer, inner], [inner, outer]]],
      ['framework first, then everything replayed', [[outer], [inner], [inner, outer], [outer], [inner]]],
    ];
    for (const [title, batches] of orders) {
      it(`${title}: one token point, one prompt and one completion, the provider span's`, () => {
        const { send, store } = bridge();
        for (const batch of batches) send(batch);
        expect(store.metricValues('gen_ai.usage.input_tokens')).to.deep.equal([12n]);
        expect(store.metricValues('gen_ai.usage.output_tokens')).to.deep.equal([13n]);
        expect(store.metricValues('gen_ai.client.operation.duration')).to.have.length(1);
        expect(store.textsNamed('on_llm_start').map((t) => t.text)).to.deep.equal(['user: hi']);
        expect(store.textsNamed('on_llm_end').map((t) => t.text)).to.deep.equal(['assistant: hello']);
      });
    }

    // OpenTelemetry's openai instrumentation: no content on its span; OpenLLMetry's on a streamed call: no token counts.
    const without = (attributes: Attributes, names: readonly string[]): Attributes =>
      Object.fromEntries(Object.entries(attributes).filter(([name]) => !names.includes(name)));
    const noContent = without(chat('', '', 12), ['gen_ai.input.messages', 'gen_ai.output.messages']);
    const noUsage = without(chat('hi', 'hello', 0), ['gen_ai.usage.input_tokens', 'gen_ai.usage.output_tokens']);
    for (const [lacks, attributes, tokens, prompt] of [
      ['content', noContent, 12n, 'user: hi (framework)'],
      ['token counts', noUsage, 10n, 'user: hi'],
    ] as const) {
      const partial = { ...inner, attributes };
      for (const [title, batches] of [
        ['provider first', [[partial], [outer]]],
        ['framework first', [[outer], [partial]]],
        ['one batch', [[outer, partial]]],
        ['provider first, then replays', [[partial], [outer], [outer, partial], [partial], [outer]]],
        ['framework first, then replays', [[outer], [partial], [partial, outer], [outer]]],
      ] as const) {
        it(`the provider span lacks ${lacks}, ${title}: the framework span fills it in, each point once`, () => {
          const { send, store } = bridge();
          for (const batch of batches) send(batch);
          expect(store.metricValues('gen_ai.usage.input_tokens')).to.deep.equal([tokens]);
          expect(store.metricValues('gen_ai.client.operation.duration')).to.have.length(1);
          expect(store.textsNamed('on_llm_start').map((t) => t.text)).to.deep.equal([prompt]);
          expect(store.textsNamed('on_llm_end')).to.have.length(1);
        });
      }
    }

    it('a provider span that went to another run than its framework span (the key came later): each run counts the call once, complete', () => {
      const keyed = { ...outer, attributes: { ...outer.attributes, 'gen_ai.conversation.id': 'c-2' } };
      const { send, store } = bridge();
      send([inner]); // no key known for the trace yet: the trace's run
      send([keyed]); // the conversation's run
      expect(store.metricValues('gen_ai.usage.input_tokens').sort()).to.deep.equal([10n, 12n]);
      expect(new Set([...store.metrics.keys()].map((key) => key.split('|')[0])).size).to.equal(2);
      expect(
        store
          .textsNamed('on_llm_start')
          .map((t) => t.text)
          .sort(),
      ).to.deep.equal(['user: hi', 'user: hi (framework)']);
    });

    it("chat spans of an app's own scope nested in each other are separate calls (only a framework's span stacks)", () => {
      const root = record('00000000000000e5', chat('plan', 'steps', 3));
      const calls = [1, 2, 3].map((n) =>
        record(`00000000000000e${String(5 + n)}`, chat(`q${String(n)}`, `a${String(n)}`, 10 * n), { parentSpanId: root.spanId }),
      );
      for (const batches of [[calls, [root]], [[root], calls], [[root, ...calls]]]) {
        const { send, store } = bridge();
        for (const batch of batches) send(batch);
        expect(
          store
            .metricValues('gen_ai.usage.input_tokens')
            .map(Number)
            .sort((a, b) => a - b),
        ).to.deep.equal([3, 10, 20, 30]);
        expect(store.textsNamed('on_llm_start')).to.have.length(4);
      }
    });

    it('a model-call span under a chain span is a call of its own (only model calls stack)', () => {
      const chain = record('00000000000000c3', { 'gen_ai.operation.name': 'invoke_workflow', 'gen_ai.conversation.id': 'c-3' });
      const call = record('00000000000000d4', chat('q', 'a', 5), { parentSpanId: chain.spanId });
      const { send, store } = bridge();
      send([call]);
      send([chain]);
      expect(store.metricValues('gen_ai.usage.input_tokens')).to.deep.equal([5n]);
    });

    it('a restarted bridge with the same memory (state directory) keeps the decision', () => {
      const placements = new SpanPlacements();
      const store = new Store();
      const first = planWrites([outer], {}, undefined, placements);
      placements.record(first.placements);
      store.apply(first);
      // The journal's view: the same placements, read back into a new memory.
      const restarted = new SpanPlacements();
      restarted.record([...placements.ids()].map((id) => placements.get(id)).filter((p) => p !== undefined));
      const second = planWrites([inner, outer], {}, undefined, restarted);
      store.apply(second);
      expect(store.metricValues('gen_ai.usage.input_tokens')).to.deep.equal([12n]);
    });
  });
});
