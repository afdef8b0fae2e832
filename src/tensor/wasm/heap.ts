/**
 * The allocator behind the WebAssembly backend: byte ranges of one WebAssembly memory,
 * 16-byte aligned (64 in a shared memory), with a free list so that long-running processes (many tuning trials)
 * reuse memory instead of growing it without end.
 *
 * Free blocks are kept sorted by address and merged with their neighbours; a block that
 * ends at the top of the heap lowers the top instead. Allocation takes the smallest free
 * block that fits (best fit) and otherwise bumps the top, growing the memory when needed.
 * Models allocate a few dozen matrices, so linear scans are cheap.
 *
 * A shared memory (a backend with threads) is sized up front for the run and may still grow:
 * the kernels on every thread see the new size at once, and views taken before stay valid
 * (a SharedArrayBuffer is never detached; `Matrix.data` takes a longer view when it needs
 * one). Its ceiling is the maximum it was created with, which the error names.
 */
export class Heap {
  /** Kernels may read up to 12 bytes past the end of a matrix; this much memory always lies above the top. */
  static readonly SLACK = 64;
  static readonly ALIGN = 16;
  /**
   * Alignment in a shared memory: a cache line, so that two threads writing neighbouring
   * matrices (or the two halves of one split at a multiple of 16 floats) never share a line.
   */
  static readonly SHARED_ALIGN = 64;
  /** The alignment of every block of this heap. */
  readonly align: number;

  private top: number;
  private readonly freeStart: number[] = [];
  private readonly freeSize: number[] = [];
  /** Live allocations: start -> [reserved bytes, requested bytes]. */
  private readonly live = new Map<number, [number, number]>();

  constructor(
    private readonly memory: WebAssembly.Memory,
    readonly base: number,
    /** Whether the memory is the shared memory of a backend with threads (for the error message). */
    private readonly kind: 'own' | 'shared' = 'own',
  ) {
    this.align = kind === 'shared' ? Heap.SHARED_ALIGN : Heap.ALIGN;
    this.top = roundUp(base, this.align);
    this.ensure(this.top);
  }

  /** Bytes handed out and not yet freed (rounded up to the alignment). */
  get bytesInUse(): number {
    let total = 0;
    for (const [reserved] of this.live.values()) total += reserved;
    return total;
  }

  /** End of the highest allocation; memory above it (plus slack) is unused. */
  get heapTop(): number {
    return this.top;
  }

  /** Number of live allocations. */
  get liveCount(): number {
    return this.live.size;
  }

  /** Start of a fresh block of at least `bytes` bytes (contents unspecified). */
  alloc(bytes: number): number {
    if (!Number.isInteger(bytes) || bytes < 0) throw new RangeError(`alloc: byte count must be a non-negative integer, got ${bytes}`);
    const size = Math.max(this.align, roundUp(bytes, this.align));
    let best = -1;
    for (let i = 0; i < this.freeSize.length; i++) {
      const s = this.freeSize[i];
      if (s >= size && (best < 0 || s < this.freeSize[best])) {
        best = i;
        if (s === size) break;
      }
    }
    let ptr: number;
    if (best >= 0) {
      ptr = this.freeStart[best];
      if (this.freeSize[best] === size) {
        this.freeStart.splice(best, 1);
        this.freeSize.splice(best, 1);
      } else {
        this.freeStart[best] += size;
        this.freeSize[best] -= size;
      }
    } else {
      ptr = this.top;
      this.ensure(ptr + size);
      this.top = ptr + size;
    }
    this.live.set(ptr, [size, bytes]);
    return ptr;
  }

  /**
   * Give back the block at `ptr`. `bytes`, when given, must be the size it was allocated
   * with: a view of part of a block cannot free it.
   */
  free(ptr: number, bytes?: number): void {
    const entry = this.live.get(ptr);
    if (entry === undefined) throw new RangeError(`free: no live allocation starts at byte ${ptr} (freed twice, or a view?)`);
    const [size, requested] = entry;
    if (bytes !== undefined && bytes !== requested) {
      throw new RangeError(`free: the block at byte ${ptr} holds ${requested} bytes, got a matrix of ${bytes}; free the matrix alloc returned, not a view`);
    }
    this.live.delete(ptr);
    let start = ptr, end = ptr + size;
    // Index of the first free block after this one.
    let lo = 0, hi = this.freeStart.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.freeStart[mid] < start) lo = mid + 1;
      else hi = mid;
    }
    let i = lo;
    if (i < this.freeStart.length && this.freeStart[i] === end) {
      end += this.freeSize[i];
      this.freeStart.splice(i, 1);
      this.freeSize.splice(i, 1);
    }
    if (i > 0 && this.freeStart[i - 1] + this.freeSize[i - 1] === start) {
      i--;
      start = this.freeStart[i];
      this.freeStart.splice(i, 1);
      this.freeSize.splice(i, 1);
    }
    if (end === this.top) {
      this.top = start;
    } else {
      this.freeStart.splice(i, 0, start);
      this.freeSize.splice(i, 0, end - start);
    }
  }

  /** Grow the memory so that [0, end + SLACK) exists. */
  private ensure(end: number): void {
    const need = end + Heap.SLACK;
    const have = this.memory.buffer.byteLength;
    if (need <= have) return;
    const PAGE = 65536;
    const missing = Math.ceil((need - have) / PAGE);
    // Grow by at least a quarter of the current size, so a series of allocations grows rarely.
    const generous = Math.max(missing, Math.ceil(have / PAGE / 4));
    try {
      this.memory.grow(generous);
    } catch {
      try {
        this.memory.grow(missing);
      } catch {
        const mb = (b: number) => `${Math.ceil(b / 2 ** 20)} MiB`;
        throw new RangeError(
          this.kind === 'shared'
            ? `out of WebAssembly memory: the run needs ${mb(need)} and the shared memory of this multi-threaded backend cannot grow past ${mb(have)} here (its maximum); train on fewer rows, a smaller model or one thread`
            : `out of WebAssembly memory: need ${mb(need)}, have ${mb(have)} (the limit is 4 GiB); free matrices that are no longer used`,
        );
      }
    }
  }
}

function roundUp(x: number, to: number): number {
  return Math.ceil(x / to) * to;
}

/** The row numbers of a gather, in a block of the heap that grows as needed and is reused. */
export class RowNumbers {
  private at = -1;
  private capacity = 0;
  private view = new Int32Array(0);

  constructor(private readonly heap: Heap, private readonly memory: WebAssembly.Memory) {}

  /** Copy order[start .. start + n), each a row below `rows`, into the block; returns its address. */
  write(order: Int32Array, start: number, n: number, rows: number): number {
    if (this.capacity < n) {
      if (this.at >= 0) this.heap.free(this.at);
      this.at = this.heap.alloc(n * 4);
      this.capacity = n;
    }
    if (this.view.buffer !== this.memory.buffer) this.view = new Int32Array(this.memory.buffer);
    const idx = this.view, i0 = this.at >> 2;
    for (let r = 0; r < n; r++) {
      const row = order[start + r];
      if (!(row >= 0 && row < rows)) throw new RangeError(`gatherRows: row ${row} outside 0..${rows - 1}`);
      idx[i0 + r] = row;
    }
    return this.at;
  }
}
