import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend } from '../../src/tensor/backend.js';
import { addDecayedWeights, chain, scaleByLearningRate, trace, type OptimizerTarget } from '../../src/optim/transforms.js';
import { Optimizer, adam, adamw, sgd, type SgdOptions } from '../../src/optim/optimizers.js';
import { constant, cosine, stepDecay, warmup } from '../../src/optim/schedules.js';
import { Sequential } from '../../src/nn/model.js';
import { makeOptimizer, makeSchedule, resolveTrainOptions } from '../../src/train/options.js';
import { BACKENDS, assertAbsClose, lcg, matrixOf, sameBits, uniformValues } from '../helpers.js';

/** Flat parameters whose first `decayed` entries are weight-decayed (the model's layout). */
function flatTarget(backend: Backend, values: number[], decayed: number): OptimizerTarget {
  const v = matrixOf(backend, 1, values.length, values);
  const g = backend.alloc(1, values.length);
  return { backend, values: v, grads: g, decayedValues: v.slice(0, decayed), decayedGrads: g.slice(0, decayed) };
}

/** Set the gradients, take one step, return the parameters. */
function stepWith(opt: Optimizer, t: OptimizerTarget, grads: number[], epoch = 0): number[] {
  t.grads.data.set(grads);
  opt.step(epoch);
  return Array.from(t.values.data);
}

const TOL = 5e-7; // a few float32 roundings of values up to 2 (ulp 2.4e-7)

for (const { name: backendName, backend } of BACKENDS) {
  test(`[${backendName}] SGD with momentum and L2 decay, three steps worked by hand`, () => {
    // W = [1, -2, 0.5], the last entry not decayed (a bias); lr 0.1, rho 0.9, lambda 0.01.
    // The study's rule: d = g + lambda W (decayed entries), V = rho V - lr d, W = W + V.
    const t = flatTarget(backend, [1, -2, 0.5], 2);
    const opt = sgd(t, { learningRate: 0.1, momentum: 0.9, weightDecay: 0.01 });
    // Step 1, g = [0.5, -1, 2]: d = [0.5 + 0.01, -1 - 0.02, 2] = [0.51, -1.02, 2]
    //   V = [-0.051, 0.102, -0.2]; W = [0.949, -1.898, 0.3]
    assertAbsClose(stepWith(opt, t, [0.5, -1, 2]), [0.949, -1.898, 0.3], TOL, 'step 1');
    // Step 2, g = [-0.5, 0.25, 1]: d = [-0.5 + 0.00949, 0.25 - 0.01898, 1] = [-0.49051, 0.23102, 1]
    //   V = 0.9 V - 0.1 d = [-0.0459 + 0.049051, 0.0918 - 0.023102, -0.18 - 0.1] = [0.003151, 0.068698, -0.28]
    //   W = [0.952151, -1.829302, 0.02]
    assertAbsClose(stepWith(opt, t, [-0.5, 0.25, 1]), [0.952151, -1.829302, 0.02], TOL, 'step 2');
    // Step 3, g = [1, 0, -1]: d = [1 + 0.00952151, -0.01829302, -1]
    //   V = [0.0028359 - 0.100952151, 0.0618282 + 0.001829302, -0.252 + 0.1] = [-0.098116251, 0.063657502, -0.152]
    //   W = [0.854034749, -1.765644498, -0.132]
    assertAbsClose(stepWith(opt, t, [1, 0, -1]), [0.854034749, -1.765644498, -0.132], TOL, 'step 3');
    opt.dispose();
  });

  test(`[${backendName}] SGD follows the study's rule V = rho V - lr (g + lambda W); W += V over many steps`, () => {
    const rand = lcg(99);
    const n = 9, decayed = 6, lr = 0.05, rho = 0.85, lambda = 0.02;
    const w0 = uniformValues(rand, n, -1, 1);
    const t = flatTarget(backend, w0, decayed);
    const opt = sgd(t, { learningRate: lr, momentum: rho, weightDecay: lambda });
    const W = [...w0];
    const V = new Array<number>(n).fill(0);
    for (let s = 0; s < 60; s++) {
      const g = uniformValues(rand, n, -1, 1);
      for (let i = 0; i < n; i++) {
        V[i] = rho * V[i] - lr * (g[i] + (i < decayed ? lambda * W[i] : 0));
        W[i] += V[i];
      }
      stepWith(opt, t, g);
    }
    assertAbsClose(t.values.data, W, 2e-6, 'after 60 steps');
    opt.dispose();
  });

  test(`[${backendName}] plain SGD without momentum: W -= lr g`, () => {
    const t = flatTarget(backend, [1, -2], 0);
    const opt = sgd(t, { learningRate: 0.5 });
    // [1 - 0.5 * 0.2, -2 - 0.5 * (-0.4)] = [0.9, -1.8]; then [0.9 - 0.5 * 1, -1.8 - 0] = [0.4, -1.8]
    assertAbsClose(stepWith(opt, t, [0.2, -0.4]), [0.9, -1.8], TOL, 'step 1');
    assertAbsClose(stepWith(opt, t, [1, 0]), [0.4, -1.8], TOL, 'step 2');
  });

  test(`[${backendName}] Nesterov momentum, two steps worked by hand`, () => {
    // PyTorch's form: buf = rho buf + g; W -= lr (g + rho buf). lr 0.1, rho 0.9.
    const t = flatTarget(backend, [1, -2], 0);
    const opt = sgd(t, { learningRate: 0.1, momentum: 0.9, nesterov: true });
    // g = [0.5, -1]: buf = [0.5, -1]; g + 0.9 buf = [0.95, -1.9]; W = [1 - 0.095, -2 + 0.19] = [0.905, -1.81]
    assertAbsClose(stepWith(opt, t, [0.5, -1]), [0.905, -1.81], TOL, 'step 1');
    // g = [-0.5, 0.25]: buf = [0.45 - 0.5, -0.9 + 0.25] = [-0.05, -0.65]
    //   g + 0.9 buf = [-0.5 - 0.045, 0.25 - 0.585] = [-0.545, -0.335]; W = [0.905 + 0.0545, -1.81 + 0.0335]
    assertAbsClose(stepWith(opt, t, [-0.5, 0.25]), [0.9595, -1.7765], TOL, 'step 2');
    opt.dispose();
  });

  test(`[${backendName}] Adam with bias correction, two steps worked by hand`, () => {
    // lr 0.01, b1 0.9, b2 0.999, eps 1e-8; update = (m / c1) / (sqrt(v / c2) + eps), c_k = 1 - b_k^t.
    const t = flatTarget(backend, [1, -2], 0);
    const opt = adam(t, { learningRate: 0.01 });
    // g = [0.5, -1]: m = [0.05, -0.1], v = [0.00025, 0.001], c1 = 0.1, c2 = 0.001
    //   m/c1 = [0.5, -1], v/c2 = [0.25, 1]: update = [0.5 / 0.50000001, -1 / 1.00000001] ~ [1, -1]
    //   W = [1 - 0.01, -2 + 0.01]
    assertAbsClose(stepWith(opt, t, [0.5, -1]), [0.99, -1.99], TOL, 'step 1');
    // g = [-0.5, 0.25]: m = [0.045 - 0.05, -0.09 + 0.025] = [-0.005, -0.065]
    //   v = [0.00024975 + 0.00025, 0.000999 + 0.0000625] = [0.00049975, 0.0010615]; c1 = 0.19, c2 = 0.001999
    //   update[0] = (-0.005 / 0.19) / sqrt(0.00049975 / 0.001999) = -0.0263157895 / 0.5 = -0.0526315789
    //   update[1] = (-0.065 / 0.19) / sqrt(0.0010615 / 0.001999) = -0.3421052632 / 0.7287081 = -0.4694681648
    assertAbsClose(stepWith(opt, t, [-0.5, 0.25]), [0.99 + 0.000526315789, -1.99 + 0.004694681648], TOL, 'step 2');
    opt.dispose();
  });

  test(`[${backendName}] Adam's L2 decay enters the moments; AdamW's decay is decoupled`, () => {
    // Only W[0] is decayed, lambda 0.1, lr 0.01, W = [1, -2], gradients as above.
    const l2 = flatTarget(backend, [1, -2], 1);
    const optL2 = adam(l2, { learningRate: 0.01, weightDecay: 0.1 });
    // Adam + L2, step 1: g0 = 0.5 + 0.1 * 1 = 0.6, whose normalised update is still ~1: W0 = 0.99.
    assertAbsClose(stepWith(optL2, l2, [0.5, -1]), [0.99, -1.99], TOL, 'adam+L2 step 1');
    // Step 2: g0 = -0.5 + 0.1 * 0.99 = -0.401; m0 = 0.054 - 0.0401 = 0.0139; v0 = 0.00035964 + 0.000160801 = 0.000520441
    //   update0 = (0.0139 / 0.19) / sqrt(0.000520441 / 0.001999) = 0.0731578947 / 0.5102479 = 0.1433777750
    assertAbsClose(stepWith(optL2, l2, [-0.5, 0.25]), [0.99 - 0.001433777750, -1.99 + 0.004694681648], TOL, 'adam+L2 step 2');

    const dw = flatTarget(backend, [1, -2], 1);
    const optW = adamw(dw, { learningRate: 0.01, weightDecay: 0.1 });
    // AdamW, step 1: update0 = 1 + 0.1 * 1 = 1.1 (decay added after the adaptive scaling): W0 = 1 - 0.011 = 0.989
    assertAbsClose(stepWith(optW, dw, [0.5, -1]), [0.989, -1.99], TOL, 'adamw step 1');
    // Step 2: moments as plain Adam (update0 = -0.0526315789), plus 0.1 * 0.989 = 0.0989: 0.0462684211
    assertAbsClose(stepWith(optW, dw, [-0.5, 0.25]), [0.989 - 0.000462684211, -1.99 + 0.004694681648], TOL, 'adamw step 2');
    optL2.dispose();
    optW.dispose();
  });

  test(`[${backendName}] the optimizer uses the learning rate of the current epoch`, () => {
    const t = flatTarget(backend, [1], 0);
    const opt = sgd(t, { learningRate: stepDecay(0.1, 10, 0.5) });
    // epoch 0: lr 0.1 -> 1 - 0.1 = 0.9; epoch 10: lr 0.05 -> 0.85; epoch 25: lr 0.025 -> 0.825
    assertAbsClose(stepWith(opt, t, [1], 0), [0.9], TOL, 'epoch 0');
    assertAbsClose(stepWith(opt, t, [1], 10), [0.85], TOL, 'epoch 10');
    assertAbsClose(stepWith(opt, t, [1], 25), [0.825], TOL, 'epoch 25');
    assert.equal(opt.learningRate(25), 0.025);
  });

  test(`[${backendName}] fused SGD gives the same bits as its three transforms run one by one`, () => {
    // 37 parameters, the first 23 decayed: both lengths odd, so the kernels' vector loops, their
    // scalar tails and the end of the decayed prefix inside a vector are all exercised.
    const n = 37, decayed = 23;
    const cases: [string, Omit<SgdOptions, 'fuse'>][] = [
      ['plain', { learningRate: 0.1 }],
      ['weight decay', { learningRate: 0.1, weightDecay: 0.01 }],
      ['momentum', { learningRate: 0.05, momentum: 0.9 }],
      ['momentum and weight decay (the study)', { learningRate: 0.001, momentum: 0.9, weightDecay: 0.001 }],
      ['Nesterov', { learningRate: 0.05, momentum: 0.9, nesterov: true }],
      ['Nesterov and weight decay', { learningRate: 0.05, momentum: 0.8, nesterov: true, weightDecay: 0.05 }],
      ['schedule', { learningRate: warmup(2, cosine(0.1, 4, 0.001)), momentum: 0.9, weightDecay: 0.01 }],
    ];
    for (const [name, options] of cases) {
      const rand = lcg(7);
      const w0 = uniformValues(rand, n, -1, 1);
      const tFused = flatTarget(backend, w0, decayed), tChain = flatTarget(backend, w0, decayed);
      const fused = sgd(tFused, options), unfused = sgd(tChain, { ...options, fuse: false });
      assert.equal(fused.fused, true, `${name}: sgd runs the fused kernel`);
      assert.equal(unfused.fused, false, `${name}: fuse: false runs the chain`);
      for (let s = 0; s < 24; s++) {
        const g = uniformValues(rand, n, -1, 1);
        const epoch = Math.floor(s / 4); // six epochs: the schedule changes the rate five times
        stepWith(fused, tFused, g, epoch);
        stepWith(unfused, tChain, g, epoch);
        assert.ok(sameBits(tFused.values.data, tChain.values.data), `${name}, step ${s}: weights differ`);
        assert.ok(sameBits(tFused.grads.data, tChain.grads.data), `${name}, step ${s}: updates differ`);
      }
      fused.dispose();
      unfused.dispose();
    }
  });

  test(`[${backendName}] without weight decay, fused and unfused SGD agree on infinities and signed zeros`, () => {
    // 0 * Infinity is NaN and -0 + 0 is +0: a decay of 0 must be skipped, not applied.
    const w0 = [Infinity, -0, 1, -Infinity, 0];
    const tFused = flatTarget(backend, w0, 5), tChain = flatTarget(backend, w0, 5);
    const fused = sgd(tFused, { learningRate: 0.1, momentum: 0.9 }), unfused = sgd(tChain, { learningRate: 0.1, momentum: 0.9, fuse: false });
    for (const g of [[0, -0, -0, 1, -0], [-0, -0, 0.5, 0, -0]]) {
      stepWith(fused, tFused, g);
      stepWith(unfused, tChain, g);
      assert.ok(sameBits(tFused.values.data, tChain.values.data), `weights ${tFused.values.data} vs ${tChain.values.data}`);
    }
    assert.equal(tFused.values.data[0], Infinity);
    fused.dispose();
    unfused.dispose();
  });

  test(`[${backendName}] the model's optimizer decays dense weights only`, () => {
    const model = Sequential.create(
      { inputs: 3, classes: 2, hidden: [{ width: 4, activation: 'relu', batchNorm: true }] },
      { seed: 5, backend },
    );
    // Non-zero batch-norm scale/shift and biases so "not decayed" is visible.
    for (const p of model.params) if (!p.name.endsWith('linear.weight') && p.name !== 'output.weight') p.value.data.fill(0.7);
    const decayedNames = model.params.filter((p) => p.decay).map((p) => p.name).sort();
    assert.deepEqual(decayedNames, ['hidden0.linear.weight', 'output.weight']);
    assert.equal(model.decayedLength, 3 * 4 + 4 * 2);
    const before = new Map(model.params.map((p) => [p.name, Array.from(p.value.data)]));
    const opt = makeOptimizer(model, resolveTrainOptions({ learningRate: 0.1, momentum: 0.9, weightDecay: 0.05 }));
    // Zero gradient: the first step is W -= lr * lambda * W on decayed entries only.
    model.flatGrads.data.fill(0);
    opt.step(0);
    for (const p of model.params) {
      const expected = before.get(p.name)!.map((v) => (p.decay ? v * (1 - 0.1 * 0.05) : v));
      assertAbsClose(p.value.data, expected, TOL, p.name);
    }
    opt.dispose();
    model.dispose();
  });
}

test('only decay, trace and learning rate, in this order, are fused', () => {
  const t = flatTarget(BACKENDS[0].backend, [1, 2, 3], 2);
  const rate = constant(0.1);
  const isFused = (opt: Optimizer): boolean => {
    opt.dispose();
    return opt.fused;
  };
  const chained = (...transforms: Parameters<typeof chain>): boolean => isFused(new Optimizer(chain(...transforms), t, rate));
  assert.equal(chained(addDecayedWeights(0.01), trace(0.9), scaleByLearningRate(rate)), true);
  assert.equal(chained(addDecayedWeights(0), trace(0), scaleByLearningRate(rate)), true);
  assert.equal(chained(trace(0.9), addDecayedWeights(0.01), scaleByLearningRate(rate)), false);
  assert.equal(chained(addDecayedWeights(0.01), trace(0.9)), false);
  assert.equal(chained(addDecayedWeights(0.01), trace(0.9), scaleByLearningRate(rate), scaleByLearningRate(rate)), false);
  const sgdChain = chain(addDecayedWeights(0.01), trace(0.9), scaleByLearningRate(rate));
  assert.equal(isFused(new Optimizer(sgdChain, t, rate, { fuse: false })), false);
  assert.equal(isFused(adam(t, { learningRate: 0.01 })), false);
  assert.equal(isFused(adamw(t, { learningRate: 0.01 })), false);
});

test('schedules at chosen epochs', () => {
  const close = (a: number, e: number, what: string) => assert.ok(Math.abs(a - e) < 1e-15, `${what}: ${a} vs ${e}`);
  assert.equal(constant(0.3)(0), 0.3);
  assert.equal(constant(0.3)(1000), 0.3);
  // Step decay: 0.1 * 0.5^floor(epoch / 10)
  const step = stepDecay(0.1, 10, 0.5);
  for (const [e, lr] of [[0, 0.1], [9, 0.1], [10, 0.05], [19, 0.05], [25, 0.025]]) close(step(e), lr, `step decay, epoch ${e}`);
  // Cosine from 0.1 to 0.001 over 10 epochs: 0.001 + 0.0495 (1 + cos(pi e / 10)), flat afterwards
  const cos = cosine(0.1, 10, 0.001);
  close(cos(0), 0.1, 'cosine, epoch 0');
  close(cos(2), 0.001 + 0.0495 * (1 + 0.8090169943749475), 'cosine, epoch 2');
  close(cos(5), 0.0505, 'cosine, epoch 5');
  close(cos(10), 0.001, 'cosine, epoch 10');
  close(cos(15), 0.001, 'cosine, after the end');
  // Warm-up over 3 epochs to 0.3: 0.1, 0.2, 0.3, then the constant rate
  const warm = warmup(3, constant(0.3));
  [0.1, 0.2, 0.3, 0.3, 0.3].forEach((lr, e) => close(warm(e), lr, `warm-up, epoch ${e}`));
  // Warm-up hands over to a schedule that counts its epochs from the end of the warm-up.
  const warmStep = warmup(2, stepDecay(0.1, 1, 0.5));
  [0.05, 0.1, 0.1, 0.05, 0.025].forEach((lr, e) => close(warmStep(e), lr, `warm-up then step decay, epoch ${e}`));
});

test('training options build the schedule they describe', () => {
  const fromOptions = (o: object) => makeSchedule(resolveTrainOptions(o));
  assert.equal(fromOptions({ learningRate: 0.01 })(50), 0.01);
  assert.equal(fromOptions({ learningRate: 0.1, schedule: { type: 'step', every: 5, gamma: 0.1 } })(12), 0.1 * 0.1 ** 2);
  // 12 epochs, 2 of warm-up, then cosine over the remaining 10 down to 0.
  const s = fromOptions({ learningRate: 0.2, epochs: 12, warmupEpochs: 2, schedule: { type: 'cosine' } });
  assert.deepEqual([s(0), s(1), s(2)], [0.1, 0.2, 0.2]);
  assert.ok(Math.abs(s(7) - 0.1) < 1e-15, `halfway through the cosine: ${s(7)}`);
  assert.ok(Math.abs(s(12)) < 1e-15, `end of the cosine: ${s(12)}`);
});
