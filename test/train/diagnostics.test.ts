import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sequential } from '../../src/nn/model.js';
import { fit } from '../../src/train/fit.js';
import { flatRegion } from '../../src/train/diagnostics.js';
import { diagnoseLayers } from '../../src/report/layers.js';
import { loadSource } from '../../src/data/files.js';
import { selectRows } from '../../src/data/dataset.js';
import { runExperiment } from '../../src/run/experiment.js';
import { PRESETS, mergeSpecs, resolveRun } from '../../src/run/spec.js';
import type { EpochRecord } from '../../src/metrics/history-types.js';
import { BACKENDS, gaussianBlobs, sameBits } from '../helpers.js';
import { activation64, dense64, mlpForward64, numericGradient, softmaxCrossEntropy64, type MlpSpec } from '../nn/reference64.js';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1e-12, Math.abs(b));

for (const { name: backendName, backend } of BACKENDS) {
  test(`[${backendName}] a hand-built layer: dead units, moments, gradient norm and update ratio as computed independently`, async () => {
    // 12 rows of 3 features, one hidden ReLU layer of 4 units. Units 0 and 1 get a bias of -50:
    // their pre-activation is negative for every row, so exactly half the units are dead.
    const rows = 12, inputs = 3, units = 4, classes = 2;
    const data = gaussianBlobs(rows, inputs, classes, 5, 1);
    const model = Sequential.create(
      { inputs, classes, hidden: [{ width: units, activation: 'relu', batchNorm: false, dropout: 0 }] },
      { seed: 3, backend, capacity: rows },
    );
    const param = (name: string) => model.params.find((p) => p.name === name)!;
    param('hidden0.linear.bias').value.data.set([-50, -50, 0.1, -0.2]);
    const initial = new Map(model.params.map((p) => [p.name, Float64Array.from(p.value.data)]));
    const lr = 0.1;
    // One batch of all rows: one step per epoch, and it is the sampled one.
    const result = await fit(model, data, null, { train: { epochs: 1, batchSize: rows, learningRate: lr, momentum: 0, weightDecay: 0, seed: 1 } });
    const stats = result.history[0].layers!;
    assert.equal(stats.length, 1);
    const l = stats[0];
    assert.equal(l.deadFraction, 0.5);

    // The moments of z and a of the step's forward pass, from the float64 reference.
    const w = initial.get('hidden0.linear.weight')!, b = initial.get('hidden0.linear.bias')!;
    const z = dense64(Array.from(data.features), rows, inputs, units, w, b);
    const a = z.map((v) => activation64('relu', v));
    const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
    const sd = (v: number[]) => Math.sqrt(mean(v.map((x) => x * x)) - mean(v) ** 2);
    assert.ok(rel(l.preActivation.mean, mean(z)) < 1e-5, `z mean ${l.preActivation.mean} vs ${mean(z)}`);
    assert.ok(rel(l.preActivation.std, sd(z)) < 1e-5);
    assert.ok(rel(l.output.mean, mean(a)) < 1e-5);
    assert.ok(rel(l.output.std, sd(a)) < 1e-5);
    assert.equal(l.saturatedFraction, z.filter((v) => v < flatRegion('relu').low).length / z.length);

    // The gradient norm of the weight, from central differences of the float64 loss.
    const spec: MlpSpec = { inputs, classes, hidden: [{ width: units, activation: 'relu', batchNorm: false, dropout: 0 }], leakySlope: 0.01, eps: 1e-5 };
    const params = new Map<string, Float64Array>([...initial]);
    const wRef = Float64Array.from(w);
    params.set('hidden0.linear.weight', wRef);
    const loss = () => softmaxCrossEntropy64(mlpForward64(spec, params, Array.from(data.features), rows, { training: true, masks: [null] }), rows, classes, data.labels, 0);
    const g = numericGradient(loss, wRef);
    const gNorm = Math.sqrt(g.reduce((s, x) => s + x * x, 0));
    assert.ok(rel(l.gradientNorm, gNorm) < 1e-3, `gradient norm ${l.gradientNorm} vs ${gNorm}`);
    assert.equal(l.params[0].name, 'hidden0.linear.weight');
    assert.equal(l.params[0].size, inputs * units);

    // Plain SGD: the step is lr * g, measured against the weights after it.
    const after = Math.sqrt(model.params.find((p) => p.name === 'hidden0.linear.weight')!.value.data.reduce((s, x) => s + x * x, 0));
    assert.ok(rel(l.weightNorm, after) < 1e-6);
    assert.ok(rel(l.updateRatio, (lr * gNorm) / after) < 1e-3, `update ratio ${l.updateRatio} vs ${(lr * gNorm) / after}`);
    model.dispose();
  });
}

test('the statistics agree on both backends, and measuring them changes no weight', async () => {
  const data = gaussianBlobs(400, 10, 3, 21, 0.6);
  const val = gaussianBlobs(90, 10, 3, 22, 0.6, 21);
  const net = { inputs: 10, classes: 3, hidden: [{ width: 16, activation: 'gelu' as const, batchNorm: true, dropout: 0.2 }, { width: 8, activation: 'tanh' as const, batchNorm: false, dropout: 0 }] };
  const train = { epochs: 3, batchSize: 32, learningRate: 0.05, seed: 2 };
  const runs: { history: EpochRecord[]; weights: Float32Array[] }[] = [];
  for (const { backend } of BACKENDS) {
    for (const diagnostics of [true, false]) {
      const model = Sequential.create(net, { seed: 7, backend });
      const r = await fit(model, data, val, { train: { ...train, diagnostics } });
      runs.push({ history: r.history, weights: model.snapshot() });
      model.dispose();
    }
  }
  const strip = (h: EpochRecord[]) => h.map(({ seconds: _s, layers: _l, ...e }) => e);
  for (let b = 0; b < runs.length; b += 2) {
    assert.deepEqual(strip(runs[b].history), strip(runs[b + 1].history), 'diagnostics on and off: the same training');
    assert.ok(runs[b].weights.every((w, i) => sameBits(w, runs[b + 1].weights[i])));
    assert.equal(runs[b + 1].history[0].layers, undefined);
  }
  if (runs.length === 4) {
    const [ref, wasm] = [runs[0].history, runs[2].history];
    ref.forEach((e, i) =>
      e.layers!.forEach((l, j) => {
        const o = wasm[i].layers![j];
        assert.equal(o.deadFraction, l.deadFraction);
        for (const [x, y] of [[l.preActivation.mean, o.preActivation.mean], [l.output.std, o.output.std], [l.gradientNorm, o.gradientNorm], [l.updateRatio, o.updateRatio], [l.weightNorm, o.weightNorm]]) {
          assert.ok(Math.abs(x - y) <= 1e-4 * Math.max(1, Math.abs(x)), `${l.name} epoch ${e.epoch}: ${x} vs ${y}`);
        }
      }),
    );
  }
});

test('a learning rate large enough to kill ReLU units shows the dying-ReLU finding', async () => {
  const data = gaussianBlobs(600, 20, 3, 31, 0.5);
  const val = gaussianBlobs(150, 20, 3, 32, 0.5, 31);
  const model = Sequential.create({ inputs: 20, classes: 3, hidden: [{ width: 32, activation: 'relu', batchNorm: false, dropout: 0 }, { width: 32, activation: 'relu', batchNorm: false, dropout: 0 }] }, { seed: 1 });
  const r = await fit(model, data, val, { train: { epochs: 4, learningRate: 2, momentum: 0.9, seed: 1 } });
  model.dispose();
  const findings = diagnoseLayers(r.history);
  const dead = findings.filter((f) => f.kind === 'dead-units');
  assert.ok(dead.length >= 1, JSON.stringify(findings));
  assert.match(dead[0].message, /hidden\d \(ReLU\): \d+% of its 32 units never activated/);
});

test("the study's default model trained normally shows no layer finding", async () => {
  const raw = await loadSource('fashion-mnist');
  const head = Int32Array.from({ length: 6000 }, (_, i) => i);
  const spec = resolveRun(mergeSpecs(PRESETS.default, { train: { epochs: 5 }, data: { pca: 64 } }));
  const r = await runExperiment(spec, { train: selectRows(raw.train, head), test: null });
  r.model.dispose();
  assert.equal(r.report.history[0].layers!.length, 2);
  assert.deepEqual(r.report.findings, []);
});
