/**
 * `mlplab study` on a study folder (SQLite), as people run it: a second process on a folder
 * in use is refused with one line naming the process that holds it; a process killed with
 * SIGKILL is replaced by the next run, which re-runs what it left running; a read-only
 * folder is one line, not a stack trace.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { BIN, ROOT, tempDir, writeStudyFolder } from './helpers.js';

const work = tempDir('mlplab-study-cli-');
mkdirSync(join(work, 'data'));
writeStudyFolder(join(work, 'data'), { train: 2000, test: 200, features: 16 });
const CONFIG = join(work, 'study.json');
after(() => rmSync(work, { recursive: true, force: true }));
writeFileSync(
  CONFIG,
  JSON.stringify({
    name: 'held',
    data: { source: 'data', scale: 'standard' },
    base: { network: { widths: [32], activations: 'relu', batchNorm: false, dropout: 0 }, train: { learningRate: 0.01, batchSize: 32, momentum: 0.9, weightDecay: 0 } },
    factors: [
      { path: 'train.learningRate', values: [0.003, 0.01] },
      { path: 'network.widths', values: [[16], [32]] },
    ],
    seeds: 2,
    epochs: 600,
    earlyStopping: false,
    final: { epochs: 20 },
  }),
);

interface Row {
  key: string;
  status: string;
  attempt: number;
}

function trials(dir: string): Row[] {
  const db = new Database(join(dir, 'study.db'), { readonly: true });
  try {
    return db.prepare('SELECT key, status, attempt FROM mlplab_trials ORDER BY key').all() as Row[];
  } finally {
    db.close();
  }
}

async function until(what: string, f: () => boolean, timeoutMs = 90_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!f()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const running = (dir: string) => {
  try {
    return trials(dir).some((r) => r.status === 'running');
  } catch {
    return false;
  }
};

function background(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: work });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return { child, out: () => out, exited: new Promise<number | null>((r) => child.on('exit', (code) => r(code))) };
}

test('a second mlplab study on a folder in use is refused in one line naming the process that holds it; the first finishes untouched', { timeout: 180_000 }, async () => {
  const dir = join(work, 'in-use');
  const first = background(['study', CONFIG, '--out', dir, '--workers', '1', '--no-html']);
  await until('the first study to be training', () => running(dir));
  const second = spawnSync(process.execPath, [BIN, 'study', CONFIG, '--out', dir, '--workers', '1'], { cwd: work, encoding: 'utf8', timeout: 60_000 });
  assert.equal(second.status, 1, second.stdout + second.stderr);
  const lines = second.stderr.trim().split('\n');
  assert.equal(lines.length, 1, second.stderr);
  assert.match(lines[0], new RegExp(`^mlplab: error: .*in-use: is in use by process ${first.child.pid} on ${hostname()}, running this study since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC; .*help: wait for it to finish or stop it`));
  assert.equal(await first.exited, 0, first.out());
  const rows = trials(dir);
  assert.ok(rows.every((r) => r.status === 'done' && r.attempt === 1), 'no trial of the first process was reset or run twice');
});

test('a study process killed with SIGKILL: the next run takes the folder over and re-runs what it left running, counting each trial once', { timeout: 180_000 }, async () => {
  const dir = join(work, 'killed');
  const first = background(['study', CONFIG, '--out', dir, '--workers', '1', '--no-html']);
  await until('a trial to finish and another to be running', () => {
    try {
      const r = trials(dir);
      return r.some((x) => x.status === 'done') && r.some((x) => x.status === 'running');
    } catch {
      return false;
    }
  });
  first.child.kill('SIGKILL');
  await first.exited;
  const left = trials(dir).filter((r) => r.status === 'running').length;
  assert.equal(left, 1);
  const again = spawnSync(process.execPath, [BIN, 'study', CONFIG, '--out', dir, '--workers', '1', '--no-html'], { cwd: work, encoding: 'utf8', timeout: 120_000 });
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /resuming: 1 trial was interrupted and will run again/);
  assert.match(again.stdout, /re-run after an interruption/);
  const rows = trials(dir);
  assert.equal(new Set(rows.map((r) => r.key)).size, rows.length);
  assert.ok(rows.every((r) => r.status === 'done'));
  assert.equal(rows.filter((r) => r.attempt === 2).length, 1, 'the interrupted trial ran a second time, the others once');
});

test('a read-only study folder on resume is one line, not a stack trace', { timeout: 120_000 }, async () => {
  const dir = join(work, 'read-only');
  const first = spawnSync(process.execPath, [BIN, 'study', CONFIG, '--out', dir, '--workers', '1', '--no-html'], { cwd: work, encoding: 'utf8', timeout: 120_000 });
  assert.equal(first.status, 0, first.stderr);
  // Root writes anywhere: as root the second run is a user who may read the folder but not write it.
  const asRoot = process.getuid?.() === 0;
  if (!asRoot) {
    for (const f of readdirSync(dir)) if (statSync(join(dir, f)).isFile()) chmodSync(join(dir, f), 0o444);
    chmodSync(dir, 0o555);
  } else {
    for (const d of [work, dir]) chmodSync(d, 0o755);
  }
  try {
    const r = spawnSync(process.execPath, [BIN, 'study', CONFIG, '--out', dir, '--workers', '1'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
    });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /^mlplab: error: .*read-only: is read-only \((the folder|study\.db) cannot be written\), and resuming a study records its trials there\. help: /);
  } finally {
    if (!asRoot) chmodSync(dir, 0o755);
  }
});

test('--threads sets the kernel threads per trial: the same results on 1 and 2 threads; more than the cores allow is one line', { timeout: 180_000 }, () => {
  const cores = spawnSync(process.execPath, ['-e', 'console.log(require("node:os").availableParallelism())'], { encoding: 'utf8' });
  const n = Number(cores.stdout.trim());
  const bad = spawnSync(process.execPath, [BIN, 'study', CONFIG, '--out', join(work, 'threads-bad'), '--workers', '1', '--threads', String(n + 1)], { cwd: work, encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^mlplab: error: --threads: got /);
  assert.equal(bad.stderr.trim().split('\n').length, 1);
  const results: string[] = [];
  for (const threads of ['1', String(Math.min(2, n))]) {
    const out = join(work, `threads-${threads}`);
    const r = spawnSync(process.execPath, [BIN, 'study', CONFIG, '--out', out, '--workers', '1', '--threads', threads, '--no-html'], { cwd: work, encoding: 'utf8', timeout: 150_000 });
    assert.equal(r.status, 0, r.stderr);
    const db = new Database(join(out, 'study.db'), { readonly: true });
    const rows = db.prepare("SELECT key, result_json FROM mlplab_trials WHERE phase <> 'final' ORDER BY key").all() as { key: string; result_json: string }[];
    db.close();
    results.push(JSON.stringify(rows.map((x) => [x.key, { ...JSON.parse(x.result_json), seconds: 0, secondsPerEpoch: 0 }])));
  }
  assert.equal(results[1], results[0]);
});
