import { Counter, Gauge, Registry } from 'prom-client';
import type { AimSinkStats } from '../sink/aim-sink.js';

/** The receiver's Prometheus metrics, in a registry of its own (never the process-global one). */
export class ReceiverMetrics {
  readonly registry = new Registry();
  /** Requests answered, by HTTP status code. */
  readonly requests = new Counter({ name: 'aim_otel_bridge_requests_total', help: 'OTLP/HTTP requests answered, by status code', labelNames: ['code'], registers: [this.registry] });
  /** Spans in requests that decoded. */
  readonly received = new Counter({ name: 'aim_otel_bridge_spans_received_total', help: 'Spans received in decodable requests', registers: [this.registry] });
  /** Spans rejected as invalid (partial success). */
  readonly rejected = new Counter({ name: 'aim_otel_bridge_spans_rejected_total', help: 'Spans rejected as invalid (partial_success)', registers: [this.registry] });
  /** Spans refused with 429/503 (the sender retries them). */
  readonly deferred = new Counter({ name: 'aim_otel_bridge_spans_deferred_total', help: 'Spans answered with 429/503 for the sender to retry', registers: [this.registry] });

  constructor(stats: () => AimSinkStats) {
    mirroredCounter(this.registry, 'aim_otel_bridge_spans_written_total', 'Spans whose writes Aim acknowledged', () => stats().written);
    mirroredCounter(this.registry, 'aim_otel_bridge_spans_dropped_total', 'Spans dropped after they were accepted (Aim refused them)', () => stats().dropped);
    new Gauge({
      name: 'aim_otel_bridge_queue_spans',
      help: 'Spans waiting to be written to Aim',
      registers: [this.registry],
      collect() {
        this.set(stats().queued);
      },
    });
    new Gauge({
      name: 'aim_otel_bridge_open_runs',
      help: 'Aim runs open for writing',
      registers: [this.registry],
      collect() {
        this.set(stats().openRuns);
      },
    });
  }
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
