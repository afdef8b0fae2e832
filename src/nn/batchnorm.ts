import type { Backend } from '../tensor/backend.js';
import type { Matrix } from '../tensor/matrix.js';
import { prefix, type Layer, type Param, type ParamSpec, type StateTensor } from './layer.js';

/**
 * Batch normalisation over the batch dimension. Training normalises with the batch mean and
 * biased variance and updates running averages (momentum, unbiased variance: PyTorch's
 * rules); inference normalises with the running averages. Learned scale gamma and shift beta.
 */
export class BatchNorm implements Layer {
  readonly kind = 'batchnorm';
  readonly outputs: number;
  private backend!: Backend;
  private gamma!: Param;
  private beta!: Param;
  private runMean!: Matrix;
  private runVar!: Matrix;
  private invStd!: Matrix;
  private xhat!: Matrix;
  private out!: Matrix;
  private dx!: Matrix;

  constructor(
    readonly inputs: number,
    readonly momentum: number,
    readonly eps: number,
    readonly name: string,
  ) {
    this.outputs = inputs;
  }

  paramSpecs(): ParamSpec[] {
    return [
      { name: `${this.name}.weight`, rows: 1, cols: this.inputs, decay: false, init: (_r, d) => d.fill(1) },
      { name: `${this.name}.bias`, rows: 1, cols: this.inputs, decay: false, init: (_r, d) => d.fill(0) },
    ];
  }

  bind(params: Param[]): void {
    [this.gamma, this.beta] = params;
  }

  allocate(backend: Backend, capacity: number): void {
    if (this.runMean) {
      // Growing the batch capacity must keep the running statistics: only batch buffers change.
      this.freeBatchBuffers();
    } else {
      this.backend = backend;
      this.runMean = backend.alloc(1, this.inputs);
      this.runVar = backend.alloc(1, this.inputs);
      backend.fill(this.runVar, 1);
      this.invStd = backend.alloc(1, this.inputs);
    }
    this.xhat = backend.alloc(capacity, this.inputs);
    this.out = backend.alloc(capacity, this.inputs);
    this.dx = backend.alloc(capacity, this.inputs);
  }

  forward(x: Matrix, training: boolean): Matrix {
    const y = prefix(this.out, x.rows);
    if (training) {
      this.backend.batchNormTrain(
        x, this.gamma.value, this.beta.value, y, prefix(this.xhat, x.rows), this.invStd,
        this.runMean, this.runVar, this.momentum, this.eps,
      );
    } else {
      this.backend.batchNormInfer(x, this.gamma.value, this.beta.value, this.runMean, this.runVar, this.eps, y);
    }
    return y;
  }

  backward(dy: Matrix, _needInputGrad: boolean): Matrix {
    const dx = prefix(this.dx, dy.rows);
    this.backend.batchNormBackward(dy, prefix(this.xhat, dy.rows), this.gamma.value, this.invStd, dx, this.gamma.grad, this.beta.grad);
    return dx;
  }

  state(): StateTensor[] {
    return [
      { name: `${this.name}.running_mean`, value: this.runMean },
      { name: `${this.name}.running_var`, value: this.runVar },
    ];
  }

  free(): void {
    this.freeBatchBuffers();
    for (const m of [this.runMean, this.runVar, this.invStd]) if (m) this.backend.free(m);
  }

  private freeBatchBuffers(): void {
    for (const m of [this.xhat, this.out, this.dx]) if (m) this.backend.free(m);
  }
}
