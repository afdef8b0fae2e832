/**
 * The IDX format of the MNIST and Fashion-MNIST files, from bytes (browser-safe): two zero
 * bytes, a type code, the number of dimensions, each dimension as a big-endian u32, then the
 * values, big-endian. gzip-compressed files are recognised by their magic and decompressed
 * within the inflate budget (inflate.ts).
 */
import { DataError } from '../../errors.js';
import { formatShape } from '../../format.js';
import { gunzip, isGzip } from './gzip.js';
import { INFLATE_DEFAULTS, type ResolvedInflateLimits } from './inflate.js';
import type { NdArray, NumericArray } from './ndarray.js';
import { hexPrefix } from './npy.js';

interface IdxType {
  name: string;
  size: number;
  make: (n: number) => NumericArray;
  read: (dv: DataView, off: number) => number;
}

const TYPES: Record<number, IdxType> = {
  0x08: { name: 'uint8', size: 1, make: (n) => new Uint8Array(n), read: (dv, o) => dv.getUint8(o) },
  0x09: { name: 'int8', size: 1, make: (n) => new Int8Array(n), read: (dv, o) => dv.getInt8(o) },
  0x0b: { name: 'int16', size: 2, make: (n) => new Int16Array(n), read: (dv, o) => dv.getInt16(o, false) },
  0x0c: { name: 'int32', size: 4, make: (n) => new Int32Array(n), read: (dv, o) => dv.getInt32(o, false) },
  0x0d: { name: 'float32', size: 4, make: (n) => new Float32Array(n), read: (dv, o) => dv.getFloat32(o, false) },
  0x0e: { name: 'float64', size: 8, make: (n) => new Float64Array(n), read: (dv, o) => dv.getFloat64(o, false) },
};

/** Whether the bytes could be an IDX file (checks the magic only). */
export function isIdx(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0 && bytes[1] === 0 && Object.hasOwn(TYPES, bytes[2]) && bytes[3] >= 1;
}

/**
 * Parse an IDX file, plain or gzip-compressed. Throws DataError naming `file` for wrong magic
 * bytes, an unknown type code, a truncated file, or dimensions that do not match the data.
 */
export function parseIdx(bytes: Uint8Array, file: string, limits: ResolvedInflateLimits = INFLATE_DEFAULTS): NdArray {
  if (bytes.length === 0) throw new DataError(file, 'is empty (0 bytes), expected an IDX file');
  if (isGzip(bytes)) bytes = gunzip(bytes, file, limits);
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) {
    throw new DataError(file, `is not an IDX file: wrong magic bytes (${hexPrefix(bytes)}), expected 00 00 <type> <dims>`);
  }
  const type = TYPES[bytes[2]];
  if (!Object.hasOwn(TYPES, bytes[2])) {
    throw new DataError(file, `is not an IDX file: unknown type code 0x${bytes[2].toString(16).padStart(2, '0')} (expected 08, 09, 0b, 0c, 0d or 0e)`);
  }
  const nd = bytes[3];
  if (nd === 0) throw new DataError(file, 'is an IDX file with 0 dimensions; expected at least 1');
  const dataStart = 4 + 4 * nd;
  if (bytes.length < dataStart) throw new DataError(file, `is truncated: ${bytes.length} bytes, shorter than its ${nd}-dimension IDX header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  let count = 1;
  for (let d = 0; d < nd; d++) {
    const dim = dv.getUint32(4 + 4 * d, false);
    shape.push(dim);
    count *= dim;
  }
  const expected = count * type.size;
  const available = bytes.length - dataStart;
  if (available < expected) {
    throw new DataError(file, `is truncated (or its header is wrong): header says shape ${formatShape(shape)} of ${type.name} = ${expected} bytes of data, the file has ${available}`);
  }
  if (available > expected) {
    throw new DataError(file, `holds ${available} bytes of data but its header says shape ${formatShape(shape)} of ${type.name} = ${expected} bytes; the header does not match the data`);
  }
  let data: NumericArray;
  if (type.size === 1) {
    // A fresh buffer: Node's Buffer.slice would give a view, whose .buffer starts elsewhere.
    const copy = new Uint8Array(count);
    copy.set(bytes.subarray(dataStart, dataStart + count));
    data = type.name === 'uint8' ? copy : new Int8Array(copy.buffer, 0, count);
  } else {
    data = type.make(count);
    for (let i = 0, o = dataStart; i < count; i++, o += type.size) data[i] = type.read(dv, o);
  }
  return { dtype: type.name, shape, data };
}
