// Training on several threads: bit-identical to one thread for every thread count on one
// kernel build (plain SIMD, and relaxed SIMD where this engine runs it), on shapes that split
// unevenly, with batch norm, dropout and every optimizer. The plain single-thread path trains
// exactly as it did before threads existed.
import '../relaxed-simd-flag.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Sequential } from '../../src/nn/model.js';
import type { HiddenLayerOptions } from '../../src/nn/config.js';
import { fit } from '../../src/train/fit.js';
import type { TrainOptions } from '../../src/train/options.js';
import { Rng } from '../../src/tensor/rng.js';
import type { WasmBackend } from '../../src/tensor/wasm/backend.js';
import { loadWasmBackend } from '../../src/tensor/wasm/load.js';
import { relaxedSimdSupported, type SimdBuild } from '../../src/tensor/wasm/module.js';
import { adam, adamw, sgd } from '../../src/optim/optimizers.js';
import type { Dataset } from '../../src/data/dataset.js';
import { sameBits } from '../helpers.js';

function data(rows: number, cols: number, classes: number, seed: number): Dataset {
  const r = new Rng(seed);
  const features = new Float32Array(rows * cols);
  for (let i = 0; i < features.length; i++) features[i] = r.normal();
  const labels = new Int32Array(rows);
  for (let i = 0; i < rows; i++) labels[i] = (r.int(classes) + (features[i * cols] > 0 ? 1 : 0)) % classes;
  return { features, labels, rows, cols };
}

interface Case {
  name: string;
  inputs: number;
  classes: number;
  hidden: HiddenLayerOptions[];
  train: TrainOptions;
}

// Odd widths and batch sizes: no split of rows, columns or elements comes out even.
const CASES: Case[] = [
  {
    name: 'odd-gelu-bn-sgd', inputs: 37, classes: 7,
    hidden: [{ width: 53, activation: 'gelu', batchNorm: true, dropout: 0.3 }, { width: 19, activation: 'relu', batchNorm: true, dropout: 0.2 }],
    train: { optimizer: 'sgd', batchSize: 29, learningRate: 0.05, momentum: 0.9 },
  },
  {
    name: 'odd-tanh-adam', inputs: 41, classes: 5,
    hidden: [{ width: 67, activation: 'tanh', batchNorm: false, dropout: 0.1 }, { width: 33, activation: 'sigmoid', batchNorm: true, dropout: 0 }],
    train: { optimizer: 'adam', batchSize: 33, learningRate: 0.003 },
  },
  {
    name: 'odd-leaky-adamw', inputs: 130, classes: 11,
    hidden: [{ width: 141, activation: 'leaky_relu', batchNorm: true, dropout: 0.4 }, { width: 70, activation: 'gelu_tanh', batchNorm: true, dropout: 0.3 }],
    train: { optimizer: 'adamw', batchSize: 70, learningRate: 0.002 },
  },
  {
    name: 'nesterov-nodecay', inputs: 64, classes: 3,
    hidden: [{ width: 96, activation: 'relu', batchNorm: true, dropout: 0.5 }],
    train: { optimizer: 'sgd', nesterov: true, weightDecay: 0, batchSize: 40, learningRate: 0.02 },
  },
  {
    name: 'big', inputs: 300, classes: 10,
    hidden: [{ width: 270, activation: 'relu', batchNorm: true, dropout: 0.3 }, { width: 130, activation: 'relu', batchNorm: true, dropout: 0.3 }],
    train: { optimizer: 'adamw', batchSize: 128, learningRate: 0.001 },
  },
];

/** Train one case for 3 epochs: the history (without timings) and a hash of every weight, batch-norm statistic and predicted probability. */
async function train(backend: WasmBackend, c: Case): Promise<{ history: unknown; hash: string }> {
  const tr = data(700, c.inputs, c.classes, 11), va = data(150, c.inputs, c.classes, 12);
  const model = Sequential.create({ inputs: c.inputs, classes: c.classes, hidden: c.hidden }, { seed: 3, backend });
  try {
    const r = await fit(model, tr, va, { train: { ...c.train, epochs: 3, seed: 5, earlyStopping: false } });
    const h = createHash('sha256');
    for (const t of model.snapshot()) h.update(Buffer.from(t.buffer, t.byteOffset, t.byteLength));
    const p = model.predictProba(va.features, va.rows);
    h.update(Buffer.from(p.buffer, p.byteOffset, p.byteLength));
    return { history: r.history.map(({ seconds: _s, ...rest }) => rest), hash: h.digest('hex') };
  } finally {
    model.dispose();
  }
}

// The plain build on one thread, recorded before the kernels learned to share work: the same
// numbers, bit for bit (weights, statistics and predictions of every case above).
const BEFORE_THREADS: Record<string, string> = {
  'odd-gelu-bn-sgd': 'c63ea3438be0ca2a1d1f9aef1ee98966c64a02d99c3477c8249e790822a18601',
  'odd-tanh-adam': 'ab54416ad275bc68583cce763a952114c6602663fd04e0a67604d8d846cca1e5',
  'odd-leaky-adamw': 'd497da40934f030aca59e08f001fa765eea62d85be0c470d6c7ef32114a4ead2',
  'nesterov-nodecay': '98acd9efbe9e03b0880c613a43ba68c40c36a48f7e5bd6fbbd97f66f8aa58370',
  big: '93f887b759d80812bdd42e7496ae8189ec5fc3bb84b27706c861f4bec00e4c4b',
};

const BUILDS: SimdBuild[] = relaxedSimdSupported() ? ['plain', 'relaxed'] : ['plain'];

test('the plain single-thread build trains exactly as before threads', async () => {
  const backend = await loadWasmBackend({ simd: 'plain', threads: 1 });
  for (const c of CASES) assert.equal((await train(backend, c)).hash, BEFORE_THREADS[c.name], c.name);
});

for (const build of BUILDS) {
  test(`[${build}] 1, 2 and 3 threads train bit-identically, every kernel shared however small`, { timeout: 120_000 }, async () => {
    // grainNs 0: every kernel that can be split is, so each split path runs on these small shapes.
    const backends = [await loadWasmBackend({ simd: build, threads: 1 })];
    for (const threads of [2, 3]) backends.push(await loadWasmBackend({ simd: build, threads, pool: { grainNs: 0 } }));
    try {
      assert.deepEqual(backends.map((b) => b.threads), [1, 2, 3]);
      for (const b of backends) assert.equal(b.build, build);
      for (const c of CASES) {
        const [one, ...more] = await Promise.all(backends.map((b) => train(b, c)));
        for (const [i, other] of more.entries()) {
          assert.deepEqual(other.history, one.history, `${c.name}: history on ${i + 2} threads`);
          assert.equal(other.hash, one.hash, `${c.name}: weights, statistics and predictions on ${i + 2} threads`);
        }
      }
      // The pools did share the work: every thread count above one ran jobs.
      for (const b of backends.slice(1)) assert.ok(b.threadPool!.jobs > 1000, `${b.threads} threads ran ${b.threadPool!.jobs} jobs`);
    } finally {
      for (const b of backends) b.dispose();
    }
  });
}

test('optimizer steps over flat parameters agree bit for bit on 1 and 3 threads (fused and unfused SGD, Adam, AdamW)', async () => {
  const one = await loadWasmBackend({ simd: 'plain', threads: 1 });
  const three = await loadWasmBackend({ simd: 'plain', threads: 3, pool: { grainNs: 0 } });
  try {
    const run = (be: WasmBackend, kind: string) => {
      const n = 1013, decayed = 611;
      const values = be.alloc(1, n), grads = be.alloc(1, n);
      const rng = new Rng(9);
      for (let i = 0; i < n; i++) values.data[i] = rng.normal();
      const target = { backend: be, values, grads, decayedValues: values.slice(0, decayed), decayedGrads: grads.slice(0, decayed) };
      const opt =
        kind === 'adam' ? adam(target, { learningRate: 0.01, weightDecay: 0.01 })
          : kind === 'adamw' ? adamw(target, { learningRate: 0.01, weightDecay: 0.05 })
            : sgd(target, { learningRate: 0.05, momentum: 0.8, weightDecay: 0.01, nesterov: kind === 'nesterov', fuse: kind !== 'unfused' });
      for (let step = 0; step < 5; step++) {
        for (let i = 0; i < n; i++) grads.data[i] = rng.normal();
        opt.step(0);
      }
      const out = values.data.slice();
      opt.dispose();
      be.free(values);
      be.free(grads);
      return out;
    };
    for (const kind of ['fused', 'unfused', 'nesterov', 'adam', 'adamw']) assert.ok(sameBits(run(one, kind), run(three, kind)), kind);
  } finally {
    three.dispose();
  }
});

test('kernels too small to be worth a thread stay on the calling thread; large ones are shared', async () => {
  const backend = await loadWasmBackend({ simd: 'plain', threads: 2 });
  try {
    const pool = backend.threadPool!;
    // The study's final model at batch 32: every kernel is below the grain. The only jobs are
    // those a worker runs while this thread goes on: the gathers of the 10 batches (each
    // while the one before trains) and the second layer's weight gradient of each step (the
    // first layer's comes last, the output layer's is too small).
    const small = Sequential.create({ inputs: 128, classes: 10, hidden: [{ width: 128, activation: 'relu', dropout: 0.2 }, { width: 64, activation: 'relu', dropout: 0.2 }] }, { seed: 1, backend });
    const before = pool.jobs;
    await fit(small, data(320, 128, 10, 1), null, { train: { epochs: 1, batchSize: 32, earlyStopping: false } });
    assert.equal(pool.jobs - before, 20, 'the batch gathers and one weight gradient per step, and no shared kernel');
    small.dispose();
    // A 784-512-256 model at batch 128: its products are shared.
    const large = Sequential.create({ inputs: 784, classes: 10, hidden: [{ width: 512, activation: 'relu', dropout: 0.3 }, { width: 256, activation: 'relu', dropout: 0.3 }] }, { seed: 1, backend });
    await fit(large, data(256, 784, 10, 2), null, { train: { epochs: 1, batchSize: 128, optimizer: 'adamw', earlyStopping: false } });
    assert.ok(pool.jobs - before >= 2 * 5, `the two steps shared ${pool.jobs - before} jobs`);
    large.dispose();
  } finally {
    backend.dispose();
  }
});
