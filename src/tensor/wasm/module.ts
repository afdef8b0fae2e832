/**
 * The kernel modules: probing the engine for WebAssembly SIMD and relaxed SIMD, and compiling
 * the four embedded builds (plain or relaxed SIMD, with or without threads) once each.
 */
import { ConfigError } from '../../errors.js';
import type { PoolExports } from './control.js';
import * as generated from './kernels.generated.js';

/** The exports of the kernel module (assembly/index.ts); pointers are byte offsets. */
export interface Kernels {
  memory: WebAssembly.Memory;
  heapBase(): number;
  gemm(a: number, sai: number, sap: number, b: number, ldb: number, c: number, ldc: number, m: number, n: number, k: number, beta: number): void;
  transpose(src: number, rows: number, cols: number, lds: number, dst: number, ldd: number): void;
  activationForward(code: number, x: number, y: number, n: number, alpha: number): void;
  activationBackward(code: number, x: number, y: number, dy: number, dx: number, n: number, alpha: number): void;
  dropoutForward(x: number, mask: number, y: number, n: number, key: number, threshold: number, scale: number): void;
  multiply(a: number, b: number, out: number, n: number): void;
  addRowVector(y: number, bias: number, rows: number, cols: number): void;
  sumRows(x: number, out: number, rows: number, cols: number, beta: number): void;
  axpy(alpha: number, x: number, y: number, n: number): void;
  scale(x: number, n: number, alpha: number): void;
  fill(x: number, n: number, value: number): void;
  copyBytes(src: number, dst: number, bytes: number): void;
  zeroBytes(ptr: number, bytes: number): void;
  gatherRows(src: number, idx: number, rows: number, cols: number, dst: number): void;
  momentum(g: number, trace: number, n: number, decay: number, nesterov: number): void;
  adam(g: number, m: number, v: number, n: number, b1: number, a1: number, b2: number, a2: number, c1: number, c2: number, eps: number): void;
  sgdStep(w: number, g: number, t: number, n: number, decayed: number, lr: number, wd: number, mom: number, nesterov: number): void;
  sumSquares(x: number, n: number): number;
  firstNonFinite(x: number, n: number): number;
  unitStats(z: number, a: number, rows: number, cols: number, minmax: number, sums: number, low: number, high: number): void;
  batchNormTrain(
    x: number, gamma: number, beta: number, y: number, xhat: number, invStd: number,
    runMean: number, runVar: number, rows: number, cols: number, momentum: number, keepRate: number, eps: number,
  ): void;
  batchNormInfer(x: number, gamma: number, beta: number, runMean: number, runVar: number, y: number, rows: number, cols: number, eps: number): void;
  batchNormBackward(dy: number, xhat: number, gamma: number, invStd: number, dx: number, dgamma: number, dbeta: number, rows: number, cols: number): void;
  softmax(z: number, out: number, rows: number, cols: number): void;
  softmaxCrossEntropy(z: number, labels: number, grad: number, rows: number, cols: number, smoothing: number): number;
}

/** The extra exports of a threads build. */
export type ThreadKernels = Kernels & PoolExports;

// A module whose one function runs i8x16.splat and i8x16.popcnt: it validates only where
// the finished WebAssembly SIMD proposal is implemented.
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // types: () -> v128
  0x03, 0x02, 0x01, 0x00, // one function of type 0
  0x0a, 0x0a, 0x01, 0x08, 0x00, 0x41, 0x00, 0xfd, 0x0f, 0xfd, 0x62, 0x0b, // i32.const 0; i8x16.splat; i8x16.popcnt
]);

let simdSupport: boolean | null = null;

/** Whether this JavaScript engine runs WebAssembly SIMD (Node 16.4+ and every current browser do). */
export function wasmSimdSupported(): boolean {
  if (simdSupport === null) {
    try {
      simdSupport = typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
    } catch {
      simdSupport = false;
    }
  }
  return simdSupport;
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const raw = atob(text);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

/**
 * The two kernel builds: `plain` is WebAssembly SIMD; `relaxed` adds relaxed SIMD, whose
 * fused multiply-add makes the matrix products 1.3-1.4x faster and rounds them once instead of
 * twice, so its results differ from the plain build's in the last bits (each build is
 * bit-reproducible on its own, for every thread count).
 */
export type SimdBuild = 'plain' | 'relaxed';
/** Which build to run: 'auto' takes relaxed SIMD where this engine validates it. */
export type SimdChoice = 'auto' | SimdBuild;

const GENERATED = generated as unknown as Record<string, string | number | undefined>;

function embedded(build: SimdBuild, threads: boolean): Uint8Array<ArrayBuffer> | null {
  const name = `KERNELS${threads ? '_THREADS' : ''}_WASM${build === 'relaxed' ? '_RELAXED' : ''}_BASE64`;
  const text = GENERATED[name];
  return typeof text === 'string' && text.length > 0 ? decodeBase64(text) : null;
}

let relaxedSupport: boolean | null = null;

/**
 * Whether this engine runs the relaxed-SIMD build (Chromium 114+, Node 22+, and Node 20 with
 * the V8 flag --experimental-wasm-relaxed-simd, which the command line sets for itself).
 */
export function relaxedSimdSupported(): boolean {
  if (relaxedSupport === null) {
    const bytes = embedded('relaxed', false);
    try {
      relaxedSupport = bytes !== null && wasmSimdSupported() && WebAssembly.validate(bytes);
    } catch {
      relaxedSupport = false;
    }
  }
  return relaxedSupport;
}

/** The build a choice comes to here; a ConfigError when 'relaxed' is asked for and cannot run. */
export function chooseBuild(choice: SimdChoice = 'auto'): SimdBuild {
  if (choice === 'plain') return 'plain';
  if (choice === 'relaxed') {
    if (!relaxedSimdSupported()) {
      throw new ConfigError('simd', choice, 'an engine with relaxed SIMD (Node 22+, Node 20 with --experimental-wasm-relaxed-simd, Chromium 114+), or "plain" or "auto"');
    }
    return 'relaxed';
  }
  if (choice === 'auto') return relaxedSimdSupported() ? 'relaxed' : 'plain';
  throw new ConfigError('simd', choice, '"auto", "relaxed" or "plain"');
}

function moduleBytes(build: SimdBuild, threads: boolean): Uint8Array<ArrayBuffer> {
  const bytes = embedded(build, threads);
  if (bytes === null) throw new Error(`the ${build}${threads ? ' threads' : ''} kernel build is missing; rebuild (npm run build)`);
  return bytes;
}

const compiledModules = new Map<string, WebAssembly.Module>();
let syncCompileError: unknown = null;

/** The compiled module of a build, compiled synchronously on first use and then shared. */
export function kernelModule(build: SimdBuild = chooseBuild('auto'), threads = false): WebAssembly.Module {
  const key = `${build}/${threads}`;
  let m = compiledModules.get(key);
  if (m === undefined) {
    if (syncCompileError !== null && !threads) throw syncCompileError;
    try {
      m = new WebAssembly.Module(moduleBytes(build, threads));
    } catch (e) {
      if (!threads) syncCompileError = e;
      throw e;
    }
    compiledModules.set(key, m);
  }
  return m;
}

export async function kernelModuleAsync(build: SimdBuild, threads: boolean): Promise<WebAssembly.Module> {
  const key = `${build}/${threads}`;
  let m = compiledModules.get(key);
  if (m === undefined) {
    m = await WebAssembly.compile(moduleBytes(build, threads));
    compiledModules.set(key, m);
  }
  return m;
}

/**
 * Whether `new WasmBackend()` can work here and now: the engine runs WebAssembly SIMD and
 * the kernels are compiled, or compile synchronously. A browser's main thread may refuse
 * synchronous compilation until `loadWasmBackend()` has compiled them asynchronously.
 */
export function wasmBackendAvailable(): boolean {
  if (!wasmSimdSupported()) return false;
  try {
    kernelModule();
    return true;
  } catch {
    return false;
  }
}

const PAGE = 65536;

/**
 * A shared memory for `bytes` of data (plus the kernels' static data), with the largest
 * maximum the engine will reserve: 4 GiB, else 1 GiB, else 256 MiB.
 */
export function sharedMemory(bytes: number): WebAssembly.Memory {
  const initial = Math.min(65536, Math.max(256, Math.ceil((bytes * 1.1 + (8 << 20)) / PAGE)));
  let last: unknown = null;
  for (const maximum of [65536, 16384, 4096]) {
    if (initial > maximum) continue;
    try {
      return new WebAssembly.Memory({ initial, maximum, shared: true });
    } catch (e) {
      last = e;
    }
  }
  throw new RangeError(`could not reserve a shared WebAssembly memory of ${Math.round((initial * PAGE) / 2 ** 20)} MiB: ${String(last)}; use one thread`);
}
