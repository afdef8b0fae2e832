import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../src/tensor/rng.js';
import type { Dataset } from '../../src/data/dataset.js';
import { prepare, type Prepared } from '../../src/data/prepare.js';

/** Three Gaussian blobs in `cols` dimensions: learnable, but not perfectly separable. */
export function blobs(rows: number, cols: number, seed: number, classes = 3): Dataset {
  const rng = new Rng(seed);
  const centres = Array.from({ length: classes }, (_, c) => Array.from({ length: cols }, (_, j) => (j % classes === c ? 1.5 : 0)));
  const features = new Float32Array(rows * cols);
  const labels = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const c = r % classes;
    labels[r] = c;
    for (let j = 0; j < cols; j++) features[r * cols + j] = centres[c][j] + rng.normal();
  }
  return { features, labels, rows, cols };
}

/** A study's data: blobs for training, validation and test, prepared as they are (no scaling). */
export function syntheticStudyData(rows = 240, cols = 6): Prepared {
  const named = (d: Dataset, source: string): Dataset => ({ ...d, source, classNames: ['a', 'b', 'c'] });
  return prepare(
    { train: named(blobs(rows, cols, 1), 'blobs (train)'), val: named(blobs(90, cols, 2), 'blobs (val)'), test: named(blobs(90, cols, 3), 'blobs (test)'), notes: [{ name: 'synthetic', summary: 'three Gaussian blobs' }] },
    { scale: 'none' },
  );
}

/** A fresh temporary folder; call the returned function to remove it. */
export function tempDir(): { dir: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'mlplab-study-'));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A tiny study over synthetic data (the data section is required by the schema; runStudy gets the data directly). */
export function tinyStudyConfig(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'tiny',
    data: { source: 'synthetic', scale: 'none' },
    base: { network: { widths: [8], activations: 'relu', batchNorm: false, dropout: 0 }, train: { learningRate: 0.05, batchSize: 32, momentum: 0.9, weightDecay: 0 } },
    factors: [
      { path: 'train.learningRate', values: [0.01, 0.05] },
      { path: 'network.widths', values: [[4], [8]] },
    ],
    strategy: 'one-at-a-time',
    seeds: 2,
    epochs: 3,
    ...over,
  };
}
