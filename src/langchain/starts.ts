/**
 * What each LangChain start callback becomes: one entry of {@link START_KINDS} per kind of run
 * (LLM, chat model, chain, tool, retriever). An entry names LangChain's callback, reads its
 * positional arguments (their order differs per kind), says what the run is (run kind, span name and
 * kind, GenAI operation and attributes), which content it records at its start and whether the
 * context bridge makes its span active around the real call. Everything else — parent lookup,
 * hidden and suppressed runs, the common `langchain.*` attributes, the span, the run map, the bridge
 * registration — is one code path in `RunRecorder.start`, and the handler's `handle*Start` callbacks
 * and `_createRunFor*Start` hooks all go through `GenAICallbackHandler._start`.
 *
 * A new kind of run is one entry here; the handler then only names its two entry points (one-line
 * methods: LangChain calls them by name, and TypeScript needs them declared to type and override
 * them).
 */
import type { Serialized } from '@langchain/core/load/serializable';
import type { BaseMessage } from '@langchain/core/messages';
import type { ChainValues } from '@langchain/core/utils/types';
import { SpanKind } from '@opentelemetry/api';
import type { Attributes, Span } from '@opentelemetry/api';
import type { SemconvNames } from '../semconv/profile.js';
import { GenAIOperation, GenAIToolType } from '../semconv/values.js';
import { recordChainValues } from './chain-values.js';
import type { RunScope } from './chain-values.js';
import { classifyChain } from './classify.js';
import { chatInput, promptInput, toolResponseValue } from './messages.js';
import type { PartOptions } from './messages.js';
import { RUN_METADATA } from './metadata.js';
import type { RunMetadata } from './metadata.js';
import { asRecord, serializedClassName } from './read.js';
import type { UnknownRecord } from './read.js';
import { inferenceRequest, toolDefinitions } from './request.js';
import type { InferenceState, RunKind, RunRecord } from './runs.js';

/** A start callback's arguments, by name. */
export interface StartCall {
  readonly serialized: Serialized;
  /** Prompts, messages, chain inputs, tool input or retriever query: what the run starts from. */
  readonly input: unknown;
  readonly runId: string;
  readonly parentRunId: string | undefined;
  readonly tags: string[] | undefined;
  readonly metadata: UnknownRecord | undefined;
  readonly runName: string | undefined;
  /** LLM and chat model: `extraParams` (`invocation_params`, `options`…). */
  readonly extraParams?: UnknownRecord | undefined;
  /** Chain: LangChain's run type (`prompt`, `parser`…). */
  readonly runType?: string | undefined;
  /** Chain: `extra` (`lc_defers_inputs`). */
  readonly extra?: UnknownRecord | undefined;
  /** Tool: the model's tool call id. */
  readonly toolCallId?: string | undefined;
}

/** What a run is, decided at its start. */
export interface RunStart {
  readonly kind: RunKind;
  readonly spanName: string;
  /** `langchain.run.type`. */
  readonly runType: string;
  /** `langchain.run.name`. */
  readonly runName: string;
  /** The GenAI attributes known at the start; the recorder adds the common `langchain.*` ones. */
  readonly attributes: Attributes;
  /** `lc_agent_name` in force at this run. */
  readonly agentName: string | undefined;
  /** Chat model and LLM runs: their metric attributes and provider origin. */
  readonly inference?: InferenceState;
}

/** One kind of LangChain run: see the module comment. */
export interface StartKind<Args extends unknown[]> {
  /** LangChain's callback for this start (errors are logged under its name). */
  readonly callback: string;
  /** The callback's positional arguments, by name. */
  readonly read: (args: Args) => StartCall;
  /** The span's kind: CLIENT for model calls and retrievals, INTERNAL for chains and tools. */
  readonly spanKind: SpanKind;
  /** What the run is; `parent` is the run's recorded parent, if any; `known` what its metadata says. */
  readonly describe: (call: StartCall, parent: RunRecord | undefined, names: SemconvNames, known: RunMetadata) => RunStart;
  /** Content recorded on the new span (only called while content is recorded or hooked). */
  readonly content?: (scope: RunScope, record: RunRecord, span: Span, call: StartCall) => void;
  /**
   * Register the run with the context bridge (its span is active around the real call): `model`
   * also ends the span when the consumer abandons a streamed call.
   */
  readonly bridge: 'model' | 'call' | undefined;
}

type Metadata = Record<string, unknown>;
/** The run and its parent, after the serialised runnable and its input. */
type RunIds = [runId: string, parentRunId?: string | undefined];
type TagsAndMetadata = [tags?: string[] | undefined, metadata?: Metadata | undefined];

/** `handleLLMStart` / `handleChatModelStart` arguments (`input`: prompts or message lists). */
export type InferenceStartArgs<Input> = [
  llm: Serialized,
  input: Input,
  ...RunIds,
  extraParams?: Metadata | undefined,
  ...TagsAndMetadata,
  runName?: string | undefined,
];

/** `handleChainStart` arguments in LangChain's runtime order (not the order its typings declare). */
export type ChainStartArgs = [
  chain: Serialized,
  inputs: ChainValues,
  ...RunIds,
  ...TagsAndMetadata,
  runType?: string | undefined,
  runName?: string | undefined,
  extra?: Metadata | undefined,
];

/** `handleToolStart` arguments (`input`: the JSON string; the tracer hook gets the value itself). */
export type ToolStartArgs<Input> = [
  tool: Serialized,
  input: Input,
  ...RunIds,
  ...TagsAndMetadata,
  runName?: string | undefined,
  toolCallId?: string | undefined,
];

/** `handleRetrieverStart` arguments. */
export type RetrieverStartArgs = [retriever: Serialized, query: string, ...RunIds, ...TagsAndMetadata, runName?: string | undefined];

/** A chat-model or LLM run: `operation`, its `langchain.run.type`, and how its input becomes messages. */
function inference<Input>(
  callback: string,
  operation: string,
  runType: string,
  messages: (input: Input, parts: PartOptions) => { input: unknown; system: unknown },
): StartKind<InferenceStartArgs<Input>> {
  return {
    callback,
    read: ([serialized, input, runId, parentRunId, extraParams, tags, metadata, runName]) => ({
      serialized,
      input,
      runId,
      parentRunId,
      extraParams,
      tags,
      metadata,
      runName,
    }),
    spanKind: SpanKind.CLIENT,
    describe: (call, parent, n, known) => {
      const request = inferenceRequest(n, operation, call.serialized, call.extraParams, known);
      const metricAttributes: Attributes = { [n.operationName]: operation, [n.providerName]: request.provider };
      if (request.model !== undefined) metricAttributes[n.requestModel] = request.model;
      return {
        kind: 'inference',
        spanName: request.model !== undefined ? `${operation} ${request.model}` : operation,
        runType,
        runName: call.runName ?? serializedClassName(call.serialized) ?? operation,
        attributes: request.attributes,
        agentName: parent?.agentName,
        inference: { metricAttributes, providerKnown: request.providerKnown },
      };
    },
    content: (scope, _record, span, call) => {
      const n = scope.names;
      const { input, system } = messages(call.input as Input, scope.parts);
      scope.content.recordValue(span, call.runId, n.systemInstructions, system);
      scope.content.recordValue(span, call.runId, n.inputMessages, input);
      scope.content.recordValue(span, call.runId, n.toolDefinitions, toolDefinitions(call.extraParams));
    },
    bridge: 'model',
  };
}

const chain: StartKind<ChainStartArgs> = {
  callback: 'handleChainStart',
  read: ([serialized, input, runId, parentRunId, tags, metadata, runType, runName, extra]) => ({
    serialized,
    input,
    runId,
    parentRunId,
    tags,
    metadata,
    runName,
    runType,
    extra,
  }),
  spanKind: SpanKind.INTERNAL,
  describe: (call, parent, n, known) => {
    const name = call.runName ?? serializedClassName(call.serialized) ?? 'chain';
    const lcAgentName = RUN_METADATA.string(known, 'agentName');
    const chainClass = classifyChain(call.serialized, name, lcAgentName, parent !== undefined, parent?.agentName);
    const attributes: Attributes = {};
    let spanName = name;
    let kind: RunKind = 'chain';
    let agentName = lcAgentName ?? parent?.agentName;
    if (chainClass.kind === 'agent') {
      kind = 'agent';
      attributes[n.operationName] = GenAIOperation.INVOKE_AGENT;
      spanName = chainClass.name !== undefined ? `${GenAIOperation.INVOKE_AGENT} ${chainClass.name}` : GenAIOperation.INVOKE_AGENT;
      if (chainClass.name !== undefined) attributes[n.agentName] = chainClass.name;
      agentName = chainClass.name ?? agentName;
    } else if (chainClass.kind === 'workflow') {
      kind = 'workflow';
      attributes[n.operationName] = GenAIOperation.INVOKE_WORKFLOW;
      attributes[n.workflowName] = chainClass.name;
      spanName = `${GenAIOperation.INVOKE_WORKFLOW} ${chainClass.name}`;
    }
    return { kind, spanName, runType: call.runType ?? 'chain', runName: name, attributes, agentName };
  },
  content: (scope, record, span, call) => {
    if (asRecord(call.extra)?.['lc_defers_inputs'] !== true) recordChainValues(scope, record, span, call.runId, call.input, 'input');
  },
  bridge: undefined,
};

const tool: StartKind<ToolStartArgs<unknown>> = {
  callback: 'handleToolStart',
  read: ([serialized, input, runId, parentRunId, tags, metadata, runName, toolCallId]) => ({
    serialized,
    input,
    runId,
    parentRunId,
    tags,
    metadata,
    runName,
    toolCallId,
  }),
  spanKind: SpanKind.INTERNAL,
  describe: (call, parent, n) => {
    const name = call.runName ?? serializedClassName(call.serialized) ?? 'tool';
    const attributes: Attributes = {
      [n.operationName]: GenAIOperation.EXECUTE_TOOL,
      [n.toolName]: name,
      [n.toolType]: GenAIToolType.FUNCTION,
    };
    if (call.toolCallId !== undefined) attributes[n.toolCallId] = call.toolCallId;
    return { kind: 'tool', spanName: `${GenAIOperation.EXECUTE_TOOL} ${name}`, runType: 'tool', runName: name, attributes, agentName: parent?.agentName };
  },
  content: (scope, _record, span, call) => {
    const input = typeof call.input === 'string' ? toolResponseValue(call.input) : call.input;
    scope.content.recordValue(span, call.runId, scope.names.toolCallArguments, input);
  },
  bridge: 'call',
};

const retriever: StartKind<RetrieverStartArgs> = {
  callback: 'handleRetrieverStart',
  read: ([serialized, input, runId, parentRunId, tags, metadata, runName]) => ({ serialized, input, runId, parentRunId, tags, metadata, runName }),
  spanKind: SpanKind.CLIENT,
  describe: (call, parent, n) => {
    const name = call.runName ?? serializedClassName(call.serialized) ?? 'retriever';
    const attributes: Attributes = { [n.operationName]: GenAIOperation.RETRIEVAL, [n.dataSourceId]: name };
    return {
      kind: 'retrieval',
      spanName: `${GenAIOperation.RETRIEVAL} ${name}`,
      runType: 'retriever',
      runName: name,
      attributes,
      agentName: parent?.agentName,
    };
  },
  content: (scope, _record, span, call) => {
    scope.content.recordValue(span, call.runId, scope.names.retrievalQueryText, call.input, 'text');
  },
  bridge: 'call',
};

/** The kinds of LangChain runs, by start callback. */
export const START_KINDS = {
  llm: inference<string[]>('handleLLMStart', GenAIOperation.TEXT_COMPLETION, 'llm', (prompts) => ({
    input: promptInput(prompts[0] ?? ''),
    system: undefined,
  })),
  chatModel: inference<BaseMessage[][]>('handleChatModelStart', GenAIOperation.CHAT, 'chat_model', (messages, parts) => chatInput(messages[0] ?? [], parts)),
  chain,
  tool,
  retriever,
} as const;
