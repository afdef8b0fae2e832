import type { Backend } from '../tensor/backend.js';
import type { Matrix } from '../tensor/matrix.js';
import type { Schedule } from './schedules.js';

/**
 * What an optimizer works on: all parameters and gradients as flat vectors, with the
 * weight-decayed parameters as a prefix of both (the layout `Sequential` keeps).
 */
export interface OptimizerTarget {
  backend: Backend;
  values: Matrix;
  grads: Matrix;
  decayedValues: Matrix;
  decayedGrads: Matrix;
}

export interface StepInfo {
  /** Number of this update, from 1. */
  count: number;
  /** Current epoch, from 0 (schedules read it). */
  epoch: number;
}

/**
 * What a built-in transform is, with its parameters: `fuse` reads these to recognise a chain
 * the backend has one kernel for.
 */
export type TransformSpec =
  | { kind: 'addDecayedWeights'; lambda: number }
  | { kind: 'trace'; decay: number; nesterov: boolean }
  | { kind: 'scaleByAdam'; b1: number; b2: number; eps: number }
  | { kind: 'scaleByLearningRate'; schedule: Schedule }
  | { kind: 'chain'; transforms: readonly Transform<unknown>[] };

/**
 * A gradient transformation in the optax style: `init` builds explicit state, `update` turns
 * the gradient into an update. For speed the update is computed in place in `target.grads`
 * (the next backward pass overwrites it anyway) instead of returning a new array.
 */
export interface Transform<S = unknown> {
  /** What the transform is (the built-in ones say; a transform without a spec is never fused). */
  readonly spec?: TransformSpec;
  /** True when `update` also adds the update to the weights (fused kernels), so the optimizer must not. */
  readonly appliesUpdates?: boolean;
  init(target: OptimizerTarget): S;
  update(target: OptimizerTarget, state: S, step: StepInfo): void;
  /** Release backend memory held in state. */
  dispose?(target: OptimizerTarget, state: S): void;
}

/** L2 weight decay added to the gradient: g += lambda * w (on decayed parameters). */
export function addDecayedWeights(lambda: number): Transform<null> {
  return {
    spec: { kind: 'addDecayedWeights', lambda },
    init: () => null,
    update(t) {
      if (lambda !== 0 && t.decayedValues.size > 0) t.backend.axpy(lambda, t.decayedValues, t.decayedGrads);
    },
  };
}

/** Momentum: trace = decay * trace + g, and g becomes the trace (or g + decay * trace with Nesterov). */
export function trace(decay: number, nesterov = false): Transform<Matrix | null> {
  return {
    spec: { kind: 'trace', decay, nesterov },
    init: (t) => (decay === 0 ? null : t.backend.alloc(1, t.grads.size)),
    update(t, traceBuf) {
      if (traceBuf === null) return;
      t.backend.momentum(t.grads, traceBuf, decay, nesterov);
      if (!nesterov) t.backend.copy(traceBuf, t.grads);
    },
    dispose: (t, traceBuf) => traceBuf && t.backend.free(traceBuf),
  };
}

/** Adam's bias-corrected moment estimates: g becomes m_hat / (sqrt(v_hat) + eps). */
export function scaleByAdam(b1 = 0.9, b2 = 0.999, eps = 1e-8): Transform<{ m: Matrix; v: Matrix }> {
  return {
    spec: { kind: 'scaleByAdam', b1, b2, eps },
    init: (t) => ({ m: t.backend.alloc(1, t.grads.size), v: t.backend.alloc(1, t.grads.size) }),
    update(t, s, step) {
      t.backend.adam(t.grads, s.m, s.v, b1, b2, 1 - b1 ** step.count, 1 - b2 ** step.count, eps);
    },
    dispose: (t, s) => {
      t.backend.free(s.m);
      t.backend.free(s.v);
    },
  };
}

/** Decoupled weight decay (AdamW): the update gains lambda * w after the adaptive scaling. */
export const addDecoupledWeightDecay = addDecayedWeights;

/** Scale by minus the learning rate of the current epoch: the update to add to the weights. */
export function scaleByLearningRate(schedule: Schedule): Transform<null> {
  return {
    spec: { kind: 'scaleByLearningRate', schedule },
    init: () => null,
    update(t, _s, step) {
      t.backend.scale(t.grads, -schedule(step.epoch));
    },
  };
}

/** Run transforms one after another. */
export function chain(...transforms: Transform<unknown>[]): Transform<unknown[]> {
  return {
    spec: { kind: 'chain', transforms },
    init: (t) => transforms.map((tr) => tr.init(t)),
    update(t, states, step) {
      for (let i = 0; i < transforms.length; i++) transforms[i].update(t, states[i], step);
    },
    dispose(t, states) {
      transforms.forEach((tr, i) => tr.dispose?.(t, states[i]));
    },
  };
}

/**
 * The transform to run for `transform`: chain(addDecayedWeights, trace, scaleByLearningRate),
 * exactly these three in this order, becomes the backend's `sgdStep`, which also applies the
 * update; any other transform is returned as it is.
 */
export function fuse(transform: Transform<unknown>): Transform<unknown> {
  const spec = transform.spec;
  if (spec?.kind !== 'chain' || spec.transforms.length !== 3) return transform;
  const [decay, momentum, rate] = spec.transforms.map((tr) => tr.spec);
  if (decay?.kind !== 'addDecayedWeights' || momentum?.kind !== 'trace' || rate?.kind !== 'scaleByLearningRate') return transform;
  return fusedSgd(decay.lambda, momentum.decay, momentum.nesterov, rate.schedule);
}

/**
 * chain(addDecayedWeights(weightDecay), trace(momentum, nesterov), scaleByLearningRate(schedule))
 * and the weight update, as one kernel pass over all parameters (the same arithmetic in the
 * same order; fused because at the study's batch size every pass over the parameters shows in
 * the epoch time).
 */
function fusedSgd(weightDecay: number, momentum: number, nesterov: boolean, schedule: Schedule): Transform<Matrix | null> {
  return {
    appliesUpdates: true,
    init: (t) => (momentum === 0 ? null : t.backend.alloc(1, t.grads.size)),
    update(t, traceBuf, step) {
      t.backend.sgdStep(t.values, t.grads, traceBuf, t.decayedValues.size, schedule(step.epoch), weightDecay, momentum, nesterov);
    },
    dispose: (t, traceBuf) => traceBuf && t.backend.free(traceBuf),
  };
}
