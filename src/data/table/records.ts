/**
 * Tables as JavaScript holds them: an array of plain objects (records, as `JSON.parse` of an
 * API response gives them) or an object of columns (`{ island: [...], bill_length_mm: [...] }`).
 * They become the same raw table rows a CSV file gives, so the same column typing, encoding
 * and saved model serve both. Browser-safe.
 */
import { DataError } from '../../errors.js';
import type { Dataset, FeatureRows } from '../dataset.js';
import { mapLabels } from '../labels.js';
import { chooseTask, mapTargets, withTargets, type Task } from '../labels.js';
import type { RawData } from '../prepare.js';
import { stratifiedSplit } from '../split.js';
import { selectRows } from '../dataset.js';
import { ColumnStore, categoryText } from './cells.js';

/** One cell: a number, a text, a yes/no, or blank (null, undefined, NaN). */
export type Cell = string | number | boolean | null | undefined;
/** Rows as plain objects, one key per column. */
export type Records = readonly Readonly<Record<string, Cell>>[];
/** Columns as arrays of equal length, by name. */
export type Columns = Readonly<Record<string, readonly Cell[]>>;

/** Most columns a table of records may have. */
const MAX_COLUMNS = 100_000;

export interface RecordsOptions {
  /** The column holding the class of each row: given, the result is labelled data to train on. */
  label: string;
  /**
   * Test rows: records or columns of the same table, or a fraction of the rows held out
   * (stratified by class, seeded with `seed`). Default: none.
   */
  test?: Records | Columns | number;
  /** Seed of the held-out test rows. Default 0. */
  seed?: number;
  /** A name for messages and reports. Default "records". */
  source?: string;
  /** Classes or a number to predict; default 'auto' (see chooseTask: numbers with fractions, or many distinct whole numbers, are regression). */
  task?: 'auto' | Task;
}

/**
 * Raw table rows from records or columns. With a `label`, labelled data to train on (what
 * `runExperiment` and `prepare` take); without, rows to predict (what a Predictor takes).
 *
 * @example
 * const data = fromRecords(penguins, { label: 'species', test: 0.25 });
 * const result = await runExperiment({}, data);
 * const p = await loadPredictor(result.modelFile);
 * p.labels(p.predict(fromRecords([{ island: 'Biscoe', bill_length_mm: 45.1, sex: null }])));
 */
export function fromRecords(data: Records | Columns, options: RecordsOptions): RawData;
export function fromRecords(data: Records | Columns, options?: { source?: string }): FeatureRows;
export function fromRecords(data: Records | Columns, options: Partial<RecordsOptions> = {}): RawData | FeatureRows {
  const source = options.source ?? 'records';
  if (options.label === undefined) {
    const { rows } = readCells(data, source, null);
    return rows;
  }
  const label = options.label;
  const train = readCells(data, source, label);
  let test: ReturnType<typeof readCells> | null = null;
  if (options.test !== undefined && typeof options.test !== 'number') test = readCells(options.test, `${source} (test)`, label);
  const parts = [train, ...(test ? [test] : [])];
  const raw = parts.map((p, i) => ({ file: `${i === 0 ? source : `${source} (test)`} (label ${JSON.stringify(label)})`, codes: p.labels!.codes, texts: p.labels!.texts }));
  const choice = chooseTask(raw, options.task);
  let datasets: Dataset[];
  if (choice.task === 'regress') {
    const targets = mapTargets(raw);
    datasets = parts.map((p, i) => withTargets({ ...p.rows, classNames: [label] }, targets[i]));
  } else {
    const mapped = mapLabels(raw);
    datasets = parts.map((p, i): Dataset => {
      const ds: Dataset = { ...p.rows, labels: mapped.labels[i], classNames: mapped.classNames } as Dataset;
      if (mapped.classValues) ds.classValues = mapped.classValues;
      return ds;
    });
  }
  let [trainSet, testSet = null] = datasets;
  if (typeof options.test === 'number') {
    const f = options.test;
    if (!(f > 0 && f < 1)) throw new DataError(source, `test ${f} is not a fraction of the rows in (0, 1)`);
    const { train: tr, val: te } = stratifiedSplit(trainSet.labels, f, options.seed ?? 0);
    testSet = selectRows(trainSet, te, `${source} (test part)`);
    trainSet = selectRows(trainSet, tr, source);
  }
  const gaps = train.unlabelled + (test?.unlabelled ?? 0);
  const read = {
    name: 'read',
    summary: `${source}: ${train.rows.rows} records x ${train.rows.cols} columns; labels from ${JSON.stringify(label)}` + (gaps ? `; ${gaps} records without a label left out` : ''),
    details: { rows: train.rows.rows, cols: train.rows.cols, unlabelled: gaps },
    ...(gaps ? { warning: true } : {}),
  };
  const task = { name: 'task', summary: `${choice.task === 'regress' ? `Regression of ${JSON.stringify(label)}` : 'Classification'}: ${choice.why}`, details: { task: choice.task, why: choice.why } };
  return { train: trainSet, test: testSet, notes: [read, task] };
}

/** Cells into a column store; the label column's texts apart. */
function readCells(data: Records | Columns, source: string, label: string | null): { rows: FeatureRows; labels: { codes: Int32Array; texts: string[] } | null; unlabelled: number } {
  const isRecords = Array.isArray(data);
  if (!isRecords && (data === null || typeof data !== 'object')) throw new DataError(source, 'is neither an array of records nor an object of columns');
  const records = isRecords ? (data as Records) : null;
  const columns = isRecords ? null : (data as Columns);
  // Column names: the keys of every record in order of first appearance, or the columns' names.
  const names: string[] = [];
  let rows: number;
  if (records) {
    const seen = new Set<string>();
    records.forEach((r, i) => {
      if (r === null || typeof r !== 'object' || Array.isArray(r)) throw new DataError(source, `record ${i} is not an object of named values`);
      for (const k of Object.keys(r)) {
        if (!seen.has(k)) {
          seen.add(k);
          names.push(k);
          if (names.length > MAX_COLUMNS) throw new DataError(source, `records hold more than ${MAX_COLUMNS} distinct keys`);
        }
      }
    });
    rows = records.length;
  } else {
    names.push(...Object.keys(columns!));
    if (names.length > MAX_COLUMNS) throw new DataError(source, `has more than ${MAX_COLUMNS} columns`);
    const lengths = names.map((n) => {
      const col = columns![n];
      if (!Array.isArray(col)) throw new DataError(source, `column ${JSON.stringify(n)} is not an array of values`);
      return col.length;
    });
    rows = lengths[0] ?? 0;
    const other = lengths.findIndex((l) => l !== rows);
    if (other >= 0) throw new DataError(source, `column ${JSON.stringify(names[other])} has ${lengths[other]} values, but ${JSON.stringify(names[0])} has ${rows}; columns must be of one length`);
  }
  if (rows === 0) throw new DataError(source, 'holds no rows');
  const cell = records ? (r: number, n: string) => records[r][n] : (r: number, n: string) => columns![n][r];
  let labelCodes: Int32Array | null = null;
  const texts: string[] = [];
  if (label !== null) {
    if (!names.includes(label)) throw new DataError(source, `has no column ${JSON.stringify(label)} for the label; its columns are ${names.slice(0, 12).map((n) => JSON.stringify(n)).join(', ')}`);
    labelCodes = new Int32Array(rows);
    const dict = new Map<string, number>();
    for (let r = 0; r < rows; r++) {
      const v = cell(r, label);
      const t = v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v)) ? null : categoryText(String(v));
      // A row without a label has nothing to learn from or score: left out, and counted (as CSV rows are).
      if (t === null) {
        labelCodes[r] = -1;
        continue;
      }
      let code = dict.get(t);
      if (code === undefined) {
        code = texts.length;
        dict.set(t, code);
        texts.push(t);
      }
      labelCodes[r] = code;
    }
  }
  const features = names.filter((n) => n !== label);
  if (features.length === 0) throw new DataError(source, 'has no feature columns besides the label');
  const store = new ColumnStore(source, features, true);
  let kept = 0;
  for (let r = 0; r < rows; r++) {
    if (labelCodes && labelCodes[r] < 0) continue;
    for (let c = 0; c < features.length; c++) store.value(c, cell(r, features[c]), r);
    store.endRow();
    if (labelCodes) labelCodes[kept] = labelCodes[r];
    kept++;
  }
  if (kept === 0) throw new DataError(source, `has no row with a label ${JSON.stringify(label)}`);
  const { features: values, table } = store.finish();
  table.label = label;
  const labels = labelCodes ? { codes: labelCodes.slice(0, kept), texts } : null;
  return { rows: { features: values, rows: kept, cols: features.length, source, table }, labels, unlabelled: rows - kept };
}
