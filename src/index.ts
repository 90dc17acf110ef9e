/**
 * aim-otel-bridge: GenAI telemetry from LangChain.js and any OpenTelemetry app into Aim.
 *
 * The public API grows here module by module (see ARCHITECTURE.md): the LangChain callback
 * handler, the AimSpanExporter, the OTLP receiver and the Aim client.
 */
export { VERSION } from './version.js';
export * from './aim/index.js';
export {
  GenAICallbackHandler,
  DEFAULT_MAX_CONTENT_LENGTH,
  DEFAULT_MAX_OPEN_RUNS,
  DEFAULT_RUN_TIMEOUT_MS,
  ENV_CAPTURE_MESSAGE_CONTENT,
  INSTRUMENTATION_SCOPE,
  installContextBridge,
  uninstallContextBridge,
  isBridgeInstalled,
  ATTR_LANGCHAIN_RUN_ID,
  ATTR_LANGCHAIN_RUN_TYPE,
  ATTR_LANGCHAIN_RUN_NAME,
  ATTR_LANGCHAIN_TAGS,
  ATTR_LANGCHAIN_METADATA_PREFIX,
  ATTR_LANGCHAIN_CHAIN_INPUTS,
  ATTR_LANGCHAIN_CHAIN_OUTPUTS,
  ATTR_LANGCHAIN_BUBBLE_UP,
  ATTR_LANGCHAIN_CACHED,
  EVENT_LANGCHAIN_AGENT_ACTION,
  EVENT_LANGCHAIN_AGENT_FINISH,
  EVENT_LANGCHAIN_TEXT,
  EVENT_LANGCHAIN_CUSTOM,
  EVENT_LANGCHAIN_TOOL_CHUNK,
  ERROR_TYPE_RUN_TIMEOUT,
  ERROR_TYPE_RUN_EVICTED,
  ERROR_TYPE_STREAM_CANCELLED,
} from './langchain/index.js';
export type { GenAICallbackHandlerOptions, GenAICallbackHandlerStats, ContentHook, ContentHookInfo } from './langchain/index.js';
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
