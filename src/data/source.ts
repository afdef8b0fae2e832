/**
 * Data sources (Node only): the built-in Fashion-MNIST, a folder in the study's `.npy` layout
 * (or of MNIST-style IDX files, or train.csv/test.csv), a pair of data and label files, an
 * `.npz` archive, or a CSV table with a label column.
 */
import { basename, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataError } from '../errors.js';
import type { CsvOptions, CsvTable } from './csv.js';
import { countClasses, fmtCount, fmtShape, type Dataset, type PrepStep } from './dataset.js';
import { listDir, pathKind, readBytes, readCsvFile } from './files.js';
import { isIdx, parseIdx } from './idx.js';
import { toFeatures, toLabels, type NdArray } from './ndarray.js';
import { isNpy, isZip, parseNpy, parseNpz, type NpyArray } from './npy.js';

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

/** Folder of the shipped Fashion-MNIST IDX files (data/fashion-mnist in the package). */
export function fashionMnistDir(): string {
  return fileURLToPath(new URL('../../../data/fashion-mnist/', import.meta.url));
}

const STUDY = { trainData: 'train_data.npy', trainLabel: 'train_label.npy', testData: 'test_data.npy', testLabel: 'test_label.npy' };
const IDX_NAMES = {
  trainData: 'train-images-idx3-ubyte', trainLabel: 'train-labels-idx1-ubyte',
  testData: 't10k-images-idx3-ubyte', testLabel: 't10k-labels-idx1-ubyte',
};
/** Array names tried in an .npz archive: the study's, then Keras' convention. */
const NPZ_KEYS = [
  { trainData: 'train_data', trainLabel: 'train_label', testData: 'test_data', testLabel: 'test_label' },
  { trainData: 'x_train', trainLabel: 'y_train', testData: 'x_test', testLabel: 'y_test' },
];

const SOURCE_HELP =
  "expected 'fashion-mnist', a folder holding train_data.npy and train_label.npy (test_data.npy and test_label.npy optional), " +
  "a pair 'data.npy,labels.npy', an .npz archive, or a CSV file with a label column";

/**
 * Load a data source. `source` is one of:
 * - `fashion-mnist`: the shipped Fashion-MNIST, 60,000 training and 10,000 test images of 784 pixels (0..255);
 * - a folder in the study's layout (`train_data.npy`, `train_label.npy`, optional `test_data.npy`, `test_label.npy`),
 *   or holding MNIST-style IDX files (`train-images-idx3-ubyte[.gz]`, ...), or `train.csv` and optional `test.csv`;
 * - `data.npy,labels.npy` (any of .npy, IDX, CSV), or four files `trainData,trainLabels,testData,testLabels`;
 *   two CSV files `train.csv,test.csv` are a training and a test table, each with its label column;
 * - an `.npz` archive with arrays train_data/train_label[/test_data/test_label] or x_train/y_train[/x_test/y_test];
 * - a CSV file with a label column (see LoadOptions).
 * Throws DataError naming the file at fault for anything missing, malformed or inconsistent.
 */
export async function loadSource(source: string, opts: LoadOptions = {}): Promise<LoadedData> {
  const notes: PrepStep[] = [];
  if (BUILTIN_NAMES.has(source.toLowerCase())) return loadFashionMnist(notes);
  const kind = await pathKind(source);
  if (kind === 'dir') return loadFolder(source, opts, notes);
  if (kind === 'file') return loadSingleFile(source, opts, notes);
  if (source.includes(',')) return loadList(source.split(',').map((s) => s.trim()), opts, notes);
  throw new DataError(source, `no such file or folder; ${SOURCE_HELP}`);
}

/**
 * Features without labels, for prediction input: an `.npy` or IDX array (images are flattened
 * per row) or a CSV table of numbers (header detected; every column is a feature).
 */
export async function loadFeatures(file: string, opts: Omit<LoadOptions, 'labelColumn'> = {}): Promise<{ features: Float32Array; rows: number; cols: number }> {
  const kind = await pathKind(file);
  if (kind === null) throw new DataError(file, 'no such file');
  if (kind === 'dir') throw new DataError(file, 'is a folder, expected a file of features (.npy, IDX or CSV)');
  if (isCsvName(file)) {
    const t = await readCsvFile(file, { header: opts.header, delimiter: opts.delimiter, labelColumn: null });
    return { features: t.features, rows: t.rows, cols: t.cols };
  }
  return toFeatures(await readArray(file, []), file);
}

async function loadFashionMnist(notes: PrepStep[]): Promise<LoadedData> {
  const dir = fashionMnistDir();
  const f = (name: string) => join(dir, `${name}.gz`);
  const train = await pairFromFiles(f(IDX_NAMES.trainData), f(IDX_NAMES.trainLabel), notes, 'fashion-mnist (train)');
  const test = await pairFromFiles(f(IDX_NAMES.testData), f(IDX_NAMES.testLabel), notes, 'fashion-mnist (test)');
  train.classNames = FASHION_MNIST_CLASSES;
  test.classNames = FASHION_MNIST_CLASSES;
  for (const n of notes) n.summary = n.summary.split(dir).join('fashion-mnist/');
  notes.unshift({
    name: 'source',
    summary: 'Fashion-MNIST (Zalando, MIT licence): 60,000 training and 10,000 test images of 28 x 28 pixels, 10 classes',
    details: { dir },
  });
  return { train, test, notes };
}

async function loadFolder(dir: string, opts: LoadOptions, notes: PrepStep[]): Promise<LoadedData> {
  const names = await listDir(dir);
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
    return loadCsvPair(join(dir, 'train.csv'), has('test.csv') ? join(dir, 'test.csv') : null, opts, notes);
  }
  if (layout === null) {
    const shown = names.slice(0, 10).join(', ') + (names.length > 10 ? ', ...' : '');
    throw new DataError(dir, `is a folder without training data: it holds ${names.length ? shown : 'nothing'}; ${SOURCE_HELP}`);
  }
  for (const n of [layout.trainData, layout.trainLabel]) {
    if (!has(n)) throw new DataError(join(dir, n), `no such file; a data folder needs ${layout.trainData} and ${layout.trainLabel}`);
  }
  const train = await pairFromFiles(join(dir, layout.trainData), join(dir, layout.trainLabel), notes);
  let test: Dataset | null = null;
  if (has(layout.testData) !== has(layout.testLabel)) {
    const missing = has(layout.testData) ? layout.testLabel : layout.testData;
    throw new DataError(join(dir, missing), `no such file; a test set needs both ${layout.testData} and ${layout.testLabel}`);
  }
  if (has(layout.testData)) test = await pairFromFiles(join(dir, layout.testData), join(dir, layout.testLabel), notes);
  checkWidths(train, test);
  if (has('class_names.json')) {
    const names = await readClassNames(join(dir, 'class_names.json'), countClasses(train, test));
    train.classNames = names;
    if (test) test.classNames = names;
  }
  return { train, test, notes };
}

async function loadSingleFile(file: string, opts: LoadOptions, notes: PrepStep[]): Promise<LoadedData> {
  if (isCsvName(file)) return loadCsvPair(file, null, opts, notes);
  const bytes = await readBytes(file);
  if (isZip(bytes) || extname(file).toLowerCase() === '.npz') return loadNpz(file, parseNpz(bytes, file), notes);
  throw new DataError(
    file,
    "is a single array with no labels; give the data file and the label file as a pair, 'data.npy,labels.npy', or a folder in the study's layout",
  );
}

async function loadList(parts: string[], opts: LoadOptions, notes: PrepStep[]): Promise<LoadedData> {
  if (parts.some((p) => p === '')) throw new DataError(parts.join(','), `has an empty file name in the list; ${SOURCE_HELP}`);
  if (parts.length !== 2 && parts.length !== 4) {
    throw new DataError(parts.join(','), `lists ${parts.length} files; expected 2 (data, labels) or 4 (train data, train labels, test data, test labels)`);
  }
  for (const p of parts) {
    const kind = await pathKind(p);
    if (kind === null) throw new DataError(p, 'no such file');
    if (kind === 'dir') throw new DataError(p, 'is a folder, expected a file');
  }
  if (parts.length === 2 && parts.every(isCsvName) && !(await looksLikeLabelsOnly(parts[1], opts))) {
    return loadCsvPair(parts[0], parts[1], opts, notes);
  }
  if (parts.length === 2) {
    const train = await pairFromFiles(parts[0], parts[1], notes);
    return { train, test: null, notes };
  }
  const train = await pairFromFiles(parts[0], parts[1], notes);
  const test = await pairFromFiles(parts[2], parts[3], notes);
  checkWidths(train, test);
  return { train, test, notes };
}

/** A second CSV of one column is a label file, not a test table. */
async function looksLikeLabelsOnly(file: string, opts: LoadOptions): Promise<boolean> {
  const t = await readCsvFile(file, { header: opts.header, delimiter: opts.delimiter, labelColumn: null });
  return t.cols === 1;
}

async function loadCsvPair(trainFile: string, testFile: string | null, opts: LoadOptions, notes: PrepStep[]): Promise<LoadedData> {
  const csvOpts: CsvOptions = { header: opts.header, delimiter: opts.delimiter, labelColumn: opts.labelColumn };
  const trainTable = await readCsvFile(trainFile, csvOpts);
  notes.push(csvNote(trainFile, trainTable));
  const train = csvDataset(trainFile, trainTable);
  let test: Dataset | null = null;
  if (testFile) {
    const labelColumn = opts.labelColumn ?? trainTable.labelColumnName ?? trainTable.labelColumn!;
    const header = opts.header ?? trainTable.header !== null;
    const testTable = await readCsvFile(testFile, { ...csvOpts, header, labelColumn, classNames: trainTable.classNames });
    notes.push(csvNote(testFile, testTable));
    test = csvDataset(testFile, testTable);
    if (train.classNames && !test.classNames) test.classNames = train.classNames;
  }
  checkWidths(train, test);
  return { train, test, notes };
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
      `${file}: CSV${t.header ? ' with a header row' : ' without a header row'}, ${fmtCount(t.rows)} rows x ${t.cols} features; ` +
      `labels from ${label}${t.labelColumnDefaulted ? ' (chosen by default; set the label column to change it)' : ''}` +
      (t.classNames ? `, ${t.classNames.length} text classes` : ''),
    details: { file, format: 'csv', rows: t.rows, cols: t.cols, header: t.header !== null, labelColumn: t.labelColumn, labelColumnName: t.labelColumnName },
  };
}

function loadNpz(file: string, arrays: Map<string, NpyArray>, notes: PrepStep[]): LoadedData {
  const keys = NPZ_KEYS.find((k) => arrays.has(k.trainData) || arrays.has(k.trainLabel));
  if (!keys) {
    throw new DataError(file, `holds arrays ${[...arrays.keys()].join(', ')}; expected train_data and train_label (or x_train and y_train)`);
  }
  const get = (name: string): NpyArray => {
    const a = arrays.get(name);
    if (!a) throw new DataError(`${file}[${name}]`, 'no such array in the archive');
    return a;
  };
  const train = pairFromArrays(get(keys.trainData), `${file}[${keys.trainData}]`, get(keys.trainLabel), `${file}[${keys.trainLabel}]`, notes);
  let test: Dataset | null = null;
  if (arrays.has(keys.testData) || arrays.has(keys.testLabel)) {
    test = pairFromArrays(get(keys.testData), `${file}[${keys.testData}]`, get(keys.testLabel), `${file}[${keys.testLabel}]`, notes);
  }
  checkWidths(train, test);
  return { train, test, notes };
}

async function pairFromFiles(dataFile: string, labelFile: string, notes: PrepStep[], source = dataFile): Promise<Dataset> {
  const data = await readArray(dataFile, notes);
  const labels = isCsvName(labelFile) ? await readCsvColumn(labelFile) : await readArray(labelFile, notes);
  return pairFromArrays(data, dataFile, labels, labelFile, notes, source, true);
}

function pairFromArrays(
  data: NdArray, dataFile: string, labels: NdArray, labelFile: string, notes: PrepStep[], source = dataFile, noted = false,
): Dataset {
  if (!noted) {
    notes.push(arrayNote(dataFile, data));
    notes.push(arrayNote(labelFile, labels));
  }
  const { features, rows, cols } = toFeatures(data, dataFile, notes);
  const lab = toLabels(labels, labelFile);
  if (lab.length !== rows) {
    throw new DataError(labelFile, `has ${fmtCount(lab.length)} labels but ${dataFile} has ${fmtCount(rows)} rows; they must match one to one`);
  }
  return { features, labels: lab, rows, cols, source };
}

function arrayNote(file: string, a: NdArray): PrepStep {
  const npy = a as Partial<NpyArray>;
  const format = npy.descr !== undefined ? `.npy ${npy.version!.join('.')}` : 'IDX';
  const order = npy.fortranOrder && a.shape.length > 1 ? ', Fortran order' : '';
  return {
    name: 'read',
    summary: `${file}: ${a.dtype} ${fmtShape(a.shape)} (${format}${order})`,
    details: { file, format, dtype: a.dtype, shape: [...a.shape], fortranOrder: npy.fortranOrder ?? false },
  };
}

/** One array from a file: .npy or IDX (either possibly gzip-compressed), or a CSV of numbers. */
async function readArray(file: string, notes: PrepStep[]): Promise<NdArray> {
  if (isCsvName(file)) {
    const t = await readCsvFile(file, { labelColumn: null });
    const a: NdArray = { dtype: 'float32', shape: t.cols === 1 ? [t.rows, 1] : [t.rows, t.cols], data: t.features };
    notes.push({ name: 'read', summary: `${file}: CSV, ${fmtCount(t.rows)} rows x ${t.cols} columns`, details: { file, format: 'csv' } });
    return a;
  }
  const bytes = await readBytes(file);
  const ext = extname(file.replace(/\.gz$/i, '')).toLowerCase();
  let arr: NdArray;
  if (ext === '.npy' || isNpy(bytes)) arr = parseNpy(bytes, file);
  else if (ext === '.npz' || isZip(bytes)) {
    throw new DataError(file, 'is an .npz archive; give it as the whole source, not as one file of a pair');
  } else if (isIdx(bytes) || /idx\d|ubyte/i.test(basename(file))) arr = parseIdx(bytes, file);
  else throw new DataError(file, 'is not a .npy, IDX or CSV file (unrecognised first bytes and extension)');
  notes.push(arrayNote(file, arr));
  return arr;
}

async function readCsvColumn(file: string): Promise<NdArray> {
  const t = await readCsvFile(file, { labelColumn: null });
  if (t.cols !== 1) throw new DataError(file, `a label file must hold one column, this one has ${t.cols}`);
  return { dtype: 'float32', shape: [t.rows], data: t.features };
}

/** class_names.json beside the arrays: a JSON list of strings, one per class (as `data export` writes it). */
async function readClassNames(file: string, classes: number): Promise<string[]> {
  const text = new TextDecoder().decode(await readBytes(file));
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

function checkWidths(train: Dataset, test: Dataset | null): void {
  if (test && test.cols !== train.cols) {
    throw new DataError(test.source, `has ${test.cols} features per row, but the training data (${train.source}) has ${train.cols}`);
  }
}

function isCsvName(file: string): boolean {
  return /\.(csv|tsv|txt)(\.gz)?$/i.test(file);
}
