/** Making a WebAssembly backend: its options, the thread count, and loading it asynchronously. */
import { ConfigError } from '../../errors.js';
import { WasmBackend } from './backend.js';
import { CONTROL } from './control.js';
import { chooseBuild, kernelModuleAsync, sharedMemory, type SimdChoice } from './module.js';
import { coreCount, threadSupport } from './platform.js';
import type { PoolOptions } from './threads.js';

/** How a WebAssembly backend runs: its build and how many threads. */
export interface WasmOptions {
  /**
   * Threads running each large kernel: a whole number from 1 to 64, or 'auto' (one per core).
   * Default 1. Where threads cannot run (no shared memory, a page's main thread) the backend
   * runs on one thread and `threadNote` says why.
   */
  threads?: number | 'auto';
  /** Kernel build; default 'auto' (relaxed SIMD where the engine has it). */
  simd?: SimdChoice;
  /**
   * Bytes of memory the run will hold (training rows, model, buffers), to size the shared
   * memory of a threaded backend up front. It still grows when more is needed, up to its
   * maximum (4 GiB where the engine can reserve it).
   */
  memoryBytes?: number;
  /** Thread pool timing (watchdog, start timeout, spinning); see PoolOptions. */
  pool?: PoolOptions;
}

/** The largest thread count a backend accepts (the kernels' control block has room for this many). */
export const MAX_THREADS = CONTROL.MAX_THREADS;

/** `threads` as a number: 'auto' is this machine's core count. Throws a ConfigError naming `field` otherwise. */
export function resolveThreads(threads: number | 'auto' | undefined, field = 'threads'): number {
  if (threads === undefined) return 1;
  if (threads === 'auto') return Math.min(coreCount(), MAX_THREADS);
  if (typeof threads !== 'number' || !Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
    throw new ConfigError(field, threads, `a whole number from 1 to ${MAX_THREADS}, or "auto" (one per core; this machine has ${coreCount()})`);
  }
  return threads;
}

/**
 * Compile the kernels asynchronously, then build a backend. Browsers refuse to compile all
 * but tiny modules synchronously on their main thread; there, call this once (the compiled
 * module is kept) before `new WasmBackend()` or `createBackend('wasm')`. With `threads` above
 * 1 the backend starts its worker threads here (call `dispose()` to stop them).
 */
export async function loadWasmBackend(options: WasmOptions = {}): Promise<WasmBackend> {
  const build = chooseBuild(options.simd);
  const want = resolveThreads(options.threads);
  if (want > 1) {
    const support = threadSupport();
    let reason = support.reason;
    if (support.ok) {
      const module = await kernelModuleAsync(build, true);
      try {
        const backend = new WasmBackend(module, { build, memory: sharedMemory(options.memoryBytes ?? 0) });
        await backend.startThreads(module, want, options.pool ?? {});
        return backend;
      } catch (e) {
        // No shared memory to be had, or the threads would not start (a page's policy may
        // forbid Blob workers): one thread, saying why.
        reason = `the worker threads did not start (${e instanceof Error ? e.message : String(e)})`;
      }
    }
    return new WasmBackend(await kernelModuleAsync(build, false), { build, threadNote: `one thread: ${reason}` });
  }
  return new WasmBackend(await kernelModuleAsync(build, false), { build });
}
