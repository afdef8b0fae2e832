/**
 * mlplab: multilayer perceptrons from scratch, on WebAssembly SIMD kernels. This entry holds
 * what a model is built, trained, run and saved with, and runs anywhere (Node, browsers, Web
 * Workers). The rest is in subpaths:
 *
 * - `mlplab/data`: file formats, data sources, pre-processing pieces
 * - `mlplab/report`: the run report as data, charts, text and HTML, number formatting
 * - `mlplab/export`: ONNX out, PyTorch weights in and out
 * - `mlplab/kernels`: backends, matrices, the seeded generator, threads
 * - `mlplab/infer`: a saved model's predictions alone (the smallest bundle)
 * - `mlplab/node`: files on disk, run folders, figures as SVG/PNG (Node only)
 * - `mlplab/tune`: studies (Node only)
 *
 * @example
 * import { PRESETS, runExperiment } from 'mlplab';
 * import { loadSource } from 'mlplab/node';
 * const result = await runExperiment(PRESETS.final, await loadSource('fashion-mnist'));
 * console.log(result.report.test?.accuracy);
 *
 * @module mlplab
 */
export { ConfigError, DataError, DivergenceError, MlplabError, ModelFormatError, OutputError, ShapeError, StorageError, ThreadError } from './errors.js';

// The engine: kernels are chosen once; everything else takes the backend they give
export { loadBackend, type Backend, type BackendName } from './tensor/index.js';

// The network
export { Sequential, type BuildOptions } from './nn/model.js';
export type { HiddenLayerOptions, ModelOptions } from './nn/config.js';
export type { Layer, Param } from './nn/layer.js';

// Optimisers and schedules
export { adam, adamw, sgd, type AdamOptions, type Optimizer, type OptimizerOptions, type SgdOptions } from './optim/optimizers.js';
export { addDecayedWeights, chain, scaleByAdam, scaleByLearningRate, trace, type Transform } from './optim/transforms.js';
export { constant, cosine, stepDecay, warmup, type Schedule } from './optim/schedules.js';

// Training
export { fit, type FitOptions, type FitResult } from './train/fit.js';
export { Checkpoint, EarlyStopping, type Callback, type TrainContext } from './train/callbacks.js';
export type { TrainOptions } from './train/options.js';
export type { EpochRecord } from './metrics/history-types.js';

// Data
export type { Dataset, FeatureRows, PrepStep } from './data/dataset.js';
export { prepare, type PrepareOptions, type Prepared, type RawData } from './data/prepare.js';
export { fromRecords, type Cell, type Columns, type Records, type RecordsOptions } from './data/table/records.js';

// One run, end to end, and scoring
export { PRESETS, mergeSpecs, resolveRun, type DataOptions, type NetworkSpec, type ResolvedRun, type RunInput, type RunSpec } from './run/spec.js';
export type { Choice } from './run/auto.js';
export { runExperiment, runMetrics, type RunHooks, type RunMetrics, type RunResult } from './run/experiment.js';
export { evaluate, evaluateRegression, predict, type Evaluation, type RegressionEvaluation } from './run/train.js';
export { accuracy, classificationReport, confusionMatrix, type ClassificationReport } from './metrics/classification.js';
export { regressionScores, type RegressionScores } from './metrics/regression.js';
export type { RunReport } from './report/run-report.js';

// Saved models
export { decodeModelFile, encodeModelFile, ensembleProba, ensembleValues, type ModelFileContents } from './run/model-file.js';
export { loadPredictor, predictor, type Predictor } from './run/predictor.js';
