import type { Backend } from './backend.js';
import { ReferenceBackend } from './reference.js';
import { WasmBackend, loadWasmBackend, wasmBackendAvailable, wasmSimdSupported } from './wasm.js';
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
 * browser's main thread requires. Afterwards `createBackend` and `getBackend` find them
 * compiled.
 */
export async function loadBackend(name: BackendName): Promise<Backend> {
  if ((name === 'wasm' || name === 'auto') && wasmSimdSupported()) return loadWasmBackend();
  return createBackend(name);
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
export type { Matrix } from './matrix.js';
export { wasmSimdSupported } from './wasm.js';
