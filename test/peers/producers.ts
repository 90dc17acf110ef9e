/**
 * Runs a real Python GenAI instrumentation (test/peers/producers/drive.py in a provisioned venv)
 * against an OpenAI-compatible server, exporting OTLP/HTTP protobuf traces, logs and metrics to an
 * endpoint. See drive.py for the calls it makes and what each mode configures.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { PRODUCERS_DIR, requireProducers, type ProducerVenv } from './provision-producers.js';

/** Each producer's content modes (drive.py's MODES). */
export const PRODUCER_MODES = {
  /** opentelemetry-instrumentation-openai-v2 2.4b0 on opentelemetry-util-genai 0.4b0. */
  'openai-v2': ['no-content', 'events', 'span-only', 'event-only', 'span-and-event'],
  /** The same instrumentation on opentelemetry-util-genai 1.1b0 (`legacy-true`: the rejected value `true`). */
  'openai-v2-util1': ['no-content', 'span-only', 'event-only', 'span-and-event', 'legacy-true'],
  /** traceloop-sdk 0.62.4 (`Traceloop.init`); `workflow`: content, calls in a @workflow with a @task each. */
  openllmetry: ['content', 'no-content', 'workflow'],
  /** openinference-instrumentation-openai 0.1.66; `genai-semconv`: content plus OPENINFERENCE_ENABLE_GENAI_SEMCONV. */
  openinference: ['content', 'no-content', 'genai-semconv'],
} as const;

/** A producer drive.py can run. */
export type ProducerName = keyof typeof PRODUCER_MODES;
/** A content mode of producer `P`. */
export type ProducerMode<P extends ProducerName> = (typeof PRODUCER_MODES)[P][number];

const VENV_OF: Readonly<Record<ProducerName, ProducerVenv>> = {
  'openai-v2': 'main',
  'openai-v2-util1': 'util-genai-1',
  openllmetry: 'main',
  openinference: 'main',
};

/** Options of {@link runProducer}. */
export interface RunProducerOptions<P extends ProducerName> {
  producer: P;
  mode: ProducerMode<P>;
  /** OTLP/HTTP base URL; `/v1/traces`, `/v1/logs`, `/v1/metrics` are appended. */
  otlpEndpoint: string;
  /** OpenAI base URL ending in `/v1` (e.g. the fake server's `url`). */
  openaiBaseUrl: string;
  /** A conversation id (openllmetry: gen_ai.conversation.id, openinference: session.id, openai-v2: ignored). */
  conversationId?: string;
  /** Periodic metric export interval in ms; default 60 000, so the only export is the one at shutdown. */
  metricExportIntervalMs?: number;
  /** Kill the run after this many ms. Default 60 000. */
  timeoutMs?: number;
}

/** One chat call drive.py made, as the openai client saw it. */
export interface ProducerCall {
  kind: 'plain' | 'stream' | 'tool_call' | 'tool_result';
  request_model: string;
  response_model: string | null;
  response_id: string | null;
  text: string | null;
  finish_reason: string | null;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
  tool_calls?: { id: string; name: string; arguments: string }[];
  /** Stream chunks received (stream only). */
  chunks?: number;
}

/** A span the producer ended (ids as lowercase hex). */
export interface ProducerSpan {
  name: string;
  trace_id: string;
  span_id: string;
  parent_span_id: string | null;
}

/** What drive.py printed when it was done: everything it exported was sent by then. */
export interface ProducerSummary {
  producer: ProducerName;
  mode: string;
  /** The producer configuration variables the mode set. */
  env: Record<string, string>;
  otlp_endpoint: string;
  openai_base_url: string;
  conversation_id: string | null;
  /** How the conversation id was passed, or why not. */
  conversation_note: string | null;
  /** Installed versions of the relevant packages. */
  versions: Record<string, string>;
  calls: ProducerCall[];
  spans: ProducerSpan[];
}

/** drive.py failed; the message carries its stderr's end. */
export class ProducerRunError extends Error {
  override readonly name = 'ProducerRunError';
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return lines[lines.length - 1] ?? '';
}

/**
 * Runs one producer in one content mode: drive.py makes its four chat calls against
 * `openaiBaseUrl`, exports to `otlpEndpoint`, flushes and shuts down. Resolves to its summary once
 * the process exited (so all telemetry was sent). Throws when the venv is not provisioned (run
 * `npm run peers`) or drive.py fails.
 */
export async function runProducer<P extends ProducerName>(options: RunProducerOptions<P>): Promise<ProducerSummary> {
  const { python } = requireProducers(VENV_OF[options.producer]);
  const args = [
    join(PRODUCERS_DIR, 'drive.py'),
    '--producer',
    options.producer,
    '--mode',
    options.mode,
    '--otlp-endpoint',
    options.otlpEndpoint,
    '--openai-base-url',
    options.openaiBaseUrl,
    '--metric-export-interval-ms',
    String(options.metricExportIntervalMs ?? 60_000),
  ];
  if (options.conversationId !== undefined) args.push('--conversation-id', options.conversationId);
  const { stdout, stderr, error } = await new Promise<{ stdout: string; stderr: string; error: Error | null }>((resolveRun) => {
    execFile(
      python,
      args,
      { timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, PYTHONUNBUFFERED: '1' } },
      (runError, out, err) => {
        resolveRun({ stdout: out, stderr: err, error: runError });
      },
    );
  });
  const label = `drive.py --producer ${options.producer} --mode ${options.mode}`;
  if (error) throw new ProducerRunError(`${label} failed: ${error.message}\n${stderr.split('\n').slice(-40).join('\n')}`);
  try {
    return JSON.parse(lastLine(stdout)) as ProducerSummary;
  } catch {
    throw new ProducerRunError(`${label} printed no JSON summary; stdout ends with: ${stdout.slice(-2000)}\nstderr: ${stderr.slice(-2000)}`);
  }
}
