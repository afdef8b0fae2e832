/**
 * Training speed, side by side with PyTorch measured in the same run (where python3 with torch
 * is installed), in alternating rounds, each system keeping its best round:
 *
 * - the study's default and final models: one epoch of 50,000 x 128 float rows, batch 32, SGD
 *   with momentum; mlplab on one thread and with the thread count it picks itself ('auto');
 * - a larger model: 784-512-256-10 with batch norm, ReLU, dropout 0.3 and AdamW at batch 128,
 *   on the 54,000 training rows of raw Fashion-MNIST (784 standardised pixels, no PCA);
 *   mlplab and PyTorch on one thread and on every core;
 * - inference: rows per second on 10,000 rows, one thread and all threads;
 * - the memory a 60,000 x 784 training set takes while training.
 *
 * mlplab runs its relaxed-SIMD build where the engine has it (this script turns it on in Node
 * 20, as bin/mlplab does), and the plain SIMD build on one thread as the reference point.
 *
 *   npm run bench                 table
 *   npm run bench -- --json       machine-readable figures
 *   npm run bench -- --quick      one round, fewer epochs and rows, no reference backend
 */
import './relaxed-simd.js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PRESETS, networkToModelOptions, resolveRun } from '../src/run/spec.js';
import { Sequential } from '../src/nn/model.js';
import type { ModelOptions } from '../src/nn/config.js';
import { coreCount, createBackend, describeBackend, disposeBackend, type Backend } from '../src/tensor/index.js';
import { loadWasmBackend } from '../src/tensor/wasm/load.js';
import { Rng } from '../src/tensor/rng.js';
import { fit } from '../src/train/fit.js';
import type { TrainOptions } from '../src/train/options.js';
import type { Dataset } from '../src/data/dataset.js';
import { loadSource } from '../src/data/files.js';
import { prepare } from '../src/data/prepare.js';
import { writeNpy } from '../src/data/formats/npy.js';

const args = new Set(process.argv.slice(2));
const json = args.has('--json');
const quick = args.has('--quick');
const ROWS = 50_000, FEATURES = 128, CLASSES = 10;
const STUDY_EPOCHS = quick ? 2 : 5;
const LARGE_EPOCHS = quick ? 1 : 2;
const LARGE_ROWS = quick ? 12_800 : 54_000;
const ROUNDS = quick ? 1 : 3;
const CORES = coreCount();

function synthetic(rows: number, cols: number, seed: number): Dataset {
  const rng = new Rng(seed);
  const features = new Float32Array(rows * cols);
  for (let i = 0; i < features.length; i++) features[i] = rng.normal();
  const labels = new Int32Array(rows);
  for (let i = 0; i < rows; i++) labels[i] = rng.int(CLASSES);
  return { features, labels, rows, cols };
}

interface Row {
  system: string;
  model: string;
  /** Threads the system ran on. */
  threads: number;
  secondsPerEpoch: number;
  inferenceRowsPerSecond: number;
}

interface Job {
  model: 'default' | 'final' | 'large';
  options: ModelOptions;
  train: TrainOptions;
  data: Dataset;
  test: Dataset;
  epochs: number;
}

async function timeMlplab(system: string, backend: Backend, job: Job, diagnostics = true): Promise<Row> {
  const model = Sequential.create(job.options, { seed: 0, backend, capacity: job.train.batchSize });
  try {
    // One warm-up epoch (the WebAssembly tiers up after its first runs), then the timed ones.
    const result = await fit(model, job.data, null, { train: { ...job.train, epochs: job.epochs + 1, earlyStopping: false, diagnostics } });
    const secondsPerEpoch = Math.min(...result.history.slice(1).map((h) => h.seconds));
    model.predict(job.test.features, job.test.rows);
    const t0 = performance.now();
    model.predict(job.test.features, job.test.rows);
    const inferenceRowsPerSecond = job.test.rows / ((performance.now() - t0) / 1000);
    const threads = 'threads' in backend ? (backend as { threads: number }).threads : 1;
    return { system, model: job.model, threads, secondsPerEpoch, inferenceRowsPerSecond };
  } finally {
    model.dispose();
  }
}

/** PyTorch on `threads` threads: the study's models, or the large model on the rows in `files`. */
function timePytorch(threads: number, epochs: number, job: string[]): Row[] {
  // The first Python on PATH may not be the one with torch (Debian's python3-torch lives in /usr/bin).
  for (const python of ['python3', '/usr/bin/python3']) {
    try {
      const out = execFileSync(python, [new URL('../../bench/pytorch_epoch.py', import.meta.url).pathname, String(threads), String(epochs), ...job], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
        env: { ...process.env, OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) },
      });
      const parsed = JSON.parse(out) as { torch: string; threads: number; results: Omit<Row, 'system' | 'threads'>[] };
      return parsed.results.map((r) => ({ ...r, threads: parsed.threads, system: `PyTorch ${parsed.torch}, ${parsed.threads} thread${parsed.threads === 1 ? '' : 's'}` }));
    } catch {
      // Not this Python.
    }
  }
  return [];
}

async function memoryOf784(): Promise<{ dataMB: number; peakRssMB: number; baselineRssMB: number }> {
  const before = process.memoryUsage().rss;
  const data = synthetic(60_000, 784, 3);
  const model = Sequential.create({ inputs: 784, classes: CLASSES, hidden: [{ width: 128, activation: 'relu', dropout: 0.2 }, { width: 64, activation: 'relu', dropout: 0.2 }] }, { seed: 0 });
  let peak = process.memoryUsage().rss;
  await fit(model, data, null, {
    train: { epochs: 1, earlyStopping: false },
    onBatch: (_e, b) => {
      if (b % 200 === 0) peak = Math.max(peak, process.memoryUsage().rss);
    },
  });
  model.dispose();
  return { dataMB: (data.features.byteLength + data.labels.byteLength) / 2 ** 20, peakRssMB: peak / 2 ** 20, baselineRssMB: before / 2 ** 20 };
}

// ---- the jobs ----------------------------------------------------------------------------

const studyData = synthetic(ROWS, FEATURES, 1);
const studyTest = synthetic(10_000, FEATURES, 2);
const studyJob = (preset: 'default' | 'final'): Job => {
  const spec = resolveRun(PRESETS[preset]);
  return { model: preset, options: networkToModelOptions(spec.network, FEATURES, CLASSES), train: spec.train, data: studyData, test: studyTest, epochs: STUDY_EPOCHS };
};

// Raw Fashion-MNIST: 784 standardised pixels, 10% of the training rows held out (54,000 left).
const fashion = prepare(await loadSource('fashion-mnist'), { pca: null, scale: 'standard', valFraction: 0.1, seed: 0 });
const largeTrain: Dataset = { ...fashion.train, rows: LARGE_ROWS, features: fashion.train.features.subarray(0, LARGE_ROWS * 784), labels: fashion.train.labels.subarray(0, LARGE_ROWS) };
const largeTest = fashion.test!;
const large: Job = {
  model: 'large',
  options: {
    inputs: 784, classes: 10,
    hidden: [{ width: 512, activation: 'relu', batchNorm: true, dropout: 0.3 }, { width: 256, activation: 'relu', batchNorm: true, dropout: 0.3 }],
  },
  train: { optimizer: 'adamw', learningRate: 0.001, weightDecay: 0.01, batchSize: 128 },
  data: largeTrain,
  test: largeTest,
  epochs: LARGE_EPOCHS,
};
// The same rows for PyTorch, as .npy files.
const tmp = mkdtempSync(join(tmpdir(), 'mlplab-bench-'));
const npy = (name: string, data: Float32Array | Int32Array, shape: number[]) => {
  const path = join(tmp, name);
  writeFileSync(path, writeNpy(data, shape));
  return path;
};
const largeFiles = [npy('x.npy', largeTrain.features, [LARGE_ROWS, 784]), npy('y.npy', largeTrain.labels, [LARGE_ROWS]), npy('xt.npy', largeTest.features, [largeTest.rows, 784])];

// ---- the systems -------------------------------------------------------------------------

const memoryBytes = largeTrain.features.byteLength + (256 << 20);
const one = await loadWasmBackend({ threads: 1 });
const all = await loadWasmBackend({ threads: 'auto', memoryBytes });
const plainOne = await loadWasmBackend({ threads: 1, simd: 'plain' });
// Names taken now: a backend describes itself as one thread once its threads are stopped.
const names = new Map<Backend, string>([one, all, plainOne].map((b) => [b, describeBackend(b)]));
const name = (b: Backend, label?: string) => `mlplab ${names.get(b) ?? describeBackend(b)}${label ? ` (${label})` : ''}`;

const best = new Map<string, Row>();
const keep = (r: Row) => {
  const key = `${r.system}|${r.model}`;
  const old = best.get(key);
  best.set(key, old ? { ...r, secondsPerEpoch: Math.min(old.secondsPerEpoch, r.secondsPerEpoch), inferenceRowsPerSecond: Math.max(old.inferenceRowsPerSecond, r.inferenceRowsPerSecond) } : r);
};
const torchThreads = [...new Set([1, Math.min(2, CORES), CORES])];
const started = performance.now();
for (let round = 0; round < ROUNDS; round++) {
  // Shared machines change speed from one second to the next: every system is measured in
  // each round, and keeps its best.
  for (const preset of ['default', 'final'] as const) {
    const job = studyJob(preset);
    keep(await timeMlplab(name(one), one, job));
    keep(await timeMlplab(name(all, 'auto'), all, job));
    keep(await timeMlplab(name(one, 'no diagnostics'), one, job, false));
    if (plainOne.build !== one.build) keep(await timeMlplab(name(plainOne), plainOne, job));
  }
  for (const t of torchThreads) timePytorch(t, STUDY_EPOCHS, ['study', String(ROWS), String(FEATURES), String(CLASSES)]).forEach(keep);
  keep(await timeMlplab(name(one), one, large));
  keep(await timeMlplab(name(all), all, large));
  for (const t of torchThreads) timePytorch(t, LARGE_EPOCHS, ['large', ...largeFiles]).forEach(keep);
}
if (!quick) keep(await timeMlplab('mlplab reference TypeScript, 1 thread', createBackend('reference'), { ...studyJob('default'), epochs: 1 }));
const benchSeconds = (performance.now() - started) / 1000;
rmSync(tmp, { recursive: true, force: true });
const memory = quick ? null : await memoryOf784();
for (const b of [one, all, plainOne]) disposeBackend(b);

// ---- the report --------------------------------------------------------------------------

const rows = [...best.values()];
const order = (r: Row) => ['default', 'final', 'large'].indexOf(r.model) * 100 + (r.system.startsWith('PyTorch') ? 50 + r.threads : r.system.includes('reference') ? 40 : r.system.includes('no diagnostics') ? 30 : r.system.includes(' SIMD,') ? 20 : r.threads);
rows.sort((a, b) => order(a) - order(b));
const torchOf = (model: string, threads?: number) => rows.filter((r) => r.system.startsWith('PyTorch') && r.model === model && (threads === undefined || r.threads === threads));
const fastestTorch = (model: string) => torchOf(model).sort((a, b) => a.secondsPerEpoch - b.secondsPerEpoch)[0];
const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: CORES, node: process.version, date: new Date().toISOString().slice(0, 10), loadAverage: loadavg()[0] };
const ratio = (x: number) => (x >= 1 ? `${x.toFixed(1)}x faster` : `${(1 / x).toFixed(1)}x slower`);

const summary: string[] = [];
for (const model of ['default', 'final']) {
  const auto = rows.find((r) => r.model === model && r.system.includes('(auto)'));
  const t1 = torchOf(model, 1)[0];
  if (auto && t1) summary.push(`study ${model} model, batch 32: mlplab with the threads it picks ${ratio(t1.secondsPerEpoch / auto.secondsPerEpoch)} than PyTorch on one thread (target: 8x)`);
}
const l1 = rows.find((r) => r.model === 'large' && r.system === name(one));
const lAll = CORES > 1 ? rows.find((r) => r.model === 'large' && r.system === name(all)) : undefined;
const lTorch = fastestTorch('large');
if (l1 && lAll) summary.push(`784-512-256-10, batch 128: mlplab on ${CORES} threads is ${(l1.secondsPerEpoch / lAll.secondsPerEpoch).toFixed(2)}x its speed on one thread (target: 1.7x)`);
if (lAll && lTorch) summary.push(`784-512-256-10, batch 128: mlplab on ${CORES} threads ${ratio(lTorch.secondsPerEpoch / lAll.secondsPerEpoch)} than PyTorch at its fastest (${lTorch.threads} thread${lTorch.threads === 1 ? '' : 's'}) (target: at least as fast, aim 1.5x)`);
for (const model of ['default', 'final']) {
  const on = rows.find((r) => r.model === model && r.system === name(one));
  const off = rows.find((r) => r.model === model && r.system === name(one, 'no diagnostics'));
  if (on && off) summary.push(`layer diagnostics cost on the ${model} model: ${((on.secondsPerEpoch / off.secondsPerEpoch - 1) * 100).toFixed(1)}% of the epoch time`);
}

if (json) {
  process.stdout.write(JSON.stringify({ machine, rounds: ROUNDS, studyRows: ROWS, largeRows: LARGE_ROWS, results: rows, summary, memory, benchSeconds }, null, 2) + '\n');
} else {
  const lines = [
    `mlplab training benchmark, ${machine.date}, ${machine.cpu} (${machine.cores} cores), Node ${machine.node}, load average ${machine.loadAverage.toFixed(2)} at the end`,
    `study models: one epoch of ${ROWS.toLocaleString('en')} x ${FEATURES} rows, batch 32, best of ${STUDY_EPOCHS} epochs after a warm-up; large: one epoch of ${LARGE_ROWS.toLocaleString('en')} x 784 Fashion-MNIST rows, batch 128, best of ${LARGE_EPOCHS}; best of ${ROUNDS} alternating round${ROUNDS > 1 ? 's' : ''}`,
    '',
    '| system | model | s / epoch | vs PyTorch, 1 thread | vs PyTorch, fastest | inference rows/s (10,000 rows) |',
    '|---|---|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const mine = !r.system.startsWith('PyTorch');
    const t1 = torchOf(r.model, 1)[0], tf = fastestTorch(r.model);
    const v1 = mine && t1 ? ratio(t1.secondsPerEpoch / r.secondsPerEpoch) : '';
    const vf = mine && tf ? ratio(tf.secondsPerEpoch / r.secondsPerEpoch) : '';
    lines.push(`| ${r.system} | ${r.model} | ${r.secondsPerEpoch.toFixed(3)} | ${v1} | ${vf} | ${Math.round(r.inferenceRowsPerSecond).toLocaleString('en')} |`);
  }
  lines.push('', ...summary);
  if (!rows.some((r) => r.system.startsWith('PyTorch'))) lines.push('', 'PyTorch not measured: python3 with torch is not installed (apt-get install python3-torch).');
  if (memory) {
    lines.push('', `memory: a 60,000 x 784 training set (${memory.dataMB.toFixed(0)} MB of data) trained one epoch at a peak RSS of ${memory.peakRssMB.toFixed(0)} MB (process at ${memory.baselineRssMB.toFixed(0)} MB before the data).`);
  }
  lines.push(`(benchmark took ${benchSeconds.toFixed(0)} s)`);
  process.stdout.write(lines.join('\n') + '\n');
}
