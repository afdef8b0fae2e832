/**
 * An independent float64 implementation of the forward pass of every layer mlplab has, the
 * way a textbook writes it: plain number arrays, one formula per line. Gradients are taken
 * from it by central differences; nothing here shares code with the engine.
 */

/**
 * erf from its everywhere-convergent series with positive terms (no cancellation):
 * erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_n 2^n x^(2n+1) / (1 * 3 * ... * (2n+1)).
 * Accurate to about 1e-15 for |x| <= 6; beyond, erf is +-1 in double precision.
 */
export function erf64(x: number): number {
  if (Math.abs(x) > 6) return Math.sign(x);
  let term = x;
  let sum = x;
  for (let n = 1; n < 500; n++) {
    term *= (2 * x * x) / (2 * n + 1);
    sum += term;
    if (Math.abs(term) < 1e-17 * Math.abs(sum)) break;
  }
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
}

export type ActivationName = 'identity' | 'relu' | 'gelu' | 'gelu_tanh' | 'tanh' | 'sigmoid' | 'leaky_relu';

export function activation64(name: ActivationName, x: number, alpha = 0.01): number {
  switch (name) {
    case 'identity':
      return x;
    case 'relu':
      return Math.max(0, x);
    case 'gelu':
      return 0.5 * x * (1 + erf64(x / Math.SQRT2));
    case 'gelu_tanh':
      return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
    case 'tanh':
      return Math.tanh(x);
    case 'sigmoid':
      return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    case 'leaky_relu':
      return x > 0 ? x : alpha * x;
  }
}

/** y = x W + b with x rows x inputs, W inputs x outputs (row-major), b outputs. */
export function dense64(x: number[], rows: number, inputs: number, outputs: number, w: ArrayLike<number>, b: ArrayLike<number>): number[] {
  const y = new Array<number>(rows * outputs).fill(0);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outputs; o++) {
      let s = b[o];
      for (let i = 0; i < inputs; i++) s += x[r * inputs + i] * w[i * outputs + o];
      y[r * outputs + o] = s;
    }
  }
  return y;
}

export interface BatchStats {
  mean: number[];
  /** Biased (divide by n) variance: what normalises the batch. */
  variance: number[];
  /** Unbiased (divide by n - 1) variance: what the running average takes in. */
  unbiased: number[];
}

export function batchStats64(x: number[], rows: number, cols: number): BatchStats {
  const mean: number[] = [], variance: number[] = [], unbiased: number[] = [];
  for (let c = 0; c < cols; c++) {
    let m = 0;
    for (let r = 0; r < rows; r++) m += x[r * cols + c];
    m /= rows;
    let ss = 0;
    for (let r = 0; r < rows; r++) ss += (x[r * cols + c] - m) ** 2;
    mean.push(m);
    variance.push(ss / rows);
    unbiased.push(ss / (rows - 1));
  }
  return { mean, variance, unbiased };
}

/** Batch normalisation with the given mean and variance per column. */
export function normalise64(
  x: number[], rows: number, cols: number, mean: ArrayLike<number>, variance: ArrayLike<number>,
  gamma: ArrayLike<number>, beta: ArrayLike<number>, eps: number,
): number[] {
  const y = new Array<number>(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      y[r * cols + c] = (gamma[c] * (x[r * cols + c] - mean[c])) / Math.sqrt(variance[c] + eps) + beta[c];
    }
  }
  return y;
}

/** Mean softmax cross-entropy with targets (1 - s) * onehot + s / classes. */
export function softmaxCrossEntropy64(logits: number[], rows: number, classes: number, labels: ArrayLike<number>, smoothing: number): number {
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const z = logits.slice(r * classes, (r + 1) * classes);
    const max = Math.max(...z);
    const logSumExp = max + Math.log(z.reduce((s, v) => s + Math.exp(v - max), 0));
    for (let c = 0; c < classes; c++) {
      const target = (c === labels[r] ? 1 - smoothing : 0) + smoothing / classes;
      total -= target * (z[c] - logSumExp);
    }
  }
  return total / rows;
}

/** lowbias32, written out from its definition (two multiply-xorshift rounds). */
export function lowbias32(v: number): number {
  let x = v >>> 0;
  x = (x ^ (x >>> 16)) >>> 0;
  x = Number((BigInt(x) * 0x7feb352dn) & 0xffffffffn);
  x = (x ^ (x >>> 15)) >>> 0;
  x = Number((BigInt(x) * 0x846ca68bn) & 0xffffffffn);
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * mlplab's documented dropout mask for one layer at one training step: element i is kept when
 * (hash(key xor i) >> 8) >= round(p * 2^24), key = hash(seed + counter * 0x9e3779b9 mod 2^32),
 * and kept elements are scaled by 1 / (1 - p).
 */
export function dropoutMask64(seed: number, counter: number, size: number, p: number): number[] {
  const key = lowbias32(Number((BigInt(seed >>> 0) + BigInt(counter) * 0x9e3779b9n) & 0xffffffffn));
  const threshold = Math.round(p * 2 ** 24);
  const scale = Math.fround(1 / (1 - p));
  const mask: number[] = [];
  for (let i = 0; i < size; i++) mask.push(lowbias32((key ^ i) >>> 0) >>> 8 >= threshold ? scale : 0);
  return mask;
}

export interface HiddenSpec {
  width: number;
  activation: ActivationName;
  batchNorm: boolean;
  dropout: number;
}

export interface MlpSpec {
  inputs: number;
  classes: number;
  hidden: HiddenSpec[];
  leakySlope: number;
  eps: number;
}

/**
 * Logits of the MLP the spec describes: per hidden layer Linear -> BatchNorm? -> activation
 * -> dropout mask, then the output Linear. Parameters by mlplab's names. In training mode
 * batch norm uses batch statistics (`stats` receives them, per batch-norm layer) and
 * `masks[i]` is the mask of hidden layer i; in inference mode batch norm uses `running`.
 */
export function mlpForward64(
  spec: MlpSpec,
  params: Map<string, ArrayLike<number>>,
  x: number[],
  rows: number,
  mode: { training: true; masks: (number[] | null)[]; stats?: Map<string, BatchStats> } | { training: false; running: Map<string, ArrayLike<number>> },
): number[] {
  let h = x;
  let width = spec.inputs;
  spec.hidden.forEach((layer, i) => {
    const p = (n: string) => params.get(`hidden${i}.${n}`)!;
    h = dense64(h, rows, width, layer.width, p('linear.weight'), p('linear.bias'));
    width = layer.width;
    if (layer.batchNorm) {
      if (mode.training) {
        const st = batchStats64(h, rows, width);
        mode.stats?.set(`hidden${i}.batchnorm`, st);
        h = normalise64(h, rows, width, st.mean, st.variance, p('batchnorm.weight'), p('batchnorm.bias'), spec.eps);
      } else {
        const rm = mode.running.get(`hidden${i}.batchnorm.running_mean`)!;
        const rv = mode.running.get(`hidden${i}.batchnorm.running_var`)!;
        h = normalise64(h, rows, width, rm, rv, p('batchnorm.weight'), p('batchnorm.bias'), spec.eps);
      }
    }
    h = h.map((v) => activation64(layer.activation, v, spec.leakySlope));
    const mask = mode.training ? mode.masks[i] : null;
    if (mask) h = h.map((v, j) => v * mask[j]);
  });
  return dense64(h, rows, width, spec.classes, params.get('output.weight')!, params.get('output.bias')!);
}

/** Central differences of f with respect to every entry of `values` (restored afterwards). */
export function numericGradient(f: () => number, values: number[] | Float64Array, h = 1e-6): number[] {
  const grad: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const saved = values[i];
    const step = h * Math.max(1, Math.abs(saved));
    values[i] = saved + step;
    const up = f();
    values[i] = saved - step;
    const down = f();
    values[i] = saved;
    grad.push((up - down) / (2 * step));
  }
  return grad;
}

/** sum(y * r): a scalar whose gradient with respect to y is r. */
export function dot64(y: ArrayLike<number>, r: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += y[i] * r[i];
  return s;
}
