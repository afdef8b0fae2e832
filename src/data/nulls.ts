import type { Dataset } from './dataset.js';

/** NaN and infinite values in a table: how many, in how many rows, in which columns. */
export interface NullCount {
  /** Non-finite values in all. */
  values: number;
  /** Rows holding at least one. */
  rows: number;
  /** Column index -> count, for columns that have any. */
  perColumn: Map<number, number>;
}

/** Count NaN and infinite values per column and the rows that hold them. */
export function countNulls(features: Float32Array, rows: number, cols: number): NullCount {
  const perColumn = new Map<number, number>();
  let values = 0, badRows = 0;
  for (let r = 0; r < rows; r++) {
    let bad = false;
    const base = r * cols;
    for (let c = 0; c < cols; c++) {
      // x - x is 0 for finite x and NaN for NaN or +-Infinity: one test for both.
      const x = features[base + c];
      if (x - x !== 0) {
        values++;
        bad = true;
        perColumn.set(c, (perColumn.get(c) ?? 0) + 1);
      }
    }
    if (bad) badRows++;
  }
  return { values, rows: badRows, perColumn };
}

/** Indices of the rows whose features are all finite. */
export function finiteRows(ds: Dataset): Int32Array {
  const keep: number[] = [];
  const { features, cols } = ds;
  for (let r = 0; r < ds.rows; r++) {
    let ok = true;
    for (let c = r * cols, end = c + cols; c < end; c++) {
      const x = features[c];
      if (x - x !== 0) {
        ok = false;
        break;
      }
    }
    if (ok) keep.push(r);
  }
  return Int32Array.from(keep);
}

/** "column 3: 5, column 7: 1" for the first few columns, for summaries and errors. */
export function describeColumns(perColumn: Map<number, number>, limit = 6): string {
  const entries = [...perColumn.entries()].sort((a, b) => a[0] - b[0]);
  const shown = entries.slice(0, limit).map(([c, n]) => `column ${c}: ${n}`).join(', ');
  return entries.length > limit ? `${shown}, and ${entries.length - limit} more columns` : shown;
}
