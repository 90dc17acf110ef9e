/** The in-process exporter (`aim-otel-bridge/exporter`): OpenTelemetry spans → Aim. */
export { AimSpanExporter, type AimSpanExporterOptions } from './aim-span-exporter.js';
export { AimSink, type AimSinkOptions, type AimSinkStats, type WriteOutcome } from '../sink/aim-sink.js';
export type { MappingOptions } from '../mapping/to-aim.js';
export { runHash, type RunKeyStrategy } from '../mapping/run-key.js';
export type { MappingLayout } from '../mapping/to-aim.js';
