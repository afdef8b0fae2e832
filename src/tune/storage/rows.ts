/**
 * Rows of the study tables as both backends return them, turned into the storage types, and
 * the storage types turned into the values the statements of queries.ts take. The two
 * backends share the tables' layout, so they share this too.
 */
import { z } from 'zod';
import { StorageError } from '../../errors.js';
import { checkFields, parseJson, problemText } from '../../validate.js';
import type { EpochRecord } from '../../metrics/history-types.js';
import {
  finiteOrNull,
  isFinished,
  noTrials,
  type Claim,
  type FinalOutput,
  type NewStudy,
  type StoredTrial,
  type StudyRecord,
  type StudyStage,
  type TrialCounts,
  type TrialFinish,
  type TrialSpec,
  type TrialStatus,
} from './types.js';

export interface StudyRow {
  id: number;
  name: string;
  config_hash: string;
  config_json: string;
  fingerprint_json: string;
  backend: string;
  stage: StudyStage;
  created_at: string;
}

/** A JSON column read back: stored data is input like a file, so bad text is one clear error naming the row. */
function stored(text: string, what: string): unknown {
  const parsed = parseJson(text);
  if ('problem' in parsed) throw new StorageError('study store', `${what} is ${parsed.problem}; the row is damaged`);
  return parsed.value;
}

/** A number as stored: JSON writes NaN and infinities as null. */
const storedNumber = z.union([z.number(), z.null()], { error: 'a number (null for one that was not finite)' }).transform((v) => (v === null ? NaN : v));
const count = z.number({ error: 'a whole number >= 0' }).int({ error: 'a whole number >= 0' }).min(0, { error: 'a whole number >= 0' });
const resultSchema = z.looseObject(
  {
    metric: storedNumber,
    valAccuracy: storedNumber,
    valLoss: storedNumber,
    bestEpoch: count,
    epochs: count,
    stoppedEarly: z.boolean({ error: 'true or false' }),
    seconds: storedNumber,
    secondsPerEpoch: storedNumber,
    valR2: storedNumber.optional(),
    valRmse: storedNumber.optional(),
    valMae: storedNumber.optional(),
  },
  { error: "an object of a trial's scores" },
);
/** A configuration's factor levels: one number (or null for the base value) per factor. */
const levelsSchema = z.array(z.union([z.number(), z.null()], { error: 'a number or null' }), { error: 'a list of factor levels' });
const paramsSchema = z.record(z.string(), z.unknown(), { error: "an object of a search trial's parameters" });
const outputSchema = z.looseObject(
  { report: z.looseObject({}, { error: "an object: the final run's report" }), modelFile: z.string({ error: "the model file's text" }) },
  { error: "an object holding the final run's report and model file" },
);

/** A stored JSON column, read and its fields checked: a row whose JSON reads but holds something else is damaged, not trusted. */
function checked<S extends z.ZodType>(schema: S, text: string, what: string): z.output<S> {
  const r = checkFields(schema, stored(text, what), what, 'no such field');
  if (r.ok) return r.data;
  throw new StorageError('study store', `${problemText(r.problem)}; the row is damaged`);
}

/** Studies read from rows, a damaged row (its JSON unreadable) reported to `onDamaged` and left out. */
export function studiesFromRows(rows: StudyRow[], onDamaged?: (name: string, problem: string) => void): StudyRecord[] {
  return rows.flatMap((r) => {
    try {
      return [studyFromRow(r)];
    } catch (e) {
      if (!(e instanceof StorageError)) throw e;
      onDamaged?.(r.name, e.problem);
      return [];
    }
  });
}

export function studyFromRow(r: StudyRow): StudyRecord {
  return {
    id: Number(r.id),
    name: r.name,
    hash: r.config_hash,
    config: stored(r.config_json, `study ${r.name}: config_json`),
    fingerprint: stored(r.fingerprint_json, `study ${r.name}: fingerprint_json`) as StudyRecord['fingerprint'],
    backend: r.backend,
    stage: r.stage,
    createdAt: String(r.created_at),
  };
}

export interface TrialRow {
  id: number;
  key: string;
  position: number;
  config_key: string;
  seed: number;
  phase: StoredTrial['phase'];
  label: string;
  levels_json: string;
  params_json: string | null;
  epochs: number;
  status: TrialStatus;
  attempt: number;
  worker: string | null;
  progress_epoch: number;
  result_json: string | null;
  error: string | null;
  finished_at: string | Date | null;
}

export function trialFromRow(r: TrialRow): StoredTrial {
  return {
    id: Number(r.id),
    key: r.key,
    position: Number(r.position),
    configKey: r.config_key,
    seed: Number(r.seed),
    phase: r.phase,
    label: r.label,
    levels: checked(levelsSchema, r.levels_json, `trial ${r.key}: levels_json`),
    params: r.params_json === null ? null : (checked(paramsSchema, r.params_json, `trial ${r.key}: params_json`) as StoredTrial['params']),
    epochs: Number(r.epochs),
    status: r.status,
    attempt: Number(r.attempt),
    worker: r.worker,
    epoch: Number(r.progress_epoch),
    result: r.result_json ? (checked(resultSchema, r.result_json, `trial ${r.key}: result_json`) as unknown as StoredTrial['result']) : null,
    error: r.error,
    finishedAt: r.finished_at === null ? null : r.finished_at instanceof Date ? r.finished_at.toISOString() : r.finished_at,
  };
}

/** A final-stage trial read with its output_json column. */
export function finalFromRow(r: TrialRow & { output_json: string | null }): { trial: StoredTrial; output: FinalOutput | null } {
  return { trial: trialFromRow(r), output: r.output_json ? (checked(outputSchema, r.output_json, `trial ${r.key}: output_json`) as unknown as FinalOutput) : null };
}

export interface EpochRow {
  epoch: number;
  train_loss: number | null;
  val_loss: number | null;
  train_accuracy: number | null;
  val_accuracy: number | null;
  seconds: number | null;
  learning_rate: number | null;
}

export function epochFromRow(r: EpochRow): EpochRecord {
  return {
    epoch: Number(r.epoch),
    trainLoss: r.train_loss ?? NaN,
    valLoss: r.val_loss ?? NaN,
    trainAccuracy: r.train_accuracy ?? NaN,
    valAccuracy: r.val_accuracy ?? NaN,
    seconds: r.seconds ?? NaN,
    ...(r.learning_rate === null ? {} : { learningRate: r.learning_rate }),
  };
}

/** A new study's values for `insertStudy`. */
export function studyValues(s: NewStudy): unknown[] {
  return [s.name, s.hash, JSON.stringify(s.config), JSON.stringify(s.fingerprint), s.backend];
}

/** A trial's values for TRIAL_INSERT_COLUMNS after study_id and position. */
export function trialValues(t: TrialSpec): unknown[] {
  return [t.key, t.configKey, t.seed, t.phase, t.label, JSON.stringify(t.levels), t.params ? JSON.stringify(t.params) : null, t.epochs];
}

/** How a claimed trial ended, as the values of `finish` (its fence, the trial id and attempt, last). */
export function finishValues(claim: Claim, outcome: TrialFinish): unknown[] {
  const o = outcome;
  const t = claim.trial;
  return [o.status, o.result ? JSON.stringify(o.result) : null, o.error, o.output ? JSON.stringify(o.output) : null, o.history.length, t.id, t.attempt];
}

/** An epoch's values for EPOCH_COLUMNS after trial_id; non-finite numbers become NULL. */
export function epochValues(e: EpochRecord): unknown[] {
  return [e.epoch, finiteOrNull(e.trainLoss), finiteOrNull(e.valLoss), finiteOrNull(e.trainAccuracy), finiteOrNull(e.valAccuracy), finiteOrNull(e.seconds), finiteOrNull(e.learningRate)];
}

/**
 * Whether a finish that changed no row was this claim's own, already stored (a retried call
 * whose first try went through), given the trial's `trialState` row; otherwise the claim had
 * lost its lease.
 */
export function finishedBefore(claim: Claim, now: { status: TrialStatus; attempt: number } | undefined): boolean {
  return now !== undefined && Number(now.attempt) === claim.trial.attempt && isFinished(now.status);
}

/** A study's trial counts from the `counts` rows (PostgreSQL returns COUNT as text). */
export function countsFromRows(rows: { status: TrialStatus; n: number | string }[]): TrialCounts {
  const out = noTrials();
  for (const r of rows) out[r.status] = Number(r.n);
  return out;
}
