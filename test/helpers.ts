import assert from 'node:assert/strict';
import { createBackend, type BackendName } from '../src/tensor/index.js';
import type { Backend } from '../src/tensor/backend.js';
import type { Matrix } from '../src/tensor/matrix.js';
import type { Dataset } from '../src/data/dataset.js';

/**
 * Every kernel backend this build has: the reference backend always, the WebAssembly one
 * when `createBackend('wasm')` succeeds. Engine tests run once per backend.
 */
export function availableBackends(): { name: BackendName; backend: Backend }[] {
  const out: { name: BackendName; backend: Backend }[] = [{ name: 'reference', backend: createBackend('reference') }];
  try {
    out.push({ name: 'wasm', backend: createBackend('wasm') });
  } catch {
    // Not built in this checkout: the reference backend alone is tested.
  }
  return out;
}

export const BACKENDS = availableBackends();

/** A backend matrix holding `values` (rounded to float32). */
export function matrixOf(backend: Backend, rows: number, cols: number, values: ArrayLike<number>): Matrix {
  assert.equal(values.length, rows * cols, 'matrixOf: wrong number of values');
  const m = backend.alloc(rows, cols);
  m.data.set(values);
  return m;
}

/** A small deterministic generator for test data (independent of the engine's Rng). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** n values uniform in [lo, hi), optionally kept at least `gap` away from 0 (activation kinks). */
export function uniformValues(rand: () => number, n: number, lo: number, hi: number, gap = 0): number[] {
  const out: number[] = [];
  while (out.length < n) {
    const v = lo + (hi - lo) * rand();
    if (Math.abs(v) >= gap) out.push(Math.fround(v));
  }
  return out;
}

/**
 * Compare a float32 result with a float64 reference element by element:
 * |actual - expected| <= rtol * |expected| + atol * max|expected|.
 * The absolute part scales with the tensor (or with `minScale`, when the tensor belongs to a
 * larger whole such as all of a model's gradients) so tiny entries do not fail on rounding,
 * while an error comparable to the values always does.
 */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  what: string,
  rtol = 1e-3,
  atol = 1e-4,
  minScale = 0,
): void {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} vs ${expected.length}`);
  let scale = minScale;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  const bad: string[] = [];
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i], e = expected[i];
    if (!(Math.abs(a - e) <= rtol * Math.abs(e) + atol * Math.max(scale, 1e-12))) bad.push(`[${i}] ${a} vs ${e}`);
  }
  assert.deepEqual(bad.slice(0, 8), [], `${what}: ${bad.length} of ${expected.length} entries differ`);
}

/** Element-wise |actual - expected| <= tol (absolute). */
export function assertAbsClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} vs ${expected.length}`);
  const bad: string[] = [];
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= tol)) bad.push(`[${i}] ${actual[i]} vs ${expected[i]}`);
  }
  assert.deepEqual(bad.slice(0, 8), [], `${what}: ${bad.length} of ${expected.length} entries differ by more than ${tol}`);
}

/** Same bits: the arrays are of one type and hold identical values (NaN payloads included). */
export function sameBits(a: Float32Array | Float64Array, b: Float32Array | Float64Array): boolean {
  if (a.length !== b.length || a.constructor !== b.constructor) return false;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/**
 * Gaussian blobs: `classes` centres drawn N(0, spread^2) per feature, rows drawn N(centre, 1).
 * With spread around 0.35 and 128 features the classes overlap in every single feature but
 * are well separated as a whole, a problem an MLP learns in a few epochs.
 */
export function gaussianBlobs(
  rows: number, cols: number, classes: number, seed: number, spread = 0.35, centresSeed = seed,
): Dataset {
  const normal = normalSource(lcg(centresSeed));
  const centres = Float64Array.from({ length: classes * cols }, () => spread * normal());
  const rowNormal = normalSource(lcg(seed ^ 0x9e3779b9));
  const features = new Float32Array(rows * cols);
  const labels = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const c = r % classes;
    labels[r] = c;
    for (let j = 0; j < cols; j++) features[r * cols + j] = centres[c * cols + j] + rowNormal();
  }
  return { features, labels, rows, cols };
}

function normalSource(rand: () => number): () => number {
  return () => {
    let u = 0;
    while (u === 0) u = rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  };
}
