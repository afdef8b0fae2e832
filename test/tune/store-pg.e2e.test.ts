/**
 * What can go wrong before a study starts on PostgreSQL, each one clear line and nothing
 * half-created: an unreachable server, refused credentials, a missing database, tables of
 * another schema version, a study name taken by another config. And a whole study through
 * runStudy on PostgreSQL, with two workers, equal to the same study on SQLite with one; and a
 * regression study shared by `mlplab study` and `mlplab worker`, equal to one SQLite worker's.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ConfigError, StorageError } from '../../src/errors.js';
import { resolveStudy } from '../../src/tune/study/config.js';
import { PostgresStorage, redactUrl } from '../../src/tune/storage/postgres.js';
import { runStudy } from '../../src/tune/study/study.js';
import { Rng } from '../../src/tensor/rng.js';
import { BIN, tempDir as cliTempDir, writeStudyFolder } from '../cli/helpers.js';
import { syntheticStudyData, tempDir, tinyStudyConfig } from './helpers.js';
import { PG_URL, freshDatabase, pgSkip, sql, withDatabase } from './pg.js';

const cleanUp: string[] = [];
after(() => {
  for (const d of cleanUp) rmSync(d, { recursive: true, force: true });
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

const refused = async (url: string, pattern: RegExp) =>
  assert.rejects(PostgresStorage.connect(url), (e: unknown) => {
    assert.ok(e instanceof StorageError || e instanceof ConfigError, String(e));
    assert.match((e as Error).message, pattern);
    assert.ok(!(e as Error).message.includes('\n'), 'one line');
    return true;
  });

test('a URL that is not PostgreSQL, or has no host, is refused before connecting', async () => {
  await refused('mysql://u@h/db', /--storage: got "mysql:\/\/u@h\/db", expected a PostgreSQL URL/);
  await refused('postgresql://', /expected a PostgreSQL URL with a host/);
});

test('an unreachable server is one line naming the host and port', { skip: pgSkip }, async () => {
  const port = await closedPort();
  await refused(`postgresql://someone:secret@127.0.0.1:${port}/db`, new RegExp(`^postgresql://someone@127\\.0\\.0\\.1:${port}/db: cannot reach PostgreSQL at 127\\.0\\.0\\.1:${port} \\(connection refused\\)`));
});

test('the password never appears in a message', () => {
  assert.equal(redactUrl('postgresql://me:s3cret@db.example:5432/studies?sslmode=require'), 'postgresql://me@db.example:5432/studies?sslmode=require');
});

test('wrong credentials, a missing password and a missing database are one line each', { skip: pgSkip }, async () => {
  const u = new URL(PG_URL);
  const wrong = new URL(PG_URL);
  wrong.password = 'not-the-password';
  await refused(wrong.toString(), new RegExp(`the server refused the password of user "${u.username}"`));
  const none = new URL(PG_URL);
  none.password = '';
  await refused(none.toString(), /the server asks for a password and none was given/);
  await refused(withDatabase(PG_URL, 'no_such_database_here'), /database "no_such_database_here" does not exist\. help: create it/);
});

test('connecting changes nothing: an empty database stays empty until a study is created', { skip: pgSkip }, async () => {
  const db = await freshDatabase();
  try {
    const s = await PostgresStorage.connect(db.url);
    assert.deepEqual(await s.unfinishedStudies(), []);
    assert.equal(await s.findStudy('x'), undefined);
    await s.close();
    const tables = await sql(db.url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'");
    assert.deepEqual(tables, []);
  } finally {
    await db.drop();
  }
});

test('tables of another schema version are refused on connecting, and the command line says so in one line, changing nothing', { skip: pgSkip, timeout: 120_000 }, async () => {
  const db = await freshDatabase();
  try {
    const s = await PostgresStorage.connect(db.url);
    const study = resolveStudy(tinyStudyConfig({ final: { enabled: false } }));
    await s.createStudy({ name: 'old', hash: study.hash, config: study.input, fingerprint: { train: [1, 1], val: [1, 1], test: null, classes: 3, hash: 'x' }, backend: 'wasm' }, []);
    await s.close();
    await sql(db.url, "UPDATE mlplab_meta SET value = '1' WHERE key = 'schema_version'");
    await refused(db.url, /holds mlplab tables of schema version 1, and this mlplab uses version 4; nothing was changed/);
    const dir = cliTempDir();
    cleanUp.push(dir);
    mkdirSync(join(dir, 'data'));
    writeStudyFolder(join(dir, 'data'), {});
    const cfg = join(dir, 'tiny.json');
    writeFileSync(cfg, JSON.stringify({ ...tinyStudyConfig(), data: { source: 'data' } }));
    for (const args of [['study', cfg, '--storage', db.url, '--out', join(dir, 'out')], ['worker', '--storage', db.url]]) {
      const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 1, r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, /^mlplab: error: postgresql:\/\/[^:]+@[^ ]*: holds mlplab tables of schema version 1/);
    }
    assert.equal(existsSync(join(dir, 'out')), false, 'no study folder was made');
    assert.deepEqual((await sql<{ name: string }>(db.url, 'SELECT name FROM mlplab_studies')).map((r) => r.name), ['old']);
  } finally {
    await db.drop();
  }
});

test('a study name taken by another config is refused before the data is loaded; the stored study is untouched', { skip: pgSkip, timeout: 120_000 }, async () => {
  const db = await freshDatabase();
  try {
    const dir = cliTempDir();
    cleanUp.push(dir);
    mkdirSync(join(dir, 'data'));
    writeStudyFolder(join(dir, 'data'), { train: 300, test: 60 });
    const cfg = join(dir, 'tiny.json');
    writeFileSync(cfg, JSON.stringify({ ...tinyStudyConfig({ final: { enabled: false }, seeds: 1 }), data: { source: 'data' } }));
    const first = spawnSync(process.execPath, [BIN, 'study', cfg, '--storage', db.url, '--out', join(dir, 'a'), '--workers', '1', '--no-html'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    assert.equal(first.status, 0, first.stderr);
    const before = await sql(db.url, 'SELECT id, key, status, attempt, result_json FROM mlplab_trials ORDER BY id');
    writeFileSync(cfg, JSON.stringify({ ...tinyStudyConfig({ final: { enabled: false }, seeds: 2 }), data: { source: 'missing-data-folder' } }));
    const r = spawnSync(process.execPath, [BIN, 'study', cfg, '--storage', db.url, '--out', join(dir, 'b')], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    // Refused for the name, not for the (missing) data: nothing was loaded.
    assert.match(r.stderr, /holds a study named "tiny" with a different config \(hash [0-9a-f]+, this config [0-9a-f]+\); its trials are kept .* help: give this study another "name"/);
    assert.equal(existsSync(join(dir, 'b')), false);
    assert.deepEqual(await sql(db.url, 'SELECT id, key, status, attempt, result_json FROM mlplab_trials ORDER BY id'), before);
    assert.equal((await sql(db.url, 'SELECT id FROM mlplab_studies')).length, 1);
  } finally {
    await db.drop();
  }
});

test('runStudy on PostgreSQL with two workers gives, trial by trial, the results of SQLite with one', { skip: pgSkip, timeout: 120_000 }, async () => {
  const db = await freshDatabase();
  const a = tempDir();
  const b = tempDir();
  try {
    const data = syntheticStudyData();
    // Dropout and batch norm on: their random masks and batch statistics must not depend on the worker either.
    const base = { network: { widths: [8], activations: 'gelu', batchNorm: true, dropout: 0.3 }, train: { learningRate: 0.01, batchSize: 32, momentum: 0.5 } };
    // The candidate moves off the base (best mean), and its neighbours in every factor include new configurations: the interaction check enqueues trials of its own.
    const study = resolveStudy(tinyStudyConfig({ base, seeds: 2, combine: { pick: 'best-mean', neighbours: 'all', costRule: { maxTimeRatio: 1000 } } }));
    const storage = await PostgresStorage.connect(db.url);
    const pgRun = await runStudy(study, { dir: a.dir, data, workers: 2, storage, htmlReport: false, leaseSeconds: 5 });
    await storage.close();
    const liteRun = await runStudy(study, { dir: b.dir, data, workers: 1, htmlReport: false });
    const strip = (r: { key: string; result_json: string | null }) => {
      const x = JSON.parse(r.result_json ?? 'null');
      if (x) {
        delete x.seconds;
        delete x.secondsPerEpoch;
      }
      return [r.key, x];
    };
    const pgRows = await sql<{ key: string; result_json: string | null }>(db.url, "SELECT key, result_json FROM mlplab_trials WHERE phase <> 'final' ORDER BY key");
    const lite = new Database(join(b.dir, 'study.db'), { readonly: true });
    const liteRows = lite.prepare("SELECT key, result_json FROM mlplab_trials WHERE phase <> 'final' ORDER BY key").all() as { key: string; result_json: string | null }[];
    lite.close();
    assert.ok(pgRows.length >= 6);
    const phases = await sql<{ phase: string; n: string }>(db.url, 'SELECT phase, COUNT(*) AS n FROM mlplab_trials GROUP BY phase ORDER BY phase');
    assert.deepEqual(phases.map((p) => p.phase), ['final', 'interaction', 'search'], 'every stage enqueued trials');
    assert.deepEqual(pgRows.map(strip), liteRows.map(strip));
    assert.equal(pgRun.report.winner.key, liteRun.report.winner.key);
    assert.equal(readFileSync(join(a.dir, 'final', 'model.json'), 'utf8'), readFileSync(join(b.dir, 'final', 'model.json'), 'utf8'));
    assert.equal(pgRun.executed, liteRun.executed);
    assert.ok(pgRun.db.calls > 0 && pgRun.db.seconds > 0);
    // Run again: the study is done; nothing is trained, the same report comes back.
    const again = await PostgresStorage.connect(db.url);
    const rerun = await runStudy(study, { dir: a.dir, data, workers: 2, storage: again, htmlReport: false });
    await again.close();
    assert.equal(rerun.executed, 0);
    assert.equal(rerun.reused, pgRun.executed);
    assert.deepEqual(rerun.report.table1, pgRun.report.table1);
  } finally {
    a.done();
    b.done();
    await db.drop();
  }
});

test("a database holding someone else's table named mlplab_meta is refused as not mlplab's, not as a failed connection", { skip: pgSkip, timeout: 60_000 }, async () => {
  const db = await freshDatabase();
  try {
    await sql(db.url, 'CREATE TABLE mlplab_meta (id integer, note text)');
    await refused(db.url, /holds a table mlplab_meta that mlplab did not write \(column "value" does not exist\)\. help: use a database of its own for mlplab studies/);
    assert.deepEqual((await sql<{ n: string }>(db.url, "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_name LIKE 'mlplab_%'")).map((r) => Number(r.n)), [1], 'nothing was created');
  } finally {
    await db.drop();
  }
});

/** y = 3 x1 - 2 x2 + 0.5 e over standard normal x1, x2, x3: a regression table of `rows` lines with a header. */
function linearCsv(rows: number, seed: number): string {
  const rng = new Rng(seed);
  const lines = ['x1,x2,x3,y'];
  for (let r = 0; r < rows; r++) {
    const [x1, x2, x3] = [rng.normal(), rng.normal(), rng.normal()];
    lines.push([x1, x2, x3, 3 * x1 - 2 * x2 + 0.5 * rng.normal()].map((v) => v.toFixed(5)).join(','));
  }
  return lines.join('\n') + '\n';
}

test('a regression study on PostgreSQL: mlplab study and a mlplab worker share it, R² by default, the same results as one SQLite worker; run again it is joined, not a conflict', { skip: pgSkip, timeout: 240_000 }, async () => {
  const db = await freshDatabase();
  const dir = cliTempDir();
  cleanUp.push(dir);
  try {
    writeFileSync(join(dir, 'train.csv'), linearCsv(1600, 21));
    writeFileSync(join(dir, 'test.csv'), linearCsv(60, 22));
    // No metric: the data makes it a regression judged by R². Trials long enough (the two-layer ones take seconds) for the worker to join midway.
    const cfg = join(dir, 'linear.json');
    writeFileSync(cfg, JSON.stringify({
      name: 'linear',
      data: { source: 'train.csv,test.csv', scale: 'standard', valFraction: 0.25 },
      base: { network: { widths: [64], activations: 'relu', batchNorm: false, dropout: 0 }, train: { optimizer: 'adam', learningRate: 0.003, batchSize: 16, weightDecay: 0 } },
      factors: [{ name: 'widths', path: 'network.widths', values: [[32], [64], [64, 64]] }],
      strategy: 'one-at-a-time',
      seeds: 2,
      epochs: 120,
      earlyStopping: false,
      combine: { costRule: { maxTimeRatio: 1000 } },
      final: { epochs: 50 },
    }));
    const child = spawn(process.execPath, [BIN, 'study', cfg, '--storage', db.url, '--out', join(dir, 'pg'), '--workers', '1', '--no-html'], { cwd: dir, env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    // Once the study's first trial is done, a worker joins it.
    for (let i = 0; i < 1200; i++) {
      const done = await sql<{ n: string }>(db.url, "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_name = 'mlplab_trials'");
      if (Number(done[0].n) > 0 && Number((await sql<{ n: string }>(db.url, "SELECT COUNT(*) AS n FROM mlplab_trials WHERE status = 'done'"))[0].n) > 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const worker = spawnSync(process.execPath, [BIN, 'worker', '--storage', db.url, '--study', 'linear', '--workers', '1'], { cwd: dir, encoding: 'utf8', timeout: 180_000 });
    assert.equal(worker.status, 0, worker.stderr);
    assert.equal(await exited, 0, out);
    assert.match(out, /metric: validation R², the default for a regression/);
    assert.match(out, /^Table 1: validation R² by factor/m);
    assert.match(out, /^test R² \d\.\d{4}, RMSE [\d.]+ and MAE [\d.]+ in the units of y \(60 test rows, evaluated once\)$/m);
    const stored = await sql<{ config_json: string }>(db.url, 'SELECT config_json FROM mlplab_studies');
    assert.equal((JSON.parse(stored[0].config_json) as { metric: string }).metric, 'valR2', 'the stored config names the metric the data chose');
    const workers = await sql<{ worker: string }>(db.url, "SELECT DISTINCT worker FROM mlplab_trials WHERE phase <> 'final'");
    assert.ok(new Set(workers.map((w) => w.worker.split(':')[1])).size === 2, `trials trained by both processes: ${workers.map((w) => w.worker).join(', ')}`);

    const lite = spawnSync(process.execPath, [BIN, 'study', cfg, '--out', join(dir, 'lite'), '--workers', '1', '--no-html'], { cwd: dir, encoding: 'utf8', timeout: 180_000 });
    assert.equal(lite.status, 0, lite.stderr);
    const strip = (rs: { key: string; result_json: string | null }[]) =>
      Object.fromEntries(rs.map((r) => {
        const x = JSON.parse(r.result_json ?? 'null') as Record<string, unknown> | null;
        if (x) {
          delete x.seconds;
          delete x.secondsPerEpoch;
        }
        return [r.key, x];
      }));
    const pgRows = await sql<{ key: string; result_json: string | null }>(db.url, "SELECT key, result_json FROM mlplab_trials WHERE phase <> 'final'");
    const liteDb = new Database(join(dir, 'lite', 'study.db'), { readonly: true });
    const liteRows = liteDb.prepare("SELECT key, result_json FROM mlplab_trials WHERE phase <> 'final'").all() as { key: string; result_json: string | null }[];
    liteDb.close();
    assert.ok(pgRows.length >= 6);
    assert.deepEqual(strip(pgRows), strip(liteRows), 'the same results, trial by trial');
    for (const x of Object.values(strip(pgRows))) assert.ok(typeof (x as { valR2: number }).valR2 === 'number');
    assert.equal(readFileSync(join(dir, 'pg', 'final', 'model.json'), 'utf8'), readFileSync(join(dir, 'lite', 'final', 'model.json'), 'utf8'));

    // The same file again: the metric is settled by the data once more, and the stored study is found, not refused as another config.
    const again = spawnSync(process.execPath, [BIN, 'study', cfg, '--storage', db.url, '--out', join(dir, 'pg'), '--no-html'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /\d+ trials \(0 run here/);
  } finally {
    await db.drop();
  }
});
