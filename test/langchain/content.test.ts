/**
 * Issue 4, point 4: content capture — off by default; on through
 * OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT or the option; spec-shaped JSON parts;
 * truncation that keeps JSON valid; the redaction hook; tool arguments/results and retrieved
 * documents under the same rules.
 */
import { expect } from 'chai';
import { awaitAllCallbacks } from '@langchain/core/callbacks/promises';
import { Document } from '@langchain/core/documents';
import { AIMessage, HumanMessage, SystemMessage, ToolMessage } from '@langchain/core/messages';
import { BaseRetriever } from '@langchain/core/retrievers';
import { tool } from '@langchain/core/tools';
import { z } from 'zod';
import { attributes as A } from '../../src/semconv/index.js';
import { GenAICallbackHandler } from '../../src/langchain/index.js';
import { parseCaptureContent } from '../../src/langchain/env.js';
import { resolveOptions } from '../../src/langchain/options.js';
import { boundedJson, truncateText } from '../../src/langchain/truncate.js';
import { createTracing, one, ScriptedChatModel } from './helpers.js';

const CONTENT_KEYS = [
  A.ATTR_GEN_AI_INPUT_MESSAGES,
  A.ATTR_GEN_AI_OUTPUT_MESSAGES,
  A.ATTR_GEN_AI_SYSTEM_INSTRUCTIONS,
  A.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS,
  A.ATTR_GEN_AI_TOOL_CALL_RESULT,
  A.ATTR_GEN_AI_RETRIEVAL_QUERY_TEXT,
  A.ATTR_GEN_AI_RETRIEVAL_DOCUMENTS,
  'langchain.chain.inputs',
  'langchain.chain.outputs',
];

class ListRetriever extends BaseRetriever {
  lc_namespace = ['test'];
  override _getRelevantDocuments(query: string): Promise<Document[]> {
    return Promise.resolve([
      new Document({ id: 'doc-1', pageContent: `about ${query}`, metadata: { score: 0.91 } }),
      new Document({ pageContent: 'second', metadata: { source: 'kb/2.md', relevance_score: 0.5 } }),
    ]);
  }
}

const conversation = [
  new SystemMessage('You are terse.'),
  new HumanMessage({
    content: [
      { type: 'text', text: 'What is in this image?' },
      { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
    ],
  }),
  new AIMessage({ content: '', tool_calls: [{ id: 'call_1', name: 'lookup', args: { q: 'cat' } }] }),
  new ToolMessage({ content: '{"animal":"cat"}', tool_call_id: 'call_1' }),
];

async function runAll(handler: GenAICallbackHandler): Promise<void> {
  const model = new ScriptedChatModel({ responses: [{ content: 'A cat.', tool_calls: [] }] });
  await model.invoke(conversation, { callbacks: [handler] });
  const lookup = tool((input: { q: string }) => ({ found: input.q }), { name: 'lookup', description: 'looks up', schema: z.object({ q: z.string() }) });
  await lookup.invoke({ id: 'call_2', name: 'lookup', args: { q: 'dog' }, type: 'tool_call' }, { callbacks: [handler] });
  await new ListRetriever().invoke('cats', { callbacks: [handler] });
  await awaitAllCallbacks();
}

describe('langchain handler: content capture', () => {
  it('records no content by default', async () => {
    const { provider, spans } = createTracing();
    await runAll(new GenAICallbackHandler({ tracerProvider: provider }));
    expect(spans().length).to.equal(3);
    for (const span of spans()) for (const key of CONTENT_KEYS) expect(span.attributes, `${span.name} ${key}`).not.to.have.property(key);
  });

  it('is switched on by OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT (both forms), and the option wins', () => {
    expect(parseCaptureContent('true')).to.equal(true);
    expect(parseCaptureContent('SPAN_ONLY')).to.equal(true);
    expect(parseCaptureContent('span_and_event')).to.equal(true);
    expect(parseCaptureContent('EVENT_ONLY')).to.equal(false);
    expect(parseCaptureContent('NO_CONTENT')).to.equal(false);
    expect(parseCaptureContent(undefined)).to.equal(undefined);
    const env = { OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'True' };
    expect(resolveOptions({}, env).captureMessageContent).to.equal(true);
    expect(resolveOptions({ captureMessageContent: false }, env).captureMessageContent).to.equal(false);
    expect(resolveOptions({}, {}).captureMessageContent).to.equal(false);
  });

  it('reads the environment variable when no option is given', async () => {
    const { provider, spans } = createTracing();
    const previous = process.env['OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT'];
    process.env['OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT'] = 'SPAN_ONLY';
    try {
      await runAll(new GenAICallbackHandler({ tracerProvider: provider }));
    } finally {
      if (previous === undefined) delete process.env['OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT'];
      else process.env['OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT'] = previous;
    }
    expect(one(spans(), 'chat gpt-test').attributes).to.have.property(A.ATTR_GEN_AI_INPUT_MESSAGES);
  });

  it('records messages, system instructions, tool arguments/results and documents in the spec’s JSON shapes', async () => {
    const { provider, spans } = createTracing();
    await runAll(new GenAICallbackHandler({ tracerProvider: provider, captureMessageContent: true }));
    const chat = one(spans(), 'chat gpt-test').attributes;
    expect(JSON.parse(String(chat[A.ATTR_GEN_AI_SYSTEM_INSTRUCTIONS]))).to.deep.equal([{ type: 'text', content: 'You are terse.' }]);
    expect(JSON.parse(String(chat[A.ATTR_GEN_AI_INPUT_MESSAGES]))).to.deep.equal([
      {
        role: 'user',
        parts: [
          { type: 'text', content: 'What is in this image?' },
          { type: 'uri', modality: 'image', uri: 'https://example.com/cat.png' },
        ],
      },
      { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_1', name: 'lookup', arguments: { q: 'cat' } }] },
      { role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_1', response: { animal: 'cat' } }] },
    ]);
    expect(JSON.parse(String(chat[A.ATTR_GEN_AI_OUTPUT_MESSAGES]))).to.deep.equal([
      { role: 'assistant', parts: [{ type: 'text', content: 'A cat.' }], finish_reason: 'stop' },
    ]);
    const toolSpan = one(spans(), 'execute_tool lookup').attributes;
    expect(JSON.parse(String(toolSpan[A.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS]))).to.deep.equal({ q: 'dog' });
    expect(JSON.parse(String(toolSpan[A.ATTR_GEN_AI_TOOL_CALL_RESULT]))).to.deep.equal({ found: 'dog' });
    const retrieval = one(spans(), 'retrieval ListRetriever').attributes;
    expect(retrieval[A.ATTR_GEN_AI_RETRIEVAL_QUERY_TEXT]).to.equal('cats');
    expect(JSON.parse(String(retrieval[A.ATTR_GEN_AI_RETRIEVAL_DOCUMENTS]))).to.deep.equal([
      { id: 'doc-1', score: 0.91, content: 'about cats' },
      { id: 'kb/2.md', score: 0.5, content: 'second' },
    ]);
  });

  it('truncates long content to maxContentLength without breaking the JSON', async () => {
    const { provider, spans } = createTracing();
    const handler = new GenAICallbackHandler({ tracerProvider: provider, captureMessageContent: true, maxContentLength: 200 });
    const long = 'x'.repeat(5000);
    await new ScriptedChatModel({ responses: [{ content: long }] }).invoke([new HumanMessage(long), new HumanMessage('short')], { callbacks: [handler] });
    await awaitAllCallbacks();
    const chat = one(spans(), 'chat gpt-test').attributes;
    for (const key of [A.ATTR_GEN_AI_INPUT_MESSAGES, A.ATTR_GEN_AI_OUTPUT_MESSAGES]) {
      const value = String(chat[key]);
      expect(value.length, key).to.be.at.most(200);
      const parsed = JSON.parse(value) as { parts: { content: string }[] }[];
      expect(parsed[0]?.parts[0]?.content).to.match(/^x+…\[\d+ chars truncated\]$/);
    }
    expect((JSON.parse(String(chat[A.ATTR_GEN_AI_INPUT_MESSAGES])) as unknown[]).length).to.equal(2);
  });

  it('boundedJson always returns parseable JSON within the limit (randomised structures)', () => {
    let seed = 42;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const text = (): string =>
      Array.from({ length: Math.floor(random() * 300) }, () => String.fromCharCode(32 + Math.floor(random() * 200)) + (random() < 0.05 ? '"\\\n😀' : '')).join(
        '',
      );
    const value = (depth: number): unknown => {
      const r = random();
      if (depth > 3 || r < 0.3) return text();
      if (r < 0.4) return Math.floor(random() * 1e6);
      if (r < 0.7) return Array.from({ length: Math.floor(random() * 6) }, () => value(depth + 1));
      return Object.fromEntries(Array.from({ length: Math.floor(random() * 5) }, (_, i) => [`k${String(i)}`, value(depth + 1)]));
    };
    for (let i = 0; i < 500; i += 1) {
      const input = value(0);
      const max = 2 + Math.floor(random() * 400);
      const out = boundedJson(input, max);
      if (out === undefined) continue;
      expect(out.length).to.be.at.most(max);
      expect(() => JSON.parse(out) as unknown).not.to.throw();
    }
    expect(truncateText('abcdefghij'.repeat(10), 40)).to.have.length.at.most(40);
  });

  it('passes content through the hook first: it can redact, drop, and sees values even with capture off', async () => {
    const { provider, spans } = createTracing();
    const seen: string[] = [];
    const handler = new GenAICallbackHandler({
      tracerProvider: provider,
      captureMessageContent: true,
      contentHook: (value, info) => {
        seen.push(info.attribute);
        if (info.attribute === A.ATTR_GEN_AI_TOOL_CALL_RESULT) return undefined;
        return JSON.parse(JSON.stringify(value).replaceAll('cat', '[redacted]')) as unknown;
      },
    });
    await runAll(handler);
    const chat = one(spans(), 'chat gpt-test').attributes;
    expect(String(chat[A.ATTR_GEN_AI_INPUT_MESSAGES])).to.contain('[redacted]').and.not.to.contain('cat');
    expect(one(spans(), 'execute_tool lookup').attributes).not.to.have.property(A.ATTR_GEN_AI_TOOL_CALL_RESULT);
    expect(seen).to.include(A.ATTR_GEN_AI_OUTPUT_MESSAGES);

    const off = createTracing();
    const uploaded: string[] = [];
    await runAll(new GenAICallbackHandler({ tracerProvider: off.provider, contentHook: (_value, info) => void uploaded.push(info.attribute) }));
    expect(uploaded).to.include.members([A.ATTR_GEN_AI_INPUT_MESSAGES, A.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS, A.ATTR_GEN_AI_RETRIEVAL_DOCUMENTS]);
    for (const span of off.spans()) for (const key of CONTENT_KEYS) expect(span.attributes).not.to.have.property(key);
  });

  it('a throwing hook drops the value (fail closed) and is counted', async () => {
    const { provider, spans } = createTracing();
    const handler = new GenAICallbackHandler({
      tracerProvider: provider,
      captureMessageContent: true,
      contentHook: () => {
        throw new Error('hook bug');
      },
    });
    await runAll(handler);
    for (const span of spans()) for (const key of CONTENT_KEYS) expect(span.attributes).not.to.have.property(key);
    expect(handler.stats.contentHookFailures).to.be.greaterThan(0);
    expect(handler.stats.callbackErrors).to.equal(0);
  });
});
