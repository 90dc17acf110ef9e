/**
 * GenAI semantic conventions v1.41.1 as local constants (attribute names, values, metric names and
 * buckets, content shapes) plus the profile table that maps them to newer convention versions.
 */
import * as attributes from './attributes.js';

/** Every attribute-name constant (`attributes.ATTR_GEN_AI_...`). */
export { attributes };
export { GenAIOperation, GenAIProvider, GenAITokenType, GenAIToolType, GenAIOutputType, GenAIFinishReason, ERROR_TYPE_OTHER } from './values.js';
export {
  METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
  METRIC_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK,
  METRIC_GEN_AI_CLIENT_OPERATION_TIME_PER_OUTPUT_CHUNK,
  DURATION_BUCKETS_SECONDS,
  TOKEN_USAGE_BUCKETS,
} from './metrics.js';
export { semconvNames, isSemconvProfile, DEFAULT_SEMCONV_PROFILE } from './profile.js';
export type { SemconvNames, SemconvProfile } from './profile.js';
export type {
  TextPart,
  ToolCallRequestPart,
  ToolCallResponsePart,
  ServerToolCallPart,
  ServerToolCallResponsePart,
  BlobPart,
  FilePart,
  UriPart,
  ReasoningPart,
  GenericPart,
  MessagePart,
  Modality,
  Role,
  ChatMessage,
  OutputMessage,
  SystemInstructions,
  ToolDefinition,
  RetrievalDocument,
} from './parts.js';
