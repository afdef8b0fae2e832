/**
 * A small zip reader for `.npz` archives (browser-safe): the central directory is read
 * without inflating anything, so a caller picks the members it needs and inflates only those,
 * each within the inflate budget (inflate.ts). Stored and deflated members, zip64 sizes and
 * offsets (numpy writes every member with zip64 fields); encrypted members are refused.
 */
import { DataError } from '../../errors.js';
import { INFLATE_DEFAULTS, inflateCap, inflateRawLimited, inflateTooLarge, type ResolvedInflateLimits } from './inflate.js';

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated. */
  method: number;
  compressedSize: number;
  size: number;
  /** Offset of the member's local header. */
  headerOffset: number;
}

const EOCD = 0x06054b50;
const EOCD64_LOCATOR = 0x07064b50;
const EOCD64 = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
/** More members than this is not an archive of arrays. */
const MAX_ENTRIES = 1 << 16;

/** Whether the bytes start like a zip archive. */
export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

/** The members of a zip archive, from its central directory; nothing is inflated. */
export function listZip(bytes: Uint8Array, file: string): ZipEntry[] {
  const bad = (problem: string): never => {
    throw new DataError(file, `is not a readable zip archive (${problem})`);
  };
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (o: number) => (o + 2 <= bytes.length ? dv.getUint16(o, true) : bad('it ends inside a header'));
  const u32 = (o: number) => (o + 4 <= bytes.length ? dv.getUint32(o, true) : bad('it ends inside a header'));
  const u64 = (o: number) => {
    const hi = u32(o + 4);
    if (hi >= 1 << 21) bad('a zip64 size or offset is impossibly large');
    return hi * 2 ** 32 + u32(o);
  };
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (dv.getUint32(i, true) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) bad('no end-of-archive record: the file is truncated or not a zip file');
  let count = u16(eocd + 10);
  let cdSize = u32(eocd + 12);
  let cdOffset = u32(eocd + 16);
  if (eocd >= 20 && dv.getUint32(eocd - 20, true) === EOCD64_LOCATOR) {
    const at = u64(eocd - 20 + 8);
    if (at + 56 > bytes.length || u32(at) !== EOCD64) bad('the zip64 end record is missing');
    count = u64(at + 32);
    cdSize = u64(at + 40);
    cdOffset = u64(at + 48);
  }
  if (count > MAX_ENTRIES) bad(`it declares ${count} members`);
  if (cdOffset + cdSize > bytes.length) bad('its directory lies beyond the end of the file');
  const entries: ZipEntry[] = [];
  let p = cdOffset;
  for (let n = 0; n < count; n++) {
    if (u32(p) !== CENTRAL) bad(`directory entry ${n} is damaged`);
    const flags = u16(p + 8);
    const method = u16(p + 10);
    let compressedSize = u32(p + 20);
    let size = u32(p + 24);
    const nameLen = u16(p + 28), extraLen = u16(p + 30), commentLen = u16(p + 32);
    let headerOffset = u32(p + 42);
    if (p + 46 + nameLen + extraLen > bytes.length) bad('it ends inside its directory');
    const name = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nameLen));
    // zip64: the sizes and offset that are 0xFFFFFFFF in the record follow in extra field 0x0001, in this order.
    for (let e = p + 46 + nameLen; e + 4 <= p + 46 + nameLen + extraLen; ) {
      const id = u16(e), len = u16(e + 2);
      if (id === 1) {
        let q = e + 4;
        const end = q + len;
        const next = () => {
          if (q + 8 > end) bad(`the zip64 sizes of ${JSON.stringify(name)} are incomplete`);
          const v = u64(q);
          q += 8;
          return v;
        };
        if (size === 0xffffffff) size = next();
        if (compressedSize === 0xffffffff) compressedSize = next();
        if (headerOffset === 0xffffffff) headerOffset = next();
      }
      e += 4 + len;
    }
    if (flags & 1) throw new DataError(file, `member ${JSON.stringify(name)} is encrypted; mlplab reads unencrypted archives only`);
    if (method !== 0 && method !== 8) throw new DataError(file, `member ${JSON.stringify(name)} uses compression method ${method}; .npz archives are stored or deflated (methods 0 and 8)`);
    if (method === 0 && size !== compressedSize) bad(`stored member ${JSON.stringify(name)} declares ${size} bytes but holds ${compressedSize}`);
    entries.push({ name, method, compressedSize, size, headerOffset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** Where a member's data starts and its compressed bytes. */
function memberData(bytes: Uint8Array, entry: ZipEntry, file: string): Uint8Array {
  const bad = (problem: string): never => {
    throw new DataError(file, `is not a readable zip archive (member ${JSON.stringify(entry.name)}: ${problem})`);
  };
  const h = entry.headerOffset;
  if (h + 30 > bytes.length) bad('its header lies beyond the end of the file');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(h, true) !== LOCAL) bad('its header is damaged');
  const start = h + 30 + dv.getUint16(h + 26, true) + dv.getUint16(h + 28, true);
  if (start + entry.compressedSize > bytes.length) bad('it ends beyond the end of the file (truncated archive)');
  return bytes.subarray(start, start + entry.compressedSize);
}

/**
 * A member's bytes, inflated within the budget; with `prefix`, only its first `prefix` bytes
 * (the rest is never inflated). `what` names the member in errors (`data.npz[x_train]`).
 */
export function readZipEntry(
  bytes: Uint8Array,
  entry: ZipEntry,
  what: string,
  limits: ResolvedInflateLimits = INFLATE_DEFAULTS,
  prefix?: number,
): Uint8Array {
  const data = memberData(bytes, entry, what);
  if (entry.method === 0) return prefix === undefined ? data : data.subarray(0, prefix);
  if (prefix === undefined && entry.size > inflateCap(entry.compressedSize, limits)) {
    throw inflateTooLarge(what, entry.compressedSize, limits, entry.size);
  }
  return inflateRawLimited(data, entry.size, what, limits, prefix);
}
