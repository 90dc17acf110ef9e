import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { SpanPlacement } from '../../src/mapping/aim-plan.js';
import { SpanPlacements } from '../../src/sink/span-placements.js';

const TRACE = 'a'.repeat(32);

function placed(spanId: string, step: bigint, more: Partial<SpanPlacement> = {}): SpanPlacement {
  return { traceId: TRACE, spanId, key: 'k', hash: 'h1', context: { operation: 'chat' }, step, time: 1, ...more };
}

describe('SpanPlacements: the memory of where spans went', () => {
  it('finds a span, the span holding a step of a run, and the model call under a span', () => {
    const memory = new SpanPlacements();
    memory.record([placed('s1', 10n), placed('s2', 11n, { parentSpanId: 's1', modelCall: true }), placed('s3', 12n, { parentSpanId: 's1' })]);
    expect(memory.placement(TRACE, 's2')?.step).to.equal(11n);
    expect(memory.stepHolder('h1', 11n)).to.equal('s2');
    expect(memory.stepHolder('h2', 11n)).to.equal(undefined);
    // Only model calls count as calls under their parent.
    expect(memory.modelCallUnder(TRACE, 's1')?.spanId).to.equal('s2');
    expect(memory.modelCallUnder(TRACE, 's2')).to.equal(undefined);
  });

  it("a call that took its outer span's place holds no step of its own", () => {
    const memory = new SpanPlacements();
    memory.record([placed('outer', 10n, { modelCall: true }), placed('inner', 10n, { parentSpanId: 'outer', modelCall: true, callKey: 'outer' })]);
    expect(memory.stepHolder('h1', 10n)).to.equal('outer');
  });

  it('keeps the newest maxEntries; a forgotten span leaves no step or parent index behind', () => {
    const memory = new SpanPlacements(2);
    memory.record([placed('s1', 1n, { parentSpanId: 'p', modelCall: true }), placed('s2', 2n), placed('s3', 3n)]);
    expect(memory.size).to.equal(2);
    expect(memory.placement(TRACE, 's1')).to.equal(undefined);
    expect(memory.stepHolder('h1', 1n)).to.equal(undefined);
    expect(memory.modelCallUnder(TRACE, 'p')).to.equal(undefined);
    expect([...memory.ids()]).to.deep.equal([`${TRACE}/s2`, `${TRACE}/s3`]);
  });

  it('with a state directory, a new process knows what the old one placed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'placements-'));
    const before = new SpanPlacements(100, dir);
    before.record([placed('s1', 5n, { parentSpanId: 'p', modelCall: true })]);
    before.disposeJournal();
    const after = new SpanPlacements(100, dir);
    expect(after.stepHolder('h1', 5n)).to.equal('s1');
    expect(after.modelCallUnder(TRACE, 'p')?.spanId).to.equal('s1');
    after.disposeJournal();
  });
});
