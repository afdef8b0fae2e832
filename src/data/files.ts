/**
 * Reading data files from disk (Node only). Everything else in src/data works on bytes, so the
 * browser can use the parsers without this module.
 */
import { createReadStream } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { createGunzip, gunzipSync } from 'node:zlib';
import { DataError } from '../errors.js';
import { CsvReader, type CsvOptions, type CsvTable } from './csv.js';
import { isGzip } from './gzip.js';

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
 * A whole file as bytes, gunzipped when it is gzip data. An empty file is a DataError: no
 * data format mlplab reads is valid with zero bytes.
 */
export async function readBytes(file: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw fsError(file, e);
  }
  if (bytes.length === 0) throw new DataError(file, 'is empty (0 bytes)');
  if (isGzip(bytes)) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new DataError(file, `is not readable gzip data (${(e as Error).message}); the file may be truncated or corrupt`);
    }
    if (bytes.length === 0) throw new DataError(file, 'is empty once decompressed');
  }
  return bytes;
}

/** Read a CSV file as a stream (gzip-compressed when it ends in .gz), never holding it whole. */
export async function readCsvFile(file: string, opts: CsvOptions = {}): Promise<CsvTable> {
  const reader = new CsvReader(file, opts);
  const stream = createReadStream(file, { highWaterMark: 1 << 20 });
  let input: NodeJS.ReadableStream = stream;
  if (file.endsWith('.gz')) {
    const gunzip = createGunzip();
    stream.on('error', (e) => gunzip.destroy(e)); // pipe() does not forward errors
    input = stream.pipe(gunzip);
  }
  try {
    for await (const chunk of input) reader.push(chunk as Uint8Array);
  } catch (e) {
    stream.destroy();
    if (e instanceof DataError) throw e;
    if ((e as NodeJS.ErrnoException).code?.startsWith('Z_')) {
      throw new DataError(file, `is not readable gzip data (${(e as Error).message}); the file may be truncated or corrupt`);
    }
    throw fsError(file, e);
  }
  return reader.finish();
}
