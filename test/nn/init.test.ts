/**
 * `init: 'pytorch'` is nn.Linear's default initialisation. test/fixtures/pytorch/init.json holds
 * the bounds torch computes itself (kaiming_uniform_ with a = sqrt(5), and 1 / sqrt(fan_in) for
 * the bias) and statistics of large torch draws (scripts/fixtures/pytorch_weights.py).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { pytorchBound } from '../../src/nn/dense.js';
import { Sequential } from '../../src/nn/model.js';
import { resolveRun, networkToModelOptions } from '../../src/run/spec.js';
import { sameBits } from '../helpers.js';

interface Layer {
  fanIn: number;
  weightBound: number;
  biasBound: number;
  sample: { count: number; maxAbs: number; mean: number; variance: number };
}
const { layers } = JSON.parse(readFileSync(new URL('../../../test/fixtures/pytorch/init.json', import.meta.url), 'utf8')) as { layers: Layer[] };

/** Kolmogorov-Smirnov distance between the sample and U(-a, a). */
function ksUniform(values: Float32Array, a: number): number {
  const s = Float64Array.from(values).sort();
  let d = 0;
  for (let i = 0; i < s.length; i++) {
    const cdf = (s[i] + a) / (2 * a);
    d = Math.max(d, Math.abs(cdf - i / s.length), Math.abs(cdf - (i + 1) / s.length));
  }
  return d;
}

for (const l of layers) {
  test(`fan_in ${l.fanIn}: weights and biases are U(-b, b) with torch's bound`, () => {
    const bound = pytorchBound(l.fanIn);
    assert.ok(Math.abs(bound - l.weightBound) <= 1e-15 * l.weightBound, `${bound} vs torch ${l.weightBound}`);
    assert.ok(Math.abs(bound - l.biasBound) <= 1e-15 * l.biasBound, `${bound} vs torch ${l.biasBound}`);
    // The output layer holds at most the 65,536 classes a model may have.
    const outputs = Math.min(65536, Math.ceil(l.sample.count / l.fanIn));
    const model = Sequential.create({ inputs: l.fanIn, classes: outputs, hidden: [], init: 'pytorch' }, { seed: 11 });
    const [w, b] = model.params.map((p) => p.value.data);
    const n = w.length;
    let max = 0, sum = 0, squares = 0;
    for (const v of w) {
      max = Math.max(max, Math.abs(v));
      sum += v;
      squares += v * v;
    }
    assert.ok(max <= Math.fround(bound), `max |w| ${max} over the bound ${bound}`);
    // n draws of U(-b, b) all stay below b (1 - 20 / n) with probability about e^-20.
    assert.ok(max >= bound * (1 - 20 / n), `max |w| ${max}, expected close to ${bound}`);
    // Mean 0 (sd b / sqrt(3n)) and variance b^2 / 3 (sd of the mean square: b^2 sqrt(4 / 45) / sqrt(n)), within 5 sd; torch's draw too.
    const meanTol = (5 * bound) / Math.sqrt(3 * n);
    const varTol = (5 * bound * bound * Math.sqrt(4 / 45)) / Math.sqrt(n);
    assert.ok(Math.abs(sum / n) < meanTol, `mean ${sum / n}`);
    assert.ok(Math.abs(squares / n - (bound * bound) / 3) < varTol, `variance ${squares / n} vs ${(bound * bound) / 3}`);
    assert.ok(Math.abs(l.sample.variance - (l.weightBound * l.weightBound) / 3) < (5 * l.weightBound ** 2 * Math.sqrt(4 / 45)) / Math.sqrt(l.sample.count), 'torch sample');
    assert.ok(l.sample.maxAbs <= l.weightBound && l.sample.maxAbs >= l.weightBound * (1 - 1e-4), 'torch sample max');
    // The whole distribution: Kolmogorov-Smirnov distance below the 1% critical value.
    assert.ok(ksUniform(w, bound) < 1.63 / Math.sqrt(n), `KS ${ksUniform(w, bound)}`);
    assert.ok(b.every((v) => Math.abs(v) <= Math.fround(bound)));
    assert.ok(ksUniform(b, bound) < 1.63 / Math.sqrt(b.length) || b.length < 100);
    assert.ok(b.some((v) => v !== 0), 'the bias is drawn, not zero');
    model.dispose();
  });
}

test("every linear layer uses it, the same seed gives the same weights, and the other inits keep a zero bias", () => {
  const options = (init: 'pytorch' | 'he' | 'xavier' | 'auto') => ({
    inputs: 20, classes: 4, init,
    hidden: [{ width: 30, activation: 'relu' as const }, { width: 10, activation: 'tanh' as const }],
  });
  const a = Sequential.create(options('pytorch'), { seed: 3 });
  const again = Sequential.create(options('pytorch'), { seed: 3 });
  assert.ok(sameBits(a.flatValues.data, again.flatValues.data));
  for (const p of a.params.filter((q) => q.name.includes('linear') || q.name.startsWith('output'))) {
    const fanIn = p.name.startsWith('hidden0') ? 20 : p.name.startsWith('hidden1') ? 30 : 10;
    const bound = Math.fround(1 / Math.sqrt(fanIn));
    assert.ok(p.value.data.every((v) => Math.abs(v) <= bound), p.name);
    assert.ok(Math.max(...p.value.data.map(Math.abs)) > 0.5 * bound, p.name);
  }
  for (const init of ['he', 'xavier', 'auto'] as const) {
    const m = Sequential.create(options(init), { seed: 3 });
    for (const p of m.params.filter((q) => q.name.endsWith('linear.bias') || q.name === 'output.bias')) assert.ok(p.value.data.every((v) => v === 0), `${init} ${p.name}`);
    m.dispose();
  }
  a.dispose();
  again.dispose();
});

test("a run config takes init 'pytorch'", () => {
  const run = resolveRun({ network: { widths: [8], init: 'pytorch' } });
  assert.equal(networkToModelOptions(run.network, 4, 3).init, 'pytorch');
});
