/**
 * The table part of an exported ONNX graph: raw table cells in, the numbers the pre-processing
 * and network take out, computed as `TableEncoder.encode` computes them. Browser-safe.
 *
 * One graph input per column the model uses (`meta.columns`, in that order; left-out columns
 * are not inputs), each [batch, 1], named after the column: a name that is a C identifier
 * (letters, digits, `_`, not starting with a digit) is kept, others have each run of other
 * characters turned into `_` (`bill length (mm)` -> `bill_length_mm`, `2nd` -> `_2nd`), and a
 * name already taken (by another column or an output) gets `_2`, `_3`, ... The column's own
 * name is in the input's doc_string and in the metadata list `mlplab.inputs`.
 *
 * - numeric column: float32. NaN (or an infinity) is a blank: IsNaN, IsInf, Or, then Where
 *   puts the imputed value in; the missing indicator, when the column has one, is the blank
 *   mask cast to float32; its piecewise-linear bins, when it has them, follow (see `bins`).
 * - yes/no column: string. StringNormalizer lower-cases the texts, then an `ai.onnx.ml`
 *   LabelEncoder maps the yes text to 1, the no text to 0 and anything else (a blank, an
 *   unseen word) to the imputed value; the indicator is a second LabelEncoder, 1 for the blank
 *   texts below.
 * - categorical column: string. A LabelEncoder maps each category (exact text) to its index,
 *   the blank texts to the blank's slot (the `(missing)` column, or the category blanks are
 *   imputed as), and any other text to the `(other)` column, or to no column when there is
 *   none; Equal against 0 .. width-1 and Cast give the one-hot columns.
 *
 * The graph cannot refuse a row, so a model saved with `unknownCategories: 'refuse'` treats an
 * unseen category as 'other' does. Nor does it trim texts or re-spell numbers: a string input
 * must hold the category as mlplab keeps it (trimmed; a number in its shortest float32
 * spelling, "7" and not "007" or "7.0"). The blank texts are ONNX_BLANK_TEXTS.
 */
import onnxProto from 'onnx-proto';
import { float32Text, NULL_TOKENS } from '../data/table/cells.js';
import { width, type EncodedColumn, type TableEncoder } from '../data/table/encoder.js';

const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const ATTR = onnx.AttributeProto.AttributeType;

/** The domain of LabelEncoder, and the version of it the graphs import (LabelEncoder-2). */
export const ONNX_ML_DOMAIN = 'ai.onnx.ml';
export const ONNX_ML_OPSET = 3;

/** Where a graph's nodes and initialisers go (the exporter's graph builder). */
export interface GraphSink {
  node(opType: string, inputs: string[], attributes?: onnxProto.onnx.IAttributeProto[], output?: string, domain?: string): string;
  constant(name: string, dims: number[], data: Float32Array | Float64Array | BigInt64Array): string;
}

/** One graph input of a table model. */
export interface OnnxTableInput {
  /** The column's name in the table. */
  name: string;
  /** The graph input's name. */
  onnxInput: string;
  /** Element type of the [batch, 1] input. */
  type: 'float32' | 'string';
  role: EncodedColumn['role'];
}

/**
 * Texts a string input reads as a blank cell: exactly mlplab's missing-value texts
 * (NULL_TOKENS: pandas' default list and "?"). A yes/no input is lower-cased first, so there
 * the lower-case forms of them are blanks too.
 */
export const ONNX_BLANK_TEXTS: readonly string[] = [...NULL_TOKENS];

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The graph inputs of a table model, in the order of its columns; none takes a name in `reserved`. */
export function onnxTableInputs(table: TableEncoder, reserved: Iterable<string> = []): OnnxTableInput[] {
  const taken = new Set(reserved);
  const names: (string | null)[] = table.meta.columns.map((c) => (IDENTIFIER.test(c.name) && !taken.has(c.name) ? c.name : null));
  for (const n of names) if (n !== null) taken.add(n);
  return table.meta.columns.map((c, j) => {
    let onnxInput = names[j];
    if (onnxInput === null) {
      let base = c.name.replace(/[^A-Za-z0-9_]+/g, '_');
      if (base !== c.name) base = base.replace(/^_+|_+$/g, '');
      if (base === '') base = 'column';
      if (/^[0-9]/.test(base)) base = `_${base}`;
      onnxInput = base;
      for (let k = 2; taken.has(onnxInput); k++) onnxInput = `${base}_${k}`;
      taken.add(onnxInput);
    }
    return { name: c.name, onnxInput, type: c.role === 'numeric' ? 'float32' : 'string', role: c.role };
  });
}

const quoted = (texts: string[], most = 6) => texts.slice(0, most).map((t) => JSON.stringify(t)).join(', ') + (texts.length > most ? `, and ${texts.length - most} more` : '');

/** What a table input takes, in words (the input's doc_string, and `mlplab export`'s listing). */
export function describeOnnxInput(c: EncodedColumn): string {
  if (c.role === 'numeric') return `numbers; NaN for a blank (imputed as ${float32Text(c.impute)})${c.indicator ? ', with a missing indicator' : ''}${c.bins ? `, and ${c.bins.length - 1} piecewise-linear bins` : ''}`;
  if (c.role === 'boolean') return `yes/no: ${JSON.stringify(c.yes)} is 1, ${JSON.stringify(c.no)} is 0 (any case); a blank or other text is ${c.impute}${c.indicator ? ', with a missing indicator' : ''}`;
  const blank = c.missing === 'slot' ? 'its own (missing) column' : `category ${JSON.stringify(c.categories[c.missing] ?? '(other)')}`;
  return `categories, exact text: ${c.categories.length ? quoted(c.categories) : 'none kept'}; another text goes to ${c.other ? 'the (other) column' : 'no column (all zeros)'}; a blank text to ${blank}`;
}

const ints = (name: string, v: number[]): onnxProto.onnx.IAttributeProto => ({ name, type: ATTR.INTS, ints: v });
const floats = (name: string, v: number[]): onnxProto.onnx.IAttributeProto => ({ name, type: ATTR.FLOATS, floats: v });
const utf8 = new TextEncoder();
const strings = (name: string, v: string[]): onnxProto.onnx.IAttributeProto => ({ name, type: ATTR.STRINGS, strings: v.map((s) => utf8.encode(s)) });

/** A LabelEncoder node from a text -> value map (keys in insertion order). */
function labelEncoder(g: GraphSink, input: string, map: Map<string, number>, fallback: number, to: 'int64' | 'float'): string {
  const attributes =
    to === 'int64'
      ? [strings('keys_strings', [...map.keys()]), ints('values_int64s', [...map.values()]), { name: 'default_int64', type: ATTR.INT, i: fallback }]
      : [strings('keys_strings', [...map.keys()]), floats('values_floats', [...map.values()]), { name: 'default_float', type: ATTR.FLOAT, f: fallback }];
  return g.node('LabelEncoder', [input], attributes, undefined, ONNX_ML_DOMAIN);
}

/**
 * A numeric column's piecewise-linear bins, as `encodeBins` computes them: Sub the lower edges
 * and Div by the widths ([batch, 1] against [T], float32), then Max and Min against each bin's
 * bounds (the first bin unbounded below, the last above).
 */
function bins(g: GraphSink, value: string, edges: number[], prefix: string): string {
  const T = edges.length - 1;
  const lower = Float32Array.from({ length: T }, (_, t) => edges[t]);
  const widths = Float32Array.from({ length: T }, (_, t) => Math.fround(edges[t + 1] - edges[t]));
  const floor = Float32Array.from({ length: T }, (_, t) => (t === 0 ? -Infinity : 0));
  const ceiling = Float32Array.from({ length: T }, (_, t) => (t === T - 1 ? Infinity : 1));
  const scaled = g.node('Div', [g.node('Sub', [value, g.constant(`${prefix}.bin_lower`, [T], lower)]), g.constant(`${prefix}.bin_width`, [T], widths)]);
  return g.node('Min', [g.node('Max', [scaled, g.constant(`${prefix}.bin_floor`, [T], floor)]), g.constant(`${prefix}.bin_ceiling`, [T], ceiling)]);
}

/**
 * The table encoder's nodes, from the inputs `onnxTableInputs` gave; returns the name of the
 * float32 [batch, outputCols] tensor, the encoder's output.
 */
export function addTable(g: GraphSink, table: TableEncoder, inputs: OnnxTableInput[]): string {
  const parts: string[] = [];
  let flat: string | null = null, column: string | null = null;
  const reshape = (x: string, to: 'flat' | 'column') => {
    if (to === 'flat') flat ??= g.constant('table.shape_flat', [1], BigInt64Array.of(-1n));
    else column ??= g.constant('table.shape_column', [2], BigInt64Array.of(-1n, 1n));
    return g.node('Reshape', [x, to === 'flat' ? flat! : column!]);
  };
  table.meta.columns.forEach((c, j) => {
    const x = inputs[j].onnxInput;
    const prefix = `table.${x}`;
    if (c.role === 'numeric') {
      const blank = g.node('Or', [g.node('IsNaN', [x]), g.node('IsInf', [x])]);
      const value = g.node('Where', [blank, g.constant(`${prefix}.impute`, [], Float32Array.of(c.impute)), x]);
      parts.push(value);
      if (c.indicator) parts.push(g.node('Cast', [blank], [{ name: 'to', type: ATTR.INT, i: FLOAT }]));
      if (c.bins) parts.push(bins(g, value, c.bins, prefix));
    } else if (c.role === 'boolean') {
      // StringNormalizer takes [C] (or [1, C]): the column is flattened, then shaped back.
      const lower = g.node('StringNormalizer', [reshape(x, 'flat')], [{ name: 'case_change_action', type: ATTR.STRING, s: utf8.encode('LOWER') }]);
      const flag = new Map([[c.yes.toLowerCase(), 1]]);
      flag.set(c.no.toLowerCase(), 0);
      parts.push(reshape(labelEncoder(g, lower, flag, c.impute, 'float'), 'column'));
      if (c.indicator) parts.push(reshape(labelEncoder(g, lower, new Map([...NULL_TOKENS].map((t) => [t.toLowerCase(), 1])), 0, 'float'), 'column'));
    } else {
      const w = width(c);
      if (w === 0) return;
      const blankSlot = c.missing === 'slot' ? c.categories.length + (c.other ? 1 : 0) : c.missing;
      // A blank text is a blank before it is a category, as in mlplab; a repeated category keeps its last index.
      const slots = new Map(ONNX_BLANK_TEXTS.map((t) => [t, blankSlot]));
      const blanks = new Set(ONNX_BLANK_TEXTS);
      c.categories.forEach((k, i) => {
        if (!blanks.has(k)) slots.set(k, i);
      });
      const code = labelEncoder(g, x, slots, c.other ? c.categories.length : -1, 'int64');
      const range = g.constant(`${prefix}.slots`, [w], BigInt64Array.from({ length: w }, (_, i) => BigInt(i)));
      parts.push(g.node('Cast', [g.node('Equal', [code, range])], [{ name: 'to', type: ATTR.INT, i: FLOAT }]));
    }
  });
  return g.node('Concat', parts, [{ name: 'axis', type: ATTR.INT, i: 1 }]);
}
