/**
 * aim-otel-bridge: GenAI telemetry from LangChain.js and any OpenTelemetry app into Aim.
 *
 * The public API grows here module by module (see ARCHITECTURE.md): the LangChain callback
 * handler, the AimSpanExporter, the OTLP receiver and the Aim client.
 */
export { VERSION } from './version.js';
export * from './aim/index.js';
export * from './langchain/index.js';
export {
  attributes as genAIAttributes,
  GenAIOperation,
  GenAIProvider,
  GenAITokenType,
  GenAIToolType,
  GenAIOutputType,
  GenAIFinishReason,
  ERROR_TYPE_OTHER,
  METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
  METRIC_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK,
  METRIC_GEN_AI_CLIENT_OPERATION_TIME_PER_OUTPUT_CHUNK,
  DURATION_BUCKETS_SECONDS,
  TOKEN_USAGE_BUCKETS,
  semconvNames,
  isSemconvProfile,
  DEFAULT_SEMCONV_PROFILE,
} from './semconv/index.js';
export type {
  SemconvNames,
  SemconvProfile,
  MessagePart,
  ChatMessage,
  OutputMessage,
  SystemInstructions,
  ToolDefinition,
  RetrievalDocument,
} from './semconv/index.js';
export * from './exporter/index.js';
export { createReceiver, type Receiver, type ReceiverOptions } from './receiver/index.js';
