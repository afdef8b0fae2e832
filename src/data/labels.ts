/**
 * Class labels as people have them, mapped to class indices 0..K-1 (browser-safe). The
 * classes are the sorted distinct labels of the training and test files together: numbers in
 * numeric order (1990, 2000, 2010 are classes 0, 1, 2, and their values are kept so a model
 * predicts 2010, not 2), text in code-point order. Or, given the classes of a trained model,
 * labels are mapped onto those, and a label the model does not know is refused by name.
 */
import { DataError } from '../errors.js';
import { formatCount } from '../format.js';
import { MAX_CLASSES } from './dataset.js';
import { parseCsvNumber } from './formats/csv.js';

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
    if (!Number.isFinite(v) || !Number.isInteger(v) || !Number.isSafeInteger(v)) {
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
