/**
 * A sampler suggests the parameters of a space study's next trial from the trials that ended
 * before it. Every suggestion is a pure function of (space, history, trial number) and the
 * sampler's own settings (its seed), so whichever process asks gets the same answer.
 */
import { Rng } from '../../tensor/rng.js';
import { sampleParam, type Param } from './space.js';

/** A finished trial as a sampler sees it: its parameter values by path, and its loss (lower is better). */
export interface Observation {
  params: Record<string, unknown>;
  loss: number;
}

export interface Sampler {
  /** The strategy it implements, as a study file names it. */
  readonly name: string;
  /** The parameters of trial `trial` (numbered from 0), given the ended trials it may use. */
  suggest(space: Param[], history: Observation[], trial: number): Record<string, unknown>;
}

/** Random search: each trial's values drawn uniformly, ignoring the history. */
export class RandomSampler implements Sampler {
  readonly name = 'random';

  constructor(readonly seed: number) {}

  suggest(space: Param[], _history: Observation[], trial: number): Record<string, unknown> {
    const rng = new Rng(trialSeed(this.seed, trial));
    const out: Record<string, unknown> = {};
    for (const p of space) out[p.path] = sampleParam(p, rng);
    return out;
  }
}

/** A seed for trial `trial` of a study seeded `seed`: independent streams per trial. */
export function trialSeed(seed: number, trial: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ (trial + 0x7f4a7c15), 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}
