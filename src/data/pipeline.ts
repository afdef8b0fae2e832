import { ModelFormatError, ShapeError } from '../errors.js';
import { getBackend, type Backend } from '../tensor/index.js';
import type { PcaFit } from './pca.js';
import type { ScalerParams } from './scale.js';

/** The serialised form of a Pipeline (plain JSON, stored inside a saved model). */
export interface PipelineJSON {
  format: 'mlplab-pipeline';
  version: 1;
  inputCols: number;
  outputCols: number;
  scaler: { kind: 'standard' | 'minmax'; shift: number[]; scale: number[] } | null;
  pca: { k: number; mean: number[]; components: number[]; explainedVarianceRatio: number[] } | null;
}

/** The PCA part of a pipeline: project (x - mean) onto the k rows of `components` (k x inputCols). */
export interface PcaTransform {
  k: number;
  mean: Float64Array;
  components: Float32Array;
  explainedVarianceRatio: number[];
}

/** Rows per projection chunk in `transform`. */
const CHUNK = 2048;

/**
 * The fitted pre-processing transform: scaling, then PCA, both fitted on training rows. A
 * saved model carries it, so raw input at prediction time goes through exactly the same steps.
 */
export class Pipeline {
  readonly outputCols: number;

  constructor(
    readonly inputCols: number,
    readonly scaler: ScalerParams | null = null,
    readonly pca: PcaTransform | null = null,
  ) {
    if (scaler && (scaler.shift.length !== inputCols || scaler.scale.length !== inputCols)) {
      throw new RangeError(`Pipeline: scaler fitted on ${scaler.shift.length} columns, input has ${inputCols}`);
    }
    if (pca && (pca.mean.length !== inputCols || pca.components.length !== pca.k * inputCols)) {
      throw new RangeError(`Pipeline: PCA fitted on ${pca.mean.length} columns, input has ${inputCols}`);
    }
    this.outputCols = pca ? pca.k : inputCols;
  }

  /** A pipeline from a fitted PCA (on already scaled data) and an optional scaler. */
  static fitted(inputCols: number, scaler: ScalerParams | null, pca: PcaFit | null): Pipeline {
    const p = pca
      ? { k: pca.k, mean: pca.mean, components: Float32Array.from(pca.components), explainedVarianceRatio: pca.explainedVarianceRatio }
      : null;
    return new Pipeline(inputCols, scaler, p);
  }

  /** Whether the pipeline changes nothing. */
  get isIdentity(): boolean {
    return this.scaler === null && this.pca === null;
  }

  /** One line for reports: "standard scaling, then PCA 784 -> 128". */
  describe(): string {
    const parts: string[] = [];
    if (this.scaler) parts.push(`${this.scaler.kind === 'standard' ? 'standard' : 'min-max'} scaling`);
    if (this.pca) parts.push(`PCA ${this.inputCols} -> ${this.pca.k}`);
    return parts.length ? parts.join(', then ') : 'no transform';
  }

  /**
   * Apply the transform to a rows x inputCols table; returns rows x outputCols. An identity
   * pipeline returns `features` itself. Throws ShapeError when the width does not match.
   */
  transform(features: Float32Array, rows: number, backend: Backend = getBackend()): Float32Array {
    if (features.length !== rows * this.inputCols) {
      throw new ShapeError(
        `the input has ${rows > 0 ? features.length / rows : features.length} features per row, but the pipeline expects ${this.inputCols}`,
      );
    }
    if (this.isIdentity) return features;
    const d = this.inputCols;
    const shift = this.scaler?.shift, scale = this.scaler?.scale;
    if (!this.pca) {
      const out = new Float32Array(rows * d);
      for (let r = 0; r < rows; r++) {
        for (let c = 0, b = r * d; c < d; c++) out[b + c] = (features[b + c] - shift![c]) * scale![c];
      }
      return out;
    }
    const { k, mean, components } = this.pca;
    const out = new Float32Array(rows * k);
    const chunk = Math.max(1, Math.min(CHUNK, rows));
    const w = backend.alloc(k, d);
    const x = backend.alloc(chunk, d);
    const y = backend.alloc(chunk, k);
    try {
      w.data.set(components);
      for (let r0 = 0; r0 < rows; r0 += chunk) {
        const count = Math.min(chunk, rows - r0);
        const xd = x.data;
        for (let i = 0; i < count; i++) {
          const src = (r0 + i) * d, dst = i * d;
          if (shift) for (let c = 0; c < d; c++) xd[dst + c] = (features[src + c] - shift[c]) * scale![c] - mean[c];
          else for (let c = 0; c < d; c++) xd[dst + c] = features[src + c] - mean[c];
        }
        const yv = count === chunk ? y : y.rowsView(0, count);
        backend.gemm(count === chunk ? x : x.rowsView(0, count), false, w, true, yv, 0);
        out.set(yv.data.subarray(0, count * k), r0 * k);
      }
    } finally {
      backend.free(w);
      backend.free(x);
      backend.free(y);
    }
    return out;
  }

  toJSON(): PipelineJSON {
    return {
      format: 'mlplab-pipeline',
      version: 1,
      inputCols: this.inputCols,
      outputCols: this.outputCols,
      scaler: this.scaler ? { kind: this.scaler.kind, shift: Array.from(this.scaler.shift), scale: Array.from(this.scaler.scale) } : null,
      pca: this.pca
        ? { k: this.pca.k, mean: Array.from(this.pca.mean), components: Array.from(this.pca.components), explainedVarianceRatio: [...this.pca.explainedVarianceRatio] }
        : null,
    };
  }

  /** Read a pipeline back from its JSON, checking every field; throws ModelFormatError naming `file`. */
  static fromJSON(json: unknown, file: string): Pipeline {
    const fail = (field: string, problem: string): never => {
      throw new ModelFormatError(file, `pipeline.${field}: ${problem}`);
    };
    if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('', 'expected an object');
    const o = json as Record<string, unknown>;
    if (o.format !== 'mlplab-pipeline') fail('format', `expected "mlplab-pipeline", got ${JSON.stringify(o.format)}`);
    if (o.version !== 1) fail('version', `expected 1, got ${JSON.stringify(o.version)}; this mlplab reads pipeline version 1`);
    const d = o.inputCols;
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 1) fail('inputCols', `expected a positive integer, got ${JSON.stringify(d)}`);
    const cols = d as number;
    const numbers = (field: string, v: unknown, length: number): Float64Array => {
      if (!Array.isArray(v) || v.length !== length) fail(field, `expected an array of ${length} numbers, got ${Array.isArray(v) ? `${v.length} items` : typeof v}`);
      const arr = Float64Array.from(v as unknown[], (x) => (typeof x === 'number' ? x : NaN));
      for (let i = 0; i < arr.length; i++) if (!Number.isFinite(arr[i])) fail(field, `item ${i} is not a finite number`);
      return arr;
    };
    let scaler: ScalerParams | null = null;
    if (o.scaler !== null && o.scaler !== undefined) {
      const s = o.scaler as Record<string, unknown>;
      if (typeof s !== 'object' || Array.isArray(s)) fail('scaler', 'expected an object or null');
      if (s.kind !== 'standard' && s.kind !== 'minmax') fail('scaler.kind', `expected "standard" or "minmax", got ${JSON.stringify(s.kind)}`);
      scaler = { kind: s.kind as 'standard' | 'minmax', shift: numbers('scaler.shift', s.shift, cols), scale: numbers('scaler.scale', s.scale, cols) };
    }
    let pca: PcaTransform | null = null;
    if (o.pca !== null && o.pca !== undefined) {
      const p = o.pca as Record<string, unknown>;
      if (typeof p !== 'object' || Array.isArray(p)) fail('pca', 'expected an object or null');
      const k = p.k;
      if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > cols) fail('pca.k', `expected an integer from 1 to ${cols}, got ${JSON.stringify(k)}`);
      const kk = k as number;
      const ratio = p.explainedVarianceRatio === undefined ? [] : Array.from(numbers('pca.explainedVarianceRatio', p.explainedVarianceRatio, kk));
      pca = {
        k: kk,
        mean: numbers('pca.mean', p.mean, cols),
        components: Float32Array.from(numbers('pca.components', p.components, kk * cols)),
        explainedVarianceRatio: ratio,
      };
    }
    const pipeline = new Pipeline(cols, scaler, pca);
    if (o.outputCols !== undefined && o.outputCols !== pipeline.outputCols) {
      fail('outputCols', `is ${JSON.stringify(o.outputCols)} but the transform gives ${pipeline.outputCols}`);
    }
    return pipeline;
  }
}
