import { classificationReport } from '../metrics/classification.js';
import { ConfigError, DataError, DivergenceError, ShapeError } from '../errors.js';
import { checkFinite, type Sequential } from '../nn/model.js';
import { gatherLabels } from '../data/batches.js';
import type { Dataset } from '../data/dataset.js';
import { Rng } from '../tensor/rng.js';
import { EarlyStopping, type Callback, type TrainContext } from './callbacks.js';
import { LayerStatsCollector } from './diagnostics.js';
import type { EpochRecord } from '../metrics/history-types.js';
import { makeOptimizer, resolveTrainOptions, type TrainOptions } from './options.js';
import { regressionScores, type RegressionScores } from '../metrics/regression.js';
import { rowLoss, type RegressionLoss } from '../nn/loss.js';

export interface FitOptions {
  train?: TrainOptions;
  callbacks?: Callback[];
  /** Abort between batches (the browser's pause/reset button, Ctrl-C). */
  signal?: AbortSignal;
  /** Called after every batch with the running mean loss; for live progress. */
  onBatch?: (epoch: number, batch: number, batches: number, meanLoss: number) => void;
  /** The class names, when `train.classWeight` names classes. */
  classNames?: readonly string[];
  /** Also record the validation part's balanced accuracy and macro F1 each epoch (a study's metric may be one of them). */
  classMetrics?: boolean;
}

export interface FitResult {
  history: EpochRecord[];
  /** Epoch (from 1) with the best monitored value; the last epoch without early stopping. */
  bestEpoch: number;
  stoppedEarly: boolean;
  /** Whether the best epoch's weights were put back at the end. */
  restoredBest: boolean;
  aborted: boolean;
  seconds: number;
}

/**
 * Train `model` with mini-batch gradient descent. Each epoch shuffles the training rows with
 * a seeded generator, steps through batches, then measures loss and accuracy on `val` in
 * inference mode. A non-finite loss stops with a DivergenceError.
 *
 * @example
 * const result = await fit(model, train, val, { train: { epochs: 50, learningRate: 1e-3, earlyStopping: { patience: 10 } } });
 */
export async function fit(model: Sequential, train: Dataset, val: Dataset | null, options: FitOptions = {}): Promise<FitResult> {
  const o = resolveTrainOptions(options.train ?? {});
  for (const [name, d] of [['training data', train], ['validation data', val]] as const) {
    if (d && d.cols !== model.inputs) {
      throw new ShapeError(`${name} has ${d.cols} features per row but the model expects ${model.inputs}`);
    }
  }
  if (train.rows === 0) throw new ShapeError('training data has no rows');
  const usesBatchNorm = model.layers.some((l) => l.kind === 'batchnorm');
  if (usesBatchNorm && o.batchSize < 2) {
    throw new ConfigError('train.batchSize', o.batchSize, 'a whole number >= 2 when the model uses batch normalisation (batch statistics need two rows)');
  }
  if (usesBatchNorm && train.rows < 2) {
    throw new ShapeError(`training data has 1 row; batch normalisation needs at least 2 rows per batch`);
  }
  if (o.earlyStopping !== false && o.earlyStopping.monitor !== 'trainLoss' && (!val || val.rows === 0)) {
    throw new ConfigError('train.earlyStopping', o.earlyStopping, "false, or monitor 'trainLoss', when there is no validation data (valLoss and valAccuracy watch a validation metric)");
  }
  const regress = model.task === 'regress';
  checkLabelled(train, model, 'training data');
  if (val) checkLabelled(val, model, 'validation data');
  checkTaskOptions(model.task, o);
  const lossKind = o.loss === 'auto' ? 'mse' : o.loss;
  // Regression trains on the standardised target, the scale the model's target options give.
  const ys = regress ? standardised(train.targets!, model) : train.labels;
  const started = performance.now();
  const weights = regress ? null : classWeights(o.classWeight, train.labels, model.classes, options.classNames);
  const optimizer = makeOptimizer(model, o);
  const callbacks = [...(options.callbacks ?? [])];
  const early = o.earlyStopping === false ? null : new EarlyStopping(o.earlyStopping);
  if (early) callbacks.unshift(early);
  const ctx: TrainContext = { model, epochs: o.epochs, stopTraining: false, history: [] };
  const rng = new Rng(o.seed ^ 0x5eed);
  const batch = Math.min(o.batchSize, train.rows);
  const batches = Math.ceil(train.rows / batch);
  let aborted = false;

  // The training rows are copied once into backend memory, so each batch is gathered there.
  const backend = model.backend;
  const trainRows = backend.alloc(train.rows, train.cols);
  trainRows.data.set(train.features);
  // With threads, another thread gathers the next batch while this one trains, into the
  // other of two staging buffers; the batches and their order are the same either way.
  const prefetch = (backend.threads ?? 1) > 1 && backend.prefetchRows !== undefined && backend.settle !== undefined;
  const staging = prefetch ? [backend.alloc(batch, train.cols), backend.alloc(batch, train.cols)] : [];
  const layerStats = o.diagnostics && model.hidden.length > 0 ? new LayerStatsCollector(model, batches) : null;
  /** Rows in batch b of an epoch (it starts at row b * batch of the order), 0 when it is skipped. */
  const rowsOf = (b: number) => {
    const n = Math.min(batch, train.rows - b * batch);
    return n < 2 && usesBatchNorm ? 0 : n;
  };
  try {
    for (const cb of callbacks) await cb.onTrainBegin?.(ctx);
    for (let epoch = 0; epoch < o.epochs && !ctx.stopTraining; epoch++) {
      const t0 = performance.now();
      const order = rng.permutation(train.rows);
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      layerStats?.beginEpoch();
      if (prefetch && rowsOf(0) > 0) backend.prefetchRows!(trainRows, order, 0, staging[0].rowsView(0, rowsOf(0)));
      for (let b = 0; b < batches; b++) {
        if (options.signal?.aborted) {
          aborted = true;
          break;
        }
        const start = b * batch;
        // Batch statistics of a single row are undefined (PyTorch refuses them): skip such a tail.
        const n = rowsOf(b);
        if (n === 0) continue;
        const buffers = model.batchBuffers(n);
        let x = buffers.x;
        const y = buffers.y;
        if (prefetch) {
          backend.settle!();
          x = n === batch ? staging[b % 2] : staging[b % 2].rowsView(0, n);
          const next = b + 1 < batches ? rowsOf(b + 1) : 0;
          if (next > 0) backend.prefetchRows!(trainRows, order, start + batch, staging[(b + 1) % 2].rowsView(0, next));
        } else {
          backend.gatherRows(trainRows, order, start, x);
        }
        gatherLabels(ys, order, start, n, y.data);
        const { loss, correct: c } = model.lossAndGradients(x, y, o.labelSmoothing, weights, lossKind);
        if (!Number.isFinite(loss)) throw new DivergenceError(epoch + 1, b + 1, loss);
        layerStats?.afterBackward(b);
        optimizer.step(epoch);
        layerStats?.afterStep(b);
        lossSum += loss * n;
        correct += c;
        seen += n;
        options.onBatch?.(epoch + 1, b + 1, batches, lossSum / seen);
      }
      if (aborted) break;
      const predicted = options.classMetrics && val && val.rows > 0 && !regress ? new Int32Array(val.rows) : undefined;
      const hasVal = val !== null && val.rows > 0;
      const scored = hasVal && regress ? measureRegression(model, val, lossKind) : null;
      const v = scored ?? (hasVal ? model.measure(val.features, val.labels, val.rows, predicted) : { loss: NaN, accuracy: NaN });
      const record: EpochRecord = {
        epoch: epoch + 1,
        trainLoss: lossSum / seen,
        valLoss: v.loss,
        trainAccuracy: regress ? NaN : correct / seen,
        valAccuracy: v.accuracy,
        seconds: (performance.now() - t0) / 1000,
        learningRate: optimizer.learningRate(epoch),
      };
      if (scored) Object.assign(record, { valR2: scored.r2, valRmse: scored.rmse, valMae: scored.mae });
      if (predicted && val) {
        const r = classificationReport(val.labels, predicted, model.classes);
        record.valBalancedAccuracy = r.balancedAccuracy;
        record.valMacroF1 = r.macro.f1;
      }
      if (layerStats) record.layers = layerStats.endEpoch();
      if (val && val.rows > 0 && !Number.isFinite(v.loss)) throw new DivergenceError(epoch + 1, batches, v.loss);
      ctx.history.push(record);
      for (const cb of callbacks) await cb.onEpochEnd?.(record, ctx);
    }
    for (const cb of callbacks) await cb.onTrainEnd?.(ctx);
  } finally {
    if (prefetch) {
      // A gather may still be writing a staging buffer (an interrupted epoch): wait before freeing it.
      try {
        backend.settle!();
      } catch {
        // A failed thread: the error that ended training is the one to report.
      }
      for (const m of staging) backend.free(m);
    }
    optimizer.dispose();
    layerStats?.dispose();
    backend.free(trainRows);
  }
  const last = ctx.history.length;
  return {
    history: ctx.history,
    bestEpoch: early && early.bestEpoch > 0 ? early.bestEpoch : last,
    stoppedEarly: early !== null && early.stoppedEpoch > 0,
    restoredBest: early?.restored ?? false,
    aborted,
    seconds: (performance.now() - started) / 1000,
  };
}

/** Refuse non-finite features, labels outside [0, classes) and non-finite targets before any step is taken. */
function checkLabelled(d: Dataset, model: Sequential, what: string): void {
  const classes = model.classes;
  if (d.features.length !== d.rows * d.cols || d.labels.length !== d.rows) {
    throw new ShapeError(`${what}: ${d.rows} rows of ${d.cols} features need ${d.rows * d.cols} values and ${d.rows} labels; got ${d.features.length} and ${d.labels.length}`);
  }
  checkFinite(d.features, d.cols, what);
  if (model.task === 'regress') {
    if (!d.targets || d.targets.length !== d.rows) throw new DataError(what, `a regression model needs a number to predict per row (Dataset.targets); ${d.targets ? `got ${d.targets.length} for ${d.rows} rows` : 'the rows have class labels only (load them with task regress)'}`);
    for (let r = 0; r < d.rows; r++) if (!Number.isFinite(d.targets[r])) throw new DataError(what, `row ${r} has target ${d.targets[r]}; every row needs a finite number to predict`);
    return;
  }
  if (d.targets) throw new DataError(what, 'holds regression targets, but the model is a classifier (task classify)');
  for (let r = 0; r < d.rows; r++) {
    const y = d.labels[r];
    if (!(y >= 0 && y < classes)) {
      throw new DataError(what, `row ${r} has label ${y}, but the model has ${classes} classes (labels 0 to ${classes - 1})`);
    }
  }
}

/**
 * The weight of each class: none (null), 'balanced' (rows / (classes x rows of the class),
 * scikit-learn's rule; a class without training rows gets 1), or by class name (others 1).
 */
export function classWeights(spec: 'none' | 'balanced' | Record<string, number>, labels: Int32Array, classes: number, names?: readonly string[]): Float32Array | null {
  if (spec === 'none') return null;
  const w = new Float32Array(classes).fill(1);
  if (spec === 'balanced') {
    const counts = new Float64Array(classes);
    for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
    const present = counts.filter((n) => n > 0).length;
    for (let c = 0; c < classes; c++) if (counts[c] > 0) w[c] = labels.length / (present * counts[c]);
    return w;
  }
  const known = names ?? Array.from({ length: classes }, (_, i) => String(i));
  for (const [name, weight] of Object.entries(spec)) {
    const c = known.indexOf(name);
    if (c < 0) throw new ConfigError('train.classWeight', name, `a class name: ${known.slice(0, 12).map((n) => JSON.stringify(n)).join(', ')}${known.length > 12 ? ', ...' : ''}`);
    w[c] = weight;
  }
  return w;
}

/** Training options the task cannot use, refused by name: class weights, label smoothing and accuracy for regression, a regression loss for classes. */
export function checkTaskOptions(task: 'classify' | 'regress', o: ReturnType<typeof resolveTrainOptions>): void {
  if (task === 'classify') {
    if (o.loss !== 'auto') throw new ConfigError('train.loss', o.loss, "'auto' for a classifier (softmax cross-entropy); mse, huber and mae are regression losses");
    return;
  }
  if (o.classWeight !== 'none') throw new ConfigError('train.classWeight', o.classWeight, "'none' for regression (class weights weigh classes)");
  if (o.labelSmoothing !== 0) throw new ConfigError('train.labelSmoothing', o.labelSmoothing, '0 for regression (label smoothing softens class labels)');
  if (o.earlyStopping !== false && o.earlyStopping.monitor === 'valAccuracy') {
    throw new ConfigError('train.earlyStopping.monitor', 'valAccuracy', "'valLoss' or 'trainLoss' for regression (accuracy counts classes)");
  }
}

/** (target - mean) / std as float32, with the model's target scaling. */
function standardised(t: Float64Array, model: Sequential): Float32Array {
  const { mean, std } = model.options.target ?? { mean: 0, std: 1 };
  // Near the float64 limits v - mean can overflow where v / std - mean / std does not.
  return Float32Array.from(t, (v) => {
    const z = (v - mean) / std;
    return Number.isFinite(z) ? z : v / std - mean / std;
  });
}

/** A regression model on labelled rows, in inference mode: the mean loss on the standardised scale, R^2, RMSE and MAE in the target's units. */
export function measureRegression(model: Sequential, d: Dataset, kind: RegressionLoss = 'mse'): RegressionScores & { loss: number; accuracy: number } {
  const predicted = model.predictValues(d.features, d.rows, false);
  const std = model.options.target?.std ?? 1;
  let loss = 0;
  for (let r = 0; r < d.rows; r++) loss += rowLoss(predicted[r] / std - d.targets![r] / std, kind);
  return { ...regressionScores(d.targets!, predicted), loss: loss / d.rows, accuracy: NaN };
}
