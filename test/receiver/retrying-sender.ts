/**
 * A scripted OTLP/HTTP sender that retries like the Collector's `otlp_http` exporter: a request
 * answered 429 or 503 is sent again (the same bytes) after the answer's `Retry-After`, else after an
 * exponential backoff with jitter (5 s, ×1.5, at most 30 s); a request that times out (30 s, the
 * exporter's default) or cannot connect is retried the same way; any other answer is a failure.
 */
import { createHash } from 'node:crypto';
import { otlpTypes } from '../../src/receiver/schema.js';

/** One export request: its protobuf body and the token counts (one per span) it carries. */
export interface Batch {
  readonly body: Buffer;
  readonly tokens: readonly number[];
}

/**
 * `spans` GenAI chat spans in batches of `batchSize`: span `i` has `gen_ai.usage.input_tokens = i`
 * (so the oracle can tell every span once), conversation `c(i mod conversations)`, and ids derived
 * from `service` and `i` (a replay is the same span).
 */
export function makeBatches(options: { spans: number; batchSize: number; conversations: number; service: string; first?: number }): Batch[] {
  const { ExportTraceServiceRequest } = otlpTypes();
  const first = options.first ?? 0;
  const batches: Batch[] = [];
  const now = BigInt(Date.now()) * 1_000_000n;
  for (let start = first; start < first + options.spans; start += options.batchSize) {
    const tokens: number[] = [];
    const spans = [];
    for (let i = start; i < Math.min(start + options.batchSize, first + options.spans); i++) {
      tokens.push(i);
      const id = createHash('sha256')
        .update(`${options.service}/${String(i)}`)
        .digest();
      spans.push({
        traceId: id.subarray(0, 16),
        spanId: id.subarray(16, 24),
        name: 'chat m',
        kind: 3,
        startTimeUnixNano: String(now + BigInt(i) * 1_000_000n),
        endTimeUnixNano: String(now + BigInt(i) * 1_000_000n + 500_000n),
        attributes: [
          { key: 'gen_ai.operation.name', value: { stringValue: 'chat' } },
          { key: 'gen_ai.request.model', value: { stringValue: 'm' } },
          { key: 'gen_ai.conversation.id', value: { stringValue: `c${String(i % options.conversations)}` } },
          { key: 'gen_ai.usage.input_tokens', value: { intValue: i } },
        ],
      });
    }
    const message = ExportTraceServiceRequest.fromObject({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: options.service } }] },
          scopeSpans: [{ scope: { name: 'retrying-sender' }, spans }],
        },
      ],
    });
    batches.push({ body: Buffer.from(ExportTraceServiceRequest.encode(message).finish()), tokens });
  }
  return batches;
}

/** What a sender run saw. */
export interface SendReport {
  /** Answers by HTTP status (`timeout` and `error` for no answer). */
  readonly answers: Record<string, number>;
  /** Batches that ended 2xx. */
  readonly delivered: number;
  /** Batches given up on (an answer the exporter does not retry, or the overall deadline). */
  readonly failed: number;
  /** Wall time of the whole run, in ms. */
  readonly elapsedMs: number;
}

/** Retry behaviour; the defaults are the Collector's `otlp_http` exporter's. */
export interface SenderOptions {
  /** Requests in flight at once (the Collector's `sending_queue.num_consumers`, summed over Collectors). */
  readonly concurrency: number;
  /** Per-request timeout, ms. Default 30 000. */
  readonly timeoutMs?: number;
  /** First backoff, ms. Default 5 000. */
  readonly initialIntervalMs?: number;
  /** Longest backoff, ms. Default 30 000. */
  readonly maxIntervalMs?: number;
  /** Give up on every batch not delivered by then (ms since the epoch). Default: never. */
  readonly deadline?: number;
}

/** Sends every batch to `receiverUrl/v1/traces`, `concurrency` at a time, retrying until each is delivered or fails. */
export async function sendWithRetries(receiverUrl: string, batches: readonly Batch[], options: SenderOptions): Promise<SendReport> {
  const started = Date.now();
  const answers: Record<string, number> = {};
  let delivered = 0;
  let failed = 0;
  let next = 0;
  const count = (key: string): void => {
    answers[key] = (answers[key] ?? 0) + 1;
  };
  const worker = async (): Promise<void> => {
    for (let index = next++; index < batches.length; index = next++) {
      const batch = batches[index];
      if (batch === undefined) break;
      let backoff = options.initialIntervalMs ?? 5_000;
      for (;;) {
        if (options.deadline !== undefined && Date.now() > options.deadline) {
          failed += 1;
          break;
        }
        let wait: number;
        try {
          const response = await fetch(`${receiverUrl}/v1/traces`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-protobuf' },
            body: batch.body,
            signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
          });
          await response.arrayBuffer();
          count(String(response.status));
          if (response.ok) {
            delivered += 1;
            break;
          }
          if (response.status !== 429 && response.status !== 503) {
            failed += 1;
            break;
          }
          const retryAfter = Number(response.headers.get('retry-after') ?? NaN);
          wait = Number.isFinite(retryAfter) ? retryAfter * 1_000 : jittered(backoff);
        } catch (error) {
          count(error instanceof Error && error.name === 'TimeoutError' ? 'timeout' : 'error');
          wait = jittered(backoff);
        }
        backoff = Math.min(backoff * 1.5, options.maxIntervalMs ?? 30_000);
        await new Promise((wake) => setTimeout(wake, wait));
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, () => worker()));
  return { answers, delivered, failed, elapsedMs: Date.now() - started };
}

/** The Collector's randomization factor 0.5: a delay in [0.5, 1.5] × `ms`. */
function jittered(ms: number): number {
  return ms * (0.5 + Math.random());
}

/** Starts `n` busy loops (`yes > /dev/null`, as in the report); resolves to a function that stops them. */
export async function busyLoops(n: number): Promise<() => Promise<void>> {
  const { spawn } = await import('node:child_process');
  const children = Array.from({ length: n }, () => spawn('sh', ['-c', 'exec yes > /dev/null'], { stdio: 'ignore' }));
  return async () => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) {
              resolve();
              return;
            }
            child.once('exit', () => {
              resolve();
            });
            child.kill('SIGKILL');
          }),
      ),
    );
  };
}
