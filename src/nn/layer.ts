import type { Backend } from '../tensor/backend.js';
import type { Matrix } from '../tensor/matrix.js';
import type { Rng } from '../tensor/rng.js';

/** A trained parameter: its value and the gradient the last backward pass wrote. */
export interface Param {
  name: string;
  value: Matrix;
  grad: Matrix;
  /** Whether weight decay applies to it (dense weights yes; biases and batch-norm scale/shift no). */
  decay: boolean;
}

/** What a layer asks the model to allocate for one parameter, and how to initialise it. */
export interface ParamSpec {
  name: string;
  rows: number;
  cols: number;
  decay: boolean;
  init(rng: Rng, data: Float32Array): void;
}

/** State that is saved with the model but not trained (batch-norm running statistics). */
export interface StateTensor {
  name: string;
  value: Matrix;
}

/**
 * Every layer has the same life: declare parameters, get them bound (the model keeps all
 * parameters in one flat buffer so an optimizer step is one kernel call per transform),
 * allocate activation buffers for a batch capacity, then forward and backward on batches of
 * up to that many rows. forward caches what backward needs. Buffers returned by forward and
 * backward belong to the layer and are overwritten by its next call.
 */
export interface Layer {
  readonly kind: string;
  readonly inputs: number;
  readonly outputs: number;
  paramSpecs(): ParamSpec[];
  bind(params: Param[]): void;
  allocate(backend: Backend, capacity: number): void;
  forward(x: Matrix, training: boolean): Matrix;
  /** Writes parameter gradients; returns d(loss)/d(input) when `needInputGrad`, else null. */
  backward(dy: Matrix, needInputGrad: boolean): Matrix | null;
  state(): StateTensor[];
  free(): void;
}

/** Rows [0, n) of a layer buffer allocated for the full capacity. */
export function prefix(buffer: Matrix, n: number): Matrix {
  return n === buffer.rows ? buffer : buffer.rowsView(0, n);
}
