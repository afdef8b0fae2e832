/**
 * fromRecords: records and column objects give what the same table read as CSV text gives
 * (the same features after prepare); malformed input is a DataError naming the record or the
 * column; rows without a label predict through a saved model, columns matched by name.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Dataset } from '../../../src/data/dataset.js';
import { prepare, type PrepareOptions, type Prepared, type RawData } from '../../../src/data/prepare.js';
import { fromRecords, type Cell, type Columns } from '../../../src/data/table/records.js';
import { runExperiment } from '../../../src/run/experiment.js';
import { loadPredictor, type Predictor } from '../../../src/run/predictor.js';
import { DataError } from '../../../src/errors.js';
import { lcg } from '../../helpers.js';
import { throwsDataError } from '../helpers.js';
import { csvData } from './helpers.js';

type Row = Record<string, Cell>;
const KEYS = ['island', 'bill', 'member', 'grade', 'tag', 'y'];

/** Rows with text (a rare category, blanks), numbers with blanks, yes/no, numbers and words, a constant. */
function records(n: number, seed: number): Row[] {
  const rand = lcg(seed);
  return Array.from({ length: n }, (_, r) => {
    const u = rand();
    const island = r === 3 ? 'Atlantis' : u < 0.08 ? null : u < 0.5 ? 'Biscoe' : u < 0.8 ? 'Dream' : 'Torgersen';
    const bill = rand() < 0.1 ? null : Math.round((40 + 10 * rand()) * 100) / 100;
    const member = rand() < 0.1 ? null : rand() < 0.5;
    const grade: Cell = [1, 2, 3.5, 'x', '7.0'][Math.floor(rand() * 5)];
    const score = (island === 'Biscoe' ? 1 : 0) + (member ? 0.5 : 0) + (bill ?? 45) / 50 + rand();
    return { island, bill, member, grade, tag: 'v1', y: score > 2.2 ? 'high' : score > 1.6 ? 'mid' : 'low' };
  });
}

/** The records as CSV text: a header, blanks empty, yes/no as true/false. */
function asCsv(rows: Row[]): string {
  const cell = (v: Cell) => (v === null || v === undefined ? '' : String(v));
  return [KEYS.join(','), ...rows.map((r) => KEYS.map((k) => cell(r[k])).join(','))].join('\n') + '\n';
}

/** The records as an object of columns. */
const asColumns = (rows: Row[]): Columns => Object.fromEntries(KEYS.map((k) => [k, rows.map((r) => r[k])]));

/** What must agree between two preparations of one table. */
function same(a: Prepared, b: Prepared, what: string): void {
  const parts = (p: Prepared) => [p.train, p.val, p.test].map((d) => d && { rows: d.rows, cols: d.cols, features: Array.from(d.features), labels: Array.from(d.labels) });
  assert.deepEqual(parts(a), parts(b), `${what}: parts`);
  assert.deepEqual(a.classNames, b.classNames, `${what}: classes`);
  assert.deepEqual(a.table?.toJSON(), b.table?.toJSON(), `${what}: encoder`);
  assert.deepEqual(a.columns?.map((c) => [c.name, c.role, c.missing, c.distinct]), b.columns?.map((c) => [c.name, c.role, c.missing, c.distinct]), `${what}: columns`);
  assert.deepEqual(a.origin, b.origin, `${what}: origin`);
}

test('records and a column object give the same prepared data as the same table read from CSV text', () => {
  const trainRows = records(160, 1), testRows = records(40, 2);
  const fromCsv = csvData(asCsv(trainRows), asCsv(testRows), 'y');
  const viaRecords = fromRecords(trainRows, { label: 'y', test: testRows });
  const viaColumns = fromRecords(asColumns(trainRows), { label: 'y', test: asColumns(testRows) });
  for (const o of [{ valFraction: 0.25, seed: 4 }, { valFraction: 0, scale: 'minmax', minCategoryCount: 1, imputeCategorical: 'most-frequent' }] as PrepareOptions[]) {
    const expected = prepare(fromCsv, o);
    // The table is worth comparing: every kind of column is in it.
    assert.deepEqual(expected.columns!.map((c) => c.role), ['categorical', 'numeric', 'boolean', 'categorical', 'ignored']);
    assert.equal(expected.table!.outputNames().includes('island=(missing)'), o.imputeCategorical === undefined);
    same(prepare(viaRecords, o), expected, 'records');
    same(prepare(viaColumns, o), expected, 'columns');
  }
  // The raw cells agree too: numbers, codes, blanks.
  assert.deepEqual(Array.from(viaRecords.train.features), Array.from(fromCsv.train.features));
  assert.deepEqual(viaRecords.train.table!.dictionaries, fromCsv.train.table!.dictionaries);
  assert.deepEqual(viaRecords.train.table!.kinds, fromCsv.train.table!.kinds);
});

test('a test fraction holds out that share of the rows, stratified, and seeded', () => {
  const rows = records(200, 3);
  const a = fromRecords(rows, { label: 'y', test: 0.25, seed: 7 });
  const b = fromRecords(rows, { label: 'y', test: 0.25, seed: 7 });
  const c = fromRecords(rows, { label: 'y', test: 0.25, seed: 8 });
  assert.equal(a.train.rows + a.test!.rows, 200);
  assert.ok(Math.abs(a.test!.rows - 50) <= 3, `${a.test!.rows} test rows`);
  assert.deepEqual(Array.from(a.test!.features), Array.from(b.test!.features));
  assert.notDeepEqual(Array.from(a.test!.features), Array.from(c.test!.features));
  const share = (d: Dataset, k: number) => d.labels.filter((l) => l === k).length / d.rows;
  for (let k = 0; k < a.train.classNames!.length; k++) assert.ok(Math.abs(share(a.train, k) - share(a.test!, k)) < 0.05, `class ${k}`);
  throwsDataError(() => fromRecords(rows, { label: 'y', test: 1.5 }), 'records', /test 1\.5 is not a fraction/);
});

test('malformed records are DataErrors naming the record or the column', () => {
  // Records without a label are left out and counted, as a CSV's rows are; with none left, refused.
  const gaps = fromRecords([{ a: 1, y: 'p' }, { a: 2 }, { a: 3, y: null }, { a: 4, y: 'q' }], { label: 'y' });
  assert.deepEqual(Array.from(gaps.train.features), [1, 4]);
  assert.match(gaps.notes!.find((n) => n.name === 'read')!.summary, /; 2 records without a label left out$/);
  throwsDataError(() => fromRecords([{ a: 1 }, { a: 2, y: null }], { label: 'y', source: 'api' }), 'api', /^has no row with a label "y"/);
  throwsDataError(() => fromRecords([{ a: 1, y: 'p' }, { a: 2, y: 'q' }], { label: 'class' }), 'records', /has no column "class" for the label; its columns are "a", "y"/);
  for (const bad of [5, null, [1, 2], 'text']) {
    throwsDataError(() => fromRecords([{ a: 1, y: 'p' }, { a: 2, y: 'q' }, bad as unknown as Row]), 'records', /^record 2 is not an object of named values/);
  }
  throwsDataError(() => fromRecords({ a: [1, 2, 3], b: [1, 2] }), 'records', /column "b" has 2 values, but "a" has 3; columns must be of one length/);
  throwsDataError(() => fromRecords({ a: [1, 2], b: 'xy' } as unknown as Columns), 'records', /column "b" is not an array of values/);
  throwsDataError(() => fromRecords([{ a: 1, b: 2 }, { a: 2, b: { c: 1 } as unknown as Cell }]), 'records', /^row 1, field "b": an object is not a number, a text, a boolean or null/);
  throwsDataError(() => fromRecords([{ a: 1, b: [3] as unknown as Cell }]), 'records', /^row 0, field "b": a list is not/);
  throwsDataError(() => fromRecords({ a: [1, 2], b: [3, { z: 1 } as unknown as Cell] }), 'records', /^row 1, field "b": an object is not/);
  throwsDataError(() => fromRecords([]), 'records', /holds no rows/);
  throwsDataError(() => fromRecords([{ y: 'p' }, { y: 'q' }], { label: 'y' }), 'records', /no feature columns besides the label/);
  // Keys missing from some records are blanks, not errors.
  const sparse = fromRecords([{ a: 1 }, { b: 'x' }]);
  assert.deepEqual(sparse.table!.names, ['a', 'b']);
  assert.deepEqual(Array.from(sparse.features), [1, NaN, NaN, 0]);
});

describe('rows without a label predict through a saved model', () => {
  const trainRows = records(240, 11), testRows = records(30, 12);
  const unlabelled = testRows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'y')));
  let data: RawData;
  let prepared: Prepared;
  let p: Predictor;

  before(async () => {
    data = fromRecords(trainRows, { label: 'y', test: testRows });
    const result = await runExperiment({ network: { widths: [4] }, train: { epochs: 2 } }, data);
    result.model.dispose();
    for (const m of result.members) m.dispose();
    prepared = result.prepared;
    p = await loadPredictor(result.modelFile);
  });
  after(() => p.dispose());

  test("the model's own pre-processing of the raw rows is what prepare made of the test set", () => {
    const rows = fromRecords(unlabelled);
    assert.equal(rows.rows, 30);
    assert.deepEqual(p.table!.meta.inputs, ['island', 'bill', 'member', 'grade', 'tag']);
    assert.equal(p.table!.meta.label, 'y');
    const inputs = p.modelInputs(rows);
    const expected = prepared.test!.features;
    assert.equal(inputs.length, expected.length);
    for (let i = 0; i < inputs.length; i++) assert.ok(Math.abs(inputs[i] - expected[i]) <= 1e-6 * Math.max(1, Math.abs(expected[i])), `input ${i}: ${inputs[i]} vs ${expected[i]}`);
    const labels = p.labels(p.predict(rows));
    assert.equal(labels.length, 30);
    for (const l of labels) assert.ok(['high', 'low', 'mid'].includes(String(l)));
  });

  test('columns are matched by name: another key order, extra keys and a column object predict the same', () => {
    const rows = fromRecords(unlabelled);
    const reordered = unlabelled.map((r) => Object.fromEntries([['note', 'extra'], ...Object.entries(r).reverse()]));
    const byColumns = Object.fromEntries(['grade', 'tag', 'member', 'bill', 'island'].map((k) => [k, unlabelled.map((r) => r[k])]));
    const expected = Array.from(p.predictProba(rows));
    assert.deepEqual(Array.from(p.predictProba(fromRecords(reordered))), expected);
    assert.deepEqual(Array.from(p.predictProba(fromRecords(byColumns))), expected);
    // The label column left in is ignored.
    assert.deepEqual(Array.from(p.predictProba(fromRecords(testRows))), expected);
    // One record alone, with blanks for what it lacks.
    const one = fromRecords([{ grade: 'x', island: 'Dream' }].map((r) => ({ ...r, bill: null, member: null, tag: null })));
    assert.equal(p.predict(one).length, 1);
  });

  test("a missing column is a DataError listing the model's columns", () => {
    const lacking = unlabelled.map(({ bill: _b, member: _m, ...rest }) => rest);
    assert.throws(
      () => p.predict(fromRecords(lacking, { source: 'new rows' })),
      (e: unknown) => {
        assert.ok(e instanceof DataError, String(e));
        assert.equal(e.file, 'new rows');
        assert.match(e.problem, /has no column "bill", "member"; the model was trained on the columns "island", "bill", "member", "grade"/);
        return true;
      },
    );
  });
});
