/**
 * Provider names in GenAI terms (`gen_ai.provider.name` values: `openai`, `anthropic`,
 * `aws.bedrock`, `azure.ai.openai`, `gcp.gemini`, `gcp.vertex_ai`, `mistral_ai`, `x_ai`...),
 * whichever convention named the provider: `gen_ai.provider.name` itself, the older `gen_ai.system`
 * (OpenLLMetry writes it capitalized: `OpenAI`, `Anthropic`), OpenInference's `llm.provider` /
 * `llm.system` pair and the Vercel AI SDK's provider ids (`openai.chat`, `google.vertex.chat`). So
 * one call lands in one metric context whatever instrumented it.
 */

/**
 * Names producers use, compared lower-cased without spaces, `_` and `-`, and the GenAI name each
 * stands for. The GenAI names themselves are listed too (in that compared form).
 */
const ALIASES: ReadonlyMap<string, string> = new Map([
  ['openai', 'openai'],
  ['anthropic', 'anthropic'],
  ['cohere', 'cohere'],
  ['deepseek', 'deepseek'],
  ['groq', 'groq'],
  ['perplexity', 'perplexity'],
  ['mistral', 'mistral_ai'],
  ['mistralai', 'mistral_ai'],
  ['xai', 'x_ai'],
  ['aws', 'aws.bedrock'],
  ['bedrock', 'aws.bedrock'],
  ['awsbedrock', 'aws.bedrock'],
  ['amazonbedrock', 'aws.bedrock'],
  ['aws.bedrock', 'aws.bedrock'],
  ['azure', 'azure.ai.openai'],
  ['azureopenai', 'azure.ai.openai'],
  ['azure.openai', 'azure.ai.openai'],
  ['azure.ai.openai', 'azure.ai.openai'],
  ['az.ai.openai', 'azure.ai.openai'],
  ['azure.ai.inference', 'azure.ai.inference'],
  ['az.ai.inference', 'azure.ai.inference'],
  ['google', 'gcp.gen_ai'],
  ['gcp.genai', 'gcp.gen_ai'],
  ['gemini', 'gcp.gemini'],
  ['googlegenerativeai', 'gcp.gemini'],
  ['google.generativeai', 'gcp.gemini'],
  ['gcp.gemini', 'gcp.gemini'],
  ['vertex', 'gcp.vertex_ai'],
  ['vertexai', 'gcp.vertex_ai'],
  ['google.vertex', 'gcp.vertex_ai'],
  ['googlevertexai', 'gcp.vertex_ai'],
  ['gcp.vertexai', 'gcp.vertex_ai'],
  ['watsonx', 'ibm.watsonx.ai'],
  ['watsonx.ai', 'ibm.watsonx.ai'],
  ['ibm', 'ibm.watsonx.ai'],
  ['ibm.watsonx.ai', 'ibm.watsonx.ai'],
]);

function compared(name: string): string {
  return name.toLowerCase().replace(/[\s_-]/g, '');
}

/** The GenAI name of a known provider id or of its longest known dot-separated prefix (`openai.chat` → `openai`). */
function knownId(id: string): string | undefined {
  const key = compared(id);
  const exact = ALIASES.get(key);
  if (exact !== undefined) return exact;
  const segments = key.split('.');
  for (let n = segments.length - 1; n >= 1; n--) {
    const prefix = ALIASES.get(segments.slice(0, n).join('.'));
    if (prefix !== undefined) return prefix;
  }
  return undefined;
}

/**
 * A provider name (`gen_ai.provider.name`, `gen_ai.system`, OpenInference's `llm.provider` or
 * `llm.system`) as a GenAI provider name: known names and their spellings (`OpenAI`, `MistralAI`,
 * `vertexai`, `az.ai.openai`, `xai`...) map to theirs; others are kept, lower-cased, spaces as `_`.
 * Empty gives `undefined`.
 */
export function genAIProviderName(name: string | undefined): string | undefined {
  if (name === undefined || name.trim() === '') return undefined;
  return ALIASES.get(compared(name)) ?? name.trim().toLowerCase().replace(/\s+/g, '_');
}

/**
 * A Vercel AI SDK provider id (`ai.model.provider`: `openai.chat`, `anthropic.messages`,
 * `google.vertex.chat`, `amazon-bedrock`...) as a GenAI provider name; ids not known keep their
 * first dot-separated segment (`mock-provider` → `mock-provider`, `acme.chat` → `acme`).
 */
export function vercelProviderName(providerId: string | undefined): string | undefined {
  if (providerId === undefined || providerId.trim() === '') return undefined;
  return knownId(providerId) ?? providerId.trim().toLowerCase().split('.')[0];
}

/**
 * OpenInference's pair `llm.provider` (who hosts the model: `openai`, `azure`, `aws`, `google`...)
 * and `llm.system` (whose model API: `openai`, `anthropic`, `vertexai`...) as one GenAI provider
 * name: Azure serving OpenAI's API (or naming none) is `azure.ai.openai`, other APIs on Azure
 * `azure.ai.inference`; Google with `vertexai` is `gcp.vertex_ai`; otherwise the host, else the system.
 */
export function openInferenceProviderName(provider: string | undefined, system: string | undefined): string | undefined {
  const host = provider === undefined ? undefined : compared(provider);
  const api = system === undefined ? undefined : compared(system);
  if (host === 'azure') return api === undefined || api === 'openai' ? 'azure.ai.openai' : 'azure.ai.inference';
  if (host === 'google' && api === 'vertexai') return 'gcp.vertex_ai';
  return genAIProviderName(provider) ?? genAIProviderName(system);
}
