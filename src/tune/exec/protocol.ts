/**
 * Messages between the study's main thread and its worker threads. The data arrives once,
 * as typed arrays over SharedArrayBuffers (no copies); then each message asks for one trial.
 */
import type { Dataset, PrepStep } from '../../data/dataset.js';
import type { PipelineMeta } from '../../data/pipeline.js';
import type { EpochRecord } from '../../metrics/history-types.js';
import type { NamedTensor } from '../../nn/serialize.js';
import type { RunOutput } from '../../run/experiment.js';
import type { ResolvedRun } from '../../run/spec.js';
import type { StudyKernels } from '../study/kernels.js';
import type { StudyMetric } from '../study/config.js';
import type { PrunerConfig } from '../search/pruners.js';
import type { TrialResult } from '../storage/types.js';

/** The study's prepared data as it crosses to a worker: plain arrays, the pipeline as its tensors. */
export interface WorkerInit {
  /** The study's recorded kernels: every trial runs on them. */
  kernels: StudyKernels;
  /** Threads for the kernels of each trial in this worker (the cores divided among the workers). */
  threads: number;
  train: Dataset;
  val: Dataset;
  /** Rows of `train` the trials use (the final model may use all). */
  trialRows: Int32Array | null;
  test: Dataset | null;
  classes: number;
  classNames: string[];
  /** The label value of each class, when the source's labels were not 0..K-1 (kept in the final model file). */
  classValues?: number[];
  pipeline: { meta: PipelineMeta; tensors: NamedTensor[] };
  steps: PrepStep[];
  origin: { train: Int32Array; val: Int32Array; test: Int32Array | null };
  /** Name of the study's data source, for the final model's report and file. */
  source: string;
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
  | { type: 'final'; id: number; run: ResolvedRun; rows: Int32Array | null; title: string };

export type WorkerReply =
  | { type: 'ready' }
  | { type: 'epoch'; id: number; record: EpochRecord }
  /** `pruned`: the pruner's reason, when it stopped the trial (the result is at that epoch). */
  | { type: 'done'; id: number; result: TrialResult; history: EpochRecord[]; pruned?: string }
  /** The trial's own failure (training diverged): recorded, not retried. */
  | { type: 'failed'; id: number; error: string; history: EpochRecord[] }
  | { type: 'final'; id: number; output: RunOutput }
  /** Anything else: a bug or a broken environment; the study stops. */
  | { type: 'error'; id: number; name: string; message: string; stack?: string };
