/**
 * What it costs the threads of one run to share memory on this machine: the hand-off of an
 * empty job, and one SGD step of the study's final model (its parameters, gradients and
 * momentum) on the calling thread, alone and right after a worker thread has written the
 * gradients or read the weights. A training step split between threads does both all the time:
 * each thread reads what the other wrote (the layer below's activations, the weights), and
 * writes it again one step later.
 *
 *   node dist/bench/sharing.js
 */
import './relaxed-simd.js';
import { cpus } from 'node:os';
import { PRESETS, networkToModelOptions, resolveRun } from '../src/run/spec.js';
import { Sequential } from '../src/nn/model.js';
import { OPS } from '../src/tensor/wasm/control.js';
import { loadWasmBackend } from '../src/tensor/wasm/load.js';
import { coreCount } from '../src/tensor/index.js';

if (coreCount() < 2) {
  console.log('one core: nothing is shared');
  process.exit(0);
}
const be = await loadWasmBackend({ threads: 2 });
const pool = be.threadPool!;
const spec = resolveRun(PRESETS.final);
const model = Sequential.create(networkToModelOptions(spec.network, 128, 10), { backend: be });
const n = model.parameterCount;
const w = model.flatValues, g = model.flatGrads, trace = be.alloc(1, n), elsewhere = be.alloc(1, n);
const lines = Math.ceil((n * 4) / 64);

type Mode = 'alone' | 'after the worker wrote the gradients' | 'after the worker read the weights';
const modes: Mode[] = ['alone', 'after the worker wrote the gradients', 'after the worker read the weights'];
const before: Record<Mode, () => void> = {
  alone: () => {},
  'after the worker wrote the gradients': () => {
    pool.i(0, g.ptr).f(1, 1e-4).splitWorkers(n, 16).start(OPS.FILL, 1e6);
    pool.settle();
  },
  'after the worker read the weights': () => {
    pool.i(0, w.ptr).i(1, w.ptr).i(2, elsewhere.ptr).splitWorkers(n, 16).start(OPS.MULTIPLY, 1e6);
    pool.settle();
  },
};
const sgd: Record<Mode, number[]> = { alone: [], 'after the worker wrote the gradients': [], 'after the worker read the weights': [] };
const handOff: number[] = [];
const tiny = be.alloc(1, 32);
const REPS = 500;
for (let round = 0; round < 15; round++) {
  // Modes alternate within each round, so a change of machine speed touches them all alike.
  for (const mode of modes) {
    let total = 0;
    for (let i = 0; i < REPS; i++) {
      before[mode]();
      const t0 = performance.now();
      be.sgdStep(w, g, trace, model.decayedLength, 1e-4, 1e-3, 0.85, false);
      total += performance.now() - t0;
    }
    sgd[mode].push((total / REPS) * 1000);
  }
  const t0 = performance.now();
  for (let i = 0; i < REPS; i++) pool.i(0, tiny.ptr).f(1, 0).split(32, 2, 16).run(OPS.FILL);
  handOff.push(((performance.now() - t0) / REPS) * 1000);
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
const alone = median(sgd.alone);
console.log(`sharing memory between two threads, ${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model ?? 'unknown'} (${coreCount()} cores), Node ${process.version}; medians of 15 rounds`);
console.log(`hand-off of an empty job to both threads and back: ${median(handOff).toFixed(2)} us`);
console.log(`one SGD step with momentum over the final model's ${n.toLocaleString('en')} parameters (${lines.toLocaleString('en')} cache lines of weights):`);
for (const mode of modes) {
  const t = median(sgd[mode]);
  const extra = mode === 'alone' ? '' : ` (${(((t - alone) * 1000) / lines).toFixed(1)} ns more per line of weights)`;
  console.log(`  ${mode}: ${t.toFixed(1)} us${extra}`);
}
model.dispose();
be.dispose();
