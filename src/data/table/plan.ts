/**
 * What each column of a table is: numbers, categories (text), a yes/no flag, or left out (an
 * identifier, a constant, a row number, blank throughout), decided from the training file's
 * cells with the reason in words, and overridable per column. `data info` prints this plan;
 * `prepare` fits the encoder (encoder.ts) on it.
 */
import { z } from 'zod';
import { DataError } from '../../errors.js';
import { formatCount, formatPercent } from '../../format.js';
import { fields } from '../../validate.js';
import type { Dataset } from '../dataset.js';
import { MAX_DISTINCT_TEXTS, clip, float32Text, parseCellNumber, type TableColumns, type WordNote } from './cells.js';

const names = (what: string) => z.array(z.string({ error: 'a column name' }).min(1, { error: 'a column name' }), { error: `a list of column names ${what}` }).max(100_000);

/** Most bins a numeric column is encoded into. */
export const MAX_NUMERIC_BINS = 64;
const BINS_ALLOWED = `a whole number from 0 to ${MAX_NUMERIC_BINS}`;

/** How table columns are typed and encoded: the run spec's and study's `data` section holds these fields. */
export const tableOptionsShape = {
  categorical: names('to read as categories').default([]).describe('table columns to read as categories (one-hot encoded), by name'),
  numeric: names('to read as numbers').default([]).describe('table columns to read as numbers (words in them become missing values), by name'),
  ignoreColumns: names('to leave out').default([]).describe('table columns to leave out (identifiers, leaks), by name'),
  minCategoryCount: fields.positiveInt('a whole number >= 1').default(1).describe("categories with fewer training rows are folded into one 'other' column (1: every category seen in training keeps its column, as scikit-learn's OneHotEncoder)"),
  maxCategories: fields.positiveInt('a whole number from 1 to 10000').max(10_000, { error: 'a whole number from 1 to 10000' }).default(50).describe("most one-hot columns one categorical column adds (the most frequent categories; the rest go to 'other')"),
  unknownCategories: z.enum(['other', 'refuse'], { error: "'other' or 'refuse'" }).default('other').describe("a category unseen in training at predict/evaluate time: other (counted) | refuse"),
  imputeNumeric: z.enum(['median', 'mean'], { error: "'median' or 'mean'" }).default('median').describe('blank numeric cells get the training median | mean'),
  imputeCategorical: z.enum(['category', 'most-frequent'], { error: "'category' or 'most-frequent'" }).default('category').describe("blank categorical cells: their own 'missing' category | the most frequent one"),
  numericBins: z
    .number({ error: BINS_ALLOWED })
    .int({ error: BINS_ALLOWED })
    .min(0, { error: BINS_ALLOWED })
    .max(MAX_NUMERIC_BINS, { error: BINS_ALLOWED })
    .default(0)
    .describe('each numeric column is also given as this many piecewise-linear bins between quantiles of its training values (0 or 1: the value alone)'),
  missingIndicators: z.boolean({ error: 'true or false' }).default(true).meta({ description: 'a 0/1 column beside each numeric column that has blanks', off: 'no missing-indicator columns' }),
  mixed: z.enum(['auto', 'refuse'], { error: "'auto' or 'refuse'" }).default('auto').describe('a column of numbers and words: auto (mostly numbers: words are missing; else categories) | refuse'),
};
const tableOptionsSchema = z.object(tableOptionsShape);
export type TableOptions = z.output<typeof tableOptionsSchema>;
export const TABLE_DEFAULTS: TableOptions = tableOptionsSchema.parse({});

export type ColumnRole = 'numeric' | 'categorical' | 'boolean' | 'ignored';

/** One column's type and the facts behind it. */
export interface ColumnPlan {
  name: string;
  /** Index among the table's feature columns. */
  index: number;
  role: ColumnRole;
  /** Why, in words: "numbers", "text, 3 values", "asked for", "identifier: every value distinct". */
  why: string;
  /** Blank or null cells in the training file. */
  missing: number;
  /** Distinct non-missing values, and whether there are more than were counted. */
  distinct: number;
  distinctMore: boolean;
  /** A few values, most frequent first. */
  examples: string[];
  /** A yes/no column: the text read as 1 and the one read as 0. */
  flag?: { yes: string; no: string };
  /** Words in a column read as numbers: they become missing values. */
  words?: WordNote;
  /** Something a careful analyst would point out (kept as a warning). */
  warning?: string;
}

/** Pairs of texts read as a yes/no column (compared in lower case); the first of each is 1. */
const FLAGS: [string, string][] = [['yes', 'no'], ['true', 'false'], ['y', 'n'], ['t', 'f']];
const COUNT_LIMIT = MAX_DISTINCT_TEXTS;

/** The columns of `d` (raw table rows), as `prepare` will treat them. Throws DataError for unknown names or a refused mixed column. */
export function planColumns(d: Dataset & { table: TableColumns }, o: TableOptions): ColumnPlan[] {
  const t = d.table;
  const source = d.source ?? 'data';
  const asked = new Map<string, 'categorical' | 'numeric' | 'ignored'>();
  for (const [list, role, flag] of [[o.categorical, 'categorical', '--categorical'], [o.numeric, 'numeric', '--numeric'], [o.ignoreColumns, 'ignored', '--ignore-columns']] as const) {
    for (const name of list) {
      if (!t.names.includes(name)) {
        const shown = t.names.slice(0, 12).map((n) => JSON.stringify(n)).join(', ') + (t.names.length > 12 ? ', ...' : '');
        throw new DataError(source, `${flag} names the column ${JSON.stringify(name)}, which the table does not have; its feature columns are ${shown}`);
      }
      const before = asked.get(name);
      if (before && before !== role) throw new DataError(source, `column ${JSON.stringify(name)} is asked for as both ${before} and ${role}; give it one type`);
      asked.set(name, role);
    }
  }
  return t.names.map((name, c) => planColumn(d, t, c, asked.get(name), o, source));
}

function planColumn(d: Dataset, t: TableColumns, c: number, asked: 'categorical' | 'numeric' | 'ignored' | undefined, o: TableOptions, source: string): ColumnPlan {
  const name = t.names[c];
  const dict = t.dictionaries[c];
  const { rows, cols, features } = d;
  let missing = 0;
  const base = { name, index: c };
  if (t.kinds[c] === 'number') {
    const seen = new Map<number, number>();
    let more = false, consecutive = rows >= 20;
    const first = features[c];
    for (let r = 0; r < rows; r++) {
      const v = features[r * cols + c];
      if (v - v !== 0) {
        missing++;
        consecutive = false;
        continue;
      }
      if (consecutive && v !== first + r) consecutive = false;
      if (!more) {
        seen.set(v, (seen.get(v) ?? 0) + 1);
        if (seen.size > COUNT_LIMIT) more = true;
      }
    }
    const facts = { ...base, missing, distinct: seen.size, distinctMore: more, examples: top(seen, float32Text), ...(t.words[c] ? { words: t.words[c]! } : {}) };
    const wordNote = t.words[c] ? wordsText(t.words[c]!) : '';
    if (asked === 'ignored') return { ...facts, role: 'ignored', why: 'asked to leave out' };
    if (asked === 'categorical') return { ...facts, role: 'categorical', why: 'asked for as categories' + (wordNote ? `; ${wordNote} were lost as missing values` : '') };
    if (missing === rows) return { ...facts, role: 'ignored', why: 'every value is missing', warning: `column ${JSON.stringify(name)} is blank in every row; left out` };
    if (asked === 'numeric') return { ...facts, role: 'numeric', why: 'asked for as numbers' + (wordNote ? `; ${wordNote} read as missing` : '') };
    if (seen.size === 1 && !more) return { ...facts, role: 'ignored', why: `constant: every value is ${float32Text(first === first ? first : [...seen.keys()][0])}`, warning: `column ${JSON.stringify(name)} holds one value only; left out` };
    if (consecutive) return { ...facts, role: 'ignored', why: `a row number (${float32Text(first)}, ${float32Text(first + 1)}, ...)`, warning: `column ${JSON.stringify(name)} counts the rows (${float32Text(first)}, ${float32Text(first + 1)}, ...); left out as an identifier` };
    if (t.words[c]) {
      if (o.mixed === 'refuse') throw mixedError(source, name, rows - missing, t.words[c]!);
      return { ...facts, role: 'numeric', why: `numbers; ${wordNote} read as missing`, warning: `column ${JSON.stringify(name)} is numbers with ${wordNote}: read as missing values (--categorical ${name} reads the column as categories)` };
    }
    return { ...facts, role: 'numeric', why: 'numbers' };
  }

  // A text column: count each code.
  const counts = new Int32Array(dict!.length);
  let overflow = 0;
  for (let r = 0; r < rows; r++) {
    const v = features[r * cols + c];
    if (v !== v) missing++;
    else if (v < 0) overflow++;
    else counts[v]++;
  }
  const present = new Map<string, number>();
  for (let i = 0; i < counts.length; i++) if (counts[i] > 0) present.set(dict![i], counts[i]);
  const filled = rows - missing;
  const facts = { ...base, missing, distinct: present.size + (overflow ? 1 : 0), distinctMore: overflow > 0, examples: top(present, (s) => s) };
  if (asked === 'ignored') return { ...facts, role: 'ignored', why: 'asked to leave out' };
  if (filled === 0) return { ...facts, role: 'ignored', why: 'every value is missing', warning: `column ${JSON.stringify(name)} is blank in every row; left out` };
  // Numbers and words: how many rows of each.
  let numberRows = 0, numberValues = 0;
  const wordExamples: { line: number; text: string }[] = [];
  for (const [text, n] of present) {
    if (parseCellNumber(text) !== undefined) {
      numberRows += n;
      numberValues++;
    } else if (wordExamples.length < 5) wordExamples.push({ line: 0, text: clip(text) });
  }
  // The first word read in the column is known by its line.
  const first = t.firstWords?.[c];
  const known = first ? wordExamples.find((e) => e.text === first.text) : undefined;
  if (known) known.line = first!.line;
  const wordRows = filled - numberRows;
  if (asked === 'numeric') {
    return { ...facts, role: 'numeric', why: 'asked for as numbers' + (wordRows ? `; ${formatCount(wordRows)} rows of words read as missing` : '') };
  }
  if (asked === 'categorical') return { ...facts, role: 'categorical', why: 'asked for as categories' };
  if (present.size === 1 && !overflow) return { ...facts, role: 'ignored', why: `constant: every value is ${JSON.stringify(clip(facts.examples[0]))}`, warning: `column ${JSON.stringify(name)} holds one value only; left out` };
  if (numberRows > 0 && wordRows > 0) {
    const words: WordNote = { rows: wordRows, examples: wordExamples };
    if (o.mixed === 'refuse') throw mixedError(source, name, numberRows, words);
    // Mostly numbers, with a few words (a sentinel like "unknown"): the words are missing values.
    if (wordRows <= 0.05 * filled && numberValues >= 10) {
      const note = wordsText(words);
      return { ...facts, role: 'numeric', words, why: `numbers; ${note} read as missing`, warning: `column ${JSON.stringify(name)} is numbers with ${note}: read as missing values (--categorical ${name} reads the column as categories)` };
    }
    if (present.size < filled || filled < 10) {
      return { ...facts, role: 'categorical', why: `numbers and words, ${formatCount(present.size)} values: read as categories`, warning: `column ${JSON.stringify(name)} holds ${formatCount(numberRows)} rows of numbers and ${formatCount(wordRows)} of words; read as categories (--numeric ${name} reads the words as missing values)` };
    }
  }
  if (numberRows === filled) return { ...facts, role: 'numeric', why: 'numbers' };
  if (overflow || (present.size === filled && filled >= 10)) {
    const why = overflow ? `more than ${formatCount(MAX_DISTINCT_TEXTS)} distinct texts` : 'identifier: every value distinct';
    return { ...facts, role: 'ignored', why, warning: `column ${JSON.stringify(name)} looks like an identifier (${why}); left out (--categorical ${name} keeps it)` };
  }
  if (present.size === 2 && !overflow) {
    const [a, b] = [...present.keys()];
    for (const [yes, no] of FLAGS) {
      const la = a.toLowerCase(), lb = b.toLowerCase();
      if ((la === yes && lb === no) || (la === no && lb === yes)) {
        return { ...facts, role: 'boolean', why: `yes/no: ${JSON.stringify(la === yes ? a : b)} is 1`, flag: { yes: la === yes ? a : b, no: la === yes ? b : a } };
      }
    }
  }
  return { ...facts, role: 'categorical', why: `text, ${formatCount(present.size)} values` };
}

function mixedError(source: string, name: string, numberRows: number, words: WordNote): DataError {
  return new DataError(
    source,
    `column ${JSON.stringify(name)} holds numbers in ${formatCount(numberRows)} rows and words in ${formatCount(words.rows)} (${wordList(words)}). ` +
      `help: --numeric ${name} reads the words as missing values, --categorical ${name} reads the column as categories`,
  );
}

const wordList = (w: WordNote) => w.examples.map((e) => (e.line ? `line ${e.line}: ${JSON.stringify(e.text)}` : JSON.stringify(e.text))).join(', ') + (w.rows > w.examples.length ? ', ...' : '');
const wordsText = (w: WordNote) => `${formatCount(w.rows)} ${w.rows === 1 ? 'word' : 'words'} (${wordList(w)})`;

/** The most frequent keys, as text. */
function top<K>(counts: Map<K, number>, text: (k: K) => string, n = 3): string[] {
  return [...counts].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k]) => text(k));
}

/** The plan as rows of a table for people: column, type, missing share, distinct values, examples, what is done. */
export function planRows(plans: ColumnPlan[], rows: number): string[][] {
  return plans.map((p) => [
    p.name,
    p.role,
    p.missing ? formatPercent(p.missing / rows, 1) : '-',
    `${formatCount(p.distinct)}${p.distinctMore ? '+' : ''}`,
    p.examples.map((e) => clip(e)).join(', '),
    p.why,
  ]);
}
