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
