/**
 * LangChain tags and metadata as span attributes under one prefix: `langchain.tags` (string[]) and
 * one `langchain.metadata.<key>` per metadata key. Strings, numbers, booleans and homogeneous
 * arrays of them are kept as they are; a plain object is flattened one level
 * (`langchain.metadata.<key>.<subkey>`), deeper values are recorded as (length-limited) JSON. At
 * most `MAX_METADATA_KEYS` attributes per run. LangChain's own tracing keys (`ls_*`, already mapped
 * to `gen_ai.*` attributes) and `versions` (the LangChain package versions) are left out.
 */
import type { AttributeValue, Attributes } from '@opentelemetry/api';
import { ATTR_LANGCHAIN_METADATA_PREFIX, ATTR_LANGCHAIN_TAGS } from './attributes.js';
import { KeyFamilies, asNumber } from './read.js';
import type { FamilyValues, UnknownRecord } from './read.js';
import { boundedJson, truncateText } from './truncate.js';

/**
 * The metadata keys the handler reads, read in one pass per run: the conversation id (precedence:
 * `thread_id`, `conversation_id`, `session_id`, their camel-case spellings), the agent name of
 * LangChain's `createAgent`, and LangChain's own tracing keys for model runs.
 */
export const RUN_METADATA = new KeyFamilies({
  conversationId: ['thread_id', 'conversation_id', 'session_id', 'threadId', 'conversationId', 'sessionId'],
  agentName: ['lc_agent_name'],
  lsProvider: ['ls_provider'],
  lsModelName: ['ls_model_name'],
  lsTemperature: ['ls_temperature'],
  lsMaxTokens: ['ls_max_tokens'],
  lsStop: ['ls_stop'],
});

/** What {@link RUN_METADATA} read from a run's metadata. */
export type RunMetadata = FamilyValues | undefined;

/** The conversation id: the first conversation key holding a non-empty string, else a numeric `thread_id`. */
export function conversationIdOf(metadata: RunMetadata): string | undefined {
  const id = RUN_METADATA.string(metadata, 'conversationId');
  if (id !== undefined) return id;
  const numeric = asNumber(RUN_METADATA.value(metadata, 'conversationId'));
  return numeric !== undefined ? String(numeric) : undefined;
}

/** Metadata keys recorded per run; the rest are dropped. */
export const MAX_METADATA_KEYS = 64;
/** Maximum length of one metadata value. */
export const MAX_METADATA_VALUE_LENGTH = 1024;

function isPrimitive(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/** Attribute names by metadata key (bounded), so hot paths do not concatenate strings per span. */
const keyCache = new Map<string, string>();
const KEY_CACHE_LIMIT = 4096;

function attributeKey(key: string): string {
  let name = keyCache.get(key);
  if (name === undefined) {
    name = ATTR_LANGCHAIN_METADATA_PREFIX + key;
    if (keyCache.size < KEY_CACHE_LIMIT) keyCache.set(key, name);
  }
  return name;
}

function attributeValueOf(value: unknown): AttributeValue | undefined {
  if (typeof value === 'string') return truncateText(value, MAX_METADATA_VALUE_LENGTH);
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (value === undefined || value === null || typeof value === 'function' || typeof value === 'symbol') return undefined;
  if (Array.isArray(value) && value.length > 0 && value.every(isPrimitive)) {
    const first = typeof value[0];
    if (value.every((item) => typeof item === first)) return value as string[] | number[] | boolean[];
  }
  return boundedJson(value, MAX_METADATA_VALUE_LENGTH);
}

/** Adds `langchain.tags` and `langchain.metadata.*` to `attributes`. */
export function addTagsAndMetadata(attributes: Attributes, tags: readonly string[] | undefined, metadata: UnknownRecord | undefined): void {
  if (tags !== undefined && tags.length > 0) attributes[ATTR_LANGCHAIN_TAGS] = tags as string[];
  if (metadata === undefined) return;
  let count = 0;
  for (const key in metadata) {
    if (count >= MAX_METADATA_KEYS) break;
    if (!Object.hasOwn(metadata, key) || isLangSmithKey(key)) continue;
    const value = metadata[key];
    if (isPlainObject(value)) {
      for (const sub in value) {
        if (count >= MAX_METADATA_KEYS) break;
        if (!Object.hasOwn(value, sub)) continue;
        const subValue = attributeValueOf(value[sub]);
        if (subValue === undefined) continue;
        attributes[`${attributeKey(key)}.${sub}`] = subValue;
        count += 1;
      }
      continue;
    }
    const attributeValue = attributeValueOf(value);
    if (attributeValue === undefined) continue;
    attributes[attributeKey(key)] = attributeValue;
    count += 1;
  }
}

function isLangSmithKey(key: string): boolean {
  return key.startsWith('ls_') || key === 'versions';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
