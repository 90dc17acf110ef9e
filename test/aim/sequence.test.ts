import { expect } from 'chai';
import { AimObject, type AimKey, type AimValue } from '../../src/aim/codec/values.js';
import { aimFigure } from '../../src/aim/figure.js';
import { contextId, stepHash } from '../../src/aim/hash.js';
import { SequenceTracker, type TreeWrite } from '../../src/aim/sequence.js';

const H = 'abc123';
const EMPTY = new Map();
const C0 = contextId(EMPTY); // -4504863053055089774n
const TRAIN = new Map([['subset', 'train']]);
const CT = contextId(TRAIN);

function showPath(path: readonly AimKey[]): string {
  return path.map((k) => (typeof k === 'bigint' ? `#${k.toString()}` : k)).join('/');
}

function showValue(v: AimValue): string {
  return v instanceof AimObject ? `<${v.alias}>` : v instanceof Map ? 'ctx' : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
}

/** A write as `tree method path[=value]`; an update as `tree update path {k=v, ...}`, for readable comparisons. */
function show(write: TreeWrite): string {
  const path = showPath(write.path);
  if (write.method === 'make_array') return `${write.tree} make_array ${path}`;
  if (write.method === 'update') return `${write.tree} update ${path} {${write.entries.map(([k, v]) => `${showPath([k])}=${showValue(v)}`).join(', ')}}`;
  return `${write.tree} ${path}=${showValue(write.value)}`;
}

/**
 * The leaf writes a drain amounts to, as the server applies them (`update(p, [[k, v]])` is
 * `set(p + [k], v)`), each shown as `tree path=value` (`tree make_array path` for arrays).
 */
function leaves(writes: readonly TreeWrite[]): string[] {
  return writes.flatMap((write) =>
    write.method === 'update'
      ? write.entries.map(([k, v]) => show({ tree: write.tree, method: '__setitem__', path: [...write.path, k], value: v }))
      : [show(write)],
  );
}

/** Tracks one point and returns the leaf writes it amounts to. */
function trackOne(tracker: SequenceTracker, ...args: Parameters<SequenceTracker['track']>): string[] {
  tracker.track(...args);
  return leaves(tracker.drain());
}

describe('SequenceTracker (the writes of run.track, as Aim 3.29.1 makes them)', () => {
  it("the first metric point amounts to exactly the 20 leaf writes of Aim's tracker, in 13 instructions", () => {
    const tracker = new SequenceTracker(H);
    tracker.track({ kind: 'float', value: 0.5 }, 'loss', EMPTY, C0, 0n, undefined, 1700000000.0);
    const writes = tracker.drain();
    const c = `#${C0.toString()}`;
    const h0 = `#${stepHash(0n).toString()}`;
    const sp = `seqs/v2/chunks/${H}/${c}/loss`;
    const mr = `meta/chunks/${H}`;
    // Aim's tracker writes these 20, one instruction each (aim/sdk/tracker.py).
    expect(leaves(writes)).to.have.members([
      `seqs make_array ${sp}/step`,
      `seqs make_array ${sp}/val`,
      `seqs make_array ${sp}/epoch`,
      `seqs make_array ${sp}/time`,
      `meta meta/contexts/${c}=ctx`,
      `meta ${mr}/contexts/${c}=ctx`,
      `meta meta/traces_types/float/${c}/loss=1`,
      `meta ${mr}/traces/${c}/loss/dtype=float`,
      `meta ${mr}/traces/${c}/loss/version=2`,
      `meta ${mr}/traces/${c}/loss/first=0.5`,
      `meta ${mr}/traces/${c}/loss/first_step=0`,
      `meta ${mr}/typed_traces/metric/${c}/loss=1`,
      `meta ${mr}/traces/${c}/loss/last=0.5`,
      `meta ${mr}/traces/${c}/loss/last_step=0`,
      `meta ${mr}/traces/${c}/loss/max=0.5`,
      `meta ${mr}/traces/${c}/loss/min=0.5`,
      `seqs ${sp}/val/${h0}=0.5`,
      `seqs ${sp}/epoch/${h0}=null`,
      `seqs ${sp}/time/${h0}=1700000000`,
      `seqs ${sp}/step/${h0}=0`,
    ]);
    expect(leaves(writes)).to.have.length(20);
    // The arrays exist before their entries are written.
    expect(writes.map((w) => w.method).slice(0, 4)).to.deep.equal(['make_array', 'make_array', 'make_array', 'make_array']);
    expect(writes).to.have.length(4 + 2 + 2 + 1 + 4);
  });

  it('a batch of points is one update per column and one metadata update with the final last/max/min', () => {
    const tracker = new SequenceTracker(H);
    tracker.track({ kind: 'float', value: 0.5 }, 'loss', TRAIN, CT, undefined, undefined, 1);
    tracker.drain();
    for (const [i, value] of [0.25, 0.75, 0.5].entries()) tracker.track({ kind: 'float', value }, 'loss', TRAIN, CT, undefined, BigInt(i), 2 + i);
    expect(tracker.pendingPoints).to.equal(3);
    const c = `#${CT.toString()}`;
    const sp = `seqs/v2/chunks/${H}/${c}/loss`;
    const h = (step: bigint): string => `#${stepHash(step).toString()}`;
    expect(tracker.drain().map(show)).to.deep.equal([
      `meta update meta/chunks/${H}/traces/${c}/loss {last=0.5, last_step=3, min=0.25, max=0.75}`,
      `seqs update ${sp}/val {${h(1n)}=0.25, ${h(2n)}=0.75, ${h(3n)}=0.5}`,
      `seqs update ${sp}/epoch {${h(1n)}=0, ${h(2n)}=1, ${h(3n)}=2}`,
      `seqs update ${sp}/time {${h(1n)}=2, ${h(2n)}=3, ${h(3n)}=4}`,
      `seqs update ${sp}/step {${h(1n)}=1, ${h(2n)}=2, ${h(3n)}=3}`,
    ]);
    expect(tracker.pendingPoints).to.equal(0);
    expect(tracker.drain()).to.deep.equal([]);
  });

  it('a big batch is split into updates of at most 64 entries, or 8 KiB of text (aim server parses a message in quadratic time)', () => {
    const tracker = new SequenceTracker(H);
    for (let i = 0; i < 200; i++) tracker.track({ kind: 'float', value: i }, 'm', EMPTY, C0, BigInt(i), undefined, 1);
    for (let i = 0; i < 10; i++) tracker.track({ kind: 'text', value: 'x'.repeat(2000) }, 't', EMPTY, C0, BigInt(i), undefined, 1);
    const writes = tracker.drain();
    const sizes = (name: string, column: string): number[] =>
      writes.flatMap((w) => (w.method === 'update' && w.path.at(-2) === name && w.path.at(-1) === column ? [w.entries.length] : []));
    for (const column of ['val', 'epoch', 'time', 'step']) expect(sizes('m', column), column).to.deep.equal([64, 64, 64, 8]);
    expect(sizes('t', 'val')).to.deep.equal([4, 4, 2]);
    expect(sizes('t', 'time')).to.deep.equal([10]);
    // Split or not, the same leaves are written.
    expect(leaves(writes).filter((w) => w.includes('/m/val/'))).to.have.length(200);
  });

  it('a batch leaves the same tree as its points tracked one by one', () => {
    // Applying leaf writes in order to a map gives the final tree; both ways must agree.
    const apply = (tree: Map<string, string>, writes: readonly string[]): Map<string, string> => {
      for (const write of writes) {
        const [path, value] = write.includes('=') ? write.split('=') : [write, 'array'];
        tree.set(path ?? '', value ?? '');
      }
      return tree;
    };
    const points: [number, bigint | undefined][] = [
      [3, undefined],
      [1, 7n],
      [9, 2n],
      [4, undefined],
      [0.5, 8n],
    ];
    const oneByOne = new SequenceTracker(H);
    const byPoint = new Map<string, string>();
    for (const [value, step] of points) apply(byPoint, trackOne(oneByOne, { kind: 'float', value }, 'm', EMPTY, C0, step, undefined, 1));
    const batched = new SequenceTracker(H);
    for (const [value, step] of points) batched.track({ kind: 'float', value }, 'm', EMPTY, C0, step, undefined, 1);
    expect([...apply(new Map(), leaves(batched.drain()))].sort()).to.deep.equal([...byPoint].sort());
    expect(batched.info(C0, 'm')).to.deep.equal(oneByOne.info(C0, 'm'));
  });

  it('later points write only last, last_step, a changed max/min and the four columns; steps default to last+1', () => {
    const tracker = new SequenceTracker(H);
    trackOne(tracker, { kind: 'float', value: 0.5 }, 'loss', TRAIN, CT, undefined, undefined, 1);
    const second = trackOne(tracker, { kind: 'float', value: 0.25 }, 'loss', TRAIN, CT, undefined, 3n, 2);
    const c = `#${CT.toString()}`;
    const h1 = `#${stepHash(1n).toString()}`;
    expect(second).to.deep.equal([
      `meta meta/chunks/${H}/traces/${c}/loss/last=0.25`,
      `meta meta/chunks/${H}/traces/${c}/loss/last_step=1`,
      `meta meta/chunks/${H}/traces/${c}/loss/min=0.25`,
      `seqs seqs/v2/chunks/${H}/${c}/loss/val/${h1}=0.25`,
      `seqs seqs/v2/chunks/${H}/${c}/loss/epoch/${h1}=3`,
      `seqs seqs/v2/chunks/${H}/${c}/loss/time/${h1}=2`,
      `seqs seqs/v2/chunks/${H}/${c}/loss/step/${h1}=1`,
    ]);
  });

  it('an earlier step than the last leaves last/last_step alone', () => {
    const tracker = new SequenceTracker(H);
    trackOne(tracker, { kind: 'float', value: 1 }, 'm', EMPTY, C0, 5n, undefined, 1);
    const writes = trackOne(tracker, { kind: 'float', value: 1 }, 'm', EMPTY, C0, 2n, undefined, 1);
    expect(writes.some((w) => w.includes('/last'))).to.equal(false);
    expect(tracker.info(C0, 'm')?.count).to.equal(6n);
  });

  it('texts are v1: raw step keys, no step column, no min/max, aim.text values and the texts sequence type', () => {
    const tracker = new SequenceTracker(H);
    const writes = trackOne(tracker, { kind: 'text', value: 'hi' }, 'samples', EMPTY, C0, 7n, undefined, 1);
    const c = `#${C0.toString()}`;
    const sp = `seqs/chunks/${H}/${c}/samples`;
    expect(writes).to.include.members([
      `seqs make_array ${sp}/val`,
      `meta meta/traces_types/aim.text/${c}/samples=1`,
      `meta meta/chunks/${H}/traces/${c}/samples/version=1`,
      `meta meta/chunks/${H}/typed_traces/texts/${c}/samples=1`,
      `seqs ${sp}/val/#7=<aim.text>`,
    ]);
    expect(writes.some((w) => w.includes('/step') && !w.includes('first_step') && !w.includes('last_step'))).to.equal(false);
    expect(writes.some((w) => w.includes('/max') || w.includes('/min'))).to.equal(false);
  });

  it("a figure is a v1 aim.figure point: exactly the 16 leaf writes of Aim's tracker, sequence type figures, no min/max", () => {
    const tracker = new SequenceTracker(H);
    const c = `#${CT.toString()}`;
    const sp = `seqs/chunks/${H}/${c}/waterfall`;
    const mr = `meta/chunks/${H}`;
    const figure = aimFigure({ data: [], layout: {} });
    // Aim's tracker writes these for run.track(aim.Figure(fig), name='waterfall', step=0, context={'subset': 'train'}).
    expect(trackOne(tracker, { kind: 'object', value: figure }, 'waterfall', TRAIN, CT, 0n, undefined, 1)).to.have.members([
      `seqs make_array ${sp}/val`,
      `seqs make_array ${sp}/epoch`,
      `seqs make_array ${sp}/time`,
      `meta meta/contexts/${c}=ctx`,
      `meta ${mr}/contexts/${c}=ctx`,
      `meta meta/traces_types/aim.figure/${c}/waterfall=1`,
      `meta ${mr}/traces/${c}/waterfall/dtype=aim.figure`,
      `meta ${mr}/traces/${c}/waterfall/version=1`,
      `meta ${mr}/traces/${c}/waterfall/first=<aim.figure>`,
      `meta ${mr}/traces/${c}/waterfall/first_step=0`,
      `meta ${mr}/typed_traces/figures/${c}/waterfall=1`,
      `meta ${mr}/traces/${c}/waterfall/last=<aim.figure>`,
      `meta ${mr}/traces/${c}/waterfall/last_step=0`,
      `seqs ${sp}/val/#0=<aim.figure>`,
      `seqs ${sp}/epoch/#0=null`,
      `seqs ${sp}/time/#0=1`,
    ]);
    expect(tracker.info(CT, 'waterfall')).to.deep.include({ dtype: 'aim.figure', version: 1, count: 1n });
    // The next point (auto step 1) writes last/last_step and its three columns, nothing else.
    expect(trackOne(tracker, { kind: 'object', value: figure }, 'waterfall', TRAIN, CT, undefined, undefined, 2)).to.have.members([
      `meta ${mr}/traces/${c}/waterfall/last=<aim.figure>`,
      `meta ${mr}/traces/${c}/waterfall/last_step=1`,
      `seqs ${sp}/val/#1=<aim.figure>`,
      `seqs ${sp}/epoch/#1=null`,
      `seqs ${sp}/time/#1=2`,
    ]);
    // The same step again is the same three keys (a replay overwrites, it adds no point).
    expect(trackOne(tracker, { kind: 'object', value: figure }, 'waterfall', TRAIN, CT, 0n, undefined, 1)).to.have.members([
      `seqs ${sp}/val/#0=<aim.figure>`,
      `seqs ${sp}/epoch/#0=null`,
      `seqs ${sp}/time/#0=1`,
    ]);
  });

  it('a figure sequence takes only figures, and a text or metric sequence no figure', () => {
    const tracker = new SequenceTracker(H);
    const figure = { kind: 'object', value: aimFigure({ data: [], layout: {} }) } as const;
    trackOne(tracker, figure, 'f', EMPTY, C0, undefined, undefined, 1);
    trackOne(tracker, { kind: 'text', value: 't' }, 't', EMPTY, C0, undefined, undefined, 1);
    trackOne(tracker, { kind: 'float', value: 1 }, 'm', EMPTY, C0, undefined, undefined, 1);
    expect(() => {
      tracker.track({ kind: 'text', value: 'x' }, 'f', EMPTY, C0, undefined, undefined, 1);
    }).to.throw(/holds aim.figure/);
    expect(() => {
      tracker.track({ kind: 'float', value: 1 }, 'f', EMPTY, C0, undefined, undefined, 1);
    }).to.throw(/holds aim.figure/);
    expect(() => {
      tracker.track(figure, 't', EMPTY, C0, undefined, undefined, 1);
    }).to.throw(/aim.figure value on sequence 't', which holds aim.text/);
    expect(() => {
      tracker.track(figure, 'm', EMPTY, C0, undefined, undefined, 1);
    }).to.throw(/holds float/);
    expect(tracker.pendingPoints).to.equal(0);
  });

  it('figures count as text when updates are split: a figure over 8 KiB goes alone', () => {
    const tracker = new SequenceTracker(H);
    for (let i = 0; i < 3; i++)
      tracker.track({ kind: 'object', value: aimFigure({ data: [{ x: 'x'.repeat(9000) }], layout: {} }) }, 'big', EMPTY, C0, BigInt(i), undefined, 1);
    for (let i = 0; i < 3; i++) tracker.track({ kind: 'object', value: aimFigure({ data: [], layout: {} }) }, 'small', EMPTY, C0, BigInt(i), undefined, 1);
    const writes = tracker.drain();
    const sizes = (name: string): number[] =>
      writes.flatMap((w) => (w.method === 'update' && w.path.at(-2) === name && w.path.at(-1) === 'val' ? [w.entries.length] : []));
    expect(sizes('big')).to.deep.equal([1, 1, 1]);
    expect(sizes('small')).to.deep.equal([3]);
  });

  it('a list of texts is one v1 point of dtype list(aim.text) with record_max_length, as Python tracks [Text, Text]', () => {
    const tracker = new SequenceTracker(H);
    const c = `#${C0.toString()}`;
    const trace = `meta meta/chunks/${H}/traces/${c}/prompts`;
    const first = trackOne(tracker, { kind: 'texts', value: ['a', 'b', 'c'] }, 'prompts', EMPTY, C0, undefined, undefined, 1);
    expect(first).to.include.members([
      `meta meta/traces_types/list(aim.text)/${c}/prompts=1`,
      `${trace}/dtype=list(aim.text)`,
      `${trace}/version=1`,
      `meta meta/chunks/${H}/typed_traces/texts/${c}/prompts=1`,
      `${trace}/record_max_length=3`,
    ]);
    tracker.track({ kind: 'texts', value: ['only one'] }, 'prompts', EMPTY, C0, undefined, undefined, 1);
    const value = tracker.drain();
    // The longest list so far stays the record length; the value is a list of aim.text objects.
    expect(leaves(value)).to.include(`${trace}/record_max_length=3`);
    const column = value.find((w) => w.method === 'update' && w.path.at(-1) === 'val');
    const stored = column?.method === 'update' ? column.entries[0]?.[1] : undefined;
    expect(Array.isArray(stored) && stored.every((item) => item instanceof AimObject && item.alias === 'aim.text')).to.equal(true);
    expect(() => {
      tracker.track({ kind: 'text', value: 'x' }, 'prompts', EMPTY, C0, undefined, undefined, 1);
    }).to.throw(/holds list\(aim.text\)/);
  });

  it('an empty list is dtype list and learns list(aim.text) from the first non-empty list, as Aim does', () => {
    const tracker = new SequenceTracker(H);
    const c = `#${C0.toString()}`;
    const first = trackOne(tracker, { kind: 'texts', value: [] }, 'p', EMPTY, C0, undefined, undefined, 1);
    expect(first).to.include.members([`meta meta/chunks/${H}/traces/${c}/p/dtype=list`, `meta meta/chunks/${H}/typed_traces/sequence/${c}/p=1`]);
    const second = trackOne(tracker, { kind: 'texts', value: ['x'] }, 'p', EMPTY, C0, undefined, undefined, 1);
    expect(second).to.include.members([`meta meta/chunks/${H}/traces/${c}/p/dtype=list(aim.text)`, `meta meta/chunks/${H}/typed_traces/texts/${c}/p=1`]);
    expect(tracker.info(C0, 'p')?.dtype).to.equal('list(aim.text)');
  });

  it('an int sequence that gets a float widens to dtype number, as Aim does', () => {
    const tracker = new SequenceTracker(H);
    trackOne(tracker, { kind: 'int', value: 1n }, 'n', EMPTY, C0, undefined, undefined, 1);
    const writes = trackOne(tracker, { kind: 'float', value: 1.5 }, 'n', EMPTY, C0, undefined, undefined, 1);
    const c = `#${C0.toString()}`;
    expect(writes).to.include.members([
      `meta meta/traces_types/number/${c}/n=1`,
      `meta meta/chunks/${H}/typed_traces/metric/${c}/n=1`,
      `meta meta/chunks/${H}/traces/${c}/n/dtype=number`,
    ]);
    expect(tracker.info(C0, 'n')?.dtype).to.equal('number');
  });

  it('refuses a text on a metric sequence, an empty name and a negative step, recording nothing', () => {
    const tracker = new SequenceTracker(H);
    trackOne(tracker, { kind: 'float', value: 1 }, 'm', EMPTY, C0, undefined, undefined, 1);
    expect(() => {
      tracker.track({ kind: 'text', value: 'x' }, 'm', EMPTY, C0, undefined, undefined, 1);
    }).to.throw(/holds float/);
    expect(() => {
      tracker.track({ kind: 'float', value: 1 }, '', EMPTY, C0, undefined, undefined, 1);
    }).to.throw(/empty/);
    expect(() => {
      tracker.track({ kind: 'float', value: 1 }, 'new', EMPTY, C0, -1n, undefined, 1);
    }).to.throw(/negative/);
    expect(tracker.pendingPoints).to.equal(0);
    expect(tracker.drain()).to.deep.equal([]);
    expect(tracker.info(C0, 'new')).to.equal(undefined);
  });

  it('a loaded (resumed) sequence continues after its last step and keeps its max/min', () => {
    const tracker = new SequenceTracker(H);
    tracker.load(C0, 'm', { dtype: 'float', version: 2, count: 10n, max: 5, min: 1 });
    const writes = trackOne(tracker, { kind: 'float', value: 3 }, 'm', EMPTY, C0, undefined, undefined, 1);
    expect(writes).to.include(`meta meta/chunks/${H}/traces/#${C0.toString()}/m/last_step=10`);
    expect(writes.some((w) => w.includes('/max') || w.includes('/min') || w.includes('make_array') || w.includes('contexts'))).to.equal(false);
  });
});

describe('SequenceTracker point keys', () => {
  it('a metric point can be stored under a caller-given key instead of hash(step); texts always use the step', () => {
    const tracker = new SequenceTracker(H);
    const writes = trackOne(tracker, { kind: 'float', value: 1 }, 'm', EMPTY, C0, 5n, undefined, 1, 42n);
    expect(writes).to.include(`seqs seqs/v2/chunks/${H}/#${C0.toString()}/m/val/#42=1`);
    expect(writes).to.include(`seqs seqs/v2/chunks/${H}/#${C0.toString()}/m/step/#42=5`);
    const text = trackOne(tracker, { kind: 'text', value: 't' }, 's', EMPTY, C0, 5n, undefined, 1, 42n);
    expect(text).to.include(`seqs seqs/chunks/${H}/#${C0.toString()}/s/val/#5=<aim.text>`);
  });
});
