import { AIM_VERSION } from '../../src/up/aim-constraints.js';

/**
 * The pinned versions of the real peers the tests (and `npm start`) run against.
 * Changing one here, or the files that pin its dependencies, makes `npm run peers` build it anew
 * in a fresh cache directory; older builds stay cached until deleted.
 */
export const PEER_VERSIONS = {
  /** Aim (`aim server`, `aim up`, and the Python SDK used as the test oracle), from PyPI. */
  aim: AIM_VERSION,
  /** OpenTelemetry Collector core beta / contrib modules of our distribution (see its go.mod). */
  collector: 'v0.161.0',
  /** Jaeger v2 Go module version (v1.76.0 is the same commit as Jaeger v2.13.0). */
  jaeger: 'v1.76.0',
  /**
   * Real Python GenAI producers, from PyPI (test/peers/producers/requirements*.txt pin every
   * dependency): opentelemetry-instrumentation-openai-v2 on opentelemetry-util-genai 0.4b0, and a
   * second venv of it on util-genai 1.x (`utilGenaiNext`).
   */
  openaiV2: '2.4b0',
  utilGenai: '0.4b0',
  utilGenaiNext: '1.1b0',
  /** OpenLLMetry's traceloop-sdk (with its opentelemetry-instrumentation-openai of the same version). */
  traceloop: '0.62.4',
  /** Arize's openinference-instrumentation-openai. */
  openinference: '0.1.66',
} as const;
