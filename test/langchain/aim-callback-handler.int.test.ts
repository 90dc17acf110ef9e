/**
 * Issue 8: the drop-in AimCallbackHandler against the real aim server, read back with Aim's SDK.
 * The parity test drives one scenario through LangChain.js's real callback machinery (a chain run,
 * two fake chat-model calls, an agent action, a tool, an agent finish — what a legacy
 * AgentExecutor does) and compares the run with the layout LangChain Python's handler writes
 * (fixtures/python-aim-callback-handler.json, derived from its source).
 */
import { readFileSync } from 'node:fs';
import { awaitAllCallbacks } from '@langchain/core/callbacks/promises';
import { CallbackManager } from '@langchain/core/callbacks/manager';
import { HumanMessage } from '@langchain/core/messages';
import { PromptTemplate } from '@langchain/core/prompts';
import { FakeListChatModel } from '@langchain/core/utils/testing';
import { DynamicTool } from '@langchain/core/tools';
import { RunnableLambda, type RunnableConfig } from '@langchain/core/runnables';
import { expect } from 'chai';
import { AimUsageError } from '../../src/aim/index.js';
import { AimCallbackHandler } from '../../src/langchain/index.js';
import { type AimServer, startAimServer } from '../peers/aim.js';
import { type OracleRun, type OracleSequence, readAimRepo, readAimRun } from '../peers/oracle.js';

interface FixtureText {
  name: string;
  dtype: string;
  value: string | string[];
  context: Record<string, string | number>;
}
interface Fixture {
  scenario: Record<string, string>;
  experiment: string;
  texts: FixtureText[];
  system_metrics: { names: string[] };
  params: { __system_params_keys: string[]; asset: { python: Record<string, unknown>; python_only: { keys: string[] } } };
}

const fixture = JSON.parse(readFileSync(new URL('fixtures/python-aim-callback-handler.json', import.meta.url), 'utf8')) as Fixture;

/** The oracle's run with this hash. */
const oracleRun = (server: AimServer, hash: string): Promise<OracleRun> => readAimRun(server.repoDir, hash);

const sorted = <T>(items: T[], key: (item: T) => string): T[] => [...items].sort((a, b) => key(a).localeCompare(key(b)));
const textKey = (seq: { name: string; context: object }): string => `${seq.name} ${JSON.stringify(Object.entries(seq.context).sort())}`;

/** The scenario of the fixture, through LangChain.js's CallbackManager as AgentExecutor drives it. */
async function runScenario(handler: AimCallbackHandler): Promise<void> {
  const s = fixture.scenario as Record<'question' | 'first_reply' | 'tool' | 'tool_input' | 'tool_output' | 'second_prompt' | 'answer' | 'finish_log', string>;
  const model = new FakeListChatModel({ responses: [s.first_reply, s.answer] });
  const add = new DynamicTool({ name: s.tool, description: 'adds two numbers', func: () => Promise.resolve(s.tool_output) });
  const manager = CallbackManager.configure([handler]);
  if (!manager) throw new Error('no callback manager');
  const chain = await manager.handleChainStart({ lc: 1, type: 'not_implemented', id: ['agent_executor'] }, { input: s.question });
  await model.invoke([new HumanMessage(s.question)], { callbacks: chain.getChild() });
  await chain.handleAgentAction({ tool: s.tool, toolInput: s.tool_input, log: s.first_reply });
  await add.invoke(s.tool_input, { callbacks: chain.getChild() });
  await model.invoke([new HumanMessage(s.second_prompt)], { callbacks: chain.getChild() });
  await chain.handleAgentEnd({ returnValues: { output: s.answer }, log: s.finish_log });
  await chain.handleChainEnd({ output: s.answer });
  await awaitAllCallbacks();
}

describe("AimCallbackHandler (drop-in for LangChain Python's) against the real aim server", function () {
  this.timeout(180_000);
  let server: AimServer;

  before(async () => {
    server = await startAimServer();
  });
  after(async () => {
    await server.process.stop();
  });

  it("writes the layout LangChain Python's AimCallbackHandler writes (parity fixture), read back by Aim's SDK", async () => {
    const handler = new AimCallbackHandler({ repo: server.url, experimentName: fixture.experiment });
    await runScenario(handler);
    await handler.flushTracker({ langchainAsset: PromptTemplate.fromTemplate(fixture.params.asset.python['template'] as string), reset: false, finish: true });
    expect(handler.droppedSpans).to.equal(0);

    const run = await oracleRun(server, handler.runHash);
    expect(run.experiment).to.equal(fixture.experiment);
    expect(run.active).to.equal(false); // finish closed it

    // Texts: the same names, contexts (counters and all), dtypes and values; each at step 0.
    const texts = run.sequences.filter((seq) => !seq.name.startsWith('__system__'));
    const got = sorted(texts, textKey).map((seq: OracleSequence) => ({
      name: seq.name,
      dtype: seq.dtype,
      steps: seq.steps,
      values: seq.values,
      context: seq.context,
    }));
    const want = sorted(fixture.texts, textKey).map((t) => ({ name: t.name, dtype: t.dtype, steps: [0], values: [t.value], context: t.context }));
    expect(got).to.deep.equal(want);

    // System metrics: Aim's names, context {}, floats from step 0 (one sample at least: taken at start).
    const system = run.sequences.filter((seq) => seq.name.startsWith('__system__'));
    expect(system.map((seq) => seq.name).sort()).to.deep.equal(fixture.system_metrics.names);
    for (const seq of system) {
      expect(seq.context, seq.name).to.deep.equal({});
      expect(seq.dtype, seq.name).to.equal('float');
      expect(seq.steps[0], seq.name).to.equal(0);
      for (const value of seq.values) expect(value, seq.name).to.be.a('number').and.at.least(0);
    }

    // Params: __system_params with Aim's keys, secrets left out; the asset's fields as Python writes them.
    const systemParams = run.params['__system_params'] as Record<string, Record<string, unknown>>;
    expect(Object.keys(systemParams).sort()).to.deep.equal(fixture.params.__system_params_keys);
    expect(systemParams['packages']).to.have.property('@langchain/core');
    expect(Object.keys(systemParams['env_variables'] ?? {}).filter((name) => /secret|key|token|password/i.test(name))).to.deep.equal([]);
    const python = fixture.params.asset.python;
    const shared = Object.keys(python).filter((key) => !fixture.params.asset.python_only.keys.includes(key));
    expect(Object.fromEntries(shared.map((key) => [key, run.params[key]]))).to.deep.equal(Object.fromEntries(shared.map((key) => [key, python[key]])));
  });

  it('reset closes the run and starts a new one with fresh counters; setup() sets params; flushTracker moves to a new experiment', async () => {
    const handler = new AimCallbackHandler({ repo: server.url, experimentName: 'first', systemTrackingInterval: null, logSystemParams: false });
    const echo = RunnableLambda.from((input: string) => `echo: ${input}`);
    await echo.invoke('one', { callbacks: [handler] });
    await awaitAllCallbacks();
    await handler.setup({ prompt_version: 3, owner: { team: 'search' } });
    const firstHash = handler.runHash;
    await handler.flushTracker({ experimentName: 'second' });
    const secondHash = handler.runHash;
    expect(secondHash).to.not.equal(firstHash);
    await echo.invoke('two', { callbacks: [handler] });
    await awaitAllCallbacks();
    await handler.flushTracker({ reset: false, finish: true });

    const first = await oracleRun(server, firstHash);
    expect(first.experiment).to.equal('first');
    expect(first.active).to.equal(false);
    expect(first.params).to.deep.equal({ prompt_version: 3, owner: { team: 'search' } });
    expect(first.sequences.map((seq) => [seq.name, seq.context['step'], seq.values[0]])).to.deep.equal([
      ['on_chain_end', 2, 'echo: one'],
      ['on_chain_start', 1, 'one'],
    ]);
    const second = await oracleRun(server, secondHash);
    expect(second.experiment).to.equal('second');
    expect(second.params).to.deep.equal({});
    // Counters start over in the new run; no system metrics (interval null), no __system_params.
    expect(second.sequences.map((seq) => [seq.name, seq.context['step'], seq.values[0]])).to.deep.equal([
      ['on_chain_end', 2, 'echo: two'],
      ['on_chain_start', 1, 'two'],
    ]);
  });

  it('samples system metrics every systemTrackingInterval seconds at steps 0, 1, 2, ... until the run finishes', async () => {
    const handler = new AimCallbackHandler({ repo: server.url, systemTrackingInterval: 0.2, logSystemParams: false });
    await new Promise((wake) => setTimeout(wake, 1_100));
    await handler.flushTracker({ reset: false, finish: true });
    const run = await oracleRun(server, handler.runHash);
    const cpu = run.sequences.find((seq) => seq.name === '__system__cpu');
    expect(cpu?.steps.length).to.be.within(4, 8);
    expect(cpu?.steps).to.deep.equal(cpu?.steps.map((_, i) => i));
    expect(run.params).to.deep.equal({});
    // Finished: no sample after the run closed.
    await new Promise((wake) => setTimeout(wake, 500));
    const again = await oracleRun(server, handler.runHash);
    expect(again.sequences.find((seq) => seq.name === '__system__cpu')?.steps.length).to.equal(cpu?.steps.length);
  });

  it('ignore flags: an ignored kind is neither recorded nor counted', async () => {
    const handler = new AimCallbackHandler({ repo: server.url, ignoreChain: true, systemTrackingInterval: null, logSystemParams: false });
    const model = new FakeListChatModel({ responses: ['hi'] });
    const chain = RunnableLambda.from(async (input: string, config?: RunnableConfig) => (await model.invoke(input, config)).content);
    await chain.invoke('hello', { callbacks: [handler] });
    await awaitAllCallbacks();
    await handler.flushTracker({ reset: false, finish: true });
    const run = await oracleRun(server, handler.runHash);
    expect(run.sequences.map((seq) => [seq.name, seq.context['step'], seq.context['chain_starts']])).to.deep.equal([
      ['on_llm_end', 2, 0],
      ['on_llm_start', 1, 0],
    ]);
  });

  it('flushTracker({ repo }) moves the next run to another aim server; a bad new repo rejects before anything closes', async () => {
    const other = await startAimServer();
    try {
      const handler = new AimCallbackHandler({ repo: server.url, systemTrackingInterval: null, logSystemParams: false });
      const echo = RunnableLambda.from((input: string) => input);
      let failure: unknown;
      try {
        await handler.flushTracker({ repo: 'not a url' });
      } catch (error) {
        failure = error;
      }
      expect(failure).to.be.instanceOf(AimUsageError);
      const firstHash = handler.runHash; // unchanged: nothing was closed
      await echo.invoke('on the first server', { callbacks: [handler] });
      await awaitAllCallbacks();
      await handler.flushTracker({ repo: other.url });
      expect(handler.repo).to.equal(other.url);
      await echo.invoke('on the second server', { callbacks: [handler] });
      await awaitAllCallbacks();
      await handler.shutdown();

      const first = await oracleRun(server, firstHash);
      expect(first.sequences.find((seq) => seq.name === 'on_chain_start')?.values).to.deep.equal(['on the first server']);
      const second = await oracleRun(other, handler.runHash);
      expect(second.sequences.find((seq) => seq.name === 'on_chain_start')?.values).to.deep.equal(['on the second server']);
      expect((await readAimRepo(other.repoDir)).runs.map((r) => r.hash)).to.deep.equal([handler.runHash]);
    } finally {
      await other.process.stop();
    }
  });

  it('with Aim unreachable the chain runs as usual; flushTracker gives up after retryDeadlineMs and counts the dropped spans', async () => {
    const handler = new AimCallbackHandler({ repo: 'aim://127.0.0.1:1', retryDeadlineMs: 1_000, systemTrackingInterval: null, logSystemParams: false });
    const echo = RunnableLambda.from((input: string) => `echo: ${input}`);
    expect(await echo.invoke('still works', { callbacks: [handler] })).to.equal('echo: still works');
    await awaitAllCallbacks();
    const started = Date.now();
    await handler.flushTracker({ reset: false, finish: true });
    expect(Date.now() - started).to.be.below(15_000);
    expect(handler.droppedSpans).to.equal(1);
  });

  it('a bad repo is a typed error that says what is expected; a bad interval too', () => {
    expect(() => new AimCallbackHandler({ repo: '/data/.aim' })).to.throw(AimUsageError, /aim:\/\/host:53800/);
    expect(() => new AimCallbackHandler({ repo: 'aim://127.0.0.1:1', systemTrackingInterval: 0 })).to.throw(AimUsageError, /systemTrackingInterval/);
  });
});
