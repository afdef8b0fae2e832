/**
 * Running one trial: train a configuration with one seed and read off what the study
 * records. Used by the worker threads; a trial's result depends only on (run, seed, data).
 */
import type { Dataset } from '../../data/dataset.js';
import { ConfigError, DivergenceError } from '../../errors.js';
import type { EpochRecord } from '../../metrics/history-types.js';
import type { ResolvedRun } from '../../run/spec.js';
import { trainRun } from '../../run/train.js';
import type { Backend } from '../../tensor/backend.js';
import { metricOf, storedPerEpoch, type StudyMetric } from '../study/config.js';
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
      classMetrics: !storedPerEpoch(metric),
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
