import type { Clock } from '../../src/sink/clock.js';

/** A clock that only moves when told to, or by the sleeps it is asked for (which then return at once). */
export class FakeClock implements Clock {
  /** Every sleep asked for, in ms. */
  readonly sleeps: number[] = [];

  constructor(private time = 1_764_000_000_000) {}

  now(): number {
    return this.time;
  }

  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.time += ms;
    await Promise.resolve();
  }

  advance(ms: number): void {
    this.time += ms;
  }
}
