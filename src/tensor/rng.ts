/**
 * Seeded randomness. Every random choice in mlplab (initial weights, shuffling, splits,
 * dropout masks) comes from here, so a seed fixes a run bit for bit on one backend.
 *
 * `Rng` is xoshiro128** seeded through splitmix32: a small, fast, well-tested generator
 * whose state is four u32 words. Dropout masks use the
 * counter-based `hash32` instead, which both kernel backends implement identically.
 */

/** A 32-bit integer hash (lowbias32): a bijection on u32 with good avalanche. */
export function hash32(x: number): number {
  x >>>= 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/**
 * The key from which the dropout mask of one layer at one step is drawn: element i is kept
 * when `(hash32(key ^ i) >>> 8) >= dropThreshold(p)`. Both backends use exactly this rule.
 */
export function dropoutKey(seed: number, counter: number): number {
  return hash32((seed + Math.imul(counter >>> 0, 0x9e3779b9)) >>> 0);
}

/** Integer threshold on 24 random bits: an element is dropped with probability p. */
export function dropThreshold(p: number): number {
  return Math.min(1 << 24, Math.round(p * (1 << 24)));
}

function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) >>> 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spareNormal: number | null = null;

  constructor(seed: number) {
    const st = { s: seed >>> 0 };
    this.s0 = splitmix32(st);
    this.s1 = splitmix32(st);
    this.s2 = splitmix32(st);
    this.s3 = splitmix32(st);
  }

  /** Next uniformly distributed unsigned 32-bit integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 random bits. */
  uniform(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform integer in [0, n), without modulo bias. */
  int(n: number): number {
    if (n <= 0) throw new RangeError(`Rng.int: n must be positive, got ${n}`);
    const limit = 4294967296 - (4294967296 % n);
    let x: number;
    do x = this.nextU32();
    while (x >= limit);
    return x % n;
  }

  /** Standard normal deviate (Box-Muller; the second value of each pair is kept). */
  normal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Shuffle in place (Fisher-Yates). */
  shuffle<T extends { length: number; [i: number]: unknown }>(items: T): T {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }

  /** A permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }

  /** A fresh u32 to seed another stream (dropout keys, worker trials). */
  seed(): number {
    return this.nextU32();
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
