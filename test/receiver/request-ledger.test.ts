import { expect } from 'chai';
import { RequestLedger } from '../../src/receiver/request-ledger.js';

type Outcome = { ok: boolean };

function deferred(): { promise: Promise<Outcome>; resolve: (outcome: Outcome) => void } {
  let resolve: (outcome: Outcome) => void = () => undefined;
  const promise = new Promise<Outcome>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
}

describe('RequestLedger: a retried request makes progress', () => {
  it('a retry of work still in flight waits for it instead of starting it again, and a retry of done work is answered from it', async () => {
    const ledger = new RequestLedger<Outcome>({ isDone: (outcome) => outcome.ok });
    const work = deferred();
    let started = 0;
    const start = (): Promise<Outcome> => {
      started += 1;
      return work.promise;
    };
    expect(await ledger.settle('k', 10, start)).to.deep.equal({ kind: 'still-working', from: 'new' });
    expect(ledger.known('k')).to.equal('in-flight');
    const retry = ledger.settle('k', 1_000, start);
    work.resolve({ ok: true });
    expect(await retry).to.deep.equal({ kind: 'outcome', outcome: { ok: true }, from: 'in-flight' });
    expect(await ledger.settle('k', 10, start)).to.deep.equal({ kind: 'outcome', outcome: { ok: true }, from: 'done' });
    expect(started).to.equal(1);
  });

  it('work that did not succeed, or failed, is forgotten: the retry does it again', async () => {
    const ledger = new RequestLedger<Outcome>({ isDone: (outcome) => outcome.ok });
    expect(await ledger.settle('k', 100, () => Promise.resolve({ ok: false }))).to.deep.include({ kind: 'outcome', from: 'new' });
    expect(ledger.known('k')).to.equal(undefined);
    let error: unknown;
    await ledger
      .settle('k', 100, () => Promise.reject(new Error('boom')))
      .catch((caught: unknown) => {
        error = caught;
      });
    expect(String(error)).to.include('boom');
    expect(ledger.known('k')).to.equal(undefined);
    expect(await ledger.settle('k', 100, () => Promise.resolve({ ok: true }))).to.deep.equal({ kind: 'outcome', outcome: { ok: true }, from: 'new' });
  });

  it('remembers at most maxDone done requests, the oldest forgotten first', async () => {
    const ledger = new RequestLedger<Outcome>({ isDone: () => true, maxDone: 2 });
    for (const key of ['a', 'b', 'c']) await ledger.settle(key, 100, () => Promise.resolve({ ok: true }));
    expect([ledger.known('a'), ledger.known('b'), ledger.known('c')]).to.deep.equal([undefined, 'done', 'done']);
  });
});
