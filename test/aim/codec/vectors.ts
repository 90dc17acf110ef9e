/** Shared test inputs from the wire-protocol reference (§13 T13, §15). */
import type { AimKey, AimValue } from '../../../src/aim/codec/values.js';

/** T13: the id of the empty context, `hash_auto({})`. */
export const CTX = -4504863053055089774n;
/** T13: `hash_auto(0)`, the step key of step 0. */
export const HASH0 = 487590686800389010n;

/** T13's single write message: `[['S', '__setitem__', [[seqs, v2, chunks, abc123, ctx, loss, val, hash(0)], 0.5]]]`. */
export const T13_MESSAGE: AimValue = [['S', '__setitem__', [['seqs', 'v2', 'chunks', 'abc123', CTX, 'loss', 'val', HASH0], 0.5]]];

/**
 * The §15 step-10 atomic batch that `run.track(0.5, name='loss', step=0, context={})` sends, with
 * handlers 'M' / 'S', run hash 'abc123' and track time 1700000000.0: 20 instructions, in the order
 * of Aim's `RunTracker._track` (`aim/sdk/tracker.py`).
 */
export function trackBatch(): AimValue[] {
  const H = 'abc123';
  const sp = ['seqs', 'v2', 'chunks', H, CTX, 'loss'];
  const mr = ['meta', 'chunks', H];
  const trace = (field: string): AimKey[] => [...mr, 'traces', CTX, 'loss', field];
  const M = (path: AimKey[], value: AimValue): AimValue => ['M', '__setitem__', [path, value]];
  const S = (path: AimKey[], value: AimValue): AimValue => ['S', '__setitem__', [path, value]];
  return [
    ...['step', 'val', 'epoch', 'time'].map((name): AimValue => ['S', 'make_array', [[...sp, name]]]),
    M(['meta', 'contexts', CTX], {}),
    M([...mr, 'contexts', CTX], {}),
    M(['meta', 'traces_types', 'float', CTX, 'loss'], 1n),
    M(trace('dtype'), 'float'),
    M(trace('version'), 2n),
    M(trace('first'), 0.5),
    M(trace('first_step'), 0n),
    M([...mr, 'typed_traces', 'metric', CTX, 'loss'], 1n),
    M(trace('last'), 0.5),
    M(trace('last_step'), 0n),
    M(trace('max'), 0.5),
    M(trace('min'), 0.5),
    S([...sp, 'val', HASH0], 0.5),
    S([...sp, 'epoch', HASH0], null),
    S([...sp, 'time', HASH0], 1700000000.0),
    S([...sp, 'step', HASH0], 0n),
  ];
}
