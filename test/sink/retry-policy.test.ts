import { expect } from 'chai';
import { AimServerError, AimUnavailableError, AimUsageError } from '../../src/aim/index.js';
import { isPermanentAimError } from '../../src/sink/aim-writer.js';
import { DeadlineError, RetryPolicy, raceDeadline } from '../../src/sink/retry-policy.js';
import { FakeClock } from './fake-clock.js';

const unavailable = (): Error => new AimUnavailableError('aim server is unreachable');

/** An attempt that fails `failures` times with `error`, then returns 'ok'; counts its calls. */
function flaky(failures: number, error: () => unknown = unavailable): { attempt: () => Promise<string>; calls: () => number } {
  let calls = 0;
  return {
    attempt: async () => {
      calls++;
      await Promise.resolve();
      if (calls <= failures) throw error();
      return 'ok';
    },
    calls: () => calls,
  };
}

describe('RetryPolicy: exponential backoff with jitter and a deadline', () => {
  it('without jitter the delays grow by the multiplier up to the maximum', () => {
    const policy = new RetryPolicy({ initialDelayMs: 100, maxDelayMs: 1_000, multiplier: 2, jitter: 0 });
    expect([0, 1, 2, 3, 4, 5].map((retry) => policy.delay(retry))).to.deep.equal([100, 200, 400, 800, 1_000, 1_000]);
  });

  it('jitter spreads each delay over [d·(1−j), d·(1+j)], drawn from the random source', () => {
    const at = (random: number): RetryPolicy => new RetryPolicy({ initialDelayMs: 1_000, jitter: 0.5, random: () => random });
    expect(at(0).delay(0)).to.equal(500);
    expect(at(0.5).delay(0)).to.equal(1_000);
    expect(at(0.999_999).delay(0)).to.equal(1_500);
    // With the real random source two writers that failed together rarely wait the same.
    const policy = new RetryPolicy({ initialDelayMs: 1_000, jitter: 0.5 });
    const delays = new Set(Array.from({ length: 20 }, () => policy.delay(3)));
    expect(delays.size).to.be.greaterThan(1);
    for (const delay of delays) expect(delay).to.be.within(2_500, 7_500);
  });

  it('retries transient errors until an attempt succeeds, sleeping the backoff in between', async () => {
    const clock = new FakeClock();
    const policy = new RetryPolicy({ initialDelayMs: 100, jitter: 0, clock });
    const { attempt, calls } = flaky(3);
    const failures: (number | undefined)[] = [];
    const result = await policy.run(attempt, clock.now() + 60_000, (_error, retryInMs) => failures.push(retryInMs));
    expect(result).to.deep.equal({ status: 'done', value: 'ok' });
    expect(calls()).to.equal(4);
    expect(clock.sleeps).to.deep.equal([100, 200, 400]);
    expect(failures).to.deep.equal([100, 200, 400]);
  });

  it('gives up (exhausted) when the next attempt would start after the deadline, without sleeping past it', async () => {
    const clock = new FakeClock();
    const start = clock.now();
    const policy = new RetryPolicy({ initialDelayMs: 100, maxDelayMs: 100, jitter: 0, clock });
    const { attempt, calls } = flaky(1_000);
    const failures: (number | undefined)[] = [];
    const result = await policy.run(attempt, start + 450, (_error, retryInMs) => failures.push(retryInMs));
    expect(result.status).to.equal('exhausted');
    if (result.status === 'exhausted') expect(result.error).to.be.instanceOf(AimUnavailableError);
    expect(calls()).to.equal(5); // at 0, 100, 200, 300, 400; the next would be at 500 > 450
    expect(clock.now() - start).to.equal(400);
    expect(failures.at(-1)).to.equal(undefined); // told there is no next attempt
  });

  it('does not retry a permanent error', async () => {
    const clock = new FakeClock();
    const policy = new RetryPolicy({ isPermanent: isPermanentAimError, clock });
    const { attempt, calls } = flaky(5, () => new AimUsageError('bad value'));
    const result = await policy.run(attempt, clock.now() + 60_000);
    expect(result.status).to.equal('permanent');
    expect(calls()).to.equal(1);
    expect(clock.sleeps).to.deep.equal([]);
  });

  it('does not retry once a DeadlineError says the deadline passed', async () => {
    const clock = new FakeClock();
    const policy = new RetryPolicy({ clock });
    const { attempt, calls } = flaky(5, () => new DeadlineError('late'));
    const result = await policy.run(attempt, clock.now() + 60_000);
    expect(result.status).to.equal('exhausted');
    expect(calls()).to.equal(1);
  });

  it('a listener that throws does not break the retries', async () => {
    const clock = new FakeClock();
    const policy = new RetryPolicy({ clock });
    const { attempt } = flaky(2);
    const result = await policy.run(attempt, clock.now() + 60_000, () => {
      throw new Error('listener trouble');
    });
    expect(result).to.deep.equal({ status: 'done', value: 'ok' });
  });
});

describe('isPermanentAimError: permanent vs transient Aim errors', () => {
  const server = (className: string): AimServerError => new AimServerError('write', { moduleName: 'aim', className, args: [], message: 'no' });

  it('refusals are permanent; outages, restarts (a handler Aim forgot) and unknown errors are transient', () => {
    expect(isPermanentAimError(new AimUsageError('bad'))).to.equal(true);
    expect(isPermanentAimError(server('KeyError'))).to.equal(true);
    expect(isPermanentAimError(server('UnauthorizedRequestError'))).to.equal(false);
    expect(isPermanentAimError(unavailable())).to.equal(false);
    expect(isPermanentAimError(new Error('socket hang up'))).to.equal(false);
  });
});

describe('raceDeadline', () => {
  it('rejects with a DeadlineError when the promise has not settled by the deadline', async () => {
    const never = new Promise<never>(() => undefined);
    const started = Date.now();
    let caught: unknown;
    try {
      await raceDeadline(never, started + 20);
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(DeadlineError);
    expect(Date.now() - started).to.be.within(15, 1_000);
  });

  it('passes through what settles first', async () => {
    expect(await raceDeadline(Promise.resolve(7), Date.now() + 1_000)).to.equal(7);
  });
});
