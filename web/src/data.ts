/**
 * Data for the page: the built-in Fashion-MNIST subset, and the person's own files
 * (.npy, .npz, .csv) read from disk. Everything is checked here, before training, and every
 * problem becomes a DataError naming the file.
 */
import { DataError, parseIdx, parseNpy, parseNpz } from '../../src/index.js';
import { parseCsv } from '../../src/data/csv.js';
import { checkLabelValues, toFeatures, toLabels, type NdArray } from '../../src/data/ndarray.js';
import { guessImageShape, type ImageShape } from './images.js';
import type { Table } from './protocol.js';

export const FASHION_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

/** Data ready for a run, with what the page needs to draw it. */
export interface LoadedData {
  source: string;
  train: Table;
  test: Table | null;
  classNames: string[];
  /** How to draw a row as an image, when rows are images. */
  image: ImageShape | null;
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new DataError(url, `could not be loaded (HTTP ${res.status})`);
  return new Uint8Array(await res.arrayBuffer());
}

/** The built-in subset (cut from Fashion-MNIST when the site was built). */
export async function loadFashionSubset(base = 'fashion-mnist/'): Promise<LoadedData> {
  const names = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];
  const [trImg, trLab, teImg, teLab] = await Promise.all(names.map(async (n) => parseIdx(await fetchBytes(base + n), n)));
  const train = labelled(trImg, names[0], trLab, names[1]);
  const test = labelled(teImg, names[2], teLab, names[3]);
  return {
    source: 'fashion-mnist (built-in subset)',
    train,
    test,
    classNames: FASHION_CLASSES,
    image: { width: trImg.shape[2], height: trImg.shape[1], low: 0, high: 255 },
  };
}

/** The first `rows` rows of a table (the subset files keep Fashion-MNIST's shuffled order). */
export function headRows(t: Table, rows: number): Table {
  const n = Math.min(rows, t.rows);
  return { features: t.features.subarray(0, n * t.cols), labels: t.labels.subarray(0, n), rows: n, cols: t.cols };
}

function labelled(features: NdArray, featuresFile: string, labels: NdArray, labelsFile: string): Table {
  const f = toFeatures(features, featuresFile);
  const l = toLabels(labels, labelsFile);
  if (l.length !== f.rows) throw new DataError(labelsFile, `holds ${l.length} labels, but ${featuresFile} has ${f.rows} rows; they must match one to one`);
  return { features: f.features, labels: l, rows: f.rows, cols: f.cols };
}

// ---- the person's own files ------------------------------------------------------------------

/** What one picked file held: features (maybe with labels), or labels only. */
export interface ParsedFile {
  name: string;
  features: { features: Float32Array; rows: number; cols: number; imageShape?: [number, number] } | null;
  labels: Int32Array | null;
  classNames?: string[];
  /** One line for the page ("50,000 rows x 128 features, labels in column 'label'"). */
  summary: string;
  /** Arrays of a .npz archive beyond the first, keyed by role, when it holds a whole dataset. */
  bundle?: Partial<Record<Slot, ParsedFile>>;
}

export type Slot = 'trainData' | 'trainLabels' | 'testData' | 'testLabels';

const NPZ_KEYS: Record<Slot, string[]> = {
  trainData: ['train_data', 'x_train', 'X_train', 'train_x', 'features', 'data', 'x', 'X'],
  trainLabels: ['train_label', 'train_labels', 'y_train', 'train_y', 'labels', 'label', 'y'],
  testData: ['test_data', 'x_test', 'X_test', 'test_x'],
  testLabels: ['test_label', 'test_labels', 'y_test', 'test_y'],
};

function extension(name: string): string {
  const m = /\.([a-z0-9]+)$/i.exec(name);
  return m ? m[1].toLowerCase() : '';
}

const fmt = (n: number) => n.toLocaleString('en-US');

function describeFeatures(f: { rows: number; cols: number; imageShape?: [number, number] }): string {
  return `${fmt(f.rows)} rows × ${fmt(f.cols)} features${f.imageShape ? ` (${f.imageShape[0]}×${f.imageShape[1]} images)` : ''}`;
}

function fromArray(arr: NdArray, name: string, role: 'features' | 'labels'): ParsedFile {
  if (role === 'labels') {
    const labels = toLabels(arr, name);
    return { name, features: null, labels, summary: `${fmt(labels.length)} labels` };
  }
  const f = toFeatures(arr, name);
  const imageShape = arr.shape.length === 3 ? ([arr.shape[1], arr.shape[2]] as [number, number]) : undefined;
  const features = { ...f, imageShape };
  return { name, features, labels: null, summary: describeFeatures(features) };
}

/**
 * Read a picked file for a slot. `.npy` holds features or labels by slot; `.csv` holds a
 * table with a label column (or a single column of labels in a labels slot); a `.npz`
 * archive may hold the whole dataset under the study's or Keras's names.
 */
export function parseUserFile(name: string, bytes: Uint8Array, slot: Slot, classNames?: string[]): ParsedFile {
  const ext = extension(name);
  const role = slot === 'trainLabels' || slot === 'testLabels' ? 'labels' : 'features';
  if (ext === 'npy') return fromArray(parseNpy(bytes, name), name, role);
  if (ext === 'npz') {
    const arrays = parseNpz(bytes, name);
    const find = (s: Slot) => NPZ_KEYS[s].find((k) => arrays.has(k));
    const bundle: Partial<Record<Slot, ParsedFile>> = {};
    for (const s of Object.keys(NPZ_KEYS) as Slot[]) {
      const key = find(s);
      if (key) bundle[s] = fromArray(arrays.get(key)!, `${name}[${key}]`, s === 'trainLabels' || s === 'testLabels' ? 'labels' : 'features');
    }
    const own = bundle[slot] ?? (arrays.size === 1 ? fromArray([...arrays.values()][0], name, role) : undefined);
    if (!own) {
      throw new DataError(name, `holds arrays ${[...arrays.keys()].map((k) => `'${k}'`).join(', ')}; expected ${NPZ_KEYS[slot].slice(0, 3).map((k) => `'${k}'`).join(', ')} or a single array`);
    }
    const found = Object.keys(bundle).length;
    return { ...own, summary: found > 1 ? `${own.summary}; the archive also fills ${found - 1} other slot${found > 2 ? 's' : ''}` : own.summary, bundle };
  }
  if (ext === 'csv' || ext === 'tsv' || ext === 'txt') {
    if (role === 'labels') {
      const t = parseCsv(bytes, name, { labelColumn: null });
      if (t.cols !== 1) throw new DataError(name, `has ${t.cols} columns; a labels file holds one column of class indices`);
      return { name, features: null, labels: checkLabelValues(t.features, name), summary: `${fmt(t.rows)} labels` };
    }
    const t = parseCsv(bytes, name, { classNames });
    if (t.cols === 0) throw new DataError(name, 'has only a label column and no features');
    const features = { features: t.features, rows: t.rows, cols: t.cols };
    const where = t.labelColumnName !== null ? `'${t.labelColumnName}'` : `${(t.labelColumn ?? 0) + 1}`;
    const labelNote = t.labels ? `, labels from column ${where}${t.labelColumnDefaulted ? ' (the last column)' : ''}` : '';
    return { name, features, labels: t.labels, classNames: t.classNames, summary: describeFeatures(features) + labelNote };
  }
  throw new DataError(name, `has extension '.${ext}'; expected a .npy, .npz or .csv file`);
}

/**
 * Put the slots together into a dataset, checking that labels match rows one to one and
 * that the test set has the training set's features (the model is built for those).
 */
export function assembleUserData(slots: Partial<Record<Slot, ParsedFile>>): LoadedData {
  const td = slots.trainData;
  if (!td?.features) throw new DataError('training data', 'no file chosen; pick a .npy, .npz or .csv file of training features');
  const trainLabels = td.labels ?? slots.trainLabels?.labels ?? null;
  if (!trainLabels) throw new DataError(td.name, 'has no labels; pick a training labels file too (or a CSV with a label column)');
  const trainLabelsFile = td.labels ? td.name : slots.trainLabels!.name;
  if (trainLabels.length !== td.features.rows) {
    throw new DataError(trainLabelsFile, `holds ${fmt(trainLabels.length)} labels, but ${td.name} has ${fmt(td.features.rows)} rows; they must match one to one`);
  }
  const train: Table = { ...td.features, labels: trainLabels };

  let test: Table | null = null;
  const sd = slots.testData;
  if (sd?.features) {
    if (sd.features.cols !== train.cols) {
      throw new DataError(sd.name, `has ${fmt(sd.features.cols)} features per row, but the training data has ${fmt(train.cols)}; the model is built for the training features, so the test set must have the same columns`);
    }
    const testLabels = sd.labels ?? slots.testLabels?.labels ?? null;
    if (!testLabels) throw new DataError(sd.name, 'has no labels; pick a test labels file too (or a CSV with a label column)');
    const file = sd.labels ? sd.name : slots.testLabels!.name;
    if (testLabels.length !== sd.features.rows) {
      throw new DataError(file, `holds ${fmt(testLabels.length)} labels, but ${sd.name} has ${fmt(sd.features.rows)} rows; they must match one to one`);
    }
    test = { features: sd.features.features, labels: testLabels, rows: sd.features.rows, cols: sd.features.cols };
  } else if (slots.testLabels) {
    throw new DataError(slots.testLabels.name, 'is a test labels file without test features; pick the test data file too');
  }

  let classes = 0;
  for (const t of [train, test]) if (t) for (let i = 0; i < t.labels.length; i++) classes = Math.max(classes, t.labels[i] + 1);
  if (classes < 2) throw new DataError(trainLabelsFile, 'holds a single class; a classifier needs at least two');
  if (classes > 1000) throw new DataError(trainLabelsFile, `labels go up to ${classes - 1}; the playground shows up to 1,000 classes (is this the label column?)`);
  const names = td.classNames ?? Array.from({ length: classes }, (_, i) => String(i));
  while (names.length < classes) names.push(String(names.length));
  return {
    source: [td.name, slots.trainLabels?.name, sd?.name, slots.testLabels?.name].filter(Boolean).join(', '),
    train,
    test,
    classNames: names,
    image: guessImageShape(train.cols, train.features, td.features.imageShape),
  };
}
