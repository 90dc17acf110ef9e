/**
 * The real provider instrumentations of the `openai` npm client, applied in-process to the copy of
 * `openai` this package resolves (the one `@langchain/openai` uses):
 *
 * - `opentelemetry`: `@opentelemetry/instrumentation-openai` (OpenTelemetry JS contrib): a `chat
 *   {model}` CLIENT span per `chat.completions.create`, GenAI semconv attributes and usage on the
 *   span, message content only as log events (never on the span);
 * - `traceloop`: `@traceloop/instrumentation-openai` (OpenLLMetry JS): a `chat {model}` CLIENT span
 *   with usage and, with `traceContent` (its default), `gen_ai.input.messages` /
 *   `gen_ai.output.messages` on the span.
 *
 * Why by hand: both hook `openai` through `require` (require-in-the-middle), which an ESM import
 * never passes, and both declare `openai` `<7` while `@langchain/openai` 1.6 needs `openai` 7
 * (whose only breaking change is the Node.js version it supports; the client API they patch is the
 * same). So the instrumentation's own patch is applied to the ESM module's classes: for
 * OpenTelemetry's, its module definition's `patch` (which accepts an ESM namespace); for
 * Traceloop's, its `manuallyInstrument`. The patched methods are put back by {@link
 * InstrumentedOpenAI.restore}, so other tests in the same process see the plain client.
 */
import { type TracerProvider, metrics } from '@opentelemetry/api';
import { OpenAIInstrumentation as OTelOpenAIInstrumentation } from '@opentelemetry/instrumentation-openai';
import { OpenAIInstrumentation as TraceloopOpenAIInstrumentation } from '@traceloop/instrumentation-openai';
import * as openaiModule from 'openai';
import { VERSION as OPENAI_VERSION } from 'openai/version';

/** Which provider instrumentation. */
export type OpenAIInstrumentationKind = 'opentelemetry' | 'traceloop';

/** The instrumentation scope name each kind stamps on its spans. */
export const OPENAI_INSTRUMENTATION_SCOPE: Readonly<Record<OpenAIInstrumentationKind, string>> = {
  opentelemetry: '@opentelemetry/instrumentation-openai',
  traceloop: '@traceloop/instrumentation-openai',
};

/** An applied instrumentation. */
export interface InstrumentedOpenAI {
  readonly kind: OpenAIInstrumentationKind;
  /** The version of `openai` that was patched. */
  readonly openaiVersion: string;
  /** Puts the client's original methods back and disables the instrumentation. Idempotent. */
  restore(): void;
}

/** A class of the `openai` client whose prototype methods an instrumentation wraps. */
type Patchable = { prototype: Record<string, unknown> } | undefined;

/** The prototypes and methods either instrumentation wraps (those that exist in this `openai`). */
function patchTargets(): { owner: Record<string, unknown>; method: string }[] {
  const OpenAI = openaiModule.default as unknown as Record<string, Patchable> & { Chat?: Record<string, Patchable> };
  const classes: [Patchable, string[]][] = [
    [OpenAI.Chat?.['Completions'], ['create']],
    [OpenAI['Completions'], ['create']],
    [OpenAI['Embeddings'], ['create']],
    [OpenAI['Responses'], ['create']],
    [OpenAI['Images'], ['generate', 'edit', 'createVariation']],
  ];
  return classes.flatMap(([cls, methods]) => (cls ? methods.map((method) => ({ owner: cls.prototype, method })) : []));
}

/**
 * Applies the provider instrumentation `kind`, writing spans to `tracerProvider`. Call
 * `restore()` when done (the patch is process-wide).
 */
export function instrumentOpenAI(kind: OpenAIInstrumentationKind, tracerProvider: TracerProvider): InstrumentedOpenAI {
  const saved = patchTargets().map((target) => ({ ...target, original: target.owner[target.method] }));
  const version = OPENAI_VERSION;
  let disable: () => void;
  if (kind === 'opentelemetry') {
    const instrumentation = new OTelOpenAIInstrumentation();
    instrumentation.setTracerProvider(tracerProvider);
    // As `registerInstrumentations` would: its histograms, created by the base class's constructor,
    // are reset to undefined by the subclass's own field declarations, and setting a meter provider
    // creates them again (without it, recording the call's duration throws once the response is in).
    instrumentation.setMeterProvider(metrics.getMeterProvider());
    for (const definition of instrumentation.getModuleDefinitions()) definition.patch?.(openaiModule, version);
    disable = () => {
      instrumentation.disable();
    };
  } else {
    const instrumentation = new TraceloopOpenAIInstrumentation({ traceContent: true });
    instrumentation.setTracerProvider(tracerProvider);
    instrumentation.manuallyInstrument(openaiModule.default);
    disable = () => {
      instrumentation.disable();
    };
  }
  let restored = false;
  return {
    kind,
    openaiVersion: version,
    restore() {
      if (restored) return;
      restored = true;
      disable();
      for (const { owner, method, original } of saved) owner[method] = original;
    },
  };
}
