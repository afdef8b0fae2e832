import { z } from 'zod';
import { ShapeError } from '../errors.js';
import type { NamedTensor } from '../nn/serialize.js';
import { getBackend, type Backend } from '../tensor/index.js';
import { fields, parseFileFields } from '../validate.js';
import type { PcaFit } from './pca.js';
import type { ScalerParams } from './scale.js';

/** A Pipeline as plain JSON numbers (`toJSON`): preprocessing.json, and model files of format version 1. */
export interface PipelineJSON {
  format: 'mlplab-pipeline';
  version: 1;
  inputCols: number;
  outputCols: number;
  scaler: { kind: 'standard' | 'minmax'; shift: number[]; scale: number[] } | null;
  pca: { k: number; mean: number[]; components: number[]; explainedVarianceRatio: number[] } | null;
}

/**
 * The small JSON half of a pipeline in a model file (`toTensors`); its arrays travel as the
 * tensors named in PIPELINE_TENSORS.
 */
export interface PipelineMeta {
  format: 'mlplab-pipeline';
  version: 2;
  inputCols: number;
  outputCols: number;
  scaler: { kind: 'standard' | 'minmax' } | null;
  pca: { k: number; explainedVarianceRatio: number[] } | null;
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

  /**
   * The pipeline for a model file: small JSON `meta` and its arrays as named tensors (the
   * scaler and PCA mean in float64, as fitted, so a reloaded pipeline transforms bit-identically;
   * the PCA components in float32, as applied). The tensors hold copies.
   */
  toTensors(): { meta: PipelineMeta; tensors: NamedTensor[] } {
    const d = this.inputCols;
    const tensors: NamedTensor[] = [];
    if (this.scaler) {
      tensors.push({ name: PIPELINE_TENSORS.shift, shape: [d], data: Float64Array.from(this.scaler.shift) });
      tensors.push({ name: PIPELINE_TENSORS.scale, shape: [d], data: Float64Array.from(this.scaler.scale) });
    }
    if (this.pca) {
      tensors.push({ name: PIPELINE_TENSORS.mean, shape: [d], data: Float64Array.from(this.pca.mean) });
      tensors.push({ name: PIPELINE_TENSORS.components, shape: [this.pca.k, d], data: Float32Array.from(this.pca.components) });
    }
    const meta: PipelineMeta = {
      format: 'mlplab-pipeline',
      version: 2,
      inputCols: d,
      outputCols: this.outputCols,
      scaler: this.scaler ? { kind: this.scaler.kind } : null,
      pca: this.pca ? { k: this.pca.k, explainedVarianceRatio: [...this.pca.explainedVarianceRatio] } : null,
    };
    return { meta, tensors };
  }

  /**
   * Rebuild a pipeline from `toTensors()` output (as read from a model file): checks the meta's
   * fields and bounds, that exactly the tensors it needs are present (other names starting with
   * "pipeline." are refused) with the right shape and dtype, and that every value is finite.
   * Throws ModelFormatError naming `file` and the field. The pipeline keeps the tensors' arrays.
   */
  static fromTensors(meta: unknown, tensors: Map<string, NamedTensor>, file: string): Pipeline {
    const m = parseFileFields(pipelineMetaSchema, meta, file, 'pipeline');
    const d = m.inputCols;
    const wanted: Record<string, z.ZodType> = {};
    if (m.scaler) {
      wanted[PIPELINE_TENSORS.shift] = tensorSchema(PIPELINE_TENSORS.shift, [d], 'float64');
      wanted[PIPELINE_TENSORS.scale] = tensorSchema(PIPELINE_TENSORS.scale, [d], 'float64');
    }
    if (m.pca) {
      wanted[PIPELINE_TENSORS.mean] = tensorSchema(PIPELINE_TENSORS.mean, [d], 'float64');
      wanted[PIPELINE_TENSORS.components] = tensorSchema(PIPELINE_TENSORS.components, [m.pca.k, d], 'float32');
    }
    const ours = Object.fromEntries([...tensors].filter(([name]) => name.startsWith('pipeline.')));
    parseFileFields(z.strictObject(wanted), ours, file);
    const data = <T>(name: string) => tensors.get(name)!.data as T;
    const scaler: ScalerParams | null = m.scaler
      ? { kind: m.scaler.kind, shift: data<Float64Array>(PIPELINE_TENSORS.shift), scale: data<Float64Array>(PIPELINE_TENSORS.scale) }
      : null;
    const pca: PcaTransform | null = m.pca
      ? {
          k: m.pca.k,
          mean: data<Float64Array>(PIPELINE_TENSORS.mean),
          components: data<Float32Array>(PIPELINE_TENSORS.components),
          explainedVarianceRatio: m.pca.explainedVarianceRatio,
        }
      : null;
    return new Pipeline(d, scaler, pca);
  }

  /** The pipeline as plain JSON numbers (preprocessing.json; version-1 model files held this). */
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

  /**
   * Read a pipeline back from `toJSON()` output (as kept in version-1 model files); every field
   * is checked as in `fromTensors`. Throws ModelFormatError naming `file` and the field.
   */
  static fromJSON(json: unknown, file: string): Pipeline {
    const j = parseFileFields(pipelineJsonSchema, json, file, 'pipeline');
    const d = j.inputCols;
    const tensors = new Map<string, NamedTensor>();
    const put = (name: string, shape: number[], data: Float32Array | Float64Array) => tensors.set(name, { name, shape, data });
    if (j.scaler) {
      put(PIPELINE_TENSORS.shift, [j.scaler.shift.length], Float64Array.from(j.scaler.shift));
      put(PIPELINE_TENSORS.scale, [j.scaler.scale.length], Float64Array.from(j.scaler.scale));
    }
    if (j.pca) {
      put(PIPELINE_TENSORS.mean, [j.pca.mean.length], Float64Array.from(j.pca.mean));
      // Components were float32 values written as doubles: converting back is exact.
      const k = j.pca.components.length / d;
      put(PIPELINE_TENSORS.components, Number.isInteger(k) ? [k, d] : [j.pca.components.length], Float32Array.from(j.pca.components));
    }
    const meta = {
      format: 'mlplab-pipeline',
      version: 2,
      inputCols: d,
      outputCols: j.outputCols ?? (j.pca ? j.pca.k : d),
      scaler: j.scaler ? { kind: j.scaler.kind } : null,
      pca: j.pca ? { k: j.pca.k, explainedVarianceRatio: j.pca.explainedVarianceRatio } : null,
    };
    return Pipeline.fromTensors(meta, tensors, file);
  }
}

/** Names of the pipeline's tensors in a model file. */
export const PIPELINE_TENSORS = {
  shift: 'pipeline.scaler.shift',
  scale: 'pipeline.scaler.scale',
  mean: 'pipeline.pca.mean',
  components: 'pipeline.pca.components',
} as const;

/** Largest number of input columns a saved pipeline may declare. */
const MAX_COLS = 1 << 24;

const cols = (what: string) => fields.positiveInt(`${what} from 1 to ${MAX_COLS}`).max(MAX_COLS, { error: `${what} from 1 to ${MAX_COLS}` });
const ratio = z.number({ error: 'a finite fraction >= 0' }).min(0, { error: 'a finite fraction >= 0' }).finite({ error: 'a finite fraction >= 0' });
const scalerKind = z.enum(['standard', 'minmax'], { error: '"standard" or "minmax"' });

const pipelineMetaSchema = z
  .strictObject(
    {
      format: z.literal('mlplab-pipeline', { error: '"mlplab-pipeline"' }),
      version: z.literal(2, { error: '2 (model format version 2 keeps the pipeline as tensors: save it with encodeModelFile)' }),
      inputCols: cols('a whole number of input features'),
      outputCols: cols('a whole number of output features'),
      scaler: z.strictObject({ kind: scalerKind }, { error: 'an object { kind } or null' }).nullable(),
      pca: z
        .strictObject(
          {
            k: cols('a whole number of components'),
            explainedVarianceRatio: z.array(ratio, { error: 'a list of fractions, one per component' }),
          },
          { error: 'an object { k, explainedVarianceRatio } or null' },
        )
        .nullable(),
    },
    { error: 'an object describing the pre-processing' },
  )
  .superRefine((m, ctx) => {
    if (m.pca && m.pca.k > m.inputCols) {
      ctx.addIssue({ code: 'custom', path: ['pca', 'k'], message: `a whole number of components from 1 to inputCols (${m.inputCols})` });
    } else if (m.pca && m.pca.explainedVarianceRatio.length !== m.pca.k) {
      ctx.addIssue({ code: 'custom', path: ['pca', 'explainedVarianceRatio'], message: `a list of ${m.pca.k} fractions, one per component` });
    } else if (m.outputCols !== (m.pca ? m.pca.k : m.inputCols)) {
      ctx.addIssue({ code: 'custom', path: ['outputCols'], message: `${m.pca ? m.pca.k : m.inputCols}, the width the transform gives` });
    }
  });

const numbers = z.array(z.number({ error: 'a number' }), { error: 'a list of numbers' });
const pipelineJsonSchema = z.object(
  {
    format: z.literal('mlplab-pipeline', { error: '"mlplab-pipeline"' }),
    version: z.literal(1, { error: '1 (the pipeline JSON of model format version 1)' }),
    inputCols: cols('a whole number of input features'),
    outputCols: z.number().optional(),
    scaler: z.object({ kind: scalerKind, shift: numbers, scale: numbers }, { error: 'an object or null' }).nullish(),
    pca: z
      .object({ k: z.number({ error: 'a whole number of components' }), mean: numbers, components: numbers, explainedVarianceRatio: numbers }, { error: 'an object or null' })
      .nullish(),
  },
  { error: 'an object describing the pre-processing' },
);

/** A named tensor of exactly `shape` and `dtype` whose values are all finite. */
function tensorSchema(name: string, shape: number[], dtype: 'float32' | 'float64') {
  const what = `a ${dtype} tensor of shape [${shape.join(', ')}]`;
  const array = dtype === 'float64' ? Float64Array : Float32Array;
  return z.object(
    {
      name: z.literal(name, { error: JSON.stringify(name) }),
      shape: z.array(z.number()).refine((s) => s.length === shape.length && s.every((n, i) => n === shape[i]), { error: `[${shape.join(', ')}]` }),
      data: z.instanceof(array, { error: `${dtype} values` }).superRefine((v, ctx) => {
        for (let i = 0; i < v.length; i++) {
          if (!Number.isFinite(v[i])) {
            ctx.addIssue({ code: 'custom', path: [i], message: 'a finite number' });
            return;
          }
        }
      }),
    },
    { error: what },
  );
}
