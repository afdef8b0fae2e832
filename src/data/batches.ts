/**
 * Copy rows `indices[start .. start + count)` of a row-major feature table into `dst`, one
 * row after another. `dst` may be a view of WebAssembly memory (a batch buffer).
 */
export function gatherRows(
  features: Float32Array, cols: number, indices: ArrayLike<number>, start: number, count: number, dst: Float32Array,
): void {
  if (count * cols > dst.length) throw new RangeError(`gatherRows: ${count} rows of ${cols} need ${count * cols} floats, dst holds ${dst.length}`);
  if (start < 0 || start + count > indices.length) throw new RangeError(`gatherRows: rows ${start}..${start + count} outside 0..${indices.length}`);
  // One set() per row: engines turn it into a memory copy, faster than an element loop.
  for (let i = 0; i < count; i++) {
    const src = indices[start + i] * cols;
    dst.set(features.subarray(src, src + cols), i * cols);
  }
}

/** Copy the labels of the same rows into `dst` (class indices, or a regression's standardised targets). */
export function gatherLabels(
  labels: Int32Array | Float32Array, indices: ArrayLike<number>, start: number, count: number, dst: Float32Array | Int32Array,
): void {
  if (count > dst.length) throw new RangeError(`gatherLabels: ${count} labels, dst holds ${dst.length}`);
  for (let i = 0; i < count; i++) dst[i] = labels[indices[start + i]];
}
