/**
 * The fitted table encoder: raw table cells (numbers, texts, blanks) in, the numbers a network
 * takes out. Numeric columns are imputed (median or mean of the training rows) with an optional
 * missing-indicator column and their piecewise-linear bins (`encodeBins`); yes/no columns
 * become one 0/1 column; categorical columns are one-hot encoded over the categories of the
 * training rows, rare ones folded into 'other'.
 * Fitted on the training rows only, saved in the model file as small JSON (bounded and checked
 * on load), and applied the same way to validation, test and new rows, matched by column name.
 */
import { z } from 'zod';
import { DataError } from '../../errors.js';
import { formatCount } from '../../format.js';
import { parseFileFields } from '../../validate.js';
import type { Dataset, FeatureRows } from '../dataset.js';
import { NULL_TOKENS, clip, float32Text, parseCellNumber } from './cells.js';
import { MAX_NUMERIC_BINS, type ColumnPlan, type TableOptions } from './plan.js';

export type EncodedColumn =
  | {
      name: string;
      role: 'numeric';
      impute: number;
      indicator: boolean;
      /** Bin edges (float32, increasing; quantiles of the training rows): one output column per bin after the value. */
      bins?: number[];
    }
  | { name: string; role: 'boolean'; yes: string; no: string; impute: 0 | 1; indicator: boolean }
  | {
      name: string;
      role: 'categorical';
      /** The categories with their own column, most frequent first. */
      categories: string[];
      /** A column for categories too rare in training (and for unseen ones). */
      other: boolean;
      /** The categories seen in training but folded into `other` (at most 10,000, the most frequent): not counted as unseen. */
      rare?: string[];
      /** A blank cell: its own column ('slot'), or the index of the category it is imputed as. */
      missing: 'slot' | number;
    };

/** The encoder as it is saved (the model file's `extras.table`). */
export interface TableMeta {
  format: 'mlplab-table';
  version: 1;
  /** Whether the columns are matched by name (the training table had a header) or by position. */
  named: boolean;
  /** Every feature column of the training table, in order (left-out ones included). */
  inputs: string[];
  /** The columns used, in the order of their output columns. */
  columns: EncodedColumn[];
  /** What a category unseen in training does at predict time. */
  unknown: 'other' | 'refuse';
  /** The label column's name in the training table, when it had a header (left out of new rows). */
  label: string | null;
}

/** What encoding some rows met: unseen categories, words in numeric columns, blanks filled. */
export interface EncodeCounts {
  /** Column -> rows whose category was not seen in training, with the first few values; `other`: they went to the column's 'other' (else to no category, all zeros). */
  unknown: Map<string, { rows: number; examples: string[]; other: boolean }>;
  /** Column -> blank (or unreadable) cells filled by imputation. */
  imputed: Map<string, number>;
  /** Columns of the rows the model does not use (matched by name): ignored. */
  ignored: string[];
}

const OTHER = '(other)';
/** The missing-value texts in lower case: blanks of a yes/no column in any case. */
const LOWER_BLANKS = new Set([...NULL_TOKENS].map((t) => t.toLowerCase()));
/** Rare categories a column remembers (so they are not counted as unseen). */
const MAX_RARE = 10_000;
const MISSING = '(missing)';

export class TableEncoder {
  readonly outputCols: number;

  constructor(readonly meta: TableMeta) {
    this.outputCols = meta.columns.reduce((n, c) => n + width(c), 0);
  }

  /** The name of each output column: `age`, `age (missing)`, `island=Biscoe`, `island=(other)`. */
  outputNames(): string[] {
    const out: string[] = [];
    for (const c of this.meta.columns) {
      if (c.role === 'numeric') {
        out.push(c.name);
        if (c.indicator) out.push(`${c.name} ${MISSING}`);
        for (let t = 1; t < (c.bins?.length ?? 0); t++) out.push(`${c.name} (bin ${t})`);
      } else if (c.role === 'boolean') {
        out.push(`${c.name}=${c.yes}`);
        if (c.indicator) out.push(`${c.name} ${MISSING}`);
      } else {
        for (const k of c.categories) out.push(`${c.name}=${k}`);
        if (c.other) out.push(`${c.name}=${OTHER}`);
        if (c.missing === 'slot') out.push(`${c.name}=${MISSING}`);
      }
    }
    return out;
  }

  /** Output columns that are 0/1 (one-hot, yes/no, indicators): scaling leaves them as they are. */
  zeroOne(): boolean[] {
    const out: boolean[] = [];
    for (const c of this.meta.columns) {
      if (c.role === 'numeric') {
        out.push(false);
        if (c.indicator) out.push(true);
        for (let t = 1; t < (c.bins?.length ?? 0); t++) out.push(false);
      } else for (let i = 0; i < width(c); i++) out.push(true);
    }
    return out;
  }

  /** Where each used column is in `d`: by name when both sides have names, else by position. */
  private locate(d: FeatureRows, source: string): number[] {
    const m = this.meta;
    const t = d.table;
    if (t && t.named && m.named) {
      const where = new Map(t.names.map((n, i) => [n, i]));
      const lacking = m.columns.filter((c) => !where.has(c.name)).map((c) => c.name);
      if (lacking.length) {
        const list = lacking.slice(0, 8).map((n) => JSON.stringify(n)).join(', ') + (lacking.length > 8 ? `, and ${lacking.length - 8} more` : '');
        throw new DataError(source, `has no column ${list}; the model was trained on the columns ${m.columns.map((c) => JSON.stringify(c.name)).join(', ')} (matched by name; other columns are ignored)`);
      }
      return m.columns.map((c) => where.get(c.name)!);
    }
    const width = t ? t.names.length : d.cols;
    if (width !== m.inputs.length) {
      throw new DataError(source, `rows have ${width} columns, but the model was trained on a table of ${m.inputs.length} feature columns (${m.inputs.slice(0, 6).join(', ')}${m.inputs.length > 6 ? ', ...' : ''}); give a table with a header row to match columns by name`);
    }
    return m.columns.map((c) => m.inputs.indexOf(c.name));
  }

  /** Encode rows of raw cells. Throws DataError for a missing column, or an unseen category under 'refuse'. */
  encode(d: FeatureRows, source = d.source ?? 'data'): { features: Float32Array; counts: EncodeCounts } {
    const at = this.locate(d, source);
    const { rows, cols, features } = d;
    const out = new Float32Array(rows * this.outputCols);
    const W = this.outputCols;
    const used = new Set(at);
    const ignored = d.table?.named && this.meta.named ? d.table.names.filter((_, i) => !used.has(i) && !this.meta.inputs.includes(d.table!.names[i])) : [];
    const counts: EncodeCounts = { unknown: new Map(), imputed: new Map(), ignored };
    let o = 0;
    this.meta.columns.forEach((col, j) => {
      const c = at[j];
      const kind = d.table?.kinds[c] ?? 'number';
      const dict = d.table?.dictionaries[c] ?? null;
      let imputed = 0;
      if (col.role === 'numeric') {
        const number = kind === 'text' ? dict!.map((s) => finiteOrNaN(parseCellNumber(s))) : null;
        for (let r = 0; r < rows; r++) {
          let v = features[r * cols + c];
          if (number) v = v >= 0 ? number[v] : NaN;
          const blank = v - v !== 0;
          if (blank) imputed++;
          out[r * W + o] = blank ? col.impute : v;
          if (col.indicator) out[r * W + o + 1] = blank ? 1 : 0;
          if (col.bins) encodeBins(col.bins, out[r * W + o], out, r * W + o + (col.indicator ? 2 : 1));
        }
      } else {
        // Each distinct cell (a dictionary code, or a number's spelling) is looked up once.
        const slotOf = col.role === 'boolean' ? booleanSlots(col) : categorySlots(col);
        const blankSlot = col.role === 'boolean' ? col.impute : col.missing === 'slot' ? col.categories.length + (col.other ? 1 : 0) : col.missing;
        const unknownSlot = col.role === 'categorical' && col.other ? col.categories.length : -1;
        const cache = new Map<number, number>();
        const unknown = { rows: 0, examples: [] as string[], other: unknownSlot >= 0 };
        for (let r = 0; r < rows; r++) {
          const v = features[r * cols + c];
          let slot: number;
          let blank = v !== v;
          if (blank) {
            slot = blankSlot;
            imputed++;
          } else {
            let s = cache.get(v);
            if (s === undefined) {
              const text = kind === 'text' ? (v >= 0 ? dict![v] : null) : float32Text(v);
              // A yes/no column compares in lower case, blanks too ("NONE", "n/A"), as its ONNX form does.
              const lower = col.role === 'boolean' && text !== null ? text.toLowerCase() : null;
              s = text === null ? -2 : (slotOf.get(lower ?? text) ?? (lower !== null && LOWER_BLANKS.has(lower) ? -3 : -2));
              if (s === -2 && unknown.examples.length < 5) unknown.examples.push(clip(text ?? '(a text beyond the cap)'));
              cache.set(v, s);
            }
            if (s === -3) {
              blank = true;
              slot = blankSlot;
              imputed++;
            } else if (s === -2) {
              unknown.rows++;
              if (this.meta.unknown === 'refuse') {
                throw new DataError(source, `row ${r}, column ${JSON.stringify(col.name)}: ${JSON.stringify(unknown.examples.at(-1))} is not a category the model was trained on (${describeCategories(col)}). help: unknownCategories 'other' maps it to ${col.role === 'categorical' && col.other ? "the 'other' column" : 'no category'}`);
              }
              slot = col.role === 'boolean' ? col.impute : unknownSlot;
            } else slot = s;
          }
          if (col.role === 'boolean') {
            out[r * W + o] = slot;
            if (col.indicator && blank) out[r * W + o + 1] = 1;
          } else if (slot >= 0) out[r * W + o + slot] = 1;
        }
        if (unknown.rows) counts.unknown.set(col.name, unknown);
      }
      if (imputed) counts.imputed.set(col.name, imputed);
      o += width(col);
    });
    return { features: out, counts };
  }

  /** The encoder's description for a model file: small JSON, checked again by `fromJSON`. */
  toJSON(): TableMeta {
    return this.meta;
  }

  /** Read an encoder back from a model file's JSON; every field is checked and bounded. Throws ModelFormatError naming `file`. */
  static fromJSON(json: unknown, file: string): TableEncoder {
    const m = parseFileFields(tableMetaSchema, json, file, 'table');
    return new TableEncoder(m as TableMeta);
  }
}

/** Output columns of one encoded column. */
export function width(c: EncodedColumn): number {
  if (c.role === 'numeric') return (c.indicator ? 2 : 1) + Math.max(0, (c.bins?.length ?? 0) - 1);
  if (c.role === 'boolean') return c.indicator ? 2 : 1;
  return c.categories.length + (c.other ? 1 : 0) + (c.missing === 'slot' ? 1 : 0);
}

const finiteOrNaN = (v: number | undefined) => (v !== undefined && Number.isFinite(v) ? v : NaN);

function booleanSlots(c: Extract<EncodedColumn, { role: 'boolean' }>): Map<string, number> {
  return new Map([[c.yes.toLowerCase(), 1], [c.no.toLowerCase(), 0]]);
}

function categorySlots(c: Extract<EncodedColumn, { role: 'categorical' }>): Map<string, number> {
  const slots = new Map(c.categories.map((k, i) => [k, i]));
  if (c.other) for (const k of c.rare ?? []) slots.set(k, c.categories.length);
  return slots;
}

function describeCategories(c: EncodedColumn): string {
  if (c.role === 'boolean') return `${JSON.stringify(c.yes)} or ${JSON.stringify(c.no)}`;
  if (c.role !== 'categorical') return 'numbers';
  const shown = c.categories.slice(0, 6).map((k) => JSON.stringify(clip(k))).join(', ');
  return c.categories.length > 6 ? `${shown}, and ${c.categories.length - 6} more` : shown;
}

/**
 * Fit the encoder on training rows `d` (raw cells) for the columns `plans` keeps. Categories
 * with fewer than `minCategoryCount` rows, and those beyond the `maxCategories` most frequent,
 * share the 'other' column.
 */
export function fitTableEncoder(d: Dataset, plans: ColumnPlan[], o: TableOptions, label: string | null): TableEncoder {
  const t = d.table!;
  const { rows, cols, features } = d;
  const columns: EncodedColumn[] = [];
  for (const p of plans) {
    if (p.role === 'ignored') continue;
    const c = p.index;
    const dict = t.dictionaries[c];
    const textOf = (v: number): string | null => (t.kinds[c] === 'text' ? (v >= 0 ? dict![v] : null) : float32Text(v));
    if (p.role === 'numeric') {
      const values: number[] = [];
      const number = t.kinds[c] === 'text' ? dict!.map((s) => finiteOrNaN(parseCellNumber(s))) : null;
      for (let r = 0; r < rows; r++) {
        let v = features[r * cols + c];
        if (number) v = v >= 0 ? number[v] : NaN;
        if (v - v === 0) values.push(v);
      }
      const sorted = Float64Array.from(values).sort();
      const impute = values.length === 0 ? 0 : o.imputeNumeric === 'mean' ? Math.fround(values.reduce((a, b) => a + b, 0) / values.length) : median(sorted);
      const bins = binEdges(sorted, o.numericBins);
      columns.push({ name: p.name, role: 'numeric', impute, indicator: o.missingIndicators && p.missing > 0, ...(bins ? { bins } : {}) });
      continue;
    }
    // Count each text of the training rows.
    const counts = new Map<string, number>();
    let blanks = 0;
    for (let r = 0; r < rows; r++) {
      const v = features[r * cols + c];
      if (v !== v) {
        blanks++;
        continue;
      }
      const text = textOf(v);
      if (text !== null) counts.set(text, (counts.get(text) ?? 0) + 1);
    }
    if (p.role === 'boolean') {
      let yes = 0, no = 0;
      for (const [text, n] of counts) {
        if (text.toLowerCase() === p.flag!.yes.toLowerCase()) yes += n;
        else no += n;
      }
      columns.push({ name: p.name, role: 'boolean', yes: p.flag!.yes, no: p.flag!.no, impute: yes > no ? 1 : 0, indicator: o.missingIndicators && p.missing > 0 });
      continue;
    }
    const ranked = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const kept = ranked.filter(([, n]) => n >= o.minCategoryCount).slice(0, o.maxCategories).map(([k]) => k);
    const keptSet = new Set(kept);
    const rare = ranked.filter(([k]) => !keptSet.has(k)).slice(0, MAX_RARE).map(([k]) => k);
    const other = rare.length > 0;
    // A blank gets its own column when the training file has blanks in this column (as numeric columns get their indicator).
    const missing: 'slot' | number = o.imputeCategorical === 'category' && (blanks > 0 || p.missing > 0) ? 'slot' : 0;
    if (kept.length === 0 && !other && missing !== 'slot') continue;
    columns.push({ name: p.name, role: 'categorical', categories: kept, other, ...(other ? { rare } : {}), missing: kept.length === 0 && missing !== 'slot' ? 'slot' : missing });
  }
  if (columns.length === 0) throw new DataError(d.source ?? 'data', 'has no column left to learn from once identifiers, constants and blank columns are left out (see the column table: mlplab data info)');
  return new TableEncoder({ format: 'mlplab-table', version: 1, named: t.named, inputs: t.names, columns, unknown: o.unknownCategories, label });
}

/** The median of sorted values, as float32 (the middle value, or the mean of the two middle ones). */
function median(s: Float64Array): number {
  const m = s.length >> 1;
  return Math.fround(s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2);
}

/** The q-quantile of sorted values as float32, between the two nearest ranks (numpy's default). */
function quantile(s: Float64Array, q: number): number {
  const at = q * (s.length - 1);
  const i = Math.floor(at);
  return Math.fround(i + 1 < s.length ? s[i] + (at - i) * (s[i + 1] - s[i]) : s[i]);
}

/**
 * Edges of up to `bins` bins holding equal shares of the training values (their quantiles,
 * float32, repeated ones merged); null when fewer than two bins remain (a column of one or two
 * values gains nothing from bins).
 */
function binEdges(sorted: Float64Array, bins: number): number[] | null {
  if (bins < 2 || sorted.length === 0) return null;
  const edges: number[] = [];
  for (let t = 0; t <= bins; t++) {
    const e = quantile(sorted, t / bins);
    if (edges.length === 0 || e > edges[edges.length - 1]) edges.push(e);
  }
  return edges.length >= 3 ? edges : null;
}

/**
 * A number's piecewise-linear encoding over bin edges b0 < b1 < ... < bT, written to
 * out[at .. at+T): bin t is (v - bt) / (bt+1 - bt), held to [0, 1], except that the first bin
 * goes on below 0 and the last above 1, so no value is cut off. A network reads a threshold
 * from it as easily as a tree does. Computed in float32, step by step as the ONNX graph does.
 */
export function encodeBins(edges: number[], v: number, out: Float32Array, at: number): void {
  const last = edges.length - 2;
  for (let t = 0; t <= last; t++) {
    let e = Math.fround(Math.fround(v - edges[t]) / Math.fround(edges[t + 1] - edges[t]));
    if (t > 0 && e < 0) e = 0;
    if (t < last && e > 1) e = 1;
    out[at + t] = e;
  }
}

/** One line about what an encoder makes of the columns, for the run's steps. */
export function describeEncoder(e: TableEncoder, plans: ColumnPlan[], rows: number, o: TableOptions): { summary: string; details: Record<string, unknown> } {
  const cols = e.meta.columns;
  const numeric = cols.filter((c) => c.role === 'numeric');
  const flags = cols.filter((c) => c.role === 'boolean');
  const cats = cols.filter((c): c is Extract<EncodedColumn, { role: 'categorical' }> => c.role === 'categorical');
  const indicators = cols.filter((c) => (c.role === 'numeric' || c.role === 'boolean') && c.indicator).length;
  const folded = cats.filter((c) => c.other).map((c) => c.name);
  const capped = cats.filter((c) => c.categories.length === o.maxCategories).map((c) => c.name);
  const parts = [`${numeric.length} numeric`];
  if (flags.length) parts.push(`${flags.length} yes/no`);
  if (cats.length) parts.push(`${cats.length} categorical one-hot encoded into ${formatCount(cats.reduce((n, c) => n + width(c), 0))} columns`);
  let summary = `Encoded ${cols.length} table columns into ${formatCount(e.outputCols)} features, fitted on the ${formatCount(rows)} training rows: ${parts.join(', ')}`;
  if (indicators) summary += `; ${indicators} missing-indicator columns`;
  const binned = numeric.filter((c) => c.bins);
  if (binned.length) summary += `; ${binned.length} numeric columns also as piecewise-linear bins between quantiles (${formatCount(binned.reduce((n, c) => n + c.bins!.length - 1, 0))} columns, up to ${o.numericBins} each)`;
  if (folded.length) summary += `; categories with fewer than ${o.minCategoryCount} rows${capped.length ? ` or beyond the ${o.maxCategories} most frequent` : ''} folded into 'other' in ${folded.map((n) => JSON.stringify(n)).join(', ')}`;
  const left = plans.filter((p) => p.role === 'ignored');
  if (left.length) summary += `; left out ${left.map((p) => `${JSON.stringify(p.name)} (${p.why})`).join(', ')}`;
  return { summary, details: { columns: cols.length, features: e.outputCols, numeric: numeric.length, binned: binned.length, boolean: flags.length, categorical: cats.length, indicators, folded, capped, ignored: left.map((p) => p.name) } };
}

const text = (what: string) => z.string({ error: what }).max(10_000, { error: `${what} of at most 10000 characters` });
const columnSchema = z.discriminatedUnion(
  'role',
  [
    z.strictObject({
      name: text('a column name'),
      role: z.literal('numeric'),
      impute: z.number({ error: 'a finite number' }).finite(),
      indicator: z.boolean(),
      bins: z
        .array(z.number({ error: 'a finite number' }).finite(), { error: 'a list of bin edges' })
        .min(3, { error: 'at least 3 bin edges' })
        .max(MAX_NUMERIC_BINS + 1, { error: `at most ${MAX_NUMERIC_BINS + 1} bin edges` })
        .refine((e) => e.every((x, i) => Math.fround(x) === x && (i === 0 || x > e[i - 1])), { error: 'increasing float32 bin edges' })
        .optional(),
    }),
    z.strictObject({ name: text('a column name'), role: z.literal('boolean'), yes: text('a text'), no: text('a text'), impute: z.union([z.literal(0), z.literal(1)]), indicator: z.boolean() }),
    z.strictObject({
      name: text('a column name'),
      role: z.literal('categorical'),
      categories: z.array(text('a category'), { error: 'a list of categories' }).max(10_000, { error: 'at most 10000 categories' }),
      other: z.boolean(),
      rare: z.array(text('a category'), { error: 'a list of categories' }).max(10_000, { error: 'at most 10000 rare categories' }).optional(),
      missing: z.union([z.literal('slot'), z.number().int().min(0)], { error: "'slot' or a category index" }),
    }).refine((c) => c.missing === 'slot' || c.missing < c.categories.length, { error: "missing: 'slot', or an index into categories (which then may not be empty)" }),
  ],
  { error: "a column: role 'numeric', 'boolean' or 'categorical'" },
);
const tableMetaSchema = z
  .strictObject({
    format: z.literal('mlplab-table', { error: '"mlplab-table"' }),
    version: z.literal(1, { error: '1' }),
    named: z.boolean({ error: 'true or false' }),
    inputs: z.array(text('a column name'), { error: 'a list of column names' }).min(1).max(100_000, { error: 'at most 100000 columns' }),
    columns: z.array(columnSchema, { error: 'a list of columns' }).min(1, { error: 'at least one column' }).max(100_000, { error: 'at most 100000 columns' }),
    unknown: z.enum(['other', 'refuse'], { error: "'other' or 'refuse'" }),
    label: text('the label column').nullable(),
  })
  .superRefine((m, ctx) => {
    const inputs = new Set(m.inputs);
    if (inputs.size !== m.inputs.length) ctx.addIssue({ code: 'custom', path: ['inputs'], message: 'distinct column names' });
    m.columns.forEach((c, i) => {
      if (!inputs.has(c.name)) ctx.addIssue({ code: 'custom', path: ['columns', i, 'name'], message: 'one of inputs' });
    });
    const total = m.columns.reduce((n, c) => n + width(c as EncodedColumn), 0);
    if (total > 1 << 20) ctx.addIssue({ code: 'custom', path: ['columns'], message: 'at most 1048576 output columns' });
  });
