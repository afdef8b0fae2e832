import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Sequential } from '../../src/nn/model.js';
import { Dropout } from '../../src/nn/dropout.js';
import type { ModelOptions } from '../../src/nn/config.js';
import type { Matrix } from '../../src/tensor/matrix.js';
import { makeOptimizer, resolveTrainOptions } from '../../src/train/options.js';
import { BACKENDS, assertAbsClose } from '../helpers.js';

interface Step {
  x: number[];
  y: number[];
  logits: number[];
  loss: number;
  grads: Record<string, number[]>;
  paramsAfter: Record<string, number[]>;
  state: Record<string, number[]>;
}

interface Case {
  name: string;
  model: ModelOptions;
  dropoutSeeds: number[];
  train: {
    optimizer?: 'sgd' | 'adam' | 'adamw';
    loss?: 'mse' | 'huber' | 'mae';
    learningRate: number; momentum: number; nesterov: boolean; weightDecay: number; labelSmoothing: number;
    beta1?: number; beta2?: number; eps?: number;
  };
  params: Record<string, number[]>;
  steps: Step[];
  eval: { x: number[]; logits: number[] };
}

// Recorded once from PyTorch by scripts/fixtures/torch_reference.py; the tests need no Python.
const fixture = JSON.parse(
  readFileSync(new URL('../../../test/fixtures/torch/training_steps.json', import.meta.url), 'utf8'),
) as { cases: Case[] };

const TOL = 1e-5;

test('the PyTorch fixture covers batch norm, dropout, every activation family, the optimizers and label smoothing', () => {
  const hidden = fixture.cases.flatMap((c) => c.model.hidden);
  const acts = new Set(hidden.map((h) => h.activation));
  for (const a of ['relu', 'gelu', 'gelu_tanh', 'tanh', 'sigmoid', 'leaky_relu']) assert.ok(acts.has(a as never), a);
  assert.ok(hidden.some((h) => h.batchNorm) && hidden.some((h) => !h.batchNorm));
  assert.ok(hidden.some((h) => (h.dropout ?? 0) > 0));
  assert.ok(fixture.cases.some((c) => c.train.nesterov) && fixture.cases.some((c) => !c.train.nesterov));
  assert.ok(fixture.cases.some((c) => c.train.labelSmoothing > 0));
  const losses = new Set(fixture.cases.filter((c) => c.model.task === 'regress').map((c) => c.train.loss));
  assert.deepEqual([...losses].sort(), ['huber', 'mae', 'mse'], 'a regression case for every regression loss');
  const optimizers = new Set(fixture.cases.map((c) => c.train.optimizer ?? 'sgd'));
  assert.deepEqual([...optimizers].sort(), ['adam', 'adamw', 'sgd']);
  assert.ok(fixture.cases.every((c) => c.steps.length >= 3 && c.train.weightDecay > 0));
  assert.ok(fixture.cases.filter((c) => (c.train.optimizer ?? 'sgd') === 'sgd').every((c) => c.train.momentum > 0));
});

for (const { name: backendName, backend } of BACKENDS) {
  for (const c of fixture.cases) {
    test(`[${backendName}] matches PyTorch: ${c.name}`, () => {
      const model = Sequential.create(c.model, { backend, capacity: 32 });
      assert.deepEqual(model.params.map((p) => p.name).sort(), Object.keys(c.params).sort(), 'parameter names');
      for (const p of model.params) {
        assert.equal(p.value.size, c.params[p.name].length, `${p.name} size`);
        p.value.data.set(c.params[p.name]);
      }
      const dropouts = model.layers.filter((l): l is Dropout => l instanceof Dropout);
      assert.equal(dropouts.length, c.dropoutSeeds.length);
      dropouts.forEach((d, i) => d.reseed(c.dropoutSeeds[i]));

      // Capture the logits the model hands to the loss.
      const output = model.layers[model.layers.length - 1];
      const outputForward = output.forward.bind(output);
      let logits: Float32Array | null = null;
      output.forward = (x: Matrix, training: boolean) => {
        const y = outputForward(x, training);
        logits = y.data.slice();
        return y;
      };

      const { labelSmoothing: _ls, ...train } = c.train;
      const optimizer = makeOptimizer(model, resolveTrainOptions(train));
      c.steps.forEach((s, k) => {
        const rows = s.y.length;
        const { x, y } = model.batchBuffers(rows);
        x.data.set(s.x);
        y.data.set(s.y);
        const { loss } = model.lossAndGradients(x, y, c.train.labelSmoothing, null, c.train.loss);
        assertAbsClose(logits!, s.logits, TOL, `step ${k + 1}: training-mode logits`);
        assert.ok(Math.abs(loss - s.loss) <= TOL, `step ${k + 1}: loss ${loss} vs PyTorch ${s.loss}`);
        for (const p of model.params) assertAbsClose(p.grad.data, s.grads[p.name], TOL, `step ${k + 1}: gradient of ${p.name}`);
        optimizer.step(0);
        for (const p of model.params) assertAbsClose(p.value.data, s.paramsAfter[p.name], TOL, `step ${k + 1}: ${p.name} after the ${train.optimizer ?? 'sgd'} step`);
        const state = model.stateTensors();
        assert.deepEqual(state.map((t) => t.name).sort(), Object.keys(s.state).sort());
        for (const t of state) assertAbsClose(t.value.data, s.state[t.name], TOL, `step ${k + 1}: ${t.name}`);
      });

      const rows = c.eval.x.length / c.model.inputs;
      const { x } = model.batchBuffers(rows);
      x.data.set(c.eval.x);
      assertAbsClose(model.forward(x, false).data, c.eval.logits, TOL, 'inference-mode logits after the steps');
      if (c.model.task === 'regress') {
        // Predictions come back in the target's units: the output times std plus mean.
        const { mean, std } = c.model.target!;
        const values = model.predictValues(Float32Array.from(c.eval.x), rows);
        assertAbsClose(Float32Array.from(values), c.eval.logits.map((z) => z * std + mean), TOL * std, 'predictValues in the target\'s units');
      }
      optimizer.dispose();
      model.dispose();
    });
  }
}
