/**
 * Messages between the study's main thread and its worker threads. The data arrives once,
 * as typed arrays over SharedArrayBuffers (one copy every thread reads); then each message asks
 * for one trial.
 */
import type { PreparedHandoff } from '../../data/handoff.js';
import type { EpochRecord } from '../../metrics/history-types.js';
import type { RunOutput } from '../../run/experiment.js';
import type { ResolvedRun } from '../../run/spec.js';
import type { StudyKernels } from '../study/kernels.js';
import type { StudyMetric } from '../study/config.js';
import type { PrunerConfig } from '../search/pruners.js';
import type { TrialResult } from '../storage/types.js';

/** What a worker thread starts with: the study's prepared data, shared, and how to run its trials. */
export interface WorkerInit {
  /** The study's recorded kernels: every trial runs on them. */
  kernels: StudyKernels;
  /** Threads for the kernels of each trial in this worker (the cores divided among the workers). */
  threads: number;
  /** The prepared data, its arrays in SharedArrayBuffers. */
  data: PreparedHandoff;
  /** Rows of the training set the trials use (the final model may use all). */
  trialRows: Int32Array | null;
  /** Name of the study's data source, for the final model's report and file. */
  source: string;
  /** Score trials by k-fold cross-validation over the trial rows and the validation part: folds and seed. */
  cv?: { folds: number; seed: number };
}

/** What a trial needs to decide pruning by itself after each epoch: the pruner and the curves of the trials that ended before it was claimed. */
export interface PruneInput {
  pruner: PrunerConfig;
  /** The study's metric per epoch of each ended (finished or pruned) search trial. */
  others: number[][];
  /** +1 when a higher metric is better. */
  sign: 1 | -1;
}

export type WorkerJob =
  | { type: 'trial'; id: number; run: ResolvedRun; seed: number; metric: StudyMetric; prune?: PruneInput }
  /** The final model, as a run (`run.train.seed` is its seed); `rows`: the training rows it uses (null: all). */
  | { type: 'final'; id: number; run: ResolvedRun; rows: Int32Array | null; title: string }
  /** One network of a run's seed ensemble, on all the prepared training rows: its weights and statistics come back. */
  | { type: 'member'; id: number; run: ResolvedRun; seed: number };

export type WorkerReply =
  | { type: 'ready' }
  | { type: 'epoch'; id: number; record: EpochRecord }
  /** `pruned`: the pruner's reason, when it stopped the trial (the result is at that epoch). */
  | { type: 'done'; id: number; result: TrialResult; history: EpochRecord[]; pruned?: string }
  /** The trial's own failure (training diverged): recorded, not retried. */
  | { type: 'failed'; id: number; error: string; history: EpochRecord[] }
  | { type: 'final'; id: number; output: RunOutput }
  /** A trained ensemble member: `Sequential.snapshot()` of it (parameters, then batch-norm statistics). */
  | { type: 'member'; id: number; snapshot: Float32Array[] }
  /** Anything else: a bug or a broken environment; the study stops. */
  | { type: 'error'; id: number; name: string; message: string; stack?: string };
