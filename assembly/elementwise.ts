// Element-wise kernels over contiguous f32 arrays: four lanes at a time, then the last
// 1-3 elements one by one through the same vector formula (splatted), so a tail element
// gets exactly the value it would get in a full vector.

import { splat, geluv, geluGradFromYv, geluTanhv, geluTanhGradv, sigmoidv, tanhv, storePartial } from './math';

@inline function off(i: i32): usize {
  return <usize>i << 2;
}

/** y = f(x) for activation `code` (see ACTIVATIONS in src/tensor/backend.ts). */
export function activationForward(code: i32, x: usize, y: usize, n: i32, alpha: f32): void {
  let i = 0;
  if (code == 0) {
    if (x != y) memory.copy(y, x, off(n));
  } else if (code == 1) {
    // v < 0 ? 0 : v by compare-and-mask: no branch, and NaN stays NaN (as in the reference),
    // so a diverging run reaches the loss instead of hiding behind zeros.
    for (; i + 8 <= n; i += 8) {
      const v0 = v128.load(x + off(i)), v1 = v128.load(x + off(i), 16);
      v128.store(y + off(i), v128.andnot(v0, f32x4.lt(v0, splat(0))));
      v128.store(y + off(i), v128.andnot(v1, f32x4.lt(v1, splat(0))), 16);
    }
    for (; i < n; i++) {
      const v = load<f32>(x + off(i));
      store<f32>(y + off(i), v < 0 ? 0 : v);
    }
  } else if (code == 2) {
    // Four vectors per iteration: the chain through erf is long, and independent ones keep
    // more of the processor busy (1.6x faster than one at a time).
    for (; i + 16 <= n; i += 16) {
      const a = geluv(v128.load(x + off(i)));
      const b = geluv(v128.load(x + off(i), 16));
      const c = geluv(v128.load(x + off(i), 32));
      const d = geluv(v128.load(x + off(i), 48));
      v128.store(y + off(i), a);
      v128.store(y + off(i), b, 16);
      v128.store(y + off(i), c, 32);
      v128.store(y + off(i), d, 48);
    }
    for (; i + 4 <= n; i += 4) v128.store(y + off(i), geluv(v128.load(x + off(i))));
    for (; i < n; i++) store<f32>(y + off(i), f32x4.extract_lane(geluv(splat(load<f32>(x + off(i)))), 0));
  } else if (code == 3) {
    for (; i + 4 <= n; i += 4) v128.store(y + off(i), geluTanhv(v128.load(x + off(i))));
    for (; i < n; i++) store<f32>(y + off(i), f32x4.extract_lane(geluTanhv(splat(load<f32>(x + off(i)))), 0));
  } else if (code == 4) {
    for (; i + 4 <= n; i += 4) v128.store(y + off(i), tanhv(v128.load(x + off(i))));
    for (; i < n; i++) store<f32>(y + off(i), f32x4.extract_lane(tanhv(splat(load<f32>(x + off(i)))), 0));
  } else if (code == 5) {
    for (; i + 4 <= n; i += 4) v128.store(y + off(i), sigmoidv(v128.load(x + off(i))));
    for (; i < n; i++) store<f32>(y + off(i), f32x4.extract_lane(sigmoidv(splat(load<f32>(x + off(i)))), 0));
  } else if (code == 6) {
    const a = splat(alpha);
    for (; i + 4 <= n; i += 4) {
      const v = v128.load(x + off(i));
      v128.store(y + off(i), v128.bitselect(v, f32x4.mul(a, v), f32x4.gt(v, splat(0))));
    }
    for (; i < n; i++) {
      const v = load<f32>(x + off(i));
      store<f32>(y + off(i), v > 0 ? v : alpha * v);
    }
  }
}

/** dx = dy * f'(x), with y = f(x) for the activations whose derivative is cheaper from y. */
export function activationBackward(code: i32, x: usize, y: usize, dy: usize, dx: usize, n: i32, alpha: f32): void {
  let i = 0;
  if (code == 0) {
    if (dy != dx) memory.copy(dx, dy, off(n));
  } else if (code == 1) {
    // dy * (x > 0 ? 1 : 0) as a product, so that -dy * 0 and inf * 0 match the reference.
    for (; i + 4 <= n; i += 4) {
      const g = v128.and(splat(1), f32x4.gt(v128.load(x + off(i)), splat(0)));
      v128.store(dx + off(i), f32x4.mul(v128.load(dy + off(i)), g));
    }
    for (; i < n; i++) store<f32>(dx + off(i), load<f32>(dy + off(i)) * (load<f32>(x + off(i)) > 0 ? <f32>1 : <f32>0));
  } else if (code == 2) {
    // Phi(x) comes from y / x (the interface promises y = f(x)), sparing a second erf.
    for (; i + 16 <= n; i += 16) {
      const g0 = geluGradFromYv(v128.load(x + off(i)), v128.load(y + off(i)));
      const g1 = geluGradFromYv(v128.load(x + off(i), 16), v128.load(y + off(i), 16));
      const g2 = geluGradFromYv(v128.load(x + off(i), 32), v128.load(y + off(i), 32));
      const g3 = geluGradFromYv(v128.load(x + off(i), 48), v128.load(y + off(i), 48));
      v128.store(dx + off(i), f32x4.mul(v128.load(dy + off(i)), g0));
      v128.store(dx + off(i), f32x4.mul(v128.load(dy + off(i), 16), g1), 16);
      v128.store(dx + off(i), f32x4.mul(v128.load(dy + off(i), 32), g2), 32);
      v128.store(dx + off(i), f32x4.mul(v128.load(dy + off(i), 48), g3), 48);
    }
    for (; i + 4 <= n; i += 4) {
      const g = geluGradFromYv(v128.load(x + off(i)), v128.load(y + off(i)));
      v128.store(dx + off(i), f32x4.mul(v128.load(dy + off(i)), g));
    }
    for (; i < n; i++) {
      const g = geluGradFromYv(splat(load<f32>(x + off(i))), splat(load<f32>(y + off(i))));
      store<f32>(dx + off(i), load<f32>(dy + off(i)) * f32x4.extract_lane(g, 0));
    }
  } else if (code == 3) {
    for (; i + 4 <= n; i += 4) {
      v128.store(dx + off(i), f32x4.mul(v128.load(dy + off(i)), geluTanhGradv(v128.load(x + off(i)))));
    }
    for (; i < n; i++) {
      store<f32>(dx + off(i), load<f32>(dy + off(i)) * f32x4.extract_lane(geluTanhGradv(splat(load<f32>(x + off(i)))), 0));
    }
  } else if (code == 4) {
    for (; i + 4 <= n; i += 4) {
      const t = v128.load(y + off(i));
      v128.store(dx + off(i), f32x4.mul(v128.load(dy + off(i)), f32x4.sub(splat(1), f32x4.mul(t, t))));
    }
    for (; i < n; i++) {
      const t = load<f32>(y + off(i));
      store<f32>(dx + off(i), load<f32>(dy + off(i)) * (1 - t * t));
    }
  } else if (code == 5) {
    for (; i + 4 <= n; i += 4) {
      const s = v128.load(y + off(i));
      v128.store(dx + off(i), f32x4.mul(v128.load(dy + off(i)), f32x4.mul(s, f32x4.sub(splat(1), s))));
    }
    for (; i < n; i++) {
      const s = load<f32>(y + off(i));
      store<f32>(dx + off(i), load<f32>(dy + off(i)) * (s * (1 - s)));
    }
  } else if (code == 6) {
    const a = splat(alpha);
    for (; i + 4 <= n; i += 4) {
      const g = v128.bitselect(splat(1), a, f32x4.gt(v128.load(x + off(i)), splat(0)));
      v128.store(dx + off(i), f32x4.mul(v128.load(dy + off(i)), g));
    }
    for (; i < n; i++) {
      store<f32>(dx + off(i), load<f32>(dy + off(i)) * (load<f32>(x + off(i)) > 0 ? <f32>1 : alpha));
    }
  }
}

@inline function hash32v(x: v128): v128 {
  x = v128.xor(x, i32x4.shr_u(x, 16));
  x = i32x4.mul(x, i32x4.splat(0x7feb352d));
  x = v128.xor(x, i32x4.shr_u(x, 15));
  x = i32x4.mul(x, i32x4.splat(<i32>0x846ca68b));
  return v128.xor(x, i32x4.shr_u(x, 16));
}

@inline function hash32(x: u32): u32 {
  x ^= x >>> 16;
  x *= 0x7feb352d;
  x ^= x >>> 15;
  x *= 0x846ca68b;
  return x ^ (x >>> 16);
}

/**
 * Inverted dropout with the counter-based rule of src/tensor/rng.ts: element i is kept when
 * (hash32(key ^ i) >>> 8) >= threshold. Both sides of the compare are below 2^24 + 1, so a
 * signed lane compare is exact.
 */
export function dropoutForward(x: usize, mask: usize, y: usize, n: i32, key: u32, threshold: i32, scale: f32): void {
  dropoutRange(x, mask, y, 0, n, key, threshold, scale);
}

/**
 * dropoutForward on elements [base, base + n) of the arrays that x, mask and y point into
 * at element `base` (a thread's share): the hash takes the element's index in the whole array.
 */
export function dropoutRange(x: usize, mask: usize, y: usize, base: i32, n: i32, key: u32, threshold: i32, scale: f32): void {
  const k = i32x4.splat(key);
  const t = i32x4.splat(threshold);
  const s = splat(scale);
  let idx = i32x4.add(i32x4(0, 1, 2, 3), i32x4.splat(base));
  let i = 0;
  // Two vectors per iteration: the hash is a chain of multiplies, two of them overlap.
  for (; i + 8 <= n; i += 8) {
    const idx1 = i32x4.add(idx, i32x4.splat(4));
    const m0 = v128.and(i32x4.ge_s(i32x4.shr_u(hash32v(v128.xor(k, idx)), 8), t), s);
    const m1 = v128.and(i32x4.ge_s(i32x4.shr_u(hash32v(v128.xor(k, idx1)), 8), t), s);
    v128.store(mask + off(i), m0);
    v128.store(mask + off(i), m1, 16);
    v128.store(y + off(i), f32x4.mul(v128.load(x + off(i)), m0));
    v128.store(y + off(i), f32x4.mul(v128.load(x + off(i), 16), m1), 16);
    idx = i32x4.add(idx, i32x4.splat(8));
  }
  for (; i + 4 <= n; i += 4) {
    const keep = i32x4.ge_s(i32x4.shr_u(hash32v(v128.xor(k, idx)), 8), t);
    const m = v128.and(keep, s);
    v128.store(mask + off(i), m);
    v128.store(y + off(i), f32x4.mul(v128.load(x + off(i)), m));
    idx = i32x4.add(idx, i32x4.splat(4));
  }
  for (; i < n; i++) {
    const m: f32 = <i32>(hash32(key ^ <u32>(base + i)) >>> 8) >= threshold ? scale : 0;
    store<f32>(mask + off(i), m);
    store<f32>(y + off(i), load<f32>(x + off(i)) * m);
  }
}

/** out = a * b. */
export function multiply(a: usize, b: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(out + off(i), f32x4.mul(v128.load(a + off(i)), v128.load(b + off(i))));
  for (; i < n; i++) store<f32>(out + off(i), load<f32>(a + off(i)) * load<f32>(b + off(i)));
}

/** y[r, :] += bias for every row. */
export function addRowVector(y: usize, bias: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const row = y + off(r * cols);
    let c = 0;
    for (; c + 4 <= cols; c += 4) v128.store(row + off(c), f32x4.add(v128.load(row + off(c)), v128.load(bias + off(c))));
    for (; c < cols; c++) store<f32>(row + off(c), load<f32>(row + off(c)) + load<f32>(bias + off(c)));
  }
}

/** out[c] = sum over rows of x[r, c] (+ out[c] when beta is 1). */
export function sumRows(x: usize, out: usize, rows: i32, cols: i32, beta: i32): void {
  sumRowsStrided(x, out, rows, cols, cols, beta);
}

/** sumRows over `cols` columns of a matrix whose rows are `ld` floats apart (a thread's share of the columns). */
export function sumRowsStrided(x: usize, out: usize, rows: i32, cols: i32, ld: i32, beta: i32): void {
  const stride = off(ld);
  let c = 0;
  for (; c + 16 <= cols; c += 16) {
    let s0 = splat(0), s1 = splat(0), s2 = splat(0), s3 = splat(0);
    let p = x + off(c);
    for (let r = 0; r < rows; r++) {
      s0 = f32x4.add(s0, v128.load(p));
      s1 = f32x4.add(s1, v128.load(p, 16));
      s2 = f32x4.add(s2, v128.load(p, 32));
      s3 = f32x4.add(s3, v128.load(p, 48));
      p += stride;
    }
    const q = out + off(c);
    if (beta != 0) {
      s0 = f32x4.add(v128.load(q), s0);
      s1 = f32x4.add(v128.load(q, 16), s1);
      s2 = f32x4.add(v128.load(q, 32), s2);
      s3 = f32x4.add(v128.load(q, 48), s3);
    }
    v128.store(q, s0); v128.store(q, s1, 16); v128.store(q, s2, 32); v128.store(q, s3, 48);
  }
  for (; c < cols; c += 4) {
    const lanes = min(4, cols - c);
    let s = splat(0);
    let p = x + off(c);
    for (let r = 0; r < rows; r++) {
      s = f32x4.add(s, v128.load(p));
      p += stride;
    }
    const q = out + off(c);
    if (beta != 0) s = f32x4.add(v128.load(q), s);
    if (lanes == 4) v128.store(q, s);
    else storePartial(q, s, lanes);
  }
}

/** y += alpha x */
export function axpy(alpha: f32, x: usize, y: usize, n: i32): void {
  const a = splat(alpha);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(y + off(i), f32x4.add(v128.load(y + off(i)), f32x4.mul(a, v128.load(x + off(i)))));
  for (; i < n; i++) store<f32>(y + off(i), load<f32>(y + off(i)) + alpha * load<f32>(x + off(i)));
}

/** x *= alpha */
export function scale(x: usize, n: i32, alpha: f32): void {
  const a = splat(alpha);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(x + off(i), f32x4.mul(v128.load(x + off(i)), a));
  for (; i < n; i++) store<f32>(x + off(i), load<f32>(x + off(i)) * alpha);
}

/** x[:] = value */
export function fill(x: usize, n: i32, value: f32): void {
  const v = splat(value);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(x + off(i), v);
  for (; i < n; i++) store<f32>(x + off(i), value);
}

/** Bytes [dst, dst + bytes) = [src, src + bytes); the ranges may overlap. */
export function copyBytes(src: usize, dst: usize, bytes: usize): void {
  memory.copy(dst, src, bytes);
}

/**
 * Row r of dst = row idx[r] of src, for r in [0, rows): a batch gathered from the training
 * rows (idx holds i32 row numbers, checked by the caller). Rows are `cols` floats.
 */
export function gatherRows(src: usize, idx: usize, rows: i32, cols: i32, dst: usize): void {
  const bytes = off(cols);
  for (let r = 0; r < rows; r++) {
    memory.copy(dst + <usize>r * bytes, src + <usize>load<i32>(idx + off(r)) * bytes, bytes);
  }
}

/** Bytes [ptr, ptr + bytes) = 0. */
export function zeroBytes(ptr: usize, bytes: usize): void {
  memory.fill(ptr, 0, bytes);
}

/** trace = decay trace + g; with nesterov, g += decay trace (the new trace). */
export function momentum(g: usize, trace: usize, n: i32, decay: f32, nesterov: i32): void {
  const d = splat(decay);
  let i = 0;
  if (nesterov != 0) {
    for (; i + 4 <= n; i += 4) {
      const gv = v128.load(g + off(i));
      const t = f32x4.add(f32x4.mul(d, v128.load(trace + off(i))), gv);
      v128.store(trace + off(i), t);
      v128.store(g + off(i), f32x4.add(gv, f32x4.mul(d, t)));
    }
    for (; i < n; i++) {
      const gv = load<f32>(g + off(i));
      const t = decay * load<f32>(trace + off(i)) + gv;
      store<f32>(trace + off(i), t);
      store<f32>(g + off(i), gv + decay * t);
    }
  } else {
    for (; i + 4 <= n; i += 4) {
      v128.store(trace + off(i), f32x4.add(f32x4.mul(d, v128.load(trace + off(i))), v128.load(g + off(i))));
    }
    for (; i < n; i++) store<f32>(trace + off(i), decay * load<f32>(trace + off(i)) + load<f32>(g + off(i)));
  }
}

/**
 * One SGD step fused into a single pass over flat vectors, equal to the chain
 * g += wd w (first `decayed` entries only); t = mom t + g; d = t, or g + mom t with Nesterov;
 * g = -lr d; w += g. With mom = 0, d = g and t is not touched.
 */
export function sgdStep(w: usize, g: usize, t: usize, n: i32, decayed: i32, lr: f32, wd: f32, mom: f32, nesterov: i32): void {
  sgdRange(w, g, t, 0, decayed, -lr, wd, mom, nesterov);
  sgdRange(w, g, t, decayed, n, -lr, 0, mom, nesterov);
}

function sgdRange(w: usize, g: usize, t: usize, start: i32, end: i32, negLr: f32, wd: f32, mom: f32, nesterov: i32): void {
  // One loop per case, so that no test is left inside the loop (TurboFan does not unswitch).
  const decay = wd != 0;
  if (mom == 0) {
    if (decay) sgdLoop(w, g, t, start, end, negLr, wd, mom, true, false, false);
    else sgdLoop(w, g, t, start, end, negLr, wd, mom, false, false, false);
  } else if (nesterov == 0) {
    if (decay) sgdLoop(w, g, t, start, end, negLr, wd, mom, true, true, false);
    else sgdLoop(w, g, t, start, end, negLr, wd, mom, false, true, false);
  } else {
    if (decay) sgdLoop(w, g, t, start, end, negLr, wd, mom, true, true, true);
    else sgdLoop(w, g, t, start, end, negLr, wd, mom, false, true, true);
  }
}

/** The arithmetic of sgdStep on four lanes; the flags are constants where it is inlined. */
@inline function sgdLanes(w: usize, g: usize, t: usize, L: v128, D: v128, M: v128, decay: bool, useTrace: bool, nesterov: bool): void {
  const wv = v128.load(w);
  let gv = v128.load(g);
  if (decay) gv = f32x4.add(gv, f32x4.mul(D, wv));
  if (useTrace) {
    const tv = f32x4.add(f32x4.mul(M, v128.load(t)), gv);
    v128.store(t, tv);
    gv = nesterov ? f32x4.add(gv, f32x4.mul(M, tv)) : tv;
  }
  const u = f32x4.mul(L, gv);
  v128.store(g, u);
  v128.store(w, f32x4.add(wv, u));
}

@inline function sgdLoop(w: usize, g: usize, t: usize, start: i32, end: i32, negLr: f32, wd: f32, mom: f32, decay: bool, useTrace: bool, nesterov: bool): void {
  const L = splat(negLr), D = splat(wd), M = splat(mom);
  let i = start;
  for (; i + 8 <= end; i += 8) {
    sgdLanes(w + off(i), g + off(i), t + off(i), L, D, M, decay, useTrace, nesterov);
    sgdLanes(w + off(i + 4), g + off(i + 4), t + off(i + 4), L, D, M, decay, useTrace, nesterov);
  }
  for (; i + 4 <= end; i += 4) sgdLanes(w + off(i), g + off(i), t + off(i), L, D, M, decay, useTrace, nesterov);
  for (; i < end; i++) {
    const wv = load<f32>(w + off(i));
    let gv = load<f32>(g + off(i));
    if (decay) gv += wd * wv;
    if (useTrace) {
      const tv = mom * load<f32>(t + off(i)) + gv;
      store<f32>(t + off(i), tv);
      gv = nesterov ? gv + mom * tv : tv;
    }
    const u = negLr * gv;
    store<f32>(g + off(i), u);
    store<f32>(w + off(i), wv + u);
  }
}

/**
 * Adam moments and direction, in place on g: g = (m / c1) / (sqrt(v / c2) + eps). a1 and a2
 * are 1 - b1 and 1 - b2 from the caller in float64: in float32, 1 - 0.999f is off by 1e-5.
 */
export function adam(g: usize, m: usize, v: usize, n: i32, b1: f32, a1: f32, b2: f32, a2: f32, c1: f32, c2: f32, eps: f32): void {
  const B1 = splat(b1), B2 = splat(b2), A1 = splat(a1), A2 = splat(a2);
  const C1 = splat(c1), C2 = splat(c2), E = splat(eps);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const gv = v128.load(g + off(i));
    const mv = f32x4.add(f32x4.mul(B1, v128.load(m + off(i))), f32x4.mul(A1, gv));
    const vv = f32x4.add(f32x4.mul(B2, v128.load(v + off(i))), f32x4.mul(f32x4.mul(A2, gv), gv));
    v128.store(m + off(i), mv);
    v128.store(v + off(i), vv);
    v128.store(g + off(i), f32x4.div(f32x4.div(mv, C1), f32x4.add(f32x4.sqrt(f32x4.div(vv, C2)), E)));
  }
  for (; i < n; i++) {
    const gv = load<f32>(g + off(i));
    const mv = b1 * load<f32>(m + off(i)) + a1 * gv;
    const vv = b2 * load<f32>(v + off(i)) + a2 * gv * gv;
    store<f32>(m + off(i), mv);
    store<f32>(v + off(i), vv);
    store<f32>(g + off(i), mv / c1 / (Mathf.sqrt(vv / c2) + eps));
  }
}

/**
 * Statistics of one layer's batch for the diagnostics: per unit (column), the running minimum
 * and maximum of the pre-activation z (minmax: row 0 min, row 1 max, updated in place); for the
 * batch, sums[0..4] = sum z, sum z^2, sum a, sum a^2, and the number of z outside [low, high]
 * (the activation's flat region). One read of z and a, which the forward pass just wrote, four
 * columns at a time down the rows, each column's minimum and maximum held in registers (1.8x
 * faster than row by row, which loaded and stored them for every row). pmin and pmax are one
 * instruction each, and like the reference they pass over a NaN z instead of keeping it.
 */
export function unitStats(z: usize, a: usize, rows: i32, cols: i32, minmax: usize, sums: usize, low: f32, high: f32): void {
  const lo = f32x4.splat(low), hi = f32x4.splat(high), one = f32x4.splat(1);
  let sz = f32x4.splat(0), sz2 = f32x4.splat(0), sa = f32x4.splat(0), sa2 = f32x4.splat(0), sat = f32x4.splat(0);
  const vecCols = cols & ~3;
  const ld = off(cols);
  const mx = minmax + ld;
  for (let c = 0; c < vecCols; c += 4) {
    let lowest = v128.load(minmax + off(c)), highest = v128.load(mx + off(c));
    let pz = z + off(c), pa = a + off(c);
    for (let r = 0; r < rows; r++) {
      const vz = v128.load(pz), va = v128.load(pa);
      lowest = f32x4.pmin(lowest, vz);
      highest = f32x4.pmax(highest, vz);
      sz = f32x4.add(sz, vz);
      sz2 = f32x4.add(sz2, f32x4.mul(vz, vz));
      sa = f32x4.add(sa, va);
      sa2 = f32x4.add(sa2, f32x4.mul(va, va));
      sat = f32x4.add(sat, v128.and(v128.or(f32x4.lt(vz, lo), f32x4.gt(vz, hi)), one));
      pz += ld; pa += ld;
    }
    v128.store(minmax + off(c), lowest);
    v128.store(mx + off(c), highest);
  }
  let ez: f64 = 0, ez2: f64 = 0, ea: f64 = 0, ea2: f64 = 0, esat: f64 = 0;
  for (let c = vecCols; c < cols; c++) {
    let lowest = load<f32>(minmax + off(c)), highest = load<f32>(mx + off(c));
    for (let r = 0; r < rows; r++) {
      const vz = load<f32>(z + <usize>r * ld + off(c)), va = load<f32>(a + <usize>r * ld + off(c));
      if (vz < lowest) lowest = vz;
      if (vz > highest) highest = vz;
      ez += vz;
      ez2 += <f64>vz * vz;
      ea += va;
      ea2 += <f64>va * va;
      if (vz < low || vz > high) esat += 1;
    }
    store<f32>(minmax + off(c), lowest);
    store<f32>(mx + off(c), highest);
  }
  store<f32>(sums, <f32>(ez + lanes(sz)));
  store<f32>(sums, <f32>(ez2 + lanes(sz2)), 4);
  store<f32>(sums, <f32>(ea + lanes(sa)), 8);
  store<f32>(sums, <f32>(ea2 + lanes(sa2)), 12);
  store<f32>(sums, <f32>(esat + lanes(sat)), 16);
}

@inline function lanes(v: v128): f64 {
  return <f64>f32x4.extract_lane(v, 0) + <f64>f32x4.extract_lane(v, 1) + <f64>f32x4.extract_lane(v, 2) + <f64>f32x4.extract_lane(v, 3);
}

/**
 * Index of the first NaN or infinite value among n contiguous floats, or -1. x - x is 0 for
 * every finite x and NaN otherwise; four lanes at a time, so that data with no such value (the
 * usual case) costs a subtraction and a compare per vector.
 */
export function firstNonFinite(x: usize, n: i32): i32 {
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const a = v128.load(x + off(i)), b = v128.load(x + off(i), 16), c = v128.load(x + off(i), 32), d = v128.load(x + off(i), 48);
    const bad = v128.or(
      v128.or(f32x4.ne(f32x4.sub(a, a), f32x4.splat(0)), f32x4.ne(f32x4.sub(b, b), f32x4.splat(0))),
      v128.or(f32x4.ne(f32x4.sub(c, c), f32x4.splat(0)), f32x4.ne(f32x4.sub(d, d), f32x4.splat(0))),
    );
    if (v128.any_true(bad)) break;
  }
  for (; i < n; i++) {
    const v = load<f32>(x + off(i));
    if (v - v != 0) return i;
  }
  return -1;
}

/** Sum of squares of n contiguous floats, accumulated in double precision. */
export function sumSquares(x: usize, n: i32): f64 {
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(x + off(i));
    const lo = f64x2.promote_low_f32x4(v);
    const hi = f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1));
    s0 = f64x2.add(s0, f64x2.mul(lo, lo));
    s1 = f64x2.add(s1, f64x2.mul(hi, hi));
  }
  const s = f64x2.add(s0, s1);
  let total = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  for (; i < n; i++) {
    const v = <f64>load<f32>(x + off(i));
    total += v * v;
  }
  return total;
}
