/**
 * One suite, both study stores: SQLite (a study folder) and PostgreSQL (a fresh database on
 * the test server). Whatever the study code relies on — creating and joining, the queue
 * order, leases, fencing, reaping by the database's clock, advancing a stage once — is
 * checked here against each.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OutputError, StorageError } from '../../src/errors.js';
import type { EpochRecord } from '../../src/metrics/history-types.js';
import { noTrials, type NewStudy, type StudyStorage, type TrialFinish, type TrialResult, type TrialSpec } from '../../src/tune/storage/types.js';
import { POSTGRES, PostgresStorage } from '../../src/tune/storage/postgres.js';
import { queries } from '../../src/tune/storage/queries.js';
import { tablesOf } from '../../src/tune/storage/schema.js';
import { SQLITE, SqliteStorage } from '../../src/tune/storage/sqlite.js';
import { STORAGE_SCHEMA_VERSION } from '../../src/tune/storage/types.js';
import Database from 'better-sqlite3';
import { freshDatabase, pgSkip, sql } from './pg.js';
import { tempDir } from './helpers.js';

interface Opened {
  storage: StudyStorage;
  done: () => Promise<void>;
}

const BACKENDS: { name: string; skip: false | string; open: () => Promise<Opened> }[] = [
  {
    name: 'SQLite',
    skip: false,
    open: async () => {
      const t = tempDir();
      const storage = SqliteStorage.open(t.dir);
      return { storage, done: async () => (await storage.close(), t.done()) };
    },
  },
  {
    name: 'PostgreSQL',
    skip: pgSkip,
    open: async () => {
      const db = await freshDatabase();
      const storage = await PostgresStorage.connect(db.url);
      return { storage, done: async () => (await storage.close(), await db.drop()) };
    },
  },
];

const newStudy = (over: Partial<NewStudy> = {}): NewStudy => ({
  name: 'suite',
  hash: 'aaaa',
  config: { name: 'suite', data: { source: 'synthetic' } },
  fingerprint: { train: [10, 2], val: [5, 2], test: null, classes: 2, hash: 'f00d' },
  backend: 'wasm',
  ...over,
});

const specs = (n: number, phase: TrialSpec['phase'] = 'search', prefix = 'c'): TrialSpec[] =>
  Array.from({ length: n }, (_, i) => ({ key: `${prefix}${i}/s0`, configKey: `${prefix}${i}`, seed: 0, phase, label: `${prefix}=${i}`, levels: [i, null], epochs: 3 }));

const result = (metric: number): TrialResult => ({ metric, valAccuracy: metric, valLoss: 1 - metric, bestEpoch: 2, epochs: 2, stoppedEarly: false, seconds: 0.5, secondsPerEpoch: 0.25 });

const history: EpochRecord[] = [
  { epoch: 1, trainLoss: 1.25, valLoss: 1.5, trainAccuracy: 0.5, valAccuracy: 0.375, seconds: 0.1, learningRate: 0.01 },
  { epoch: 2, trainLoss: NaN, valLoss: 0.1 + 0.2, trainAccuracy: 0.75, valAccuracy: 0.625, seconds: 0.1 },
];

const done = (metric: number): TrialFinish => ({ status: 'done', result: result(metric), error: null, history, output: null });

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const backend of BACKENDS) {
  const it = (name: string, body: (s: StudyStorage) => Promise<void>) =>
    test(`${backend.name}: ${name}`, { skip: backend.skip }, async () => {
      const o = await backend.open();
      try {
        await body(o.storage);
      } finally {
        await o.done();
      }
    });

  it('a study is created with its trials in one go; the same config joins it untouched; another config under its name is refused', async (s) => {
    assert.equal(await s.findStudy('suite'), undefined);
    assert.deepEqual(await s.unfinishedStudies(), []);
    const a = await s.createStudy(newStudy(), specs(4));
    assert.equal(a.created, true);
    assert.equal(a.study.stage, 'search');
    assert.deepEqual(a.study.fingerprint, newStudy().fingerprint);
    assert.deepEqual(a.study.config, newStudy().config);
    const b = await s.createStudy(newStudy(), specs(6));
    assert.equal(b.created, false);
    assert.equal(b.study.id, a.study.id);
    assert.equal((await s.trials(a.study.id)).length, 4, 'joining enqueues nothing');
    await assert.rejects(s.createStudy(newStudy({ hash: 'bbbb' }), specs(2, 'search', 'x')), (e: unknown) => {
      assert.ok(e instanceof StorageError || e instanceof OutputError);
      assert.match((e as Error).message, /different config \(hash aaaa, this config bbbb\)/);
      return true;
    });
    assert.deepEqual((await s.trials(a.study.id)).map((t) => t.key), specs(4).map((t) => t.key));
    assert.deepEqual((await s.unfinishedStudies()).map((x) => x.name), ['suite']);
    assert.deepEqual(await s.counts(a.study.id), { ...noTrials(), queued: 4 });
  });

  it('claims come in queue order, each trial once, until none is left', async (s) => {
    const { study } = await s.createStudy(newStudy(), specs(45));
    const got = [];
    for (let i = 0; i < 5; i++) got.push(await s.claim(study.id, `w:1:${i}`, 30));
    assert.deepEqual(got.map((c) => c!.trial.key), specs(5).map((t) => t.key));
    for (const c of got) {
      assert.equal(c!.trial.status, 'running');
      assert.equal(c!.trial.attempt, 1);
    }
    assert.equal(got[2]!.trial.worker, 'w:1:2');
    // Concurrent claims (over a connection pool, or one file) still hand out each trial once.
    const many = await Promise.all(Array.from({ length: 60 }, (_, i) => s.claim(study.id, `w:2:${i}`, 30)));
    const ids = many.filter((c) => c !== null).map((c) => c!.trial.id);
    assert.equal(ids.length, 40);
    assert.equal(new Set([...ids, ...got.map((c) => c!.trial.id)]).size, 45);
    assert.equal(await s.claim(study.id, 'w:1:9', 30), null);
    assert.deepEqual(await s.counts(study.id), { ...noTrials(), running: 45 });
  });

  it('a finish stores the result and epochs once (NaN as NaN); finishing the same claim again stores nothing more', async (s) => {
    const { study } = await s.createStudy(newStudy(), specs(2));
    const c = (await s.claim(study.id, 'w:1:1', 30))!;
    assert.equal(await s.finish(c, done(0.75)), true);
    assert.equal(await s.finish(c, done(0.75)), true, 'a retried finish of the same claim is already stored');
    const t = (await s.trials(study.id))[0];
    assert.equal(t.status, 'done');
    assert.deepEqual(t.result, result(0.75));
    assert.equal(t.worker, 'w:1:1');
    assert.ok(t.finishedAt && !Number.isNaN(Date.parse(t.finishedAt)));
    const e = await s.epochs(t.id);
    assert.equal(e.length, 2);
    assert.deepEqual(e[0], history[0]);
    assert.ok(Number.isNaN(e[1].trainLoss));
    assert.equal(e[1].valLoss, 0.1 + 0.2, 'floats come back bit for bit');
    assert.equal(e[1].learningRate, undefined);
    assert.deepEqual(await s.counts(study.id), { ...noTrials(), done: 1, queued: 1 });
  });

  it('a lease renewed by heartbeats holds; one that ran out is lost: its heartbeat says so and its finish is refused', async (s) => {
    const { study } = await s.createStudy(newStudy(), specs(2));
    const kept = (await s.claim(study.id, 'w:1:1', 0.4))!;
    const lapsed = (await s.claim(study.id, 'w:1:2', 0.4))!;
    for (let i = 0; i < 4; i++) {
      await wait(150);
      assert.deepEqual(await s.heartbeat([{ claim: kept, epoch: i + 1 }], 0.4), []);
    }
    // 600 ms without a heartbeat: the second lease ran out (nobody has reaped it yet).
    assert.deepEqual(await s.heartbeat([{ claim: kept, epoch: 5 }, { claim: lapsed, epoch: 1 }], 0.4), [lapsed.trial.id]);
    assert.equal((await s.trials(study.id)).find((t) => t.id === kept.trial.id)!.epoch, 5);
    assert.equal(await s.finish(lapsed, done(0.5)), false);
    assert.equal(await s.finish(kept, done(0.6)), true);
    const after = await s.trials(study.id);
    assert.equal(after.find((t) => t.id === lapsed.trial.id)!.result, null);
    assert.deepEqual(await s.epochs(lapsed.trial.id), []);
  });

  it("stale leases are reaped by the database's clock: the trial runs again (attempt 2), the old claim cannot finish, it counts once", async (s) => {
    const { study } = await s.createStudy(newStudy(), specs(1));
    const first = (await s.claim(study.id, 'dead:1:1', 0.3))!;
    assert.deepEqual(await s.reap(study.id), [], 'a live lease is not reaped');
    await wait(450);
    const reaped = await s.reap(study.id);
    assert.equal(reaped.length, 1);
    assert.equal(reaped[0].worker, 'dead:1:1', 'the reaped trial names the worker that lost it');
    assert.equal(reaped[0].status, 'queued');
    const second = (await s.claim(study.id, 'alive:2:1', 30))!;
    assert.equal(second.trial.id, first.trial.id);
    assert.equal(second.trial.attempt, 2);
    assert.equal(await s.finish(first, done(0.1)), false, 'the first worker woke up: refused');
    assert.equal(await s.finish(second, done(0.9)), true);
    assert.equal(await s.finish(first, done(0.1)), false, 'and refused after the re-run finished too');
    const [t] = await s.trials(study.id);
    assert.equal(t.status, 'done');
    assert.equal(t.attempt, 2);
    assert.equal(t.worker, 'alive:2:1');
    assert.equal(t.result!.metric, 0.9);
    assert.equal((await s.epochs(t.id)).length, history.length, 'epochs stored once');
  });

  it('a trial that failed by itself is a result: stored with its error and never re-queued', async (s) => {
    const { study } = await s.createStudy(newStudy(), specs(1));
    const c = (await s.claim(study.id, 'w:1:1', 0.2))!;
    assert.equal(await s.finish(c, { status: 'failed', result: null, error: 'training diverged: loss became NaN', history: history.slice(0, 1), output: null }), true);
    await wait(300);
    assert.deepEqual(await s.reap(study.id), []);
    assert.equal(await s.claim(study.id, 'w:1:2', 30), null);
    const [t] = await s.trials(study.id);
    assert.equal(t.status, 'failed');
    assert.match(t.error!, /diverged/);
  });

  it('a released claim goes back to the queue at once; its old claim cannot finish', async (s) => {
    const { study } = await s.createStudy(newStudy(), specs(1));
    const c = (await s.claim(study.id, 'w:1:1', 30))!;
    await s.release(c);
    assert.deepEqual(await s.counts(study.id), { ...noTrials(), queued: 1 });
    const again = (await s.claim(study.id, 'w:1:2', 30))!;
    assert.equal(again.trial.attempt, 2);
    assert.equal(await s.finish(c, done(0.2)), false);
  });

  it('a stage advances once: the new trials go after the old, keys already there are kept, a stale advance changes nothing', async (s) => {
    const { study } = await s.createStudy(newStudy(), specs(3));
    for (let i = 0; i < 3; i++) {
      const c = (await s.claim(study.id, 'w:1:1', 30))!;
      await s.finish(c, done(0.5 + i / 10));
    }
    const check = [...specs(1), ...specs(2, 'interaction', 'n')];
    const both = await Promise.all([s.advance(study.id, 'search', 'interaction', check), s.advance(study.id, 'search', 'interaction', check)]);
    assert.deepEqual(both.sort(), [false, true], 'two processes seeing the search complete: one advances it');
    assert.equal((await s.study(study.id)).stage, 'interaction');
    const trials = await s.trials(study.id);
    assert.deepEqual(trials.map((t) => t.key), ['c0/s0', 'c1/s0', 'c2/s0', 'n0/s0', 'n1/s0']);
    assert.equal(trials[0].phase, 'search', 'a trial the search ran is reused, not enqueued again');
    assert.deepEqual(trials.map((t) => t.position), [...trials.map((t) => t.position)].sort((a, b) => a - b));
    assert.equal(await s.advance(study.id, 'search', 'final', specs(1, 'final', 'f')), false);
    assert.equal((await s.trials(study.id)).length, 5);
    assert.equal((await s.claim(study.id, 'w:1:1', 30))!.trial.key, 'n0/s0');
  });

  it("the final model's output is stored with its trial and read back whole; a done study is no longer unfinished", async (s) => {
    const { study } = await s.createStudy(newStudy(), specs(1));
    const c0 = (await s.claim(study.id, 'w:1:1', 30))!;
    await s.finish(c0, done(0.5));
    assert.deepEqual(await s.finalTrials(study.id), []);
    assert.equal(await s.advance(study.id, 'search', 'final', specs(1, 'final', 'final:c')), true);
    const c = (await s.claim(study.id, 'w:1:1', 30))!;
    assert.equal(c.trial.phase, 'final');
    const modelFile = JSON.stringify({ format: 'mlplab-model', tensors: ['x'.repeat(200_000)] });
    const report = { title: 'final', test: { accuracy: 0.8125 } } as unknown as NonNullable<TrialFinish['output']>['report'];
    assert.equal(await s.finish(c, { status: 'done', result: null, error: null, history: [], output: { report, modelFile } }), true);
    const finals = await s.finalTrials(study.id);
    assert.equal(finals.length, 1);
    const f = finals[0];
    assert.equal(f.trial.status, 'done');
    assert.equal(f.output!.modelFile, modelFile);
    assert.deepEqual(f.output!.report, report);
    assert.equal(await s.advance(study.id, 'final', 'done', []), true);
    assert.deepEqual(await s.unfinishedStudies(), []);
    assert.equal((await s.findStudy('suite'))!.stage, 'done');
  });
}

/**
 * The tables of schema version 4, column by column (text, int, real, clock: a lease's end). A
 * study written by an earlier mlplab of this version opens only while this holds; changing it
 * means a new STORAGE_SCHEMA_VERSION.
 */
const SCHEMA_V4: Record<string, string> = {
  mlplab_meta: 'key text, value text',
  mlplab_holder: 'id int, pid int, host text, since text, lease_until clock',
  mlplab_studies: 'id int, name text, config_hash text, config_json text, fingerprint_json text, backend text, stage text, created_at text',
  mlplab_trials:
    'id int, study_id int, key text, position int, config_key text, seed int, phase text, label text, levels_json text, params_json text, epochs int, status text, ' +
    'attempt int, worker text, lease_until clock, progress_epoch int, result_json text, error text, output_json text, queued_at text, started_at text, finished_at text',
  mlplab_epochs: 'trial_id int, epoch int, train_loss real, val_loss real, train_accuracy real, val_accuracy real, seconds real, learning_rate real',
};

/** `SCHEMA_V4` in one database's type names, for the tables it has. */
function expectedSchema(types: Record<string, string>, tables: string[]): Record<string, string> {
  return Object.fromEntries(tables.map((t) => [t, SCHEMA_V4[t].replace(/ (text|int|real|clock)\b/g, (_, ty: string) => ` ${types[ty]}`)]));
}

test('the version 4 schema is what both stores create: the same tables and columns, the holder in SQLite only', () => {
  assert.equal(STORAGE_SCHEMA_VERSION, 4);
  assert.deepEqual(tablesOf(SQLITE).map((t) => t.name), Object.keys(SCHEMA_V4));
  assert.deepEqual(tablesOf(POSTGRES), tablesOf(SQLITE).filter((t) => t.name !== 'mlplab_holder'));
  for (const t of tablesOf(SQLITE)) assert.deepEqual(t.columns, SCHEMA_V4[t.name].split(', ').map((c) => c.split(' ')[0]), t.name);
});

test('each statement is one text for both stores: only the parameter markers and the dialect differ', () => {
  const s = queries(SQLITE);
  const p = queries(POSTGRES);
  assert.deepEqual(Object.keys(p), Object.keys(s));
  const generic = (text: string, d: typeof SQLITE) =>
    text
      .replace(/\$\d+/g, '?')
      .split(d.later('?'))
      .join('LATER')
      .split(d.nowIso)
      .join('NOW_ISO')
      .split(d.now)
      .join('NOW')
      .split(d.skipLocked || '\0')
      .join('');
  for (const key of Object.keys(s) as (keyof typeof s)[]) {
    if (key === 'createTables') continue;
    assert.equal(generic(p[key], POSTGRES), generic(s[key], SQLITE), key);
    // PostgreSQL numbers the markers in order: $1 .. $n for SQLite's n markers.
    const n = (s[key].match(/\?/g) ?? []).length;
    assert.deepEqual(p[key].match(/\$\d+/g) ?? [], Array.from({ length: n }, (_, i) => `$${i + 1}`), key);
  }
});

test('SQLite: a new study folder holds the version 4 tables', async () => {
  const t = tempDir();
  const storage = SqliteStorage.open(t.dir);
  try {
    const db = new Database(storage.where, { readonly: true });
    try {
      const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'mlplab_%' ORDER BY rowid").all() as { name: string }[]).map((r) => r.name);
      const found = Object.fromEntries(
        tables.map((name) => [name, (db.prepare(`PRAGMA table_info(${name})`).all() as { name: string; type: string }[]).map((c) => `${c.name} ${c.type}`).join(', ')]),
      );
      assert.deepEqual(found, expectedSchema({ text: 'TEXT', int: 'INTEGER', real: 'REAL', clock: 'REAL' }, Object.keys(SCHEMA_V4)));
      assert.deepEqual(db.prepare('SELECT key, value FROM mlplab_meta').all(), [{ key: 'schema_version', value: '4' }]);
    } finally {
      db.close();
    }
  } finally {
    await storage.close();
    t.done();
  }
});

test('PostgreSQL: the first study creates the version 4 tables', { skip: pgSkip }, async () => {
  const db = await freshDatabase();
  const storage = await PostgresStorage.connect(db.url);
  try {
    await storage.createStudy(newStudy(), specs(1));
    const cols = await sql<{ table_name: string; column_name: string; data_type: string }>(
      db.url,
      "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position",
    );
    const found: Record<string, string> = {};
    for (const c of cols) found[c.table_name] = `${found[c.table_name] ? `${found[c.table_name]}, ` : ''}${c.column_name} ${c.data_type}`;
    const tables = Object.keys(SCHEMA_V4).filter((t) => t !== 'mlplab_holder');
    assert.deepEqual(found, expectedSchema({ text: 'text', int: 'integer', real: 'double precision', clock: 'timestamp with time zone' }, tables));
    assert.deepEqual(await sql(db.url, 'SELECT key, value FROM mlplab_meta'), [{ key: 'schema_version', value: '4' }]);
  } finally {
    await storage.close();
    await db.drop();
  }
});

test('a damaged study in the store is said in one line and passed over: the worker goes on', async () => {
  const { runWorker } = await import('../../src/tune/study/study.js');
  const { join } = await import('node:path');
  const t = tempDir();
  const storage = SqliteStorage.open(t.dir);
  try {
    await storage.createStudy(newStudy(), specs(2));
    const raw = new Database(join(t.dir, 'study.db'));
    raw.prepare("UPDATE mlplab_studies SET config_json = '{\"name\": ' WHERE name = 'suite'").run();
    raw.close();
    const damaged: string[] = [];
    assert.deepEqual(await storage.unfinishedStudies((name, problem) => damaged.push(`${name}: ${problem}`)), []);
    assert.equal(damaged.length, 1);
    assert.match(damaged[0], /^suite: study suite: config_json is not valid JSON .*; the row is damaged$/);
    const logged: string[] = [];
    const outcome = await runWorker({ storage, onLog: (line: string) => logged.push(line) });
    assert.deepEqual(outcome.studies, []);
    assert.equal(logged.filter((l) => /^study "suite" skipped: study suite: config_json is not valid JSON/.test(l)).length, 1, logged.join('\n'));
  } finally {
    await storage.close();
    t.done();
  }
});
