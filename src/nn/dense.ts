import type { Backend } from '../tensor/backend.js';
import type { Matrix } from '../tensor/matrix.js';
import type { Rng } from '../tensor/rng.js';
import { prefix, type Layer, type Param, type ParamSpec, type StateTensor } from './layer.js';

export type DenseInit = 'he' | 'xavier' | 'pytorch';

/**
 * Fully connected layer y = x W + b, with W stored inputs x outputs (so a batch is one GEMM).
 * He init draws N(0, 2 / fan_in) (ReLU family); Xavier/Glorot draws U(+-sqrt(6 / (fan_in + fan_out)));
 * both start the bias at 0. 'pytorch' is nn.Linear's reset_parameters: Kaiming-uniform with
 * a = sqrt(5), whose bound gain * sqrt(3 / fan_in) with gain = sqrt(2 / (1 + a^2)) is exactly
 * 1 / sqrt(fan_in), for the weights, and U(+-1 / sqrt(fan_in)) for the bias too.
 */
/** The half-width of PyTorch's default nn.Linear initialisation, for weights and bias alike. */
export function pytorchBound(fanIn: number): number {
  return 1 / Math.sqrt(fanIn);
}

export class Dense implements Layer {
  readonly kind = 'dense';
  private backend!: Backend;
  private w!: Param;
  private b!: Param;
  private out!: Matrix;
  private dx!: Matrix;
  private x: Matrix | null = null;

  constructor(
    readonly inputs: number,
    readonly outputs: number,
    readonly init: DenseInit,
    readonly name: string,
  ) {}

  paramSpecs(): ParamSpec[] {
    const fanIn = this.inputs, fanOut = this.outputs;
    const uniform = (bound: number) => (rng: Rng, d: Float32Array) => {
      for (let i = 0; i < d.length; i++) d[i] = (2 * rng.uniform() - 1) * bound;
    };
    const weightInit =
      this.init === 'he'
        ? (rng: Rng, d: Float32Array) => {
            const std = Math.sqrt(2 / fanIn);
            for (let i = 0; i < d.length; i++) d[i] = rng.normal() * std;
          }
        : uniform(this.init === 'pytorch' ? pytorchBound(fanIn) : Math.sqrt(6 / (fanIn + fanOut)));
    const biasInit = this.init === 'pytorch' ? uniform(pytorchBound(fanIn)) : (_r: Rng, d: Float32Array) => d.fill(0);
    return [
      { name: `${this.name}.weight`, rows: this.inputs, cols: this.outputs, decay: true, init: weightInit },
      { name: `${this.name}.bias`, rows: 1, cols: this.outputs, decay: false, init: biasInit },
    ];
  }

  bind(params: Param[]): void {
    [this.w, this.b] = params;
  }

  allocate(backend: Backend, capacity: number): void {
    this.free();
    this.backend = backend;
    this.out = backend.alloc(capacity, this.outputs);
    this.dx = backend.alloc(capacity, this.inputs);
  }

  forward(x: Matrix, _training: boolean): Matrix {
    const y = prefix(this.out, x.rows);
    this.backend.gemm(x, false, this.w.value, false, y, 0);
    this.backend.addRowVector(y, this.b.value);
    this.x = x;
    return y;
  }

  backward(dy: Matrix, needInputGrad: boolean): Matrix | null {
    const x = this.x!;
    // With threads, the weight gradient is computed on another thread while the input gradient
    // (and the layers below) go on here; Sequential waits for it before the step is over.
    if (needInputGrad && this.backend.gemmAsync) this.backend.gemmAsync(x, true, dy, this.w.grad, 0);
    else this.backend.gemm(x, true, dy, false, this.w.grad, 0);
    this.backend.sumRows(dy, this.b.grad, 0);
    if (!needInputGrad) return null;
    const dx = prefix(this.dx, dy.rows);
    this.backend.gemm(dy, false, this.w.value, true, dx, 0);
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
