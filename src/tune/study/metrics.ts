/**
 * The metrics a study may judge its configurations by: which task each belongs to, which way
 * is better, how it is shown, and whether the stored epochs of a trial hold it (what a pruner
 * reads back). Classification: accuracy, balanced accuracy, macro F1 (fractions shown in
 * percent); regression: R² (a plain number), RMSE and MAE (in the target's units); the
 * validation loss suits both.
 */
import type { EpochRecord } from '../../metrics/history-types.js';

export const STUDY_METRICS = ['valAccuracy', 'valLoss', 'valBalancedAccuracy', 'valMacroF1', 'valR2', 'valRmse', 'valMae'] as const;
export type StudyMetric = (typeof STUDY_METRICS)[number];

/** What a study's data is: labels that are classes, or a number to predict. */
export type StudyTask = 'classify' | 'regress';

interface MetricInfo {
  /** In words, as reports write it. */
  name: string;
  /** +1 when larger is better. */
  direction: 1 | -1;
  /** The task it scores; null: either (the loss). */
  task: StudyTask | null;
  /** 'fraction': shown in percent; 'plain': a number (the loss, R²); 'target': in the target's units. */
  scale: 'fraction' | 'plain' | 'target';
  /** Whether the stored epochs of a trial hold it (accuracy and loss have columns of their own). */
  perEpoch: boolean;
}

const METRICS: Record<StudyMetric, MetricInfo> = {
  valAccuracy: { name: 'validation accuracy', direction: 1, task: 'classify', scale: 'fraction', perEpoch: true },
  valLoss: { name: 'validation loss', direction: -1, task: null, scale: 'plain', perEpoch: true },
  valBalancedAccuracy: { name: 'validation balanced accuracy', direction: 1, task: 'classify', scale: 'fraction', perEpoch: false },
  valMacroF1: { name: 'validation macro F1', direction: 1, task: 'classify', scale: 'fraction', perEpoch: false },
  valR2: { name: 'validation R²', direction: 1, task: 'regress', scale: 'plain', perEpoch: false },
  valRmse: { name: 'validation RMSE', direction: -1, task: 'regress', scale: 'target', perEpoch: false },
  valMae: { name: 'validation MAE', direction: -1, task: 'regress', scale: 'target', perEpoch: false },
};

/** The metric a study judges by when its file names none: accuracy for classes, R² for a regression. */
export function defaultMetric(task: StudyTask): StudyMetric {
  return task === 'regress' ? 'valR2' : 'valAccuracy';
}

/** The metrics that score `task`, listed for messages: "'valR2', 'valRmse', 'valMae' or 'valLoss'". */
export function metricsFor(task: StudyTask): string {
  // The default first, the loss (either task's) last.
  const rank = (m: StudyMetric) => (m === defaultMetric(task) ? 0 : METRICS[m].task === null ? 2 : 1);
  const names = STUDY_METRICS.filter((m) => METRICS[m].task === task || METRICS[m].task === null).sort((a, b) => rank(a) - rank(b));
  return `${names.slice(0, -1).map((m) => `'${m}'`).join(', ')} or '${names[names.length - 1]}'`;
}

/** A study metric read off an epoch's record (NaN where the record does not hold it). */
export function metricOf(r: Pick<EpochRecord, 'valAccuracy' | 'valLoss' | 'valBalancedAccuracy' | 'valMacroF1' | 'valR2' | 'valRmse' | 'valMae'>, metric: StudyMetric): number {
  const v = r[metric];
  return v === undefined ? NaN : v;
}

/** +1 when larger is better (accuracy, R²), -1 when smaller is (loss, RMSE, MAE). */
export const metricDirection = (metric: StudyMetric): 1 | -1 => METRICS[metric].direction;

/** The task a metric scores, or null for the loss (either). */
export const metricTask = (metric: StudyMetric): StudyTask | null => METRICS[metric].task;

/** Whether a metric is a fraction shown in percent (the class metrics). */
export const isFraction = (metric: StudyMetric): boolean => METRICS[metric].scale === 'fraction';

/** Whether a metric is in the target's units (RMSE, MAE). */
export const inTargetUnits = (metric: StudyMetric): boolean => METRICS[metric].scale === 'target';

/** Whether the per-epoch records of the stored trials hold the metric (pruning reads them back from the store). */
export const storedPerEpoch = (metric: StudyMetric): boolean => METRICS[metric].perEpoch;

/** Whether the fit loop must measure the validation part's class metrics each epoch for this study metric. */
export const needsClassMetrics = (metric: StudyMetric): boolean => metric === 'valBalancedAccuracy' || metric === 'valMacroF1';

/** The study's metric in words: "validation R²". */
export const metricName = (metric: StudyMetric): string => METRICS[metric].name;
