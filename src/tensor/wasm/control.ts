/**
 * The control block through which the calling thread hands jobs to the worker threads: its
 * layout, the job kinds and the exports of a threads build that drive it. All three mirror
 * assembly/threads.ts.
 */

/** Byte offsets in the control block (assembly/threads.ts). */
export const CONTROL = {
  GEN: 0,
  DONE: 64,
  SLEEPERS: 128,
  MAIN_WAITING: 192,
  JOIN_EXPECT: 196,
  ERROR: 256,
  SPIN: 260,
  POOL: 264,
  SPIN_MAIN: 268,
  OP: 320,
  ARGS: 328,
  RANGES: 448,
  STATUS: 1024,
  TEXT: 5120,
  TEXT_CHARS: 500,
  BYTES: 6144,
  VERSION: 1,
  MAX_THREADS: 64,
} as const;

/** Job kinds (assembly/threads.ts). */
export const OPS = {
  STOP: 0,
  GEMM_ROWS: 1,
  GEMM_COLS: 2,
  GEMM_TRANS_B: 3,
  ADD_ROW_VECTOR: 4,
  SUM_ROWS: 5,
  ACTIVATION_FORWARD: 6,
  ACTIVATION_BACKWARD: 7,
  DROPOUT: 8,
  MULTIPLY: 9,
  AXPY: 10,
  SCALE: 11,
  FILL: 12,
  MOMENTUM: 13,
  ADAM: 14,
  SGD: 15,
  BATCH_NORM_TRAIN: 16,
  BATCH_NORM_INFER: 17,
  BATCH_NORM_BACKWARD: 18,
  SOFTMAX: 19,
  FAULT: 20,
  GATHER_ROWS: 21,
} as const;

/** The exports of a threads build that the pool calls. */
export interface PoolExports {
  controlLayout(what: number): number;
  dispatch(ctrl: number): number;
  post(ctrl: number): void;
  join(ctrl: number): number;
}
