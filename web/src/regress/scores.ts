/**
 * Regression scores as the library computes them for a run (scikit-learn's r2_score,
 * root_mean_squared_error and mean_absolute_error), for what the page scores itself: a seed
 * ensemble's mean on the validation or training rows when there is no test set, and the known
 * function of the built-in data. Also the rows a predicted-against-actual figure shows.
 */

export interface ValueScores {
  rows: number;
  r2: number;
  rmse: number;
  mae: number;
}

/** R², RMSE and MAE of `predicted` against `actual`; a constant `actual` gives R² 1 when every prediction is exact, else 0. */
export function scoreValues(actual: ArrayLike<number>, predicted: ArrayLike<number>): ValueScores {
  const n = actual.length;
  if (n === 0) return { rows: 0, r2: NaN, rmse: NaN, mae: NaN };
  let mean = 0;
  for (let i = 0; i < n; i++) mean += actual[i];
  mean /= n;
  let ssRes = 0, ssTot = 0, abs = 0;
  for (let i = 0; i < n; i++) {
    const d = actual[i] - predicted[i];
    ssRes += d * d;
    abs += Math.abs(d);
    ssTot += (actual[i] - mean) ** 2;
  }
  return { rows: n, r2: ssTot > 0 ? 1 - ssRes / ssTot : ssRes === 0 ? 1 : 0, rmse: Math.sqrt(ssRes / n), mae: abs / n };
}

/** The most points a predicted-against-actual figure draws. */
export const MAX_POINTS = 1000;

/** At most `max` row indices of `n`, spread evenly over them (all of them when there are few enough). */
export function spreadRows(n: number, max = MAX_POINTS): number[] {
  const count = Math.min(n, max);
  return Array.from({ length: count }, (_, j) => Math.floor((j * n) / count));
}
