/**
 * mlplab: multilayer-perceptron classifiers from scratch, on WebAssembly SIMD kernels.
 * This entry point runs anywhere (Node, browsers, Web Workers). File-system helpers live in
 * `mlplab/node` (src/node.ts).
 */
export * from './errors.js';

// Kernels and randomness
export { ACTIVATIONS, activationCode, type Activation, type Backend } from './tensor/backend.js';
export { createBackend, getBackend, useBackend, type BackendName } from './tensor/index.js';
export { Matrix } from './tensor/matrix.js';
export { ReferenceBackend } from './tensor/reference.js';
export { Rng } from './tensor/rng.js';

// Network
export { resolveModelOptions, type HiddenLayerOptions, type ModelOptions, type ResolvedModelOptions } from './nn/config.js';
export type { Layer, Param } from './nn/layer.js';
export { Sequential, type BuildOptions } from './nn/model.js';
export { MODEL_FORMAT, MODEL_VERSION, modelFromJSON, modelToJSON } from './nn/serialize.js';

// Optimisation
export { Optimizer, adam, adamw, sgd, type AdamOptions, type SgdOptions } from './optim/optimizers.js';
export { constant, cosine, stepDecay, warmup, type Schedule } from './optim/schedules.js';
export { addDecayedWeights, chain, scaleByAdam, scaleByLearningRate, trace, type OptimizerTarget, type Transform } from './optim/transforms.js';

// Training
export { EarlyStopping, type Callback, type TrainContext } from './train/callbacks.js';
export { fit, type FitOptions, type FitResult, type LabelledData } from './train/fit.js';
export type { EpochRecord } from './train/history.js';
export { resolveTrainOptions, type ResolvedTrainOptions, type TrainOptions } from './train/options.js';
export { PRESETS, mergeSpecs, networkToModelOptions, resolveRun, type NetworkSpec, type ResolvedRun, type RunSpec } from './config.js';
export { evaluateClassifier, trainRun, type Evaluation, type RunOptions, type TrainValData } from './workflow.js';

// Metrics and reports
export { accuracy, classificationReport, confusionMatrix, type ClassificationReport, type ClassReport } from './metrics/classification.js';
export { accuracyChart, confusionChart, factorChart, lossChart } from './report/charts.js';
export { formatClassificationReport, formatConfusionMatrix } from './report/text.js';

// Data (parsers take bytes, so they work in the browser too)
export { parseNpy, parseNpz, writeNpy } from './data/npy.js';
export { parseIdx } from './data/idx.js';
export type { Dataset, PrepStep } from './data/dataset.js';
