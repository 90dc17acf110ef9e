/**
 * The private span pipeline of an `AimCallbackHandler`: its own tracer provider, a processor that
 * stamps every span with the current session's run key and experiment, and a batch processor
 * feeding an `AimSpanExporter` in the `explicit` layout. Sessions (Aim runs) and repositories can
 * change while the provider stays, so the handler's tracer never goes stale.
 */
import type { Context } from '@opentelemetry/api';
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type Span, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { AimSpanExporter } from '../../exporter/index.js';

/** The Aim run spans go to now. */
export interface Session {
  /** The run key (`aim.run_key`); the run hash derives from it. */
  readonly runKey: string;
  /** The experiment (`aim.experiment`); none: Aim's `default`. */
  readonly experiment: string | undefined;
}

/** How long spans wait before they are written, in ms (the facade flushes on `flushTracker`). */
const BATCH_DELAY_MS = 500;

export class FacadePipeline implements SpanProcessor {
  readonly provider: BasicTracerProvider;
  private exporter: AimSpanExporter;
  private batch: BatchSpanProcessor;
  /** Drops counted by exporters replaced by {@link restart}. */
  private droppedBefore = 0;

  constructor(
    private url: string,
    private session: Session,
    private readonly retryDeadlineMs: number,
  ) {
    this.exporter = this.newExporter(url);
    this.batch = new BatchSpanProcessor(this.exporter, { scheduledDelayMillis: BATCH_DELAY_MS });
    this.provider = new BasicTracerProvider({ spanProcessors: [this] });
  }

  /** The facade's runs stay open until `flushTracker` closes them, as Python's do: no idle close. */
  private newExporter(url: string): AimSpanExporter {
    return new AimSpanExporter({ url, layout: 'explicit', runKey: 'attribute', idleCloseMs: 2_147_483_647, retryDeadlineMs: this.retryDeadlineMs });
  }

  /** Spans dropped so far (queue full, Aim unreachable past the deadline), by every exporter this pipeline had. */
  get droppedSpans(): number {
    return this.droppedBefore + this.exporter.droppedSpans;
  }

  setSession(session: Session): void {
    this.session = session;
  }

  onStart(span: Span, _parentContext: Context): void {
    span.setAttribute('aim.run_key', this.session.runKey);
    if (this.session.experiment !== undefined) span.setAttribute('aim.experiment', this.session.experiment);
  }

  onEnd(span: ReadableSpan): void {
    this.batch.onEnd(span);
  }

  /** Writes every span ended so far. */
  async forceFlush(): Promise<void> {
    await this.batch.forceFlush();
  }

  /**
   * Writes every span ended so far, closes the runs (Aim marks them finished) and the connection,
   * and continues with a fresh exporter for `url` (default the same), which connects on first use.
   */
  async restart(url: string = this.url): Promise<void> {
    const old = this.batch;
    const oldExporter = this.exporter;
    this.url = url;
    this.exporter = this.newExporter(url);
    this.batch = new BatchSpanProcessor(this.exporter, { scheduledDelayMillis: BATCH_DELAY_MS });
    await old.shutdown();
    this.droppedBefore += oldExporter.droppedSpans;
  }

  /** Writes every span ended so far and closes everything. */
  async shutdown(): Promise<void> {
    await this.batch.shutdown();
  }
}
