import { INFLATE_DEFAULTS, gunzipLimited, type ResolvedInflateLimits } from './inflate.js';

/** Whether the bytes start with the gzip magic (1f 8b). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Decompress gzip bytes (browser-safe) within the inflate budget. Corrupt or truncated data,
 * or output beyond the budget, raises a DataError naming the file.
 */
export function gunzip(bytes: Uint8Array, file: string, limits: ResolvedInflateLimits = INFLATE_DEFAULTS): Uint8Array {
  return gunzipLimited(bytes, file, limits);
}
