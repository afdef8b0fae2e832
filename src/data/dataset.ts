import { DataError } from '../errors.js';
import type { TableColumns } from './table/cells.js';

/**
 * Labelled rows, the one data type every part of mlplab passes around: `rows` x `cols` float
 * features, row-major, and one integer class label per row. `source` names where the rows
 * came from (a file, or `fashion-mnist (train)`), so errors and reports can point at it.
 */
export interface Dataset {
  features: Float32Array;
  labels: Int32Array;
  rows: number;
  cols: number;
  source?: string;
  /** Names of the classes, index = label, where the data carries them. */
  classNames?: string[];
  /**
   * The label value of each class (index = label) when the file's labels were numbers other
   * than exactly 0..K-1 (1990, 2000, 2010), so a model can predict the original values.
   */
  classValues?: number[];
  /**
   * A table's columns, when the rows are raw table cells (a CSV file, JavaScript records): then
   * a text column's features are codes into its dictionary and blanks are NaN, and `prepare`
   * (or a saved model) types and encodes the columns into numbers.
   */
  table?: TableColumns;
  /**
   * Regression: the number to predict of each row (then `labels` holds the decile of the row's
   * target, so splits and folds are stratified by it; see targets.ts). Absent: classification.
   */
  targets?: Float64Array;
}

/** Rows without labels, for prediction: a Dataset fits, so does `{ features, rows, cols }`. */
export type FeatureRows = Pick<Dataset, 'features' | 'rows' | 'cols' | 'source' | 'table'>;

/**
 * One thing loading or pre-processing did, for reports: a human sentence and the numbers
 * behind it. `warning` marks something the user should look at (an absent class, dropped rows).
 */
export interface PrepStep {
  name: string;
  summary: string;
  details?: Record<string, unknown>;
  warning?: boolean;
}

/** Labels above this are taken for a mistake (a column of ids or measurements), not classes. */
export const MAX_CLASSES = 65536;

/** Number of classes implied by labels 0..max: max label + 1 over all the given datasets. */
export function countClasses(...sets: (Dataset | null | undefined)[]): number {
  let max = -1;
  for (const ds of sets) {
    if (!ds) continue;
    const labels = ds.labels;
    for (let i = 0; i < labels.length; i++) if (labels[i] > max) max = labels[i];
  }
  return max + 1;
}

/** Rows per class (index = label) over `classes` classes. */
export function classCounts(labels: Int32Array, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
  return counts;
}

/** A new dataset holding the given rows of `ds`, in the given order. */
export function selectRows(ds: Dataset, indices: ArrayLike<number>, source = ds.source): Dataset {
  const n = indices.length;
  const cols = ds.cols;
  const features = new Float32Array(n * cols);
  const labels = new Int32Array(n);
  const targets = ds.targets ? new Float64Array(n) : null;
  for (let i = 0; i < n; i++) {
    const r = indices[i];
    features.set(ds.features.subarray(r * cols, r * cols + cols), i * cols);
    labels[i] = ds.labels[r];
    if (targets) targets[i] = ds.targets![r];
  }
  const out = withClassNames({ features, labels, rows: n, cols, source }, ds.classNames, ds.classValues);
  if (ds.table) out.table = ds.table;
  if (targets) out.targets = targets;
  return out;
}

/** Check that a dataset's arrays agree with its shape and its labels are class indices; throws DataError naming its source. */
export function checkDataset(ds: Dataset): void {
  const source = ds.source ?? 'data';
  if (ds.features.length !== ds.rows * ds.cols) {
    throw new DataError(source, `holds ${ds.features.length} feature values, expected rows x cols = ${ds.rows} x ${ds.cols}`);
  }
  if (ds.labels.length !== ds.rows) {
    throw new DataError(source, `holds ${ds.labels.length} labels for ${ds.rows} rows`);
  }
  if (ds.targets && ds.targets.length !== ds.rows) throw new DataError(source, `holds ${ds.targets.length} targets for ${ds.rows} rows`);
  for (let i = 0; i < ds.labels.length; i++) {
    const v = ds.labels[i];
    if (v < 0 || v >= MAX_CLASSES) throw new DataError(source, `label ${v} at row ${i} is not a class index from 0 to ${MAX_CLASSES - 1}`);
  }
}

function withClassNames(ds: Dataset, classNames: string[] | undefined, classValues: number[] | undefined): Dataset {
  if (classNames !== undefined) ds.classNames = classNames;
  if (classValues !== undefined) ds.classValues = classValues;
  return ds;
}
