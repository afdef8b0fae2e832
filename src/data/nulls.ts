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

/** Count NaN and infinite values per column and the rows that hold them; only in `columns` when given. */
export function countNulls(features: Float32Array, rows: number, cols: number, columns: readonly number[] | null = null): NullCount {
  const perColumn = new Map<number, number>();
  const which = columns ?? Array.from({ length: cols }, (_, c) => c);
  let values = 0, badRows = 0;
  for (let r = 0; r < rows; r++) {
    let bad = false;
    const base = r * cols;
    for (const c of which) {
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

/** Indices of the rows whose features are all finite (only `columns` are looked at, when given). */
export function finiteRows(ds: Dataset, columns: readonly number[] | null = null): Int32Array {
  const keep: number[] = [];
  const { features, cols } = ds;
  const which = columns ?? Array.from({ length: cols }, (_, c) => c);
  for (let r = 0; r < ds.rows; r++) {
    let ok = true;
    for (const c of which) {
      const x = features[r * cols + c];
      if (x - x !== 0) {
        ok = false;
        break;
      }
    }
    if (ok) keep.push(r);
  }
  return Int32Array.from(keep);
}

/** "column 3: 5, column 7: 1" (or the columns' names) for the first few columns, for summaries and errors. */
export function describeColumns(perColumn: Map<number, number>, limit = 6, names?: readonly string[]): string {
  const entries = [...perColumn.entries()].sort((a, b) => a[0] - b[0]);
  const label = (c: number) => (names ? JSON.stringify(names[c]) : `column ${c}`);
  const shown = entries.slice(0, limit).map(([c, n]) => `${label(c)}: ${n}`).join(', ');
  return entries.length > limit ? `${shown}, and ${entries.length - limit} more columns` : shown;
}
