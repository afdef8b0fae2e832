/**
 * A saved model ready to answer raw rows: the model file's pre-processing, then the network.
 * This is all `mlplab/infer` needs, so it imports nothing of training, reports or studies.
 */
import type { FeatureRows } from '../data/dataset.js';
import { ShapeError } from '../errors.js';
import type { Sequential } from '../nn/model.js';
import type { Backend } from '../tensor/backend.js';
import { decodeModelFile, type ModelFileContents } from './model-file.js';

export interface Predictor {
  /** One name per class, in class order. */
  readonly classNames: string[];
  /** The label value of each class when the training labels were numbers other than 0..K-1. */
  readonly classValues?: number[];
  /** Features per raw row, before the model's own pre-processing. */
  readonly inputs: number;
  /** The network, for inspection; `dispose` frees it. */
  readonly model: Sequential;
  /** Raw rows put through the model file's pre-processing: what the network takes. */
  modelInputs(data: FeatureRows): Float32Array;
  /** Class probabilities, rows x classes, row-major. */
  predictProba(data: FeatureRows): Float32Array;
  /** The most probable class of each row (an index into `classNames`). */
  predict(data: FeatureRows): Int32Array;
  /** The label of each predicted class: its value when the model has class values, else its name. */
  labels(predicted: Int32Array): (string | number)[];
  dispose(): void;
}

/** Wrap a decoded model file (see `decodeModelFile`) as a Predictor. */
export function predictor(m: ModelFileContents, backend?: Backend): Predictor {
  const inputs = m.pipeline ? m.pipeline.inputCols : m.model.inputs;
  const toModel = (d: FeatureRows): Float32Array => {
    if (d.cols !== inputs) {
      throw new ShapeError(`${d.source ?? 'input'}: rows have ${d.cols} features, but the model was trained on data with ${inputs} features per row`);
    }
    return m.pipeline ? m.pipeline.transform(d.features, d.rows, backend ?? m.model.backend) : d.features;
  };
  return {
    classNames: m.classNames,
    ...(m.classValues ? { classValues: m.classValues } : {}),
    inputs,
    model: m.model,
    modelInputs: toModel,
    predictProba: (d) => m.model.predictProba(toModel(d), d.rows),
    predict: (d) => m.model.predict(toModel(d), d.rows),
    labels: (predicted) => Array.from(predicted, (c) => (m.classValues ? m.classValues[c] : m.classNames[c])),
    dispose: () => m.model.dispose(),
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
