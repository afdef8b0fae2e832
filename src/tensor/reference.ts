import { gemmShape, type Backend } from './backend.js';
import { Matrix } from './matrix.js';
import { gelu, geluGrad, geluTanh, geluTanhGrad, sigmoid } from './scalar.js';
import { hash32 } from './rng.js';

/**
 * The reference backend: plain TypeScript loops, written to be read. Sums are carried in
 * float64 (JS numbers) and stored as float32. The fast backend is tested against this one.
 */
export class ReferenceBackend implements Backend {
  readonly name = 'reference';

  alloc(rows: number, cols: number): Matrix {
    return new Matrix(rows, cols, new Float32Array(rows * cols));
  }

  free(_m: Matrix): void {}

  gemm(a: Matrix, transA: boolean, b: Matrix, transB: boolean, c: Matrix, beta: 0 | 1): void {
    const { m, k, n } = gemmShape(a, transA, b, transB, c);
    const A = a.data, B = b.data, C = c.data;
    const lda = a.cols, ldb = b.cols;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) {
          const av = transA ? A[p * lda + i] : A[i * lda + p];
          const bv = transB ? B[j * ldb + p] : B[p * ldb + j];
          s += av * bv;
        }
        C[i * n + j] = beta === 1 ? C[i * n + j] + s : s;
      }
    }
  }

  addRowVector(y: Matrix, bias: Matrix): void {
    const Y = y.data, b = bias.data, n = y.cols;
    for (let r = 0; r < y.rows; r++) for (let c = 0; c < n; c++) Y[r * n + c] += b[c];
  }

  sumRows(x: Matrix, out: Matrix, beta: 0 | 1): void {
    const X = x.data, O = out.data, n = x.cols;
    for (let c = 0; c < n; c++) {
      let s = 0;
      for (let r = 0; r < x.rows; r++) s += X[r * n + c];
      O[c] = beta === 1 ? O[c] + s : s;
    }
  }

  activationForward(code: number, x: Matrix, y: Matrix, alpha: number): void {
    const X = x.data, Y = y.data;
    for (let i = 0; i < X.length; i++) {
      const v = X[i];
      switch (code) {
        case 0: Y[i] = v; break;
        case 1: Y[i] = v < 0 ? 0 : v; break; // NaN stays NaN, so divergence reaches the loss
        case 2: Y[i] = gelu(v); break;
        case 3: Y[i] = geluTanh(v); break;
        case 4: Y[i] = Math.tanh(v); break;
        case 5: Y[i] = sigmoid(v); break;
        case 6: Y[i] = v < 0 ? alpha * v : v; break;
        default: throw new RangeError(`unknown activation code ${code}`);
      }
    }
  }

  activationBackward(code: number, x: Matrix, y: Matrix, dy: Matrix, dx: Matrix, alpha: number): void {
    const X = x.data, Y = y.data, D = dy.data, O = dx.data;
    for (let i = 0; i < X.length; i++) {
      let g: number;
      switch (code) {
        case 0: g = 1; break;
        case 1: g = X[i] > 0 ? 1 : 0; break;
        case 2: g = geluGrad(X[i]); break;
        case 3: g = geluTanhGrad(X[i]); break;
        case 4: g = 1 - Y[i] * Y[i]; break;
        case 5: g = Y[i] * (1 - Y[i]); break;
        case 6: g = X[i] > 0 ? 1 : alpha; break;
        default: throw new RangeError(`unknown activation code ${code}`);
      }
      O[i] = D[i] * g;
    }
  }

  dropoutForward(x: Matrix, mask: Matrix, y: Matrix, key: number, threshold: number, scale: number): void {
    const X = x.data, M = mask.data, Y = y.data;
    const s = Math.fround(scale);
    for (let i = 0; i < X.length; i++) {
      const keep = hash32((key ^ i) >>> 0) >>> 8 >= threshold;
      M[i] = keep ? s : 0;
      Y[i] = X[i] * M[i];
    }
  }

  multiply(a: Matrix, b: Matrix, out: Matrix): void {
    const A = a.data, B = b.data, O = out.data;
    for (let i = 0; i < A.length; i++) O[i] = A[i] * B[i];
  }

  batchNormTrain(
    x: Matrix, gamma: Matrix, beta: Matrix, y: Matrix, xhat: Matrix, invStd: Matrix,
    runMean: Matrix, runVar: Matrix, momentum: number, eps: number,
  ): void {
    const n = x.rows, f = x.cols;
    const X = x.data, Y = y.data, H = xhat.data, G = gamma.data, B = beta.data;
    const IS = invStd.data, RM = runMean.data, RV = runVar.data;
    for (let c = 0; c < f; c++) {
      let mean = 0;
      for (let r = 0; r < n; r++) mean += X[r * f + c];
      mean /= n;
      let v = 0;
      for (let r = 0; r < n; r++) {
        const d = X[r * f + c] - mean;
        v += d * d;
      }
      const biased = v / n;
      const unbiased = n > 1 ? v / (n - 1) : biased;
      const is = 1 / Math.sqrt(biased + eps);
      IS[c] = is;
      for (let r = 0; r < n; r++) {
        const h = (X[r * f + c] - mean) * is;
        H[r * f + c] = h;
        Y[r * f + c] = G[c] * h + B[c];
      }
      RM[c] = (1 - momentum) * RM[c] + momentum * mean;
      RV[c] = (1 - momentum) * RV[c] + momentum * unbiased;
    }
  }

  batchNormInfer(x: Matrix, gamma: Matrix, beta: Matrix, runMean: Matrix, runVar: Matrix, eps: number, y: Matrix): void {
    const n = x.rows, f = x.cols;
    const X = x.data, Y = y.data, G = gamma.data, B = beta.data, RM = runMean.data, RV = runVar.data;
    for (let c = 0; c < f; c++) {
      const is = 1 / Math.sqrt(RV[c] + eps);
      for (let r = 0; r < n; r++) Y[r * f + c] = G[c] * (X[r * f + c] - RM[c]) * is + B[c];
    }
  }

  batchNormBackward(dy: Matrix, xhat: Matrix, gamma: Matrix, invStd: Matrix, dx: Matrix, dgamma: Matrix, dbeta: Matrix): void {
    const n = dy.rows, f = dy.cols;
    const D = dy.data, H = xhat.data, G = gamma.data, IS = invStd.data, O = dx.data;
    const DG = dgamma.data, DB = dbeta.data;
    for (let c = 0; c < f; c++) {
      let sumDy = 0, sumDyH = 0;
      for (let r = 0; r < n; r++) {
        sumDy += D[r * f + c];
        sumDyH += D[r * f + c] * H[r * f + c];
      }
      DG[c] = sumDyH;
      DB[c] = sumDy;
      // dx = gamma * invStd / n * (n * dy - sum(dy) - xhat * sum(dy * xhat))
      const k = (G[c] * IS[c]) / n;
      for (let r = 0; r < n; r++) O[r * f + c] = k * (n * D[r * f + c] - sumDy - H[r * f + c] * sumDyH);
    }
  }

  softmaxCrossEntropy(logits: Matrix, labels: Matrix, grad: Matrix, smoothing: number): number {
    const n = logits.rows, k = logits.cols;
    const Z = logits.data, L = labels.data, O = grad.data;
    let total = 0;
    const off = smoothing / k, on = 1 - smoothing + off;
    for (let r = 0; r < n; r++) {
      let max = -Infinity;
      for (let c = 0; c < k; c++) max = Math.max(max, Z[r * k + c]);
      let sum = 0;
      for (let c = 0; c < k; c++) sum += Math.exp(Z[r * k + c] - max);
      const logSum = Math.log(sum) + max;
      const y = L[r];
      for (let c = 0; c < k; c++) {
        const logp = Z[r * k + c] - logSum;
        const q = c === y ? on : off;
        total -= q * logp;
        O[r * k + c] = (Math.exp(logp) - q) / n;
      }
    }
    return total / n;
  }

  softmax(logits: Matrix, out: Matrix): void {
    const n = logits.rows, k = logits.cols, Z = logits.data, O = out.data;
    for (let r = 0; r < n; r++) {
      let max = -Infinity;
      for (let c = 0; c < k; c++) max = Math.max(max, Z[r * k + c]);
      let sum = 0;
      for (let c = 0; c < k; c++) {
        const e = Math.exp(Z[r * k + c] - max);
        O[r * k + c] = e;
        sum += e;
      }
      for (let c = 0; c < k; c++) O[r * k + c] /= sum;
    }
  }

  axpy(alpha: number, x: Matrix, y: Matrix): void {
    const X = x.data, Y = y.data;
    for (let i = 0; i < X.length; i++) Y[i] += alpha * X[i];
  }

  scale(x: Matrix, alpha: number): void {
    const X = x.data;
    for (let i = 0; i < X.length; i++) X[i] *= alpha;
  }

  copy(src: Matrix, dst: Matrix): void {
    dst.data.set(src.data);
  }

  gatherRows(src: Matrix, order: Int32Array, start: number, dst: Matrix): void {
    if (src.cols !== dst.cols) throw new RangeError(`gatherRows: src has ${src.cols} columns, dst ${dst.cols}`);
    if (start < 0 || start + dst.rows > order.length) throw new RangeError(`gatherRows: rows ${start}..${start + dst.rows} outside the order of ${order.length}`);
    const S = src.data, D = dst.data, cols = src.cols;
    for (let r = 0; r < dst.rows; r++) {
      const row = order[start + r];
      if (!(row >= 0 && row < src.rows)) throw new RangeError(`gatherRows: row ${row} outside 0..${src.rows - 1}`);
      const from = row * cols;
      for (let c = 0; c < cols; c++) D[r * cols + c] = S[from + c];
    }
  }

  fill(x: Matrix, value: number): void {
    x.data.fill(value);
  }

  momentum(g: Matrix, trace: Matrix, decay: number, nesterov: boolean): void {
    const G = g.data, T = trace.data;
    for (let i = 0; i < G.length; i++) {
      T[i] = decay * T[i] + G[i];
      if (nesterov) G[i] = G[i] + decay * T[i];
    }
  }

  adam(g: Matrix, m: Matrix, v: Matrix, b1: number, b2: number, c1: number, c2: number, eps: number): void {
    const G = g.data, M = m.data, V = v.data;
    for (let i = 0; i < G.length; i++) {
      M[i] = b1 * M[i] + (1 - b1) * G[i];
      V[i] = b2 * V[i] + (1 - b2) * G[i] * G[i];
      G[i] = M[i] / c1 / (Math.sqrt(V[i] / c2) + eps);
    }
  }

  sgdStep(values: Matrix, grads: Matrix, trace: Matrix | null, decayed: number, lr: number, weightDecay: number, momentum: number, nesterov: boolean): void {
    const W = values.data, G = grads.data, T = trace?.data;
    // No decay at all when weightDecay is 0, as in addDecayedWeights and the wasm kernel
    // (0 * w would turn an infinite weight into NaN and a -0 gradient into +0).
    const decayEnd = weightDecay !== 0 ? decayed : 0;
    for (let i = 0; i < W.length; i++) {
      let g = Math.fround(i < decayEnd ? G[i] + weightDecay * W[i] : G[i]);
      if (momentum !== 0 && T) {
        const t = Math.fround(momentum * T[i] + g);
        T[i] = t;
        g = nesterov ? Math.fround(g + momentum * t) : t;
      }
      G[i] = -lr * g;
      W[i] += G[i];
    }
  }
  sumSquares(x: Matrix): number {
    let s = 0;
    for (const v of x.data) s += v * v;
    return s;
  }

  firstNonFinite(x: Matrix): number {
    const d = x.data;
    for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) return i;
    return -1;
  }

  unitStats(z: Matrix, a: Matrix, minmax: Matrix, sums: Matrix, low: number, high: number): void {
    const Z = z.data, A = a.data, M = minmax.data, cols = z.cols;
    let sz = 0, sz2 = 0, sa = 0, sa2 = 0, sat = 0;
    for (let r = 0; r < z.rows; r++) {
      for (let c = 0; c < cols; c++) {
        const v = Z[r * cols + c], w = A[r * cols + c];
        if (v < M[c]) M[c] = v;
        if (v > M[cols + c]) M[cols + c] = v;
        sz += v;
        sz2 += v * v;
        sa += w;
        sa2 += w * w;
        if (v < low || v > high) sat++;
      }
    }
    sums.data.set([sz, sz2, sa, sa2, sat]);
  }

}

