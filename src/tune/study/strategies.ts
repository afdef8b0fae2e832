/**
 * Search strategies: which configurations a study trains. A configuration is the base model
 * with some factors set to one of their values; it is named by `levels`, one entry per
 * factor: the index of the value used, or null where the base model's own value stays.
 */
import { resolveRun, type ResolvedRun, type RunSpec } from '../../run/spec.js';
import { applyOverrides, configKey, spaceValue, type Factor, type ResolvedStudy } from './config.js';
import { Rng } from '../../tensor/rng.js';
import { formatParamValue } from '../search/space.js';
import { RandomSampler, type Sampler } from '../search/sampler.js';
import { TpeSampler } from '../search/tpe.js';

/** One configuration of a study: the base model with some factors set. */
export interface Configuration {
  /** Hash of the run as it trains: equal keys train the same model. */
  key: string;
  /** Per factor: index into its values, or null for the base model's value. */
  levels: (number | null)[];
  /** Space studies: the sampled value of every parameter, by option path (levels is then empty). */
  params?: Record<string, unknown>;
  /** Human label: "base", "dropout=0.2", "dropout=0.2, momentum=0.85". */
  label: string;
  spec: RunSpec;
  run: ResolvedRun;
}

/** The configuration with the given levels (null = keep the base value). */
export function configuration(study: ResolvedStudy, levels: (number | null)[]): Configuration {
  const overrides: [string, unknown][] = [];
  const parts: string[] = [];
  levels.forEach((j, i) => {
    if (j === null) return;
    const f = study.factors[i];
    overrides.push([f.path, f.values[j]]);
    if (j !== f.baseIndex) parts.push(`${f.name}=${f.labels[j]}`);
  });
  const spec = applyOverrides(study.baseSpec, overrides);
  const run = resolveRun(spec, 'base');
  return { key: configKey(run), levels: [...levels], label: parts.length ? parts.join(', ') : 'base', spec, run };
}

/** The configuration a space study's sampled `params` (by option path) make. */
export function spaceConfiguration(study: ResolvedStudy, params: Record<string, unknown>): Configuration {
  const overrides: [string, unknown][] = study.space.map((p) => [p.path, spaceValue(study.base, p.path, params[p.path])]);
  const spec = applyOverrides(study.baseSpec, overrides);
  const run = resolveRun(spec, 'base');
  const label = study.space.map((p) => `${p.name}=${formatParamValue(p, params[p.path])}`).join(', ');
  return { key: configKey(run), levels: [], params: { ...params }, label, spec, run };
}

/** A stored trial's configuration: from its sampled parameters in a space study, else from its factor levels. */
export function trialConfiguration(study: ResolvedStudy, t: { levels: (number | null)[]; params?: Record<string, unknown> | null }): Configuration {
  return t.params ? spaceConfiguration(study, t.params) : configuration(study, t.levels);
}

/** Levels of the base model: every factor at its base value (its index where listed). */
export function baseLevels(study: ResolvedStudy): (number | null)[] {
  return study.factors.map((f) => (f.baseIndex >= 0 ? f.baseIndex : null));
}

/**
 * The configurations of the study's strategy, without duplicates (two level settings that
 * train the same model keep the first):
 * - one-at-a-time: the base model, then each factor's values with the others at base;
 * - grid: every combination of values (factor 0 varies slowest);
 * - random: `trials` distinct combinations drawn uniformly (seeded), or the whole grid when
 *   it is no larger than that.
 */
export function expandStrategy(study: ResolvedStudy): Configuration[] {
  const out = new Map<string, Configuration>();
  const add = (levels: (number | null)[]) => {
    const c = configuration(study, levels);
    if (!out.has(c.key)) out.set(c.key, c);
  };
  const s = study.strategy;
  if (s.type === 'one-at-a-time') {
    const base = baseLevels(study);
    add(base);
    study.factors.forEach((f, i) => {
      for (let j = 0; j < f.values.length; j++) add(base.map((b, k) => (k === i ? j : b)));
    });
  } else if (s.type === 'grid') {
    for (const levels of gridLevels(study.factors)) add(levels);
  } else if (s.type === 'random' && study.space.length === 0) {
    for (const levels of randomLevels(study.factors, s.trials, s.seed)) add(levels);
  } else {
    // A space: random search draws every trial up front; TPE only its start-up trials (the rest follow the results).
    const upFront = s.type === 'tpe' ? Math.min(s.startupTrials, s.trials) : s.trials;
    const sampler = studySampler(study);
    return Array.from({ length: upFront }, (_, n) => spaceConfiguration(study, sampler.suggest(study.space, [], n)));
  }
  return [...out.values()];
}

/** The sampler of a space study: random search, or TPE with the strategy's settings. */
export function studySampler(study: ResolvedStudy): Sampler {
  const s = study.strategy;
  if (s.type === 'tpe') return new TpeSampler(s.seed, { startupTrials: s.startupTrials, candidates: s.candidates });
  if (s.type === 'random') return new RandomSampler(s.seed);
  throw new Error(`a ${s.type} study enumerates its factors: it has no sampler`);
}

/** Every combination of value indices, the first factor varying slowest. */
export function* gridLevels(factors: Factor[]): Generator<number[]> {
  const levels = factors.map(() => 0);
  if (factors.some((f) => f.values.length === 0)) return;
  while (true) {
    yield [...levels];
    let i = factors.length - 1;
    while (i >= 0 && ++levels[i] === factors[i].values.length) levels[i--] = 0;
    if (i < 0) return;
  }
}

/** `trials` distinct combinations drawn uniformly without replacement, in draw order. */
export function randomLevels(factors: Factor[], trials: number, seed: number): number[][] {
  const sizes = factors.map((f) => f.values.length);
  const total = sizes.reduce((n, k) => n * k, 1);
  const decode = (index: number) => {
    const levels = new Array<number>(sizes.length);
    for (let i = sizes.length - 1; i >= 0; i--) {
      levels[i] = index % sizes[i];
      index = Math.floor(index / sizes[i]);
    }
    return levels;
  };
  if (trials >= total) return [...gridLevels(factors)];
  const rng = new Rng(seed ^ 0x7a11);
  const picked = new Set<number>();
  const out: number[][] = [];
  while (out.length < trials) {
    // Grids here are at most a few million points; two draws give 53 uniform bits.
    const index = Math.floor((rng.uniform() + rng.uniform() / 4294967296) * total);
    if (picked.has(index)) continue;
    picked.add(index);
    out.push(decode(index));
  }
  return out;
}

/** The seeds every configuration runs with: base seed, base seed + 1, ... */
export function studySeeds(study: ResolvedStudy): number[] {
  return Array.from({ length: study.seeds }, (_, r) => study.base.train.seed + r);
}

/**
 * Neighbours of a candidate for the interaction check: for each factor considered, the
 * candidate with that factor one step down and one step up its value list, and back at the
 * base value. 'changed' considers the factors where the candidate differs from the base;
 * 'all' every factor. The candidate itself and duplicates are left out.
 */
export function neighbourLevels(study: ResolvedStudy, candidate: (number | null)[], which: 'changed' | 'all'): (number | null)[][] {
  const base = baseLevels(study);
  const out: (number | null)[][] = [];
  const seen = new Set<string>([JSON.stringify(candidate)]);
  const push = (levels: (number | null)[]) => {
    const k = JSON.stringify(levels);
    if (!seen.has(k)) {
      seen.add(k);
      out.push(levels);
    }
  };
  study.factors.forEach((f, i) => {
    const c = candidate[i];
    const changed = c !== base[i];
    if (which === 'changed' && !changed) return;
    const at = (v: number | null) => candidate.map((x, k) => (k === i ? v : x));
    if (c !== null) {
      if (c > 0) push(at(c - 1));
      if (c < f.values.length - 1) push(at(c + 1));
    } else if (f.values.length > 0) {
      push(at(0));
    }
    if (changed) push(at(base[i]));
  });
  return out;
}
