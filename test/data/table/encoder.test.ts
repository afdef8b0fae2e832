/**
 * The table encoder checked against scikit-learn (test/fixtures/tables/make_encoder_fixture.py:
 * SimpleImputer(strategy='median', add_indicator=True) on the numeric columns,
 * OneHotEncoder(min_frequency=3, handle_unknown='infrequent_if_exist') on the text column),
 * then against hand-worked expectations where the two differ by design; and its saved form.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { TableEncoder, fitTableEncoder, type TableMeta } from '../../../src/data/table/encoder.js';
import { TABLE_DEFAULTS, planColumns, type TableOptions } from '../../../src/data/table/plan.js';
import { ModelFormatError } from '../../../src/errors.js';
import { assertClose } from '../../helpers.js';
import { throwsDataError } from '../helpers.js';
import { TABLE_FIXTURES, column, csvRows, row, tableFixture, type TableRows } from './helpers.js';

interface Expected {
  names: string[];
  medians: number[];
  infrequent: string[];
  train: number[][];
  test: number[][];
}
const sk = JSON.parse(readFileSync(join(TABLE_FIXTURES, 'encoder_expected.json'), 'utf8')) as Expected;
const train = csvRows(tableFixture('train.csv'), 'train.csv');
const testRows = csvRows(tableFixture('test.csv'), 'test.csv');
const SK_OPTIONS: TableOptions = { ...TABLE_DEFAULTS, minCategoryCount: 3, imputeCategorical: 'category', missingIndicators: true };

function fit(d: TableRows, o: Partial<TableOptions> = {}): TableEncoder {
  const options = { ...SK_OPTIONS, ...o };
  return fitTableEncoder(d, planColumns(d, options), options, null);
}

/** scikit-learn's name for one of mlplab's output columns. */
function sklearnName(name: string): string {
  let m = /^(.*) \(missing\)$/.exec(name);
  if (m) return `missingindicator_${m[1]}`;
  m = /^([^=]*)=(.*)$/.exec(name);
  if (!m) return name;
  const value = m[2] === '(other)' ? 'infrequent_sklearn' : m[2] === '(missing)' ? 'nan' : m[2];
  return `${m[1]}_${value}`;
}

test('encoding matches scikit-learn column by column: median imputation with indicators, one-hot with infrequent and blank categories', () => {
  const enc = fit(train);
  const names = enc.outputNames();
  const mapped = names.map(sklearnName);
  // The same columns, in another order (see the next test).
  assert.deepEqual([...mapped].sort(), [...sk.names].sort());
  for (const [what, d, expected] of [['train', train, sk.train], ['test', testRows, sk.test]] as const) {
    const { features } = enc.encode(d);
    assert.equal(features.length, d.rows * names.length);
    mapped.forEach((n, j) => {
      const k = sk.names.indexOf(n);
      assertClose(column(features, d.rows, names.length, j), expected.map((r) => r[k]), `${what} column ${names[j]} vs ${n}`, 1e-6, 0);
    });
  }
  // The fitted values themselves.
  const cols = enc.meta.columns;
  assertClose(cols.filter((c) => c.role === 'numeric').map((c) => (c.role === 'numeric' ? c.impute : NaN)), sk.medians, 'medians', 1e-6, 0);
  const colour = cols.find((c) => c.name === 'colour');
  assert.ok(colour?.role === 'categorical');
  assert.equal(colour.other, true);
  assert.equal(colour.missing, 'slot');
  for (const rare of sk.infrequent) assert.ok(!colour.categories.includes(rare), `${rare} is folded into other`);
});

test('by design, mlplab orders columns by input column, a numeric column beside its indicator, categories most frequent first', () => {
  // scikit-learn puts the imputed columns first, then every indicator, then the one-hot
  // columns in sorted order with nan and the infrequent column last.
  const enc = fit(train);
  assert.deepEqual(enc.outputNames(), [
    'age', 'age (missing)', 'income', 'income (missing)', 'height',
    'colour=red', 'colour=blue', 'colour=green', 'colour=(other)', 'colour=(missing)',
  ]);
  assert.deepEqual(enc.zeroOne(), [false, true, false, true, false, true, true, true, true, true]);
  // test.csv row 1 (blanks in age, income and height; red), worked by hand: medians 38,
  // (55500 + 58000) / 2 = 56750 and (1.70 + 1.71) / 2 = 1.705.
  const { features, counts } = enc.encode(testRows);
  assertClose(row(features, enc.outputCols, 1), [38, 1, 56750, 1, 1.705, 1, 0, 0, 0, 0], 'row 1', 1e-6, 0);
  // Blank cells filled, per column, counted by hand in test.csv.
  assert.deepEqual(Object.fromEntries(counts.imputed), { age: 2, income: 2, height: 1, colour: 1 });
  // The unseen category (row 0) is counted, and goes to 'other' as in scikit-learn.
  assert.ok(counts.unknown.get('colour')?.examples.includes('purple'));
  assert.equal(features[0 * enc.outputCols + 8], 1);
});

test('by design, a blank in a text column that had none in training is its most frequent category, not "other"', () => {
  // scikit-learn's OneHotEncoder (1.2) treats the blank as an unknown category there, so it goes
  // to the infrequent column. mlplab has no (missing) column to give it and imputes the most
  // frequent training category.
  const d = csvRows('c,x\nb,1\na,2\nb,3\nz,4\nb,5\na,6\na,7\nb,8\n', 'nb.csv');
  const enc = fit(d, { minCategoryCount: 2 });
  assert.deepEqual(enc.outputNames(), ['c=b', 'c=a', 'c=(other)', 'x']);
  const { features, counts } = enc.encode(csvRows('c,x\n,1\nq,2\n', 'new.csv'));
  assert.deepEqual(Array.from(features), [1, 0, 0, 1, 0, 0, 1, 2]);
  assert.equal(counts.imputed.get('c'), 1);
  assert.deepEqual(counts.unknown.get('c'), { rows: 1, examples: ['q'], other: true });
});

test('by design, blanks get their own column however few they are (scikit-learn folds a rare nan into infrequent)', () => {
  const d = csvRows('c,x\nb,1\n,2\nb,3\na,4\nb,5\na,6\na,7\nb,8\n', 'one-blank.csv');
  const enc = fit(d);
  assert.deepEqual(enc.outputNames(), ['c=b', 'c=a', 'c=(missing)', 'x']);
  assert.deepEqual(row(enc.encode(d).features, 4, 1), [0, 0, 1, 2]);
});

test('mean imputation: the mean of the training values', () => {
  const enc = fit(train, { imputeNumeric: 'mean' });
  const impute = Object.fromEntries(enc.meta.columns.flatMap((c) => (c.role === 'numeric' ? [[c.name, c.impute]] : [])));
  // By hand: age 608.75 / 15 values, income 928502 / 16, height 30.83 / 18.
  assertClose([impute.age, impute.income, impute.height], [608.75 / 15, 928502 / 16, 30.83 / 18], 'means', 1e-6, 0);
  assertClose(row(enc.encode(testRows).features, enc.outputCols, 1).slice(0, 5), [608.75 / 15, 1, 928502 / 16, 1, 30.83 / 18], 'row 1', 1e-6, 0);
});

test('piecewise-linear bins, worked by hand: quantile edges, each bin 0 to 1 between its edges, the outer bins unbounded, repeated edges merged', () => {
  const d = csvRows('x,twos,heavy\n1,0,0\n2,1,0\n3,0,0\n4,1,0\n5,0,0\n6,1,0\n7,0,1\n8,1,2\n9,0,\n', 'bins.csv');
  const enc = fit(d, { numericBins: 4 });
  const [x, twos, heavy] = enc.meta.columns;
  // x: the 0, 25, 50, 75 and 100th percentiles of 1..9 (numpy's linear rule).
  assert.ok(x.role === 'numeric' && twos.role === 'numeric' && heavy.role === 'numeric');
  assert.deepEqual(x.bins, [1, 3, 5, 7, 9]);
  // twos: 0 and 1 only, so no bin can hold a share of its own: the value alone.
  assert.equal(twos.bins, undefined);
  // heavy: 0,0,0,0,0,0,1,2 has percentiles 0, 0, 0, 0.25, 2; the repeated 0s merge into one edge.
  assert.deepEqual(heavy.bins, [0, 0.25, 2]);
  assert.deepEqual(enc.outputNames(), ['x', 'x (bin 1)', 'x (bin 2)', 'x (bin 3)', 'x (bin 4)', 'twos', 'heavy', 'heavy (missing)', 'heavy (bin 1)', 'heavy (bin 2)']);
  assert.deepEqual(enc.zeroOne(), [false, false, false, false, false, false, false, true, false, false]);
  const rows = csvRows('x,twos,heavy\n4,0,0.125\n0,1,5\n10,0,\n9,1,-1\n', 'new.csv');
  const out = enc.encode(rows).features;
  const W = enc.outputCols;
  // 4 lies halfway through x's second bin; 0 and 10 run past the first and last bins' ends.
  assert.deepEqual(row(out, W, 0), [4, 1, 0.5, 0, 0, 0, 0.125, 0, 0.5, 0]);
  // 5 in heavy: (5 - 0.25) / (2 - 0.25), in float32.
  assert.deepEqual(row(out, W, 1), [0, -0.5, 0, 0, 0, 1, 5, 0, 1, Math.fround(4.75 / 1.75)]);
  // A blank heavy is its median (0) with the indicator set, and binned as 0.
  assert.deepEqual(row(out, W, 2), [10, 1, 1, 1, 1.5, 0, 0, 1, 0, 0]);
  assert.deepEqual(row(out, W, 3), [9, 1, 1, 1, 1, 1, -1, 0, -4, 0]);
  // Saved and read back: the same edges and the same numbers.
  const again = TableEncoder.fromJSON(JSON.parse(JSON.stringify(enc.toJSON())), 'model.json');
  assert.deepEqual(again.encode(rows).features, out);
  // Edges that do not increase, or are not float32, are a damaged file.
  for (const bins of [[1, 1, 2], [0, 0.1, 1], [3, 2, 1], [0, 1]]) {
    const meta = { ...enc.toJSON(), columns: [{ ...x, bins }] } as TableMeta;
    assert.throws(() => TableEncoder.fromJSON(meta, 'model.json'), (e: unknown) => e instanceof ModelFormatError && /model\.json: table\.columns\[0\]\.bins/.test(e.message), JSON.stringify(bins));
  }
  assert.equal(fit(d, { numericBins: 0 }).outputCols, 4, 'numericBins 0: the values alone (and the indicator)');
});

test('most-frequent categorical imputation: no (missing) column, blanks are the most frequent category', () => {
  const enc = fit(train, { imputeCategorical: 'most-frequent' });
  const names = enc.outputNames();
  assert.deepEqual(names.slice(5), ['colour=red', 'colour=blue', 'colour=green', 'colour=(other)']);
  const red = names.indexOf('colour=red');
  // test.csv row 3 is blank; train.csv rows 3, 9 and 15 are.
  const t = enc.encode(testRows);
  assert.deepEqual(row(t.features, enc.outputCols, 3).slice(red), [1, 0, 0, 0]);
  const tr = enc.encode(train).features;
  for (const r of [3, 9, 15]) assert.deepEqual(row(tr, enc.outputCols, r).slice(red), [1, 0, 0, 0], `train row ${r}`);
  // Without missing indicators, numeric columns are one column each.
  assert.deepEqual(fit(train, { missingIndicators: false }).outputNames().slice(0, 3), ['age', 'income', 'height']);
});

test('maxCategories keeps the most frequent categories (ties in text order); the rest share other', () => {
  const enc = fit(train, { minCategoryCount: 1, maxCategories: 2 });
  assert.deepEqual(enc.outputNames().slice(5), ['colour=red', 'colour=blue', 'colour=(other)', 'colour=(missing)']);
  // green (train row 4) is now other.
  assert.deepEqual(row(enc.encode(train).features, enc.outputCols, 4).slice(5), [0, 0, 1, 0]);
  const ties = csvRows('k,x\nc,1\nb,2\na,3\nc,4\nb,5\na,6\n', 'ties.csv');
  assert.deepEqual(fit(ties, { minCategoryCount: 1, maxCategories: 2 }).outputNames(), ['k=a', 'k=b', 'k=(other)', 'x']);
  // Every category kept: no other column.
  assert.deepEqual(fit(ties, { minCategoryCount: 1, maxCategories: 3 }).outputNames(), ['k=a', 'k=b', 'k=c', 'x']);
});

test("unknownCategories 'refuse': an unseen category is a DataError naming the row, the column and the value", () => {
  const enc = fit(train, { unknownCategories: 'refuse' });
  throwsDataError(() => enc.encode(testRows), 'test.csv', /^row 0, column "colour": "purple" is not a category the model was trained on \("red", "blue", "green"\)/);
  // Blanks are not unknown: the training rows themselves encode.
  assert.equal(fit(train, { unknownCategories: 'refuse', minCategoryCount: 1 }).encode(train).features.length, train.rows * 11);
});

test('a yes/no column is one 0/1 column; a blank is the majority answer with an indicator; any case reads', () => {
  const d = csvRows('member,x\nYes,1\nno,2\nYes,3\n,4\nYes,5\nno,6\n', 'flags.csv');
  const enc = fit(d);
  assert.deepEqual(enc.outputNames(), ['member=Yes', 'member (missing)', 'x']);
  const { features, counts } = enc.encode(csvRows('member,x\nYES,1\nNo,2\n,3\nmaybe,4\n', 'new.csv'));
  // A word that is neither is imputed too, and counted as unseen.
  assert.deepEqual(Array.from(features), [1, 0, 1, 0, 0, 2, 1, 1, 3, 1, 0, 4]);
  assert.deepEqual(counts.unknown.get('member'), { rows: 1, examples: ['maybe'], other: false });
});

test('toJSON -> fromJSON gives the same encoder: same metadata, names and encoded rows', () => {
  for (const o of [{}, { imputeNumeric: 'mean' as const, imputeCategorical: 'most-frequent' as const, unknownCategories: 'refuse' as const, minCategoryCount: 1 }]) {
    const enc = fit(train, o);
    const back = TableEncoder.fromJSON(JSON.parse(JSON.stringify(enc.toJSON())), 'model.json');
    assert.deepEqual(back.meta, enc.meta);
    assert.deepEqual(back.outputNames(), enc.outputNames());
    assert.deepEqual(back.encode(train).features, enc.encode(train).features);
  }
});

/** The fitted encoder's metadata with one change. */
function damaged(change: (m: TableMeta & Record<string, unknown>) => void): unknown {
  const m = JSON.parse(JSON.stringify(fit(train).toJSON())) as TableMeta & Record<string, unknown>;
  change(m);
  return m;
}

function refused(json: unknown, field: RegExp, expected: RegExp): void {
  assert.throws(
    () => TableEncoder.fromJSON(json, 'model.json'),
    (e: unknown) => {
      assert.ok(e instanceof ModelFormatError, `expected a ModelFormatError, got ${String(e)}`);
      assert.equal(e.file, 'model.json');
      assert.match(e.problem, field);
      assert.match(e.problem, expected);
      return true;
    },
  );
}

test('fromJSON refuses bad metadata with a ModelFormatError naming the field', () => {
  refused(damaged((m) => Object.assign(m.columns[0], { role: 'ordinal' })), /^table\.columns\[0\]\.role: got "ordinal"/, /'numeric', 'boolean' or 'categorical'/);
  refused(damaged((m) => Object.assign(m.columns[3], { missing: 3 })), /^table\.columns\[3\]/, /missing: 'slot', or an index into categories/);
  refused(damaged((m) => Object.assign(m.columns[3], { missing: -1 })), /^table\.columns\[3\]\.missing/, /0/);
  refused(damaged((m) => Object.assign(m.columns[3], { categories: Array.from({ length: 10_001 }, (_, i) => `k${i}`) })), /^table\.columns\[3\]\.categories/, /at most 10000 categories/);
  refused(damaged((m) => Object.assign(m.columns[2], { name: 'weight' })), /^table\.columns\[2\]\.name: got "weight"/, /one of inputs/);
  refused(damaged((m) => Object.assign(m.columns[0], { impute: null })), /^table\.columns\[0\]\.impute/, /a finite number/);
  refused(damaged((m) => Object.assign(m.columns[0], { impute: Infinity })), /^table\.columns\[0\]\.impute/, /a finite number/);
  refused(damaged((m) => (m.inputs = ['age', 'age', 'height', 'colour'])), /^table\.inputs/, /distinct column names/);
  refused(damaged((m) => (m.version = 2 as 1)), /^table\.version: got 2/, /1/);
  refused(damaged((m) => (m.extra = true)), /^table\.extra/, /no such field/);
  refused(damaged((m) => (m.columns = [])), /^table\.columns/, /at least one column/);
});

test('fromJSON refuses a categorical column with no output column (a blank would be written into its neighbour)', () => {
  const meta = damaged((m) => {
    m.inputs = ['x', 'c'];
    m.columns = [{ name: 'x', role: 'numeric', impute: 0, indicator: false }, { name: 'c', role: 'categorical', categories: [], other: false, missing: 0 }];
  });
  refused(meta, /^table\.columns\[1\]/, /missing: 'slot', or an index into categories/);
  // With an 'other' column, missing must still name a category.
  refused(damaged((m) => Object.assign(m.columns[3], { categories: [], other: true, missing: 0 })), /^table\.columns\[3\]/, /missing/);
});

// Bug: a category seen in training but folded into 'other' for being rare is treated as unseen
// (EncodeCounts.unknown is documented as "rows whose category was not seen in training"): with
// train.csv, encoding train.csv itself counts 3 unseen rows (violet, teal), so prepare warns that
// the training part "holds categories not seen in the training part"; test.csv counts 2 (purple,
// and teal, which training had once). Under unknownCategories 'refuse' the training rows are
// refused ("violet" is not a category the model was trained on), so prepare fails on any table
// with a rare category.
test('categories rare in training are not unseen: not counted, not refused', () => {
  const enc = fit(train);
  assert.equal(enc.encode(train).counts.unknown.size, 0);
  assert.deepEqual(enc.encode(testRows).counts.unknown.get('colour'), { rows: 1, examples: ['purple'], other: true });
  const refusing = fit(train, { unknownCategories: 'refuse' });
  assert.deepEqual(refusing.encode(train).features, enc.encode(train).features);
});
