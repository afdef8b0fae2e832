import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend } from '../../src/tensor/backend.js';
import type { Param } from '../../src/nn/layer.js';
import { Dense } from '../../src/nn/dense.js';
import { BatchNorm } from '../../src/nn/batchnorm.js';
import { ActivationLayer } from '../../src/nn/activation.js';
import { Dropout } from '../../src/nn/dropout.js';
import { Sequential } from '../../src/nn/model.js';
import type { ModelOptions } from '../../src/nn/config.js';
import { BACKENDS, assertAbsClose, assertClose, lcg, matrixOf, uniformValues } from '../helpers.js';
import {
  activation64, batchStats64, dense64, dot64, dropoutMask64, mlpForward64, normalise64, numericGradient,
  softmaxCrossEntropy64, type ActivationName, type BatchStats, type MlpSpec,
} from './reference64.js';

// Each layer's float32 forward and backward against an independent float64 forward and its
// central differences. A layer's output y is reduced to the scalar L = sum(y * R) for a fixed
// random R, so the backward pass is fed dy = R and must return dL/dx and dL/dparams.

function param(backend: Backend, name: string, rows: number, cols: number, values: number[], decay = false): Param {
  return { name, value: matrixOf(backend, rows, cols, values), grad: backend.alloc(rows, cols), decay };
}

const toF64 = (a: ArrayLike<number>) => Array.from(a);

for (const { name: backendName, backend } of BACKENDS) {
  test(`[${backendName}] dense: forward and gradients match float64 finite differences`, () => {
    const rand = lcg(11);
    const rows = 7, inputs = 5, outputs = 4;
    const x = uniformValues(rand, rows * inputs, -2, 2);
    const w = uniformValues(rand, inputs * outputs, -1, 1);
    const b = uniformValues(rand, outputs, -0.5, 0.5);
    const r = uniformValues(rand, rows * outputs, -1, 1);

    const layer = new Dense(inputs, outputs, 'he', 'd');
    const W = param(backend, 'd.weight', inputs, outputs, w, true);
    const B = param(backend, 'd.bias', 1, outputs, b);
    layer.bind([W, B]);
    layer.allocate(backend, rows + 3); // capacity above the batch: works on a row prefix
    const y = toF64(layer.forward(matrixOf(backend, rows, inputs, x), true).data);
    const dx = toF64(layer.backward(matrixOf(backend, rows, outputs, r), true)!.data);

    const x64 = [...x], w64 = [...w], b64 = [...b];
    const loss = () => dot64(dense64(x64, rows, inputs, outputs, w64, b64), r);
    assertClose(y, dense64(x64, rows, inputs, outputs, w64, b64), 'forward', 1e-5, 1e-6);
    assertClose(toF64(W.grad.data), numericGradient(loss, w64), 'dW');
    assertClose(toF64(B.grad.data), numericGradient(loss, b64), 'db');
    assertClose(dx, numericGradient(loss, x64), 'dx');
    // The first layer of a model asks for no input gradient.
    assert.equal(layer.backward(matrixOf(backend, rows, outputs, r), false), null);
  });

  test(`[${backendName}] batch norm (training): forward, gradients and running statistics`, () => {
    const rand = lcg(23);
    const rows = 6, cols = 4, eps = 1e-5, momentum = 0.1;
    // Columns with different offsets and scales, so normalisation does real work.
    const x = uniformValues(rand, rows * cols, -1, 1).map((v, i) => Math.fround(v * (1 + (i % cols)) + 2 * (i % cols) - 3));
    const gamma = uniformValues(rand, cols, 0.5, 1.5);
    const beta = uniformValues(rand, cols, -0.5, 0.5);
    const r = uniformValues(rand, rows * cols, -1, 1);

    const layer = new BatchNorm(cols, momentum, eps, 'bn');
    const G = param(backend, 'bn.weight', 1, cols, gamma);
    const Bt = param(backend, 'bn.bias', 1, cols, beta);
    layer.bind([G, Bt]);
    layer.allocate(backend, rows);
    const y = toF64(layer.forward(matrixOf(backend, rows, cols, x), true).data);
    const dx = toF64(layer.backward(matrixOf(backend, rows, cols, r), true).data);

    const x64 = [...x], g64 = [...gamma], b64 = [...beta];
    const forward = () => {
      const st = batchStats64(x64, rows, cols);
      return normalise64(x64, rows, cols, st.mean, st.variance, g64, b64, eps);
    };
    const loss = () => dot64(forward(), r);
    assertClose(y, forward(), 'forward', 1e-4, 1e-5);
    assertClose(toF64(G.grad.data), numericGradient(loss, g64), 'dgamma');
    assertClose(toF64(Bt.grad.data), numericGradient(loss, b64), 'dbeta');
    assertClose(dx, numericGradient(loss, x64), 'dx');

    // Running averages start at mean 0, variance 1 and take in the unbiased batch variance.
    const st = batchStats64(x, rows, cols);
    const [runMean, runVar] = layer.state();
    assert.deepEqual([runMean.name, runVar.name], ['bn.running_mean', 'bn.running_var']);
    const rm = st.mean.map((m) => momentum * m);
    const rv = st.unbiased.map((v) => (1 - momentum) * 1 + momentum * v);
    assertClose(toF64(runMean.value.data), rm, 'running mean after one batch', 1e-5, 1e-6);
    assertClose(toF64(runVar.value.data), rv, 'running variance after one batch', 1e-5, 1e-6);

    // A second batch folds in with the same momentum.
    const x2 = uniformValues(rand, rows * cols, -2, 4);
    layer.forward(matrixOf(backend, rows, cols, x2), true);
    const st2 = batchStats64(x2, rows, cols);
    const rm2 = rm.map((m, c) => (1 - momentum) * m + momentum * st2.mean[c]);
    const rv2 = rv.map((v, c) => (1 - momentum) * v + momentum * st2.unbiased[c]);
    assertClose(toF64(runMean.value.data), rm2, 'running mean after two batches', 1e-5, 1e-6);
    assertClose(toF64(runVar.value.data), rv2, 'running variance after two batches', 1e-5, 1e-6);

    // Inference normalises with the running statistics, whatever the batch holds.
    const x3 = uniformValues(rand, 3 * cols, -2, 2);
    const y3 = toF64(layer.forward(matrixOf(backend, 3, cols, x3), false).data);
    assertClose(y3, normalise64(x3, 3, cols, rm2, rv2, gamma, beta, eps), 'inference forward', 1e-5, 1e-6);
  });

  const activations: [ActivationName, number][] = [
    ['identity', 0], ['relu', 0], ['gelu', 0], ['gelu_tanh', 0], ['tanh', 0], ['sigmoid', 0],
    ['leaky_relu', 0.01], ['leaky_relu', 0.2],
  ];
  for (const [act, alpha] of activations) {
    test(`[${backendName}] activation ${act}${alpha ? ` (slope ${alpha})` : ''}: forward and gradient`, () => {
      const rand = lcg(act.length * 101 + alpha * 1000);
      const rows = 5, cols = 8;
      // Away from 0 by 1e-3 so central differences never straddle the kink of relu-like functions.
      const x = [...uniformValues(rand, rows * cols - 4, -4, 4, 1e-3), -30, 30, -9, 9];
      const r = uniformValues(rand, rows * cols, -1, 1);
      const layer = new ActivationLayer(cols, act, alpha);
      layer.allocate(backend, rows);
      const y = toF64(layer.forward(matrixOf(backend, rows, cols, x), true).data);
      const dx = toF64(layer.backward(matrixOf(backend, rows, cols, r), true).data);
      const x64 = [...x];
      const forward = () => x64.map((v) => activation64(act, v, alpha));
      assertClose(y, forward(), 'forward', 1e-5, 1e-6);
      assertClose(dx, numericGradient(() => dot64(forward(), r), x64, 1e-6), 'dx', 1e-3, 1e-5);
    });
  }

  for (const [act, alpha] of activations) {
    // x^3 in gelu_tanh overflows float32 for |x| > 7e12 unless computed in float64 or guarded.
    test(`[${backendName}] activation ${act}${alpha ? ` (slope ${alpha})` : ''} stays finite at extreme inputs`, () => {
      const x = [-1e30, -1e4, -100, -88, 88, 100, 1e4, 1e30, 0, -0];
      const layer = new ActivationLayer(x.length, act, alpha);
      layer.allocate(backend, 1);
      const y = toF64(layer.forward(matrixOf(backend, 1, x.length, x), true).data);
      const dx = toF64(layer.backward(matrixOf(backend, 1, x.length, x.map(() => 1)), true).data);
      const expected = x.map((v) => Math.fround(activation64(act, v, alpha)));
      assertClose(y, expected, `${act} forward`, 1e-6, 1e-12);
      assert.ok(dx.every(Number.isFinite), `${act} gradient at extreme inputs: ${dx}`);
      // Limits of the derivative for |x| >= 88, and its value at 0 (PyTorch's choice at the kinks).
      const [atNegative, atZero, atPositive] = {
        identity: [1, 1, 1], relu: [0, 0, 1], gelu: [0, 0.5, 1], gelu_tanh: [0, 0.5, 1],
        tanh: [0, 1, 0], sigmoid: [0, 0.25, 0], leaky_relu: [alpha, alpha, 1],
      }[act];
      const expectedDx = x.map((v) => (v === 0 ? atZero : v < 0 ? atNegative : atPositive));
      assertAbsClose(dx, expectedDx, 1e-6, `${act} derivative at extreme inputs`);
    });
  }

  for (const [act, alpha] of activations) {
    // PyTorch propagates NaN through every activation; mapping it to 0 hides a NaN input or a
    // NaN weight from the loss, so training carries on with garbage instead of stopping.
    test(`[${backendName}] activation ${act}${alpha ? ` (slope ${alpha})` : ''} propagates NaN`, () => {
      const layer = new ActivationLayer(3, act, alpha);
      layer.allocate(backend, 1);
      const y = layer.forward(matrixOf(backend, 1, 3, [NaN, -1, 1]), true).data;
      assert.ok(Number.isNaN(y[0]), `${act}(NaN) = ${y[0]}`);
    });
  }

  test(`[${backendName}] dropout: documented mask, inverted scaling, gradient through the mask`, () => {
    const rand = lcg(5);
    const rows = 6, cols = 5, p = 0.3, seed = 987654321;
    const layer = new Dropout(cols, p, seed);
    layer.allocate(backend, rows);
    const x = uniformValues(rand, rows * cols, -2, 2);
    const r = uniformValues(rand, rows * cols, -1, 1);
    for (const counter of [0, 1]) {
      const mask = dropoutMask64(seed, counter, rows * cols, p);
      assert.ok(mask.some((m) => m === 0) && mask.some((m) => m > 0), 'the mask both drops and keeps');
      const y = toF64(layer.forward(matrixOf(backend, rows, cols, x), true).data);
      const dx = toF64(layer.backward(matrixOf(backend, rows, cols, r), true).data);
      const x64 = [...x];
      const forward = () => x64.map((v, i) => v * mask[i]);
      assertClose(y, forward(), `forward, step ${counter}`, 1e-6, 0);
      assertClose(dx, numericGradient(() => dot64(forward(), r), x64), `dx, step ${counter}`);
    }
    // Inference is the identity, and its backward passes the gradient through.
    const y = toF64(layer.forward(matrixOf(backend, rows, cols, x), false).data);
    assert.deepEqual(y, x);
    assert.deepEqual(toF64(layer.backward(matrixOf(backend, rows, cols, r), true).data), r);
  });

  test(`[${backendName}] dropout drops a fraction p and keeps the mean`, () => {
    const rows = 200, cols = 500;
    for (const p of [0.2, 0.5]) {
      const layer = new Dropout(cols, p, 42);
      layer.allocate(backend, rows);
      const y = layer.forward(matrixOf(backend, rows, cols, new Array(rows * cols).fill(1)), true).data;
      let zeros = 0, sum = 0;
      for (const v of y) {
        if (v === 0) zeros++;
        sum += v;
      }
      // Binomial standard deviation of the fraction is about 0.0016 here: 5 sigma bounds.
      assert.ok(Math.abs(zeros / y.length - p) < 0.008, `p=${p}: dropped ${zeros / y.length}`);
      assert.ok(Math.abs(sum / y.length - 1) < 0.016, `p=${p}: mean after inverted scaling ${sum / y.length}`);
    }
  });

  const modelCases: { title: string; options: ModelOptions; smoothing: number }[] = [
    {
      title: 'gelu+bn / tanh+dropout / leaky+bn',
      options: {
        inputs: 5, classes: 3, leakySlope: 0.1,
        hidden: [
          { width: 6, activation: 'gelu', batchNorm: true },
          { width: 4, activation: 'tanh', batchNorm: false, dropout: 0.3 },
          { width: 5, activation: 'leaky_relu', batchNorm: true },
        ],
      },
      smoothing: 0,
    },
    {
      title: 'gelu_tanh+bn+dropout / sigmoid, label smoothing 0.1',
      options: {
        inputs: 4, classes: 4,
        hidden: [
          { width: 5, activation: 'gelu_tanh', batchNorm: true, dropout: 0.2 },
          { width: 3, activation: 'sigmoid', batchNorm: false },
        ],
      },
      smoothing: 0.1,
    },
    {
      title: 'relu / identity+bn, label smoothing 0.3',
      options: {
        inputs: 3, classes: 5,
        hidden: [
          { width: 4, activation: 'relu', batchNorm: false },
          { width: 4, activation: 'identity', batchNorm: true },
        ],
      },
      smoothing: 0.3,
    },
    { title: 'no hidden layer (logistic regression)', options: { inputs: 6, classes: 3, hidden: [] }, smoothing: 0 },
  ];

  for (const c of modelCases) {
    test(`[${backendName}] whole model with softmax cross-entropy: ${c.title}`, () => {
      const rows = 8;
      const rand = lcg(c.options.inputs * 7 + c.options.classes!);
      const model = Sequential.create(c.options, { seed: 3, backend, capacity: rows });
      const spec: MlpSpec = {
        inputs: c.options.inputs,
        classes: c.options.classes!,
        hidden: c.options.hidden.map((h) => ({
          width: h.width, activation: h.activation ?? 'relu', batchNorm: h.batchNorm ?? true, dropout: h.dropout ?? 0,
        })),
        leakySlope: c.options.leakySlope ?? 0.01,
        eps: 1e-5,
      };
      // Give every dropout layer a known seed so the test can draw the same masks.
      const dropouts = model.layers.filter((l): l is Dropout => l instanceof Dropout);
      dropouts.forEach((d, i) => d.reseed(1000 + i));
      let k = 0;
      const masks = spec.hidden.map((h) => (h.dropout > 0 ? dropoutMask64(1000 + k++, 0, rows * h.width, h.dropout) : null));
      assert.equal(k, dropouts.length);

      const x = uniformValues(rand, rows * spec.inputs, -2, 2);
      const labels = Array.from({ length: rows }, (_, i) => (i * 7 + 1) % spec.classes);
      const { x: xb, y: yb } = model.batchBuffers(rows);
      xb.data.set(x);
      yb.data.set(labels);
      const { loss } = model.lossAndGradients(xb, yb, c.smoothing);

      const params = new Map(model.params.map((p) => [p.name, Array.from(p.value.data)]));
      const stats = new Map<string, BatchStats>();
      const loss64 = () => {
        const logits = mlpForward64(spec, params, x, rows, { training: true, masks, stats });
        return softmaxCrossEntropy64(logits, rows, spec.classes, labels, c.smoothing);
      };
      const expectedLoss = loss64();
      assert.ok(Math.abs(loss - expectedLoss) <= 1e-5 * Math.max(1, expectedLoss), `loss ${loss} vs float64 ${expectedLoss}`);
      const numeric = new Map(model.params.map((p) => [p.name, numericGradient(loss64, params.get(p.name)!)]));
      // A linear bias followed by batch norm has a zero gradient; float32 leaves ~1e-9 there,
      // so the absolute tolerance scales with the largest gradient of the whole model.
      const scale = Math.max(...[...numeric.values()].flat().map(Math.abs));
      assert.ok(scale > 1e-2, `gradients are not trivially small (${scale})`);
      for (const p of model.params) {
        assertClose(toF64(p.grad.data), numeric.get(p.name)!, `d loss / d ${p.name}`, 1e-3, 1e-4, scale);
      }

      // Inference uses the running statistics the training pass updated.
      loss64(); // refresh `stats` at the unperturbed parameters
      const running = new Map<string, number[]>();
      for (const [layer, st] of stats) {
        running.set(`${layer}.running_mean`, st.mean.map((m) => 0.1 * m));
        running.set(`${layer}.running_var`, st.unbiased.map((v) => 0.9 + 0.1 * v));
      }
      for (const s of model.stateTensors()) assertClose(toF64(s.value.data), running.get(s.name)!, s.name, 1e-5, 1e-6);
      const logits = toF64(model.forward(xb, false).data);
      assertClose(logits, mlpForward64(spec, params, x, rows, { training: false, running }), 'inference logits', 1e-4, 1e-5);
      model.dispose();
    });
  }
}
