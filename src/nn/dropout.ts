import type { Backend } from '../tensor/backend.js';
import type { Matrix } from '../tensor/matrix.js';
import { dropThreshold, dropoutKey } from '../tensor/rng.js';
import { prefix, type Layer, type Param, type ParamSpec, type StateTensor } from './layer.js';

/**
 * Inverted dropout: while training, each unit is zeroed with probability p and the survivors
 * are scaled by 1 / (1 - p), so inference needs no rescaling and is the identity.
 * Masks come from a counter-based hash of (seed, step), identical on every backend.
 */
export class Dropout implements Layer {
  readonly kind = 'dropout';
  readonly outputs: number;
  private backend!: Backend;
  private mask!: Matrix;
  private out!: Matrix;
  private dx!: Matrix;
  private counter = 0;
  private active = false;

  constructor(
    readonly inputs: number,
    readonly p: number,
    private seed: number,
  ) {
    this.outputs = inputs;
  }

  paramSpecs(): ParamSpec[] {
    return [];
  }

  bind(_params: Param[]): void {}

  allocate(backend: Backend, capacity: number): void {
    this.free();
    this.backend = backend;
    this.mask = backend.alloc(capacity, this.inputs);
    this.out = backend.alloc(capacity, this.inputs);
    this.dx = backend.alloc(capacity, this.inputs);
  }

  /** Reseed the mask stream (the model does this from its seed). */
  reseed(seed: number): void {
    this.seed = seed >>> 0;
    this.counter = 0;
  }

  forward(x: Matrix, training: boolean): Matrix {
    this.active = training && this.p > 0;
    if (!this.active) return x;
    const y = prefix(this.out, x.rows);
    const key = dropoutKey(this.seed, this.counter++);
    this.backend.dropoutForward(x, prefix(this.mask, x.rows), y, key, dropThreshold(this.p), 1 / (1 - this.p));
    return y;
  }

  backward(dy: Matrix, _needInputGrad: boolean): Matrix {
    if (!this.active) return dy;
    const dx = prefix(this.dx, dy.rows);
    this.backend.multiply(dy, prefix(this.mask, dy.rows), dx);
    return dx;
  }

  state(): StateTensor[] {
    return [];
  }

  free(): void {
    if (this.mask) this.backend.free(this.mask);
    if (this.out) this.backend.free(this.out);
    if (this.dx) this.backend.free(this.dx);
  }
}
