/**
 * The losses beside the backend's fused softmax cross-entropy: the regression losses on a
 * one-column output, class weights on the classification gradient, and the classes the logits
 * pick. Small per-row loops in JavaScript: the output layer is one or a few columns wide, so
 * these cost nothing next to the matrix products.
 */
import type { Matrix } from '../tensor/matrix.js';

/** Regression losses: mean squared error (PyTorch's MSELoss), Huber with delta 1 (HuberLoss), mean absolute error (L1Loss). */
export type RegressionLoss = 'mse' | 'huber' | 'mae';

/**
 * Mean loss of predictions `z` (rows x 1) against targets `y` (rows x 1), both on the
 * standardised scale; writes its gradient with respect to z into `dz`. The loss is computed
 * in float64.
 */
export function regressionLoss(z: Matrix, y: Matrix, dz: Matrix, kind: RegressionLoss): number {
  const n = z.rows, p = z.data, t = y.data, g = dz.data;
  let total = 0;
  for (let r = 0; r < n; r++) {
    const d = p[r] - t[r];
    total += rowLoss(d, kind);
    g[r] = (kind === 'mse' ? 2 * d : kind === 'mae' || Math.abs(d) > 1 ? Math.sign(d) : d) / n;
  }
  return total / n;
}

/** One row's loss for an error `d` on the standardised scale: d², |d|, or Huber's (delta 1). */
export function rowLoss(d: number, kind: RegressionLoss): number {
  const a = Math.abs(d);
  return kind === 'mse' ? d * d : kind === 'mae' ? a : a <= 1 ? 0.5 * d * d : a - 0.5;
}

/** Index of the largest of k values from `offset` (the first on a tie). */
export function argmax(z: Float32Array, offset: number, k: number): number {
  let best = 0;
  let bestValue = z[offset];
  for (let c = 1; c < k; c++) {
    if (z[offset + c] > bestValue) {
      bestValue = z[offset + c];
      best = c;
    }
  }
  return best;
}

/** Rows whose largest logit is their label; also writes each row's class into `predicted` from `offset`. */
export function countCorrect(logits: Matrix, y: Matrix, predicted?: Int32Array, offset = 0): number {
  const z = logits.data, labels = y.data, k = logits.cols;
  let correct = 0;
  for (let r = 0; r < logits.rows; r++) {
    const c = argmax(z, r * k, k);
    if (predicted) predicted[offset + r] = c;
    if (c === labels[r]) correct++;
  }
  return correct;
}

/**
 * Class weights applied to the mean loss's gradient: row r's gradient is scaled by
 * w[label r] x rows / sum of the batch's weights, so the batch's gradient is that of the
 * weighted mean loss sum(w_r l_r) / sum(w_r) (PyTorch's CrossEntropyLoss with `weight`).
 */
export function weighRows(dlogits: Matrix, y: Matrix, w: Float32Array): void {
  const rows = dlogits.rows, k = dlogits.cols;
  const labels = y.data, g = dlogits.data;
  let sum = 0;
  for (let r = 0; r < rows; r++) sum += w[labels[r]];
  if (!(sum > 0)) return;
  for (let r = 0; r < rows; r++) {
    const s = (w[labels[r]] * rows) / sum;
    for (let c = r * k, end = c + k; c < end; c++) g[c] *= s;
  }
}
