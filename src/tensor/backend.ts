import type { Matrix } from './matrix.js';

/**
 * Activation functions, with the numeric codes the kernels use. `gelu` is the exact erf
 * form (PyTorch's default); `gelu_tanh` the tanh approximation.
 */
export const ACTIVATIONS = ['identity', 'relu', 'gelu', 'gelu_tanh', 'tanh', 'sigmoid', 'leaky_relu'] as const;
export type Activation = (typeof ACTIVATIONS)[number];
export function activationCode(name: Activation): number {
  return ACTIVATIONS.indexOf(name);
}

/**
 * The one interface all heavy math goes through. Layers, losses and optimizers call only
 * these; a backend replaces all of them at once. Every matrix passed to a backend must have
 * been allocated by that same backend (`alloc`) or be a view of one that was.
 *
 * Conventions: matrices are row-major; outputs are overwritten unless an `accumulate` /
 * `beta` argument says otherwise; outputs never alias inputs unless stated.
 */
export interface Backend {
  readonly name: string;
  /** Threads running the large kernels (absent or 1: the calling thread alone). */
  readonly threads?: number;

  /** A zero-filled rows x cols matrix in this backend's storage. */
  alloc(rows: number, cols: number): Matrix;
  /** Give a matrix's storage back (a no-op where the garbage collector owns it). */
  free(m: Matrix): void;

  /** C = op(A) * op(B) + beta * C, where op(X) is X or its transpose; beta is 0 or 1. */
  gemm(a: Matrix, transA: boolean, b: Matrix, transB: boolean, c: Matrix, beta: 0 | 1): void;
  /** y[r, :] += bias[:] for every row r (bias is 1 x cols). */
  addRowVector(y: Matrix, bias: Matrix): void;
  /** out[0, c] = sum over r of x[r, c] (+ out[0, c] when beta is 1). */
  sumRows(x: Matrix, out: Matrix, beta: 0 | 1): void;

  /** y = f(x); `alpha` is the negative slope of leaky ReLU. y may alias x only for relu/identity. */
  activationForward(code: number, x: Matrix, y: Matrix, alpha: number): void;
  /** dx = dy * f'(x), given x (pre-activation) and y = f(x). dx may alias dy. */
  activationBackward(code: number, x: Matrix, y: Matrix, dy: Matrix, dx: Matrix, alpha: number): void;

  /**
   * Inverted dropout: mask[i] = 1/(1-p) if kept else 0, y = x * mask. Element i is kept when
   * `(hash32(key ^ i) >>> 8) >= threshold` (see `dropoutKey`, `dropThreshold`). y may alias x.
   */
  dropoutForward(x: Matrix, mask: Matrix, y: Matrix, key: number, threshold: number, scale: number): void;
  /** out = a * b element-wise. out may alias a or b. */
  multiply(a: Matrix, b: Matrix, out: Matrix): void;

  /**
   * Batch normalisation with batch statistics, PyTorch's rules: normalise with the biased
   * variance, update running statistics with momentum and the unbiased variance.
   * Writes y, xhat (normalised input) and invStd (1 x cols) for the backward pass.
   */
  batchNormTrain(
    x: Matrix, gamma: Matrix, beta: Matrix, y: Matrix, xhat: Matrix, invStd: Matrix,
    runMean: Matrix, runVar: Matrix, momentum: number, eps: number,
  ): void;
  /** Batch normalisation with running statistics (inference). */
  batchNormInfer(x: Matrix, gamma: Matrix, beta: Matrix, runMean: Matrix, runVar: Matrix, eps: number, y: Matrix): void;
  /** Gradients of batchNormTrain: dx, and dgamma, dbeta (overwritten). */
  batchNormBackward(dy: Matrix, xhat: Matrix, gamma: Matrix, invStd: Matrix, dx: Matrix, dgamma: Matrix, dbeta: Matrix): void;

  /**
   * Fused, stable softmax cross-entropy over rows. labels is rows x 1 holding class indices
   * (as floats: exact below 2^24). Target is (1 - smoothing) * onehot + smoothing / classes.
   * Writes grad = d(mean loss) / d(logits) and returns the mean loss.
   */
  softmaxCrossEntropy(logits: Matrix, labels: Matrix, grad: Matrix, smoothing: number): number;
  /** Row-wise softmax. out may alias logits. */
  softmax(logits: Matrix, out: Matrix): void;

  /** y += alpha * x */
  axpy(alpha: number, x: Matrix, y: Matrix): void;
  /** x *= alpha */
  scale(x: Matrix, alpha: number): void;
  /** dst = src */
  copy(src: Matrix, dst: Matrix): void;
  /**
   * Batch gather: row r of dst = row order[start + r] of src, for r < dst.rows (src and dst have
   * the same number of columns). The training loop keeps the training rows in backend memory
   * and gathers each mini-batch with this, without allocating.
   */
  gatherRows(src: Matrix, order: Int32Array, start: number, dst: Matrix): void;
  /**
   * `gatherRows` started on another thread, returning before the copy is done, where the
   * backend has threads (elsewhere it gathers at once). Until `settle()`, dst must not be read,
   * written or freed; kernels on other matrices may run meanwhile. The training loop gathers
   * the next batch this way while the current one trains.
   */
  prefetchRows?(src: Matrix, order: Int32Array, start: number, dst: Matrix): void;
  /**
   * `gemm` without transB, started on another thread and returning before it is done, where
   * the backend has threads (elsewhere, or when too small, it runs at once). Until `settle()`,
   * c must not be read, written or freed, nor a and b written; kernels on other matrices may
   * run meanwhile. A dense layer computes its weight gradient this way while the input
   * gradient and the layers below go on.
   */
  gemmAsync?(a: Matrix, transA: boolean, b: Matrix, c: Matrix, beta: 0 | 1): void;
  /** Wait for work that `prefetchRows` or `gemmAsync` started (nothing to do when there is none). */
  settle?(): void;
  /** x[:] = value */
  fill(x: Matrix, value: number): void;
  /** trace = decay * trace + g; with nesterov, g is replaced by g + decay * trace (in place). */
  momentum(g: Matrix, trace: Matrix, decay: number, nesterov: boolean): void;
  /**
   * Adam moments and update direction, in place on g:
   * m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; g = (m / c1) / (sqrt(v / c2) + eps),
   * where c1 = 1 - b1^t and c2 = 1 - b2^t are the bias corrections.
   */
  adam(g: Matrix, m: Matrix, v: Matrix, b1: number, b2: number, c1: number, c2: number, eps: number): void;
  /**
   * The whole SGD update in one pass (a fused form of decay + momentum + learning rate + apply):
   * g += weightDecay * w on the first `decayed` entries; with momentum, t = momentum * t + g and
   * d = t (or g + momentum * t with Nesterov), else d = g; then g = -lr * d and w += g.
   */
  sgdStep(values: Matrix, grads: Matrix, trace: Matrix | null, decayed: number, lr: number, weightDecay: number, momentum: number, nesterov: boolean): void;

  /** Sum of the squares of x's entries, accumulated in double precision. */
  sumSquares(x: Matrix): number;
  /** Index (row-major) of x's first NaN or infinite entry, or -1 when every entry is finite. */
  firstNonFinite(x: Matrix): number;
  /**
   * A layer's batch statistics for the diagnostics, from its pre-activations z and activations
   * a (both rows x cols): minmax (2 x cols) keeps the running per-unit minimum (row 0) and
   * maximum (row 1) of z; sums (1 x 5) gets sum z, sum z^2, sum a, sum a^2 and the number of z
   * outside [low, high], for this batch.
   */
  unitStats(z: Matrix, a: Matrix, minmax: Matrix, sums: Matrix, low: number, high: number): void;
}

/** The m, k, n of C = op(A) op(B); throws a RangeError when the shapes do not agree. */
export function gemmShape(a: Matrix, transA: boolean, b: Matrix, transB: boolean, c: Matrix): { m: number; k: number; n: number } {
  const m = transA ? a.cols : a.rows;
  const k = transA ? a.rows : a.cols;
  const kb = transB ? b.cols : b.rows;
  const n = transB ? b.rows : b.cols;
  if (k !== kb || c.rows !== m || c.cols !== n) {
    throw new RangeError(`gemm: op(A) is ${m}x${k}, op(B) is ${kb}x${n}, C is ${c.rows}x${c.cols}`);
  }
  return { m, k, n };
}
