import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { SpanPlacement } from '../../src/mapping/aim-plan.js';
import { PlacementJournal } from '../../src/sink/placement-journal.js';

function placement(i: number): SpanPlacement {
  return {
    traceId: `${'a'.repeat(30)}${String(i).padStart(2, '0')}`,
    spanId: `${'b'.repeat(14)}${String(i).padStart(2, '0')}`,
    key: `conversation-${String(i % 3)}`,
    hash: `hash${String(i)}`,
    ...(i % 2 === 0 ? { experiment: 'exp' } : {}),
    context: { operation: 'chat', model: 'm', provider: 'openai' },
    step: 7_356_852_778_803_482n + BigInt(i),
    time: 1_760_000_000.25 + i,
    // Model calls carry how they stack (see span-places.ts): every combination round-trips.
    ...(i % 3 === 0 ? { parentSpanId: `${'c'.repeat(14)}${String(i).padStart(2, '0')}`, modelCall: true, framework: true } : {}),
    ...(i % 4 === 1 ? { callKey: `${'d'.repeat(14)}${String(i).padStart(2, '0')}` } : {}),
    ...(i % 5 === 2 ? { fills: true, wrote: ['on_llm_start'] } : {}),
  };
}

describe('PlacementJournal', () => {
  it('gives back, after a reopen, every placement appended (exactly: bigint steps, optional experiment, how model calls stack)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-'));
    const first = PlacementJournal.open(dir, 100);
    expect(first.placements).to.deep.equal([]);
    first.journal.append([placement(1), placement(2)]);
    first.journal.append([placement(3)]);
    // No close: a SIGKILLed bridge does not close its files either.
    const reopened = PlacementJournal.open(dir, 100);
    expect(reopened.placements).to.deep.equal([placement(1), placement(2), placement(3)]);
    reopened.journal.close();
    first.journal.close();
  });

  it('keeps at most maxEntries, the newest, oldest first', () => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-'));
    const { journal } = PlacementJournal.open(dir, 4);
    for (let i = 0; i < 9; i++) journal.append([placement(i)]);
    journal.close();
    const kept = PlacementJournal.open(dir, 4);
    expect(kept.placements.map((p) => p.hash)).to.deep.equal(['hash6', 'hash7', 'hash8']);
    kept.journal.close();
  });

  it('skips a line cut by a crash and lines that are not placements', () => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-'));
    const { journal } = PlacementJournal.open(dir, 100);
    journal.append([placement(1)]);
    journal.close();
    appendFileSync(join(dir, 'placements.0.jsonl'), '{"t":"x","s":"y"}\nnull\n[1]\n{"t":"abc","s":"de');
    const read = PlacementJournal.open(dir, 100);
    expect(read.placements).to.deep.equal([placement(1)]);
    read.journal.append([placement(2)]); // appended after the cut line: on a line of its own
    read.journal.close();
    expect(PlacementJournal.open(dir, 100).placements).to.deep.equal([placement(1), placement(2)]);
    expect(readFileSync(join(dir, 'placements.0.jsonl'), 'utf8').endsWith('\n')).to.equal(true);
  });
});
