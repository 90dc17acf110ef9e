/**
 * The Aim writes of GenAI content that reached the bridge apart from its span (OTLP log events):
 * placed in the span's run, context and step when the span is known ({@link planPlacedContent}),
 * else in the documented fallback place ({@link planUnplacedContent}). Pure: no I/O, no clock.
 */
import type { LogRecord } from '../model/log-record.js';
import type { AttributeValue, Attributes, RecordTenant } from '../model/span-record.js';
import type { PlanContext, RunWritePlan, SpanPlacement, TextWrite } from './aim-plan.js';
import { type ContentEvent, readContentEvent, renderContentEvents } from './genai-events.js';
import { attributeRunKey, runHash } from './run-key.js';
import { spanKey, stepAt } from './span-places.js';
import { namedExperiment, tenantExperiment, tenantRunKey, tenantTraceKey } from './tenant-keys.js';
import type { MappingOptions, TraceKeyMemo } from './to-aim.js';

/** The content events of one span (or of one trace, or none, for records outside a span), as received. */
export interface EventGroup {
  /**
   * `traceId/spanId` (either may be empty): what the group waits for; for a tenant's records, the
   * trace id is its trace key (`tenantTraceKey`), as the log join keeps the tenant's placements.
   */
  readonly id: string;
  readonly traceId?: string;
  readonly spanId?: string;
  readonly events: ContentEvent[];
  /** Attributes and resource of the group's first record (the fallback's run key, experiment and context). */
  readonly attributes: Attributes;
  readonly resource: Attributes;
  /** The tenant of the group's records (one group never mixes tenants). */
  readonly tenant?: RecordTenant;
}

/** The GenAI content events of log records, grouped by the span they belong to; `ignored` counts records without any. */
export function groupContentEvents(records: readonly LogRecord[]): { groups: EventGroup[]; ignored: number } {
  const groups = new Map<string, EventGroup>();
  let ignored = 0;
  for (const record of records) {
    const event = readContentEvent(record.eventName, record.body, record.attributes, record.timeUnixNano);
    if (!event) {
      ignored++;
      continue;
    }
    const id = spanKey(record.tenant === undefined ? record.traceId : tenantTraceKey(record.traceId ?? '', record.tenant), record.spanId);
    const group = groups.get(id);
    if (group) group.events.push(event);
    else {
      groups.set(id, {
        id,
        ...(record.traceId !== undefined ? { traceId: record.traceId } : {}),
        ...(record.spanId !== undefined ? { spanId: record.spanId } : {}),
        events: [event],
        attributes: record.attributes,
        resource: record.origin.resource,
        ...(record.tenant !== undefined ? { tenant: record.tenant } : {}),
      });
    }
  }
  return { groups: [...groups.values()], ignored };
}

/**
 * The texts of a placed span's content events: `on_llm_start` (instructions and input messages)
 * and `on_llm_end` (output messages), in the span's run, at the span's step, in the context its
 * own content would have (`{action, operation, model, provider}`). So content that came both on
 * the span and as events writes the same point twice: a no-op.
 */
export function planPlacedContent(placement: SpanPlacement, events: readonly ContentEvent[]): RunWritePlan {
  const texts = contentTexts(events, placement.context, placement.step, placement.time, placement.spanId);
  return textPlan(placement.key, placement.hash, placement.experiment, texts);
}

/**
 * The fallback for content events whose span did not reach this bridge in time: the run their
 * records name (`aim.run_key`, `gen_ai.conversation.id` or `session.id` on the record or its
 * resource, as for spans; a function strategy is not applied to log records), else the run their
 * trace went to (`memo`), else the trace's own run (the run of a span with no run key), else —
 * for records outside any trace — one run per service (`service/<service.name>`). The texts'
 * context is what the records tell: `{action, operation?, model?, provider?}` from their
 * `gen_ai.*` attributes; the step derives from the first event's time and the span id.
 */
export function planUnplacedContent(group: EventGroup, options: MappingOptions, memo?: TraceKeyMemo): RunWritePlan {
  const { tenant } = group;
  const own = attributeRunKey(group.attributes, group.resource, options.runKey ?? 'auto');
  const remembered = own === undefined && group.traceId !== undefined ? memo?.get(tenantTraceKey(group.traceId, tenant)) : undefined;
  const key =
    own !== undefined
      ? tenantRunKey(own, tenant)
      : (remembered ?? tenantRunKey(group.traceId ?? `service/${text(group.resource['service.name']) ?? 'unknown_service'}`, tenant));
  const context = compact({
    operation: text(group.attributes['gen_ai.operation.name']),
    model: text(group.attributes['gen_ai.request.model']) ?? text(group.attributes['gen_ai.response.model']),
    provider: text(group.attributes['gen_ai.provider.name']) ?? text(group.attributes['gen_ai.system']),
  });
  const first = group.events.reduce((min, event) => (event.timeUnixNano < min ? event.timeUnixNano : min), group.events[0]?.timeUnixNano ?? 0n);
  const step = stepAt(first, group.spanId ?? '');
  const texts = contentTexts(group.events, context, step, Number(first) / 1e9, group.spanId ?? '');
  const experiment =
    namedExperiment(group.attributes, group.resource) ??
    tenantExperiment(tenant, group.resource, options.experiment) ??
    options.experiment ??
    text(group.resource['service.name']);
  return textPlan(key, runHash(key, options.namespace), experiment, texts);
}

function contentTexts(events: readonly ContentEvent[], context: PlanContext, step: bigint, time: number, spanId: string): TextWrite[] {
  const content = renderContentEvents(events);
  const texts: TextWrite[] = [];
  for (const [name, text] of [
    ['on_llm_start', content.input],
    ['on_llm_end', content.output],
  ] as const) {
    if (text !== undefined) texts.push({ name, text, context: { action: name, ...context }, step, time, spanId });
  }
  return texts;
}

function textPlan(key: string, hash: string, experiment: string | undefined, texts: TextWrite[]): RunWritePlan {
  return { key, hash, ...(experiment !== undefined ? { experiment } : {}), tags: [], params: [], metrics: [], texts, spanCount: 0 };
}

function text(value: AttributeValue | undefined): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

function compact(context: Record<string, string | undefined>): PlanContext {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(context)) if (value !== undefined) result[key] = value;
  return result;
}
