/**
 * aim-otel-bridge: GenAI telemetry from LangChain.js and any OpenTelemetry app into Aim.
 *
 * The public API grows here module by module (see ARCHITECTURE.md): the LangChain callback
 * handler, the AimSpanExporter, the OTLP receiver and the Aim client.
 */
export { VERSION } from './version.js';
export * from './aim/index.js';
