import { DataError } from '../../errors.js';
import { MAX_CLASSES, type PrepStep } from '../dataset.js';
import { formatShape } from '../../format.js';

/** Typed arrays the parsers hand out, always in native byte order. */
export type NumericArray =
  | Float32Array | Float64Array
  | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array;

/**
 * An n-dimensional array as read from a file: `data` holds the values in C (row-major)
 * order whatever the file's order, as JS numbers of a matching typed array. `dtype` keeps
 * the file's element type by numpy's name ('float32', 'int64', 'bool', ...); 64-bit integers
 * arrive as a Float64Array (exact up to 2^53).
 */
export interface NdArray {
  dtype: string;
  shape: number[];
  data: NumericArray;
}

/**
 * Features from an array: 2-D arrays as they are; 1-D as one column; more dimensions (images
 * N x H x W) flattened per row, with a note. Values are converted to float32.
 */
export function toFeatures(arr: NdArray, file: string, notes?: PrepStep[]): { features: Float32Array; rows: number; cols: number } {
  const shape = arr.shape;
  if (shape.length === 0) throw new DataError(file, 'holds a single value (shape ()), expected a table of rows x features');
  const rows = shape[0];
  if (rows === 0) throw new DataError(file, `has no rows (shape ${formatShape(shape)})`);
  let cols = 1;
  for (let i = 1; i < shape.length; i++) cols *= shape[i];
  if (cols === 0) throw new DataError(file, `has no features (shape ${formatShape(shape)})`);
  if (shape.length > 2 && notes) {
    notes.push({
      name: 'flatten',
      summary: `${file}: ${shape.length}-D array ${formatShape(shape)} flattened to ${rows} rows of ${cols} features`,
      details: { file, shape: [...shape], rows, cols },
    });
  }
  const features = arr.data instanceof Float32Array ? arr.data : Float32Array.from(arr.data);
  if (arr.data instanceof Float64Array) {
    // float32 tops out near 3.4e38: a larger finite value would silently become infinite.
    for (let i = 0; i < features.length; i++) {
      if (!Number.isFinite(features[i]) && Number.isFinite(arr.data[i])) {
        throw new DataError(file, `value ${arr.data[i]} at row ${Math.floor(i / cols)}, column ${i % cols} is beyond the float32 range (about 3.4e38) that mlplab computes in`);
      }
    }
  }
  return { features, rows, cols };
}

/**
 * Class labels from an array of shape (N,) or (N, 1): finite integers >= 0. Float arrays are
 * accepted when every value is a whole number (CSV columns, float-typed label files).
 */
export function toLabels(arr: NdArray, file: string): Int32Array {
  const shape = arr.shape;
  if (!(shape.length === 1 || (shape.length === 2 && shape[1] === 1))) {
    throw new DataError(file, `labels must have shape (N,) or (N, 1), got ${formatShape(shape)}`);
  }
  if (shape[0] === 0) throw new DataError(file, 'has no labels (0 rows)');
  return checkLabelValues(arr.data, file);
}

/**
 * The label values of an array of shape (N,) or (N, 1), as they are (numbers of any kind);
 * labels.ts turns them into classes.
 */
export function labelArray(arr: NdArray, file: string): ArrayLike<number> {
  const shape = arr.shape;
  if (!(shape.length === 1 || (shape.length === 2 && shape[1] === 1))) {
    throw new DataError(file, `labels must have shape (N,) or (N, 1), got ${formatShape(shape)}`);
  }
  if (shape[0] === 0) throw new DataError(file, 'has no labels (0 rows)');
  return arr.data;
}

/** Convert label values to Int32, refusing NaN, fractions, negatives and absurdly large classes. */
export function checkLabelValues(values: ArrayLike<number>, file: string): Int32Array {
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) throw new DataError(file, `label at row ${i} is NaN; labels must be class indices 0, 1, 2, ...`);
    if (!Number.isInteger(v)) throw new DataError(file, `label ${v} at row ${i} is not a whole number; labels must be class indices 0, 1, 2, ...`);
    if (v < 0) throw new DataError(file, `label ${v} at row ${i} is negative; labels must be class indices 0, 1, 2, ...`);
    if (v >= MAX_CLASSES) {
      throw new DataError(file, `label ${v} at row ${i} is too large (at most ${MAX_CLASSES - 1}); is this really the label column?`);
    }
    out[i] = v;
  }
  return out;
}
