/**
 * Running one trial: train a configuration with one seed and read off what the study
 * records. Used by the worker threads; a trial's result depends only on (run, seed, data).
 */
import type { ResolvedRun } from '../config.js';
import { DivergenceError } from '../errors.js';
import { Pipeline } from '../data/pipeline.js';
import { encodeModelFile } from '../run/model-file.js';
import type { Backend } from '../tensor/backend.js';
import type { LabelledData } from '../train/fit.js';
import type { EpochRecord } from '../train/history.js';
import { evaluateClassifier, trainRun } from '../workflow.js';
import type { StudyMetric } from './config.js';
import type { FinalOutcome } from './protocol.js';
import type { TrialResult } from './store.js';
import { selectRows } from '../data/dataset.js';

export interface TrialData {
  train: LabelledData;
  val: LabelledData;
  classes: number;
}

export type TrialOutcome =
  | { ok: true; result: TrialResult; history: EpochRecord[] }
  | { ok: false; error: string; history: EpochRecord[] };

/**
 * Train `run` with `seed` and summarise it. The kept epoch is the best one when early stopping
 * restores the best weights, else the last; the metric is read at that epoch. A diverging run
 * is a result of its own (`ok: false`), not an exception.
 */
export async function runTrial(
  data: TrialData,
  run: ResolvedRun,
  seed: number,
  metric: StudyMetric,
  options: { backend?: Backend; onEpoch?: (r: EpochRecord) => void } = {},
): Promise<TrialOutcome> {
  const history: EpochRecord[] = [];
  const onEpoch = options.onEpoch;
  try {
    const { model, result } = await trainRun(data, run, {
      seed,
      backend: options.backend,
      callbacks: [{ onEpochEnd: (r) => void (history.push(r), onEpoch?.(r)) }],
    });
    model.dispose();
    const es = run.train.earlyStopping;
    const kept = es !== false && es.restoreBest ? result.bestEpoch : result.history.length;
    const at = result.history[kept - 1];
    const epochs = result.history.length;
    return {
      ok: true,
      history: result.history,
      result: {
        metric: metric === 'valAccuracy' ? at.valAccuracy : at.valLoss,
        valAccuracy: at.valAccuracy,
        valLoss: at.valLoss,
        bestEpoch: kept,
        epochs,
        stoppedEarly: result.stoppedEarly,
        seconds: result.seconds,
        secondsPerEpoch: result.seconds / Math.max(1, epochs),
      },
    };
  } catch (e) {
    if (e instanceof DivergenceError) return { ok: false, error: e.message, history };
    throw e;
  }
}

/** Train the final model on `train` (validating on `val`), evaluate it on `test`, and serialise it. */
export async function runFinal(
  data: TrialData & { test: LabelledData | null; classNames: string[] },
  run: ResolvedRun,
  seed: number,
  options: { backend?: Backend; onEpoch?: (r: EpochRecord) => void; extras?: Record<string, unknown> } = {},
): Promise<FinalOutcome> {
  const onEpoch = options.onEpoch;
  const { model, result } = await trainRun(data, run, {
    seed,
    backend: options.backend,
    callbacks: onEpoch ? [{ onEpochEnd: (r) => onEpoch(r) }] : [],
  });
  try {
    const test = data.test ? evaluateClassifier(model, data.test, data.classNames) : null;
    // The study passes its fitted pipeline as Pipeline.toJSON() (plain data that crosses threads).
    const { pipeline, source } = options.extras ?? {};
    const modelJson = await encodeModelFile({
      model,
      pipeline: pipeline ? Pipeline.fromJSON(pipeline, 'the study data') : null,
      classNames: data.classNames,
      run: { ...run, train: { ...run.train, seed } },
      source: typeof source === 'string' ? source : undefined,
      epoch: result.bestEpoch,
    });
    return {
      history: result.history,
      bestEpoch: result.bestEpoch,
      stoppedEarly: result.stoppedEarly,
      restoredBest: result.restoredBest,
      seconds: result.seconds,
      trainRows: data.train.rows,
      test,
      modelJson,
    };
  } finally {
    model.dispose();
  }
}

/** The rows of `d` at `rows`, in that order (a copy). */
export function takeRows(d: LabelledData, rows: Int32Array): LabelledData {
  const { features, labels, cols } = selectRows({ ...d, source: '' }, rows);
  return { features, labels, rows: rows.length, cols };
}
