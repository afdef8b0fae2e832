/** How features are rescaled before training: none, zero mean and unit variance, or onto [0, 1]. */
export type ScaleKind = 'none' | 'standard' | 'minmax';

/** A fitted affine scaling per column: x' = (x - shift[c]) * scale[c]. */
export interface ScalerParams {
  kind: 'standard' | 'minmax';
  shift: Float64Array;
  scale: Float64Array;
}

/**
 * Fit a scaler on a rows x cols table (the training part only). `standard`: shift = mean,
 * scale = 1 / population standard deviation (scikit-learn's StandardScaler). `minmax`:
 * shift = min, scale = 1 / (max - min). A constant column gets scale 1, so it maps to 0
 * instead of dividing by zero. Columns marked in `keep` are left as they are (shift 0, scale 1).
 */
export function fitScaler(features: Float32Array, rows: number, cols: number, kind: 'standard' | 'minmax', keep?: readonly boolean[]): ScalerParams {
  const shift = new Float64Array(cols);
  const scale = new Float64Array(cols);
  if (kind === 'standard') {
    for (let r = 0; r < rows; r++) for (let c = 0, b = r * cols; c < cols; c++) shift[c] += features[b + c];
    for (let c = 0; c < cols; c++) shift[c] /= rows;
    // Second pass about the mean: sum (x - mean)^2 does not cancel the way sum x^2 - n mean^2 can.
    const ss = new Float64Array(cols);
    for (let r = 0; r < rows; r++) {
      for (let c = 0, b = r * cols; c < cols; c++) {
        const dx = features[b + c] - shift[c];
        ss[c] += dx * dx;
      }
    }
    for (let c = 0; c < cols; c++) {
      const sd = Math.sqrt(ss[c] / rows);
      scale[c] = sd > 0 ? 1 / sd : 1;
    }
  } else {
    const max = new Float64Array(cols).fill(-Infinity);
    shift.fill(Infinity);
    for (let r = 0; r < rows; r++) {
      for (let c = 0, b = r * cols; c < cols; c++) {
        const x = features[b + c];
        if (x < shift[c]) shift[c] = x;
        if (x > max[c]) max[c] = x;
      }
    }
    for (let c = 0; c < cols; c++) {
      const range = max[c] - shift[c];
      scale[c] = range > 0 ? 1 / range : 1;
    }
  }
  // Columns to keep as they are (0/1 columns of an encoded table): shift 0, scale 1.
  if (keep) {
    for (let c = 0; c < cols; c++) {
      if (keep[c]) {
        shift[c] = 0;
        scale[c] = 1;
      }
    }
  }
  return { kind, shift, scale };
}
