/** Well-known attribute values of the GenAI semantic conventions v1.41.1 (see ./attributes.ts). */

/** `gen_ai.operation.name` values. */
export const GenAIOperation = {
  CHAT: 'chat',
  TEXT_COMPLETION: 'text_completion',
  GENERATE_CONTENT: 'generate_content',
  EMBEDDINGS: 'embeddings',
  RETRIEVAL: 'retrieval',
  EXECUTE_TOOL: 'execute_tool',
  CREATE_AGENT: 'create_agent',
  INVOKE_AGENT: 'invoke_agent',
  INVOKE_WORKFLOW: 'invoke_workflow',
} as const;
export type GenAIOperation = (typeof GenAIOperation)[keyof typeof GenAIOperation];

/** `gen_ai.provider.name` values defined by the conventions (other strings are allowed). */
export const GenAIProvider = {
  ANTHROPIC: 'anthropic',
  AWS_BEDROCK: 'aws.bedrock',
  AZURE_AI_INFERENCE: 'azure.ai.inference',
  AZURE_AI_OPENAI: 'azure.ai.openai',
  COHERE: 'cohere',
  DEEPSEEK: 'deepseek',
  GCP_GEMINI: 'gcp.gemini',
  GCP_GEN_AI: 'gcp.gen_ai',
  GCP_VERTEX_AI: 'gcp.vertex_ai',
  GROQ: 'groq',
  IBM_WATSONX_AI: 'ibm.watsonx.ai',
  MISTRAL_AI: 'mistral_ai',
  OPENAI: 'openai',
  PERPLEXITY: 'perplexity',
  X_AI: 'x_ai',
} as const;

/** `gen_ai.token.type` values. */
export const GenAITokenType = { INPUT: 'input', OUTPUT: 'output' } as const;

/** `gen_ai.tool.type` values. */
export const GenAIToolType = { FUNCTION: 'function', EXTENSION: 'extension', DATASTORE: 'datastore' } as const;

/** `gen_ai.output.type` values. */
export const GenAIOutputType = { TEXT: 'text', JSON: 'json', IMAGE: 'image', SPEECH: 'speech' } as const;

/** Finish reasons of the output-messages schema (other strings are allowed). */
export const GenAIFinishReason = {
  STOP: 'stop',
  LENGTH: 'length',
  CONTENT_FILTER: 'content_filter',
  TOOL_CALL: 'tool_call',
  ERROR: 'error',
} as const;

/** `error.type` when nothing more specific is known. */
export const ERROR_TYPE_OTHER = '_OTHER';
