/**
 * Data sources, resolved the same way everywhere: which file of a folder or a list is which,
 * the array names of an `.npz` archive, the label column of a CSV. The built-in Fashion-MNIST,
 * a folder in the study's `.npy` layout (or of MNIST-style IDX files, or train.csv/test.csv),
 * a pair of data and label files, an `.npz` archive, or a CSV table with a label column.
 * Browser-safe: files are reached through `SourceFiles`, which Node implements on disk
 * (files.ts) and the page over the files a person picked (`memoryFiles`). The layouts and
 * the reading itself are in resolver.ts.
 */
import { DataError } from '../errors.js';
import type { FeatureRows } from './dataset.js';
import { formatShape } from '../format.js';
import { parseConfig } from '../validate.js';
import { parseCsv } from './formats/csv.js';
import { gunzip, isGzip } from './formats/gzip.js';
import { INFLATE_DEFAULTS, resolveInflateLimits, type ResolvedInflateLimits } from './formats/inflate.js';
import { toFeatures } from './formats/ndarray.js';
import { isZip, npzHeaders } from './formats/npy.js';
import {
  BUILTIN_NAMES, NPZ_KEYS, Resolver, SOURCE_HELP, arrayNote, csvNote, extname, isCsvName, loadOptionsSchema, type LoadedData, type LoadOptions, type RawData, type SourceFiles,
} from './resolver.js';

/**
 * Resolve a data source, reading through `files`. `source` is one of:
 * - `fashion-mnist`: the shipped Fashion-MNIST, 60,000 training and 10,000 test images of 784 pixels (0..255);
 * - a folder in the study's layout (`train_data.npy`, `train_label.npy`, optional `test_data.npy`, `test_label.npy`),
 *   or holding MNIST-style IDX files (`train-images-idx3-ubyte[.gz]`, ...), or `train.csv` and optional `test.csv`;
 * - `data.npy,labels.npy` (any of .npy, IDX, CSV), or four files `trainData,trainLabels,testData,testLabels`;
 *   two CSV files `train.csv,test.csv` are a training and a test table, each with its label column;
 * - an `.npz` archive with arrays under the names of NPZ_KEYS (train_data/train_label[/test_data/test_label],
 *   x_train/y_train[/x_test/y_test], ...); other arrays in it are never inflated;
 * - a CSV file with a label column (see LoadOptions).
 * The classes are the sorted distinct labels of the training and test parts, mapped to 0..K-1
 * (numbers in numeric order, their values kept in `classValues`; text in code-point order), or
 * `opts.classes` when given. Every compressed file is inflated within `opts.limits`.
 * Throws DataError naming the file at fault for anything missing, malformed or inconsistent.
 */
export async function resolveSource(source: string, files: SourceFiles, opts: LoadOptions = {}): Promise<LoadedData> {
  const o = parseConfig(loadOptionsSchema, opts, 'load');
  const r = new Resolver(files, o);
  const builtin = BUILTIN_NAMES.has(source.toLowerCase());
  if (builtin) r.refuseCsvOptions(source, 'the built-in Fashion-MNIST is IDX files');
  const kind = builtin ? null : await files.kind(source);
  let raw: RawData;
  if (builtin) raw = await r.fashionMnist();
  else if (kind === 'dir') raw = await r.folder(source);
  else if (kind === 'file') raw = await r.singleFile(source);
  else if (source.includes(',')) raw = await r.list(source.split(',').map((s) => s.trim()));
  else throw new DataError(source, `no such file or folder; ${SOURCE_HELP}`);
  if (!r.csvRead) r.refuseCsvOptions(source, 'it holds no CSV file');
  return r.finish(raw);
}

/**
 * Features without labels, for prediction input: an `.npy` or IDX array (images are flattened
 * per row) or a CSV table (header detected; every column is read, numbers or text, and a
 * table model picks its columns by name).
 */
export async function resolveFeatures(
  file: string,
  files: SourceFiles,
  opts: Omit<LoadOptions, 'labelColumn' | 'classes'> = {},
): Promise<FeatureRows> {
  const o = parseConfig(loadOptionsSchema, opts, 'load');
  const kind = await files.kind(file);
  if (kind === null) throw new DataError(file, 'no such file');
  if (kind === 'dir') throw new DataError(file, 'is a folder, expected a file of features (.npy, IDX or CSV)');
  const r = new Resolver(files, o);
  if (isCsvName(file)) {
    const t = await r.csv(file, { labelColumn: null });
    return { features: t.features, rows: t.rows, cols: t.cols, table: t.table, source: file };
  }
  r.refuseCsvOptions(file, 'it is not a CSV file');
  return toFeatures(await r.readArray(file), file);
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
 * file that is not .npy, a truncated archive, a CSV without numbers). An archive's arrays are
 * described from their headers: only the first bytes of each member are inflated.
 */
export async function inspectFile(name: string, bytes: Uint8Array, opts: LoadOptions = {}): Promise<FileSummary> {
  const o = parseConfig(loadOptionsSchema, opts, 'load');
  const limits = resolveInflateLimits(o.limits);
  const files = memoryFiles(new Map([[name, bytes]]));
  const r = new Resolver(files, o);
  const ext = extname(name.replace(/\.gz$/i, '')).toLowerCase();
  if (ext === '.npz' || isZip(bytes)) {
    const headers = npzHeaders(await files.read(name, limits), name, limits);
    const parts: Partial<Record<keyof typeof NPZ_KEYS, string>> = {};
    for (const part of Object.keys(NPZ_KEYS) as (keyof typeof NPZ_KEYS)[]) {
      const key = NPZ_KEYS[part].find((k) => headers.has(k));
      if (key) parts[part] = key;
    }
    return { summary: `archive of ${[...headers].map(([k, a]) => `${k} ${formatShape(a.shape)}`).join(', ')}`, parts };
  }
  if (isCsvName(name)) {
    const t = await r.csv(name, { labelColumn: o.labelColumn });
    return { summary: csvNote(name, t).summary.slice(name.length + 2), hasLabels: t.labels !== null };
  }
  const a = await r.readArray(name);
  return { summary: arrayNote(name, a).summary.slice(name.length + 2), shape: [...a.shape] };
}

/**
 * Files held in memory (the ones a person picked in the browser), by path. A path with a '/'
 * lies in a folder; `fashionMnistDir` names the folder holding the built-in IDX files.
 * gzip files are inflated within the budget, as on disk.
 */
export function memoryFiles(entries: ReadonlyMap<string, Uint8Array>, fashionMnistDir?: string): SourceFiles {
  const inDir = (dir: string) => (dir.endsWith('/') ? dir : `${dir}/`);
  const bytesOf = (path: string): Uint8Array => {
    const b = entries.get(path);
    if (!b) throw new DataError(path, 'no such file');
    return b;
  };
  const read = async (path: string, limits?: ResolvedInflateLimits) => inflated(path, bytesOf(path), limits);
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
    async readCsv(path, opts, limits) {
      return parseCsv(await read(path, limits), path, opts);
    },
  };
}

/**
 * A file's bytes as a format reader wants them: gunzipped, within `limits`, when they are gzip
 * data. An empty file is a DataError: no data format mlplab reads is valid with zero bytes.
 */
export function inflated(file: string, bytes: Uint8Array, limits: ResolvedInflateLimits = INFLATE_DEFAULTS): Uint8Array {
  if (bytes.length === 0) throw new DataError(file, 'is empty (0 bytes)');
  if (!isGzip(bytes)) return bytes;
  const out = gunzip(bytes, file, limits);
  if (out.length === 0) throw new DataError(file, 'is empty once decompressed');
  return out;
}
