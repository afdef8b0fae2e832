/**
 * Messages between the study's main thread and its worker threads. The data arrives once,
 * as typed arrays over SharedArrayBuffers (no copies); then each message asks for one trial.
 */
import type { ResolvedRun } from '../config.js';
import type { BackendName } from '../tensor/index.js';
import type { LabelledData } from '../train/fit.js';
import type { EpochRecord } from '../train/history.js';
import type { Evaluation } from '../workflow.js';
import type { StudyMetric } from './config.js';
import type { TrialResult } from './store.js';

export interface WorkerInit {
  backend: BackendName;
  train: LabelledData;
  val: LabelledData;
  /** Rows of `train` the trials use (the final model may use all). */
  trialRows: Int32Array | null;
  test: LabelledData | null;
  classes: number;
  classNames: string[];
}

export type WorkerJob =
  | { type: 'trial'; id: number; run: ResolvedRun; seed: number; metric: StudyMetric }
  /** `rows`: the training rows the final model uses (null: all). */
  | { type: 'final'; id: number; run: ResolvedRun; seed: number; rows: Int32Array | null; extras: Record<string, unknown> };

export interface FinalOutcome {
  history: EpochRecord[];
  bestEpoch: number;
  stoppedEarly: boolean;
  restoredBest: boolean;
  seconds: number;
  trainRows: number;
  test: Evaluation | null;
  modelJson: string;
}

export type WorkerReply =
  | { type: 'ready' }
  | { type: 'epoch'; id: number; record: EpochRecord }
  | { type: 'done'; id: number; result: TrialResult; history: EpochRecord[] }
  /** The trial's own failure (training diverged): recorded, not retried. */
  | { type: 'failed'; id: number; error: string; history: EpochRecord[] }
  | { type: 'final'; id: number; outcome: FinalOutcome }
  /** Anything else: a bug or a broken environment; the study stops. */
  | { type: 'error'; id: number; name: string; message: string; stack?: string };
