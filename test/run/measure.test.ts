/**
 * Numeric bins chosen by measuring: a table whose model is chosen for the data cross-validates
 * one network with and without bins on its training rows and keeps the better
 * (by R² for a regression); the choice is said with both scores, kept in the run and the model
 * file, and does not arise where it should not (bins given, arrays of numbers, under --cv).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromRecords, type Cell } from '../../src/data/table/records.js';
import { decodeModelFile } from '../../src/run/model-file.js';
import { runExperiment, type RunResult } from '../../src/run/experiment.js';
import { lcg } from '../helpers.js';
import { MEASURE_ROWS, measureChoices } from '../../src/run/measure.js';
import { dataOptionsSchema } from '../../src/run/spec.js';
import { parseConfig } from '../../src/validate.js';
import { getBackend } from '../../src/tensor/index.js';

/** Rows whose class is a step of x (two thresholds) with a noisy second column and a category. */
function steps(n: number, seed: number, label: (x: number, z: number) => Cell = (x) => (x < 0.3 || x > 0.7 ? 'out' : 'in')): Record<string, Cell>[] {
  const rand = lcg(seed);
  return Array.from({ length: n }, () => {
    const x = rand(), z = rand();
    return { x, z: Math.round(z * 1000) / 10, kind: rand() < 0.5 ? 'a' : 'b', y: label(x, z) };
  });
}

const done = (r: RunResult) => {
  r.model.dispose();
  for (const m of r.members) m.dispose();
};

test('the choice is the better of the two cross-validated accuracies, said with both, and kept in the model file', async () => {
  const data = fromRecords(steps(240, 3), { label: 'y' });
  const r = await runExperiment({ train: { ensemble: 1, epochs: 40 } }, data);
  try {
    const line = r.choices!.find((c) => c.option === 'numeric bins')!;
    const m = /^5-fold cross-validation of one network on the training rows: ([\d.]+)% accuracy with bins, ([\d.]+)% without$/.exec(line.why);
    assert.ok(m, line.why);
    const [withBins, without] = [Number(m[1]), Number(m[2])];
    const chosen = withBins > without;
    assert.equal(line.value, chosen ? '8 per numeric column' : 'none (the values alone)');
    assert.equal(r.spec.data.numericBins, chosen ? 8 : 0);
    const file = await decodeModelFile(r.modelFile, 'model.json');
    try {
      const x = file.table!.meta.columns.find((c) => c.name === 'x')!;
      assert.equal(x.role === 'numeric' && x.bins !== undefined, chosen, 'the encoder has bins exactly when they were chosen');
      assert.equal(file.model.inputs, r.prepared.train.cols);
    } finally {
      file.model.dispose();
    }
    // The same seed, the same choice and the same model.
    const again = await runExperiment({ train: { ensemble: 1, epochs: 40 } }, data);
    try {
      assert.deepEqual(again.choices!.find((c) => c.option === 'numeric bins'), line);
      assert.equal(again.modelFile, r.modelFile);
    } finally {
      done(again);
    }
  } finally {
    done(r);
  }
});

test('a regression table is measured by R²: the line gives both, the better is kept', async () => {
  // A step in x the target jumps at, which bins can place exactly.
  const data = fromRecords(steps(200, 5, (x, z) => (x > 0.6 ? 10 : 0) + x + z / 100), { label: 'y' });
  const r = await runExperiment({ train: { ensemble: 1, epochs: 30 } }, data);
  try {
    assert.equal(r.prepared.task, 'regress');
    const line = r.choices!.find((c) => c.option === 'numeric bins')!;
    const m = /^5-fold cross-validation of one network on the training rows: R² (-?[\d.]+) with bins, (-?[\d.]+) without$/.exec(line.why);
    assert.ok(m, line.why);
    const chosen = Number(m[1]) > Number(m[2]);
    assert.equal(r.spec.data.numericBins, chosen ? 8 : 0);
    assert.equal(line.value, chosen ? '8 per numeric column' : 'none (the values alone)');
  } finally {
    done(r);
  }
});

test('no choice where it does not arise: bins given, arrays of numbers, cross-validation asked for, a class too small for 5 folds', async () => {
  const table = fromRecords(steps(120, 4), { label: 'y' });
  const cases: [string, () => Promise<RunResult>][] = [
    ['bins given', () => runExperiment({ data: { numericBins: 4 }, train: { ensemble: 1, epochs: 5 } }, table)],
    ['--cv', () => runExperiment({ train: { ensemble: 1, epochs: 5, cv: 3 } }, table)],
    ['a class of 4 rows', () => runExperiment({ train: { ensemble: 1, epochs: 5 } }, fromRecords(steps(120, 6, (x) => (x < 0.03 ? 'rare' : 'common')).map((r, i) => (i < 4 ? { ...r, y: 'rare' } : r.y === 'rare' ? { ...r, y: 'common' } : r)), { label: 'y' }))],
  ];
  for (const [what, run] of cases) {
    const r = await run();
    try {
      assert.equal(r.choices!.some((c) => c.option === 'numeric bins'), false, what);
    } finally {
      done(r);
    }
  }
  const given = await runExperiment({ data: { numericBins: 4 }, train: { ensemble: 1, epochs: 5 } }, table);
  try {
    const x = given.prepared.table!.meta.columns.find((c) => c.name === 'x')!;
    assert.equal(x.role === 'numeric' ? x.bins?.length : null, 5, 'the bins given are used');
  } finally {
    done(given);
  }
  // Interrupted while measuring: no choice, and the run ends as an interrupted run, not an error.
  const stop = new AbortController();
  stop.abort();
  const interrupted = await runExperiment({ train: { ensemble: 1, epochs: 5, cv: null } }, table, { signal: stop.signal });
  try {
    assert.equal(interrupted.choices!.some((c) => c.option === 'numeric bins'), false, 'interrupted');
    assert.equal(interrupted.fit.aborted, true);
  } finally {
    done(interrupted);
  }
  // Arrays of numbers have no columns to bin.
  const rand = lcg(9);
  const features = Float32Array.from({ length: 200 * 3 }, () => rand());
  const labels = Int32Array.from({ length: 200 }, (_, i) => (features[i * 3] > 0.5 ? 1 : 0));
  const arrays = await runExperiment({ train: { ensemble: 1, epochs: 5 } }, { train: { features, labels, rows: 200, cols: 3 }, test: null });
  try {
    assert.equal(arrays.choices!.some((c) => c.option === 'numeric bins'), false, 'arrays');
  } finally {
    done(arrays);
  }
});

test('with a test set, the final networks train on every training row for the epochs the same folds chose', async () => {
  // A fifth of the labels flipped: the held-out loss turns up once the network learns the noise.
  const data = fromRecords(steps(300, 7, (x, z) => ((x < 0.3 || x > 0.7) !== z < 20 ? 'out' : 'in')), { label: 'y', test: 0.2 });
  const seen: { variant: string; accuracy: number; bestEpoch: number; of: number }[] = [];
  const r = await runExperiment({ train: { ensemble: 2, epochs: 200 } }, data, { onMeasureFold: (variant, f, of) => seen.push({ variant, accuracy: f.accuracy, bestEpoch: f.bestEpoch, of }) });
  try {
    const epochs = r.spec.train.epochs;
    // Each fold of both measurements was reported; the line's scores are their means, the epochs the chosen one's mean best epoch.
    assert.deepEqual(seen.map((f) => `${f.variant} ${f.of}`), [...Array(5).fill('without bins 5'), ...Array(5).fill('with 8 bins 5')]);
    const mean = (variant: string, key: 'accuracy' | 'bestEpoch') => seen.filter((f) => f.variant === variant).reduce((a, f) => a + f[key], 0) / 5;
    const [withBins, without] = [mean('with 8 bins', 'accuracy'), mean('without bins', 'accuracy')];
    assert.match(r.choices!.find((c) => c.option === 'numeric bins')!.why, new RegExp(`: ${(100 * withBins).toFixed(1)}% accuracy with bins, ${(100 * without).toFixed(1)}% without$`));
    assert.equal(epochs, Math.round(mean(withBins > without ? 'with 8 bins' : 'without bins', 'bestEpoch')));
    assert.equal(r.spec.train.earlyStopping, false);
    assert.equal(r.spec.data.valFraction, 0);
    assert.equal(r.prepared.val.rows, 0);
    assert.equal(r.prepared.train.rows, data.train.rows, 'no row is held out of the final networks');
    assert.equal(r.fit.history.length, epochs);
    const line = (o: string) => r.choices!.find((c) => c.option === o)!;
    assert.equal(line('epochs').value, `up to 200 in each fold, then ${epochs}`);
    assert.deepEqual(line('stopping'), {
      option: 'stopping',
      value: `${epochs} epochs, on all the training rows`,
      why: 'the mean best epoch of 5-fold cross-validation of one network on the training rows, each fold stopped when its held-out loss had not fallen for 10 epochs; the final networks train on all the rows',
    });
    // The folds are a run's own 5-fold cross-validation of one network with the bins chosen: its refit takes as many epochs.
    const bins = r.spec.data.numericBins;
    const cv = await runExperiment({ data: { numericBins: bins }, train: { ensemble: 1, epochs: 200, cv: 5 } }, data);
    try {
      assert.equal(cv.cv!.epochs, epochs);
      assert.ok(epochs < 200, 'the folds stopped early');
    } finally {
      done(cv);
    }
  } finally {
    done(r);
  }
});

test('the epochs are not measured when the stopping is given or left to folds that score the run', async () => {
  const data = fromRecords(steps(200, 8), { label: 'y', test: 0.2 });
  const val = fromRecords(steps(60, 9), { label: 'y' }).train;
  const rare = fromRecords(steps(200, 10).map((r, i) => ({ ...r, y: i < 4 ? 'rare' : r.y })), { label: 'y', test: steps(40, 11) });
  const cases: [string, () => Promise<RunResult>, number, boolean][] = [
    ['--patience', () => runExperiment({ train: { ensemble: 1, epochs: 15, earlyStopping: { patience: 3 } } }, data), 0, true],
    ['--no-early-stopping', () => runExperiment({ train: { ensemble: 1, epochs: 6, earlyStopping: false } }, data), 0, false],
    ['--val-fraction', () => runExperiment({ data: { valFraction: 0.25 }, train: { ensemble: 1, epochs: 15 } }, data), 40, true],
    ['--val-data', () => runExperiment({ train: { ensemble: 1, epochs: 15 } }, { ...data, val }), 60, true],
    ['a class of 4 training rows', () => runExperiment({ train: { ensemble: 1, epochs: 15 } }, rare), 0, true],
    ['no test set and --cv none', () => runExperiment({ train: { ensemble: 1, epochs: 15, cv: null } }, { ...data, test: null }), 0, true],
  ];
  for (const [what, run, valRows, stops] of cases) {
    const r = await run();
    try {
      assert.equal(r.prepared.val.rows, valRows, what);
      assert.equal(r.spec.train.earlyStopping !== false, stops, what);
      assert.equal(r.cv, null, what);
      assert.doesNotMatch(r.choices!.find((c) => c.option === 'stopping')!.value, /on all the training rows/, what);
    } finally {
      done(r);
    }
  }
  // 10,000 training rows or more: nothing is measured (a validation part of 1,000 rows judges well), and nothing is prepared to find that out.
  const noise = lcg(12);
  const wide = { features: Float32Array.from({ length: MEASURE_ROWS * 2 }, () => noise()), labels: Int32Array.from({ length: MEASURE_ROWS }, (_, i) => i % 2), rows: MEASURE_ROWS, cols: 2 };
  const unprepared = { ...wide, get table(): undefined { throw new Error('looked at'); } };
  assert.equal(await measureChoices({ train: unprepared, test: wide }, {}, parseConfig(dataOptionsSchema, {}, 'data'), { seed: 0, backend: getBackend(), scoredByFolds: false }), null);
  // No test set: the run's own folds score it, and they choose the epochs.
  const scored = await runExperiment({ train: { ensemble: 1, epochs: 15 } }, { ...data, test: null });
  try {
    assert.equal(scored.cv?.folds, 5);
    assert.equal(scored.choices!.find((c) => c.option === 'stopping')!.value, `${scored.cv!.epochs} epochs, on all the training rows`);
    assert.match(scored.choices!.find((c) => c.option === 'stopping')!.why, /^the mean of the best epochs of the 5 cross-validation folds/);
  } finally {
    done(scored);
  }
  // Arrays of numbers have no bins to measure, but their epochs are measured all the same.
  const rand = lcg(11);
  const part = (rows: number) => {
    const features = Float32Array.from({ length: rows * 3 }, () => rand());
    return { features, labels: Int32Array.from({ length: rows }, (_, i) => (features[i * 3] > 0.5 ? 1 : 0)), rows, cols: 3 };
  };
  const arrays = await runExperiment({ train: { ensemble: 1, epochs: 30 } }, { train: part(150), test: part(50) });
  try {
    assert.equal(arrays.choices!.some((c) => c.option === 'numeric bins'), false);
    assert.match(arrays.choices!.find((c) => c.option === 'stopping')!.value, /^\d+ epochs, on all the training rows$/);
    assert.equal(arrays.fit.history.length, arrays.spec.train.epochs);
  } finally {
    done(arrays);
  }
});

test('stopped while measuring: the folds choose nothing, the run ends as an interrupted run, and a stop lands within a fold', async () => {
  const data = fromRecords(steps(300, 13, (x, z) => ((x < 0.3 || x > 0.7) !== z < 20 ? 'out' : 'in')), { label: 'y', test: 0.2 });
  // After the second fold of the second measurement (with bins), whose cross-validation returns the folds it finished.
  const stop = new AbortController();
  let folds = 0;
  const r = await runExperiment({ train: { ensemble: 1, epochs: 200 } }, data, { signal: stop.signal, onMeasureFold: () => ++folds === 7 && stop.abort() });
  try {
    assert.equal(folds, 7);
    assert.equal(r.fit.aborted, true);
    assert.equal(r.choices!.some((c) => c.option === 'numeric bins'), false);
    assert.doesNotMatch(r.choices!.find((c) => c.option === 'stopping')!.value, /on all the training rows/);
  } finally {
    done(r);
  }
  // A stop from a timer (a signal, a message from the page) is seen between epochs: the measuring does not run to its end first.
  const timed = new AbortController();
  let seen = 0;
  setTimeout(() => timed.abort(), 0);
  const t = await runExperiment({ train: { ensemble: 1, epochs: 300 } }, data, { signal: timed.signal, onMeasureFold: () => seen++ });
  try {
    assert.ok(seen < 10, `${seen} of the 10 measuring folds ran before the stop was seen`);
    assert.equal(t.fit.aborted, true);
  } finally {
    done(t);
  }
});
