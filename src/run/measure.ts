/**
 * The choices the rule makes by measuring rather than by size, for a run whose model is chosen
 * for the data and which has fewer than MEASURE_ROWS training rows. One network of the chosen
 * shape is cross-validated on the training rows only (the test rows are not looked at):
 * - numeric bins (tables): with and without them, the better kept, by accuracy for classes and
 *   by R² for a regression. Bins let a network read thresholds as a tree does, which some
 *   tables reward and others punish (measured in bench/RESULTS.md);
 * - the epoch count: each fold stops on its own held-out loss, and the final networks train on
 *   all the training rows for the mean of the folds' best epochs (scikit-learn's refit) instead
 *   of holding a validation part out or stopping on the training loss.
 */
import { prepare, type Prepared, type RawData } from '../data/prepare.js';
import type { Backend } from '../tensor/backend.js';
import { chooseRun, type Choice } from './auto.js';
import { crossValidate, mostFolds, type FoldScore } from './cv.js';
import { dataOptionsSchema, mergeSpecs, resolveRun, type DataOptions, type RunInput } from './spec.js';
import { parseConfig } from '../validate.js';

/** Bins per numeric column when they are chosen. */
export const CHOSEN_BINS = 8;
/** Below this many training rows the choices are measured (above it, a validation part of 1,000 rows or more judges well, and the folds would cost more than they add). */
export const MEASURE_ROWS = 10_000;
/** Folds of the measuring cross-validation. */
export const MEASURE_FOLDS = 5;

/** What measuring chose: data options to train with, the data prepared with them, the final networks' epochs, and the lines that say so. */
export interface Measured {
  /** `numericBins` when bins were measured, `valFraction` 0 when the folds chose the epochs. */
  data: Partial<DataOptions>;
  prepared: Prepared;
  /** Epochs for the final networks (no early stopping), or null when the run stops as chosen by size. */
  epochs: number | null;
  /** The "numeric bins" line, when bins were measured. */
  bins: Choice | null;
  /** Why the epoch count is what it is, when the folds chose it. */
  epochsWhy: string | null;
}

/** How the measuring runs: the run's seed and kernels, whether folds of its own will score it, and a stop and a progress hook. */
export interface MeasureOptions {
  seed: number;
  backend: Backend;
  /** The run has no test set: its own cross-validation scores it and chooses the epochs. */
  scoredByFolds: boolean;
  signal?: AbortSignal;
  onFold?: (variant: string, score: FoldScore, of: number) => void;
}

/** Whether a prepared table has a numeric column that bins would split (it has three distinct values or more). */
function binsApply(p: Prepared): boolean {
  return p.table?.meta.columns.some((c) => c.role === 'numeric' && c.bins !== undefined) ?? false;
}

/**
 * Measure what can be measured for this run (see the file's comment). Null when nothing is:
 * MEASURE_ROWS training rows or more; a class with fewer rows than folds (a regression: fewer
 * than 4 rows a fold); or neither bins to measure (arrays, bins given, no numeric column to
 * split) nor epochs (the stopping given: early stopping, a validation fraction or validation
 * data; or left to the folds that score a run without a test set, `scoredByFolds`). An
 * interrupted measurement returns null too: the run goes on as chosen by size and stops as an
 * interrupted run does.
 */
export async function measureChoices(data: RawData, options: RunInput, dataOptions: DataOptions, how: MeasureOptions): Promise<Measured | null> {
  const { seed, backend, scoredByFolds, signal, onFold } = how;
  const rows = data.train.rows;
  if (rows >= MEASURE_ROWS) return null;
  const stoppingGiven = options.train?.earlyStopping !== undefined || options.data?.valFraction !== undefined || (data.val?.rows ?? 0) > 0;
  const refit = !stoppingGiven && !scoredByFolds;
  if (!refit && (options.data?.numericBins !== undefined || !data.train.table)) return null;
  const base: DataOptions = refit ? { ...dataOptions, valFraction: 0 } : dataOptions;
  const plain = prepare(data, { ...base, numericBins: options.data?.numericBins ?? 0, seed }, backend);
  const withBins = options.data?.numericBins === undefined && data.train.table ? prepare(data, { ...base, numericBins: CHOSEN_BINS, seed }, backend) : null;
  const measureBins = withBins !== null && binsApply(withBins);
  if (!measureBins && !refit) return null;
  const regress = plain.task === 'regress';
  if (mostFolds(plain) < MEASURE_FOLDS) return null;
  const folds = async (bins: number, p: Prepared, variant: string) => {
    const shape = chooseRun({ rows, features: p.train.cols, classes: p.classes, regress }).spec;
    const d = parseConfig(dataOptionsSchema, { ...dataOptions, numericBins: bins, valFraction: 0 }, 'data');
    const spec = resolveRun(mergeSpecs(mergeSpecs(shape, { ...options, data: d }), { train: { ensemble: 1, cv: MEASURE_FOLDS, cvRepeats: 1 } }));
    const cv = await crossValidate(spec, data, { backend, signal, onFold: onFold && ((score, of) => onFold(variant, score, of)) });
    return { score: regress ? cv.r2!.mean : cv.accuracy.mean, epochs: cv.epochs, patience: spec.train.earlyStopping ? spec.train.earlyStopping.patience : 10 };
  };
  const given = options.data?.numericBins ?? 0;
  let without, binned;
  try {
    without = await folds(given, plain, measureBins ? 'without bins' : 'the epochs');
    binned = measureBins ? await folds(CHOSEN_BINS, withBins, `with ${CHOSEN_BINS} bins`) : null;
  } catch (e) {
    if (signal?.aborted) return null;
    throw e;
  }
  // Stopped part way: folds that did not all finish choose nothing.
  if (signal?.aborted) return null;
  const keep = binned !== null && binned.score > without.score;
  const chosen = keep ? binned! : without;
  const what = `${MEASURE_FOLDS}-fold cross-validation of one network on the training rows`;
  let bins: Choice | null = null;
  if (binned) {
    const [b, w] = regress ? [binned.score.toFixed(3), without.score.toFixed(3)] : [`${(100 * binned.score).toFixed(1)}%`, `${(100 * without.score).toFixed(1)}%`];
    bins = {
      option: 'numeric bins',
      value: keep ? `${CHOSEN_BINS} per numeric column` : 'none (the values alone)',
      why: `${what}: ${regress ? `R² ${b}` : `${b} accuracy`} with bins, ${w} without`,
    };
  }
  return {
    data: { ...(measureBins ? { numericBins: keep ? CHOSEN_BINS : 0 } : {}), ...(refit ? { valFraction: 0 } : {}) },
    prepared: keep ? withBins! : plain,
    epochs: refit ? chosen.epochs : null,
    bins,
    epochsWhy: refit ? `the mean best epoch of ${what}, each fold stopped when its held-out loss had not fallen for ${chosen.patience} epochs; the final networks train on all the rows` : null,
  };
}
