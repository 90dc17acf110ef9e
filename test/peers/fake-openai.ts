/**
 * A fake OpenAI-compatible HTTP server for driving real GenAI instrumentations without a model.
 * Loopback only, on a free port. Every answer is deterministic so tests can assert exact values:
 *
 * - `POST /v1/chat/completions`
 *   - request with `tools` whose last message is not a `tool` result: a tool call to the first
 *     declared function (normally `get_weather`) with arguments {@link FAKE_TOOL_ARGUMENTS},
 *     call id {@link FAKE_TOOL_CALL_ID}, `finish_reason` `tool_calls`, usage `FAKE_USAGE.toolCall`;
 *   - last message a `tool` result: the text {@link FAKE_TOOL_ANSWER}, usage `FAKE_USAGE.toolAnswer`;
 *   - otherwise: the text {@link FAKE_REPLY}, usage `FAKE_USAGE.text`.
 *   With `stream: true` the same answer comes as SSE chunks (a role chunk, then the text split
 *   at spaces by {@link streamPieces}; a tool call as a name chunk then two argument chunks), then a chunk with `finish_reason`, then, only with `stream_options.include_usage`, a
 *   final chunk with `choices: []` and the usage, then `data: [DONE]`.
 *   The response model is the request model plus {@link RESPONSE_MODEL_SUFFIX}
 *   (`gpt-4o-mini` → `gpt-4o-mini-2024-07-18`); the response id is `chatcmpl-fake-N`, N counting
 *   the server's chat requests from 1; `created` is {@link FAKE_CREATED};
 *   `system_fingerprint` is {@link FAKE_SYSTEM_FINGERPRINT}.
 * - `GET /v1/models`: one model, `gpt-4o-mini`.
 * - anything else: 404 with an OpenAI-style error body.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The text of a plain (or streamed) chat answer. */
export const FAKE_REPLY = 'Hello from the fake model. The sky is blue.';
/** The text of the answer to a request whose last message is a tool result. */
export const FAKE_TOOL_ANSWER = 'It is sunny and 22 degrees in Paris.';
/** The id of the tool call the server answers with. */
export const FAKE_TOOL_CALL_ID = 'call_fake_weather_1';
/** The JSON arguments of that tool call. */
export const FAKE_TOOL_ARGUMENTS = '{"city": "Paris"}';
/** Appended to the request model to make the response model. */
export const RESPONSE_MODEL_SUFFIX = '-2024-07-18';
/** `created` of every answer (seconds since the epoch). */
export const FAKE_CREATED = 1_767_225_600;
/** `system_fingerprint` of every answer. */
export const FAKE_SYSTEM_FINGERPRINT = 'fp_fake_0001';

/** An OpenAI `usage` object. */
export interface FakeUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** The usage of each kind of answer, whether streamed or not. */
export const FAKE_USAGE = {
  text: { prompt_tokens: 11, completion_tokens: 9, total_tokens: 20 },
  toolCall: { prompt_tokens: 42, completion_tokens: 17, total_tokens: 59 },
  toolAnswer: { prompt_tokens: 63, completion_tokens: 10, total_tokens: 73 },
} as const satisfies Record<string, FakeUsage>;

/** The kind of answer the server chose for a request. */
export type FakeAnswerKind = keyof typeof FAKE_USAGE;

/** One request the server received. */
export interface FakeOpenAIRequest {
  method: string;
  path: string;
  /** The parsed JSON body, or `undefined` when there was none (or it was not JSON). */
  body: unknown;
  /** For chat requests: the kind of answer given. */
  answer?: FakeAnswerKind;
  /** For chat requests: whether the answer was streamed. */
  stream?: boolean;
}

/** A running fake OpenAI server. */
export interface FakeOpenAI {
  /** Base URL for OpenAI clients, ending in `/v1` (e.g. `http://127.0.0.1:40123/v1`). */
  url: string;
  /** Every request received so far, in order. */
  requests: FakeOpenAIRequest[];
  /** Stops the server (open connections are closed). */
  close(): Promise<void>;
}

/** Options of {@link startFakeOpenAI}. */
export interface FakeOpenAIOptions {
  /** Pause between streamed chunks, in ms (so time-to-first-token differs from the duration). Default 5. */
  chunkDelayMs?: number;
}

interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

interface Answer {
  kind: FakeAnswerKind;
  text: string | null;
  toolCall: ToolCall | null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The response model for a request model. */
export function fakeResponseModel(requestModel: string): string {
  return `${requestModel}${RESPONSE_MODEL_SUFFIX}`;
}

/** The name of the first function in `tools`, default `get_weather`. */
function firstToolName(tools: unknown[]): string {
  const [first] = tools;
  if (isRecord(first) && isRecord(first['function']) && typeof first['function']['name'] === 'string') {
    return first['function']['name'];
  }
  return 'get_weather';
}

/** Which answer a chat request gets (see the module comment). */
function chooseAnswer(request: Record<string, unknown>): Answer {
  const messages = Array.isArray(request['messages']) ? request['messages'] : [];
  const last: unknown = messages[messages.length - 1];
  if (isRecord(last) && last['role'] === 'tool') return { kind: 'toolAnswer', text: FAKE_TOOL_ANSWER, toolCall: null };
  const tools = request['tools'];
  if (Array.isArray(tools) && tools.length > 0) {
    const toolCall: ToolCall = {
      id: FAKE_TOOL_CALL_ID,
      type: 'function',
      function: { name: firstToolName(tools), arguments: FAKE_TOOL_ARGUMENTS },
    };
    return { kind: 'toolCall', text: null, toolCall };
  }
  return { kind: 'text', text: FAKE_REPLY, toolCall: null };
}

/** Splits text into stream pieces at spaces, keeping each space before its word. */
export function streamPieces(text: string): string[] {
  return text.split(/(?= )/);
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolveSleep) => setTimeout(resolveSleep, ms));
}

function completion(id: string, model: string, answer: Answer): Record<string, unknown> {
  return {
    id,
    object: 'chat.completion',
    created: FAKE_CREATED,
    model,
    system_fingerprint: FAKE_SYSTEM_FINGERPRINT,
    service_tier: 'default',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: answer.text,
          refusal: null,
          ...(answer.toolCall ? { tool_calls: [answer.toolCall] } : {}),
        },
        logprobs: null,
        finish_reason: answer.toolCall ? 'tool_calls' : 'stop',
      },
    ],
    usage: { ...FAKE_USAGE[answer.kind] },
  };
}

/** The `choices[0].delta` objects of a streamed answer, before the finish chunk. */
function streamDeltas(answer: Answer): Record<string, unknown>[] {
  if (answer.toolCall) {
    const { id, type, function: fn } = answer.toolCall;
    const half = Math.ceil(fn.arguments.length / 2);
    return [
      { role: 'assistant', content: null, tool_calls: [{ index: 0, id, type, function: { name: fn.name, arguments: '' } }] },
      { tool_calls: [{ index: 0, function: { arguments: fn.arguments.slice(0, half) } }] },
      { tool_calls: [{ index: 0, function: { arguments: fn.arguments.slice(half) } }] },
    ];
  }
  return [{ role: 'assistant', content: '', refusal: null }, ...streamPieces(answer.text ?? '').map((content) => ({ content }))];
}

async function streamCompletion(response: ServerResponse, id: string, model: string, answer: Answer, includeUsage: boolean, delayMs: number): Promise<void> {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const base = { id, object: 'chat.completion.chunk', created: FAKE_CREATED, model, system_fingerprint: FAKE_SYSTEM_FINGERPRINT, service_tier: 'default' };
  const send = (chunk: Record<string, unknown>): void => {
    response.write(`data: ${JSON.stringify({ ...base, ...chunk })}\n\n`);
  };
  const usageField = includeUsage ? { usage: null } : {};
  for (const delta of streamDeltas(answer)) {
    send({ choices: [{ index: 0, delta, logprobs: null, finish_reason: null }], ...usageField });
    await sleep(delayMs);
  }
  send({ choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: answer.toolCall ? 'tool_calls' : 'stop' }], ...usageField });
  if (includeUsage) send({ choices: [], usage: { ...FAKE_USAGE[answer.kind] } });
  response.end('data: [DONE]\n\n');
}

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Starts the fake OpenAI server on a free loopback port (see the module comment for its answers).
 * Resolves once it listens.
 */
export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const delayMs = options.chunkDelayMs ?? 5;
  const requests: FakeOpenAIRequest[] = [];
  let chatCount = 0;

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const body = await readBody(request);
    const record: FakeOpenAIRequest = { method: request.method ?? '', path, body };
    requests.push(record);
    if (request.method === 'GET' && path === '/v1/models') {
      sendJson(response, 200, { object: 'list', data: [{ id: 'gpt-4o-mini', object: 'model', created: FAKE_CREATED, owned_by: 'fake-openai' }] });
      return;
    }
    if (request.method !== 'POST' || path !== '/v1/chat/completions') {
      sendJson(response, 404, { error: { message: `no route ${request.method ?? ''} ${path}`, type: 'invalid_request_error', param: null, code: null } });
      return;
    }
    if (!isRecord(body) || typeof body['model'] !== 'string') {
      sendJson(response, 400, { error: { message: 'body must be JSON with a model', type: 'invalid_request_error', param: 'model', code: null } });
      return;
    }
    chatCount += 1;
    const answer = chooseAnswer(body);
    const stream = body['stream'] === true;
    record.answer = answer.kind;
    record.stream = stream;
    const id = `chatcmpl-fake-${chatCount}`;
    const model = fakeResponseModel(body['model']);
    if (!stream) {
      sendJson(response, 200, completion(id, model, answer));
      return;
    }
    const streamOptions = body['stream_options'];
    const includeUsage = isRecord(streamOptions) && streamOptions['include_usage'] === true;
    await streamCompletion(response, id, model, answer, includeUsage, delayMs);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendJson(response, 500, { error: { message: String(error), type: 'server_error', param: null, code: null } });
      else response.destroy();
    });
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.closeAllConnections();
        server.close(() => {
          resolveClose();
        });
      }),
  };
}
