/**
 * `AimRun.readMetrics` against a scripted transport: which reads it sends (the run's sequence
 * list and contexts from its meta tree, then `items_eager` on each wanted v2 metric series' `val`
 * column of its seqs tree), what it makes of the answers, and that held-back points go first.
 * The real server: read-metrics.int.test.ts.
 */
import { expect } from 'chai';
import type { AimKey, AimValue } from '../../src/aim/codec/values.js';
import { AimServerError } from '../../src/aim/errors.js';
import { AimRun } from '../../src/aim/run.js';
import type { AimTransport } from '../../src/aim/transport.js';

/** A transport that answers reads from a table and records every call. */
class ScriptedTransport {
  readonly calls: string[] = [];
  constructor(private readonly answers: (handler: string, method: string, args: readonly AimValue[]) => AimValue) {}

  createResource(type: string, kwargs: Record<string, AimValue>): Promise<string> {
    const name = kwargs['name'];
    return Promise.resolve(typeof name === 'string' ? `${type}:${name}` : type);
  }

  read(handler: string, method: string, args: readonly AimValue[]): Promise<AimValue> {
    this.calls.push(`read ${handler} ${method} ${pathText(args[0])}`);
    return new Promise((resolve) => {
      resolve(this.answers(handler, method, args));
    });
  }

  readNow(handler: string, method: string, args: readonly AimValue[]): Promise<AimValue> {
    return this.read(handler, method, args);
  }

  write(handler: string, method: string, args: readonly AimValue[]): Promise<void> {
    this.calls.push(`write ${handler} ${method} ${pathText(args[0])}`);
    return Promise.resolve();
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  forgetResource(): void {}

  releaseResource(): Promise<void> {
    return Promise.resolve();
  }
}

function pathText(path: AimValue | undefined): string {
  const parts = Array.isArray(path) ? (path as AimValue[]) : [path];
  return parts.map((part) => (typeof part === 'string' || typeof part === 'bigint' || typeof part === 'number' ? String(part) : '?')).join('/');
}

const KEY_ERROR = (): never => {
  throw new AimServerError('read-instruction collect', { moduleName: 'builtins', className: 'KeyError', args: [], message: 'No key' });
};

const HASH = 'abc123';
const CTX_A = 11n;
const CTX_B = -22n;

/** A run's stored metadata: cost (float) in two contexts, tokens (int) in one, a text sequence, a v1 leftover. */
const TRACES = new Map<AimKey, AimValue>([
  [
    CTX_A,
    new Map<AimKey, AimValue>([
      [
        'cost',
        new Map<AimKey, AimValue>([
          ['dtype', 'float'],
          ['version', 2n],
        ]),
      ],
      [
        'tokens',
        new Map<AimKey, AimValue>([
          ['dtype', 'int'],
          ['version', 2n],
        ]),
      ],
      [
        'prompts',
        new Map<AimKey, AimValue>([
          ['dtype', 'aim.text'],
          ['version', 1n],
        ]),
      ],
    ]),
  ],
  [
    CTX_B,
    new Map<AimKey, AimValue>([
      [
        'cost',
        new Map<AimKey, AimValue>([
          ['dtype', 'float'],
          ['version', 2n],
        ]),
      ],
    ]),
  ],
]);
const CONTEXTS = new Map<AimKey, AimValue>([
  [CTX_A, new Map<AimKey, AimValue>([['model', 'a']])],
  [CTX_B, new Map<AimKey, AimValue>([['model', 'b']])],
]);

async function openRun(transport: ScriptedTransport): Promise<AimRun> {
  return AimRun.open(transport as unknown as AimTransport, { hash: HASH, lock: false }, false);
}

function answers(columns: Record<string, AimValue>): (handler: string, method: string, args: readonly AimValue[]) => AimValue {
  return (_handler, method, args) => {
    const path = pathText(args[0]);
    if (method === 'collect' && path === `meta/chunks/${HASH}/traces`) return TRACES;
    if (method === 'collect' && path === `meta/chunks/${HASH}/contexts`) return CONTEXTS;
    if (method === 'items_eager') return columns[path] ?? [];
    return KEY_ERROR(); // opening: a new run
  };
}

describe('AimRun.readMetrics: the reads it sends and what it makes of them', () => {
  it('lists the v2 metric series from the run’s traces, reads each val column with items_eager, sorted by name then context id', async () => {
    const transport = new ScriptedTransport(
      answers({
        [`seqs/v2/chunks/${HASH}/${String(CTX_A)}/cost/val`]: [
          [5n, 0.25],
          [-7n, 0.5],
        ],
        [`seqs/v2/chunks/${HASH}/${String(CTX_B)}/cost/val`]: [[9n, 1.75]],
        [`seqs/v2/chunks/${HASH}/${String(CTX_A)}/tokens/val`]: [[5n, 10n], ['not a key', 3n], [6n, 'not a number'], [7n]],
      }),
    );
    const run = await openRun(transport);
    transport.calls.length = 0;
    const series = await run.readMetrics();
    expect(transport.calls.filter((call) => call.startsWith('read'))).to.have.members([
      `read TreeView:meta collect meta/chunks/${HASH}/traces`,
      `read TreeView:meta collect meta/chunks/${HASH}/contexts`,
      `read TreeView:seqs items_eager seqs/v2/chunks/${HASH}/${String(CTX_B)}/cost/val`,
      `read TreeView:seqs items_eager seqs/v2/chunks/${HASH}/${String(CTX_A)}/cost/val`,
      `read TreeView:seqs items_eager seqs/v2/chunks/${HASH}/${String(CTX_A)}/tokens/val`,
    ]);
    expect(series).to.deep.equal([
      { name: 'cost', contextId: CTX_B, context: CONTEXTS.get(CTX_B), dtype: 'float', points: [[9n, 1.75]] },
      {
        name: 'cost',
        contextId: CTX_A,
        context: CONTEXTS.get(CTX_A),
        dtype: 'float',
        points: [
          [5n, 0.25],
          [-7n, 0.5],
        ],
      },
      // Entries of another shape than [int key, number] are left out.
      { name: 'tokens', contextId: CTX_A, context: CONTEXTS.get(CTX_A), dtype: 'int', points: [[5n, 10n]] },
    ]);
  });

  it('names: only those series are read; a run without traces has no metrics; held-back points are sent before reading', async () => {
    const transport = new ScriptedTransport(answers({}));
    const run = await openRun(transport);
    await run.track(1n, { name: 'tokens', step: 0 }); // held back for coalescing
    transport.calls.length = 0;
    const series = await run.readMetrics(['tokens', 'prompts']);
    expect(series.map((s) => [s.name, s.contextId])).to.deep.equal([['tokens', CTX_A]]);
    const firstRead = transport.calls.findIndex((call) => call.startsWith('read'));
    expect(
      transport.calls.slice(0, firstRead).some((call) => call.includes('/tokens/val')),
      'the held-back point written first',
    ).to.equal(true);
    expect(transport.calls.filter((call) => call.includes('items_eager'))).to.deep.equal([
      `read TreeView:seqs items_eager seqs/v2/chunks/${HASH}/${String(CTX_A)}/tokens/val`,
    ]);

    const empty = new ScriptedTransport((_handler, method) => (method === 'items_eager' ? [] : KEY_ERROR()));
    expect(await (await openRun(empty)).readMetrics()).to.deep.equal([]);
  });
});
