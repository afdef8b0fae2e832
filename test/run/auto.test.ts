import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Dataset } from '../../src/data/dataset.js';
import { chooseRun, markGiven, smallData } from '../../src/run/auto.js';
import { runExperiment } from '../../src/run/experiment.js';
import { PRESETS, resolveRun } from '../../src/run/spec.js';
import { lcg } from '../helpers.js';

test('the rule of docs/TABLES.md, row by row, for three sizes of data', () => {
  const small = chooseRun({ rows: 258, features: 15, classes: 3 }).spec;
  assert.deepEqual(small.network, { widths: [64], activations: 'relu', batchNorm: false, dropout: 0, init: 'he' });
  assert.deepEqual(
    { ...small.train, earlyStopping: undefined },
    { optimizer: 'adam', learningRate: 0.001, weightDecay: 0.0001, batchSize: 32, epochs: 300, ensemble: 5, earlyStopping: undefined },
  );
  assert.deepEqual(small.train!.earlyStopping, { monitor: 'trainLoss', patience: 10, minDelta: 0.0001, restoreBest: false });
  assert.deepEqual(small.data, { valFraction: 0 });
  // 20,000 rows of 16 features and 26 classes (letter): two layers, width from the classes.
  const mid = chooseRun({ rows: 20_000, features: 16, classes: 26 }).spec;
  assert.deepEqual(mid.network!.widths, [256, 128]);
  assert.deepEqual([mid.network!.dropout, mid.train!.batchSize, mid.train!.epochs, mid.train!.ensemble], [0.1, 256, 150, 3]);
  assert.deepEqual(mid.train!.earlyStopping, { monitor: 'valLoss', patience: 10, minDelta: 0, restoreBest: true });
  assert.deepEqual(mid.data, { valFraction: 0.1 });
  // Fashion-MNIST: 784 inputs cap the width at 512; one network.
  const big = chooseRun({ rows: 60_000, features: 784, classes: 10 }).spec;
  assert.deepEqual([big.network!.widths, big.train!.epochs, big.train!.ensemble], [[512, 256], 50, 1]);
  // The small-data line is where a 10% validation part would hold fewer than 100 rows.
  assert.deepEqual([smallData(994), smallData(995)], [true, false]);
  // Every choice is a valid run.
  for (const c of [small, mid, big]) resolveRun(c);
});

function blobs(rows: number, seed: number): Dataset {
  const rand = lcg(seed);
  const features = new Float32Array(rows * 3);
  const labels = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    labels[r] = r % 2;
    for (let j = 0; j < 3; j++) features[3 * r + j] = (labels[r] ? 1.5 : -1.5) * (j === 0 ? 1 : 0) + rand() - 0.5;
  }
  return { features, labels, rows, cols: 3, source: `blobs-${seed}` };
}

test('no network: the run is chosen for the data, recorded as auto with its reasons; given options override their lines', async () => {
  const data = { train: blobs(120, 1), test: blobs(40, 2) };
  const r = await runExperiment({ train: { epochs: 4, ensemble: 1 } }, data, { threads: 1 });
  assert.equal(r.spec.auto, true);
  assert.deepEqual(r.spec.network.widths, [64]);
  assert.equal(r.spec.train.optimizer, 'adam');
  // The given epochs bound each fold of the measuring cross-validation; the final network trains for the folds' choice.
  const epochs = r.spec.train.epochs;
  assert.ok(epochs >= 1 && epochs <= 4, String(epochs));
  assert.equal(r.choices!.find((c) => c.option === 'epochs')!.value, `up to 4 in each fold, then ${epochs}`);
  assert.equal(r.prepared.val.rows, 0, 'no validation part: every training row trains');
  assert.equal(r.fit.history.length, epochs);
  assert.equal(r.choices!.find((c) => c.option === 'stopping')!.value, `${epochs} epochs, on all the training rows`);
  assert.equal(JSON.parse(r.modelFile).extras.run.auto, true);
  assert.deepEqual(r.report.choices, r.choices);
  r.model.dispose();
  // auto with some network options: they override the chosen network, the rest is chosen.
  const w = await runExperiment({ auto: true, network: { widths: [7] }, train: { epochs: 2, ensemble: 1 } }, data, { threads: 1 });
  assert.deepEqual([w.spec.network.widths, w.spec.network.batchNorm, w.spec.train.optimizer], [[7], false, 'adam']);
  w.model.dispose();
  // A preset is taken as it is: nothing chosen.
  const p = await runExperiment({ ...PRESETS['study-final'], train: { ...PRESETS['study-final'].train, epochs: 1 } }, data, { threads: 1 });
  assert.equal(p.choices, null);
  assert.equal(p.spec.auto, undefined);
  assert.equal(p.spec.train.optimizer, 'sgd');
  p.model.dispose();
});

test('no test set and too few rows for a validation part: the chosen run is scored by 5-fold cross-validation, then refit on every row', async () => {
  const r = await runExperiment({ train: { epochs: 3, ensemble: 1 } }, { train: blobs(120, 3), test: null }, { threads: 1 });
  assert.equal(r.cv?.folds, 5);
  assert.equal(r.cv?.scores.length, 5);
  assert.ok(r.choices!.some((c) => c.option === 'score' && c.value === '5-fold cross-validation'));
  assert.equal(r.prepared.train.rows, 120);
  assert.equal(r.test, null);
  r.model.dispose();
  // With a test set, or folds asked for, nothing is added.
  const t = await runExperiment({ train: { epochs: 2, ensemble: 1 } }, { train: blobs(120, 3), test: blobs(40, 4) }, { threads: 1 });
  assert.equal(t.cv, null);
  t.model.dispose();
});

test('a chosen line the options override shows the value given, not the rule\'s', () => {
  const { spec, choices } = chooseRun({ rows: 258, features: 15, classes: 3 });
  const given = { network: { widths: [32, 16] }, train: { ensemble: 1, earlyStopping: false as const } };
  const run = resolveRun({ ...spec, network: { ...spec.network, ...given.network }, train: { ...spec.train, ...given.train } });
  const marked = markGiven(choices, given, run);
  const line = (o: string) => marked.find((c) => c.option === o)!;
  assert.deepEqual(line('hidden layers'), { option: 'hidden layers', value: '32, 16', why: 'given' });
  assert.deepEqual(line('ensemble'), { option: 'ensemble', value: '1 network', why: 'given' });
  assert.deepEqual(line('stopping'), { option: 'stopping', value: 'off: every epoch trains', why: 'given' });
  // Lines no option touched keep the rule's value and reason.
  assert.deepEqual(line('dropout'), choices.find((c) => c.option === 'dropout'));
});
