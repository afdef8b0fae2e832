import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { ConfigError } from '../errors.js';
import { describeFsError } from '../io/files.js';
import type { LoadOptions } from '../data/resolver.js';
import { coreCount, type BackendName } from '../tensor/index.js';

/** Parsers for option values: a bad value is a ConfigError naming the flag. */
export const parse = {
  int: (flag: string) => (v: string) => {
    const n = Number(v);
    if (!/^-?\d+$/.test(v.trim()) || !Number.isSafeInteger(n)) throw new ConfigError(flag, v, 'a whole number');
    return n;
  },
  number: (flag: string) => (v: string) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n)) throw new ConfigError(flag, v, 'a finite number');
    return n;
  },
  intList: (flag: string) => (v: string) =>
    v.split(',').map((s) => {
      const n = Number(s);
      if (!/^\d+$/.test(s.trim())) throw new ConfigError(flag, v, 'comma-separated whole numbers, like 128,64');
      return n;
    }),
  numberOrList: (flag: string) => (v: string) => {
    const parts = v.split(',').map((s) => Number(s));
    if (parts.some((n, i) => !Number.isFinite(n) || v.split(',')[i].trim() === '')) {
      throw new ConfigError(flag, v, 'a number or comma-separated numbers, like 0.5 or 0.5,0.2');
    }
    return parts.length === 1 ? parts[0] : parts;
  },
  list: (v: string) => {
    const parts = v.split(',').map((s) => s.trim());
    return parts.length === 1 ? parts[0] : parts;
  },
  backend: (v: string): BackendName => {
    if (v !== 'auto' && v !== 'wasm' && v !== 'reference') throw new ConfigError('--backend', v, 'auto, wasm or reference');
    return v;
  },
  /** `--threads`: "auto" (one per core) or a whole number from 1 to this machine's cores. */
  threads: (v: string): number | 'auto' => {
    const cores = coreCount();
    const expected = `a whole number from 1 to ${cores} (this machine's cores), or "auto" for all of them`;
    if (v.trim() === 'auto') return 'auto';
    const n = Number(v);
    if (!/^-?\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < 1 || n > cores) throw new ConfigError('--threads', v, expected);
    return n;
  },
  /** A number of components, or 'none' (commander turns a parser's null into "", so null is made later). */
  pca: (v: string): number | 'none' => {
    if (v === 'none' || v === 'off') return 'none';
    const n = parse.int('--pca')(v);
    if (n < 1) throw new ConfigError('--pca', v, 'a number of components >= 1, or "none"');
    return n;
  },
  /** A column name, or an index when it is a whole number (negative counts from the end). */
  labelColumn: (v: string): string | number => (/^-?\d+$/.test(v.trim()) ? Number(v) : v),
  /** A size in bytes: 2000000, 500MB, 2GB (decimal units; KiB, MiB and GiB are binary). */
  size: (flag: string) => (v: string) => {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(B|kB|KB|MB|GB|TB|KiB|MiB|GiB|TiB)?\s*$/i.exec(v);
    const units: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };
    const n = m ? Math.round(Number(m[1]) * units[(m[2] ?? 'b').toLowerCase()]) : NaN;
    if (!Number.isSafeInteger(n) || n < 1) throw new ConfigError(flag, v, 'a size such as 500MB, 2GB or a number of bytes');
    return n;
  },
};

/** Read and parse a JSON config file; errors name the file. */
export async function readJsonFile(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`--${what}`, path, `a readable JSON file (${describeFsError(e)})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ConfigError(path, text.slice(0, 40), `valid JSON (${(e as Error).message})`);
  }
}

/** Options about the data source and its pre-processing, for train. */
export function addDataOptions(cmd: Command): Command {
  cmd
    .option('--pca <k>', 'reduce features to k principal components fitted on the training part ("none" to keep all)', parse.pca)
    .option('--scale <how>', 'feature scaling fitted on the training part: standard | minmax | none')
    .option('--val-fraction <f>', 'fraction of the training rows held out (stratified, seeded) for validation; default 0.1', parse.number('--val-fraction'))
    .option('--nulls <how>', 'rows with NaN/infinite values: drop (default, reported) | refuse');
  return addReadOptions(cmd);
}

/** The CSV options and the inflate budget, the same on every command that reads data. */
export function addReadOptions(cmd: Command, o: { labels?: boolean } = {}): Command {
  if (o.labels !== false) {
    cmd.option('--label-column <name|index>', 'CSV: the label column, by header name or 0-based index, -1 for the last (default: label/class/target/y, else the last)', parse.labelColumn);
  }
  return cmd
    .option('--header', 'CSV: the first line is a header (default: detected)')
    .option('--no-header', 'CSV: the first line is data')
    .option('--delimiter <char>', 'CSV: field separator, \\t for tab (default: detected)')
    .option('--skip-rows <n>', 'CSV: lines before the table to skip (a preamble, such as the line of counts in scikit-learn\'s bundled CSVs)', parse.int('--skip-rows'))
    .option('--max-inflate-ratio <n>', 'a compressed file may inflate to n times its size (default 20, at least 64 MB)', parse.number('--max-inflate-ratio'))
    .option('--max-inflated <size>', 'and to at most this many bytes, e.g. 2GB or 500MB (default 2GB)', parse.size('--max-inflated'));
}

/** What addReadOptions adds, as commander hands it over. */
export interface ReadFlags {
  labelColumn?: string | number;
  header?: boolean;
  delimiter?: string;
  skipRows?: number;
  maxInflateRatio?: number;
  maxInflated?: number;
}

/** Reading options from the flags added by addReadOptions. */
export function loadOptionsFrom(flags: ReadFlags): LoadOptions {
  const o: LoadOptions = {};
  if (flags.labelColumn !== undefined) o.labelColumn = flags.labelColumn;
  if (flags.header !== undefined) o.header = flags.header;
  if (flags.delimiter !== undefined) o.delimiter = flags.delimiter === '\\t' ? '\t' : flags.delimiter;
  if (flags.skipRows !== undefined) o.skipRows = flags.skipRows;
  if (flags.maxInflateRatio !== undefined || flags.maxInflated !== undefined) {
    o.limits = {};
    if (flags.maxInflateRatio !== undefined) o.limits.ratio = flags.maxInflateRatio;
    if (flags.maxInflated !== undefined) o.limits.maxBytes = flags.maxInflated;
  }
  return o;
}

/** `--overwrite`, for commands that write a run folder. */
export function addOverwriteOption(cmd: Command): Command {
  return cmd.option('--overwrite', 'replace the output folder if it exists (it is replaced as a whole, once the run is complete)');
}
