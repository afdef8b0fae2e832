/**
 * Copy rows `indices[start .. start + count)` of a row-major feature table into `dst`, one
 * row after another. `dst` may be a view of WebAssembly memory (a batch buffer).
 */
export function gatherRows(
  features: Float32Array, cols: number, indices: ArrayLike<number>, start: number, count: number, dst: Float32Array,
): void {
  if (count * cols > dst.length) throw new RangeError(`gatherRows: ${count} rows of ${cols} need ${count * cols} floats, dst holds ${dst.length}`);
  if (start < 0 || start + count > indices.length) throw new RangeError(`gatherRows: rows ${start}..${start + count} outside 0..${indices.length}`);
  // A plain copy loop rather than set(subarray(...)): subarray allocates a view per row, and
  // this runs for every training step.
  for (let i = 0; i < count; i++) {
    const src = indices[start + i] * cols;
    const out = i * cols;
    for (let c = 0; c < cols; c++) dst[out + c] = features[src + c];
  }
}

/** Copy the labels of the same rows into `dst` (class indices; as floats where a kernel wants them). */
export function gatherLabels(
  labels: Int32Array, indices: ArrayLike<number>, start: number, count: number, dst: Float32Array | Int32Array,
): void {
  if (count > dst.length) throw new RangeError(`gatherLabels: ${count} labels, dst holds ${dst.length}`);
  for (let i = 0; i < count; i++) dst[i] = labels[indices[start + i]];
}
