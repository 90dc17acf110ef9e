/**
 * Names and nesting that hostile or odd telemetry can carry, read by the mapping's attribute
 * readers: request params named like `Object.prototype`'s members are kept as params, a
 * `__proto__` key stays data, JSON nested deeper than the ceiling is left out instead of
 * exhausting the stack, and an empty `langchain.metadata.` name writes no param.
 */
import { expect } from 'chai';
import { jsonAttribute } from '../../src/mapping/attribute-read.js';
import { PARAM_DEPTH_CEILING } from '../../src/mapping/param-limits.js';
import { readRequestParams } from '../../src/mapping/request-params.js';
import { readToolDefinitions } from '../../src/mapping/tool-definitions.js';
import { planWrites } from '../../src/mapping/to-aim.js';
import { testSpan } from '../support/span-record.js';

/** JSON text of an object nested `depth` levels deep: {"a":{"a":…{}}}. */
function nested(depth: number): string {
  return `${'{"a":'.repeat(depth)}{}${'}'.repeat(depth)}`;
}

describe('mapping: hostile names and nesting', () => {
  it('keeps request params named constructor, toString and __proto__ as params (own properties), beside the others', () => {
    const params = readRequestParams({
      'gen_ai.request.temperature': 0.2,
      'gen_ai.request.constructor': 'c',
      'gen_ai.request.toString': 't',
      'gen_ai.request.__proto__': 'p',
    });
    expect(Object.keys(params).sort()).to.deep.equal(['__proto__', 'constructor', 'temperature', 'toString']);
    expect(Object.getPrototypeOf(params)).to.equal(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(params, '__proto__')?.value).to.equal('p');
  });

  it('reads a JSON __proto__ key as data, never as the prototype', () => {
    const value = jsonAttribute(JSON.parse('{"__proto__": {"polluted": true}, "x": 1}'));
    expect(Object.getPrototypeOf(value)).to.equal(Object.prototype);
    expect(Object.keys(value as object).sort()).to.deep.equal(['__proto__', 'x']);
    expect(({} as Record<string, unknown>)['polluted']).to.equal(undefined);
  });

  it(`leaves out what is nested deeper than ${String(PARAM_DEPTH_CEILING)} levels instead of exhausting the stack (a tool schema 20,000 levels deep)`, () => {
    const shallow = jsonAttribute(JSON.parse(nested(PARAM_DEPTH_CEILING - 1)));
    expect(JSON.stringify(shallow)).to.equal(nested(PARAM_DEPTH_CEILING - 1));
    const cut = JSON.stringify(jsonAttribute(JSON.parse(nested(PARAM_DEPTH_CEILING + 1))));
    expect(cut.length).to.be.below(nested(PARAM_DEPTH_CEILING + 1).length);
    const tools = `[{"type": "function", "name": "deep", "parameters": ${nested(20_000)}}]`;
    const [tool] = readToolDefinitions({ 'gen_ai.tool.definitions': tools });
    expect(tool?.name).to.equal('deep');
  });

  it('writes no param for langchain.metadata. with an empty name', () => {
    const span = testSpan('00000000000000a1', {
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'm',
      'gen_ai.conversation.id': 'c',
      'langchain.metadata.': 'empty',
      'langchain.metadata.user': 'u',
    });
    const [run] = planWrites([span]).runs;
    const paths = (run?.params ?? []).map((param) => param.path.join('.'));
    expect(paths).to.include('langchain.metadata.user');
    expect(paths.filter((path) => path.startsWith('langchain.metadata.') && path.endsWith('.'))).to.deep.equal([]);
    expect(paths).to.not.include('langchain.metadata.');
  });
});
