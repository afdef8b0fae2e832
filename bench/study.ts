/**
 * Study throughput with 1 and 2 worker threads: a small one-at-a-time study (16 search
 * trials, plus the interaction check when a factor passes) run in fresh folders, timed from
 * start to Table 1 (data preparation excluded), with the speed-up and a check that both runs
 * produced identical trial results.
 *
 *   node dist/bench/study.js [--workers 1,2] [--rows 20000] [--epochs 8] [--backend auto]
 *
 * Absolute seconds drift on shared machines; the load average is printed beside them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { BackendName } from '../src/tensor/index.js';
import { Rng } from '../src/tensor/rng.js';
import type { Dataset } from '../src/data/dataset.js';
import { resolveStudy } from '../src/tune/config.js';
import { prepare } from '../src/data/prepare.js';
import { runStudy } from '../src/tune/study.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

/** Ten overlapping Gaussian classes in 128 dimensions: the study's data shape. */
function synthetic(rows: number, seed: number, cols = 128, classes = 10): Dataset {
  const rng = new Rng(seed);
  const centres = new Rng(12345);
  const mu = Array.from({ length: classes }, () => Array.from({ length: cols }, () => centres.normal() * 0.35));
  const features = new Float32Array(rows * cols);
  const labels = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const c = r % classes;
    labels[r] = c;
    for (let j = 0; j < cols; j++) features[r * cols + j] = mu[c][j] + rng.normal();
  }
  return { features, labels, rows, cols };
}

const rows = Number(arg('rows', '20000'));
const epochs = Number(arg('epochs', '8'));
const backend = arg('backend', 'auto') as BackendName;
const workerCounts = arg('workers', '1,2').split(',').map(Number);

const data = prepare({ train: synthetic(rows, 1), val: synthetic(2000, 2), test: null }, { scale: 'none' });
const study = resolveStudy({
  name: 'bench-study',
  data: { source: 'synthetic' },
  base: 'default',
  factors: [
    { path: 'network.dropout', values: [0, 0.2, 0.3, 0.5, 0.6] },
    { path: 'train.momentum', values: [0.85, 0.9, 0.95, 0.99] },
  ],
  seeds: 2,
  epochs,
  earlyStopping: false,
  combine: { neighbours: 'changed' },
  final: { enabled: false },
});

console.log(`study: ${study.factors.length} factors, one-at-a-time, ${study.seeds} seeds, ${epochs} epochs on ${rows} rows x 128 features (default model)`);
console.log(`cores: ${availableParallelism()}, load average before: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
const results: { workers: number; seconds: number; trials: number; rows: string }[] = [];
for (const workers of workerCounts) {
  const dir = mkdtempSync(join(tmpdir(), 'mlplab-bench-study-'));
  try {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const out = await runStudy(study, { dir, data, workers, backend, htmlReport: false });
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const db = new Database(join(dir, 'study.db'), { readonly: true });
    const stored = db.prepare('SELECT key, result_json FROM trials ORDER BY key').all() as { key: string; result_json: string }[];
    db.close();
    const canon = JSON.stringify(stored.map((s) => {
      const r = JSON.parse(s.result_json);
      return [s.key, r.metric, r.valLoss, r.epochs];
    }));
    results.push({ workers, seconds, trials: out.executed, rows: canon });
    // CPU seconds over wall seconds: how many cores the process kept busy (all threads).
    console.log(
      `workers ${workers}: ${out.executed} trials in ${seconds.toFixed(2)} s (${(out.executed / seconds).toFixed(2)} trials/s); ` +
        `CPU ${cpuSeconds.toFixed(1)} s = ${(cpuSeconds / seconds).toFixed(2)} cores busy; load average ${loadavg()[0].toFixed(2)}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const one = results.find((r) => r.workers === 1);
for (const r of results) {
  if (one && r !== one) {
    console.log(`speed-up ${r.workers} vs 1 worker: ${(one.seconds / r.seconds).toFixed(2)}x; identical trial results: ${r.rows === one.rows ? 'yes' : 'NO'}`);
  }
}
