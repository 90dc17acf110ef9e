import { expect } from 'chai';
import type { SpanPlacement } from '../../src/mapping/aim-plan.js';
import { spanKey } from '../../src/mapping/span-places.js';
import type { ContentEvent } from '../../src/mapping/genai-events.js';
import { LogJoin } from '../../src/sink/log-join.js';

const TRACE = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';

function placement(spanId: string, key = 'conv-1'): SpanPlacement {
  return { traceId: TRACE, spanId, key, hash: `hash-of-${key}`, context: { operation: 'chat', model: 'm' }, step: 7n, time: 1_764_000_000 };
}

function event(time: bigint, input: string[], output: string[] = []): ContentEvent {
  return { timeUnixNano: time, input, output };
}

const idOf = (spanId: string): string => spanKey(TRACE, spanId);

/** Resolves to `'pending'` when `promise` has not settled after the current macrotask. */
async function state<T>(promise: Promise<T>): Promise<T | 'pending'> {
  const pending = new Promise<'pending'>((resolve) => {
    setImmediate(() => {
      resolve('pending');
    });
  });
  return Promise.race([promise, pending]);
}

describe('LogJoin: GenAI log events wait for their span', () => {
  it('place, then wait: resolves at once with the placement', async () => {
    const join = new LogJoin({ windowMs: 60_000 });
    join.place([placement('01')]);
    expect(await state(join.wait(idOf('01'), 3))).to.deep.equal(placement('01'));
    expect(join.held).to.equal(0);
  });

  it('wait, then place: holds the events and wakes every waiter of the span', async () => {
    const join = new LogJoin({ windowMs: 60_000 });
    const first = join.wait(idOf('02'), 2);
    const second = join.wait(idOf('02'), 1);
    const other = join.wait(idOf('03'), 4);
    expect(await state(first)).to.equal('pending');
    expect(join.held).to.equal(7);
    join.place([placement('02')]);
    expect(await first).to.deep.equal(placement('02'));
    expect(await second).to.deep.equal(placement('02'));
    expect(await state(other)).to.equal('pending');
    expect(join.held).to.equal(4);
    join.close();
    expect(await other).to.equal(undefined);
  });

  it('the window passes without the span: resolves undefined and holds nothing more', async () => {
    const join = new LogJoin({ windowMs: 20 });
    const started = Date.now();
    const waited = join.wait(idOf('04'), 5);
    expect(join.held).to.equal(5);
    expect(await waited).to.equal(undefined);
    expect(Date.now() - started).to.be.at.least(15);
    expect(join.held).to.equal(0);
    // A span placed after its window still places later events at once.
    join.place([placement('04')]);
    expect(await state(join.wait(idOf('04'), 1))).to.deep.equal(placement('04'));
  });

  it('canHold bounds the events waiting at once, and takes none once closed', async () => {
    const join = new LogJoin({ windowMs: 60_000, maxHeldEvents: 5 });
    expect(join.canHold(5)).to.equal(true);
    expect(join.canHold(6)).to.equal(false);
    const waiting = join.wait(idOf('05'), 4);
    expect(join.canHold(1)).to.equal(true);
    expect(join.canHold(2)).to.equal(false);
    join.place([placement('05')]);
    await waiting;
    expect(join.canHold(5)).to.equal(true);
    join.close();
    expect(join.canHold(1)).to.equal(false);
  });

  it('close wakes every waiting event (undefined: the fallback place) and later waits resolve at once', async () => {
    const join = new LogJoin({ windowMs: 60_000 });
    const waits = [join.wait(idOf('06'), 1), join.wait(idOf('06'), 1), join.wait(idOf('07'), 2)];
    join.close();
    expect(await Promise.all(waits)).to.deep.equal([undefined, undefined, undefined]);
    expect(join.held).to.equal(0);
    expect(await state(join.wait(idOf('08'), 1))).to.equal(undefined);
  });

  it('remembers the most recent placements only', () => {
    const join = new LogJoin({ maxRememberedSpans: 2 });
    join.place([placement('11'), placement('12'), placement('13')]);
    expect(join.placement(idOf('11'))).to.equal(undefined);
    expect(join.placement(idOf('12'))).to.deep.equal(placement('12'));
    expect(join.placement(idOf('13'))).to.deep.equal(placement('13'));
  });

  describe('merge', () => {
    it('returns the events of a span written so far plus the new ones, without repeating a replayed event', () => {
      const join = new LogJoin();
      join.place([placement('21')]);
      const system = event(1n, ['system: Be terse.']);
      const user = event(2n, ['user: Hi']);
      const choice = event(3n, [], ['assistant: Hello.']);
      expect(join.merge(idOf('21'), [system])).to.deep.equal([system]);
      expect(join.merge(idOf('21'), [user, choice])).to.deep.equal([system, user, choice]);
      expect(join.merge(idOf('21'), [user])).to.deep.equal([system, user, choice]);
    });

    it('keeps nothing for a span it has not placed', () => {
      const join = new LogJoin();
      const a = event(1n, ['user: a']);
      expect(join.merge(idOf('22'), [a])).to.deep.equal([a]);
      const b = event(2n, ['user: b']);
      expect(join.merge(idOf('22'), [b])).to.deep.equal([b]);
    });

    it('keeps the placement when a span is placed again (a replay) and its events with it', () => {
      const join = new LogJoin();
      join.place([placement('23')]);
      const a = event(1n, ['user: a']);
      join.merge(idOf('23'), [a]);
      join.place([placement('23')]);
      const b = event(2n, [], ['assistant: b']);
      expect(join.merge(idOf('23'), [b])).to.deep.equal([a, b]);
    });

    it('drops the oldest spans’ retained content beyond the byte budget, never the span being merged', () => {
      // One event of 10 characters costs 10 * 2 + 64 = 84 bytes; the budget holds two.
      const join = new LogJoin({ maxRetainedBytes: 200 });
      join.place([placement('31'), placement('32'), placement('33')]);
      const text = (n: number): ContentEvent => event(BigInt(n), [`user: ${String(n).padStart(4, '0')}`]);
      join.merge(idOf('31'), [text(1)]);
      join.merge(idOf('32'), [text(2)]);
      join.merge(idOf('33'), [text(3)]);
      // 31 (placed first) lost its content when 33's came; a later event of 31 rewrites its text with only itself.
      expect(join.merge(idOf('31'), [text(5)])).to.deep.equal([text(5)]);
      // Now 32 (the oldest span with content) made room.
      expect(join.merge(idOf('32'), [text(6)])).to.deep.equal([text(6)]);
      // The span being merged keeps all it has even when it alone passes the budget.
      expect(join.merge(idOf('33'), [text(7), text(8)])).to.deep.equal([text(3), text(7), text(8)]);
      expect(join.merge(idOf('31'), [text(9)])).to.deep.equal([text(9)]);
    });
  });
});
