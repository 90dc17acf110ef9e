/**
 * The span side of the handler: starts, updates and ends one span per LangChain run, keeps the
 * bounded run map, applies the content rules and records the GenAI metrics. It is driven by
 * `GenAICallbackHandler` (the LangChain-facing shell, which guards every call); its methods may
 * throw on hostile input, the shell catches.
 */
import type { DocumentInterface } from '@langchain/core/documents';
import type { LLMResult } from '@langchain/core/outputs';
import type { ChainValues } from '@langchain/core/utils/types';
import { SpanStatusCode, context } from '@opentelemetry/api';
import type { Attributes, Context, Span, Tracer } from '@opentelemetry/api';
import type { SemconvNames } from '../semconv/profile.js';
import type { RetrievalDocument } from '../semconv/parts.js';
import * as la from './attributes.js';
import { recordChainValues } from './chain-values.js';
import type { RunScope } from './chain-values.js';
import type { ContentFormat, ContentPolicy } from './content.js';
import { registerRun, unregisterRun } from './context-bridge.js';
import { bubbleUpName, errorMessage, errorType, quotesModelOutput } from './errors.js';
import { outputMessages, toolResponseValue } from './messages.js';
import type { PartOptions } from './messages.js';
import { limitedLog } from './log.js';
import { RUN_METADATA, addTagsAndMetadata, conversationIdOf } from './metadata.js';
import type { RunMetadata } from './metadata.js';
import type { GenAIMetrics } from './metrics.js';
import { providerFromLsProvider } from './provider.js';
import { asNumber, asRecord, asString, firstString } from './read.js';
import type { UnknownRecord } from './read.js';
import { inferenceResponse } from './response.js';
import { childContext } from './runs.js';
import type { RunRegistry, ExpiryReason, RunKind, RunRecord } from './runs.js';
import type { StartCall, StartKind } from './starts.js';
import { isTracingSuppressed } from './suppression.js';
import { addUsage, setUsageAttributes, usageFromMetadata } from './usage.js';

const HIDDEN_TAG = 'langsmith:hidden';
const MAX_STATUS_MESSAGE = 1024;

/** What the recorder needs; built by the handler from its resolved options. */
export interface RecorderParts {
  readonly tracer: Tracer;
  readonly names: SemconvNames;
  readonly content: ContentPolicy;
  readonly parts: PartOptions;
  readonly metrics: GenAIMetrics;
  readonly runs: RunRegistry;
  readonly includeHidden: boolean;
  readonly chainSteps: boolean;
  /** Whether this handler's model / tool / retriever spans are made active around the real call (`bridgeContext`). */
  readonly bridgeContext: boolean;
  /** Runs a deferred piece of work (stream cancellation) under the handler's guard. */
  readonly guard: (fn: () => void) => void;
}

/** One span per LangChain run; see the module comment. */
export class RunRecorder {
  private readonly _tracer: Tracer;
  private readonly _names: SemconvNames;
  private readonly _content: ContentPolicy;
  private readonly _parts: PartOptions;
  private readonly _metrics: GenAIMetrics;
  private readonly _runs: RunRegistry;
  private readonly _includeHidden: boolean;
  private readonly _guard: (fn: () => void) => void;
  private readonly _scope: RunScope;
  private readonly _bridgeContext: boolean;

  constructor(parts: RecorderParts) {
    this._tracer = parts.tracer;
    this._names = parts.names;
    this._content = parts.content;
    this._parts = parts.parts;
    this._metrics = parts.metrics;
    this._runs = parts.runs;
    this._includeHidden = parts.includeHidden;
    this._guard = parts.guard;
    this._bridgeContext = parts.bridgeContext;
    this._scope = { names: parts.names, content: parts.content, parts: parts.parts, chainSteps: parts.chainSteps };
  }

  // ---- starts ----------------------------------------------------------------------------------

  /** Registers a run without a span (hidden, or tracing suppressed): its children attach to its parent. */
  private _skip(runId: string, parent: RunRecord | undefined, ctx: Context): void {
    this._runs.add({
      runId,
      span: undefined,
      parentCtx: ctx,
      parent,
      kind: 'skipped',
      startedAt: performance.now(),
      expiresAt: performance.now() + this._runs.ttlMs,
      openChildren: 0,
      agentName: parent?.agentName,
      agent: parent?.agent,
    });
  }

  private _register(
    runId: string,
    span: Span,
    parentCtx: Context,
    parent: RunRecord | undefined,
    kind: RunKind,
    agentName: string | undefined,
    startedAt: number,
  ): RunRecord {
    const record: RunRecord = {
      runId,
      span,
      parentCtx,
      parent,
      kind,
      startedAt,
      expiresAt: startedAt + this._runs.ttlMs,
      openChildren: 0,
      agentName,
      agent: parent?.agent,
    };
    if (kind === 'agent') {
      record.agent = record;
      record.totals = { usage: {} };
    }
    this._runs.add(record);
    return record;
  }

  private _commonAttributes(
    attributes: Attributes,
    runId: string,
    runType: string,
    name: string,
    tags: string[] | undefined,
    metadata: UnknownRecord | undefined,
    known: RunMetadata,
  ): void {
    attributes[la.ATTR_LANGCHAIN_RUN_ID] = runId;
    attributes[la.ATTR_LANGCHAIN_RUN_TYPE] = runType;
    attributes[la.ATTR_LANGCHAIN_RUN_NAME] = name;
    const conversationId = conversationIdOf(known);
    if (conversationId !== undefined) attributes[this._names.conversationId] = conversationId;
    addTagsAndMetadata(attributes, tags, metadata);
  }

  /** Starts the span of a new run of `kind` (see `starts.ts`). */
  start<Args extends unknown[]>(kind: StartKind<Args>, call: StartCall): void {
    // The parent is the run of `parentRunId` when it is ours, else the caller's active context.
    const parent = call.parentRunId !== undefined ? this._runs.get(call.parentRunId) : undefined;
    const ctx = parent !== undefined ? childContext(parent) : context.active();
    if (isTracingSuppressed(ctx) || (!this._includeHidden && call.tags?.includes(HIDDEN_TAG) === true)) {
      this._skip(call.runId, parent, ctx);
      return;
    }
    const known = RUN_METADATA.read(call.metadata);
    const run = kind.describe(call, parent, this._names, known);
    this._commonAttributes(run.attributes, call.runId, run.runType, run.runName, call.tags, call.metadata, known);
    const startedAt = performance.now();
    const span = this._tracer.startSpan(run.spanName, { kind: kind.spanKind, attributes: run.attributes }, ctx);
    const record = this._register(call.runId, span, ctx, parent, run.kind, run.agentName, startedAt);
    if (run.inference !== undefined) record.inference = run.inference;
    if (this._content.active) kind.content?.(this._scope, record, span, call);
    if (kind.bridge !== undefined && this._bridgeContext) {
      if (kind.bridge === 'model') record.onCancel = this._cancel;
      registerRun(call.runId, record);
    }
  }

  /** Ends a model run whose stream its consumer abandoned (called by the context bridge). */
  private readonly _cancel = (runId: string, reason: unknown): void => {
    this._guard(() => {
      this.failInference(runId, reason ?? cancelledError());
    });
  };

  // ---- progress and ends -----------------------------------------------------------------------

  /** A streamed chunk (or usage snapshot) of an inference run: time to first chunk, per-chunk time, usage. */
  chunk(runId: string, usage: ReturnType<typeof usageFromMetadata>, isContent: boolean, isSnapshot = false): void {
    const record = this._runs.get(runId);
    const state = record?.inference;
    if (record?.span === undefined || state === undefined) return;
    const now = performance.now();
    record.expiresAt = now + this._runs.ttlMs;
    if (usage !== undefined) state.chunkUsage = isSnapshot ? { ...usage } : addUsage(state.chunkUsage ?? {}, usage);
    if (!isContent) return;
    if (state.firstChunkAt === undefined) {
      state.firstChunkAt = now;
      const seconds = (now - record.startedAt) / 1000;
      record.span.setAttribute(this._names.responseTimeToFirstChunk, seconds);
      record.span.setAttribute(this._names.requestStream, true);
      if (this._metrics.enabled) this._metrics.recordTimeToFirstChunk(seconds, state.metricAttributes);
    } else if (state.lastChunkAt !== undefined && this._metrics.enabled) {
      this._metrics.recordTimePerOutputChunk((now - state.lastChunkAt) / 1000, state.metricAttributes);
    }
    state.lastChunkAt = now;
  }

  /** Takes a run that has a span (skipped runs are only removed). */
  private _takeSpan(runId: string): (RunRecord & { span: Span }) | undefined {
    const record = this._runs.take(runId);
    unregisterRun(runId);
    return record?.span !== undefined ? (record as RunRecord & { span: Span }) : undefined;
  }

  endInference(runId: string, output: LLMResult, cached: boolean): void {
    const record = this._takeSpan(runId);
    const state = record?.inference;
    if (record === undefined || state === undefined) return;
    const n = this._names;
    const { span } = record;
    const response = inferenceResponse(n, output, state.chunkUsage);
    span.setAttributes(response.attributes);
    let provider = state.metricAttributes[n.providerName];
    if (!state.providerKnown && response.modelProvider !== undefined) {
      provider = providerFromLsProvider(response.modelProvider);
      span.setAttribute(n.providerName, provider);
    }
    if (cached) span.setAttribute(la.ATTR_LANGCHAIN_CACHED, true);
    if (this._content.active) this._content.recordValue(span, runId, n.outputMessages, outputMessages(response.choices, this._parts));
    if (this._metrics.enabled) {
      const metricAttributes: Attributes = { ...state.metricAttributes, [n.providerName]: provider };
      if (response.responseModel !== undefined) metricAttributes[n.responseModel] = response.responseModel;
      this._metrics.recordOperation((performance.now() - record.startedAt) / 1000, metricAttributes, response.usage);
    }
    const totals = record.agent?.totals;
    if (totals !== undefined) {
      if (response.usage !== undefined) addUsage(totals.usage, response.usage);
      if (typeof provider === 'string') totals.provider ??= provider;
      const model = state.metricAttributes[n.requestModel] ?? response.responseModel;
      if (typeof model === 'string') totals.model ??= model;
    }
    span.end();
  }

  failInference(runId: string, error: unknown): void {
    const record = this._takeSpan(runId);
    const state = record?.inference;
    if (record === undefined || state === undefined) return;
    const type = this._fail(record.span, error);
    if (!this._metrics.enabled) return;
    const metricAttributes: Attributes = { ...state.metricAttributes };
    if (type !== undefined) metricAttributes[this._names.errorType] = type;
    this._metrics.recordOperation((performance.now() - record.startedAt) / 1000, metricAttributes, undefined);
  }

  endChain(runId: string, outputs: ChainValues | undefined, deferredInputs: UnknownRecord | undefined, error: unknown, failed: boolean): void {
    const record = this._takeSpan(runId);
    if (record === undefined) return;
    const { span } = record;
    if (deferredInputs !== undefined) recordChainValues(this._scope, record, span, runId, deferredInputs, 'input');
    if (outputs !== undefined) recordChainValues(this._scope, record, span, runId, outputs, 'output');
    const totals = record.totals;
    if (totals !== undefined) {
      const n = this._names;
      const attributes: Attributes = {};
      if (totals.provider !== undefined) attributes[n.providerName] = totals.provider;
      if (totals.model !== undefined) attributes[n.requestModel] = totals.model;
      setUsageAttributes(attributes, n, totals.usage);
      span.setAttributes(attributes);
      // A nested agent's model calls also count for the agent around it.
      const outer = record.parent?.agent?.totals;
      if (outer !== undefined) {
        addUsage(outer.usage, totals.usage);
        if (totals.provider !== undefined) outer.provider ??= totals.provider;
        if (totals.model !== undefined) outer.model ??= totals.model;
      }
    }
    if (failed) this._fail(span, error);
    else span.end();
  }

  /**
   * Ends `span` for `error`; LangGraph control flow is not an error. With capture off, the message of
   * an output parser failure (which quotes the model output) is withheld. Returns the `error.type` set.
   */
  private _fail(span: Span, error: unknown): string | undefined {
    const bubbleUp = bubbleUpName(error);
    if (bubbleUp !== undefined) {
      span.setAttribute(la.ATTR_LANGCHAIN_BUBBLE_UP, bubbleUp);
      span.end();
      return undefined;
    }
    const type = errorType(error);
    span.setAttribute(this._names.errorType, type);
    if (!this._content.capture && quotesModelOutput(error)) {
      // The parser's message (and the stack, which repeats it) quotes the model output: content.
      const withheld = `${type}: the message is withheld, it quotes the model output (content capture is off)`;
      span.recordException({ name: type, message: withheld });
      span.setStatus({ code: SpanStatusCode.ERROR, message: withheld });
      span.end();
      return type;
    }
    const message = errorMessage(error).slice(0, MAX_STATUS_MESSAGE);
    span.recordException(error instanceof Error ? error : { name: type, message });
    span.setStatus({ code: SpanStatusCode.ERROR, message });
    span.end();
    return type;
  }

  /** A run the registry gave up on (timeout or full map). */
  expire(record: RunRecord, reason: ExpiryReason): void {
    unregisterRun(record.runId);
    const span = record.span;
    if (span === undefined) return;
    const type = reason === 'timeout' ? la.ERROR_TYPE_RUN_TIMEOUT : la.ERROR_TYPE_RUN_EVICTED;
    const message =
      reason === 'timeout'
        ? `LangChain run did not finish within ${String(this._runs.ttlMs)} ms`
        : 'LangChain run ended early: too many open runs (maxOpenRuns)';
    span.setAttribute(this._names.errorType, type);
    span.setStatus({ code: SpanStatusCode.ERROR, message });
    span.end();
    if (record.inference !== undefined && this._metrics.enabled) {
      this._metrics.recordOperation(
        (performance.now() - record.startedAt) / 1000,
        {
          ...record.inference.metricAttributes,
          [this._names.errorType]: type,
        },
        undefined,
      );
    }
    limitedLog.warn(message, `run ${record.runId}`);
  }

  // ---- tools, retrievers, events ---------------------------------------------------------------

  endTool(runId: string, output: unknown): void {
    const record = this._takeSpan(runId);
    if (record === undefined) return;
    this._content.record(record.span, runId, this._names.toolCallResult, () => toolResultValue(output));
    record.span.end();
  }

  endRetriever(runId: string, documents: readonly DocumentInterface[]): void {
    const record = this._takeSpan(runId);
    if (record === undefined) return;
    this._content.record(record.span, runId, this._names.retrievalDocuments, () => retrievalDocuments(documents));
    record.span.end();
  }

  /** Ends a tool or retriever run for `error`. */
  failRun(runId: string, error: unknown): void {
    const record = this._takeSpan(runId);
    if (record !== undefined) this._fail(record.span, error);
  }

  /** A chat-model stream event (`content-block-delta` counts as a chunk, `usage` is a usage snapshot). */
  streamEvent(runId: string, event: unknown): void {
    const record = asRecord(event);
    const kind = asString(record?.['event']);
    if (kind === 'content-block-delta') this.chunk(runId, undefined, true);
    else if (kind === 'usage') this.chunk(runId, usageFromMetadata(record?.['usage']), false, true);
  }

  /**
   * Adds event `name` to the span of `runId`: `fixed` attributes always, each of `content` (built
   * lazily) only as the content rules allow.
   */
  event(runId: string, name: string, fixed: Attributes, content: Record<string, readonly [() => unknown, ContentFormat]>): void {
    const span = this._runs.get(runId)?.span;
    if (span === undefined) return;
    const attributes: Attributes = { ...fixed };
    for (const [key, [build, format]] of Object.entries(content)) {
      const value = this._content.value(span, runId, key, build, format);
      if (value !== undefined) attributes[key] = value;
    }
    span.addEvent(name, attributes);
  }
}

function cancelledError(): Error {
  const error = new Error('stream closed by its consumer before the end');
  error.name = la.ERROR_TYPE_STREAM_CANCELLED;
  return error;
}

function toolResultValue(output: unknown): unknown {
  const record = asRecord(output);
  if (record !== undefined && 'content' in record && ('tool_call_id' in record || record['type'] === 'tool')) {
    return toolResponseValue(record['content']);
  }
  return typeof output === 'string' ? toolResponseValue(output) : output;
}

const SCORE_KEYS = ['score', '_score', 'relevance_score', 'relevanceScore', 'similarity', 'similarity_score'];

function retrievalDocuments(documents: readonly DocumentInterface[]): RetrievalDocument[] {
  return documents.map((document, index) => {
    const metadata = asRecord(document.metadata);
    const id = asString(document.id) ?? firstString(metadata, 'id', 'source') ?? String(index);
    const out: RetrievalDocument = { id };
    for (const key of SCORE_KEYS) {
      const score = asNumber(metadata?.[key]);
      if (score !== undefined) {
        out.score = score;
        break;
      }
    }
    out.content = document.pageContent;
    return out;
  });
}
