/**
 * Study throughput: a small one-at-a-time study (16 search trials, plus the interaction check
 * when a factor passes) run in fresh stores, timed from start to Table 1 (data preparation
 * excluded), with a check that every run produced identical trial results.
 *
 * - SQLite, one process, with 1 and 2 worker threads (the embedded default);
 * - PostgreSQL, one process with 1 worker, and 4 workers in 2 processes (this one with 2
 *   threads, plus an `mlplab worker --workers 2` process joining it): trials per minute;
 * - the database's own cost per trial: claim, heartbeats, finish with its epochs, the reaping
 *   and advancing polls, as measured inside the study runs, and as a bare round trip (a
 *   trial claimed, renewed and finished with no training) on each backend.
 *
 *   node dist/bench/study.js [--workers 1,2] [--rows 20000] [--epochs 8] [--backend auto] [--storage URL]
 *
 * PostgreSQL: --storage, else MLPLAB_BENCH_PG or MLPLAB_TEST_PG, else a throwaway server
 * started with scripts/pg-test-server.sh (stopped at the end); each run gets a database of its
 * own. Absolute seconds drift on shared machines; the load average is printed beside them.
 */
import './relaxed-simd.js';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { Dataset } from '../src/data/dataset.js';
import { writeNpy } from '../src/data/formats/npy.js';
import type { EpochRecord } from '../src/metrics/history-types.js';
import { createBackend, type BackendName } from '../src/tensor/index.js';
import { Rng } from '../src/tensor/rng.js';
import { resolveStudy } from '../src/tune/study/config.js';
import { loadStudyData } from '../src/tune/study/data.js';
import type { StudyStorage, TrialResult } from '../src/tune/storage/types.js';
import { PostgresStorage } from '../src/tune/storage/postgres.js';
import { SqliteStorage } from '../src/tune/storage/sqlite.js';
import { runStudy } from '../src/tune/study/study.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

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

// The data as files, so that a worker process loads the very same rows.
const work = mkdtempSync(join(tmpdir(), 'mlplab-bench-study-'));
const train = synthetic(rows, 1);
const val = synthetic(2000, 2);
const dataDir = join(work, 'data');
mkdirSync(dataDir);
// One training file; the study holds 2,000 of its rows out (stratified) for validation.
writeFileSync(join(dataDir, 'train_data.npy'), writeNpy(concat(train.features, val.features), [rows + 2000, 128]));
writeFileSync(join(dataDir, 'train_label.npy'), writeNpy(concatInt(train.labels, val.labels), [rows + 2000]));
const config = {
  name: 'bench-study',
  data: { source: dataDir, scale: 'none', valFraction: 2000 / (rows + 2000) },
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
};
const configFile = join(work, 'bench-study.json');
writeFileSync(configFile, JSON.stringify(config));
const study = resolveStudy(config, configFile);
const data = await loadStudyData(study, '.', createBackend(backend));

console.log(`study: ${study.factors.length} factors, one-at-a-time, ${study.seeds} seeds, ${epochs} epochs on ${data.train.rows} rows x 128 features (default model)`);
console.log(`cores: ${availableParallelism()}, load average before: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);

interface Measured {
  label: string;
  /** Whose database calls dbSeconds and dbCalls count. */
  dbWhere?: string;
  seconds: number;
  trials: number;
  dbSeconds: number;
  dbCalls: number;
  canon: string;
}
const measured: Measured[] = [];

function canonical(trials: { key: string; phase: string; result: TrialResult | null }[]): string {
  return JSON.stringify(trials.filter((t) => t.phase !== 'final').sort((a, b) => a.key.localeCompare(b.key)).map((t) => [t.key, t.result?.metric, t.result?.valLoss, t.result?.epochs]));
}

function report(m: Measured, extra = ''): void {
  measured.push(m);
  const perMin = (m.trials / m.seconds) * 60;
  const db = m.dbCalls > 0 ? `; database ${((1000 * m.dbSeconds) / m.trials).toFixed(1)} ms per trial (${(m.dbCalls / m.trials).toFixed(1)} calls) ${m.dbWhere ?? 'in this process'}` : '';
  console.log(`${m.label}: ${m.trials} trials in ${m.seconds.toFixed(2)} s = ${perMin.toFixed(1)} trials/min${db}${extra}; load average ${loadavg()[0].toFixed(2)}`);
}

async function runWith(label: string, storage: StudyStorage | undefined, workers: number, dir: string): Promise<void> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const out = await runStudy(study, { dir, data, workers, backend, storage, htmlReport: false });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const s = storage ?? SqliteStorage.open(dir);
  const trials = await s.trials((await s.findStudy(study.name))!.id);
  if (!storage) await s.close();
  // CPU seconds over wall seconds: how many cores the process kept busy (all threads).
  report({ label, seconds, trials: out.executed, dbSeconds: out.db.seconds, dbCalls: out.db.calls, canon: canonical(trials) }, `; CPU ${((cpu.user + cpu.system) / 1e6 / seconds).toFixed(2)} cores busy`);
}

// SQLite, as before: 1 and 2 worker threads in one process.
for (const workers of workerCounts) {
  const dir = join(work, `sqlite-${workers}`);
  await runWith(`SQLite, 1 process x ${workers} worker${workers === 1 ? '' : 's'}`, undefined, workers, dir);
}

// PostgreSQL.
let server: string | null = null;
let adminUrl = arg('storage', process.env.MLPLAB_BENCH_PG ?? process.env.MLPLAB_TEST_PG ?? '');
if (!adminUrl) {
  const env = execFileSync('bash', [join(ROOT, 'scripts/pg-test-server.sh'), 'start'], { encoding: 'utf8' });
  adminUrl = /MLPLAB_TEST_PG='([^']+)'/.exec(env)![1];
  server = /MLPLAB_TEST_PG_DIR='([^']+)'/.exec(env)![1];
}
const databases: string[] = [];
async function freshDatabase(): Promise<string> {
  const name = `mlplab_bench_${databases.length}_${process.pid}`;
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS ${name}`);
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  databases.push(name);
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

try {
  {
    const url = await freshDatabase();
    const storage = await PostgresStorage.connect(url);
    await runWith('PostgreSQL, 1 process x 1 worker', storage, 1, join(work, 'pg-1'));
    await storage.close();
  }
  {
    // 4 workers in 2 processes: this one (2 threads) and an `mlplab worker --workers 2` joining it.
    const url = await freshDatabase();
    const storage = await PostgresStorage.connect(url);
    const t0 = performance.now();
    const running = runStudy(study, { dir: join(work, 'pg-4'), data, workers: 2, backend, storage, htmlReport: false });
    while (!(await storage.findStudy(study.name))) await new Promise((r) => setTimeout(r, 20));
    const child = spawn(process.execPath, [join(ROOT, 'bin/mlplab'), 'worker', '--storage', url, '--study', study.name, '--workers', '2'], { cwd: work });
    let childOut = '';
    child.stdout.on('data', (d: Buffer) => (childOut += d.toString()));
    child.stderr.on('data', (d: Buffer) => (childOut += d.toString()));
    const childDone = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const out = await running;
    const seconds = (performance.now() - t0) / 1000;
    const code = await childDone;
    if (code !== 0) throw new Error(`the worker process failed:\n${childOut}`);
    const trials = await storage.trials((await storage.findStudy(study.name))!.id);
    const there = /(\d+) trials? trained here.*; database time ([\d.]+) s over (\d+) calls/.exec(childOut);
    const childTrials = there ? Number(there[1]) : 0;
    const childDb = there ? Number(there[2]) : 0;
    report(
      { label: 'PostgreSQL, 2 processes x 2 workers', dbWhere: 'over both processes', seconds, trials: out.executed + out.byOthers, dbSeconds: out.db.seconds + childDb, dbCalls: out.db.calls + (there ? Number(there[3]) : 0), canon: canonical(trials) },
      ` (${out.executed} trials in this process, ${childTrials} in the worker process, which joined after loading its data)`,
    );
    await storage.close();
  }

  // The bare round trip of one trial: claim, two heartbeats, finish with its epochs; no training.
  const history: EpochRecord[] = Array.from({ length: epochs }, (_, i) => ({ epoch: i + 1, trainLoss: 1 / (i + 1), valLoss: 1.1 / (i + 1), trainAccuracy: 0.5, valAccuracy: 0.5, seconds: 1, learningRate: 0.001 }));
  const result: TrialResult = { metric: 0.5, valAccuracy: 0.5, valLoss: 1, bestEpoch: epochs, epochs, stoppedEarly: false, seconds: 1, secondsPerEpoch: 1 / epochs };
  const roundTrip = async (label: string, storage: StudyStorage) => {
    const n = 200;
    const specs = Array.from({ length: n }, (_, i) => ({ key: `k${i}`, configKey: `c${i}`, seed: 0, phase: 'search' as const, label: `t${i}`, levels: [i], epochs }));
    const { study: s } = await storage.createStudy({ name: 'round-trip', hash: 'r', config: {}, fingerprint: { train: [1, 1], val: [1, 1], test: null, classes: 2, hash: 'f' }, backend: 'wasm' }, specs);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const c = (await storage.claim(s.id, 'bench:1:1', 30))!;
      await storage.heartbeat([{ claim: c, epoch: 1 }], 30);
      await storage.heartbeat([{ claim: c, epoch: 2 }], 30);
      await storage.finish(c, { status: 'done', result, error: null, history, output: null });
    }
    const ms = (performance.now() - t0) / n;
    console.log(`${label}: ${ms.toFixed(2)} ms per trial for claim + 2 heartbeats + finish with ${epochs} epochs (no training)`);
  };
  {
    const dir = join(work, 'sqlite-round-trip');
    const s = SqliteStorage.open(dir);
    await roundTrip('SQLite round trip', s);
    await s.close();
  }
  {
    const s = await PostgresStorage.connect(await freshDatabase());
    await roundTrip('PostgreSQL round trip (loopback)', s);
    await s.close();
  }
} finally {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect().catch(() => undefined);
  for (const name of databases) await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
  await c.end().catch(() => undefined);
  if (server) execFileSync('bash', [join(ROOT, 'scripts/pg-test-server.sh'), 'stop', server]);
  rmSync(work, { recursive: true, force: true });
}

const one = measured[0];
for (const m of measured.slice(1)) {
  console.log(`${m.label} vs ${one.label}: ${(one.seconds / m.seconds).toFixed(2)}x the throughput; identical trial results: ${m.canon === one.canon ? 'yes' : 'NO'}`);
  if (m.canon !== one.canon) {
    const a = JSON.parse(one.canon) as unknown[][], b = JSON.parse(m.canon) as unknown[][];
    const keys = new Set([...a, ...b].map((x) => String(x[0])));
    for (const k of keys) {
      const x = a.find((t) => t[0] === k), y = b.find((t) => t[0] === k);
      if (JSON.stringify(x) !== JSON.stringify(y)) console.log(`  differs: ${k}: ${JSON.stringify(x?.slice(1) ?? 'missing')} vs ${JSON.stringify(y?.slice(1) ?? 'missing')}`);
    }
  }
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function concatInt(a: Int32Array, b: Int32Array): Int32Array {
  const out = new Int32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
