/**
 * A row-major matrix of 32-bit floats. Its storage belongs to a backend: the reference
 * backend gives it a plain `Float32Array`; the WebAssembly backend gives it a slice of
 * WebAssembly linear memory (`ptr` is then its byte offset there, otherwise -1).
 *
 * Growing WebAssembly memory detaches every view of it, so `data` re-takes the view when
 * the memory's buffer has changed. Read `data` again after any allocation rather than
 * keeping the array across one.
 */
export class Matrix {
  private view: Float32Array;
  private head: Matrix | null = null;

  constructor(
    readonly rows: number,
    readonly cols: number,
    view: Float32Array,
    /** Byte offset in the backend's WebAssembly memory, or -1 for plain JS storage. */
    readonly ptr: number = -1,
    private readonly memory: WebAssembly.Memory | null = null,
  ) {
    this.view = view;
  }

  get size(): number {
    return this.rows * this.cols;
  }

  get data(): Float32Array {
    if (this.memory !== null && this.view.buffer !== this.memory.buffer) {
      this.view = new Float32Array(this.memory.buffer, this.ptr, this.rows * this.cols);
    }
    return this.view;
  }

  /** Element (r, c); for tests and small jobs, not hot loops. */
  get(r: number, c: number): number {
    return this.data[r * this.cols + c];
  }

  /**
   * A view of rows [start, start + count) sharing this matrix's storage, so that a kernel can
   * work on a prefix of a batch buffer (the last, shorter batch of an epoch).
   */
  rowsView(start: number, count: number): Matrix {
    // Layers ask for the same leading rows at every step (a batch shorter than the buffer):
    // keep the last such view so the training step does not allocate.
    if (start === 0 && this.head !== null && this.head.rows === count) return this.head;
    const offset = start * this.cols;
    const view = this.data.subarray(offset, offset + count * this.cols);
    const m = new Matrix(count, this.cols, view, this.ptr < 0 ? -1 : this.ptr + offset * 4, this.memory);
    if (start === 0) this.head = m;
    return m;
  }

  /** The same storage seen with another shape of the same size (for flat parameter vectors). */
  reshape(rows: number, cols: number): Matrix {
    if (rows * cols !== this.rows * this.cols) {
      throw new RangeError(`cannot reshape ${this.rows}x${this.cols} to ${rows}x${cols}`);
    }
    return new Matrix(rows, cols, this.data, this.ptr, this.memory);
  }

  /** A flat slice [offset, offset + length) as a 1 x length matrix sharing storage. */
  slice(offset: number, length: number): Matrix {
    const view = this.data.subarray(offset, offset + length);
    return new Matrix(1, length, view, this.ptr < 0 ? -1 : this.ptr + offset * 4, this.memory);
  }
}
