import { Counter, Gauge, Registry } from 'prom-client';
import type { AimSinkStats } from '../sink/aim-sink.js';
import type { OtlpSignal } from './schema.js';

/** The counters of one signal's items (spans, log records, data points). */
export interface SignalCounters {
  /** Items in requests that decoded. */
  readonly received: Counter;
  /** Items rejected as invalid (partial success). */
  readonly rejected: Counter;
  /** Items refused with 429/503 (the sender retries them). */
  readonly deferred: Counter;
}

const ITEMS: Readonly<Record<OtlpSignal, [metric: string, help: string]>> = {
  traces: ['spans', 'Spans'],
  logs: ['log_records', 'Log records'],
  metrics: ['data_points', 'Metric data points'],
};

/** The receiver's Prometheus metrics, in a registry of its own (never the process-global one). */
export class ReceiverMetrics {
  readonly registry = new Registry();
  /** Requests answered, by HTTP status code (gRPC answers count under their status name). */
  readonly requests = new Counter({
    name: 'aim_otel_bridge_requests_total',
    help: 'OTLP requests answered, by status code',
    labelNames: ['code'],
    registers: [this.registry],
  });
  /** New requests refused with 429 because the queue was full (load shed). */
  readonly shedRequests = new Counter({
    name: 'aim_otel_bridge_requests_shed_total',
    help: 'OTLP requests refused with 429 because the queue was full (load shedding)',
    registers: [this.registry],
  });
  /** Requests refused with 403 / `PERMISSION_DENIED`: they named an experiment outside their token's tenant scope (`tenant`: the scope's name). */
  readonly forbiddenRequests = new Counter({
    name: 'aim_otel_bridge_forbidden_requests_total',
    help: 'OTLP requests refused with 403 (PERMISSION_DENIED) because they named an experiment outside their token’s tenant scope, by tenant',
    labelNames: ['tenant'],
    registers: [this.registry],
  });
  /** TLS handshakes of OTLP/HTTP refused (no or an unverified client certificate, a client not speaking TLS…). */
  readonly tlsHandshakeFailures = new Counter({
    name: 'aim_otel_bridge_tls_handshake_failures_total',
    help: 'TLS handshakes of the OTLP/HTTP receiver that failed (e.g. a client without a certificate the client CA issued)',
    registers: [this.registry],
  });
  /** Retried requests answered from their earlier attempt (`answered`: `from-written`, `joined-in-flight`), not queued again. */
  readonly retries = new Counter({
    name: 'aim_otel_bridge_requests_retried_total',
    help: 'Retried OTLP requests (same content) answered from their earlier attempt instead of being queued again, by how',
    labelNames: ['answered'],
    registers: [this.registry],
  });
  /** 1 while the Aim session is healthy, 0 while it is in trouble (see `/readyz` for the cause). */
  readonly aimSessionHealthy = new Gauge({
    name: 'aim_otel_bridge_aim_session_healthy',
    help: '1 while the Aim session is healthy, 0 while it is in trouble it cannot leave by itself at once (cause on /readyz and in the log)',
    registers: [this.registry],
  });
  /** Times the Aim session got into trouble. */
  readonly aimSessionProblems = new Counter({
    name: 'aim_otel_bridge_aim_session_problems_total',
    help: 'Times the Aim session got into trouble (a restore refused, a run storage that cannot be opened)',
    registers: [this.registry],
  });
  /** Each signal's item counters: `aim_otel_bridge_{spans,log_records,data_points}_{received,rejected,deferred}_total`. */
  readonly signals: Readonly<Record<OtlpSignal, SignalCounters>>;

  constructor(stats: () => AimSinkStats) {
    const counters = (signal: OtlpSignal): SignalCounters => {
      const [metric, help] = ITEMS[signal];
      return {
        received: new Counter({ name: `aim_otel_bridge_${metric}_received_total`, help: `${help} received in decodable requests`, registers: [this.registry] }),
        rejected: new Counter({
          name: `aim_otel_bridge_${metric}_rejected_total`,
          help: `${help} rejected as invalid (partial_success)`,
          registers: [this.registry],
        }),
        deferred: new Counter({
          name: `aim_otel_bridge_${metric}_deferred_total`,
          help: `${help} answered with 429/503 for the sender to retry`,
          registers: [this.registry],
        }),
      };
    };
    this.signals = { traces: counters('traces'), logs: counters('logs'), metrics: counters('metrics') };
    mirroredCounter(this.registry, 'aim_otel_bridge_spans_written_total', 'Spans whose writes Aim acknowledged', () => stats().written);
    mirroredCounter(this.registry, 'aim_otel_bridge_spans_dropped_total', 'Spans dropped after they were accepted (Aim refused them)', () => stats().dropped);
    mirroredCounter(
      this.registry,
      'aim_otel_bridge_log_records_ignored_total',
      'Log records without GenAI content (accepted, not written)',
      () => stats().logRecordsIgnored,
    );
    mirroredCounter(this.registry, 'aim_otel_bridge_genai_events_joined_total', 'GenAI content events written in their span’s run', () => stats().eventsJoined);
    mirroredCounter(
      this.registry,
      'aim_otel_bridge_genai_events_unjoined_total',
      'GenAI content events written to the fallback place (their span did not come in time)',
      () => stats().eventsUnjoined,
    );
    mirroredCounter(this.registry, 'aim_otel_bridge_data_points_written_total', 'GenAI metric data points written to Aim', () => stats().metricPointsWritten);
    mirroredCounter(
      this.registry,
      'aim_otel_bridge_data_points_ignored_total',
      'Metric data points accepted and not written (not GenAI metrics)',
      () => stats().metricPointsIgnored,
    );
    mirroredCounter(
      this.registry,
      'aim_otel_bridge_cost_unpriced_calls_total',
      'Model calls with token counts whose model has no price (no gen_ai.usage.cost written; each model is logged once)',
      () => stats().costUnpriced,
    );
    mirroredCounter(
      this.registry,
      'aim_otel_bridge_cost_usage_adjusted_calls_total',
      'Priced model calls whose token totals left their cached or reasoning parts out (read so)',
      () => stats().costUsageAdjusted,
    );
    mirroredCounter(
      this.registry,
      'aim_otel_bridge_params_cut_total',
      'Params dropped because they broke a bound (too many for their run, a key too long, a value too big, deep or wide)',
      () => stats().paramsCut,
    );
    mirroredCounter(
      this.registry,
      'aim_otel_bridge_tags_cut_total',
      'Tags dropped (longer than 256 characters, or beyond the 100 a run gets while held open)',
      () => stats().tagsCut,
    );
    mirroredCounter(
      this.registry,
      'aim_otel_bridge_strings_repaired_total',
      'Strings with lone UTF-16 surrogates written with U+FFFD in their place',
      () => stats().stringsRepaired,
    );
    this.aimSessionHealthy.set(1);
    gauge(this.registry, 'aim_otel_bridge_queue_spans', 'Spans (and other items) waiting to be written to Aim', () => stats().queued);
    gauge(this.registry, 'aim_otel_bridge_open_runs', 'Aim runs open for writing', () => stats().openRuns);
    gauge(this.registry, 'aim_otel_bridge_genai_events_held', 'GenAI content events waiting for their span', () => stats().eventsHeld);
  }
}

function gauge(registry: Registry, name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read());
    },
  });
}

/** A counter that follows a monotonic count kept elsewhere (read at each scrape). */
function mirroredCounter(registry: Registry, name: string, help: string, read: () => number): void {
  let seen = 0;
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      const now = read();
      if (now > seen) this.inc(now - seen);
      seen = now;
    },
  });
}
