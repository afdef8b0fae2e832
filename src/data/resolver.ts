/**
 * Which file is which: the options of a load, the layouts a source may have (the built-in
 * Fashion-MNIST, the study's .npy folder, MNIST-style IDX files, CSV tables, the array names
 * of an .npz archive), how a platform reaches files (`SourceFiles`), and the `Resolver` that
 * reads one source through them with those options, noting what it read.
 */
import { z } from 'zod';
import { DataError } from '../errors.js';
import { formatCount, formatShape } from '../format.js';
import type { Dataset, PrepStep } from './dataset.js';
import type { CsvOptions, CsvTable } from './formats/csv.js';
import { isIdx, parseIdx } from './formats/idx.js';
import { inflateLimitsSchema, resolveInflateLimits, type ResolvedInflateLimits } from './formats/inflate.js';
import { labelArray, toFeatures, type NdArray } from './formats/ndarray.js';
import { isNpy, isZip, npzMembers, parseNpy, parseNpz, type NpyArray } from './formats/npy.js';
import { mapLabels, type KnownClasses, type RawLabels } from './labels.js';
import { hasText, type TableColumns } from './table/cells.js';
import { chooseTask, mapTargets, taskSchema, withTargets } from './labels.js';

/**
 * How a platform reaches files. Paths are joined with '/'. `read` returns the whole file,
 * gunzipped (within `limits`) when it is gzip data; `readCsv` may stream.
 */
export interface SourceFiles {
  kind(path: string): Promise<'file' | 'dir' | null>;
  list(dir: string): Promise<string[]>;
  read(path: string, limits?: ResolvedInflateLimits): Promise<Uint8Array>;
  readCsv(path: string, opts: CsvOptions, limits?: ResolvedInflateLimits): Promise<CsvTable>;
  /** Folder holding the built-in Fashion-MNIST IDX files (gzip), where this platform has them. */
  fashionMnistDir?: string;
}

const LABEL_COLUMN = 'a column name, or a 0-based index (-1 for the last column)';

/**
 * How a source is read. The CSV options apply to CSV files only: giving one for a source that
 * holds no CSV file is an error. Validated once, by `resolveSource`.
 */
export const loadOptionsSchema = z
  .object({
    labelColumn: z
      .union([z.string().min(1), z.number().int()], { error: LABEL_COLUMN })
      .optional()
      .describe('CSV: the label column, by header name or 0-based index, -1 for the last (default: label/class/target/y, else the last)'),
    header: z.union([z.boolean(), z.literal('auto')], { error: "true, false or 'auto'" }).optional().meta({ description: 'CSV: the first line is a header (default: detected)', off: 'CSV: the first line is data' }),
    delimiter: z.string({ error: 'one character' }).length(1, { error: 'one character' }).optional().describe('CSV: field separator, \\t for tab (default: detected)'),
    skipRows: z
      .number({ error: 'a whole number >= 0' }).int({ error: 'a whole number >= 0' }).min(0, { error: 'a whole number >= 0' })
      .optional()
      .describe("CSV: lines before the table to skip (a preamble, such as the line of counts in scikit-learn's bundled CSVs)"),
    task: taskSchema.optional().describe(taskSchema.description ?? ''),
    /** The inflate budget of every compressed file (formats/inflate.ts). */
    limits: inflateLimitsSchema.optional(),
    /** Map labels onto these classes (a trained model's) instead of the data's own sorted distinct labels. */
    classes: z
      .object({
        names: z.array(z.string(), { error: 'a list of class names' }).min(1, { error: 'at least one class name' }),
        values: z.array(z.number({ error: 'a number' }), { error: 'a list of label values' }).optional(),
      }, { error: 'an object { names, values? }' })
      .strict()
      .refine((c) => c.values === undefined || c.values.length === c.names.length, { error: 'one label value per class name' })
      .optional(),
  })
  .strict();

export type LoadOptions = z.input<typeof loadOptionsSchema>;
type ResolvedLoadOptions = z.output<typeof loadOptionsSchema>;

export interface LoadedData {
  train: Dataset;
  test: Dataset | null;
  /** What was read, from where, in what shape: for `data info` and reports. */
  notes: PrepStep[];
}

/** The CSV options a caller gave, as the command line spells them. */
function csvOptionsGiven(o: ResolvedLoadOptions): string[] {
  const given: string[] = [];
  if (o.labelColumn !== undefined) given.push('--label-column');
  if (o.header === true) given.push('--header');
  if (o.header === false) given.push('--no-header');
  if (o.delimiter !== undefined) given.push('--delimiter');
  if ((o.skipRows ?? 0) > 0) given.push('--skip-rows');
  return given;
}

/** Fashion-MNIST's class names, index = label. */
export const FASHION_MNIST_CLASSES = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
];

export const BUILTIN_NAMES = new Set(['fashion-mnist', 'fashion_mnist', 'fashionmnist']);

/** File names of the built-in Fashion-MNIST in its folder (gzip-compressed IDX). */
export const FASHION_MNIST_FILES = [
  'train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz',
] as const;

const STUDY = { trainData: 'train_data.npy', trainLabel: 'train_label.npy', testData: 'test_data.npy', testLabel: 'test_label.npy' };
const IDX_NAMES = {
  trainData: 'train-images-idx3-ubyte', trainLabel: 'train-labels-idx1-ubyte',
  testData: 't10k-images-idx3-ubyte', testLabel: 't10k-labels-idx1-ubyte',
};
/** Array names tried in an .npz archive for each part, in order: the study's, Keras', scikit-learn-style, then a single set. */
export const NPZ_KEYS = {
  trainData: ['train_data', 'x_train', 'X_train', 'train_x', 'features', 'data', 'x', 'X'],
  trainLabel: ['train_label', 'train_labels', 'y_train', 'train_y', 'labels', 'label', 'y'],
  testData: ['test_data', 'x_test', 'X_test', 'test_x'],
  testLabel: ['test_label', 'test_labels', 'y_test', 'test_y'],
} as const;
export const SOURCE_HELP =
  "expected 'fashion-mnist', a folder holding train_data.npy and train_label.npy (test_data.npy and test_label.npy optional), " +
  "a pair 'data.npy,labels.npy', an .npz archive, or a CSV file with a label column";

const basename = (path: string) => path.slice(path.lastIndexOf('/') + 1);
export const extname = (path: string) => {
  const name = basename(path);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot) : '';
};
const join = (dir: string, name: string) => (dir.endsWith('/') ? dir + name : `${dir}/${name}`);

/** Rows as read, before their labels become classes. */
interface RawPart {
  features: Float32Array;
  rows: number;
  cols: number;
  source: string;
  labels: RawLabels;
  /** A CSV table's columns (names, text columns' dictionaries). */
  table?: TableColumns;
}

export interface RawData {
  train: RawPart;
  test: RawPart | null;
  /** The name of a class from its numeric label (class_names.json, Fashion-MNIST). */
  nameOf?: (value: number) => string;
}

/** Resolves one source: reads through `files` and collects what it read in `notes`. */
export class Resolver {
  readonly notes: PrepStep[] = [];
  /** Whether any CSV file was read (CSV options given for a source without one are refused). */
  csvRead = false;
  private readonly limits: ResolvedInflateLimits;

  constructor(
    private readonly files: SourceFiles,
    private readonly opts: ResolvedLoadOptions,
  ) {
    this.limits = resolveInflateLimits(opts.limits);
  }

  refuseCsvOptions(source: string, why: string): void {
    const given = csvOptionsGiven(this.opts);
    if (given.length === 0) return;
    const one = given.length === 1;
    throw new DataError(source, `${given.join(', ')} ${one ? 'is a CSV option' : 'are CSV options'}, but ${why}; leave ${one ? 'it' : 'them'} out`);
  }

  /** Read a CSV file with the caller's CSV options and `extra`. */
  async csv(file: string, extra: Partial<CsvOptions>): Promise<CsvTable> {
    this.csvRead = true;
    const o = this.opts;
    const base: CsvOptions = { header: o.header, delimiter: o.delimiter, skipRows: o.skipRows };
    return this.files.readCsv(file, { ...base, ...extra }, this.limits);
  }

  /** Turn the raw labels into classes and the parts into Datasets. */
  finish(raw: RawData): LoadedData {
    const parts = [raw.train, ...(raw.test ? [raw.test] : [])];
    const known: KnownClasses | undefined = this.opts.classes;
    const choice = chooseTask(parts.map((p) => p.labels), known ? 'classify' : this.opts.task);
    if (choice.task === 'regress') {
      const name = raw.train.table?.label ?? 'target';
      const targets = mapTargets(parts.map((p) => p.labels), name);
      const datasets = parts.map((p, i) => withTargets({ features: p.features, rows: p.rows, cols: p.cols, source: p.source, classNames: [name], ...(p.table ? { table: p.table } : {}) }, targets[i]));
      this.notes.push({ name: 'task', summary: `Regression of ${JSON.stringify(name)}: ${choice.why}`, details: { task: 'regress', why: choice.why } });
      return { train: datasets[0], test: datasets[1] ?? null, notes: this.notes };
    }
    if (this.opts.task !== undefined || parts.some((p) => p.table)) this.notes.push({ name: 'task', summary: `Classification: ${choice.why}`, details: { task: 'classify', why: choice.why } });
    const mapped = mapLabels(parts.map((p) => p.labels), known, raw.nameOf);
    const datasets = parts.map((p, i): Dataset => {
      const ds: Dataset = { features: p.features, labels: mapped.labels[i], rows: p.rows, cols: p.cols, source: p.source, classNames: mapped.classNames };
      if (p.table) ds.table = p.table;
      if (mapped.classValues) ds.classValues = mapped.classValues;
      return ds;
    });
    const textLabels = parts.some((p) => 'texts' in p.labels) && !mapped.classValues && known === undefined && mapped.classNames.some((n, i) => n !== String(i));
    if (known || mapped.classValues || textLabels) {
      this.notes.push({ name: 'labels', summary: mapped.summary, details: { classes: mapped.classNames.length, classNames: mapped.classNames, classValues: mapped.classValues ?? null } });
    }
    return { train: datasets[0], test: datasets[1] ?? null, notes: this.notes };
  }

  async fashionMnist(): Promise<RawData> {
    const dir = this.files.fashionMnistDir;
    if (dir === undefined) throw new DataError('fashion-mnist', 'the built-in data is not available here; give a data source of your own');
    const f = (name: string) => join(dir, `${name}.gz`);
    const train = await this.pairFromFiles(f(IDX_NAMES.trainData), f(IDX_NAMES.trainLabel), 'fashion-mnist (train)');
    const test = await this.pairFromFiles(f(IDX_NAMES.testData), f(IDX_NAMES.testLabel), 'fashion-mnist (test)');
    for (const n of this.notes) n.summary = n.summary.split(dir).join('fashion-mnist/');
    this.notes.unshift({
      name: 'source',
      summary: `Fashion-MNIST (Zalando, MIT licence): ${formatCount(train.rows)} training and ${formatCount(test.rows)} test images of 28 x 28 pixels, 10 classes`,
      details: { dir },
    });
    return { train, test, nameOf: (v) => FASHION_MNIST_CLASSES[v] ?? String(v) };
  }

  async folder(dir: string): Promise<RawData> {
    const names = await this.files.list(dir);
    const has = (n: string) => names.includes(n);
    const pick = (n: string) => (has(n) ? n : has(`${n}.gz`) ? `${n}.gz` : null);
    let layout: { trainData: string; trainLabel: string; testData: string; testLabel: string } | null = null;
    if (has(STUDY.trainData) || has(STUDY.trainLabel)) layout = STUDY;
    else if (pick(IDX_NAMES.trainData) || pick(IDX_NAMES.trainLabel)) {
      layout = {
        trainData: pick(IDX_NAMES.trainData) ?? IDX_NAMES.trainData,
        trainLabel: pick(IDX_NAMES.trainLabel) ?? IDX_NAMES.trainLabel,
        testData: pick(IDX_NAMES.testData) ?? IDX_NAMES.testData,
        testLabel: pick(IDX_NAMES.testLabel) ?? IDX_NAMES.testLabel,
      };
    } else if (has('train.csv')) {
      return this.csvPair(join(dir, 'train.csv'), has('test.csv') ? join(dir, 'test.csv') : null);
    }
    if (layout === null) {
      const shown = names.slice(0, 10).join(', ') + (names.length > 10 ? ', ...' : '');
      throw new DataError(dir, `is a folder without training data: it holds ${names.length ? shown : 'nothing'}; ${SOURCE_HELP}`);
    }
    for (const n of [layout.trainData, layout.trainLabel]) {
      if (!has(n)) throw new DataError(join(dir, n), `no such file; a data folder needs ${layout.trainData} and ${layout.trainLabel}`);
    }
    const train = await this.pairFromFiles(join(dir, layout.trainData), join(dir, layout.trainLabel));
    let test: RawPart | null = null;
    if (has(layout.testData) !== has(layout.testLabel)) {
      const missing = has(layout.testData) ? layout.testLabel : layout.testData;
      throw new DataError(join(dir, missing), `no such file; a test set needs both ${layout.testData} and ${layout.testLabel}`);
    }
    if (has(layout.testData)) test = await this.pairFromFiles(join(dir, layout.testData), join(dir, layout.testLabel));
    checkWidths(train, test);
    if (!has('class_names.json')) return { train, test };
    const file = join(dir, 'class_names.json');
    const list = await this.readClassNames(file);
    const nameOf = (v: number) => {
      if (!(Number.isInteger(v) && v >= 0 && v < list.length)) {
        throw new DataError(file, `names ${list.length} classes (labels 0..${list.length - 1}), but the data has the label ${v}`);
      }
      return list[v];
    };
    return { train, test, nameOf };
  }

  async singleFile(file: string): Promise<RawData> {
    if (isCsvName(file)) return this.csvPair(file, null);
    const bytes = await this.files.read(file, this.limits);
    if (isZip(bytes) || extname(file).toLowerCase() === '.npz') return this.npz(file, bytes);
    throw new DataError(
      file,
      "is a single array with no labels; give the data file and the label file as a pair, 'data.npy,labels.npy', or a folder in the study's layout",
    );
  }

  async list(parts: string[]): Promise<RawData> {
    if (parts.some((p) => p === '')) throw new DataError(parts.join(','), `has an empty file name in the list; ${SOURCE_HELP}`);
    if (parts.length !== 2 && parts.length !== 4) {
      throw new DataError(parts.join(','), `lists ${parts.length} files; expected 2 (data, labels) or 4 (train data, train labels, test data, test labels)`);
    }
    for (const p of parts) {
      const kind = await this.files.kind(p);
      if (kind === null) throw new DataError(p, 'no such file');
      if (kind === 'dir') throw new DataError(p, 'is a folder, expected a file');
    }
    if (parts.length === 2 && parts.every(isCsvName) && !(await this.looksLikeLabelsOnly(parts[1]))) {
      return this.csvPair(parts[0], parts[1]);
    }
    if (parts.length === 2) return { train: await this.pairFromFiles(parts[0], parts[1]), test: null };
    const train = await this.pairFromFiles(parts[0], parts[1]);
    const test = await this.pairFromFiles(parts[2], parts[3]);
    checkWidths(train, test);
    return { train, test };
  }

  /** A second CSV of one column is a label file, not a test table: only its first rows are read to tell. */
  async looksLikeLabelsOnly(file: string): Promise<boolean> {
    const t = await this.csv(file, { labelColumn: null, columnsOnly: true });
    return t.cols === 1;
  }

  async csvPair(trainFile: string, testFile: string | null): Promise<RawData> {
    const trainTable = await this.csv(trainFile, { labelColumn: this.opts.labelColumn });
    this.notes.push(csvNote(trainFile, trainTable));
    const trainGap = unlabelledNote(trainFile, trainTable);
    if (trainGap) this.notes.push(trainGap);
    const train = csvPart(trainFile, trainTable);
    let test: RawPart | null = null;
    if (testFile) {
      // The test table's label column is the training table's, found by name when it has a header.
      const labelColumn = this.opts.labelColumn ?? trainTable.labelColumnName ?? trainTable.labelColumn!;
      const header = this.opts.header ?? trainTable.header !== null;
      const testTable = await this.csv(testFile, { header, labelColumn });
      this.notes.push(csvNote(testFile, testTable));
      const testGap = unlabelledNote(testFile, testTable);
      if (testGap) this.notes.push(testGap);
      test = csvPart(testFile, testTable);
    }
    checkWidths(train, test);
    return { train, test };
  }

  npz(file: string, bytes: Uint8Array): RawData {
    const members = npzMembers(bytes, file);
    const key = (names: readonly string[]) => names.find((k) => members.has(k));
    const k = { trainData: key(NPZ_KEYS.trainData), trainLabel: key(NPZ_KEYS.trainLabel), testData: key(NPZ_KEYS.testData), testLabel: key(NPZ_KEYS.testLabel) };
    if (!k.trainData || !k.trainLabel) {
      const missing = !k.trainData ? NPZ_KEYS.trainData : NPZ_KEYS.trainLabel;
      throw new DataError(file, `holds arrays ${[...members.keys()].join(', ')}; expected training ${!k.trainData ? 'features' : 'labels'} under one of ${missing.join(', ')}`);
    }
    if ((k.testData === undefined) !== (k.testLabel === undefined)) {
      const [has, lacks] = k.testData ? [k.testData, NPZ_KEYS.testLabel] : [k.testLabel!, NPZ_KEYS.testData];
      throw new DataError(`${file}[${has}]`, `a test set needs both features and labels; the archive has no array named ${lacks.join(', ')}`);
    }
    const used = [k.trainData, k.trainLabel, k.testData, k.testLabel].filter((x): x is string => x !== undefined);
    const unused = [...members.keys()].filter((name) => !used.includes(name));
    if (unused.length) {
      this.notes.push({ name: 'read', summary: `${file}: arrays ${unused.join(', ')} not used (not inflated)`, details: { file, unused } });
    }
    const arrays = parseNpz(bytes, file, { keys: used, limits: this.limits });
    const part = (d: string, l: string) => this.pairFromArrays(arrays.get(d)!, `${file}[${d}]`, arrays.get(l)!, `${file}[${l}]`);
    const train = part(k.trainData, k.trainLabel);
    const test = k.testData && k.testLabel ? part(k.testData, k.testLabel) : null;
    checkWidths(train, test);
    return { train, test };
  }

  async pairFromFiles(dataFile: string, labelFile: string, source = dataFile): Promise<RawPart> {
    const data = await this.readArray(dataFile);
    const labels = isCsvName(labelFile) ? await this.readCsvColumn(labelFile) : await this.readArray(labelFile);
    return this.pairFromArrays(data, dataFile, labels, labelFile, source, true);
  }

  pairFromArrays(data: NdArray, dataFile: string, labels: NdArray | RawLabels, labelFile: string, source = dataFile, noted = false): RawPart {
    const raw: RawLabels = 'shape' in labels ? { file: labelFile, values: labelArray(labels, labelFile) } : labels;
    if (!noted) {
      this.notes.push(arrayNote(dataFile, data));
      if ('shape' in labels) this.notes.push(arrayNote(labelFile, labels));
    }
    const { features, rows, cols } = toFeatures(data, dataFile, this.notes);
    const n = 'values' in raw ? raw.values.length : raw.codes.length;
    if (n !== rows) {
      throw new DataError(labelFile, `has ${formatCount(n)} labels but ${dataFile} has ${formatCount(rows)} rows; they must match one to one`);
    }
    return { features, rows, cols, source, labels: raw };
  }

  /** One array from a file: .npy or IDX (either possibly gzip-compressed), or a CSV of numbers. */
  async readArray(file: string): Promise<NdArray> {
    if (isCsvName(file)) {
      const t = await this.csv(file, { labelColumn: null });
      if (hasText(t.table)) {
        const c = t.table.kinds.indexOf('text');
        throw new DataError(file, `column ${JSON.stringify(t.table.names[c])} holds text (${JSON.stringify(t.table.dictionaries[c]![0])}); the data file of a pair must be numbers. help: give the table with its label column as one CSV file (or train.csv,test.csv)`);
      }
      const a: NdArray = { dtype: 'float32', shape: t.cols === 1 ? [t.rows, 1] : [t.rows, t.cols], data: t.features };
      this.notes.push({ name: 'read', summary: `${file}: CSV, ${formatCount(t.rows)} rows x ${t.cols} columns`, details: { file, format: 'csv' } });
      return a;
    }
    const bytes = await this.files.read(file, this.limits);
    const ext = extname(file.replace(/\.gz$/i, '')).toLowerCase();
    let arr: NdArray;
    if (ext === '.npy' || isNpy(bytes)) arr = parseNpy(bytes, file);
    else if (ext === '.npz' || isZip(bytes)) {
      throw new DataError(file, 'is an .npz archive; give it as the whole source, not as one file of a pair');
    } else if (isIdx(bytes) || /idx\d|ubyte/i.test(basename(file))) arr = parseIdx(bytes, file, this.limits);
    else throw new DataError(file, 'is not a .npy, IDX or CSV file (unrecognised first bytes and extension)');
    this.notes.push(arrayNote(file, arr));
    return arr;
  }

  /** A CSV label file: one column, numbers or text. */
  async readCsvColumn(file: string): Promise<RawLabels> {
    const t = await this.csv(file, { labelColumn: 0, labelsOnly: true });
    this.notes.push({ name: 'read', summary: `${file}: CSV, ${formatCount(t.rows)} labels`, details: { file, format: 'csv' } });
    return { file, codes: t.labels!, texts: t.labelTexts! };
  }

  /** class_names.json beside the arrays: a JSON list of strings, one per class (as `data export` writes it). */
  async readClassNames(file: string): Promise<string[]> {
    const text = new TextDecoder().decode(await this.files.read(file, this.limits));
    let names: unknown;
    try {
      names = JSON.parse(text);
    } catch (e) {
      throw new DataError(file, `is not valid JSON (${(e as Error).message})`);
    }
    if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) throw new DataError(file, 'must be a JSON list of class names (strings)');
    return names as string[];
  }
}

function csvPart(file: string, t: CsvTable): RawPart {
  return { features: t.features, rows: t.rows, cols: t.cols, source: file, labels: { file: `${file} (label column)`, codes: t.labels!, texts: t.labelTexts! }, table: t.table };
}

/** A warning for the rows a CSV left out because their label was blank. */
export function unlabelledNote(file: string, t: CsvTable): PrepStep | null {
  if (!t.unlabelled) return null;
  const u = t.unlabelled;
  return {
    name: 'read',
    summary: `Warning: ${file}: left out ${formatCount(u.rows)} ${u.rows === 1 ? 'row' : 'rows'} whose label is blank (line ${u.lines.join(', line ')}${u.rows > u.lines.length ? ', ...' : ''})`,
    details: { file, unlabelled: u.rows, lines: u.lines },
    warning: true,
  };
}

export function csvNote(file: string, t: CsvTable): PrepStep {
  const label = t.labelColumnName !== null ? `"${t.labelColumnName}" (column ${t.labelColumn})` : `column ${t.labelColumn}`;
  return {
    name: 'read',
    summary:
      `${file}: CSV${t.header ? ' with a header row' : ' without a header row'}, ${formatCount(t.rows)} rows x ${t.cols} features; ` +
      (t.labelColumn === null ? 'no label column' : `labels from ${label}${t.labelColumnDefaulted ? ' (chosen by default; set the label column to change it)' : ''}`),
    details: { file, format: 'csv', rows: t.rows, cols: t.cols, header: t.header !== null, labelColumn: t.labelColumn, labelColumnName: t.labelColumnName },
  };
}

export function arrayNote(file: string, a: NdArray): PrepStep {
  const npy = a as Partial<NpyArray>;
  const format = npy.descr !== undefined ? `.npy ${npy.version!.join('.')}` : 'IDX';
  const order = npy.fortranOrder && a.shape.length > 1 ? ', Fortran order' : '';
  return {
    name: 'read',
    summary: `${file}: ${a.dtype} ${formatShape(a.shape)} (${format}${order})`,
    details: { file, format, dtype: a.dtype, shape: [...a.shape], fortranOrder: npy.fortranOrder ?? false },
  };
}

function checkWidths(train: RawPart, test: RawPart | null): void {
  // Tables with headers are matched by column name when the pre-processing is fitted.
  if (train.table?.named && test?.table?.named) return;
  if (test && test.cols !== train.cols) {
    throw new DataError(test.source, `has ${test.cols} features per row, but the training data (${train.source}) has ${train.cols}`);
  }
}

export function isCsvName(file: string): boolean {
  return /\.(csv|tsv|txt)(\.gz)?$/i.test(file);
}
