/**
 * Data sources on disk (Node only): the `SourceFiles` of resolver.ts over the file system, and
 * `loadSource` / `loadFeatures` through it. Everything else in src/data works on bytes, so the
 * browser resolves sources the same way without this module.
 */
import { createReadStream } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createGunzip, gunzipSync } from 'node:zlib';
import { DataError } from '../errors.js';
import { unreadable } from '../io/files.js';
import { CsvReader, type CsvOptions, type CsvTable } from './formats/csv.js';
import { isGzip } from './formats/gzip.js';
import { INFLATE_DEFAULTS, inflateCap, inflateTooLarge, type ResolvedInflateLimits } from './formats/inflate.js';
import type { FeatureRows } from './dataset.js';
import type { LoadedData, LoadOptions, SourceFiles } from './resolver.js';
import { resolveFeatures, resolveSource } from './source.js';

/** Folder of the shipped Fashion-MNIST IDX files (data/fashion-mnist in the package). */
export function fashionMnistDir(): string {
  return fileURLToPath(new URL('../../../data/fashion-mnist/', import.meta.url));
}

/** The file system as a `SourceFiles`. */
export const diskFiles: SourceFiles = {
  kind: pathKind,
  list: listDir,
  read: readBytes,
  readCsv: readCsvFile,
  get fashionMnistDir() {
    return fashionMnistDir();
  },
};

/**
 * Load a data source from disk; see `resolveSource` in source.ts for what a source can be.
 * Throws DataError naming the file at fault for anything missing, malformed or inconsistent.
 *
 * @example
 * const { train, test, notes } = await loadSource('fashion-mnist');
 */
export function loadSource(source: string, opts: LoadOptions = {}): Promise<LoadedData> {
  return resolveSource(source, diskFiles, opts);
}

/**
 * Features without labels from a file, for prediction input: an `.npy` or IDX array (images
 * are flattened per row) or a CSV table of numbers (header detected; every column a feature).
 */
export function loadFeatures(file: string, opts: Omit<LoadOptions, 'labelColumn'> = {}): Promise<FeatureRows> {
  return resolveFeatures(file, diskFiles, opts);
}

/** Turn a file-system error into a DataError naming the file. */
export function fsError(file: string, e: unknown): DataError {
  const code = (e as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOENT': return new DataError(file, 'no such file or folder');
    case 'EISDIR': return new DataError(file, 'is a folder, expected a file');
    case 'ENOTDIR': return new DataError(file, 'is not a folder (a part of the path is a file)');
    case 'EACCES':
    case 'EPERM': return new DataError(file, 'cannot be read: permission denied');
    default: return new DataError(file, `cannot be read: ${(e as Error)?.message ?? String(e)}`);
  }
}

/** What is at a path: 'file', 'dir', or null when nothing is. */
export async function pathKind(path: string): Promise<'file' | 'dir' | null> {
  try {
    const s = await stat(path);
    return s.isDirectory() ? 'dir' : 'file';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
    throw fsError(path, e);
  }
}

/** Names in a folder. */
export async function listDir(path: string): Promise<string[]> {
  try {
    return (await readdir(path)).sort();
  } catch (e) {
    throw fsError(path, e);
  }
}

/**
 * A whole file as bytes, gunzipped (by zlib, within `limits`) when it is gzip data. An empty
 * file is a DataError: no data format mlplab reads is valid with zero bytes.
 */
export async function readBytes(file: string, limits: ResolvedInflateLimits = INFLATE_DEFAULTS): Promise<Uint8Array> {
  // Read whole, a file may be as large as anything may inflate to.
  const problem = await unreadable(file, limits.maxBytes);
  if (problem) throw new DataError(file, problem);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw fsError(file, e);
  }
  if (bytes.length === 0) throw new DataError(file, 'is empty (0 bytes)');
  if (isGzip(bytes)) {
    const compressed = bytes.length;
    try {
      bytes = gunzipSync(bytes, { maxOutputLength: inflateCap(compressed, limits) });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw inflateTooLarge(file, compressed, limits);
      throw new DataError(file, `is not readable gzip data (${(e as Error).message}); the file may be truncated or corrupt`);
    }
    if (bytes.length === 0) throw new DataError(file, 'is empty once decompressed');
  }
  // A plain Uint8Array over the same memory: readers may take .slice() for a copy, which a Buffer does not give.
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Read a CSV file as a stream (gzip-compressed when it ends in .gz, inflated within `limits`),
 * never holding it whole; with `columnsOnly`, only its first lines are read.
 */
export async function readCsvFile(file: string, opts: CsvOptions = {}, limits: ResolvedInflateLimits = INFLATE_DEFAULTS): Promise<CsvTable> {
  // Streamed, a CSV file may be of any size, but it must be a file (not /dev/zero or a pipe).
  const problem = await unreadable(file, Number.MAX_SAFE_INTEGER);
  if (problem) throw new DataError(file, problem);
  const reader = new CsvReader(file, opts);
  const stream = createReadStream(file, { highWaterMark: 1 << 20 });
  let input: NodeJS.ReadableStream = stream;
  let cap = Infinity;
  let compressed = 0;
  if (file.endsWith('.gz')) {
    try {
      compressed = (await stat(file)).size;
      cap = inflateCap(compressed, limits);
    } catch (e) {
      stream.destroy();
      throw fsError(file, e);
    }
    const gunzip = createGunzip();
    stream.on('error', (e) => gunzip.destroy(e)); // pipe() does not forward errors
    input = stream.pipe(gunzip);
  }
  let inflated = 0;
  try {
    for await (const chunk of input) {
      inflated += (chunk as Uint8Array).length;
      if (inflated > cap) throw inflateTooLarge(file, compressed, limits);
      reader.push(chunk as Uint8Array);
      if (reader.done) break;
    }
  } catch (e) {
    if (e instanceof DataError) throw e;
    if ((e as NodeJS.ErrnoException).code?.startsWith('Z_')) {
      throw new DataError(file, `is not readable gzip data (${(e as Error).message}); the file may be truncated or corrupt`);
    }
    throw fsError(file, e);
  } finally {
    stream.destroy();
    if (input !== stream) (input as NodeJS.ReadableStream & { destroy(): void }).destroy();
  }
  return reader.finish();
}
