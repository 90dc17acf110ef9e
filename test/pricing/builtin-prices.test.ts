/**
 * The built-in price table: well-formed data (a source and a date per provider block, prices ≥ 0,
 * patterns that compile), each provider's calls priced from it (figures computed by hand from the
 * table's prices, µ$ = millionths of a dollar, written next to each case), dated and pathed model
 * names matching their family, and names that must not match.
 */
import { expect } from 'chai';
import { BUILTIN_PRICES } from '../../src/pricing/builtin-prices.js';
import type { CallUsage } from '../../src/pricing/call-cost.js';
import { compileModelPatterns } from '../../src/pricing/model-pattern.js';
import { PriceBook } from '../../src/pricing/price-book.js';
import { priceCall } from '../../src/pricing/price-call.js';

const book = PriceBook.builtIn();

describe('pricing: the built-in table', () => {
  it('is data with its provenance: each block names its providers, an https source and the day it was read; prices are numbers ≥ 0; patterns compile', () => {
    expect(BUILTIN_PRICES.length).to.be.at.least(6);
    for (const block of BUILTIN_PRICES) {
      expect(block.providers.length, block.source).to.be.above(0);
      expect(block.source).to.match(/^https:\/\/\S+$/);
      expect(block.date).to.match(/^\d{4}-\d{2}-\d{2}$/);
      expect(Number.isNaN(Date.parse(block.date)), block.date).to.equal(false);
      expect(block.models.length, block.source).to.be.above(0);
      for (const model of block.models) {
        const prices = [
          model.input,
          model.output,
          model.cacheRead,
          model.cacheWrite,
          model.reasoning,
          model.longContext?.input,
          model.longContext?.output,
          model.longContext?.cacheRead,
        ];
        for (const price of prices) if (price !== undefined) expect(Number.isFinite(price) && price >= 0, JSON.stringify(model.match)).to.equal(true);
        expect(() => compileModelPatterns(model.match), JSON.stringify(model.match)).to.not.throw();
      }
    }
  });

  it('covers the common providers under their GenAI names (as the mapping normalizes them)', () => {
    const providers = new Set(BUILTIN_PRICES.flatMap((block) => block.providers));
    for (const name of ['openai', 'anthropic', 'gcp.gemini', 'gcp.vertex_ai', 'gcp.gen_ai', 'mistral_ai', 'aws.bedrock', 'azure.ai.openai'])
      expect(providers.has(name), name).to.equal(true);
  });

  interface ProviderCase {
    name: string;
    provider: string;
    responseModel?: string;
    requestModel?: string;
    usage: CallUsage;
    /** USD, computed by hand from the table (comment above each case). */
    usd: number;
  }

  const CASES: ProviderCase[] = [
    // gpt-4o-mini: input 0.15, output 0.60. 11·0.15 + 9·0.60 = 1.65 + 5.4 = 7.05 µ$
    {
      name: 'OpenAI: the dated response model of a gpt-4o-mini request',
      provider: 'openai',
      requestModel: 'gpt-4o-mini',
      responseModel: 'gpt-4o-mini-2024-07-18',
      usage: { input: 11, output: 9 },
      usd: 7.05e-6,
    },
    // o3: input 2, cached 0.50, output 8 (reasoning billed as output). Uncached 2000 − 1024 = 976; text 1500 − 1200 = 300.
    // 976·2 + 1024·0.5 + 300·8 + 1200·8 = 1952 + 512 + 2400 + 9600 = 14 464 µ$
    {
      name: 'OpenAI: o3 with cached input and reasoning',
      provider: 'openai',
      responseModel: 'o3-2025-04-16',
      usage: { input: 2_000, cacheRead: 1_024, output: 1_500, reasoning: 1_200 },
      usd: 0.014464,
    },
    // gpt-5.4 above 272 000 input tokens: input 5, output 22.50. 300000·5 + 100·22.5 = 1 500 000 + 2250 = 1 502 250 µ$
    {
      name: 'OpenAI: gpt-5.4 above its long-context threshold',
      provider: 'openai',
      requestModel: 'gpt-5.4',
      usage: { input: 300_000, output: 100 },
      usd: 1.50225,
    },
    // Azure, gpt-4o (Global): input 2.50, cached 1.25, output 10. Uncached 500.
    // 500·2.5 + 500·1.25 + 100·10 = 1250 + 625 + 1000 = 2875 µ$
    {
      name: 'Azure OpenAI: the model behind a deployment name, from the response',
      provider: 'azure.ai.openai',
      requestModel: 'my-gpt4o-deployment',
      responseModel: 'gpt-4o-2024-11-20',
      usage: { input: 1_000, cacheRead: 500, output: 100 },
      usd: 0.002875,
    },
    // Azure spells gpt-3.5 without its dot: 1000·0.5 + 1000·1.5 = 500 + 1500 = 2000 µ$
    { name: 'Azure OpenAI: gpt-35-turbo', provider: 'azure.ai.openai', responseModel: 'gpt-35-turbo-0125', usage: { input: 1_000, output: 1_000 }, usd: 0.002 },
    // claude-sonnet-4-5: input 3, cache write 3.75, cache read 0.30, output 15. Uncached 12000 − 10000 − 1500 = 500.
    // 500·3 + 10000·0.3 + 1500·3.75 + 800·15 = 1500 + 3000 + 5625 + 12000 = 22 125 µ$
    {
      name: 'Anthropic: Sonnet 4.5 with cache reads and writes inside the input',
      provider: 'anthropic',
      responseModel: 'claude-sonnet-4-5-20250929',
      usage: { input: 12_000, cacheRead: 10_000, cacheWrite: 1_500, output: 800 },
      usd: 0.022125,
    },
    // claude-haiku-4-5: input 1, cache read 0.10, output 5; native counts (input 500 left the 10 000 read out).
    // 500·1 + 10000·0.1 + 200·5 = 500 + 1000 + 1000 = 2500 µ$
    {
      name: "Anthropic: Haiku 4.5 with the API's own input_tokens (cache left out)",
      provider: 'anthropic',
      responseModel: 'claude-haiku-4-5-20251001',
      usage: { input: 500, cacheRead: 10_000, output: 200 },
      usd: 0.0025,
    },
    // gemini-2.5-flash: input 0.30, cache 0.03, output 2.50 (thinking included). Uncached 200; text 200.
    // 200·0.3 + 800·0.03 + 200·2.5 + 300·2.5 = 60 + 24 + 500 + 750 = 1334 µ$
    {
      name: 'Gemini API: 2.5 Flash with cached input and thinking',
      provider: 'gcp.gemini',
      responseModel: 'gemini-2.5-flash',
      usage: { input: 1_000, cacheRead: 800, output: 500, reasoning: 300 },
      usd: 0.001334,
    },
    // gemini-2.5-pro above 200 000 input tokens: input 2.50, output 15. 250000·2.5 + 1000·15 = 625 000 + 15 000 = 640 000 µ$
    {
      name: 'Vertex AI: 2.5 Pro above its long-context threshold, the model named by its resource path',
      provider: 'gcp.vertex_ai',
      responseModel: 'publishers/google/models/gemini-2.5-pro',
      usage: { input: 250_000, output: 1_000 },
      usd: 0.64,
    },
    // gemini-2.0-flash: input 0.10, output 0.40. 1000·0.1 + 1000·0.4 = 100 + 400 = 500 µ$
    {
      name: "Google (a producer's `google`): 2.0 Flash as the Gemini API names it (models/...-001)",
      provider: 'gcp.gen_ai',
      responseModel: 'models/gemini-2.0-flash-001',
      usage: { input: 1_000, output: 1_000 },
      usd: 0.0005,
    },
    // mistral-small-2506: input 0.10, output 0.30. 1000·0.1 + 1000·0.3 = 100 + 300 = 400 µ$
    { name: 'Mistral: a dated Small', provider: 'mistral_ai', requestModel: 'mistral-small-2506', usage: { input: 1_000, output: 1_000 }, usd: 0.0004 },
    // mistral-large-latest (Large 3): input 0.50, output 1.50. 2000·0.5 + 1000·1.5 = 1000 + 1500 = 2500 µ$
    { name: 'Mistral: the -latest alias', provider: 'mistral_ai', requestModel: 'mistral-large-latest', usage: { input: 2_000, output: 1_000 }, usd: 0.0025 },
    // Bedrock, Sonnet 4.5 through the US profile (regional: 10 % above global): input 3.30, write 4.125, read 0.33, output 16.50. Uncached 300.
    // 300·3.3 + 500·0.33 + 200·4.125 + 100·16.5 = 990 + 165 + 825 + 1650 = 3630 µ$
    {
      name: 'Bedrock: Claude Sonnet 4.5 through a geographic inference profile',
      provider: 'aws.bedrock',
      requestModel: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
      usage: { input: 1_000, cacheRead: 500, cacheWrite: 200, output: 100 },
      usd: 0.00363,
    },
    // The same call through the global profile: 300·3 + 500·0.3 + 200·3.75 + 100·15 = 900 + 150 + 750 + 1500 = 3300 µ$
    {
      name: 'Bedrock: Claude Sonnet 4.5 through the global profile',
      provider: 'aws.bedrock',
      requestModel: 'global.anthropic.claude-sonnet-4-5-20250929-v1:0',
      usage: { input: 1_000, cacheRead: 500, cacheWrite: 200, output: 100 },
      usd: 0.0033,
    },
    // Global Haiku 4.5 named by an inference-profile ARN: 1000·1 + 100·5 = 1000 + 500 = 1500 µ$
    {
      name: 'Bedrock: a model named by its ARN',
      provider: 'aws.bedrock',
      requestModel: 'arn:aws:bedrock:us-east-1:123456789012:inference-profile/global.anthropic.claude-haiku-4-5-20251001-v1:0',
      usage: { input: 1_000, output: 100 },
      usd: 0.0015,
    },
    // amazon.nova-pro: input 0.80, output 3.20. 1000·0.8 + 500·3.2 = 800 + 1600 = 2400 µ$
    { name: 'Bedrock: Amazon Nova Pro', provider: 'aws.bedrock', requestModel: 'amazon.nova-pro-v1:0', usage: { input: 1_000, output: 500 }, usd: 0.0024 },
    // text-embedding-3-small: input 0.02. 5000·0.02 = 100 µ$
    { name: 'OpenAI: an embedding call (input only)', provider: 'openai', requestModel: 'text-embedding-3-small', usage: { input: 5_000 }, usd: 0.0001 },
  ];

  for (const c of CASES) {
    it(c.name, () => {
      const call = priceCall(book, { provider: c.provider, responseModel: c.responseModel, requestModel: c.requestModel, usage: c.usage });
      if (!call?.priced) throw new Error(`not priced: ${JSON.stringify(call)}`);
      expect(call.cost.total).to.be.closeTo(c.usd, 1e-12);
      expect(BUILTIN_PRICES.some((block) => block.source === call.pricing.source && block.date === call.pricing.date)).to.equal(true);
    });
  }

  /** [provider, model name, the input price it must get (undefined: no price)]. */
  const NAMES: [string, string, number | undefined][] = [
    ['openai', 'gpt-4o-mini', 0.15],
    ['openai', 'gpt-4o-mini-2024-07-18', 0.15],
    ['openai', 'GPT-4o-Mini', 0.15],
    ['openai', 'gpt-4o-2024-05-13', 5],
    ['openai', 'gpt-4o-2024-08-06', 2.5],
    ['openai', 'gpt-4.1-mini-2025-04-14', 0.4],
    ['openai', 'gpt-5-2025-08-07', 1.25],
    ['openai', 'gpt-5-mini-2025-08-07', 0.25],
    ['openai', 'o4-mini-2025-04-16', 1.1],
    ['openai', 'gpt-4o-mini-realtime-preview', undefined],
    ['openai', 'gpt-4o-mini-tts', undefined],
    ['openai', 'ft:gpt-4o-mini-2024-07-18:acme::abc123', undefined],
    ['openai', 'claude-sonnet-4-5', undefined],
    ['anthropic', 'claude-sonnet-4-5', 3],
    ['anthropic', 'claude-sonnet-4-20250514', 3],
    ['anthropic', 'claude-opus-4-20250514', 15],
    ['anthropic', 'claude-opus-4-1-20250805', 15],
    ['anthropic', 'claude-opus-4-5-20251101', 5],
    ['anthropic', 'claude-3-5-haiku-20241022', 0.8],
    ['anthropic', 'claude-3-haiku-20240307', 0.25],
    ['gcp.gemini', 'gemini-2.5-flash-preview-05-20', 0.3],
    ['gcp.gemini', 'gemini-2.5-flash-lite', 0.1],
    ['gcp.gemini', 'gemini-2.5-flash-preview-tts', undefined],
    ['gcp.vertex_ai', 'gemini-2.0-flash-001', 0.1],
    ['aws.bedrock', 'anthropic.claude-3-5-sonnet-20241022-v2:0', 3],
    ['aws.bedrock', 'eu.anthropic.claude-haiku-4-5-20251001-v1:0', 1.1],
    ['aws.bedrock', 'anthropic.claude-opus-4-20250514-v1:0', 15],
    ['aws.bedrock', 'meta.llama3-3-70b-instruct-v1:0', 0.72],
    ['mistral_ai', 'magistral-medium-2509', 2],
    ['x_ai', 'grok-4', undefined],
  ];

  it('dated, aliased and pathed model names match their family; other models, and models of another provider, do not', () => {
    const got = NAMES.map(([provider, model]) => [provider, model, book.priceOf(provider, model)?.input]);
    expect(got).to.deep.equal(NAMES);
  });

  it('a call whose provider is not known is not priced by the built-in table', () => {
    expect(book.priceOf(undefined, 'gpt-4o-mini')).to.equal(undefined);
  });
});
