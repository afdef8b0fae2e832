/** The argument checks of the WebAssembly backend's kernels, with the messages `Backend` gives. */
import type { Matrix } from '../matrix.js';

/** Each of `others` holds as many values as `a`. */
export function checkSame(op: string, a: Matrix, ...others: Matrix[]): void {
  for (const b of others) {
    if (a.size !== b.size) throw new RangeError(`${op}: ${a.rows}x${a.cols} and ${b.rows}x${b.cols} differ in size`);
  }
}

export function checkLength(op: string, what: string, m: Matrix, length: number): void {
  if (m.size !== length) throw new RangeError(`${op}: ${what} holds ${m.size} values, expected ${length}`);
}

/** Each of `vectors` (named by its key, checked in key order) holds one value per feature. */
export function checkFeatures(op: string, features: number, vectors: Record<string, Matrix>): void {
  for (const [what, m] of Object.entries(vectors)) checkLength(op, what, m, features);
}

export function checkGather(src: Matrix, order: Int32Array, start: number, dst: Matrix): void {
  if (src.cols !== dst.cols) throw new RangeError(`gatherRows: src has ${src.cols} columns, dst ${dst.cols}`);
  if (start < 0 || start + dst.rows > order.length) throw new RangeError(`gatherRows: rows ${start}..${start + dst.rows} outside the order of ${order.length}`);
}

export function checkCode(code: number): void {
  if (!Number.isInteger(code) || code < 0 || code > 6) throw new RangeError(`unknown activation code ${code}`);
}
