/**
 * Property-based fuzzing (fast-check) of the `aim.*` instruction attributes a sender controls —
 * `aim.params`, `aim.track` events (`aim.name`, `aim.context`, `aim.step`, `aim.text(s)`,
 * `aim.value`), `aim.experiment`, `aim.run_key`, `aim.run_name`, `aim.tags`, `aim.run_description` —
 * and of GenAI attributes that become params (`gen_ai.request.*`, `langchain.metadata.*`), with
 * hostile values: paths, Aim query fragments, Python snippets, NUL and newlines, Aim's key
 * separator bytes, lone surrogates, prototype-pollution keys, 10 000-character strings, thousands
 * of keys, deep JSON, NaN, ±Infinity, -0, 1e308.
 *
 * Properties of the mapped plan (`planWrites`) and of what the sink lets through
 * (`RunInputBounds.admit`, as the applier calls it, over many batches of one run): nothing throws;
 * every run hash is the hash of its run key (24 hex digits), never an attribute; params, names and
 * contexts are plain data within the bounds (key length, count per run, value size, depth, width);
 * every string written is well-formed; `Object.prototype` is untouched. And of Aim's key encoding
 * (src/aim/codec): any name, made well-formed, stays one key of its path (UTF-8 never holds the
 * separator byte 0xFE), so no sequence name, context key or param key reaches another's keys.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { decodePath, decodeTree, encodePath, encodeTree } from '../../src/aim/codec/index.js';
import type { PlanValue, RunWritePlan } from '../../src/mapping/aim-plan.js';
import {
  MAX_CONTEXT_ENTRIES,
  MAX_CONTEXT_KEY_LENGTH,
  MAX_PARAM_KEY_LENGTH,
  MAX_PARAM_PATHS_PER_RUN,
  MAX_SEQUENCE_NAME_LENGTH,
  PARAM_DEPTH_CEILING,
  countsTowardLimit,
  isWellFormedText,
  paramProblem,
  resolveParamLimits,
} from '../../src/mapping/param-limits.js';
import { runHash } from '../../src/mapping/run-key.js';
import { type MappingOptions, planWrites } from '../../src/mapping/to-aim.js';
import type { AttributeValue, SpanEventRecord, SpanRecord } from '../../src/model/span-record.js';
import { RunInputBounds } from '../../src/sink/open-runs.js';

const START = 1_764_000_000_123_000_000n;
/** Cases per layout. */
const RUNS = 500;

/** Strings a hostile sender would try. */
const NASTY: readonly string[] = [
  '',
  ' ',
  '../../../../etc/passwd',
  '/etc/passwd',
  '..\\..\\windows',
  'a/b/c',
  'meta/chunks/0123456789abcdef01234567/attrs',
  'run.hash == "x" or True',
  'run.experiment != "" and run.hparams.lr > 0',
  '__import__("os").system("touch /tmp/pwned")',
  '{{7*7}}${7*7}',
  "'; DROP TABLE run; --",
  'NUL\u0000inside',
  'new\nline\r\n',
  '\u00fe\u00ff', // the code points whose Latin-1 bytes are Aim's key sentinels
  'sep\ufffe\uffffend',
  'lone \ud800 high',
  'lone \udc00 low',
  '\ud83d\ude00 emoji',
  '__proto__',
  'constructor',
  'prototype',
  'hasOwnProperty',
  'toString',
  'x'.repeat(10_000),
  'k'.repeat(MAX_PARAM_KEY_LENGTH),
  'k'.repeat(MAX_PARAM_KEY_LENGTH + 1),
  '0123456789abcdef01234567',
];

const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((unit) => String.fromCharCode(unit)), maxLength: 4 }) },
);

/** Numbers as JSON text (JSON has no NaN: `1e400` parses to Infinity). */
const jsonNumber: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('1e308', '-1e308', '1e400', '-1e400', '-0', '0', '9007199254740993', '-9223372036854775809', '1.5', '5e-324'),
  fc.double().map((value) => (Number.isFinite(value) ? JSON.stringify(value) : '0')),
);

/** JSON text of a value, hostile at every level. */
const jsonValue: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    jsonNumber,
    nastyString.map((s) => JSON.stringify(s)),
    fc.constantFrom('null', 'true', 'false'),
    fc.array(tie('value'), { maxLength: 4 }).map((items) => `[${items.join(',')}]`),
    fc.array(fc.tuple(nastyString, tie('value')), { maxLength: 4 }).map((entries) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`),
  ),
})).value;

/** JSON nested `depth` levels deep. */
const deepJson = fc
  .integer({ min: 10, max: 20_000 })
  .chain((depth) => fc.constantFrom(`${'['.repeat(depth)}1${']'.repeat(depth)}`, `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`));

/** `aim.params`: an object of hostile keys and values, thousands of keys, deep values, or not an object at all. */
const aimParams: fc.Arbitrary<string> = fc.oneof(
  fc.array(fc.tuple(nastyString, jsonValue), { maxLength: 8 }).map((entries) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`),
  fc.integer({ min: 900, max: 3_000 }).map((count) => JSON.stringify(Object.fromEntries(Array.from({ length: count }, (_, i) => [`p${String(i)}`, i])))),
  deepJson.map((deep) => `{"deep":${deep}}`),
  fc.constantFrom(
    '{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}}}',
    '[1,2]',
    'not json',
    '"x"',
    'null',
    '{"big":"' + 'y'.repeat(70_000) + '"}',
  ),
);

/** An attribute value a sender may put under any key. */
const attrValue: fc.Arbitrary<AttributeValue> = fc.oneof(
  nastyString,
  fc.double(),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -0, 1e308, 2n ** 64n, -1n),
  fc.boolean(),
  fc.array(nastyString, { maxLength: 5 }),
);

const trackEvent: fc.Arbitrary<SpanEventRecord> = fc
  .record(
    {
      'aim.name': fc.oneof(nastyString, fc.constant('n'.repeat(MAX_SEQUENCE_NAME_LENGTH + 1)), fc.integer()),
      'aim.context': fc.oneof(
        jsonValue,
        fc.integer({ min: 30, max: 40 }).map((count) => JSON.stringify(Object.fromEntries(Array.from({ length: count }, (_, i) => [`c${String(i)}`, i])))),
      ),
      'aim.step': fc.oneof(fc.integer({ min: -5, max: 1_000 }), fc.constantFrom(Number.NaN, 1.5, 2n ** 63n - 1n, 2n ** 63n, 2n ** 70n, -1n)),
      'aim.text': nastyString,
      'aim.texts': fc.array(nastyString, { maxLength: 3 }),
      'aim.value': fc.oneof(fc.double(), fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 1e308, 2n ** 63n)),
    },
    { requiredKeys: [] },
  )
  .map((attributes) => ({ name: 'aim.track', timeUnixNano: START + 5_000n, attributes: attributes }));

const hostileSpan: fc.Arbitrary<SpanRecord> = fc
  .record({
    spanId: fc.constantFrom('00000000000000a1', '00000000000000a2', '00000000000000a3'),
    traceId: fc.constantFrom('cccccccccccccccccccccccccccccccc', 'dddddddddddddddddddddddddddddddd'),
    genai: fc.boolean(),
    runAttributes: fc.record(
      {
        'aim.experiment': nastyString,
        'aim.run_key': nastyString,
        'aim.run_name': nastyString,
        'aim.run_description': nastyString,
        'aim.tags': fc.oneof(nastyString, fc.array(nastyString, { maxLength: 5 })),
        'aim.params': aimParams,
        'gen_ai.conversation.id': nastyString,
      },
      { requiredKeys: [] },
    ),
    extra: fc.dictionary(
      fc.oneof(
        nastyString.map((key) => `langchain.metadata.${key}`),
        nastyString.map((key) => `gen_ai.request.${key}`),
        fc.constantFrom('gen_ai.request.temperature', 'gen_ai.request.max_tokens', 'gen_ai.request.stop_sequences', 'aim.run_key'),
      ),
      attrValue,
      { maxKeys: 6 },
    ),
    resource: fc.dictionary(nastyString, attrValue, { maxKeys: 3 }),
    events: fc.array(trackEvent, { maxLength: 4 }),
  })
  .map(({ spanId, traceId, genai, runAttributes, extra, resource, events }) => ({
    traceId,
    spanId,
    name: 'chat hostile',
    kind: 'client' as const,
    startTimeUnixNano: START,
    endTimeUnixNano: START + 1_000_000n,
    attributes: {
      ...(genai ? { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'm', 'gen_ai.provider.name': 'openai', 'gen_ai.usage.input_tokens': 3 } : {}),
      ...extra,
      ...runAttributes,
    },
    events,
    links: [],
    status: { code: 'unset' as const },
    origin: { resource: { 'service.name': 'svc', ...resource }, scopeName: 'fuzz' },
  }));

const prototypeNames = Object.getOwnPropertyNames(Object.prototype).sort();

/** A cheap assertion for the inner loops (chai's `expect` costs microseconds, and a case checks thousands of params). */
function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(what);
}

/** Every string of a param value (keys too), and its shape: plain data only. */
function checkValue(value: PlanValue, depth: number, strings: string[]): void {
  check(depth <= PARAM_DEPTH_CEILING + 2, 'the conversion stops at the depth ceiling');
  if (value === null || typeof value === 'boolean' || typeof value === 'number' || typeof value === 'bigint') return;
  if (typeof value === 'string') {
    strings.push(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value as readonly PlanValue[]) checkValue(item, depth + 1, strings);
    return;
  }
  check(Object.getPrototypeOf(value) === Object.prototype, 'a param dict is a plain object');
  for (const key of Object.keys(value)) {
    strings.push(key);
    checkValue((value as Record<string, PlanValue>)[key] as PlanValue, depth + 1, strings);
  }
}

/** What the plan of one run must be, whatever came in. */
function checkPlan(run: RunWritePlan, namespace: string): void {
  expect(run.hash).to.match(/^[0-9a-f]{24}$/);
  expect(run.hash).to.equal(runHash(run.key, namespace), 'the run hash is the hash of its key');
  for (const param of run.params) {
    check(param.path.length > 0, 'a param has a path');
    // An empty key can come from a prefix attribute (`langchain.metadata.`): the sink drops it (checked below).
    for (const key of param.path) check(typeof key === 'string', 'path keys are strings');
    checkValue(param.value, 0, []);
  }
  for (const point of [...run.metrics, ...run.texts]) {
    expect(point.name).to.be.a('string').and.not.equal('');
    expect(point.name.length).to.be.at.most(MAX_SEQUENCE_NAME_LENGTH);
    expect(typeof point.step).to.equal('bigint');
    expect(point.step >= 0n && point.step < 2n ** 63n).to.equal(true);
    const keys = Object.keys(point.context);
    expect(keys.length).to.be.at.most(MAX_CONTEXT_ENTRIES);
    for (const key of keys) expect(key.length).to.be.within(1, MAX_CONTEXT_KEY_LENGTH);
  }
}

describe('hostile aim.* instruction attributes (fuzz)', function () {
  this.timeout(600_000);

  for (const layout of ['genai', 'explicit'] as const) {
    it(`${layout} layout: the plan is plain data at hash-derived runs, and what the sink lets through stays within the bounds`, () => {
      const limits = resolveParamLimits();
      const seen = { plans: 0, params: 0, kept: 0, cut: 0, repaired: 0 };
      fc.assert(
        fc.property(fc.array(hostileSpan, { minLength: 1, maxLength: 4 }), fc.constantFrom('', 'tenant-a', '../x'), (spans, namespace) => {
          const options: MappingOptions = { layout, namespace, includeNonGenAI: true };
          const plan = planWrites(spans, options);
          expect(plan.runs.length).to.be.at.most(spans.length);
          const bounds = new RunInputBounds();
          for (const run of plan.runs) {
            checkPlan(run, namespace);
            seen.plans += 1;
            seen.params += run.params.length;
            // The same run written over three batches: its counted paths stay within the bound.
            const counted = new Set<string>();
            for (let batch = 0; batch < 3; batch++) {
              const kept = bounds.admit(run.hash, run.params);
              seen.kept += kept.length;
              for (const param of kept) {
                check(paramProblem(param, limits) === undefined, 'a kept param is within the bounds');
                for (const key of param.path) check(key !== '' && key.length <= MAX_PARAM_KEY_LENGTH, 'path keys within the key length');
                const strings: string[] = [...param.path];
                checkValue(param.value, 0, strings);
                for (const text of strings) check(isWellFormedText(text), 'strings written are well-formed');
                if (countsTowardLimit(param.path)) counted.add(JSON.stringify(param.path));
              }
            }
            expect(counted.size).to.be.at.most(MAX_PARAM_PATHS_PER_RUN);
            for (const point of run.texts) {
              const texts = typeof point.text === 'string' ? [bounds.text(point.text)] : bounds.texts(point.text);
              for (const text of texts) expect(isWellFormedText(text)).to.equal(true);
              const context = bounds.context(point.context);
              for (const [key, value] of Object.entries(context)) {
                expect(isWellFormedText(key)).to.equal(true);
                if (typeof value === 'string') expect(isWellFormedText(value)).to.equal(true);
              }
            }
          }
          seen.cut += bounds.cut;
          seen.repaired += bounds.repaired;
          expect(Object.getOwnPropertyNames(Object.prototype).sort()).to.deep.equal(prototypeNames);
          expect(({} as Record<string, unknown>)['polluted']).to.equal(undefined);
        }),
        { numRuns: RUNS },
      );
      // The generators reach the interesting paths.
      expect(seen.plans).to.be.greaterThan(100);
      expect(seen.cut).to.be.greaterThan(0);
      expect(seen.repaired).to.be.greaterThan(0);
      expect(seen.kept).to.be.greaterThan(0);
    });
  }

  it('no name escapes its key: a sequence name, context key or param key, however made, is one key of its path in Aim’s encoding', () => {
    const bounds = new RunInputBounds();
    const hash = runHash('victim');
    fc.assert(
      fc.property(fc.oneof(nastyString, fc.string({ unit: 'binary', minLength: 1 }), fc.string({ unit: 'grapheme', minLength: 1 })), (given) => {
        const name = bounds.text(given);
        if (name === '') return;
        // The sequence's metadata, a param, and a context dict's key (a tree of its own).
        for (const path of [
          ['meta', 'chunks', hash, 'traces', 7n, name, 'last'],
          ['meta', 'chunks', hash, 'attrs', name, 'x'],
        ]) {
          const bytes = encodePath(path);
          expect(decodePath(bytes)).to.deep.equal(path);
        }
        const tree = decodeTree(
          encodeTree(
            new Map<string, bigint>([
              [name, 1n],
              ['other', 2n],
            ]),
          ),
        ) as Map<string, bigint>;
        expect([...tree.entries()]).to.have.deep.members([
          [name, 1n],
          ['other', 2n],
        ]);
      }),
      { numRuns: 2_000 },
    );
  });

  it('prototype-pollution keys stay params of their own name', () => {
    const span: SpanRecord = {
      traceId: 'cccccccccccccccccccccccccccccccc',
      spanId: '00000000000000a1',
      name: 'x',
      kind: 'internal',
      startTimeUnixNano: START,
      endTimeUnixNano: START + 1n,
      attributes: { 'aim.run_key': 'proto', 'aim.params': '{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":2}},"x":{"__proto__":3}}' },
      events: [{ name: 'aim.track', timeUnixNano: START, attributes: { 'aim.name': 'n', 'aim.context': '{"__proto__":"p"}', 'aim.value': 1 } }],
      links: [],
      status: { code: 'unset' },
      origin: { resource: {}, scopeName: 'fuzz' },
    };
    const run = planWrites([span], { layout: 'explicit' }).runs[0];
    const params = Object.fromEntries(run?.params.map((param) => [param.path.join('.'), param.value]) ?? []);
    expect(Object.keys(params).sort()).to.deep.equal(['__proto__', 'constructor', 'x']);
    expect(Object.getOwnPropertyDescriptor(params['__proto__'], 'polluted')?.value).to.equal(1n);
    expect(Object.getOwnPropertyDescriptor(params['x'], '__proto__')?.value).to.equal(3n);
    expect(Object.getPrototypeOf(params['x'])).to.equal(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(run?.metrics[0]?.context, '__proto__')?.value).to.equal('p');
    expect(({} as Record<string, unknown>)['polluted']).to.equal(undefined);
  });
});
