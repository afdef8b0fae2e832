/**
 * Zip archives and gzip files written for tests with Node's zlib (independent of the readers
 * under test), and decompression bombs: small files that inflate to gigabytes.
 */
import { constants, deflateRawSync, gzipSync } from 'node:zlib';

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export interface ZipMember {
  name: string;
  /** The member's bytes, or for a bomb its compressed stream and declared sizes. */
  data?: Uint8Array;
  deflate?: boolean;
  raw?: { compressed: Uint8Array; size: number; crc: number };
}

/** A zip archive of the members (stored or deflated), as numpy's savez writes them, with zip64 sizes when needed. */
export function zip(members: ZipMember[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const m of members) {
    const name = new TextEncoder().encode(m.name);
    const body = m.raw ? m.raw.compressed : m.deflate ? deflateRawSync(m.data!) : m.data!;
    const size = m.raw ? m.raw.size : m.data!.length;
    const crc = m.raw ? m.raw.crc : crc32(m.data!);
    const method = m.raw || m.deflate ? 8 : 0;
    const big = size >= 0xffffffff;
    const extra = big ? zip64Extra(size, body.length) : new Uint8Array(0);
    const local = new DataView(new ArrayBuffer(30));
    local.setUint32(0, 0x04034b50, true);
    local.setUint16(4, big ? 45 : 20, true);
    local.setUint16(8, method, true);
    local.setUint32(14, crc, true);
    local.setUint32(18, big ? 0xffffffff : body.length, true);
    local.setUint32(22, big ? 0xffffffff : size, true);
    local.setUint16(26, name.length, true);
    local.setUint16(28, extra.length, true);
    parts.push(new Uint8Array(local.buffer), name, extra, body);
    const c = new DataView(new ArrayBuffer(46));
    c.setUint32(0, 0x02014b50, true);
    c.setUint16(4, 45, true);
    c.setUint16(6, big ? 45 : 20, true);
    c.setUint16(10, method, true);
    c.setUint32(16, crc, true);
    c.setUint32(20, big ? 0xffffffff : body.length, true);
    c.setUint32(24, big ? 0xffffffff : size, true);
    c.setUint16(28, name.length, true);
    c.setUint16(30, extra.length, true);
    c.setUint32(42, offset, true);
    central.push(new Uint8Array(c.buffer), name, extra);
    offset += 30 + name.length + extra.length + body.length;
  }
  const cdSize = central.reduce((n, p) => n + p.length, 0);
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, 0x06054b50, true);
  end.setUint16(8, members.length, true);
  end.setUint16(10, members.length, true);
  end.setUint32(12, cdSize, true);
  end.setUint32(16, offset, true);
  return concat([...parts, ...central, new Uint8Array(end.buffer)]);
}

function zip64Extra(size: number, compressed: number): Uint8Array {
  const e = new DataView(new ArrayBuffer(20));
  e.setUint16(0, 1, true);
  e.setUint16(2, 16, true);
  e.setBigUint64(4, BigInt(size), true);
  e.setBigUint64(12, BigInt(compressed), true);
  return new Uint8Array(e.buffer);
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const PIECE = 64 << 20;

/**
 * A raw deflate stream of `head` then zeros, `pieces` x 64 MiB in all: full-flushed pieces of
 * one compressed block of zeros, repeated, then an empty final block. CRC left 0 (a reader
 * that checks it only does so after inflating everything, which is what it must refuse).
 */
export function deflateBomb(head: Uint8Array, pieces: number): { compressed: Uint8Array; size: number; crc: number } {
  const zeros = new Uint8Array(PIECE);
  const first = deflateRawSync(concat([head, zeros.subarray(head.length)]), { finishFlush: constants.Z_FULL_FLUSH });
  const piece = deflateRawSync(zeros, { finishFlush: constants.Z_FULL_FLUSH });
  const parts: Uint8Array[] = [first];
  for (let i = 1; i < pieces; i++) parts.push(piece);
  parts.push(Uint8Array.of(3, 0));
  return { compressed: concat(parts), size: pieces * PIECE, crc: 0 };
}

/**
 * A gzip file of `head` then zeros (or `pattern` repeated; its length must divide 64 MiB),
 * `pieces` x 64 MiB: members concatenated, as gzip allows.
 */
export function gzipBomb(head: Uint8Array, pieces: number, pattern?: Uint8Array): Uint8Array {
  const body = new Uint8Array(PIECE);
  if (pattern) for (let i = 0; i < PIECE; i += pattern.length) body.set(pattern, i);
  const first = gzipSync(concat([head, body.subarray(head.length)]));
  const member = gzipSync(body);
  const parts: Uint8Array[] = [first];
  for (let i = 1; i < pieces; i++) parts.push(member);
  return concat(parts);
}

/** Bytes in a bomb of `pieces` pieces. */
export const bombSize = (pieces: number) => pieces * PIECE;
