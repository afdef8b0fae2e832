/**
 * Decompression with a budget (browser-safe). Every gzip file and every deflated `.npz`
 * member mlplab reads is inflated here, or in Node by zlib with the same cap: the output may
 * grow to `ratio` times the compressed size (never less than INFLATE_FLOOR, never more than
 * `maxBytes`), and a file that would inflate further is refused with a DataError naming it
 * and both sizes, after at most one input chunk's worth of output beyond the cap. A deflate
 * stream cannot expand more than about 1032 times, so a chunk of CHUNK bytes yields at most
 * about 16 MB.
 */
import { Gunzip, Inflate } from 'fflate';
import { z } from 'zod';
import { DataError } from '../../errors.js';
import { formatBytes } from '../../format.js';
import { parseConfig } from '../../validate.js';

/** Compressed bytes handed to the inflater at a time. */
const CHUNK = 1 << 14;

/** Output every compressed file may reach whatever its size, so small files of zeros still load. */
export const INFLATE_FLOOR = 64e6;

/** The budget of one inflate: how far the output may grow. */
export const inflateLimitsSchema = z
  .object({
    /** Largest output as a multiple of the compressed size (at least INFLATE_FLOOR bytes). Default 20. */
    ratio: z.number({ error: 'a number >= 1' }).min(1, { error: 'a number >= 1' }).finite({ error: 'a number >= 1' }).default(20),
    /** Largest output in bytes, whatever the ratio. Default 2 GB. */
    maxBytes: z.number({ error: 'a whole number of bytes >= 1' }).int({ error: 'a whole number of bytes >= 1' }).min(1, { error: 'a whole number of bytes >= 1' }).default(2e9),
  })
  .strict();

export type InflateLimits = z.input<typeof inflateLimitsSchema>;
export type ResolvedInflateLimits = z.output<typeof inflateLimitsSchema>;

export const INFLATE_DEFAULTS: ResolvedInflateLimits = inflateLimitsSchema.parse({});

/** Validate limits once (a ConfigError names the field) and fill in the defaults. */
export function resolveInflateLimits(limits: InflateLimits | undefined, context = 'limits'): ResolvedInflateLimits {
  return limits === undefined ? INFLATE_DEFAULTS : parseConfig(inflateLimitsSchema, limits, context);
}

/** The most bytes `compressed` bytes may inflate to under `limits`. */
export function inflateCap(compressed: number, limits: ResolvedInflateLimits = INFLATE_DEFAULTS): number {
  return Math.min(limits.maxBytes, Math.max(INFLATE_FLOOR, Math.ceil(limits.ratio * compressed)));
}

/** The DataError of a file that inflates past its cap, naming both sizes and how to raise the limit. */
export function inflateTooLarge(file: string, compressed: number, limits: ResolvedInflateLimits, declared?: number): DataError {
  const cap = inflateCap(compressed, limits);
  const what = declared !== undefined ? `declares ${formatBytes(declared)} once inflated` : `inflates to more than ${formatBytes(cap)}`;
  return new DataError(
    file,
    `${what} from ${formatBytes(compressed)} compressed; mlplab inflates a file to at most ${limits.ratio} times its compressed size ` +
      `(at least ${formatBytes(INFLATE_FLOOR)}, at most ${formatBytes(limits.maxBytes)}), which is ${formatBytes(cap)} here. ` +
      'If the file is trusted, raise the limit (--max-inflate-ratio, --max-inflated)',
  );
}

/** Collects inflated chunks up to a cap; one copy at the end (none when there was one chunk). */
class CappedSink {
  private readonly chunks: Uint8Array[] = [];
  length = 0;
  constructor(private readonly cap: number, private readonly over: () => Error) {}

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.length += chunk.length;
    if (this.length > this.cap) throw this.over();
    this.chunks.push(chunk);
  }

  bytes(): Uint8Array {
    if (this.chunks.length === 1) return this.chunks[0];
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    this.chunks.length = 0;
    return out;
  }
}

/** Run an fflate stream over `bytes` in chunks, turning its own errors into a DataError naming `file`. */
function drive(stream: { push(chunk: Uint8Array, final?: boolean): void }, bytes: Uint8Array, file: string, what: string, stop?: () => boolean): void {
  try {
    if (bytes.length === 0) stream.push(bytes, true);
    for (let i = 0; i < bytes.length; i += CHUNK) {
      stream.push(bytes.subarray(i, i + CHUNK), i + CHUNK >= bytes.length);
      if (stop?.()) return;
    }
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(file, `is not readable ${what} (${(e as Error).message}); the file may be truncated or corrupt`);
  }
}

/**
 * Decompress gzip bytes (every member of a multi-member file) within the budget. Corrupt or
 * truncated data and output beyond the cap raise a DataError naming `file`.
 */
export function gunzipLimited(bytes: Uint8Array, file: string, limits: ResolvedInflateLimits = INFLATE_DEFAULTS): Uint8Array {
  const sink = new CappedSink(inflateCap(bytes.length, limits), () => inflateTooLarge(file, bytes.length, limits));
  let ended = false;
  // Each member ends with its inflated size (mod 2^32): checked, so a truncated file is not taken for a short one.
  const starts: number[] = [];
  const sizes: number[] = [];
  let size = 0;
  const g = new Gunzip((chunk, final) => {
    sink.push(chunk);
    size += chunk.length;
    if (final) ended = true;
  });
  g.onmember = (offset) => {
    starts.push(offset);
    sizes.push(size);
    size = 0;
  };
  drive(g, bytes, file, 'gzip data');
  sizes.push(size);
  const truncated = () => new DataError(file, 'is not readable gzip data (it ends early); the file may be truncated or corrupt');
  if (!ended) throw truncated();
  const ends = [...starts, bytes.length];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  sizes.forEach((n, i) => {
    if (ends[i] < 8 || dv.getUint32(ends[i] - 4, true) !== n % 2 ** 32) throw truncated();
  });
  return sink.bytes();
}

/**
 * Inflate a raw deflate stream (a zip member) that declares `declared` bytes, within the
 * budget. With `prefix`, stop as soon as that many bytes are out and return them (to read a
 * header without inflating the rest). The output must be exactly `declared` bytes otherwise.
 */
export function inflateRawLimited(
  bytes: Uint8Array,
  declared: number,
  file: string,
  limits: ResolvedInflateLimits = INFLATE_DEFAULTS,
  prefix?: number,
): Uint8Array {
  const cap = inflateCap(bytes.length, limits);
  if (prefix === undefined && declared > cap) throw inflateTooLarge(file, bytes.length, limits, declared);
  const limit = prefix === undefined ? declared : Math.min(prefix, declared);
  const corrupt = () => new DataError(file, `inflates to more than the ${declared} bytes the archive declares; the archive is corrupt`);
  const sink = new CappedSink(prefix === undefined ? declared : Math.min(cap, declared), corrupt);
  let ended = false;
  const inf = new Inflate((chunk, final) => {
    if (prefix !== undefined && sink.length + chunk.length > limit) chunk = chunk.subarray(0, limit - sink.length);
    sink.push(chunk);
    if (final) ended = true;
  });
  drive(inf, bytes, file, 'deflate data', () => prefix !== undefined && sink.length >= limit);
  if (prefix !== undefined && sink.length >= limit) return sink.bytes();
  if (!ended) throw new DataError(file, 'is not readable deflate data (it ends early); the archive may be truncated or corrupt');
  if (sink.length !== declared) throw new DataError(file, `inflates to ${sink.length} bytes but the archive declares ${declared}; the archive is corrupt`);
  return sink.bytes();
}
