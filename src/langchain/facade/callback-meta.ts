/**
 * The counters LangChain Python's `AimCallbackHandler` puts in the context of every text it tracks
 * (its `BaseMetadataCallbackHandler`): `step` counts every callback, the others count callbacks of
 * one kind. Pure state; the facade bumps it in LangChain's callback order.
 */

/** The counter names, in the order Python's `get_custom_callback_meta()` lists them. */
export const CALLBACK_COUNTERS = [
  'step',
  'starts',
  'ends',
  'errors',
  'text_ctr',
  'chain_starts',
  'chain_ends',
  'llm_starts',
  'llm_ends',
  'llm_streams',
  'tool_starts',
  'tool_ends',
  'agent_ends',
] as const;

export type CallbackCounter = (typeof CALLBACK_COUNTERS)[number];

/** The callbacks Python's handler counts, and the counters each one bumps (besides `step`). */
const BUMPS = {
  on_llm_start: ['llm_starts', 'starts'],
  on_llm_end: ['llm_ends', 'ends'],
  on_llm_new_token: ['llm_streams'],
  on_llm_error: ['errors'],
  on_chain_start: ['chain_starts', 'starts'],
  on_chain_end: ['chain_ends', 'ends'],
  on_chain_error: ['errors'],
  on_tool_start: ['tool_starts', 'starts'],
  on_tool_end: ['tool_ends', 'ends'],
  on_tool_error: ['errors'],
  on_text: ['text_ctr'],
  on_agent_action: ['tool_starts', 'starts'],
  on_agent_finish: ['agent_ends', 'ends'],
} as const satisfies Record<string, readonly CallbackCounter[]>;

/** A callback of Python's handler, by its Python name. */
export type PythonCallback = keyof typeof BUMPS;

/** A text's context as Python builds it: `{action, [tool], step, starts, ...}`. */
export type CallbackContext = Readonly<Record<string, string | number>>;

/** The counters of one handler session (reset by `flushTracker`). */
export class CallbackMeta {
  private counts = zero();

  /** Counts `callback` and returns the context a text tracked by it gets. */
  count(callback: PythonCallback, extra: Readonly<Record<string, string>> = {}): CallbackContext {
    this.counts.step += 1;
    for (const counter of BUMPS[callback]) this.counts[counter] += 1;
    return { action: callback, ...extra, ...this.counts };
  }

  /** Back to zero (Python's `reset_callback_meta()`). */
  reset(): void {
    this.counts = zero();
  }
}

function zero(): Record<CallbackCounter, number> {
  return Object.fromEntries(CALLBACK_COUNTERS.map((name) => [name, 0])) as Record<CallbackCounter, number>;
}
