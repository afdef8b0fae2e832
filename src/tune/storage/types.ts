/**
 * Where a study lives: one small interface, two backends. SQLite (`study.db` in the study
 * folder, one process) is the embedded default; PostgreSQL lets processes on many machines
 * work on one study.
 *
 * The trials table is the queue. Every trial the strategy defines is enqueued when the study
 * is created; the interaction check and the final model are enqueued (by whichever process
 * sees their inputs complete) when the study advances a stage. A worker claims one queued
 * trial with a lease, renews it with heartbeats, and finishes it fenced on its claim (trial
 * id and attempt): a worker whose lease ran out cannot store a result, because the trial may
 * have been handed to someone else. Stale leases are reaped with the database's clock and the
 * trial is queued again (its attempt count kept); a trial that fails by itself (divergence)
 * is a result and is not retried.
 */
import type { EpochRecord, LayerStats } from '../../metrics/history-types.js';
import type { RunReport } from '../../report/run-report.js';

/** Schema version of both backends' tables; a database of another version is refused. */
export const STORAGE_SCHEMA_VERSION = 4;

/** Default lease: a worker that does not renew its claim for this long loses it. */
export const DEFAULT_LEASE_SECONDS = 30;

/** `pruned`: stopped early by the study's pruner (its partial curve is kept; it is not a finished result). `failed`: training diverged. */
export type TrialStatus = 'queued' | 'running' | 'done' | 'pruned' | 'failed';

/** Whether a trial has ended (done, pruned or failed): it will not run again. */
export function isFinished(status: TrialStatus): boolean {
  return status === 'done' || status === 'pruned' || status === 'failed';
}

/** Which part of the study a trial belongs to. */
export type TrialPhase = 'search' | 'interaction' | 'repair' | 'final';

/** How far a study is: its trials of `search`, then `interaction`, then the steps of the forward search when the combination does not hold up (`repair:0`, `repair:1`, ...), then `final` are enqueued; `done` when all finished. */
export type StudyStage = 'search' | 'interaction' | `repair:${number}` | 'final' | 'done';

/** What a finished trial measured. */
export interface TrialResult {
  /** The study's metric at the kept epoch (the best one under early stopping, else the last). */
  metric: number;
  /** Validation accuracy (NaN for a regression) and loss at the kept epoch. */
  valAccuracy: number;
  valLoss: number;
  /** A regression's validation R², RMSE and MAE (the target's units) at the kept epoch; absent for classes. */
  valR2?: number;
  valRmse?: number;
  valMae?: number;
  /** Epoch whose weights were kept (from 1). */
  bestEpoch: number;
  epochs: number;
  stoppedEarly: boolean;
  /** Training wall-clock seconds, and seconds per epoch (the cost the study's cost rule reads). */
  seconds: number;
  secondsPerEpoch: number;
  /** The layer statistics at the kept epoch (when the run measured them). */
  layers?: LayerStats[];
}

/** A trial as it is enqueued: which configuration (as factor levels) with which seed. */
export interface TrialSpec {
  /** Unique within the study: configuration key and seed (`trialKey`), or `final:` for the final model. */
  key: string;
  configKey: string;
  seed: number;
  phase: TrialPhase;
  label: string;
  /** The configuration's factor levels (null: the base value); any process rebuilds the run from them and the study's config. */
  levels: (number | null)[];
  /** A search over a space: the sampled value of every parameter, by option path (absent or null in factor studies). */
  params?: Record<string, unknown> | null;
  /** Epochs it trains at most (for progress). */
  epochs: number;
}

/** A trial as stored. */
export interface StoredTrial extends TrialSpec {
  id: number;
  /** Claim order: lower first. */
  position: number;
  status: TrialStatus;
  /** How many times it was claimed (a trial re-run after its worker died has attempt 2). */
  attempt: number;
  /** The worker running it, or that finished it ("host:pid:thread"). */
  worker: string | null;
  /** Last epoch its worker reported (while running). */
  epoch: number;
  result: TrialResult | null;
  error: string | null;
  /** When it finished (ISO time, the database's clock), or null. */
  finishedAt: string | null;
}

/** The final model's output, stored with its trial. */
export interface FinalOutput {
  report: RunReport;
  /** The model file's text. */
  modelFile: string;
}

/** What the study's data looked like after preparation, so a worker with other data is refused. */
export interface DataFingerprint {
  /** [rows, columns] of each part; test is null when there is no test set. */
  train: [number, number];
  val: [number, number];
  test: [number, number] | null;
  classes: number;
  /** 'regress' when the data is a regression (then `classes` is 1); absent for classes. */
  task?: 'regress';
  /** SHA-256 of the prepared features, labels (and a regression's targets), class names and fitted pre-processing. */
  hash: string;
}

/** A study as stored. */
export interface StudyRecord {
  id: number;
  name: string;
  /** Hash of the canonical config: one name holds one config. */
  hash: string;
  /** The study file as given (with its name), so any worker resolves the same study. */
  config: unknown;
  fingerprint: DataFingerprint;
  /** Kernel backend every trial runs on ('wasm' or 'reference'). */
  backend: string;
  stage: StudyStage;
  createdAt: string;
}

/** What creating a study stores. */
export type NewStudy = Pick<StudyRecord, 'name' | 'hash' | 'config' | 'fingerprint' | 'backend'>;

/** A worker's hold on one trial; finishing is fenced on (trial.id, trial.attempt). */
export interface Claim {
  studyId: number;
  trial: StoredTrial;
}

/** How a claimed trial ended. */
export interface TrialFinish {
  status: 'done' | 'pruned' | 'failed';
  /** What it measured (for a pruned trial: at the epoch it stopped). */
  result: TrialResult | null;
  /** Why it failed, or the pruner's reason. */
  error: string | null;
  history: EpochRecord[];
  /** The final model's report and file (final trials only). */
  output: FinalOutput | null;
}

/** Counts of a study's trials by status. */
export type TrialCounts = Record<TrialStatus, number>;

export interface StudyStorage {
  readonly kind: 'sqlite' | 'postgresql';
  /** Where, for messages: the study database's path, or the PostgreSQL URL without its password. */
  readonly where: string;
  /** Trials found running when the store was opened and queued again (SQLite: the folder's previous process stopped); 0 otherwise. */
  readonly recovered: number;
  /** The study called `name`, if there is one. Changes nothing. */
  findStudy(name: string): Promise<StudyRecord | undefined>;
  /** Studies not finished yet, oldest first. Changes nothing. */
  unfinishedStudies(onDamaged?: (name: string, problem: string) => void): Promise<StudyRecord[]>;
  /**
   * Create the study and enqueue `trials` in one transaction, or, when a study of this name
   * already exists with the same config hash, return it untouched (`created: false`). A name
   * that exists with another config is refused and nothing changes.
   */
  createStudy(study: NewStudy, trials: TrialSpec[]): Promise<{ study: StudyRecord; created: boolean }>;
  /** The study as it is now (its stage moves). */
  study(studyId: number): Promise<StudyRecord>;
  /**
   * Move the study from stage `from` to `to` and enqueue `trials` (keys already present are
   * kept as they are), in one transaction. False when the study is no longer at `from`
   * (another process advanced it first); nothing changes then.
   */
  advance(studyId: number, from: StudyStage, to: StudyStage, trials: TrialSpec[]): Promise<boolean>;
  /** Claim the first queued trial for `worker`, leased for `leaseSeconds`; null when none is queued. */
  claim(studyId: number, worker: string, leaseSeconds: number): Promise<Claim | null>;
  /** Renew these claims' leases and record their epoch; returns the trial ids whose lease was already lost. */
  heartbeat(claims: { claim: Claim; epoch: number }[], leaseSeconds: number): Promise<number[]>;
  /** Store how a claimed trial ended. False (nothing stored) when the claim's lease was lost. */
  finish(claim: Claim, outcome: TrialFinish): Promise<boolean>;
  /** Give a claimed trial back to the queue now (an interrupted worker), if the claim still holds. */
  release(claim: Claim): Promise<void>;
  /** Queue again the running trials whose lease ran out (by the database's clock); returns them, each naming the worker that lost it. */
  reap(studyId: number): Promise<StoredTrial[]>;
  /** Every trial of the study, in claim order. */
  trials(studyId: number): Promise<StoredTrial[]>;
  counts(studyId: number): Promise<TrialCounts>;
  /** Per-epoch metrics of a finished trial. */
  epochs(trialId: number): Promise<EpochRecord[]>;
  /** The final stage's trials (the final model, then the reference model when the study names one) with their outputs, once enqueued. */
  finalTrials(studyId: number): Promise<{ trial: StoredTrial; output: FinalOutput | null }[]>;
  close(): Promise<void>;
}

/** A worker's name in the database and the live view: host, process and thread (from 1). */
export function workerName(host: string, pid: number, thread: number): string {
  return `${host}:${pid}:${thread}`;
}

/** Empty counts. */
export function noTrials(): TrialCounts {
  return { queued: 0, running: 0, done: 0, pruned: 0, failed: 0 };
}

/** Non-finite numbers are stored as NULL (SQLite has no NaN); read back as NaN. */
export function finiteOrNull(v: number | undefined): number | null {
  return v === undefined || !Number.isFinite(v) ? null : v;
}
