/**
 * Regression studies: a table whose label column is a number (y = 3 x1 - 2 x2 + noise) studied
 * by validation R² (the default for a regression), RMSE or MAE; the direction of each in the
 * analysis, the trials' scores against the models trained by hand, 1 against 2 workers, the
 * folds of a cross-validated trial, pruning by the validation loss, the reports' wording, and
 * a metric or training option of the other task refused in one line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ConfigError, OutputError, StorageError } from '../../src/errors.js';
import { SqliteStorage } from '../../src/tune/storage/sqlite.js';
import { DashboardApi } from '../../src/tune/dashboard/api.js';
import { openFolder } from '../../src/tune/dashboard/source.js';
import type { Prepared } from '../../src/data/prepare.js';
import { loadFeatures } from '../../src/data/files.js';
import { loadPredictor } from '../../src/run/predictor.js';
import { trainRun } from '../../src/run/train.js';
import { Rng } from '../../src/tensor/rng.js';
import { bestConfig, buildTable1, configStats, direction, fmtGain, fmtMetric, fmtUnits, rankConfigs, type TrialOutcomeRecord } from '../../src/tune/analysis/table1.js';
import { runFoldedTrial, runTrial, trialFolds } from '../../src/tune/exec/trial.js';
import { trialFromRow, type TrialRow } from '../../src/tune/storage/rows.js';
import { canonicalRun, configKey, resolveStudy, type ResolvedStudy } from '../../src/tune/study/config.js';
import { loadStudyData } from '../../src/tune/study/data.js';
import { dataFingerprint } from '../../src/tune/study/fingerprint.js';
import { checkPlan } from '../../src/tune/study/plan.js';
import { configuration, expandStrategy, studySeeds } from '../../src/tune/study/strategies.js';
import { runStudy, trialKey } from '../../src/tune/study/study.js';
import { metricPending, possibleHashes, studyForData, studyForTask } from '../../src/tune/study/task.js';
import { resolveRun } from '../../src/run/spec.js';
import { syntheticStudyData, tempDir } from './helpers.js';

/** y = 3 x1 - 2 x2 + 0.5 e over standard normal x1, x2, x3 (x3 is noise): `rows` lines of CSV with a header. */
function linearCsv(rows: number, seed: number): string {
  const rng = new Rng(seed);
  const lines = ['x1,x2,x3,y'];
  for (let r = 0; r < rows; r++) {
    const [x1, x2, x3] = [rng.normal(), rng.normal(), rng.normal()];
    const y = 3 * x1 - 2 * x2 + 0.5 * rng.normal();
    lines.push([x1, x2, x3, y].map((v) => v.toFixed(5)).join(','));
  }
  return lines.join('\n') + '\n';
}

/** A folder with train.csv (240 rows) and test.csv (60 rows) of the linear table; 300 rows in all. */
function linearFolder(): { dir: string; done: () => void } {
  const t = tempDir();
  writeFileSync(join(t.dir, 'train.csv'), linearCsv(240, 11));
  writeFileSync(join(t.dir, 'test.csv'), linearCsv(60, 12));
  return t;
}

/** A small study of the table: the source relative to the study file's folder (both files looked up there). */
function linearStudy(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'linear',
    data: { source: 'train.csv,test.csv', scale: 'standard', valFraction: 0.25 },
    base: { network: { widths: [8], activations: 'relu', batchNorm: false, dropout: 0 }, train: { optimizer: 'adam', learningRate: 0.01, batchSize: 32, weightDecay: 0 } },
    factors: [{ name: 'widths', path: 'network.widths', values: [[1], [8], [16, 8]] }],
    strategy: 'grid',
    seeds: 2,
    epochs: 15,
    ...over,
  };
}

interface Row {
  id: number;
  key: string;
  status: string;
  result_json: string | null;
}

function rows(dir: string): Row[] {
  const db = new Database(join(dir, 'study.db'), { readonly: true });
  try {
    return db.prepare("SELECT id, key, status, result_json FROM mlplab_trials WHERE phase <> 'final' ORDER BY key").all() as Row[];
  } finally {
    db.close();
  }
}

/** Stored results without their timings (which differ from run to run). */
const results = (rs: Row[]) =>
  rs.map((r) => {
    const x = JSON.parse(r.result_json ?? 'null') as Record<string, unknown> | null;
    if (x) {
      delete x.seconds;
      delete x.secondsPerEpoch;
    }
    return [r.key, r.status, x];
  });

/** R², RMSE and MAE worked out here, in float64, from predictions and targets. */
function byHand(predicted: ArrayLike<number>, actual: ArrayLike<number>): { r2: number; rmse: number; mae: number } {
  const n = actual.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += actual[i] / n;
  let ssRes = 0, ssTot = 0, abs = 0;
  for (let i = 0; i < n; i++) {
    ssRes += (actual[i] - predicted[i]) ** 2;
    ssTot += (actual[i] - mean) ** 2;
    abs += Math.abs(actual[i] - predicted[i]);
  }
  return { r2: 1 - ssRes / ssTot, rmse: Math.sqrt(ssRes / n), mae: abs / n };
}

const close = (a: number, b: number, what: string, tol = 1e-9) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

async function load(dir: string, over: Record<string, unknown> = {}): Promise<{ study: ResolvedStudy; data: Prepared }> {
  const study = resolveStudy(linearStudy(over), 'linear.json');
  return { study, data: await loadStudyData(study, dir) };
}

test('a grid study of a regression table by R² (the default): the best configuration has the highest R², each trial scores its model as worked out by hand, and 1 and 2 workers store the same results', async () => {
  const t = linearFolder();
  const a = tempDir();
  const b = tempDir();
  try {
    const { study: given, data } = await load(t.dir);
    assert.equal(data.task, 'regress');
    assert.equal(data.test?.rows, 60);
    // No metric in the file: accuracy until the data is known, then R² (and the stored config names it).
    assert.ok(metricPending(given));
    const study = studyForData(given, data);
    assert.equal(study.metric, 'valR2');
    assert.equal(study.input.metric, 'valR2');
    assert.equal(study.hash, resolveStudy(linearStudy({ metric: 'valR2' })).hash, 'the same identity as a file naming R²');
    assert.equal(direction('valR2'), 1);

    const one = await runStudy(given, { dir: a.dir, data, workers: 1, htmlReport: true });
    const two = await runStudy(given, { dir: b.dir, data, workers: 2, htmlReport: false });
    assert.equal(one.report.metric, 'valR2');
    assert.equal(two.report.winner.key, one.report.winner.key);
    assert.deepEqual(results(rows(b.dir)), results(rows(a.dir)), '1 and 2 workers: the same results, trial by trial');
    assert.equal(readFileSync(join(a.dir, 'final', 'model.json'), 'utf8'), readFileSync(join(b.dir, 'final', 'model.json'), 'utf8'));

    // Every trial keeps R², RMSE and MAE at its kept epoch; on the same validation rows R² = 1 - RMSE² / their variance.
    const val = data.val.targets!;
    const mean = val.reduce((s, v) => s + v, 0) / val.length;
    const variance = val.reduce((s, v) => s + (v - mean) ** 2, 0) / val.length;
    const stored = rows(a.dir);
    assert.equal(stored.length, 6);
    for (const r of stored) {
      const x = JSON.parse(r.result_json!) as { metric: number; valR2: number; valRmse: number; valMae: number; valAccuracy: number | null };
      assert.equal(x.metric, x.valR2);
      assert.equal(x.valAccuracy, null, 'no accuracy for a regression (NaN, stored as null)');
      close(x.valR2, 1 - x.valRmse ** 2 / variance, `${r.key}: R² against RMSE`, 1e-7);
    }

    // One trial by hand: the configuration trained on the same rows with the same seed, scored here.
    const seed = studySeeds(study)[1];
    const wide = configuration(study, [2]);
    const { model } = await trainRun({ train: data.train, val: data.val, classes: data.classes }, wide.run, { seed });
    const mine = byHand(model.predictValues(data.val.features, data.val.rows), val);
    model.dispose();
    const trial = JSON.parse(stored.find((r) => r.key === trialKey(wide.key, seed))!.result_json!) as { valR2: number; valRmse: number; valMae: number };
    close(trial.valR2, mine.r2, 'R²');
    close(trial.valRmse, mine.rmse, 'RMSE');
    close(trial.valMae, mine.mae, 'MAE');
    assert.ok(mine.r2 > 0.8, `the table is learnable: R² ${mine.r2}`);

    // The winner has the highest mean R²; the ranking is highest first.
    const r = one.report;
    const means = expandStrategy(study).map((c) => {
      const vs = stored.filter((x) => x.key.startsWith(`${c.key}/`)).map((x) => (JSON.parse(x.result_json!) as { metric: number }).metric);
      return { key: c.key, mean: vs.reduce((s, v) => s + v, 0) / vs.length };
    });
    const top = means.reduce((m, x) => (x.mean > m.mean ? x : m));
    assert.equal(r.winner.key, top.key);
    assert.equal(r.ranking[0].stats.key, top.key);
    for (let i = 1; i < r.ranking.length; i++) assert.ok(r.ranking[i - 1].stats.metric.mean >= r.ranking[i].stats.metric.mean);
    assert.notEqual(top.key, configuration(study, [0]).key, 'one hidden unit is not the best');

    // The final model is a regression tested once; the reports speak of R², RMSE and MAE, not accuracy.
    assert.equal(r.data.task, 'regress');
    assert.equal(r.data.target, 'y');
    assert.ok(r.final?.regression?.test, 'the final model was tested');
    assert.equal(r.final.regression.test.rows, 60);
    const md = readFileSync(join(a.dir, 'table1.md'), 'utf8');
    assert.match(md, /^validation R², marginal over every configuration/m);
    assert.match(md, /\| widths \| `\[1\]` (0\.\d{4}|-?\d+\.\d{4}) ± \d\.\d{4} · /);
    assert.match(md, /^Test R² 0\.\d{4}, RMSE \d+(\.\d+)? and MAE \d+(\.\d+)? in the units of y \(60 test rows, evaluated once\)\.$/m);
    const html = readFileSync(join(a.dir, 'report.html'), 'utf8');
    for (const part of ['Table 1: validation R² by factor', 'Final test R²', 'Value vs validation R²', 'a regression of <bdi>y</bdi>']) assert.ok(html.includes(part), part);
    for (const text of [md, html]) assert.ok(!/accuracy/i.test(text), 'no accuracy in a regression study');
    const factors = /<section id="factors">[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';
    assert.ok(factors.includes('validation R²') && !factors.includes('%</text>'), 'the factor plot: R² as plain numbers, no percent on its axis');
    const summary = JSON.parse(readFileSync(join(a.dir, 'study.json'), 'utf8')) as { final: { regression: { test: Record<string, unknown> } } };
    assert.equal(summary.final.regression.test.predictions, undefined, 'the predictions stay in final/, not study.json');

    // The dashboard over the folder: R² as a plain number, the final model's test R², the trials' curves by their loss.
    const source = openFolder(a.dir);
    try {
      const api = new DashboardApi(source, 0);
      const detail = (await api.study('linear'))!;
      assert.equal(detail.summary.metricName, 'validation R²');
      assert.equal(detail.summary.best, Math.max(...stored.map((x) => (JSON.parse(x.result_json!) as { metric: number }).metric)));
      assert.match(detail.summary.bestText, /^0\.\d{4}$/);
      assert.equal(detail.final?.score, 'r2');
      assert.equal(detail.final?.value, r.final.regression.test.r2);
      assert.match(detail.final!.detail, /^RMSE \d+\.\d+, MAE \d+\.\d+ \(y\)$/);
      assert.ok(detail.trials.every((x) => x.phase === 'final' || /^-?\d\.\d{4}$/.test(x.metricText)));
      const curve = (await api.trialEpochs('linear', detail.trials[0].id))!;
      assert.equal(curve.metric, 'valLoss');
      assert.equal(curve.epochs.length, 15);
      assert.ok(curve.epochs.every((e) => Number.isFinite(e.value) && e.value === e.valLoss));
    } finally {
      await source.close();
    }

    // Run again with the same file (no metric): before the data is loaded the folder's study is known to be this file's (as R²), then found; nothing trains.
    assert.doesNotThrow(() => SqliteStorage.check(a.dir, 'linear', possibleHashes(given)));
    assert.throws(() => SqliteStorage.check(a.dir, 'linear', given.hash), OutputError, 'the study judged by accuracy would be another config');
    assert.throws(() => SqliteStorage.check(a.dir, 'linear', possibleHashes(resolveStudy(linearStudy({ seeds: 3 })))), OutputError);
    const again = await runStudy(given, { dir: a.dir, data, workers: 1, htmlReport: false });
    assert.equal(again.executed, 0);
  } finally {
    t.done();
    a.done();
    b.done();
  }
});

test('a regression study by RMSE or MAE minimises it: the lowest mean wins, the ranking is lowest first, Table 1 in the target units', async () => {
  const t = linearFolder();
  const a = tempDir();
  try {
    const { study, data } = await load(t.dir, { metric: 'valRmse', seeds: 1 });
    assert.equal(direction('valRmse'), -1);
    assert.equal(direction('valMae'), -1);
    const out = await runStudy(study, { dir: a.dir, data, workers: 1, htmlReport: false });
    const stored = rows(a.dir).map((r) => ({ key: r.key, ...(JSON.parse(r.result_json!) as { metric: number; valRmse: number }) }));
    for (const x of stored) assert.equal(x.metric, x.valRmse);
    const lowest = stored.reduce((m, x) => (x.metric < m.metric ? x : m));
    assert.equal(`${out.report.winner.key}/s${studySeeds(study)[0]}`, lowest.key);
    assert.deepEqual(out.report.ranking.map((x) => x.stats.metric.mean), [...stored.map((x) => x.metric)].sort((p, q) => p - q));
    assert.match(readFileSync(join(a.dir, 'table1.md'), 'utf8'), /^validation RMSE \(in the units of y\), marginal/m);
  } finally {
    t.done();
    a.done();
  }
});

test('RMSE and MAE are written in the target\'s units to 5 significant digits, R² with 4 decimals, never in percent', () => {
  assert.deepEqual([299.6, 5.86384, 25013.4, 0.0123456, 0, -2.5].map((x) => fmtUnits(x)), ['299.60', '5.8638', '25013', '0.012346', '0.0000', '-2.5000']);
  assert.equal(fmtMetric(299.6, 'valRmse'), '299.60');
  assert.equal(fmtMetric(0.91234, 'valR2'), '0.9123');
  assert.equal(fmtMetric(-0.5, 'valR2'), '-0.5000');
  assert.equal(fmtGain(12.5, 'valMae'), '12.50');
  assert.equal(fmtGain(0.0123, 'valR2'), '0.0123');
});

test('Table 1, the best configuration and the ranking follow each metric\'s direction; Welch compares the regression metric', () => {
  const cfg = (metric: string) => linearStudy({ metric, strategy: 'one-at-a-time', seeds: 3, factors: [{ name: 'widths', path: 'network.widths', values: [[8], [16]] }] });
  // The same stored values read as R² (higher is better) and as RMSE (lower is better).
  const values: Record<string, number[]> = { base: [0.80, 0.81, 0.82], 'widths=[16]': [0.90, 0.91, 0.92] };
  for (const [metric, better] of [['valR2', 'better'], ['valRmse', 'worse'], ['valMae', 'worse']] as const) {
    const study = resolveStudy(cfg(metric));
    const configs = expandStrategy(study);
    const trials: TrialOutcomeRecord[] = configs.flatMap((c) => values[c.label].map((v, seed) => ({ configKey: c.key, seed, status: 'done' as const, result: { metric: v, valAccuracy: NaN, valLoss: 1, bestEpoch: 3, epochs: 3, stoppedEarly: false, seconds: 1, secondsPerEpoch: 1 / 3 } })));
    const stats = configStats(configs, trials);
    const table = buildTable1(study, configs, stats);
    const cell = table.rows[0].cells.find((c) => c.value === '[16]')!;
    // Welch's t of (0.90, 0.91, 0.92) against (0.80, 0.81, 0.82): scipy.stats.ttest_ind(equal_var=False) gives t = 12.2474, 4 degrees of freedom, p = 0.000255217.
    close(cell.vsBase!.t, 12.2474487, `${metric}: t`, 1e-6);
    close(cell.vsBase!.p, 0.000255217, `${metric}: p`, 1e-8);
    assert.equal(cell.verdict, better, metric);
    const best = bestConfig(study, stats.values())!;
    assert.equal(best.label, better === 'better' ? 'widths=[16]' : 'base', metric);
    assert.equal(rankConfigs(study, stats.values())[0].stats.label, best.label);
  }
});

test('a cross-validated regression trial: its folds hold the pooled rows and their targets, its R² the mean of the folds\' as worked out by hand', async () => {
  const t = linearFolder();
  try {
    const { study, data } = await load(t.dir, { cv: 3, metric: 'valR2' });
    const trial = { train: data.train, val: data.val, classes: data.classes };
    const folds = trialFolds(trial, 3, study.data.seed);
    const pooled = [...data.train.targets!, ...data.val.targets!].sort((p, q) => p - q);
    assert.deepEqual(folds.flatMap((f) => [...f.val.targets!]).sort((p, q) => p - q), pooled, 'every row in one fold, with its target');
    const run = resolveRun({ network: { widths: [8], batchNorm: false }, train: { optimizer: 'adam', learningRate: 0.01, epochs: 6 } });
    const out = await runFoldedTrial(folds, run, 4, 'valR2');
    assert.ok(out.ok);
    const scores = [];
    for (const f of folds) {
      const { model } = await trainRun(f, run, { seed: 4 });
      scores.push(byHand(model.predictValues(f.val.features, f.val.rows), f.val.targets!));
      model.dispose();
    }
    close(out.result.metric, scores.reduce((s, x) => s + x.r2, 0) / 3, 'mean R²');
    close(out.result.valRmse!, scores.reduce((s, x) => s + x.rmse, 0) / 3, 'mean RMSE');
    close(out.result.valMae!, scores.reduce((s, x) => s + x.mae, 0) / 3, 'mean MAE');
    assert.equal(out.history.length, 6);
    assert.ok(out.history.every((e) => Number.isFinite(e.valR2) && Number.isNaN(e.valAccuracy)));
  } finally {
    t.done();
  }
});

test('a regression search pruned by the validation loss: the stored epochs keep the loss the pruner reads, and poor trials are stopped', async () => {
  const t = linearFolder();
  const a = tempDir();
  try {
    const { study, data } = await load(t.dir, {
      metric: 'valLoss',
      factors: undefined,
      seeds: 1,
      epochs: 12,
      space: [{ path: 'train.learningRate', low: 1e-5, high: 0.03, log: true }],
      strategy: { type: 'random', trials: 10, seed: 3 },
      pruner: { type: 'median', warmupEpochs: 2, startupTrials: 2 },
      parallelTrials: 1,
      final: { enabled: false },
    });
    const out = await runStudy(study, { dir: a.dir, data, workers: 1, htmlReport: false });
    const stored = rows(a.dir);
    assert.ok(stored.some((r) => r.status === 'pruned'), 'some trial was pruned');
    assert.ok(stored.some((r) => r.status === 'done'));
    const db = new Database(join(a.dir, 'study.db'), { readonly: true });
    const epochs = db.prepare('SELECT val_loss, val_accuracy, train_accuracy FROM mlplab_epochs').all() as { val_loss: number | null; val_accuracy: number | null; train_accuracy: number | null }[];
    db.close();
    assert.ok(epochs.length > 0 && epochs.every((e) => e.val_loss !== null && e.val_accuracy === null && e.train_accuracy === null));
    // The best trial by the loss is the lowest.
    const finished = stored.filter((r) => r.status === 'done').map((r) => (JSON.parse(r.result_json!) as { metric: number }).metric);
    assert.equal(out.report.ranking[0].stats.metric.mean, Math.min(...finished));
  } finally {
    t.done();
    a.done();
  }
  // Pruning by R², RMSE or MAE is refused: the stored epochs do not keep them.
  for (const metric of ['valR2', 'valRmse', 'valMae']) {
    assert.throws(() => resolveStudy(linearStudy({ metric, strategy: { type: 'random', trials: 4 }, pruner: { type: 'median' } })), (e: unknown) => e instanceof ConfigError && e.field === 'pruner' && e.message.includes(`'none' with metric ${metric}`));
  }
});

/** The one-line message `f` throws, which must be a ConfigError naming `field`. */
function refusal(f: () => unknown, field: string, pattern: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof ConfigError, String(e));
    assert.equal(e.field, field);
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes('\n'), 'one line');
    return true;
  });
}

test('a classification metric or option given to a regression study, and a regression metric given to classes, are refused in one line each', async () => {
  const t = linearFolder();
  try {
    const { data } = await load(t.dir);
    const regress = (over: Record<string, unknown>) => () => studyForData(resolveStudy(linearStudy(over), 'linear.json'), data);
    const ofY = /: the data is a regression of "y"/;
    refusal(regress({ metric: 'valAccuracy' }), 'linear.json: metric', /got "valAccuracy", expected 'valR2', 'valRmse', 'valMae' or 'valLoss': the data is a regression of "y", and valAccuracy counts classes$/);
    refusal(regress({ metric: 'valBalancedAccuracy' }), 'linear.json: metric', /got "valBalancedAccuracy"/);
    refusal(regress({ metric: 'valMacroF1' }), 'linear.json: metric', /got "valMacroF1"/);
    refusal(regress({ base: { network: { widths: [8] }, train: { classWeight: 'balanced' } } }), 'linear.json: base.train.classWeight', /got "balanced", expected 'none' \(class weights weigh classes\): the data is a regression of "y"$/);
    refusal(regress({ base: { network: { widths: [8] }, train: { labelSmoothing: 0.1 } } }), 'linear.json: base.train.labelSmoothing', ofY);
    refusal(regress({ earlyStopping: { monitor: 'valAccuracy' } }), 'linear.json: earlyStopping.monitor', ofY);
    refusal(regress({ factors: [{ path: 'train.labelSmoothing', values: [0, 0.1] }] }), 'linear.json: factors[0].values[1]', /got 0\.1, expected 0 \(label smoothing softens class labels\) for train\.labelSmoothing: the data is a regression of "y"$/);
    refusal(regress({ factors: undefined, seeds: 1, space: [{ path: 'train.labelSmoothing', low: 0, high: 0.2 }], strategy: { type: 'random', trials: 2 } }), 'linear.json: space[0].high', ofY);
    refusal(regress({ final: { earlyStopping: { monitor: 'valAccuracy', patience: 2 } } }), 'linear.json: final.earlyStopping.monitor', ofY);
    // A regression without a metric, with a pruner: R² would be the metric, and it is not stored per epoch.
    refusal(regress({ factors: undefined, seeds: 1, space: [{ path: 'train.learningRate', low: 0.001, high: 0.1 }], strategy: { type: 'random', trials: 4 }, pruner: { type: 'median' } }), 'linear.json: pruner', /'none' with metric valR2 \(the default for a regression; set "metric": "valLoss"/);
    // The file may say the task: then the metric is refused before any data is loaded.
    refusal(() => studyForTask(resolveStudy(linearStudy({ data: { source: 'train.csv', task: 'regress' }, metric: 'valAccuracy' }), 'linear.json'), 'regress'), 'linear.json: metric', /the data is a regression \(data\.task\)/);

    // Classes given a regression metric or loss.
    const blobs = syntheticStudyData();
    const classify = (over: Record<string, unknown>) => () => studyForData(resolveStudy(linearStudy(over), 'blobs.json'), blobs);
    refusal(classify({ metric: 'valR2' }), 'blobs.json: metric', /got "valR2", expected 'valAccuracy', 'valBalancedAccuracy', 'valMacroF1' or 'valLoss': the data's labels are 3 classes, and valR2 scores a regression/);
    refusal(classify({ metric: 'valRmse' }), 'blobs.json: metric', /got "valRmse"/);
    refusal(classify({ base: { network: { widths: [8] }, train: { loss: 'huber' } } }), 'blobs.json: base.train.loss', /got "huber", expected 'auto'.*: the data's labels are 3 classes$/);
    refusal(classify({ factors: [{ path: 'train.loss', values: ['auto', 'mse'] }] }), 'blobs.json: factors[0].values[1]', /got "mse"/);
    // What each task takes passes.
    assert.equal(studyForData(resolveStudy(linearStudy({})), blobs).metric, 'valAccuracy');
    assert.equal(studyForData(resolveStudy(linearStudy({ metric: 'valMae' })), data).metric, 'valMae');
    assert.equal(studyForData(resolveStudy(linearStudy({ metric: 'valLoss', base: { network: { widths: [8] }, train: { loss: 'huber' } } })), data).metric, 'valLoss');
  } finally {
    t.done();
  }
});

test('a study file that says data.task "regress" is judged by R² from the start; loss "auto" keeps the identity of earlier studies', () => {
  const s = resolveStudy(linearStudy({ data: { source: 'train.csv', task: 'regress' } }));
  assert.equal(s.metric, 'valR2');
  assert.ok(!metricPending(s));
  assert.equal(studyForTask(s, 'regress'), s, 'nothing left to settle');
  // Runs with the default loss hash as before the loss was an option; a chosen loss is part of the run.
  const run = (train: Record<string, unknown>) => resolveRun({ network: { widths: [8] }, train });
  assert.ok(!('loss' in ((canonicalRun(run({})) as { train: object }).train)));
  assert.equal((canonicalRun(run({ loss: 'mae' })) as { train: { loss: string } }).train.loss, 'mae');
  assert.notEqual(configKey(run({ loss: 'mae' })), configKey(run({})));
});

test('a regression network is checked with one output; its stored results are read field by field; its data fingerprint covers the targets', async () => {
  const t = linearFolder();
  try {
    const { study, data } = await load(t.dir);
    assert.doesNotThrow(() => checkPlan(study, data.train.cols, data.classes, 'regress'));
    assert.throws(() => checkPlan(study, data.train.cols, data.classes), /classes/, 'a classifier of one class cannot be built: the task matters');

    const row = (result: unknown): TrialRow => ({ id: 1, key: 'k/s0', position: 0, config_key: 'k', seed: 0, phase: 'search', label: 'base', levels_json: '[]', params_json: null, epochs: 3, status: 'done', attempt: 1, worker: null, progress_epoch: 3, result_json: JSON.stringify(result), error: null, finished_at: null });
    const good = { metric: 0.9, valAccuracy: null, valLoss: 0.1, bestEpoch: 3, epochs: 3, stoppedEarly: false, seconds: 1, secondsPerEpoch: 0.3, valR2: 0.9, valRmse: 1.2, valMae: 0.8 };
    const read = trialFromRow(row(good)).result!;
    assert.equal(read.valRmse, 1.2);
    assert.ok(Number.isNaN(read.valAccuracy));
    assert.throws(() => trialFromRow(row({ ...good, valR2: 'high' })), (e: unknown) => e instanceof StorageError && /trial k\/s0: result_json\.valR2: got "high", expected a number \(null for one that was not finite\); the row is damaged$/.test(e.message));

    const f = dataFingerprint(data);
    assert.equal(f.task, 'regress');
    assert.equal(f.classes, 1);
    const shifted = { ...data, val: { ...data.val, targets: data.val.targets!.map((v, i) => (i === 0 ? v + 1 : v)) } };
    assert.notEqual(dataFingerprint(shifted).hash, f.hash, 'another target is other data');
    assert.equal(dataFingerprint(syntheticStudyData()).task, undefined);
  } finally {
    t.done();
  }
});

test('a single regression trial reads its metric off the kept epoch: the best one under early stopping with restoreBest', async () => {
  const t = linearFolder();
  try {
    const { data } = await load(t.dir);
    const run = resolveRun({ network: { widths: [8], batchNorm: false }, train: { optimizer: 'adam', learningRate: 0.05, epochs: 12, earlyStopping: { monitor: 'valLoss', patience: 3, restoreBest: true } } });
    const out = await runTrial({ train: data.train, val: data.val, classes: data.classes }, run, 2, 'valMae');
    assert.ok(out.ok);
    const kept = out.history[out.result.bestEpoch - 1];
    const lowest = out.history.reduce((m, e) => (e.valLoss < m.valLoss ? e : m));
    assert.equal(kept.epoch, lowest.epoch, 'the kept epoch is the one of the lowest validation loss');
    assert.equal(out.result.metric, kept.valMae);
    assert.equal(out.result.valR2, kept.valR2);
  } finally {
    t.done();
  }
});

test("a regression study's final/predictions.csv holds every test row, beyond the report's 2,000, each the stored model's prediction", async () => {
  const t = tempDir();
  const a = tempDir();
  try {
    writeFileSync(join(t.dir, 'train.csv'), linearCsv(240, 21));
    const testCsv = linearCsv(2400, 22);
    writeFileSync(join(t.dir, 'test.csv'), testCsv);
    // The test rows without their label, as a user gives them to `mlplab predict`.
    writeFileSync(join(t.dir, 'inputs.csv'), testCsv.trim().split('\n').map((l) => l.split(',').slice(0, 3).join(',')).join('\n') + '\n');
    const over = { factors: [{ name: 'widths', path: 'network.widths', values: [[4]] }], seeds: 1, epochs: 3 };
    const { study, data } = await load(t.dir, over);
    const out = await runStudy(study, { dir: a.dir, data, workers: 1, htmlReport: false });
    assert.equal(out.report.final?.regression?.test?.predictions.length, 2000, 'the report keeps 2,000 rows for its figures');
    const lines = readFileSync(join(a.dir, 'final', 'predictions.csv'), 'utf8').trim().split('\n');
    assert.equal(lines[0], 'index,actual,predicted,residual');
    assert.equal(lines.length, 2401);
    // Independently: the final model file predicting the raw test rows, as `mlplab predict` would.
    const m = await loadPredictor(readFileSync(join(a.dir, 'final', 'model.json'), 'utf8'));
    try {
      const predicted = m.predictValues(await loadFeatures(join(t.dir, 'inputs.csv')));
      const rowsRead = lines.slice(1).map((l) => l.split(',').map(Number));
      assert.deepEqual(rowsRead.map((r) => r[0]), Array.from({ length: 2400 }, (_, i) => i));
      assert.deepEqual(rowsRead.map((r) => r[2]), Array.from(predicted));
      const scores = byHand(predicted, rowsRead.map((r) => r[1]));
      assert.ok(Math.abs(scores.r2 - out.report.final!.regression!.test!.r2) < 1e-9, 'the scores of every row are the report\'s');
    } finally {
      m.dispose();
    }
  } finally {
    t.done();
    a.done();
  }
});
