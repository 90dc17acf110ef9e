import { expect } from 'chai';
import type { GenAIFacts } from '../../src/mapping/conventions.js';
import { readGenAIFacts } from '../../src/mapping/conventions.js';
import { DEFAULT_RUN_WINDOW_MS, parseRunWindow, parseWindowRunKey, runHash, unkeyedRunKey, windowRunKey } from '../../src/mapping/run-key.js';
import type { Attributes, SpanRecord } from '../../src/model/span-record.js';

/** 2026-12-01 13:00:00.000 UTC, in ms. */
const HOUR_13 = Date.UTC(2026, 11, 1, 13);
const WINDOW = { grouping: 'window' } as const;

const CHAT: Attributes = {
  'gen_ai.operation.name': 'chat',
  'gen_ai.provider.name': 'openai',
  'gen_ai.request.model': 'gpt-4o-mini',
  'gen_ai.usage.input_tokens': 12,
};

/** A root chat span of service "checkout" that starts at `startMs` (+ 456 789 ns). */
function call(startMs: number, more: { attributes?: Attributes; resource?: Attributes; traceId?: string; parentSpanId?: string } = {}): SpanRecord {
  const start = BigInt(startMs) * 1_000_000n + 456_789n;
  return {
    traceId: more.traceId ?? '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    ...(more.parentSpanId !== undefined ? { parentSpanId: more.parentSpanId } : {}),
    name: 'chat gpt-4o-mini',
    kind: 'client',
    startTimeUnixNano: start,
    endTimeUnixNano: start + 800_000_000n,
    attributes: more.attributes ?? CHAT,
    events: [],
    links: [],
    status: { code: 'unset' },
    origin: { resource: more.resource ?? { 'service.name': 'checkout' }, scopeName: 'test' },
  };
}

/** The key `span` gets under `options`, with its own GenAI facts. */
function keyOf(span: SpanRecord, options: Parameters<typeof unkeyedRunKey>[2] = WINDOW): string {
  return unkeyedRunKey(span, readGenAIFacts(span), options);
}

describe('unkeyedRunKey: where root-level model calls with no run key go', () => {
  it('by default (and with grouping `trace`) every span goes to the run of its trace', () => {
    const span = call(HOUR_13);
    expect(unkeyedRunKey(span, readGenAIFacts(span), undefined)).to.equal(span.traceId);
    expect(keyOf(span, {})).to.equal(span.traceId);
    expect(keyOf(span, { grouping: 'trace' })).to.equal(span.traceId);
  });

  it('`window`: one run per service, model variant and hour, its key deterministic (golden: the key and its run hash, cross-checked with sha256sum)', () => {
    const key = 'unkeyed:service=checkout;provider=openai;model=gpt-4o-mini;window=2026-12-01T13:00:00.000Z/PT1H';
    expect(keyOf(call(HOUR_13 + 1_234))).to.equal(key);
    // Another trace of the same service and model in the same hour: the same run.
    expect(keyOf(call(HOUR_13 + 3_599_999, { traceId: '5bf92f3577b34da6a3ce929d0e0e4736' }))).to.equal(key);
    expect(runHash(key)).to.equal('9435e33626d8f8fa7572f16f');
    expect(runHash(key, 'prod')).to.equal('ab9192d12964d6824a6224fd');
  });

  it('windows are aligned to UTC: a call at 13:59:59.999 and one at 14:00:00.000 are in different runs; the window length is part of the key', () => {
    expect(keyOf(call(HOUR_13 - 1))).to.match(/window=2026-12-01T12:00:00\.000Z\/PT1H$/);
    expect(keyOf(call(HOUR_13))).to.match(/window=2026-12-01T13:00:00\.000Z\/PT1H$/);
    expect(keyOf(call(HOUR_13 + 3_599_999))).to.match(/window=2026-12-01T13:00:00\.000Z\/PT1H$/);
    expect(keyOf(call(HOUR_13 + 3_600_000))).to.match(/window=2026-12-01T14:00:00\.000Z\/PT1H$/);
    const quarter = { grouping: 'window', windowMs: 15 * 60_000 } as const;
    expect(keyOf(call(HOUR_13 + 44 * 60_000), quarter)).to.match(/window=2026-12-01T13:30:00\.000Z\/PT15M$/);
    expect(keyOf(call(HOUR_13 + 13 * 3_600_000), { grouping: 'window', windowMs: 86_400_000 })).to.match(/window=2026-12-02T00:00:00\.000Z\/P1D$/);
    expect(keyOf(call(HOUR_13), { grouping: 'window', windowMs: 90 * 60_000 })).to.match(/\/PT1H30M$/);
  });

  it('a window length that is not a positive integer falls back to the default (1 h), without throwing', () => {
    const hourly = keyOf(call(HOUR_13));
    for (const windowMs of [0, -5, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) expect(keyOf(call(HOUR_13), { grouping: 'window', windowMs })).to.equal(hourly);
    expect(DEFAULT_RUN_WINDOW_MS).to.equal(3_600_000);
  });

  it('model variants are runs of their own: another model, another provider, an embedding model', () => {
    const keys = [
      keyOf(call(HOUR_13)),
      keyOf(call(HOUR_13, { attributes: { ...CHAT, 'gen_ai.request.model': 'gpt-4o' } })),
      keyOf(call(HOUR_13, { attributes: { ...CHAT, 'gen_ai.provider.name': 'azure.ai.openai' } })),
      keyOf(
        call(HOUR_13, {
          attributes: { 'gen_ai.operation.name': 'embeddings', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'text-embedding-3-small' },
        }),
      ),
      // No request model: the response model names the variant.
      keyOf(
        call(HOUR_13, { attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.response.model': 'gpt-4o-mini-2024-07-18' } }),
      ),
    ];
    expect(new Set(keys).size).to.equal(keys.length);
    expect(keys.every((key) => key.startsWith('unkeyed:'))).to.equal(true);
    expect(keys[4]).to.contain('model=gpt-4o-mini-2024-07-18;');
  });

  it('services are runs of their own, told apart by namespace and deployment environment too; unknown service and model are named so', () => {
    const keys = [
      keyOf(call(HOUR_13)),
      keyOf(call(HOUR_13, { resource: { 'service.name': 'billing' } })),
      keyOf(call(HOUR_13, { resource: { 'service.name': 'checkout', 'service.namespace': 'shop' } })),
      keyOf(call(HOUR_13, { resource: { 'service.name': 'checkout', 'deployment.environment.name': 'staging' } })),
      keyOf(call(HOUR_13, { resource: { 'service.name': 'checkout', 'deployment.environment': 'staging' } })),
    ];
    expect(new Set(keys.slice(0, 4)).size).to.equal(4);
    expect(keys[3]).to.equal(keys[4]); // the older attribute name means the same environment
    expect(keyOf(call(HOUR_13, { resource: {}, attributes: { 'gen_ai.operation.name': 'chat' } }))).to.equal(
      'unkeyed:service=unknown_service;window=2026-12-01T13:00:00.000Z/PT1H',
    );
  });

  it("values that contain the key's separators cannot make two runs share a key", () => {
    const a = keyOf(
      call(HOUR_13, { resource: { 'service.name': 'a;provider=x' }, attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'm' } }),
    );
    const b = keyOf(
      call(HOUR_13, {
        resource: { 'service.name': 'a' },
        attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'x', 'gen_ai.request.model': 'm' },
      }),
    );
    expect(a).to.not.equal(b);
    expect(a).to.equal('unkeyed:service=a%3Bprovider%3Dx;model=m;window=2026-12-01T13:00:00.000Z/PT1H');
  });

  it('spans with a parent, and root spans that are not model calls, keep the run of their trace', () => {
    expect(keyOf(call(HOUR_13, { parentSpanId: '1111111111111111' }))).to.equal('4bf92f3577b34da6a3ce929d0e0e4736');
    for (const operation of ['invoke_agent', 'invoke_workflow', 'execute_tool', 'retrieval']) {
      expect(keyOf(call(HOUR_13, { attributes: { 'gen_ai.operation.name': operation } })), operation).to.equal('4bf92f3577b34da6a3ce929d0e0e4736');
    }
    expect(keyOf(call(HOUR_13, { attributes: { 'openinference.span.kind': 'CHAIN' } }))).to.equal('4bf92f3577b34da6a3ce929d0e0e4736');
    // Not a GenAI span (mapped with includeNonGenAI): no facts.
    expect(unkeyedRunKey(call(HOUR_13, { attributes: {} }), undefined, WINDOW)).to.equal('4bf92f3577b34da6a3ce929d0e0e4736');
  });

  it("windowRunKey keeps start times out of JavaScript's date range within it (no throw)", () => {
    const facts: Pick<GenAIFacts, 'provider' | 'model'> = { provider: 'openai', model: 'm' };
    expect(windowRunKey({ ...call(0), startTimeUnixNano: 2n ** 64n - 1n }, facts)).to.match(/window=2554-07-21T23:00:00\.000Z\/PT1H$/);
    expect(windowRunKey({ ...call(0), startTimeUnixNano: 10n ** 25n }, facts)).to.match(/window=\+275760-09-13T00:00:00\.000Z\/PT1H$/);
    expect(windowRunKey({ ...call(0), startTimeUnixNano: -(10n ** 25n) }, facts)).to.match(/window=-271821-04-20T00:00:00\.000Z\/PT1H$/);
  });
});

describe('parseWindowRunKey: what a window run key names', () => {
  it('reads back what the key was made of, separators included; other keys are not window keys', () => {
    const span = call(HOUR_13 + 5, { resource: { 'service.name': 'shop;=%', 'service.namespace': 'team', 'deployment.environment.name': 'prod' } });
    expect(parseWindowRunKey(keyOf(span))).to.deep.equal({
      service: 'shop;=%',
      namespace: 'team',
      environment: 'prod',
      provider: 'openai',
      model: 'gpt-4o-mini',
      startMs: HOUR_13,
      windowMs: 3_600_000,
    });
    expect(parseWindowRunKey(keyOf(call(HOUR_13), { grouping: 'window', windowMs: 90 * 60_000 + 500 }))?.windowMs).to.equal(90 * 60_000 + 500);
    for (const key of ['4bf92f3577b34da6a3ce929d0e0e4736', 'conversation-42', 'unkeyed:nonsense', 'unkeyed:service=x;window=yesterday']) {
      expect(parseWindowRunKey(key), key).to.equal(undefined);
    }
  });
});

describe('parseRunWindow: the window length as written on the command line', () => {
  it('reads durations in ms, s, m, h, d and their sums; refuses anything else and less than a second', () => {
    expect(parseRunWindow('1h')).to.equal(3_600_000);
    expect(parseRunWindow('15m')).to.equal(900_000);
    expect(parseRunWindow('1h30m')).to.equal(5_400_000);
    expect(parseRunWindow(' 1D ')).to.equal(86_400_000);
    expect(parseRunWindow('90s')).to.equal(90_000);
    expect(parseRunWindow('1500ms')).to.equal(1_500);
    for (const text of ['', '1', '500ms', '0h', 'h', '1 h', '1.5h', '-1h', '1w', 'PT1H']) expect(parseRunWindow(text), text).to.equal(undefined);
  });
});
