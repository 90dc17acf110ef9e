/**
 * Issue 15, point 3: `aim-otel-bridge/exporter` stays a fast import. What it loads, recorded in a
 * fresh Node process from our sources: no LangChain, no `ws` (loaded when the first connection to
 * Aim opens), no protobufjs, prom-client or receiver modules. A functional guard: how long the
 * import takes is `npm run bench -- exporter-load`'s job, since timing on shared machines is noise.
 */
import { ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import { expect } from 'chai';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AimSpanExporter } from '../../src/exporter/index.js';
import { type ModuleGraph, recordModuleGraph } from '../bench/exporter-load.bench.js';

const EXPORTER_SOURCE = pathToFileURL(join(import.meta.dirname, '..', '..', 'src', 'exporter', 'index.ts')).href;
/** Our sources run through tsx, as mocha runs them. */
const TSX = ['--import', 'tsx'];

describe('aim-otel-bridge/exporter: what its import loads', function () {
  this.timeout(60_000);
  let graph: ModuleGraph;

  before(async () => {
    graph = await recordModuleGraph(EXPORTER_SOURCE, undefined, TSX);
  });

  it('records the modules it loads (ours, and the CommonJS files @opentelemetry/api requires)', () => {
    expect(graph.packages['src/exporter'], JSON.stringify(graph.packages)).to.equal(2);
    expect(graph.packages['src/sink'], JSON.stringify(graph.packages)).to.be.greaterThan(1);
    expect(graph.packages['@opentelemetry/api'], JSON.stringify(graph.packages)).to.be.greaterThan(1);
  });

  it('loads no LangChain module (@langchain/* or src/langchain)', () => {
    expect(graph.loads.langchain, JSON.stringify(graph.packages)).to.equal(false);
  });

  it('does not load ws until a connection to Aim opens', () => {
    expect(graph.loads.ws, JSON.stringify(graph.packages)).to.equal(false);
  });

  it('does not load @opentelemetry/core (a fifth of the import time it used to take)', () => {
    expect(graph.loads.otelCore, JSON.stringify(graph.packages)).to.equal(false);
  });

  it('loads neither protobufjs nor prom-client nor the receiver', () => {
    expect(graph.loads.protobufjs, JSON.stringify(graph.packages)).to.equal(false);
    expect(graph.loads.promClient, JSON.stringify(graph.packages)).to.equal(false);
    expect(graph.loads.receiver, JSON.stringify(graph.packages)).to.equal(false);
  });

  it('the recorder does see ws and LangChain when they are imported (the control of the guards above)', async () => {
    const wsGraph = await recordModuleGraph('ws');
    expect(wsGraph.loads.ws, JSON.stringify(wsGraph.packages)).to.equal(true);
    expect(wsGraph.loads.httpStack, wsGraph.builtins.join(', ')).to.equal(true);
    const langchainGraph = await recordModuleGraph('@langchain/core/callbacks/base');
    expect(langchainGraph.loads.langchain, JSON.stringify(langchainGraph.packages)).to.equal(true);
  });
});

describe('AimSpanExporter: result codes without importing @opentelemetry/core', () => {
  /** Exports `[]` and returns what the callback got. */
  function exportNothing(exporter: AimSpanExporter): ExportResult {
    let result: ExportResult | undefined;
    exporter.export([], (given) => (result = given));
    if (!result) throw new Error('the result callback was not called synchronously');
    return result;
  }

  it("reports @opentelemetry/core's ExportResultCode.SUCCESS, and FAILED after shutdown", async () => {
    // Nothing listens on port 9: the (empty) batch is given up at once, so shutdown is quick.
    const exporter = new AimSpanExporter({ url: 'aim://127.0.0.1:9', retryDeadlineMs: 1 });
    expect(exportNothing(exporter).code).to.equal(ExportResultCode.SUCCESS);
    await exporter.shutdown();
    expect(exportNothing(exporter).code).to.equal(ExportResultCode.FAILED);
  });
});
