/**
 * hashAuto, contextId and stepHash against Aim 3.29.1 itself: thousands of generated inputs are
 * hashed by Aim's `hash_auto` / `hash(Context(...))` (test/aim/hash_vectors.py, run with the Aim
 * venv's Python) and by us, and every answer must agree. The inputs come from a seeded generator:
 * set AIM_HASH_SEED to reproduce or vary a run.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type { AimKey, AimValue } from '../../src/aim/codec/values.js';
import { contextId, hashAuto, stepHash } from '../../src/aim/hash.js';
import { requireAim } from '../peers/aim.js';

const SCRIPT = join(fileURLToPath(new URL('.', import.meta.url)), 'hash_vectors.py');
const SEED = Number(process.env['AIM_HASH_SEED'] ?? 0x5eed_a1b2);

/** A value as hash_vectors.py decodes it (see its docstring). */
type Tagged =
  | readonly ['n']
  | readonly ['b', boolean]
  | readonly ['i' | 'f' | 's' | 'y', string]
  | readonly ['l' | 't', readonly Tagged[]]
  | readonly ['d', readonly (readonly [Tagged, Tagged])[]];

interface Case {
  /** `auto`: hashAuto; `step`: stepHash (Aim: hash_auto); `context`: contextId (Aim: hash(Context)). */
  kind: 'auto' | 'step' | 'context';
  value: AimValue;
  tagged: Tagged;
}

type AimAnswer = string | { error: string };

/** Runs hash_vectors.py on the cases; resolves to Aim's answer for each, in order. */
function aimHashes(cases: readonly Case[]): Promise<AimAnswer[]> {
  const input = JSON.stringify(cases.map((c) => [c.kind === 'context' ? 'context' : 'auto', c.tagged]));
  return new Promise((resolve, reject) => {
    const child = spawn(requireAim().python, [SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new Error(`hash_vectors.py exited ${String(code)}: ${Buffer.concat(stderr).toString()}`));
        return;
      }
      resolve(JSON.parse(Buffer.concat(stdout).toString()) as AimAnswer[]);
    });
    child.stdin.end(input);
  });
}

/** Our answer for a case, in the same shape as Aim's. */
function ourHash(c: Case): AimAnswer {
  try {
    if (c.kind === 'context') return String(contextId(c.value as ReadonlyMap<AimKey, AimValue>));
    if (c.kind === 'step') return String(stepHash(c.value as number | bigint));
    return String(hashAuto(c.value));
  } catch (error) {
    if (error instanceof RangeError) return { error: 'OverflowError' };
    if (error instanceof TypeError) return { error: 'NotImplementedError' };
    throw error;
  }
}

// ---- the generator ------------------------------------------------------------------------------

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = prng(SEED);
const int = (below: number): number => Math.floor(random() * below);
const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
const u32 = (): number => int(2 ** 32);

const floatView = new DataView(new ArrayBuffer(8));
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

function doubleFromBits(hi: number, lo: number): number {
  floatView.setUint32(0, lo, true);
  floatView.setUint32(4, hi, true);
  return floatView.getFloat64(0, true);
}

function tagFloat(v: number): Tagged {
  floatView.setFloat64(0, v, true);
  return ['f', hex(new Uint8Array(floatView.buffer.slice(0)))];
}

/** A random double: any bit pattern, subnormals, integers, powers of two, dyadic and decimal fractions. */
function randomDouble(): number {
  const sign = random() < 0.5 ? -1 : 1;
  switch (int(9)) {
    case 0:
      return doubleFromBits(u32(), u32()); // every exponent, NaN payloads, ±inf
    case 1:
      return doubleFromBits((u32() & 0x800fffff) >>> 0, u32()); // subnormal (or ±0)
    case 2:
      return sign * 2 ** (int(2098) - 1074); // a power of two, 2^-1074 .. 2^1023
    case 3:
      return sign * int(2 ** 53); // an integral float
    case 4:
      return sign * Math.round(random() * 2 ** int(1024)); // integral, any magnitude
    case 5:
      return sign * random() * 10 ** (int(40) - 20); // decimal-ish
    case 6:
      return sign * (int(2 ** 20) / 2 ** int(60)); // short dyadic fraction
    case 7:
      return doubleFromBits(((int(2) << 31) | ((int(2047) + 1) << 20) | int(2 ** 20)) >>> 0, u32()); // normal
    default:
      return pick([
        0,
        -0,
        Number.NaN,
        Infinity,
        -Infinity,
        Number.MAX_VALUE,
        -Number.MAX_VALUE,
        Number.MIN_VALUE,
        -Number.MIN_VALUE,
        2.2250738585072014e-308,
        2 ** 53,
        -(2 ** 53),
        2 ** 53 + 2,
        2 ** 61 - 1,
        2 ** 61,
        2 ** 63,
        -(2 ** 63),
        2 ** 64,
        0.5,
        -1,
        1,
        0.1,
        1e308,
        5e-324,
        1 / 3,
        Math.PI,
      ]);
  }
}

const INT_EDGES: readonly bigint[] = [
  0n,
  1n,
  -1n,
  2n,
  -2n,
  2n ** 31n,
  -(2n ** 31n),
  2n ** 32n,
  2n ** 53n - 1n,
  2n ** 53n,
  2n ** 53n + 1n,
  2n ** 53n + 2n,
  2n ** 53n + 3n,
  -(2n ** 53n) - 1n,
  -(2n ** 53n) + 1n,
  -(2n ** 53n) - 3n,
  2n ** 61n - 2n,
  2n ** 61n - 1n,
  2n ** 61n,
  2n ** 62n + 1n,
  2n ** 63n - 1n,
  -(2n ** 63n),
  -(2n ** 63n) + 1n,
  2n ** 64n - 1n,
  2n ** 64n,
  2n ** 100n + 12345n,
  -(2n ** 200n),
  2n ** 1024n - 2n ** 970n - 1n,
  -(2n ** 1024n - 2n ** 970n - 1n),
  // Too large for a double: Aim raises OverflowError, we a RangeError.
  2n ** 1024n - 2n ** 970n,
  2n ** 1024n,
  -(2n ** 1100n),
];

/** A random Aim int: mostly i64 (any bit width, so rounding beyond 2^53 is exercised), a few edges. */
function randomInt(): bigint {
  if (random() < 0.1) return pick(INT_EDGES);
  const bits = 1 + int(64);
  let v = 0n;
  for (let i = 0; i < bits; i += 32) v = (v << 32n) | BigInt(u32());
  v = BigInt.asUintN(bits, v);
  return random() < 0.5 ? -v : BigInt.asIntN(64, v);
}

const CODE_POINT_RANGES: readonly (readonly [number, number])[] = [
  [0x20, 0x7f],
  [0x00, 0x20],
  [0xa0, 0x800],
  [0x800, 0xd800],
  [0xe000, 0x10000],
  [0x10000, 0x110000],
  [0x4e00, 0x9fff],
];

function randomString(): string {
  const length = pick([0, 1, 2, 5, 10, 40, 200]);
  let text = '';
  for (let i = 0; i < length; i += 1) {
    const [low, high] = pick(CODE_POINT_RANGES);
    text += String.fromCodePoint(low + int(high - low)); // no surrogates: Python could not encode them
  }
  return text;
}

function randomBytes(): Uint8Array {
  const bytes = new Uint8Array(pick([0, 1, 7, 8, 9, 64, 127, 128, 129, 300]));
  for (let i = 0; i < bytes.length; i += 1) bytes[i] = int(256);
  return bytes;
}

/** A scalar with its tagged form. */
function randomScalar(): [AimValue, Tagged] {
  switch (int(6)) {
    case 0: {
      const v = randomInt();
      return [v, ['i', v.toString()]];
    }
    case 1: {
      const v = randomDouble();
      return [v, tagFloat(v)];
    }
    case 2: {
      const v = randomString();
      return [v, ['s', v]];
    }
    case 3: {
      const v = randomBytes();
      return [v, ['y', hex(v)]];
    }
    case 4: {
      const v = random() < 0.5;
      return [v, ['b', v]];
    }
    default:
      return [null, ['n']];
  }
}

function randomKey(allowInts: boolean): [AimKey, Tagged] {
  if (allowInts && random() < 0.3) {
    const v = random() < 0.5 ? BigInt(int(20)) : BigInt.asIntN(64, (BigInt(u32()) << 32n) | BigInt(u32()));
    return [v, ['i', v.toString()]];
  }
  const v = random() < 0.5 ? pick(['subset', 'fold', 'a', 'b', '1', '', 'ключ', '🔑']) : randomString();
  return [v, ['s', v]];
}

/** A random dict: a Map (string and int keys) or a plain object (string keys). */
function randomDict(depth: number, scalarsOnly = false): [AimValue, Tagged] {
  const asMap = random() < 0.5;
  const size = pick([0, 1, 2, 3, 5, 8]);
  const map = new Map<AimKey, AimValue>();
  const tagged: [Tagged, Tagged][] = [];
  for (let i = 0; i < size; i += 1) {
    const [key, taggedKey] = randomKey(asMap);
    if (map.has(key)) continue;
    const [value, taggedValue] = scalarsOnly ? randomScalar() : randomValue(depth + 1);
    map.set(key, value);
    tagged.push([taggedKey, taggedValue]);
  }
  const dict = asMap ? map : Object.fromEntries(map as Map<string, AimValue>);
  return [dict, ['d', tagged]];
}

/** A random value, nested up to four levels. */
function randomValue(depth = 0): [AimValue, Tagged] {
  const choice = depth >= 4 ? 0 : int(4);
  if (choice === 1) {
    const items: AimValue[] = [];
    const tagged: Tagged[] = [];
    for (let i = pick([0, 1, 2, 3, 6, 20]); i > 0; i -= 1) {
      const [value, taggedValue] = randomValue(depth + 1);
      items.push(value);
      tagged.push(taggedValue);
    }
    return [items, [random() < 0.5 ? 'l' : 't', tagged]];
  }
  if (choice === 2) return randomDict(depth);
  return randomScalar();
}

function generateCases(): Case[] {
  const cases: Case[] = [];
  const add = (kind: Case['kind'], [value, tagged]: [AimValue, Tagged]): void => {
    cases.push({ kind, value, tagged });
  };
  for (let i = 0; i < 2500; i += 1) {
    const v = randomDouble();
    add('auto', [v, tagFloat(v)]);
  }
  for (let i = 0; i < 1200; i += 1) {
    const v = randomInt();
    add('auto', [v, ['i', v.toString()]]);
  }
  for (const v of INT_EDGES) add('auto', [v, ['i', v.toString()]]);
  for (let i = 0; i < 400; i += 1) {
    const v = randomString();
    add('auto', [v, ['s', v]]);
  }
  for (let i = 0; i < 200; i += 1) {
    const v = randomBytes();
    add('auto', [v, ['y', hex(v)]]);
  }
  for (let i = 0; i < 800; i += 1) add('auto', randomValue(random() < 0.5 ? 0 : 1));
  for (let i = 0; i < 500; i += 1) add('context', randomDict(0, random() < 0.5));
  for (let i = 0; i < 600; i += 1) {
    // Steps: small and large, repeated (the cache), as number and as bigint, some floats.
    const small = int(10_000);
    const step = pick<number | bigint>([small, BigInt(small), small + 1024, 2 ** 31 - 1 - small, randomInt(), randomDouble()]);
    add('step', [step, typeof step === 'bigint' ? ['i', step.toString()] : tagFloat(step)]);
  }
  return cases;
}

describe('hash (against Aim 3.29.1)', function () {
  this.timeout(120_000);

  it(`agrees with Aim's hash_auto and hash(Context) on every generated input (seed ${SEED})`, async () => {
    const cases = generateCases();
    expect(cases.length).to.be.at.least(5000);
    const expected = await aimHashes(cases);
    expect(expected).to.have.length(cases.length);

    const mismatches: string[] = [];
    cases.forEach((c, i) => {
      const ours = ourHash(c);
      const aims = expected[i];
      if (JSON.stringify(ours) !== JSON.stringify(aims)) {
        mismatches.push(`${c.kind} ${JSON.stringify(c.tagged)}: ours ${JSON.stringify(ours)}, Aim ${JSON.stringify(aims)}`);
      }
    });
    expect(mismatches.slice(0, 10), `${mismatches.length} of ${cases.length} differ`).to.deep.equal([]);

    const errors = expected.filter((answer) => typeof answer !== 'string').length;
    expect(errors, 'the too-large ints make Aim raise').to.be.at.least(3);
  });
});
