import { ConfigError } from '../errors.js';
import { gemmShape, type Backend } from './backend.js';
import { Matrix } from './matrix.js';
import { Heap } from './wasm/heap.js';
import * as generated from './wasm/kernels.generated.js';
import { coreCount, threadSupport } from './wasm/platform.js';
import { CONTROL, OPS, ThreadPool, type PoolExports, type PoolOptions } from './wasm/threads.js';

/** The exports of the kernel module (assembly/index.ts); pointers are byte offsets. */
interface Kernels {
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
type ThreadKernels = Kernels & PoolExports;

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
function kernelModule(build: SimdBuild = chooseBuild('auto'), threads = false): WebAssembly.Module {
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

async function kernelModuleAsync(build: SimdBuild, threads: boolean): Promise<WebAssembly.Module> {
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

const PAGE = 65536;

/**
 * A shared memory for `bytes` of data (plus the kernels' static data), with the largest
 * maximum the engine will reserve: 4 GiB, else 1 GiB, else 256 MiB.
 */
function sharedMemory(bytes: number): WebAssembly.Memory {
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

/** Scratch kept between products: enough to transpose a 256 x 256 weight matrix. */
const KEEP_SCRATCH = 256 * 1024;

function checkSame(op: string, a: Matrix, b: Matrix): void {
  if (a.size !== b.size) throw new RangeError(`${op}: ${a.rows}x${a.cols} and ${b.rows}x${b.cols} differ in size`);
}

function checkLength(op: string, what: string, m: Matrix, length: number): void {
  if (m.size !== length) throw new RangeError(`${op}: ${what} holds ${m.size} values, expected ${length}`);
}

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
const COST = {
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
const ACTIVATION_COST = [0.3, 0.3, 2.5, 2, 1.6, 1.2, 0.3];
const GRAIN_NS = 20_000;
/**
 * The least work worth handing to a worker while this thread goes on (`gemmAsync`): nothing
 * waits for it until the layer's gradients are complete, so a few microseconds are enough.
 */
const ASYNC_GRAIN_NS = 3000;

interface Setup {
  build: SimdBuild;
  /** A shared memory for a threads build; absent for the single-thread builds (own memory). */
  memory?: WebAssembly.Memory;
  /** Why the backend runs on fewer threads than asked. */
  threadNote?: string | null;
}

/**
 * The WebAssembly SIMD backend: every kernel of `Backend` compiled from assembly/ with
 * f32x4 vectors. Matrices live in this backend's own WebAssembly memory, handed out by a
 * free-list allocator (`alloc` / `free`); pass them only to this backend. Results agree
 * with `ReferenceBackend` to float32 rounding (sums here are carried in float32), and
 * dropout masks agree bit for bit. The GELU derivative reads Phi(x) off y = x Phi(x), so
 * `activationBackward` needs the y that `activationForward` produced, as `Backend` says.
 *
 * With threads (`loadWasmBackend({ threads })`) the memory is shared and every large kernel
 * is split among the threads by output element (rows of a product for some, columns for
 * others, spans of element-wise passes, feature columns of batch norm); each element is
 * computed by one thread exactly as one thread computes it, so results are bit-identical for
 * every thread count. Reductions over a whole tensor (the loss, the diagnostics' sums) stay
 * on one thread. Only the thread that owns the backend allocates.
 *
 * @example
 * const be = new WasmBackend();
 * const a = be.alloc(32, 128), w = be.alloc(128, 64), y = be.alloc(32, 64);
 * be.gemm(a, false, w, false, y, 0);
 */
export class WasmBackend implements Backend {
  readonly name = 'wasm';
  /** The linear memory every matrix of this backend lives in. */
  readonly memory: WebAssembly.Memory;
  /** The kernel build running. */
  readonly build: SimdBuild;
  /** Why this backend runs on one thread although more were asked for, or null. */
  readonly threadNote: string | null;
  private readonly k: Kernels;
  private readonly heap: Heap;
  private scratch = -1;
  private scratchBytes = 0;
  private pool: ThreadPool | null = null;
  private ctrl = -1;
  /** Row numbers of a prefetch, in this memory (a threaded backend). */
  private rowIndex = -1;
  private rowIndexCapacity = 0;
  private indexView = new Int32Array(0);
  private grain = GRAIN_NS;

  constructor(module?: WebAssembly.Module, setup?: Setup) {
    const build = setup?.build ?? chooseBuild('auto');
    const instance = new WebAssembly.Instance(module ?? kernelModule(build), setup?.memory ? { env: { memory: setup.memory } } : {});
    this.k = instance.exports as unknown as Kernels;
    this.memory = setup?.memory ?? this.k.memory;
    this.build = build;
    this.threadNote = setup?.threadNote ?? null;
    this.heap = new Heap(this.memory, this.k.heapBase(), setup?.memory ? 'shared' : 'own');
  }

  /** Threads running each large kernel (1 without a pool). */
  get threads(): number {
    return this.pool?.size ?? 1;
  }

  /** The engine in words, for logs and the page: "wasm relaxed-SIMD, 2 threads". */
  get engine(): string {
    const n = this.threads;
    return `wasm ${this.build === 'relaxed' ? 'relaxed-SIMD' : 'SIMD'}, ${n} thread${n === 1 ? '' : 's'}`;
  }

  /** @internal Start the worker threads of a threads build (loadWasmBackend does). */
  async startThreads(module: WebAssembly.Module, threads: number, options: PoolOptions): Promise<void> {
    // 64-byte aligned, as every block of a shared heap is.
    this.ctrl = this.heap.alloc(CONTROL.BYTES);
    this.k.zeroBytes(this.ctrl, CONTROL.BYTES);
    this.pool = await ThreadPool.start(module, this.memory, this.k as ThreadKernels, this.ctrl, threads, options);
    this.grain = options.grainNs ?? GRAIN_NS;
  }

  /**
   * Stop the worker threads (a backend with threads holds them until this is called; idle
   * threads sleep and do not keep a process alive). The backend still works afterwards, on
   * one thread.
   */
  dispose(): void {
    this.pool?.stop();
    this.pool = null;
  }

  /** The pool's failure, if a worker thread failed or stopped (the run cannot go on), else null. */
  get threadError(): Error | null {
    return this.pool?.error ?? null;
  }

  /** @internal The pool, for the tests of failing threads. */
  get threadPool(): ThreadPool | null {
    return this.pool;
  }

  /** Bytes of WebAssembly memory held by live matrices (scratch space included). */
  get bytesInUse(): number {
    return this.heap.bytesInUse;
  }

  /** Number of live allocations (scratch space included). */
  get liveAllocations(): number {
    return this.heap.liveCount;
  }

  alloc(rows: number, cols: number): Matrix {
    if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(cols) || cols < 0) {
      throw new RangeError(`alloc: rows and cols must be non-negative integers, got ${rows}x${cols}`);
    }
    const bytes = rows * cols * 4;
    const ptr = this.heap.alloc(bytes);
    this.k.zeroBytes(ptr, bytes);
    return new Matrix(rows, cols, new Float32Array(this.memory.buffer, ptr, rows * cols), ptr, this.memory);
  }

  free(m: Matrix): void {
    this.heap.free(this.ptr(m), m.size * 4);
  }

  private ptr(m: Matrix): number {
    if (m.ptr < 0) throw new RangeError(`wasm backend: a ${m.rows}x${m.cols} matrix was not allocated by this backend`);
    return m.ptr;
  }

  /**
   * Scratch space of at least `bytes` bytes. Up to KEEP_SCRATCH bytes stay allocated between
   * calls (the per-step products of small models); larger blocks go back after the call.
   */
  private scratchSpace(bytes: number): number {
    if (bytes > this.scratchBytes) {
      this.releaseScratch();
      this.scratchBytes = bytes;
      this.scratch = this.heap.alloc(bytes);
    }
    return this.scratch;
  }

  private releaseScratch(): void {
    if (this.scratch >= 0) this.heap.free(this.scratch);
    this.scratch = -1;
    this.scratchBytes = 0;
  }

  /**
   * How many threads a job of `ns` (its cost on one thread) over `units` splittable units
   * gets, when each thread's share must be at least `align` units: 1 (run it here, as a
   * single-thread backend does) unless the work is large enough to be worth sharing.
   */
  private parts(ns: number, units: number, align: number): number {
    const pool = this.pool;
    if (pool === null) return 1;
    const p = Math.min(pool.size, this.grain > 0 ? Math.floor(ns / this.grain) : pool.size, Math.floor(units / align));
    return p >= 2 ? p : 1;
  }

  gemm(a: Matrix, transA: boolean, b: Matrix, transB: boolean, c: Matrix, beta: 0 | 1): void {
    const { m, k, n } = gemmShape(a, transA, b, transB, c);
    const pa = this.ptr(a), pc = this.ptr(c);
    const pb = this.ptr(b);
    const lda = a.cols;
    const sai = transA ? 1 : lda, sap = transA ? lda : 1;
    const work = m * n * k * COST.gemm;
    if (transB && k * n > 0) {
      // A B^T as A (B^T): one transpose into scratch keeps the fast row-of-B kernel.
      const t = this.scratchSpace(k * n * 4);
      const p = this.parts(work, n, 16);
      if (p > 1) {
        // Each thread transposes the rows of B behind its columns of C, then multiplies.
        this.pool!.i(0, pa).i(1, sai).i(2, sap).i(3, pb).i(4, t).i(5, pc).i(6, n).i(7, m).i(8, n).i(9, k).i(10, beta).split(n, p, 16).run(OPS.GEMM_TRANS_B);
      } else {
        this.k.transpose(pb, n, k, k, t, n);
        this.k.gemm(pa, sai, sap, t, n, pc, n, m, n, k, beta);
      }
      if (this.scratchBytes > KEEP_SCRATCH) this.releaseScratch();
      return;
    }
    // Split the side that saves reading the other operand again: columns of C when B is the
    // larger operand (each thread reads its columns of B), rows otherwise.
    if (n >= m) {
      const p = this.parts(work, n, 16);
      if (p > 1) {
        this.pool!.i(0, pa).i(1, sai).i(2, sap).i(3, pb).i(4, n).i(5, pc).i(6, n).i(7, m).i(8, k).i(9, beta).split(n, p, 16).run(OPS.GEMM_COLS);
        return;
      }
    } else {
      const p = this.parts(work, m, 4);
      if (p > 1) {
        this.pool!.i(0, pa).i(1, sai).i(2, sap).i(3, pb).i(4, n).i(5, pc).i(6, n).i(7, n).i(8, k).i(9, beta).split(m, p, 4).run(OPS.GEMM_ROWS);
        return;
      }
    }
    this.k.gemm(pa, sai, sap, pb, n, pc, n, m, n, k, beta);
  }

  addRowVector(y: Matrix, bias: Matrix): void {
    checkLength('addRowVector', 'bias', bias, y.cols);
    const p = this.parts(y.size * COST.stream, y.rows, 1);
    if (p > 1) this.pool!.i(0, this.ptr(y)).i(1, this.ptr(bias)).i(2, y.cols).split(y.rows, p, 1).run(OPS.ADD_ROW_VECTOR);
    else this.k.addRowVector(this.ptr(y), this.ptr(bias), y.rows, y.cols);
  }

  sumRows(x: Matrix, out: Matrix, beta: 0 | 1): void {
    checkLength('sumRows', 'out', out, x.cols);
    const p = this.parts(x.size * COST.stream, x.cols, 16);
    if (p > 1) this.pool!.i(0, this.ptr(x)).i(1, this.ptr(out)).i(2, x.rows).i(3, x.cols).i(4, beta).split(x.cols, p, 16).run(OPS.SUM_ROWS);
    else this.k.sumRows(this.ptr(x), this.ptr(out), x.rows, x.cols, beta);
  }

  activationForward(code: number, x: Matrix, y: Matrix, alpha: number): void {
    checkCode(code);
    checkSame('activationForward', x, y);
    const p = code === 0 ? 1 : this.parts(x.size * ACTIVATION_COST[code], x.size, 16);
    if (p > 1) this.pool!.i(0, code).i(1, this.ptr(x)).i(2, this.ptr(y)).f(3, alpha).split(x.size, p, 16).run(OPS.ACTIVATION_FORWARD);
    else this.k.activationForward(code, this.ptr(x), this.ptr(y), x.size, alpha);
  }

  activationBackward(code: number, x: Matrix, y: Matrix, dy: Matrix, dx: Matrix, alpha: number): void {
    checkCode(code);
    checkSame('activationBackward', x, y);
    checkSame('activationBackward', x, dy);
    checkSame('activationBackward', x, dx);
    const p = code === 0 ? 1 : this.parts(x.size * ACTIVATION_COST[code], x.size, 16);
    if (p > 1) {
      this.pool!.i(0, code).i(1, this.ptr(x)).i(2, this.ptr(y)).i(3, this.ptr(dy)).i(4, this.ptr(dx)).f(5, alpha).split(x.size, p, 16).run(OPS.ACTIVATION_BACKWARD);
    } else {
      this.k.activationBackward(code, this.ptr(x), this.ptr(y), this.ptr(dy), this.ptr(dx), x.size, alpha);
    }
  }

  dropoutForward(x: Matrix, mask: Matrix, y: Matrix, key: number, threshold: number, scale: number): void {
    checkSame('dropoutForward', x, mask);
    checkSame('dropoutForward', x, y);
    const p = this.parts(x.size * COST.dropout, x.size, 16);
    if (p > 1) {
      this.pool!.i(0, this.ptr(x)).i(1, this.ptr(mask)).i(2, this.ptr(y)).i(3, key).i(4, threshold).f(5, scale).split(x.size, p, 16).run(OPS.DROPOUT);
    } else {
      this.k.dropoutForward(this.ptr(x), this.ptr(mask), this.ptr(y), x.size, key, threshold, scale);
    }
  }

  multiply(a: Matrix, b: Matrix, out: Matrix): void {
    checkSame('multiply', a, b);
    checkSame('multiply', a, out);
    const p = this.parts(a.size * COST.stream, a.size, 16);
    if (p > 1) this.pool!.i(0, this.ptr(a)).i(1, this.ptr(b)).i(2, this.ptr(out)).split(a.size, p, 16).run(OPS.MULTIPLY);
    else this.k.multiply(this.ptr(a), this.ptr(b), this.ptr(out), a.size);
  }

  batchNormTrain(
    x: Matrix, gamma: Matrix, beta: Matrix, y: Matrix, xhat: Matrix, invStd: Matrix,
    runMean: Matrix, runVar: Matrix, momentum: number, eps: number,
  ): void {
    const f = x.cols;
    checkSame('batchNormTrain', x, y);
    checkSame('batchNormTrain', x, xhat);
    checkLength('batchNormTrain', 'gamma', gamma, f);
    checkLength('batchNormTrain', 'beta', beta, f);
    checkLength('batchNormTrain', 'invStd', invStd, f);
    checkLength('batchNormTrain', 'runMean', runMean, f);
    checkLength('batchNormTrain', 'runVar', runVar, f);
    const p = this.parts(x.size * COST.batchNorm, f, 16);
    if (p > 1) {
      this.pool!.i(0, this.ptr(x)).i(1, this.ptr(gamma)).i(2, this.ptr(beta)).i(3, this.ptr(y)).i(4, this.ptr(xhat)).i(5, this.ptr(invStd))
        .i(6, this.ptr(runMean)).i(7, this.ptr(runVar)).i(8, x.rows).i(9, f).f(10, momentum).f(11, 1 - momentum).f(12, eps)
        .split(f, p, 16).run(OPS.BATCH_NORM_TRAIN);
      return;
    }
    this.k.batchNormTrain(
      this.ptr(x), this.ptr(gamma), this.ptr(beta), this.ptr(y), this.ptr(xhat), this.ptr(invStd),
      this.ptr(runMean), this.ptr(runVar), x.rows, f, momentum, 1 - momentum, eps,
    );
  }

  batchNormInfer(x: Matrix, gamma: Matrix, beta: Matrix, runMean: Matrix, runVar: Matrix, eps: number, y: Matrix): void {
    const f = x.cols;
    checkSame('batchNormInfer', x, y);
    checkLength('batchNormInfer', 'gamma', gamma, f);
    checkLength('batchNormInfer', 'beta', beta, f);
    checkLength('batchNormInfer', 'runMean', runMean, f);
    checkLength('batchNormInfer', 'runVar', runVar, f);
    const p = this.parts(x.size * COST.stream, f, 16);
    if (p > 1) {
      this.pool!.i(0, this.ptr(x)).i(1, this.ptr(gamma)).i(2, this.ptr(beta)).i(3, this.ptr(runMean)).i(4, this.ptr(runVar)).i(5, this.ptr(y))
        .i(6, x.rows).i(7, f).f(8, eps).split(f, p, 16).run(OPS.BATCH_NORM_INFER);
      return;
    }
    this.k.batchNormInfer(this.ptr(x), this.ptr(gamma), this.ptr(beta), this.ptr(runMean), this.ptr(runVar), this.ptr(y), x.rows, f, eps);
  }

  batchNormBackward(dy: Matrix, xhat: Matrix, gamma: Matrix, invStd: Matrix, dx: Matrix, dgamma: Matrix, dbeta: Matrix): void {
    const f = dy.cols;
    checkSame('batchNormBackward', dy, xhat);
    checkSame('batchNormBackward', dy, dx);
    checkLength('batchNormBackward', 'gamma', gamma, f);
    checkLength('batchNormBackward', 'invStd', invStd, f);
    checkLength('batchNormBackward', 'dgamma', dgamma, f);
    checkLength('batchNormBackward', 'dbeta', dbeta, f);
    const p = this.parts(dy.size * COST.batchNorm, f, 16);
    if (p > 1) {
      this.pool!.i(0, this.ptr(dy)).i(1, this.ptr(xhat)).i(2, this.ptr(gamma)).i(3, this.ptr(invStd)).i(4, this.ptr(dx)).i(5, this.ptr(dgamma)).i(6, this.ptr(dbeta))
        .i(7, dy.rows).i(8, f).split(f, p, 16).run(OPS.BATCH_NORM_BACKWARD);
      return;
    }
    this.k.batchNormBackward(
      this.ptr(dy), this.ptr(xhat), this.ptr(gamma), this.ptr(invStd), this.ptr(dx), this.ptr(dgamma), this.ptr(dbeta), dy.rows, f,
    );
  }

  softmaxCrossEntropy(logits: Matrix, labels: Matrix, grad: Matrix, smoothing: number): number {
    checkLength('softmaxCrossEntropy', 'labels', labels, logits.rows);
    checkSame('softmaxCrossEntropy', logits, grad);
    // One thread: the loss is a sum over rows, whose order must not depend on the thread count.
    return this.k.softmaxCrossEntropy(this.ptr(logits), this.ptr(labels), this.ptr(grad), logits.rows, logits.cols, smoothing);
  }

  softmax(logits: Matrix, out: Matrix): void {
    checkSame('softmax', logits, out);
    const p = this.parts(logits.size * COST.softmax, logits.rows, 1);
    if (p > 1) this.pool!.i(0, this.ptr(logits)).i(1, this.ptr(out)).i(2, logits.cols).split(logits.rows, p, 1).run(OPS.SOFTMAX);
    else this.k.softmax(this.ptr(logits), this.ptr(out), logits.rows, logits.cols);
  }

  axpy(alpha: number, x: Matrix, y: Matrix): void {
    checkSame('axpy', x, y);
    const p = this.parts(x.size * COST.stream, x.size, 16);
    if (p > 1) this.pool!.f(0, alpha).i(1, this.ptr(x)).i(2, this.ptr(y)).split(x.size, p, 16).run(OPS.AXPY);
    else this.k.axpy(alpha, this.ptr(x), this.ptr(y), x.size);
  }

  scale(x: Matrix, alpha: number): void {
    const p = this.parts(x.size * COST.stream, x.size, 16);
    if (p > 1) this.pool!.i(0, this.ptr(x)).f(1, alpha).split(x.size, p, 16).run(OPS.SCALE);
    else this.k.scale(this.ptr(x), x.size, alpha);
  }

  copy(src: Matrix, dst: Matrix): void {
    checkSame('copy', src, dst);
    this.k.copyBytes(this.ptr(src), this.ptr(dst), src.size * 4);
  }

  fill(x: Matrix, value: number): void {
    const p = this.parts(x.size * COST.stream, x.size, 16);
    if (p > 1) this.pool!.i(0, this.ptr(x)).f(1, value).split(x.size, p, 16).run(OPS.FILL);
    else this.k.fill(this.ptr(x), x.size, value);
  }

  prefetchRows(src: Matrix, order: Int32Array, start: number, dst: Matrix): void {
    const pool = this.pool;
    if (pool === null || !pool.takesStartedJobs()) {
      this.gatherRows(src, order, start, dst);
      return;
    }
    const n = dst.rows;
    const idx = this.rowNumbers(src, order, start, dst);
    pool.i(0, this.ptr(src)).i(1, idx).i(2, src.cols).i(3, this.ptr(dst)).splitWorkers(n, 1).start(OPS.GATHER_ROWS, n * src.cols * COST.gather);
  }

  /**
   * Check a gather and copy rows order[start .. start + dst.rows) of src into this memory's
   * row-number buffer, for the gather kernel to read (after any gather still reading it);
   * returns the buffer's address.
   */
  private rowNumbers(src: Matrix, order: Int32Array, start: number, dst: Matrix): number {
    checkGather(src, order, start, dst);
    this.pool?.settle();
    const n = dst.rows;
    if (this.rowIndexCapacity < n) {
      if (this.rowIndex >= 0) this.heap.free(this.rowIndex);
      this.rowIndex = this.heap.alloc(n * 4);
      this.rowIndexCapacity = n;
    }
    if (this.indexView.buffer !== this.memory.buffer) this.indexView = new Int32Array(this.memory.buffer);
    const idx = this.indexView, i0 = this.rowIndex >> 2;
    for (let r = 0; r < n; r++) {
      const row = order[start + r];
      if (!(row >= 0 && row < src.rows)) throw new RangeError(`gatherRows: row ${row} outside 0..${src.rows - 1}`);
      idx[i0 + r] = row;
    }
    return this.rowIndex;
  }

  gemmAsync(a: Matrix, transA: boolean, b: Matrix, c: Matrix, beta: 0 | 1): void {
    const pool = this.pool;
    const { m, k, n } = gemmShape(a, transA, b, false, c);
    const work = m * n * k * COST.gemm;
    // Below a few microseconds it is not worth a thread; a product large enough to be shared
    // among all threads is faster shared (and keeps one worker from being busy alone for long).
    if (pool === null || work < Math.min(ASYNC_GRAIN_NS, this.grain) || m < 4 || (this.grain > 0 && work >= 2 * this.grain) || !pool.takesStartedJobs()) {
      this.gemm(a, transA, b, false, c, beta);
      return;
    }
    const lda = a.cols;
    pool.i(0, this.ptr(a)).i(1, transA ? 1 : lda).i(2, transA ? lda : 1).i(3, this.ptr(b)).i(4, n).i(5, this.ptr(c)).i(6, n).i(7, n).i(8, k).i(9, beta)
      .splitWorkers(m, 4).start(OPS.GEMM_ROWS, work);
  }

  settle(): void {
    this.pool?.settle();
  }

  gatherRows(src: Matrix, order: Int32Array, start: number, dst: Matrix): void {
    // The row numbers go into this memory and one kernel call copies the rows: half the time
    // of a copyWithin per row from JavaScript.
    const idx = this.rowNumbers(src, order, start, dst);
    if (dst.rows > 0) this.k.gatherRows(this.ptr(src), idx, dst.rows, src.cols, this.ptr(dst));
  }

  momentum(g: Matrix, trace: Matrix, decay: number, nesterov: boolean): void {
    checkSame('momentum', g, trace);
    const p = this.parts(g.size * COST.stream, g.size, 16);
    if (p > 1) this.pool!.i(0, this.ptr(g)).i(1, this.ptr(trace)).f(2, decay).i(3, nesterov ? 1 : 0).split(g.size, p, 16).run(OPS.MOMENTUM);
    else this.k.momentum(this.ptr(g), this.ptr(trace), g.size, decay, nesterov ? 1 : 0);
  }

  adam(g: Matrix, m: Matrix, v: Matrix, b1: number, b2: number, c1: number, c2: number, eps: number): void {
    checkSame('adam', g, m);
    checkSame('adam', g, v);
    const p = this.parts(g.size * COST.adam, g.size, 16);
    if (p > 1) {
      this.pool!.i(0, this.ptr(g)).i(1, this.ptr(m)).i(2, this.ptr(v)).f(3, b1).f(4, 1 - b1).f(5, b2).f(6, 1 - b2).f(7, c1).f(8, c2).f(9, eps)
        .split(g.size, p, 16).run(OPS.ADAM);
      return;
    }
    this.k.adam(this.ptr(g), this.ptr(m), this.ptr(v), g.size, b1, 1 - b1, b2, 1 - b2, c1, c2, eps);
  }

  /**
   * One SGD step in a single pass over flat vectors (a fused kernel proposed for `Backend`):
   * on the first `decayed` entries g += weightDecay w; then trace = momentum trace + g;
   * d = trace, or g + momentum trace with Nesterov; g = -lr d; w += g. The same as
   * axpy, momentum, copy, scale and axpy, which take five passes. With momentum 0 the trace
   * is neither needed nor touched (pass null).
   */
  sgdStep(values: Matrix, grads: Matrix, trace: Matrix | null, decayed: number, lr: number, weightDecay: number, momentum: number, nesterov: boolean): void {
    checkSame('sgdStep', values, grads);
    if (!Number.isInteger(decayed) || decayed < 0 || decayed > values.size) {
      throw new RangeError(`sgdStep: decayed must be an integer from 0 to ${values.size}, got ${decayed}`);
    }
    let pt = 0;
    if (momentum !== 0) {
      if (trace === null) throw new RangeError('sgdStep: momentum needs a trace matrix');
      checkSame('sgdStep', values, trace);
      pt = this.ptr(trace);
    }
    const p = this.parts(values.size * COST.stream, values.size, 16);
    if (p > 1) {
      this.pool!.i(0, this.ptr(values)).i(1, this.ptr(grads)).i(2, pt).i(3, decayed).f(4, lr).f(5, weightDecay).f(6, momentum).i(7, nesterov ? 1 : 0)
        .split(values.size, p, 16).run(OPS.SGD);
      return;
    }
    this.k.sgdStep(this.ptr(values), this.ptr(grads), pt, values.size, decayed, lr, weightDecay, momentum, nesterov ? 1 : 0);
  }

  sumSquares(x: Matrix): number {
    return this.k.sumSquares(this.ptr(x), x.size);
  }

  firstNonFinite(x: Matrix): number {
    return this.k.firstNonFinite(this.ptr(x), x.size);
  }

  unitStats(z: Matrix, a: Matrix, minmax: Matrix, sums: Matrix, low: number, high: number): void {
    checkSame('unitStats', z, a);
    if (minmax.rows !== 2 || minmax.cols !== z.cols || sums.size !== 5) {
      throw new RangeError(`unitStats: minmax must be 2 x ${z.cols} and sums 1 x 5, got ${minmax.rows} x ${minmax.cols} and ${sums.size} values`);
    }
    this.k.unitStats(this.ptr(z), this.ptr(a), z.rows, z.cols, this.ptr(minmax), this.ptr(sums), low, high);
  }
}

function checkGather(src: Matrix, order: Int32Array, start: number, dst: Matrix): void {
  if (src.cols !== dst.cols) throw new RangeError(`gatherRows: src has ${src.cols} columns, dst ${dst.cols}`);
  if (start < 0 || start + dst.rows > order.length) throw new RangeError(`gatherRows: rows ${start}..${start + dst.rows} outside the order of ${order.length}`);
}

function checkCode(code: number): void {
  if (!Number.isInteger(code) || code < 0 || code > 6) throw new RangeError(`unknown activation code ${code}`);
}
