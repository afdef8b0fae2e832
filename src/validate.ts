import { z } from 'zod';
import { ConfigError, ModelFormatError, describeValue } from './errors.js';

/** What is wrong with a value: the field (a path like `hidden[1].width`), what it holds and what is allowed. */
export interface FieldProblem {
  field: string;
  value: unknown;
  expected: string;
}

/**
 * Parse `input` with a zod schema; on failure describe the first problem as a `FieldProblem`
 * naming the field, the value received and what is allowed. Schemas give each leaf its own
 * `error` text, which becomes the "expected ..." part. `unknownKey` words a key the schema
 * does not know ("no such option" in a configuration, "no such field" in a file).
 */
export function checkFields<S extends z.ZodType>(
  schema: S,
  input: unknown,
  context = '',
  unknownKey = 'no such option',
): { ok: true; data: z.output<S> } | { ok: false; problem: FieldProblem } {
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, data: result.data };
  const issue = deepest(result.error.issues[0]);
  const path = issue.path.map((p) => String(p));
  const field = joinPath(context, path);
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys;
    const allowed = objectKeys(schema, path);
    return {
      ok: false,
      problem: {
        field: joinPath(field, [keys[0]]),
        value: valueAt(input, [...path, keys[0]]),
        expected: `${unknownKey}${allowed.length ? `; allowed here: ${allowed.join(', ')}` : ''}`,
      },
    };
  }
  let expected = issue.message;
  if (valueAt(input, path) === undefined && issue.code === 'invalid_type') expected = `a value (it is required): ${expected}`;
  return { ok: false, problem: { field: field || '(config)', value: valueAt(input, path), expected } };
}

/** Parse a configuration with a zod schema; the first problem becomes a `ConfigError` naming the field. */
export function parseConfig<S extends z.ZodType>(schema: S, input: unknown, context = ''): z.output<S> {
  const r = checkFields(schema, input, context);
  if (r.ok) return r.data;
  throw new ConfigError(r.problem.field, r.problem.value, r.problem.expected);
}

/**
 * Parse part of a saved file with a zod schema; the first problem becomes a `ModelFormatError`
 * naming `file` and the field ("model.json: tensors[2].shape: got ..., expected ...").
 */
export function parseFileFields<S extends z.ZodType>(schema: S, input: unknown, file: string, context = ''): z.output<S> {
  const r = checkFields(schema, input, context, 'no such field');
  if (r.ok) return r.data;
  throw new ModelFormatError(file, problemText(r.problem));
}

/** "field: got value, expected ..." — the wording of ConfigError, for any error class. */
export function problemText(p: FieldProblem): string {
  return `${p.field}: got ${describeValue(p.value)}, expected ${p.expected}`;
}

type Issue = z.core.$ZodIssue;

/**
 * For a value that matches no branch of a union (a number or a list of numbers, an object or
 * false), report the problem inside the branch that got furthest, so the error names the
 * entry at fault (`dropout[1]`) rather than the whole option.
 */
function deepest(issue: Issue): Issue {
  if (issue.code !== 'invalid_union' || !Array.isArray(issue.errors)) return issue;
  let best: Issue = issue;
  for (const branch of issue.errors) {
    if (branch.length === 0) continue;
    const inner = deepest(branch[0]);
    const candidate = { ...inner, path: [...issue.path, ...inner.path] } as Issue;
    if (candidate.path.length > best.path.length) best = candidate;
  }
  return best;
}

function joinPath(context: string, path: string[]): string {
  let out = context;
  for (const p of path) out += /^\d+$/.test(p) ? `[${p}]` : out ? `.${p}` : p;
  return out;
}

function valueAt(input: unknown, path: string[]): unknown {
  let v: unknown = input;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[p];
  }
  return v;
}

function objectKeys(schema: z.ZodType, path: string[]): string[] {
  let s: unknown = schema;
  for (const p of path) {
    const shape = shapeOf(s);
    if (shape && p in shape) s = shape[p];
    else if (s instanceof z.ZodArray) s = s.element;
    else return [];
    s = unwrap(s);
  }
  const shape = shapeOf(unwrap(s));
  return shape ? Object.keys(shape) : [];
}

function unwrap(s: unknown): unknown {
  let cur = s;
  while (cur instanceof z.ZodOptional || cur instanceof z.ZodDefault || cur instanceof z.ZodNullable) {
    cur = (cur as z.ZodOptional<z.ZodType>).unwrap();
  }
  return cur;
}

function shapeOf(s: unknown): Record<string, z.ZodType> | null {
  const u = unwrap(s);
  return u instanceof z.ZodObject ? (u.shape as Record<string, z.ZodType>) : null;
}

/** Common leaves with the wording users see in errors. */
export const fields = {
  positiveInt: (what = 'a whole number >= 1') => z.number({ error: what }).int({ error: what }).min(1, { error: what }),
  probability: (what = 'a number in [0, 1)') => z.number({ error: what }).min(0, { error: what }).lt(1, { error: what }),
  nonNegative: (what = 'a finite number >= 0') => z.number({ error: what }).min(0, { error: what }).finite({ error: what }),
  positive: (what = 'a finite number > 0') => z.number({ error: what }).gt(0, { error: what }).finite({ error: what }),
};

/** How deeply the JSON mlplab reads may nest: its own files need fewer than 10 levels. */
export const MAX_JSON_DEPTH = 64;

/**
 * `JSON.parse`, refusing text nested deeper than `maxDepth` before parsing it: deep nesting is
 * no config mlplab writes, and walking it later (validation, error messages) would exhaust the
 * stack. Returns the value, or a problem in words (the caller names the file).
 */
export function parseJson(text: string, maxDepth = MAX_JSON_DEPTH): { value: unknown } | { problem: string } {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // a backslash escapes the next character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      if (++depth > maxDepth) return { problem: `nested more than ${maxDepth} levels deep (at character ${i}); no mlplab file nests so deep` };
    } else if (c === 93 || c === 125) depth--;
  }
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (e) {
    return { problem: `not valid JSON (${(e as Error).message.slice(0, 120)})` };
  }
}
