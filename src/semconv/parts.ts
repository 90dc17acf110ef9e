/**
 * Shapes of the GenAI content attributes (semantic conventions v1.41.1 JSON schemas
 * `gen-ai-input-messages.json`, `gen-ai-output-messages.json`, `gen-ai-system-instructions.json`,
 * `gen-ai-tool-definitions.json`, `gen-ai-retrieval-documents.json`). Every object allows additional
 * properties; on spans the values are recorded as JSON strings.
 */

export interface TextPart {
  type: 'text';
  content: string;
}
export interface ToolCallRequestPart {
  type: 'tool_call';
  name: string;
  id?: string;
  arguments?: unknown;
}
export interface ToolCallResponsePart {
  type: 'tool_call_response';
  response: unknown;
  id?: string;
}
export interface ServerToolCallPart {
  type: 'server_tool_call';
  name: string;
  server_tool_call: Record<string, unknown>;
  id?: string;
}
export interface ServerToolCallResponsePart {
  type: 'server_tool_call_response';
  server_tool_call_response: Record<string, unknown>;
  id?: string;
}
/** Modality of binary parts: `image`, `video`, `audio` (other strings are allowed). */
export type Modality = 'image' | 'video' | 'audio' | (string & {});
export interface BlobPart {
  type: 'blob';
  modality: Modality;
  /** base64 bytes */
  content: string;
  mime_type?: string;
}
export interface FilePart {
  type: 'file';
  modality: Modality;
  file_id: string;
  mime_type?: string;
}
export interface UriPart {
  type: 'uri';
  modality: Modality;
  uri: string;
  mime_type?: string;
}
export interface ReasoningPart {
  type: 'reasoning';
  content: string;
}
/** Any other part: a `type` and anything else. */
export interface GenericPart {
  type: string;
  [key: string]: unknown;
}

export type MessagePart =
  | TextPart
  | ToolCallRequestPart
  | ToolCallResponsePart
  | ServerToolCallPart
  | ServerToolCallResponsePart
  | BlobPart
  | FilePart
  | UriPart
  | ReasoningPart
  | GenericPart;

/** Roles of the schema (other strings are allowed). */
export type Role = 'system' | 'user' | 'assistant' | 'tool' | (string & {});

/** One element of `gen_ai.input.messages`. */
export interface ChatMessage {
  role: Role;
  parts: MessagePart[];
  name?: string;
}

/** One element of `gen_ai.output.messages` (one per choice). */
export interface OutputMessage extends ChatMessage {
  finish_reason: string;
}

/** `gen_ai.system_instructions`: parts given to the model apart from the chat history. */
export type SystemInstructions = MessagePart[];

/** One element of `gen_ai.tool.definitions`. */
export interface ToolDefinition {
  type: string;
  name: string;
  description?: string;
  parameters?: unknown;
}

/** One element of `gen_ai.retrieval.documents` (`content` is our addition, allowed by the schema). */
export interface RetrievalDocument {
  id: string;
  score?: number;
  content?: string;
}
