/**
 * Synthetic but realistic report data for the report tests: curves shaped like a long
 * Fashion-MNIST run that starts to overfit, and predictions with the usual confusions.
 */
import { Rng } from '../../src/tensor/rng.js';
import type { EpochRecord } from '../../src/metrics/history-types.js';
import { classificationReport, confusionMatrix } from '../../src/metrics/classification.js';
import type { RunReport } from '../../src/report/run-report.js';

export const FASHION = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

export interface CurveShape {
  epochs: number;
  /** Epoch after which validation loss rises (none if omitted). */
  overfitFrom?: number;
  /** Standard deviation of epoch-to-epoch noise on validation loss. */
  noise?: number;
  seed?: number;
  secondsPerEpoch?: number;
}

/** Training loss falls steadily; validation loss follows, then rises after `overfitFrom`. */
export function syntheticHistory(shape: CurveShape): EpochRecord[] {
  const rng = new Rng(shape.seed ?? 7);
  const noise = shape.noise ?? 0.004;
  const out: EpochRecord[] = [];
  for (let e = 1; e <= shape.epochs; e++) {
    const trainLoss = 0.22 + 1.4 * Math.exp(-e / 18) - 0.00015 * e;
    const over = shape.overfitFrom !== undefined ? Math.max(0, e - shape.overfitFrom) : 0;
    const valLoss = 0.36 + 1.3 * Math.exp(-e / 16) + 0.0009 * over + noise * rng.normal();
    const trainAccuracy = Math.min(0.99, 0.93 - 0.55 * Math.exp(-e / 15) + 0.00005 * e);
    const valAccuracy = 0.875 - 0.5 * Math.exp(-e / 14) - 0.0002 * over + 0.8 * noise * rng.normal();
    out.push({
      epoch: e,
      trainLoss,
      valLoss,
      trainAccuracy,
      valAccuracy,
      seconds: (shape.secondsPerEpoch ?? 4.5) * (0.95 + 0.1 * rng.uniform()),
      learningRate: 1e-3,
    });
  }
  return out;
}

/** Test predictions with Fashion-MNIST-like confusions (shirt vs T-shirt, pullover vs coat). */
export function syntheticPredictions(n: number, seed = 11): { yTrue: Int32Array; yPred: Int32Array } {
  const rng = new Rng(seed);
  const confusable: Record<number, number[]> = { 0: [6, 3], 2: [4, 6], 4: [2, 6], 6: [0, 2, 4], 3: [0, 4], 5: [7, 9], 7: [5, 9], 9: [7, 5] };
  const correctRate = [0.84, 0.97, 0.8, 0.88, 0.81, 0.95, 0.62, 0.95, 0.97, 0.95];
  const yTrue = new Int32Array(n);
  const yPred = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const t = rng.int(10);
    yTrue[i] = t;
    if (rng.uniform() < correctRate[t]) yPred[i] = t;
    else {
      const near = confusable[t];
      yPred[i] = near && rng.uniform() < 0.8 ? near[rng.int(near.length)] : rng.int(10);
    }
  }
  return { yTrue, yPred };
}

/** A complete report of a 400-epoch run on Fashion-MNIST-shaped data. */
export function sampleRunReport(overrides: Partial<RunReport> = {}): RunReport {
  const history = syntheticHistory({ epochs: 400, overfitFrom: 60, seed: 3 });
  const { yTrue, yPred } = syntheticPredictions(10000);
  const report = classificationReport(yTrue, yPred, 10, FASHION);
  return {
    title: 'Final model on Fashion-MNIST (PCA 128)',
    createdAt: '2026-11-27T10:15:00Z',
    config: {
      model: { hidden: [128, 64], activations: ['relu', 'relu'], batchNorm: true, dropout: 0.2 },
      training: { epochs: 400, batchSize: 32, learningRate: 0.0001, momentum: 0.85, weightDecay: 0.001 },
      seed: 42,
      backend: 'wasm-simd',
    },
    data: {
      source: 'fashion-mnist (IDX files)',
      trainRows: 48000,
      valRows: 12000,
      testRows: 10000,
      features: 128,
      classes: 10,
      classNames: FASHION,
      steps: [
        { name: 'drop rows with NaN', summary: 'no rows held NaN; 70,000 rows kept' },
        { name: 'standardise', summary: 'mean 0, standard deviation 1 per feature, fitted on the training part' },
        { name: 'PCA', summary: '784 → 128 components, 86.4% of the variance kept' },
        { name: 'split', summary: '48,000 training / 12,000 validation rows, stratified, seed 42' },
      ],
    },
    history,
    bestEpoch: history.length,
    stoppedEarly: null,
    restoredBest: false,
    interrupted: false,
    findings: [],
    firstLayer: null,
    test: {
      accuracy: report.accuracy,
      loss: 0.41,
      report,
      confusion: confusionMatrix(yTrue, yPred, 10),
      predictions: Array.from(yTrue, (actual, index) => ({ index, predicted: yPred[index], actual })),
    },
    seconds: history.reduce((s, r) => s + r.seconds, 0) + 3.2,
    ...overrides,
  };
}
