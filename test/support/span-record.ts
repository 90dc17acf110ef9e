/** Builders of the span model for unit tests of the mapping and the sink. */
import type { Attributes, SpanRecord } from '../../src/model/span-record.js';

/** 2025-11-24T16:00:00Z, a whole millisecond, in ns: the default start of {@link testSpan}. */
export const TEST_START_NS = 1_764_000_000_000n * 1_000_000n;

/**
 * A finished span: by default a `chat` client span of service `svc` (scope `test`) in trace
 * `c…c`, started at {@link TEST_START_NS} and 1 s long, status unset, no events or links; `more`
 * replaces any field.
 */
export function testSpan(spanId: string, attributes: Attributes, more: Partial<SpanRecord> = {}): SpanRecord {
  return {
    traceId: 'c'.repeat(32),
    spanId,
    name: 'chat',
    kind: 'client',
    startTimeUnixNano: TEST_START_NS,
    endTimeUnixNano: TEST_START_NS + 1_000_000_000n,
    attributes,
    events: [],
    links: [],
    status: { code: 'unset' },
    origin: { resource: { 'service.name': 'svc' }, scopeName: 'test' },
    ...more,
  };
}

/** A deterministic shuffle (a fixed linear congruential sequence), so a failure can be replayed. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
