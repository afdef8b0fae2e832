/**
 * The flags that set run options, built from the options' zod schemas: a flag is named after
 * its field (kebab-case), its help is the schema's description, the default it shows is the
 * schema's (or the command's starting run's), and its value is checked by the field's schema,
 * the same one a config file goes through, so an error names the flag.
 */
import { Option, type Command } from 'commander';
import { z } from 'zod';
import { loadOptionsSchema, type LoadOptions } from '../data/resolver.js';
import { ConfigError } from '../errors.js';
import { runSchema, type RunSpec } from '../run/spec.js';
import { checkFields } from '../validate.js';

/** Where run options live: the run's sections, and how a data source is read. */
const SECTIONS: Record<string, z.ZodType> = { ...runSchema.shape, load: loadOptionsSchema };

interface RunFlagSpec {
  /** Section and field, like `train.learningRate`. */
  path: string;
  /** The value's placeholder in the help (`<rate>`); a switch has none. */
  value?: string;
  /** A switch: `on` gives --x (true), `off` gives --no-x (false), `both` gives both. */
  switch?: 'on' | 'off' | 'both';
  /** The flag's name when it is not the field's in kebab-case (a short spelling in common use). */
  name?: string;
  /** How the text becomes the value the schema checks, when it is not a number, a word or a comma-separated list of them. */
  read?: (text: string, flag: string) => unknown;
  /** How a value is written in the help, when not as the flag reads it. */
  show?: (value: unknown) => string;
}

/** Every run option that has a flag. The key is commander's name for the flag's value. */
export const RUN_FLAGS = {
  widths: { path: 'network.widths', value: '<list>' },
  layers: { path: 'network.layers', value: '<n>' },
  activations: { path: 'network.activations', value: '<list>' },
  batchNorm: { path: 'network.batchNorm', switch: 'both' },
  dropout: { path: 'network.dropout', value: '<p>' },
  init: { path: 'network.init', value: '<how>' },
  epochs: { path: 'train.epochs', value: '<n>' },
  seed: { path: 'train.seed', value: '<n>' },
  optimizer: { path: 'train.optimizer', value: '<name>' },
  lr: { path: 'train.learningRate', name: 'lr', value: '<rate>' },
  momentum: { path: 'train.momentum', value: '<rho>' },
  nesterov: { path: 'train.nesterov', switch: 'on' },
  weightDecay: { path: 'train.weightDecay', value: '<lambda>' },
  batchSize: { path: 'train.batchSize', value: '<n>' },
  schedule: { path: 'train.schedule', value: '<s>', read: readSchedule, show: showSchedule },
  warmupEpochs: { path: 'train.warmupEpochs', value: '<n>' },
  labelSmoothing: { path: 'train.labelSmoothing', value: '<s>' },
  loss: { path: 'train.loss', value: '<loss>' },
  classWeight: { path: 'train.classWeight', value: '<how>', read: readClassWeight, show: (v) => (typeof v === 'string' ? v : Object.entries(v as Record<string, number>).map(([k, w]) => `${k}=${w}`).join(',')) },
  ensemble: { path: 'train.ensemble', value: '<k>' },
  cv: { path: 'train.cv', value: '<k>' },
  cvRepeats: { path: 'train.cvRepeats', value: '<r>' },
  earlyStopping: { path: 'train.earlyStopping', switch: 'off' },
  diagnostics: { path: 'train.diagnostics', switch: 'off' },
  patience: { path: 'train.earlyStopping.patience', value: '<n>' },
  minDelta: { path: 'train.earlyStopping.minDelta', value: '<d>' },
  monitor: { path: 'train.earlyStopping.monitor', value: '<metric>' },
  restoreBest: { path: 'train.earlyStopping.restoreBest', switch: 'off' },
  pca: { path: 'data.pca', value: '<k>' },
  scale: { path: 'data.scale', value: '<how>' },
  valFraction: { path: 'data.valFraction', value: '<f>' },
  nulls: { path: 'data.nulls', value: '<how>' },
  categorical: { path: 'data.categorical', value: '<columns>' },
  numeric: { path: 'data.numeric', value: '<columns>' },
  ignoreColumns: { path: 'data.ignoreColumns', value: '<columns>' },
  minCategoryCount: { path: 'data.minCategoryCount', value: '<n>' },
  maxCategories: { path: 'data.maxCategories', value: '<n>' },
  unknownCategories: { path: 'data.unknownCategories', value: '<how>' },
  imputeNumeric: { path: 'data.imputeNumeric', value: '<how>' },
  imputeCategorical: { path: 'data.imputeCategorical', value: '<how>' },
  numericBins: { path: 'data.numericBins', value: '<n>' },
  missingIndicators: { path: 'data.missingIndicators', switch: 'off' },
  mixed: { path: 'data.mixed', value: '<how>' },
  labelColumn: { path: 'load.labelColumn', value: '<name|index>' },
  task: { path: 'load.task', value: '<task>' },
  header: { path: 'load.header', switch: 'both' },
  delimiter: { path: 'load.delimiter', value: '<char>', read: (v) => (v === '\\t' ? '\t' : v) },
  skipRows: { path: 'load.skipRows', value: '<n>' },
} satisfies Record<string, RunFlagSpec>;

export type RunFlagName = keyof typeof RUN_FLAGS;

/** The network and training flags of `train`, in the order of its help. */
export const NETWORK_FLAGS: RunFlagName[] = [
  'widths', 'layers', 'activations', 'batchNorm', 'dropout', 'init', 'optimizer', 'lr', 'momentum', 'nesterov', 'weightDecay', 'batchSize',
  'schedule', 'warmupEpochs', 'labelSmoothing', 'loss', 'earlyStopping', 'diagnostics', 'patience', 'minDelta', 'monitor', 'restoreBest',
  'classWeight', 'ensemble', 'cv', 'cvRepeats',
];
/** Pre-processing fitted on the training part. */
export const PREPARE_FLAGS: RunFlagName[] = ['pca', 'scale', 'valFraction', 'nulls'];
/** How the columns of a table are typed and encoded (fitted on the training part). */
export const TABLE_FLAGS: RunFlagName[] = [
  'categorical', 'numeric', 'ignoreColumns', 'minCategoryCount', 'maxCategories', 'unknownCategories', 'imputeNumeric', 'imputeCategorical', 'numericBins', 'missingIndicators', 'mixed',
];
/** How the labels and a CSV file are read. */
export const CSV_FLAGS: RunFlagName[] = ['labelColumn', 'task', 'header', 'delimiter', 'skipRows'];

/** The schema of the field at `path` (`train.earlyStopping.patience`), with its description. */
export function fieldSchema(path: string): z.ZodType {
  const [section, ...rest] = path.split('.');
  let s = SECTIONS[section];
  for (const key of rest) {
    const shape = objectShape(s);
    if (!shape || !(key in shape)) throw new Error(`no run option ${path}`);
    s = shape[key];
  }
  if (!s) throw new Error(`no run option ${path}`);
  return s;
}

/** The fields of the object a schema holds (inside defaults, optionals and unions such as `object | false`). */
function objectShape(s: z.ZodType): Record<string, z.ZodType> | null {
  const u = unwrap(s);
  if (u instanceof z.ZodObject) return u.shape as Record<string, z.ZodType>;
  if (u instanceof z.ZodUnion) {
    for (const o of u.options as z.ZodType[]) {
      const shape = objectShape(o);
      if (shape) return shape;
    }
  }
  return null;
}

function unwrap(s: z.ZodType): z.ZodType {
  let cur = s;
  while (cur instanceof z.ZodDefault || cur instanceof z.ZodOptional || cur instanceof z.ZodNullable) cur = cur.unwrap() as z.ZodType;
  return cur;
}

/** Whether a value the schema takes (one of a union's branches) passes `test`. */
function accepts(s: z.ZodType, test: (leaf: z.ZodType) => boolean): boolean {
  const u = unwrap(s);
  if (u instanceof z.ZodUnion) return (u.options as z.ZodType[]).some((o) => accepts(o, test));
  return test(u);
}

/** The entries' schema when the option takes a list (one value or a list, for per-layer options). */
function arrayElement(s: z.ZodType): z.ZodType | null {
  const u = unwrap(s);
  if (u instanceof z.ZodArray) return u.element as z.ZodType;
  if (u instanceof z.ZodUnion) {
    for (const o of u.options as z.ZodType[]) {
      const element = arrayElement(o);
      if (element) return element;
    }
  }
  return null;
}

/**
 * The values a flag's text may stand for, most likely first: a number when it reads as one,
 * null for "none" where the option takes null, else the text itself.
 */
function readings(s: z.ZodType, text: string): unknown[] {
  const out: unknown[] = [];
  const t = text.trim();
  if (t !== '' && Number.isFinite(Number(t)) && accepts(s, (l) => l instanceof z.ZodNumber)) out.push(Number(t));
  if ((t === 'none' || t === 'off') && accepts(s, (l) => l instanceof z.ZodNull)) out.push(null);
  out.push(text);
  return out;
}

/** What a flag's parser returns for null: commander would turn null into "". */
const NULL = Symbol('null');

/** A flag's text read as its option's value and checked by the option's schema; a ConfigError names the flag. */
function readValue(spec: RunFlagSpec, schema: z.ZodType, flag: string, text: string): unknown {
  let candidates: unknown[];
  if (spec.read) candidates = [spec.read(text, flag)];
  else {
    const element = arrayElement(schema);
    const parts = text.split(',').map((p) => p.trim());
    // A list: comma-separated entries, or one entry where the option takes only lists.
    if (element && (parts.length > 1 || !accepts(schema, (l) => !(l instanceof z.ZodArray)))) {
      candidates = [parts.map((p) => readings(element, p).find((v) => checkFields(element, v).ok) ?? readings(element, p)[0])];
    } else candidates = readings(schema, text);
  }
  const results = candidates.map((v) => checkFields(schema, v, flag));
  for (const r of results) if (r.ok) return r.data === null ? NULL : r.data;
  // None fits: the error speaks of the likeliest reading.
  const first = results[0];
  if (first.ok) return first.data;
  throw new ConfigError(first.problem.field, first.problem.value, first.problem.expected);
}

/** How a value is written on the command line, for the defaults in the help. */
function showValue(v: unknown): string {
  if (v === null) return 'none';
  if (Array.isArray(v)) return v.map(showValue).join(',');
  return String(v);
}

function valueAt(o: unknown, path: string): unknown {
  let v = o;
  for (const key of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/** What a command's flags start from, for the defaults shown in its help: a resolved run, and the reading options. */
export type FlagDefaults = { [section: string]: unknown };

/**
 * The commander options of a run option: one flag, or two for a switch that goes both ways.
 * `defaults` holds the values the command starts from (a resolved run); where it has none,
 * the schema's default is shown.
 */
function runFlagOptions(name: RunFlagName, defaults: FlagDefaults): Option[] {
  const spec: RunFlagSpec = RUN_FLAGS[name];
  const schema = fieldSchema(spec.path);
  const kebab = spec.name ?? spec.path.split('.').pop()!.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  const meta = (schema.meta() ?? {}) as { description?: string; off?: string };
  const description = meta.description ?? '';
  if (spec.switch) {
    const options: Option[] = [];
    if (spec.switch !== 'off') options.push(new Option(`--${kebab}`, description));
    if (spec.switch !== 'on') options.push(new Option(`--no-${kebab}`, meta.off ?? description));
    return options;
  }
  let shown = valueAt(defaults, spec.path);
  if (shown === undefined) {
    const d = schema.safeParse(undefined);
    shown = d.success ? d.data : undefined;
  }
  const help = shown === undefined ? description : `${description} (default ${(spec.show ?? showValue)(shown)})`;
  const flag = `--${kebab}`;
  return [new Option(`${flag} ${spec.value}`, help).argParser((text: string) => readValue(spec, schema, flag, text))];
}

/** The flag of one run option that takes a value, for a command's `addOption`. */
export function runFlag(name: RunFlagName, defaults: FlagDefaults = {}): Option {
  const [option, other] = runFlagOptions(name, defaults);
  if (other) throw new Error(`${name} is a switch with two flags: use addRunFlags`);
  return option;
}

/** Add the flags of these run options to a command, in this order. */
export function addRunFlags(cmd: Command, names: RunFlagName[], defaults: FlagDefaults = {}): Command {
  for (const name of names) for (const option of runFlagOptions(name, defaults)) cmd.addOption(option);
  return cmd;
}

/**
 * The run options given on the command line, as a partial run spec (`network`, `train`,
 * `data`) and reading options (`load`). Only flags the user typed count: a switch's implied
 * value does not. A switch that turns an option off wins over the options inside it.
 */
export function runOptionsGiven(cmd: Command, names: RunFlagName[]): RunSpec & { load?: LoadOptions } {
  const out: Record<string, unknown> = {};
  for (const name of names) {
    if (cmd.getOptionValueSource(name) !== 'cli') continue;
    const raw = cmd.getOptionValue(name) as unknown;
    const value = raw === NULL ? null : raw;
    const keys = RUN_FLAGS[name].path.split('.');
    let at = out;
    let blocked = false;
    for (const key of keys.slice(0, -1)) {
      if (at[key] === undefined) at[key] = {};
      if (at[key] === null || typeof at[key] !== 'object') {
        blocked = true;
        break;
      }
      at = at[key] as Record<string, unknown>;
    }
    if (!blocked) at[keys[keys.length - 1]] = value;
  }
  return out as RunSpec & { load?: LoadOptions };
}

/** `--class-weight`: none | balanced | NAME=W,NAME=W (a name may hold '=' only before the last one). */
function readClassWeight(s: string, flag: string): unknown {
  const t = s.trim();
  if (t === 'none' || t === 'balanced') return t;
  const out: Record<string, unknown> = {};
  for (const part of t.split(',')) {
    const at = part.lastIndexOf('=');
    if (at <= 0) throw new ConfigError(flag, s, 'none, balanced, or NAME=WEIGHT pairs separated by commas (e.g. rare=5,common=1)');
    const w = part.slice(at + 1).trim();
    out[part.slice(0, at).trim()] = w !== '' && Number.isFinite(Number(w)) ? Number(w) : w;
  }
  return out;
}

/** `--schedule`: constant | step:EVERY:GAMMA | cosine[:MIN_LR], as the schedule object of a config file. */
function readSchedule(s: string, flag: string): unknown {
  const [type, a, b] = s.split(':');
  const num = (v: string) => (v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v);
  if (type === 'constant' && a === undefined) return { type };
  if (type === 'cosine' && b === undefined) return a === undefined ? { type } : { type, minLearningRate: num(a) };
  if (type === 'step' && a !== undefined && b !== undefined) return { type, every: num(a), gamma: num(b) };
  throw new ConfigError(flag, s, 'constant, step:EVERY:GAMMA (e.g. step:30:0.1) or cosine[:MIN_LR]');
}

function showSchedule(v: unknown): string {
  const s = v as { type: string; every?: number; gamma?: number; minLearningRate?: number };
  if (s.type === 'step') return `step:${s.every}:${s.gamma}`;
  if (s.type === 'cosine') return s.minLearningRate ? `cosine:${s.minLearningRate}` : 'cosine';
  return s.type;
}
