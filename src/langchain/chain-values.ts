/**
 * A chain run's inputs and outputs as content: agents and workflows holding messages get the GenAI
 * message attributes, other values `langchain.chain.inputs`/`outputs` (intermediate steps only with
 * `captureChainSteps`).
 */
import type { Span } from '@opentelemetry/api';
import type { OutputMessage } from '../semconv/parts.js';
import type { SemconvNames } from '../semconv/profile.js';
import * as la from './attributes.js';
import type { ContentPolicy } from './content.js';
import { chatMessageOf, messagesIn } from './messages.js';
import type { PartOptions } from './messages.js';
import { asRecord } from './read.js';
import type { RunRecord } from './runs.js';

/** What recording a run's content needs (the recorder's settings). */
export interface RunScope {
  readonly names: SemconvNames;
  readonly content: ContentPolicy;
  readonly parts: PartOptions;
  /** Record inputs/outputs of intermediate chain steps too. */
  readonly chainSteps: boolean;
}

/** Records a chain's inputs or outputs on its span, as the content rules allow. */
export function recordChainValues(scope: RunScope, record: RunRecord, span: Span, runId: string, values: unknown, direction: 'input' | 'output'): void {
  const { content, names: n, parts } = scope;
  if (!content.active || (record.kind === 'chain' && !scope.chainSteps)) return;
  const messages = record.kind === 'agent' || record.kind === 'workflow' ? messagesIn(values) : undefined;
  if (messages !== undefined) {
    if (direction === 'input') {
      content.record(span, runId, n.inputMessages, () => messages.map((m) => chatMessageOf(asRecord(m) ?? {}, parts)));
    } else {
      content.record(span, runId, n.outputMessages, () => {
        const last = asRecord(messages[messages.length - 1]) ?? {};
        const out: OutputMessage = { ...chatMessageOf(last, parts), finish_reason: 'stop' };
        return [out];
      });
    }
    return;
  }
  content.record(span, runId, direction === 'input' ? la.ATTR_LANGCHAIN_CHAIN_INPUTS : la.ATTR_LANGCHAIN_CHAIN_OUTPUTS, () => values);
}
