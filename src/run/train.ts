import type { Dataset, FeatureRows } from '../data/dataset.js';
import { classificationReport, confusionMatrix, type ClassificationReport } from '../metrics/classification.js';
import { Sequential } from '../nn/model.js';
import type { ModelOptions } from '../nn/config.js';
import { ShapeError } from '../errors.js';
import type { Backend } from '../tensor/backend.js';
import type { Callback } from '../train/callbacks.js';
import { fit, type FitResult } from '../train/fit.js';
import { argmaxRows, ensembleValues } from './model-file.js';
import { targetMoments } from '../data/labels.js';
import { regressionScores, type RegressionScores } from '../metrics/regression.js';
import { networkToModelOptions, type ResolvedRun } from './spec.js';

/** The parts a run trains and validates on (a prepared dataset has this shape). */
export interface TrainValData {
  train: Dataset;
  val: Dataset | null;
  classes: number;
}

export interface RunOptions {
  /** Overrides `spec.train.seed`: the seed of initial weights, dropout and shuffling. */
  seed?: number;
  backend?: Backend;
  callbacks?: Callback[];
  signal?: AbortSignal;
  onBatch?: (epoch: number, batch: number, batches: number, meanLoss: number) => void;
  /** Class names, for class weights given by name. */
  classNames?: readonly string[];
  /** Record the validation part's balanced accuracy and macro F1 each epoch. */
  classMetrics?: boolean;
}

/**
 * The model options a run's network takes on this data: its inputs and classes, and for
 * regression one output learning the target standardised on the training rows.
 */
export function modelOptionsFor(spec: ResolvedRun, data: TrainValData): ModelOptions {
  const options = networkToModelOptions(spec.network, data.train.cols, data.classes);
  const t = data.train.targets;
  return t ? { ...options, task: 'regress', classes: 1, target: targetMoments(t) } : options;
}

/**
 * Build the model a resolved run describes for this data and train it. One seed fixes the
 * whole run: weights, dropout masks and the order of batches.
 */
export async function trainRun(data: TrainValData, spec: ResolvedRun, options: RunOptions = {}): Promise<{ model: Sequential; result: FitResult }> {
  const seed = options.seed ?? spec.train.seed;
  const model = Sequential.create(modelOptionsFor(spec, data), {
    seed,
    backend: options.backend,
    capacity: spec.train.batchSize,
  });
  try {
    const result = await fit(model, data.train, data.val, {
      train: { ...spec.train, seed },
      callbacks: options.callbacks,
      signal: options.signal,
      onBatch: options.onBatch,
      classNames: options.classNames,
      classMetrics: options.classMetrics,
    });
    return { model, result };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/** Everything the study reported about a model on a labelled set. */
export interface Evaluation {
  rows: number;
  loss: number;
  accuracy: number;
  confusion: number[][];
  report: ClassificationReport;
  predicted: Int32Array;
}

/**
 * The most probable class of each row of `data`, whose features are what the network takes
 * (after any pre-processing; `loadPredictor` applies a model file's own).
 *
 * @example
 * const classes = predict(model, prepared.test);
 */
export function predict(model: Sequential, data: FeatureRows): Int32Array {
  return model.predict(data.features, data.rows);
}

/** Predict every row of `data` and score the predictions (classification report, confusion matrix). */
export function evaluate(model: Sequential, data: Dataset, classNames?: string[]): Evaluation {
  // One pass: the loss, the accuracy and every row's predicted class.
  const predicted = new Int32Array(data.rows);
  const { loss, accuracy } = model.evaluate(data.features, data.labels, data.rows, predicted);
  return {
    rows: data.rows,
    loss,
    accuracy,
    confusion: confusionMatrix(data.labels, predicted, model.classes),
    report: classificationReport(data.labels, predicted, model.classes, classNames),
    predicted,
  };
}

/**
 * Score class probabilities (rows x classes, such as an ensemble's mean) on labelled rows: the
 * mean cross-entropy, accuracy (the most probable class, the first on a tie), the report and
 * the confusion matrix.
 */
export function evaluateProbabilities(p: Float32Array, data: Dataset, classes: number, classNames?: string[]): Evaluation {
  const predicted = argmaxRows(p, classes);
  let loss = 0, correct = 0;
  for (let r = 0; r < data.rows; r++) {
    if (predicted[r] === data.labels[r]) correct++;
    loss -= Math.log(Math.max(p[r * classes + data.labels[r]], 1e-12));
  }
  return {
    rows: data.rows,
    loss: loss / data.rows,
    accuracy: correct / data.rows,
    confusion: confusionMatrix(data.labels, predicted, classes),
    report: classificationReport(data.labels, predicted, classes, classNames),
    predicted,
  };
}

/** A regression model's (or an ensemble's mean) predictions on labelled rows, and their scores. */
export interface RegressionEvaluation extends RegressionScores {
  /** Mean squared error on the target's scale. */
  loss: number;
  predicted: Float64Array;
}

/**
 * Predict every row of `data` with a regression model (the mean over an ensemble's networks)
 * and score the predictions: R^2, RMSE, MAE, and the loss as the mean squared error.
 */
export function evaluateRegression(model: Sequential, data: Dataset, members: Sequential[] = []): RegressionEvaluation {
  return scoreValues(ensembleValues({ model, members }, data.features, data.rows), data);
}

/** Score predictions (rows of `data`, in the target's units) against its targets. */
export function scoreValues(predicted: Float64Array, data: Dataset): RegressionEvaluation {
  if (!data.targets) throw new ShapeError(`${data.source ?? 'data'}: regression needs a number to predict per row; the rows hold class labels`);
  const scores = regressionScores(data.targets, predicted);
  return { ...scores, loss: scores.rmse ** 2, predicted };
}
