/**
 * What a label column holds (browser-safe): classes, or a number to predict. A column is
 * classes when it is text or few whole numbers, and a quantity (regression) when it holds
 * numbers with fractions or many distinct whole numbers; `task` says which when the data
 * cannot. A regression Dataset carries its numbers in `targets`, and in `labels` the decile
 * of each row's target, so validation splits and cross-validation folds are stratified by it.
 *
 * Class labels as people have them are mapped to class indices 0..K-1. The
 * classes are the sorted distinct labels of the training and test files together: numbers in
 * numeric order (1990, 2000, 2010 are classes 0, 1, 2, and their values are kept so a model
 * predicts 2010, not 2), text in code-point order. Or, given the classes of a trained model,
 * labels are mapped onto those, and a label the model does not know is refused by name.
 */
import { DataError } from '../errors.js';
import { formatCount } from '../format.js';
import { MAX_CLASSES } from './dataset.js';
import { parseCsvNumber } from './formats/csv.js';
import { z } from 'zod';
import type { Dataset, PrepStep } from './dataset.js';

/** Labels as read from one file: numbers, or codes into the file's distinct label texts. */
export type RawLabels =
  | { file: string; values: ArrayLike<number> }
  | { file: string; codes: Int32Array; texts: string[] };

/** The classes of a trained model (or of training data): names, and the numeric label of each class when labels were numbers. */
export interface KnownClasses {
  names: readonly string[];
  /** The label value of each class; absent when labels were text or the classes are 0..K-1. */
  values?: readonly number[];
}

export interface MappedLabels {
  /** Class index of each row, one array per part. */
  labels: Int32Array[];
  classNames: string[];
  /** The numeric label of each class, when labels are numbers other than exactly 0..K-1. */
  classValues?: number[];
  /** "3 classes: 1990, 2000, 2010", for the loading notes. */
  summary: string;
}

/** "1990, 2000, 2010" or the first ten and a count. */
export function listClasses(names: readonly string[], shown = 10): string {
  const head = names.slice(0, shown).join(', ');
  return names.length > shown ? `${head}, ... (${formatCount(names.length)} in all)` : head;
}

/** The numbers of `raw`, or null when some label is not a number. Refuses NaN and fractions by row. */
function numbersOf(raw: RawLabels): ArrayLike<number> | null {
  if ('values' in raw) {
    checkWhole(raw.values, raw.file);
    return raw.values;
  }
  const parsed = raw.texts.map((t) => parseCsvNumber(t));
  if (parsed.some((v) => v === undefined)) return null;
  const values = new Float64Array(raw.codes.length);
  for (let i = 0; i < values.length; i++) values[i] = parsed[raw.codes[i]]!;
  checkWhole(values, raw.file);
  return values;
}

function checkWhole(values: ArrayLike<number>, file: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) throw new DataError(file, `label at row ${i} is NaN; every row needs a class label`);
    if (Number.isInteger(v) && !Number.isSafeInteger(v)) {
      throw new DataError(file, `label ${v.toPrecision(6)} at row ${i} is beyond 2^53 (${formatCount(Number.MAX_SAFE_INTEGER)}), where whole numbers lose their last digits and two classes could merge; class labels are whole numbers up to that, or text`);
    }
    if (!Number.isFinite(v) || !Number.isInteger(v)) {
      throw new DataError(file, `label ${v} at row ${i} is not a whole number; class labels are whole numbers or text (is this really the label column?)`);
    }
  }
}

function tooMany(file: string, n: number): DataError {
  return new DataError(file, `holds ${n > MAX_CLASSES ? `more than ${formatCount(MAX_CLASSES)}` : formatCount(n)} distinct labels; at most ${formatCount(MAX_CLASSES)} classes are supported (is this really the label column?)`);
}

/**
 * Map the labels of the given parts (training first) to class indices. With `known`, onto
 * those classes; otherwise the classes are the sorted distinct labels of all parts.
 * `nameOf` gives a class its name from its numeric label (class_names.json, Fashion-MNIST).
 */
export function mapLabels(parts: RawLabels[], known?: KnownClasses, nameOf?: (value: number) => string): MappedLabels {
  if (known) return mapOnto(parts, known);
  const numbers = parts.map(numbersOf);
  if (numbers.every((n): n is ArrayLike<number> => n !== null)) {
    const distinct = new Set<number>();
    numbers.forEach((values, p) => {
      for (let i = 0; i < values.length; i++) {
        distinct.add(values[i]);
        if (distinct.size > MAX_CLASSES) throw tooMany(parts[p].file, distinct.size);
      }
    });
    const sorted = [...distinct].sort((a, b) => a - b);
    const identity = sorted.every((v, i) => v === i);
    const index = new Map(sorted.map((v, i) => [v, i]));
    const labels = numbers.map((values) => {
      const out = new Int32Array(values.length);
      for (let i = 0; i < values.length; i++) out[i] = identity ? values[i] : index.get(values[i])!;
      return out;
    });
    const classNames = sorted.map((v) => (nameOf ? nameOf(v) : String(v)));
    const summary = `${formatCount(sorted.length)} classes: ${listClasses(nameOf ? classNames : sorted.map(String))}` +
      (identity ? '' : ` (labels mapped to classes 0..${sorted.length - 1} in this order)`);
    return { labels, classNames, ...(identity ? {} : { classValues: sorted }), summary };
  }
  // Text labels (or a mix): the sorted distinct texts; numbers from a numeric part count as their text.
  const textsOf = (raw: RawLabels): { codes: ArrayLike<number>; texts: string[] } => {
    if ('texts' in raw) return raw;
    const dict = new Map<number, number>();
    const texts: string[] = [];
    const codes = new Int32Array(raw.values.length);
    for (let i = 0; i < codes.length; i++) {
      let c = dict.get(raw.values[i]);
      if (c === undefined) {
        c = texts.length;
        dict.set(raw.values[i], c);
        texts.push(String(raw.values[i]));
      }
      codes[i] = c;
    }
    return { codes, texts };
  };
  const asText = parts.map(textsOf);
  const distinct = new Set<string>();
  asText.forEach((t, p) => {
    for (const x of t.texts) distinct.add(x);
    if (distinct.size > MAX_CLASSES) throw tooMany(parts[p].file, distinct.size);
  });
  const classNames = [...distinct].sort();
  const index = new Map(classNames.map((n, i) => [n, i]));
  const labels = asText.map((t) => {
    const map = t.texts.map((x) => index.get(x)!);
    return Int32Array.from(t.codes as ArrayLike<number>, (c) => map[c]);
  });
  return { labels, classNames, summary: `${formatCount(classNames.length)} classes: ${listClasses(classNames)}` };
}

/** Labels onto a model's classes: by value when it kept label values, by name for text, else as indices 0..K-1. */
function mapOnto(parts: RawLabels[], known: KnownClasses): MappedLabels {
  const k = known.names.length;
  const unknown = (file: string, label: string, row: number) =>
    new DataError(file, `label ${label} at row ${row} is not one of the model's ${formatCount(k)} classes (${listClasses(known.names)})`);
  const byValue = known.values ? new Map(known.values.map((v, i) => [v, i])) : null;
  const byName = new Map(known.names.map((n, i) => [n, i]));
  const labels = parts.map((raw) => {
    if ('texts' in raw && raw.texts.every((x) => byName.has(x))) {
      const map = raw.texts.map((x) => byName.get(x)!);
      return Int32Array.from(raw.codes, (c) => map[c]);
    }
    const numbers = numbersOf(raw);
    if (numbers === null) {
      const t = raw as { file: string; codes: Int32Array; texts: string[] };
      const row = t.codes.findIndex((c) => !byName.has(t.texts[c]));
      throw unknown(raw.file, JSON.stringify(t.texts[t.codes[row]]), row);
    }
    const out = new Int32Array(numbers.length);
    for (let i = 0; i < out.length; i++) {
      const v = numbers[i];
      const c = byValue ? byValue.get(v) : v >= 0 && v < k ? v : undefined;
      if (c === undefined) throw unknown(raw.file, String(v), i);
      out[i] = c;
    }
    return out;
  });
  return {
    labels,
    classNames: [...known.names],
    ...(known.values ? { classValues: [...known.values] } : {}),
    summary: `labels mapped onto the model's ${formatCount(k)} classes: ${listClasses(known.names)}`,
  };
}

// ---- Regression targets ----

export type Task = 'classify' | 'regress';

export const taskSchema = z
  .enum(['auto', 'classify', 'regress'], { error: "'auto', 'classify' or 'regress'" })
  .describe('classify (labels are classes) | regress (the label is a number to predict) | auto: regress when the labels are numbers with fractions, or more than 30 distinct whole numbers (more than 10 making a tenth of 100 rows or more)');

/**
 * Distinct whole-number labels above this are taken for a quantity, not classes (unless they
 * are the codes 0..K-1 of an array); so are more than FEW_WHOLE_CLASSES when they number a
 * tenth of 100 or more rows (a class would have fewer than 10 rows on average).
 */
export const MAX_WHOLE_CLASSES = 30;
const FEW_WHOLE_CLASSES = 10;
/** Target quantile bins used to stratify splits and folds. */
const BINS = 10;

export interface TaskChoice {
  task: Task;
  /** Why, in a sentence for the run's notes. */
  why: string;
}

/** The labels of a part as numbers, or the first row whose label is not one. */
function asNumbers(raw: RawLabels): { values: ArrayLike<number> } | { row: number; text: string } {
  if ('values' in raw) return { values: raw.values };
  const parsed = raw.texts.map((t) => parseCsvNumber(t));
  const values = new Float64Array(raw.codes.length);
  for (let i = 0; i < values.length; i++) {
    const v = parsed[raw.codes[i]];
    if (v === undefined) return { row: i, text: raw.texts[raw.codes[i]] };
    values[i] = v;
  }
  return { values };
}

/**
 * Classification or regression for these labels (training part first): as asked, else decided
 * from the labels, with the reason.
 */
export function chooseTask(parts: RawLabels[], asked: 'auto' | Task = 'auto'): TaskChoice {
  if (asked === 'classify') return { task: 'classify', why: 'asked for (--task classify)' };
  if (asked === 'regress') return { task: 'regress', why: 'asked for (--task regress)' };
  const all = parts.map(asNumbers);
  const text = all.findIndex((n) => !('values' in n));
  if (text >= 0) return { task: 'classify', why: 'the labels are text' + commaNumbers(parts) };
  const distinct = new Set<number>();
  let rows = 0;
  for (let p = 0; p < all.length; p++) {
    const { values } = all[p] as { values: ArrayLike<number> };
    rows += values.length;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (Number.isFinite(v) && !Number.isInteger(v)) {
        return { task: 'regress', why: `the labels are numbers with fractions (${v} at row ${i}${p ? ' of the test part' : ''}); --task classify to refuse them instead` };
      }
      if (distinct.size <= MAX_WHOLE_CLASSES) distinct.add(v);
    }
  }
  const k = distinct.size;
  const sparse = k > FEW_WHOLE_CLASSES && k * 10 >= rows && rows >= 100;
  if (k <= MAX_WHOLE_CLASSES && !sparse) return { task: 'classify', why: `the labels are ${k} distinct whole numbers` };
  // Class codes 0..K-1 of an array (CIFAR-100's 100 classes) stay classes.
  const codes = parts.every((p) => 'values' in p) && isCodes(all as { values: ArrayLike<number> }[]);
  if (codes) return { task: 'classify', why: 'the labels are the class codes 0..K-1 of an array' };
  const why = k > MAX_WHOLE_CLASSES ? `more than ${MAX_WHOLE_CLASSES} distinct whole numbers` : `${k} distinct whole numbers in ${rows} rows (fewer than 10 rows a value)`;
  return { task: 'regress', why: `the labels are ${why}: a quantity, not classes (--task classify to treat them as classes)` };
}

/** Numbers written with a comma: thousands groups (388,926) or a decimal comma (80,98). */
const COMMA_NUMBER = /^-?\d{1,3}(,\d{3})+(\.\d+)?$|^-?\d+,\d+$/;

/**
 * A hint when text labels are mostly numbers written with commas, which CSV files of
 * spreadsheets hold: read as text they are one class per value.
 */
function commaNumbers(parts: RawLabels[]): string {
  const texts = parts.flatMap((p) => ('texts' in p ? p.texts : []));
  const example = texts.find((t) => COMMA_NUMBER.test(t));
  if (example === undefined || texts.filter((t) => COMMA_NUMBER.test(t)).length < 0.9 * texts.length) return '';
  return ` (most are numbers written with a comma, such as ${JSON.stringify(example)}: write them without thousands separators and with a decimal point to predict them as numbers)`;
}

function isCodes(parts: { values: ArrayLike<number> }[]): boolean {
  let max = -1;
  const seen = new Set<number>();
  for (const { values } of parts) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (!(Number.isInteger(v) && v >= 0)) return false;
      seen.add(v);
      if (v > max) max = v;
    }
  }
  return seen.size === max + 1;
}

/**
 * The numeric targets of each part (float64). A label that is not a number is refused by row;
 * NaN (a blank of an array) is kept, for `prepare` to drop or refuse with the other blanks. A
 * training target of one value is refused, naming the file the labels came from.
 */
export function mapTargets(parts: RawLabels[], name = 'target'): Float64Array[] {
  const out = parts.map((raw) => {
    const n = asNumbers(raw);
    if (!('values' in n)) {
      throw new DataError(raw.file, `label ${JSON.stringify(n.text)} at row ${n.row} is not a number; a regression (task regress) needs a number to predict in every row`);
    }
    return Float64Array.from(n.values as ArrayLike<number>);
  });
  refuseConstant(out[0], name, parts[0].file);
  return out;
}

/**
 * The decile of each row's target (0..9, fewer bins for fewer than 100 rows): the `labels` of a
 * regression Dataset, so stratified splits and folds spread the target's range evenly. Rows of
 * equal target may fall in neighbouring bins; NaN targets are in the last bin.
 */
export function targetBins(targets: Float64Array): Int32Array {
  const n = targets.length;
  const bins = Math.max(1, Math.min(BINS, Math.floor(n / 10)));
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => {
    const x = targets[a], y = targets[b];
    if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) ? (Number.isNaN(y) ? a - b : 1) : -1;
    return x - y || a - b;
  });
  const out = new Int32Array(n);
  for (let rank = 0; rank < n; rank++) out[order[rank]] = Math.floor((rank * bins) / n);
  return out;
}

/** A regression Dataset's part from its features and targets: `labels` are the target's bins. */
export function withTargets<T extends Omit<Dataset, 'labels'>>(d: T, targets: Float64Array): T & { labels: Int32Array; targets: Float64Array } {
  return { ...d, labels: targetBins(targets), targets };
}

/**
 * Mean and population standard deviation (float64); a constant target has std 0. Computed on
 * the values divided by the largest magnitude, so targets near the float64 limits (1e308) or
 * in its subnormal range (1e-310) neither overflow nor vanish.
 */
export function targetMoments(t: ArrayLike<number>): { mean: number; std: number } {
  let scale = 0;
  for (let i = 0; i < t.length; i++) scale = Math.max(scale, Math.abs(t[i]));
  if (!(scale > 0) || !Number.isFinite(scale)) return { mean: scale === 0 ? 0 : NaN, std: scale === 0 ? 0 : NaN };
  let m = 0;
  for (let i = 0; i < t.length; i++) m += t[i] / scale;
  m /= t.length;
  let ss = 0;
  for (let i = 0; i < t.length; i++) ss += (t[i] / scale - m) ** 2;
  return { mean: m * scale, std: Math.sqrt(ss / t.length) * scale };
}

/** Refuse a target whose finite values are all one number, naming the file its values came from. */
export function refuseConstant(t: ArrayLike<number>, name: string, source: string): void {
  let first = NaN, n = 0;
  for (let i = 0; i < t.length; i++) {
    const v = t[i];
    if (!Number.isFinite(v)) continue;
    if (n++ === 0) first = v;
    else if (v !== first) return;
  }
  if (n === 0) return;
  throw new DataError(source, `the target ${JSON.stringify(name)} is ${first} in every one of its ${formatCount(n)} training rows; a constant has nothing to learn (is the label column the right one?)`);
}

/** The prep step that describes a target: its range, mean and spread; refuses a constant target. */
export function targetStep(t: Float64Array, name: string, source: string): PrepStep {
  const { min, max, mean, std } = targetSummary(t);
  refuseConstant(t, name, source);
  const g = (v: number) => Number(v.toPrecision(4)).toString();
  return {
    name: 'target',
    summary: `Regression target ${JSON.stringify(name)}: ${formatCount(t.length)} training rows from ${g(min)} to ${g(max)}, mean ${g(mean)}, standard deviation ${g(std)}; the network learns it standardised and predicts in its units`,
    details: { name, rows: t.length, min, max, mean, std },
  };
}

/** Smallest and largest value, mean and population standard deviation of targets (see targetMoments). */
export function targetSummary(t: ArrayLike<number>): { min: number; max: number; mean: number; std: number } {
  let min = Infinity, max = -Infinity;
  for (let i = 0; i < t.length; i++) {
    if (t[i] < min) min = t[i];
    if (t[i] > max) max = t[i];
  }
  return { min, max, ...targetMoments(t) };
}
