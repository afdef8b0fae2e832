/** Small helpers shared by the table tests: CSV text in, raw table rows out. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dataset } from '../../../src/data/dataset.js';
import { parseCsv, type CsvOptions } from '../../../src/data/formats/csv.js';
import { mapLabels } from '../../../src/data/labels.js';
import type { RawData } from '../../../src/data/prepare.js';
import type { TableColumns } from '../../../src/data/table/cells.js';

/** The committed table fixtures (written by test/fixtures/tables/make_encoder_fixture.py). */
export const TABLE_FIXTURES = fileURLToPath(new URL('../../../../test/fixtures/tables/', import.meta.url));

export const tableFixture = (name: string): Uint8Array => new Uint8Array(readFileSync(join(TABLE_FIXTURES, name)));

export const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

export type TableRows = Dataset & { table: TableColumns; source: string };

/** A CSV text read as raw table rows with no label column (labels all 0). */
export function csvRows(text: string | Uint8Array, file: string, opts: CsvOptions = {}): TableRows {
  const t = parseCsv(typeof text === 'string' ? bytes(text) : text, file, { labelColumn: null, ...opts });
  return { features: t.features, labels: new Int32Array(t.rows), rows: t.rows, cols: t.cols, source: file, table: t.table };
}

/** CSV texts (training, and optionally test) with a label column, as labelled raw data for `prepare`. */
export function csvData(train: string, test: string | null, label: string): RawData {
  const parts = [train, ...(test === null ? [] : [test])].map((text, i) => {
    const file = i === 0 ? 'train.csv' : 'test.csv';
    return { file, t: parseCsv(bytes(text), file, { labelColumn: label, header: true }) };
  });
  const mapped = mapLabels(parts.map(({ file, t }) => ({ file, codes: t.labels!, texts: t.labelTexts! })));
  const sets = parts.map(({ file, t }, i): Dataset => ({
    features: t.features, labels: mapped.labels[i], rows: t.rows, cols: t.cols, source: file, table: t.table, classNames: mapped.classNames,
    ...(mapped.classValues ? { classValues: mapped.classValues } : {}),
  }));
  return { train: sets[0], test: sets[1] ?? null };
}

/** Row r of a row-major matrix. */
export const row = (m: Float32Array, cols: number, r: number): number[] => Array.from(m.subarray(r * cols, (r + 1) * cols));

/** Column c of a row-major matrix. */
export const column = (m: ArrayLike<number>, rows: number, cols: number, c: number): number[] => Array.from({ length: rows }, (_, r) => m[r * cols + c]);
