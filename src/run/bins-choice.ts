/**
 * A choice the rule makes by measuring rather than by size: whether a table's numeric columns
 * also go in as piecewise-linear bins (`numericBins`). Bins let a network read thresholds as a
 * tree does, which some tables reward and others punish (measured in bench/RESULTS.md), so a
 * table of fewer than BINS_CHOICE_ROWS training rows cross-validates one network of the chosen
 * shape with and without them, on the training rows only, and keeps the better: by accuracy
 * for classes, by R² for a regression.
 */
import { classCounts } from '../data/dataset.js';
import { prepare, type Prepared, type RawData } from '../data/prepare.js';
import type { Backend } from '../tensor/backend.js';
import { chooseRun, type Choice } from './auto.js';
import { crossValidate } from './cv.js';
import { dataOptionsSchema, mergeSpecs, resolveRun, type DataOptions, type RunInput } from './spec.js';
import { parseConfig } from '../validate.js';

/** Bins per numeric column when they are chosen. */
export const CHOSEN_BINS = 8;
/** Up to this many training rows the choice is measured (above it, two extra cross-validations cost more than bins add). */
export const BINS_CHOICE_ROWS = 10_000;
const FOLDS = 5;

/** Whether a prepared table has a numeric column that bins would split (it has three distinct values or more). */
function binsApply(p: Prepared): boolean {
  return p.table?.meta.columns.some((c) => c.role === 'numeric' && c.bins !== undefined) ?? false;
}

/**
 * The bins for a run whose model is chosen for the data: `CHOSEN_BINS` or 0, by the mean
 * accuracy (R² for a regression) of `FOLDS`-fold cross-validation of one network (ties keep
 * the values alone), and the line that says so; null when the choice does not arise (bins
 * given, arrays of numbers, no column to bin, too many rows, too few rows for the folds).
 */
export async function chooseNumericBins(
  data: RawData,
  options: RunInput,
  dataOptions: DataOptions,
  seed: number,
  backend: Backend,
  signal?: AbortSignal,
): Promise<{ bins: number; choice: Choice; prepared: Prepared } | null> {
  const rows = data.train.rows;
  if (options.data?.numericBins !== undefined || !data.train.table || rows >= BINS_CHOICE_ROWS) return null;
  const withBins = prepare(data, { ...dataOptions, numericBins: CHOSEN_BINS, seed }, backend);
  if (!binsApply(withBins)) return null;
  const regress = withBins.task === 'regress';
  // Each fold holds out a row of every class, or for a regression 4 rows or more (as a run's own cross-validation asks).
  const fewest = regress ? Math.floor(withBins.train.rows / 4) : Math.min(...classCounts(withBins.train.labels, withBins.classes).filter((n) => n > 0));
  if (fewest < FOLDS) return null;
  const score = async (bins: number, p: Prepared): Promise<number> => {
    const shape = chooseRun({ rows, features: p.train.cols, classes: p.classes, regress }).spec;
    const d = parseConfig(dataOptionsSchema, { ...dataOptions, numericBins: bins, valFraction: 0 }, 'data');
    const spec = resolveRun(mergeSpecs(mergeSpecs(shape, { ...options, data: d }), { train: { ensemble: 1, cv: FOLDS, cvRepeats: 1 } }));
    const cv = await crossValidate(spec, data, { backend, signal });
    return regress ? cv.r2!.mean : cv.accuracy.mean;
  };
  const plain = prepare(data, { ...dataOptions, numericBins: 0, seed }, backend);
  let without: number, binned: number;
  try {
    without = await score(0, plain);
    binned = await score(CHOSEN_BINS, withBins);
  } catch (e) {
    // Interrupted while measuring: the run goes on without bins, and stops as an interrupted run does.
    if (signal?.aborted) return null;
    throw e;
  }
  const keep = binned > without;
  const [b, w] = regress ? [binned.toFixed(3), without.toFixed(3)] : [`${(100 * binned).toFixed(1)}%`, `${(100 * without).toFixed(1)}%`];
  return {
    bins: keep ? CHOSEN_BINS : 0,
    prepared: keep ? withBins : plain,
    choice: {
      option: 'numeric bins',
      value: keep ? `${CHOSEN_BINS} per numeric column` : 'none (the values alone)',
      why: `${FOLDS}-fold cross-validation of one network on the training rows: ${regress ? `R² ${b}` : `${b} accuracy`} with bins, ${w} without`,
    },
  };
}
