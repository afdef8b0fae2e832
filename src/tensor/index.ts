/**
 * `mlplab/kernels`: the kernels behind one `Backend` interface (a plain TypeScript reference and
 * WebAssembly SIMD, with threads), matrices, the seeded generator, and choosing a backend.
 *
 * @module mlplab/kernels
 */
import type { Backend } from './backend.js';
import { ReferenceBackend } from './reference.js';
import { WasmBackend } from './wasm/backend.js';
import { loadWasmBackend, resolveThreads, type WasmOptions } from './wasm/load.js';
import { wasmBackendAvailable, wasmSimdSupported } from './wasm/module.js';
import { ConfigError } from '../errors.js';

export type BackendName = 'reference' | 'wasm' | 'auto';

let current: Backend | null = null;

/**
 * Create a backend by name. 'auto' is the WebAssembly SIMD backend wherever it can start
 * synchronously (Node, Web Workers, and browsers' main threads once `loadBackend` has run),
 * else the reference backend.
 *
 * @example
 * const be = createBackend('auto'); // be.name is 'wasm' in Node
 */
export function createBackend(name: BackendName): Backend {
  switch (name) {
    case 'reference':
      return new ReferenceBackend();
    case 'wasm':
      if (!wasmSimdSupported()) {
        throw new ConfigError('backend', name, 'a JavaScript engine with WebAssembly SIMD (Node 16.4+ or a current browser); use "reference" here');
      }
      return new WasmBackend();
    case 'auto':
      return wasmBackendAvailable() ? new WasmBackend() : new ReferenceBackend();
    default:
      throw new ConfigError('backend', name, '"reference", "wasm" or "auto"');
  }
}

/**
 * Like `createBackend`, but compiles the WebAssembly kernels asynchronously first, as a
 * browser's main thread requires, and can start threads: `{ threads: 4 }` or
 * `{ threads: 'auto' }` (one per core) runs each large kernel on that many threads, with
 * bit-identical results (see `WasmBackend`). A backend with threads holds them until its
 * `dispose()`; `disposeBackend(backend)` does that for any backend. Afterwards
 * `createBackend` and `getBackend` find the kernels compiled.
 *
 * @example
 * const be = await loadBackend('auto', { threads: 'auto' });
 * // ... train with Sequential.create(options, { backend: be }) ...
 * disposeBackend(be);
 */
export async function loadBackend(name: BackendName, options: WasmOptions = {}): Promise<Backend> {
  // The reference backend runs on one thread; a bad count is refused all the same.
  resolveThreads(options.threads);
  if ((name === 'wasm' || name === 'auto') && wasmSimdSupported()) return loadWasmBackend(options);
  return createBackend(name);
}

const sharedBackends = new Map<number, Promise<Backend>>();

/**
 * The process-wide backend for runs on `threads` threads ('auto': one per core), created on
 * first use and kept, as `getBackend()` is (idle threads sleep and do not keep a process
 * alive). One thread is `getBackend()` itself. `memoryBytes` sizes the shared memory of a
 * backend with threads when this call creates it (see WasmOptions).
 */
export function sharedBackend(threads: number | 'auto' = 'auto', memoryBytes = 0): Promise<Backend> {
  const n = resolveThreads(threads);
  if (n <= 1) return Promise.resolve(getBackend());
  let backend = sharedBackends.get(n);
  if (backend === undefined) {
    backend = loadBackend('auto', { threads: n, memoryBytes });
    sharedBackends.set(n, backend);
    // A failed start is not kept: the next call tries again.
    backend.catch(() => sharedBackends.delete(n));
  }
  return backend;
}

/** Stop a backend's worker threads, if it has any (a no-op otherwise). */
export function disposeBackend(backend: Backend): void {
  if (backend instanceof WasmBackend) backend.dispose();
}

/**
 * The engine in words for logs and pages: "wasm relaxed-SIMD, 2 threads", "wasm SIMD, 1
 * thread", "reference TypeScript, 1 thread".
 */
export function describeBackend(backend: Backend): string {
  if (backend instanceof WasmBackend) return backend.engine;
  return backend.name === 'reference' ? 'reference TypeScript, 1 thread' : backend.name;
}

/** The backend used where none is passed explicitly (created on first use). */
export function getBackend(): Backend {
  if (current === null) current = createBackend('auto');
  return current;
}

/** Make `name` the default backend and return it. */
export function useBackend(name: BackendName): Backend {
  current = createBackend(name);
  return current;
}

export type { Backend } from './backend.js';
export { WasmBackend } from './wasm/backend.js';
export { MAX_THREADS, resolveThreads, type WasmOptions } from './wasm/load.js';
export { chooseBuild, relaxedSimdSupported, wasmSimdSupported, type SimdBuild, type SimdChoice } from './wasm/module.js';
export { coreCount, threadSupport } from './wasm/platform.js';
export type { PoolOptions } from './wasm/threads.js';
export { ACTIVATIONS, type Activation } from './backend.js';
export { Matrix } from './matrix.js';
export { ReferenceBackend } from './reference.js';
export { Rng } from './rng.js';
