import type { SpanRecord } from '../model/span-record.js';
import type { ParamWrite } from './aim-plan.js';
import type { GenAIFacts } from './conventions.js';
import type { MappingOptions } from './to-aim.js';

/**
 * What tells one run from another in Aim's Runs explorer: the run's name (when no `aim.run_name`
 * names it) and the params that find it again. Fed every mapped span of one run of one batch.
 */
export class RunDescription {
  private rootName: string | undefined;
  private readonly traceIds = new Set<string>();

  /**
   * @param key - the run's key.
   * @param options - the mapping's options.
   */
  constructor(
    readonly key: string,
    readonly options: MappingOptions,
  ) {}

  /** Takes what the span says about its run. */
  observe(span: SpanRecord, _facts: GenAIFacts | undefined): void {
    if (span.parentSpanId === undefined) this.rootName ??= span.name;
    this.traceIds.add(span.traceId);
  }

  /** The run's name, unless `aim.run_name` names it: the trace's root span name. */
  name(): string | undefined {
    return this.rootName;
  }

  /** The params that link the run to its traces: `otel.trace_ids.<id>` = true. */
  params(): ParamWrite[] {
    return [...this.traceIds].map((traceId) => ({ path: ['otel', 'trace_ids', traceId], value: true }));
  }
}
