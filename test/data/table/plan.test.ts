/**
 * Planning a table's columns: one column of each kind in a hand-made table gets its role, its
 * reason and its warning; overrides by name; names the table lacks, a column asked for as two
 * types, and mixed columns under 'refuse' are DataErrors naming the column (and the lines).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TABLE_DEFAULTS, planColumns, planRows, type ColumnPlan, type TableOptions } from '../../../src/data/table/plan.js';
import { throwsDataError } from '../helpers.js';
import { csvRows, type TableRows } from './helpers.js';

const ROWS = 24;
const NAMES = ['num', 'cat', 'flag', 'id', 'const', 'rowno', 'blank', 'sentinel', 'half'];

/**
 * 24 rows (lines 2..25 of the file): numbers; three text categories; Yes/no; distinct ids; a
 * constant; the row number 1..24; a blank column; numbers with the word "unknown" on line 11;
 * numbers in rows 0..11 and the words p, q in rows 12..23 (the first word, "p", on line 14).
 */
function handMade(): TableRows {
  const lines = [NAMES.join(',')];
  for (let r = 0; r < ROWS; r++) {
    const sentinel = r === 9 ? 'unknown' : String(10 + ((r * 5) % 17) / 4);
    const half = r < 12 ? String(r % 4) : r % 2 ? 'q' : 'p';
    lines.push([((r * 7) % 11) + 0.5, 'abc'[r % 3], r % 2 ? 'Yes' : 'no', `id-${r}`, 5, r + 1, '', sentinel, half].join(','));
  }
  return csvRows(lines.join('\n') + '\n', 'hand.csv');
}

const opts = (o: Partial<TableOptions> = {}): TableOptions => ({ ...TABLE_DEFAULTS, ...o });
const byName = (plans: ColumnPlan[]) => Object.fromEntries(plans.map((p) => [p.name, p]));

test('one column of each kind: its role, its reason, its warning', () => {
  const d = handMade();
  const plans = planColumns(d, opts());
  assert.deepEqual(plans.map((p) => p.name), NAMES);
  assert.deepEqual(plans.map((p) => p.index), NAMES.map((_, i) => i));
  const p = byName(plans);
  assert.deepEqual(plans.map((x) => x.role), ['numeric', 'categorical', 'boolean', 'ignored', 'ignored', 'ignored', 'ignored', 'numeric', 'categorical']);

  assert.equal(p.num.why, 'numbers');
  assert.equal(p.num.distinct, 11);
  assert.equal(p.num.warning, undefined);

  assert.match(p.cat.why, /^text, 3 values$/);
  assert.deepEqual([...p.cat.examples].sort(), ['a', 'b', 'c']);
  assert.equal(p.cat.warning, undefined);

  // A yes/no column: the spelling of "yes" as found is 1, whatever its case.
  assert.deepEqual(p.flag.flag, { yes: 'Yes', no: 'no' });
  assert.match(p.flag.why, /"Yes" is 1/);

  assert.match(p.id.why, /identifier: every value distinct/);
  assert.match(p.id.warning!, /column "id" looks like an identifier.*--categorical id keeps it/);
  assert.equal(p.id.distinct, ROWS);

  assert.match(p.const.why, /constant: every value is 5$/);
  assert.match(p.const.warning!, /column "const" holds one value only; left out/);

  assert.match(p.rowno.why, /row number \(1, 2, \.\.\.\)/);
  assert.match(p.rowno.warning!, /column "rowno" counts the rows/);

  assert.equal(p.blank.missing, ROWS);
  assert.match(p.blank.why, /every value is missing/);
  assert.match(p.blank.warning!, /column "blank" is blank in every row/);

  // One word in 24 rows of numbers: read as a missing value, named with its line.
  assert.match(p.sentinel.why, /^numbers; 1 word \(line 11: "unknown"\) read as missing$/);
  assert.match(p.sentinel.warning!, /column "sentinel" is numbers with 1 word \(line 11: "unknown"\).*--categorical sentinel/);
  assert.deepEqual(p.sentinel.words, { rows: 1, examples: [{ line: 11, text: 'unknown' }] });

  // Half numbers, half words: categories, with a warning that says so.
  assert.match(p.half.why, /numbers and words, 6 values: read as categories/);
  assert.match(p.half.warning!, /column "half" holds 12 rows of numbers and 12 of words; read as categories \(--numeric half/);

  // No missing cells outside the blank column.
  assert.deepEqual(plans.filter((x) => x.missing > 0).map((x) => x.name), ['blank']);
  // The plan as rows for people: one row per column, the blank one 100% missing.
  const rows = planRows(plans, ROWS);
  assert.deepEqual(rows.map((r) => [r[0], r[1]]), plans.map((x) => [x.name, x.role]));
  assert.match(rows[6][2], /^100(\.0)?%$/);
  assert.equal(rows[0][2], '-');
});

test('a row-number column is only one when it counts by one from the first row, in 20 rows or more', () => {
  const table = (values: (r: number) => string, rows: number) => csvRows(['n,x', ...Array.from({ length: rows }, (_, r) => `${values(r)},${r % 3}`)].join('\n'), 'n.csv');
  const role = (values: (r: number) => string, rows = 24) => planColumns(table(values, rows), opts())[0];
  assert.match(role((r) => String(r + 100)).why, /row number \(100, 101/);
  assert.equal(role((r) => String(r + 1), 19).role, 'numeric'); // too few rows to tell
  assert.equal(role((r) => String(2 * r)).role, 'numeric');
  assert.equal(role((r) => (r === 7 ? '' : String(r))).role, 'numeric'); // a gap: not a row number
});

test('a number column with more than 1000 distinct numbers keeps its words as missing values, named by line', () => {
  const lines = ['x,c'];
  for (let r = 0; r < 1200; r++) lines.push(`${r === 1100 || r === 1150 ? 'n.a.' : (r * 1.5) % 1777},${r % 2 ? 'u' : 'v'}`);
  const d = csvRows(lines.join('\n'), 'wide.csv');
  assert.deepEqual(d.table.kinds, ['number', 'text']);
  const [x] = planColumns(d, opts());
  assert.equal(x.role, 'numeric');
  assert.equal(x.missing, 2);
  assert.match(x.warning!, /column "x" is numbers with 2 words \(line 1102: "n\.a\.", line 1152: "n\.a\."\)/);
  throwsDataError(() => planColumns(d, opts({ mixed: 'refuse' })), 'wide.csv', /column "x" holds numbers in 1,198 rows and words in 2 \(line 1102: "n\.a\.", line 1152: "n\.a\."\)\. help: --numeric x .*--categorical x/);
  // Asked for as numbers, the words are still missing values; no error under 'refuse'.
  const [asked] = planColumns(d, opts({ mixed: 'refuse', numeric: ['x'] }));
  assert.equal(asked.role, 'numeric');
  assert.match(asked.why, /asked for as numbers; 2 words/);
});

test('overrides by name: --categorical, --numeric and --ignore-columns win over what the cells say', () => {
  const d = handMade();
  const p = byName(planColumns(d, opts({ categorical: ['num', 'id', 'sentinel'], numeric: ['half', 'cat'], ignoreColumns: ['flag'] })));
  assert.equal(p.num.role, 'categorical');
  assert.equal(p.num.why, 'asked for as categories');
  assert.equal(p.id.role, 'categorical');
  assert.equal(p.id.warning, undefined);
  assert.equal(p.sentinel.role, 'categorical');
  assert.equal(p.half.role, 'numeric');
  assert.match(p.half.why, /asked for as numbers; 12 rows of words read as missing/);
  assert.equal(p.cat.role, 'numeric');
  assert.match(p.cat.why, /24 rows of words read as missing/);
  assert.equal(p.flag.role, 'ignored');
  assert.equal(p.flag.why, 'asked to leave out');
  // Columns not named keep their plan.
  assert.equal(p.const.role, 'ignored');
  assert.equal(p.rowno.role, 'ignored');
  // A name given twice for one type is fine.
  assert.equal(byName(planColumns(d, opts({ ignoreColumns: ['num', 'num'] }))).num.role, 'ignored');
});

test('a name the table lacks, and a column asked for as two types, are DataErrors naming the column', () => {
  const d = handMade();
  throwsDataError(() => planColumns(d, opts({ categorical: ['colour'] })), 'hand.csv', /--categorical names the column "colour", which the table does not have; its feature columns are "num", "cat"/);
  throwsDataError(() => planColumns(d, opts({ numeric: ['Num'] })), 'hand.csv', /--numeric names the column "Num"/);
  throwsDataError(() => planColumns(d, opts({ ignoreColumns: ['label'] })), 'hand.csv', /--ignore-columns names the column "label"/);
  throwsDataError(() => planColumns(d, opts({ numeric: ['cat'], categorical: ['cat'] })), 'hand.csv', /column "cat" is asked for as both categorical and numeric/);
  throwsDataError(() => planColumns(d, opts({ ignoreColumns: ['num'], numeric: ['num'] })), 'hand.csv', /column "num" is asked for as both numeric and ignored/);
});

test("mixed: 'refuse' refuses a column of numbers and words, naming its lines; 'auto' reads it", () => {
  const d = handMade();
  // The sentinel column comes first in the table, so it is the one refused.
  throwsDataError(() => planColumns(d, opts({ mixed: 'refuse' })), 'hand.csv', /column "sentinel" holds numbers in 23 rows and words in 1 \(line 11: "unknown"\)/);
  // With the sentinel column read as numbers, the half column is refused, its first word named by line.
  throwsDataError(() => planColumns(d, opts({ mixed: 'refuse', numeric: ['sentinel'] })), 'hand.csv', /column "half" holds numbers in 12 rows and words in 12 \(line 14: "p", "q", \.\.\.\)\. help: --numeric half/);
  // Columns asked for by type are not refused.
  const p = byName(planColumns(d, opts({ mixed: 'refuse', numeric: ['sentinel'], categorical: ['half'] })));
  assert.equal(p.half.role, 'categorical');
  assert.equal(p.sentinel.role, 'numeric');
});
