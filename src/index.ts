/**
 * aim-otel-bridge: GenAI telemetry from LangChain.js and any OpenTelemetry app into Aim.
 *
 * The root entry is for LangChain.js apps (it needs the optional peer `@langchain/core`): the
 * callback handlers, the exporter, the Aim client's repository and run, and the GenAI semantic
 * conventions. Each name is listed: nothing internal is exported by accident. Without LangChain,
 * import `aim-otel-bridge/exporter`, `aim-otel-bridge/receiver` (the OTLP receiver, only there) or
 * `aim-otel-bridge/aim` (the whole Aim client).
 */
export { VERSION } from './version.js';
export {
  AimRepo,
  AimRun,
  type ParamKey,
  type RunSettings,
  type TrackOptions,
  AimError,
  AimCodecError,
  AimServerError,
  AimProtocolError,
  AimUnavailableError,
  AimClosedError,
  AimRunLockedError,
  AimUsageError,
  type AimValue,
} from './aim/index.js';
export {
  GenAICallbackHandler,
  type GenAICallbackHandlerOptions,
  type GenAICallbackHandlerStats,
  type ContentHook,
  type ContentHookInfo,
  AimCallbackHandler,
  type AimCallbackHandlerOptions,
  type FlushTrackerOptions,
  installContextBridge,
  uninstallContextBridge,
  isBridgeInstalled,
} from './langchain/index.js';
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
export {
  AimSpanExporter,
  type AimSpanExporterOptions,
  type AimSinkStats,
  type MappingOptions,
  type MappingLayout,
  type RunKeyStrategy,
  type UnkeyedRunOptions,
  runHash,
  PricesError,
  type PricesOption,
  type PriceEntry,
} from './exporter/index.js';
