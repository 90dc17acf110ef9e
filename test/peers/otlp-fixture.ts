import { randomBytes } from 'node:crypto';

/** A minimal OTLP/JSON trace export request (one span), with fresh random ids. */
export function otlpJsonTrace(serviceName: string, spanName: string): { traceId: string; spanId: string; body: string } {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  const now = BigInt(Date.now()) * 1_000_000n;
  const body = JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: serviceName } }] },
        scopeSpans: [
          {
            scope: { name: 'aim-otel-bridge-tests' },
            spans: [
              {
                traceId,
                spanId,
                name: spanName,
                kind: 3,
                startTimeUnixNano: String(now - 5_000_000n),
                endTimeUnixNano: String(now),
                attributes: [{ key: 'gen_ai.operation.name', value: { stringValue: 'chat' } }],
              },
            ],
          },
        ],
      },
    ],
  });
  return { traceId, spanId, body };
}

/** POSTs an OTLP/JSON body to `baseUrl/v1/traces`; resolves to the HTTP status. */
export async function postOtlpJson(baseUrl: string, body: string): Promise<number> {
  const response = await fetch(`${baseUrl}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  await response.arrayBuffer();
  return response.status;
}
