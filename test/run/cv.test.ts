import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Dataset } from '../../src/data/dataset.js';
import { ConfigError } from '../../src/errors.js';
import { spread } from '../../src/metrics/cross-validation.js';
import { stratifiedFolds } from '../../src/run/cv.js';
import { runExperiment } from '../../src/run/experiment.js';
import { evaluateProbabilities } from '../../src/run/train.js';
import { lcg } from '../helpers.js';

test('stratified folds: every class spread over the folds within one row, fold sizes within one, seeded', () => {
  const labels = Int32Array.from({ length: 103 }, (_, i) => (i < 60 ? 0 : i < 90 ? 1 : 2));
  const k = 5;
  const fold = stratifiedFolds(labels, k, 7);
  const per = (c: number) => Array.from({ length: k }, (_, f) => labels.filter((l, i) => l === c && fold[i] === f).length);
  for (const c of [0, 1, 2]) {
    const n = per(c);
    assert.ok(Math.max(...n) - Math.min(...n) <= 1, `class ${c}: ${n}`);
  }
  const sizes = Array.from({ length: k }, (_, f) => fold.filter((x) => x === f).length);
  assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `sizes ${sizes}`);
  assert.deepEqual(stratifiedFolds(labels, k, 7), fold);
  assert.notDeepEqual(stratifiedFolds(labels, k, 8), fold);
});

test('spread: mean, sample sd and the t interval, worked by hand', () => {
  // Five scores: mean 0.8, sd sqrt(0.001 / 4 * 10) ... computed below in full.
  const v = [0.78, 0.82, 0.8, 0.76, 0.84];
  const mean = 0.8;
  const sd = Math.sqrt((0.0004 + 0.0004 + 0 + 0.0016 + 0.0016) / 4); // 0.031623
  const half = (2.776 * sd) / Math.sqrt(5); // t(0.975, 4) = 2.776
  const s = spread(v);
  assert.ok(Math.abs(s.mean - mean) < 1e-12 && Math.abs(s.sd - sd) < 1e-12);
  assert.ok(Math.abs(s.ci95[0] - (mean - half)) < 1e-12 && Math.abs(s.ci95[1] - (mean + half)) < 1e-12);
  assert.deepEqual(spread([0.5]), { mean: 0.5, sd: 0, ci95: [0.5, 0.5] });
});

test('evaluateProbabilities: accuracy, mean cross-entropy and first-on-tie, by hand', () => {
  const p = Float32Array.from([0.7, 0.2, 0.1, 0.3, 0.3, 0.4, 0.5, 0.5, 0]);
  const data: Dataset = { features: new Float32Array(3), labels: Int32Array.from([0, 2, 1]), rows: 3, cols: 1 };
  const ev = evaluateProbabilities(p, data, 3);
  assert.deepEqual(Array.from(ev.predicted), [0, 2, 0]);
  assert.equal(ev.accuracy, 2 / 3);
  const loss = -(Math.log(Math.fround(0.7)) + Math.log(Math.fround(0.4)) + Math.log(0.5)) / 3;
  assert.ok(Math.abs(ev.loss - loss) < 1e-7, `${ev.loss} vs ${loss}`);
});

/** Two separable blobs of a table. */
function blobs(rows: number, seed: number): Dataset {
  const rand = lcg(seed);
  const features = new Float32Array(rows * 2);
  const labels = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    labels[r] = r % 3 === 0 ? 1 : 0;
    features[2 * r] = (labels[r] ? 2 : -2) + rand() - 0.5;
    features[2 * r + 1] = rand() * 2 - 1;
  }
  return { features, labels, rows, cols: 2, source: `blobs-${seed}`, classNames: ['a', 'b'] };
}

test('cross-validation in a run: one score per fold and repeat, the mean of the best epochs refit on all rows, tested once', async () => {
  const r = await runExperiment(
    { network: { widths: [8], batchNorm: false }, train: { epochs: 12, cv: 3, cvRepeats: 2, optimizer: 'adam', learningRate: 0.01, earlyStopping: { patience: 3 } } },
    { train: blobs(90, 1), test: blobs(30, 2) },
    { threads: 1 },
  );
  const cv = r.cv!;
  assert.equal(cv.scores.length, 6);
  assert.deepEqual(cv.scores.map((s) => `${s.repeat}.${s.fold}`), ['1.1', '1.2', '1.3', '2.1', '2.2', '2.3']);
  for (const s of cv.scores) assert.equal(s.trainRows + s.valRows, 90);
  assert.equal(cv.epochs, Math.round(cv.scores.reduce((a, s) => a + s.bestEpoch, 0) / 6));
  assert.ok(Math.abs(cv.accuracy.mean - cv.scores.reduce((a, s) => a + s.accuracy, 0) / 6) < 1e-12);
  // The final model: every training row, no validation part, the folds' epoch count.
  assert.equal(r.prepared.train.rows, 90);
  assert.equal(r.prepared.val.rows, 0);
  assert.equal(r.fit.history.length, cv.epochs);
  assert.ok(r.test!.accuracy > 0.9, `${r.test!.accuracy}`);
  assert.equal(r.report.cv?.epochs, cv.epochs);
  r.model.dispose();
});

test('cross-validation refuses more folds than the smallest class has rows, and one fold', async () => {
  const data = { train: blobs(12, 3), test: null };
  await assert.rejects(
    runExperiment({ network: { widths: [4] }, train: { epochs: 1, cv: 5 } }, data, { threads: 1 }),
    (e: unknown) => e instanceof ConfigError && /train\.cv: got 5, expected at most 4 folds: the smallest class, "b", has 4 training rows/.test(e.message),
  );
  await assert.rejects(runExperiment({ network: { widths: [4] }, train: { epochs: 1, cv: 1 } }, data, { threads: 1 }), (e: unknown) => e instanceof ConfigError && /cv/.test(e.message));
});

test('a seed ensemble: K networks, the test score of their mean probabilities, each scored alone in the report', async () => {
  const r = await runExperiment({ network: { widths: [6], batchNorm: false }, train: { epochs: 5, ensemble: 3, earlyStopping: false } }, { train: blobs(60, 4), test: blobs(30, 5) }, { threads: 1 });
  assert.equal(r.members.length, 2);
  assert.deepEqual(r.report.ensemble!.map((e) => e.seed), [0, 1, 2]);
  const file = JSON.parse(r.modelFile);
  assert.equal(file.extras.ensemble, 3);
  r.model.dispose();
  for (const m of r.members) m.dispose();
});
