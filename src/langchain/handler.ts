/**
 * `GenAICallbackHandler`: records every LangChain.js run as an OpenTelemetry span with the GenAI
 * semantic conventions (v1.41.1), plus the GenAI client metrics.
 *
 * How the span tree stays right under concurrency: LangChain's `CallbackManager` calls the
 * synchronous `_createRunFor*Start` hooks of tracers (anything with `_addRunToRunMap`) in the
 * caller's own tick, before it queues the asynchronous `handle*Start` callbacks on its process-wide
 * background queue. The handler starts spans in those hooks: the parent is the span of
 * `parentRunId`, and a root run's parent is `context.active()` of the caller — captured before the
 * queue can mix requests up. Only when a LangChain version does not call the hooks does the
 * handler fall back to starting spans in `handle*Start`; once it has seen a hook, it hides those
 * callbacks from LangChain (its queued calls then find nothing to call, so it no longer serialises
 * tool inputs for them). Each kind of run — LLM, chat model, chain, tool, retriever — is one entry of
 * `START_KINDS` (starts.ts), and every start goes through one path (`_start`, `RunRecorder.start`).
 *
 * Every callback is wrapped: an error inside the handler is counted and logged (rate-limited,
 * through the `langchain` component logger), never thrown into LangChain, so the chain and every
 * other handler carry on.
 */
import { BaseCallbackHandler } from '@langchain/core/callbacks/base';
import type { HandleLLMNewTokenCallbackFields } from '@langchain/core/callbacks/base';
import type { AgentAction, AgentFinish } from '@langchain/core/agents';
import type { DocumentInterface } from '@langchain/core/documents';
import type { BaseMessage } from '@langchain/core/messages';
import type { LLMResult } from '@langchain/core/outputs';
import type { ChainValues } from '@langchain/core/utils/types';
import { type Span, trace } from '@opentelemetry/api';
import { semconvNames } from '../semconv/profile.js';
import type { SemconvNames } from '../semconv/profile.js';
import { VERSION } from '../version.js';
import * as la from './attributes.js';
import { ContentPolicy } from './content.js';
import { installContextBridge } from './context-bridge.js';
import type { PartOptions } from './messages.js';
import { GenAIMetrics, INSTRUMENTATION_SCOPE } from './metrics.js';
import { resolveOptions } from './options.js';
import type { GenAICallbackHandlerOptions } from './options.js';
import { asRecord } from './read.js';
import { errorDetail, limitedLog } from './log.js';
import { RunRecorder } from './recorder.js';
import { RunRegistry } from './runs.js';
import { START_KINDS } from './starts.js';
import type { ChainStartArgs, InferenceStartArgs, RetrieverStartArgs, StartKind, ToolStartArgs } from './starts.js';
import { usageFromMetadata } from './usage.js';

/** LangChain's start callbacks: the handler's fallback when LangChain does not call the hooks. */
const START_CALLBACKS: readonly string[] = Object.values(START_KINDS).map((kind) => kind.callback);

/** Counters of what the handler had to drop or repair (for monitoring and tests). */
export interface GenAICallbackHandlerStats {
  /** Runs currently open (spans started, not ended). */
  readonly openRuns: number;
  /** Runs ended because they did not finish within `runTimeoutMs`. */
  readonly timedOutRuns: number;
  /** Runs ended early because `maxOpenRuns` runs were open. */
  readonly evictedRuns: number;
  /** Callbacks that failed inside the handler (logged through `diag`, never thrown). */
  readonly callbackErrors: number;
  /** Content values dropped because the content hook threw. */
  readonly contentHookFailures: number;
}

/** The LangChain callback handler that emits GenAI spans and metrics. See the module comment. */
export class GenAICallbackHandler extends BaseCallbackHandler {
  override name = 'aim_otel_bridge_genai';

  private readonly _names: SemconvNames;
  private readonly _content: ContentPolicy;
  private readonly _parts: PartOptions;
  private readonly _runs: RunRegistry;
  private readonly _recorder: RunRecorder;
  private _syncHooksSeen = false;
  private _callbackErrors = 0;

  constructor(options: GenAICallbackHandlerOptions = {}) {
    const resolved = resolveOptions(options);
    super(resolved.callbackInput);
    this._names = semconvNames(resolved.semconv);
    this._content = new ContentPolicy(resolved.captureMessageContent, resolved.maxContentLength, resolved.contentHook);
    this._parts = { captureBinary: resolved.captureBinaryContent };
    this._runs = new RunRegistry(resolved.maxOpenRuns, resolved.runTimeoutMs, (record, reason) => {
      this._guard('expire', () => {
        this._recorder.expire(record, reason);
      });
    });
    this._recorder = new RunRecorder({
      tracer: (resolved.tracerProvider ?? trace.getTracerProvider()).getTracer(INSTRUMENTATION_SCOPE, VERSION),
      names: this._names,
      content: this._content,
      parts: this._parts,
      metrics: new GenAIMetrics(resolved.meterProvider, this._names, VERSION),
      runs: this._runs,
      includeHidden: resolved.includeHiddenRuns,
      chainSteps: resolved.captureChainSteps,
      bridgeContext: resolved.bridgeContext,
      guard: (fn) => {
        this._guard('streamCancelled', fn);
      },
    });
    if (resolved.bridgeContext) installContextBridge();
  }

  /** The handler keeps no per-manager state: LangChain may share one instance everywhere. */
  override copy(): this {
    return this;
  }

  /** Counters; `openRuns` is 0 once every run has ended. */
  get stats(): GenAICallbackHandlerStats {
    return {
      openRuns: this._runs.size,
      timedOutRuns: this._runs.expired,
      evictedRuns: this._runs.evicted,
      callbackErrors: this._callbackErrors,
      contentHookFailures: this._content.hookFailures,
    };
  }

  /**
   * The span recording `runId` (for a run recorded without a span of its own, such as a hidden
   * one, the span of its nearest recorded ancestor), or undefined once the run has ended.
   */
  protected _spanOf(runId: string): Span | undefined {
    const record = this._runs.get(runId);
    return record === undefined ? undefined : (record.span ?? trace.getSpan(record.parentCtx));
  }

  /** Ends every run past `runTimeoutMs` now (the sweep timer does this on its own). */
  sweepExpiredRuns(): number {
    return this._runs.sweep();
  }

  // ---- starts: LangChain's synchronous tracer hooks, and its callbacks as the fallback ------------
  // Each kind of run is an entry of START_KINDS (starts.ts); the two methods per kind only name the
  // entry points LangChain calls (by name, so they cannot be generated without losing their types).

  /** Marks this handler as a tracer for LangChain's `isBaseTracer` check; the run map is ours. */
  _addRunToRunMap(): void {
    // intentionally empty: see the class comment
  }

  /** @internal LangChain's synchronous tracer hook for an LLM run. */
  _createRunForLLMStart(...args: InferenceStartArgs<string[]>): void {
    this._start(START_KINDS.llm, args, true);
  }

  override handleLLMStart(...args: InferenceStartArgs<string[]>): void {
    this._start(START_KINDS.llm, args, false);
  }

  /** @internal LangChain's synchronous tracer hook for a chat-model run. */
  _createRunForChatModelStart(...args: InferenceStartArgs<BaseMessage[][]>): void {
    this._start(START_KINDS.chatModel, args, true);
  }

  override handleChatModelStart(...args: InferenceStartArgs<BaseMessage[][]>): void {
    this._start(START_KINDS.chatModel, args, false);
  }

  /** @internal LangChain's synchronous tracer hook for a chain run. */
  _createRunForChainStart(...args: ChainStartArgs): void {
    this._start(START_KINDS.chain, args, true);
  }

  /** Note: LangChain calls this with `(…, runId, parentRunId, tags, metadata, runType, runName, extra)`, not the typed order. */
  override handleChainStart(...args: ChainStartArgs): void {
    this._start(START_KINDS.chain, args, false);
  }

  /** @internal LangChain's synchronous tracer hook for a tool run (`input` is the value, not its JSON). */
  _createRunForToolStart(...args: ToolStartArgs<unknown>): void {
    this._start(START_KINDS.tool, args, true);
  }

  override handleToolStart(...args: ToolStartArgs<string>): void {
    this._start(START_KINDS.tool, args, false);
  }

  /** @internal LangChain's synchronous tracer hook for a retriever run. */
  _createRunForRetrieverStart(...args: RetrieverStartArgs): void {
    this._start(START_KINDS.retriever, args, true);
  }

  override handleRetrieverStart(...args: RetrieverStartArgs): void {
    this._start(START_KINDS.retriever, args, false);
  }

  /**
   * Starts a run's span: from LangChain's synchronous hook (`fromHook`) in the caller's tick, or from
   * its queued `handle*Start` callback when this LangChain version does not call the hooks.
   */
  private _start<Args extends unknown[]>(kind: StartKind<Args>, args: Args, fromHook: boolean): void {
    if (fromHook) {
      if (!this._syncHooksSeen) this._hideStartCallbacks();
      this._syncHooksSeen = true;
    } else if (this._syncHooksSeen) return;
    this._guard(kind.callback, () => {
      this._recorder.start(kind, kind.read(args));
    });
  }

  /**
   * Once LangChain calls the synchronous hooks, its queued `handle*Start` calls would only return:
   * hiding them (an own `undefined` property per instance) spares LangChain what it does for them
   * — for a tool, `JSON.stringify` of its input, which for a message is LangChain's whole
   * serialisation. Not when a subclass overrides one of them: it wants the calls.
   */
  private _hideStartCallbacks(): void {
    const self = this as unknown as Record<string, unknown>;
    const own = GenAICallbackHandler.prototype as unknown as Record<string, unknown>;
    if (START_CALLBACKS.some((name) => self[name] !== own[name])) return;
    for (const name of START_CALLBACKS) Object.defineProperty(this, name, { value: undefined, writable: true, configurable: true });
  }

  // ---- LangChain callbacks (runtime argument order) ---------------------------------------------

  override handleLLMNewToken(
    _token: string,
    _idx: unknown,
    runId: string,
    _parentRunId?: string,
    _tags?: string[],
    fields?: HandleLLMNewTokenCallbackFields,
  ): void {
    this._guard('handleLLMNewToken', () => {
      const usage = usageFromMetadata(asRecord(asRecord(fields?.chunk)?.['message'])?.['usage_metadata']);
      this._recorder.chunk(runId, usage, true);
    });
  }

  override handleChatModelStreamEvent(event: unknown, runId: string): void {
    this._guard('handleChatModelStreamEvent', () => {
      this._recorder.streamEvent(runId, event);
    });
  }

  override handleLLMEnd(output: LLMResult, runId: string, _parentRunId?: string, _tags?: string[], extraParams?: Record<string, unknown>): void {
    this._guard('handleLLMEnd', () => {
      this._recorder.endInference(runId, output, extraParams?.['cached'] === true);
    });
  }

  override handleLLMError(error: unknown, runId: string): void {
    this._guard('handleLLMError', () => {
      this._recorder.failInference(runId, error);
    });
  }

  override handleChainEnd(outputs: ChainValues, runId: string, _parentRunId?: string, _tags?: string[], kwargs?: { inputs?: Record<string, unknown> }): void {
    this._guard('handleChainEnd', () => {
      this._recorder.endChain(runId, outputs, kwargs?.inputs, undefined, false);
    });
  }

  override handleChainError(error: unknown, runId: string, _parentRunId?: string, _tags?: string[], kwargs?: { inputs?: Record<string, unknown> }): void {
    this._guard('handleChainError', () => {
      this._recorder.endChain(runId, undefined, kwargs?.inputs, error, true);
    });
  }

  override handleToolEnd(output: unknown, runId: string): void {
    this._guard('handleToolEnd', () => {
      this._recorder.endTool(runId, output);
    });
  }

  override handleToolError(error: unknown, runId: string): void {
    this._guard('handleToolError', () => {
      this._recorder.failRun(runId, error);
    });
  }

  override handleToolEvent(chunk: unknown, runId: string): void {
    this._guard('handleToolEvent', () => {
      this._recorder.event(runId, la.EVENT_LANGCHAIN_TOOL_CHUNK, {}, { chunk: [() => chunk, 'json'] });
    });
  }

  override handleRetrieverEnd(documents: DocumentInterface[], runId: string): void {
    this._guard('handleRetrieverEnd', () => {
      this._recorder.endRetriever(runId, documents);
    });
  }

  override handleRetrieverError(error: unknown, runId: string): void {
    this._guard('handleRetrieverError', () => {
      this._recorder.failRun(runId, error);
    });
  }

  override handleAgentAction(action: AgentAction, runId: string): void {
    this._guard('handleAgentAction', () => {
      this._recorder.event(
        runId,
        la.EVENT_LANGCHAIN_AGENT_ACTION,
        { [this._names.toolName]: action.tool },
        {
          tool_input: [() => action.toolInput, 'json'],
          log: [() => action.log, 'text'],
        },
      );
    });
  }

  override handleAgentEnd(action: AgentFinish, runId: string): void {
    this._guard('handleAgentEnd', () => {
      this._recorder.event(
        runId,
        la.EVENT_LANGCHAIN_AGENT_FINISH,
        {},
        {
          return_values: [() => action.returnValues, 'json'],
          log: [() => action.log, 'text'],
        },
      );
    });
  }

  override handleText(text: string, runId: string): void {
    this._guard('handleText', () => {
      this._recorder.event(runId, la.EVENT_LANGCHAIN_TEXT, {}, { text: [() => text, 'text'] });
    });
  }

  override handleCustomEvent(eventName: string, data: unknown, runId: string): void {
    this._guard('handleCustomEvent', () => {
      this._recorder.event(runId, la.EVENT_LANGCHAIN_CUSTOM, { name: eventName }, { data: [() => data, 'json'] });
    });
  }

  /** Runs `fn`; any error is counted and logged, never thrown into LangChain. */
  private _guard(callback: string, fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this._callbackErrors += 1;
      limitedLog.error(`${callback} failed; the run's telemetry may be incomplete`, () => errorDetail(error));
    }
  }
}
