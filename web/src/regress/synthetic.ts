/**
 * The built-in regression data: a table generated in the page from a known function with
 * seeded noise, y = 3·sin(x1) + x2² − x3 + ε, the three features uniform on [−3, 3] and ε
 * normal with the standard deviation picked. The rows are written as two CSV files (training
 * and test) and read with the library's `resolveSource`, so the page trains on exactly what
 * `mlplab train --data generated-train.csv,generated-test.csv` trains on when the same files
 * are downloaded. Seeded: the same rows every time, the first N training rows of a larger
 * set are the N of a smaller one, the test rows do not depend on how many rows train, and a
 * noise level only scales the same draws.
 */
import { memoryFiles, resolveSource } from '../../../src/data/index.js';
import { formatCount } from '../../../src/report/index.js';
import { Rng } from '../../../src/tensor/index.js';
import { taskNote, type LoadedData } from '../data.js';
import { regressionScores, type RegressionScores } from '../../../src/index.js';

export const FEATURES = ['x1', 'x2', 'x3'] as const;
export const TARGET = 'y';
/** The function in words, for the page and the test. */
export const FORMULA = 'y = 3·sin(x1) + x2² − x3 + noise';
export const TEST_ROWS = 500;
export const TRAIN_SIZES = [250, 500, 1000, 2000, 5000];
export const NOISE_LEVELS = [0, 0.25, 0.5, 1, 2];
export const DEFAULTS = { rows: 1000, noise: 0.5 };
export const FILES = { train: 'generated-train.csv', test: 'generated-test.csv' };
const SEEDS = { train: 20_240_611, test: 20_240_612 };
/** Decimals written to the CSV files; the target is computed from the written features. */
const DECIMALS = 4;

/** The function without its noise. */
export function trueFunction(x1: number, x2: number, x3: number): number {
  return 3 * Math.sin(x1) + x2 * x2 - x3;
}

const round = (v: number) => Number(v.toFixed(DECIMALS));

/** `rows` generated rows as CSV text (header x1,x2,x3,y), and the rows' values. */
function generate(rows: number, noise: number, seed: number): { csv: string; x: number[][]; y: number[] } {
  const rng = new Rng(seed);
  const lines = [[...FEATURES, TARGET].join(',')];
  const x: number[][] = [];
  const y: number[] = [];
  for (let r = 0; r < rows; r++) {
    const row = FEATURES.map(() => round(-3 + 6 * rng.uniform()));
    // Drawn at every noise level, so a level only scales the same draws.
    const e = rng.normal();
    const target = round(trueFunction(row[0], row[1], row[2]) + noise * e);
    x.push(row);
    y.push(target);
    lines.push([...row, target].map((v) => v.toFixed(DECIMALS)).join(','));
  }
  return { csv: lines.join('\n') + '\n', x, y };
}

export interface Synthetic {
  rows: number;
  noise: number;
  trainCsv: string;
  testCsv: string;
  /** The function itself (without the noise) scored on the test rows: the best any model can do there. */
  ceiling: RegressionScores;
  /** A few training rows' features and targets, for the preview. */
  preview: { x: number[][]; y: number[] };
}

/** The generated training and test files for `rows` training rows and noise of standard deviation `noise`. */
export function syntheticFiles(rows: number, noise: number): Synthetic {
  const train = generate(rows, noise, SEEDS.train);
  const test = generate(TEST_ROWS, noise, SEEDS.test);
  const ceiling = regressionScores(test.y, test.x.map((r) => trueFunction(r[0], r[1], r[2])));
  const shown = Math.min(rows, 400);
  return { rows, noise, trainCsv: train.csv, testCsv: test.csv, ceiling, preview: { x: train.x.slice(0, shown), y: train.y.slice(0, shown) } };
}

/** The generated data read as the command line reads the two files: a regression of "y" on three numeric columns. */
export async function loadSynthetic(s: Synthetic): Promise<LoadedData> {
  const enc = new TextEncoder();
  const files = memoryFiles(new Map([[FILES.train, enc.encode(s.trainCsv)], [FILES.test, enc.encode(s.testCsv)]]));
  const d = await resolveSource(`${FILES.train},${FILES.test}`, files);
  const noise = s.noise === 0 ? 'no noise' : `noise ${s.noise}`;
  return {
    source: `generated regression (${formatCount(s.rows)} training rows, ${noise})`,
    train: d.train,
    test: d.test,
    classNames: d.train.classNames ?? [TARGET],
    notes: d.notes,
    image: null,
    task: 'regress',
    taskNote: taskNote(d.notes),
    ceiling: s.ceiling,
  };
}

