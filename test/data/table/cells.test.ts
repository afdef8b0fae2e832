/**
 * Reading table cells: when a number column becomes text, the cap on distinct texts, the
 * float32 spelling of numbers kept as categories, null tokens, header detection on all-text
 * tables, and chunked input read the same as whole input.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CsvReader, parseCsv, type CsvTable } from '../../../src/data/formats/csv.js';
import { ColumnStore, MAX_DISTINCT_TEXTS, NULL_TOKENS, categoryText, float32Text, parseCellNumber } from '../../../src/data/table/cells.js';
import { TABLE_DEFAULTS, planColumns } from '../../../src/data/table/plan.js';
import { lcg } from '../../helpers.js';
import { bytes, column, csvRows } from './helpers.js';

/** Lines of a CSV file: a header, then one line per row. */
const csv = (header: string, rows: string[]): string => [header, ...rows].join('\n') + '\n';

test('a number column turns into text at its first word; earlier numbers become codes of their float32 spelling', () => {
  const v = ['7', '0.1', '007', '2.5', 'seven', '7.0', '0.10', ' 3 ', '', '+7'];
  const d = csvRows(csv('v,w', v.map((x, i) => `${x},${i * 1.5}`)), 'v.csv');
  assert.deepEqual(d.table.kinds, ['text', 'number']);
  // "7", "007", "7.0" and "+7" are one category; 0.1 is read as float32 and spelled back "0.1".
  assert.deepEqual(d.table.dictionaries[0], ['7', '0.1', '2.5', 'seven', '3']);
  assert.deepEqual(column(d.features, d.rows, 2, 0), [0, 1, 0, 2, 3, 0, 1, 4, NaN, 0]);
  assert.deepEqual(d.table.dictionaries[1], null);
  assert.deepEqual(column(d.features, d.rows, 2, 1), v.map((_, i) => i * 1.5));
  // The first word and its line (the header is line 1).
  assert.deepEqual(d.table.firstWords?.[0], { line: 6, text: 'seven' });
  assert.deepEqual(d.table.words, [null, null]);
});

test('the switch to text counts distinct numbers: up to 1000 turn into text, more keep their words as missing values', () => {
  const n = 3000;
  const rows: string[] = [];
  for (let r = 0; r < n; r++) {
    // a: 1000 distinct numbers, each three times; b: 1001 distinct numbers before any word.
    const a = String((r % 1000) + 0.25);
    const b = r < 1001 ? String(r + 0.25) : r % 500 === 0 ? `word${r}` : String(r);
    rows.push(`${a},${b}`);
  }
  rows.push('oops,oops');
  const d = csvRows(csv('a,b', rows), 'big.csv');
  assert.deepEqual(d.table.kinds, ['text', 'number']);
  const dict = d.table.dictionaries[0]!;
  assert.equal(dict.length, 1001);
  assert.deepEqual(dict.slice(0, 3), ['0.25', '1.25', '2.25']);
  assert.equal(dict[1000], 'oops');
  for (const r of [0, 999, 1000, 2999]) assert.equal(d.features[r * 2], r % 1000, `code of row ${r}`);
  assert.equal(d.features[n * 2], 1000);

  // b stayed numbers: its words are missing values, counted, the first five kept with their lines.
  assert.equal(d.table.dictionaries[1], null);
  const wordRows = [1500, 2000, 2500];
  assert.deepEqual(d.table.words[1], {
    rows: 4,
    examples: [...wordRows.map((r) => ({ line: r + 2, text: `word${r}` })), { line: n + 2, text: 'oops' }],
  });
  for (const r of wordRows) assert.ok(Number.isNaN(d.features[r * 2 + 1]), `row ${r} is missing`);
  assert.equal(d.features[2001 * 2 + 1], 2001);
  assert.equal(d.features[1000 * 2 + 1], 1000.25);
});

test('only the first five words of a number column are kept as examples, all are counted', () => {
  const rows = Array.from({ length: 1100 }, (_, r) => (r >= 1001 && r % 10 === 0 ? 'n.a.' : String(r)));
  const d = csvRows(csv('x', rows), 'x.csv', { header: true });
  const words = d.table.words[0]!;
  assert.equal(words.rows, 9);
  assert.deepEqual(words.examples.map((e) => e.line), [1012, 1022, 1032, 1042, 1052]);
});

test(`a text column keeps ${MAX_DISTINCT_TEXTS} distinct texts; further new texts are counted as overflow and coded -1`, () => {
  const store = new ColumnStore('many.csv', ['k'], true, new Set([0]));
  const total = MAX_DISTINCT_TEXTS + 3;
  for (let r = 0; r < total; r++) {
    store.text(0, `key ${r}`, r + 2);
    store.endRow();
  }
  store.text(0, 'key 17', total + 2); // a text already known keeps its code
  store.endRow();
  store.text(0, 'key 123456', total + 3);
  store.endRow();
  const { features, table } = store.finish();
  assert.equal(table.dictionaries[0]!.length, MAX_DISTINCT_TEXTS);
  assert.equal(table.dictionaries[0]![MAX_DISTINCT_TEXTS - 1], `key ${MAX_DISTINCT_TEXTS - 1}`);
  assert.deepEqual(table.overflow, [4]);
  assert.deepEqual(Array.from(features.subarray(MAX_DISTINCT_TEXTS - 1)), [MAX_DISTINCT_TEXTS - 1, -1, -1, -1, 17, -1]);
  // Such a column looks like an identifier to the planner.
  const [plan] = planColumns({ features, labels: new Int32Array(store.rows), rows: store.rows, cols: 1, source: 'many.csv', table }, TABLE_DEFAULTS);
  assert.equal(plan.role, 'ignored');
  assert.equal(plan.why, 'more than 65,536 distinct texts');
  assert.equal(plan.distinctMore, true);
});

test('float32Text: a spelling that reads back as the same float32 value, the shortest for well-known values', () => {
  const known: [number, string][] = [
    [0.1, '0.1'], [Math.fround(0.1), '0.1'], [1 / 3, '0.33333334'], [2 / 3, '0.6666667'], [Math.PI, '3.1415927'],
    [16777217, '16777216'], [-2.5, '-2.5'], [3.4028234663852886e38, '3.4028235e+38'], [1.401298464324817e-45, '1e-45'],
    [1e-7, '1e-7'], [123456789, '123456792'], [0, '0'], [-0, '0'], [Infinity, 'Infinity'], [NaN, 'NaN'],
  ];
  for (const [v, s] of known) assert.equal(float32Text(v), s, `float32Text(${v})`);
  for (const f of randomFloats(5000)) {
    const s = float32Text(f);
    assert.equal(Math.fround(Number(s)), f, `${s} reads back as ${f}`);
  }
});

/** Finite float32 values from random bit patterns. */
function randomFloats(n: number): number[] {
  const rand = lcg(5);
  const buf = new Float32Array(1);
  const bits = new Uint32Array(buf.buffer);
  const out: number[] = [];
  while (out.length < n) {
    bits[0] = Math.floor(rand() * 2 ** 32);
    if (Number.isFinite(buf[0])) out.push(buf[0]);
  }
  return out;
}

/** Significant digits of a number's spelling. */
const significant = (s: string) => s.replace(/^-/, '').replace(/e.*$/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '').length;

// Bug: float32Text tries 1 to 8 significant digits only, but some float32 values need 9; those
// fall back to their float64 spelling (17 digits): 10.0271015f is "10.027101516723633", and so
// is its category (`x=10.027101516723633`). About one random float32 in six is affected.
test('float32Text: no spelling with one significant digit fewer reads back (it is the shortest)', () => {
  assert.equal(float32Text(Math.fround(10.0271015)), '10.0271015');
  assert.equal(categoryText('10.0271015'), '10.0271015');
  for (const f of randomFloats(5000)) {
    const s = float32Text(f);
    const digits = significant(s);
    // Whole numbers below 1e21 are spelled in full, by design.
    if (Number.isInteger(f) && Math.abs(f) < 1e21) continue;
    assert.ok(digits <= 9, `${s}: ${digits} significant digits`);
    if (digits > 1) {
      assert.notEqual(Math.fround(Number(f.toPrecision(digits - 1))), f, `${s} is not the shortest spelling of ${f}`);
    }
  }
});

test('null tokens are missing values, trimmed, in the cases pandas writes them; other words are not', () => {
  for (const token of NULL_TOKENS) {
    for (const spelled of [token, ` ${token}\t`]) {
      assert.ok(Number.isNaN(parseCellNumber(spelled)), `${JSON.stringify(spelled)} is a missing number`);
      assert.equal(categoryText(spelled), null, `${JSON.stringify(spelled)} is a missing category`);
    }
  }
  // The common spellings of a blank, in the cases pandas writes them.
  for (const spelled of ['', 'NaN', 'nan', 'NA', 'N/A', 'n/a', 'NULL', 'null', 'None', '<NA>', '#N/A', '?', '-nan']) {
    assert.ok(Number.isNaN(parseCellNumber(spelled)), spelled);
  }
  // The list is pandas' and compared exactly, as pandas does: "None" is missing, "none" a category.
  for (const word of ['none', 'Null', 'NAN', 'na']) assert.equal(categoryText(word), word, word);
  for (const [text, v] of [['inf', Infinity], ['-Infinity', -Infinity], ['1e3', 1000], [' 42 ', 42], ['-.5', -0.5]] as const) assert.equal(parseCellNumber(text), v, text);
  for (const word of ['nil', 'missing', ' 0x10', '+0x10', 'n.a.', '--', '1_000']) assert.equal(parseCellNumber(word), undefined, word);

  const cells = ['red', 'NULL', 'None', 'blue', ' n/a ', '#N/A', '<NA>', '?', 'NaN', 'null', 'nil', 'NA'];
  const d = csvRows(csv('c,x', cells.map((c, i) => `${c},${i % 3 ? 'NA' : i}`)), 'nulls.csv');
  assert.deepEqual(d.table.kinds, ['text', 'number']);
  assert.deepEqual(d.table.dictionaries[0], ['red', 'blue', 'nil']);
  assert.deepEqual(column(d.features, d.rows, 2, 0), [0, NaN, NaN, 1, NaN, NaN, NaN, NaN, NaN, NaN, 2, NaN]);
  // A number column with null tokens stays numbers, with no words.
  assert.deepEqual(d.table.words, [null, null]);
  assert.deepEqual(column(d.features, d.rows, 2, 1), cells.map((_, i) => (i % 3 ? NaN : i)));
});

// Bug: parseCellNumber's fast path (a first character that is a digit) hands the text to
// Number(), which reads hex, binary and octal literals, before the check that makes them words:
// "0x10" is 16, "0b11" is 3, "0o17" is 15 (" 0x10", with a space, is a word). A column of codes
// "0x10", "0x1F", "abc" becomes the categories "16", "31", "abc".
test('hex, binary and octal literals are words, whatever their first character', () => {
  for (const word of ['0x10', '0X1f', '0b11', '0o17']) {
    assert.equal(parseCellNumber(word), undefined, word);
    assert.equal(categoryText(word), word, word);
  }
  const d = csvRows(csv('code', ['0x10', '0x1F', '0x10', 'abc']), 'hex.csv', { header: true });
  assert.deepEqual(d.table.dictionaries[0], ['0x10', '0x1F', 'abc']);
});

test('header detection on all-text tables: names that never recur below are a header; a first row whose values recur is data', () => {
  const withHeader = parseCsv(bytes('colour,size,shape\nred,small,round\nblue,large,square\nred,small,round\n'), 'h.csv', { labelColumn: null });
  assert.deepEqual(withHeader.header, ['colour', 'size', 'shape']);
  assert.equal(withHeader.rows, 3);
  assert.deepEqual(withHeader.table.dictionaries, [['red', 'blue'], ['small', 'large'], ['round', 'square']]);

  const data = parseCsv(bytes('red,small,round\nblue,large,square\nred,small,round\ngreen,large,round\n'), 'd.csv', { labelColumn: null });
  assert.equal(data.header, null);
  assert.equal(data.rows, 4);
  assert.deepEqual(data.table.names, ['column 0', 'column 1', 'column 2']);
  assert.equal(data.table.named, false);
  assert.deepEqual(data.table.dictionaries[0], ['red', 'blue', 'green']);

  // One value of the first row recurring in its column is enough to make it data.
  const one = parseCsv(bytes('red,size\nblue,large\nred,small\n'), 'o.csv', { labelColumn: null });
  assert.equal(one.header, null);
  assert.equal(one.rows, 3);

  // The first 50 rows are looked at: a recurrence in row 50 counts, one in row 51 does not.
  const probe = (line: number) => {
    const rows = Array.from({ length: 60 }, (_, i) => (i + 2 === line ? 'colour,size' : `c${i % 7},s${i % 5}`));
    return parseCsv(bytes(csv('colour,size', rows)), 'p.csv', { labelColumn: null });
  };
  assert.equal(probe(50).header, null);
  assert.equal(probe(50).rows, 61);
  assert.deepEqual(probe(51).header, ['colour', 'size']);
  assert.equal(probe(51).rows, 60);
});

/** A table with every feature of the reader: BOM, CRLF, quotes over lines, accents, a switch to text, blanks, a label. */
function awkwardCsv(): string {
  const lines = ['\ufeffcity,"size, cm",note,grade,y'];
  for (let r = 0; r < 120; r++) {
    const city = ['Zürich', 'café', 'Łódź', '東京', 'São Paulo'][r % 5];
    const note = r % 17 === 0 ? '"two\nlines, ""quoted"""' : r % 11 === 0 ? '' : `n${r % 4}`;
    const grade = r === 80 ? 'high' : String((r % 9) / 4);
    lines.push([city, (r * 0.37).toFixed(2), note, grade, r % 3 ? 'yes' : 'no'].join(','));
  }
  return lines.join('\r\n') + '\r\n';
}

const snapshot = (t: CsvTable) => ({ ...t, features: Array.from(t.features), labels: t.labels ? Array.from(t.labels) : null });

test('chunked input gives the same table as whole input, whatever the chunk size', () => {
  const all = bytes(awkwardCsv());
  const whole = parseCsv(all, 'a.csv');
  assert.equal(whole.rows, 120);
  assert.deepEqual(whole.header, ['city', 'size, cm', 'note', 'grade', 'y']);
  assert.deepEqual(whole.table.kinds, ['text', 'number', 'text', 'text']);
  assert.equal(whole.table.dictionaries[2]![0], 'two\nlines, "quoted"');
  assert.deepEqual(whole.table.dictionaries[0], ['Zürich', 'café', 'Łódź', '東京', 'São Paulo']);
  assert.deepEqual(whole.table.firstWords?.[3], { line: 87, text: 'high' });
  for (const size of [1, 2, 3, 5, 7, 64, 1000]) {
    const reader = new CsvReader('a.csv');
    for (let i = 0; i < all.length; i += size) reader.push(all.subarray(i, i + size));
    assert.deepEqual(snapshot(reader.finish()), snapshot(whole), `chunks of ${size} bytes`);
  }
});
