/**
 * Layer statistics while training, read where the data already is: after each step's forward
 * pass one kernel call per hidden layer reads the batch's z and a (sums for the moments, the
 * per-unit extremes for dead units, the count in the flat region); on a few evenly spaced steps
 * per epoch the tensors' gradient, update and value norms are taken around the optimizer step.
 * Nothing here changes the training: it only reads.
 */
import type { LayerStats, Moments, TensorStats } from '../metrics/history-types.js';
import type { HiddenLayer, Sequential } from '../nn/model.js';
import type { Matrix } from '../tensor/matrix.js';

/** Steps per epoch whose gradients and updates are measured. */
const SAMPLED_STEPS = 8;

/** The flat region of each activation, in z: [low, high] is where it still responds. */
export function flatRegion(activation: string): { low: number; high: number } {
  switch (activation) {
    case 'relu':
    case 'leaky_relu':
    case 'gelu':
    case 'gelu_tanh':
      return { low: -3, high: Infinity };
    case 'tanh':
      return { low: -2.65, high: 2.65 };
    case 'sigmoid':
      return { low: -4.6, high: 4.6 };
    default:
      return { low: -Infinity, high: Infinity };
  }
}

/** Whether a unit whose z stayed within [min, max] all epoch never responded. */
function isDead(activation: string, min: number, max: number): boolean {
  if (activation === 'relu' || activation === 'leaky_relu') return max <= 0;
  const { low, high } = flatRegion(activation);
  return max < low || min > high;
}

interface LayerAccumulator {
  layer: HiddenLayer;
  region: { low: number; high: number };
  minmax: Matrix;
  sums: Matrix;
  /** sum z, sum z^2, sum a, sum a^2, count in the flat region, values seen. */
  totals: Float64Array;
  grad: Float64Array;
  ratio: Float64Array;
}

export class LayerStatsCollector {
  private readonly layers: LayerAccumulator[];
  private readonly stride: number;
  private samples = 0;

  constructor(
    private readonly model: Sequential,
    stepsPerEpoch: number,
  ) {
    const b = model.backend;
    this.stride = Math.max(1, Math.floor(stepsPerEpoch / SAMPLED_STEPS));
    this.layers = model.hidden.map((layer) => ({
      layer,
      region: flatRegion(layer.activation),
      minmax: b.alloc(2, layer.units),
      sums: b.alloc(1, 5),
      totals: new Float64Array(6),
      grad: new Float64Array(layer.params.length),
      ratio: new Float64Array(layer.params.length),
    }));
  }

  beginEpoch(): void {
    this.samples = 0;
    for (const l of this.layers) {
      const m = l.minmax.data, n = l.layer.units;
      m.fill(Infinity, 0, n);
      m.fill(-Infinity, n, 2 * n);
      l.totals.fill(0);
      l.grad.fill(0);
      l.ratio.fill(0);
    }
  }

  /** After the forward and backward pass of step `step` (from 0), before the optimizer step. */
  afterBackward(step: number): void {
    const b = this.model.backend;
    for (let i = 0; i < this.layers.length; i++) {
      const l = this.layers[i];
      const za = this.model.lastActivations(i);
      if (!za) continue;
      b.unitStats(za.z, za.a, l.minmax, l.sums, l.region.low, l.region.high);
      const s = l.sums.data, t = l.totals;
      for (let k = 0; k < 5; k++) t[k] += s[k];
      t[5] += za.z.size;
      if (this.sampled(step)) l.layer.params.forEach((p, j) => (l.grad[j] += Math.sqrt(b.sumSquares(p.grad))));
    }
  }

  /** After the optimizer step: every optimizer leaves the step it applied in the gradient buffers. */
  afterStep(step: number): void {
    if (!this.sampled(step)) return;
    this.samples++;
    const b = this.model.backend;
    for (const l of this.layers) {
      l.layer.params.forEach((p, j) => {
        const w = Math.sqrt(b.sumSquares(p.value));
        l.ratio[j] += w > 0 ? Math.sqrt(b.sumSquares(p.grad)) / w : 0;
      });
    }
  }

  endEpoch(): LayerStats[] {
    const b = this.model.backend;
    const n = Math.max(1, this.samples);
    return this.layers.map((l) => {
      const t = l.totals, count = Math.max(1, t[5]);
      const units = l.layer.units, m = l.minmax.data;
      let dead = 0;
      for (let u = 0; u < units; u++) if (t[5] > 0 && isDead(l.layer.activation, m[u], m[units + u])) dead++;
      const params: TensorStats[] = l.layer.params.map((p, j) => ({
        name: p.name,
        size: p.value.size,
        norm: Math.sqrt(b.sumSquares(p.value)),
        gradientNorm: l.grad[j] / n,
        updateRatio: l.ratio[j] / n,
      }));
      const bn = l.layer.batchNorm ? l.layer.params.slice(2) : null;
      return {
        name: l.layer.name,
        activation: l.layer.activation,
        units,
        preActivation: moments(t[0], t[1], count),
        output: moments(t[2], t[3], count),
        deadFraction: dead / units,
        saturatedFraction: t[4] / count,
        weightNorm: params[0].norm,
        gradientNorm: params[0].gradientNorm,
        updateRatio: params[0].updateRatio,
        params,
        batchNorm: bn ? { scale: momentsOf(bn[0].value.data), shift: momentsOf(bn[1].value.data) } : null,
      };
    });
  }

  dispose(): void {
    const b = this.model.backend;
    for (const l of this.layers) {
      b.free(l.minmax);
      b.free(l.sums);
    }
  }

  private sampled(step: number): boolean {
    return step % this.stride === this.stride - 1;
  }
}

function moments(sum: number, sumSq: number, count: number): Moments {
  const mean = sum / count;
  return { mean, std: Math.sqrt(Math.max(0, sumSq / count - mean * mean)) };
}

function momentsOf(values: Float32Array): Moments {
  let s = 0, s2 = 0;
  for (const v of values) {
    s += v;
    s2 += v * v;
  }
  return moments(s, s2, Math.max(1, values.length));
}
