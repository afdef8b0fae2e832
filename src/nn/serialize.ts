import { ModelFormatError } from '../errors.js';
import type { Backend } from '../tensor/backend.js';
import { resolveModelOptions } from './config.js';
import { Sequential } from './model.js';

/**
 * The saved-model format: one JSON document (never evaluated, only parsed).
 *
 * ```
 * { "format": "mlplab-model", "version": 1,
 *   "model":   the resolved ModelOptions (inputs, classes, hidden layers, ...),
 *   "extras":  caller data kept with the model: class names, the fitted pre-processing
 *              pipeline, training summary (plain JSON),
 *   "tensors": [{ "name", "shape": [rows, cols], "dtype": "float32", "data": base64 of the
 *                 little-endian IEEE-754 bytes }]   parameters, then batch-norm statistics,
 *   "checksum": "sha256:" + hex digest of the document serialised without this field }
 * ```
 * Floats travel as raw bytes, so a model loads back bit-identically.
 */
export const MODEL_FORMAT = 'mlplab-model';
export const MODEL_VERSION = 1;

export interface SavedTensor {
  name: string;
  shape: [number, number];
  dtype: 'float32';
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

/** Serialise a model (and caller extras such as class names) to the JSON text of the format. */
export async function modelToJSON(model: Sequential, extras: Record<string, unknown> = {}): Promise<string> {
  const tensors: SavedTensor[] = [
    ...model.params.map((p) => ({ name: p.name, value: p.value })),
    ...model.stateTensors(),
  ].map(({ name, value }) => ({ name, shape: [value.rows, value.cols], dtype: 'float32', data: encodeFloat32(value.data) }));
  const doc: SavedModel = { format: MODEL_FORMAT, version: MODEL_VERSION, model: model.options, extras, tensors };
  doc.checksum = await checksum(doc);
  return JSON.stringify(doc);
}

/**
 * Rebuild a model from the JSON text of the format. `file` names the source in errors.
 * Checks the format name, version, checksum, every tensor's name, shape and byte length.
 */
export async function modelFromJSON(
  text: string,
  file = 'model',
  backend?: Backend,
): Promise<{ model: Sequential; extras: Record<string, unknown> }> {
  let doc: SavedModel;
  try {
    doc = JSON.parse(text) as SavedModel;
  } catch (e) {
    throw new ModelFormatError(file, `not a mlplab model (not valid JSON: ${(e as Error).message})`);
  }
  if (doc === null || typeof doc !== 'object' || doc.format !== MODEL_FORMAT) {
    throw new ModelFormatError(file, `not a mlplab model (format field is ${JSON.stringify((doc as SavedModel | null)?.format)}, expected "${MODEL_FORMAT}")`);
  }
  if (doc.version !== MODEL_VERSION) {
    throw new ModelFormatError(file, `model format version ${JSON.stringify(doc.version)} is not supported; this mlplab reads version ${MODEL_VERSION}`);
  }
  const { checksum: stored, ...rest } = doc;
  const expected = await checksum(rest as SavedModel);
  if (stored !== expected) {
    throw new ModelFormatError(file, 'checksum mismatch: the file is corrupted or was edited after saving');
  }
  let options;
  try {
    options = resolveModelOptions(doc.model, 'model');
  } catch (e) {
    throw new ModelFormatError(file, `invalid model description: ${(e as Error).message}`);
  }
  const model = Sequential.create(options, { backend });
  const targets = [...model.params.map((p) => ({ name: p.name, value: p.value })), ...model.stateTensors()];
  if (!Array.isArray(doc.tensors) || doc.tensors.length !== targets.length) {
    model.dispose();
    throw new ModelFormatError(file, `expected ${targets.length} tensors for this architecture, found ${Array.isArray(doc.tensors) ? doc.tensors.length : 'none'}`);
  }
  targets.forEach((t, i) => {
    const s = doc.tensors[i];
    const ok = s && s.name === t.name && s.dtype === 'float32' && Array.isArray(s.shape) && s.shape[0] === t.value.rows && s.shape[1] === t.value.cols;
    if (!ok) {
      model.dispose();
      throw new ModelFormatError(file, `tensor ${i} should be ${t.name} of shape [${t.value.rows}, ${t.value.cols}] float32, found ${JSON.stringify({ name: s?.name, shape: s?.shape, dtype: s?.dtype })}`);
    }
    try {
      t.value.data.set(decodeFloat32(s.data, t.value.size, file, t.name));
    } catch (e) {
      model.dispose();
      throw e;
    }
  });
  return { model, extras: doc.extras && typeof doc.extras === 'object' ? doc.extras : {} };
}

async function checksum(doc: SavedModel): Promise<string> {
  const bytes = new TextEncoder().encode(JSON.stringify({ ...doc, checksum: undefined }));
  const digest = await globalThis.crypto.subtle.digest('SHA-256', bytes);
  return 'sha256:' + [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function encodeFloat32(values: Float32Array): string {
  const copy = new Float32Array(values);
  const bytes = new Uint8Array(copy.buffer);
  if (!littleEndian) swap4(bytes);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function decodeFloat32(text: unknown, count: number, file: string, name: string): Float32Array {
  if (typeof text !== 'string') throw new ModelFormatError(file, `tensor ${name}: data is not a base64 string`);
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    throw new ModelFormatError(file, `tensor ${name}: data is not valid base64`);
  }
  if (binary.length !== count * 4) {
    throw new ModelFormatError(file, `tensor ${name}: ${binary.length} bytes of data, expected ${count * 4}`);
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  if (!littleEndian) swap4(bytes);
  return new Float32Array(bytes.buffer);
}

function swap4(b: Uint8Array): void {
  for (let i = 0; i < b.length; i += 4) {
    [b[i], b[i + 1], b[i + 2], b[i + 3]] = [b[i + 3], b[i + 2], b[i + 1], b[i]];
  }
}
