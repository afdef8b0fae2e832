import { readFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { INFLATE_DEFAULTS, INFLATE_FLOOR, inflateLimitsSchema } from '../data/formats/inflate.js';
import type { LoadOptions } from '../data/resolver.js';
import { ConfigError } from '../errors.js';
import { formatBytes } from '../format.js';
import { describeFsError, unreadable } from '../io/files.js';
import { coreCount, type BackendName } from '../tensor/index.js';
import { defaultWorkers } from '../tune/exec/pool.js';
import { isPostgresUrl, redactUrl } from '../tune/storage/postgres.js';
import { parseConfig, parseJson } from '../validate.js';
import { CSV_FLAGS, addRunFlags, runOptionsGiven } from './run-flags.js';

/** Parsers of the flags that are not run options: a bad value is a ConfigError naming the flag. */
export const parse = {
  int: (flag: string) => (v: string) => {
    const n = Number(v);
    if (!/^-?\d+$/.test(v.trim()) || !Number.isSafeInteger(n)) throw new ConfigError(flag, v, 'a whole number');
    return n;
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
  /** A size in bytes: 2000000, 500MB, 2GB (decimal units; KiB, MiB and GiB are binary). */
  size: (flag: string) => (v: string) => {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(B|kB|KB|MB|GB|TB|KiB|MiB|GiB|TiB)?\s*$/i.exec(v);
    const units: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };
    const n = m ? Math.round(Number(m[1]) * units[(m[2] ?? 'b').toLowerCase()]) : NaN;
    if (!Number.isSafeInteger(n) || n < 1) throw new ConfigError(flag, v, 'a size such as 500MB, 2GB or a number of bytes');
    return n;
  },
  lease: (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n <= 0 || n > 3600) throw new ConfigError('--lease', v, 'a number of seconds > 0 and <= 3600');
    return n;
  },
  storage: (v: string): string => {
    if (!isPostgresUrl(v)) {
      throw new ConfigError('--storage', redactUrl(v), 'a PostgreSQL URL such as postgresql://user:password@host:5432/db (leave --storage out to keep the study in its --out folder)');
    }
    return v;
  },
};

interface FlagSpec {
  /** commander's flags and value placeholder: `--out <path>`, `--quiet`, `--no-html`. */
  flags: string;
  help: string;
  parse?: (v: string) => unknown;
}

const cores = coreCount();

/**
 * The flags that are not run options (those are built from their schemas in run-flags.ts):
 * where data comes from and results go, the kernels, the model files, the study's workers.
 */
export const FLAGS = {
  data: { flags: '--data <source>', help: 'fashion-mnist | a folder with train_data.npy, train_label.npy, test_data.npy, test_label.npy (or MNIST-style IDX files) | data.npy,labels.npy | data.npz | train.csv or train.csv,test.csv (see docs/COMMAND-LINE.md)' },
  valData: { flags: '--val-data <source>', help: 'labelled data used whole for validation instead of holding out --val-fraction of the training rows' },
  preset: {
    flags: '--preset <name>',
    help: "auto: network and training chosen from the data (the flags below override each choice) | the study's models: study-default (64,64 GELU/ReLU, dropout 0.5, SGD) | study-final (128,64 ReLU, dropout 0.2, SGD); default and final are their old names",
  },
  config: { flags: '--config <file>', help: 'JSON run config {network, train, data}; overrides the preset, flags override it; a config without a network is auto' },
  out: { flags: '--out <path>', help: 'where to write' },
  overwrite: { flags: '--overwrite', help: 'replace what --out names if it exists (a run folder as a whole, once its run is complete)' },
  quiet: { flags: '--quiet', help: 'print only the final summary' },
  backend: { flags: '--backend <name>', help: 'kernels: auto (WebAssembly SIMD where available) | wasm | reference; a study records it and every worker uses it', parse: parse.backend },
  threads: {
    flags: '--threads <n>',
    help:
      `threads for the kernels: auto (one per core, here ${cores}) or 1 to ${cores}; results are the same for every count. ` +
      `In a study, per trial: workers x threads may not exceed the cores; unset, the study file's "threads", else the cores divided among the workers`,
    parse: parse.threads,
  },
  maxInflateRatio: {
    flags: '--max-inflate-ratio <n>',
    help: `a compressed file may inflate to n times its size (default ${INFLATE_DEFAULTS.ratio}, at least ${formatBytes(INFLATE_FLOOR)})`,
    parse: (v: string) => parseConfig(inflateLimitsSchema.shape.ratio, v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v, '--max-inflate-ratio'),
  },
  maxInflated: { flags: '--max-inflated <size>', help: `and to at most this many bytes, e.g. 2GB or 500MB (default ${formatBytes(INFLATE_DEFAULTS.maxBytes)})`, parse: parse.size('--max-inflated') },
  model: { flags: '--model <file>', help: 'model.json written by train, study, import or the playground' },
  maxModelSize: { flags: '--max-model-size <size>', help: 'refuse a larger model file before reading it, e.g. 500MB (default 256MB)', parse: parse.size('--max-model-size') },
  input: { flags: '--input <file>', help: 'features as .npy or IDX (rows x features) or .csv (numbers only, optional header)' },
  format: { flags: '--format <name>', help: 'onnx | safetensors (default: from the --out extension)' },
  network: { flags: '--network <file>', help: 'JSON: the network object of a run config ({"widths": [...], "activations", "batchNorm", "dropout"}) or a whole run config' },
  pipeline: { flags: '--pipeline <file>', help: 'the pre-processing written by export beside the weights (default: WEIGHTS.pipeline.safetensors when it exists; "none" for none)' },
  classNames: { flags: '--class-names <names>', help: 'comma-separated class names, in label order (default: from the file, else 0..K-1)' },
  targetName: { flags: '--target-name <name>', help: "a regression network's target (one output row): its name (default: the one mlplab's export kept, else target)" },
  json: { flags: '--json', help: 'print the information as JSON' },
  workers: { flags: '--workers <n>', help: `worker threads training trials in parallel here (default: one per core, here ${defaultWorkers()})`, parse: parse.int('--workers') },
  storage: {
    flags: '--storage <url>',
    help: 'PostgreSQL URL (postgresql://user:password@host:5432/db) holding the studies, so workers on other machines can join (study creates the study there, or joins it when it exists with the same config) and a dashboard can show them; its password is never shown',
    parse: parse.storage,
  },
  host: { flags: '--host <address>', help: 'address to listen on; any other than a loopback address needs a token' },
  port: { flags: '--port <n>', help: 'port to listen on (0: any free port)', parse: parse.int('--port') },
  token: { flags: '--token <secret>', help: 'the token every request must carry (at least 16 characters); made for you when --host is not a loopback address' },
  lease: { flags: '--lease <seconds>', help: 'a worker that does not renew its claim on a trial for this long loses it to another', parse: parse.lease },
  study: { flags: '--study <name>', help: 'work on this study only (default: every unfinished study, oldest first)' },
  html: { flags: '--no-html', help: 'skip report.html and figures (Table 1 and study.json are still written)' },
} satisfies Record<string, FlagSpec>;

export type FlagName = keyof typeof FLAGS;

/**
 * A flag declared in FLAGS, for a command's `addOption`, with this command's default or
 * requirement; a command says what its `--out` (or a worker's `--data`) is with `help`.
 */
export function flag(name: FlagName, o: { default?: unknown; required?: boolean; help?: string } = {}): Option {
  const spec: FlagSpec = FLAGS[name];
  const option = new Option(spec.flags, o.help ?? spec.help);
  if (spec.parse) option.argParser(spec.parse);
  if (o.default !== undefined) option.default(o.default);
  if (o.required) option.makeOptionMandatory();
  return option;
}

/** Config, study and network files are small: anything larger is not one. */
const MAX_CONFIG_BYTES = 16e6;

/** Read and parse a JSON config file; errors name the file. */
export async function readJsonFile(path: string, what: string): Promise<unknown> {
  const problem = await unreadable(path, MAX_CONFIG_BYTES);
  if (problem) throw new ConfigError(`--${what}`, path, `a readable JSON file; it ${problem}`);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`--${what}`, path, `a readable JSON file (${describeFsError(e)})`);
  }
  const parsed = parseJson(text);
  if ('problem' in parsed) throw new ConfigError(path, text.slice(0, 40), `valid JSON; the file is ${parsed.problem}`);
  return parsed.value;
}

/** The flags of every command that reads data: the CSV options (without the label column for unlabelled rows) and the inflate budget. */
export function addReadFlags(cmd: Command, o: { labels?: boolean } = {}): Command {
  return addRunFlags(cmd, o.labels === false ? CSV_FLAGS.filter((f) => f !== 'labelColumn' && f !== 'task') : CSV_FLAGS)
    .addOption(flag('maxInflateRatio'))
    .addOption(flag('maxInflated'));
}

/** Reading options from the flags added by addReadFlags. */
export function loadOptionsFrom(cmd: Command): LoadOptions {
  const o: LoadOptions = { ...runOptionsGiven(cmd, CSV_FLAGS).load };
  const { maxInflateRatio, maxInflated } = cmd.opts<{ maxInflateRatio?: number; maxInflated?: number }>();
  if (maxInflateRatio !== undefined || maxInflated !== undefined) {
    o.limits = {};
    if (maxInflateRatio !== undefined) o.limits.ratio = maxInflateRatio;
    if (maxInflated !== undefined) o.limits.maxBytes = maxInflated;
  }
  return o;
}
