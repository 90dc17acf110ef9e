/**
 * LangChain-specific attribute and event names. Everything LangChain-only lives under the
 * `langchain.` prefix, next to the GenAI conventions: run identity, tags, metadata, deferred chain
 * inputs/outputs, LangGraph control flow.
 */

/** The LangChain run id (uuid). */
export const ATTR_LANGCHAIN_RUN_ID = 'langchain.run.id';
/** `llm`, `chat_model`, `chain`, `tool`, `retriever`, or the runnable's `runType` (`prompt`, `parser`…). */
export const ATTR_LANGCHAIN_RUN_TYPE = 'langchain.run.type';
/** The run name (`runName`, else the class name from `Serialized.id`). */
export const ATTR_LANGCHAIN_RUN_NAME = 'langchain.run.name';
/** The run's tags (`string[]`). */
export const ATTR_LANGCHAIN_TAGS = 'langchain.tags';
/** Prefix of one attribute per metadata key: `langchain.metadata.<key>`. */
export const ATTR_LANGCHAIN_METADATA_PREFIX = 'langchain.metadata.';
/** Chain inputs as JSON (content: only when capture is on). */
export const ATTR_LANGCHAIN_CHAIN_INPUTS = 'langchain.chain.inputs';
/** Chain outputs as JSON (content: only when capture is on). */
export const ATTR_LANGCHAIN_CHAIN_OUTPUTS = 'langchain.chain.outputs';
/** Set instead of an error when LangGraph control flow (`GraphInterrupt`, `ParentCommand`…) ends a run. */
export const ATTR_LANGCHAIN_BUBBLE_UP = 'langchain.bubble_up';
/** `true` when a chat model / LLM answer came from LangChain's cache. */
export const ATTR_LANGCHAIN_CACHED = 'langchain.cached';

/** Event: a legacy agent chose an action (`tool`, `log`; `tool_input` when content is captured). */
export const EVENT_LANGCHAIN_AGENT_ACTION = 'langchain.agent.action';
/** Event: a legacy agent finished (`log`, `return_values` when content is captured). */
export const EVENT_LANGCHAIN_AGENT_FINISH = 'langchain.agent.finish';
/** Event: `handleText` (the text itself only when content is captured). */
export const EVENT_LANGCHAIN_TEXT = 'langchain.text';
/** Event: a custom event dispatched with `dispatchCustomEvent` (`name`; `data` when captured). */
export const EVENT_LANGCHAIN_CUSTOM = 'langchain.custom_event';
/** Event: a value yielded by a streaming tool (`handleToolEvent`; `chunk` when captured). */
export const EVENT_LANGCHAIN_TOOL_CHUNK = 'langchain.tool.chunk';

/** `error.type` of a run ended because it did not finish within `runTimeoutMs`. */
export const ERROR_TYPE_RUN_TIMEOUT = 'timeout';
/** `error.type` of a run ended early because `maxOpenRuns` runs were open. */
export const ERROR_TYPE_RUN_EVICTED = 'evicted';
/** `error.type` of a streamed model call that its consumer stopped reading before the end. */
export const ERROR_TYPE_STREAM_CANCELLED = 'cancelled';
