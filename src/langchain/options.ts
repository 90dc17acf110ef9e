/** Options of the GenAI callback handler, and their resolution (code > environment > default). */
import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import { DEFAULT_SEMCONV_PROFILE, isSemconvProfile } from '../semconv/profile.js';
import type { SemconvProfile } from '../semconv/profile.js';
import type { ContentHook } from './content.js';
import { captureContentFromEnv } from './env.js';
import { log } from './log.js';

/** Options of {@link GenAICallbackHandler}. Every field is optional. */
export interface GenAICallbackHandlerOptions {
  /** Where spans go. @default the global tracer provider (`trace.getTracerProvider()`) */
  tracerProvider?: TracerProvider;
  /**
   * Where the GenAI metrics go. @default the global meter provider (`metrics.getMeterProvider()`),
   * a no-op until the application registers one
   */
  meterProvider?: MeterProvider;
  /**
   * Record prompts, completions, system instructions, tool arguments/results, retrieval queries and
   * documents, and chain inputs/outputs.
   * @default `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` (`true`/`SPAN_ONLY`/`SPAN_AND_EVENT`
   * turn it on), else `false`
   */
  captureMessageContent?: boolean;
  /**
   * With content capture on, also record the inputs and outputs of every intermediate chain step
   * (`langchain.chain.inputs`/`outputs`); agents and workflows (root chains) always get theirs.
   * Serialising LangChain objects (prompt values, messages) at every step is the costliest part
   * of content capture, hence off by default.
   * @default false
   */
  captureChainSteps?: boolean;
  /** Maximum length (characters) of one content attribute; longer JSON is shortened and stays valid. @default 16384 */
  maxContentLength?: number;
  /** Keep base64 payloads of images/audio/files in captured content (else only their size). @default false */
  captureBinaryContent?: boolean;
  /** Sees (and may redact or drop) every content value before it is recorded; see {@link ContentHook}. @default none */
  contentHook?: ContentHook;
  /** A run not finished after this long is ended with `error.type` `timeout`. @default 3600000 (1 hour) */
  runTimeoutMs?: number;
  /** At most this many runs are open at once; the oldest is then ended with `error.type` `evicted`. @default 10000 */
  maxOpenRuns?: number;
  /** Also record runs tagged `langsmith:hidden` (LangGraph internals such as `__start__`). @default false */
  includeHiddenRuns?: boolean;
  /** Names to emit: the GenAI conventions v1.41.1, or the renames queued in the dev channel. @default 'v1.41.1' */
  semconv?: SemconvProfile;
  /**
   * Make a model / tool / retriever span the active context while LangChain runs the real call, so
   * provider SDK and HTTP spans nest under it, and end a streamed model call that its consumer
   * abandons (`break`, abort) right away. Works by wrapping LangChain's worker methods once per class
   * (see `context-bridge.ts`); `false` leaves LangChain untouched by this handler: the wrapping is
   * process-wide once another handler installed it, but this handler's runs are never made active
   * by it (their provider spans then nest where the caller's context is).
   * @default true
   */
  bridgeContext?: boolean;
  /**
   * Run callbacks inline instead of in LangChain's background queue (span end times are then exact,
   * at the cost of the callbacks' time on the request path).
   * @default LangChain's default: background unless `LANGCHAIN_CALLBACKS_BACKGROUND=false`
   */
  awaitHandlers?: boolean;
  /** LangChain's ignore flags: the handler receives no callbacks of that kind. @default false each */
  ignoreLLM?: boolean;
  ignoreChain?: boolean;
  ignoreAgent?: boolean;
  ignoreRetriever?: boolean;
  ignoreCustomEvent?: boolean;
}

/** Options with every default applied. */
export interface ResolvedOptions {
  readonly tracerProvider: TracerProvider | undefined;
  readonly meterProvider: MeterProvider | undefined;
  readonly captureMessageContent: boolean;
  readonly maxContentLength: number;
  readonly captureChainSteps: boolean;
  readonly captureBinaryContent: boolean;
  readonly contentHook: ContentHook | undefined;
  readonly runTimeoutMs: number;
  readonly maxOpenRuns: number;
  readonly includeHiddenRuns: boolean;
  readonly semconv: SemconvProfile;
  readonly bridgeContext: boolean;
  /** LangChain's `BaseCallbackHandlerInput`: the ignore flags and `_awaitHandler`. */
  readonly callbackInput: {
    ignoreLLM?: boolean;
    ignoreChain?: boolean;
    ignoreAgent?: boolean;
    ignoreRetriever?: boolean;
    ignoreCustomEvent?: boolean;
    _awaitHandler?: boolean;
  };
}

export const DEFAULT_MAX_CONTENT_LENGTH = 16_384;
export const DEFAULT_RUN_TIMEOUT_MS = 3_600_000;
export const DEFAULT_MAX_OPEN_RUNS = 10_000;

function positive(name: string, value: number | undefined, fallback: number, minimum: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < minimum) {
    log.warn(`${name}=${String(value)} is invalid (minimum ${String(minimum)}); using ${String(fallback)}`);
    return fallback;
  }
  return Math.floor(value);
}

/** Applies defaults; invalid numbers fall back to the default with a diag warning. */
export function resolveOptions(options: GenAICallbackHandlerOptions = {}, env: Readonly<Record<string, string | undefined>> = process.env): ResolvedOptions {
  let semconv = options.semconv ?? DEFAULT_SEMCONV_PROFILE;
  if (!isSemconvProfile(semconv)) {
    log.warn(`unknown semconv profile ${String(semconv)}; using ${DEFAULT_SEMCONV_PROFILE}`);
    semconv = DEFAULT_SEMCONV_PROFILE;
  }
  return {
    tracerProvider: options.tracerProvider,
    meterProvider: options.meterProvider,
    captureMessageContent: options.captureMessageContent ?? captureContentFromEnv(env) ?? false,
    maxContentLength: positive('maxContentLength', options.maxContentLength, DEFAULT_MAX_CONTENT_LENGTH, 16),
    captureBinaryContent: options.captureBinaryContent ?? false,
    captureChainSteps: options.captureChainSteps ?? false,
    contentHook: options.contentHook,
    runTimeoutMs: positive('runTimeoutMs', options.runTimeoutMs, DEFAULT_RUN_TIMEOUT_MS, 1),
    maxOpenRuns: positive('maxOpenRuns', options.maxOpenRuns, DEFAULT_MAX_OPEN_RUNS, 1),
    includeHiddenRuns: options.includeHiddenRuns ?? false,
    semconv,
    bridgeContext: options.bridgeContext ?? true,
    callbackInput: {
      ...(options.ignoreLLM !== undefined ? { ignoreLLM: options.ignoreLLM } : {}),
      ...(options.ignoreChain !== undefined ? { ignoreChain: options.ignoreChain } : {}),
      ...(options.ignoreAgent !== undefined ? { ignoreAgent: options.ignoreAgent } : {}),
      ...(options.ignoreRetriever !== undefined ? { ignoreRetriever: options.ignoreRetriever } : {}),
      ...(options.ignoreCustomEvent !== undefined ? { ignoreCustomEvent: options.ignoreCustomEvent } : {}),
      ...(options.awaitHandlers !== undefined ? { _awaitHandler: options.awaitHandlers } : {}),
    },
  };
}
