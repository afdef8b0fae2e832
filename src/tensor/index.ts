import type { Backend } from './backend.js';
import { ReferenceBackend } from './reference.js';

export type BackendName = 'reference' | 'wasm' | 'auto';

let current: Backend | null = null;

/** Create a backend by name. */
export function createBackend(name: BackendName): Backend {
  switch (name) {
    case 'reference':
    case 'auto':
      return new ReferenceBackend();
    default:
      throw new RangeError(`unknown backend ${String(name)}`);
  }
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
export { ACTIVATIONS, activationCode, type Activation } from './backend.js';
export { Matrix } from './matrix.js';
export { Rng, hash32, dropoutKey, dropThreshold } from './rng.js';
export { ReferenceBackend } from './reference.js';
