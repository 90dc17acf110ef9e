/** What the benchmarks ask a running `aim-otel-bridge serve`, and how they send it OTLP as the Collector would. */

/** A counter of the bridge's Prometheus /metrics (e.g. `aim_otel_bridge_spans_written_total`), 0 when absent. */
export async function bridgeCounter(bridgeUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${bridgeUrl}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\d+(?:\\.\\d+)?(?:e\\+?\\d+)?)`, 'm').exec(text)?.[1] ?? 0);
}

/** Spans whose writes Aim acknowledged, by the bridge's count. */
export function spansWritten(bridgeUrl: string): Promise<number> {
  return bridgeCounter(bridgeUrl, 'aim_otel_bridge_spans_written_total');
}

/**
 * POSTs OTLP/HTTP protobuf `bodies` to `url` (`.../v1/traces`), `concurrency` requests at a time (the
 * Collector's exporter sends several at once), each retried after its `Retry-After` while the bridge
 * answers 429 or 503, as the Collector does. Resolves once every body was answered 200; throws on
 * any other answer. Returns how many answers were retries.
 */
export async function postAll(url: string, bodies: readonly Uint8Array[], concurrency: number): Promise<{ retries: number }> {
  let next = 0;
  let retries = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < bodies.length; i = next++) {
      const body = bodies[i];
      if (body === undefined) continue;
      for (;;) {
        const response = await fetch(url, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/x-protobuf' },
          signal: AbortSignal.timeout(15 * 60_000),
        });
        const text = await response.text();
        if (response.status === 200) break;
        if (response.status !== 429 && response.status !== 503) throw new Error(`POST ${url} answered ${String(response.status)}: ${text.slice(0, 300)}`);
        retries++;
        const waitSeconds = Number(response.headers.get('retry-after') ?? 1);
        await new Promise((wake) => setTimeout(wake, (Number.isFinite(waitSeconds) ? waitSeconds : 1) * 1000));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return { retries };
}
