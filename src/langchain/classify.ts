/**
 * What a LangChain chain run is in GenAI terms. The conventions ask for `invoke_agent` for agents
 * ("LangChain agents") and `invoke_workflow` only where a workflow can be told apart reliably, with
 * `gen_ai.workflow.name` = "the name of the first chain in LangChain". So:
 *
 * - a run where `metadata.lc_agent_name` first appears (LangChain 1.x `createAgent({name})`), and
 *   every LangGraph graph run (`createReactAgent`, `StateGraph.compile()`, subgraphs), is an agent;
 *   the agent name is `lc_agent_name`, else the graph's name unless it is LangGraph's default
 *   `LangGraph`;
 * - any other root chain (a runnable invoked at the top: LCEL sequence, lambda…) is a workflow;
 * - every other chain is a plain LangChain step (span named after the run, no GenAI operation).
 */
import { asRecord } from './read.js';

export type ChainClass =
  | { readonly kind: 'agent'; readonly name: string | undefined }
  | { readonly kind: 'workflow'; readonly name: string }
  | { readonly kind: 'chain'; readonly name: string };

/** LangGraph's default graph name. */
const LANGGRAPH_DEFAULT_NAME = 'LangGraph';

/** True for a compiled LangGraph graph (`Serialized.id` `["langgraph", "pregel", ...]`). */
export function isLangGraph(serialized: unknown): boolean {
  const id = asRecord(serialized)?.['id'];
  return Array.isArray(id) && id[0] === 'langgraph' && id[1] === 'pregel';
}

/**
 * Classifies a chain run. `agentName` is the run's `metadata.lc_agent_name`; `parentAgentName` the
 * agent name in force at the parent run (so a `lc_agent_name` inherited from the parent does not
 * make every step an agent).
 */
export function classifyChain(
  serialized: unknown,
  name: string,
  agentName: string | undefined,
  hasParent: boolean,
  parentAgentName: string | undefined,
): ChainClass {
  if (agentName !== undefined && agentName !== parentAgentName) return { kind: 'agent', name: agentName };
  if (isLangGraph(serialized)) return { kind: 'agent', name: name === LANGGRAPH_DEFAULT_NAME ? undefined : name };
  if (!hasParent) return { kind: 'workflow', name };
  return { kind: 'chain', name };
}
