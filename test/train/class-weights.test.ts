import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../src/errors.js';
import { Sequential } from '../../src/nn/model.js';
import { classWeights } from '../../src/train/fit.js';
import { BACKENDS, assertClose, lcg, uniformValues } from '../helpers.js';
import { mlpForward64, numericGradient, type MlpSpec } from '../nn/reference64.js';

// The weighted loss sum_r w[y_r] CE_r / sum_r w[y_r], in float64 from the logits.
function weightedCrossEntropy64(logits: number[], rows: number, classes: number, labels: number[], w: number[]): number {
  let num = 0, den = 0;
  for (let r = 0; r < rows; r++) {
    const z = logits.slice(r * classes, r * classes + classes);
    const m = Math.max(...z);
    const lse = m + Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0));
    num += w[labels[r]] * (lse - z[labels[r]]);
    den += w[labels[r]];
  }
  return num / den;
}

for (const { name, backend } of BACKENDS) {
  test(`[${name}] class weights: the gradient is that of the weighted mean loss (float64 central differences)`, () => {
    const rows = 9, inputs = 4, classes = 3;
    const options = { inputs, classes, hidden: [{ width: 5, activation: 'tanh' as const, batchNorm: false }] };
    const model = Sequential.create(options, { seed: 5, backend, capacity: rows });
    const x = uniformValues(lcg(3), rows * inputs, -2, 2);
    const labels = [0, 0, 0, 0, 0, 1, 1, 2, 0];
    const w = [0.5, 2, 4.5];
    const { x: xb, y: yb } = model.batchBuffers(rows);
    xb.data.set(x);
    yb.data.set(labels);
    model.lossAndGradients(xb, yb, 0, Float32Array.from(w));
    const spec: MlpSpec = { inputs, classes, hidden: [{ width: 5, activation: 'tanh', batchNorm: false, dropout: 0 }], leakySlope: 0.01, eps: 1e-5 };
    const params = new Map(model.params.map((p) => [p.name, Array.from(p.value.data)]));
    const loss64 = () => weightedCrossEntropy64(mlpForward64(spec, params, x, rows, { training: true, masks: [null] }), rows, classes, labels, w);
    const numeric = new Map(model.params.map((p) => [p.name, numericGradient(loss64, params.get(p.name)!)]));
    const scale = Math.max(...[...numeric.values()].flat().map(Math.abs));
    for (const p of model.params) assertClose(Array.from(p.grad.data), numeric.get(p.name)!, `d weighted loss / d ${p.name}`, 1e-3, 1e-4, scale);
    // Equal weights are no weights at all.
    const plain = Sequential.create(options, { seed: 5, backend, capacity: rows });
    const b = plain.batchBuffers(rows);
    b.x.data.set(x);
    b.y.data.set(labels);
    plain.lossAndGradients(b.x, b.y, 0, Float32Array.from([3, 3, 3]));
    const unweighted = Sequential.create(options, { seed: 5, backend, capacity: rows });
    const u = unweighted.batchBuffers(rows);
    u.x.data.set(x);
    u.y.data.set(labels);
    unweighted.lossAndGradients(u.x, u.y, 0);
    plain.params.forEach((p, i) => assertClose(Array.from(p.grad.data), Array.from(unweighted.params[i].grad.data), p.name, 1e-6, 1e-7));
    for (const m of [model, plain, unweighted]) m.dispose();
  });
}

test("class weights: 'balanced' is rows / (classes present x rows of the class), as scikit-learn; names map to classes", () => {
  const labels = Int32Array.from([0, 0, 0, 0, 0, 0, 1, 1, 2, 2]);
  // scikit-learn: compute_class_weight('balanced', classes=[0, 1, 2], y) = 10 / (3 * [6, 2, 2]).
  assertClose(Array.from(classWeights('balanced', labels, 3)!), [10 / 18, 10 / 6, 10 / 6], 'balanced', 1e-6, 1e-7);
  // A class without rows keeps 1 and does not count among the classes present.
  assertClose(Array.from(classWeights('balanced', labels, 4)!), [10 / 18, 10 / 6, 10 / 6, 1], 'absent class', 1e-6, 1e-7);
  assert.equal(classWeights('none', labels, 3), null);
  assert.deepEqual(Array.from(classWeights({ rare: 5 }, labels, 3, ['common', 'rare', 'other'])!), [1, 5, 1]);
  assert.throws(() => classWeights({ Rare: 5 }, labels, 3, ['common', 'rare', 'other']), (e: unknown) => e instanceof ConfigError && /train\.classWeight: got "Rare", expected a class name: "common", "rare", "other"/.test(e.message));
});
