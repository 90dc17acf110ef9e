/**
 * The pinned versions of the real peers the tests (and `npm start`) run against.
 * Changing one here, or the files that pin its dependencies, makes `npm run peers` build it anew
 * in a fresh cache directory; older builds stay cached until deleted.
 */
export const PEER_VERSIONS = {
  /** Aim (`aim server`, `aim up`, and the Python SDK used as the test oracle), from PyPI. */
  aim: '3.29.1',
  /** OpenTelemetry Collector core beta / contrib modules of our distribution (see its go.mod). */
  collector: 'v0.161.0',
  /** Jaeger v2 Go module version (v1.76.0 is the same commit as Jaeger v2.13.0). */
  jaeger: 'v1.76.0',
} as const;
