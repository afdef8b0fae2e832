/**
 * A saved model ready to answer raw rows: the model file's pre-processing, then the network.
 * This is all `mlplab/infer` needs, so it imports nothing of training, reports or studies.
 */
import type { FeatureRows } from '../data/dataset.js';
import type { EncodeCounts, TableEncoder } from '../data/table/encoder.js';
import { ShapeError } from '../errors.js';
import type { Sequential } from '../nn/model.js';
import type { Backend } from '../tensor/backend.js';
import { argmaxRows, decodeModelFile, ensembleProba, ensembleValues, type ModelFileContents } from './model-file.js';

export interface Predictor {
  /** 'classify' (classes and their probabilities) or 'regress' (a number per row: predictValues). */
  readonly task: 'classify' | 'regress';
  /** One name per class, in class order; a regression model's one name is its target's. */
  readonly classNames: string[];
  /** The label value of each class when the training labels were numbers other than 0..K-1. */
  readonly classValues?: number[];
  /** Features per raw row, before the model's own pre-processing (a table model: its feature columns). */
  readonly inputs: number;
  /** A table model's encoder: the columns it takes by name, their types and categories. */
  readonly table: TableEncoder | null;
  /** The network, for inspection; `dispose` frees it. */
  readonly model: Sequential;
  /** Raw rows put through the model file's pre-processing: what the network takes. */
  modelInputs(data: FeatureRows): Float32Array;
  /** As `modelInputs`, with what a table model's encoder met (unseen categories, blanks filled). */
  encode(data: FeatureRows): { inputs: Float32Array; counts: EncodeCounts | null };
  /** Class probabilities, rows x classes, row-major. */
  predictProba(data: FeatureRows): Float32Array;
  /** The most probable class of each row (an index into `classNames`). */
  predict(data: FeatureRows): Int32Array;
  /** A regression model's prediction of each row, in the target's units (the mean over an ensemble's networks). */
  predictValues(data: FeatureRows): Float64Array;
  /** The label of each predicted class: its value when the model has class values, else its name. */
  labels(predicted: Int32Array): (string | number)[];
  dispose(): void;
}

/** Wrap a decoded model file (see `decodeModelFile`) as a Predictor. */
export function predictor(m: ModelFileContents, backend?: Backend): Predictor {
  const table = m.table ?? null;
  const numbers = m.pipeline ? m.pipeline.inputCols : m.model.inputs;
  const inputs = table ? table.meta.inputs.length : numbers;
  const encode = (d: FeatureRows): { inputs: Float32Array; counts: EncodeCounts | null } => {
    let x = d.features;
    let counts: EncodeCounts | null = null;
    if (table) {
      const e = table.encode(d, d.source ?? 'input');
      x = e.features;
      counts = e.counts;
    } else if (d.table && d.table.kinds.includes('text')) {
      const c = d.table.kinds.indexOf('text');
      throw new ShapeError(`${d.source ?? 'input'}: column ${JSON.stringify(d.table.names[c])} holds text, but the model was trained on numbers only`);
    } else if (d.cols !== inputs) {
      throw new ShapeError(`${d.source ?? 'input'}: rows have ${d.cols} features, but the model was trained on data with ${inputs} features per row`);
    }
    return { inputs: m.pipeline ? m.pipeline.transform(x, d.rows, backend ?? m.model.backend) : x, counts };
  };
  const toModel = (d: FeatureRows) => encode(d).inputs;
  /** `d`, when the model is of `task`; else the error naming the call that fits the model. */
  const only = (task: 'classify' | 'regress', call: string, d: FeatureRows): FeatureRows => {
    if (m.model.task === task) return d;
    throw new ShapeError(m.model.task === 'regress' ? `${call}: this model is a regressor; predictValues gives its predictions` : `${call}: this model is a classifier; predict gives its classes and predictProba their probabilities`);
  };
  return {
    task: m.model.task,
    classNames: m.classNames,
    ...(m.classValues ? { classValues: m.classValues } : {}),
    inputs,
    table,
    model: m.model,
    modelInputs: toModel,
    encode,
    predictProba: (d) => ensembleProba(m, toModel(only('classify', 'predictProba', d)), d.rows),
    predict: (d) => argmaxRows(ensembleProba(m, toModel(only('classify', 'predict', d)), d.rows), m.model.classes),
    predictValues: (d) => ensembleValues(m, toModel(only('regress', 'predictValues', d)), d.rows),
    labels: (predicted) => Array.from(predicted, (c) => (m.classValues ? m.classValues[c] : m.classNames[c])),
    dispose: () => {
      m.model.dispose();
      for (const x of m.members ?? []) x.dispose();
    },
  };
}

/**
 * Read a model file (the text of `model.json` written by `mlplab train`, a study or the
 * playground) and return a Predictor for raw rows, pre-processing included.
 *
 * @example
 * const p = await loadPredictor(await (await fetch('model.json')).text());
 * const classes = p.predict({ features, rows: 2, cols: 128 });
 * console.log(p.labels(classes));
 */
export async function loadPredictor(text: string, options: { file?: string; backend?: Backend } = {}): Promise<Predictor> {
  const m = await decodeModelFile(text, options.file ?? 'model file', options.backend ?? {});
  return predictor(m, options.backend);
}
