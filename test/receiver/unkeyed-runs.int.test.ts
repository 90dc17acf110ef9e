/**
 * Issue 14, part 4: runs that stay few. 10,000 independent chat calls of one service — no
 * conversation, session, run key or parent span, each in a trace of its own — over 2 model
 * variants and 2 hours, sent as OTLP/HTTP protobuf through a real receiver (its default grouping,
 * `window`) into a real `aim server`, make exactly the documented number of runs: services × model
 * variants × windows = 1 × 2 × 2 = 4 (with one run per trace they were 10,000). Then `aim up` on
 * the repository indexes them and its API answers the Runs explorer's run list and the Metrics
 * explorer's query for `gen_ai.usage.input_tokens` with those runs; the timings are printed, not
 * asserted (the machine is shared). Aim's own SDK (the oracle) reads every token count back.
 */
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { runHash } from '../../src/mapping/run-key.js';
import { createReceiver } from '../../src/receiver/index.js';
import { otlpTypes } from '../../src/receiver/schema.js';
import { treeCpuSeconds } from '../bench/proc-stats.js';
import { startAimServer, startAimUi } from '../peers/aim.js';
import { projectParams, searchMetrics, searchRuns } from '../peers/aim-ui-api.js';
import { startBridge } from '../peers/bridge.js';
import { readAimRepo } from '../peers/oracle.js';
import { type Batch, sendWithRetries } from './retrying-sender.js';

const SERVICE = 'unkeyed-load';
const CALLS = 10_000;
const BATCH = 500;
const MODELS = ['gpt-4o-mini', 'gpt-4o'] as const;
const HOUR = 3_600_000;
/** Two whole UTC hours that ended before now: calls 0..4999 in the first, 5000..9999 in the second. */
const FIRST_HOUR = Math.floor(Date.now() / HOUR) * HOUR - 3 * HOUR;

interface Call {
  readonly model: (typeof MODELS)[number];
  readonly window: number;
  readonly startMs: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
}

/** Call `i`: model i mod 2, hour i < 5000 ? first : second, 700 ms apart within its hour. */
function call(i: number): Call {
  const window = FIRST_HOUR + (i < CALLS / 2 ? 0 : HOUR);
  return { model: MODELS[i % 2] ?? 'gpt-4o-mini', window, startMs: window + (i % (CALLS / 2)) * 700, inputTokens: 100 + (i % 97), outputTokens: 10 + (i % 13) };
}

/** The documented key of the window run of `model` and `window` (README: "Runs of calls without a conversation"). */
function windowKey(model: string, window: number): string {
  return `unkeyed:service=${SERVICE};provider=openai;model=${model};window=${new Date(window).toISOString()}/PT1H`;
}

/** An OTLP/HTTP protobuf export request of root chat spans of `service`, span `i` with ids derived from `service` and `i`. */
function chatRequest(service: string, calls: readonly (Call & { readonly i: number })[]): Buffer {
  const { ExportTraceServiceRequest } = otlpTypes();
  const spans = calls.map((c) => {
    const id = createHash('sha256')
      .update(`${service}/${String(c.i)}`)
      .digest();
    const start = BigInt(c.startMs) * 1_000_000n;
    return {
      traceId: id.subarray(0, 16),
      spanId: id.subarray(16, 24),
      name: `chat ${c.model}`,
      kind: 3,
      startTimeUnixNano: String(start),
      endTimeUnixNano: String(start + 450_000_000n),
      attributes: [
        { key: 'gen_ai.operation.name', value: { stringValue: 'chat' } },
        { key: 'gen_ai.provider.name', value: { stringValue: 'openai' } },
        { key: 'gen_ai.request.model', value: { stringValue: c.model } },
        { key: 'gen_ai.usage.input_tokens', value: { intValue: c.inputTokens } },
        { key: 'gen_ai.usage.output_tokens', value: { intValue: c.outputTokens } },
      ],
    };
  });
  const message = ExportTraceServiceRequest.fromObject({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeSpans: [{ scope: { name: 'opentelemetry.instrumentation.openai_v2' }, spans }],
      },
    ],
  });
  return Buffer.from(ExportTraceServiceRequest.encode(message).finish());
}

/** The calls as export requests of `BATCH` root chat spans each, every span in a trace of its own. */
function batches(): Batch[] {
  const out: Batch[] = [];
  for (let first = 0; first < CALLS; first += BATCH) {
    const calls = Array.from({ length: BATCH }, (_, k) => ({ ...call(first + k), i: first + k }));
    out.push({ body: chatRequest(SERVICE, calls), tokens: calls.map((c) => c.inputTokens) });
  }
  return out;
}

/** Per expected run (by hash): its model, window, number of calls and token sums. */
function expectedRuns(): Map<string, { key: string; model: string; calls: number; input: number; output: number }> {
  const runs = new Map<string, { key: string; model: string; calls: number; input: number; output: number }>();
  for (let i = 0; i < CALLS; i++) {
    const c = call(i);
    const key = windowKey(c.model, c.window);
    const run = runs.get(runHash(key)) ?? { key, model: c.model, calls: 0, input: 0, output: 0 };
    runs.set(runHash(key), { ...run, calls: run.calls + 1, input: run.input + c.inputTokens, output: run.output + c.outputTokens });
  }
  return runs;
}

const seconds = (ms: number): string => `${(ms / 1_000).toFixed(2)} s`;

describe('runs that stay few: independent calls without conversation ids through the receiver (window runs)', function () {
  this.timeout(600_000);

  it('10,000 independent chat calls of one service over 2 models and 2 hours → 4 runs with every token; aim up lists them and answers the metric query', async () => {
    const expected = expectedRuns();
    expect(expected.size, 'documented: services × model variants × windows').to.equal(1 * MODELS.length * 2);
    const aim = await startAimServer();
    const receiver = await createReceiver({ url: aim.url, port: 0, writeTimeoutMs: 60_000 });
    let ui: Awaited<ReturnType<typeof startAimUi>> | undefined;
    try {
      // Ingest: 20 requests of 500 spans, 2 in flight, retried like the Collector would.
      const sent = await sendWithRetries(receiver.url, batches(), { concurrency: 2, initialIntervalMs: 1_000 });
      expect(sent.failed, JSON.stringify(sent.answers)).to.equal(0);
      expect(sent.delivered).to.equal(CALLS / BATCH);
      expect(receiver.stats.written).to.equal(CALLS);
      expect(receiver.stats.openRuns, 'runs the bridge opened').to.equal(expected.size);
      console.log(
        `      ingest: ${String(CALLS)} calls in ${seconds(sent.elapsedMs)} (${(CALLS / (sent.elapsedMs / 1_000)).toFixed(0)} calls/s), answers ${JSON.stringify(sent.answers)}`,
      );
      await receiver.close();

      // aim up on the repository: it indexes the new runs itself, as for a user.
      const upStarted = performance.now();
      ui = await startAimUi({ repoDir: aim.repoDir });
      const upReady = performance.now() - upStarted;
      const cpuAtReady = treeCpuSeconds(ui.process.pid ?? 0);
      let listed = await searchRuns(ui.url, '');
      while (listed.value.length < expected.size && performance.now() - upStarted < 120_000) {
        await new Promise((wait) => setTimeout(wait, 500));
        listed = await searchRuns(ui.url, '');
      }
      const indexed = performance.now() - upStarted;
      const uiUrl = ui.url;

      // The Runs explorer's list: exactly the window runs, in their experiment, named.
      const params = await projectParams(uiUrl);
      const runList = await searchRuns(uiUrl, '');
      const runListByExperiment = await searchRuns(uiUrl, `run.experiment == "${SERVICE}"`);
      expect(runList.value.map((run) => run.hash).sort()).to.deep.equal([...expected.keys()].sort());
      expect(runListByExperiment.value.map((run) => run.hash).sort()).to.deep.equal([...expected.keys()].sort());
      for (const run of runList.value) expect((run.props['experiment'] as { name?: string } | null)?.name).to.equal(SERVICE);
      console.log(`      run names: ${runList.value.map((run) => JSON.stringify(run.props['name'])).join(', ')}`);
      expect(Object.keys(params.value.metric)).to.include('gen_ai.usage.input_tokens');

      // The Metrics explorer: one input-token sequence per run, in its model's context, sampled to ≤ 500 points.
      const metrics = await searchMetrics(uiUrl, 'metric.name == "gen_ai.usage.input_tokens"');
      expect([...metrics.value.keys()].sort()).to.deep.equal([...expected.keys()].sort());
      for (const [hash, traces] of metrics.value) {
        expect(
          traces.map((t) => [t.name, t.context]),
          hash,
        ).to.deep.equal([['gen_ai.usage.input_tokens', { operation: 'chat', model: expected.get(hash)?.model ?? '', provider: 'openai' }]]);
        expect(traces[0]?.values.length).to.be.within(1, 500);
        expect(traces[0]?.iters.length).to.equal(traces[0]?.values.length);
      }
      const metricsAgain = await searchMetrics(uiUrl, 'metric.name == "gen_ai.usage.input_tokens"');
      const runListAgain = await searchRuns(uiUrl, '');
      const cpuAfter = treeCpuSeconds(ui.process.pid ?? 0);
      console.log(
        `      aim up: ready in ${seconds(upReady)}, the ${String(expected.size)} runs listed ${seconds(indexed)} after its start (CPU of aim up from ready to the end of the queries: ${(cpuAfter - cpuAtReady).toFixed(1)} s)`,
      );
      console.log(`      GET /api/projects/params/?sequence=metric: ${seconds(params.ms)} (${String(params.bytes)} bytes)`);
      console.log(
        `      GET /api/runs/search/run/?q=&limit=45: ${seconds(runList.ms)}, again ${seconds(runListAgain.ms)} (${String(runList.bytes)} bytes); q=run.experiment=="${SERVICE}": ${seconds(runListByExperiment.ms)}`,
      );
      console.log(
        `      GET /api/runs/search/metric/?q=metric.name=="gen_ai.usage.input_tokens"&p=500: ${seconds(metrics.ms)}, again ${seconds(metricsAgain.ms)} (${String(metrics.bytes)} bytes)`,
      );
      await ui.process.stop();
      ui = undefined;

      // Aim's own SDK reads every call back: 2,500 points a run, the token counts summing up.
      const report = await readAimRepo(aim.repoDir);
      expect(report.runs.map((run) => run.hash).sort()).to.deep.equal([...expected.keys()].sort());
      for (const run of report.runs) {
        const want = expected.get(run.hash);
        const values = (name: string): number[] => run.sequences.filter((s) => s.name === name).flatMap((s) => s.values as number[]);
        expect(run.experiment).to.equal(SERVICE);
        expect(values('gen_ai.usage.input_tokens').length, want?.key).to.equal(want?.calls);
        expect(
          values('gen_ai.usage.input_tokens').reduce((a, b) => a + b, 0),
          want?.key,
        ).to.equal(want?.input);
        expect(
          values('gen_ai.usage.output_tokens').reduce((a, b) => a + b, 0),
          want?.key,
        ).to.equal(want?.output);
        expect(values('gen_ai.client.operation.duration').length).to.equal(want?.calls);
      }
    } finally {
      await ui?.process.stop();
      await receiver.close();
      await aim.process.stop();
    }
  });

  it('aim-otel-bridge serve: the grouping and the window come from AIM_OTEL_BRIDGE_UNKEYED_RUNS / AIM_OTEL_BRIDGE_RUN_WINDOW', async () => {
    const aim = await startAimServer();
    const quarters = await startBridge(aim.url, { env: { AIM_OTEL_BRIDGE_RUN_WINDOW: '15m' } });
    const perTrace = await startBridge(aim.url, { env: { AIM_OTEL_BRIDGE_UNKEYED_RUNS: 'trace' } });
    try {
      // Four calls over two quarter hours of one hour: two runs of 15 minutes.
      const calls = [0, 14, 15, 29].map((minute, i) => ({ ...call(0), startMs: FIRST_HOUR + minute * 60_000, i }));
      const post = async (url: string, body: Buffer): Promise<number> =>
        (await fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body })).status;
      expect(await post(quarters.url, chatRequest('quarters', calls))).to.equal(200);
      expect(await post(perTrace.url, chatRequest('per-trace', calls))).to.equal(200);
      const quarter = (minute: number): string =>
        runHash(`unkeyed:service=quarters;provider=openai;model=gpt-4o-mini;window=${new Date(FIRST_HOUR + minute * 60_000).toISOString()}/PT15M`);
      const traceRuns = calls.map((c) =>
        runHash(
          createHash('sha256')
            .update(`per-trace/${String(c.i)}`)
            .digest()
            .subarray(0, 16)
            .toString('hex'),
        ),
      );
      const report = await readAimRepo(aim.repoDir);
      const runsOf = (experiment: string): string[] =>
        report.runs
          .filter((run) => run.experiment === experiment)
          .map((run) => run.hash)
          .sort();
      expect(runsOf('quarters')).to.deep.equal([quarter(0), quarter(15)].sort());
      expect(runsOf('per-trace')).to.deep.equal([...traceRuns].sort());
    } finally {
      await quarters.process.stop();
      await perTrace.process.stop();
      await aim.process.stop();
    }
  });
});
