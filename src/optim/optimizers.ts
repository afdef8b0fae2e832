import { addDecayedWeights, addDecoupledWeightDecay, chain, fuse, scaleByAdam, scaleByLearningRate, trace } from './transforms.js';
import type { OptimizerTarget, StepInfo, Transform } from './transforms.js';
import { constant, type Schedule } from './schedules.js';

export interface OptimizerOptions {
  /**
   * Run a chain the backend has one kernel for (see `fuse`) as that kernel (default true).
   * The arithmetic is the same either way; false runs the transforms one by one.
   */
  fuse?: boolean;
}

/**
 * An optimizer binds a transform to a target (the model's flat parameters) and applies the
 * resulting update: w += update. Sorted by increasing complexity: sgd, adam, adamw.
 */
export class Optimizer {
  /** What `step` runs: `transform` itself, or its fused form. */
  private readonly run: Transform<unknown>;
  private readonly state: unknown;
  private readonly info: StepInfo = { count: 0, epoch: 0 };

  constructor(
    readonly transform: Transform<unknown>,
    readonly target: OptimizerTarget,
    readonly schedule: Schedule,
    options: OptimizerOptions = {},
  ) {
    this.run = options.fuse === false ? transform : fuse(transform);
    this.state = this.run.init(target);
  }

  /** True when steps run as one fused backend kernel instead of the transforms one by one. */
  get fused(): boolean {
    return this.run !== this.transform;
  }

  /** Apply one update from the gradients currently in `target.grads`. */
  step(epoch: number): void {
    this.info.count++;
    this.info.epoch = epoch;
    this.run.update(this.target, this.state, this.info);
    if (!this.run.appliesUpdates) this.target.backend.axpy(1, this.target.grads, this.target.values);
  }

  /** Learning rate in force at `epoch`. */
  learningRate(epoch: number): number {
    return this.schedule(epoch);
  }

  dispose(): void {
    this.run.dispose?.(this.target, this.state);
  }
}

export interface SgdOptions extends OptimizerOptions {
  learningRate: number | Schedule;
  momentum?: number;
  nesterov?: boolean;
  /** L2 penalty added to the gradient (the study's form): g += weightDecay * w. */
  weightDecay?: number;
}

export interface AdamOptions {
  learningRate: number | Schedule;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Adam: L2 added to the gradient. AdamW: decoupled decay applied after scaling. */
  weightDecay?: number;
}

const asSchedule = (lr: number | Schedule): Schedule => (typeof lr === 'number' ? constant(lr) : lr);

/**
 * SGD with momentum and L2 weight decay: with constant rate lr this is the study's
 * V = rho V - lr (g + lambda W); W = W + V, and PyTorch's SGD. It is
 * chain(addDecayedWeights, trace, scaleByLearningRate), which the optimizer runs as the
 * backend's fused sgdStep kernel unless `fuse` is false.
 */
export function sgd(target: OptimizerTarget, o: SgdOptions): Optimizer {
  const schedule = asSchedule(o.learningRate);
  return new Optimizer(
    chain(addDecayedWeights(o.weightDecay ?? 0), trace(o.momentum ?? 0, o.nesterov ?? false), scaleByLearningRate(schedule)),
    target,
    schedule,
    { fuse: o.fuse },
  );
}

export function adam(target: OptimizerTarget, o: AdamOptions): Optimizer {
  const schedule = asSchedule(o.learningRate);
  return new Optimizer(
    chain(addDecayedWeights(o.weightDecay ?? 0), scaleByAdam(o.beta1, o.beta2, o.eps), scaleByLearningRate(schedule)),
    target,
    schedule,
  );
}

/** AdamW: w -= lr * (adam(g) + weightDecay * w) (PyTorch's AdamW and optax's adamw). */
export function adamw(target: OptimizerTarget, o: AdamOptions): Optimizer {
  const schedule = asSchedule(o.learningRate);
  return new Optimizer(
    chain(scaleByAdam(o.beta1, o.beta2, o.eps), addDecoupledWeightDecay(o.weightDecay ?? 0.01), scaleByLearningRate(schedule)),
    target,
    schedule,
  );
}
