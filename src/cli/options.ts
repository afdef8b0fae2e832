import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { ConfigError } from '../errors.js';
import { describeFsError } from '../io/files.js';
import type { LoadOptions } from '../data/source.js';
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
  pca: (v: string) => {
    if (v === 'none' || v === 'off') return null;
    return parse.int('--pca')(v);
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

/** Options about the data source and its pre-processing, shared by train and evaluate. */
export function addDataOptions(cmd: Command): Command {
  return cmd
    .option('--pca <k>', 'reduce features to k principal components fitted on the training part ("none" to keep all)', parse.pca)
    .option('--scale <how>', 'feature scaling fitted on the training part: standard | minmax | none')
    .option('--val-fraction <f>', 'fraction of the training rows held out (stratified, seeded) for validation; default 0.1', parse.number('--val-fraction'))
    .option('--nulls <how>', 'rows with NaN/infinite values: drop (default, reported) | refuse')
    .option('--label-column <name|index>', 'CSV: the label column, by header name or 0-based index (default: label/class/target/y, else the last)')
    .option('--header', 'CSV: the first line is a header (default: detected)')
    .option('--no-header', 'CSV: the first line is data')
    .option('--delimiter <char>', 'CSV: field separator (default: detected)');
}

/** CSV reading options from the flags added by addDataOptions. */
export function loadOptionsFrom(flags: { labelColumn?: string; header?: boolean; delimiter?: string }): LoadOptions {
  const o: LoadOptions = {};
  if (flags.labelColumn !== undefined) o.labelColumn = /^\d+$/.test(flags.labelColumn) ? Number(flags.labelColumn) : flags.labelColumn;
  if (flags.header !== undefined) o.header = flags.header;
  if (flags.delimiter !== undefined) o.delimiter = flags.delimiter === '\\t' ? '\t' : flags.delimiter;
  return o;
}
