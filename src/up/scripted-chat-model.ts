/**
 * A chat model that answers from a script, built on LangChain's own BaseChatModel: the model of
 * `aim-otel-bridge up --demo` (so the demo needs no API key and no provider package), and of the
 * handler's tests (tool calls, usage, streaming).
 */
import { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { BaseChatModelCallOptions, BindToolsInput } from '@langchain/core/language_models/chat_models';
import type { CallbackManagerForLLMRun } from '@langchain/core/callbacks/manager';
import { AIMessage, AIMessageChunk } from '@langchain/core/messages';
import type { BaseMessage, UsageMetadata } from '@langchain/core/messages';
import { ChatGenerationChunk } from '@langchain/core/outputs';
import type { ChatResult } from '@langchain/core/outputs';
import type { Runnable } from '@langchain/core/runnables';
import type { BaseLanguageModelInput } from '@langchain/core/language_models/base';

/** One scripted answer. */
export interface ScriptedResponse {
  content: string;
  id?: string;
  tool_calls?: { id: string; name: string; args: Record<string, unknown> }[];
  usage_metadata?: UsageMetadata;
  response_metadata?: Record<string, unknown>;
}

/** Scripted responses: what the fake model answers, call after call (cycling). */
export interface ScriptedChatModelFields {
  responses: ScriptedResponse[];
  /** `ls_provider` reported to LangChain. @default 'openai' */
  provider?: string;
  /** `ls_model_name`. @default 'gpt-test' */
  model?: string;
  temperature?: number;
  maxTokens?: number;
  /** Milliseconds between streamed chunks. @default 0 */
  chunkDelayMs?: number;
  /** Called inside the model's real work with the active context (to simulate a provider SDK span). */
  onCall?: () => void;
}

/**
 * A chat model that answers from a script. Streams its text one character per chunk, with the
 * usage on the last chunk; `bindTools` keeps the tools in the call options (as real providers do).
 */
export class ScriptedChatModel extends BaseChatModel {
  private _i = 0;
  readonly fields: ScriptedChatModelFields;

  constructor(fields: ScriptedChatModelFields) {
    super({});
    this.fields = fields;
  }

  override _llmType(): string {
    return 'scripted';
  }

  static override lc_name(): string {
    return 'ScriptedChatModel';
  }

  override getLsParams(options: this['ParsedCallOptions']) {
    const params = super.getLsParams(options);
    params.ls_provider = this.fields.provider ?? 'openai';
    params.ls_model_name = this.fields.model ?? 'gpt-test';
    if (this.fields.temperature !== undefined) params.ls_temperature = this.fields.temperature;
    if (this.fields.maxTokens !== undefined) params.ls_max_tokens = this.fields.maxTokens;
    return params;
  }

  override bindTools(tools: BindToolsInput[]): Runnable<BaseLanguageModelInput, AIMessageChunk, BaseChatModelCallOptions> {
    return this.withConfig({ tools } as Partial<BaseChatModelCallOptions>);
  }

  private _next(): ScriptedResponse {
    const response = this.fields.responses[this._i % this.fields.responses.length];
    this._i += 1;
    if (response === undefined) throw new Error('ScriptedChatModel has no responses');
    return response;
  }

  override async _generate(_messages: BaseMessage[], options: this['ParsedCallOptions']): Promise<ChatResult> {
    await Promise.resolve();
    this.fields.onCall?.();
    options.signal?.throwIfAborted();
    // exactOptionalPropertyTypes: our optional fields are plain optional, LangChain's accept undefined.
    const message = new AIMessage({ ...this._next() } as ConstructorParameters<typeof AIMessage>[0]);
    return { generations: [{ message, text: typeof message.content === 'string' ? message.content : '' }] };
  }

  override async *_streamResponseChunks(
    _messages: BaseMessage[],
    options: this['ParsedCallOptions'],
    runManager?: CallbackManagerForLLMRun,
  ): AsyncGenerator<ChatGenerationChunk> {
    this.fields.onCall?.();
    const response = this._next();
    const text = response.content;
    const chars = Array.from(text);
    for (let i = 0; i < chars.length; i += 1) {
      if (this.fields.chunkDelayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, this.fields.chunkDelayMs));
      const last = i === chars.length - 1;
      const chunk = new ChatGenerationChunk({
        text: chars[i] ?? '',
        message: new AIMessageChunk({
          content: chars[i] ?? '',
          ...(last && response.usage_metadata !== undefined ? { usage_metadata: response.usage_metadata } : {}),
          ...(last && response.response_metadata !== undefined ? { response_metadata: response.response_metadata } : {}),
        } as ConstructorParameters<typeof AIMessageChunk>[0]),
      });
      yield chunk;
      await runManager?.handleLLMNewToken(chars[i] ?? '', undefined, undefined, undefined, undefined, { chunk });
    }
  }
}
