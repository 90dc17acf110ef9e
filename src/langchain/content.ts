/**
 * Content capture: prompts, completions, system instructions, tool arguments/results, retrieval
 * queries/documents and chain inputs/outputs. Off by default (the conventions' opt-in rule). Every
 * value goes through the content hook first (if one is set), then, when capture is on, is recorded
 * as JSON of at most `maxContentLength` characters that still parses.
 */
import type { Span } from '@opentelemetry/api';
import { errorDetail, limitedLog } from './log.js';
import { boundedJson, truncateText } from './truncate.js';

/** What the content hook is told about a value. */
export interface ContentHookInfo {
  /** The attribute the value is for (e.g. `gen_ai.input.messages`). */
  readonly attribute: string;
  /** The LangChain run id. */
  readonly runId: string;
  /** The run's span (e.g. to add a reference to where the hook uploaded the content). */
  readonly span: Span;
}

/**
 * Called with each content value before it is recorded (structured, not yet serialised), whether
 * or not capture is on — so it can redact, or upload the content elsewhere and keep capture off.
 * What it returns is recorded instead; `undefined` records nothing. A hook that throws records
 * nothing for that value (fail closed).
 */
export type ContentHook = (value: unknown, info: ContentHookInfo) => unknown;

/** How a value is written to its attribute. */
export type ContentFormat = 'json' | 'text';

/** Applies the capture switch, the hook and the length limit. */
export class ContentPolicy {
  /** True when content must be built at all (capture on, or a hook wants to see it). */
  readonly active: boolean;
  /** Whether values are written to spans. */
  readonly capture: boolean;
  /** Maximum length of one recorded value. */
  readonly maxLength: number;
  private readonly _hook: ContentHook | undefined;
  private _hookFailures = 0;

  constructor(capture: boolean, maxLength: number, hook: ContentHook | undefined) {
    this.capture = capture;
    this.maxLength = maxLength;
    this._hook = hook;
    this.active = capture || hook !== undefined;
  }

  /** Number of values dropped because the hook threw. */
  get hookFailures(): number {
    return this._hookFailures;
  }

  /**
   * Records `build()` on `span` under `attribute`. `build` only runs when the policy is active, so
   * nothing is serialised when capture is off and no hook is set.
   */
  record(span: Span, runId: string, attribute: string, build: () => unknown, format: ContentFormat = 'json'): void {
    if (this.active) this.recordValue(span, runId, attribute, build(), format);
  }

  /** {@link record} for a value already built (call it only while the policy is active). */
  recordValue(span: Span, runId: string, attribute: string, value: unknown, format: ContentFormat = 'json'): void {
    const text = this.valueOf(span, runId, attribute, value, format);
    if (text !== undefined) span.setAttribute(attribute, text);
  }

  /**
   * The recordable form of `build()` (hook applied, length-limited), or undefined when nothing may
   * be recorded. For values that go into span events rather than attributes.
   */
  value(span: Span, runId: string, attribute: string, build: () => unknown, format: ContentFormat = 'json'): string | undefined {
    return this.active ? this.valueOf(span, runId, attribute, build(), format) : undefined;
  }

  /** {@link value} for a value already built. */
  valueOf(span: Span, runId: string, attribute: string, built: unknown, format: ContentFormat = 'json'): string | undefined {
    if (!this.active || built === undefined) return undefined;
    let value: unknown = built;
    if (this._hook !== undefined) {
      try {
        value = this._hook(value, { attribute, runId, span });
      } catch (error) {
        this._hookFailures += 1;
        limitedLog.warn('content hook threw; the value was not recorded', () => errorDetail(error));
        return undefined;
      }
      if (value === undefined) return undefined;
    }
    if (!this.capture) return undefined;
    return format === 'text' && typeof value === 'string' ? truncateText(value, this.maxLength) : boundedJson(value, this.maxLength);
  }
}
