/**
 * Table cells as they are read, one column at a time, whatever the source (a CSV stream,
 * JavaScript records, columns): each column is stored as numbers, or as codes into its own
 * list of distinct texts. A column starts as numbers and becomes text at its first word,
 * while it has few enough distinct numbers that turning them into texts loses nothing. All
 * values of all columns go into one growing Float32Array, row-major, so a large table is never
 * held as strings. Browser-safe.
 */
import { DataError } from '../../errors.js';

/**
 * Texts read as a missing value, compared trimmed and exactly: pandas' default list (so "None"
 * is missing but "none" is a category, as in pandas) and Weka's "?".
 */
export const NULL_TOKENS = new Set(['', 'NaN', 'nan', '-NaN', '-nan', 'NA', 'N/A', 'n/a', '#N/A', '#N/A N/A', '#NA', 'NULL', 'null', 'None', '<NA>', '?']);

/** Distinct texts kept per text column; further new texts are counted and coded -1 (unknown). */
export const MAX_DISTINCT_TEXTS = 65536;
/** A number column turns into text at its first word only while it holds at most this many distinct numbers. */
const SWITCH_DISTINCT = 1000;
/** Distinct numbers tracked over all columns at once: a wide table tracks fewer per column (at least 16). */
const TRACKED_DISTINCT = 2_000_000;
/** A number written with a decimal comma: 3,5 or -0,25 or 1,5e3. */
const DECIMAL_COMMA = /^\s*[+-]?\d*,\d+(?:[eE][+-]?\d+)?\s*$/;
/** Most columns a table may have. */
export const MAX_COLUMNS = 100_000;
/** Examples of words kept per number column. */
const WORD_EXAMPLES = 5;

/** How a column's cells are stored: the number itself, or a code into `dictionaries[c]`. */
export type CellKind = 'number' | 'text';

/** Words found in a column stored as numbers (kept as missing values): how many rows, and the first few. */
export interface WordNote {
  rows: number;
  examples: { line: number; text: string }[];
}

/**
 * The columns of a table beside its values (a Dataset's `table`): names, how each is stored,
 * and each text column's distinct texts (code = index; -1 is a text beyond the cap; NaN is
 * missing). Numbers a text column holds are kept in their shortest float32 spelling, so "7",
 * "007" and "7.0" are one category.
 */
export interface TableColumns {
  names: string[];
  /** Whether the names came from a header row (else they are "column 0", ...: matched by position). */
  named: boolean;
  kinds: CellKind[];
  dictionaries: (string[] | null)[];
  /** Per column: words seen while it was stored as numbers (they are missing values), or null. */
  words: (WordNote | null)[];
  /** Per text column: rows holding a new text beyond MAX_DISTINCT_TEXTS (coded -1). */
  overflow: number[];
  /** Per column: the first cell that is not a number (a word), and its line; null when there is none. */
  firstWords?: ({ line: number; text: string } | null)[];
  /** The label column's name, when the table had one with a header (it is not among `names`). */
  label?: string | null;
}

/** A number from cell text: undefined when the text is not numeric; NaN for empty and null markers. */
export function parseCellNumber(text: string): number | undefined {
  // Fast path for the common case, a plain number: Number() already ignores surrounding
  // whitespace, but turns '' into 0, hence the first-character test.
  const c0 = text.charCodeAt(0);
  if ((c0 >= 48 && c0 <= 57) || c0 === 45 || c0 === 46 || c0 === 43) {
    // 0x.., 0b.., 0o.. are numbers to Number() but words in a table.
    const c1 = text.charCodeAt(1) | 32;
    if (c0 === 48 && (c1 === 120 || c1 === 98 || c1 === 111)) return undefined;
    const v = Number(text);
    if (v === v) return v;
  }
  const t = text.trim();
  if (NULL_TOKENS.has(t)) return NaN;
  const lower = t.toLowerCase();
  if (lower === 'inf' || lower === '+inf' || lower === 'infinity' || lower === '+infinity') return Infinity;
  if (lower === '-inf' || lower === '-infinity') return -Infinity;
  if (t === '' || /^0x/i.test(t) || /^[+-]?0[bo]/i.test(t)) return undefined; // hex, binary and octal literals are words in a table
  const v = Number(t);
  return Number.isNaN(v) ? undefined : v;
}

/** The shortest text that reads back as the same float32 value: 0.1f is "0.1", not "0.10000000149011612". */
export function float32Text(v: number): string {
  const f = Math.fround(v);
  if (!Number.isFinite(f) || (Number.isInteger(f) && Math.abs(f) < 1e21)) return String(f);
  for (let p = 1; p <= 9; p++) {
    const s = Number(f.toPrecision(p));
    if (Math.fround(s) === f) return String(s);
  }
  return String(f);
}

/** A cell's text as a category: trimmed; numbers in their float32 spelling; null for a missing value. */
export function categoryText(text: string): string | null {
  const t = text.trim();
  if (NULL_TOKENS.has(t)) return null;
  const v = parseCellNumber(t);
  return v !== undefined && Number.isFinite(v) ? float32Text(v) : t;
}

interface ColumnState {
  kind: CellKind;
  /** Number columns: the distinct values while there are at most SWITCH_DISTINCT (null beyond, or when forced numeric). */
  distinct: Set<number> | null;
  dict: Map<string, number> | null;
  texts: string[] | null;
  words: WordNote | null;
  overflow: number;
  firstWord: { line: number; text: string } | null;
}

/**
 * Columns filled cell by cell (a number column tracks up to 1,000 distinct numbers, fewer in a
 * table wider than 2,000 columns, so the tracking never holds more than 2,000,000 numbers): `text(c, s, line)` or `value(c, v, line)` for each column of a
 * row in order, then `endRow()`. `asText` columns are text from the start.
 */
export class ColumnStore {
  private values = new Float32Array(1 << 16);
  private length = 0;
  rows = 0;
  private readonly state: ColumnState[];
  /** Distinct numbers a number column tracks before it may no longer turn into text. */
  private readonly switchDistinct: number;

  constructor(
    private readonly file: string,
    readonly names: string[],
    readonly named: boolean,
    asText: ReadonlySet<number> = new Set(),
    /** Numbers may be written with a decimal comma ("3,5"): a table separated by semicolons. */
    private readonly decimalComma = false,
  ) {
    if (names.length > MAX_COLUMNS) throw new DataError(file, `has ${names.length} columns; mlplab reads tables of at most ${MAX_COLUMNS} columns`);
    this.switchDistinct = Math.max(16, Math.min(SWITCH_DISTINCT, Math.floor(TRACKED_DISTINCT / Math.max(1, names.length))));
    this.state = names.map((_, c) => {
      const text = asText.has(c);
      return { kind: text ? 'text' : 'number', distinct: text ? null : new Set(), dict: text ? new Map() : null, texts: text ? [] : null, words: null, overflow: 0, firstWord: null };
    });
  }

  get width(): number {
    return this.names.length;
  }

  private room(): void {
    if (this.length < this.values.length) return;
    const grown = new Float32Array(this.values.length * 2);
    grown.set(this.values);
    this.values = grown;
  }

  /** One cell given as text (a CSV field). */
  text(c: number, s: string, line: number): void {
    this.room();
    const st = this.state[c];
    if (st.kind === 'number') {
      let v = parseCellNumber(s);
      if (v === undefined && this.decimalComma && DECIMAL_COMMA.test(s)) v = Number(s.trim().replace(',', '.'));
      if (v !== undefined) {
        this.number(st, v, s, line);
        return;
      }
      if (st.distinct === null) {
        this.word(st, s, line);
        return;
      }
      this.toText(c);
    }
    const t = categoryText(s);
    if (t !== null && st.firstWord === null && parseCellNumber(t) === undefined) st.firstWord = { line, text: clip(t) };
    this.values[this.length++] = t === null ? NaN : this.code(st, t);
  }

  /** One cell given as a value (JavaScript records): numbers, text, booleans, null/undefined. */
  value(c: number, v: unknown, line: number): void {
    if (typeof v === 'string') return this.text(c, v, line);
    this.room();
    const st = this.state[c];
    if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) {
      this.values[this.length++] = NaN;
      return;
    }
    if (typeof v === 'boolean') return this.text(c, v ? 'true' : 'false', line);
    if (typeof v !== 'number') {
      throw new DataError(this.file, `row ${line}, field ${JSON.stringify(this.names[c])}: ${describe(v)} is not a number, a text, a boolean or null`);
    }
    if (st.kind === 'number') this.number(st, v, String(v), line);
    else this.values[this.length++] = this.code(st, float32Text(v));
  }

  endRow(): void {
    this.rows++;
  }

  private number(st: ColumnState, v: number, s: string, line: number): void {
    if (Number.isFinite(v) && !Number.isFinite(Math.fround(v))) {
      const c = this.length % this.width;
      const where = this.named ? `column ${c} (${JSON.stringify(this.names[c])})` : `column ${c}`;
      throw new DataError(this.file, `line ${line}, ${where}: ${s.trim()} is beyond the float32 range (about 3.4e38) that mlplab computes in`);
    }
    this.values[this.length++] = v;
    if (st.distinct !== null && v === v) {
      st.distinct.add(Math.fround(v));
      if (st.distinct.size > this.switchDistinct) st.distinct = null;
    }
  }

  private word(st: ColumnState, s: string, line: number): void {
    st.words ??= { rows: 0, examples: [] };
    st.words.rows++;
    if (st.words.examples.length < WORD_EXAMPLES) st.words.examples.push({ line, text: clip(s.trim()) });
    this.values[this.length++] = NaN;
  }

  /** Turn number column `c` into text: the numbers read so far become codes of their float32 spelling. */
  private toText(c: number): void {
    const st = this.state[c];
    st.kind = 'text';
    st.dict = new Map();
    st.texts = [];
    st.distinct = null;
    const w = this.width;
    for (let i = c; i < this.length; i += w) {
      const v = this.values[i];
      if (v === v) this.values[i] = this.code(st, float32Text(v));
    }
  }

  private code(st: ColumnState, t: string): number {
    let code = st.dict!.get(t);
    if (code === undefined) {
      if (st.texts!.length >= MAX_DISTINCT_TEXTS) {
        st.overflow++;
        return -1;
      }
      code = st.texts!.length;
      st.dict!.set(t, code);
      st.texts!.push(t);
    }
    return code;
  }

  /** The values (rows x width, row-major) and the columns. */
  finish(): { features: Float32Array; table: TableColumns } {
    const features = this.length * 1.25 < this.values.length ? this.values.slice(0, this.length) : this.values.subarray(0, this.length);
    return {
      features,
      table: {
        names: this.names,
        named: this.named,
        kinds: this.state.map((s) => s.kind),
        dictionaries: this.state.map((s) => s.texts),
        words: this.state.map((s) => s.words),
        overflow: this.state.map((s) => s.overflow),
        firstWords: this.state.map((s) => s.firstWord),
      },
    };
  }
}

/** Whether a table has any column stored as text. */
export function hasText(t: TableColumns | undefined): boolean {
  return t !== undefined && t.kinds.includes('text');
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v}`;
}

export function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
