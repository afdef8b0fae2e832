/**
 * The study file resolved: which data, which base model, which factors with which values, how
 * to search them, how many seeds per configuration, and how to pick the combined winner (its
 * sections and defaults are in schema.ts). Everything is validated when the file is loaded:
 * every factor path and every value is merged into the base model and checked by
 * `resolveRun`, so a typo fails before any training starts, naming the factor.
 */
import { createHash } from 'node:crypto';
import { PRESETS, mergeSpecs, networkSchema, networkToModelOptions, resolveRun, type ResolvedRun, type RunSpec } from '../../run/spec.js';
import { ConfigError } from '../../errors.js';
import { trainSchema } from '../../train/options.js';
import { parseConfig } from '../../validate.js';
import type { PrunerConfig } from '../search/pruners.js';
import { resolveSpace, type Param } from '../search/space.js';
import { studySchema, type ParsedStudy } from './schema.js';
import { defaultMetric, storedPerEpoch, type StudyMetric } from './metrics.js';

/** Grids larger than this are refused: they would take days; random search samples them instead. */
export const MAX_GRID_CONFIGS = 5000;

export type Strategy =
  | { type: 'one-at-a-time' }
  | { type: 'grid' }
  | { type: 'random'; trials: number; seed: number }
  | { type: 'tpe'; trials: number; seed: number; startupTrials: number; candidates: number };
export { inTargetUnits, isFraction, metricDirection, metricName, metricOf, metricTask, storedPerEpoch, type StudyMetric, type StudyTask } from './metrics.js';

/** One validated factor: its label, option path, and values (as given and as display text). */
export interface Factor {
  name: string;
  path: string;
  values: unknown[];
  labels: string[];
  /** Index of the base model's value in `values`, or -1 when the base value is not among them. */
  baseIndex: number;
}

/** A study file after validation, with defaults filled in. */
export interface ResolvedStudy {
  name: string;
  /** Where the study came from, as messages name it (the study file, or `study "NAME"` for a stored one); '' when unnamed. */
  file: string;
  data: ParsedStudy['data'];
  /** The base run (network and train, data options from `data`). */
  base: ResolvedRun;
  /** The base as a RunSpec (what factor values are merged into). */
  baseSpec: RunSpec;
  /** Factor studies: the factors (empty when the study searches a space). */
  factors: Factor[];
  /** Space studies (TPE, random over ranges): the parameters (empty in factor studies). */
  space: Param[];
  strategy: Strategy;
  pruner: PrunerConfig;
  /** Search trials that may run at once when later ones depend on earlier results (see {@link dependsOnEarlier}). */
  parallelTrials: number;
  seeds: number;
  metric: StudyMetric;
  /** k-fold cross-validation of every trial, or null for the validation part alone. */
  cv: number | null;
  alpha: number;
  combine: ParsedStudy['combine'];
  final: ParsedStudy['final'];
  /** The model `final.compareWith` names, trained and tested beside the final model; null without one. */
  reference: { label: string; spec: RunSpec; run: ResolvedRun } | null;
  /** Threads per trial as the file gives them (undefined: the cores divided among the workers). */
  threads: number | 'auto' | undefined;
  /** Hash of the canonical config: a study folder belongs to exactly one. */
  hash: string;
  /** The canonical config (what is hashed). */
  canonical: unknown;
  /** The study file as given, with its name: what a study database stores, so any worker resolves this same study. */
  input: Record<string, unknown>;
}

/** A run in one line: "512-256 relu, batch norm, dropout 0.3; adamw, lr 0.001, weight decay 0.0001, batch 128, cosine, label smoothing 0.1". */
export function describeRun(run: ResolvedRun): string {
  const n = networkToModelOptions(run.network, 1, 2);
  const t = run.train;
  const same = <T>(xs: T[]) => xs.every((x) => JSON.stringify(x) === JSON.stringify(xs[0]));
  const per = <T>(xs: T[], f: (x: T) => string) => (same(xs) ? f(xs[0]) : xs.map(f).join('/'));
  const layers = n.hidden;
  const net = [
    layers.length ? layers.map((l) => l.width).join('-') : 'no hidden layer',
    ...(layers.length ? [per(layers.map((l) => l.activation), String), per(layers.map((l) => l.batchNorm), (b) => (b ? 'batch norm' : 'no batch norm')), `dropout ${per(layers.map((l) => l.dropout), String)}`] : []),
  ];
  const opt = [t.optimizer === 'sgd' ? `sgd, momentum ${t.momentum}${t.nesterov ? ' (Nesterov)' : ''}` : t.optimizer, `lr ${t.learningRate}`, `weight decay ${t.weightDecay}`, `batch ${t.batchSize}`];
  if (t.schedule.type !== 'constant') opt.push(t.schedule.type);
  if (t.labelSmoothing > 0) opt.push(`label smoothing ${t.labelSmoothing}`);
  return `${net.join(', ')}; ${opt.join(', ')}`;
}

/** Whether search trials depend on earlier ones' results (TPE suggests from them, a pruner judges against them). */
export function dependsOnEarlier(study: Pick<ResolvedStudy, 'strategy' | 'pruner'>): boolean {
  return study.strategy.type === 'tpe' || study.pruner.type !== 'none';
}

/** What a study varies and how, in a few words: "9 factors, one-at-a-time, 3 seeds per configuration" or "6 parameters, tpe, 40 trials". */
export function describeStudy(study: ResolvedStudy): string {
  const s = study.strategy;
  const pruning = (study.pruner.type !== 'none' ? `, ${study.pruner.type} pruning` : '') + (study.cv !== null ? `, each trial ${study.cv}-fold cross-validated` : '');
  if (study.space.length > 0) return `${study.space.length} parameter${study.space.length === 1 ? '' : 's'}, ${s.type}, ${'trials' in s ? s.trials : 0} trials${pruning}`;
  return `${study.factors.length} factor${study.factors.length === 1 ? '' : 's'}, ${s.type}, ${study.seeds} seed${study.seeds === 1 ? '' : 's'} per configuration${pruning}`;
}

/** Paths a factor may vary: every option of `network` and `train` except the seed (seeds are the study's own) and the diagnostics (they change nothing learned). */
export function factorPaths(): string[] {
  const net = Object.keys(networkSchema.shape).map((k) => `network.${k}`);
  const train = Object.keys(trainSchema.shape)
    // Not the seed (the study's own), diagnostics (they change nothing learned), nor what a trial does not train (folds, more networks).
    .filter((k) => !['seed', 'diagnostics', 'cv', 'cvRepeats', 'ensemble'].includes(k))
    .map((k) => `train.${k}`);
  return [...net, ...train];
}

/**
 * Validate a study config (parsed JSON) and resolve it. Throws ConfigError naming the field:
 * `factors[2].path` for an unknown option, `factors[1].values[0]` for a value of the wrong type.
 * `file` prefixes field names in messages.
 *
 * @example
 * const study = resolveStudy(JSON.parse(await readFile('examples/seed-study.json', 'utf8')), 'seed-study.json');
 */
export function resolveStudy(input: unknown, file = '', fallbackName = 'study'): ResolvedStudy {
  const ctx = file ? `${file}: ` : '';
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new ConfigError(file || '(study)', input, 'a JSON object with data, base, factors and strategy');
  }
  const wrap = <T>(f: () => T): T => {
    try {
      return f();
    } catch (e) {
      if (e instanceof ConfigError && ctx) throw new ConfigError(ctx + e.field, e.value, e.expected);
      throw e;
    }
  };
  const parsed = wrap(() => parseConfig(studySchema, input, '') as ParsedStudy);
  return wrap(() => {
    let baseSpec = baseRunSpec(parsed.base);
    const trainOverride: Record<string, unknown> = {};
    if (parsed.epochs !== undefined) trainOverride.epochs = parsed.epochs;
    if (parsed.earlyStopping !== undefined) trainOverride.earlyStopping = parsed.earlyStopping;
    baseSpec = mergeSpecs(baseSpec, { train: trainOverride });
    const { source: _s, trainRows: _t, seed: _d, labelColumn: _l, header: _h, delimiter: _del, skipRows: _skip, task: _task, ...dataOptions } = parsed.data;
    baseSpec = { ...baseSpec, data: dataOptions };
    const base = resolveRun(baseSpec, 'base');
    const strategy: Strategy = typeof parsed.strategy === 'string' ? { type: parsed.strategy } : parsed.strategy;
    if (parsed.factors && parsed.space) {
      throw new ConfigError('space', 'given with factors', 'either "factors" (listed values: one-at-a-time, grid, random) or "space" (ranges: tpe, random), not both');
    }
    if (!parsed.factors && !parsed.space) {
      throw new ConfigError('factors', undefined, 'a list of factors [{path, values}], or a "space" of ranges [{path, low, high}] for a TPE or random search');
    }
    if (parsed.space && strategy.type !== 'tpe' && strategy.type !== 'random') {
      throw new ConfigError('strategy', strategy.type, `{"type": "tpe", "trials": N} or {"type": "random", "trials": N}: a space of ranges is sampled, not enumerated`);
    }
    if (!parsed.space && strategy.type === 'tpe') {
      throw new ConfigError('space', undefined, 'a search space [{path, low, high[, log][, int]} or {path, choices}]: TPE samples ranges, not listed factors');
    }
    const space = parsed.space ? resolveSearchSpace(parsed.space, baseSpec) : [];
    const factors = parsed.factors ? resolveFactors(parsed.factors, baseSpec, base) : [];
    const raw = input as Record<string, unknown>;
    if (space.length > 0 && raw.seeds !== undefined && raw.seeds !== 1) {
      throw new ConfigError('seeds', raw.seeds, '1 (or no "seeds"): a search over a space trains each suggestion once, with the base seed');
    }
    const seeds = space.length > 0 ? 1 : parsed.seeds;
    checkPruner(parsed.pruner, base.train.epochs);
    // Without a metric, a regression (when the file says it is one) is judged by R²; otherwise
    // by accuracy until the data is loaded (task.ts settles it then).
    const metric = parsed.metric ?? defaultMetric(parsed.data.task === 'regress' ? 'regress' : 'classify');
    if (base.train.cv !== null) {
      throw new ConfigError('base.train.cv', base.train.cv, 'null: a study cross-validates its trials with "cv" at the top of the study file');
    }
    if (parsed.pruner.type !== 'none' && parsed.cv !== null) {
      throw new ConfigError('pruner', parsed.pruner.type, "'none' with cv: a cross-validated trial trains its folds one after another, so there is no one curve to prune by");
    }
    checkPrunedMetric(parsed.pruner, metric, parsed.metric === undefined);
    const reference = parsed.final.compareWith === undefined ? null : resolveReference(parsed.final.compareWith, dataOptions, trainOverride);
    if (strategy.type === 'grid') {
      const size = factors.reduce((n, f) => n * f.values.length, 1);
      if (size > MAX_GRID_CONFIGS) {
        throw new ConfigError('strategy', 'grid', `a grid of at most ${MAX_GRID_CONFIGS} configurations (this one has ${size}); use {"type": "random", "trials": N} to sample it`);
      }
    }
    const name = parsed.name ?? fallbackName;
    // numericBins only when given bins, so the identity of studies written before it is unchanged.
    const { numericBins, ...data } = parsed.data;
    const canonical = {
      data: numericBins ? parsed.data : data,
      base: canonicalRun(base),
      factors: factors.map((f) => ({ name: f.name, path: f.path, values: f.values })),
      ...(space.length ? { space } : {}),
      strategy,
      ...(parsed.pruner.type !== 'none' ? { pruner: parsed.pruner } : {}),
      ...(strategy.type === 'tpe' || parsed.pruner.type !== 'none' ? { parallelTrials: parsed.parallelTrials } : {}),
      seeds,
      metric,
      // Absent when null, so the identity of studies written before cross-validation is unchanged.
      ...(parsed.cv !== null ? { cv: parsed.cv } : {}),
      alpha: parsed.alpha,
      combine: parsed.combine,
      final: parsed.final,
    };
    return {
      name,
      file,
      data: parsed.data,
      base,
      baseSpec,
      factors,
      space,
      strategy,
      pruner: parsed.pruner,
      parallelTrials: parsed.parallelTrials,
      seeds,
      metric,
      cv: parsed.cv,
      alpha: parsed.alpha,
      combine: parsed.combine,
      final: parsed.final,
      reference,
      threads: parsed.threads,
      hash: hashJson(canonical),
      canonical,
      input: { ...(input as Record<string, unknown>), name },
    };
  });
}

/**
 * Check a space against the base model: each path is a run option a study may vary, and its
 * bounds (or every choice) make a valid run, so a bad range fails before any training.
 */
function resolveSearchSpace(input: NonNullable<ParsedStudy['space']>, baseSpec: RunSpec): Param[] {
  const allowed = factorPaths();
  const space = resolveSpace(input, 'space');
  const base = resolveRun(baseSpec, 'base');
  space.forEach((p, i) => {
    const top = p.path.split('.').slice(0, 2).join('.');
    if (!allowed.includes(top)) throw new ConfigError(`space[${i}].path`, p.path, `a run option; allowed: ${allowed.join(', ')}`);
    const tries: [string, unknown][] = p.kind === 'choice' ? p.choices.map((c, j) => [`choices[${j}]`, c]) : [['low', p.low], ['high', p.high]];
    for (const [field, v] of tries) {
      try {
        resolveRun(applyOverrides(baseSpec, [[p.path, spaceValue(base, p.path, v)]]), 'base');
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        const inner = e.field.replace(/^base\./, '');
        throw new ConfigError(`space[${i}].${field}`, v, `${inner === p.path ? e.expected : `a value that makes a valid run (${inner}: ${e.expected})`} for ${p.path}`);
      }
    }
  });
  return space;
}

/**
 * The option value a sampled value sets: a number for a per-layer option (widths, dropout,
 * activations as a single choice) becomes a one-entry list, which every hidden layer repeats.
 */
export function spaceValue(base: ResolvedRun, path: string, v: unknown): unknown {
  const [section, key, ...rest] = path.split('.') as ['network' | 'train', string];
  const current = rest.length ? undefined : (base[section] as Record<string, unknown>)[key];
  return Array.isArray(current) && !Array.isArray(v) ? [v] : v;
}

/**
 * A pruner compares the epochs of stored trials, which keep validation accuracy and loss: a
 * study pruned by another metric is refused (`defaulted`: the metric was chosen for the data).
 */
export function checkPrunedMetric(p: PrunerConfig, metric: StudyMetric, defaulted: boolean): void {
  if (p.type === 'none' || storedPerEpoch(metric)) return;
  const why = defaulted ? ` (the default for a regression; set "metric": "valLoss" to prune by the validation loss)` : '';
  throw new ConfigError('pruner', p.type, `'none' with metric ${metric}${why}: a pruner compares the epochs of stored trials, which keep validation accuracy and loss (metric valAccuracy or valLoss)`);
}

/** A pruner's warm-up must leave epochs to prune in. */
function checkPruner(p: PrunerConfig, epochs: number): void {
  if (p.type === 'median' && p.warmupEpochs >= epochs) {
    throw new ConfigError('pruner.warmupEpochs', p.warmupEpochs, `fewer than the ${epochs} epochs a trial trains (a warm-up that long never prunes)`);
  }
  if (p.type === 'successive-halving' && p.minEpochs >= epochs) {
    throw new ConfigError('pruner.minEpochs', p.minEpochs, `fewer than the ${epochs} epochs a trial trains (the first rung must come before the end)`);
  }
}

/** The model `final.compareWith` names, with the study's data options and its training overrides (epochs, early stopping), as the base gets them. */
function resolveReference(compareWith: unknown, dataOptions: RunSpec['data'], trainOverride: Record<string, unknown>): NonNullable<ResolvedStudy['reference']> {
  let spec: RunSpec;
  try {
    spec = { ...mergeSpecs(baseRunSpec(compareWith), { train: trainOverride }), data: dataOptions };
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError(`final.compareWith${e.field === 'base' ? '' : e.field.slice(4)}`, e.value, e.expected);
    throw e;
  }
  const run = resolveRun(spec, 'final.compareWith');
  return { label: typeof compareWith === 'string' ? `the original study's ${compareWith} model` : 'the reference model', spec, run };
}

function baseRunSpec(base: unknown): RunSpec {
  if (typeof base === 'string') {
    if (base === 'default' || base === 'final' || base === 'study-default' || base === 'study-final') return structuredClone(PRESETS[base]);
    throw new ConfigError('base', base, "a preset name ('study-default', 'study-final', or their old names 'default', 'final') or {network, train}");
  }
  if (base === null || typeof base !== 'object' || Array.isArray(base)) {
    throw new ConfigError('base', base, "a preset name ('study-default', 'study-final', or their old names 'default', 'final') or {network, train}");
  }
  if ('data' in base) {
    throw new ConfigError('base.data', (base as { data: unknown }).data, 'no data options here: they belong in the study\'s "data" section');
  }
  return base as RunSpec;
}

function resolveFactors(input: NonNullable<ParsedStudy['factors']>, baseSpec: RunSpec, base: ResolvedRun): Factor[] {
  const allowed = factorPaths();
  const seenPaths = new Map<string, number>();
  const seenNames = new Map<string, number>();
  const baseKey = configKey(base);
  return input.map((f, i) => {
    const top = f.path.split('.').slice(0, 2).join('.');
    if (f.path.startsWith('data.')) {
      throw new ConfigError(`factors[${i}].path`, f.path, 'a network or train option: data options are fixed for a study (the data is prepared once)');
    }
    if (f.path === 'train.seed') throw new ConfigError(`factors[${i}].path`, f.path, 'a network or train option: seeds are set by the study\'s "seeds"');
    if (!allowed.includes(top)) {
      throw new ConfigError(`factors[${i}].path`, f.path, `a run option; allowed: ${allowed.join(', ')}`);
    }
    const prev = seenPaths.get(f.path);
    if (prev !== undefined) throw new ConfigError(`factors[${i}].path`, f.path, `a path not already varied (factors[${prev}] varies it)`);
    seenPaths.set(f.path, i);
    const name = f.name ?? f.path.split('.').pop()!;
    const prevName = seenNames.get(name);
    if (prevName !== undefined) throw new ConfigError(`factors[${i}].name`, name, `a name not already used (factors[${prevName}] has it); set "name"`);
    seenNames.set(name, i);
    const keys = new Map<string, number>();
    let baseIndex = -1;
    f.values.forEach((v, j) => {
      let run: ResolvedRun;
      try {
        run = resolveRun(applyOverrides(baseSpec, [[f.path, v]]), 'base');
      } catch (e) {
        if (e instanceof ConfigError) {
          const inner = e.field.replace(/^base\./, '');
          const expected = inner === f.path ? e.expected : `a value that makes a valid run (${inner}: ${e.expected})`;
          throw new ConfigError(`factors[${i}].values[${j}]`, v, `${expected} for ${f.path}`);
        }
        throw e;
      }
      const key = configKey(run);
      const dup = keys.get(key);
      if (dup !== undefined) throw new ConfigError(`factors[${i}].values[${j}]`, v, `a value different from values[${dup}] (both give the same model)`);
      keys.set(key, j);
      if (key === baseKey) baseIndex = j;
    });
    return { name, path: f.path, values: f.values, labels: f.values.map(valueLabel), baseIndex };
  });
}

/** Set `path` (dotted) to `value` in a copy of `spec`, for each override in order. */
export function applyOverrides(spec: RunSpec, overrides: [string, unknown][]): RunSpec {
  let out: RunSpec = spec;
  for (const [path, value] of overrides) {
    out = setIn(out, path.split('.'), value);
  }
  return out;
}

function setIn<T>(obj: T, parts: string[], value: unknown): T {
  if (parts.length === 0) return value as T;
  const src = (obj !== null && typeof obj === 'object' && !Array.isArray(obj) ? obj : {}) as Record<string, unknown>;
  return { ...src, [parts[0]]: setIn(src[parts[0]], parts.slice(1), value) } as T;
}

/**
 * The run as it will train, independent of how it was written: per-layer hidden options
 * (so `layers: 2` and a two-width list compare equal) and the training options without the
 * seed. Two runs with the same canonical form train the same model.
 */
export function canonicalRun(run: ResolvedRun): unknown {
  const { seed: _seed, loss, ...rest } = run.train;
  // The loss only when chosen, so runs written before regression keep their keys (and studies their hash).
  const train = loss === 'auto' ? rest : { ...rest, loss };
  return { hidden: networkToModelOptions(run.network, 1, 1).hidden, init: run.network.init, train };
}

/** A short stable key of a run (hash of its canonical form). */
export function configKey(run: ResolvedRun): string {
  return hashJson(canonicalRun(run));
}

/** SHA-256 (first 16 hex digits) of JSON with sorted keys. */
export function hashJson(value: unknown): string {
  return createHash('sha256').update(stableStringify(value)).digest('hex').slice(0, 16);
}

/** JSON with object keys sorted, so equal values give equal text. */
export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
}

/** How a factor value is shown: 0.2, [128,64], relu/gelu, on/off. */
export function valueLabel(v: unknown): string {
  if (typeof v === 'boolean') return v ? 'on' : 'off';
  if (Array.isArray(v)) return `[${v.map((x) => (typeof x === 'string' ? x : valueLabel(x))).join(',')}]`;
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  return JSON.stringify(v);
}
