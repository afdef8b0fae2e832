/**
 * A trained classifier as one model file: the network, the fitted pre-processing, the class
 * names and what produced it (run options, data source, kept epoch). Browser-safe: the text
 * is produced and read here; saving and loading files is src/io/model-file.ts.
 *
 * In the file (src/nn/serialize.ts) `extras` holds `classNames`, `pipeline` (the pipeline's
 * small meta JSON, or null), `table` (a table model's encoder: columns, categories, imputed
 * values), `run`, `source` and `epoch`; the pipeline's arrays are extra tensors named "pipeline.*".
 */
import { z } from 'zod';
import { Pipeline, type PipelineMeta } from '../data/pipeline.js';
import { TableEncoder } from '../data/table/encoder.js';
import { ModelFormatError, ShapeError } from '../errors.js';
import { Sequential } from '../nn/model.js';
import { modelFromJSON, modelToJSON, type ModelReadOptions, type NamedTensor } from '../nn/serialize.js';
import type { Backend } from '../tensor/backend.js';
import { parseFileFields } from '../validate.js';

export interface ModelFileContents {
  model: Sequential;
  /**
   * The other networks of a seed ensemble (same options as `model`, other seeds): the model's
   * probabilities are the mean of all of them. Absent or empty: a single network.
   */
  members?: Sequential[];
  /** The fitted pre-processing raw rows go through before the network; null for none. */
  pipeline: Pipeline | null;
  /** A table model's encoder (raw cells: numbers, texts, blanks, matched by column name), applied before `pipeline`. */
  table?: TableEncoder | null;
  /** One name per class, in label order. */
  classNames: string[];
  /**
   * The label value of each class, when the training labels were numbers other than 0..K-1
   * (1990, 2000, 2010): `predict` writes these values. Absent: class i is label i.
   */
  classValues?: number[];
  /** The run options that trained the model. */
  run?: unknown;
  /** The data source it was trained on. */
  source?: string;
  /** The epoch whose weights were kept. */
  epoch?: number;
}

/** Most networks a seed ensemble may hold. */
export const MAX_ENSEMBLE = 64;
/** Extra tensors of ensemble member i (1-based after the first network): `ensemble.<i>.<name>`. */
const ENSEMBLE_PREFIX = 'ensemble.';

/** A network's parameters and batch-norm statistics, in the order the file keeps them. */
function networkTensors(m: Sequential): { name: string; value: { rows: number; cols: number; data: Float32Array } }[] {
  return [...m.params.map((p) => ({ name: p.name, value: p.value })), ...m.stateTensors()];
}

/** The other networks of an ensemble from their tensors: each of the first network's shapes, finite (checked by the reader). */
function readMembers(model: Sequential, count: number, tensors: Map<string, NamedTensor>, file: string, read: Backend | ModelReadOptions): Sequential[] {
  const wanted = new Set<string>();
  const members: Sequential[] = [];
  try {
    for (let i = 1; i < count; i++) {
      const backend = 'alloc' in read ? read : read.backend;
      const m = Sequential.create(model.options, { backend });
      members.push(m);
      for (const t of networkTensors(m)) {
        const name = `${ENSEMBLE_PREFIX}${i}.${t.name}`;
        wanted.add(name);
        const saved = tensors.get(name);
        if (!saved) throw new ModelFormatError(file, `tensors: extras.ensemble is ${count}, but ${name} is missing`);
        if (saved.shape.length !== 2 || saved.shape[0] !== t.value.rows || saved.shape[1] !== t.value.cols || !(saved.data instanceof Float32Array)) {
          throw new ModelFormatError(file, `tensors: ${name} must be float32 of shape [${t.value.rows}, ${t.value.cols}], like ${t.name}`);
        }
        t.value.data.set(saved.data);
      }
    }
    const stray = [...tensors.keys()].find((n) => n.startsWith(ENSEMBLE_PREFIX) && !wanted.has(n));
    if (stray) throw new ModelFormatError(file, `tensors: ${stray} belongs to no network of the ensemble (extras.ensemble is ${count})`);
    return members;
  } catch (e) {
    for (const m of members) m.dispose();
    throw e;
  }
}

/**
 * Class probabilities of a model file's network, or the mean over an ensemble's networks:
 * rows x classes, row-major.
 */
export function ensembleProba(c: Pick<ModelFileContents, 'model' | 'members'>, x: Float32Array, rows: number): Float32Array {
  const p = c.model.predictProba(x, rows);
  const members = c.members ?? [];
  if (members.length === 0) return p;
  const sum = Float64Array.from(p);
  for (const m of members) {
    const q = m.predictProba(x, rows);
    for (let i = 0; i < sum.length; i++) sum[i] += q[i];
  }
  const k = members.length + 1;
  for (let i = 0; i < p.length; i++) p[i] = sum[i] / k;
  return p;
}

/** A regression model file's prediction of each row: its network's, or the mean over an ensemble's networks. */
export function ensembleValues(c: Pick<ModelFileContents, 'model' | 'members'>, x: Float32Array, rows: number): Float64Array {
  return meanValues([c.model, ...(c.members ?? [])].map((m) => m.predictValues(x, rows)));
}

/** The mean of several networks' predictions, summed in their order (as `ensembleValues` takes it); a single one as it is. */
export function meanValues(values: Float64Array[]): Float64Array {
  if (values.length === 1) return values[0];
  const v = Float64Array.from(values[0]);
  for (const w of values.slice(1)) for (let i = 0; i < v.length; i++) v[i] += w[i];
  for (let i = 0; i < v.length; i++) v[i] /= values.length;
  return v;
}

/** The most probable class of each row of rows x `k` probabilities (the first on a tie). */
export function argmaxRows(p: Float32Array, k: number): Int32Array {
  const rows = p.length / k;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (p[r * k + c] > p[r * k + best]) best = c;
    out[r] = best;
  }
  return out;
}

/** Class names '0' .. 'K-1', for models saved without names. */
export function defaultClassNames(classes: number): string[] {
  return Array.from({ length: classes }, (_, i) => String(i));
}

/** The JSON text of a model file. Throws ShapeError when the parts do not fit together. */
export async function encodeModelFile(c: ModelFileContents): Promise<string> {
  if (c.classNames.length !== c.model.classes) {
    throw new ShapeError(`encodeModelFile: ${c.classNames.length} class names for a network with ${c.model.classes} classes`);
  }
  if (c.pipeline && c.pipeline.outputCols !== c.model.inputs) {
    throw new ShapeError(`encodeModelFile: the pre-processing gives ${c.pipeline.outputCols} features but the network takes ${c.model.inputs}`);
  }
  const width = c.pipeline ? c.pipeline.inputCols : c.model.inputs;
  if (c.table && c.table.outputCols !== width) {
    throw new ShapeError(`encodeModelFile: the table encoder gives ${c.table.outputCols} features but the ${c.pipeline ? 'pipeline' : 'network'} takes ${width}`);
  }
  const { meta, tensors } = c.pipeline ? c.pipeline.toTensors() : { meta: null, tensors: [] as NamedTensor[] };
  if (c.classValues && c.classValues.length !== c.model.classes) {
    throw new ShapeError(`encodeModelFile: ${c.classValues.length} class values for a network with ${c.model.classes} classes`);
  }
  const extras: Record<string, unknown> = { classNames: c.classNames, pipeline: meta };
  if (c.classValues) extras.classValues = c.classValues;
  if (c.table) extras.table = c.table.toJSON();
  const members = c.members ?? [];
  if (members.length) {
    if (members.length + 1 > MAX_ENSEMBLE) throw new ShapeError(`encodeModelFile: an ensemble of ${members.length + 1} networks; at most ${MAX_ENSEMBLE}`);
    const same = JSON.stringify(c.model.options);
    members.forEach((m, i) => {
      if (JSON.stringify(m.options) !== same) throw new ShapeError(`encodeModelFile: ensemble member ${i + 1} is not the same network as the first`);
      for (const t of networkTensors(m)) tensors.push({ name: `${ENSEMBLE_PREFIX}${i + 1}.${t.name}`, shape: [t.value.rows, t.value.cols], data: Float32Array.from(t.value.data) });
    });
    extras.ensemble = members.length + 1;
  }
  if (c.run !== undefined) extras.run = c.run;
  if (c.source !== undefined) extras.source = c.source;
  if (c.epoch !== undefined) extras.epoch = c.epoch;
  return modelToJSON(c.model, extras, tensors);
}

const CLASS_VALUES = 'a list of whole numbers in increasing order, one label value per class';
const extrasSchema = z.object({
  classNames: z.array(z.string({ error: 'a class name (text)' }), { error: 'a list of class names' }).optional(),
  classValues: z
    .array(z.number({ error: CLASS_VALUES }).refine(Number.isSafeInteger, { error: CLASS_VALUES }), { error: CLASS_VALUES })
    .refine((v) => v.every((x, i) => i === 0 || x > v[i - 1]), { error: CLASS_VALUES })
    .optional(),
  pipeline: z.unknown().optional(),
  table: z.unknown().optional(),
  ensemble: z.number({ error: `a whole number of networks from 2 to ${64}` }).int({ error: 'a whole number of networks from 2 to 64' }).min(2, { error: 'a whole number of networks from 2 to 64' }).max(64, { error: 'a whole number of networks from 2 to 64' }).optional(),
  run: z.unknown().optional(),
  source: z.string({ error: 'the data source (text)' }).optional(),
  epoch: z.number({ error: 'a whole number >= 0' }).int({ error: 'a whole number >= 0' }).min(0, { error: 'a whole number >= 0' }).optional(),
});

/**
 * Read a model file's text (`file` names it in errors). Beyond what modelFromJSON checks:
 * the extras' fields, the pipeline (meta and tensors), that its output width is the network's
 * input width, and that there is one class name per class (names default to '0' .. 'K-1' when
 * the file has none). Errors are ModelFormatErrors naming the file and the field.
 *
 * Version-1 files (pipeline as JSON numbers in extras) give the same result as version 2:
 * their pipeline is read with Pipeline.fromJSON and `extras.pipeline` becomes its meta.
 */
export async function decodeModelFile(
  text: string,
  file: string,
  read: Backend | ModelReadOptions = {},
): Promise<ModelFileContents & { extras: Record<string, unknown> }> {
  const { model, extras, tensors, version } = await modelFromJSON(text, file, read);
  try {
    const e = parseFileFields(extrasSchema, extras, file, 'extras');
    let pipeline: Pipeline | null = null;
    let out = extras;
    if (e.pipeline !== undefined && e.pipeline !== null) {
      if (version === 1) {
        pipeline = Pipeline.fromJSON(e.pipeline, file);
        out = { ...extras, pipeline: pipeline.toTensors().meta satisfies PipelineMeta };
      } else {
        pipeline = Pipeline.fromTensors(e.pipeline, tensors, file);
      }
    } else {
      const stray = [...tensors.keys()].find((name) => name.startsWith('pipeline.'));
      if (stray) throw new ModelFormatError(file, `extras.pipeline: missing, but the file holds the pipeline tensor ${stray}`);
    }
    if (pipeline && pipeline.outputCols !== model.inputs) {
      throw new ModelFormatError(file, `extras.pipeline.outputCols: the pre-processing gives ${pipeline.outputCols} features but the network takes ${model.inputs} (model.inputs)`);
    }
    const table = e.table === undefined || e.table === null ? null : TableEncoder.fromJSON(e.table, file);
    const width = pipeline ? pipeline.inputCols : model.inputs;
    if (table && table.outputCols !== width) {
      throw new ModelFormatError(file, `extras.table: the table encoder gives ${table.outputCols} features but the ${pipeline ? 'pre-processing' : 'network'} takes ${width}`);
    }
    const members = readMembers(model, e.ensemble ?? 1, tensors, file, read);
    if (e.classNames && e.classNames.length !== model.classes) {
      throw new ModelFormatError(file, `extras.classNames: ${e.classNames.length} names, but the network has ${model.classes} classes (model.classes)`);
    }
    if (e.classValues && e.classValues.length !== model.classes) {
      throw new ModelFormatError(file, `extras.classValues: ${e.classValues.length} values, but the network has ${model.classes} classes (model.classes)`);
    }
    return {
      model,
      pipeline,
      table,
      ...(members.length ? { members } : {}),
      classNames: e.classNames ?? defaultClassNames(model.classes),
      ...(e.classValues ? { classValues: e.classValues } : {}),
      run: e.run,
      source: e.source,
      epoch: e.epoch,
      extras: out,
    };
  } catch (err) {
    model.dispose();
    throw err;
  }
}
