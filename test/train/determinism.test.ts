import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sequential } from '../../src/nn/model.js';
import type { ModelOptions } from '../../src/nn/config.js';
import { fit } from '../../src/train/fit.js';
import { Rng } from '../../src/tensor/rng.js';
import type { Backend } from '../../src/tensor/backend.js';
import { BACKENDS, gaussianBlobs, sameBits } from '../helpers.js';

// Every random choice (initial weights, shuffling, dropout masks) comes from seeds, so the same
// seeds give bit-identical training on one backend, and other seeds give another run.

const options: ModelOptions = {
  inputs: 12, classes: 4,
  hidden: [
    { width: 16, activation: 'gelu', batchNorm: true, dropout: 0.3 },
    { width: 8, activation: 'relu', batchNorm: false, dropout: 0.2 },
  ],
};
const train = gaussianBlobs(150, 12, 4, 3, 0.5);
const val = gaussianBlobs(60, 12, 4, 4, 0.5, 3);

async function run(backend: Backend, modelSeed: number, trainSeed: number) {
  const model = Sequential.create(options, { seed: modelSeed, backend });
  const result = await fit(model, train, val, { train: { epochs: 3, batchSize: 16, learningRate: 0.05, seed: trainSeed } });
  const snapshot = model.snapshot();
  model.dispose();
  return { snapshot, history: result.history.map(({ seconds: _s, ...rest }) => rest) };
}

function sameSnapshot(a: Float32Array[], b: Float32Array[]): boolean {
  return a.length === b.length && a.every((t, i) => sameBits(t, b[i]));
}

for (const { name: backendName, backend } of BACKENDS) {
  test(`[${backendName}] the same seeds give bit-identical training; other seeds differ`, async () => {
    const a = await run(backend, 1, 7);
    // Unrelated work in between must not disturb a seeded run.
    Sequential.create(options, { seed: 99, backend }).dispose();
    const b = await run(backend, 1, 7);
    assert.ok(sameSnapshot(a.snapshot, b.snapshot), 'weights and batch-norm statistics are bit-identical');
    assert.deepEqual(a.history, b.history, 'histories are identical');
    assert.ok(a.snapshot[0].every(Number.isFinite));

    const otherTrainSeed = await run(backend, 1, 8);
    assert.ok(!sameSnapshot(a.snapshot, otherTrainSeed.snapshot), 'another shuffling/dropout seed trains differently');
    const otherModelSeed = await run(backend, 2, 7);
    assert.ok(!sameSnapshot(a.snapshot, otherModelSeed.snapshot), 'another model seed starts elsewhere');
  });

  test(`[${backendName}] initial weights and dropout masks depend only on the model seed`, () => {
    const m1 = Sequential.create(options, { seed: 5, backend });
    const m2 = Sequential.create(options, { seed: 5, backend, capacity: 100 });
    const m3 = Sequential.create(options, { seed: 6, backend });
    assert.ok(sameBits(m1.flatValues.data, m2.flatValues.data));
    assert.ok(!sameBits(m1.flatValues.data, m3.flatValues.data));
    // Same seed, same masks: the training-mode forward passes agree bit for bit.
    const rows = 10;
    const x = train.features.subarray(0, rows * options.inputs);
    const forward = (m: Sequential) => {
      const { x: xb } = m.batchBuffers(rows);
      xb.data.set(x);
      return m.forward(xb, true).data.slice();
    };
    for (let step = 0; step < 3; step++) assert.ok(sameBits(forward(m1), forward(m2)), `training forward ${step}`);
    for (const m of [m1, m2, m3]) m.dispose();
  });
}

test('the generator: a seed fixes the stream', () => {
  const a = new Rng(123), b = new Rng(123), c = new Rng(124);
  const seqA = Array.from({ length: 20 }, () => a.nextU32());
  assert.deepEqual(Array.from({ length: 20 }, () => b.nextU32()), seqA);
  assert.notDeepEqual(Array.from({ length: 20 }, () => c.nextU32()), seqA);
  const p = new Rng(1).permutation(50);
  assert.deepEqual(Array.from(p).sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
  assert.notDeepEqual(Array.from(p), Array.from({ length: 50 }, (_, i) => i));
  // int(n) covers [0, n) evenly: 6000 draws of int(6), each face within 5 sigma of 1000.
  const counts = new Array(6).fill(0);
  const r = new Rng(9);
  for (let i = 0; i < 6000; i++) counts[r.int(6)]++;
  assert.ok(counts.every((n) => Math.abs(n - 1000) < 5 * Math.sqrt(6000 * (1 / 6) * (5 / 6))), String(counts));
});
