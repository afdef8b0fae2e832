import { ConfigError } from '../errors.js';
import { getBackend, type Backend, type Matrix } from '../tensor/index.js';
import { symmetricEigen, symmetricEigenTop } from './eigen.js';

/** A fitted principal component analysis. */
export interface PcaFit {
  /** Feature means of the fitting data (length d). */
  mean: Float64Array;
  /** k x d, row-major: component i is row i, unit length, largest-|entry| positive. */
  components: Float64Array;
  k: number;
  d: number;
  /** Variance along each component (sample variance, n - 1 denominator, like scikit-learn). */
  explainedVariance: number[];
  /** explainedVariance / total variance of the data. */
  explainedVarianceRatio: number[];
  /** Sum of the variances of all d features. */
  totalVariance: number;
}

/** Rows per covariance chunk: large enough for an efficient product, small enough to stay in cache-sized buffers. */
const CHUNK = 1024;

/**
 * Fit PCA with k components to a rows x cols table: centre on the mean, accumulate the
 * covariance X^T X chunk by chunk with the backend's matrix product, then eigen-decompose it
 * in float64 (see eigen.ts). The components are the top-k eigenvectors.
 */
export function fitPca(features: Float32Array, rows: number, cols: number, k: number, backend: Backend = getBackend()): PcaFit {
  if (!Number.isInteger(k) || k < 1 || k > cols) throw new ConfigError('data.pca', k, `a number of components from 1 to the number of features (${cols})`);
  if (rows < 2) throw new ConfigError('data.pca', k, `at least 2 training rows to fit PCA; got ${rows}`);
  if (k > rows) throw new ConfigError('data.pca', k, `at most as many components as training rows (${rows})`);
  const mean = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) mean[c] += features[base + c];
  }
  for (let c = 0; c < cols; c++) mean[c] /= rows;

  // Each chunk is stored transposed (cols x CHUNK) so the product T T^T = X_chunk^T X_chunk
  // reads both operands along rows; unused columns of the last chunk stay zero and add nothing.
  // The covariance is symmetric, so it is built from column blocks I <= J only: with 4 blocks
  // that is 10 products of 16, 5/8 of the work.
  const chunk = Math.min(CHUNK, rows);
  const blocks = Math.max(1, Math.round(cols / 196));
  const size = Math.ceil(cols / blocks);
  const starts = Array.from({ length: blocks }, (_, b) => b * size).filter((s0) => s0 < cols);
  const span = (b: number) => Math.min(size, cols - starts[b]);
  const t = backend.alloc(cols, chunk);
  const pairs: { i: number; j: number; c: Matrix }[] = [];
  for (let i = 0; i < starts.length; i++) for (let j = i; j < starts.length; j++) pairs.push({ i, j, c: backend.alloc(span(i), span(j)) });
  try {
    for (let r0 = 0; r0 < rows; r0 += chunk) {
      const count = Math.min(chunk, rows - r0);
      const td = t.data;
      if (count < chunk) td.fill(0);
      for (let i = 0; i < count; i++) {
        const base = (r0 + i) * cols;
        for (let c = 0; c < cols; c++) td[c * chunk + i] = features[base + c] - mean[c];
      }
      for (const { i, j, c } of pairs) {
        backend.gemm(t.rowsView(starts[i], span(i)), false, t.rowsView(starts[j], span(j)), true, c, r0 === 0 ? 0 : 1);
      }
    }
    const a = new Float64Array(cols * cols);
    for (const { i, j, c } of pairs) {
      const cd = c.data, w = span(j);
      for (let r = 0; r < span(i); r++) {
        for (let q = i === j ? r : 0; q < w; q++) {
          const v = cd[r * w + q] / (rows - 1);
          const gi = starts[i] + r, gj = starts[j] + q;
          a[gi * cols + gj] = v;
          a[gj * cols + gi] = v;
        }
      }
    }
    const { values, vectors } = 2 * k <= cols ? symmetricEigenTop(a, cols, k) : symmetricEigen(a, cols);
    let total = 0;
    for (let i = 0; i < cols; i++) total += a[i * cols + i];
    const explainedVariance = Array.from(values.subarray(0, k), (v) => Math.max(v, 0));
    return {
      mean,
      components: vectors.slice(0, k * cols),
      k,
      d: cols,
      explainedVariance,
      explainedVarianceRatio: explainedVariance.map((v) => (total > 0 ? v / total : 0)),
      totalVariance: total,
    };
  } finally {
    backend.free(t);
    for (const { c } of pairs) backend.free(c);
  }
}
