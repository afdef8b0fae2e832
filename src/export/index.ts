/**
 * `mlplab/export`: models that travel. ONNX out (pre-processing included, run by ONNX Runtime),
 * and PyTorch `state_dict`s in and out as safetensors or `.npz`, for classifiers and regression
 * models (an ONNX `value` output; a PyTorch network predicting in the target's units). Bytes in,
 * bytes out: browser-safe.
 *
 * @module mlplab/export
 */
export { foldRegression, MAX_FOLDED_PARAMETERS } from './fold.js';
export { ONNX_BLANK_TEXTS, ONNX_OPSET, exportOnnx, onnxInputs, onnxOutputNames, type OnnxExportOptions, type OnnxTableInput } from './onnx.js';
export { fromStateDict, pytorchLayout, pytorchSource, stateDict, type ImportTask, type LayerSettings, type TorchModule } from './pytorch.js';
export { parseSafetensors, writeSafetensors, type TensorToWrite, type WeightTensor } from './safetensors.js';
export { exportSafetensors, importWeights, readStateDict, type ImportOptions, type SafetensorsExport } from './weights.js';
