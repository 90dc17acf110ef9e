/**
 * Issue 16, point 3: provider spans nest under the model span. LangChain.js gives callback handlers
 * no way to make their span the active context around the real call (langchainjs#11221), so the
 * spans of HTTP client instrumentations normally land beside the model span, not under it. The
 * handler's context bridge (`bridgeContext`, default on) closes that gap; this file proves it with
 * real peers and pins what still does not nest.
 *
 * Real peers: `ChatOpenAI` (@langchain/openai, its `openai` client on Node's global `fetch`, i.e.
 * undici) against the local fake OpenAI server (test/peers/fake-openai.ts), traced by
 * `@opentelemetry/instrumentation-undici` registered with `registerInstrumentations` on a tracer
 * provider, with an AsyncLocalStorage context manager; in one suite also
 * `@opentelemetry/instrumentation-openai` (the "stacked producers" case).
 *
 * Each case asserts the whole span tree (`name [scope]` per line, see {@link renderTree}), so a
 * failure prints the tree it observed. The `does not nest` cases pin the limits documented in
 * src/langchain/README.md.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer, get as httpGet, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Span } from '@opentelemetry/api';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { BaseCallbackHandler } from '@langchain/core/callbacks/base';
import { awaitAllCallbacks } from '@langchain/core/callbacks/promises';
import { type BaseMessage, HumanMessage } from '@langchain/core/messages';
import { StringOutputParser } from '@langchain/core/output_parsers';
import { ChatPromptTemplate } from '@langchain/core/prompts';
import { RunnableLambda } from '@langchain/core/runnables';
import { tool } from '@langchain/core/tools';
import { MessagesAnnotation, StateGraph } from '@langchain/langgraph';
import { ChatOpenAI } from '@langchain/openai';
import { expect } from 'chai';
import { z } from 'zod';
import {
  GenAICallbackHandler,
  type GenAICallbackHandlerOptions,
  INSTRUMENTATION_SCOPE,
  installContextBridge,
  isBridgeInstalled,
  uninstallContextBridge,
} from '../../src/langchain/index.js';
import { FAKE_REPLY, FAKE_TOOL_ANSWER, FAKE_TOOL_CALL_ID, type FakeOpenAI, startFakeOpenAI } from '../peers/fake-openai.js';
import { instrumentOpenAI } from '../peers/openai-instrumentations.js';
import { parentOf, useAsyncContext } from './helpers.js';

const MODEL = 'gpt-4o-mini';
const CHAT = `chat ${MODEL}`;
const UNDICI_SCOPE = '@opentelemetry/instrumentation-undici';
const OPENAI_SCOPE = '@opentelemetry/instrumentation-openai';
const APP_SCOPE = 'app';
/** Short labels of the instrumentation scopes in rendered trees. */
const SCOPE_LABELS: Readonly<Record<string, string>> = {
  [INSTRUMENTATION_SCOPE]: 'ours',
  [UNDICI_SCOPE]: 'undici',
  [OPENAI_SCOPE]: 'openai',
  [APP_SCOPE]: 'app',
};
/** The request header that ties an HTTP span to one of the concurrent invocations. */
const INVOCATION_HEADER = 'x-invocation';

const idOf = (span: ReadableSpan): string => span.spanContext().spanId;
const isOurs = (span: ReadableSpan): boolean => span.instrumentationScope.name === INSTRUMENTATION_SCOPE;
const isHttp = (span: ReadableSpan): boolean => span.instrumentationScope.name === UNDICI_SCOPE;
const isOurChat = (span: ReadableSpan): boolean => isOurs(span) && span.attributes['gen_ai.operation.name'] === 'chat';

function byStart(a: ReadableSpan, b: ReadableSpan): number {
  return a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1];
}

/**
 * The span forest as text: one line per span, `name [scope]`, children indented by two spaces under
 * their parent. A span whose parent is not among `spans` is a root. Siblings come in code-unit order
 * of their rendered subtrees, not in start order: the SDK's start times have only millisecond
 * precision, so siblings started within one millisecond would otherwise swap from run to run.
 */
function renderTree(spans: readonly ReadableSpan[]): string {
  const ids = new Set(spans.map(idOf));
  const children = new Map<string | undefined, ReadableSpan[]>();
  for (const span of spans) {
    const parent = parentOf(span);
    const key = parent !== undefined && ids.has(parent) ? parent : undefined;
    const list = children.get(key) ?? [];
    list.push(span);
    children.set(key, list);
  }
  const render = (key: string | undefined, depth: number): string[] =>
    (children.get(key) ?? [])
      .map((span) => {
        const scope = SCOPE_LABELS[span.instrumentationScope.name] ?? span.instrumentationScope.name;
        return [`${'  '.repeat(depth)}${span.name} [${scope}]`, ...render(idOf(span), depth + 1)].join('\n');
      })
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return render(undefined, 0).join('\n');
}

/** `lines` joined as {@link renderTree} renders them (for readable expected trees). */
const tree = (...lines: string[]): string => lines.join('\n');

/**
 * A front for the fake server whose first `failures` chat requests get a 503 (an OpenAI-style
 * error body); every other request is forwarded to the fake server through `node:http`, which no
 * instrumentation here traces.
 */
async function startFlakyFront(target: FakeOpenAI, failures: number): Promise<{ url: string; chatRequests: () => number; close: () => Promise<void> }> {
  const upstream = new URL(target.url);
  let chats = 0;
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const isChat = request.method === 'POST' && (request.url ?? '').endsWith('/chat/completions');
    if (isChat) chats += 1;
    if (isChat && chats <= failures) {
      request.resume();
      const body = JSON.stringify({ error: { message: 'overloaded', type: 'server_error', param: null, code: null } });
      response.writeHead(503, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      response.end(body);
      return;
    }
    const forward = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: request.method, path: request.url, headers: request.headers },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    forward.on('error', () => response.destroy());
    request.pipe(forward);
  });
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${String(port)}/v1`,
    chatRequests: () => chats,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.closeAllConnections();
        server.close(() => {
          resolveClose();
        });
      }),
  };
}

/** A handler that asks LangChain for the chat-model stream-events path, as LangGraph's v3 streaming does. */
class PrefersChatModelStreamEvents extends BaseCallbackHandler {
  name = 'PrefersChatModelStreamEvents';
  lc_prefer_chat_model_stream_events = true;
}

describe('provider HTTP spans under the chat span (ChatOpenAI, fake OpenAI server, instrumentation-undici)', function () {
  let fake: FakeOpenAI;
  let exporter: InMemorySpanExporter;
  let provider: BasicTracerProvider;
  let unregister: () => void;

  before(async () => {
    useAsyncContext();
    exporter = new InMemorySpanExporter();
    provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    unregister = registerInstrumentations({
      tracerProvider: provider,
      instrumentations: [new UndiciInstrumentation({ headersToSpanAttributes: { requestHeaders: [INVOCATION_HEADER] } })],
    });
    fake = await startFakeOpenAI({ chunkDelayMs: 1 });
  });

  after(async () => {
    unregister();
    await fake.close();
  });

  beforeEach(async () => {
    await awaitAllCallbacks();
    exporter.reset();
    if (!isBridgeInstalled()) installContextBridge();
  });

  const chatModel = (fields: { baseURL?: string; maxRetries?: number } = {}): ChatOpenAI =>
    new ChatOpenAI({ model: MODEL, apiKey: 'test-key', configuration: { baseURL: fields.baseURL ?? fake.url }, maxRetries: fields.maxRetries ?? 0 });

  /** A LangGraph graph of one node that calls the chat model. */
  const oneModelGraph = () => {
    const model = chatModel();
    return new StateGraph(MessagesAnnotation)
      .addNode('model', async (state) => ({ messages: [await model.invoke(state.messages)] }))
      .addEdge('__start__', 'model')
      .addEdge('model', '__end__')
      .compile();
  };

  const handlerWith = (options: GenAICallbackHandlerOptions = {}): GenAICallbackHandler => new GenAICallbackHandler({ tracerProvider: provider, ...options });

  /** Runs `fn` inside an active application span named `name` (a request handler, say). */
  const inApp = <T>(name: string, fn: () => Promise<T>): Promise<T> =>
    provider.getTracer(APP_SCOPE).startActiveSpan(name, async (span: Span) => {
      try {
        return await fn();
      } finally {
        span.end();
      }
    });

  /** The finished spans, once LangChain's background callbacks are done. */
  const finished = async (): Promise<ReadableSpan[]> => {
    await awaitAllCallbacks();
    return exporter.getFinishedSpans();
  };

  /** Every HTTP span's parent is one of our chat spans, each chat span the parent of exactly one. */
  const expectEachHttpUnderItsOwnChat = (spans: readonly ReadableSpan[], calls: number): void => {
    const chats = spans.filter(isOurChat);
    const https = spans.filter(isHttp);
    const rendered = renderTree(spans);
    expect(chats, rendered).to.have.length(calls);
    expect(https, rendered).to.have.length(calls);
    const chatIds = new Set(chats.map(idOf));
    for (const http of https) expect(chatIds.has(parentOf(http) ?? ''), `parent of ${http.name}\n${rendered}`).to.equal(true);
    expect(new Set(https.map(parentOf)).size, rendered).to.equal(calls);
  };

  describe('the transport', () => {
    it('the openai client sends through undici (global fetch), not node:http: so instrumentation-undici is the one that sees it', async () => {
      let undiciRequests = 0;
      let httpModuleRequests = 0;
      const onUndici = (): void => {
        undiciRequests += 1;
      };
      const onHttp = (): void => {
        httpModuleRequests += 1;
      };
      subscribe('undici:request:create', onUndici);
      subscribe('http.client.request.start', onHttp);
      try {
        await chatModel().invoke('hi');
        const afterModel = { undiciRequests, httpModuleRequests };
        // Control: the node:http channel does fire in this Node for a node:http request.
        await new Promise<void>((resolveGet, reject) => {
          httpGet(`${fake.url}/models`, (answer) => {
            answer.resume();
            answer.on('end', resolveGet);
          }).on('error', reject);
        });
        expect(afterModel).to.deep.equal({ undiciRequests: 1, httpModuleRequests: 0 });
        expect(httpModuleRequests).to.equal(1);
      } finally {
        unsubscribe('undici:request:create', onUndici);
        unsubscribe('http.client.request.start', onHttp);
      }
      const spans = await finished();
      expect(renderTree(spans)).to.equal(tree('POST [undici]'));
    });
  });

  describe('nests (bridgeContext: true, the default)', () => {
    for (const awaitHandlers of [false, true]) {
      describe(`awaitHandlers: ${String(awaitHandlers)}`, () => {
        it('invoke: the POST span is a child of the chat span', async () => {
          const handler = handlerWith({ awaitHandlers });
          const answer = await inApp('app', () => chatModel().invoke('Why is the sky blue?', { callbacks: [handler] }));
          expect(answer.content).to.equal(FAKE_REPLY);
          const spans = await finished();
          expect(renderTree(spans)).to.equal(tree('app [app]', `  ${CHAT} [ours]`, '    POST [undici]'));
          expectEachHttpUnderItsOwnChat(spans, 1);
        });

        it('stream: the POST span is a child of the chat span', async () => {
          const handler = handlerWith({ awaitHandlers });
          const text = await inApp('app', async () => {
            let all = '';
            for await (const chunk of await chatModel().stream('Why is the sky blue?', { callbacks: [handler] })) all += chunk.text;
            return all;
          });
          expect(text).to.equal(FAKE_REPLY);
          const spans = await finished();
          expect(renderTree(spans)).to.equal(tree('app [app]', `  ${CHAT} [ours]`, '    POST [undici]'));
          expectEachHttpUnderItsOwnChat(spans, 1);
          const chat = spans.find(isOurChat);
          expect(chat?.attributes['gen_ai.request.stream'], 'the chat span is the streamed call').to.equal(true);
        });
      });
    }

    const weather = (fetchFrom: () => string) =>
      tool(
        async (input: { city: string }) => {
          // The tool itself calls an HTTP API: its span nests under the tool span.
          const answer = await fetch(`${fetchFrom()}/models`);
          await answer.arrayBuffer();
          return `sunny in ${input.city}`;
        },
        { name: 'get_weather', description: 'The weather in a city', schema: z.object({ city: z.string() }) },
      );

    it('with tools bound: the POST span is a child of the chat span that asked for the tool call', async () => {
      const handler = handlerWith();
      const answer = await inApp('app', () =>
        chatModel()
          .bindTools([weather(() => fake.url)])
          .invoke('Weather in Paris?', { callbacks: [handler] }),
      );
      expect(answer.tool_calls?.[0]?.name).to.equal('get_weather');
      const spans = await finished();
      expect(renderTree(spans)).to.equal(tree('app [app]', `  ${CHAT} [ours]`, '    POST [undici]'));
      expectEachHttpUnderItsOwnChat(spans, 1);
    });

    it('a tool loop: each POST under its own chat span, the tool’s own HTTP call under the tool span', async () => {
      const handler = handlerWith();
      const lookup = weather(() => fake.url);
      const model = chatModel().bindTools([lookup]);
      const final = await inApp('app', async () => {
        const messages: BaseMessage[] = [new HumanMessage('Weather in Paris?')];
        const first = await model.invoke(messages, { callbacks: [handler] });
        messages.push(first);
        for (const call of first.tool_calls ?? []) messages.push(await lookup.invoke(call, { callbacks: [handler] }));
        return model.invoke(messages, { callbacks: [handler] });
      });
      expect(final.content).to.equal(FAKE_TOOL_ANSWER);
      const spans = await finished();
      expect(renderTree(spans)).to.equal(
        tree(
          'app [app]',
          `  ${CHAT} [ours]`,
          '    POST [undici]',
          `  ${CHAT} [ours]`,
          '    POST [undici]',
          '  execute_tool get_weather [ours]',
          '    GET [undici]',
        ),
      );
      const toolSpan = spans.find((span) => span.name === 'execute_tool get_weather');
      expect(toolSpan?.attributes['gen_ai.tool.call.id']).to.equal(FAKE_TOOL_CALL_ID);
      const chatIds = new Set(spans.filter(isOurChat).map(idOf));
      const posts = spans.filter((span) => isHttp(span) && span.name === 'POST');
      expect(posts).to.have.length(2);
      for (const post of posts) expect(chatIds.has(parentOf(post) ?? '')).to.equal(true);
      expect(new Set(posts.map(parentOf)).size).to.equal(2);
    });

    it('inside a chain (prompt | model | parser): the POST span is a child of the chat span, the chat span of the workflow', async () => {
      const handler = handlerWith();
      const chain = ChatPromptTemplate.fromMessages([['human', '{question}']])
        .pipe(chatModel())
        .pipe(new StringOutputParser());
      const answer = await inApp('app', () => chain.invoke({ question: 'Why is the sky blue?' }, { callbacks: [handler] }));
      expect(answer).to.equal(FAKE_REPLY);
      const spans = await finished();
      expect(renderTree(spans)).to.equal(
        tree(
          'app [app]',
          '  invoke_workflow RunnableSequence [ours]',
          '    ChatPromptTemplate [ours]',
          '    StrOutputParser [ours]',
          `    ${CHAT} [ours]`,
          '      POST [undici]',
        ),
      );
      expectEachHttpUnderItsOwnChat(spans, 1);
    });

    it('a chain streamed: the POST span is a child of the chat span', async () => {
      const handler = handlerWith();
      const chain = ChatPromptTemplate.fromMessages([['human', '{question}']])
        .pipe(chatModel())
        .pipe(new StringOutputParser());
      const text = await inApp('app', async () => {
        let all = '';
        for await (const piece of await chain.stream({ question: 'Why is the sky blue?' }, { callbacks: [handler] })) all += piece;
        return all;
      });
      expect(text).to.equal(FAKE_REPLY);
      const spans = await finished();
      expectEachHttpUnderItsOwnChat(spans, 1);
      const chat = spans.find(isOurChat);
      const workflow = spans.find((span) => span.name === 'invoke_workflow RunnableSequence');
      expect(chat && parentOf(chat), renderTree(spans)).to.equal(workflow && idOf(workflow));
    });

    it('10 concurrent chain invocations on one model: each POST span under the chat span of its own invocation', async () => {
      const handler = handlerWith();
      const model = chatModel();
      const prompt = ChatPromptTemplate.fromMessages([['human', '{question}']]);
      const requests = new Map<string, string>();
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          provider.getTracer(APP_SCOPE).startActiveSpan(`request ${String(i)}`, async (span) => {
            requests.set(String(i), span.spanContext().traceId);
            const chain = prompt.pipe(model.withConfig({ options: { headers: { [INVOCATION_HEADER]: String(i) } } })).pipe(new StringOutputParser());
            try {
              return await chain.invoke({ question: `question ${String(i)}` }, { callbacks: [handler] });
            } finally {
              span.end();
            }
          }),
        ),
      );
      expect(answers).to.deep.equal(Array.from({ length: 10 }, () => FAKE_REPLY));
      const spans = await finished();
      expectEachHttpUnderItsOwnChat(spans, 10);
      const byId = new Map(spans.map((span) => [idOf(span), span]));
      for (const http of spans.filter(isHttp)) {
        const header = http.attributes[`http.request.header.${INVOCATION_HEADER}`];
        const invocation = Array.isArray(header) ? String(header[0]) : String(header);
        const chat = byId.get(parentOf(http) ?? '');
        expect(chat?.spanContext().traceId, `invocation ${invocation}: its chat span is in its own request's trace`).to.equal(requests.get(invocation));
        const workflow = byId.get(chat ? (parentOf(chat) ?? '') : '');
        expect(workflow?.name).to.equal('invoke_workflow RunnableSequence');
        const root = byId.get(workflow ? (parentOf(workflow) ?? '') : '');
        expect(root?.name).to.equal(`request ${invocation}`);
      }
      expect(handler.stats.openRuns).to.equal(0);
    });

    it('retries (LangChain’s AsyncCaller; ChatOpenAI sets the openai client’s maxRetries to 0): each attempt is a POST span under the one chat span', async () => {
      const front = await startFlakyFront(fake, 1);
      try {
        const handler = handlerWith();
        const answer = await inApp('app', () => chatModel({ baseURL: front.url, maxRetries: 1 }).invoke('Why is the sky blue?', { callbacks: [handler] }));
        expect(answer.content).to.equal(FAKE_REPLY);
        expect(front.chatRequests()).to.equal(2);
      } finally {
        await front.close();
      }
      const spans = await finished();
      expect(renderTree(spans)).to.equal(tree('app [app]', `  ${CHAT} [ours]`, '    POST [undici]', '    POST [undici]'));
      const chat = spans.find(isOurChat);
      const posts = spans.filter(isHttp).sort(byStart);
      expect(posts.map((post) => post.attributes['http.response.status_code'])).to.deep.equal([503, 200]);
      for (const post of posts) expect(parentOf(post)).to.equal(chat && idOf(chat));
    });

    it('a LangGraph node, streamed with streamMode "messages" (v2): the POST span is a child of the chat span', async () => {
      const handler = handlerWith();
      const graph = oneModelGraph();
      await inApp('app', async () => {
        for await (const chunk of await graph.stream(
          { messages: [new HumanMessage('Why is the sky blue?')] },
          { streamMode: 'messages', callbacks: [handler] },
        )) {
          expect(chunk).to.not.equal(undefined);
        }
      });
      const spans = await finished();
      expect(renderTree(spans)).to.equal(tree('app [app]', '  invoke_agent [ours]', '    model [ours]', `      ${CHAT} [ours]`, '        POST [undici]'));
      expectEachHttpUnderItsOwnChat(spans, 1);
    });
  });

  describe('stacked producers: @opentelemetry/instrumentation-openai active too', () => {
    for (const mode of ['invoke', 'stream'] as const) {
      it(`${mode}: our chat span → its chat span → the POST span`, async () => {
        const instrumented = instrumentOpenAI('opentelemetry', provider);
        try {
          const handler = handlerWith();
          const model = chatModel();
          await inApp('app', async () => {
            if (mode === 'invoke') return model.invoke('Why is the sky blue?', { callbacks: [handler] });
            for await (const chunk of await model.stream('Why is the sky blue?', { callbacks: [handler] })) expect(chunk).to.not.equal(undefined);
            return undefined;
          });
        } finally {
          instrumented.restore();
        }
        const spans = await finished();
        expect(renderTree(spans)).to.equal(tree('app [app]', `  ${CHAT} [ours]`, `    ${CHAT} [openai]`, '      POST [undici]'));
      });
    }
  });

  describe('does not nest', () => {
    it('bridgeContext: false (no bridge installed in the process): the POST span is the chat span’s sibling, under the caller’s span', async () => {
      uninstallContextBridge();
      try {
        const handler = handlerWith({ bridgeContext: false });
        expect(isBridgeInstalled()).to.equal(false);
        await inApp('app', () => chatModel().invoke('Why is the sky blue?', { callbacks: [handler] }));
      } finally {
        installContextBridge();
      }
      const spans = await finished();
      expect(renderTree(spans)).to.equal(tree('app [app]', '  POST [undici]', `  ${CHAT} [ours]`));
    });

    it('bridgeContext: false also while another handler has installed the bridge: this handler’s runs are not made active, so the POST span stays under the caller’s span', async () => {
      handlerWith(); // installs the bridge (default bridgeContext: true); never used for a call
      expect(isBridgeInstalled()).to.equal(true);
      const handler = handlerWith({ bridgeContext: false });
      await inApp('app', () => chatModel().invoke('Why is the sky blue?', { callbacks: [handler] }));
      const spans = await finished();
      expect(renderTree(spans)).to.equal(tree('app [app]', '  POST [undici]', `  ${CHAT} [ours]`));
    });

    it('a model called outside any LangChain callbacks: no chat span; the POST span sits under the caller’s span', async () => {
      handlerWith(); // the bridge is installed, but this call has no handler
      await inApp('app', () => chatModel().invoke('Why is the sky blue?'));
      const spans = await finished();
      expect(renderTree(spans)).to.equal(tree('app [app]', '  POST [undici]'));
    });

    it('HTTP from a chain step (RunnableLambda): only models, tools and retrievers are bridged, so it sits under the caller’s span, not the step’s', async () => {
      const handler = handlerWith();
      const step = RunnableLambda.from(async () => {
        const answer = await fetch(`${fake.url}/models`);
        return answer.status;
      }).withConfig({ runName: 'fetch_models' });
      const status = await inApp('app', () => step.invoke({}, { callbacks: [handler] }));
      expect(status).to.equal(200);
      const spans = await finished();
      expect(renderTree(spans)).to.equal(tree('app [app]', '  GET [undici]', '  invoke_workflow fetch_models [ours]'));
    });

    it('two of our handlers on one call: two chat spans, the POST span under only one of them (the bridge keeps one span per run id: the last registered)', async () => {
      // The second handler writes to its own provider, so its chat span is known whatever the timing.
      const secondExporter = new InMemorySpanExporter();
      const secondProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(secondExporter)] });
      const first = handlerWith();
      const second = new GenAICallbackHandler({ tracerProvider: secondProvider });
      await inApp('app', () => chatModel().invoke('Why is the sky blue?', { callbacks: [first, second] }));
      const spans = [...(await finished()), ...secondExporter.getFinishedSpans()];
      expect(renderTree(spans)).to.equal(tree('app [app]', `  ${CHAT} [ours]`, `  ${CHAT} [ours]`, '    POST [undici]'));
      const secondChat = secondExporter.getFinishedSpans().find(isOurChat);
      const post = spans.find(isHttp);
      expect(parentOf(post as ReadableSpan), 'the chat span of the handler whose start hook ran last').to.equal(secondChat && idOf(secondChat));
    });

    it('the chat-model stream-events path (a handler that prefers it, as LangGraph’s v3 streaming does): the POST span sits under the caller’s span', async () => {
      const handler = handlerWith();
      const answer = await inApp('app', () => chatModel().invoke('Why is the sky blue?', { callbacks: [handler, new PrefersChatModelStreamEvents()] }));
      expect(answer.text).to.equal(FAKE_REPLY);
      const spans = await finished();
      expect(renderTree(spans)).to.equal(tree('app [app]', '  POST [undici]', `  ${CHAT} [ours]`));
    });

    it('LangGraph streamEvents version "v3": the POST span sits under the caller’s span, not the chat span', async () => {
      const handler = handlerWith();
      const graph = oneModelGraph();
      await inApp('app', async () => {
        const run = await graph.streamEvents({ messages: [new HumanMessage('Why is the sky blue?')] }, { version: 'v3', callbacks: [handler] });
        for await (const event of run) expect(event).to.not.equal(undefined);
      });
      const spans = await finished();
      expect(renderTree(spans)).to.equal(tree('app [app]', '  POST [undici]', '  invoke_agent [ours]', '    model [ours]', `      ${CHAT} [ours]`));
    });
  });
});
