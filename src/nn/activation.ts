import { activationCode, type Activation, type Backend } from '../tensor/backend.js';
import type { Matrix } from '../tensor/matrix.js';
import { prefix, type Layer, type Param, type ParamSpec, type StateTensor } from './layer.js';

/** Element-wise activation; backward uses both the input and the output it cached. */
export class ActivationLayer implements Layer {
  readonly kind = 'activation';
  readonly outputs: number;
  private readonly code: number;
  private backend!: Backend;
  private out!: Matrix;
  private dx!: Matrix;
  private x: Matrix | null = null;
  private y: Matrix | null = null;

  constructor(
    readonly inputs: number,
    readonly activation: Activation,
    readonly alpha: number,
  ) {
    this.outputs = inputs;
    this.code = activationCode(activation);
  }

  paramSpecs(): ParamSpec[] {
    return [];
  }

  bind(_params: Param[]): void {}

  allocate(backend: Backend, capacity: number): void {
    this.free();
    this.backend = backend;
    this.out = backend.alloc(capacity, this.inputs);
    this.dx = backend.alloc(capacity, this.inputs);
  }

  forward(x: Matrix, _training: boolean): Matrix {
    const y = prefix(this.out, x.rows);
    this.backend.activationForward(this.code, x, y, this.alpha);
    this.x = x;
    this.y = y;
    return y;
  }

  backward(dy: Matrix, _needInputGrad: boolean): Matrix {
    const dx = prefix(this.dx, dy.rows);
    this.backend.activationBackward(this.code, this.x!, this.y!, dy, dx, this.alpha);
    return dx;
  }

  state(): StateTensor[] {
    return [];
  }

  free(): void {
    if (this.out) this.backend.free(this.out);
    if (this.dx) this.backend.free(this.dx);
  }
}
