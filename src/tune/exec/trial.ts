/**
 * Running one trial: train a configuration with one seed and read off what the study
 * records. Used by the worker threads; a trial's result depends only on (run, seed, data).
 */
import { selectRows, type Dataset } from '../../data/dataset.js';
import { stratifiedFolds } from '../../run/cv.js';
import { ConfigError, DivergenceError } from '../../errors.js';
import type { EpochRecord } from '../../metrics/history-types.js';
import type { ResolvedRun } from '../../run/spec.js';
import { trainRun } from '../../run/train.js';
import type { Backend } from '../../tensor/backend.js';
import { metricOf, type StudyMetric } from '../study/config.js';
import { needsClassMetrics } from '../study/metrics.js';
import type { PruneInput } from './protocol.js';
import { prunerFromConfig } from '../search/pruners.js';
import type { TrialResult } from '../storage/types.js';

export interface TrialData {
  train: Dataset;
  val: Dataset;
  classes: number;
}

export type TrialOutcome =
  /** `pruned`: the pruner stopped it after its last epoch, for this reason. */
  | { ok: true; result: TrialResult; history: EpochRecord[]; pruned?: string }
  | { ok: false; error: string; history: EpochRecord[] };

/**
 * Train `run` with `seed` and summarise it. The kept epoch is the best one when early stopping
 * restores the best weights, else the last; the metric is read at that epoch. A diverging run
 * is a result of its own (`ok: false`), not an exception. With `prune`, the pruner judges the
 * trial after every epoch against the curves it was given, and may stop it there.
 */
export async function runTrial(
  data: TrialData,
  run: ResolvedRun,
  seed: number,
  metric: StudyMetric,
  options: { backend?: Backend; onEpoch?: (r: EpochRecord) => void; prune?: PruneInput } = {},
): Promise<TrialOutcome> {
  const history: EpochRecord[] = [];
  const { onEpoch, prune } = options;
  const curve: number[] = [];
  const pruner = prune ? prunerFromConfig(prune.pruner, prune.sign) : null;
  let pruned: string | undefined;
  try {
    const { model, result } = await trainRun(data, run, {
      seed,
      backend: options.backend,
      classMetrics: needsClassMetrics(metric),
      callbacks: [
        {
          onEpochEnd: (r, ctx) => {
            history.push(r);
            onEpoch?.(r);
            // The last epoch ends the trial anyway: it finishes, not pruned.
            if (!prune || !pruner || r.epoch >= ctx.epochs) return;
            curve.push(metricOf(r, metric));
            const d = pruner.prune(curve, prune.others, r.epoch);
            if (d?.prune && !ctx.stopTraining) {
              pruned = d.reason;
              ctx.stopTraining = true;
            }
          },
        },
      ],
    });
    model.dispose();
    const es = run.train.earlyStopping;
    const kept = es !== false && es.restoreBest ? result.bestEpoch : result.history.length;
    const at = result.history[kept - 1];
    const epochs = result.history.length;
    return {
      ok: true,
      ...(pruned !== undefined ? { pruned } : {}),
      history: result.history,
      result: {
        metric: metricOf(at, metric),
        valAccuracy: at.valAccuracy,
        valLoss: at.valLoss,
        bestEpoch: kept,
        epochs,
        stoppedEarly: result.stoppedEarly,
        seconds: result.seconds,
        secondsPerEpoch: result.seconds / Math.max(1, epochs),
        ...keptRegressionScores(at),
        ...(at.layers ? { layers: at.layers } : {}),
      },
    };
  } catch (e) {
    if (e instanceof DivergenceError) return { ok: false, error: e.message, history };
    // A configuration that cannot be built (too many parameters for memory, say) is the trial's own failure too.
    if (e instanceof ConfigError) return { ok: false, error: `cannot be trained: ${e.message}`, history };
    throw e;
  }
}

/** A regression trial's R², RMSE and MAE at its kept epoch (nothing for classes). */
function keptRegressionScores(at: EpochRecord): Pick<TrialResult, 'valR2' | 'valRmse' | 'valMae'> {
  return at.valR2 === undefined ? {} : { valR2: at.valR2, valRmse: at.valRmse ?? NaN, valMae: at.valMae ?? NaN };
}

/**
 * The folds of a cross-validated study: the trial rows and the validation part pooled, dealt
 * into `k` stratified folds with `seed` (as `mlplab train --cv` deals them); fold i trains on
 * the others and is judged on its own rows. The study's pre-processing was fitted once, on its
 * training part, before the folds are drawn.
 */
export function trialFolds(data: TrialData, k: number, seed: number): TrialData[] {
  const pool = concatRows(data.train, data.val);
  const fold = stratifiedFolds(pool.labels, k, seed);
  return Array.from({ length: k }, (_, f) => {
    const tr: number[] = [], va: number[] = [];
    for (let i = 0; i < fold.length; i++) (fold[i] === f ? va : tr).push(i);
    return { train: selectRows(pool, tr), val: selectRows(pool, va), classes: data.classes };
  });
}

function concatRows(a: Dataset, b: Dataset): Dataset {
  if (b.rows === 0) return a;
  const features = new Float32Array((a.rows + b.rows) * a.cols);
  features.set(a.features.subarray(0, a.rows * a.cols));
  features.set(b.features.subarray(0, b.rows * b.cols), a.rows * a.cols);
  const labels = new Int32Array(a.rows + b.rows);
  labels.set(a.labels.subarray(0, a.rows));
  labels.set(b.labels.subarray(0, b.rows), a.rows);
  if (!a.targets || !b.targets) return { ...a, features, labels, rows: a.rows + b.rows };
  const targets = new Float64Array(a.rows + b.rows);
  targets.set(a.targets.subarray(0, a.rows));
  targets.set(b.targets.subarray(0, b.rows), a.rows);
  return { ...a, features, labels, targets, rows: a.rows + b.rows };
}

/**
 * A cross-validated trial: the configuration trained once per fold with the same seed, its
 * metric the mean of the folds' (each read at its own kept epoch), its history the mean of the
 * folds' epochs that all of them ran. A fold that diverges fails the trial, naming the fold.
 */
export async function runFoldedTrial(
  folds: TrialData[],
  run: ResolvedRun,
  seed: number,
  metric: StudyMetric,
  options: { backend?: Backend; onEpoch?: (r: EpochRecord) => void } = {},
): Promise<TrialOutcome> {
  const outs: Extract<TrialOutcome, { ok: true }>[] = [];
  for (let f = 0; f < folds.length; f++) {
    const o = await runTrial(folds[f], run, seed, metric, options);
    if (!o.ok) return { ok: false, error: `fold ${f + 1} of ${folds.length}: ${o.error}`, history: o.history };
    outs.push(o);
  }
  const mean = (x: (o: (typeof outs)[number]) => number) => outs.reduce((s, o) => s + x(o), 0) / outs.length;
  const common = Math.min(...outs.map((o) => o.history.length));
  const keys = ['trainLoss', 'valLoss', 'trainAccuracy', 'valAccuracy', 'seconds', 'learningRate', 'valBalancedAccuracy', 'valMacroF1', 'valR2', 'valRmse', 'valMae'] as const;
  const history: EpochRecord[] = Array.from({ length: common }, (_, e) => {
    const r: EpochRecord = { epoch: e + 1, trainLoss: 0, valLoss: 0, trainAccuracy: 0, valAccuracy: 0, seconds: 0 };
    for (const k of keys) {
      const values = outs.map((o) => o.history[e][k]);
      if (values.every((v) => v !== undefined)) r[k] = (values as number[]).reduce((a, b) => a + b, 0) / values.length;
    }
    return r;
  });
  const seconds = outs.reduce((s, o) => s + o.result.seconds, 0);
  const epochs = outs.reduce((s, o) => s + o.result.epochs, 0);
  return {
    ok: true,
    history,
    result: {
      metric: mean((o) => o.result.metric),
      valAccuracy: mean((o) => o.result.valAccuracy),
      valLoss: mean((o) => o.result.valLoss),
      bestEpoch: Math.max(1, Math.round(mean((o) => o.result.bestEpoch))),
      epochs: Math.max(...outs.map((o) => o.result.epochs)),
      stoppedEarly: outs.some((o) => o.result.stoppedEarly),
      seconds,
      secondsPerEpoch: seconds / Math.max(1, epochs),
      ...(outs[0].result.valR2 !== undefined ? { valR2: mean((o) => o.result.valR2 ?? NaN), valRmse: mean((o) => o.result.valRmse ?? NaN), valMae: mean((o) => o.result.valMae ?? NaN) } : {}),
    },
  };
}
