import { expect } from 'chai';
import type { ParamWrite, RunWritePlan } from '../../src/mapping/aim-plan.js';
import type { SpanRecord } from '../../src/model/span-record.js';
import { MAX_PARAM_PATHS_PER_RUN, resolveParamLimits } from '../../src/mapping/param-limits.js';
import { RateLimitedLog } from '../../src/logging/rate-limited-log.js';
import { ReceiverMetrics } from '../../src/receiver/metrics.js';
import { AimSink } from '../../src/sink/aim-sink.js';
import { OpenRunCache, RunInputBounds } from '../../src/sink/open-runs.js';
import { applyPlan } from '../../src/sink/plan-applier.js';
import { RecordingLogger } from '../logging/recording-logger.js';
import { FakeAimWriter } from './fake-aim-writer.js';

function plan(params: ParamWrite[], more: Partial<RunWritePlan> = {}): RunWritePlan {
  return { key: 'k', hash: 'h1', tags: [], params, metrics: [], texts: [], spanCount: 1, ...more };
}

const user = (name: string, value: ParamWrite['value'] = 1n): ParamWrite => ({ path: [name], value });

describe('RunInputBounds: what telemetry can make a run hold', () => {
  it('a run gets at most maxPathsPerRun param paths over all its batches; paths it has are rewritten; the bridge’s own params do not count', async () => {
    const logger = new RecordingLogger();
    const runs = new OpenRunCache({ log: new RateLimitedLog(logger), params: { limits: { maxPathsPerRun: 3 } } });
    const writer = new FakeAimWriter();
    await applyPlan(plan([user('a'), user('b')]), writer, runs);
    await applyPlan(plan([{ path: ['otel', 'resource'], value: 'r' }, user('c'), user('d', 'secret-value'), user('a')]), writer, runs);
    await applyPlan(plan([{ path: ['gen_ai', 'request'], value: 'q' }, user('e'), user('b')]), writer, runs);
    await applyPlan(plan([user('f')], { hash: 'h2' }), writer, runs);
    expect(writer.calls.filter((call) => call.startsWith('set '))).to.deep.equal([
      'set h1 a',
      'set h1 b',
      'set h1 otel.resource',
      'set h1 c',
      'set h1 a',
      'set h1 gen_ai.request',
      'set h1 b',
      'set h2 f',
    ]);
    expect(runs.bounds.cut).to.equal(2);
    expect(logger.lines).to.have.length(1); // rate-limited: one line per 10 s for the kind
    expect(logger.lines[0]).to.match(/params cut: run h1: \["d"\]: the run has 3 params already \(at most 3\)/);
    expect(logger.lines.join('\n')).not.to.include('secret-value');
  });

  it('drops, counts and names (never shows) a param with an empty or over-long key, or a value too deep, too wide or too big', () => {
    const bounds = new RunInputBounds({ limits: { maxKeyLength: 8, maxDepth: 3, maxWidth: 4, maxValueSize: 100 } });
    const nested = (depth: number): ParamWrite['value'] => (depth === 0 ? 1n : [nested(depth - 1)]);
    const kept = bounds.admit('h', [
      user('ok'),
      user('k'.repeat(9)),
      { path: ['a', ''], value: 1n },
      user('deep', nested(4)),
      user('deep3', nested(3)),
      user('wide', [1n, 2n, 3n, 4n, 5n]),
      user('dict', { ['x'.repeat(9)]: 1n }),
      user('big', 'y'.repeat(200)),
      { path: ['a', 'b', 'c', 'd'], value: 1n },
    ]);
    expect(kept.map((param) => param.path.join('.'))).to.deep.equal(['ok', 'deep3']);
    expect(bounds.cut).to.equal(7);
  });

  it('the default bounds: 1 000 paths, 256-character keys, 64 KiB, 16 levels, 1 000 entries', () => {
    expect(resolveParamLimits()).to.deep.equal({ maxPathsPerRun: 1_000, maxKeyLength: 256, maxValueSize: 65_536, maxDepth: 16, maxWidth: 1_000 });
    const bounds = new RunInputBounds();
    const many = Array.from({ length: 1_500 }, (_, i) => user(`p${String(i)}`));
    expect(bounds.admit('h', many)).to.have.length(MAX_PARAM_PATHS_PER_RUN);
    expect(bounds.admit('h', [user('p0'), user('late')]).map((param) => param.path[0])).to.deep.equal(['p0']);
    expect(bounds.cut).to.equal(501);
  });

  it('remembers runs’ paths within its bounds, the least recently used forgotten first', () => {
    const bounds = new RunInputBounds({ limits: { maxPathsPerRun: 2 }, maxRuns: 2 });
    bounds.admit('h1', [user('a'), user('b')]);
    bounds.admit('h2', [user('a')]);
    bounds.admit('h3', [user('a')]);
    expect(bounds.size).to.equal(2);
    // h1 was forgotten: it counts afresh.
    expect(bounds.admit('h1', [user('c'), user('d')])).to.have.length(2);
  });

  it('strings with lone surrogates are written with U+FFFD (counted): params, run attributes, names, contexts, texts; well-formed contexts keep their identity', async () => {
    const writer = new FakeAimWriter();
    const runs = new OpenRunCache();
    const context = Object.freeze({ action: 'ok' });
    await applyPlan(
      plan([{ path: ['p\ud800'], value: { ['k\udc00']: ['v\ud800'] } }], {
        experiment: 'e\ud800',
        name: 'n\udc00',
        tags: ['t\ud800', 'fine'],
        metrics: [{ name: 'm\ud800', context: { ['c\ud800']: 'x' }, step: 1n, time: 1, spanId: '01', value: 1 }],
        texts: [
          { name: 'on_llm_end', context, step: 1n, time: 1, spanId: '01', text: 'a\ud800b' },
          { name: 'list', context, step: 1n, time: 1, spanId: '01', text: ['ok', '\udfff'] },
        ],
      }),
      writer,
      runs,
    );
    expect(writer.created[0]).to.deep.include({ experiment: 'e\ufffd', name: 'n\ufffd', tags: ['t\ufffd', 'fine'] });
    expect(writer.calls).to.include.members(['set h1 p\ufffd', 'track h1 m\ufffd']);
    expect(runs.bounds.repaired).to.equal(10);
    expect(runs.bounds.context(context)).to.equal(context);
  });

  it('a run gets at most 100 tags from the sink while open, none longer than 256 characters; the others are counted', async () => {
    const writer = new FakeAimWriter();
    const runs = new OpenRunCache();
    const tags = (from: number, count: number): string[] => Array.from({ length: count }, (_, i) => `t${String(from + i)}`);
    await applyPlan(plan([], { tags: [...tags(0, 60), 'x'.repeat(257)] }), writer, runs);
    expect(writer.created[0]?.tags).to.deep.equal(tags(0, 60));
    await applyPlan(plan([], { tags: tags(50, 60) }), writer, runs);
    expect(writer.calls.filter((call) => call.startsWith('addTag'))).to.deep.equal(tags(60, 40).map((tag) => `addTag h1 ${tag}`));
    expect(runs.bounds.tagsCut).to.equal(1 + 10);
  });

  it('the sink counts the cuts and repairs in its stats, and the receiver’s /metrics shows them', async () => {
    const sink = new AimSink({ url: 'aim://unused', paramLimits: { maxPathsPerRun: 1 }, traceWaterfall: false }, { writer: new FakeAimWriter() });
    try {
      const outcome = await sink.writePlans([plan([user('a'), user('b'), user('c\ud800')])], 1, 10_000);
      expect(outcome).to.deep.equal({ status: 'written' });
      expect(sink.stats).to.deep.include({ paramsCut: 2, tagsCut: 0, stringsRepaired: 0 });
      await sink.writePlans([plan([user('a', 'x\ud800')])], 1, 10_000);
      expect(sink.stats).to.deep.include({ paramsCut: 2, stringsRepaired: 1 });
      const text = await new ReceiverMetrics(() => sink.stats).registry.metrics();
      expect(text).to.include('aim_otel_bridge_params_cut_total 2');
      expect(text).to.include('aim_otel_bridge_strings_repaired_total 1');
      expect(text).to.include('aim_otel_bridge_tags_cut_total 0');
    } finally {
      await sink.shutdown();
    }
  });

  it('a span the mapping throws on is dropped (counted), not its batch: the others are written, and the batch is not retried for ever', async () => {
    const writer = new FakeAimWriter();
    const sink = new AimSink({ url: 'aim://unused', traceWaterfall: false }, { writer });
    const span = (id: string, attributes: Record<string, unknown>): SpanRecord => ({
      traceId: id.repeat(32),
      spanId: id.repeat(16),
      name: 'chat m',
      kind: 'client',
      startTimeUnixNano: 1_764_000_000_000_000_000n,
      endTimeUnixNano: 1_764_000_001_000_000_000n,
      attributes: attributes as SpanRecord['attributes'],
      events: [],
      links: [],
      status: { code: 'unset' },
      origin: { resource: { 'service.name': 'svc' }, scopeName: 't' },
    });
    // Stands for input the mapping cannot take (e.g. a JSON attribute nested deeper than the stack).
    const poison = {};
    Object.defineProperty(poison, 'gen_ai.operation.name', {
      enumerable: true,
      get: () => {
        throw new RangeError('Maximum call stack size exceeded');
      },
    });
    try {
      const chat = { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'm', 'gen_ai.usage.input_tokens': 3 };
      const outcome = await sink.write([span('a', chat), span('b', poison), span('c', chat)], 10_000);
      expect(outcome).to.deep.equal({ status: 'written' });
      expect(sink.stats).to.deep.include({ received: 3, written: 2, dropped: 1 });
      expect(writer.count('createRun')).to.equal(2);
    } finally {
      await sink.shutdown();
    }
  });
});
