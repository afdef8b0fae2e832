import { gunzipSync } from 'fflate';
import { DataError } from '../errors.js';

/** Whether the bytes start with the gzip magic (1f 8b). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Decompress gzip bytes (browser-safe, with fflate). Corrupt or truncated data raises a
 * DataError naming the file rather than fflate's own error.
 */
export function gunzip(bytes: Uint8Array, file: string): Uint8Array {
  try {
    return gunzipSync(bytes);
  } catch (e) {
    throw new DataError(file, `is not readable gzip data (${(e as Error).message}); the file may be truncated or corrupt`);
  }
}
