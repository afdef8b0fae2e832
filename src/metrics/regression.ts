/**
 * Regression scores of predictions against actual values, in float64: the coefficient of
 * determination R^2, root mean squared error and mean absolute error, as scikit-learn's
 * r2_score, root_mean_squared_error and mean_absolute_error compute them.
 */
export interface RegressionScores {
  rows: number;
  /** 1 - residual sum of squares / total sum of squares around the actual mean; 1 is perfect, 0 is the mean's score. */
  r2: number;
  rmse: number;
  mae: number;
}

/**
 * Score `predicted` against `actual` (same length). A constant `actual` gives R^2 1 when every
 * prediction is exact and 0 otherwise (scikit-learn's rule, so R^2 stays finite); one row has
 * no R^2 (NaN).
 */
export function regressionScores(actual: ArrayLike<number>, predicted: ArrayLike<number>): RegressionScores {
  const n = actual.length;
  if (n === 0) return { rows: 0, r2: NaN, rmse: NaN, mae: NaN };
  // Sums over values divided by the largest magnitude, so targets near 1e308 do not overflow.
  let scale = 0;
  for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(actual[i]), Number.isFinite(predicted[i]) ? Math.abs(predicted[i]) : 0);
  if (!(scale > 0) || !Number.isFinite(scale)) scale = 1;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += actual[i] / scale;
  mean /= n;
  let ssRes = 0, ssTot = 0, abs = 0;
  for (let i = 0; i < n; i++) {
    const d = actual[i] / scale - predicted[i] / scale;
    ssRes += d * d;
    abs += Math.abs(d);
    ssTot += (actual[i] / scale - mean) ** 2;
  }
  // R² of a single row is undefined (scikit-learn warns and gives NaN).
  const r2 = n < 2 ? NaN : ssTot > 0 ? 1 - ssRes / ssTot : ssRes === 0 ? 1 : 0;
  return { rows: n, r2, rmse: Math.sqrt(ssRes / n) * scale, mae: (abs / n) * scale };
}
