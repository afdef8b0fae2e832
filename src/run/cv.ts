/**
 * k-fold cross-validation of a run on its training rows: stratified folds drawn with the seed,
 * each fold's model fitted on the other folds (pre-processing included) and stopped early on its
 * own fold, the scores' mean, spread and confidence interval, and the epoch count the folds
 * chose for the final model, which is then refit on all the training rows (scikit-learn's
 * refit). Browser-safe.
 */
import { classCounts, countClasses, selectRows, type Dataset } from '../data/dataset.js';
import { prepare, type RawData } from '../data/prepare.js';
import { ConfigError } from '../errors.js';
import { Rng } from '../tensor/rng.js';
import type { Backend } from '../tensor/backend.js';
import type { ResolvedRun } from './spec.js';
import { spread, type CvSummary, type FoldScore } from '../metrics/cross-validation.js';
import { YieldToEvents } from '../train/callbacks.js';
import { evaluate, evaluateRegression, trainRun } from './train.js';

export type { CvSummary, FoldScore };

/**
 * Stratified fold of each row: within each class the rows are shuffled (seeded) and dealt to
 * the folds in turn, continuing from class to class so the folds' sizes differ by one at most.
 */
export function stratifiedFolds(labels: Int32Array, k: number, seed: number): Int32Array {
  const fold = new Int32Array(labels.length);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const rows = byClass.get(labels[i]);
    if (rows) rows.push(i);
    else byClass.set(labels[i], [i]);
  }
  const rng = new Rng(seed ^ 0xc0f01d);
  let next = 0;
  for (const c of [...byClass.keys()].sort((a, b) => a - b)) {
    for (const i of rng.shuffle(Int32Array.from(byClass.get(c)!))) fold[i] = next++ % k;
  }
  return fold;
}

/**
 * The most folds a prepared part allows the chosen runs' cross-validations: each fold holds a
 * row of every class, or for a regression 4 rows or more (an R² of fewer says little).
 */
export function mostFolds(p: { train: Dataset; classes: number; task: 'classify' | 'regress' }): number {
  return p.task === 'regress' ? Math.floor(p.train.rows / 4) : Math.min(...classCounts(p.train.labels, p.classes).filter((n) => n > 0));
}

export interface CvOptions {
  backend: Backend;
  signal?: AbortSignal;
  /** Called when a fold is done. */
  onFold?: (score: FoldScore, of: number) => void;
}

/**
 * Cross-validate `spec` on the training rows of `raw` (its test set is not looked at): folds =
 * spec.train.cv, repeats = spec.train.cvRepeats. Each fold's model stops early on its fold's
 * loss (patience as the spec's early stopping, else 10) within spec.train.epochs.
 * Throws ConfigError when a class has fewer rows than folds.
 */
export async function crossValidate(spec: ResolvedRun, raw: RawData, o: CvOptions): Promise<CvSummary> {
  const k = spec.train.cv!;
  const repeats = spec.train.cvRepeats;
  // Rows without a target are left out before the folds, as prepare leaves them out of a run.
  const t = raw.train.targets;
  const train = t && t.some((v) => !Number.isFinite(v)) ? selectRows(raw.train, Int32Array.from(t.keys()).filter((i) => Number.isFinite(t[i]))) : raw.train;
  if (train.targets && Math.floor(train.rows / k) < 2) {
    throw new ConfigError('train.cv', k, `at most ${Math.floor(train.rows / 2)} folds for ${train.rows} rows: each fold needs 2 held-out rows or more for an R²`);
  }
  const counts = classCounts(train.labels, countClasses(train));
  const present = counts.map((n, c) => [n, c]).filter(([n]) => n > 0);
  const [fewest, which] = present.reduce((a, b) => (b[0] < a[0] ? b : a));
  if (fewest < k) {
    if (train.targets) throw new ConfigError('train.cv', k, `at most ${fewest} folds for ${train.rows} rows (the folds are stratified by the target's deciles, ${fewest} rows each at fewest)`);
    const name = train.classNames?.[which] ?? String(which);
    throw new ConfigError('train.cv', k, `at most ${fewest} folds: the smallest class, ${JSON.stringify(name)}, has ${fewest} training rows, and each fold needs one of every class`);
  }
  const es = spec.train.earlyStopping;
  const foldSpec: ResolvedRun = {
    ...spec,
    train: { ...spec.train, earlyStopping: { monitor: 'valLoss', patience: es ? es.patience : 10, minDelta: es && es.monitor === 'valLoss' ? es.minDelta : 0, restoreBest: true } },
  };
  const scores: FoldScore[] = [];
  // Nothing awaits the folds' training from outside: it lets a stop (or Ctrl-C) in between epochs.
  const turns = new YieldToEvents();
  for (let r = 0; r < repeats; r++) {
    const fold = stratifiedFolds(train.labels, k, spec.train.seed + r);
    for (let f = 0; f < k; f++) {
      if (o.signal?.aborted) break;
      const tr: number[] = [], va: number[] = [];
      for (let i = 0; i < fold.length; i++) (fold[i] === f ? va : tr).push(i);
      const part = (rows: number[], what: string): Dataset => selectRows(train, rows, `${train.source ?? 'training data'} (${what} of fold ${f + 1})`);
      const prepared = prepare({ train: part(tr, 'training rows'), test: null, val: part(va, 'held-out rows') }, { ...spec.data, seed: spec.train.seed }, o.backend);
      const { model, result } = await trainRun({ train: prepared.train, val: prepared.val, classes: prepared.classes }, foldSpec, {
        backend: o.backend,
        signal: o.signal,
        classNames: prepared.classNames,
        callbacks: [turns],
      });
      try {
        const base = { repeat: r + 1, fold: f + 1, trainRows: prepared.train.rows, valRows: prepared.val.rows, bestEpoch: result.bestEpoch, epochs: result.history.length };
        let score: FoldScore;
        if (prepared.task === 'regress') {
          const ev = evaluateRegression(model, prepared.val);
          score = { ...base, accuracy: NaN, balancedAccuracy: NaN, macroF1: NaN, loss: ev.loss, r2: ev.r2, rmse: ev.rmse, mae: ev.mae };
        } else {
          const ev = evaluate(model, prepared.val, prepared.classNames);
          score = { ...base, accuracy: ev.accuracy, balancedAccuracy: ev.report.balancedAccuracy, macroF1: ev.report.macro.f1, loss: ev.loss };
        }
        scores.push(score);
        o.onFold?.(score, k * repeats);
      } finally {
        model.dispose();
      }
    }
  }
  if (scores.length === 0) throw new ConfigError('train.cv', k, 'folds that finish (cross-validation was interrupted before its first fold ended)');
  const of = (key: 'accuracy' | 'balancedAccuracy' | 'macroF1' | 'loss' | 'r2' | 'rmse' | 'mae') => spread(scores.map((s) => s[key] ?? NaN));
  const epochs = Math.max(1, Math.round(scores.reduce((a, s) => a + s.bestEpoch, 0) / scores.length));
  const regression = scores[0].r2 !== undefined ? { r2: of('r2'), rmse: of('rmse'), mae: of('mae') } : {};
  return { folds: k, repeats, scores, accuracy: of('accuracy'), balancedAccuracy: of('balancedAccuracy'), macroF1: of('macroF1'), loss: of('loss'), ...regression, epochs };
}
