/**
 * The cost model that decides when a kernel is split among the threads of a pool, and into
 * how many shares.
 */

/**
 * What each kernel costs on one thread, in nanoseconds per unit of work (measured on a
 * current x86 core; only the order of magnitude matters), and the least work worth a thread
 * of its own. A job is shared among min(threads, work / GRAIN_NS) threads. Measured in whole
 * training epochs on 2 cores (shares of 4, 10, 20 and 40 microseconds against one thread):
 * the batch-128 products of a 784-512-256 model run 1.9x faster from 4 microseconds up, while
 * the batch-32 steps of the study's models gain nothing at any grain and lose up to 14% below
 * 20 (their outputs are a few kilobytes, and moving them between cores costs what the second
 * core saves). So kernels smaller than two 20-microsecond shares stay on the calling thread.
 */
export const COST = {
  /** per multiply-add of a matrix product */
  gemm: 1 / 14,
  /** per element of a memory-bound pass (add, scale, copy-like) */
  stream: 0.3,
  /** per element of a batch gathered from random training rows (cache misses) */
  gather: 2,
  /** per element of the heavier element-wise passes */
  dropout: 0.5,
  adam: 0.8,
  batchNorm: 1.2,
  softmax: 2,
} as const;
/** Per element of activation forward / backward, by activation code. */
export const ACTIVATION_COST = [0.3, 0.3, 2.5, 2, 1.6, 1.2, 0.3];
export const GRAIN_NS = 20_000;
/**
 * The least work worth handing to a worker while this thread goes on (`gemmAsync`): nothing
 * waits for it until the layer's gradients are complete, so a few microseconds are enough.
 */
const ASYNC_GRAIN_NS = 3000;

/**
 * How many threads a job of `ns` (its cost on one thread) over `units` splittable units
 * gets from a pool of `poolSize` threads, when each thread's share must be at least `align`
 * units: 1 (run it on the calling thread) unless the work is large enough to be worth sharing.
 */
export function shareCount(poolSize: number, grain: number, ns: number, units: number, align: number): number {
  const p = Math.min(poolSize, grain > 0 ? Math.floor(ns / grain) : poolSize, Math.floor(units / align));
  return p >= 2 ? p : 1;
}

/**
 * Whether a product of `work` ns over `m` rows of output is handed to the workers while the
 * calling thread goes on: below a few microseconds it is not worth a thread, and a product
 * large enough to be shared among all threads is faster shared (and keeps one worker from
 * being busy alone for long).
 */
export function worthStarting(work: number, m: number, grain: number): boolean {
  return !(work < Math.min(ASYNC_GRAIN_NS, grain) || m < 4 || (grain > 0 && work >= 2 * grain));
}
