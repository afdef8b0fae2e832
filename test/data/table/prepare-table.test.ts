/**
 * prepare on a table read from CSV text: blanks filled with medians of the training part
 * (worked by hand), test rows duplicated in training counted, warnings about classes, and the
 * 'drop' and 'refuse' modes for blanks.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PrepStep } from '../../../src/data/dataset.js';
import { prepare } from '../../../src/data/prepare.js';
import { throwsDataError } from '../helpers.js';
import { csvData, row } from './helpers.js';

// 12 training rows. x: blanks in rows 1 and 6; its 10 values sorted are 1 2.5 3 4 5 6 7 8 9 10,
// so the median is (5 + 6) / 2 = 5.5. z: u and v six times each. s: p 6, q 5, one blank (row 4).
// id: distinct, left out. note: blank throughout, left out. Class c has 2 rows.
const TRAIN = `x,z,s,id,note,y
4,u,p,r0,,a
,v,p,r1,,a
10,u,q,r2,,a
1,v,q,r3,,a
7,u,,r4,,a
2.5,v,q,r5,,b
NA,u,p,r6,,b
8,v,q,r7,,b
3,u,p,r8,,b
6,v,p,r9,,b
5,u,q,r10,,c
9,v,p,r11,,c
`;
// Row 0 repeats training row 0 but for its id (left out); row 2 repeats training row 8 and its
// label differs; row 1 has a blank x; no row of class c.
const TEST = `x,z,s,id,note,y
4,u,p,t0,,a
,v,q,t1,,b
3,u,p,t2,,a
11,u,q,t3,,a
`;

const warnings = (steps: PrepStep[]) => steps.filter((s) => s.warning).map((s) => s.summary);

test('blanks are filled with the median of the training part, with an indicator; what was filled is said', () => {
  const p = prepare(csvData(TRAIN, TEST, 'y'), { valFraction: 0, scale: 'none' });
  assert.deepEqual(p.columns!.map((c) => c.role), ['numeric', 'categorical', 'categorical', 'ignored', 'ignored']);
  const names = p.table!.outputNames();
  assert.deepEqual(names, ['x', 'x (missing)', 'z=u', 'z=v', 's=p', 's=q', 's=(missing)']);
  const W = names.length;
  assert.deepEqual(row(p.train.features, W, 0), [4, 0, 1, 0, 1, 0, 0]);
  assert.deepEqual(row(p.train.features, W, 1), [5.5, 1, 0, 1, 1, 0, 0]);
  assert.deepEqual(row(p.train.features, W, 4), [7, 0, 1, 0, 0, 0, 1]);
  assert.deepEqual(row(p.train.features, W, 6), [5.5, 1, 1, 0, 1, 0, 0]);
  assert.deepEqual(row(p.test!.features, W, 1), [5.5, 1, 0, 1, 0, 1, 0]);
  const filled = p.steps.filter((s) => s.name === 'impute');
  assert.deepEqual(filled.map((s) => s.details), [
    { part: 'training part', imputed: { x: 2, s: 1 } },
    { part: 'test set', imputed: { x: 1 } },
  ]);
});

test('with a validation part, the median comes from the training part only and fills the validation blanks too', () => {
  const lines = ['x,k,y'];
  // x = 0..59 with every fifth cell blank, in rows whose class depends on x: the training part's
  // median depends on which rows were held out.
  for (let r = 0; r < 60; r++) lines.push(`${r % 5 === 2 ? '' : (r * r) % 61},${r % 3 ? 'a' : 'b'},${r % 4 === 0 ? 'n' : r < 30 ? 'p' : 'q'}`);
  const raw = csvData(lines.join('\n'), null, 'y');
  const x = (r: number) => raw.train.features[r * 2];
  const medianOf = (rows: ArrayLike<number>) => {
    const v = Array.from(rows, x).filter((a) => !Number.isNaN(a)).sort((a, b) => a - b);
    return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  };
  const all = medianOf(Array.from({ length: 60 }, (_, r) => r));
  let checked = 0;
  for (const seed of [1, 2, 3, 4, 5]) {
    const p = prepare(raw, { valFraction: 0.25, seed, scale: 'none' });
    const expected = medianOf(p.origin.train);
    const col = p.table!.meta.columns[0];
    assert.ok(col.role === 'numeric');
    assert.equal(col.impute, expected, `seed ${seed}`);
    if (expected !== all) checked++;
    // A validation row with a blank x holds the training part's median.
    const W = p.table!.outputCols;
    p.origin.val.forEach((r, i) => {
      if (Number.isNaN(x(r))) assert.deepEqual(row(p.val.features, W, i).slice(0, 2), [expected, 1]);
    });
  }
  assert.ok(checked > 0, 'some split has a training-part median other than the median of all rows');
});

test('test rows that appear in the training data are counted, on the encoded features', () => {
  const p = prepare(csvData(TRAIN, TEST, 'y'), { valFraction: 0 });
  const dup = p.steps.filter((s) => s.name === 'duplicates');
  assert.equal(dup.length, 1);
  assert.deepEqual(dup[0].details, { duplicated: 2, testRows: 4 });
  assert.match(dup[0].summary, /^Warning: 2 of 4 test rows \(50\.0%\) also appear in the training data/);
  // Without the repeated rows, no warning.
  const fresh = TEST.split('\n').filter((l) => !l.startsWith('4,u,p') && !l.startsWith('3,u,p')).join('\n');
  assert.deepEqual(prepare(csvData(TRAIN, fresh, 'y'), { valFraction: 0 }).steps.filter((s) => s.name === 'duplicates'), []);
  // The validation part counts as training data.
  const withVal = prepare(csvData(TRAIN, TEST, 'y'), { valFraction: 0.25, seed: 1 });
  assert.deepEqual(withVal.steps.find((s) => s.name === 'duplicates')?.details, { duplicated: 2, testRows: 4 });
});

test('a class with 2 training rows and a class with no test rows are warned about', () => {
  const p = prepare(csvData(TRAIN, TEST, 'y'), { valFraction: 0 });
  const w = warnings(p.steps);
  assert.ok(w.some((s) => /^Warning: class c \(2 rows\) has fewer than 5 training rows/.test(s)), w.join('\n'));
  assert.ok(w.some((s) => /^Warning: no test rows for class c: the test scores say nothing about it/.test(s)), w.join('\n'));
  assert.ok(!w.some((s) => /class (a|b)\b/.test(s)), 'classes a and b have 5 rows each and test rows');
  const few = p.steps.find((s) => s.name === 'classes' && s.warning && /fewer than/.test(s.summary));
  assert.deepEqual(few?.details, { few: [{ class: 'c', rows: 2 }] });
  // Every class with 5 rows or more, and in the test set: no class warning.
  const more = TRAIN + '2,u,p,r12,,c\n6.5,v,q,r13,,c\n7.5,u,p,r14,,c\n';
  const clean = prepare(csvData(more, TEST + '5,u,q,t4,,c\n', 'y'), { valFraction: 0 });
  assert.deepEqual(warnings(clean.steps).filter((s) => /class/.test(s)), []);
});

test('a label of many distinct numbers is warned about as a quantity, not classes', () => {
  const lines = ['x,z,y'];
  for (let r = 0; r < 60; r++) lines.push(`${r * 0.7},${r % 2 ? 'u' : 'v'},${100 + (r % 25)}`);
  const p = prepare(csvData(lines.join('\n'), null, 'y'), { valFraction: 0 });
  assert.ok(warnings(p.steps).some((s) => /the label column holds 25 distinct numbers in 60 rows; it looks like a quantity/.test(s)));
  const text = lines.map((l, i) => (i === 0 ? l : l.replace(/,(\d+)$/, ',k$1'))).join('\n');
  assert.ok(!warnings(prepare(csvData(text, null, 'y'), { valFraction: 0 }).steps).some((s) => /quantity/.test(s)));
});

test("nulls 'drop' drops the rows with a blank in a column used, and only those", () => {
  const p = prepare(csvData(TRAIN, TEST, 'y'), { valFraction: 0, scale: 'none', nulls: 'drop' });
  // Rows 1 and 6 (x) and 4 (s) go; the blank note column is left out, so it drops nothing.
  assert.deepEqual(Array.from(p.origin.train), [0, 2, 3, 5, 7, 8, 9, 10, 11]);
  assert.deepEqual(Array.from(p.origin.test!), [0, 2, 3]);
  assert.equal(p.train.rows, 9);
  const nulls = p.steps.find((s) => s.name === 'nulls')!;
  assert.match(nulls.summary, /^Dropped rows holding missing, NaN or infinite values: 3 of 12 rows of train\.csv \(3 values; "x": 2, "s": 1\); 1 of 4 rows of test\.csv/);
  // Nothing blank is left to fill.
  assert.equal(p.steps.filter((s) => s.name === 'impute').length, 0);
  const x = Array.from({ length: p.train.rows }, (_, r) => p.train.features[r * p.train.cols]);
  assert.deepEqual(x, [4, 10, 1, 2.5, 8, 3, 6, 5, 9]);
});

test("nulls 'refuse' refuses blanks in a column used, naming the file and the counts; blanks in left-out columns pass", () => {
  throwsDataError(
    () => prepare(csvData(TRAIN, TEST, 'y'), { nulls: 'refuse' }),
    'train.csv',
    /^missing, NaN or infinite values in 3 of 12 rows of train\.csv \(3 values; "x": 2, "s": 1\); 1 of 4 rows of test\.csv .*help: --nulls impute/,
  );
  // Only the test set has a blank: it is the one named.
  const filledTrain = TRAIN.replace('\n,v,p,r1', '\n2,v,p,r1').replace('7,u,,r4', '7,u,q,r4').replace('NA,u,p,r6', '0.5,u,p,r6');
  throwsDataError(() => prepare(csvData(filledTrain, TEST, 'y'), { nulls: 'refuse' }), 'test.csv', /^missing, NaN or infinite values in 1 of 4 rows of test\.csv/);
  // The note column is blank throughout, but left out: nothing to refuse.
  const filledTest = TEST.replace('\n,v,q,t1', '\n2,v,q,t1');
  const p = prepare(csvData(filledTrain, filledTest, 'y'), { nulls: 'refuse', valFraction: 0 });
  assert.equal(p.train.rows, 12);
  assert.match(p.steps.find((s) => s.name === 'nulls')!.summary, /^No blank, NaN or infinite values/);
});
