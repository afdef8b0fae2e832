import { mkdir, rename, rm, writeFile, access, constants, realpath, stat } from 'node:fs/promises';
import { dirname, join, basename, resolve } from 'node:path';
import { OutputError } from '../errors.js';
import { formatBytes } from '../format.js';

/**
 * Write a file so that it is either complete or absent: write a temporary sibling, then
 * rename it into place (atomic on one file system). Errors name the path. `data` may be an
 * iterable of text chunks (see textLines), so a large file is never whole in memory.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array | Iterable<string>): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw new OutputError(path, `cannot write: ${describeFsError(e)}`);
  }
}

/** The lines `header`, then `line(0)` .. `line(count - 1)`, as chunks of text for writeFileAtomic (8,192 lines each). */
export function* textLines(header: string, count: number, line: (i: number) => string): Generator<string> {
  let chunk = [header];
  for (let i = 0; i < count; i++) {
    chunk.push(line(i));
    if (chunk.length === 8192) {
      yield chunk.join('\n') + '\n';
      chunk = [];
    }
  }
  if (chunk.length) yield chunk.join('\n') + '\n';
}

/** Create `dir` (and parents) and check it is writable, before any long job starts. */
export async function ensureWritableDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
  } catch (e) {
    throw new OutputError(dir, `output folder is not writable: ${describeFsError(e)}`);
  }
}

export function describeFsError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err?.code) {
    case 'ENOENT': return 'no such file or folder';
    case 'EACCES':
    case 'EPERM': return 'permission denied';
    case 'ENOTDIR': return 'a part of the path is a file, not a folder';
    case 'EISDIR': return 'is a folder, not a file';
    case 'ENOSPC': return 'no space left on the device';
    case 'EEXIST': return 'already exists';
    default: return err?.message ?? String(e);
  }
}

/** The path a file is reached by, links followed when it exists. */
async function canonical(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return resolve(path);
  }
}

/**
 * Check an output file before anything is computed: never one of the command's `inputs`
 * (`--model`, `--input`, ...), and not an existing file unless `overwrite`.
 */
export async function checkOutputFile(out: string, inputs: Record<string, string>, overwrite: boolean): Promise<void> {
  const target = await canonical(out);
  for (const [flag, path] of Object.entries(inputs)) {
    if ((await canonical(path)) === target) throw new OutputError(out, `is the ${flag} file this command reads; choose another --out`);
  }
  let exists = true;
  try {
    await access(out, constants.F_OK);
  } catch {
    exists = false;
  }
  if (exists && !overwrite) throw new OutputError(out, 'exists already; pass --overwrite to replace it, or choose another --out');
}

/**
 * What stops a file from being read whole, before a byte is read: not there, not a regular
 * file (a device such as /dev/zero, a pipe, a socket, a folder; links are followed), or over
 * `maxBytes`. Null when it may be read. Callers put the problem in their own error, naming the file.
 */
export async function unreadable(path: string, maxBytes: number, what = 'this file'): Promise<string | null> {
  let s;
  try {
    s = await stat(path);
  } catch (e) {
    return describeFsError(e);
  }
  if (s.isDirectory()) return 'is a folder, not a file';
  if (!s.isFile()) return 'is not a regular file (a device, a pipe or a socket); mlplab reads files only';
  if (s.size > maxBytes) return `is ${formatBytes(s.size)}, larger than the ${formatBytes(maxBytes)} ${what} may take`;
  return null;
}
