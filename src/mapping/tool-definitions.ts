/**
 * The tools a model call offered the model, as one normalized list in the shape of
 * `gen_ai.tool.definitions` (`[{type, name, description?, parameters?}]`, `parameters` the JSON
 * schema as a value), whichever convention recorded them. The first source present wins:
 *
 * | source | read |
 * |---|---|
 * | GenAI semconv (OpenLLMetry, our LangChain handler, OpenInference's GenAI mode) | `gen_ai.tool.definitions` (JSON text, or a list of objects or of JSON texts) |
 * | OpenInference | `llm.tools.N.tool.json_schema` (one JSON object per tool) |
 * | OpenLLMetry, older names | `llm.request.functions.N.name`, `.description`, `.parameters` (JSON text) |
 * | Vercel AI SDK | `ai.prompt.tools` (one JSON text per tool; `inputSchema`, 4.x `parameters`) |
 *
 * Each tool may come in the GenAI shape, OpenAI's chat shape (`{type: 'function', function:
 * {name, description, parameters}}`) or Anthropic's (`{name, description, input_schema}`); a tool
 * without a name is left out. No source gives an empty list.
 */
import type { AttributeValue, Attributes } from '../model/span-record.js';
import { isObject, jsonAttribute, parseJson, str } from './attribute-read.js';

/** One tool definition, normalized. */
export interface ToolDefinition {
  readonly type: string;
  readonly name: string;
  readonly description?: string;
  /** The parameters' JSON schema (or, when it was not JSON, its text). */
  readonly parameters?: AttributeValue;
}

/** How many indexed tools (`llm.tools.N`, `llm.request.functions.N`) are read at most. */
const MAX_INDEXED = 1000;

/** The tool definitions of a model call (see the module documentation). */
export function readToolDefinitions(a: Attributes): ToolDefinition[] {
  const semconv = a['gen_ai.tool.definitions'];
  if (semconv !== undefined) return definitions(typeof semconv === 'string' ? parseJson(semconv) : semconv);

  const tools: unknown[] = [];
  for (let i = 0; i < MAX_INDEXED; i++) {
    const schema = str(a, `llm.tools.${String(i)}.tool.json_schema`);
    if (schema === undefined) break;
    tools.push(parseJson(schema));
  }
  if (tools.length > 0) return definitions(tools);

  for (let i = 0; i < MAX_INDEXED; i++) {
    const at = `llm.request.functions.${String(i)}`;
    const name = str(a, `${at}.name`);
    if (name === undefined) break;
    tools.push({ type: 'function', name, description: str(a, `${at}.description`), parameters: a[`${at}.parameters`] });
  }
  if (tools.length > 0) return definitions(tools);

  const vercel = a['ai.prompt.tools'];
  if (typeof vercel === 'string') return definitions(parseJson(vercel));
  if (Array.isArray(vercel)) return definitions(vercel);
  return [];
}

function definitions(list: unknown): ToolDefinition[] {
  if (!Array.isArray(list)) return [];
  const result: ToolDefinition[] = [];
  for (const item of list as readonly unknown[]) {
    const tool = definition(typeof item === 'string' ? parseJson(item) : item);
    if (tool) result.push(tool);
  }
  return result;
}

function definition(value: unknown): ToolDefinition | undefined {
  if (!isObject(value)) return undefined;
  const fn = isObject(value['function']) ? value['function'] : value;
  const name = fn['name'];
  if (typeof name !== 'string' || name === '') return undefined;
  const type = typeof value['type'] === 'string' ? value['type'] : 'function';
  const description = fn['description'];
  const parameters = schema(fn['parameters'] ?? fn['input_schema'] ?? fn['inputSchema']);
  return {
    type,
    name,
    ...(typeof description === 'string' && description !== '' ? { description } : {}),
    ...(parameters !== undefined ? { parameters } : {}),
  };
}

/** A JSON schema as a value: JSON text is parsed; text that is not JSON stays text. */
function schema(value: unknown): AttributeValue | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return jsonAttribute(parseJson(value) ?? value);
  return jsonAttribute(value);
}
