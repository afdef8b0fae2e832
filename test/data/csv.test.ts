import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CsvReader, parseCsv, parseCsvNumber, type CsvOptions } from '../../src/data/csv.js';
import { throwsDataError } from './helpers.js';

const enc = (s: string) => new TextEncoder().encode(s);
const csv = (s: string, opts?: CsvOptions) => parseCsv(enc(s), 'f.csv', opts);

test('a header is detected, and the column named label is the label column', () => {
  const t = csv('a,label,b\n1,0,2\n3.5,2,-4e2\n');
  assert.deepEqual(t.header, ['a', 'label', 'b']);
  assert.equal(t.labelColumn, 1);
  assert.equal(t.labelColumnDefaulted, true);
  assert.equal(t.rows, 2);
  assert.equal(t.cols, 2);
  assert.deepEqual(Array.from(t.features), [1, 2, 3.5, -400]);
  assert.deepEqual(Array.from(t.labels!), [0, 2]);
});

test('without a header the last column is the label unless another is chosen', () => {
  const t = csv('1,2,3\n4,5,6\n');
  assert.equal(t.header, null);
  assert.deepEqual(Array.from(t.features), [1, 2, 4, 5]);
  assert.deepEqual(Array.from(t.labels!), [3, 6]);
  const first = csv('1,2,3\n4,5,6\n', { labelColumn: 0 });
  assert.deepEqual(Array.from(first.features), [2, 3, 5, 6]);
  assert.deepEqual(Array.from(first.labels!), [1, 4]);
  const neg = csv('1,2,3\n4,5,6\n', { labelColumn: -2 });
  assert.deepEqual(Array.from(neg.labels!), [2, 5]);
  const none = csv('1,2,3\n4,5,6\n', { labelColumn: null });
  assert.equal(none.cols, 3);
  assert.equal(none.labels, null);
  const named = csv('x;y;kind\n1;2;0\n', { labelColumn: 'x' });
  assert.equal(named.delimiter, ';');
  assert.deepEqual(Array.from(named.labels!), [1]);
  assert.deepEqual(Array.from(csv('1,2\n3,4\n', { header: true, labelColumn: null }).features), [3, 4]);
});

test('text labels become sorted class names; a test file can reuse the training names', () => {
  const t = csv('sepal,petal,species\n5.1,1.4,setosa\n7,4.7,versicolor\n6.3,6,virginica\n5,1.3,setosa\n');
  assert.deepEqual(t.classNames, ['setosa', 'versicolor', 'virginica']);
  assert.deepEqual(Array.from(t.labels!), [0, 1, 2, 0]);
  const noHeader = csv('5.1,1.4,setosa\n7,4.7,versicolor\n');
  assert.equal(noHeader.header, null);
  assert.deepEqual(Array.from(noHeader.labels!), [0, 1]);
  const test2 = csv('1,2,virginica\n', { classNames: t.classNames });
  assert.deepEqual(Array.from(test2.labels!), [2]);
  throwsDataError(() => csv('1,2,rose\n', { classNames: t.classNames }), 'f.csv', /label "rose" is not one of the training classes/);
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
    assert.deepEqual(Array.from(t.labels!), Array.from(whole.labels!), `chunk ${size}`);
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
  throwsDataError(() => csv('a,b,label\n1,2,0\n3,x,1\n'), 'f.csv', /line 3, column 1 \("b"\): "x" is not a number/);
  throwsDataError(() => csv('1,2,0\n3,4\n'), 'f.csv', /line 2 has 2 fields, expected 3/);
  throwsDataError(() => csv('1,2,0.5\n'), 'f.csv (label column)', /label 0.5 at row 0 is not a whole number/);
  throwsDataError(() => csv('1,2,-1\n'), 'f.csv (label column)', /label -1 at row 0 is negative/);
  throwsDataError(() => csv('1,2,\n'), 'f.csv', /line 1: the label is missing/);
  throwsDataError(() => csv('1,"2,0\n'), 'f.csv', /quoted field is never closed/);
  // Line numbers count the newlines inside quoted fields, in whatever chunks the bytes come.
  const byteByByte = () => {
    const r = new CsvReader('q.csv');
    for (const b of enc('a,b,label\n"1\n\n",2,0\n3,x,1\n')) r.push(Uint8Array.of(b));
    return r.finish();
  };
  throwsDataError(byteByByte, 'q.csv', /line 5, column 1 \("b"\): "x" is not a number/);
  throwsDataError(() => csv('1,2\n', { labelColumn: 'y' }), 'f.csv', /no header row/);
  throwsDataError(() => csv('a,b\n1,2\n', { labelColumn: 'y' }), 'f.csv', /no column named "y"; its columns are "a", "b"/);
  throwsDataError(() => csv('1,2\n', { labelColumn: 5 }), 'f.csv', /label column 5 does not exist/);
  throwsDataError(() => csv('1\n2\n'), 'f.csv', /single column/);
  throwsDataError(() => parseCsv(Uint8Array.of(0x93, 0x4e, 0, 1, 2), 'b.csv'), 'b.csv', /binary file/);
  throwsDataError(() => csv('1,2,3\n', { delimiter: '::' }), 'f.csv', /delimiter/);
  throwsDataError(() => csv('1,2e39,3\n'), 'f.csv', /line 1, column 1: 2e39 is beyond the float32 range/);
});
