import type { Activation, Backend } from '../tensor/backend.js';
import { getBackend } from '../tensor/index.js';
import type { Matrix } from '../tensor/matrix.js';
import { Rng } from '../tensor/rng.js';
import { ConfigError, DataError, ShapeError } from '../errors.js';
import { formatCount, formatFixed } from '../format.js';
import { ActivationLayer } from './activation.js';
import { BatchNorm } from './batchnorm.js';
import { resolveModelOptions, type ModelOptions, type ResolvedModelOptions } from './config.js';
import { Dense, type DenseInit } from './dense.js';
import { Dropout } from './dropout.js';
import { prefix, type Layer, type Param, type StateTensor } from './layer.js';
import { argmax, countCorrect, regressionLoss, weighRows, type RegressionLoss } from './loss.js';

export interface BuildOptions {
  /** Seed for the initial weights and the dropout streams. Default 0. */
  seed?: number;
  /** Kernel backend; default `getBackend()` (WebAssembly SIMD where available). */
  backend?: Backend;
  /** Rows per batch the buffers are sized for; grows on demand. Default 32. */
  capacity?: number;
}

const RELU_LIKE = new Set(['relu', 'leaky_relu', 'gelu', 'gelu_tanh']);

/** One hidden layer as the diagnostics see it: its parameters, and where its z and a come from. */
export interface HiddenLayer {
  /** `hidden0`, `hidden1`, ... */
  name: string;
  activation: Activation;
  units: number;
  batchNorm: boolean;
  /** The layer's trained tensors: the linear weight and bias, then batch norm's scale and shift. */
  params: Param[];
}

/**
 * Most trained parameters a network may have: values, gradients and up to two optimizer
 * slots of 4 bytes each must fit in WebAssembly's 4 GiB memory with room for the batches.
 */
export const MAX_PARAMETERS = 2 ** 27;

/** A tensor a model saves: its name and shape (rows x cols). */
export interface TensorShape {
  name: string;
  rows: number;
  cols: number;
}
/** Rows per chunk when predicting on many rows, so buffers stay small. */
const INFERENCE_CHUNK = 1024;

/**
 * A sequential MLP classifier: per hidden layer Linear -> BatchNorm? -> activation ->
 * Dropout?, then a Linear output layer producing logits; the loss is the fused softmax
 * cross-entropy. All parameters live in one flat buffer (weight-decayed ones first), and
 * all gradients in another, so optimizers update everything with a few kernel calls.
 *
 * @example
 * const model = Sequential.create({ inputs: 128, classes: 10, hidden: [{ width: 64, activation: 'gelu', dropout: 0.5 }] }, { seed: 1 });
 * const labels = model.predict(features, rows);
 */
export class Sequential {
  readonly layers: Layer[];
  readonly params: Param[];
  /** All parameter values, 1 x P; the first `decayedLength` entries are weight-decayed. */
  readonly flatValues: Matrix;
  readonly flatGrads: Matrix;
  readonly decayedLength: number;
  readonly backend: Backend;
  private capacity = 0;
  private input!: Matrix;
  private labels!: Matrix;
  private dlogits!: Matrix;
  private probs!: Matrix;
  private fullBatch!: { x: Matrix; y: Matrix };
  private partialBatch: { x: Matrix; y: Matrix } | null = null;
  private disposed = false;
  private readonly stepResult = { loss: 0, correct: 0 };
  /** Per layer index: the hidden layer whose pre-activation z (or activation a) is that layer's output, or -1. */
  private readonly zAt: Int32Array;
  private readonly aAt: Int32Array;
  private readonly lastZ: (Matrix | null)[];
  private readonly lastA: (Matrix | null)[];
  /** The hidden layers, first to last. */
  readonly hidden: HiddenLayer[];

  private constructor(
    readonly options: ResolvedModelOptions,
    readonly seed: number,
    backend: Backend,
    capacity: number,
  ) {
    this.backend = backend;
    const built = buildLayers(options);
    this.layers = built.layers;
    this.zAt = built.zAt;
    this.aAt = built.aAt;
    const rng = new Rng(seed);
    const specs = this.layers.flatMap((layer) => layer.paramSpecs().map((spec) => ({ layer, spec })));
    const order = [...specs.filter((s) => s.spec.decay), ...specs.filter((s) => !s.spec.decay)];
    const total = order.reduce((n, s) => n + s.spec.rows * s.spec.cols, 0);
    this.flatValues = backend.alloc(1, Math.max(1, total));
    this.flatGrads = backend.alloc(1, Math.max(1, total));
    const bound = new Map<(typeof specs)[number], Param>();
    let offset = 0;
    let decayed = 0;
    for (const s of order) {
      const n = s.spec.rows * s.spec.cols;
      bound.set(s, {
        name: s.spec.name,
        value: this.flatValues.slice(offset, n).reshape(s.spec.rows, s.spec.cols),
        grad: this.flatGrads.slice(offset, n).reshape(s.spec.rows, s.spec.cols),
        decay: s.spec.decay,
      });
      if (s.spec.decay) decayed += n;
      offset += n;
    }
    this.decayedLength = decayed;
    // Initialise in layer order (not flat order) so the draw sequence reads naturally.
    this.params = specs.map((s) => bound.get(s)!);
    for (const s of specs) s.spec.init(rng, bound.get(s)!.value.data);
    for (const layer of this.layers) layer.bind(specs.filter((s) => s.layer === layer).map((s) => bound.get(s)!));
    for (const layer of this.layers) if (layer instanceof Dropout) layer.reseed(rng.seed());
    this.hidden = options.hidden.map((h, i) => ({
      name: `hidden${i}`,
      activation: h.activation,
      units: h.width,
      batchNorm: h.batchNorm,
      params: this.params.filter((p) => p.name.startsWith(`hidden${i}.`)),
    }));
    this.lastZ = this.hidden.map(() => null);
    this.lastA = this.hidden.map(() => null);
    this.ensureCapacity(capacity);
  }

  /**
   * Validate `options` (throws ConfigError naming the bad field, or the whole network when it
   * has more than MAX_PARAMETERS parameters) and build the model.
   */
  static create(options: ModelOptions, build: BuildOptions = {}): Sequential {
    const resolved = Sequential.check(options);
    return new Sequential(resolved, build.seed ?? 0, build.backend ?? getBackend(), build.capacity ?? 32);
  }

  /**
   * Validate `options` as `create` does, the parameter limit included, without allocating
   * anything: a study checks every network it will train before it starts.
   */
  static check(options: ModelOptions, field = 'model'): ResolvedModelOptions {
    const resolved = resolveModelOptions(options);
    const count = parameterCount(buildLayers(resolved).layers);
    if (count > MAX_PARAMETERS) {
      throw new ConfigError(field, `${formatCount(count)} parameters`, `a network of at most ${formatCount(MAX_PARAMETERS)} parameters (they, their gradients and the optimizer's state must fit in memory); use narrower or fewer hidden layers`);
    }
    return resolved;
  }

  /**
   * The tensors a model of these options saves, in the model file's order (parameters in
   * layer order, then batch-norm running statistics), computed without allocating any of them.
   */
  static tensorShapes(options: ModelOptions): TensorShape[] {
    const layers = buildLayers(resolveModelOptions(options)).layers;
    const params = layers.flatMap((l) => l.paramSpecs().map(({ name, rows, cols }) => ({ name, rows, cols })));
    const state = layers.flatMap((l) =>
      l instanceof BatchNorm ? [{ name: `${l.name}.running_mean`, rows: 1, cols: l.inputs }, { name: `${l.name}.running_var`, rows: 1, cols: l.inputs }] : [],
    );
    return [...params, ...state];
  }

  get inputs(): number {
    return this.options.inputs;
  }

  get classes(): number {
    return this.options.classes;
  }

  /** Number of trained parameters. */
  get parameterCount(): number {
    return this.params.reduce((n, p) => n + p.value.size, 0);
  }

  /** Make the per-batch buffers hold at least `rows` rows. */
  ensureCapacity(rows: number): void {
    if (rows <= this.capacity) return;
    if (this.capacity > 0) this.freeBuffers();
    this.capacity = rows;
    for (const layer of this.layers) layer.allocate(this.backend, rows);
    this.input = this.backend.alloc(rows, this.inputs);
    this.labels = this.backend.alloc(rows, 1);
    this.dlogits = this.backend.alloc(rows, this.classes);
    this.probs = this.backend.alloc(rows, this.classes);
    this.fullBatch = { x: this.input, y: this.labels };
    this.partialBatch = null;
  }

  /**
   * The input and label buffers for a batch of `rows` rows, in the backend's memory. Fill
   * them (e.g. with gatherRows) and pass them to `lossAndGradients`. Valid until the next
   * `ensureCapacity` that grows the model.
   */
  batchBuffers(rows: number): { x: Matrix; y: Matrix } {
    this.ensureCapacity(rows);
    // Full batches (all but the last of an epoch) reuse one object: no allocation per step.
    if (rows === this.capacity) return this.fullBatch;
    if (this.partialBatch?.x.rows !== rows) this.partialBatch = { x: this.input.rowsView(0, rows), y: this.labels.rowsView(0, rows) };
    return this.partialBatch;
  }

  /** Logits for a batch already in backend memory. */
  forward(x: Matrix, training: boolean): Matrix {
    let h = x;
    const layers = this.layers;
    for (let j = 0; j < layers.length; j++) {
      h = layers[j].forward(h, training);
      if (this.zAt[j] >= 0) this.lastZ[this.zAt[j]] = h;
      if (this.aAt[j] >= 0) this.lastA[this.aAt[j]] = h;
    }
    return h;
  }

  /**
   * Hidden layer i's pre-activations z and activations a (before dropout) of the last forward
   * pass: buffers the next forward pass overwrites. For the diagnostics.
   */
  lastActivations(i: number): { z: Matrix; a: Matrix } | null {
    const z = this.lastZ[i], a = this.lastA[i];
    return z && a ? { z, a } : null;
  }

  /**
   * One forward and backward pass in training mode: writes the gradients of the mean loss
   * into `flatGrads` and returns the loss and the number of rows classified correctly (in an
   * object the next call overwrites: the training loop allocates nothing per step).
   */
  lossAndGradients(x: Matrix, y: Matrix, labelSmoothing = 0, classWeights: Float32Array | null = null, loss: RegressionLoss = 'mse'): { loss: number; correct: number } {
    const logits = this.forward(x, true);
    const dlogits = prefix(this.dlogits, x.rows);
    if (this.task === 'regress') {
      // y holds the standardised targets; correct counts nothing.
      this.stepResult.loss = regressionLoss(logits, y, dlogits, loss);
      this.stepResult.correct = 0;
    } else {
      this.stepResult.loss = this.backend.softmaxCrossEntropy(logits, y, dlogits, labelSmoothing);
      if (classWeights) weighRows(dlogits, y, classWeights);
      this.stepResult.correct = countCorrect(logits, y);
    }
    let g: Matrix | null = dlogits;
    for (let i = this.layers.length - 1; i >= 0 && g !== null; i--) g = this.layers[i].backward(g, i > 0);
    // Every gradient is written when this returns (a layer may have left one to another thread).
    this.backend.settle?.();
    return this.stepResult;
  }

  /** 'classify' (softmax over classes) or 'regress' (one value per row). */
  get task(): 'classify' | 'regress' {
    return this.options.task;
  }

  /**
   * A regression model's prediction of each row, in the target's units: the network's output
   * times the target's standard deviation plus its mean (float64). `check` scans the input
   * for NaN and infinite values (the training loop checks its rows once, not every epoch).
   */
  predictValues(features: Float32Array, rows: number, check = true): Float64Array {
    if (this.task !== 'regress') throw new ShapeError('predictValues: this model is a classifier; predict gives its classes');
    if (check) this.checkFeatures(features, rows);
    const { mean, std } = this.options.target ?? { mean: 0, std: 1 };
    const out = new Float64Array(rows);
    this.eachChunk(features, rows, check, (z, start) => {
      for (let r = 0; r < z.rows; r++) out[start + r] = z.data[r] * std + mean;
    });
    return out;
  }

  /** Class probabilities (rows x classes) for features given as a flat row-major array. */
  predictProba(features: Float32Array, rows: number): Float32Array {
    this.classifierOnly('predictProba');
    this.checkFeatures(features, rows);
    const out = new Float32Array(rows * this.classes);
    this.eachChunk(features, rows, true, (logits, start) => {
      const p = this.probs.rowsView(0, logits.rows);
      this.backend.softmax(logits, p);
      out.set(p.data, start * this.classes);
    });
    return out;
  }

  /** Predicted class per row. */
  predict(features: Float32Array, rows: number): Int32Array {
    this.classifierOnly('predict');
    this.checkFeatures(features, rows);
    const out = new Int32Array(rows);
    this.eachChunk(features, rows, true, (logits, start) => {
      const z = logits.data, k = this.classes;
      for (let r = 0; r < logits.rows; r++) out[start + r] = argmax(z, r * k, k);
    });
    return out;
  }

  /** Mean cross-entropy and accuracy on labelled rows, in inference mode; fills `predicted` (one class per row) when given. */
  evaluate(features: Float32Array, labels: Int32Array, rows: number, predicted?: Int32Array): { loss: number; accuracy: number } {
    this.checkFeatures(features, rows);
    return this.score(features, labels, rows, true, predicted);
  }

  /**
   * `evaluate` without the input scan, for data already checked once (the training loop
   * checks its validation rows before the first epoch, not at every epoch).
   */
  measure(features: Float32Array, labels: Int32Array, rows: number, predicted?: Int32Array): { loss: number; accuracy: number } {
    return this.score(features, labels, rows, false, predicted);
  }

  private score(features: Float32Array, labels: Int32Array, rows: number, check: boolean, predicted?: Int32Array): { loss: number; accuracy: number } {
    this.classifierOnly('evaluate');
    let lossSum = 0;
    let correct = 0;
    this.eachChunk(features, rows, check, (logits, start) => {
      const n = logits.rows;
      const y = this.labels.rowsView(0, n);
      const yd = y.data;
      for (let r = 0; r < n; r++) yd[r] = labels[start + r];
      lossSum += this.backend.softmaxCrossEntropy(logits, y, this.dlogits.rowsView(0, n), 0) * n;
      correct += countCorrect(logits, y, predicted, start);
    });
    return { loss: rows > 0 ? lossSum / rows : NaN, accuracy: rows > 0 ? correct / rows : NaN };
  }

  /** Saved, non-trained state: batch-norm running statistics. */
  stateTensors(): StateTensor[] {
    return this.layers.flatMap((l) => l.state());
  }

  /** Copy of all parameters and state, to restore later (best-epoch weights). */
  snapshot(): Float32Array[] {
    return [this.flatValues.data.slice(), ...this.stateTensors().map((s) => s.value.data.slice())];
  }

  restore(snapshot: Float32Array[]): void {
    this.flatValues.data.set(snapshot[0]);
    this.stateTensors().forEach((s, i) => s.value.data.set(snapshot[i + 1]));
  }

  /** Release backend memory. The model cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.freeBuffers();
    for (const layer of this.layers) layer.free();
    this.backend.free(this.flatValues);
    this.backend.free(this.flatGrads);
  }

  private freeBuffers(): void {
    for (const m of [this.input, this.labels, this.dlogits, this.probs]) if (m) this.backend.free(m);
  }

  private classifierOnly(what: string): void {
    if (this.task === 'regress') throw new ShapeError(`${what}: this model is a regressor; predictValues gives its predictions`);
  }

  private checkFeatures(features: Float32Array, rows: number): void {
    if (features.length !== rows * this.inputs) {
      throw new ShapeError(
        `the model expects ${this.inputs} features per row; got ${features.length} values for ${rows} rows` +
          (rows > 0 ? ` (${formatFixed(features.length / rows, 2).replace(/\.00$/, '')} per row)` : ''),
      );
    }
  }

  /**
   * Run `fn` on the logits of each chunk of rows, in inference mode. With `check`, a chunk
   * holding a NaN or infinite feature ends the call with a DataError naming it (checked by the
   * backend once the chunk is in its memory: a tenth of the time of a scan in JavaScript).
   * Inference has no side effect, so refusing at a later chunk leaves the model as it was.
   */
  private eachChunk(features: Float32Array, rows: number, check: boolean, fn: (logits: Matrix, start: number) => void): void {
    const chunk = Math.max(this.capacity, Math.min(INFERENCE_CHUNK, rows));
    this.ensureCapacity(chunk);
    for (let start = 0; start < rows; start += chunk) {
      const n = Math.min(chunk, rows - start);
      const x = this.input.rowsView(0, n);
      x.data.set(features.subarray(start * this.inputs, (start + n) * this.inputs));
      const bad = check ? this.backend.firstNonFinite(x) : -1;
      if (bad >= 0) throw nonFinite('input', start * this.inputs + bad, this.inputs, x.data[bad]);
      fn(this.forward(x, false), start);
    }
  }
}

/**
 * Throw a DataError naming the first non-finite value: NaN would otherwise spread through
 * batch statistics to whole batches and come out as confident-looking predictions.
 */
export function checkFinite(features: Float32Array, cols: number, what: string): void {
  for (let i = 0; i < features.length; i++) {
    const v = features[i];
    if (v - v !== 0) throw nonFinite(what, i, cols, v);
  }
}

/** The DataError for value `v` at flat index `i` of rows of `cols` features. */
function nonFinite(what: string, i: number, cols: number, v: number): DataError {
  const row = Math.floor(i / cols);
  return new DataError(what, `row ${row}, column ${i - row * cols} is ${v}; remove or impute such rows first (the data loaders drop them and report how many)`);
}

function parameterCount(layers: Layer[]): number {
  return layers.reduce((n, l) => n + l.paramSpecs().reduce((m, s) => m + s.rows * s.cols, 0), 0);
}

/**
 * The layers of a model, and for the diagnostics which layer's output is hidden layer i's
 * pre-activation z (`zAt[j] = i`) and its activation a (`aAt[j] = i`; the same layer when the
 * activation is the identity).
 */
function buildLayers(o: ResolvedModelOptions): { layers: Layer[]; zAt: Int32Array; aAt: Int32Array } {
  const layers: Layer[] = [];
  const zAt: number[] = [];
  const aAt: number[] = [];
  let width = o.inputs;
  o.hidden.forEach((h, i) => {
    const init: DenseInit = o.init === 'auto' ? (RELU_LIKE.has(h.activation) ? 'he' : 'xavier') : o.init;
    layers.push(new Dense(width, h.width, init, `hidden${i}.linear`));
    if (h.batchNorm) layers.push(new BatchNorm(h.width, o.batchNormMomentum, o.batchNormEps, `hidden${i}.batchnorm`));
    zAt[layers.length - 1] = i;
    if (h.activation !== 'identity') layers.push(new ActivationLayer(h.width, h.activation, o.leakySlope));
    aAt[layers.length - 1] = i;
    if (h.dropout > 0) layers.push(new Dropout(h.width, h.dropout, 0));
    width = h.width;
  });
  layers.push(new Dense(width, o.classes, o.init === 'auto' ? 'xavier' : o.init, 'output'));
  const at = (m: number[]) => Int32Array.from(layers, (_, j) => m[j] ?? -1);
  return { layers, zAt: at(zAt), aAt: at(aAt) };
}
