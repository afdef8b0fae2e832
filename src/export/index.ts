/**
 * `mlplab/export`: models that travel. ONNX out (pre-processing included, run by ONNX Runtime),
 * and PyTorch `state_dict`s in and out as safetensors or `.npz`. Bytes in, bytes out:
 * browser-safe.
 *
 * @module mlplab/export
 */
export { ONNX_BLANK_TEXTS, ONNX_OPSET, exportOnnx, onnxInputs, type OnnxExportOptions, type OnnxTableInput } from './onnx.js';
export { fromStateDict, pytorchLayout, pytorchSource, stateDict, type LayerSettings, type TorchModule } from './pytorch.js';
export { parseSafetensors, writeSafetensors, type TensorToWrite, type WeightTensor } from './safetensors.js';
export { exportSafetensors, importWeights, readStateDict, type SafetensorsExport } from './weights.js';
