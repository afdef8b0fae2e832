/**
 * Training speed of the study's models: seconds per epoch on 50,000 x 128 float rows, batch
 * 32, one thread, for each kernel backend and (where python3 with torch is installed)
 * PyTorch measured in the same run; inference rows per second on 10,000 rows; and the memory
 * a 60,000 x 784 training set takes while training.
 *
 *   npm run bench                 table
 *   npm run bench -- --json       machine-readable figures
 *   npm run bench -- --quick      fewer epochs, no reference backend (a smoke run)
 */
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { PRESETS, networkToModelOptions, resolveRun } from '../src/run/spec.js';
import { Sequential } from '../src/nn/model.js';
import { createBackend, type BackendName } from '../src/tensor/index.js';
import { Rng } from '../src/tensor/rng.js';
import { fit } from '../src/train/fit.js';
import type { Dataset } from '../src/data/dataset.js';

const args = new Set(process.argv.slice(2));
const json = args.has('--json');
const quick = args.has('--quick');
const ROWS = 50_000, FEATURES = 128, CLASSES = 10;
const EPOCHS = quick ? 2 : 5;

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
  secondsPerEpoch: number;
  inferenceRowsPerSecond: number;
}

async function timeMlplab(backendName: BackendName, preset: 'default' | 'final', data: Dataset, test: Dataset, epochs: number, diagnostics = true): Promise<Row> {
  const backend = createBackend(backendName);
  const spec = resolveRun(PRESETS[preset]);
  const model = Sequential.create(networkToModelOptions(spec.network, FEATURES, CLASSES), { seed: 0, backend, capacity: 32 });
  // One warm-up epoch (the WebAssembly tiers up after its first runs), then the timed ones.
  const result = await fit(model, data, null, { train: { ...spec.train, epochs: epochs + 1, earlyStopping: false, diagnostics } });
  const secondsPerEpoch = Math.min(...result.history.slice(1).map((h) => h.seconds));
  model.predict(test.features, test.rows);
  const t0 = performance.now();
  model.predict(test.features, test.rows);
  const inferenceRowsPerSecond = test.rows / ((performance.now() - t0) / 1000);
  model.dispose();
  return { system: `mlplab ${backend.name}${diagnostics ? '' : ', no diagnostics'}`, model: preset, secondsPerEpoch, inferenceRowsPerSecond };
}

function timePytorch(epochs: number): Row[] {
  // The first Python on PATH may not be the one with torch (Debian's python3-torch lives in /usr/bin).
  for (const python of ['python3', '/usr/bin/python3']) {
    const rows = timePytorchWith(python, epochs);
    if (rows.length > 0) return rows;
  }
  return [];
}

function timePytorchWith(python: string, epochs: number): Row[] {
  try {
    const out = execFileSync(python, [new URL('../../bench/pytorch_epoch.py', import.meta.url).pathname, String(ROWS), String(FEATURES), String(CLASSES), String(epochs)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      env: { ...process.env, OMP_NUM_THREADS: '1' },
    });
    const parsed = JSON.parse(out) as { torch: string; results: Omit<Row, 'system'>[] };
    return parsed.results.map((r) => ({ ...r, system: `PyTorch ${parsed.torch} (1 thread)` }));
  } catch {
    return [];
  }
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

const data = synthetic(ROWS, FEATURES, 1);
const test = synthetic(10_000, FEATURES, 2);
// Shared machines change speed from one second to the next: mlplab and PyTorch are measured in
// alternating rounds and each keeps its best round, so both are compared at their best.
const ROUNDS = quick ? 1 : 3;
const best = new Map<string, Row>();
const keep = (r: Row) => {
  const key = `${r.system}|${r.model}`;
  const old = best.get(key);
  best.set(key, old ? { ...r, secondsPerEpoch: Math.min(old.secondsPerEpoch, r.secondsPerEpoch), inferenceRowsPerSecond: Math.max(old.inferenceRowsPerSecond, r.inferenceRowsPerSecond) } : r);
};
for (let round = 0; round < ROUNDS; round++) {
  for (const preset of ['default', 'final'] as const) {
    keep(await timeMlplab('wasm', preset, data, test, EPOCHS));
    keep(await timeMlplab('wasm', preset, data, test, EPOCHS, false));
  }
  timePytorch(EPOCHS).forEach(keep);
}
if (!quick) keep(await timeMlplab('reference', 'default', data, test, 1));
const rows = [...best.values()].sort((a, b) => rank(a) - rank(b));
function rank(r: Row): number {
  return (r.system.startsWith('PyTorch') ? 3 : r.system.includes('reference') ? 2 : r.system.includes('no diagnostics') ? 1 : 0) * 10 + (r.model === 'final' ? 1 : 0);
}
const memory = quick ? null : await memoryOf784();
const torchDefault = rows.find((r) => r.system.startsWith('PyTorch') && r.model === 'default');
const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version, date: new Date().toISOString().slice(0, 10) };

if (json) {
  process.stdout.write(JSON.stringify({ machine, rows: ROWS, features: FEATURES, batchSize: 32, rounds: ROUNDS, results: rows, memory }, null, 2) + '\n');
} else {
  const lines = [
    `mlplab training benchmark, ${machine.date}, ${machine.cpu} (${machine.cores} cores), Node ${machine.node}`,
    `one epoch = ${ROWS.toLocaleString('en')} rows x ${FEATURES} features, batch 32, one thread; best of ${EPOCHS} epochs after a warm-up, best of ${ROUNDS} alternating round${ROUNDS > 1 ? 's' : ''}`,
    '',
    '| system | model | s / epoch | vs PyTorch | inference rows/s (10,000 rows) |',
    '|---|---|---:|---:|---:|',
  ];
  for (const r of rows) {
    const ref = rows.find((x) => x.system.startsWith('PyTorch') && x.model === r.model) ?? torchDefault;
    const speed = ref ? ref.secondsPerEpoch / r.secondsPerEpoch : NaN;
    const ratio = ref && !r.system.startsWith('PyTorch') ? (speed >= 1 ? `${speed.toFixed(1)}x faster` : `${(1 / speed).toFixed(1)}x slower`) : '';
    lines.push(`| ${r.system} | ${r.model} | ${r.secondsPerEpoch.toFixed(3)} | ${ratio} | ${Math.round(r.inferenceRowsPerSecond).toLocaleString('en')} |`);
  }
  for (const preset of ['default', 'final']) {
    const on = rows.find((r) => r.model === preset && r.system === 'mlplab wasm');
    const off = rows.find((r) => r.model === preset && r.system === 'mlplab wasm, no diagnostics');
    if (on && off) lines.push(`layer diagnostics cost on the ${preset} model: ${((on.secondsPerEpoch / off.secondsPerEpoch - 1) * 100).toFixed(1)}% of the epoch time`);
  }
  if (!rows.some((r) => r.system.startsWith('PyTorch'))) lines.push('', 'PyTorch not measured: python3 with torch is not installed (apt-get install python3-torch).');
  if (memory) {
    lines.push('', `memory: a 60,000 x 784 training set (${memory.dataMB.toFixed(0)} MB of data) trained one epoch at a peak RSS of ${memory.peakRssMB.toFixed(0)} MB (process at ${memory.baselineRssMB.toFixed(0)} MB before the data).`);
  }
  process.stdout.write(lines.join('\n') + '\n');
}
