/** Pure parts of the AimCallbackHandler facade: Python's counters, its texts, system params and metrics, asset params. */
import { AIMessage, HumanMessage, SystemMessage } from '@langchain/core/messages';
import { PromptTemplate } from '@langchain/core/prompts';
import { FakeListChatModel } from '@langchain/core/utils/testing';
import { expect } from 'chai';
import { assetParams } from '../../src/langchain/facade/aim-callback-handler.js';
import { CALLBACK_COUNTERS, CallbackMeta } from '../../src/langchain/facade/callback-meta.js';
import { agentActionText, agentFinishText, asText, chatPrompts, generationTexts, toolInputText } from '../../src/langchain/facade/python-texts.js';
import { SystemMetricsSampler } from '../../src/langchain/facade/system-metrics.js';
import { collectSystemParams, withoutSecrets } from '../../src/langchain/facade/system-params.js';

describe('AimCallbackHandler facade: pure parts', () => {
  it("counts callbacks as Python's BaseMetadataCallbackHandler: step always, one kind counter (+ starts/ends), context in Python's key order", () => {
    const meta = new CallbackMeta();
    meta.count('on_chain_start');
    meta.count('on_llm_new_token');
    meta.count('on_text');
    meta.count('on_tool_error');
    const context = meta.count('on_agent_action', { tool: 'search' });
    expect(Object.keys(context)).to.deep.equal(['action', 'tool', ...CALLBACK_COUNTERS]);
    expect(context).to.deep.equal({
      action: 'on_agent_action',
      tool: 'search',
      step: 5,
      starts: 2,
      ends: 0,
      errors: 1,
      text_ctr: 1,
      chain_starts: 1,
      chain_ends: 0,
      llm_starts: 0,
      llm_ends: 0,
      llm_streams: 1,
      tool_starts: 1,
      tool_ends: 0,
      agent_ends: 0,
    });
    meta.reset();
    expect(meta.count('on_text')).to.deep.equal({
      action: 'on_text',
      step: 1,
      starts: 0,
      ends: 0,
      errors: 0,
      text_ctr: 1,
      chain_starts: 0,
      chain_ends: 0,
      llm_starts: 0,
      llm_ends: 0,
      llm_streams: 0,
      tool_starts: 0,
      tool_ends: 0,
      agent_ends: 0,
    });
  });

  it("renders Python's texts: buffer-string prompts, generations, agent action/finish, tool input unwrapped", () => {
    expect(chatPrompts([[new SystemMessage('be brief'), new HumanMessage('hi'), new AIMessage('hello')], [new HumanMessage('again')]])).to.deep.equal([
      'System: be brief\nHuman: hi\nAI: hello',
      'Human: again',
    ]);
    expect(generationTexts({ generations: [[{ text: 'a' }, { text: 'b' }], [{ text: 'c' }]] })).to.deep.equal(['a', 'b', 'c']);
    expect(agentActionText({ tool: 't', toolInput: { q: 1 }, log: 'thinking' })).to.equal('TOOL INPUT:\n{"q":1}\n\nLOG:\nthinking');
    expect(agentFinishText({ returnValues: { output: 'done' }, log: 'end' })).to.equal('OUTPUT:\ndone\n\nLOG:\nend');
    expect(toolInputText('{"input":"2, 3"}')).to.equal('2, 3');
    expect(toolInputText('{"input":"x","other":1}')).to.equal('{"input":"x","other":1}');
    expect(toolInputText('{"input": broken')).to.equal('{"input": broken');
    expect(asText(new AIMessage('content wins'))).to.equal('content wins');
    expect(asText({ a: [1, 2] })).to.equal('{"a":[1,2]}');
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(asText(cyclic)).to.equal('[a value that cannot be serialised]');
  });

  it("__system_params: Aim's keys; env without names containing secret/key/token/password (+auth/credential/cookie); this repo's git info and packages", () => {
    expect(
      withoutSecrets({
        PATH: '/bin',
        OPENAI_API_KEY: 'sk',
        GITHUB_TOKEN: 't',
        DB_PASSWORD: 'p',
        aws_secret: 's',
        HTTP_AUTH: 'a',
        SESSION_COOKIE: 'c',
        HOME: '/root',
      }),
    ).to.deep.equal({ PATH: '/bin', HOME: '/root' });
    const params = collectSystemParams({ env: { A: '1', MY_KEY: 'x' }, argv: ['node', 'app.js'], executable: '/usr/bin/node' });
    expect(Object.keys(params).sort()).to.deep.equal(['arguments', 'env_variables', 'executable', 'git_info', 'packages']);
    expect(params['env_variables']).to.deep.equal({ A: '1' });
    expect(params['arguments']).to.deep.equal(['node', 'app.js']);
    const packages = params['packages'] as Record<string, string>;
    expect(packages['@langchain/core']).to.match(/^\d+\.\d+\.\d+/); // the installed version, not the range
    const git = params['git_info'] as { branch: string; commit: { hash: string; timestamp: string } };
    expect(git.commit.hash).to.match(/^[0-9a-f]{7,}$/);
    expect(git.commit.timestamp).to.match(/^\d{4}-\d\d-\d\dT/);
    expect(collectSystemParams({ cwd: '/' })['git_info']).to.deep.equal({});
  });

  it("system metrics: Aim's four names, percentages in range, 6 decimals, the first CPU sample 0 (as psutil's)", () => {
    const sampler = new SystemMetricsSampler();
    const first = sampler.sample();
    expect(Object.keys(first).sort()).to.deep.equal(['__system__cpu', '__system__disk_percent', '__system__memory_percent', '__system__p_memory_percent']);
    expect(first['__system__cpu']).to.equal(0);
    const until = Date.now() + 50;
    while (Date.now() < until); // busy: the next sample sees CPU use
    const second = sampler.sample();
    expect(second['__system__cpu']).to.be.greaterThan(0);
    for (const [name, value] of Object.entries(second)) {
      expect(value, name).to.be.at.least(0);
      if (name !== '__system__cpu') expect(value, name).to.be.at.most(100);
      expect(Math.round(value * 1e6) / 1e6, name).to.equal(value);
    }
    expect(new SystemMetricsSampler('/no/such/path').sample()).to.not.have.property('__system__disk_percent');
  });

  it("asset params: serialize() where LangChain.js has it (Python's dict()), else toJSON kwargs + class, else own JSON", () => {
    expect(assetParams(PromptTemplate.fromTemplate('Answer: {question}'))).to.deep.equal({
      _type: 'prompt',
      input_variables: ['question'],
      template: 'Answer: {question}',
      template_format: 'f-string',
    });
    expect(assetParams(new FakeListChatModel({ responses: ['x'] }))).to.include({ _type: 'fake-list' });
    expect(assetParams({ plain: 1, nested: { fn: () => 1, big: 2n } })).to.deep.equal({ plain: 1, nested: { big: '2' } });
    expect(assetParams('not an object')).to.equal(undefined);
  });
});
