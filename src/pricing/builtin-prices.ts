/**
 * The built-in price table: what the common providers charge for their current models, in USD
 * per million tokens, standard (pay-as-you-go, non-batch) tier.
 *
 * **These are data, not facts to rely on.** Each provider block names the page its prices are
 * published on (`source`) and the day they were compiled (`date`: from the providers' published
 * prices as known that day, not every figure re-read from `source` then; the newest models'
 * figures are the least certain). Prices change, new models come, tiers and regions differ:
 * check the figures that matter to you against the source, and override or extend them
 * with a price file (`--prices <file>`, `AIM_OTEL_BRIDGE_PRICES`, the exporter's and receiver's
 * `prices` option; see price-file.ts). A model that matches no entry gets no cost at all (it is
 * counted and logged), never a guessed one.
 *
 * What the table leaves out: batch, flex and priority tiers; Azure Data Zone / regional
 * deployments (about 10 % above Global); audio and image tokens (priced as text here: Gemini
 * Flash's audio input, for one, costs more); Gemini's cache storage (per hour, not per token);
 * Anthropic's 1-hour cache writes (the 5-minute write price is used for every write); tool fees
 * (web search, code execution).
 *
 * Matching: first match wins, blocks in order, models in order within a block; so specific
 * patterns come before general ones (`gpt-4o-mini` before `gpt-4o-*`). Pattern syntax: see
 * {@link ModelPrice}.
 */
import type { ModelPrice, PriceTable } from './price-table.js';

/** A model name and its dated snapshots (`gpt-4o-mini`, `gpt-4o-mini-2024-07-18`). */
function dated(name: string): string[] {
  return [name, `${name}-????-??-??`];
}

/** Escapes a literal for a regular expression. */
function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Bedrock's geographic inference-profile prefixes (`us.anthropic...`), served in the geography. */
const BEDROCK_GEO = '(?:us|us-gov|eu|apac|jp|au|ca)\\.';

/**
 * Bedrock model ids of `id` (`anthropic.claude-haiku-4-5`) served in-region (`anthropic.claude-...`)
 * or through a geographic inference profile (`us.anthropic.claude-...`), with or without the
 * version suffix (`-20251001-v1:0`).
 */
function bedrockRegional(id: string): string {
  return `/^(?:${BEDROCK_GEO})?${literal(id)}(?:-\\d{8})?(?:-v\\d+(?::\\d+)?)?$/i`;
}

/** Bedrock model ids of `id` served through the global inference profile (`global.anthropic.claude-...`). */
function bedrockGlobal(id: string): string {
  return `/^global\\.${literal(id)}(?:-\\d{8})?(?:-v\\d+(?::\\d+)?)?$/i`;
}

/** Bedrock model ids of `id` wherever they are served (models without a regional premium). */
function bedrockAnywhere(id: string): string {
  return `/^(?:${BEDROCK_GEO}|global\\.)?${literal(id)}(?:-\\d{8})?(?:-v\\d+(?::\\d+)?)?$/i`;
}

/** The OpenAI models Azure OpenAI's Global deployments bill at OpenAI's own prices. */
const OPENAI_AND_AZURE: readonly ModelPrice[] = [
  { match: [...dated('gpt-5.1'), 'gpt-5.1-chat-latest', 'gpt-5.1-codex', 'gpt-5.1-codex-max'], input: 1.25, cacheRead: 0.125, output: 10 },
  { match: [...dated('gpt-5-mini')], input: 0.25, cacheRead: 0.025, output: 2 },
  { match: [...dated('gpt-5-nano')], input: 0.05, cacheRead: 0.005, output: 0.4 },
  { match: [...dated('gpt-5'), 'gpt-5-chat-latest', 'gpt-5-chat', 'gpt-5-codex'], input: 1.25, cacheRead: 0.125, output: 10 },
  { match: [...dated('gpt-4.1-mini')], input: 0.4, cacheRead: 0.1, output: 1.6 },
  { match: [...dated('gpt-4.1-nano')], input: 0.1, cacheRead: 0.025, output: 0.4 },
  { match: [...dated('gpt-4.1')], input: 2, cacheRead: 0.5, output: 8 },
  { match: [...dated('gpt-4o-mini')], input: 0.15, cacheRead: 0.075, output: 0.6 },
  { match: ['gpt-4o-2024-05-13'], input: 5, output: 15, note: 'the first gpt-4o snapshot: no cached-input price' },
  { match: [...dated('gpt-4o')], input: 2.5, cacheRead: 1.25, output: 10 },
  { match: [...dated('o4-mini')], input: 1.1, cacheRead: 0.275, output: 4.4 },
  { match: [...dated('o3-mini')], input: 1.1, cacheRead: 0.55, output: 4.4 },
  { match: [...dated('o3')], input: 2, cacheRead: 0.5, output: 8 },
  { match: [...dated('o1')], input: 15, cacheRead: 7.5, output: 60 },
  { match: ['text-embedding-3-small'], input: 0.02, output: 0 },
  { match: ['text-embedding-3-large'], input: 0.13, output: 0 },
  { match: ['text-embedding-ada-002'], input: 0.1, output: 0 },
];

/** Anthropic's models (model ids of its API: `claude-sonnet-4-5`, `claude-sonnet-4-5-20250929`). */
const ANTHROPIC: readonly ModelPrice[] = [
  { match: ['claude-opus-4-7*', 'claude-opus-4-6*', 'claude-opus-4-5*'], input: 5, cacheWrite: 6.25, cacheRead: 0.5, output: 25 },
  { match: ['claude-opus-4-1*', 'claude-opus-4', 'claude-opus-4-2???????'], input: 15, cacheWrite: 18.75, cacheRead: 1.5, output: 75 },
  { match: ['claude-sonnet-4-6*'], input: 3, cacheWrite: 3.75, cacheRead: 0.3, output: 15 },
  {
    match: ['claude-sonnet-4-5*', 'claude-sonnet-4', 'claude-sonnet-4-2???????'],
    input: 3,
    cacheWrite: 3.75,
    cacheRead: 0.3,
    output: 15,
    longContext: { aboveInputTokens: 200_000, input: 6, cacheWrite: 7.5, cacheRead: 0.6, output: 22.5 },
    note: 'above 200 000 input tokens (1M-token context) the long-context prices apply',
  },
  { match: ['claude-3-7-sonnet*', 'claude-3-5-sonnet*'], input: 3, cacheWrite: 3.75, cacheRead: 0.3, output: 15 },
  { match: ['claude-haiku-4-5*'], input: 1, cacheWrite: 1.25, cacheRead: 0.1, output: 5 },
  { match: ['claude-3-5-haiku*'], input: 0.8, cacheWrite: 1, cacheRead: 0.08, output: 4 },
  { match: ['claude-3-haiku*'], input: 0.25, cacheWrite: 0.3, cacheRead: 0.03, output: 1.25 },
  { match: ['claude-3-opus*'], input: 15, cacheWrite: 18.75, cacheRead: 1.5, output: 75 },
];

/** The built-in table (see the module comment: check it against the sources, override it with a price file). */
export const BUILTIN_PRICES: PriceTable = [
  {
    providers: ['openai'],
    source: 'https://platform.openai.com/docs/pricing',
    date: '2026-12-01',
    note: 'Standard tier. Reasoning tokens are billed as output tokens; cached input is the cache-read price (no write premium).',
    models: [
      { match: ['gpt-5.5'], input: 5, cacheRead: 0.5, output: 30, note: 'short-context prices' },
      {
        match: ['gpt-5.4'],
        input: 2.5,
        cacheRead: 0.25,
        output: 15,
        longContext: { aboveInputTokens: 272_000, input: 5, cacheRead: 0.5, output: 22.5 },
      },
      { match: ['gpt-5.4-mini'], input: 0.75, cacheRead: 0.075, output: 4.5 },
      { match: ['gpt-5.4-nano'], input: 0.2, cacheRead: 0.02, output: 1.25 },
      { match: [...dated('gpt-5.2-pro')], input: 21, output: 168 },
      { match: [...dated('gpt-5.2'), 'gpt-5.2-chat-latest', 'gpt-5.2-codex'], input: 1.75, cacheRead: 0.175, output: 14 },
      { match: ['gpt-5.1-codex-mini'], input: 0.25, cacheRead: 0.025, output: 2 },
      { match: [...dated('gpt-5-pro')], input: 15, output: 120 },
      ...OPENAI_AND_AZURE,
      { match: [...dated('o3-pro')], input: 20, output: 80 },
      { match: [...dated('o1-pro')], input: 150, output: 600 },
      { match: [...dated('o1-mini')], input: 1.1, cacheRead: 0.55, output: 4.4 },
      { match: ['gpt-4-turbo', 'gpt-4-turbo-????-??-??', 'gpt-4-turbo-preview', 'gpt-4-????-preview'], input: 10, output: 30 },
      { match: ['gpt-4', 'gpt-4-0613', 'gpt-4-0314'], input: 30, output: 60 },
      { match: ['gpt-3.5-turbo', 'gpt-3.5-turbo-0125'], input: 0.5, output: 1.5 },
    ],
  },
  {
    providers: ['azure.ai.openai'],
    source: 'https://azure.microsoft.com/en-us/pricing/details/cognitive-services/openai-service/',
    date: '2026-12-01',
    note: 'Global (Standard) deployments. Data Zone and Regional deployments cost more: override for them. A call is matched by its response model (the model name; the request model is the deployment name).',
    models: [...OPENAI_AND_AZURE, { match: ['gpt-35-turbo', 'gpt-35-turbo-0125'], input: 0.5, output: 1.5 }],
  },
  {
    providers: ['anthropic'],
    source: 'https://docs.claude.com/en/docs/about-claude/pricing',
    date: '2026-12-01',
    note: 'Cache writes at the 5-minute price (1-hour writes cost 2x input); extended thinking is billed as output.',
    models: ANTHROPIC,
  },
  {
    providers: ['gcp.gemini', 'gcp.gen_ai', 'gcp.vertex_ai'],
    source: 'https://ai.google.dev/gemini-api/docs/pricing',
    date: '2026-12-01',
    note: 'Gemini Developer API paid tier; Vertex AI bills Gemini at the same standard prices. Text/image/video input (audio input costs more); output prices include thinking tokens; cache read = context caching price (storage per hour not included). Claude on Vertex AI is not in this table: add it with a price file.',
    models: [
      {
        match: ['gemini-3.1-pro-preview*', 'gemini-3-pro-preview*'],
        input: 2,
        cacheRead: 0.2,
        output: 12,
        longContext: { aboveInputTokens: 200_000, input: 4, cacheRead: 0.4, output: 18 },
      },
      { match: ['gemini-3.1-flash-lite-preview*'], input: 0.25, cacheRead: 0.025, output: 1.5 },
      { match: ['gemini-3-flash-preview*'], input: 0.5, cacheRead: 0.05, output: 3 },
      {
        match: ['gemini-2.5-pro', 'gemini-2.5-pro-0??', 'gemini-2.5-pro-preview-??-??'],
        input: 1.25,
        cacheRead: 0.125,
        output: 10,
        longContext: { aboveInputTokens: 200_000, input: 2.5, cacheRead: 0.25, output: 15 },
      },
      {
        match: ['gemini-2.5-flash-lite', 'gemini-2.5-flash-lite-0??', 'gemini-2.5-flash-lite-preview-??-??', 'gemini-2.5-flash-lite-preview-??-????'],
        input: 0.1,
        cacheRead: 0.01,
        output: 0.4,
      },
      {
        match: ['gemini-2.5-flash', 'gemini-2.5-flash-0??', 'gemini-2.5-flash-preview-??-??', 'gemini-2.5-flash-preview-??-????'],
        input: 0.3,
        cacheRead: 0.03,
        output: 2.5,
      },
      { match: ['gemini-2.0-flash-lite', 'gemini-2.0-flash-lite-0??'], input: 0.075, output: 0.3 },
      { match: ['gemini-2.0-flash', 'gemini-2.0-flash-0??'], input: 0.1, cacheRead: 0.025, output: 0.4 },
      { match: ['gemini-embedding-001'], input: 0.15, output: 0 },
    ],
  },
  {
    providers: ['mistral_ai'],
    source: 'https://mistral.ai/pricing#api-pricing',
    date: '2026-12-01',
    note: '`-latest` aliases are priced as the model they named on `date` (Mistral answers with the alias, not the model).',
    models: [
      { match: ['mistral-large-2512', 'mistral-large-latest'], input: 0.5, output: 1.5, note: 'Mistral Large 3' },
      { match: ['mistral-large-2411', 'mistral-large-2407'], input: 2, output: 6 },
      { match: ['mistral-medium-2508', 'mistral-medium-2505', 'mistral-medium-latest'], input: 0.4, output: 2 },
      { match: ['mistral-small-25??', 'mistral-small-latest'], input: 0.1, output: 0.3 },
      { match: ['magistral-medium-*'], input: 2, output: 5 },
      { match: ['magistral-small-*'], input: 0.5, output: 1.5 },
      { match: ['codestral-25??', 'codestral-latest'], input: 0.3, output: 0.9 },
      { match: ['devstral-medium-*'], input: 0.4, output: 2 },
      { match: ['devstral-small-*'], input: 0.1, output: 0.3 },
      { match: ['pixtral-large-*'], input: 2, output: 6 },
      { match: ['ministral-8b-*'], input: 0.1, output: 0.1 },
      { match: ['ministral-3b-*'], input: 0.04, output: 0.04 },
      { match: ['open-mistral-nemo', 'open-mistral-nemo-2407', 'pixtral-12b-2409'], input: 0.15, output: 0.15 },
      { match: ['mistral-embed'], input: 0.1, output: 0 },
    ],
  },
  {
    providers: ['aws.bedrock'],
    source: 'https://aws.amazon.com/bedrock/pricing/',
    date: '2026-12-01',
    note: 'On-demand, US East (N. Virginia). Claude 4.5 and later cost 10 % more in-region and through geographic inference profiles (us., eu., ...) than through the global profile (global.).',
    models: [
      {
        match: ['claude-opus-4-7', 'claude-opus-4-6', 'claude-opus-4-5'].map((m) => bedrockGlobal(`anthropic.${m}`)),
        input: 5,
        cacheWrite: 6.25,
        cacheRead: 0.5,
        output: 25,
      },
      {
        match: ['claude-opus-4-7', 'claude-opus-4-6', 'claude-opus-4-5'].map((m) => bedrockRegional(`anthropic.${m}`)),
        input: 5.5,
        cacheWrite: 6.875,
        cacheRead: 0.55,
        output: 27.5,
      },
      { match: ['claude-sonnet-4-6', 'claude-sonnet-4-5'].map((m) => bedrockGlobal(`anthropic.${m}`)), input: 3, cacheWrite: 3.75, cacheRead: 0.3, output: 15 },
      {
        match: ['claude-sonnet-4-6', 'claude-sonnet-4-5'].map((m) => bedrockRegional(`anthropic.${m}`)),
        input: 3.3,
        cacheWrite: 4.125,
        cacheRead: 0.33,
        output: 16.5,
      },
      { match: [bedrockGlobal('anthropic.claude-haiku-4-5')], input: 1, cacheWrite: 1.25, cacheRead: 0.1, output: 5 },
      { match: [bedrockRegional('anthropic.claude-haiku-4-5')], input: 1.1, cacheWrite: 1.375, cacheRead: 0.11, output: 5.5 },
      { match: ['claude-opus-4-1', 'claude-opus-4'].map((m) => bedrockAnywhere(`anthropic.${m}`)), input: 15, cacheWrite: 18.75, cacheRead: 1.5, output: 75 },
      {
        match: ['claude-sonnet-4', 'claude-3-7-sonnet', 'claude-3-5-sonnet'].map((m) => bedrockAnywhere(`anthropic.${m}`)),
        input: 3,
        cacheWrite: 3.75,
        cacheRead: 0.3,
        output: 15,
      },
      { match: [bedrockAnywhere('anthropic.claude-3-5-haiku')], input: 0.8, cacheWrite: 1, cacheRead: 0.08, output: 4 },
      { match: [bedrockAnywhere('anthropic.claude-3-haiku')], input: 0.25, output: 1.25 },
      { match: [bedrockAnywhere('amazon.nova-premier')], input: 2.5, cacheRead: 0.625, output: 12.5 },
      { match: [bedrockAnywhere('amazon.nova-pro')], input: 0.8, cacheRead: 0.2, output: 3.2 },
      { match: [bedrockAnywhere('amazon.nova-lite')], input: 0.06, cacheRead: 0.015, output: 0.24 },
      { match: [bedrockAnywhere('amazon.nova-micro')], input: 0.035, cacheRead: 0.00875, output: 0.14 },
      { match: [bedrockAnywhere('meta.llama4-maverick-17b-instruct')], input: 0.24, output: 0.97 },
      { match: [bedrockAnywhere('meta.llama4-scout-17b-instruct')], input: 0.17, output: 0.66 },
      { match: ['meta.llama3-3-70b-instruct', 'meta.llama3-1-70b-instruct'].map(bedrockAnywhere), input: 0.72, output: 0.72 },
      { match: [bedrockAnywhere('meta.llama3-1-8b-instruct')], input: 0.22, output: 0.22 },
      { match: [bedrockAnywhere('amazon.titan-embed-text-v2')], input: 0.02, output: 0 },
    ],
  },
];
