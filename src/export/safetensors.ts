/**
 * The safetensors format (what `safetensors.torch.save_file` writes), read from and written to
 * bytes. Browser-safe. A file is an 8-byte little-endian header length N, N bytes of JSON
 * `{ "<name>": { "dtype": "F32", "shape": [64, 128], "data_offsets": [begin, end] }, ...,
 * "__metadata__": { "<key>": "<text>" } }`, then the tensors' little-endian bytes, with offsets
 * counted from the end of the header. Nothing in the file is executed: the header is parsed as
 * JSON and every size and offset is checked against the bytes before any value is read.
 */
import { z } from 'zod';
import { ModelFormatError } from '../errors.js';
import { parseFileFields, parseJson } from '../validate.js';

/** Bytes per element of every dtype the format names. */
const DTYPE_BYTES: Record<string, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, F8_E4M3: 1, F8_E5M2: 1,
  I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1,
};
const INTEGER_DTYPES = new Set(['I64', 'I32', 'I16', 'I8', 'U64', 'U32', 'U16', 'U8', 'BOOL']);

/**
 * The header may not be larger than this, nor list more tensors: the state dict of an MLP (a
 * few tensors per layer, at most 64 layers) needs a few kilobytes. Larger headers are refused
 * before they are parsed, so a hostile one cannot take memory.
 */
export const MAX_SAFETENSORS_HEADER = 16_000_000;
export const MAX_SAFETENSORS_TENSORS = 4096;

/** One tensor of a state dict, as read from a safetensors or .npz file. */
export interface WeightTensor {
  name: string;
  /** The file's element type, in safetensors' spelling (F32, F64, I64, ...). */
  dtype: string;
  shape: number[];
  /** The values of a float tensor; null for integer and boolean tensors (counters such as num_batches_tracked). */
  data: Float32Array | Float64Array | null;
}

/** A tensor to write: float32, float64, or int64 (BigInt64Array, for num_batches_tracked). */
export interface TensorToWrite {
  name: string;
  shape: number[];
  data: Float32Array | Float64Array | BigInt64Array;
}

const dimension = 'a whole number >= 0';
const byteOffset = 'a byte offset, a whole number >= 0';
const offsetSchema = z.number({ error: byteOffset }).int({ error: byteOffset }).min(0, { error: byteOffset });
const entrySchema = z.strictObject(
  {
    dtype: z.string({ error: 'a dtype name such as "F32"' }),
    shape: z.array(z.number({ error: dimension }).int({ error: dimension }).min(0, { error: dimension }).max(2 ** 40, { error: dimension }), { error: 'a list of dimensions' }).max(8, { error: 'at most 8 dimensions' }),
    data_offsets: z.tuple([offsetSchema, offsetSchema], { error: 'a pair [begin, end] of byte offsets' }),
  },
  { error: 'a tensor entry { dtype, shape, data_offsets }' },
);
const metadataSchema = z.record(z.string(), z.string({ error: 'text (metadata values are strings)' }), { error: 'an object of text values' });

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Read a safetensors file. Refuses, with a ModelFormatError naming `file`: fewer than 8 bytes,
 * a header length beyond the file or over MAX_SAFETENSORS_HEADER, a header that is not a JSON
 * object of tensor entries, a dtype it does not know or a float dtype other than F32/F64 (F16,
 * BF16, F8), a byte range that does not hold shape x dtype bytes, and tensors that overlap,
 * leave gaps or do not cover the data exactly. Returns the tensors in the order of their data
 * and the metadata.
 */
export function parseSafetensors(bytes: Uint8Array, file: string): { tensors: Map<string, WeightTensor>; metadata: Record<string, string> } {
  const { entries, metadata, dataStart } = readHeader(bytes, bytes.length, file);
  const tensors = new Map<string, WeightTensor>();
  for (const e of entries) {
    // A copy (Node's Buffer.slice would be a view into a shared pool), aligned for the typed array.
    const raw = new Uint8Array(bytes.subarray(dataStart + e.begin, dataStart + e.end));
    let data: Float32Array | Float64Array | null = null;
    if (e.dtype === 'F32' || e.dtype === 'F64') {
      const width = e.dtype === 'F64' ? 8 : 4;
      if (!littleEndian) for (let i = 0; i < raw.length; i += width) raw.subarray(i, i + width).reverse();
      data = e.dtype === 'F64' ? new Float64Array(raw.buffer) : new Float32Array(raw.buffer);
    }
    tensors.set(e.name, { name: e.name, dtype: e.dtype, shape: e.shape, data });
  }
  return { tensors, metadata };
}

/** The header length a safetensors file's first 8 bytes declare (little-endian), or null for fewer bytes. */
export function safetensorsHeaderLength(first: Uint8Array): number | null {
  if (first.length < 8) return null;
  const view = new DataView(first.buffer, first.byteOffset, 8);
  return view.getUint32(4, true) * 2 ** 32 + view.getUint32(0, true);
}

/**
 * Check a safetensors header against the size of its file before the data is read: `head` is
 * the file's first 8 + header-length bytes. The same refusals as `parseSafetensors`, so a header
 * that declares more than the file holds costs no more than the header itself.
 */
export function checkSafetensorsHeader(head: Uint8Array, fileSize: number, file: string): void {
  readHeader(head, fileSize, file);
}

/** The header of `bytes` (at least its first 8 + header-length bytes) checked against a file of `total` bytes. */
function readHeader(bytes: Uint8Array, total: number, file: string): { entries: { name: string; dtype: string; shape: number[]; begin: number; end: number }[]; metadata: Record<string, string>; dataStart: number } {
  const fail = (problem: string): never => {
    throw new ModelFormatError(file, problem);
  };
  if (bytes.length < 8) fail(`truncated: ${bytes.length} bytes, but a safetensors file starts with an 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const low = view.getUint32(0, true), high = view.getUint32(4, true);
  const headerLength = high * 2 ** 32 + low;
  if (headerLength > MAX_SAFETENSORS_HEADER) fail(`header length ${headerLength} bytes is over the ${MAX_SAFETENSORS_HEADER}-byte limit: not a safetensors file, or a damaged one`);
  if (8 + headerLength > total) fail(`truncated: the header length says ${headerLength} bytes, but only ${total - 8} bytes follow it`);
  if (8 + headerLength > bytes.length) fail(`the header's ${headerLength} bytes were not all read`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength));
  } catch {
    return fail('header: not valid UTF-8 text');
  }
  if (!text.startsWith('{')) fail(`header: expected a JSON object, found ${JSON.stringify(text.slice(0, 20))}`);
  const parsed = parseJson(text);
  if ('problem' in parsed) return fail(`header: ${parsed.problem}`);
  const header = parsed.value;
  const listed = header !== null && typeof header === 'object' && !Array.isArray(header) ? Object.keys(header).filter((k) => k !== '__metadata__').length : 0;
  if (listed > MAX_SAFETENSORS_TENSORS) fail(`header: lists ${listed} tensors, over the ${MAX_SAFETENSORS_TENSORS} an MLP's state dict may hold`);
  if (header === null || typeof header !== 'object' || Array.isArray(header)) return fail('header: expected a JSON object of tensors');
  const dataStart = 8 + headerLength;
  const dataLength = total - dataStart;
  let metadata: Record<string, string> = {};
  const entries: { name: string; dtype: string; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = parseFileFields(metadataSchema, value, file, 'header.__metadata__');
      continue;
    }
    const e = parseFileFields(entrySchema, value, file, `header[${JSON.stringify(name)}]`);
    const size = DTYPE_BYTES[e.dtype];
    if (size === undefined) fail(`tensor ${name}: dtype ${JSON.stringify(e.dtype)} is not a safetensors dtype (expected F32 or F64 for weights)`);
    if (!INTEGER_DTYPES.has(e.dtype) && e.dtype !== 'F32' && e.dtype !== 'F64') {
      fail(`tensor ${name}: dtype ${e.dtype} cannot be used: mlplab reads float weights as F32 or F64 (in PyTorch, save model.float().state_dict())`);
    }
    const [begin, end] = e.data_offsets;
    const count = e.shape.reduce((a, b) => a * b, 1);
    if (end < begin) fail(`tensor ${name}: data_offsets [${begin}, ${end}] end before they begin`);
    if (end > dataLength) fail(`tensor ${name}: data_offsets [${begin}, ${end}] reach past the ${dataLength} data bytes of the file (truncated or a header that lies)`);
    if (end - begin !== count * size) {
      fail(`tensor ${name}: data_offsets [${begin}, ${end}] hold ${end - begin} bytes, but shape [${e.shape.join(', ')}] of ${e.dtype} needs ${count * size}`);
    }
    entries.push({ name, dtype: e.dtype, shape: e.shape, begin, end });
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const e of entries) {
    if (e.begin !== at) {
      fail(e.begin < at ? `tensor ${e.name}: data_offsets [${e.begin}, ${e.end}] overlap the tensor before it` : `tensor ${e.name}: data_offsets [${e.begin}, ${e.end}] leave bytes ${at}..${e.begin} unused`);
    }
    at = e.end;
  }
  if (at !== dataLength) fail(`the tensors cover ${at} of the ${dataLength} data bytes: the header does not describe the whole file`);
  return { entries, metadata, dataStart };
}

/**
 * The bytes of a safetensors file holding `tensors` in the given order, with optional text
 * metadata. The header is padded with spaces to a multiple of 8 bytes, so every tensor's data
 * starts aligned, as the reference writer does.
 */
export function writeSafetensors(tensors: TensorToWrite[], metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  const names = new Set<string>();
  for (const t of tensors) {
    if (names.has(t.name) || t.name === '__metadata__') throw new RangeError(`writeSafetensors: tensor name ${JSON.stringify(t.name)} is used twice or reserved`);
    names.add(t.name);
    if (t.shape.reduce((a, b) => a * b, 1) !== t.data.length) throw new RangeError(`writeSafetensors: tensor ${t.name}: shape [${t.shape.join(', ')}] does not hold ${t.data.length} values`);
    const dtype = t.data instanceof Float64Array ? 'F64' : t.data instanceof Float32Array ? 'F32' : 'I64';
    header[t.name] = { dtype, shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, json.length % 2 ** 32, true);
  view.setUint32(4, Math.floor(json.length / 2 ** 32), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const t of tensors) {
    const b = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength).slice();
    if (!littleEndian) for (let i = 0; i < b.length; i += t.data.BYTES_PER_ELEMENT) b.subarray(i, i + t.data.BYTES_PER_ELEMENT).reverse();
    out.set(b, at);
    at += b.length;
  }
  return out;
}
