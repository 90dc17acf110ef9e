/**
 * `aimFigure`: the `aim.figure` object Aim 3.29.1's `aim.Figure(plotly_figure)` is
 * (`aim/sdk/objects/figure.py`: storage `source`, `version`, `format`, `data` in that order, `data`
 * a BLOB of `fig.to_json()`). The bytes are checked against Aim's own encoder in
 * codec/golden.int.test.ts; the stored tree against a run Aim's SDK wrote in figures.int.test.ts.
 */
import { expect } from 'chai';
import { encodePath } from '../../src/aim/codec/path.js';
import { parseRecords } from '../../src/aim/codec/framing.js';
import { packTree, unpackTree } from '../../src/aim/codec/tree.js';
import { encodeValue, customMarker } from '../../src/aim/codec/value.js';
import { AimBlob, AimObject } from '../../src/aim/codec/values.js';
import { AimUsageError } from '../../src/aim/errors.js';
import { AIM_FIGURE, type PlotlyFigure, aimFigure, figureJson } from '../../src/aim/figure.js';
import { aimFigure as exported } from '../../src/aim/index.js';

const FIGURE = { data: [{ type: 'bar', orientation: 'h', x: [1.5, 2], y: ['llm', 'tool'] }], layout: { title: { text: 'trace ✓' } } };
const TEXT = '{"data":[{"type":"bar","orientation":"h","x":[1.5,2],"y":["llm","tool"]}],"layout":{"title":{"text":"trace ✓"}}}';

describe('aimFigure (an aim.Figure as Aim 3.29.1 stores it)', () => {
  it("is the custom object aim.figure with source 'plotly', version, format 'raw_json' and data a BLOB of the JSON text, in Aim's order", () => {
    const figure = aimFigure(TEXT);
    expect(figure.alias).to.equal('aim.figure');
    expect(AIM_FIGURE).to.equal('aim.figure');
    expect([...figure.storage.keys()]).to.deep.equal(['source', 'version', 'format', 'data']);
    expect(figure.storage.get('source')).to.equal('plotly');
    expect(figure.storage.get('version')).to.equal('unknown');
    expect(figure.storage.get('format')).to.equal('raw_json');
    const data = figure.storage.get('data');
    expect(data).to.be.instanceOf(AimBlob);
    expect((data as AimBlob).value).to.equal(TEXT);
    expect(figureJson(figure)).to.equal(TEXT);
    expect(exported).to.equal(aimFigure);
  });

  it('packs to the records Aim writes: the alias marker, three strings, and data with is_blob set', () => {
    const records = parseRecords(packTree(aimFigure(TEXT, { version: '6.0.1' })));
    const show = records.map((r) => [Buffer.from(r.key).toString('hex'), Buffer.from(r.value).toString('hex'), r.isBlob]);
    expect(show).to.deep.equal([
      [encodePath([]).toString('hex'), encodeValue(customMarker('aim.figure')).toString('hex'), false],
      [encodePath(['source']).toString('hex'), encodeValue('plotly').toString('hex'), false],
      [encodePath(['version']).toString('hex'), encodeValue('6.0.1').toString('hex'), false],
      [encodePath(['format']).toString('hex'), encodeValue('raw_json').toString('hex'), false],
      [encodePath(['data']).toString('hex'), encodeValue(TEXT).toString('hex'), true],
    ]);
    const back = unpackTree(packTree(aimFigure(TEXT)));
    expect(figureJson(back)).to.equal(TEXT);
  });

  it('a figure object is stored as JSON.stringify of it: compact, keys in insertion order, the same text every time', () => {
    expect(figureJson(aimFigure(FIGURE))).to.equal(TEXT);
    expect(figureJson(aimFigure(FIGURE))).to.equal(figureJson(aimFigure(structuredClone(FIGURE))));
    // Non-finite numbers become null, as plotly's encoder writes them.
    expect(figureJson(aimFigure({ data: [{ x: [Number.NaN, Infinity] }], layout: {} }))).to.equal('{"data":[{"x":[null,null]}],"layout":{}}');
  });

  it('JSON text is stored exactly as given (whitespace and escapes kept)', () => {
    const text = '{ "data": [], "layout": {"title": "\\u003cb\\u003e"} }';
    expect(figureJson(aimFigure(text))).to.equal(text);
  });

  it('the version is the option, default unknown (what Aim writes when plotly is not importable)', () => {
    expect(aimFigure(FIGURE, { version: '5.24.1' }).storage.get('version')).to.equal('5.24.1');
    expect(aimFigure(FIGURE, {}).storage.get('version')).to.equal('unknown');
  });

  it('refuses what is not a figure: not JSON, not an object with a layout object (and a data array), lone surrogates, cycles, bigints', () => {
    const cyclic: Record<string, unknown> = { data: [], layout: {} };
    cyclic['self'] = cyclic;
    const bad: [string, () => unknown, RegExp][] = [
      ['not JSON', () => aimFigure('{data: []}'), /must be JSON text/],
      ['an array', () => aimFigure('[1, 2]'), /must be an object/],
      ['null', () => aimFigure('null'), /must be an object/],
      ['a string', () => aimFigure('"figure"'), /must be an object/],
      ['a lone surrogate', () => aimFigure('{"layout": {"t": "\uD800"}}'), /lone UTF-16 surrogate/],
      ['no layout (text)', () => aimFigure('{"data": []}'), /needs a layout object/],
      ['no layout (object)', () => aimFigure({ data: [] } as unknown as PlotlyFigure), /needs a layout object/],
      ['a layout that is not an object', () => aimFigure('{"layout": []}'), /needs a layout object/],
      ['data that is not an array', () => aimFigure({ data: {} as unknown as unknown[], layout: {} }), /data must be an array/],
      ['an array object', () => aimFigure([] as unknown as PlotlyFigure), /must be an object/],
      ['a cycle', () => aimFigure(cyclic as PlotlyFigure), /cannot be serialized/],
      ['a bigint', () => aimFigure({ data: [{ x: [1n] }], layout: {} }), /cannot be serialized/],
      ['a toJSON that is not an object', () => aimFigure({ layout: {}, toJSON: () => 'x' }), /must serialize to a JSON object/],
      ['a bad version', () => aimFigure(FIGURE, { version: '\uDC00' }), /version must be a well-formed string/],
    ];
    for (const [what, call, message] of bad) expect(call, what).to.throw(AimUsageError, message);
    // The smallest figure Aim's UI draws: an empty layout.
    expect(figureJson(aimFigure('{"layout":{}}'))).to.equal('{"layout":{}}');
  });

  it('figureJson reads only aim.figure objects whose data is a BLOB of a string', () => {
    expect(figureJson(new AimObject('aim.text', { data: new AimBlob('x') }))).to.equal(undefined);
    expect(figureJson(new AimObject('aim.figure', { data: '{}' }))).to.equal(undefined);
    expect(figureJson('{}')).to.equal(undefined);
  });
});
