/**
 * The only place the LangChain handler reads the environment.
 *
 * `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` is the switch OpenTelemetry's own GenAI
 * instrumentations use. Both of its forms are accepted, case-insensitively: the boolean
 * (`true`/`false`, JS and older Python) and the enum of the latest Python instrumentations
 * (`NO_CONTENT`, `SPAN_ONLY`, `EVENT_ONLY`, `SPAN_AND_EVENT`). This handler records content on spans,
 * so `SPAN_ONLY` and `SPAN_AND_EVENT` turn it on; `EVENT_ONLY` does not (no events are emitted).
 */

export const ENV_CAPTURE_MESSAGE_CONTENT = 'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT';

/** Parses the capture variable; undefined when unset or not understood. */
export function parseCaptureContent(value: string | undefined): boolean | undefined {
  switch (value?.trim().toLowerCase()) {
    case 'true':
    case 'span_only':
    case 'span_and_event':
      return true;
    case 'false':
    case 'no_content':
    case 'event_only':
      return false;
    default:
      return undefined;
  }
}

/** Reads the capture switch from `env` (default: `process.env`). */
export function captureContentFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): boolean | undefined {
  return parseCaptureContent(env[ENV_CAPTURE_MESSAGE_CONTENT]);
}
