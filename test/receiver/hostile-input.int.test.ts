/**
 * Hostile `aim.*` attributes through the receiver into the real `aim server`, read back with Aim's
 * own SDK (the oracle): run keys that name another run's hash, paths, NUL; experiment and run names
 * that are paths and Aim query fragments; sequence names holding the code points of Aim's key
 * separator bytes and another run's hash; lone surrogates (which JSON carries as `\ud800`);
 * `__proto__`; 1 400 params, over-long keys, deep and big values. The repository then holds exactly
 * the runs of the keys sent (each at the hash of its key), the victim run is untouched, the params
 * are within their bounds, and every cut is counted in the receiver's stats and /metrics.
 */
import { expect } from 'chai';
import { runHash } from '../../src/mapping/run-key.js';
import { MAX_PARAM_PATHS_PER_RUN } from '../../src/mapping/param-limits.js';
import { type Receiver, createReceiver } from '../../src/receiver/index.js';
import { type AimServer, startAimServer } from '../peers/aim.js';
import { type OracleRun, readAimRepo } from '../peers/oracle.js';

type OtlpValue = { stringValue: string } | { doubleValue: number } | { intValue: string } | { arrayValue: { values: OtlpValue[] } };

function value(item: string | number | readonly string[]): OtlpValue {
  if (typeof item === 'number') return Number.isSafeInteger(item) ? { intValue: String(item) } : { doubleValue: item };
  if (typeof item === 'string') return { stringValue: item };
  return { arrayValue: { values: item.map((text) => ({ stringValue: text })) } };
}

function attributes(record: Record<string, string | number | readonly string[]>): { key: string; value: OtlpValue }[] {
  return Object.entries(record).map(([key, item]) => ({ key, value: value(item) }));
}

let nextSpan = 1;
const NOW = BigInt(Date.now()) * 1_000_000n;

interface TestSpan {
  attributes: Record<string, string | number | readonly string[]>;
  tracks?: Record<string, string | number>[];
}

/** An OTLP/JSON request of `spans` (one trace each). JSON.stringify writes a lone surrogate as `\ud800`: the receiver's parser gives it back as one. */
function body(spans: readonly TestSpan[]): string {
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: attributes({ 'service.name': 'hostile' }) },
        scopeSpans: [
          {
            scope: { name: 'hostile-test' },
            spans: spans.map((span) => {
              const id = nextSpan++;
              return {
                traceId: id.toString(16).padStart(32, '0'),
                spanId: id.toString(16).padStart(16, '0'),
                name: 'hostile',
                kind: 1,
                startTimeUnixNano: String(NOW + BigInt(id) * 1_000_000n),
                endTimeUnixNano: String(NOW + BigInt(id) * 1_000_000n + 500_000n),
                attributes: attributes(span.attributes),
                events: (span.tracks ?? []).map((track, i) => ({
                  name: 'aim.track',
                  timeUnixNano: String(NOW + BigInt(id) * 1_000_000n + BigInt(i)),
                  attributes: attributes(track),
                })),
              };
            }),
          },
        ],
      },
    ],
  });
}

async function post(receiver: Receiver, spans: readonly TestSpan[]): Promise<void> {
  const response = await fetch(`${receiver.url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: body(spans),
    signal: AbortSignal.timeout(60_000),
  });
  expect(response.status, await response.text()).to.equal(200);
}

const VICTIM_KEY = 'victim';
const VICTIM = runHash(VICTIM_KEY);
const HOSTILE_KEY = 'hostile-1';

/** `aim.params` of the hostile run: the nasty keys first, then `p0`, `p1`, ... */
function hostileParams(from: number, count: number): string {
  const nasty = [
    ['__proto__', { polluted: 1 }],
    ['constructor', { prototype: { polluted: 2 } }],
    [`meta\u00fechunks\u00fe${VICTIM}\u00feattrs\u00felr`, 666],
    [`../../meta/chunks/${VICTIM}/attrs/lr`, 666],
    ['lone \ud800 key', 'lone \udc00 value'],
    ['k'.repeat(300), 'over-long key'],
    ['deep', JSON.parse(`${'['.repeat(40)}1${']'.repeat(40)}`) as unknown],
    ['big', 'y'.repeat(70_000)],
  ] as const;
  const entries: [string, unknown][] = from === 0 ? nasty.map(([key, item]) => [key, item]) : [];
  for (let i = from; i < from + count; i++) entries.push([`p${String(i)}`, i]);
  // JSON text with `__proto__` as a key of its own (an object literal would set the prototype instead).
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${JSON.stringify(item)}`).join(',')}}`;
}

/** The top-level param keys a sender chose (the bridge's own roots left out). */
function userKeys(run: OracleRun): string[] {
  return Object.keys(run.params).filter((key) => key !== 'otel' && key !== 'gen_ai');
}

describe('hostile aim.* attributes against the real aim server (oracle: Aim’s SDK)', function () {
  this.timeout(300_000);
  let server: AimServer;
  let receiver: Receiver;
  before(async () => {
    server = await startAimServer();
    receiver = await createReceiver({ url: server.url, port: 0, maxBodyBytes: 8 * 1024 * 1024 });
  });
  after(async () => {
    await receiver.close();
    await server.process.stop();
  });

  it('writes exactly the intended runs, leaves the victim run alone, keeps params within bounds and counts every cut', async () => {
    await post(receiver, [
      {
        attributes: { 'aim.run_key': VICTIM_KEY, 'aim.experiment': 'victims', 'aim.params': '{"lr":0.1}' },
        tracks: [{ 'aim.name': 'loss', 'aim.step': 0, 'aim.value': 0.5 }],
      },
    ]);
    const intruders = [
      VICTIM,
      `../${VICTIM_KEY}`,
      `${VICTIM_KEY}\u0000`,
      `${VICTIM_KEY}\n`,
      '/',
      `run.hash == "${VICTIM}" or True`,
      'x'.repeat(10_000),
      '\ud800',
    ];
    const hostile: TestSpan[] = [
      {
        attributes: {
          'aim.run_key': HOSTILE_KEY,
          'aim.experiment': '../../etc',
          'aim.run_name': `run.hash == "${VICTIM}" or True`,
          'aim.run_description': '__import__("os").system("touch /tmp/pwned")',
          'aim.tags': ['../x', 'a\u0000b', 'lone \ud800'],
          'aim.params': hostileParams(0, 1_200),
        },
        tracks: [
          { 'aim.name': `loss\u00fe${VICTIM}\u00fe`, 'aim.context': '{"../x":"run.hash == 1","__proto__":"p"}', 'aim.step': 1, 'aim.value': 1.5 },
          { 'aim.name': '\ud800bad', 'aim.step': 1, 'aim.text': 'text \udfff' },
          { 'aim.name': 'n'.repeat(300), 'aim.step': 1, 'aim.value': 1 },
          { 'aim.name': 'loss', 'aim.step': 0, 'aim.value': Number.MAX_VALUE },
        ],
      },
      ...intruders.map((key) => ({ attributes: { 'aim.run_key': key, 'aim.experiment': 'victims', 'aim.params': '{"lr":666}' } })),
    ];
    await post(receiver, hostile);
    // The same run over another batch: no more params than its bound.
    const runName = `run.hash == "${VICTIM}" or True`;
    await post(receiver, [{ attributes: { 'aim.run_key': HOSTILE_KEY, 'aim.run_name': runName, 'aim.params': hostileParams(1_200, 200) } }]);

    const report = await readAimRepo(server.repoDir);
    const expected = [VICTIM_KEY, HOSTILE_KEY, ...intruders.map((key) => key.replace('\ud800', '\ufffd'))].map((key) => runHash(key)).sort();
    expect(report.runs.map((run) => run.hash).sort()).to.deep.equal([...new Set(expected)].sort(), 'exactly the runs of the keys sent');

    const victim = report.runs.find((run) => run.hash === VICTIM);
    expect(victim?.params['lr']).to.equal(0.1);
    expect(userKeys(victim as OracleRun)).to.deep.equal(['lr']);
    expect(victim?.sequences.map((s) => [s.name, s.values])).to.deep.equal([['loss', [0.5]]]);

    const run = report.runs.find((r) => r.hash === runHash(HOSTILE_KEY)) as OracleRun;
    expect(run.experiment).to.equal('../../etc');
    expect(run.name).to.equal(runName);
    expect(run.description).to.equal('__import__("os").system("touch /tmp/pwned")');
    expect(run.tags).to.deep.equal(['../x', 'a\u0000b', 'lone \ufffd'].sort());
    const keys = userKeys(run);
    expect(keys).to.have.length(MAX_PARAM_PATHS_PER_RUN);
    expect(keys).to.include.members([
      '__proto__',
      'constructor',
      `meta\u00fechunks\u00fe${VICTIM}\u00feattrs\u00felr`,
      `../../meta/chunks/${VICTIM}/attrs/lr`,
      'lone \ufffd key',
    ]);
    expect(run.params['__proto__']).to.deep.equal({ polluted: 1 });
    expect(run.params['lone \ufffd key']).to.equal('lone \ufffd value');
    expect(keys).not.to.include.members(['k'.repeat(300), 'deep', 'big', 'p995', 'p1200']);
    expect(run.params['p994']).to.equal(994); // 5 nasty keys and p0..p994: 1 000
    expect(run.sequences.map((s) => [s.name, s.context, s.values])).to.deep.equal([
      ['loss', {}, [Number.MAX_VALUE]],
      [`loss\u00fe${VICTIM}\u00fe`, { '../x': 'run.hash == 1', ['__proto__']: 'p' }, [1.5]],
      ['\ufffdbad', {}, ['text \ufffd']],
    ]);
    for (const key of intruders) {
      const intruder = report.runs.find((r) => r.hash === runHash(key.replace('\ud800', '\ufffd')));
      expect(intruder?.params['lr']).to.equal(666);
    }

    // Cut: the over-long key, deep, big; p995..p1199 (205); p1200..p1399 (200). Repaired: at least a key, its value, a tag, a sequence name, a text.
    expect(receiver.stats.paramsCut).to.equal(3 + 205 + 200);
    expect(receiver.stats.stringsRepaired).to.be.at.least(5);
    expect(receiver.stats.ignoredInstructions).to.equal(1); // the 300-character sequence name
    const metrics = await (await fetch(`${receiver.url}/metrics`)).text();
    expect(metrics).to.include('aim_otel_bridge_params_cut_total 408');
    expect(({} as Record<string, unknown>)['polluted']).to.equal(undefined);
  });

  it('a span whose JSON attribute is nested deeper than the mapping can go loses only itself: the request is answered 200 and the rest written', async () => {
    const before = receiver.stats.dropped;
    const deep = `${'['.repeat(20_000)}1${']'.repeat(20_000)}`;
    const chat = { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'm', 'gen_ai.usage.input_tokens': 7 };
    await post(receiver, [
      { attributes: { ...chat, 'gen_ai.conversation.id': 'deep-conv', 'gen_ai.tool.definitions': `[{"type":"function","name":"f","parameters":${deep}}]` } },
      { attributes: { ...chat, 'gen_ai.conversation.id': 'good-conv' } },
    ]);
    const report = await readAimRepo(server.repoDir, [runHash('good-conv'), runHash('deep-conv')]);
    const good = report.runs.find((run) => run.hash === runHash('good-conv'));
    expect(good?.sequences.find((s) => s.name === 'gen_ai.usage.input_tokens')?.values).to.deep.equal([7]);
    // Today the mapping of tool definitions recurses as deep as the JSON goes: the span is dropped
    // and counted. Once it stops at a depth, the span is written instead, and nothing is dropped.
    const deepWritten = report.runs.some((run) => run.hash === runHash('deep-conv'));
    expect(receiver.stats.dropped - before).to.equal(deepWritten ? 0 : 1);
  });
});
