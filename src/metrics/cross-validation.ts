/**
 * Cross-validation's scores as data: each fold's, and their mean, spread and a confidence
 * interval for the mean (the folds share rows, so the interval is a guide, not an exact one).
 */

/** One fold's model, scored on its held-out fold. */
export interface FoldScore {
  repeat: number;
  fold: number;
  trainRows: number;
  valRows: number;
  accuracy: number;
  balancedAccuracy: number;
  macroF1: number;
  loss: number;
  /** Regression: the fold's R^2, RMSE and MAE (the class scores are NaN). */
  r2?: number;
  rmse?: number;
  mae?: number;
  /** The epoch early stopping kept (on the fold's loss). */
  bestEpoch: number;
  epochs: number;
}

/** A metric over the folds: mean, sample standard deviation, and a 95% interval for the mean. */
export interface Spread {
  mean: number;
  sd: number;
  ci95: [number, number];
}

export interface CvSummary {
  folds: number;
  repeats: number;
  scores: FoldScore[];
  accuracy: Spread;
  balancedAccuracy: Spread;
  macroF1: Spread;
  loss: Spread;
  /** Regression: the folds' R^2, RMSE and MAE. */
  r2?: Spread;
  rmse?: Spread;
  mae?: Spread;
  /** Epochs for the final model: the mean of the folds' best epochs, rounded. */
  epochs: number;
}

/** The two-sided 97.5% quantile of Student's t with `df` degrees of freedom. */
function tQuantile(df: number): number {
  const table = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086];
  if (df < 1) return NaN;
  if (df <= table.length) return table[df - 1];
  return df <= 30 ? 2.042 + ((30 - df) / 10) * (2.086 - 2.042) : 1.96;
}

export function spread(values: number[]): Spread {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  const half = n > 1 ? (tQuantile(n - 1) * sd) / Math.sqrt(n) : 0;
  return { mean, sd, ci95: [mean - half, mean + half] };
}

