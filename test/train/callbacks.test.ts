import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sequential } from '../../src/nn/model.js';
import { fit } from '../../src/train/fit.js';
import { Checkpoint, EarlyStopping, improves, type Callback, type TrainContext } from '../../src/train/callbacks.js';
import type { EpochRecord } from '../../src/metrics/history-types.js';
import { ConfigError } from '../../src/errors.js';
import { BACKENDS, gaussianBlobs, sameBits } from '../helpers.js';

/** Records the model's weights and statistics at the end of every epoch. */
class Recorder implements Callback {
  snapshots: Float32Array[][] = [];
  onEpochEnd(_record: EpochRecord, ctx: TrainContext): void {
    this.snapshots.push(ctx.model.snapshot());
  }
}

const same = (a: Float32Array[], b: Float32Array[]) => a.length === b.length && a.every((t, i) => sameBits(t, b[i]));

for (const { name: backendName, backend } of BACKENDS) {
  test(`[${backendName}] fit stops after patience epochs without improvement and restores the best weights`, async () => {
    // A small training set the network memorises: validation loss falls, then rises.
    const train = gaussianBlobs(60, 10, 3, 31, 0.4);
    const val = gaussianBlobs(90, 10, 3, 32, 0.4, 31);
    const model = Sequential.create({ inputs: 10, classes: 3, hidden: [{ width: 32, batchNorm: true }] }, { seed: 1, backend, capacity: 128 });
    const recorder = new Recorder();
    const patience = 4;
    const result = await fit(model, train, val, {
      train: { optimizer: 'adam', learningRate: 0.02, epochs: 100, batchSize: 10, earlyStopping: { patience } },
      callbacks: [recorder],
    });
    const losses = result.history.map((h) => h.valLoss);
    const best = losses.indexOf(Math.min(...losses)) + 1;
    assert.ok(result.stoppedEarly, `stopped early (${losses.length} epochs)`);
    assert.ok(best > 1, 'the validation loss improved at first');
    assert.equal(result.bestEpoch, best);
    assert.equal(result.history.length, best + patience, 'stopped exactly `patience` epochs after the best');
    assert.ok(losses.slice(best).every((l) => l >= losses[best - 1]), 'no improvement after the best epoch');
    assert.ok(result.restoredBest);
    assert.ok(same(model.snapshot(), recorder.snapshots[best - 1]), 'weights and statistics are those of the best epoch');
    assert.ok(!same(model.snapshot(), recorder.snapshots[recorder.snapshots.length - 1]));
    model.dispose();
  });
}

/** Drive an EarlyStopping callback with scripted validation values; epoch k leaves weights all equal to k. */
function script(es: EarlyStopping, values: number[], monitor: 'valLoss' | 'valAccuracy') {
  const model = Sequential.create({ inputs: 2, classes: 2, hidden: [{ width: 3, batchNorm: true }] }, { backend: BACKENDS[0].backend });
  const ctx: TrainContext = { model, epochs: 1000, stopTraining: false, history: [] };
  es.onTrainBegin();
  for (let i = 0; i < values.length && !ctx.stopTraining; i++) {
    model.flatValues.data.fill(i + 1);
    for (const s of model.stateTensors()) s.value.data.fill(i + 1);
    const record: EpochRecord = {
      epoch: i + 1, trainLoss: 1, trainAccuracy: 0.5, seconds: 0,
      valLoss: monitor === 'valLoss' ? values[i] : 1, valAccuracy: monitor === 'valAccuracy' ? values[i] : 0.5,
    };
    ctx.history.push(record);
    es.onEpochEnd(record, ctx);
  }
  es.onTrainEnd(ctx);
  const weights = model.flatValues.data[0];
  const stats = model.stateTensors().map((s) => s.value.data[0]);
  model.dispose();
  return { epochs: ctx.history.length, stopped: ctx.stopTraining, weights, stats };
}

test('early stopping by validation loss: patience counts epochs without strict improvement', () => {
  const es = new EarlyStopping({ monitor: 'valLoss', patience: 2, minDelta: 0, restoreBest: true });
  // 1.0 best; 0.8 best; 0.85 worse (1); 0.8 equal, not better (2): stop after epoch 4.
  const r = script(es, [1.0, 0.8, 0.85, 0.8, 0.7, 0.6], 'valLoss');
  assert.deepEqual([r.epochs, r.stopped, es.bestEpoch, es.bestValue, es.stoppedEpoch], [4, true, 2, 0.8, 4]);
  assert.ok(es.restored);
  assert.equal(r.weights, 2, 'weights of epoch 2 restored');
  assert.deepEqual(r.stats, [2, 2], 'batch-norm statistics of epoch 2 restored');

  // The same callback object starts afresh on the next run.
  const again = script(es, [3, 2, 1], 'valLoss');
  assert.deepEqual([again.epochs, again.stopped, es.bestEpoch, es.restored], [3, false, 3, false]);
  assert.equal(again.weights, 3);
});

test('early stopping: minDelta, accuracy monitor, restoreBest off, non-finite values', () => {
  // An improvement must exceed minDelta: 0.96 is not (0.04), 0.94 is (0.06); later 0.5 is.
  const withDelta = new EarlyStopping({ monitor: 'valLoss', patience: 3, minDelta: 0.05, restoreBest: true });
  const r1 = script(withDelta, [1.0, 0.96, 0.94, 0.93, 0.92, 0.5], 'valLoss');
  assert.deepEqual([r1.epochs, r1.stopped, withDelta.bestEpoch, withDelta.restored, r1.weights], [6, false, 6, false, 6]);
  const r1b = script(withDelta, [1.0, 0.96, 0.99, 0.97, 0.9], 'valLoss');
  assert.deepEqual([r1b.epochs, withDelta.bestEpoch, r1b.weights], [4, 1, 1]);

  // Accuracy is maximised.
  const acc = new EarlyStopping({ monitor: 'valAccuracy', patience: 3, minDelta: 0, restoreBest: true });
  const r2 = script(acc, [0.5, 0.6, 0.55, 0.6, 0.58, 0.9], 'valAccuracy');
  assert.deepEqual([r2.epochs, r2.stopped, acc.bestEpoch, r2.weights], [5, true, 2, 2]);

  // Without restoreBest the last weights stay.
  const keep = new EarlyStopping({ monitor: 'valLoss', patience: 1, minDelta: 0, restoreBest: false });
  const r3 = script(keep, [1, 0.5, 0.7, 0.1], 'valLoss');
  assert.deepEqual([r3.epochs, keep.bestEpoch, keep.restored, r3.weights], [3, 2, false, 3]);

  // A non-finite value is neither an improvement nor counted against patience.
  const nan = new EarlyStopping({ monitor: 'valLoss', patience: 2, minDelta: 0, restoreBest: true });
  const r4 = script(nan, [NaN, 0.9, NaN, 0.95, 1.0, 0.1], 'valLoss');
  assert.deepEqual([r4.epochs, nan.bestEpoch, r4.weights], [5, 2, 2]);
});

test('early stopping without validation data is refused, not silently ignored', async () => {
  const train = gaussianBlobs(40, 4, 2, 1);
  const model = Sequential.create({ inputs: 4, classes: 2, hidden: [{ width: 4 }] }, { backend: BACKENDS[0].backend });
  await assert.rejects(fit(model, train, null, { train: { epochs: 5, earlyStopping: { patience: 2 } } }), (e: unknown) => {
    assert.ok(e instanceof ConfigError, String(e));
    assert.equal(e.field, 'train.earlyStopping');
    return true;
  });
});

test('the checkpoint saves the epoch early stopping keeps, minDelta included', async () => {
  // Validation losses by epoch: 1.0, then gains smaller than minDelta = 0.05 (0.97, 0.96), then a real one (0.80).
  const losses = [1.0, 0.97, 0.96, 0.8, 0.79, 0.9];
  const saved: number[] = [];
  const model = {} as TrainContext['model'];
  const ctx: TrainContext = { model, epochs: losses.length, stopTraining: false, history: [] };
  const early = new EarlyStopping({ monitor: 'valLoss', patience: 10, minDelta: 0.05, restoreBest: false });
  const checkpoint = new Checkpoint(async (_m, epoch) => void saved.push(epoch), 'valLoss', 0.05);
  early.onTrainBegin();
  checkpoint.onTrainBegin();
  for (const [i, valLoss] of losses.entries()) {
    const record: EpochRecord = { epoch: i + 1, trainLoss: 1, valLoss, trainAccuracy: 0.5, valAccuracy: 0.5, seconds: 0 };
    early.onEpochEnd(record, ctx);
    await checkpoint.onEpochEnd(record, ctx);
  }
  // Epochs 2, 3 and 5 improve by less than 0.05: neither keeps them.
  assert.deepEqual(saved, [1, 4]);
  assert.equal(early.bestEpoch, 4);
  assert.equal(checkpoint.savedEpoch, early.bestEpoch);
});

test('improves: lower loss or higher accuracy by more than minDelta; NaN never; the first finite value always', () => {
  assert.equal(improves(0.5, NaN, 'valLoss', 0), true);
  assert.equal(improves(NaN, 1, 'valLoss', 0), false);
  assert.equal(improves(0.9, 1, 'valLoss', 0.1), false);
  assert.equal(improves(0.89, 1, 'valLoss', 0.1), true);
  assert.equal(improves(0.6, 0.5, 'valAccuracy', 0.05), true);
  assert.equal(improves(0.4, 0.5, 'valAccuracy', 0), false);
});
