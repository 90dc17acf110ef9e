/**
 * `gen_ai.provider.name` from what LangChain knows: the `ls_provider` metadata every chat model and
 * LLM reports, else the model's class name. Unknown `ls_provider` values are passed through as
 * they are (the conventions allow any string; it is LangChain's best knowledge).
 */
import { GenAIProvider } from '../semconv/values.js';

const FROM_LS_PROVIDER: ReadonlyMap<string, string> = new Map([
  ['openai', GenAIProvider.OPENAI],
  ['azure', GenAIProvider.AZURE_AI_OPENAI],
  ['azure_openai', GenAIProvider.AZURE_AI_OPENAI],
  ['azure_ai_inference', GenAIProvider.AZURE_AI_INFERENCE],
  ['anthropic', GenAIProvider.ANTHROPIC],
  ['amazon_bedrock', GenAIProvider.AWS_BEDROCK],
  ['bedrock', GenAIProvider.AWS_BEDROCK],
  ['google_genai', GenAIProvider.GCP_GEMINI],
  ['google_vertexai', GenAIProvider.GCP_VERTEX_AI],
  ['google_vertexai_web', GenAIProvider.GCP_VERTEX_AI],
  ['mistral', GenAIProvider.MISTRAL_AI],
  ['mistralai', GenAIProvider.MISTRAL_AI],
  ['groq', GenAIProvider.GROQ],
  ['cohere', GenAIProvider.COHERE],
  ['deepseek', GenAIProvider.DEEPSEEK],
  ['xai', GenAIProvider.X_AI],
  ['perplexity', GenAIProvider.PERPLEXITY],
  ['ibm', GenAIProvider.IBM_WATSONX_AI],
  ['watsonx', GenAIProvider.IBM_WATSONX_AI],
]);

/** Class-name fallbacks, checked in order (first match wins). */
const FROM_CLASS_NAME: readonly (readonly [RegExp, string])[] = [
  [/^AzureChatOpenAI$|^AzureOpenAI$/, GenAIProvider.AZURE_AI_OPENAI],
  [/OpenAI/, GenAIProvider.OPENAI],
  [/Anthropic/, GenAIProvider.ANTHROPIC],
  [/Bedrock/, GenAIProvider.AWS_BEDROCK],
  [/VertexAI/, GenAIProvider.GCP_VERTEX_AI],
  [/GoogleGenerativeAI/, GenAIProvider.GCP_GEMINI],
  [/Mistral/, GenAIProvider.MISTRAL_AI],
  [/Groq/, GenAIProvider.GROQ],
  [/Cohere/, GenAIProvider.COHERE],
  [/DeepSeek/, GenAIProvider.DEEPSEEK],
  [/XAI$/, GenAIProvider.X_AI],
  [/Perplexity/, GenAIProvider.PERPLEXITY],
  [/Watsonx/i, GenAIProvider.IBM_WATSONX_AI],
  [/Ollama/, 'ollama'],
];

/** Maps LangChain's `ls_provider` (or a provider string from response metadata) to the convention's value. */
export function providerFromLsProvider(lsProvider: string): string {
  return FROM_LS_PROVIDER.get(lsProvider.toLowerCase()) ?? lsProvider;
}

/** Guesses the provider from a model class name (`ChatOpenAI` → `openai`); undefined when unknown. */
export function providerFromClassName(className: string): string | undefined {
  for (const [pattern, provider] of FROM_CLASS_NAME) if (pattern.test(className)) return provider;
  return undefined;
}
