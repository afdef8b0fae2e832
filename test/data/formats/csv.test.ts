import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CsvReader, parseCsv, parseCsvNumber, type CsvOptions, type CsvTable } from '../../../src/data/formats/csv.js';
import { mapLabels } from '../../../src/data/labels.js';
import { DataError } from '../../../src/errors.js';
import { throwsDataError } from '../helpers.js';

const enc = (s: string) => new TextEncoder().encode(s);
const csv = (s: string, opts?: CsvOptions) => parseCsv(enc(s), 'f.csv', opts);
/** Each row's label text, from the table's codes and distinct texts. */
const labelsOf = (t: CsvTable) => Array.from(t.labels!, (c) => t.labelTexts![c]);
/** The table's labels as classes, as a source maps them. */
const classesOf = (...tables: CsvTable[]) => mapLabels(tables.map((t) => ({ file: 'f.csv (label column)', codes: t.labels!, texts: t.labelTexts! })));

test('a header is detected, and the column named label is the label column', () => {
  const t = csv('a,label,b\n1,0,2\n3.5,2,-4e2\n');
  assert.deepEqual(t.header, ['a', 'label', 'b']);
  assert.equal(t.labelColumn, 1);
  assert.equal(t.labelColumnDefaulted, true);
  assert.equal(t.rows, 2);
  assert.equal(t.cols, 2);
  assert.deepEqual(Array.from(t.features), [1, 2, 3.5, -400]);
  assert.deepEqual(labelsOf(t), ['0', '2']);
});

test('without a header the last column is the label unless another is chosen', () => {
  const t = csv('1,2,3\n4,5,6\n');
  assert.equal(t.header, null);
  assert.deepEqual(Array.from(t.features), [1, 2, 4, 5]);
  assert.deepEqual(labelsOf(t), ['3', '6']);
  const first = csv('1,2,3\n4,5,6\n', { labelColumn: 0 });
  assert.deepEqual(Array.from(first.features), [2, 3, 5, 6]);
  assert.deepEqual(labelsOf(first), ['1', '4']);
  const neg = csv('1,2,3\n4,5,6\n', { labelColumn: -2 });
  assert.deepEqual(labelsOf(neg), ['2', '5']);
  const last = csv('1,2,3\n4,5,6\n', { labelColumn: -1 });
  assert.deepEqual(labelsOf(last), ['3', '6']);
  const none = csv('1,2,3\n4,5,6\n', { labelColumn: null });
  assert.equal(none.cols, 3);
  assert.equal(none.labels, null);
  const named = csv('x;y;kind\n1;2;0\n', { labelColumn: 'x' });
  assert.equal(named.delimiter, ';');
  assert.deepEqual(labelsOf(named), ['1']);
  assert.deepEqual(Array.from(csv('1,2\n3,4\n', { header: true, labelColumn: null }).features), [3, 4]);
});

test('text labels become sorted class names, over the training and the test table together', () => {
  const t = csv('sepal,petal,species\n5.1,1.4,versicolor\n7,4.7,setosa\n6.3,6,virginica\n5,1.3,setosa\n');
  assert.deepEqual(t.labelTexts, ['versicolor', 'setosa', 'virginica']);
  const m = classesOf(t);
  assert.deepEqual(m.classNames, ['setosa', 'versicolor', 'virginica']);
  assert.deepEqual(Array.from(m.labels[0]), [1, 0, 2, 0]);
  assert.equal(m.classValues, undefined);
  const noHeader = csv('5.1,1.4,setosa\n7,4.7,versicolor\n');
  assert.equal(noHeader.header, null);
  assert.deepEqual(labelsOf(noHeader), ['setosa', 'versicolor']);
  // A test table holding a class the training table lacks still maps consistently.
  const both = classesOf(csv('1,2,b\n3,4,c\n'), csv('1,2,a\n3,4,c\n'));
  assert.deepEqual(both.classNames, ['a', 'b', 'c']);
  assert.deepEqual(both.labels.map((l) => Array.from(l)), [[1, 2], [0, 2]]);
});

test('numeric labels become the sorted distinct values, kept as the class values', () => {
  const m = classesOf(csv('1,2,2010\n3,4,1990\n5,6,2000\n7,8,2010\n'));
  assert.deepEqual(m.classNames, ['1990', '2000', '2010']);
  assert.deepEqual(m.classValues, [1990, 2000, 2010]);
  assert.deepEqual(Array.from(m.labels[0]), [2, 0, 1, 2]);
  assert.match(m.summary, /^3 classes: 1990, 2000, 2010/);
  // -1/+1 labels and 1.0-style numbers are numbers too; labels 0..K-1 keep their indices.
  assert.deepEqual(classesOf(csv('1,-1\n2,1.0\n3,1\n')).classValues, [-1, 1]);
  const identity = classesOf(csv('1,2\n2,0\n3,1\n'));
  assert.equal(identity.classValues, undefined);
  assert.deepEqual(Array.from(identity.labels[0]), [2, 0, 1]);
  throwsDataError(() => classesOf(csv('1,2,0.5\n')), 'f.csv (label column)', /label 0.5 at row 0 is not a whole number/);
});

test('a preamble is skipped with skipRows, and a mismatch after the first row suggests it', () => {
  const text = '3,2,class_0,class_1\n1.5,2,0\n3,4,1\n5,6,1\n';
  throwsDataError(() => csv(text), 'f.csv', /line 2 has 3 fields, expected 4 like the first row; .*--skip-rows 1/);
  const t = csv(text, { skipRows: 1 });
  assert.equal(t.rows, 3);
  assert.deepEqual(Array.from(t.features), [1.5, 2, 3, 4, 5, 6]);
  assert.deepEqual(labelsOf(t), ['0', '1', '1']);
  const withHeader = csv(`junk line\n${'a,b,y\n1,2,0\n'}`, { skipRows: 1 });
  assert.deepEqual(withHeader.header, ['a', 'b', 'y']);
  throwsDataError(() => csv('x\ny\n', { skipRows: 2 }), 'f.csv', /no rows after the 2 skipped/);
});

test('columnsOnly reads the first rows only and parses no value', () => {
  const r = new CsvReader('c.csv', { columnsOnly: true });
  r.push(enc('name,size\ncat,3\n'));
  assert.equal(r.done, true);
  r.push(enc('this is not read\n'));
  const t = r.finish();
  assert.deepEqual([t.rows, t.cols, t.header], [0, 2, ['name', 'size']]);
});

test('quotes, CRLF, a BOM, blank lines, tabs, NaN markers and infinities', () => {
  const t = csv('\ufeff"a","b, with comma","label"\r\n"1","2",0\r\n\r\n3,"4",1\r\n');
  assert.deepEqual(t.header, ['a', 'b, with comma', 'label']);
  assert.deepEqual(Array.from(t.features), [1, 2, 3, 4]);
  const tabs = csv('1\t2\t0\n3\t4\t1\n');
  assert.equal(tabs.delimiter, '\t');
  const nulls = csv('a,b,y\n,NaN,0\nNA,inf,1\nnull,-Infinity,0\n');
  assert.deepEqual(Array.from(nulls.features), [NaN, NaN, NaN, Infinity, NaN, -Infinity]);
  assert.equal(parseCsvNumber(' 1e-3 '), 0.001);
  assert.equal(parseCsvNumber('abc'), undefined);
  assert.ok(Number.isNaN(parseCsvNumber('?')!));
});

test('feeding the bytes in chunks of any size gives the same table', () => {
  const lines = ['f1,f2,"note, quoted",label'];
  for (let i = 0; i < 200; i++) lines.push(`${i * 0.25},${-i},"${i}",${i % 3}`);
  const bytes = enc(`${lines.join('\r\n')}\r\n`);
  const whole = parseCsv(bytes, 'w.csv');
  for (const size of [1, 2, 3, 7, 64, 1000]) {
    const r = new CsvReader('c.csv');
    for (let i = 0; i < bytes.length; i += size) r.push(bytes.subarray(i, i + size));
    const t = r.finish();
    assert.deepEqual(Array.from(t.features), Array.from(whole.features), `chunk ${size}`);
    assert.deepEqual(labelsOf(t), labelsOf(whole), `chunk ${size}`);
  }
  assert.equal(whole.rows, 200);
  assert.equal(whole.cols, 3);
  // Multi-byte characters split across chunks decode correctly.
  const r = new CsvReader('u.csv');
  const u = enc('größe,label\n1,0\n');
  for (const b of u) r.push(Uint8Array.of(b));
  assert.deepEqual(r.finish().header, ['größe', 'label']);
});

test('bad CSV input each gets one error naming the file, line and problem', () => {
  throwsDataError(() => csv(''), 'f.csv', /empty/);
  throwsDataError(() => csv('a,b,label\n'), 'f.csv', /header row but no data rows/);
  // A word in a column of few numbers makes it a text column (no error: prepare types the columns).
  const mixed = csv('a,b,label\n1,2,0\n3,x,1\n');
  assert.deepEqual([mixed.table.kinds, mixed.table.dictionaries[1], Array.from(mixed.features)], [['number', 'text'], ['2', 'x'], [1, 0, 3, 1]]);
  throwsDataError(() => csv('1,2,0\n3,4\n'), 'f.csv', /line 2 has 2 fields, expected 3/);
  throwsDataError(() => csv('1,2,\n'), 'f.csv', /has no row with a label: the label column is blank in all 1 rows/);
  throwsDataError(() => csv('1,"2,0\n'), 'f.csv', /quoted field is never closed/);
  // Line numbers count the newlines inside quoted fields, in whatever chunks the bytes come.
  const byteByByte = () => {
    const r = new CsvReader('q.csv');
    for (const b of enc('a,b,label\n"1\n\n",2,0\n3,4,\n5,6,NA\n7,8,1\n')) r.push(Uint8Array.of(b));
    return r.finish();
  };
  // Rows whose label is blank are left out and counted by line.
  const gaps = byteByByte();
  assert.deepEqual([gaps.rows, gaps.unlabelled, Array.from(gaps.features)], [2, { rows: 2, lines: [5, 6] }, [1, 2, 7, 8]]);
  throwsDataError(() => csv('1,2\n', { labelColumn: 'y' }), 'f.csv', /no header row/);
  throwsDataError(() => csv('a,b\n1,2\n', { labelColumn: 'y' }), 'f.csv', /no column named "y"; its columns are "a", "b"/);
  throwsDataError(() => csv('1,2\n', { labelColumn: 5 }), 'f.csv', /label column 5 does not exist/);
  throwsDataError(() => csv('1\n2\n'), 'f.csv', /single column/);
  throwsDataError(() => parseCsv(Uint8Array.of(0x93, 0x4e, 0, 1, 2), 'b.csv'), 'b.csv', /binary file/);
  throwsDataError(() => csv('1,2,3\n', { delimiter: '::' }), 'f.csv', /delimiter/);
  throwsDataError(() => csv('1,2e39,3\n'), 'f.csv', /line 1, column 1: 2e39 is beyond the float32 range/);
});

test('two header columns of one name are refused, naming both', () => {
  const bytes = new TextEncoder().encode('a,b,a,label\n1,2,3,x\n4,5,6,y\n');
  assert.throws(() => parseCsv(bytes, 'dup.csv'), (e: unknown) => e instanceof DataError && /^dup\.csv: columns 0 and 2 of the header are both named "a"; rename one/.test(e.message));
});

test('bounds: a row wider than 100,000 fields and a line longer than 16 Mi characters are refused as they are read', () => {
  const wide = `${Array.from({ length: 100_001 }, (_, i) => `c${i}`).join(',')}\n`;
  throwsDataError(() => csv(wide), 'f.csv', /line 1 has more than 100000 fields; mlplab reads tables of at most 100000 columns/);
  // 100,000 columns are still a table.
  const ok = csv(`${Array.from({ length: 100_000 }, (_, i) => `c${i}`).join(',')}\n${Array.from({ length: 100_000 }, () => '1').join(',')}\n`, { labelColumn: null });
  assert.equal(ok.cols, 100_000);
  // A line with no end: refused once it passes the limit, before the rest is read.
  const r = new CsvReader('long.csv');
  const chunk = enc('1,'.repeat(1 << 19));
  let fed = 0;
  assert.throws(() => {
    for (;;) {
      r.push(chunk);
      fed += chunk.length;
    }
  }, (e: unknown) => e instanceof DataError && /long\.csv: line 1 is longer than 16777216 characters/.test(e.message));
  assert.ok(fed <= (1 << 24), `read ${fed} bytes before refusing`);
});

test('a table separated by semicolons may write its numbers with a decimal comma; a comma table may not', () => {
  const t = csv('height;weight;kind\n1,5;60,25;a\n-0,75;1,5e3;b\n2;70;a\n', { labelColumn: 'kind' });
  assert.deepEqual([t.table.kinds, Array.from(t.features)], [['number', 'number'], [1.5, 60.25, -0.75, 1500, 2, 70]]);
  // With commas as separators "1,5" is two fields; quoted, it is a word.
  const q = csv('x,kind\n"1,5",a\n"2,5",b\n', { labelColumn: 'kind' });
  assert.deepEqual([q.table.kinds, q.table.dictionaries[0]], [['text'], ['1,5', '2,5']]);
});
