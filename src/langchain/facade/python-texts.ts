/**
 * The texts LangChain Python's `AimCallbackHandler` tracks, built from LangChain.js callback
 * arguments. Where Python would raise (a value that is not a string cannot be an `aim.Text`), the
 * facade records readable text instead: a message's content, else JSON.
 */
import type { AgentAction, AgentFinish } from '@langchain/core/agents';
import { type BaseMessage, getBufferString } from '@langchain/core/messages';
import type { LLMResult } from '@langchain/core/outputs';

/** `on_llm_start` for a chat model: one prompt per message list, as LangChain's `get_buffer_string` renders it (`Human: …\nAI: …`). */
export function chatPrompts(messages: readonly (readonly BaseMessage[])[]): string[] {
  return messages.map((list) => getBufferString([...list]));
}

/**
 * `on_tool_start`: the tool's input as Python's `input_str`. LangChain.js wraps a string tool's
 * input as `{"input": "..."}` before its callbacks see it; the string itself is what Python records.
 */
export function toolInputText(input: unknown): string {
  if (typeof input === 'string' && input.startsWith('{"input":')) {
    try {
      const parsed: unknown = JSON.parse(input);
      if (typeof parsed === 'object' && parsed !== null && Object.keys(parsed).length === 1 && 'input' in parsed && typeof parsed.input === 'string') {
        return parsed.input;
      }
    } catch {
      // not JSON after all: the string as it is
    }
  }
  return asText(input);
}

/** `on_llm_end`: the text of every generation of every prompt. */
export function generationTexts(output: LLMResult): string[] {
  return output.generations.flatMap((generations) => generations.map((generation) => generation.text));
}

/** `on_agent_action`: `TOOL INPUT:\n{tool_input}\n\nLOG:\n{log}`. */
export function agentActionText(action: AgentAction): string {
  return `TOOL INPUT:\n${asText(action.toolInput)}\n\nLOG:\n${action.log}`;
}

/** `on_agent_finish`: `OUTPUT:\n{return_values["output"]}\n\nLOG:\n{log}`. */
export function agentFinishText(finish: AgentFinish): string {
  const values: Record<string, unknown> = finish.returnValues;
  return `OUTPUT:\n${asText(values['output'])}\n\nLOG:\n${finish.log}`;
}

/**
 * A value as text: strings as they are, a message (or message-like object) as its content when
 * that is a string, anything else as JSON.
 */
export function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && 'content' in value && typeof value.content === 'string') return value.content;
  try {
    // JSON.stringify gives undefined for undefined, functions and symbols.
    const json = JSON.stringify(value) as unknown;
    return typeof json === 'string' ? json : '';
  } catch {
    return '[a value that cannot be serialised]';
  }
}
