/**
 * OTLP metric points → Aim write plan. Pure: no I/O, no clock; the same points always give the
 * same plan, so a replayed request writes the same points under the same keys (a no-op in Aim).
 *
 * **Which metrics.** The GenAI namespaces: names starting with `gen_ai.` (the semantic
 * conventions, OpenLLMetry's and OpenLIT's GenAI metrics) or `llm.` (OpenLLMetry's own). Every
 * other metric (HTTP, runtime, database...) is counted in `ignored`, unless
 * `options.includeNonGenAI` is true. With `options.layout: 'explicit'` nothing is written (metrics
 * carry no explicit instructions). Points flagged no-recorded-value are ignored. What the known
 * producers send:
 *
 * | metric | kind, unit | producer |
 * |---|---|---|
 * | `gen_ai.client.token.usage` | histogram, `{token}` (attr. `gen_ai.token.type`) | semconv: OTel `openai-v2`, OpenLLMetry, our LangChain handler |
 * | `gen_ai.client.operation.duration` | histogram, s | semconv: same |
 * | `gen_ai.client.operation.time_to_first_chunk`, `gen_ai.client.operation.time_per_output_chunk` | histogram, s | semconv 1.41.1: our LangChain handler |
 * | `gen_ai.server.request.duration`, `gen_ai.server.time_to_first_token`, `gen_ai.server.time_per_output_token` | histogram, s | semconv (model servers); OpenLLMetry 0.62.x reports streaming time to first token as `gen_ai.server.time_to_first_token` |
 * | `gen_ai.client.generation.choices` | counter, `choice` | OpenLLMetry (a total, and one series per `gen_ai.response.finish_reason`; `stream`, `server.address` on all its metrics) |
 * | `llm.chat_completions.streaming_time_to_generate` (0.62.x), `llm.openai.chat_completions.streaming_time_to_generate`, `llm.openai.chat_completions.streaming_time_to_first_token` (older) | histogram, s | OpenLLMetry |
 * | `llm.openai.embeddings.vector_size` | counter, `element` | OpenLLMetry |
 * | `llm.openai.chat_completions.exceptions`, `llm.openai.embeddings.exceptions`, `llm.openai.image_generations.exceptions`, `llm.anthropic.completion.exceptions` | counter (attr. `error.type`) | OpenLLMetry |
 *
 * **Run.** One per service: run key `metrics/<service.name>` (`unknown_service` when the resource
 * names none), hash {@link runHash}(key, `options.namespace`), experiment the resource's
 * `aim.experiment`, else `options.experiment`, else `service.name` (as for spans, so a service's
 * metrics run sits beside its conversation/trace runs), name `<service.name> metrics`, no params,
 * tags or texts. Metric points are aggregates over many calls: they carry no trace, conversation
 * or session, so they cannot join the runs spans go to, and a run per export or per series would
 * bury the UI in runs. Processes of one service are told apart by the context (`instance`). A
 * tenant's points (`MetricPoint.tenant`) go to its own run of the service: the key in its namespace
 * and, when the resource names no experiment, the tenant's experiment (see tenant-keys.ts).
 *
 * **Sequences.** Per point, by kind:
 *
 * | kind | Aim metrics | Aim type |
 * |---|---|---|
 * | histogram, exponential histogram | `<name>.count`, `<name>.sum`, `<name>.mean` (= sum / count), `<name>.min`, `<name>.max` (each when present; mean when count > 0) | count int, others float |
 * | summary | `<name>.count`, `<name>.sum`, `<name>.mean` | count int, others float |
 * | sum (counter, up-down counter), gauge | `<name>` | int for `asInt` points, else float |
 *
 * Values in the metric's own unit (durations stay seconds). Non-finite values are not written.
 *
 * **Context** (one Aim sequence per OTel series): the GenAI attributes under the keys span metrics
 * use, `operation` (`gen_ai.operation.name`), `model` (`gen_ai.request.model`, else
 * `gen_ai.response.model`; `response_model` too when both are set and differ), `provider`
 * (`gen_ai.provider.name`, else `gen_ai.system`), plus `token_type` (`gen_ai.token.type`),
 * `error_type` (`error.type`) and `finish_reason` (OpenLLMetry's `gen_ai.response.finish_reason`,
 * older `llm.response.finish_reason`); `instance` (resource `service.instance.id`, when set);
 * `temporality: 'delta'` for delta points (see below); then every other point attribute with a
 * scalar value, its key with non-word characters as `_` (`server.address` → `server_address`, OpenLLMetry's
 * `stream`): series that differ only there would otherwise interleave in one sequence at the same
 * step. Lists become comma-joined strings; unsafe integers decimal strings.
 *
 * **Step** of every point: its time (`timeUnixNano`) in whole unix seconds. Deterministic, in time
 * order across process restarts (a cumulative series that restarts shows the reset, as in
 * Prometheus), exact in the UI (< 2^53) and readable as a timestamp; export intervals are seconds
 * or more, so one series has one point per step. **time**: the point's time. **key** (the stored
 * point's identity): the metric name, scope, all point attributes, start and time, so a replay
 * rewrites its own point and two series sharing a sequence and a step both stay.
 *
 * **Temporality.** Values are written as they come, statelessly: a cumulative point (the default
 * of the OTel Python and JS SDKs) holds totals since the series' start, so `.count`/`.sum` grow and
 * `.mean` is the running mean since the start; a delta point holds one export interval, so
 * `.count`/`.sum` are per interval and `.mean` the interval's mean. Turning cumulative points into
 * deltas would need the previous point of each series: state kept across requests and replicas,
 * lost on restart, and wrong on a replayed or reordered request. Delta sequences get the context
 * `temporality: 'delta'` so the two meanings never share a sequence.
 */
import type { MetricPoint } from '../model/metric-point.js';
import type { AttributeValue, Attributes } from '../model/span-record.js';
import type { MetricWrite, PlanContext, RunWritePlan } from './aim-plan.js';
import { runHash } from './run-key.js';
import { namedExperiment, tenantExperiment, tenantRunKey } from './tenant-keys.js';
import type { MappingOptions } from './to-aim.js';

/** The plan for a batch of metric points. */
export interface MetricWritePlan {
  /** One per service, in order of first appearance. */
  readonly runs: RunWritePlan[];
  /** How many points were written (gave at least one Aim metric point). */
  readonly written: number;
  /** How many points were not (not a GenAI metric, no recorded value, or nothing finite to write). */
  readonly ignored: number;
}

/** The prefix of every metrics run key (`metrics/<service.name>`). */
export const METRICS_RUN_KEY_PREFIX = 'metrics/';

/** Whether a metric name is in a GenAI namespace (`gen_ai.`, `llm.`): the metrics written by default. */
export function isGenAIMetric(name: string): boolean {
  return name.startsWith('gen_ai.') || name.startsWith('llm.');
}

/**
 * Maps metric points to Aim writes (see the module documentation for the layout). Of `options`,
 * `experiment`, `namespace`, `includeNonGenAI` (default false) and `layout` (default `genai`) apply;
 * `runKey` does not (metric points belong to no trace or conversation).
 */
export function planMetricWrites(points: readonly MetricPoint[], options: MappingOptions = {}): MetricWritePlan {
  const runs = new Map<string, MetricRunBuilder>();
  let written = 0;
  let ignored = 0;
  for (const point of points) {
    if (options.layout === 'explicit' || point.noRecordedValue || (options.includeNonGenAI !== true && !isGenAIMetric(point.name))) {
      ignored++;
      continue;
    }
    const writes = metricWrites(point);
    if (writes.length === 0) {
      ignored++;
      continue;
    }
    written++;
    const resource = point.origin.resource;
    const service = text(resource['service.name']) ?? 'unknown_service';
    const key = tenantRunKey(METRICS_RUN_KEY_PREFIX + service, point.tenant);
    let run = runs.get(key);
    if (!run) {
      const experiment = namedExperiment({}, resource) ?? tenantExperiment(point.tenant, resource, options.experiment) ?? options.experiment ?? service;
      run = new MetricRunBuilder(key, runHash(key, options.namespace), experiment, `${service} metrics`);
      runs.set(key, run);
    }
    run.metrics.push(...writes);
  }
  return { runs: [...runs.values()].map((run) => run.build()), written, ignored };
}

class MetricRunBuilder {
  readonly metrics: MetricWrite[] = [];

  constructor(
    private readonly key: string,
    private readonly hash: string,
    private readonly experiment: string,
    private readonly name: string,
  ) {}

  build(): RunWritePlan {
    return {
      key: this.key,
      hash: this.hash,
      experiment: this.experiment,
      name: this.name,
      tags: [],
      params: [],
      metrics: this.metrics,
      texts: [],
      spanCount: 0,
    };
  }
}

/** The Aim metric points of one OTLP point. */
function metricWrites(point: MetricPoint): MetricWrite[] {
  const base = {
    context: pointContext(point),
    step: point.timeUnixNano / 1_000_000_000n,
    time: Number(point.timeUnixNano) / 1e9,
    spanId: '',
    key: pointKey(point),
  };
  const writes: MetricWrite[] = [];
  const add = (name: string, value: number | bigint | undefined): void => {
    if (value === undefined || (typeof value === 'number' && !Number.isFinite(value))) return;
    writes.push({ name, value, ...base });
  };
  switch (point.kind) {
    case 'gauge':
    case 'sum':
      add(point.name, point.value);
      break;
    case 'histogram':
    case 'exponential_histogram':
    case 'summary': {
      const sum = point.sum;
      add(`${point.name}.count`, point.count);
      add(`${point.name}.sum`, sum);
      add(`${point.name}.mean`, sum !== undefined && point.count > 0n ? sum / Number(point.count) : undefined);
      if (point.kind !== 'summary') {
        add(`${point.name}.min`, point.min);
        add(`${point.name}.max`, point.max);
      }
      break;
    }
  }
  return writes;
}

/** Point attributes read into the normalized context keys. */
const NORMALIZED = new Set([
  'gen_ai.operation.name',
  'gen_ai.request.model',
  'gen_ai.response.model',
  'gen_ai.provider.name',
  'gen_ai.system',
  'gen_ai.token.type',
  'error.type',
  'gen_ai.response.finish_reason',
  'llm.response.finish_reason',
]);

function pointContext(point: MetricPoint): PlanContext {
  const a = point.attributes;
  const requestModel = text(a['gen_ai.request.model']);
  const responseModel = text(a['gen_ai.response.model']);
  // A map: attribute keys such as `__proto__` or `constructor` are plain keys here.
  const context = new Map<string, string | number | boolean>();
  const put = (key: string, value: string | number | boolean | undefined): void => {
    if (value !== undefined && !context.has(key)) context.set(key, value);
  };
  put('operation', text(a['gen_ai.operation.name']));
  put('model', requestModel ?? responseModel);
  if (requestModel !== undefined && responseModel !== undefined && responseModel !== requestModel) put('response_model', responseModel);
  put('provider', text(a['gen_ai.provider.name']) ?? text(a['gen_ai.system']));
  put('token_type', text(a['gen_ai.token.type']));
  put('error_type', text(a['error.type']));
  put('finish_reason', text(a['gen_ai.response.finish_reason']) ?? text(a['llm.response.finish_reason']));
  put('instance', text(point.origin.resource['service.instance.id']));
  if (point.temporality === 'delta') put('temporality', 'delta');
  for (const key of Object.keys(a).sort()) {
    if (NORMALIZED.has(key)) continue;
    put(key.replace(/\W/g, '_'), contextValue(a[key]));
  }
  return Object.fromEntries(context);
}

/** An attribute as a context value: scalars as they are, lists comma-joined, the rest as JSON. */
function contextValue(value: AttributeValue | undefined): string | number | boolean | undefined {
  if (value === undefined || value === null || value instanceof Uint8Array) return undefined;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (isList(value)) return value.map((item) => (typeof item === 'string' ? item : canonical(item))).join(',');
  return canonical(value);
}

/** What identifies a point (the same on every replay), for {@link MetricWrite.key}. */
function pointKey(point: MetricPoint): string {
  return [point.name, point.origin.scopeName, canonical(point.attributes), point.startTimeUnixNano.toString(), point.timeUnixNano.toString()].join('\u0000');
}

/** A stable text form of an attribute value: object keys sorted, bigints as `<n>n`, bytes as hex. */
function canonical(value: AttributeValue | Attributes | undefined): string {
  if (value === undefined || value === null) return 'null';
  if (typeof value === 'bigint') return `${value.toString()}n`;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  if (value instanceof Uint8Array) return `0x${Buffer.from(value).toString('hex')}`;
  if (isList(value)) return `[${value.map((item) => canonical(item)).join(',')}]`;
  const record = value as Attributes;
  return `{${Object.keys(record)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonical(record[key])}`)
    .join(',')}}`;
}

function isList(value: unknown): value is readonly AttributeValue[] {
  return Array.isArray(value);
}

function text(value: AttributeValue | undefined): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}
