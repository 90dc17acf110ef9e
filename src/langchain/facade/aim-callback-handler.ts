/**
 * `AimCallbackHandler`: LangChain Python's `AimCallbackHandler`, for LangChain.js, on top of the
 * spans pipeline. It is a {@link GenAICallbackHandler} (every run becomes a GenAI span) whose spans
 * go to Aim through its own tracer provider and an `AimSpanExporter` in the `explicit` layout: on
 * each callback Python's handler tracks, the handler adds an `aim.track` event with Python's text
 * and context to the run's span, so Aim gets exactly the layout Python's handler writes.
 */
import type { AgentAction, AgentFinish } from '@langchain/core/agents';
import type { HandleLLMNewTokenCallbackFields } from '@langchain/core/callbacks/base';
import type { Serialized } from '@langchain/core/load/serializable';
import type { BaseMessage } from '@langchain/core/messages';
import type { LLMResult } from '@langchain/core/outputs';
import type { ChainValues } from '@langchain/core/utils/types';
import type { Attributes, Tracer } from '@opentelemetry/api';
import { randomUUID } from 'node:crypto';
import { AimUsageError, parseAimUrl } from '../../aim/index.js';
import { componentLogger } from '../../logging/component-logger.js';
import { RateLimitedLog } from '../../logging/rate-limited-log.js';
import { runHash } from '../../exporter/index.js';
import { VERSION } from '../../version.js';
import { GenAICallbackHandler } from '../handler.js';
import { errorDetail } from '../log.js';
import { CallbackMeta, type CallbackContext, type PythonCallback } from './callback-meta.js';
import { FacadePipeline, type Session } from './pipeline.js';
import { agentActionText, agentFinishText, asText, chatPrompts, generationTexts, toolInputText } from './python-texts.js';
import { SystemMetricsSampler } from './system-metrics.js';
import { collectSystemParams } from './system-params.js';

const log = componentLogger('aim-callback-handler');
/** Lines that can repeat per callback or per sample (see src/logging). */
const limitedLog = new RateLimitedLog(log);

/** The `aim server` the handler writes to when no `repo` is given: the one `npm start` runs. */
export const DEFAULT_AIM_REPO = 'aim://127.0.0.1:53800';
/** Environment variable naming the default `repo` (the same one `aim-otel-bridge serve` reads). */
export const ENV_AIM_URL = 'AIM_OTEL_BRIDGE_AIM_URL';
/** Default of {@link AimCallbackHandlerOptions.systemTrackingInterval}, in seconds (Aim's own). */
export const DEFAULT_SYSTEM_TRACKING_INTERVAL = 10;

/** Default of {@link AimCallbackHandlerOptions.retryDeadlineMs}. */
export const DEFAULT_FACADE_RETRY_DEADLINE_MS = 30_000;

/** Options of {@link AimCallbackHandler}: those of LangChain Python's handler, camel-cased. */
export interface AimCallbackHandlerOptions {
  /**
   * The Aim repository, served by `aim server`: `aim://host:port`.
   * @default `AIM_OTEL_BRIDGE_AIM_URL`, else `aim://127.0.0.1:53800` (the local Aim `npm start` runs)
   */
  repo?: string;
  /** The run's experiment. @default none (Aim shows `default`) */
  experimentName?: string;
  /** Seconds between system-metric samples (`__system__*`); `null` turns them off. @default 10 */
  systemTrackingInterval?: number | null;
  /** Write `__system_params` (packages, git info, environment without secrets, executable, arguments). @default true */
  logSystemParams?: boolean;
  /**
   * How long writes are retried while Aim is unreachable before their spans are dropped (counted in
   * {@link AimCallbackHandler.droppedSpans}, logged through `diag`); `flushTracker` waits at most
   * about this long. @default 30000 (ms)
   */
  retryDeadlineMs?: number;
  /** LangChain's ignore flags: no callbacks of that kind are received (nor counted). @default false each */
  ignoreLLM?: boolean;
  ignoreChain?: boolean;
  ignoreAgent?: boolean;
  ignoreRetriever?: boolean;
  ignoreCustomEvent?: boolean;
}

/** Arguments of {@link AimCallbackHandler.flushTracker}; each setting left out keeps its current value. */
export interface FlushTrackerOptions {
  repo?: string;
  experimentName?: string;
  systemTrackingInterval?: number | null;
  logSystemParams?: boolean;
  /** A LangChain object (chain, model, prompt...): its serialised fields become run params. */
  langchainAsset?: unknown;
  /** Close the run and start a new one. @default true */
  reset?: boolean;
  /** Close the run. @default false */
  finish?: boolean;
}

interface Settings {
  repo: string;
  retryDeadlineMs: number;
  experimentName: string | undefined;
  systemTrackingInterval: number | null;
  logSystemParams: boolean;
}

/**
 * Drop-in counterpart of LangChain Python's `AimCallbackHandler`:
 *
 * ```ts
 * const handler = new AimCallbackHandler({ experimentName: 'agents' });
 * await agent.invoke({ input: '...' }, { callbacks: [handler] });
 * await handler.flushTracker({ langchainAsset: agent, reset: false, finish: true });
 * ```
 *
 * The run gets Python's layout: text sequences `on_llm_start` (the prompts, one list per call),
 * `on_llm_end` (the generations), `on_chain_start`/`on_chain_end` (a chain's `input`/`output`
 * value), `on_tool_start`/`on_tool_end`, `on_agent_action` (tool input and log, context `tool`) and
 * `on_agent_finish` (output and log), each with the context `{action, step, starts, ends, errors,
 * text_ctr, chain_starts, chain_ends, llm_starts, llm_ends, llm_streams, tool_starts, tool_ends,
 * agent_ends}`; the LangChain asset's fields as params; `__system__*` metrics and `__system_params`.
 * It never throws into LangChain; call {@link flushTracker} with `finish` (or {@link shutdown}) at
 * the end so everything is written and the connection closed.
 */
export class AimCallbackHandler extends GenAICallbackHandler {
  override name = 'aim_callback_handler';

  private readonly _pipeline: FacadePipeline;
  private readonly _tracer: Tracer;
  private readonly _meta = new CallbackMeta();
  private readonly _sampler = new SystemMetricsSampler();
  private _settings: Settings;
  private _session: Session;
  private _systemTimer: NodeJS.Timeout | undefined;
  private _systemStep = 0;
  private _finished = false;

  /** Throws `AimUsageError` when `repo` is not an `aim://` URL. */
  constructor(options: AimCallbackHandlerOptions = {}) {
    const settings = resolveSettings(options);
    const session = newSession(settings.experimentName);
    const pipeline = new FacadePipeline(settings.repo, session, settings.retryDeadlineMs);
    super({
      tracerProvider: pipeline.provider,
      captureMessageContent: false, // Python's texts travel as aim.track events; the GenAI content attributes would repeat them
      includeHiddenRuns: true, // Python's handler sees every run, LangGraph internals included
      ...pick(options, ['ignoreLLM', 'ignoreChain', 'ignoreAgent', 'ignoreRetriever', 'ignoreCustomEvent']),
    });
    this._settings = settings;
    this._session = session;
    this._pipeline = pipeline;
    this._tracer = pipeline.provider.getTracer('aim-otel-bridge/aim-callback-handler', VERSION);
    this._startSession();
  }

  /** The Aim run hash of the current run (derived from its run key; changes on reset). */
  get runHash(): string {
    return runHash(this._session.runKey);
  }

  /** The `aim server` written to. */
  get repo(): string {
    return this._settings.repo;
  }

  /** Spans (and so points) the exporter had to drop: the queue was full or Aim stayed unreachable. */
  get droppedSpans(): number {
    return this._pipeline.droppedSpans;
  }

  /**
   * Python's `setup(**kwargs)`: sets each entry as a run param (reopening the run if it was
   * finished). Resolves once written.
   */
  async setup(params: Readonly<Record<string, unknown>> = {}): Promise<void> {
    if (this._finished) this._resume();
    if (Object.keys(params).length > 0) this._emitParams(params);
    await this._pipeline.forceFlush();
  }

  /**
   * Python's `flush_tracker`: writes the asset's params, then with `finish` or `reset` closes the
   * run (Aim marks it finished) and the connection; with `reset` (the default) a new run starts,
   * with the given settings replacing the current ones. Resolves once everything is written;
   * rejects with `AimUsageError` (before closing anything) for an invalid new `repo` or interval.
   */
  async flushTracker(options: FlushTrackerOptions = {}): Promise<void> {
    const { langchainAsset, reset = true, finish = false } = options;
    if (langchainAsset !== undefined && langchainAsset !== null) {
      const params = assetParams(langchainAsset);
      if (params !== undefined) this._emitParams(params);
    }
    if (!finish && !reset) {
      await this._pipeline.forceFlush();
      return;
    }
    // The new settings are checked before anything closes (a bad repo throws AimUsageError).
    // Python keeps a setting when the new value is falsy; here, when it is left out.
    const experimentName = options.experimentName ?? this._settings.experimentName;
    const next = reset
      ? resolveSettings({
          repo: options.repo ?? this._settings.repo,
          retryDeadlineMs: this._settings.retryDeadlineMs,
          ...(experimentName !== undefined ? { experimentName } : {}),
          systemTrackingInterval: options.systemTrackingInterval === undefined ? this._settings.systemTrackingInterval : options.systemTrackingInterval,
          logSystemParams: options.logSystemParams ?? this._settings.logSystemParams,
        })
      : undefined;
    this._stopSystemMetrics();
    this._meta.reset();
    if (next === undefined) {
      this._finished = true;
      await this._pipeline.restart();
      return;
    }
    this._settings = next;
    await this._pipeline.restart(next.repo);
    this._session = newSession(next.experimentName);
    this._pipeline.setSession(this._session);
    this._startSession();
  }

  /** Writes everything, closes the run and the connection, stops system tracking. Idempotent. */
  async shutdown(): Promise<void> {
    this._stopSystemMetrics();
    this._finished = true;
    await this._pipeline.shutdown();
  }

  // ---- callbacks: the GenAI span first (super), then Python's counters and text ------------------

  override handleLLMStart(
    llm: Serialized,
    prompts: string[],
    runId: string,
    parentRunId?: string,
    extraParams?: Record<string, unknown>,
    tags?: string[],
    metadata?: Record<string, unknown>,
    runName?: string,
  ): void {
    super.handleLLMStart(llm, prompts, runId, parentRunId, extraParams, tags, metadata, runName);
    this._count(runId, 'on_llm_start', () => [...prompts]);
  }

  override handleChatModelStart(
    llm: Serialized,
    messages: BaseMessage[][],
    runId: string,
    parentRunId?: string,
    extraParams?: Record<string, unknown>,
    tags?: string[],
    metadata?: Record<string, unknown>,
    runName?: string,
  ): void {
    super.handleChatModelStart(llm, messages, runId, parentRunId, extraParams, tags, metadata, runName);
    // Python's handler has no chat-model callback: LangChain calls on_llm_start with buffer strings.
    this._count(runId, 'on_llm_start', () => chatPrompts(messages));
  }

  override handleLLMNewToken(
    token: string,
    idx: unknown,
    runId: string,
    parentRunId?: string,
    tags?: string[],
    fields?: HandleLLMNewTokenCallbackFields,
  ): void {
    this._count(runId, 'on_llm_new_token');
    super.handleLLMNewToken(token, idx, runId, parentRunId, tags, fields);
  }

  override handleLLMEnd(output: LLMResult, runId: string, parentRunId?: string, tags?: string[], extraParams?: Record<string, unknown>): void {
    this._count(runId, 'on_llm_end', () => generationTexts(output));
    super.handleLLMEnd(output, runId, parentRunId, tags, extraParams);
  }

  override handleLLMError(error: unknown, runId: string): void {
    this._count(runId, 'on_llm_error');
    super.handleLLMError(error, runId);
  }

  override handleChainStart(
    chain: Serialized,
    inputs: ChainValues,
    runId: string,
    parentRunId?: string,
    tags?: string[],
    metadata?: Record<string, unknown>,
    runType?: string,
    runName?: string,
    extra?: Record<string, unknown>,
  ): void {
    super.handleChainStart(chain, inputs, runId, parentRunId, tags, metadata, runType, runName, extra);
    // Python tracks inputs["input"]; chains without one get no text (Python's KeyError).
    this._count(runId, 'on_chain_start', fieldText(inputs, 'input'));
  }

  override handleChainEnd(outputs: ChainValues, runId: string, parentRunId?: string, tags?: string[], kwargs?: { inputs?: Record<string, unknown> }): void {
    this._count(runId, 'on_chain_end', fieldText(outputs, 'output'));
    super.handleChainEnd(outputs, runId, parentRunId, tags, kwargs);
  }

  override handleChainError(error: unknown, runId: string, parentRunId?: string, tags?: string[], kwargs?: { inputs?: Record<string, unknown> }): void {
    this._count(runId, 'on_chain_error');
    super.handleChainError(error, runId, parentRunId, tags, kwargs);
  }

  override handleToolStart(
    tool: Serialized,
    input: string,
    runId: string,
    parentRunId?: string,
    tags?: string[],
    metadata?: Record<string, unknown>,
    runName?: string,
    toolCallId?: string,
  ): void {
    super.handleToolStart(tool, input, runId, parentRunId, tags, metadata, runName, toolCallId);
    this._count(runId, 'on_tool_start', () => toolInputText(input));
  }

  override handleToolEnd(output: unknown, runId: string): void {
    this._count(runId, 'on_tool_end', () => asText(output));
    super.handleToolEnd(output, runId);
  }

  override handleToolError(error: unknown, runId: string): void {
    this._count(runId, 'on_tool_error');
    super.handleToolError(error, runId);
  }

  override handleText(text: string, runId: string): void {
    this._count(runId, 'on_text');
    super.handleText(text, runId);
  }

  override handleAgentAction(action: AgentAction, runId: string): void {
    this._count(runId, 'on_agent_action', () => agentActionText(action), { tool: action.tool });
    super.handleAgentAction(action, runId);
  }

  override handleAgentEnd(finish: AgentFinish, runId: string): void {
    this._count(runId, 'on_agent_finish', () => agentFinishText(finish));
    super.handleAgentEnd(finish, runId);
  }

  // ---- internals ----------------------------------------------------------------------------------

  /**
   * Counts a callback as Python's handler does and, when it tracks a text there, adds the
   * `aim.track` event to the run's span (or to a span of its own if the run has none). Never throws.
   */
  private _count(runId: string, callback: PythonCallback, text?: () => string | string[] | undefined, extra: Readonly<Record<string, string>> = {}): void {
    try {
      const context = this._meta.count(callback, extra);
      const value = text?.();
      if (value !== undefined) this._track(runId, callback, context, value);
    } catch (error) {
      limitedLog.error(`${callback} failed; the Aim run may miss this point`, () => errorDetail(error));
    }
  }

  private _track(runId: string, name: string, context: CallbackContext, value: string | string[]): void {
    const attributes: Attributes = {
      'aim.name': name,
      'aim.context': JSON.stringify(context),
      'aim.step': 0, // each context is new (its counters moved), so Python's auto step is always 0
      ...(Array.isArray(value) ? { 'aim.texts': value } : { 'aim.text': value }),
    };
    const span = this._spanOf(runId);
    if (span?.isRecording() === true) {
      span.addEvent('aim.track', attributes);
      return;
    }
    const own = this._tracer.startSpan(`aim ${name}`);
    own.addEvent('aim.track', attributes);
    own.end();
  }

  private _emitParams(params: Readonly<Record<string, unknown>>): void {
    const span = this._tracer.startSpan('aim params', { attributes: { 'aim.params': safeJson(params) } });
    span.end();
  }

  /** A new run: `__system_params` and system metrics as configured. */
  private _startSession(): void {
    this._finished = false;
    this._systemStep = 0;
    try {
      if (this._settings.logSystemParams) this._emitParams({ __system_params: collectSystemParams() });
    } catch (error) {
      log.warn('collecting __system_params failed', error);
    }
    this._startSystemMetrics();
  }

  /** Reopens a finished run (Python's `setup` after `finish`): system metrics continue their steps. */
  private _resume(): void {
    this._finished = false;
    this._startSystemMetrics();
  }

  private _startSystemMetrics(): void {
    const seconds = this._settings.systemTrackingInterval;
    if (seconds === null || this._systemTimer !== undefined) return;
    this._sampleSystemMetrics(); // Aim samples once right away
    this._systemTimer = setInterval(() => {
      this._sampleSystemMetrics();
    }, seconds * 1000);
    this._systemTimer.unref();
  }

  private _stopSystemMetrics(): void {
    clearInterval(this._systemTimer);
    this._systemTimer = undefined;
  }

  private _sampleSystemMetrics(): void {
    try {
      const span = this._tracer.startSpan('aim system metrics');
      const step = this._systemStep++;
      for (const [name, value] of Object.entries(this._sampler.sample())) {
        span.addEvent('aim.track', { 'aim.name': name, 'aim.step': step, 'aim.value': value });
      }
      span.end();
    } catch (error) {
      limitedLog.warn('sampling system metrics failed', () => errorDetail(error));
    }
  }
}

function resolveSettings(options: AimCallbackHandlerOptions): Settings {
  const repo = options.repo ?? process.env[ENV_AIM_URL] ?? DEFAULT_AIM_REPO;
  parseAimUrl(repo); // throws AimUsageError with the expected form
  const interval = options.systemTrackingInterval === undefined ? DEFAULT_SYSTEM_TRACKING_INTERVAL : options.systemTrackingInterval;
  if (interval !== null && !(Number.isFinite(interval) && interval > 0)) {
    throw new AimUsageError(`systemTrackingInterval must be a number of seconds > 0, or null to turn system metrics off (got ${String(interval)})`);
  }
  const retryDeadlineMs = options.retryDeadlineMs ?? DEFAULT_FACADE_RETRY_DEADLINE_MS;
  if (!(Number.isFinite(retryDeadlineMs) && retryDeadlineMs >= 0))
    throw new AimUsageError(`retryDeadlineMs must be a number of ms ≥ 0 (got ${String(retryDeadlineMs)})`);
  return { repo, retryDeadlineMs, experimentName: options.experimentName, systemTrackingInterval: interval, logSystemParams: options.logSystemParams ?? true };
}

function newSession(experiment: string | undefined): Session {
  return { runKey: `aim-callback-handler/${randomUUID()}`, experiment };
}

/** `value[field]` as text, or undefined when there is no such field. */
function fieldText(values: unknown, field: string): () => string | undefined {
  return () => (typeof values === 'object' && values !== null && field in values ? asText((values as Record<string, unknown>)[field]) : undefined);
}

/**
 * The params of a LangChain asset, Python's `asset.dict()`: LangChain.js's counterpart
 * `serialize()` where the class has one (prompts, models, chains: their fields and `_type`), else
 * the fields of its serialised form (`toJSON().kwargs`, plus `_type` = its class name), else the
 * object's own JSON. Undefined (and a diag warning) when it cannot be serialised.
 */
export function assetParams(asset: unknown): Record<string, unknown> | undefined {
  if (typeof asset !== 'object' || asset === null) return undefined;
  try {
    const dict = callMethod(asset, 'serialize');
    if (isRecord(dict)) return parseRecord(safeJson(dict));
    const serialised = callMethod(asset, 'toJSON');
    if (isRecord(serialised) && isRecord(serialised['kwargs'])) {
      const id = serialised['id'];
      const type: unknown = Array.isArray(id) ? id.at(-1) : undefined;
      return { ...parseRecord(safeJson(serialised['kwargs'])), ...(typeof type === 'string' ? { _type: type } : {}) };
    }
    return parseRecord(safeJson(asset));
  } catch (error) {
    log.warn('the LangChain asset could not be serialised; its params are not written', error);
    return undefined;
  }
}

function callMethod(target: object, name: string): unknown {
  const method: unknown = (target as Record<string, unknown>)[name];
  return typeof method === 'function' ? (method as () => unknown).call(target) : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseRecord(json: string): Record<string, unknown> {
  const parsed: unknown = JSON.parse(json);
  return isRecord(parsed) ? parsed : {};
}

/** JSON of a value; values JSON cannot hold (functions, cycles, bigint) are left out or stringified. */
function safeJson(value: unknown): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item === 'bigint') return item.toString();
    if (typeof item === 'function' || typeof item === 'symbol') return undefined;
    if (typeof item === 'object' && item !== null) {
      if (seen.has(item)) return '[circular]';
      seen.add(item);
    }
    return item;
  });
}

function pick<T extends object, K extends keyof T>(source: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const result: Partial<Pick<T, K>> = {};
  for (const key of keys) if (source[key] !== undefined) result[key] = source[key];
  return result;
}
