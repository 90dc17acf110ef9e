/**
 * Price overrides: a price file (or a table given in code) whose entries are matched before the
 * built-in table's (they replace built-in prices and add models), chosen from the option, else
 * the environment variable; a malformed file or entry is a `PricesError` naming the file and the
 * entry. Figures computed by hand (µ$ = millionths of a dollar).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { PriceBook } from '../../src/pricing/price-book.js';
import { priceCall } from '../../src/pricing/price-call.js';
import { PRICES_ENV, PRICES_OPTION_SOURCE, PricesError, parsePriceEntries, readPriceFile, resolvePriceBook } from '../../src/pricing/price-file.js';
import type { PriceEntry } from '../../src/pricing/price-table.js';
import { AimSink } from '../../src/sink/aim-sink.js';
import { FakeAimWriter } from '../sink/fake-aim-writer.js';

let dir: string;
let files = 0;

/** Writes `content` (JSON unless a string) to a new file of the test directory; returns its path. */
function priceFile(content: unknown): string {
  files += 1;
  const path = join(dir, `prices-${String(files)}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

/** What a call of `model` with 1000 input and 1000 output tokens costs with `book`, in USD; undefined when unpriced. */
function thousandEach(book: PriceBook, provider: string | undefined, model: string): number | undefined {
  const call = priceCall(book, { provider, responseModel: model, requestModel: undefined, usage: { input: 1_000, output: 1_000 } });
  return call?.priced === true ? call.cost.total : undefined;
}

const OVERRIDES = {
  note: 'negotiated prices',
  prices: [
    // Replaces the built-in gpt-4o-mini (0.15 / 0.60) for the names it matches.
    { provider: 'openai', model: ['gpt-4o-mini', 'gpt-4o-mini-????-??-??'], input: 0.1, output: 0.5, note: 'ours' },
    // Adds a model the table does not have.
    { provider: ['openai', 'azure.ai.openai'], model: 'acme-1', input: 1, output: 2 },
    // Any provider, also a call naming none.
    { provider: '*', model: '/^my-ft-\\d+$/', input: 3, output: 4 },
    {
      provider: 'gcp.vertex_ai',
      model: 'claude-sonnet-4-5@*',
      input: 3,
      cacheRead: 0.3,
      cacheWrite: 3.75,
      output: 15,
      longContext: { aboveInputTokens: 200_000, input: 6, output: 22.5 },
    },
  ],
};

describe('pricing: price files', () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'aim-otel-bridge-prices-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('entries replace built-in prices for the models they match and add the models they name; the rest keeps the built-in prices', () => {
    const path = priceFile(OVERRIDES);
    const book = resolvePriceBook(path, {});
    // gpt-4o-mini, ours: 1000·0.1 + 1000·0.5 = 100 + 500 = 600 µ$ (built in: 150 + 600 = 750 µ$)
    expect(thousandEach(book, 'openai', 'gpt-4o-mini-2024-07-18')).to.be.closeTo(0.0006, 1e-12);
    expect(thousandEach(PriceBook.builtIn(), 'openai', 'gpt-4o-mini-2024-07-18')).to.be.closeTo(0.00075, 1e-12);
    // acme-1: 1000·1 + 1000·2 = 3000 µ$, for both providers it names; not for another
    expect(thousandEach(book, 'openai', 'acme-1')).to.be.closeTo(0.003, 1e-12);
    expect(thousandEach(book, 'azure.ai.openai', 'acme-1')).to.be.closeTo(0.003, 1e-12);
    expect(thousandEach(book, 'anthropic', 'acme-1')).to.equal(undefined);
    // my-ft-7 under any provider, or none: 1000·3 + 1000·4 = 7000 µ$
    expect(thousandEach(book, 'x_ai', 'my-ft-7')).to.be.closeTo(0.007, 1e-12);
    expect(thousandEach(book, undefined, 'my-ft-7')).to.be.closeTo(0.007, 1e-12);
    // Claude on Vertex AI, added: 1000·3 + 1000·15 = 18 000 µ$
    expect(thousandEach(book, 'gcp.vertex_ai', 'claude-sonnet-4-5@20250929')).to.be.closeTo(0.018, 1e-12);
    // Untouched: gpt-4o, 1000·2.5 + 1000·10 = 12 500 µ$
    expect(thousandEach(book, 'openai', 'gpt-4o')).to.be.closeTo(0.0125, 1e-12);
    // The source of a user price is the file.
    expect(book.priceOf('openai', 'gpt-4o-mini')).to.deep.include({ source: path, input: 0.1, output: 0.5 });
  });

  it('a bare list of entries is a price file too; provider names compare case-insensitively', () => {
    const book = resolvePriceBook(priceFile([{ provider: 'OpenAI', model: 'acme-2', input: 1, output: 1 }]), {});
    // 1000·1 + 1000·1 = 2000 µ$
    expect(thousandEach(book, 'openai', 'acme-2')).to.be.closeTo(0.002, 1e-12);
  });

  it('the prices option takes a path or the entries; without it, the file AIM_OTEL_BRIDGE_PRICES names; without both, the built-in table', () => {
    const fromEnv = priceFile({ prices: [{ provider: 'openai', model: 'from-env', input: 1, output: 1 }] });
    const fromOption = priceFile({ prices: [{ provider: 'openai', model: 'from-option', input: 1, output: 1 }] });
    const env = { [PRICES_ENV]: fromEnv };
    const viaEnv = resolvePriceBook(undefined, env);
    expect([thousandEach(viaEnv, 'openai', 'from-env'), thousandEach(viaEnv, 'openai', 'from-option')]).to.deep.equal([0.002, undefined]);
    const viaOption = resolvePriceBook(fromOption, env);
    expect([thousandEach(viaOption, 'openai', 'from-env'), thousandEach(viaOption, 'openai', 'from-option')]).to.deep.equal([undefined, 0.002]);
    const entries: PriceEntry[] = [{ provider: 'openai', model: 'in-code', input: 1, output: 1 }];
    const viaTable = resolvePriceBook(entries, env);
    expect(thousandEach(viaTable, 'openai', 'in-code')).to.equal(0.002);
    expect(viaTable.priceOf('openai', 'in-code')?.source).to.equal(PRICES_OPTION_SOURCE);
    expect(resolvePriceBook(undefined, {})).to.equal(PriceBook.builtIn());
    expect(resolvePriceBook(undefined, { [PRICES_ENV]: ' ' })).to.equal(PriceBook.builtIn());
  });

  /** [what is wrong, the file's content, the message's problem, the malformed entry's index]. */
  const MALFORMED: [string, unknown, string, number | undefined][] = [
    ['not JSON', '{ "prices": [', 'not JSON', undefined],
    ['an unknown top-level key', { price: [] }, 'unknown key "price"', undefined],
    ['no prices list', {}, 'no "prices" list', undefined],
    ['prices not a list', { prices: {} }, '"prices" must be a list of entries', undefined],
    ['an entry that is no object', { prices: [1] }, 'prices[0]: an entry must be an object', 0],
    ['no output price', { prices: [{ provider: 'openai', model: 'm', input: 1 }] }, 'prices[0] (model "m"): "output" is missing', 0],
    [
      'a negative price',
      { prices: [{ provider: 'openai', model: 'm', input: -1, output: 1 }] },
      'prices[0] (model "m"): "input" must be a number ≥ 0 (USD per million tokens), got -1',
      0,
    ],
    [
      'a price as text',
      { prices: [{ provider: 'openai', model: 'm', input: 1, output: '2' }] },
      '"output" must be a number ≥ 0 (USD per million tokens), got "2"',
      0,
    ],
    [
      'a misspelt key',
      { prices: [{ provider: 'openai', model: 'm', input: 1, output: 1, cached_input: 0.5 }] },
      'prices[0] (model "m"): unknown key "cached_input"',
      0,
    ],
    ['no provider', { prices: [{ model: 'm', input: 1, output: 1 }] }, '"provider" must be a provider name', 0],
    ['an empty model list', { prices: [{ provider: 'openai', model: [], input: 1, output: 1 }] }, '"model" must be a model pattern', 0],
    [
      'a regular expression that does not compile',
      { prices: [{ provider: 'openai', model: '/([/', input: 1, output: 1 }] },
      'prices[0] (model "/([/"): regular expression /([/ does not compile',
      0,
    ],
    ['a regular expression flag not allowed', { prices: [{ provider: 'openai', model: '/a/g', input: 1, output: 1 }] }, 'only the flags i, u and s', 0],
    [
      'a long-context tier without its threshold',
      { prices: [{ provider: 'openai', model: 'm', input: 1, output: 1, longContext: { input: 2, output: 2 } }] },
      '"longContext.aboveInputTokens" must be a whole number',
      0,
    ],
    [
      'a long-context tier with an unknown key',
      { prices: [{ provider: 'openai', model: 'm', input: 1, output: 1, longContext: { aboveInputTokens: 5, input: 2, output: 2, cache: 1 } }] },
      'unknown key "longContext.cache"',
      0,
    ],
    [
      'the second entry malformed, the first fine',
      {
        prices: [
          { provider: 'openai', model: 'ok', input: 1, output: 1 },
          { provider: 'openai', model: 'bad', input: 1, output: null },
        ],
      },
      'prices[1] (model "bad"): "output" must be a number ≥ 0 (USD per million tokens), got null',
      1,
    ],
  ];

  for (const [what, content, problem, entry] of MALFORMED) {
    it(`a malformed file is a PricesError naming the file and the entry: ${what}`, () => {
      const path = priceFile(content);
      let caught: unknown;
      try {
        resolvePriceBook(path, {});
      } catch (error) {
        caught = error;
      }
      expect(caught).to.be.instanceOf(PricesError);
      const error = caught as PricesError;
      expect(error.source).to.equal(path);
      expect(error.entry).to.equal(entry);
      expect(error.message).to.equal(`invalid prices in ${path}: ${error.problem}`);
      expect(error.problem).to.include(problem);
    });
  }

  it('a file that cannot be read is a PricesError naming it; so is the file the variable names', () => {
    const missing = join(dir, 'missing.json');
    expect(() => readPriceFile(missing)).to.throw(PricesError, `invalid prices in ${missing}: cannot read the file`);
    expect(() => resolvePriceBook(undefined, { [PRICES_ENV]: missing })).to.throw(PricesError, missing);
  });

  it('the sink (the exporter and the receiver) refuses a malformed price file when it is made; the explicit layout, which writes no cost, does not read it', async () => {
    const bad = priceFile({ prices: [{ provider: 'openai', model: 'm', input: 1 }] });
    expect(() => new AimSink({ url: 'aim://fake', prices: bad }, { writer: new FakeAimWriter() })).to.throw(
      PricesError,
      `invalid prices in ${bad}: prices[0] (model "m"): "output" is missing`,
    );
    const explicit = new AimSink({ url: 'aim://fake', prices: bad, layout: 'explicit' }, { writer: new FakeAimWriter() });
    await explicit.shutdown();
  });

  it('entries given in code are checked the same way, named as the prices option', () => {
    expect(() => parsePriceEntries([{ provider: 'openai', model: 'm', input: 1 }], PRICES_OPTION_SOURCE)).to.throw(
      PricesError,
      'invalid prices in the prices option: prices[0] (model "m"): "output" is missing',
    );
  });
});
