/** The in-process exporter (`aim-otel-bridge/exporter`): OpenTelemetry spans → Aim. */
export { AimSpanExporter, type AimSpanExporterOptions } from './aim-span-exporter.js';
export type { AimSinkOptions, AimSinkStats } from '../sink/aim-sink.js';
export type { MappingOptions } from '../mapping/to-aim.js';
export { runHash, type RunKeyStrategy, type UnkeyedRunOptions } from '../mapping/run-key.js';
export { PricesError, type PricesOption } from '../pricing/price-file.js';
export type { PriceEntry } from '../pricing/price-table.js';
export type { MappingLayout } from '../mapping/to-aim.js';
