/**
 * CSV tables of numbers, read incrementally: bytes go in chunk by chunk (`CsvReader.push`),
 * values go straight into one growing Float32Array, so a large file is never held as text,
 * nor as rows of strings. Browser-safe (no Node APIs); the Node reader feeds it a file stream.
 */
import { DataError } from '../../errors.js';
/** Most distinct label texts a CSV file's label column may hold (a regression's targets may all differ). */
const MAX_LABEL_TEXTS = 2 ** 24;
import { ColumnStore, MAX_COLUMNS, NULL_TOKENS, clip, parseCellNumber, type TableColumns } from '../table/cells.js';

export interface CsvOptions {
  /**
   * Whether the first row names the columns. Default 'auto': it does when it holds more
   * non-numeric fields than the second row (or, in a one-row file, no number at all).
   */
  header?: boolean | 'auto';
  /**
   * The label column: a header name, or a 0-based index (negative counts from the end);
   * `null` for a table of features only. Default: a column named label, labels, class,
   * target or y (any case), else the last column.
   */
  labelColumn?: string | number | null;
  /** Field separator. Default: whichever of `,` `;` tab occurs most in the first line. */
  delimiter?: string;
  /** Lines at the start of the file that are not part of the table (a preamble), skipped before the header. Default 0. */
  skipRows?: number;
  /**
   * Only find the columns: the header (when there is one) and the width of the first row; no
   * value is parsed and reading stops there (`CsvReader.done`). The table has no rows.
   */
  columnsOnly?: boolean;
  /** The table is one column of labels (a label file): no features; `labelColumn` must be 0. */
  labelsOnly?: boolean;
}

export interface CsvTable {
  /** rows x cols, row-major: numbers, or for text columns codes into `table.dictionaries`. */
  features: Float32Array;
  /** The feature columns: names, how each is stored, the texts of text columns. */
  table: TableColumns;
  rows: number;
  cols: number;
  /**
   * The label of each row as a code into `labelTexts` (the distinct label texts in order of
   * first appearance), or null when the table has no label column. Classes are made from them
   * by labels.ts (the sorted distinct labels of the training and test files).
   */
  labels: Int32Array | null;
  labelTexts: string[] | null;
  /** Column names, when the file has a header row. */
  header: string[] | null;
  /** Rows left out because their label cell was blank, and the first few of their lines. */
  unlabelled?: { rows: number; lines: number[] };
  /** Index of the label column among all columns, and how it was chosen. */
  labelColumn: number | null;
  labelColumnName: string | null;
  labelColumnDefaulted: boolean;
  delimiter: string;
}

const LABEL_NAMES = ['label', 'labels', 'class', 'target', 'y'];
/** A line longer than this (16 Mi characters: 100,000 columns of 160 characters) is taken as a sign the file is not a CSV table. */
const MAX_LINE = 1 << 24;
/** Rows 'auto' header detection looks at. */
const HEADER_PROBE = 50;

/** A number from CSV text: undefined when the text is not numeric; NaN for empty and null markers. */
export const parseCsvNumber = parseCellNumber;

/** Streaming CSV reader. Push byte chunks, then call `finish()` once. */
export class CsvReader {
  private readonly decoder = new TextDecoder('utf-8');
  private text = '';
  private scanFrom = 0;
  private inQuotes = false;
  private line = 0;
  private firstChunk = true;

  private delimiter: string | undefined;
  private header: string[] | null = null;
  private headerDecided = false;
  /** Rows held back while 'auto' header detection looks at the first HEADER_PROBE rows. */
  private pending: { fields: string[]; line: number }[] = [];
  private width = -1;
  private labelIdx: number | null = null;
  private labelName: string | null = null;
  private labelDefaulted = false;

  private store: ColumnStore | null = null;
  private rows = 0;
  private labelCodes = new Int32Array(1 << 12);
  private readonly labelDict = new Map<string, number>();
  private readonly labelTexts: string[] = [];
  private finished = false;
  private readonly unlabelled = { rows: 0, lines: [] as number[] };
  private skipped = 0;
  private stopped = false;

  constructor(
    private readonly file: string,
    private readonly opts: CsvOptions = {},
  ) {
    const skip = opts.skipRows ?? 0;
    if (!Number.isSafeInteger(skip) || skip < 0) throw new DataError(file, `skip rows ${skip} is not a whole number >= 0`);
    if (opts.delimiter !== undefined) {
      if (opts.delimiter.length !== 1 || opts.delimiter === '"' || opts.delimiter === '\n') {
        throw new DataError(file, `delimiter ${JSON.stringify(opts.delimiter)} is not a single character other than a quote or newline`);
      }
      this.delimiter = opts.delimiter;
    }
  }

  /** With `columnsOnly`, whether the columns are known and the rest of the file can be left unread. */
  get done(): boolean {
    return this.stopped;
  }

  /** Feed the next chunk of the file. */
  push(chunk: Uint8Array): void {
    if (this.finished) throw new Error('CsvReader: push after finish');
    if (this.stopped) return;
    if (this.firstChunk && chunk.length > 0) {
      this.firstChunk = false;
      const probe = chunk.subarray(0, 4096);
      if (probe.includes(0)) throw new DataError(this.file, 'looks like a binary file (it holds NUL bytes), not a CSV table');
      if (probe[0] === 0xef && probe[1] === 0xbb && probe[2] === 0xbf) chunk = chunk.subarray(3); // UTF-8 BOM
    }
    const decoded = this.decoder.decode(chunk, { stream: true });
    // A line already too long, with no end in sight in this chunk, is refused before it grows.
    if (this.text.length + decoded.length > MAX_LINE && !decoded.includes('\n') && !this.inQuotes) {
      throw new DataError(this.file, `line ${this.line + 1} is longer than ${MAX_LINE} characters; is this really a CSV table?`);
    }
    this.text += decoded;
    this.consume(false);
  }

  /** Finish reading and return the table. */
  finish(): CsvTable {
    if (this.finished) throw new Error('CsvReader: finish called twice');
    this.text += this.decoder.decode();
    this.consume(true);
    this.finished = true;
    if (this.firstChunk) throw new DataError(this.file, 'is empty (0 bytes), expected a CSV table');
    if (!this.headerDecided && this.pending.length) this.decideHeader();
    if (this.opts.columnsOnly) {
      if (this.width < 0) throw new DataError(this.file, (this.opts.skipRows ?? 0) > 0 ? `has no rows after the ${this.opts.skipRows} skipped` : 'has no rows');
      const names = this.header ?? Array.from({ length: this.width }, (_, j) => `column ${j}`);
      return {
        features: new Float32Array(0), table: new ColumnStore(this.file, names, this.header !== null).finish().table, rows: 0, cols: this.width, labels: null, labelTexts: null, header: this.header,
        labelColumn: null, labelColumnName: null, labelColumnDefaulted: false, delimiter: this.delimiter ?? ',',
      };
    }
    if (this.rows === 0) {
      if ((this.opts.skipRows ?? 0) > 0 && this.width < 0) throw new DataError(this.file, `has no rows after the ${this.opts.skipRows} skipped`);
      if (this.unlabelled.rows) throw new DataError(this.file, `has no row with a label: the label column is blank in all ${this.unlabelled.rows} rows`);
      throw new DataError(this.file, this.header ? 'has a header row but no data rows' : 'has no data rows');
    }
    const cols = this.width - (this.labelIdx === null ? 0 : 1);
    const { features, table } = this.store!.finish();
    table.label = this.labelName;
    const labels = this.labelIdx === null ? null : this.labelCodes.slice(0, this.rows);
    return {
      ...(this.unlabelled.rows ? { unlabelled: this.unlabelled } : {}),
      features, table, rows: this.rows, cols, labels, labelTexts: this.labelIdx === null ? null : this.labelTexts, header: this.header,
      labelColumn: this.labelIdx, labelColumnName: this.labelName, labelColumnDefaulted: this.labelDefaulted,
      delimiter: this.delimiter ?? ',',
    };
  }

  private consume(final: boolean): void {
    const s = this.text;
    let start = 0;
    let inQ = this.inQuotes;
    if (!inQ && s.indexOf('"', this.scanFrom) < 0) {
      // No quotes ahead: every newline ends a record, and indexOf finds them fastest.
      for (let i = s.indexOf('\n', this.scanFrom); i >= 0; i = s.indexOf('\n', i + 1)) {
        this.record(s, start, i, start < this.scanFrom); // only the carried-over start was scanned before
        start = i + 1;
      }
    } else {
      for (let i = this.scanFrom; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c === 34) inQ = !inQ; // a doubled quote "" toggles twice, so escapes need no special case
        else if (c === 10 && !inQ) {
          this.record(s, start, i, true);
          start = i + 1;
        }
      }
    }
    if (final) {
      if (inQ) throw new DataError(this.file, `line ${this.line + 1}: a quoted field is never closed`);
      if (start < s.length) this.record(s, start, s.length, true);
      start = s.length;
    }
    this.text = start === 0 ? s : s.slice(start);
    this.scanFrom = this.text.length;
    this.inQuotes = inQ;
    if (this.text.length > MAX_LINE) throw new DataError(this.file, `line ${this.line + 1} is longer than ${MAX_LINE} characters; is this really a CSV table?`);
  }

  /** One record, s[a, b); `mayQuote` is false when the caller knows it holds no quote. */
  private record(s: string, a: number, b: number, mayQuote: boolean): void {
    this.line++;
    if (mayQuote) for (let i = a; i < b; i++) if (s.charCodeAt(i) === 10) this.line++; // newlines inside quotes
    if (this.stopped) return;
    if (this.skipped < (this.opts.skipRows ?? 0)) {
      this.skipped++;
      return;
    }
    if (b > a && s.charCodeAt(b - 1) === 13) b--;
    let first = a;
    while (first < b && (s.charCodeAt(first) === 32 || s.charCodeAt(first) === 9)) first++;
    if (first === b) return; // a blank line
    if (this.delimiter === undefined) this.delimiter = detectDelimiter(s.slice(a, b));
    // A row of more fields than a table may have columns is refused before it is split.
    if (this.width < 0 || this.pending.length > 0) {
      let n = 1;
      for (let i = s.indexOf(this.delimiter, a); i >= 0 && i < b; i = s.indexOf(this.delimiter, i + 1)) {
        if (++n > MAX_COLUMNS) throw new DataError(this.file, `line ${this.line} has more than ${MAX_COLUMNS} fields; mlplab reads tables of at most ${MAX_COLUMNS} columns`);
      }
    }
    const fields = splitFields(s, a, b, this.delimiter);
    if (!this.headerDecided) {
      if (this.opts.header === true || this.opts.header === false) {
        this.headerDecided = true;
        if (this.opts.header) {
          this.setHeader(fields);
          this.stopped = this.opts.columnsOnly === true;
          return;
        }
        this.setWidth(fields.length, null);
        if (this.opts.columnsOnly) {
          this.stopped = true;
          return;
        }
      } else {
        this.pending.push({ fields, line: this.line });
        if (this.pending.length >= (this.opts.columnsOnly ? 2 : HEADER_PROBE)) this.decideHeader();
        return;
      }
    }
    this.dataRow(fields, this.line);
  }

  /**
   * Settle 'auto' header detection from the rows held back. The first row is a header when it
   * has more fields that are not numbers than the second; or, when every field of it is a word
   * (no number, no blank), when none of them recurs in its column among the next rows (data
   * rows of categories repeat their values; a header's names do not). One row alone is a header
   * when no field is a number.
   */
  private decideHeader(): void {
    const [first, ...rest] = this.pending;
    this.pending = [];
    this.headerDecided = true;
    const words = (f: string[]) => f.filter((x) => parseCsvNumber(x) === undefined).length;
    let isHeader: boolean;
    if (rest.length === 0) isHeader = words(first.fields) === first.fields.length;
    else if (words(first.fields) > words(rest[0].fields)) isHeader = true;
    else if (words(first.fields) < first.fields.length) isHeader = false;
    else isHeader = first.fields.every((name, j) => rest.every((r) => r.fields[j]?.trim() !== name.trim()));
    if (this.opts.columnsOnly) {
      if (isHeader) this.setHeader(first.fields);
      else this.setWidth(first.fields.length, null);
      this.stopped = true;
      return;
    }
    if (isHeader) this.setHeader(first.fields);
    else {
      this.setWidth(first.fields.length, null);
      this.dataRow(first.fields, first.line);
    }
    for (const r of rest) this.dataRow(r.fields, r.line);
  }

  private setHeader(fields: string[]): void {
    this.header = fields.map((f) => f.trim());
    // Columns are matched by name (--label-column, a model's columns): two of one name would be ambiguous.
    const seen = new Map<string, number>();
    this.header.forEach((name, j) => {
      const first = seen.get(name);
      if (first !== undefined) throw new DataError(this.file, `columns ${first} and ${j} of the header are both named ${JSON.stringify(clip(name))}; rename one (header names must be distinct)`);
      seen.set(name, j);
    });
    this.setWidth(fields.length, this.header);
  }

  private setWidth(width: number, header: string[] | null): void {
    this.width = width;
    this.makeStore();
    const want = this.opts.labelColumn;
    if (want === null || this.opts.columnsOnly) return;
    let idx: number;
    if (want === undefined) {
      this.labelDefaulted = true;
      const named = header ? header.findIndex((h) => LABEL_NAMES.includes(h.toLowerCase())) : -1;
      idx = named >= 0 ? named : width - 1;
      if (width < 2) throw new DataError(this.file, 'has a single column; a labelled table needs feature columns and a label column');
    } else if (typeof want === 'number') {
      if (!Number.isInteger(want) || want >= width || want < -width) {
        throw new DataError(this.file, `label column ${want} does not exist; the table has ${width} columns (0..${width - 1}, or -1 for the last)`);
      }
      idx = want < 0 ? width + want : want;
    } else {
      if (!header) throw new DataError(this.file, `label column "${want}" was asked for by name, but the file has no header row; give its index instead`);
      idx = header.indexOf(want);
      if (idx < 0) throw new DataError(this.file, `has no column named "${want}"; its columns are ${header.slice(0, 12).map((h) => JSON.stringify(h)).join(', ')}${header.length > 12 ? ', ...' : ''}`);
    }
    if (this.opts.labelsOnly) {
      if (width !== 1) throw new DataError(this.file, `a label file must hold one column, this one has ${width}`);
    } else if (width < 2) throw new DataError(this.file, 'has a single column, the label column; there are no features');
    this.labelIdx = idx;
    this.labelName = header ? header[idx] : null;
    this.makeStore();
  }

  /** The store of the feature columns (every column but the label's). */
  private makeStore(): void {
    const names: string[] = [];
    for (let j = 0; j < this.width; j++) if (j !== this.labelIdx) names.push(this.header ? this.header[j] : `column ${j}`);
    this.store = new ColumnStore(this.file, names, this.header !== null, new Set(), this.delimiter === ';');
  }

  private dataRow(fields: string[], line: number): void {
    if (fields.length !== this.width) {
      // A mismatch right after the first row usually means that row is a preamble (scikit-learn's bundled CSVs start with one).
      const hint = this.rows === 0 ? `; if the file starts with lines that are not part of the table, skip them (--skip-rows ${(this.opts.skipRows ?? 0) + 1})` : '';
      throw new DataError(this.file, `line ${line} has ${fields.length} fields, expected ${this.width} like the first row${hint}`);
    }
    const lab = this.labelIdx;
    const store = this.store!;
    // A row without its label cannot be learned from or scored: it is left out and counted (a label file must be whole).
    if (lab !== null && !this.opts.labelsOnly && NULL_TOKENS.has(fields[lab].trim())) {
      this.unlabelled.rows++;
      if (this.unlabelled.lines.length < 5) this.unlabelled.lines.push(line);
      return;
    }
    for (let j = 0, c = 0; j < fields.length; j++) {
      if (j === lab) this.pushLabel(fields[j].trim(), line);
      else store.text(c++, fields[j], line);
    }
    store.endRow();
    this.rows++;
  }

  private pushLabel(text: string, line: number): void {
    if (NULL_TOKENS.has(text)) throw new DataError(this.file, `line ${line}: the label is missing (${JSON.stringify(text)})`);
    let code = this.labelDict.get(text);
    if (code === undefined) {
      code = this.labelTexts.length;
      // Classes are capped when the labels become classes (labels.ts); a regression's numbers may all differ.
      if (code >= MAX_LABEL_TEXTS) {
        throw new DataError(this.file, `the label column holds more than ${MAX_LABEL_TEXTS} distinct values; is it really the label column?`);
      }
      this.labelDict.set(text, code);
      this.labelTexts.push(text);
    }
    if (this.rows >= this.labelCodes.length) {
      const grown = new Int32Array(this.labelCodes.length * 2);
      grown.set(this.labelCodes);
      this.labelCodes = grown;
    }
    this.labelCodes[this.rows] = code;
  }
}

/** Parse a whole CSV file held in memory (tests, the browser). */
export function parseCsv(bytes: Uint8Array, file: string, opts: CsvOptions = {}): CsvTable {
  const reader = new CsvReader(file, opts);
  const step = 1 << 20;
  for (let i = 0; i < bytes.length && !reader.done; i += step) reader.push(bytes.subarray(i, i + step));
  return reader.finish();
}

function detectDelimiter(line: string): string {
  let best = ',', bestCount = 0;
  for (const d of [',', ';', '\t']) {
    const n = line.split(d).length - 1;
    if (n > bestCount) {
      best = d;
      bestCount = n;
    }
  }
  return best;
}

/** Split one record into fields, honouring "quoted, fields" and "" escapes. */
function splitFields(s: string, a: number, b: number, delim: string): string[] {
  const segment = s.slice(a, b);
  if (!segment.includes('"')) return segment.split(delim);
  const out: string[] = [];
  let field = '';
  let inQ = false;
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i];
    if (inQ) {
      if (c === '"') {
        if (segment[i + 1] === '"') {
          field += '"';
          i++;
        } else inQ = false;
      } else field += c;
    } else if (c === '"') inQ = true;
    else if (c === delim) {
      out.push(field);
      field = '';
    } else field += c;
  }
  out.push(field);
  return out;
}
