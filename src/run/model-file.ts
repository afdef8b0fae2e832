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
import type { Sequential } from '../nn/model.js';
import { modelFromJSON, modelToJSON, type ModelReadOptions } from '../nn/serialize.js';
import type { Backend } from '../tensor/backend.js';
import { parseFileFields } from '../validate.js';

export interface ModelFileContents {
  model: Sequential;
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
  const { meta, tensors } = c.pipeline ? c.pipeline.toTensors() : { meta: null, tensors: [] };
  if (c.classValues && c.classValues.length !== c.model.classes) {
    throw new ShapeError(`encodeModelFile: ${c.classValues.length} class values for a network with ${c.model.classes} classes`);
  }
  const extras: Record<string, unknown> = { classNames: c.classNames, pipeline: meta };
  if (c.classValues) extras.classValues = c.classValues;
  if (c.table) extras.table = c.table.toJSON();
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
