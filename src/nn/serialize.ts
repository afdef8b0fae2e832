import { z } from 'zod';
import { ConfigError, ModelFormatError } from '../errors.js';
import type { Backend } from '../tensor/backend.js';
import { parseFileFields, parseJson } from '../validate.js';
import { formatBytes } from '../format.js';
import { resolveModelOptions } from './config.js';
import { Sequential, type TensorShape } from './model.js';

/**
 * The saved-model format: one JSON document (never evaluated, only parsed).
 *
 * ```
 * { "format": "mlplab-model", "version": 2,
 *   "model":   the resolved ModelOptions (inputs, classes, hidden layers, ...),
 *   "extras":  caller data kept with the model (plain JSON): class names, a description of
 *              the fitted pre-processing, training summary,
 *   "tensors": [{ "name", "shape": [n, ...], "dtype": "float32" | "float64", "data": base64 of
 *                 the little-endian IEEE-754 bytes }]
 *              the network's parameters, then its batch-norm statistics (all float32,
 *              [rows, cols]), then the caller's extra tensors (such as the pre-processing's
 *              PCA components) in the caller's order,
 *   "checksum": "sha256:" + hex digest of the document serialised without this field }
 * ```
 * Floats travel as raw bytes, so a model loads back bit-identically.
 *
 * Version 1 is the same document without extra tensors (only float32 network tensors); callers
 * kept large arrays as JSON numbers in `extras` (2.2 MB for a PCA 784 -> 128 pipeline, against
 * about 0.56 MB as base64 tensors). Version 1 files still load: the difference is only where
 * the caller's data sits, so reading them costs one branch here, and `decodeModelFile`
 * (src/run/model-file.ts) turns a version-1 pipeline into the same result as a version-2 one.
 */
export const MODEL_FORMAT = 'mlplab-model';
export const MODEL_VERSION = 2;

/** A named array of floats carried in a model file beside the network (row-major `shape`). */
export interface NamedTensor {
  name: string;
  shape: number[];
  /** float32 or float64 values; the array type is the dtype written to the file. */
  data: Float32Array | Float64Array;
}

export type SavedDtype = 'float32' | 'float64';

export interface SavedTensor {
  name: string;
  shape: number[];
  dtype: SavedDtype;
  data: string;
}

export interface SavedModel {
  format: string;
  version: number;
  model: unknown;
  extras: Record<string, unknown>;
  tensors: SavedTensor[];
  checksum?: string;
}

const BYTES: Record<SavedDtype, number> = { float32: 4, float64: 8 };

/**
 * Serialise a model, caller extras (plain JSON such as class names) and extra named tensors to
 * the JSON text of the format. Extra tensor names must be unique and differ from the network's.
 */
export async function modelToJSON(model: Sequential, extras: Record<string, unknown> = {}, extraTensors: NamedTensor[] = []): Promise<string> {
  const network = networkTensors(model);
  const names = new Set(network.map((t) => t.name));
  for (const t of extraTensors) {
    if (names.has(t.name)) throw new RangeError(`modelToJSON: extra tensor name ${JSON.stringify(t.name)} is used twice or by the network`);
    names.add(t.name);
    if (!(t.data instanceof Float32Array || t.data instanceof Float64Array)) throw new TypeError(`modelToJSON: tensor ${t.name}: data must be a Float32Array or Float64Array`);
    if (t.shape.length < 1 || t.shape.length > 8 || !t.shape.every((n) => Number.isInteger(n) && n >= 0) || product(t.shape) !== t.data.length) {
      throw new RangeError(`modelToJSON: tensor ${t.name}: shape [${t.shape.join(', ')}] does not hold ${t.data.length} values`);
    }
  }
  const tensors: SavedTensor[] = [
    ...network.map(({ name, value }) => ({ name, shape: [value.rows, value.cols], dtype: 'float32' as const, data: encodeFloats(value.data) })),
    ...extraTensors.map(({ name, shape, data }) => ({ name, shape: [...shape], dtype: dtypeOf(data), data: encodeFloats(data) })),
  ];
  const doc: SavedModel = { format: MODEL_FORMAT, version: MODEL_VERSION, model: model.options, extras, tensors };
  doc.checksum = await checksum(doc);
  return JSON.stringify(doc);
}

const header = z.object({
  format: z.literal(MODEL_FORMAT, { error: `"${MODEL_FORMAT}" (this is not a mlplab model file)` }),
  version: z.union([z.literal(1), z.literal(2)], {
    error: `1 or ${MODEL_VERSION} (the model format versions this mlplab reads)`,
  }),
});

const dimension = 'a list of whole numbers >= 0 (the size of each dimension)';
const savedTensor = z.strictObject(
  {
    name: z.string({ error: 'a tensor name' }).min(1, { error: 'a tensor name' }),
    shape: z
      .array(z.number({ error: dimension }).int({ error: dimension }).min(0, { error: dimension }).max(2 ** 31, { error: dimension }), { error: dimension })
      .min(1, { error: 'at least one dimension' })
      .max(8, { error: 'at most 8 dimensions' }),
    dtype: z.enum(['float32', 'float64'], { error: '"float32" or "float64"' }),
    data: z.string({ error: 'base64 text' }),
  },
  { error: 'a tensor: { name, shape, dtype, data }' },
);

const document = z.strictObject({
  format: z.string(),
  version: z.number(),
  model: z.unknown(),
  // Kept as parsed (not rebuilt by zod), so keys such as "__proto__" stay plain own keys.
  extras: z.custom<Record<string, unknown>>((v) => v !== null && typeof v === 'object' && !Array.isArray(v), { error: 'an object of caller data' }),
  tensors: z.array(savedTensor, { error: 'a list of tensors' }),
  checksum: z.string({ error: '"sha256:" and 64 hex digits' }).regex(/^sha256:[0-9a-f]{64}$/, { error: '"sha256:" and 64 hex digits' }),
});

/** Largest model file read by default: far above any model mlplab trains (the study's final model is 0.7 MB). */
export const MAX_MODEL_FILE_BYTES = 256e6;

/** Options of {@link modelFromJSON}. */
export interface ModelReadOptions {
  backend?: Backend;
  /** Refuse a longer text before parsing it. Default MAX_MODEL_FILE_BYTES. */
  maxBytes?: number;
}

/**
 * Rebuild a model from the JSON text of the format (version 1 or 2). `file` names the source
 * in errors. Checks, in order: the text's size, the JSON, the format name and version, the
 * document's fields, the model description (every dimension bounded), then every tensor's
 * name, shape, dtype and byte count against the architecture (and the extra tensors' byte
 * counts against their shapes), then the checksum: all before anything is allocated for the
 * network. Then it decodes the tensors and refuses a non-finite value by tensor name.
 * `tensors` holds the extra (non-network) tensors by name; `version` is the file's format version.
 */
export async function modelFromJSON(
  text: string,
  file = 'model',
  read: Backend | ModelReadOptions = {},
): Promise<{ model: Sequential; extras: Record<string, unknown>; tensors: Map<string, NamedTensor>; version: number }> {
  const o: ModelReadOptions = isBackend(read) ? { backend: read } : read;
  const maxBytes = o.maxBytes ?? MAX_MODEL_FILE_BYTES;
  if (text.length > maxBytes) {
    throw new ModelFormatError(file, `is ${formatBytes(text.length)}, larger than the ${formatBytes(maxBytes)} a model file may take; raise the limit (--max-model-size) if the file is trusted`);
  }
  const parsed = parseJson(text);
  if ('problem' in parsed) throw new ModelFormatError(file, `not a mlplab model (${parsed.problem})`);
  const raw = parsed.value;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ModelFormatError(file, `not a mlplab model (expected a JSON object, got ${raw === null ? 'null' : Array.isArray(raw) ? 'an array' : typeof raw})`);
  }
  const { version } = parseFileFields(header, raw, file);
  const doc = parseFileFields(document, raw, file) as SavedModel;
  let options;
  let shapes: TensorShape[];
  try {
    options = resolveModelOptions(doc.model, 'model');
    shapes = Sequential.tensorShapes(options);
  } catch (e) {
    if (e instanceof ConfigError) throw new ModelFormatError(file, `invalid model description: ${e.message}`);
    throw e;
  }
  const extra = checkTensors(doc.tensors, shapes, version, file);
  const { checksum: stored, ...rest } = raw as SavedModel;
  if (stored !== (await checksum(rest))) {
    throw new ModelFormatError(file, 'checksum: does not match the document: the file is corrupted or was edited after saving');
  }
  let model: Sequential;
  try {
    model = Sequential.create(options, { backend: o.backend });
  } catch (e) {
    if (e instanceof ConfigError) throw new ModelFormatError(file, `invalid model description: ${e.message}`);
    throw e;
  }
  try {
    const network = networkTensors(model);
    network.forEach((t, i) => t.value.data.set(finite(decodeFloats(doc.tensors[i], i, file), doc.tensors[i], i, file)));
    const tensors = new Map<string, NamedTensor>();
    for (const i of extra) {
      const s = doc.tensors[i];
      tensors.set(s.name, { name: s.name, shape: s.shape, data: finite(decodeFloats(s, i, file), s, i, file) });
    }
    return { model, extras: doc.extras, tensors, version };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

function isBackend(x: Backend | ModelReadOptions): x is Backend {
  return typeof (x as Backend).alloc === 'function';
}

/** Refuse a tensor holding NaN or an infinity, by name: a model file holds finite numbers only. */
function finite<T extends Float32Array | Float64Array>(data: T, s: SavedTensor, i: number, file: string): T {
  for (let j = 0; j < data.length; j++) {
    if (!Number.isFinite(data[j])) {
      throw new ModelFormatError(file, `tensors[${i}] (${s.name}): value ${j} is ${data[j]}; a model file holds finite numbers only (the model was saved after training diverged, or the file was edited)`);
    }
  }
  return data;
}

/**
 * Check names, shapes, dtypes and byte counts of all saved tensors without decoding any:
 * the network's come first, in order; the rest are extra tensors (none in version 1), with
 * unique names. Returns the indices of the extra tensors.
 */
function checkTensors(saved: SavedTensor[], network: TensorShape[], version: number, file: string): number[] {
  const fail = (problem: string): never => {
    throw new ModelFormatError(file, problem);
  };
  if (saved.length < network.length || (version === 1 && saved.length !== network.length)) {
    fail(`tensors: ${saved.length} entries, expected the ${network.length} tensors of this architecture${version === 1 ? '' : ' (then any extra tensors)'}`);
  }
  const names = new Set<string>();
  network.forEach((t, i) => {
    const s = saved[i];
    if (s.name !== t.name || s.dtype !== 'float32' || s.shape.length !== 2 || s.shape[0] !== t.rows || s.shape[1] !== t.cols) {
      fail(
        `tensors[${i}]: should be ${t.name} of shape [${t.rows}, ${t.cols}] float32, ` +
          `found ${JSON.stringify({ name: s.name, shape: s.shape, dtype: s.dtype })}`,
      );
    }
    checkByteCount(s, i, file);
    names.add(s.name);
  });
  const extra: number[] = [];
  for (let i = network.length; i < saved.length; i++) {
    const s = saved[i];
    if (names.has(s.name)) fail(`tensors[${i}].name: ${JSON.stringify(s.name)} is used by an earlier tensor`);
    names.add(s.name);
    checkByteCount(s, i, file);
    extra.push(i);
  }
  return extra;
}

/** The byte count the base64 text encodes must match shape x dtype size. */
function checkByteCount(s: SavedTensor, i: number, file: string): void {
  const text = s.data;
  const bytes = text.length % 4 === 0 ? (text.length / 4) * 3 - (text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0) : NaN;
  const expected = product(s.shape) * BYTES[s.dtype];
  // The length is compared before the text is scanned, so a wrong size costs nothing to refuse.
  if (Number.isFinite(bytes) && bytes !== expected) {
    throw new ModelFormatError(file, `tensors[${i}].data: ${bytes} bytes, expected ${expected} for tensor ${s.name} of shape [${s.shape.join(', ')}] ${s.dtype}`);
  }
  if (!Number.isFinite(bytes) || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    throw new ModelFormatError(file, `tensors[${i}].data: not valid base64 (tensor ${s.name})`);
  }
}

/** The network's tensors in file order: parameters in layer order, then batch-norm statistics. */
function networkTensors(model: Sequential) {
  return [...model.params.map((p) => ({ name: p.name, value: p.value })), ...model.stateTensors()];
}

function product(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function dtypeOf(data: Float32Array | Float64Array): SavedDtype {
  return data instanceof Float64Array ? 'float64' : 'float32';
}

async function checksum(doc: Omit<SavedModel, 'checksum'> | SavedModel): Promise<string> {
  const bytes = new TextEncoder().encode(JSON.stringify({ ...doc, checksum: undefined }));
  const digest = await globalThis.crypto.subtle.digest('SHA-256', bytes);
  return 'sha256:' + [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function encodeFloats(values: Float32Array | Float64Array): string {
  const copy = values instanceof Float64Array ? new Float64Array(values) : new Float32Array(values);
  const bytes = new Uint8Array(copy.buffer);
  if (!littleEndian) swapBytes(bytes, copy.BYTES_PER_ELEMENT);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** Decode a tensor whose byte count `checkByteCount` has accepted. */
function decodeFloats(s: SavedTensor, i: number, file: string): Float32Array | Float64Array {
  let binary: string;
  try {
    binary = atob(s.data);
  } catch {
    throw new ModelFormatError(file, `tensors[${i}].data: not valid base64 (tensor ${s.name})`);
  }
  const bytes = new Uint8Array(binary.length);
  for (let j = 0; j < binary.length; j++) bytes[j] = binary.charCodeAt(j);
  if (!littleEndian) swapBytes(bytes, BYTES[s.dtype]);
  return s.dtype === 'float64' ? new Float64Array(bytes.buffer) : new Float32Array(bytes.buffer);
}

function swapBytes(b: Uint8Array, width: number): void {
  for (let i = 0; i < b.length; i += width) b.subarray(i, i + width).reverse();
}
