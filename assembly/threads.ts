// Work sharing for one run on several threads. Every thread instantiates this module over one
// shared memory; the main thread allocates (src/tensor/wasm/heap.ts) and writes a job into a
// control block, then `dispatch` wakes the workers, runs the main thread's own share and waits
// for the others. Workers stay inside `workerLoop` while there is work, so no JavaScript runs
// on them per step.
//
// Waiting is a spin on atomic loads, then sleep. The sleep itself is `Atomics.wait` in the
// small JavaScript around these functions (src/tensor/wasm/threads.ts), called only when a
// thread has spun in vain: in V8 11.3 (Node 20) the baseline compiler, Liftoff, loses locals
// held in registers across `memory.atomic.wait32`, so a loop that slept in WebAssembly would
// resume with wrong pointers. `atomic.notify` has no such problem and is used here. A job names a kernel, its arguments and one [start, end) range per
// thread; each range is a set of whole output elements (rows, columns or a flat span), and the
// kernels compute every output element the same way whatever range it falls in, so results do
// not depend on the number of threads. Nothing here allocates.
//
// The layout of the control block (byte offsets from its start) is mirrored in
// src/tensor/wasm/control.ts; `controlLayout` lets that side check it agrees.

import { gemm, transpose } from './gemm';
import {
  activationForward, activationBackward, dropoutRange, multiply, addRowVector, sumRowsStrided,
  axpy, scale, fill, momentum, adam, sgdStep, gatherRows,
} from './elementwise';
import { batchNormTrainStrided, batchNormInferStrided, batchNormBackwardStrided, softmax } from './norm';

// Words each on a cache line of their own: the ones every thread polls, and the counters.
const GEN: usize = 0;
const DONE: usize = 64;
const SLEEPERS: usize = 128;
const MAIN_WAITING: usize = 192;
const JOIN_EXPECT: usize = 196;
const ERROR: usize = 256;
const SPIN: usize = 260;
const POOL: usize = 264;
const SPIN_MAIN: usize = 268;
const OP: usize = 320;
const ARGS: usize = 328;
const RANGES: usize = 448;
const STATUS: usize = 1024;
const MAX_THREADS: i32 = 64;
const CONTROL_BYTES: usize = 6144;

const LAYOUT_VERSION: i32 = 1;

// Job kinds (src/tensor/wasm/control.ts: OPS).
const STOP = 0;
const GEMM_ROWS = 1;
const GEMM_COLS = 2;
const GEMM_TRANS_B = 3;
const ADD_ROW_VECTOR = 4;
const SUM_ROWS = 5;
const ACTIVATION_FORWARD = 6;
const ACTIVATION_BACKWARD = 7;
const DROPOUT = 8;
const MULTIPLY = 9;
const AXPY = 10;
const SCALE = 11;
const FILL = 12;
const MOMENTUM = 13;
const ADAM = 14;
const SGD = 15;
const BATCH_NORM_TRAIN = 16;
const BATCH_NORM_INFER = 17;
const BATCH_NORM_BACKWARD = 18;
const SOFTMAX = 19;
const FAULT = 20;
const GATHER_ROWS = 21;

/** Sizes the TypeScript side checks before it starts a pool. */
export function controlLayout(what: i32): i32 {
  if (what == 0) return LAYOUT_VERSION;
  if (what == 1) return <i32>CONTROL_BYTES;
  return MAX_THREADS;
}

@inline function ai(ctrl: usize, j: i32): i32 {
  return load<i32>(ctrl + ARGS + (<usize>j << 2));
}

@inline function au(ctrl: usize, j: i32): usize {
  return <usize>load<u32>(ctrl + ARGS + (<usize>j << 2));
}

@inline function af(ctrl: usize, j: i32): f32 {
  return load<f32>(ctrl + ARGS + (<usize>j << 2));
}

@inline function off(i: i32): usize {
  return <usize>i << 2;
}

/** Run thread `w`'s share of the job in the control block. */
function runShare(ctrl: usize, w: i32): void {
  const op = load<i32>(ctrl + OP);
  const r0 = load<i32>(ctrl + RANGES + (<usize>w << 3));
  const r1 = load<i32>(ctrl + RANGES + (<usize>w << 3), 4);
  if (op == FAULT) {
    // A deliberate trap in one thread, for the tests of a thread that fails.
    if (w == ai(ctrl, 0)) unreachable();
    return;
  }
  if (r1 <= r0) return;
  const n = r1 - r0;
  switch (op) {
    case GEMM_ROWS: {
      // a, sai, sap, b, ldb, c, ldc, n, k, beta; the range is rows of C.
      const sai = ai(ctrl, 1), ldc = ai(ctrl, 6);
      gemm(au(ctrl, 0) + <usize>r0 * (<usize>sai << 2), sai, ai(ctrl, 2), au(ctrl, 3), ai(ctrl, 4),
        au(ctrl, 5) + <usize>r0 * (<usize>ldc << 2), ldc, n, ai(ctrl, 7), ai(ctrl, 8), ai(ctrl, 9));
      break;
    }
    case GEMM_COLS: {
      // a, sai, sap, b, ldb, c, ldc, m, k, beta; the range is columns of C.
      gemm(au(ctrl, 0), ai(ctrl, 1), ai(ctrl, 2), au(ctrl, 3) + off(r0), ai(ctrl, 4),
        au(ctrl, 5) + off(r0), ai(ctrl, 6), ai(ctrl, 7), n, ai(ctrl, 8), ai(ctrl, 9));
      break;
    }
    case GEMM_TRANS_B: {
      // a, sai, sap, b (n x k), t (k x n scratch), c, ldc, m, n, k, beta; the range is columns
      // of C: this thread transposes rows [r0, r1) of B into columns [r0, r1) of t, which only
      // it reads.
      const k = ai(ctrl, 9), cols = ai(ctrl, 8), t = au(ctrl, 4) + off(r0);
      transpose(au(ctrl, 3) + <usize>r0 * off(k), n, k, k, t, cols);
      gemm(au(ctrl, 0), ai(ctrl, 1), ai(ctrl, 2), t, cols, au(ctrl, 5) + off(r0), ai(ctrl, 6), ai(ctrl, 7), n, k, ai(ctrl, 10));
      break;
    }
    case ADD_ROW_VECTOR: {
      // y, bias, cols; rows.
      const cols = ai(ctrl, 2);
      addRowVector(au(ctrl, 0) + <usize>r0 * off(cols), au(ctrl, 1), n, cols);
      break;
    }
    case SUM_ROWS:
      // x, out, rows, ld, beta; columns.
      sumRowsStrided(au(ctrl, 0) + off(r0), au(ctrl, 1) + off(r0), ai(ctrl, 2), n, ai(ctrl, 3), ai(ctrl, 4));
      break;
    case ACTIVATION_FORWARD:
      // code, x, y, alpha; elements.
      activationForward(ai(ctrl, 0), au(ctrl, 1) + off(r0), au(ctrl, 2) + off(r0), n, af(ctrl, 3));
      break;
    case ACTIVATION_BACKWARD:
      // code, x, y, dy, dx, alpha; elements.
      activationBackward(ai(ctrl, 0), au(ctrl, 1) + off(r0), au(ctrl, 2) + off(r0), au(ctrl, 3) + off(r0), au(ctrl, 4) + off(r0), n, af(ctrl, 5));
      break;
    case DROPOUT:
      // x, mask, y, key, threshold, scale; elements.
      dropoutRange(au(ctrl, 0) + off(r0), au(ctrl, 1) + off(r0), au(ctrl, 2) + off(r0), r0, n, <u32>ai(ctrl, 3), ai(ctrl, 4), af(ctrl, 5));
      break;
    case MULTIPLY:
      multiply(au(ctrl, 0) + off(r0), au(ctrl, 1) + off(r0), au(ctrl, 2) + off(r0), n);
      break;
    case AXPY:
      // alpha, x, y
      axpy(af(ctrl, 0), au(ctrl, 1) + off(r0), au(ctrl, 2) + off(r0), n);
      break;
    case SCALE:
      scale(au(ctrl, 0) + off(r0), n, af(ctrl, 1));
      break;
    case FILL:
      fill(au(ctrl, 0) + off(r0), n, af(ctrl, 1));
      break;
    case MOMENTUM:
      // g, trace, decay, nesterov
      momentum(au(ctrl, 0) + off(r0), au(ctrl, 1) + off(r0), n, af(ctrl, 2), ai(ctrl, 3));
      break;
    case ADAM:
      // g, m, v, b1, a1, b2, a2, c1, c2, eps
      adam(au(ctrl, 0) + off(r0), au(ctrl, 1) + off(r0), au(ctrl, 2) + off(r0), n,
        af(ctrl, 3), af(ctrl, 4), af(ctrl, 5), af(ctrl, 6), af(ctrl, 7), af(ctrl, 8), af(ctrl, 9));
      break;
    case SGD: {
      // w, g, t (0 without momentum), decayed, lr, wd, mom, nesterov; the first `decayed`
      // elements of the whole vector are decayed, so this share decays its part of them.
      const t = au(ctrl, 2);
      const decayed = min(max(ai(ctrl, 3) - r0, 0), n);
      sgdStep(au(ctrl, 0) + off(r0), au(ctrl, 1) + off(r0), t == 0 ? 0 : t + off(r0), n, decayed,
        af(ctrl, 4), af(ctrl, 5), af(ctrl, 6), ai(ctrl, 7));
      break;
    }
    case BATCH_NORM_TRAIN:
      // x, gamma, beta, y, xhat, invStd, runMean, runVar, rows, ld, momentum, keep, eps; columns.
      batchNormTrainStrided(au(ctrl, 0) + off(r0), au(ctrl, 1) + off(r0), au(ctrl, 2) + off(r0), au(ctrl, 3) + off(r0),
        au(ctrl, 4) + off(r0), au(ctrl, 5) + off(r0), au(ctrl, 6) + off(r0), au(ctrl, 7) + off(r0),
        ai(ctrl, 8), n, ai(ctrl, 9), af(ctrl, 10), af(ctrl, 11), af(ctrl, 12));
      break;
    case BATCH_NORM_INFER:
      // x, gamma, beta, runMean, runVar, y, rows, ld, eps; columns.
      batchNormInferStrided(au(ctrl, 0) + off(r0), au(ctrl, 1) + off(r0), au(ctrl, 2) + off(r0), au(ctrl, 3) + off(r0),
        au(ctrl, 4) + off(r0), au(ctrl, 5) + off(r0), ai(ctrl, 6), n, ai(ctrl, 7), af(ctrl, 8));
      break;
    case BATCH_NORM_BACKWARD:
      // dy, xhat, gamma, invStd, dx, dgamma, dbeta, rows, ld; columns.
      batchNormBackwardStrided(au(ctrl, 0) + off(r0), au(ctrl, 1) + off(r0), au(ctrl, 2) + off(r0), au(ctrl, 3) + off(r0),
        au(ctrl, 4) + off(r0), au(ctrl, 5) + off(r0), au(ctrl, 6) + off(r0), ai(ctrl, 7), n, ai(ctrl, 8));
      break;
    case GATHER_ROWS: {
      // src, idx, cols, dst; rows of dst.
      const cols = ai(ctrl, 2);
      gatherRows(au(ctrl, 0), au(ctrl, 1) + off(r0), n, cols, au(ctrl, 3) + <usize>r0 * off(cols));
      break;
    }
    case SOFTMAX: {
      // z, out, cols; rows.
      const cols = ai(ctrl, 2);
      softmax(au(ctrl, 0) + <usize>r0 * off(cols), au(ctrl, 1) + <usize>r0 * off(cols), n, cols);
      break;
    }
    default:
      unreachable();
  }
}

/**
 * The loop a worker thread runs: wait for a new job (spinning), run this thread's share,
 * count it done. Returns 0 when the pool stops, or 1 when it has spun SPIN times without a
 * new job (long enough to bridge the gaps between the jobs of a training step): the caller
 * then sleeps on the generation word until it differs from this worker's
 * status word (the generation it last finished), and calls again. Workers outside the job's
 * thread count still count themselves done, so the main thread always waits for every worker
 * and a job's fields are never rewritten while one reads them.
 */
export function workerLoop(ctrl: usize, w: i32): i32 {
  const status = ctrl + STATUS + (<usize>w << 6);
  const limit = atomic.load<i32>(ctrl + SPIN);
  while (true) {
    const seen = atomic.load<i32>(status);
    let g = atomic.load<i32>(ctrl + GEN);
    let spins = 0;
    while (g == seen) {
      if (++spins >= limit) {
        atomic.add<i32>(ctrl + SLEEPERS, 1);
        return 1;
      }
      g = atomic.load<i32>(ctrl + GEN);
    }
    const op = load<i32>(ctrl + OP);
    if (op != STOP) runShare(ctrl, w);
    atomic.store<i32>(status, g);
    atomic.add<i32>(ctrl + DONE, 1);
    if (atomic.load<i32>(ctrl + MAIN_WAITING) != 0) atomic.notify(ctrl + DONE, 1);
    if (op == STOP) return 0;
  }
}

/**
 * Start the job the main thread has written: wake the workers, run the main thread's share
 * (thread 0), then wait for the workers as `join` does and return its status.
 */
export function dispatch(ctrl: usize): i32 {
  atomic.store<i32>(ctrl + DONE, 0);
  atomic.add<i32>(ctrl + GEN, 1);
  if (atomic.load<i32>(ctrl + SLEEPERS) > 0) atomic.notify(ctrl + GEN, -1);
  if (load<i32>(ctrl + OP) != STOP) runShare(ctrl, 0);
  return join(ctrl);
}

/**
 * Start the job the main thread has written on the workers only, and return at once: the main
 * thread goes on with other work (on other memory) and calls `join` before the next job or
 * before it reads what the job writes. Thread 0's range must be empty.
 */
export function post(ctrl: usize): void {
  atomic.store<i32>(ctrl + DONE, 0);
  atomic.add<i32>(ctrl + GEN, 1);
  if (atomic.load<i32>(ctrl + SLEEPERS) > 0) atomic.notify(ctrl + GEN, -1);
}

/**
 * Wait until every worker has finished the current job: 0 when they have, 2 when one of them
 * failed (its wrapper wrote ERROR), 1 after spinning in vain: MAIN_WAITING is then set and
 * JOIN_EXPECT holds the count of finished workers, for the caller to sleep on DONE while it
 * still holds that count, clear MAIN_WAITING and call again. The main thread spins for less
 * time than a worker (SPIN_MAIN): a worker it waits for may be off its core, and a sleeping
 * main thread leaves the core to it.
 */
export function join(ctrl: usize): i32 {
  const want = atomic.load<i32>(ctrl + POOL) - 1;
  const limit = atomic.load<i32>(ctrl + SPIN_MAIN);
  let spins = 0;
  while (true) {
    const done = atomic.load<i32>(ctrl + DONE);
    if (done >= want) return 0;
    if (atomic.load<i32>(ctrl + ERROR) != 0) return 2;
    if (++spins < limit) continue;
    atomic.store<i32>(ctrl + MAIN_WAITING, 1);
    const again = atomic.load<i32>(ctrl + DONE);
    if (again >= want) {
      atomic.store<i32>(ctrl + MAIN_WAITING, 0);
      return 0;
    }
    atomic.store<i32>(ctrl + JOIN_EXPECT, again);
    return 1;
  }
}
