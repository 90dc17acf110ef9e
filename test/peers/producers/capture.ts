/**
 * Shows what the real GenAI producers send: runs every producer × mode (or those named) against
 * the fake OpenAI server, captures their OTLP/HTTP requests and writes readable dumps:
 *
 *   <out>/<producer>-<mode>/traces-N.json | logs-N.json | metrics-N.json   each request, decoded whole
 *   <out>/<producer>-<mode>/summary.json    spans, log records and metrics, flattened (attributes as objects)
 *   <out>/<producer>-<mode>/drive.json      drive.py's own summary (calls, span ids, versions)
 *   <out>/<producer>-<mode>/openai-requests.json   what the fake OpenAI server received
 *
 * Usage: npx tsx test/peers/producers/capture.ts [--out DIR] [producer[:mode] ...]
 * (default out: /tmp/producer-captures; needs `npm run peers -- producers` first).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeOpenAI } from '../fake-openai.js';
import { PRODUCER_MODES, runProducer, type ProducerName } from '../producers.js';
import { summarizeRequest, type JsonObject } from './otlp-decode.js';
import { startOtlpCapture } from './otlp-capture.js';

interface Target {
  producer: ProducerName;
  mode: string;
}

function allTargets(): Target[] {
  return Object.entries(PRODUCER_MODES).flatMap(([producer, modes]) => modes.map((mode) => ({ producer: producer as ProducerName, mode })));
}

function parseArgs(argv: string[]): { out: string; targets: Target[] } {
  let out = '/tmp/producer-captures';
  const wanted: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] ?? '';
    if (arg === '--out') {
      out = argv[i + 1] ?? out;
      i += 1;
    } else wanted.push(arg);
  }
  const targets = allTargets().filter(({ producer, mode }) => wanted.length === 0 || wanted.includes(producer) || wanted.includes(`${producer}:${mode}`));
  if (targets.length === 0) throw new Error(`nothing matches ${wanted.join(' ')}; producers: ${Object.keys(PRODUCER_MODES).join(', ')}`);
  return { out, targets };
}

function writeJson(file: string, value: unknown): void {
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

async function captureOne(target: Target, outDir: string): Promise<string> {
  const dir = join(outDir, `${target.producer}-${target.mode}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const capture = await startOtlpCapture();
  const openai = await startFakeOpenAI();
  try {
    const summary = await runProducer({
      producer: target.producer,
      mode: target.mode as never,
      otlpEndpoint: capture.url,
      openaiBaseUrl: openai.url,
      conversationId: `conv-${target.producer}-${target.mode}`,
    });
    writeJson(join(dir, 'drive.json'), summary);
    writeJson(join(dir, 'openai-requests.json'), openai.requests);
    const counts: Record<string, number> = { traces: 0, logs: 0, metrics: 0 };
    const flat: Record<string, JsonObject[]> = { spans: [], logs: [], metrics: [] };
    const notes: string[] = [];
    for (const request of capture.requests) {
      if (request.signal === undefined || !request.contentType.startsWith('application/x-protobuf')) {
        notes.push(`unexpected request ${request.method} ${request.path} (${request.contentType})`);
      }
    }
    for (const decoded of capture.decoded()) {
      counts[decoded.signal] = (counts[decoded.signal] ?? 0) + 1;
      writeJson(join(dir, `${decoded.signal}-${String(counts[decoded.signal])}.json`), {
        path: decoded.path,
        contentType: decoded.contentType,
        complete: decoded.complete,
        request: decoded.request,
      });
      if (!decoded.complete) notes.push(`${decoded.signal}-${String(counts[decoded.signal])}: fields the decoder does not know`);
      const key = decoded.signal === 'traces' ? 'spans' : decoded.signal;
      flat[key]?.push(...summarizeRequest(decoded.signal, decoded.request));
    }
    writeJson(join(dir, 'summary.json'), { producer: target.producer, mode: target.mode, requests: counts, notes, ...flat });
    return `${target.producer}:${target.mode}: ${String(counts['traces'])} trace / ${String(counts['logs'])} log / ${String(counts['metrics'])} metric requests; ${String(flat['spans']?.length)} spans, ${String(flat['logs']?.length)} log records, ${String(flat['metrics']?.length)} metrics${notes.length > 0 ? `; NOTES: ${notes.join('; ')}` : ''} -> ${dir}`;
  } finally {
    await openai.close();
    await capture.close();
  }
}

async function main(): Promise<void> {
  const { out, targets } = parseArgs(process.argv.slice(2));
  mkdirSync(out, { recursive: true });
  for (const target of targets) {
    const started = Date.now();
    const line = await captureOne(target, out);
    console.log(`${line} (${String(Date.now() - started)} ms)`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
