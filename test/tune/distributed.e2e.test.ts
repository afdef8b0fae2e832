/**
 * Studies across processes on a real PostgreSQL server: `mlplab study --storage` and
 * `mlplab worker` processes working on one study while workers are killed, paused past their
 * lease, or the server restarts; and the results, trial by trial, equal to the same study
 * run on SQLite with one worker.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { writeNpy } from '../../src/data/formats/npy.js';
import { resolveStudy } from '../../src/tune/study/config.js';
import { loadStudyData } from '../../src/tune/study/data.js';
import { dataFingerprint } from '../../src/tune/study/fingerprint.js';
import { studyKernels } from '../../src/tune/study/kernels.js';
import { searchTrials } from '../../src/tune/study/plan.js';
import { PostgresStorage } from '../../src/tune/storage/postgres.js';
import { BIN, ROOT, tempDir } from '../cli/helpers.js';
import { blobs } from './helpers.js';
import { freshDatabase, pgSkip, restartServer, restartSkip, sql } from './pg.js';

interface Proc {
  pid: number;
  out: () => string;
  exited: Promise<number | null>;
  kill: (signal: NodeJS.Signals) => void;
}

/** Start the command line in the background, as a user on another terminal would. */
function start(args: string[], cwd: string): Proc {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' } });
  let text = '';
  child.stdout.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr.on('data', (d: Buffer) => (text += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { pid: child.pid!, out: () => text, exited, kill: (s) => child.kill(s) };
}

async function until<T>(what: string, f: () => Promise<T | undefined | null | false>, timeoutMs = 90_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const v = await f();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function exitsOk(p: Proc, name: string): Promise<void> {
  const code = await p.exited;
  assert.equal(code, 0, `${name} exited with ${code}:\n${p.out()}`);
}

interface TrialRow {
  id: number;
  key: string;
  phase: string;
  status: string;
  attempt: number;
  worker: string | null;
  result_json: string | null;
}

const pgTrials = (url: string) => sql<TrialRow>(url, 'SELECT id, key, phase, status, attempt, worker, result_json FROM mlplab_trials ORDER BY key');

/** Results without their timings (which differ from run to run), by trial key. */
function results(rows: { key: string; phase: string; result_json: string | null }[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const r of rows) {
    if (r.phase === 'final') continue;
    const x = JSON.parse(r.result_json ?? 'null');
    if (x) {
      delete x.seconds;
      delete x.secondsPerEpoch;
    }
    out[r.key] = x;
  }
  return out;
}

// One folder for every test here: the data, the study file, and the reference study on SQLite.
const work = tempDir('mlplab-distributed-');
const config = {
  name: 'spread',
  data: { source: 'blobs', scale: 'standard' },
  base: { network: { widths: [32], activations: 'relu', batchNorm: false, dropout: 0 }, train: { learningRate: 0.01, batchSize: 32, momentum: 0.9, weightDecay: 0 } },
  factors: [
    { path: 'train.learningRate', values: [0.003, 0.01] },
    { path: 'network.widths', values: [[16], [32]] },
  ],
  seeds: 2,
  // Long enough to be caught mid-trial (about a second each), short enough to keep the tests quick.
  epochs: 700,
  earlyStopping: false,
  // Times vary between machines and runs; the cost rule must not turn them into different decisions.
  combine: { costRule: { maxTimeRatio: 1000 } },
  final: { epochs: 40 },
};
const CONFIG = join(work, 'spread.json');
let reference: { trials: Record<string, unknown>; model: string } | null = null;

before(() => {
  const data = join(work, 'blobs');
  mkdirSync(data);
  const tr = blobs(3000, 16, 1);
  const te = blobs(600, 16, 3);
  writeFileSync(join(data, 'train_data.npy'), writeNpy(tr.features, [3000, 16]));
  writeFileSync(join(data, 'train_label.npy'), writeNpy(tr.labels, [3000]));
  writeFileSync(join(data, 'test_data.npy'), writeNpy(te.features, [600, 16]));
  writeFileSync(join(data, 'test_label.npy'), writeNpy(te.labels, [600]));
  writeFileSync(CONFIG, JSON.stringify(config));
});

after(() => rmSync(work, { recursive: true, force: true }));

/** The same study on SQLite with one worker, run once for every comparison. */
function sqliteReference(): { trials: Record<string, unknown>; model: string } {
  if (reference) return reference;
  const out = join(work, 'sqlite-reference');
  const r = spawnSync(process.execPath, [BIN, 'study', CONFIG, '--out', out, '--workers', '1', '--no-html'], { cwd: work, encoding: 'utf8', timeout: 180_000 });
  assert.equal(r.status, 0, r.stderr);
  const db = new Database(join(out, 'study.db'), { readonly: true });
  const rows = db.prepare('SELECT key, phase, result_json FROM mlplab_trials').all() as { key: string; phase: string; result_json: string | null }[];
  db.close();
  reference = { trials: results(rows), model: readFileSync(join(out, 'final', 'model.json'), 'utf8') };
  return reference;
}

/** Every trial finished exactly once, its epochs stored once; the results and final model equal the SQLite study's. */
async function checkFinished(url: string, out: string): Promise<TrialRow[]> {
  const rows = await pgTrials(url);
  assert.ok(rows.length >= 7, `${rows.length} trials`);
  for (const r of rows) assert.equal(r.status, 'done', `${r.key} is ${r.status}`);
  const epochs = await sql<{ trial_id: number; n: string; m: number }>(url, 'SELECT trial_id, COUNT(*) AS n, MAX(epoch) AS m FROM mlplab_epochs GROUP BY trial_id');
  for (const r of rows.filter((x) => x.phase !== 'final')) {
    const e = epochs.find((x) => x.trial_id === r.id);
    assert.ok(e, `${r.key} has its epochs`);
    assert.equal(Number(e.n), JSON.parse(r.result_json!).epochs, `${r.key}: each epoch stored once`);
  }
  const ref = sqliteReference();
  assert.deepEqual(results(rows), ref.trials, 'the same results, trial by trial, as one SQLite worker');
  assert.equal(readFileSync(join(out, 'final', 'model.json'), 'utf8'), ref.model, 'the same final model, byte for byte');
  return rows;
}

test('a worker killed with SIGKILL mid-trial: its trial is re-run by another, counted once, and the study equals the SQLite one', { skip: pgSkip, timeout: 240_000 }, async () => {
  const db = await freshDatabase();
  const out = join(work, 'killed');
  try {
    const study = start(['study', CONFIG, '--storage', db.url, '--out', out, '--workers', '1', '--lease', '2', '--no-html'], work);
    await until('the study to be created', async () => (await sql(db.url, "SELECT to_regclass('mlplab_studies') AS t"))[0].t && (await sql(db.url, 'SELECT id FROM mlplab_studies')).length > 0);
    const victim = start(['worker', '--storage', db.url, '--study', 'spread', '--workers', '1', '--lease', '2'], work);
    const other = start(['worker', '--storage', db.url, '--study', 'spread', '--workers', '1', '--lease', '2'], work);
    const mine = `${hostname()}:${victim.pid}:%`;
    const [held] = await until('the victim to be training a trial', async () => {
      const r = await sql<{ id: number; key: string }>(db.url, "SELECT id, key FROM mlplab_trials WHERE status = 'running' AND worker LIKE $1 AND progress_epoch > 0", [mine]);
      return r.length ? r : null;
    });
    victim.kill('SIGKILL');
    assert.equal(await victim.exited, null, 'killed, not exited');
    await exitsOk(study, 'mlplab study');
    await exitsOk(other, 'the other worker');
    const rows = await checkFinished(db.url, out);
    const redone = rows.find((r) => r.id === held.id)!;
    assert.ok(redone.attempt >= 2, `the killed trial ran again (attempt ${redone.attempt})`);
    assert.ok(!redone.worker!.startsWith(`${hostname()}:${victim.pid}:`), 'by another worker');
    assert.match(study.out() + other.out(), new RegExp(`re-queued .*: its worker ${hostname()}:${victim.pid}:1 stopped renewing its lease`));
    assert.match(study.out(), /\d+ trials \(\d+ run here, \d+ by other workers/);
  } finally {
    await db.drop();
  }
});

test('a worker paused past its lease loses the trial: another re-runs it, and the paused one is refused when it comes back', { skip: pgSkip, timeout: 240_000 }, async () => {
  const db = await freshDatabase();
  const out = join(work, 'paused');
  try {
    const study = start(['study', CONFIG, '--storage', db.url, '--out', out, '--workers', '1', '--lease', '1.5', '--no-html'], work);
    await until('the study to be created', async () => (await sql(db.url, "SELECT to_regclass('mlplab_studies') AS t"))[0].t && (await sql(db.url, 'SELECT id FROM mlplab_studies')).length > 0);
    const paused = start(['worker', '--storage', db.url, '--study', 'spread', '--workers', '1', '--lease', '1.5'], work);
    const mine = `${hostname()}:${paused.pid}:%`;
    const [held] = await until('the worker to be training a trial', async () => {
      const r = await sql<{ id: number; attempt: number }>(db.url, "SELECT id, attempt FROM mlplab_trials WHERE status = 'running' AND worker LIKE $1 AND progress_epoch > 0", [mine]);
      return r.length ? r : null;
    });
    paused.kill('SIGSTOP');
    try {
      // The study's own worker reaps the lapsed lease and runs the trial again.
      await until('the trial to be re-run elsewhere', async () => {
        const r = await sql<{ attempt: number; worker: string | null; status: string }>(db.url, 'SELECT attempt, worker, status FROM mlplab_trials WHERE id = $1', [held.id]);
        return r[0].attempt > held.attempt && r[0].worker !== null && !r[0].worker.startsWith(`${hostname()}:${paused.pid}:`);
      });
    } finally {
      paused.kill('SIGCONT');
    }
    await exitsOk(study, 'mlplab study');
    await exitsOk(paused, 'the paused worker');
    assert.match(paused.out(), /lease lost: /);
    const rows = await checkFinished(db.url, out);
    const t = rows.find((r) => r.id === held.id)!;
    assert.ok(!t.worker!.startsWith(`${hostname()}:${paused.pid}:`), 'the result stored is the re-run, not the paused worker\'s');
  } finally {
    await db.drop();
  }
});

test('PostgreSQL restarted in the middle of a study: the workers reconnect and the study finishes, each trial once', { skip: restartSkip, timeout: 240_000 }, async () => {
  const db = await freshDatabase();
  const out = join(work, 'restarted');
  try {
    const study = start(['study', CONFIG, '--storage', db.url, '--out', out, '--workers', '1', '--lease', '10', '--no-html'], work);
    await until('the study to be created', async () => (await sql(db.url, "SELECT to_regclass('mlplab_studies') AS t"))[0].t && (await sql(db.url, 'SELECT id FROM mlplab_studies')).length > 0);
    const worker = start(['worker', '--storage', db.url, '--study', 'spread', '--workers', '1', '--lease', '10'], work);
    await until('some trials done and some left', async () => {
      const r = await sql<{ done: string; left: string }>(db.url, "SELECT COUNT(*) FILTER (WHERE status = 'done') AS done, COUNT(*) FILTER (WHERE status <> 'done') AS left FROM mlplab_trials");
      return Number(r[0].done) >= 2 && Number(r[0].left) >= 3;
    });
    const [{ t: startedBefore }] = await sql<{ t: Date }>(db.url, 'SELECT pg_postmaster_start_time() AS t');
    // Down for two seconds: long enough that every process's calls (the live view polls every second) meet a dead server.
    restartServer(2);
    const [{ t: startedAfter }] = await sql<{ t: Date }>(db.url, 'SELECT pg_postmaster_start_time() AS t');
    assert.ok(startedAfter > startedBefore, 'the server restarted');
    const left = await sql<{ n: string }>(db.url, "SELECT COUNT(*) AS n FROM mlplab_trials WHERE status <> 'done'");
    assert.ok(Number(left[0].n) > 0, 'in the middle of the study');
    await exitsOk(study, 'mlplab study');
    await exitsOk(worker, 'the worker');
    assert.match(study.out(), /lost the connection to the study database \(.*\); reconnecting/);
    assert.match(worker.out(), /lost the connection to the study database \(.*\); reconnecting/);
    await checkFinished(db.url, out);
  } finally {
    await db.drop();
  }
});

test('many concurrent claims from several processes never hand one trial to two workers', { skip: pgSkip, timeout: 120_000 }, async () => {
  const db = await freshDatabase();
  try {
    const storage = await PostgresStorage.connect(db.url);
    const trials = Array.from({ length: 300 }, (_, i) => ({ key: `k${i}`, configKey: `c${i}`, seed: 0, phase: 'search' as const, label: `t${i}`, levels: [i], epochs: 1 }));
    const { study } = await storage.createStudy({ name: 'claims', hash: 'h', config: {}, fingerprint: { train: [1, 1], val: [1, 1], test: null, classes: 2, hash: 'f' }, backend: 'wasm' }, trials);
    await storage.close();
    // Each process claims with 8 connections at once, finishing what it claims, until the queue is empty.
    const script = `
      import { PostgresStorage } from ${JSON.stringify(join(ROOT, 'dist/src/tune/storage/postgres.js'))};
      const s = await PostgresStorage.connect(process.env.URL, { maxConnections: 8 });
      const got = [];
      await Promise.all(Array.from({ length: 8 }, async (_, w) => {
        for (;;) {
          const c = await s.claim(${study.id}, 'p' + process.pid + ':' + w, 30);
          if (!c) return;
          got.push([c.trial.id, c.trial.attempt]);
          const ok = await s.finish(c, { status: 'done', result: null, error: null, history: [], output: null });
          if (!ok) throw new Error('finish refused');
        }
      }));
      await s.close();
      process.stdout.write(JSON.stringify(got));`;
    const procs = Array.from({ length: 4 }, () => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, URL: db.url } });
      let text = '';
      let errText = '';
      child.stdout.on('data', (d: Buffer) => (text += d.toString()));
      child.stderr.on('data', (d: Buffer) => (errText += d.toString()));
      return new Promise<[number, number][]>((resolve, reject) =>
        child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(text)) : reject(new Error(`claimer exited ${code}: ${errText}`)))),
      );
    });
    const claims = await Promise.all(procs);
    const all = claims.flat();
    assert.equal(all.length, 300, 'every trial claimed');
    assert.equal(new Set(all.map(([id]) => id)).size, 300, 'no trial claimed twice');
    assert.ok(all.every(([, attempt]) => attempt === 1));
    assert.ok(claims.filter((c) => c.length > 0).length >= 2, 'the processes shared the work');
    const rows = await sql<{ n: string }>(db.url, "SELECT COUNT(*) AS n FROM mlplab_trials WHERE status = 'done' AND attempt = 1");
    assert.equal(Number(rows[0].n), 300);
  } finally {
    await db.drop();
  }
});

test('a worker whose data differs from the study\'s is refused in one line and takes no trial', { skip: pgSkip, timeout: 120_000 }, async () => {
  const db = await freshDatabase();
  try {
    const study = resolveStudy(JSON.parse(readFileSync(CONFIG, 'utf8')), CONFIG);
    const data = await loadStudyData(study, work);
    const storage = await PostgresStorage.connect(db.url);
    await storage.createStudy({ name: study.name, hash: study.hash, config: study.input, fingerprint: dataFingerprint(data), backend: studyKernels('auto') }, searchTrials(study));
    await storage.close();
    // The same files with one training row changed.
    const other = join(work, 'blobs-edited');
    mkdirSync(other, { recursive: true });
    for (const f of ['train_label.npy', 'test_data.npy', 'test_label.npy']) writeFileSync(join(other, f), readFileSync(join(work, 'blobs', f)));
    const tr = blobs(3000, 16, 1);
    tr.features[5] += 0.5;
    writeFileSync(join(other, 'train_data.npy'), writeNpy(tr.features, [3000, 16]));
    const r = spawnSync(process.execPath, [BIN, 'worker', '--storage', db.url, '--study', 'spread', '--data', other, '--workers', '1'], { cwd: work, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /^mlplab: error: .*blobs-edited: prepared here as train \(2700, 16\), .*hash [0-9a-f]{12}, but study "spread" was created on train \(2700, 16\), .*hash [0-9a-f]{12}; .*help: /);
    const rows = await sql<{ status: string }>(db.url, 'SELECT status FROM mlplab_trials');
    assert.ok(rows.length > 0 && rows.every((x) => x.status === 'queued'), 'nothing was claimed');
  } finally {
    await db.drop();
  }
});

test('a TPE study with pruning on PostgreSQL, worked on by two processes: every suggestion runs once, pruned trials keep their curves, and the results equal one SQLite worker\'s', { skip: pgSkip, timeout: 240_000 }, async () => {
  const db = await freshDatabase();
  const out = join(work, 'tpe');
  const file = join(work, 'tpe.json');
  const { factors: _f, seeds: _s, combine: _c, ...rest } = config;
  writeFileSync(
    file,
    JSON.stringify({
      ...rest,
      name: 'spread-tpe',
      epochs: 600,
      space: [
        { path: 'train.learningRate', low: 0.0003, high: 0.05, log: true },
        { path: 'network.widths', low: 4, high: 32, int: true },
      ],
      strategy: { type: 'tpe', trials: 10, startupTrials: 4, seed: 5 },
      pruner: { type: 'median', warmupEpochs: 30, startupTrials: 2 },
    }),
  );
  try {
    const study = start(['study', file, '--storage', db.url, '--out', out, '--workers', '1', '--no-html'], work);
    await until('the study to be created', async () => (await sql(db.url, "SELECT to_regclass('mlplab_studies') AS t"))[0].t && (await sql(db.url, 'SELECT id FROM mlplab_studies')).length > 0);
    const worker = start(['worker', '--storage', db.url, '--study', 'spread-tpe', '--workers', '1'], work);
    await exitsOk(study, 'mlplab study');
    await exitsOk(worker, 'the worker');
    const rows = await sql<TrialRow & { error: string | null; params_json: string }>(db.url, "SELECT id, key, phase, status, attempt, worker, result_json, error, params_json FROM mlplab_trials WHERE phase = 'search' ORDER BY position");
    assert.deepEqual(rows.map((r) => r.key), Array.from({ length: 10 }, (_, n) => `tpe:${n}`), 'each suggestion enqueued once, in order');
    assert.ok(rows.every((r) => r.attempt === 1 && (r.status === 'done' || r.status === 'pruned')));
    const pids = new Set(rows.map((r) => r.worker!.split(':')[1]));
    assert.equal(pids.size, 2, 'both processes trained trials');
    const epochs = await sql<{ trial_id: number; n: string }>(db.url, 'SELECT trial_id, COUNT(*) AS n FROM mlplab_epochs GROUP BY trial_id');
    for (const r of rows) {
      const n = Number(epochs.find((e) => e.trial_id === r.id)?.n ?? 0);
      assert.equal(n, JSON.parse(r.result_json!).epochs, `${r.key}: its curve as far as it ran`);
      if (r.status === 'pruned') {
        assert.ok(n > 30 && n < 600, `${r.key} stopped after the warm-up, before the end (${n})`);
        assert.match(r.error!, new RegExp(`^epoch ${n}: best .* is worse than the median [0-9.]+ of \\d+ trials`));
      } else assert.equal(n, 600);
    }
    // The same study on SQLite with one worker: the same suggestions, prunings and results, trial by trial.
    const local = join(work, 'tpe-sqlite');
    const r = spawnSync(process.execPath, [BIN, 'study', file, '--out', local, '--workers', '1', '--no-html'], { cwd: work, encoding: 'utf8', timeout: 180_000 });
    assert.equal(r.status, 0, r.stderr);
    const sdb = new Database(join(local, 'study.db'), { readonly: true });
    const srows = sdb.prepare("SELECT key, status, params_json, result_json, error FROM mlplab_trials WHERE phase = 'search' ORDER BY position").all() as { key: string; status: string; params_json: string; result_json: string; error: string | null }[];
    sdb.close();
    const same = (x: { key: string; status: string; params_json: string; result_json: string | null; error: string | null }) => [x.key, x.status, JSON.parse(x.params_json), results([{ key: x.key, phase: 'search', result_json: x.result_json }]), x.error];
    assert.deepEqual(rows.map(same), srows.map(same));
    const json = JSON.parse(readFileSync(join(out, 'study.json'), 'utf8'));
    assert.equal(json.trialLog.filter((t: { phase: string }) => t.phase === 'search').length, 10);
    assert.ok(json.final.test.accuracy > 0.5);
  } finally {
    await db.drop();
  }
});
