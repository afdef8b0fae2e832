import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diagnoseHistory } from '../../src/report/diagnose.js';
import type { EpochRecord } from '../../src/metrics/history-types.js';
import { Rng } from '../../src/tensor/rng.js';
import { syntheticHistory } from './sample.js';

function history(val: (e: number) => number, epochs: number, train: (e: number) => number = (e) => 1 / (1 + 0.05 * e)): EpochRecord[] {
  return Array.from({ length: epochs }, (_, i) => {
    const e = i + 1;
    return { epoch: e, trainLoss: train(e), valLoss: val(e), trainAccuracy: 0.5, valAccuracy: 0.5, seconds: 2 };
  });
}

function argminEpoch(h: EpochRecord[]): number {
  let best = 0;
  for (let i = 1; i < h.length; i++) if (h[i].valLoss < h[best].valLoss) best = i;
  return h[best].epoch;
}

const kinds = (d: ReturnType<typeof diagnoseHistory>) => d.findings.map((f) => f.kind);

test('validation loss rising while training loss falls is overfitting, starting near the turn', () => {
  const h = syntheticHistory({ epochs: 400, overfitFrom: 60, seed: 3 });
  const d = diagnoseHistory(h);
  assert.ok(d.overfitting, 'overfitting found');
  // The curve's turning point: the decaying term and the rising term balance at about epoch 70.
  assert.ok(d.overfitting.startEpoch >= 55 && d.overfitting.startEpoch <= 85, `start ${d.overfitting.startEpoch}`);
  assert.ok(d.overfitting.valLossAtEnd > d.overfitting.valLossAtStart);
  assert.ok(d.overfitting.trainLossAtEnd < d.overfitting.trainLossAtStart);
  assert.deepEqual(kinds(d), ['overfitting', 'wasted-epochs']);
  const best = argminEpoch(h);
  assert.equal(d.bestValLossEpoch, best);
  assert.equal(d.epochsAfterBest, 400 - best);
  assert.match(d.sentences[0], new RegExp(`overfits from about epoch ${d.overfitting.startEpoch}:`));
  assert.match(d.sentences[1], new RegExp(`was at epoch ${best} of 400; the ${400 - best} epochs after it did not improve it`));
  // The time quoted is the sum of the epochs after the best one.
  const after = h.slice(best).reduce((s, r) => s + r.seconds, 0);
  assert.equal(d.findings[1].details.secondsAfter, after);
});

test('best epoch then a noisy flat curve: wasted epochs, said in plain words, and no overfitting', () => {
  const rng = new Rng(5);
  const h = history((e) => (e <= 37 ? 1 - 0.015 * e : 0.46 + 0.004 * Math.abs(rng.normal())), 400);
  const d = diagnoseHistory(h);
  assert.equal(d.overfitting, null);
  assert.equal(d.bestValLossEpoch, 37);
  assert.ok(d.sentences.some((s) => s.includes('was at epoch 37 of 400; the 363 epochs after it did not improve it')), d.sentences.join('\n'));
  const wasted = d.findings.find((f) => f.kind === 'wasted-epochs')!;
  assert.equal(wasted.details.secondsAfter, 363 * 2);
  assert.match(wasted.message, /12 min 06 s, 91% of the training time/);
});

test('early stopping: says it stopped and whether the best weights were restored', () => {
  const h = history((e) => (e <= 37 ? 1 - 0.015 * e : 0.445 + 0.001 * (e - 37)), 47);
  const d = diagnoseHistory(h, { stoppedEarly: { bestEpoch: 37, restored: true } });
  assert.ok(!kinds(d).includes('wasted-epochs'));
  const f = d.findings.find((x) => x.kind === 'early-stopped')!;
  assert.equal(f.message, 'Early stopping ended training at epoch 47, 10 epochs after the best epoch (37); the weights of epoch 37 were restored.');
  const notRestored = diagnoseHistory(h, { stoppedEarly: { bestEpoch: 37, restored: false } });
  assert.match(notRestored.sentences.join(' '), /not restored, so the model is the one of epoch 47/);
  // Without the early-stopping record the same 10 epochs after the best are wasted (10 >= 10% of 47).
  assert.ok(kinds(diagnoseHistory(h)).includes('wasted-epochs'));
});

test('a curve that is still falling at the end says so and nothing else', () => {
  const h = history((e) => 0.3 + Math.exp(-e / 20), 30);
  const d = diagnoseHistory(h);
  assert.deepEqual(kinds(d), ['still-improving']);
  // Over the last 3 epochs: (v(27) - v(30)) / v(27), worked from the formula.
  const v = (e: number) => 0.3 + Math.exp(-e / 20);
  assert.ok(Math.abs(d.findings[0].details.drop - (v(27) - v(30)) / v(27)) < 1e-12);
});

test('a long flat tail is a plateau, reached where the loss first comes within 1% of its best', () => {
  const v = (e: number) => 0.4 + 0.6 * Math.exp(-e / 30);
  const h = history(v, 400);
  const d = diagnoseHistory(h);
  assert.equal(d.bestValLossEpoch, 400);
  assert.equal(d.overfitting, null);
  // Within 1%: 0.6 exp(-e/30) <= 0.01 v(400), i.e. e >= 30 ln(60 / v(400)) = 150.3.
  const expected = Math.ceil(30 * Math.log(0.6 / (0.01 * v(400))));
  assert.equal(expected, 151);
  assert.deepEqual(kinds(d), ['plateau']);
  assert.equal(d.findings[0].epoch, expected);
  assert.match(d.sentences[0], /within 1% of its best by epoch 151; the 249 epochs from there/);
});

test('noise alone is not overfitting', () => {
  const rng = new Rng(9);
  const h = history((e) => 0.4 + 0.6 * Math.exp(-e / 10) + 0.01 * rng.normal(), 200);
  const d = diagnoseHistory(h);
  assert.equal(d.overfitting, null);
});

test('a validation loss that never improves, a diverged run, an empty history', () => {
  const flat = diagnoseHistory(history((e) => 1 + 0.01 * e, 10, () => 1));
  assert.ok(kinds(flat).includes('no-improvement'));
  const diverged = diagnoseHistory(history((e) => (e >= 12 ? NaN : 1 / e), 20));
  assert.equal(diverged.findings[0].kind, 'non-finite');
  assert.equal(diverged.findings[0].epoch, 12);
  assert.ok(!kinds(diverged).includes('wasted-epochs'));
  assert.equal(diverged.bestValLossEpoch, 11);
  const empty = diagnoseHistory([]);
  assert.equal(empty.epochs, 0);
  assert.deepEqual(empty.findings, []);
  assert.equal(empty.bestValLossEpoch, null);
});

/** The README's dead-ReLU run (learning rate 0.5, no batch norm), as its history.json recorded it. */
function deadReluRun(): EpochRecord[] {
  const layer = (name: string, dead: number) => ({
    name, activation: 'relu', units: 64, deadFraction: dead, saturatedFraction: 0, gradientNorm: 0, updateRatio: 0.005,
  }) as unknown as NonNullable<EpochRecord['layers']>[number];
  return [
    { epoch: 1, trainLoss: 44.95276469206148, valLoss: 2.352729332447052, trainAccuracy: 0.09946, valAccuracy: 0.1, seconds: 0.3, layers: [layer('hidden0', 0), layer('hidden1', 0)] },
    { epoch: 2, trainLoss: 2.3382007365337123, valLoss: 2.324644684791565, trainAccuracy: 0.09985, valAccuracy: 0.1, seconds: 0.3, layers: [layer('hidden0', 0.9375), layer('hidden1', 1)] },
    { epoch: 3, trainLoss: 2.3378127520062306, valLoss: 2.3335931658744813, trainAccuracy: 0.10076, valAccuracy: 0.1, seconds: 0.3, layers: [layer('hidden0', 0.9375), layer('hidden1', 1)] },
  ];
}

test('a failed run is named first: the loss exploded, accuracy at chance, a dead layer', () => {
  const d = diagnoseHistory(deadReluRun(), { classes: 10 });
  assert.deepEqual(kinds(d), ['exploded', 'at-chance', 'dead-layer']);
  assert.ok(d.findings.every((f) => f.severity === 'error'));
  assert.match(d.sentences[0], /reached 44\.95 at epoch 1, against 2\.30 for guessing \(ln 10\)/);
  assert.match(d.sentences[1], /best, 10\.0%, is what guessing gives with 10 classes \(10\.0%\)/);
  assert.match(d.sentences[2], /Every unit of hidden1 \(64, relu\) is dead since epoch 2/);
  // Without the class count nothing is compared with guessing, but the dead layer still shows.
  assert.deepEqual(kinds(diagnoseHistory(deadReluRun())), ['dead-layer']);
});

test('failures come before the other findings, and a healthy run has none', () => {
  const stuck = diagnoseHistory(history((e) => 1 + 0.01 * e, 10, () => 1), { classes: 3 });
  assert.equal(stuck.findings[0].kind, 'no-learning');
  assert.equal(stuck.findings[0].severity, 'error');
  assert.ok(kinds(stuck).indexOf('no-improvement') > 0);
  const healthy = syntheticHistory({ epochs: 40, overfitFrom: 30, seed: 5 });
  assert.ok(diagnoseHistory(healthy, { classes: 10 }).findings.every((f) => f.severity !== 'error'));
});
