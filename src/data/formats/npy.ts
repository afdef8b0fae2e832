/**
 * numpy's `.npy` format (versions 1.0, 2.0, 3.0) and `.npz` archives, read from and written
 * to bytes. No Node APIs: the browser playground uses this module as it is.
 *
 * A `.npy` file is the magic `\x93NUMPY`, a version (major, minor), a little-endian header
 * length (2 bytes in 1.0, 4 bytes after), a header that is a Python dict literal
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`, then the raw values.
 * Pickled object arrays are refused: nothing in a data file is ever executed.
 */
import { DataError } from '../../errors.js';
import { formatShape } from '../../format.js';
import { INFLATE_DEFAULTS, type ResolvedInflateLimits } from './inflate.js';
import type { NdArray, NumericArray } from './ndarray.js';
import { isZip, listZip, readZipEntry, type ZipEntry } from './zip.js';

export { isZip };

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
/** numpy itself refuses headers over 10,000 bytes unless told otherwise; be a little laxer. */
const MAX_HEADER = 1 << 16;

export interface NpyArray extends NdArray {
  /** The file's element type as numpy spells it, e.g. '>i8'. */
  descr: string;
  fortranOrder: boolean;
  version: [number, number];
}

interface DtypeInfo {
  name: string;
  size: number;
  /** Native typed array for the values (64-bit integers and float16 are widened). */
  make: (n: number) => NumericArray;
  /** Constructor able to view the raw bytes directly, when byte order matches. */
  view?: new (buffer: ArrayBuffer, offset: number, length: number) => NumericArray;
  read: (dv: DataView, off: number, little: boolean) => number;
}

const DTYPES: Record<string, DtypeInfo> = {
  f2: { name: 'float16', size: 2, make: (n) => new Float32Array(n), read: (dv, o, le) => halfToFloat(dv.getUint16(o, le)) },
  f4: { name: 'float32', size: 4, make: (n) => new Float32Array(n), view: Float32Array, read: (dv, o, le) => dv.getFloat32(o, le) },
  f8: { name: 'float64', size: 8, make: (n) => new Float64Array(n), view: Float64Array, read: (dv, o, le) => dv.getFloat64(o, le) },
  i1: { name: 'int8', size: 1, make: (n) => new Int8Array(n), view: Int8Array, read: (dv, o) => dv.getInt8(o) },
  u1: { name: 'uint8', size: 1, make: (n) => new Uint8Array(n), view: Uint8Array, read: (dv, o) => dv.getUint8(o) },
  b1: { name: 'bool', size: 1, make: (n) => new Uint8Array(n), read: (dv, o) => (dv.getUint8(o) === 0 ? 0 : 1) },
  i2: { name: 'int16', size: 2, make: (n) => new Int16Array(n), view: Int16Array, read: (dv, o, le) => dv.getInt16(o, le) },
  u2: { name: 'uint16', size: 2, make: (n) => new Uint16Array(n), view: Uint16Array, read: (dv, o, le) => dv.getUint16(o, le) },
  i4: { name: 'int32', size: 4, make: (n) => new Int32Array(n), view: Int32Array, read: (dv, o, le) => dv.getInt32(o, le) },
  u4: { name: 'uint32', size: 4, make: (n) => new Uint32Array(n), view: Uint32Array, read: (dv, o, le) => dv.getUint32(o, le) },
  // 64-bit integers as hi * 2^32 + lo: exact up to 2^53, which labels and counts never reach.
  i8: {
    name: 'int64', size: 8, make: (n) => new Float64Array(n),
    read: (dv, o, le) => (le ? dv.getInt32(o + 4, true) * 4294967296 + dv.getUint32(o, true) : dv.getInt32(o, false) * 4294967296 + dv.getUint32(o + 4, false)),
  },
  u8: {
    name: 'uint64', size: 8, make: (n) => new Float64Array(n),
    read: (dv, o, le) => (le ? dv.getUint32(o + 4, true) * 4294967296 + dv.getUint32(o, true) : dv.getUint32(o, false) * 4294967296 + dv.getUint32(o + 4, false)),
  },
};

const HOST_LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Whether the bytes start with the `.npy` magic. */
export function isNpy(bytes: Uint8Array): boolean {
  return bytes.length >= 6 && MAGIC.every((b, i) => bytes[i] === b);
}

/**
 * Parse a `.npy` file. Accepts float16/32/64, signed and unsigned integers of 1, 2, 4 and 8
 * bytes and bool, either byte order, C or Fortran order, any number of dimensions.
 * Throws DataError naming `file` for anything else, for a truncated file, or for a header
 * whose shape does not match the data. The result may share memory with `bytes`.
 */
export function parseNpy(bytes: Uint8Array, file: string): NpyArray {
  const h = parseNpyHeader(bytes, file);
  const { meta, info, count, dataStart } = h;
  const expected = count * info.size;
  const available = bytes.length - dataStart;
  if (available < expected) {
    throw new DataError(file, `is truncated (or its header is wrong): header says shape ${formatShape(meta.shape)} of ${meta.descr} = ${expected} bytes of data, the file has ${available}`);
  }
  if (available > expected) {
    throw new DataError(file, `holds ${available} bytes of data but its header says shape ${formatShape(meta.shape)} of ${meta.descr} = ${expected} bytes; the header does not match the data`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let data = readValues(bytes, dv, dataStart, count, info, meta.little);
  if (meta.fortran && meta.shape.length > 1) data = fortranToC(data, meta.shape, info);
  return { dtype: info.name, descr: meta.descr, shape: meta.shape, data, fortranOrder: meta.fortran, version: h.version };
}

/** What a `.npy` header says, read from the first bytes of a file (the values need not be there). */
export interface NpyHeader {
  dtype: string;
  descr: string;
  shape: number[];
  fortranOrder: boolean;
  version: [number, number];
}

/** The most bytes a `.npy` preamble and header take. */
export const NPY_HEADER_BYTES = 12 + MAX_HEADER;

/** Read only the header of a `.npy` file (its first NPY_HEADER_BYTES bytes are enough). */
export function readNpyHeader(bytes: Uint8Array, file: string): NpyHeader {
  const h = parseNpyHeader(bytes, file);
  return { dtype: h.info.name, descr: h.meta.descr, shape: h.meta.shape, fortranOrder: h.meta.fortran, version: h.version };
}

function parseNpyHeader(bytes: Uint8Array, file: string): { meta: HeaderMeta; info: DtypeInfo; count: number; dataStart: number; version: [number, number] } {
  if (bytes.length === 0) throw new DataError(file, 'is empty (0 bytes), expected a .npy file');
  if (!isNpy(bytes)) {
    throw new DataError(file, `is not a .npy file: wrong magic bytes (${hexPrefix(bytes)}), expected \\x93NUMPY`);
  }
  if (bytes.length < 10) throw new DataError(file, `is truncated: ${bytes.length} bytes, shorter than a .npy preamble`);
  const major = bytes[6], minor = bytes[7];
  if (major < 1 || major > 3 || minor !== 0) {
    throw new DataError(file, `has .npy format version ${major}.${minor}; versions 1.0, 2.0 and 3.0 are supported`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerStart: number, headerLen: number;
  if (major === 1) {
    headerStart = 10;
    headerLen = dv.getUint16(8, true);
  } else {
    if (bytes.length < 12) throw new DataError(file, `is truncated: ${bytes.length} bytes, shorter than a .npy ${major}.0 preamble`);
    headerStart = 12;
    headerLen = dv.getUint32(8, true);
  }
  if (headerLen > MAX_HEADER) throw new DataError(file, `declares a ${headerLen}-byte header; more than ${MAX_HEADER} bytes is not a real .npy header`);
  if (headerStart + headerLen > bytes.length) {
    throw new DataError(file, `is truncated: the header should take ${headerLen} bytes but the file ends after ${bytes.length - headerStart}`);
  }
  const headerBytes = bytes.subarray(headerStart, headerStart + headerLen);
  const header = major === 3 ? decodeUtf8(headerBytes, file) : decodeLatin1(headerBytes);
  const meta = parseHeader(header, file);
  const info = DTYPES[meta.code];
  const count = meta.shape.reduce((a, b) => a * b, 1);
  return { meta, info, count, dataStart: headerStart + headerLen, version: [major, minor] };
}

function readValues(bytes: Uint8Array, dv: DataView, start: number, count: number, info: DtypeInfo, little: boolean): NumericArray {
  if (info.view && (info.size === 1 || little === HOST_LITTLE)) {
    const offset = bytes.byteOffset + start;
    if (offset % info.size === 0) return new info.view(bytes.buffer as ArrayBuffer, offset, count);
    // A fresh buffer: Node's Buffer.slice would give a view, whose .buffer starts elsewhere.
    const copy = new Uint8Array(count * info.size);
    copy.set(bytes.subarray(start, start + count * info.size));
    return new info.view(copy.buffer, 0, count);
  }
  const out = info.make(count);
  for (let i = 0, o = start; i < count; i++, o += info.size) out[i] = info.read(dv, o, little);
  return out;
}

/** Reorder values stored first-index-fastest into last-index-fastest. */
function fortranToC(src: NumericArray, shape: number[], info: DtypeInfo): NumericArray {
  const n = src.length;
  const out = info.make(n);
  const nd = shape.length;
  if (nd === 2) {
    const r = shape[0], c = shape[1];
    for (let j = 0; j < c; j++) for (let i = 0; i < r; i++) out[i * c + j] = src[j * r + i];
    return out;
  }
  // C-order strides; walk the source in Fortran order with an odometer over the indices.
  const strides = new Array<number>(nd);
  strides[nd - 1] = 1;
  for (let d = nd - 2; d >= 0; d--) strides[d] = strides[d + 1] * shape[d + 1];
  const idx = new Array<number>(nd).fill(0);
  let dst = 0;
  for (let k = 0; k < n; k++) {
    out[dst] = src[k];
    for (let d = 0; d < nd; d++) {
      idx[d]++;
      dst += strides[d];
      if (idx[d] < shape[d]) break;
      dst -= strides[d] * shape[d];
      idx[d] = 0;
    }
  }
  return out;
}

interface HeaderMeta { descr: string; code: string; little: boolean; fortran: boolean; shape: number[] }

function parseHeader(text: string, file: string): HeaderMeta {
  let value: PyValue;
  try {
    value = new PyLiteralParser(text).parseAll();
  } catch (e) {
    if (e instanceof HeaderSyntax) throw new DataError(file, `has a malformed .npy header (${e.message}): ${clip(text)}`);
    throw e;
  }
  if (!(value instanceof Map)) throw new DataError(file, `has a .npy header that is not a dict: ${clip(text)}`);
  const descr = value.get('descr');
  const fortran = value.get('fortran_order');
  const shape = value.get('shape');
  if (descr === undefined || fortran === undefined || shape === undefined) {
    throw new DataError(file, `has a .npy header without 'descr', 'fortran_order' and 'shape': ${clip(text)}`);
  }
  if (Array.isArray(descr)) throw new DataError(file, 'holds a structured (record) array; only plain numeric arrays are supported');
  if (typeof descr !== 'string') throw new DataError(file, `has a .npy 'descr' that is not a string: ${clip(text)}`);
  if (typeof fortran !== 'boolean') throw new DataError(file, `has a .npy 'fortran_order' that is not True or False: ${clip(text)}`);
  if (!(shape instanceof PyTuple) || !shape.items.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    throw new DataError(file, `has a .npy 'shape' that is not a tuple of non-negative integers: ${clip(text)}`);
  }
  const dims = shape.items as number[];
  if (dims.reduce((a, b) => a * b, 1) > Number.MAX_SAFE_INTEGER / 8) {
    throw new DataError(file, `has an impossible shape ${formatShape(dims)} in its .npy header`);
  }
  const m = /^([<>|=]?)([a-zA-Z?])(\d*)$/.exec(descr);
  const kind = m ? m[2] : '';
  if (kind === 'O') {
    throw new DataError(file, "holds pickled Python objects (dtype 'O'); they are refused, never executed. Save a numeric array instead (for example arr.astype('float32'))");
  }
  const code = kind === '?' ? 'b1' : `${kind}${m ? m[3] : ''}`;
  if (!m || !Object.hasOwn(DTYPES, code)) {
    throw new DataError(file, `has dtype '${descr}', which is not supported; expected float16/32/64, (unsigned) integers of 1-8 bytes, or bool`);
  }
  // '=' (native) and '|' (not applicable) are treated as the byte order numpy writes by default.
  const little = m[1] !== '>';
  return { descr, code, little, fortran, shape: dims };
}

// ---- a parser for the tiny subset of Python literals that .npy headers use -----------------

class HeaderSyntax extends Error {}
class PyTuple {
  constructor(readonly items: PyValue[]) {}
}
type PyValue = string | number | boolean | null | PyValue[] | PyTuple | Map<string, PyValue>;

class PyLiteralParser {
  private pos = 0;
  constructor(private readonly s: string) {}

  parseAll(): PyValue {
    const v = this.value(0);
    this.ws();
    if (this.pos !== this.s.length) throw new HeaderSyntax(`unexpected ${JSON.stringify(this.s[this.pos])} at ${this.pos}`);
    return v;
  }

  private ws(): void {
    while (this.pos < this.s.length && /\s/.test(this.s[this.pos])) this.pos++;
  }

  private value(depth: number): PyValue {
    if (depth > 16) throw new HeaderSyntax('nested too deeply');
    this.ws();
    const c = this.s[this.pos];
    if (c === undefined) throw new HeaderSyntax('ends early');
    if (c === '{') return this.dict(depth);
    if (c === '(') return new PyTuple(this.seq(')', depth));
    if (c === '[') return this.seq(']', depth);
    if (c === "'" || c === '"') return this.str();
    const word = /^(True|False|None|-?\d+L?)/.exec(this.s.slice(this.pos, this.pos + 32));
    if (!word) throw new HeaderSyntax(`unexpected ${JSON.stringify(c)} at ${this.pos}`);
    this.pos += word[1].length;
    if (word[1] === 'True') return true;
    if (word[1] === 'False') return false;
    if (word[1] === 'None') return null;
    return Number(word[1].replace('L', ''));
  }

  private str(): string {
    const quote = this.s[this.pos++];
    let out = '';
    while (this.pos < this.s.length && this.s[this.pos] !== quote) {
      if (this.s[this.pos] === '\\') this.pos++;
      out += this.s[this.pos++] ?? '';
    }
    if (this.s[this.pos] !== quote) throw new HeaderSyntax('unterminated string');
    this.pos++;
    return out;
  }

  private seq(close: string, depth: number): PyValue[] {
    this.pos++;
    const items: PyValue[] = [];
    for (;;) {
      this.ws();
      if (this.s[this.pos] === close) {
        this.pos++;
        return items;
      }
      items.push(this.value(depth + 1));
      this.ws();
      if (this.s[this.pos] === ',') this.pos++;
      else if (this.s[this.pos] !== close) throw new HeaderSyntax(`expected ',' or '${close}' at ${this.pos}`);
    }
  }

  private dict(depth: number): Map<string, PyValue> {
    this.pos++;
    const map = new Map<string, PyValue>();
    for (;;) {
      this.ws();
      if (this.s[this.pos] === '}') {
        this.pos++;
        return map;
      }
      const key = this.value(depth + 1);
      if (typeof key !== 'string') throw new HeaderSyntax('dict key is not a string');
      this.ws();
      if (this.s[this.pos] !== ':') throw new HeaderSyntax(`expected ':' at ${this.pos}`);
      this.pos++;
      map.set(key, this.value(depth + 1));
      this.ws();
      if (this.s[this.pos] === ',') this.pos++;
      else if (this.s[this.pos] !== '}') throw new HeaderSyntax(`expected ',' or '}' at ${this.pos}`);
    }
  }
}

// ---- writing --------------------------------------------------------------------------------

/** Typed arrays writeNpy accepts; BigInt64Array is written as int64 (numpy's default integer). */
export type WritableArray = NumericArray | BigInt64Array;

function descrOf(data: WritableArray): string {
  if (data instanceof Float32Array) return '<f4';
  if (data instanceof Float64Array) return '<f8';
  if (data instanceof Int8Array) return '|i1';
  if (data instanceof Uint8Array) return '|u1';
  if (data instanceof Int16Array) return '<i2';
  if (data instanceof Uint16Array) return '<u2';
  if (data instanceof Int32Array) return '<i4';
  if (data instanceof Uint32Array) return '<u4';
  return '<i8';
}

/**
 * Write a C-order array as a version 1.0 `.npy` file, byte for byte as `numpy.save` writes
 * it (little-endian, header padded to 64 bytes, with numpy's spare room for a growing shape).
 */
export function writeNpy(data: WritableArray, shape: readonly number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new RangeError(`writeNpy: shape ${formatShape(shape)} needs ${count} values, got ${data.length}`);
  let header = `{'descr': '${descrOf(data)}', 'fortran_order': False, 'shape': ${formatShape(shape)}, }`;
  // numpy leaves room so the first dimension can grow to 21 digits without moving the data.
  if (shape.length > 0) header += ' '.repeat(Math.max(0, 21 - String(shape[0]).length));
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += `${' '.repeat(pad % 64)}\n`;
  if (header.length > 65535) throw new RangeError('writeNpy: header too long for format 1.0');
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  out[8] = header.length & 0xff;
  out[9] = header.length >> 8;
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const body = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (HOST_LITTLE) {
    out.set(body, 10 + header.length);
  } else {
    const size = data.BYTES_PER_ELEMENT;
    for (let i = 0; i < body.length; i += size) for (let b = 0; b < size; b++) out[10 + header.length + i + b] = body[i + size - 1 - b];
  }
  return out;
}

// ---- npz ------------------------------------------------------------------------------------

/** Options of {@link parseNpz}. */
export interface NpzOptions {
  /** Only the arrays with these names are inflated and parsed; default all. */
  keys?: readonly string[];
  /** The inflate budget of each member. */
  limits?: ResolvedInflateLimits;
}

/**
 * The arrays of an `.npz` archive by name (the member name without `.npy`), from its
 * directory: nothing is inflated. Throws DataError naming `file` for a damaged archive.
 */
export function npzMembers(bytes: Uint8Array, file: string): Map<string, ZipEntry> {
  if (bytes.length === 0) throw new DataError(file, 'is empty (0 bytes), expected a .npz archive');
  if (!isZip(bytes)) throw new DataError(file, `is not a .npz archive: wrong magic bytes (${hexPrefix(bytes)}), expected a zip file`);
  const out = new Map<string, ZipEntry>();
  for (const e of listZip(bytes, file)) {
    if (e.name.endsWith('/')) continue;
    const key = e.name.endsWith('.npy') ? e.name.slice(0, -4) : e.name;
    if (out.has(key)) throw new DataError(file, `holds two arrays named ${JSON.stringify(key)}`);
    out.set(key, e);
  }
  if (out.size === 0) throw new DataError(file, 'is a zip archive with no arrays in it');
  return out;
}

/**
 * Parse an `.npz` archive (plain or compressed, as `numpy.savez` / `savez_compressed` write
 * it): a map from array name to array. Only the members named in `keys` are inflated, each
 * within the inflate budget.
 */
export function parseNpz(bytes: Uint8Array, file: string, opts: NpzOptions = {}): Map<string, NpyArray> {
  const members = npzMembers(bytes, file);
  const out = new Map<string, NpyArray>();
  for (const [key, entry] of members) {
    if (opts.keys && !opts.keys.includes(key)) continue;
    const what = `${file}[${key}]`;
    out.set(key, parseNpy(readZipEntry(bytes, entry, what, opts.limits ?? INFLATE_DEFAULTS), what));
  }
  return out;
}

/** The header of every array in an `.npz` archive, inflating only the first bytes of each member. */
export function npzHeaders(bytes: Uint8Array, file: string, limits: ResolvedInflateLimits = INFLATE_DEFAULTS): Map<string, NpyHeader> {
  const out = new Map<string, NpyHeader>();
  for (const [key, entry] of npzMembers(bytes, file)) {
    const what = `${file}[${key}]`;
    out.set(key, readNpyHeader(readZipEntry(bytes, entry, what, limits, NPY_HEADER_BYTES), what));
  }
  return out;
}

// ---- helpers --------------------------------------------------------------------------------

function decodeLatin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new DataError(file, 'has a .npy 3.0 header that is not valid UTF-8');
  }
}

function clip(text: string): string {
  const t = text.trim();
  return JSON.stringify(t.length > 120 ? `${t.slice(0, 117)}...` : t);
}

/** The first bytes of a file in hex, for "wrong magic" messages. */
export function hexPrefix(bytes: Uint8Array, n = 8): string {
  return Array.from(bytes.subarray(0, n), (b) => b.toString(16).padStart(2, '0')).join(' ');
}
