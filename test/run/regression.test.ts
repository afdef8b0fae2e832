import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Dataset } from '../../src/data/dataset.js';
import { chooseTask, mapTargets, targetBins, targetMoments } from '../../src/data/labels.js';
import { prepare } from '../../src/data/prepare.js';
import { fromRecords, type Records } from '../../src/data/table/records.js';
import { ConfigError, DataError } from '../../src/errors.js';
import { regressionScores } from '../../src/metrics/regression.js';
import { regressionLoss } from '../../src/nn/loss.js';
import { Sequential } from '../../src/nn/model.js';
import { runExperiment, runMetrics } from '../../src/run/experiment.js';
import { writeRunFolder } from '../../src/run/folder.js';
import { MAX_REGRESSION_POINTS } from '../../src/report/run-report.js';
import { loadPredictor } from '../../src/run/predictor.js';
import { evaluateRegression } from '../../src/run/train.js';
import { getBackend } from '../../src/tensor/index.js';
import { fit } from '../../src/train/fit.js';
import { lcg, sameBits } from '../helpers.js';

// Recorded from scikit-learn by test/fixtures/regression/make_scores.py.
const scores = JSON.parse(readFileSync(new URL('../../../test/fixtures/regression/scores.json', import.meta.url), 'utf8')) as {
  cases: { name: string; actual: number[]; predicted: number[]; r2: number; rmse: number; mae: number }[];
};

test("R², RMSE and MAE equal scikit-learn's on the same predictions (a constant target included)", () => {
  for (const c of scores.cases) {
    const s = regressionScores(c.actual, c.predicted);
    for (const k of ['r2', 'rmse', 'mae'] as const) {
      assert.ok(Math.abs(s[k] - c[k]) <= 1e-12 * Math.max(1, Math.abs(c[k])), `${c.name}: ${k} ${s[k]} vs scikit-learn ${c[k]}`);
    }
  }
});

test('regression losses: values worked by hand, gradients against central differences', () => {
  const backend = getBackend();
  const z = backend.alloc(4, 1), y = backend.alloc(4, 1), g = backend.alloc(4, 1);
  z.data.set([0.5, -1, 3, 0.25]);
  y.data.set([0, 1, 0.5, 0.25]);
  // Differences 0.5, -2, 2.5, 0.
  assert.ok(Math.abs(regressionLoss(z, y, g, 'mse') - (0.25 + 4 + 6.25 + 0) / 4) < 1e-12);
  assert.ok(Math.abs(regressionLoss(z, y, g, 'mae') - (0.5 + 2 + 2.5 + 0) / 4) < 1e-12);
  assert.ok(Math.abs(regressionLoss(z, y, g, 'huber') - (0.125 + 1.5 + 2 + 0) / 4) < 1e-12);
  for (const kind of ['mse', 'huber', 'mae'] as const) {
    regressionLoss(z, y, g, kind);
    const grad = Array.from(g.data);
    for (let r = 0; r < 4; r++) {
      if (r === 3 && kind === 'mae') continue; // |d| has no derivative at 0
      const at = (dz: number) => {
        const zz = backend.alloc(4, 1);
        zz.data.set(z.data);
        zz.data[r] += dz;
        return regressionLoss(zz, y, backend.alloc(4, 1), kind);
      };
      const h = 1 / 1024;
      const numeric = (at(h) - at(-h)) / (2 * h);
      assert.ok(Math.abs(grad[r] - numeric) < 1e-6, `${kind} row ${r}: ${grad[r]} vs ${numeric}`);
    }
  }
});

test('the task: text is classes, fractions or many whole numbers a quantity, an array\'s 0..K-1 codes classes; as asked when given', () => {
  const csv = (texts: string[]) => ({ file: 'f.csv', codes: Int32Array.from(texts, (_, i) => i), texts });
  assert.equal(chooseTask([csv(['a', 'b', 'a'])]).task, 'classify');
  const grouped = chooseTask([csv(['388,926', '1,204,000', '75,500'])]);
  assert.equal(grouped.task, 'classify');
  assert.match(grouped.why, /^the labels are text \(most are numbers written with a comma, such as "388,926": write them without thousands separators/);
  const frac = chooseTask([csv(['1', '2.5', '3'])]);
  assert.equal(frac.task, 'regress');
  assert.match(frac.why, /numbers with fractions \(2\.5 at row 1\)/);
  const years = Array.from({ length: 40 }, (_, i) => String(1950 + i));
  assert.equal(chooseTask([csv(years)]).task, 'regress', '40 distinct whole numbers in a CSV');
  const repeated = (k: number, n: number) => csv(Array.from({ length: n }, (_, i) => String(i % k)));
  assert.equal(chooseTask([repeated(30, 600)]).task, 'classify', '30 distinct whole numbers, 20 rows each');
  assert.equal(chooseTask([repeated(12, 100)]).task, 'regress', '12 distinct whole numbers in 100 rows');
  assert.match(chooseTask([repeated(12, 100)]).why, /12 distinct whole numbers in 100 rows \(fewer than 10 rows a value\)/);
  assert.equal(chooseTask([repeated(10, 30)]).task, 'classify', 'at most 10 distinct whole numbers are classes');
  const codes = { file: 'y.npy', values: Int32Array.from({ length: 500 }, (_, i) => i % 100) };
  assert.equal(chooseTask([codes]).task, 'classify', "an array's 100 class codes");
  assert.equal(chooseTask([csv(['1', '2.5'])], 'classify').task, 'classify');
  assert.equal(chooseTask([csv(['a', 'b'])], 'regress').task, 'regress');
  assert.throws(() => mapTargets([csv(['1.5', 'Adelie'])]), (e: unknown) => e instanceof DataError && /f\.csv: label "Adelie" at row 1 is not a number; a regression \(task regress\)/.test(e.message));
});

test('target bins: deciles of the target, the same count in each, in the order of the values', () => {
  const t = Float64Array.from({ length: 100 }, (_, i) => ((i * 37) % 100) / 7);
  const bins = targetBins(t);
  const counts = Array.from({ length: 10 }, (_, b) => bins.filter((x) => x === b).length);
  assert.deepEqual(counts, new Array(10).fill(10));
  for (let i = 0; i < 100; i++) for (let j = 0; j < 100; j++) if (t[i] < t[j]) assert.ok(bins[i] <= bins[j]);
  assert.deepEqual(Array.from(targetBins(Float64Array.from([3, 1, 2]))), [0, 0, 0], 'fewer than 20 rows: one bin');
});

/** y = 3 x1 - 2 x2 + x3 text effect + noise, as records with a text column and a few blanks. */
function linearRecords(rows: number, seed: number): Records {
  const rand = lcg(seed);
  return Array.from({ length: rows }, (_, i) => {
    const x1 = rand() * 4 - 2, x2 = rand() * 4 - 2;
    const kind = ['low', 'mid', 'high'][i % 3];
    const y = 3 * x1 - 2 * x2 + { low: -1, mid: 0, high: 1.5 }[kind]! + (rand() - 0.5) * 0.2 + 50;
    return { x1: i % 17 === 0 ? null : x1, x2, kind, price: y };
  });
}

test('a regression run end to end: chosen from the label, standardised inside the model, scored on the test rows, reproducible', async () => {
  const data = fromRecords(linearRecords(400, 1), { label: 'price', test: linearRecords(120, 2) });
  assert.ok(data.train.targets && data.test?.targets);
  assert.match(data.notes!.find((n) => n.name === 'task')!.summary, /^Regression of "price": the labels are numbers with fractions/);
  const options = { train: { epochs: 40, ensemble: 1, seed: 3 } };
  const r = await runExperiment(options, data, { threads: 1 });
  try {
    assert.equal(r.prepared.task, 'regress');
    assert.equal(r.model.task, 'regress');
    const target = r.model.options.target!;
    // The target is standardised with the training part's mean and population standard deviation.
    const t = r.prepared.train.targets!;
    const mean = t.reduce((a, b) => a + b, 0) / t.length;
    assert.ok(Math.abs(target.mean - mean) < 1e-9);
    assert.ok(Math.abs(target.std - Math.sqrt(t.reduce((a, b) => a + (b - mean) ** 2, 0) / t.length)) < 1e-9);
    const e = r.regression!;
    assert.ok(e.r2 > 0.93, `test R² ${e.r2}`);
    assert.equal(r.test, null);
    const direct = regressionScores(r.prepared.test!.targets!, r.model.predictValues(r.prepared.test!.features, r.prepared.test!.rows));
    assert.equal(e.r2, direct.r2);
    const m = runMetrics(r.report);
    assert.equal(m.task, 'regress');
    assert.equal(m.testR2, e.r2);
    assert.equal(m.testRmse, e.rmse);
    assert.equal(m.testMae, e.mae);
    assert.equal(m.testAccuracy, null);
    // The model file predicts raw records (blanks and text) in the target's units.
    const p = await loadPredictor(r.modelFile);
    assert.equal(p.task, 'regress');
    assert.ok(sameBits(Float64Array.from(p.predictValues(data.test!)), Float64Array.from(e.predicted)), 'the model file predicts what the run scored');
    assert.throws(() => p.predict(data.test!), /this model is a regressor; predictValues gives its predictions/);
    p.dispose();
    // Same seed, same bits, with one thread or two.
    const again = await runExperiment(options, fromRecords(linearRecords(400, 1), { label: 'price', test: linearRecords(120, 2) }), { threads: 2 });
    try {
      assert.ok(sameBits(again.regression!.predicted, e.predicted), 'bit-identical predictions with 2 threads');
    } finally {
      again.model.dispose();
    }
  } finally {
    r.model.dispose();
  }
});

test('a regression ensemble averages its networks; cross-validation scores R² per fold and refits', async () => {
  const data = fromRecords(linearRecords(240, 5), { label: 'price' });
  const r = await runExperiment({ train: { epochs: 15, ensemble: 3, cv: 3, seed: 1 } }, data, { threads: 1 });
  try {
    assert.equal(r.members.length, 2);
    const cv = r.cv!;
    assert.equal(cv.scores.length, 3);
    assert.ok(cv.scores.every((s) => Number.isFinite(s.r2) && Number.isNaN(s.accuracy)));
    assert.ok(Math.abs(cv.r2!.mean - cv.scores.reduce((a, s) => a + s.r2!, 0) / 3) < 1e-12);
    const x = r.prepared.train;
    const mean = evaluateRegression(r.model, x, r.members).predicted;
    const each = [r.model, ...r.members].map((m) => m.predictValues(x.features, x.rows));
    for (let i = 0; i < x.rows; i += 37) assert.ok(Math.abs(mean[i] - (each[0][i] + each[1][i] + each[2][i]) / 3) < 1e-9);
  } finally {
    r.model.dispose();
    for (const m of r.members) m.dispose();
  }
});

test('bad regression input: a constant target, NaN targets dropped with a count or refused, classification-only options', async () => {
  const rows = (n: number, y: (i: number) => number): Dataset => {
    const targets = Float64Array.from({ length: n }, (_, i) => y(i));
    return { features: Float32Array.from({ length: n * 2 }, (_, i) => i % 7), labels: targetBins(targets), targets, rows: n, cols: 2, source: 'table.csv', classNames: ['y'] };
  };
  assert.throws(() => prepare({ train: rows(30, () => 4), test: null }), (e: unknown) => e instanceof DataError && /table\.csv: the target "y" is 4 in every one of its 30 training rows; a constant has nothing to learn/.test(e.message));
  const gaps = rows(30, (i) => (i % 10 === 3 ? NaN : i * 1.5));
  const p = prepare({ train: gaps, test: null }, { valFraction: 0 });
  assert.equal(p.train.rows, 27);
  assert.ok(p.steps.some((s) => s.warning && /Left out 3 of 30 rows of table\.csv: no target \(NaN or infinite\)/.test(s.summary)));
  assert.throws(() => prepare({ train: gaps, test: null }, { nulls: 'refuse' }), /3 of 30 rows of table\.csv have no target \(NaN or infinite\)/);
  const model = Sequential.create({ task: 'regress', inputs: 2, hidden: [{ width: 4 }] });
  try {
    const d = rows(30, (i) => i);
    await assert.rejects(fit(model, d, null, { train: { epochs: 1, classWeight: 'balanced' } }), (e: unknown) => e instanceof ConfigError && /train\.classWeight: got "balanced", expected 'none' for regression/.test(e.message));
    await assert.rejects(fit(model, d, d, { train: { epochs: 1, earlyStopping: { monitor: 'valAccuracy' } } }), /train\.earlyStopping\.monitor: got "valAccuracy", expected 'valLoss' or 'trainLoss' for regression/);
    await assert.rejects(fit(model, { ...d, targets: undefined }, null, { train: { epochs: 1 } }), /a regression model needs a number to predict per row/);
  } finally {
    model.dispose();
  }
  assert.throws(() => Sequential.create({ task: 'regress', inputs: 2, classes: 3, hidden: [] }), /model\.classes: got 3, expected 1 for a regression model/);
});

test("a regression run folder's predictions.csv holds every test row; the report keeps 2,000 for its figures", async () => {
  const data = fromRecords(linearRecords(200, 1), { label: 'price', test: linearRecords(2100, 9) });
  const r = await runExperiment({ train: { epochs: 2, ensemble: 1 } }, data, { threads: 1 });
  const dir = mkdtempSync(join(tmpdir(), 'mlplab-regression-'));
  try {
    assert.equal(r.report.regression!.test!.predictions.length, MAX_REGRESSION_POINTS);
    await writeRunFolder(r, join(dir, 'run'));
    const lines = readFileSync(join(dir, 'run', 'predictions.csv'), 'utf8').trim().split('\n');
    assert.equal(lines.length, 2101);
    const [index, actual, predicted] = lines[2100].split(',').map(Number);
    assert.deepEqual([index, actual, predicted], [2099, r.prepared.test!.targets![2099], r.regression!.predicted[2099]]);
  } finally {
    r.model.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cross-validation of an array with blank targets leaves those rows out, as a run does', async () => {
  const n = 120;
  const features = Float32Array.from({ length: n * 2 }, (_, i) => (i % 2 ? (i * 3) % 11 : i % 7));
  const targets = Float64Array.from({ length: n }, (_, r) => (r % 13 === 4 ? NaN : features[2 * r] * 2.5 + features[2 * r + 1]));
  const r = await runExperiment({ train: { epochs: 3, ensemble: 1, cv: 3 } }, { train: { features, labels: targetBins(targets), targets, rows: n, cols: 2, source: 'arrays', classNames: ['y'] }, test: null }, { threads: 1 });
  try {
    const kept = targets.filter(Number.isFinite).length;
    assert.equal(r.prepared.train.rows, kept);
    assert.equal(r.cv!.scores.reduce((a, s) => a + s.valRows, 0), kept);
  } finally {
    r.model.dispose();
  }
});

test('target moments and scores near the float64 limits neither overflow nor vanish', () => {
  assert.deepEqual(targetMoments(Float64Array.of(1e308, -1e308)), { mean: 0, std: 1e308 });
  const tiny = targetMoments(Float64Array.of(1e-310, 3e-310));
  assert.ok(tiny.std > 0 && Math.abs(tiny.mean - 2e-310) < 1e-320, `${tiny.mean} ${tiny.std}`);
  const s = regressionScores([1e308, -1e308], [9e307, -9e307]);
  assert.ok(Math.abs(s.rmse - 1e307) / 1e307 < 1e-12 && Math.abs(s.mae - 1e307) / 1e307 < 1e-12 && Math.abs(s.r2 - 0.99) < 1e-12, JSON.stringify(s));
  assert.ok(Number.isNaN(regressionScores([3], [2]).r2), 'one row has no R²');
});
