import { gemmShape, type Backend } from './backend.js';
import { Matrix } from './matrix.js';
import { Heap } from './wasm/heap.js';
import * as generated from './wasm/kernels.generated.js';

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
  momentum(g: number, trace: number, n: number, decay: number, nesterov: number): void;
  adam(g: number, m: number, v: number, n: number, b1: number, a1: number, b2: number, a2: number, c1: number, c2: number, eps: number): void;
  sgdStep(w: number, g: number, t: number, n: number, decayed: number, lr: number, wd: number, mom: number, nesterov: number): void;
  sumSquares(x: number, n: number): number;
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
 * The kernel module's bytes, decoded from the base64 embedded at build time. A build may
 * also embed the same kernels compiled with relaxed SIMD (fused multiply-add in the matrix
 * products, 1.2-1.3x faster there); they are taken where this engine validates them (Node 22+,
 * Chromium 114+), the plain SIMD module elsewhere.
 */
function kernelBytes(): Uint8Array<ArrayBuffer> {
  const relaxed = (generated as Record<string, unknown>).KERNELS_WASM_RELAXED_BASE64;
  if (typeof relaxed === 'string' && relaxed.length > 0) {
    const bytes = decodeBase64(relaxed);
    try {
      if (WebAssembly.validate(bytes)) return bytes;
    } catch {
      // An engine without relaxed SIMD: the plain module below.
    }
  }
  return decodeBase64(generated.KERNELS_WASM_BASE64);
}

let compiled: WebAssembly.Module | null = null;
let syncCompileError: unknown = null;

/** The compiled kernel module, compiled synchronously on first use and then shared. */
function kernelModule(): WebAssembly.Module {
  if (compiled === null) {
    if (syncCompileError !== null) throw syncCompileError;
    try {
      compiled = new WebAssembly.Module(kernelBytes());
    } catch (e) {
      syncCompileError = e;
      throw e;
    }
  }
  return compiled;
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

/**
 * Compile the kernels asynchronously, then build a backend. Browsers refuse to compile all
 * but tiny modules synchronously on their main thread; there, call this once (the compiled
 * module is kept) before `new WasmBackend()` or `createBackend('wasm')`.
 */
export async function loadWasmBackend(): Promise<WasmBackend> {
  if (compiled === null) compiled = await WebAssembly.compile(kernelBytes());
  return new WasmBackend(compiled);
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
 * The WebAssembly SIMD backend: every kernel of `Backend` compiled from assembly/ with
 * f32x4 vectors. Matrices live in this backend's own WebAssembly memory, handed out by a
 * free-list allocator (`alloc` / `free`); pass them only to this backend. Results agree
 * with `ReferenceBackend` to float32 rounding (sums here are carried in float32), and
 * dropout masks agree bit for bit. The GELU derivative reads Phi(x) off y = x Phi(x), so
 * `activationBackward` needs the y that `activationForward` produced, as `Backend` says.
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
  private readonly k: Kernels;
  private readonly heap: Heap;
  private scratch = -1;
  private words = new Float32Array(0);
  private scratchBytes = 0;

  constructor(module: WebAssembly.Module = kernelModule()) {
    const instance = new WebAssembly.Instance(module, {});
    this.k = instance.exports as unknown as Kernels;
    this.memory = this.k.memory;
    this.heap = new Heap(this.memory, this.k.heapBase());
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

  gemm(a: Matrix, transA: boolean, b: Matrix, transB: boolean, c: Matrix, beta: 0 | 1): void {
    const { m, k, n } = gemmShape(a, transA, b, transB, c);
    const pa = this.ptr(a), pc = this.ptr(c);
    let pb = this.ptr(b);
    if (transB && k * n > 0) {
      // A B^T as A (B^T): one transpose into scratch keeps the fast row-of-B kernel.
      const t = this.scratchSpace(k * n * 4);
      this.k.transpose(pb, n, k, k, t, n);
      pb = t;
    }
    const lda = a.cols;
    this.k.gemm(pa, transA ? 1 : lda, transA ? lda : 1, pb, n, pc, n, m, n, k, beta);
    if (this.scratchBytes > KEEP_SCRATCH) this.releaseScratch();
  }

  addRowVector(y: Matrix, bias: Matrix): void {
    checkLength('addRowVector', 'bias', bias, y.cols);
    this.k.addRowVector(this.ptr(y), this.ptr(bias), y.rows, y.cols);
  }

  sumRows(x: Matrix, out: Matrix, beta: 0 | 1): void {
    checkLength('sumRows', 'out', out, x.cols);
    this.k.sumRows(this.ptr(x), this.ptr(out), x.rows, x.cols, beta);
  }

  activationForward(code: number, x: Matrix, y: Matrix, alpha: number): void {
    checkCode(code);
    checkSame('activationForward', x, y);
    this.k.activationForward(code, this.ptr(x), this.ptr(y), x.size, alpha);
  }

  activationBackward(code: number, x: Matrix, y: Matrix, dy: Matrix, dx: Matrix, alpha: number): void {
    checkCode(code);
    checkSame('activationBackward', x, y);
    checkSame('activationBackward', x, dy);
    checkSame('activationBackward', x, dx);
    this.k.activationBackward(code, this.ptr(x), this.ptr(y), this.ptr(dy), this.ptr(dx), x.size, alpha);
  }

  dropoutForward(x: Matrix, mask: Matrix, y: Matrix, key: number, threshold: number, scale: number): void {
    checkSame('dropoutForward', x, mask);
    checkSame('dropoutForward', x, y);
    this.k.dropoutForward(this.ptr(x), this.ptr(mask), this.ptr(y), x.size, key, threshold, scale);
  }

  multiply(a: Matrix, b: Matrix, out: Matrix): void {
    checkSame('multiply', a, b);
    checkSame('multiply', a, out);
    this.k.multiply(this.ptr(a), this.ptr(b), this.ptr(out), a.size);
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
    this.k.batchNormBackward(
      this.ptr(dy), this.ptr(xhat), this.ptr(gamma), this.ptr(invStd), this.ptr(dx), this.ptr(dgamma), this.ptr(dbeta), dy.rows, f,
    );
  }

  softmaxCrossEntropy(logits: Matrix, labels: Matrix, grad: Matrix, smoothing: number): number {
    checkLength('softmaxCrossEntropy', 'labels', labels, logits.rows);
    checkSame('softmaxCrossEntropy', logits, grad);
    return this.k.softmaxCrossEntropy(this.ptr(logits), this.ptr(labels), this.ptr(grad), logits.rows, logits.cols, smoothing);
  }

  softmax(logits: Matrix, out: Matrix): void {
    checkSame('softmax', logits, out);
    this.k.softmax(this.ptr(logits), this.ptr(out), logits.rows, logits.cols);
  }

  axpy(alpha: number, x: Matrix, y: Matrix): void {
    checkSame('axpy', x, y);
    this.k.axpy(alpha, this.ptr(x), this.ptr(y), x.size);
  }

  scale(x: Matrix, alpha: number): void {
    this.k.scale(this.ptr(x), x.size, alpha);
  }

  copy(src: Matrix, dst: Matrix): void {
    checkSame('copy', src, dst);
    this.k.copyBytes(this.ptr(src), this.ptr(dst), src.size * 4);
  }

  fill(x: Matrix, value: number): void {
    this.k.fill(this.ptr(x), x.size, value);
  }

  gatherRows(src: Matrix, order: Int32Array, start: number, dst: Matrix): void {
    if (src.cols !== dst.cols) throw new RangeError(`gatherRows: src has ${src.cols} columns, dst ${dst.cols}`);
    if (start < 0 || start + dst.rows > order.length) throw new RangeError(`gatherRows: rows ${start}..${start + dst.rows} outside the order of ${order.length}`);
    // Both matrices live in this memory, so each row is one copyWithin on a view of the whole
    // memory: a memmove, with no view allocated per row.
    if (this.words.buffer !== this.memory.buffer) this.words = new Float32Array(this.memory.buffer);
    const heap = this.words, cols = src.cols, s0 = this.ptr(src) >> 2, d0 = this.ptr(dst) >> 2;
    for (let r = 0; r < dst.rows; r++) {
      const row = order[start + r];
      if (!(row >= 0 && row < src.rows)) throw new RangeError(`gatherRows: row ${row} outside 0..${src.rows - 1}`);
      const from = s0 + row * cols;
      heap.copyWithin(d0 + r * cols, from, from + cols);
    }
  }

  momentum(g: Matrix, trace: Matrix, decay: number, nesterov: boolean): void {
    checkSame('momentum', g, trace);
    this.k.momentum(this.ptr(g), this.ptr(trace), g.size, decay, nesterov ? 1 : 0);
  }

  adam(g: Matrix, m: Matrix, v: Matrix, b1: number, b2: number, c1: number, c2: number, eps: number): void {
    checkSame('adam', g, m);
    checkSame('adam', g, v);
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
    this.k.sgdStep(this.ptr(values), this.ptr(grads), pt, values.size, decayed, lr, weightDecay, momentum, nesterov ? 1 : 0);
  }
  sumSquares(x: Matrix): number {
    return this.k.sumSquares(this.ptr(x), x.size);
  }

  unitStats(z: Matrix, a: Matrix, minmax: Matrix, sums: Matrix, low: number, high: number): void {
    checkSame('unitStats', z, a);
    if (minmax.rows !== 2 || minmax.cols !== z.cols || sums.size !== 5) {
      throw new RangeError(`unitStats: minmax must be 2 x ${z.cols} and sums 1 x 5, got ${minmax.rows} x ${minmax.cols} and ${sums.size} values`);
    }
    this.k.unitStats(this.ptr(z), this.ptr(a), z.rows, z.cols, this.ptr(minmax), this.ptr(sums), low, high);
  }

}

function checkCode(code: number): void {
  if (!Number.isInteger(code) || code < 0 || code > 6) throw new RangeError(`unknown activation code ${code}`);
}
