/**
 * The active-context bridge: makes a model / tool / retriever run's span the active OpenTelemetry
 * context while LangChain executes the real call, so spans of provider SDK or HTTP
 * instrumentations (undici, http, `@opentelemetry/instrumentation-openai`…) nest under it, and
 * notices streamed model calls that their consumer abandons.
 *
 * Why a patch: callbacks cannot change the context the caller continues in (an async callee cannot
 * alter its caller's AsyncLocalStorage), and LangChain.js has no hook around the call
 * (langchainjs#11221; the `wrapRunExecution` PR was closed). So, like AWS ADOT's LangChain
 * instrumentation, we wrap the methods that do the work — `_generate`, `_streamResponseChunks`
 * (chat models, LLMs), `_call` (tools), `_getRelevantDocuments` (retrievers) — on the concrete class
 * that defines them, the first time an instance runs. The wrapper looks up the span the handler
 * registered for the call's `runManager.runId` and calls the original inside `context.with`;
 * without a registered span it is a plain pass-through. Results and errors are untouched.
 *
 * Limits (documented in the README of the module): only the `@langchain/core` copy this package
 * resolves is patched (an app that loads LangChain's CommonJS build alongside gets no bridging);
 * a model class that overrides `_generateUncached`/`_streamIterator` itself is not reached; the
 * chat-model stream-events path (`_streamChatModelEvents`) is not bridged.
 */
import { context, trace } from '@opentelemetry/api';
import type { Context, Span } from '@opentelemetry/api';
import { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { BaseLLM } from '@langchain/core/language_models/llms';
import { BaseRetriever } from '@langchain/core/retrievers';
import { StructuredTool } from '@langchain/core/tools';
import { errorDetail, limitedLog, log } from './log.js';

/** What the handler registers per live run (its run record). */
export interface BridgeEntry {
  /** The run's span (a run without one is passed through). */
  readonly span: Span | undefined;
  /** Called when the run's stream was closed before its end (consumer `break`, abort). */
  readonly onCancel?: ((runId: string, reason: unknown) => void) | undefined;
}

const PATCHED = Symbol.for('aim-otel-bridge.langchain.patched');
/** Prototypes (per entry point) whose workers are already patched: the common path is one lookup. */
let seen = new WeakMap<object, Set<string>>();

/** Live runs by run id; entries are removed when the run ends, so it never outgrows the open runs. */
const entries = new Map<string, BridgeEntry>();
let installed = false;
const restore: (() => void)[] = [];

/** Whether the bridge is installed. */
export function isBridgeInstalled(): boolean {
  return installed;
}

/** Registered runs (for tests: must be 0 when no run is open). */
export function bridgeSize(): number {
  return entries.size;
}

/** Registers a live run (no-op unless installed). */
export function registerRun(runId: string, entry: BridgeEntry): void {
  if (installed) entries.set(runId, entry);
}

/** Forgets a run. */
export function unregisterRun(runId: string): void {
  if (entries.size > 0) entries.delete(runId);
}

function runIdOf(runManager: unknown): string | undefined {
  const runId = (runManager as { runId?: unknown } | undefined)?.runId;
  return typeof runId === 'string' ? runId : undefined;
}

/** The span registered for `runId`, if any. */
function spanOf(runId: string | undefined): Span | undefined {
  return runId === undefined ? undefined : entries.get(runId)?.span;
}

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;
type AsyncIter = AsyncIterator<unknown> & Partial<AsyncIterable<unknown>>;

/**
 * An async iterator whose steps run in `ctx`; `onEarlyClose` runs when it is closed before its end,
 * `onSettled` once it is finished either way.
 */
function bridgeIterator(inner: AsyncIter, ctx: Context, onEarlyClose: () => void, onSettled: () => void): AsyncIterableIterator<unknown> {
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    onSettled();
  };
  const step = async (fn: () => Promise<IteratorResult<unknown>>): Promise<IteratorResult<unknown>> => {
    try {
      const result = await context.with(ctx, fn);
      if (result.done === true) finish();
      return result;
    } catch (error) {
      finish();
      throw error;
    }
  };
  const iterator: AsyncIterableIterator<unknown> = {
    next: (...args: [] | [unknown]) => step(() => inner.next(...args)),
    return: async (value?: unknown) => {
      if (!finished) {
        finish();
        onEarlyClose();
      }
      return inner.return !== undefined ? inner.return(value) : { done: true, value };
    },
    throw: async (error?: unknown) => {
      if (inner.throw !== undefined) return step(() => (inner.throw as (e?: unknown) => Promise<IteratorResult<unknown>>)(error));
      finish();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

/** Wraps a worker method whose `runManager` is argument `runManagerIndex`. */
function wrapCall(original: AnyFunction, runManagerIndex: number): AnyFunction {
  return function bridged(this: unknown, ...args: unknown[]): unknown {
    const span = spanOf(runIdOf(args[runManagerIndex]));
    if (span === undefined) return original.apply(this, args);
    return context.with(trace.setSpan(context.active(), span), original, this, ...args);
  };
}

/** Wraps `_streamResponseChunks(messages, options, runManager)`. */
function wrapStream(original: AnyFunction): AnyFunction {
  return function bridged(this: unknown, ...args: unknown[]): unknown {
    const runId = runIdOf(args[2]);
    const entry = runId === undefined ? undefined : entries.get(runId);
    if (runId === undefined || entry?.span === undefined) return original.apply(this, args);
    const ctx = trace.setSpan(context.active(), entry.span);
    const inner = context.with(ctx, original, this, ...args) as AsyncIter;
    if (typeof inner.next !== 'function') return inner;
    const signal = (args[1] as { signal?: AbortSignal } | undefined)?.signal;
    // Deferred, so that LangChain's own error callback (when it has one for this close) comes first.
    const cancel = (reason: unknown): void => {
      setImmediate(() => {
        try {
          entry.onCancel?.(runId, reason);
        } catch (error) {
          limitedLog.debug('stream cancel notification failed', () => errorDetail(error));
        }
      });
    };
    // LangChain's .stream() races the consumer's AbortSignal and may leave this generator suspended
    // without closing it: the signal itself is the only news of the abort.
    const onAbort = (): void => {
      cancel(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    return bridgeIterator(
      inner,
      ctx,
      () => {
        cancel(signal?.aborted === true ? signal.reason : undefined);
      },
      () => signal?.removeEventListener('abort', onAbort),
    );
  };
}

interface WorkerSpec {
  readonly name: string;
  readonly wrap: (original: AnyFunction) => AnyFunction;
}

/** Patches `spec.name` on the prototype of `instance` that defines it (once per class, never on `base`). */
function patchWorker(instance: object, base: object, spec: WorkerSpec): void {
  let proto: object | null = Object.getPrototypeOf(instance) as object | null;
  while (proto !== null && proto !== base && !Object.hasOwn(proto, spec.name)) proto = Object.getPrototypeOf(proto) as object | null;
  if (proto === null || proto === base) return;
  const current = (proto as Record<string, unknown>)[spec.name];
  if (typeof current !== 'function' || (current as { [PATCHED]?: boolean })[PATCHED] === true) return;
  const wrapped = spec.wrap(current as AnyFunction);
  Object.defineProperty(wrapped, PATCHED, { value: true });
  const owner = proto as Record<string, unknown>;
  owner[spec.name] = wrapped;
  restore.push(() => {
    owner[spec.name] = current;
  });
}

/** Wraps `entry` on `base.prototype` so that each instance's workers get patched on first use. */
function patchEntry(base: { prototype: object }, entry: string, workers: readonly WorkerSpec[]): void {
  const proto = base.prototype as Record<string, unknown>;
  const original = proto[entry];
  if (typeof original !== 'function') {
    log.warn(`LangChain ${entry} not found; context bridge not installed there`);
    return;
  }
  proto[entry] = function patched(this: object, ...args: unknown[]): unknown {
    const cls = Object.getPrototypeOf(this) as object | null;
    if (cls !== null) {
      let entries = seen.get(cls);
      if (entries?.has(entry) !== true) {
        try {
          for (const worker of workers) patchWorker(this, base.prototype, worker);
        } catch (error) {
          log.debug('context bridge could not patch a LangChain class', error);
        }
        if (entries === undefined) seen.set(cls, (entries = new Set()));
        entries.add(entry);
      }
    }
    return (original as AnyFunction).apply(this, args);
  };
  restore.push(() => {
    proto[entry] = original;
  });
}

/**
 * Installs the bridge (idempotent). Called by the handler unless `bridgeContext: false`.
 */
export function installContextBridge(): void {
  if (installed) return;
  installed = true;
  const modelWorkers: WorkerSpec[] = [
    { name: '_generate', wrap: (original) => wrapCall(original, 2) },
    { name: '_streamResponseChunks', wrap: wrapStream },
  ];
  patchEntry(BaseChatModel, '_generateUncached', modelWorkers);
  patchEntry(BaseChatModel, '_streamIterator', modelWorkers);
  patchEntry(BaseLLM, '_generateUncached', modelWorkers);
  patchEntry(BaseLLM, '_streamIterator', modelWorkers);
  patchEntry(StructuredTool, 'call', [{ name: '_call', wrap: (original) => wrapCall(original, 1) }]);
  patchEntry(BaseRetriever, 'invoke', [{ name: '_getRelevantDocuments', wrap: (original) => wrapCall(original, 1) }]);
}

/** Removes every patch and forgets registered runs (for tests and shutdown). */
export function uninstallContextBridge(): void {
  while (restore.length > 0) restore.pop()?.();
  entries.clear();
  seen = new WeakMap();
  installed = false;
}
