// The kernels of mlplab's WebAssembly backend. Every export works on raw byte offsets into
// this module's memory; src/tensor/wasm/ owns the allocator and passes matrix offsets.

export { gemm, transpose } from './gemm';
export {
  activationForward, activationBackward, dropoutForward, multiply, addRowVector, sumRows,
  axpy, scale, fill, copyBytes, zeroBytes, momentum, adam, sgdStep, unitStats, sumSquares, gatherRows,
  firstNonFinite,
} from './elementwise';
export { batchNormTrain, batchNormInfer, batchNormBackward, softmax, softmaxCrossEntropy } from './norm';

/** First byte free for the allocator: everything below holds the module's static data. */
export function heapBase(): usize {
  return __heap_base;
}
