/**
 * mlplab: multilayer-perceptron classifiers from scratch, on WebAssembly SIMD kernels.
 * This entry point runs anywhere (Node, browsers, Web Workers). File-system helpers live in
 * `mlplab/node` (src/node.ts).
 */
export * from './errors.js';

// Kernels and randomness
export { ACTIVATIONS, activationCode, type Activation, type Backend } from './tensor/backend.js';
export {
  MAX_THREADS, WasmBackend, coreCount, createBackend, describeBackend, disposeBackend, getBackend, loadBackend, relaxedSimdSupported,
  resolveThreads, sharedBackend, threadSupport, useBackend, wasmSimdSupported,
  type BackendName, type PoolOptions, type SimdBuild, type SimdChoice, type WasmOptions,
} from './tensor/index.js';
export { Matrix } from './tensor/matrix.js';
export { ReferenceBackend } from './tensor/reference.js';
export { Rng } from './tensor/rng.js';

// Network
export { resolveModelOptions, type HiddenLayerOptions, type ModelOptions, type ResolvedModelOptions } from './nn/config.js';
export type { Layer, Param } from './nn/layer.js';
export { MAX_PARAMETERS, Sequential, type BuildOptions, type TensorShape } from './nn/model.js';
export { MAX_MODEL_FILE_BYTES, MODEL_FORMAT, MODEL_VERSION, modelFromJSON, modelToJSON, type ModelReadOptions, type NamedTensor } from './nn/serialize.js';
export { decodeModelFile, defaultClassNames, encodeModelFile, type ModelFileContents } from './run/model-file.js';

// Optimisation
export { Optimizer, adam, adamw, sgd, type AdamOptions, type OptimizerOptions, type SgdOptions } from './optim/optimizers.js';
export { constant, cosine, stepDecay, warmup, type Schedule } from './optim/schedules.js';
export { addDecayedWeights, chain, scaleByAdam, scaleByLearningRate, trace, type OptimizerTarget, type Transform, type TransformSpec } from './optim/transforms.js';

// Training
export { EarlyStopping, type Callback, type TrainContext } from './train/callbacks.js';
export { Checkpoint, improves } from './train/callbacks.js';
export { fit, type FitOptions, type FitResult } from './train/fit.js';
export type { EpochRecord, LayerStats, Moments, TensorStats } from './metrics/history-types.js';
export { LayerStatsCollector, flatRegion } from './train/diagnostics.js';
export { resolveTrainOptions, type ResolvedTrainOptions, type TrainOptions } from './train/options.js';

// One run: the spec, training and evaluation, the whole experiment, the model file
export { PRESETS, dataOptionsSchema, mergeSpecs, networkSchema, networkToModelOptions, resolveRun, runSchema, type DataOptions, type NetworkSpec, type ResolvedRun, type RunSpec } from './run/spec.js';
export { evaluateClassifier, trainRun, type Evaluation, type RunOptions, type TrainValData } from './run/train.js';
export { runExperiment, runMetrics, type RunHooks, type RunMetrics, type RunOutput, type RunResult } from './run/experiment.js';
export { csvField, predictionsCsv } from './run/predictions.js';

// Models that travel: ONNX out; PyTorch state_dicts (safetensors, .npz) in and out
export { ONNX_IR_VERSION, ONNX_NAMES, ONNX_OPSET, exportOnnx, type OnnxExportOptions } from './export/onnx.js';
export { fromStateDict, pytorchLayout, pytorchSource, stateDict, type LayerSettings, type TorchModule } from './export/pytorch.js';
export { MAX_SAFETENSORS_HEADER, parseSafetensors, writeSafetensors, type TensorToWrite, type WeightTensor } from './export/safetensors.js';
export { SAFETENSORS_META, exportSafetensors, importWeights, readStateDict, type SafetensorsExport } from './export/weights.js';

// Metrics and reports (browser-safe parts; SVG/PNG files and report.html come from mlplab/node)
export { accuracy, classificationReport, confusionMatrix, topConfusions, type AverageScores, type ClassificationReport, type ClassReport, type Confusion } from './metrics/classification.js';
export * from './report/index.js';
export * from './format.js';

// Data: parsers take bytes and pre-processing works on arrays, so all of this runs in the browser too
export { selectRows, type Dataset, type PrepStep } from './data/dataset.js';
export { FASHION_MNIST_CLASSES, FASHION_MNIST_FILES, NPZ_KEYS, inspectFile, loadOptionsSchema, memoryFiles, resolveFeatures, resolveSource, type FileSummary, type LoadedData, type LoadOptions, type SourceFiles } from './data/source.js';
export { INFLATE_DEFAULTS, INFLATE_FLOOR, gunzipLimited, inflateCap, inflateLimitsSchema, type InflateLimits } from './data/inflate.js';
export { mapLabels, type KnownClasses, type MappedLabels, type RawLabels } from './data/labels.js';
export { npzHeaders, npzMembers, parseNpy, parseNpz, readNpyHeader, writeNpy, type NpyArray, type NpyHeader, type NpzOptions } from './data/npy.js';
export { listZip, readZipEntry, type ZipEntry } from './data/zip.js';
export { parseIdx } from './data/idx.js';
export { CsvReader, parseCsv, type CsvOptions, type CsvTable } from './data/csv.js';
export { checkLabelValues, toFeatures, toLabels, type NdArray } from './data/ndarray.js';
export { countNulls, finiteRows } from './data/nulls.js';
export { stratifiedSplit } from './data/split.js';
export { fitScaler, type ScaleKind, type ScalerParams } from './data/scale.js';
export { fitPca, type PcaFit } from './data/pca.js';
export { PIPELINE_TENSORS, Pipeline, type PipelineJSON, type PipelineMeta } from './data/pipeline.js';
export { PREPARE_DEFAULTS, prepare, prepareSchema, type PrepareOptions, type Prepared, type RawData } from './data/prepare.js';
export { gatherLabels, gatherRows } from './data/batches.js';
