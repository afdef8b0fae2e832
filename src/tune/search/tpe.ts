/**
 * The Tree-structured Parzen Estimator (Bergstra et al., 2011), univariate form: the trials so
 * far are split into the best `gamma(n)` and the rest; for each parameter a Parzen density is
 * built over each group (a mixture with one kernel per trial and a broad prior kernel), and
 * of `candidates` values drawn from the good density the one with the largest ratio
 * l(x) / g(x) is suggested. Until `startupTrials` trials have finished, values are drawn
 * uniformly. Every suggestion is a pure function of (space, finished trials, seed, trial
 * number), so one worker reproduces the same sequence.
 */
import { Rng } from '../../tensor/rng.js';
import { RandomSampler, trialSeed, type Observation, type Sampler } from './sampler.js';
import { fromInternal, internalBounds, toInternal, type Param } from './space.js';

export interface TpeOptions {
  /** Trials drawn uniformly before the model is used. Default 10. */
  startupTrials?: number;
  /** Values drawn from the good density per parameter, of which the best ratio wins. Default 24. */
  candidates?: number;
  /** Weight of the prior kernel in each density. Default 1. */
  priorWeight?: number;
}

/** How many of n trials form the good group: 10%, rounded up, at most 25. */
export function goodCount(n: number): number {
  return Math.min(Math.ceil(0.1 * n), 25);
}

/**
 * TPE as a sampler: until `startupTrials` trials with a finite loss ended, it draws as random
 * search does (the same values for the same seed and trial number).
 *
 * @example
 * const params = new TpeSampler(seed).suggest(space, finished.map((t) => ({ params: t.params, loss: -t.valAccuracy })), 7);
 */
export class TpeSampler implements Sampler {
  readonly name = 'tpe';
  private readonly startup: RandomSampler;

  constructor(
    readonly seed: number,
    private readonly options: TpeOptions = {},
  ) {
    this.startup = new RandomSampler(seed);
  }

  suggest(space: Param[], history: Observation[], trial: number): Record<string, unknown> {
    const o = this.options;
    const usable = history.filter((x) => Number.isFinite(x.loss));
    if (usable.length < Math.max(1, o.startupTrials ?? 10)) return this.startup.suggest(space, history, trial);
    const rng = new Rng(trialSeed(this.seed, trial));
    const out: Record<string, unknown> = {};
    // Sort by loss; ties keep the order the trials were given in (stable sort), so results do not depend on timing.
    const sorted = [...usable].sort((a, b) => a.loss - b.loss);
    const nGood = goodCount(sorted.length);
    const good = sorted.slice(0, nGood);
    const bad = sorted.slice(nGood);
    for (const p of space) {
      const has = (x: Observation) => p.path in x.params;
      out[p.path] = suggestOne(p, good.filter(has).map((x) => x.params[p.path]), bad.filter(has).map((x) => x.params[p.path]), rng, o);
    }
    return out;
  }
}

function suggestOne(p: Param, good: unknown[], bad: unknown[], rng: Rng, o: TpeOptions): unknown {
  const n = o.candidates ?? 24;
  const w = o.priorWeight ?? 1;
  if (p.kind === 'choice') {
    const key = (v: unknown) => JSON.stringify(v);
    const index = new Map(p.choices.map((c, i) => [key(c), i]));
    const l = categorical(good.map((v) => index.get(key(v)) ?? -1), p.choices.length, w);
    const g = categorical(bad.map((v) => index.get(key(v)) ?? -1), p.choices.length, w);
    let best = 0, bestScore = -Infinity;
    for (let c = 0; c < n; c++) {
      const i = drawCategorical(l, rng);
      const score = Math.log(l[i]) - Math.log(g[i]);
      if (score > bestScore) {
        bestScore = score;
        best = i;
      }
    }
    return p.choices[best];
  }
  const { a, b } = internalBounds(p);
  const l = parzen(good.map((v) => toInternal(p, v as number)), a, b, w);
  const g = parzen(bad.map((v) => toInternal(p, v as number)), a, b, w);
  let best = (a + b) / 2, bestScore = -Infinity;
  for (let c = 0; c < n; c++) {
    const x = drawParzen(l, a, b, rng);
    const score = Math.log(parzenPdf(l, a, b, x)) - Math.log(parzenPdf(g, a, b, x));
    if (score > bestScore) {
      bestScore = score;
      best = x;
    }
  }
  return fromInternal(p, best);
}

/** A mixture of normals truncated to [a, b]: one kernel per point and the prior kernel, with weights summing to 1. */
export interface Parzen {
  mu: number[];
  sigma: number[];
  weight: number[];
}

/**
 * The Parzen density of `points` on [a, b]: the prior kernel N((a+b)/2, b-a) with weight
 * `priorWeight`, and one kernel per point whose width is the larger gap to its neighbours
 * (sorted, the interval's ends counting as neighbours), kept within [(b-a)/min(100, n+1), b-a].
 */
export function parzen(points: number[], a: number, b: number, priorWeight: number): Parzen {
  const span = b - a;
  const prior = (a + b) / 2;
  const mu = [...points, prior].sort((x, y) => x - y);
  const priorAt = mu.indexOf(prior);
  const minSigma = span / Math.min(100, mu.length + 1);
  const sigma = mu.map((m, i) => {
    if (i === priorAt) return span;
    const left = i > 0 ? m - mu[i - 1] : m - a;
    const right = i < mu.length - 1 ? mu[i + 1] - m : b - m;
    return Math.min(span, Math.max(minSigma, left, right));
  });
  const raw = mu.map((_, i) => (i === priorAt ? priorWeight : 1));
  const total = raw.reduce((s, x) => s + x, 0);
  return { mu, sigma, weight: raw.map((x) => x / total) };
}

/** The density of a truncated mixture at x (0 outside [a, b]). */
export function parzenPdf(d: Parzen, a: number, b: number, x: number): number {
  if (x < a || x > b) return 0;
  let s = 0;
  for (let i = 0; i < d.mu.length; i++) {
    const z = (x - d.mu[i]) / d.sigma[i];
    const mass = normalCdf((b - d.mu[i]) / d.sigma[i]) - normalCdf((a - d.mu[i]) / d.sigma[i]);
    s += (d.weight[i] * Math.exp(-0.5 * z * z)) / (Math.sqrt(2 * Math.PI) * d.sigma[i] * mass);
  }
  // A floor keeps log() finite far from every kernel.
  return Math.max(s, 1e-300);
}

/** A draw from a truncated mixture: pick a kernel by weight, then redraw from it until inside [a, b]. */
function drawParzen(d: Parzen, a: number, b: number, rng: Rng): number {
  const i = drawCategorical(d.weight, rng);
  for (let tries = 0; tries < 100; tries++) {
    const x = d.mu[i] + d.sigma[i] * rng.normal();
    if (x >= a && x <= b) return x;
  }
  return Math.min(b, Math.max(a, d.mu[i]));
}

/** Category probabilities: counts plus the prior spread evenly, normalised. Unknown values (-1) are ignored. */
function categorical(indices: number[], k: number, priorWeight: number): number[] {
  const p = new Array<number>(k).fill(priorWeight / k);
  for (const i of indices) if (i >= 0) p[i] += 1;
  const total = p.reduce((s, x) => s + x, 0);
  return p.map((x) => x / total);
}

function drawCategorical(p: number[], rng: Rng): number {
  let u = rng.uniform();
  for (let i = 0; i < p.length; i++) {
    u -= p[i];
    if (u < 0) return i;
  }
  return p.length - 1;
}

/** The standard normal CDF. */
export function normalCdf(z: number): number {
  return 0.5 * (1 + erf(z / Math.SQRT2));
}

/**
 * erf in double precision: its series with positive terms below 2.5, erfc's continued
 * fraction above (each converges fast where it is used; about 1e-12 absolute). The kernels'
 * float32 erf would be too coarse for the truncation masses of narrow kernels near a bound.
 */
function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let term = ax, sum = ax;
    for (let n = 1; n < 200; n++) {
      term *= (2 * ax * ax) / (2 * n + 1);
      sum += term;
      if (term < 1e-17 * sum) break;
    }
    const r = (2 / Math.sqrt(Math.PI)) * Math.exp(-ax * ax) * sum;
    return x < 0 ? -r : r;
  }
  // erfc by its continued fraction, for |x| >= 2.5.
  let f = 0;
  for (let n = 60; n >= 1; n--) f = n / 2 / (ax + f);
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
  return x < 0 ? erfc - 1 : 1 - erfc;
}
