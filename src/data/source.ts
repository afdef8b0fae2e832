/**
 * Data sources, resolved the same way everywhere: which file of a folder or a list is which,
 * the array names of an `.npz` archive, the label column of a CSV. The built-in Fashion-MNIST,
 * a folder in the study's `.npy` layout (or of MNIST-style IDX files, or train.csv/test.csv),
 * a pair of data and label files, an `.npz` archive, or a CSV table with a label column.
 * Browser-safe: files are reached through `SourceFiles`, which Node implements on disk
 * (files.ts) and the page over the files a person picked (`memoryFiles`).
 */
import { DataError } from '../errors.js';
import { parseCsv, type CsvOptions, type CsvTable } from './csv.js';
import { gunzip, isGzip } from './gzip.js';
import { countClasses, type Dataset, type PrepStep } from './dataset.js';
import { formatCount, formatShape } from '../format.js';
import { isIdx, parseIdx } from './idx.js';
import { toFeatures, toLabels, type NdArray } from './ndarray.js';
import { isNpy, isZip, parseNpy, parseNpz, type NpyArray } from './npy.js';

/**
 * How a platform reaches files. Paths are joined with '/'. `read` returns the whole file,
 * gunzipped when it is gzip data; `readCsv` may stream.
 */
export interface SourceFiles {
  kind(path: string): Promise<'file' | 'dir' | null>;
  list(dir: string): Promise<string[]>;
  read(path: string): Promise<Uint8Array>;
  readCsv(path: string, opts: CsvOptions): Promise<CsvTable>;
  /** Folder holding the built-in Fashion-MNIST IDX files (gzip), where this platform has them. */
  fashionMnistDir?: string;
}

/** Options for CSV sources; other formats ignore them. */
export interface LoadOptions {
  /** The label column of CSV files, by header name or 0-based index. Default: a column named label/class/target/y, else the last. */
  labelColumn?: string | number;
  /** Whether CSV files have a header row. Default 'auto'. */
  header?: boolean | 'auto';
  /** CSV field separator. Default: detected from the first line. */
  delimiter?: string;
}

export interface LoadedData {
  train: Dataset;
  test: Dataset | null;
  /** What was read, from where, in what shape: for `data info` and reports. */
  notes: PrepStep[];
}

/** Fashion-MNIST's class names, index = label. */
export const FASHION_MNIST_CLASSES = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
];

const BUILTIN_NAMES = new Set(['fashion-mnist', 'fashion_mnist', 'fashionmnist']);

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

const SOURCE_HELP =
  "expected 'fashion-mnist', a folder holding train_data.npy and train_label.npy (test_data.npy and test_label.npy optional), " +
  "a pair 'data.npy,labels.npy', an .npz archive, or a CSV file with a label column";

/**
 * Resolve a data source, reading through `files`. `source` is one of:
 * - `fashion-mnist`: the shipped Fashion-MNIST, 60,000 training and 10,000 test images of 784 pixels (0..255);
 * - a folder in the study's layout (`train_data.npy`, `train_label.npy`, optional `test_data.npy`, `test_label.npy`),
 *   or holding MNIST-style IDX files (`train-images-idx3-ubyte[.gz]`, ...), or `train.csv` and optional `test.csv`;
 * - `data.npy,labels.npy` (any of .npy, IDX, CSV), or four files `trainData,trainLabels,testData,testLabels`;
 *   two CSV files `train.csv,test.csv` are a training and a test table, each with its label column;
 * - an `.npz` archive with arrays under the names of NPZ_KEYS (train_data/train_label[/test_data/test_label],
 *   x_train/y_train[/x_test/y_test], ...);
 * - a CSV file with a label column (see LoadOptions).
 * Throws DataError naming the file at fault for anything missing, malformed or inconsistent.
 */
export async function resolveSource(source: string, files: SourceFiles, opts: LoadOptions = {}): Promise<LoadedData> {
  const r = new Resolver(files, opts);
  if (BUILTIN_NAMES.has(source.toLowerCase())) return r.fashionMnist();
  const kind = await files.kind(source);
  if (kind === 'dir') return r.folder(source);
  if (kind === 'file') return r.singleFile(source);
  if (source.includes(',')) return r.list(source.split(',').map((s) => s.trim()));
  throw new DataError(source, `no such file or folder; ${SOURCE_HELP}`);
}

/**
 * Features without labels, for prediction input: an `.npy` or IDX array (images are flattened
 * per row) or a CSV table of numbers (header detected; every column is a feature).
 */
export async function resolveFeatures(file: string, files: SourceFiles, opts: Omit<LoadOptions, 'labelColumn'> = {}): Promise<{ features: Float32Array; rows: number; cols: number }> {
  const kind = await files.kind(file);
  if (kind === null) throw new DataError(file, 'no such file');
  if (kind === 'dir') throw new DataError(file, 'is a folder, expected a file of features (.npy, IDX or CSV)');
  if (isCsvName(file)) {
    const t = await files.readCsv(file, { header: opts.header, delimiter: opts.delimiter, labelColumn: null });
    return { features: t.features, rows: t.rows, cols: t.cols };
  }
  return toFeatures(await new Resolver(files, opts).readArray(file), file);
}

/** What one file holds, read as a source would read it: for a person picking files one by one. */
export interface FileSummary {
  /** One line: format, dtype and shape, or the arrays of an archive, or the table's columns. */
  summary: string;
  /** The array's shape (an .npy or IDX file). */
  shape?: number[];
  /** An archive's parts found under NPZ_KEYS names. */
  parts?: Partial<Record<keyof typeof NPZ_KEYS, string>>;
  /** A CSV table's label column was found or chosen. */
  hasLabels?: boolean;
}

/**
 * Read one file on its own and say what it holds, throwing the DataError a source would (a
 * file that is not .npy, a truncated archive, a CSV without numbers).
 */
export async function inspectFile(name: string, bytes: Uint8Array, opts: LoadOptions = {}): Promise<FileSummary> {
  const files = memoryFiles(new Map([[name, bytes]]));
  const r = new Resolver(files, opts);
  const ext = extname(name.replace(/\.gz$/i, '')).toLowerCase();
  if (ext === '.npz' || isZip(bytes)) {
    const arrays = parseNpz(await files.read(name), name);
    const parts: Partial<Record<keyof typeof NPZ_KEYS, string>> = {};
    for (const part of Object.keys(NPZ_KEYS) as (keyof typeof NPZ_KEYS)[]) {
      const key = NPZ_KEYS[part].find((k) => arrays.has(k));
      if (key) parts[part] = key;
    }
    return { summary: `archive of ${[...arrays].map(([k, a]) => `${k} ${formatShape(a.shape)}`).join(', ')}`, parts };
  }
  if (isCsvName(name)) {
    const t = await files.readCsv(name, { header: opts.header, delimiter: opts.delimiter, labelColumn: opts.labelColumn });
    return { summary: csvNote(name, t).summary.slice(name.length + 2), hasLabels: t.labels !== null };
  }
  const a = await r.readArray(name);
  return { summary: arrayNote(name, a).summary.slice(name.length + 2), shape: [...a.shape] };
}

/**
 * Files held in memory (the ones a person picked in the browser), by path. A path with a '/'
 * lies in a folder; `fashionMnistDir` names the folder holding the built-in IDX files.
 */
export function memoryFiles(entries: ReadonlyMap<string, Uint8Array>, fashionMnistDir?: string): SourceFiles {
  const inDir = (dir: string) => (dir.endsWith('/') ? dir : `${dir}/`);
  const bytesOf = (path: string): Uint8Array => {
    const b = entries.get(path);
    if (!b) throw new DataError(path, 'no such file');
    return b;
  };
  const read = async (path: string) => inflated(path, bytesOf(path));
  return {
    fashionMnistDir,
    async kind(path) {
      if (entries.has(path)) return 'file';
      const prefix = inDir(path);
      for (const k of entries.keys()) if (k.startsWith(prefix)) return 'dir';
      return null;
    },
    async list(dir) {
      const prefix = inDir(dir);
      const names = new Set<string>();
      for (const k of entries.keys()) if (k.startsWith(prefix)) names.add(k.slice(prefix.length).split('/')[0]);
      return [...names].sort();
    },
    read,
    async readCsv(path, opts) {
      return parseCsv(await read(path), path, opts);
    },
  };
}

/**
 * A file's bytes as a format reader wants them: gunzipped when they are gzip data. An empty
 * file is a DataError: no data format mlplab reads is valid with zero bytes.
 */
export function inflated(file: string, bytes: Uint8Array): Uint8Array {
  if (bytes.length === 0) throw new DataError(file, 'is empty (0 bytes)');
  if (!isGzip(bytes)) return bytes;
  const out = gunzip(bytes, file);
  if (out.length === 0) throw new DataError(file, 'is empty once decompressed');
  return out;
}

const basename = (path: string) => path.slice(path.lastIndexOf('/') + 1);
const extname = (path: string) => {
  const name = basename(path);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot) : '';
};
const join = (dir: string, name: string) => (dir.endsWith('/') ? dir + name : `${dir}/${name}`);

/** Resolves one source: reads through `files` and collects what it read in `notes`. */
class Resolver {
  readonly notes: PrepStep[] = [];
  constructor(
    private readonly files: SourceFiles,
    private readonly opts: LoadOptions,
  ) {}


  async fashionMnist(): Promise<LoadedData> {
    const dir = this.files.fashionMnistDir;
    if (dir === undefined) throw new DataError('fashion-mnist', 'the built-in data is not available here; give a data source of your own');
    const f = (name: string) => join(dir, `${name}.gz`);
    const train = await this.pairFromFiles(f(IDX_NAMES.trainData), f(IDX_NAMES.trainLabel), 'fashion-mnist (train)');
    const test = await this.pairFromFiles(f(IDX_NAMES.testData), f(IDX_NAMES.testLabel), 'fashion-mnist (test)');
    train.classNames = FASHION_MNIST_CLASSES;
    test.classNames = FASHION_MNIST_CLASSES;
    for (const n of this.notes) n.summary = n.summary.split(dir).join('fashion-mnist/');
    this.notes.unshift({
      name: 'source',
      summary: `Fashion-MNIST (Zalando, MIT licence): ${formatCount(train.rows)} training and ${formatCount(test.rows)} test images of 28 x 28 pixels, 10 classes`,
      details: { dir },
    });
    return { train, test, notes: this.notes };
  }

  async folder(dir: string): Promise<LoadedData> {
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
    let test: Dataset | null = null;
    if (has(layout.testData) !== has(layout.testLabel)) {
      const missing = has(layout.testData) ? layout.testLabel : layout.testData;
      throw new DataError(join(dir, missing), `no such file; a test set needs both ${layout.testData} and ${layout.testLabel}`);
    }
    if (has(layout.testData)) test = await this.pairFromFiles(join(dir, layout.testData), join(dir, layout.testLabel));
    checkWidths(train, test);
    if (has('class_names.json')) {
      const names = await this.readClassNames(join(dir, 'class_names.json'), countClasses(train, test));
      train.classNames = names;
      if (test) test.classNames = names;
    }
    return { train, test, notes: this.notes };
  }

  async singleFile(file: string): Promise<LoadedData> {
    if (isCsvName(file)) return this.csvPair(file, null);
    const bytes = await this.files.read(file);
    if (isZip(bytes) || extname(file).toLowerCase() === '.npz') return this.npz(file, parseNpz(bytes, file));
    throw new DataError(
      file,
      "is a single array with no labels; give the data file and the label file as a pair, 'data.npy,labels.npy', or a folder in the study's layout",
    );
  }

  async list(parts: string[]): Promise<LoadedData> {
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
    if (parts.length === 2) {
      const train = await this.pairFromFiles(parts[0], parts[1]);
      return { train, test: null, notes: this.notes };
    }
    const train = await this.pairFromFiles(parts[0], parts[1]);
    const test = await this.pairFromFiles(parts[2], parts[3]);
    checkWidths(train, test);
    return { train, test, notes: this.notes };
  }

  /** A second CSV of one column is a label file, not a test table. */
  async looksLikeLabelsOnly(file: string): Promise<boolean> {
    const t = await this.files.readCsv(file, { header: this.opts.header, delimiter: this.opts.delimiter, labelColumn: null });
    return t.cols === 1;
  }

  async csvPair(trainFile: string, testFile: string | null): Promise<LoadedData> {
    const csvOpts: CsvOptions = { header: this.opts.header, delimiter: this.opts.delimiter, labelColumn: this.opts.labelColumn };
    const trainTable = await this.files.readCsv(trainFile, csvOpts);
    this.notes.push(csvNote(trainFile, trainTable));
    const train = csvDataset(trainFile, trainTable);
    let test: Dataset | null = null;
    if (testFile) {
      const labelColumn = this.opts.labelColumn ?? trainTable.labelColumnName ?? trainTable.labelColumn!;
      const header = this.opts.header ?? trainTable.header !== null;
      const testTable = await this.files.readCsv(testFile, { ...csvOpts, header, labelColumn, classNames: trainTable.classNames });
      this.notes.push(csvNote(testFile, testTable));
      test = csvDataset(testFile, testTable);
      if (train.classNames && !test.classNames) test.classNames = train.classNames;
    }
    checkWidths(train, test);
    return { train, test, notes: this.notes };
  }



  npz(file: string, arrays: Map<string, NpyArray>): LoadedData {
    const key = (names: readonly string[]) => names.find((k) => arrays.has(k));
    const k = { trainData: key(NPZ_KEYS.trainData), trainLabel: key(NPZ_KEYS.trainLabel), testData: key(NPZ_KEYS.testData), testLabel: key(NPZ_KEYS.testLabel) };
    if (!k.trainData || !k.trainLabel) {
      const missing = !k.trainData ? NPZ_KEYS.trainData : NPZ_KEYS.trainLabel;
      throw new DataError(file, `holds arrays ${[...arrays.keys()].join(', ')}; expected training ${!k.trainData ? 'features' : 'labels'} under one of ${missing.join(', ')}`);
    }
    const part = (d: string, l: string) => this.pairFromArrays(arrays.get(d)!, `${file}[${d}]`, arrays.get(l)!, `${file}[${l}]`);
    const train = part(k.trainData, k.trainLabel);
    if ((k.testData === undefined) !== (k.testLabel === undefined)) {
      const [has, lacks] = k.testData ? [k.testData, NPZ_KEYS.testLabel] : [k.testLabel!, NPZ_KEYS.testData];
      throw new DataError(`${file}[${has}]`, `a test set needs both features and labels; the archive has no array named ${lacks.join(', ')}`);
    }
    const test = k.testData && k.testLabel ? part(k.testData, k.testLabel) : null;
    checkWidths(train, test);
    return { train, test, notes: this.notes };
  }


  async pairFromFiles(dataFile: string, labelFile: string, source = dataFile): Promise<Dataset> {
    const data = await this.readArray(dataFile);
    const labels = isCsvName(labelFile) ? await this.readCsvColumn(labelFile) : await this.readArray(labelFile);
    return this.pairFromArrays(data, dataFile, labels, labelFile, source, true);
  }

  pairFromArrays(
    data: NdArray, dataFile: string, labels: NdArray, labelFile: string, source = dataFile, noted = false,
  ): Dataset {
    if (!noted) {
      this.notes.push(arrayNote(dataFile, data));
      this.notes.push(arrayNote(labelFile, labels));
    }
    const { features, rows, cols } = toFeatures(data, dataFile, this.notes);
    const lab = toLabels(labels, labelFile);
    if (lab.length !== rows) {
      throw new DataError(labelFile, `has ${formatCount(lab.length)} labels but ${dataFile} has ${formatCount(rows)} rows; they must match one to one`);
    }
    return { features, labels: lab, rows, cols, source };
  }


  /** One array from a file: .npy or IDX (either possibly gzip-compressed), or a CSV of numbers. */
  async readArray(file: string): Promise<NdArray> {
    if (isCsvName(file)) {
      const t = await this.files.readCsv(file, { labelColumn: null });
      const a: NdArray = { dtype: 'float32', shape: t.cols === 1 ? [t.rows, 1] : [t.rows, t.cols], data: t.features };
      this.notes.push({ name: 'read', summary: `${file}: CSV, ${formatCount(t.rows)} rows x ${t.cols} columns`, details: { file, format: 'csv' } });
      return a;
    }
    const bytes = await this.files.read(file);
    const ext = extname(file.replace(/\.gz$/i, '')).toLowerCase();
    let arr: NdArray;
    if (ext === '.npy' || isNpy(bytes)) arr = parseNpy(bytes, file);
    else if (ext === '.npz' || isZip(bytes)) {
      throw new DataError(file, 'is an .npz archive; give it as the whole source, not as one file of a pair');
    } else if (isIdx(bytes) || /idx\d|ubyte/i.test(basename(file))) arr = parseIdx(bytes, file);
    else throw new DataError(file, 'is not a .npy, IDX or CSV file (unrecognised first bytes and extension)');
    this.notes.push(arrayNote(file, arr));
    return arr;
  }

  async readCsvColumn(file: string): Promise<NdArray> {
    const t = await this.files.readCsv(file, { labelColumn: null });
    if (t.cols !== 1) throw new DataError(file, `a label file must hold one column, this one has ${t.cols}`);
    return { dtype: 'float32', shape: [t.rows], data: t.features };
  }

  /** class_names.json beside the arrays: a JSON list of strings, one per class (as `data export` writes it). */
  async readClassNames(file: string, classes: number): Promise<string[]> {
    const text = new TextDecoder().decode(await this.files.read(file));
    let names: unknown;
    try {
      names = JSON.parse(text);
    } catch (e) {
      throw new DataError(file, `is not valid JSON (${(e as Error).message})`);
    }
    if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) throw new DataError(file, 'must be a JSON list of class names (strings)');
    if (names.length < classes) throw new DataError(file, `names ${names.length} classes, but the labels go up to ${classes - 1}`);
    return names as string[];
  }
}

function csvDataset(file: string, t: CsvTable): Dataset {
  const ds: Dataset = { features: t.features, labels: t.labels!, rows: t.rows, cols: t.cols, source: file };
  if (t.classNames) ds.classNames = t.classNames;
  return ds;
}

function csvNote(file: string, t: CsvTable): PrepStep {
  const label = t.labelColumnName !== null ? `"${t.labelColumnName}" (column ${t.labelColumn})` : `column ${t.labelColumn}`;
  return {
    name: 'read',
    summary:
      `${file}: CSV${t.header ? ' with a header row' : ' without a header row'}, ${formatCount(t.rows)} rows x ${t.cols} features; ` +
      `labels from ${label}${t.labelColumnDefaulted ? ' (chosen by default; set the label column to change it)' : ''}` +
      (t.classNames ? `, ${t.classNames.length} text classes` : ''),
    details: { file, format: 'csv', rows: t.rows, cols: t.cols, header: t.header !== null, labelColumn: t.labelColumn, labelColumnName: t.labelColumnName },
  };
}

function arrayNote(file: string, a: NdArray): PrepStep {
  const npy = a as Partial<NpyArray>;
  const format = npy.descr !== undefined ? `.npy ${npy.version!.join('.')}` : 'IDX';
  const order = npy.fortranOrder && a.shape.length > 1 ? ', Fortran order' : '';
  return {
    name: 'read',
    summary: `${file}: ${a.dtype} ${formatShape(a.shape)} (${format}${order})`,
    details: { file, format, dtype: a.dtype, shape: [...a.shape], fortranOrder: npy.fortranOrder ?? false },
  };
}

function checkWidths(train: Dataset, test: Dataset | null): void {
  if (test && test.cols !== train.cols) {
    throw new DataError(test.source ?? 'test data', `has ${test.cols} features per row, but the training data (${train.source}) has ${train.cols}`);
  }
}

function isCsvName(file: string): boolean {
  return /\.(csv|tsv|txt)(\.gz)?$/i.test(file);
}
