// Matrix products. Where n allows, the core is a 2-row x 16-column tile held in eight f32x4
// accumulators: each step of k broadcasts two values of op(A) and loads four vectors (one
// 64-byte line) of a row of B, 16 multiply-adds per 6 loads, with only two pointers to
// advance (measured 2-6% faster than a 4 x 8 tile at the model's shapes; without fused
// multiply-add both are bound by the multiply and add ports). Multiply-adds go through
// madd (math.ts): fused where the module is built with relaxed SIMD. Columns past the last
// multiple of 16 use 4 x 8 and 4 x 4 tiles and single rows, with lanes past the last column
// masked to zero (reading past a row end stays inside linear memory: the allocator keeps
// slack above the heap).

import { laneMask, madd, storePartial } from './math';

// A KC x NC panel of B (256 KB) stays in L2 while all rows of A stream past it.
const KC = 256;
const NC = 256;

@inline function tile4x8(a: usize, sai4: usize, sap4: usize, b: usize, ldb4: usize, c: usize, ldc4: usize, k: i32, acc: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let p0 = a, p1 = a + sai4, p2 = a + 2 * sai4, p3 = a + 3 * sai4;
  let pb = b;
  for (let p = 0; p < k; p++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let s = v128.load32_splat(p0);
    c00 = madd(s, b0, c00);
    c01 = madd(s, b1, c01);
    s = v128.load32_splat(p1);
    c10 = madd(s, b0, c10);
    c11 = madd(s, b1, c11);
    s = v128.load32_splat(p2);
    c20 = madd(s, b0, c20);
    c21 = madd(s, b1, c21);
    s = v128.load32_splat(p3);
    c30 = madd(s, b0, c30);
    c31 = madd(s, b1, c31);
    p0 += sap4; p1 += sap4; p2 += sap4; p3 += sap4;
    pb += ldb4;
  }
  const q0 = c, q1 = c + ldc4, q2 = c + 2 * ldc4, q3 = c + 3 * ldc4;
  if (acc) {
    c00 = f32x4.add(c00, v128.load(q0)); c01 = f32x4.add(c01, v128.load(q0, 16));
    c10 = f32x4.add(c10, v128.load(q1)); c11 = f32x4.add(c11, v128.load(q1, 16));
    c20 = f32x4.add(c20, v128.load(q2)); c21 = f32x4.add(c21, v128.load(q2, 16));
    c30 = f32x4.add(c30, v128.load(q3)); c31 = f32x4.add(c31, v128.load(q3, 16));
  }
  v128.store(q0, c00); v128.store(q0, c01, 16);
  v128.store(q1, c10); v128.store(q1, c11, 16);
  v128.store(q2, c20); v128.store(q2, c21, 16);
  v128.store(q3, c30); v128.store(q3, c31, 16);
}

@inline function tile2x16(a: usize, sai4: usize, sap4: usize, b: usize, ldb4: usize, c: usize, ldc4: usize, k: i32, acc: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0), c03 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0), c13 = f32x4.splat(0);
  let p0 = a, p1 = a + sai4, pb = b;
  const end = a + <usize>k * sap4;
  while (p0 < end) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16), b2 = v128.load(pb, 32), b3 = v128.load(pb, 48);
    let s = v128.load32_splat(p0);
    c00 = madd(s, b0, c00);
    c01 = madd(s, b1, c01);
    c02 = madd(s, b2, c02);
    c03 = madd(s, b3, c03);
    s = v128.load32_splat(p1);
    c10 = madd(s, b0, c10);
    c11 = madd(s, b1, c11);
    c12 = madd(s, b2, c12);
    c13 = madd(s, b3, c13);
    p0 += sap4; p1 += sap4;
    pb += ldb4;
  }
  const q0 = c, q1 = c + ldc4;
  if (acc) {
    c00 = f32x4.add(c00, v128.load(q0)); c01 = f32x4.add(c01, v128.load(q0, 16));
    c02 = f32x4.add(c02, v128.load(q0, 32)); c03 = f32x4.add(c03, v128.load(q0, 48));
    c10 = f32x4.add(c10, v128.load(q1)); c11 = f32x4.add(c11, v128.load(q1, 16));
    c12 = f32x4.add(c12, v128.load(q1, 32)); c13 = f32x4.add(c13, v128.load(q1, 48));
  }
  v128.store(q0, c00); v128.store(q0, c01, 16); v128.store(q0, c02, 32); v128.store(q0, c03, 48);
  v128.store(q1, c10); v128.store(q1, c11, 16); v128.store(q1, c12, 32); v128.store(q1, c13, 48);
}

/** A 4 x cols tile, cols in 1..4. */
@inline function tile4x4(a: usize, sai4: usize, sap4: usize, b: usize, ldb4: usize, c: usize, ldc4: usize, k: i32, acc: bool, cols: i32): void {
  const mask = laneMask(cols);
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  let p0 = a, p1 = a + sai4, p2 = a + 2 * sai4, p3 = a + 3 * sai4;
  let pb = b;
  for (let p = 0; p < k; p++) {
    const b0 = v128.and(v128.load(pb), mask);
    c0 = madd(v128.load32_splat(p0), b0, c0);
    c1 = madd(v128.load32_splat(p1), b0, c1);
    c2 = madd(v128.load32_splat(p2), b0, c2);
    c3 = madd(v128.load32_splat(p3), b0, c3);
    p0 += sap4; p1 += sap4; p2 += sap4; p3 += sap4;
    pb += ldb4;
  }
  const q0 = c, q1 = c + ldc4, q2 = c + 2 * ldc4, q3 = c + 3 * ldc4;
  if (acc) {
    c0 = f32x4.add(c0, v128.load(q0));
    c1 = f32x4.add(c1, v128.load(q1));
    c2 = f32x4.add(c2, v128.load(q2));
    c3 = f32x4.add(c3, v128.load(q3));
  }
  if (cols == 4) {
    v128.store(q0, c0); v128.store(q1, c1); v128.store(q2, c2); v128.store(q3, c3);
  } else {
    storePartial(q0, c0, cols); storePartial(q1, c1, cols);
    storePartial(q2, c2, cols); storePartial(q3, c3, cols);
  }
}

/** One row of C, all n columns. */
@inline function row1(a: usize, sap4: usize, b: usize, ldb4: usize, c: usize, n: i32, k: i32, acc: bool): void {
  let j = 0;
  for (; j + 8 <= n; j += 8) {
    let c0 = f32x4.splat(0), c1 = f32x4.splat(0);
    let pa = a, pb = b + (<usize>j << 2);
    for (let p = 0; p < k; p++) {
      const s = v128.load32_splat(pa);
      c0 = madd(s, v128.load(pb), c0);
      c1 = madd(s, v128.load(pb, 16), c1);
      pa += sap4;
      pb += ldb4;
    }
    const q = c + (<usize>j << 2);
    if (acc) {
      c0 = f32x4.add(c0, v128.load(q));
      c1 = f32x4.add(c1, v128.load(q, 16));
    }
    v128.store(q, c0);
    v128.store(q, c1, 16);
  }
  for (; j < n; j += 4) {
    const cols = min(4, n - j);
    const mask = laneMask(cols);
    let c0 = f32x4.splat(0);
    let pa = a, pb = b + (<usize>j << 2);
    for (let p = 0; p < k; p++) {
      c0 = madd(v128.load32_splat(pa), v128.and(v128.load(pb), mask), c0);
      pa += sap4;
      pb += ldb4;
    }
    const q = c + (<usize>j << 2);
    if (acc) c0 = f32x4.add(c0, v128.load(q));
    if (cols == 4) v128.store(q, c0);
    else storePartial(q, c0, cols);
  }
}

function panel(a: usize, sai: i32, sap: i32, b: usize, ldb: i32, c: usize, ldc: i32, m: i32, n: i32, k: i32, acc: bool): void {
  const sai4 = <usize>sai << 2, sap4 = <usize>sap << 2;
  const ldb4 = <usize>ldb << 2, ldc4 = <usize>ldc << 2;
  const n16 = n & ~15;
  if (n16 > 0) {
    let i = 0;
    for (; i + 2 <= m; i += 2) {
      const ai = a + <usize>i * sai4;
      const ci = c + <usize>i * ldc4;
      for (let j = 0; j < n16; j += 16) {
        tile2x16(ai, sai4, sap4, b + (<usize>j << 2), ldb4, ci + (<usize>j << 2), ldc4, k, acc);
      }
    }
    if (i < m) row1(a + <usize>i * sai4, sap4, b, ldb4, c + <usize>i * ldc4, n16, k, acc);
    if (n16 == n) return;
    b += <usize>n16 << 2;
    c += <usize>n16 << 2;
    n -= n16;
  }
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    const ai = a + <usize>i * sai4;
    const ci = c + <usize>i * ldc4;
    let j = 0;
    for (; j + 8 <= n; j += 8) {
      tile4x8(ai, sai4, sap4, b + (<usize>j << 2), ldb4, ci + (<usize>j << 2), ldc4, k, acc);
    }
    for (; j < n; j += 4) {
      tile4x4(ai, sai4, sap4, b + (<usize>j << 2), ldb4, ci + (<usize>j << 2), ldc4, k, acc, min(4, n - j));
    }
  }
  for (; i < m; i++) {
    row1(a + <usize>i * sai4, sap4, b, ldb4, c + <usize>i * ldc4, n, k, acc);
  }
}

/**
 * C (m x n, row stride ldc) = op(A) B + beta C, beta 0 or 1. Element (i, p) of op(A) sits
 * at a + 4 (i sai + p sap): sai = lda, sap = 1 for A; sai = 1, sap = lda for A^T. B is
 * k x n with row stride ldb. Strides are in elements.
 */
export function gemm(a: usize, sai: i32, sap: i32, b: usize, ldb: i32, c: usize, ldc: i32, m: i32, n: i32, k: i32, beta: i32): void {
  if (k == 0) {
    if (beta == 0) {
      for (let i = 0; i < m; i++) memory.fill(c + (<usize>i * <usize>ldc << 2), 0, <usize>n << 2);
    }
    return;
  }
  for (let pc = 0; pc < k; pc += KC) {
    const kc = min(KC, k - pc);
    const acc = pc > 0 || beta != 0;
    for (let jc = 0; jc < n; jc += NC) {
      const nc = min(NC, n - jc);
      panel(a + (<usize>pc * <usize>sap << 2), sai, sap, b + (<usize>(pc * ldb + jc) << 2), ldb, c + (<usize>jc << 2), ldc, m, nc, kc, acc);
    }
  }
}

/**
 * dst (cols x rows, row stride ldd) = src^T, src rows x cols with row stride lds. In 4 x 4
 * blocks, walking down src's rows in the inner loop so that dst is written along its rows
 * (1.1-1.9x faster than walking src's rows: power-of-two strides on the store side stall).
 */
export function transpose(src: usize, rows: i32, cols: i32, lds: i32, dst: usize, ldd: i32): void {
  const lds4 = <usize>lds << 2, ldd4 = <usize>ldd << 2;
  const r4 = rows & ~3, c4 = cols & ~3;
  for (let c = 0; c < c4; c += 4) {
    const d = dst + <usize>c * ldd4;
    let p = src + (<usize>c << 2);
    for (let r = 0; r < r4; r += 4) {
      const r0 = v128.load(p), r1 = v128.load(p + lds4), r2 = v128.load(p + 2 * lds4), r3 = v128.load(p + 3 * lds4);
      const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
      const t1 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
      const t2 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
      const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
      const q = d + (<usize>r << 2);
      v128.store(q, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
      v128.store(q + ldd4, i32x4.shuffle(t0, t2, 2, 3, 6, 7));
      v128.store(q + 2 * ldd4, i32x4.shuffle(t1, t3, 0, 1, 4, 5));
      v128.store(q + 3 * ldd4, i32x4.shuffle(t1, t3, 2, 3, 6, 7));
      p += 4 * lds4;
    }
  }
  // The last 1-3 columns of the first r4 rows, then the last 1-3 rows whole.
  for (let r = 0; r < r4; r++) {
    for (let c = c4; c < cols; c++) {
      store<f32>(dst + <usize>c * ldd4 + (<usize>r << 2), load<f32>(src + <usize>r * lds4 + (<usize>c << 2)));
    }
  }
  for (let r = r4; r < rows; r++) {
    const s = src + <usize>r * lds4;
    for (let c = 0; c < cols; c++) {
      store<f32>(dst + <usize>c * ldd4 + (<usize>r << 2), load<f32>(s + (<usize>c << 2)));
    }
  }
}
