import { gemmShape, type Backend } from '../backend.js';
import { Matrix } from '../matrix.js';
import { checkCode, checkFeatures, checkGather, checkLength, checkSame } from './checks.js';
import { ACTIVATION_COST, COST, GRAIN_NS, shareCount, worthStarting } from './cost.js';
import { CONTROL, OPS } from './control.js';
import { Heap, RowNumbers } from './heap.js';
import { chooseBuild, kernelModule, type Kernels, type SimdBuild, type ThreadKernels } from './module.js';
import { ThreadPool, type PoolOptions } from './threads.js';

/** Scratch kept between products: enough to transpose a 256 x 256 weight matrix. */
const KEEP_SCRATCH = 256 * 1024;

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
  /** Row numbers of a gather, in this memory. */
  private readonly rowIndex: RowNumbers;
  private grain = GRAIN_NS;

  constructor(module?: WebAssembly.Module, setup?: Setup) {
    const build = setup?.build ?? chooseBuild('auto');
    const instance = new WebAssembly.Instance(module ?? kernelModule(build), setup?.memory ? { env: { memory: setup.memory } } : {});
    this.k = instance.exports as unknown as Kernels;
    this.memory = setup?.memory ?? this.k.memory;
    this.build = build;
    this.threadNote = setup?.threadNote ?? null;
    this.heap = new Heap(this.memory, this.k.heapBase(), setup?.memory ? 'shared' : 'own');
    this.rowIndex = new RowNumbers(this.heap, this.memory);
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

  /** How many threads a job of `ns` over `units` units, shares of at least `align`, gets (cost.ts). */
  private parts(ns: number, units: number, align: number): number {
    return this.pool === null ? 1 : shareCount(this.pool.size, this.grain, ns, units, align);
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
    checkSame('activationBackward', x, y, dy, dx);
    const p = code === 0 ? 1 : this.parts(x.size * ACTIVATION_COST[code], x.size, 16);
    if (p > 1) {
      this.pool!.i(0, code).i(1, this.ptr(x)).i(2, this.ptr(y)).i(3, this.ptr(dy)).i(4, this.ptr(dx)).f(5, alpha).split(x.size, p, 16).run(OPS.ACTIVATION_BACKWARD);
    } else {
      this.k.activationBackward(code, this.ptr(x), this.ptr(y), this.ptr(dy), this.ptr(dx), x.size, alpha);
    }
  }

  dropoutForward(x: Matrix, mask: Matrix, y: Matrix, key: number, threshold: number, scale: number): void {
    checkSame('dropoutForward', x, mask, y);
    const p = this.parts(x.size * COST.dropout, x.size, 16);
    if (p > 1) {
      this.pool!.i(0, this.ptr(x)).i(1, this.ptr(mask)).i(2, this.ptr(y)).i(3, key).i(4, threshold).f(5, scale).split(x.size, p, 16).run(OPS.DROPOUT);
    } else {
      this.k.dropoutForward(this.ptr(x), this.ptr(mask), this.ptr(y), x.size, key, threshold, scale);
    }
  }

  multiply(a: Matrix, b: Matrix, out: Matrix): void {
    checkSame('multiply', a, b, out);
    const p = this.parts(a.size * COST.stream, a.size, 16);
    if (p > 1) this.pool!.i(0, this.ptr(a)).i(1, this.ptr(b)).i(2, this.ptr(out)).split(a.size, p, 16).run(OPS.MULTIPLY);
    else this.k.multiply(this.ptr(a), this.ptr(b), this.ptr(out), a.size);
  }

  batchNormTrain(
    x: Matrix, gamma: Matrix, beta: Matrix, y: Matrix, xhat: Matrix, invStd: Matrix,
    runMean: Matrix, runVar: Matrix, momentum: number, eps: number,
  ): void {
    const f = x.cols;
    checkSame('batchNormTrain', x, y, xhat);
    checkFeatures('batchNormTrain', f, { gamma, beta, invStd, runMean, runVar });
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
    checkFeatures('batchNormInfer', f, { gamma, beta, runMean, runVar });
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
    checkSame('batchNormBackward', dy, xhat, dx);
    checkFeatures('batchNormBackward', f, { gamma, invStd, dgamma, dbeta });
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
    return this.rowIndex.write(order, start, dst.rows, src.rows);
  }

  gemmAsync(a: Matrix, transA: boolean, b: Matrix, c: Matrix, beta: 0 | 1): void {
    const pool = this.pool;
    const { m, k, n } = gemmShape(a, transA, b, false, c);
    const work = m * n * k * COST.gemm;
    if (pool === null || !worthStarting(work, m, this.grain) || !pool.takesStartedJobs()) {
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
    checkSame('adam', g, m, v);
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
