import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { OutputError } from '../../src/errors.js';
import { resolveRun } from '../../src/run/spec.js';
import { configKey, resolveStudy } from '../../src/tune/study/config.js';
import { SqliteStorage } from '../../src/tune/storage/sqlite.js';
import { expandStrategy, studySeeds } from '../../src/tune/study/strategies.js';
import { StudyInterrupted, runStudy, trialKey } from '../../src/tune/study/study.js';
import { syntheticStudyData, tempDir, tinyStudyConfig } from './helpers.js';
import { loadStudyData } from '../../src/tune/study/data.js';
import { ROOT } from '../cli/helpers.js';
import { runTrial, trialFolds } from '../../src/tune/exec/trial.js';
import { evaluate, trainRun } from '../../src/run/train.js';

const data = syntheticStudyData();

interface Row {
  key: string;
  status: string;
  result_json: string | null;
  id: number;
  attempt: number;
}

/** The trials (not the final model) as the study database holds them. */
function rows(dir: string): Row[] {
  const db = new Database(join(dir, 'study.db'), { readonly: true });
  try {
    return db.prepare("SELECT id, key, status, result_json, attempt FROM mlplab_trials WHERE phase <> 'final' ORDER BY key").all() as Row[];
  } finally {
    db.close();
  }
}

function epochCounts(dir: string): Map<number, number> {
  const db = new Database(join(dir, 'study.db'), { readonly: true });
  try {
    const r = db.prepare('SELECT trial_id, COUNT(*) AS n, MAX(epoch) AS m FROM mlplab_epochs GROUP BY trial_id').all() as { trial_id: number; n: number; m: number }[];
    for (const x of r) assert.equal(x.n, x.m, `trial ${x.trial_id}: epochs stored once each`);
    return new Map(r.map((x) => [x.trial_id, x.n]));
  } finally {
    db.close();
  }
}

test('a study runs every trial once, stores per-epoch metrics, and writes Table 1, study.json, the final model and report.html', async () => {
  const t = tempDir();
  try {
    const study = resolveStudy(tinyStudyConfig());
    const out = await runStudy(study, { dir: t.dir, data, workers: 2 });
    const search = expandStrategy(study);
    // base, learningRate=0.01, widths=[4]; candidate and neighbours may add a few more.
    assert.equal(search.length, 3);
    const stored = rows(t.dir);
    assert.equal(stored.length, out.executed);
    assert.ok(stored.length >= search.length * 2);
    assert.equal(new Set(stored.map((r) => r.key)).size, stored.length);
    for (const c of search) for (const seed of studySeeds(study)) assert.ok(stored.some((r) => r.key === trialKey(c.key, seed) && r.status === 'done'));
    const epochs = epochCounts(t.dir);
    for (const r of stored) assert.equal(epochs.get(r.id), JSON.parse(r.result_json!).epochs);

    const rep = out.report;
    assert.equal(rep.table1.rows.length, 2);
    assert.equal(rep.table1.base!.values.length, 2);
    assert.ok(rep.table1.base!.metric.mean > 0.5, 'the blobs are learnable');
    assert.ok(rep.final && rep.final.test, 'the final model was evaluated on the test set');
    assert.equal(rep.final.test.predictions.length, data.test!.rows);
    assert.equal(rep.final.data.testRows, data.test!.rows);
    const md = readFileSync(join(t.dir, 'table1.md'), 'utf8');
    assert.match(md, /\| learningRate \| `0\.01` \d+\.\d\d ± \d+\.\d\d/);
    assert.match(md, /Welch's two-sided t-test/);
    const html = readFileSync(join(t.dir, 'report.html'), 'utf8');
    for (const part of ['Table 1', 'Value vs accuracy', '<svg', 'Interaction check', 'Classification report', 'Last 20 test predictions']) assert.ok(html.includes(part), part);
    assert.ok(!/<script/i.test(html), 'no scripts: the report is self-contained and static');
    const predictions = readFileSync(join(t.dir, 'final', 'predictions.csv'), 'utf8').trim().split('\n');
    assert.equal(predictions.length, 1 + data.test!.rows);
    const wrong = predictions.slice(1).filter((l) => l.split(',')[1] !== l.split(',')[2]).length;
    assert.ok(Math.abs(1 - wrong / data.test!.rows - rep.final.test.accuracy) < 1e-9, 'predictions.csv agrees with the test accuracy');
    const model = JSON.parse(readFileSync(join(t.dir, 'final', 'model.json'), 'utf8'));
    assert.equal(model.format, 'mlplab-model');
    // The model file holds the configuration the report names as the winner.
    assert.equal(configKey(resolveRun(model.extras.run)), rep.winner.key);

    // Running it again does nothing new: everything is found in the database.
    const again = await runStudy(study, { dir: t.dir, data, workers: 2, htmlReport: false });
    assert.equal(again.executed, 0);
    assert.equal(again.reused, stored.length);
    assert.deepEqual(rows(t.dir), stored);
    assert.deepEqual(again.report.table1.rows.map((r) => r.cells.map((c) => c.stats?.metric.mean)), rep.table1.rows.map((r) => r.cells.map((c) => c.stats?.metric.mean)));
  } finally {
    t.done();
  }
});

test('interrupted midway, the same study resumes: finished trials are kept, interrupted ones re-run, nothing counted twice', async () => {
  const t = tempDir();
  const ref = tempDir();
  try {
    const study = resolveStudy(tinyStudyConfig({ epochs: 4, final: { enabled: false } }));
    const controller = new AbortController();
    let finishedBeforeAbort = 0;
    await assert.rejects(
      runStudy(study, {
        dir: t.dir,
        data,
        workers: 2,
        htmlReport: false,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.finished) finishedBeforeAbort++;
          if (finishedBeforeAbort === 3) controller.abort();
        },
      }),
      StudyInterrupted,
    );
    const before = rows(t.dir);
    const done = before.filter((r) => r.status === 'done');
    assert.ok(done.length >= 3, `at least 3 trials finished (${done.length})`);

    // The interrupted trials went back to the queue; a crash leaves one 'running': claim one and never finish it.
    assert.equal(before.filter((r) => r.status === 'running').length, 0);
    const store = SqliteStorage.open(t.dir);
    const record = (await store.unfinishedStudies())[0];
    const claimed = await store.claim(record.id, 'crashed:1:1', 30);
    assert.ok(claimed);
    await store.close();
    const runningBefore = rows(t.dir).filter((r) => r.status === 'running').length;
    assert.equal(runningBefore, 1);

    const resumed = await runStudy(study, { dir: t.dir, data, workers: 2, htmlReport: false });
    assert.equal(resumed.interrupted, runningBefore);
    const after = rows(t.dir);
    assert.equal(new Set(after.map((r) => r.key)).size, after.length, 'each trial stored once');
    assert.ok(after.every((r) => r.status === 'done'));
    // Trials finished before the interruption were not run again: same rows, same results; the crashed one ran a second time.
    for (const d of done) assert.deepEqual(after.find((r) => r.key === d.key), d);
    assert.equal(after.find((r) => r.key === claimed.trial.key)!.attempt, claimed.trial.attempt + 1);
    assert.equal(resumed.executed, after.length - done.length);
    epochCounts(t.dir);

    // The resumed study reaches exactly what an uninterrupted one does.
    const full = await runStudy(study, { dir: ref.dir, data, workers: 1, htmlReport: false });
    const strip = (rs: Row[]) => rs.map((r) => ({ key: r.key, result: withoutTimes(r.result_json) }));
    assert.deepEqual(strip(after), strip(rows(ref.dir)));
    assert.equal(full.report.winner.key, resumed.report.winner.key);
  } finally {
    t.done();
    ref.done();
  }
});

function withoutTimes(json: string | null): unknown {
  const r = JSON.parse(json ?? 'null');
  if (r) {
    delete r.seconds;
    delete r.secondsPerEpoch;
  }
  return r;
}

test('1 and 2 workers give identical trial results (a result depends only on configuration and seed)', async () => {
  const a = tempDir();
  const b = tempDir();
  try {
    // Dropout and batch norm on: their random masks and batch statistics must not depend on the worker either.
    const base = { network: { widths: [8], activations: 'gelu', batchNorm: true, dropout: 0.3 }, train: { learningRate: 0.05, batchSize: 32, momentum: 0.9 } };
    const study = resolveStudy(tinyStudyConfig({ base, strategy: 'grid', seeds: 2, final: { enabled: false } }));
    await runStudy(study, { dir: a.dir, data, workers: 1, htmlReport: false });
    await runStudy(study, { dir: b.dir, data, workers: 2, htmlReport: false });
    const one = rows(a.dir).map((r) => ({ key: r.key, result: withoutTimes(r.result_json) }));
    const two = rows(b.dir).map((r) => ({ key: r.key, result: withoutTimes(r.result_json) }));
    assert.equal(one.length, 4 * 2);
    assert.deepEqual(two, one);
    // Grid: Table 1 pools every configuration with a value (2 configurations x 2 seeds per cell).
    const again = await runStudy(study, { dir: a.dir, data, workers: 1, htmlReport: false });
    assert.equal(again.report.table1.kind, 'marginal');
    for (const row of again.report.table1.rows) for (const cell of row.cells) assert.equal(cell.stats!.values.length, 4);
    const all = rows(a.dir).map((r) => JSON.parse(r.result_json!).metric as number);
    const cellMeans = again.report.table1.rows[0].cells.map((c) => c.stats!.metric.mean);
    // Both cells of one factor together cover every trial once: their mean is the mean of all.
    assert.ok(Math.abs((cellMeans[0] + cellMeans[1]) / 2 - all.reduce((x, y) => x + y, 0) / all.length) < 1e-12);
  } finally {
    a.done();
    b.done();
  }
});

test('a study folder written by a different config is refused, and its results are left as they were', async () => {
  const t = tempDir();
  try {
    const study = resolveStudy(tinyStudyConfig({ final: { enabled: false }, factors: [{ path: 'train.learningRate', values: [0.05] }], seeds: 1 }));
    await runStudy(study, { dir: t.dir, data, workers: 1, htmlReport: false });
    const before = rows(t.dir);
    const table = readFileSync(join(t.dir, 'table1.md'), 'utf8');
    const other = resolveStudy(tinyStudyConfig({ final: { enabled: false }, factors: [{ path: 'train.learningRate', values: [0.05] }], seeds: 2 }));
    await assert.rejects(runStudy(other, { dir: t.dir, data, workers: 1, htmlReport: false }), (e: unknown) => {
      assert.ok(e instanceof OutputError);
      assert.match(e.message, /different config .*help: pass another --out folder/);
      return true;
    });
    assert.throws(() => SqliteStorage.check(t.dir, other.name, other.hash), /different config/);
    SqliteStorage.check(t.dir, study.name, study.hash);
    assert.deepEqual(rows(t.dir), before);
    assert.equal(readFileSync(join(t.dir, 'table1.md'), 'utf8'), table);
  } finally {
    t.done();
  }
});

test('a folder holding study outputs without a database, or another SQLite file, is refused', () => {
  const t = tempDir();
  try {
    const study = resolveStudy(tinyStudyConfig());
    writeFileSync(join(t.dir, 'report.html'), '<p>someone else\'s</p>');
    assert.throws(() => SqliteStorage.open(t.dir), /holds study outputs \(report\.html\) but no study\.db/);
    assert.throws(() => SqliteStorage.check(t.dir, study.name, study.hash), /holds study outputs/);
    assert.equal(existsSync(join(t.dir, 'study.db')), false);
    const u = tempDir();
    const db = new Database(join(u.dir, 'study.db'));
    db.exec('CREATE TABLE things (x)');
    db.close();
    assert.throws(() => SqliteStorage.open(u.dir), /not an mlplab study database/);
    assert.throws(() => SqliteStorage.check(u.dir, study.name, study.hash), /not an mlplab study database/);
    u.done();
    // A folder of the first study format (tables study and trials) is another version, left as it is.
    const v = tempDir();
    const old = new Database(join(v.dir, 'study.db'));
    old.exec("CREATE TABLE study (id INTEGER PRIMARY KEY, name TEXT, config_hash TEXT, schema_version INTEGER); INSERT INTO study VALUES (1, 'tiny', 'abc', 1); CREATE TABLE trials (id INTEGER PRIMARY KEY)");
    old.close();
    for (const f of [() => SqliteStorage.open(v.dir), () => SqliteStorage.check(v.dir, study.name, study.hash)]) {
      assert.throws(f, /study\.db: was written by another mlplab version \(study schema 1, this mlplab reads 4\)\. help: pass another --out folder/);
    }
    const tables = new Database(join(v.dir, 'study.db'), { readonly: true });
    assert.deepEqual((tables.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name), ['study', 'trials']);
    tables.close();
    v.done();
  } finally {
    t.done();
  }
});

test('a diverging trial is recorded as failed, shown in Table 1, and not retried', async () => {
  const t = tempDir();
  try {
    const study = resolveStudy(
      tinyStudyConfig({ final: { enabled: false }, seeds: 1, factors: [{ path: 'train.learningRate', values: [0.05, 1e30] }] }),
    );
    const out = await runStudy(study, { dir: t.dir, data, workers: 1, htmlReport: false });
    const cell = out.report.table1.rows[0].cells[1];
    assert.equal(cell.stats!.failed, 1);
    assert.equal(cell.stats!.values.length, 0);
    assert.ok(rows(t.dir).some((r) => r.status === 'failed'));
    const again = await runStudy(study, { dir: t.dir, data, workers: 1, htmlReport: false });
    assert.equal(again.executed, 0);
  } finally {
    t.done();
  }
});

test('when every trial and the final model diverge, the study still reports, naming the failure', async () => {
  const t = tempDir();
  try {
    const cfg = tinyStudyConfig({ seeds: 1, factors: [{ path: 'train.momentum', values: [0.5, 0.9] }] });
    (cfg.base as { train: Record<string, unknown> }).train.learningRate = 1e30;
    const out = await runStudy(resolveStudy(cfg), { dir: t.dir, data, workers: 1, htmlReport: false });
    assert.equal(out.report.trials.failed, out.report.trials.total);
    assert.equal(out.report.final, null);
    assert.match(out.report.finalError!, /training diverged/);
    assert.match(readFileSync(join(t.dir, 'table1.md'), 'utf8'), /diverged/);
  } finally {
    t.done();
  }
});

test("the study's final model keeps the label values of the data, so predict writes them", async () => {
  const t = tempDir();
  try {
    const years = { ...syntheticStudyData(), classValues: [1990, 2000, 2010], classNames: ['1990', '2000', '2010'] };
    const study = resolveStudy(tinyStudyConfig({ factors: [{ path: 'train.learningRate', values: [0.05] }], seeds: 1 }));
    await runStudy(study, { dir: t.dir, data: years, workers: 1, htmlReport: false });
    const model = JSON.parse(readFileSync(join(t.dir, 'final', 'model.json'), 'utf8'));
    assert.deepEqual(model.extras.classValues, [1990, 2000, 2010]);
    assert.deepEqual(model.extras.classNames, ['1990', '2000', '2010']);
  } finally {
    t.done();
  }
});

test('a study scored by validation balanced accuracy or macro F1: a trial keeps what its model scores on the validation part; pruning needs a stored metric', async () => {
  const run = resolveRun({ network: { widths: [6], batchNorm: false }, train: { epochs: 4, learningRate: 0.05, earlyStopping: false } });
  const trial = { train: data.train, val: data.val, classes: data.classes };
  const ba = await runTrial(trial, run, 3, 'valBalancedAccuracy');
  const f1 = await runTrial(trial, run, 3, 'valMacroF1');
  const { model } = await trainRun(trial, run, { seed: 3 });
  const ev = evaluate(model, data.val);
  model.dispose();
  assert.ok(ba.ok && f1.ok);
  assert.equal(ba.result.metric, ev.report.balancedAccuracy);
  assert.equal(f1.result.metric, ev.report.macro.f1);
  assert.equal(ba.result.valAccuracy, ev.accuracy);
  // A whole study by balanced accuracy: every trial scored, Table 1 in percent.
  const study = resolveStudy(tinyStudyConfig({ metric: 'valBalancedAccuracy', factors: [{ path: 'train.learningRate', values: [0.01, 0.05] }] }));
  const t = tempDir();
  try {
    await runStudy(study, { dir: t.dir, data, workers: 1, htmlReport: false });
    for (const r of rows(t.dir)) {
      const m = (JSON.parse(r.result_json!) as { metric: number }).metric;
      assert.ok(m > 0 && m <= 1, String(m));
    }
    assert.match(readFileSync(join(t.dir, 'table1.md'), 'utf8'), /validation balanced accuracy \(%\)/);
  } finally {
    t.done();
  }
  assert.throws(
    () => resolveStudy(tinyStudyConfig({ metric: 'valMacroF1', epochs: 10, strategy: { type: 'random', trials: 4 }, pruner: { type: 'median' } })),
    (e: unknown) => e instanceof Error && /pruner: got "median", expected 'none' with metric valMacroF1/.test(e.message),
  );
});

test('a cross-validated study: each trial is the mean of its folds, the same as training the folds by hand; 1 and 2 workers agree', async () => {
  const cfg = tinyStudyConfig({ cv: 3, factors: [{ path: 'train.learningRate', values: [0.01, 0.05] }] });
  const study = resolveStudy(cfg);
  assert.equal(study.cv, 3);
  const a = tempDir();
  const b = tempDir();
  try {
    await runStudy(study, { dir: a.dir, data, workers: 1, htmlReport: false });
    await runStudy(study, { dir: b.dir, data, workers: 2, htmlReport: false });
    const ra = rows(a.dir), rb = rows(b.dir);
    const scores = (rs: Row[]) => rs.map((r) => {
      const { metric, valAccuracy, valLoss, bestEpoch } = JSON.parse(r.result_json!) as Record<string, number>;
      return [r.key, metric, valAccuracy, valLoss, bestEpoch];
    });
    assert.deepEqual(scores(ra), scores(rb));
    // By hand: the base configuration, seed of the first trial, over the same three folds.
    const folds = trialFolds({ train: data.train, val: data.val, classes: data.classes }, 3, study.data.seed);
    assert.deepEqual(folds.map((f) => f.train.rows + f.val.rows), [data.train.rows + data.val.rows, data.train.rows + data.val.rows, data.train.rows + data.val.rows]);
    const seed = studySeeds(study)[0];
    const byHand: number[] = [];
    for (const f of folds) {
      const { model } = await trainRun(f, study.base, { seed });
      byHand.push(evaluate(model, f.val).accuracy);
      model.dispose();
    }
    const base = ra.find((r) => r.key === trialKey(configKey(study.base), seed))!;
    const stored = JSON.parse(base.result_json!) as { metric: number };
    assert.ok(Math.abs(stored.metric - byHand.reduce((x, y) => x + y, 0) / 3) < 1e-12, `${stored.metric} vs ${byHand}`);
  } finally {
    a.done();
    b.done();
  }
  assert.throws(() => resolveStudy(tinyStudyConfig({ cv: 1 })), (e: unknown) => e instanceof Error && /cv: got 1, expected a whole number of folds from 2 to 20/.test(e.message));
  assert.throws(() => resolveStudy(tinyStudyConfig({ cv: 3, epochs: 10, strategy: { type: 'random', trials: 4 }, pruner: { type: 'median' } })), (e: unknown) => e instanceof Error && /'none' with cv/.test(e.message));
});

test("a study's data may be a CSV table read with train's options: its label column by name, its text columns encoded", async () => {
  const study = resolveStudy(tinyStudyConfig({ data: { source: 'examples/data/penguins-train.csv', labelColumn: 'species', valFraction: 0.2 }, base: 'study-final' }));
  const d = await loadStudyData(study, ROOT);
  assert.deepEqual(d.classNames, ['Adelie', 'Chinstrap', 'Gentoo']);
  assert.equal(d.table?.meta.label, 'species');
  assert.equal(d.train.cols, 15);
  assert.throws(() => resolveStudy(tinyStudyConfig({ data: { source: 'x.csv', labelColumn: 1.5 } })), (e: unknown) => e instanceof Error && /data\.labelColumn/.test(e.message));
});
