/**
 * The Vercel AI SDK (`ai` 6.x) run for real with its mock language model (`ai/test`) and its
 * built-in OpenTelemetry telemetry: the flows the Vercel AI tests map (generateText, streamText,
 * a multi-step tool call). Shared by the unit test (in-memory spans) and the exporter's
 * integration test (spans into a real `aim server`).
 */
import type { Tracer } from '@opentelemetry/api';
import { generateText, simulateReadableStream, stepCountIs, streamText, tool } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { z } from 'zod';

// The V3 model types, from the mock's own signature (`@ai-sdk/provider` is not a dependency of ours).
type MockOptions = NonNullable<ConstructorParameters<typeof MockLanguageModelV3>[0]>;
type GenerateResult = Extract<MockOptions['doGenerate'], { content: unknown }>;
type StreamResult = Extract<MockOptions['doStream'], { stream: unknown }>;
type StreamPart = StreamResult['stream'] extends ReadableStream<infer Part> ? Part : never;

/** The mock model's provider and id, as the SDK reports them in `ai.model.*` / `gen_ai.*`. */
export const MOCK_PROVIDER = 'mock-provider';
export const MOCK_MODEL = 'mock-model-id';

/** Usage as a V3 model reports it. */
export function usage(input: number, output: number): GenerateResult['usage'] {
  return {
    inputTokens: { total: input, noCache: input, cacheRead: undefined, cacheWrite: undefined },
    outputTokens: { total: output, text: output, reasoning: undefined },
  };
}

function telemetry(tracer: Tracer, functionId: string): { isEnabled: true; recordInputs: true; recordOutputs: true; functionId: string; tracer: Tracer } {
  return { isEnabled: true, recordInputs: true, recordOutputs: true, functionId, tracer };
}

/** `generateText` with a system prompt and one user prompt; the model answers "Paris." (21 in, 3 out). */
export async function runGenerateText(tracer: Tracer): Promise<string> {
  const model = new MockLanguageModelV3({
    provider: MOCK_PROVIDER,
    modelId: MOCK_MODEL,
    doGenerate: {
      content: [{ type: 'text', text: 'Paris.' }],
      finishReason: { unified: 'stop', raw: 'stop' },
      usage: usage(21, 3),
      warnings: [],
    },
  });
  const result = await generateText({
    model,
    system: 'Answer briefly.',
    prompt: 'What is the capital of France?',
    temperature: 0.3,
    experimental_telemetry: telemetry(tracer, 'capital'),
  });
  return result.text;
}

/** The delay before the mock stream's first chunk, in ms. */
export const FIRST_CHUNK_DELAY_MS = 40;

/** `streamText`, consumed fully; the model streams "Hello, world!" in three chunks (8 in, 4 out). */
export async function runStreamText(tracer: Tracer): Promise<string> {
  const chunks: StreamPart[] = [
    { type: 'stream-start', warnings: [] },
    { type: 'text-start', id: 't1' },
    { type: 'text-delta', id: 't1', delta: 'Hello' },
    { type: 'text-delta', id: 't1', delta: ', ' },
    { type: 'text-delta', id: 't1', delta: 'world!' },
    { type: 'text-end', id: 't1' },
    { type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage: usage(8, 4) },
  ];
  const model = new MockLanguageModelV3({
    provider: MOCK_PROVIDER,
    modelId: MOCK_MODEL,
    doStream: { stream: simulateReadableStream({ chunks, initialDelayInMs: FIRST_CHUNK_DELAY_MS, chunkDelayInMs: 1 }) },
  });
  const result = streamText({ model, prompt: 'Say hello.', experimental_telemetry: telemetry(tracer, 'greeting') });
  let text = '';
  for await (const delta of result.textStream) text += delta;
  return text;
}

/**
 * `generateText` with a tool `add` (with `execute`) over two steps: the model first calls
 * `add({"a":1,"b":2})` (50 in, 10 out), then answers "The answer is 3" (70 in, 6 out).
 */
export async function runToolFlow(tracer: Tracer): Promise<string> {
  const model = new MockLanguageModelV3({
    provider: MOCK_PROVIDER,
    modelId: MOCK_MODEL,
    doGenerate: [
      {
        content: [{ type: 'tool-call', toolCallId: 'call_1', toolName: 'add', input: '{"a":1,"b":2}' }],
        finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
        usage: usage(50, 10),
        warnings: [],
      },
      {
        content: [{ type: 'text', text: 'The answer is 3' }],
        finishReason: { unified: 'stop', raw: 'stop' },
        usage: usage(70, 6),
        warnings: [],
      },
    ],
  });
  const add = tool({
    description: 'adds two numbers',
    inputSchema: z.object({ a: z.number(), b: z.number() }),
    execute: ({ a, b }) => Promise.resolve(a + b),
  });
  const result = await generateText({
    model,
    tools: { add },
    stopWhen: stepCountIs(2),
    prompt: 'what is 1+2?',
    experimental_telemetry: telemetry(tracer, 'calculator'),
  });
  return result.text;
}
