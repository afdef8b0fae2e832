/**
 * The report of one training run as a typed object: what the command line prints, the run
 * folder stores, report.html renders (html.ts) and the browser shows. Pure data, browser-safe.
 */
import { ConfigError } from '../errors.js';
import type { ClassificationReport } from '../metrics/classification.js';
import type { EpochRecord } from '../metrics/history-types.js';
import type { LayerFinding } from './layers.js';
import type { FirstLayerWeights } from './weights-image.js';

import type { CvSummary } from '../metrics/cross-validation.js';

/** A regression run's target and test scores (R^2, RMSE and MAE in the target's units). */
export interface RegressionReport {
  /** The target's name (the label column). */
  target: string;
  test: {
    rows: number;
    r2: number;
    rmse: number;
    mae: number;
    /** Test predictions for the figures: every row up to MAX_REGRESSION_POINTS, else that many spread evenly over the rows. */
    predictions: { index: number; predicted: number; actual: number }[];
  } | null;
}

/** Most test predictions a regression report keeps for its figures (the scores use every row). */
export const MAX_REGRESSION_POINTS = 2000;

/** Everything a run report shows. */
export interface RunReport {
  title: string;
  /** ISO 8601 time the run finished. */
  createdAt: string;
  /** The configuration the run used, as given (nested objects are shown with dotted keys). */
  config: Record<string, unknown>;
  /** What mlplab chose for the data when no network was given, and why. */
  choices?: { option: string; value: string; why: string }[];
  /** Cross-validation of the run on its training rows: each fold, and the spread. */
  cv?: CvSummary;
  /** A seed ensemble's networks, each scored alone on the test set (accuracy, or R^2 for regression). */
  ensemble?: { seed: number; testAccuracy?: number; testR2?: number }[];
  /** 'regress' for a regression run: then `test` is null and `regression` holds the test scores. Absent: classification. */
  task?: 'regress';
  regression?: RegressionReport;
  data: {
    source: string;
    trainRows: number;
    valRows: number;
    testRows: number;
    features: number;
    classes: number;
    classNames: string[];
    /** Pre-processing steps in order, each with what it did ("dropped 12 rows holding NaN"). */
    steps: { name: string; summary: string; warning?: boolean }[];
    /** A table's columns: how each was typed, its blanks and distinct values, and why. */
    columns?: { name: string; role: string; missing: number; distinct: number; why: string }[];
  };
  history: EpochRecord[];
  /** The epoch whose weights the model kept: the best one under early stopping, else the last. */
  bestEpoch: number;
  /** Set when early stopping ended the run. */
  stoppedEarly: { bestEpoch: number; restored: boolean } | null;
  /** Whether the best epoch's weights were put back at the end. */
  restoredBest: boolean;
  /** Whether training was stopped from outside (Ctrl-C, the page's Stop). */
  interrupted: boolean;
  test: {
    accuracy: number;
    loss: number;
    report: ClassificationReport;
    confusion: number[][];
    /** Test predictions in order; the report shows the last N. Labels are class indices. */
    predictions: { index: number; predicted: number; actual: number }[];
  } | null;
  /** Wall-clock seconds of the whole run. */
  seconds: number;
  /** What the layers say: findings from the per-layer statistics (none when all is well or diagnostics are off). */
  findings: LayerFinding[];
  /** The first layer's weights as images, when the inputs are image pixels and no PCA came first. */
  firstLayer: FirstLayerWeights | null;
}


/**
 * Checks the parts of a report that must agree (class counts, matrix shape, label ranges; for
 * a regression its one target, scores and prediction rows), so a malformed report fails with a
 * ConfigError naming the field instead of rendering nonsense.
 */
export function checkRunReport(r: RunReport): void {
  const k = r.data.classes;
  if (!Number.isInteger(k) || k < 1) throw new ConfigError('report.data.classes', k, 'a positive integer');
  if (r.data.classNames.length !== k) {
    throw new ConfigError('report.data.classNames', r.data.classNames, `${k} names, one per class`);
  }
  r.history.forEach((e, i) => {
    if (!Number.isFinite(e.epoch)) throw new ConfigError(`report.history[${i}].epoch`, e.epoch, 'a finite epoch number');
  });
  if (r.task !== undefined && r.task !== 'regress') throw new ConfigError('report.task', r.task, "'regress' or absent (classification)");
  if (r.task === 'regress') return checkRegression(r);
  if (r.regression !== undefined) throw new ConfigError('report.regression', 'present', "absent unless report.task is 'regress'");
  if (!r.test) return;
  const m = r.test.confusion;
  if (m.length !== k || m.some((row) => row.length !== k)) {
    throw new ConfigError('report.test.confusion', m, `a ${k} x ${k} matrix of counts`);
  }
  if (!(Math.abs(r.test.accuracy - r.test.report.accuracy) <= 1e-9)) {
    throw new ConfigError('report.test.accuracy', r.test.accuracy, `the classification report's accuracy ${r.test.report.accuracy}`);
  }
  if (r.test.report.classes.length !== k) {
    throw new ConfigError('report.test.report.classes', r.test.report.classes.length, `${k} rows, one per class`);
  }
  r.test.predictions.forEach((p, i) => {
    for (const key of ['predicted', 'actual'] as const) {
      if (!Number.isInteger(p[key]) || p[key] < 0 || p[key] >= k) {
        throw new ConfigError(`report.test.predictions[${i}].${key}`, p[key], `a class index in [0, ${k})`);
      }
    }
  });
}

/** A regression report: one target named as the report's one class, no classification scores, test rows that agree with the scores. */
function checkRegression(r: RunReport): void {
  if (r.data.classes !== 1) throw new ConfigError('report.data.classes', r.data.classes, '1 for a regression (its one target)');
  const reg = r.regression;
  if (!reg || typeof reg.target !== 'string') throw new ConfigError('report.regression', reg, "the target's name and the test scores, for a regression report");
  if (reg.target !== r.data.classNames[0]) throw new ConfigError('report.regression.target', reg.target, `the target named in report.data.classNames (${JSON.stringify(r.data.classNames[0])})`);
  if (r.test !== null) throw new ConfigError('report.test', 'classification scores', 'null for a regression report (its scores are in report.regression.test)');
  const t = reg.test;
  if (!t) return;
  if (!Number.isInteger(t.rows) || t.rows < 1) throw new ConfigError('report.regression.test.rows', t.rows, 'a positive number of test rows');
  // A diverged model's scores are NaN, which a report read back from JSON holds as null.
  const missing = (x: unknown) => x === null || Number.isNaN(x);
  for (const key of ['rmse', 'mae'] as const) {
    if (!(t[key] >= 0) && !missing(t[key])) throw new ConfigError(`report.regression.test.${key}`, t[key], 'a non-negative error (NaN when the predictions are not finite)');
  }
  if (!(t.r2 <= 1) && !missing(t.r2)) throw new ConfigError('report.regression.test.r2', t.r2, 'a number of at most 1');
  if (t.predictions.length > Math.min(t.rows, MAX_REGRESSION_POINTS)) {
    throw new ConfigError('report.regression.test.predictions', `${t.predictions.length} rows`, `at most ${Math.min(t.rows, MAX_REGRESSION_POINTS)} (the test rows, up to ${MAX_REGRESSION_POINTS})`);
  }
  let last = -1;
  t.predictions.forEach((p, i) => {
    if (!Number.isInteger(p.index) || p.index <= last || p.index >= t.rows) {
      throw new ConfigError(`report.regression.test.predictions[${i}].index`, p.index, `a test row in (${last}, ${t.rows}), rows in increasing order`);
    }
    last = p.index;
    if (!Number.isFinite(p.actual)) throw new ConfigError(`report.regression.test.predictions[${i}].actual`, p.actual, 'a finite target value');
    if (typeof p.predicted !== 'number' && p.predicted !== null) throw new ConfigError(`report.regression.test.predictions[${i}].predicted`, p.predicted, 'a number (null where JSON holds a non-finite one)');
  });
  // With every test row kept and predicted, the scores follow from the rows: they must be the same numbers.
  if (t.predictions.length === t.rows && t.predictions.every((p) => Number.isFinite(p.predicted))) {
    let se = 0;
    for (const p of t.predictions) se += (p.actual - p.predicted) ** 2;
    const rmse = Math.sqrt(se / t.rows);
    if (Number.isFinite(rmse) && !(Math.abs(rmse - t.rmse) <= 1e-9 * Math.max(1, rmse))) {
      throw new ConfigError('report.regression.test.rmse', t.rmse, `the RMSE of report.regression.test.predictions, ${rmse}`);
    }
  }
  if (r.ensemble?.some((e) => e.testR2 === undefined)) throw new ConfigError('report.ensemble', 'a member without testR2', "each network's test R² for a regression report");
}
