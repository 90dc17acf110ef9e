/** LangChain.js → OpenTelemetry GenAI spans and metrics. */
export { GenAICallbackHandler } from './handler.js';
export {
  AimCallbackHandler,
  type AimCallbackHandlerOptions,
  type FlushTrackerOptions,
  DEFAULT_AIM_REPO,
  DEFAULT_FACADE_RETRY_DEADLINE_MS,
  DEFAULT_SYSTEM_TRACKING_INTERVAL,
  ENV_AIM_URL,
} from './facade/aim-callback-handler.js';
export type { GenAICallbackHandlerStats } from './handler.js';
export type { GenAICallbackHandlerOptions } from './options.js';
export { DEFAULT_MAX_CONTENT_LENGTH, DEFAULT_MAX_OPEN_RUNS, DEFAULT_RUN_TIMEOUT_MS } from './options.js';
export type { ContentHook, ContentHookInfo } from './content.js';
export { ENV_CAPTURE_MESSAGE_CONTENT } from './env.js';
export { INSTRUMENTATION_SCOPE } from './metrics.js';
export { installContextBridge, uninstallContextBridge, isBridgeInstalled } from './context-bridge.js';
export {
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
} from './attributes.js';
