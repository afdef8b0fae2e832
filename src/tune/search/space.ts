/**
 * A search space for model-based and random search: each parameter is a run option path with
 * a range (floats and integers, optionally on a log scale) or a list of choices. Validated
 * here, so an empty range or a log range touching zero fails naming the field.
 */
import { z } from 'zod';
import { ConfigError } from '../../errors.js';
import type { Rng } from '../../tensor/rng.js';

const rangeSchema = z
  .object({
    /** The run option varied, e.g. "train.learningRate". */
    path: z.string({ error: 'an option path such as "train.learningRate"' }).min(1, { error: 'an option path such as "train.learningRate"' }),
    /** Label in tables and plots; default: the last part of the path. */
    name: z.string({ error: 'a short label' }).min(1, { error: 'a non-empty label' }).optional(),
    low: z.number({ error: 'a finite number' }).finite({ error: 'a finite number' }),
    high: z.number({ error: 'a finite number' }).finite({ error: 'a finite number' }),
    /** Sample the logarithm uniformly (learning rates, weight decay). */
    log: z.boolean({ error: 'true or false' }).default(false),
    /** Whole numbers only (widths, depth, epochs). */
    int: z.boolean({ error: 'true or false' }).default(false),
  })
  .strict();

const choiceSchema = z
  .object({
    path: z.string({ error: 'an option path such as "train.optimizer"' }).min(1, { error: 'an option path such as "train.optimizer"' }),
    name: z.string({ error: 'a short label' }).min(1, { error: 'a non-empty label' }).optional(),
    /** The values to choose among (numbers, strings, booleans, lists). */
    choices: z.array(z.unknown(), { error: 'a list of values' }).min(1, { error: 'at least one choice' }),
  })
  .strict();

export const paramSchema = z.union([rangeSchema, choiceSchema], { error: 'a range {path, low, high[, log][, int]} or {path, choices: [...]}' });
export const spaceSchema = z.array(paramSchema, { error: 'a list of parameters' }).min(1, { error: 'at least one parameter to search' });

export type ParamSpec = z.input<typeof paramSchema>;

/** A validated parameter of a search space. */
export type Param =
  | { kind: 'range'; path: string; name: string; low: number; high: number; log: boolean; int: boolean }
  | { kind: 'choice'; path: string; name: string; choices: unknown[] };

/** Check ranges beyond their types (empty, log through zero, fractional integer bounds). `field` names the list in errors. */
export function resolveSpace(parsed: z.output<typeof spaceSchema>, field = 'space'): Param[] {
  const seen = new Map<string, number>();
  return parsed.map((p, i) => {
    const at = `${field}[${i}]`;
    const prev = seen.get(p.path);
    if (prev !== undefined) throw new ConfigError(`${at}.path`, p.path, `a path not already searched (${field}[${prev}] has it)`);
    seen.set(p.path, i);
    const name = p.name ?? p.path.split('.').pop()!;
    if ('choices' in p) return { kind: 'choice', path: p.path, name, choices: p.choices };
    if (!(p.high > p.low)) throw new ConfigError(`${at}.high`, p.high, `a bound above low (${p.low}): the range is empty`);
    if (p.log && p.low <= 0) throw new ConfigError(`${at}.low`, p.low, 'a bound > 0: a log range cannot touch or cross zero');
    if (p.int && (!Number.isInteger(p.low) || !Number.isInteger(p.high))) {
      throw new ConfigError(`${at}.${Number.isInteger(p.low) ? 'high' : 'low'}`, Number.isInteger(p.low) ? p.high : p.low, 'a whole number (int: true)');
    }
    return { kind: 'range', path: p.path, name, low: p.low, high: p.high, log: p.log, int: p.int };
  });
}

/**
 * A range parameter's internal coordinate, where sampling is uniform and the Parzen
 * estimators live: log10 for log ranges, and for integers the interval widened by half a step
 * each side so that every whole number owns an equal share.
 */
export function internalBounds(p: Extract<Param, { kind: 'range' }>): { a: number; b: number } {
  const lo = p.int ? p.low - 0.5 : p.low;
  const hi = p.int ? p.high + 0.5 : p.high;
  // A log range has low > 0, and an integer one low >= 1, so lo > 0 here.
  return p.log ? { a: Math.log10(lo), b: Math.log10(hi) } : { a: lo, b: hi };
}

export function toInternal(p: Extract<Param, { kind: 'range' }>, value: number): number {
  return p.log ? Math.log10(value) : value;
}

/** The option value at internal coordinate x, clamped to the range (and rounded for integers). */
export function fromInternal(p: Extract<Param, { kind: 'range' }>, x: number): number {
  let v = p.log ? 10 ** x : x;
  if (p.int) v = Math.round(v);
  return Math.min(p.high, Math.max(p.low, v));
}

/** A value drawn uniformly (in the internal coordinate) from a parameter. */
export function sampleParam(p: Param, rng: Rng): unknown {
  if (p.kind === 'choice') return p.choices[rng.int(p.choices.length)];
  const { a, b } = internalBounds(p);
  return fromInternal(p, a + (b - a) * rng.uniform());
}

/** A short label for a sampled value: 3 significant digits for floats. */
export function formatParamValue(p: Param, v: unknown): string {
  if (p.kind === 'range' && !p.int && typeof v === 'number') return String(Number(v.toPrecision(3)));
  if (typeof v === 'string') return v;
  // An option object such as a schedule reads best by its type alone when that is all it holds.
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && typeof (v as { type?: unknown }).type === 'string') return (v as { type: string }).type;
  return JSON.stringify(v);
}
