import { ConfigError, DataError, ShapeError } from '../errors.js';

/** Precision, recall, F1 and support of one class. */
export interface ClassReport {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  /** Number of samples whose true label is this class. */
  support: number;
}

/** An average over classes; `support` is the total number of samples. */
export interface AverageScores {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/**
 * The numbers of scikit-learn's `classification_report` with its default `zero_division`
 * (a ratio whose denominator is zero counts as 0).
 */
export interface ClassificationReport {
  classes: ClassReport[];
  accuracy: number;
  /** Mean recall over the classes that have rows (scikit-learn's balanced_accuracy_score): chance is 1 / classes, whatever the imbalance. */
  balancedAccuracy: number;
  /** Unweighted mean over all classes, including classes with no support. */
  macro: AverageScores;
  /** Mean over classes weighted by support. */
  weighted: AverageScores;
}

function checkClasses(classes: number): void {
  if (!Number.isInteger(classes) || classes < 1) {
    throw new ConfigError('classes', classes, 'a positive integer');
  }
}

function checkPair(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): void {
  if (yTrue.length !== yPred.length) {
    throw new ShapeError(
      `yTrue has ${yTrue.length} labels but yPred has ${yPred.length}; they must be the same length`,
    );
  }
  if (yTrue.length === 0) {
    throw new ShapeError('yTrue and yPred are empty; metrics need at least one prediction');
  }
}

function checkLabels(name: string, labels: ArrayLike<number>, classes: number): void {
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i];
    if (!Number.isInteger(v) || v < 0 || v >= classes) {
      throw new DataError(name, `label ${v} at index ${i} is not an integer in [0, ${classes})`);
    }
  }
}

/** Fraction of positions where `yPred` equals `yTrue`. Example: `accuracy([0, 1, 1], [0, 1, 0])` is 2/3. */
export function accuracy(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  checkPair(yTrue, yPred);
  let correct = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) correct++;
  return correct / yTrue.length;
}

/**
 * Counts with rows = true class and columns = predicted class, as scikit-learn's
 * `confusion_matrix(y_true, y_pred, labels=range(classes))`.
 * Example: `confusionMatrix([0, 1, 1], [0, 0, 1], 2)` is `[[1, 0], [1, 1]]`.
 */
export function confusionMatrix(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, classes: number): number[][] {
  checkClasses(classes);
  checkPair(yTrue, yPred);
  checkLabels('yTrue', yTrue, classes);
  checkLabels('yPred', yPred, classes);
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < yTrue.length; i++) m[yTrue[i]][yPred[i]]++;
  return m;
}

/** A ratio whose denominator is zero counts as 0 (scikit-learn's default `zero_division`). */
function ratio(num: number, den: number): number {
  return den === 0 ? 0 : num / den;
}

/**
 * Per-class precision, recall, F1 and support, accuracy, and macro and weighted averages, for
 * labels `0 .. classes-1` (classes that never occur still get a row, with zeros where a ratio
 * has no denominator). Matches scikit-learn's `classification_report(..., labels=range(classes))`.
 * Example: `classificationReport(yTrue, yPred, 10, ['T-shirt', ...]).macro.f1`.
 */
export function classificationReport(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  classes: number,
  classNames?: string[],
): ClassificationReport {
  checkClasses(classes);
  if (classNames !== undefined && classNames.length !== classes) {
    throw new ConfigError('classNames', classNames, `${classes} names, one per class`);
  }
  const cm = confusionMatrix(yTrue, yPred, classes);
  const total = yTrue.length;
  const rows: ClassReport[] = [];
  let correct = 0;
  for (let c = 0; c < classes; c++) {
    const tp = cm[c][c];
    correct += tp;
    let predicted = 0;
    let support = 0;
    for (let k = 0; k < classes; k++) {
      predicted += cm[k][c];
      support += cm[c][k];
    }
    const precision = ratio(tp, predicted);
    const recall = ratio(tp, support);
    // F1 as the harmonic mean of the two ratios (scikit-learn computes it this way, so 0/0 gives 0).
    const f1 = ratio(2 * precision * recall, precision + recall);
    rows.push({ label: classNames ? classNames[c] : String(c), precision, recall, f1, support });
  }
  const mean = (key: 'precision' | 'recall' | 'f1') => rows.reduce((s, r) => s + r[key], 0) / classes;
  const weightedMean = (key: 'precision' | 'recall' | 'f1') =>
    rows.reduce((s, r) => s + r[key] * r.support, 0) / total;
  const present = rows.filter((r) => r.support > 0);
  return {
    classes: rows,
    accuracy: correct / total,
    balancedAccuracy: present.reduce((s, r) => s + r.recall, 0) / Math.max(1, present.length),
    macro: { precision: mean('precision'), recall: mean('recall'), f1: mean('f1'), support: total },
    weighted: {
      precision: weightedMean('precision'),
      recall: weightedMean('recall'),
      f1: weightedMean('f1'),
      support: total,
    },
  };
}

/** One off-diagonal cell of a confusion matrix: how often `actual` was predicted as `predicted`. */
export interface Confusion {
  actual: number;
  predicted: number;
  count: number;
}

/**
 * The `n` largest off-diagonal cells of a confusion matrix (rows actual, columns predicted),
 * largest first; ties in row, then column order. Cells of count 0 are left out. Runs in one
 * pass over the matrix with a bounded list, so it scales to thousands of classes.
 * Example: `topConfusions([[5, 1], [3, 4]], 1)` is `[{ actual: 1, predicted: 0, count: 3 }]`.
 */
export function topConfusions(matrix: number[][], n: number): Confusion[] {
  const top: Confusion[] = [];
  if (n <= 0) return top;
  const worse = (a: Confusion, b: Confusion) => a.count < b.count || (a.count === b.count && (a.actual > b.actual || (a.actual === b.actual && a.predicted > b.predicted)));
  for (let i = 0; i < matrix.length; i++) {
    const row = matrix[i];
    for (let j = 0; j < row.length; j++) {
      if (i === j || row[j] <= 0) continue;
      const c = { actual: i, predicted: j, count: row[j] };
      if (top.length === n && !worse(top[n - 1], c)) continue;
      let at = top.length < n ? top.length : n - 1;
      if (top.length < n) top.push(c);
      else top[at] = c;
      while (at > 0 && worse(top[at - 1], top[at])) {
        [top[at - 1], top[at]] = [top[at], top[at - 1]];
        at--;
      }
    }
  }
  return top;
}
