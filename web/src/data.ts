/**
 * Data for the page: the built-in Fashion-MNIST subset, and the person's own files (.npy,
 * .npz, .csv tables with text columns and blanks), classes or a number to predict. Both go through the library's `resolveSource`, over files held in memory, so
 * the page accepts exactly what `mlplab train --data` accepts. Every problem is a DataError
 * naming the file, shown before training starts.
 */
import { DataError, type Dataset, type PrepStep } from '../../src/index.js';
import { FASHION_MNIST_FILES, inspectFile, memoryFiles, resolveSource, type FileSummary, type LoadedData as SourceData, type LoadOptions } from '../../src/data/index.js';
import { guessImageShape, type ImageShape } from './images.js';

/** Data ready for a run, with what the page needs to draw it. */
export interface LoadedData {
  source: string;
  train: Dataset;
  test: Dataset | null;
  classNames: string[];
  /** What loading read, for the run's report. */
  notes: PrepStep[];
  /** How to draw a row as an image, when rows are images. */
  image: ImageShape | null;
  /** Classes, or a number to predict (then `train.targets` holds it and `classNames` is its name alone). */
  task: 'classify' | 'regress';
  /** Which task the label column made, and why ("Regression of "price": ..."), when loading said. */
  taskNote: string | null;
  /** Generated data: the scores of the function itself (without its noise) on the test rows, the best a model can do. */
  ceiling?: { r2: number; rmse: number; mae: number };
}

/** The task asked for in the page (the command line's --task): decided from the label column, or given. */
export type TaskAsked = 'auto' | 'classify' | 'regress';

/**
 * The loading note that says which task the label column made, as the page shows it:
 * "Regression of "y": the labels are numbers with fractions (0.59 at row 0)". The command
 * line's flag that the library's sentence names is left out: the page has its own control.
 */
export function taskNote(notes: { name: string; summary: string }[]): string | null {
  const note = notes.find((n) => n.name === 'task');
  if (!note) return null;
  return note.summary.replace(/;\s*--task \w+ to [^;]*$/, '').replace(/\s*\(--task \w+ to [^)]*\)/, '');
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new DataError(url, `could not be loaded (HTTP ${res.status})`);
  return new Uint8Array(await res.arrayBuffer());
}

/** The built-in subset (cut from Fashion-MNIST when the site was built), resolved as the command line resolves `fashion-mnist`. */
export async function loadFashionSubset(base = 'fashion-mnist/'): Promise<LoadedData> {
  const bytes = await Promise.all(FASHION_MNIST_FILES.map((n) => fetchBytes(base + n)));
  const files = new Map(FASHION_MNIST_FILES.map((n, i) => [`fashion-mnist/${n}`, bytes[i]]));
  const d = await resolveSource('fashion-mnist', memoryFiles(files, 'fashion-mnist/'));
  return withImage(d, 'fashion-mnist (built-in subset)', [28, 28]);
}

/** The first `rows` rows of a table (the subset files keep Fashion-MNIST's shuffled order). */
export function headRows(t: Dataset, rows: number): Dataset {
  const n = Math.min(rows, t.rows);
  return { ...t, features: t.features.subarray(0, n * t.cols), labels: t.labels.subarray(0, n), rows: n };
}

// ---- the person's own files ------------------------------------------------------------------

export type Slot = 'trainData' | 'trainLabels' | 'testData' | 'testLabels';

/** One picked file: its bytes and what it holds. */
export interface ParsedFile extends FileSummary {
  name: string;
  bytes: Uint8Array;
}

/** Read a picked file on its own, so a problem shows beside its slot at once; `opts` as `--label-column` and the other read flags. */
export async function parseUserFile(name: string, bytes: Uint8Array, opts: LoadOptions = {}): Promise<ParsedFile> {
  const ext = /\.([a-z0-9]+)$/i.exec(name)?.[1]?.toLowerCase() ?? '';
  if (!['npy', 'npz', 'csv', 'tsv', 'txt'].includes(ext)) throw new DataError(name, `has extension '.${ext}'; expected a .npy, .npz or .csv file`);
  return { name, bytes, ...(await inspectFile(name, bytes, opts)) };
}

/**
 * The data source the filled slots make, as `--data` would name it: an archive or a labelled
 * CSV alone, two labelled CSVs, or data and label files in pairs.
 */
export function sourceOf(slots: Partial<Record<Slot, ParsedFile>>): string {
  const td = slots.trainData;
  if (!td) throw new DataError('training data', 'no file chosen; pick a .npy, .npz or .csv file of training features');
  if (td.parts) return td.name;
  const sd = slots.testData;
  if (slots.testLabels && !sd) throw new DataError(slots.testLabels.name, 'is a test labels file without test features; pick the test data file too');
  if (td.hasLabels && !slots.trainLabels) return sd ? `${td.name},${sd.name}` : td.name;
  if (!slots.trainLabels) throw new DataError(td.name, 'has no labels; pick a training labels file too (or a CSV with a label column)');
  if (!sd) return `${td.name},${slots.trainLabels.name}`;
  if (!slots.testLabels) throw new DataError(sd.name, 'has no labels; pick a test labels file too');
  return [td.name, slots.trainLabels.name, sd.name, slots.testLabels.name].join(',');
}

/**
 * Put the picked files together into a dataset with the library's source resolution, then
 * apply the page's limits. A CSV table keeps its columns (`train.table`: text as codes, blanks
 * as NaN) for `prepare` to type and encode; `opts` are the read flags (`labelColumn`).
 */
export async function assembleUserData(slots: Partial<Record<Slot, ParsedFile>>, opts: LoadOptions = {}): Promise<LoadedData> {
  const source = sourceOf(slots);
  const files = new Map(Object.values(slots).map((f) => [f!.name, f!.bytes]));
  const d = await resolveSource(source, memoryFiles(files), opts);
  const shape = slots.trainData?.shape;
  const image: [number, number] | undefined = shape && shape.length === 3 ? [shape[1], shape[2]] : undefined;
  if (d.train.targets) return withImage(d, source, image);
  const classes = d.train.classNames?.length ?? Math.max(...[d.train, d.test].map((t) => (t ? t.labels.reduce((m, y) => Math.max(m, y + 1), 0) : 0)));
  if (classes < 2) throw new DataError(d.train.source ?? source, 'holds a single class; a classifier needs at least two');
  if (classes > 1000) throw new DataError(d.train.source ?? source, `labels go up to ${classes - 1}; the playground shows up to 1,000 classes (is this the label column?)`);
  return withImage(d, source, image);
}

function withImage(d: SourceData, source: string, imageShape?: [number, number]): LoadedData {
  let classes = 0;
  for (const t of [d.train, d.test]) if (t) for (let i = 0; i < t.labels.length; i++) classes = Math.max(classes, t.labels[i] + 1);
  const names = d.train.classNames ?? Array.from({ length: classes }, (_, i) => String(i));
  // A table's rows are cells (codes and blanks), never an image.
  const image = d.train.table ? null : guessImageShape(d.train.cols, d.train.features, imageShape);
  const task = d.train.targets ? 'regress' : 'classify';
  return { source, train: d.train, test: d.test, classNames: names, notes: d.notes, image, task, taskNote: taskNote(d.notes) };
}
