/** Model name patterns of price entries: globs and /regex/flags, whole names, case, paths. */
import { expect } from 'chai';
import { compileModelPattern, compileModelPatterns, modelNamesOf } from '../../src/pricing/model-pattern.js';

describe('pricing: model patterns', () => {
  /** [pattern, name, matches]. */
  const CASES: [string, string, boolean][] = [
    ['gpt-4o', 'gpt-4o', true],
    ['gpt-4o', 'GPT-4O', true],
    ['gpt-4o', 'gpt-4o-mini', false],
    ['gpt-4o-mini-????-??-??', 'gpt-4o-mini-2024-07-18', true],
    ['gpt-4o-mini-????-??-??', 'gpt-4o-mini-2024-07-1', false],
    ['claude-sonnet-4-5*', 'claude-sonnet-4-5', true],
    ['claude-sonnet-4-5*', 'claude-sonnet-4-5-20250929', true],
    ['claude-sonnet-4-5*', 'anthropic.claude-sonnet-4-5', false],
    ['gemini-2.5-pro', 'gemini-2x5-pro', false],
    ['a+b(c)', 'a+b(c)', true],
    ['/^my-ft-\\d+$/', 'my-ft-12', true],
    ['/^my-ft-\\d+$/', 'my-ft-x', false],
    ['/^my-ft-\\d+$/', 'MY-FT-12', false],
    ['/^my-ft-\\d+$/i', 'MY-FT-12', true],
    ['/ft-/', 'acme-ft-3', true],
  ];

  for (const [pattern, name, matches] of CASES) {
    it(`${pattern} ${matches ? 'matches' : 'does not match'} ${name}`, () => {
      expect(compileModelPattern(pattern)(name)).to.equal(matches);
    });
  }

  it('a list matches when any of its patterns does', () => {
    const matches = compileModelPatterns(['gpt-4o', 'gpt-4o-????-??-??']);
    expect(['gpt-4o', 'gpt-4o-2024-08-06', 'gpt-4o-mini'].map(matches)).to.deep.equal([true, true, false]);
  });

  it('refuses empty patterns, regular expressions that do not compile and flags other than i, u, s', () => {
    expect(() => compileModelPattern(' ')).to.throw('must not be empty');
    expect(() => compileModelPattern('/([/')).to.throw('does not compile');
    expect(() => compileModelPattern('/a/g')).to.throw('only the flags i, u and s');
  });

  it('a name with a path is also matched by its last segment', () => {
    expect(modelNamesOf('gpt-4o')).to.deep.equal(['gpt-4o']);
    expect(modelNamesOf('models/gemini-2.5-flash')).to.deep.equal(['models/gemini-2.5-flash', 'gemini-2.5-flash']);
    expect(modelNamesOf('trailing/')).to.deep.equal(['trailing/']);
  });
});
