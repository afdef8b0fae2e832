/** Messages between the page and the training worker. */
import type { Choice, ClassificationReport, EpochRecord, RawData, ResolvedRun, RunInput } from '../../src/index.js';
import type { FirstLayerWeights, LayerFinding } from '../../src/report/index.js';

export interface StartMessage {
  type: 'start';
  runId: number;
  /** The run's settings; without a network, mlplab chooses the network and training for the data (`runExperiment`). */
  spec: RunInput;
  /** The data as loading left it (the library's RawData: rows keep their file names); prepared in the worker. */
  data: RawData;
  /** The source as `--data` names it, for the report and the exported model. */
  source: string;
  /** How many test rows (validation rows without a test set) the prediction grid shows. */
  gridSize: number;
}

export type ToWorker = StartMessage | { type: 'pause' } | { type: 'resume' } | { type: 'stop' };

/** Scores of a model on one labelled set (the training rows when there is neither a validation part nor a test set). */
export interface SetScores {
  set: 'validation' | 'test' | 'training';
  rows: number;
  accuracy: number;
  loss: number;
  confusion: number[][];
  report: ClassificationReport;
}

/** A regression model's scores on one set, in the target's units. */
export interface RegressionScores {
  set: SetScores['set'];
  rows: number;
  r2: number;
  rmse: number;
  mae: number;
}

/**
 * Rows of a predicted-against-actual figure (at most MAX_POINTS, spread over the set): their
 * indices into the original table, the actual values and the model's predictions.
 */
export interface Scatter {
  set: SetScores['set'];
  rows: number[];
  actual: number[];
  predicted: number[];
}

export interface PreparedMessage {
  type: 'prepared';
  runId: number;
  task: 'classify' | 'regress';
  /** One sentence per pre-processing step. */
  steps: string[];
  features: number;
  trainRows: number;
  valRows: number;
  testRows: number;
  parameters: number;
  backend: string;
  /** Which set the prediction grid shows, and its rows as indices into the original table. */
  gridSet: SetScores['set'];
  gridRows: number[];
  gridLabels: number[];
  /** Regression: the grid rows' actual values (their labels are bins of them). */
  gridActual: number[];
  /** Regression: the rows the live figure shows while training (the validation part, else the training rows), without predictions yet. */
  scatter: Scatter | null;
}

export interface EpochMessage {
  type: 'epoch';
  runId: number;
  record: EpochRecord;
  /** Confusion matrix and report on the validation set at this epoch. */
  val: SetScores | null;
  /** Predicted class of each grid row (regression: its predicted value), and its probability (regression: none). */
  grid: number[];
  gridProba: number[];
  /** Regression: the prediction of each row of the prepared message's scatter, at this epoch. */
  scatter: number[] | null;
}

export interface DoneMessage {
  type: 'done';
  runId: number;
  bestEpoch: number;
  stoppedEarly: boolean;
  restoredBest: boolean;
  aborted: boolean;
  seconds: number;
  /** Classification: the final model on the test set (or the validation set when there is no test set). */
  final: SetScores | null;
  /** Regression: the final model's scores on the same set, its figure's rows, and the scores of predicting the training targets' mean there. */
  regression: (RegressionScores & { scatter: Scatter; baseline: RegressionScores }) | null;
  /** The final model's grid predictions (a seed ensemble's averaged probabilities, or mean values), and their probabilities. */
  grid: number[];
  gridProba: number[];
  /** The trained model in mlplab's model format (what `modelToJSON` writes). */
  modelJson: string;
  /** What the layers say, and the first layer's weights as images (raw image inputs only). */
  findings: LayerFinding[];
  firstLayer: FirstLayerWeights | null;
}

/** What the worker's engine is, sent once when its kernels (and threads) are ready. */
export interface EngineMessage {
  type: 'engine';
  runId: 0;
  /** "wasm relaxed-SIMD, 2 threads" */
  engine: string;
  threads: number;
  /** Why only one thread runs: a sentence, and a few words for the badge; null with threads. */
  note: string | null;
  short: string | null;
}

export type FromWorker =
  | EngineMessage
  | { type: 'status'; runId: number; text: string }
  /** The run as it will train, and what was chosen for the data (null when the page gave the network). */
  | { type: 'spec'; runId: number; spec: ResolvedRun; choices: Choice[] | null }
  /** Network `n` of a seed ensemble of `of` starts training (the first one's epochs are the live curves). */
  | { type: 'member'; runId: number; n: number; of: number }
  | PreparedMessage
  | { type: 'progress'; runId: number; epoch: number; batch: number; batches: number; loss: number }
  | EpochMessage
  | { type: 'paused' | 'resumed'; runId: number }
  | DoneMessage
  | { type: 'error'; runId: number; name: string; message: string };
