// Batch normalisation (column statistics over the rows of a batch) and row-wise softmax.
// Batch norm walks four feature columns at a time down the rows, keeping the column sums
// in one vector; a last group of 1-3 columns reads past the row end and stores only its
// own lanes.

import { splat, expv, laneMask, storePartial, hsum, hmax } from './math';

@inline function off(i: i32): usize {
  return <usize>i << 2;
}

@inline function storeLanes(ptr: usize, v: v128, lanes: i32): void {
  if (lanes == 4) v128.store(ptr, v);
  else storePartial(ptr, v, lanes);
}

/**
 * Batch statistics, PyTorch's rules: normalise with the biased variance, move the running
 * variance towards the unbiased one; keepRate is 1 - momentum (computed in float64 by the
 * caller, as float32 1 - m loses digits when m is near 1). Two passes (mean, then squared deviations) avoid the
 * cancellation of E[x^2] - E[x]^2.
 */
export function batchNormTrain(
  x: usize, gamma: usize, beta: usize, y: usize, xhat: usize, invStd: usize,
  runMean: usize, runVar: usize, rows: i32, cols: i32, momentum: f32, keepRate: f32, eps: f32,
): void {
  batchNormTrainStrided(x, gamma, beta, y, xhat, invStd, runMean, runVar, rows, cols, cols, momentum, keepRate, eps);
}

/**
 * batchNormTrain on `cols` feature columns of matrices whose rows are `ld` floats apart (a
 * thread's share of the columns; every column's statistics are its own).
 */
export function batchNormTrainStrided(
  x: usize, gamma: usize, beta: usize, y: usize, xhat: usize, invStd: usize,
  runMean: usize, runVar: usize, rows: i32, cols: i32, ld: i32, momentum: f32, keepRate: f32, eps: f32,
): void {
  const stride = off(ld);
  const n = splat(<f32>rows);
  const n1 = splat(rows > 1 ? <f32>(rows - 1) : <f32>rows);
  const mom = splat(momentum), keep = splat(keepRate);
  let c = 0;
  // Sixteen columns at a time: four independent chains of sums instead of one (each column's
  // sums are still taken in row order, so results equal the four-column loop's).
  for (; c + 16 <= cols; c += 16) {
    const o = off(c);
    let s0 = splat(0), s1 = splat(0), s2 = splat(0), s3 = splat(0);
    let p = x + o;
    for (let r = 0; r < rows; r++) {
      s0 = f32x4.add(s0, v128.load(p)); s1 = f32x4.add(s1, v128.load(p, 16));
      s2 = f32x4.add(s2, v128.load(p, 32)); s3 = f32x4.add(s3, v128.load(p, 48));
      p += stride;
    }
    const m0 = f32x4.div(s0, n), m1 = f32x4.div(s1, n), m2 = f32x4.div(s2, n), m3 = f32x4.div(s3, n);
    s0 = splat(0); s1 = splat(0); s2 = splat(0); s3 = splat(0);
    p = x + o;
    for (let r = 0; r < rows; r++) {
      const d0 = f32x4.sub(v128.load(p), m0), d1 = f32x4.sub(v128.load(p, 16), m1);
      const d2 = f32x4.sub(v128.load(p, 32), m2), d3 = f32x4.sub(v128.load(p, 48), m3);
      s0 = f32x4.add(s0, f32x4.mul(d0, d0)); s1 = f32x4.add(s1, f32x4.mul(d1, d1));
      s2 = f32x4.add(s2, f32x4.mul(d2, d2)); s3 = f32x4.add(s3, f32x4.mul(d3, d3));
      p += stride;
    }
    const e = splat(eps);
    const i0 = f32x4.div(splat(1), f32x4.sqrt(f32x4.add(f32x4.div(s0, n), e)));
    const i1 = f32x4.div(splat(1), f32x4.sqrt(f32x4.add(f32x4.div(s1, n), e)));
    const i2 = f32x4.div(splat(1), f32x4.sqrt(f32x4.add(f32x4.div(s2, n), e)));
    const i3 = f32x4.div(splat(1), f32x4.sqrt(f32x4.add(f32x4.div(s3, n), e)));
    p = x + o;
    let ph = xhat + o, py = y + o;
    for (let r = 0; r < rows; r++) {
      const h0 = f32x4.mul(f32x4.sub(v128.load(p), m0), i0), h1 = f32x4.mul(f32x4.sub(v128.load(p, 16), m1), i1);
      const h2 = f32x4.mul(f32x4.sub(v128.load(p, 32), m2), i2), h3 = f32x4.mul(f32x4.sub(v128.load(p, 48), m3), i3);
      v128.store(ph, h0); v128.store(ph, h1, 16); v128.store(ph, h2, 32); v128.store(ph, h3, 48);
      v128.store(py, f32x4.add(f32x4.mul(v128.load(gamma + o), h0), v128.load(beta + o)));
      v128.store(py, f32x4.add(f32x4.mul(v128.load(gamma + o, 16), h1), v128.load(beta + o, 16)), 16);
      v128.store(py, f32x4.add(f32x4.mul(v128.load(gamma + o, 32), h2), v128.load(beta + o, 32)), 32);
      v128.store(py, f32x4.add(f32x4.mul(v128.load(gamma + o, 48), h3), v128.load(beta + o, 48)), 48);
      p += stride; ph += stride; py += stride;
    }
    v128.store(invStd + o, i0); v128.store(invStd + o, i1, 16); v128.store(invStd + o, i2, 32); v128.store(invStd + o, i3, 48);
    const rm = runMean + o, rv = runVar + o;
    v128.store(rm, f32x4.add(f32x4.mul(keep, v128.load(rm)), f32x4.mul(mom, m0)));
    v128.store(rm, f32x4.add(f32x4.mul(keep, v128.load(rm, 16)), f32x4.mul(mom, m1)), 16);
    v128.store(rm, f32x4.add(f32x4.mul(keep, v128.load(rm, 32)), f32x4.mul(mom, m2)), 32);
    v128.store(rm, f32x4.add(f32x4.mul(keep, v128.load(rm, 48)), f32x4.mul(mom, m3)), 48);
    v128.store(rv, f32x4.add(f32x4.mul(keep, v128.load(rv)), f32x4.mul(mom, f32x4.div(s0, n1))));
    v128.store(rv, f32x4.add(f32x4.mul(keep, v128.load(rv, 16)), f32x4.mul(mom, f32x4.div(s1, n1))), 16);
    v128.store(rv, f32x4.add(f32x4.mul(keep, v128.load(rv, 32)), f32x4.mul(mom, f32x4.div(s2, n1))), 32);
    v128.store(rv, f32x4.add(f32x4.mul(keep, v128.load(rv, 48)), f32x4.mul(mom, f32x4.div(s3, n1))), 48);
  }
  for (; c < cols; c += 4) {
    const lanes = min(4, cols - c);
    const o = off(c);
    let s = splat(0);
    let p = x + o;
    for (let r = 0; r < rows; r++) {
      s = f32x4.add(s, v128.load(p));
      p += stride;
    }
    const mean = f32x4.div(s, n);
    let ss = splat(0);
    p = x + o;
    for (let r = 0; r < rows; r++) {
      const d = f32x4.sub(v128.load(p), mean);
      ss = f32x4.add(ss, f32x4.mul(d, d));
      p += stride;
    }
    const is = f32x4.div(splat(1), f32x4.sqrt(f32x4.add(f32x4.div(ss, n), splat(eps))));
    const g = v128.load(gamma + o), b = v128.load(beta + o);
    p = x + o;
    let ph = xhat + o, py = y + o;
    for (let r = 0; r < rows; r++) {
      const h = f32x4.mul(f32x4.sub(v128.load(p), mean), is);
      storeLanes(ph, h, lanes);
      storeLanes(py, f32x4.add(f32x4.mul(g, h), b), lanes);
      p += stride; ph += stride; py += stride;
    }
    storeLanes(invStd + o, is, lanes);
    storeLanes(runMean + o, f32x4.add(f32x4.mul(keep, v128.load(runMean + o)), f32x4.mul(mom, mean)), lanes);
    storeLanes(runVar + o, f32x4.add(f32x4.mul(keep, v128.load(runVar + o)), f32x4.mul(mom, f32x4.div(ss, n1))), lanes);
  }
}

/** y = gamma (x - runMean) / sqrt(runVar + eps) + beta. */
export function batchNormInfer(x: usize, gamma: usize, beta: usize, runMean: usize, runVar: usize, y: usize, rows: i32, cols: i32, eps: f32): void {
  batchNormInferStrided(x, gamma, beta, runMean, runVar, y, rows, cols, cols, eps);
}

/** batchNormInfer on `cols` columns of matrices whose rows are `ld` floats apart. */
export function batchNormInferStrided(x: usize, gamma: usize, beta: usize, runMean: usize, runVar: usize, y: usize, rows: i32, cols: i32, ld: i32, eps: f32): void {
  const stride = off(ld);
  for (let c = 0; c < cols; c += 4) {
    const lanes = min(4, cols - c);
    const o = off(c);
    const is = f32x4.div(splat(1), f32x4.sqrt(f32x4.add(v128.load(runVar + o), splat(eps))));
    const g = f32x4.mul(v128.load(gamma + o), is);
    const mu = v128.load(runMean + o), b = v128.load(beta + o);
    let p = x + o, q = y + o;
    for (let r = 0; r < rows; r++) {
      storeLanes(q, f32x4.add(f32x4.mul(f32x4.sub(v128.load(p), mu), g), b), lanes);
      p += stride; q += stride;
    }
  }
}

/**
 * dgamma = sum(dy xhat), dbeta = sum(dy), and
 * dx = gamma invStd / n (n dy - sum(dy) - xhat sum(dy xhat)).
 */
export function batchNormBackward(dy: usize, xhat: usize, gamma: usize, invStd: usize, dx: usize, dgamma: usize, dbeta: usize, rows: i32, cols: i32): void {
  batchNormBackwardStrided(dy, xhat, gamma, invStd, dx, dgamma, dbeta, rows, cols, cols);
}

/** batchNormBackward on `cols` columns of matrices whose rows are `ld` floats apart. */
export function batchNormBackwardStrided(dy: usize, xhat: usize, gamma: usize, invStd: usize, dx: usize, dgamma: usize, dbeta: usize, rows: i32, cols: i32, ld: i32): void {
  const stride = off(ld);
  const n = splat(<f32>rows);
  let c = 0;
  // Eight columns at a time: four independent chains of sums (in row order, as below).
  for (; c + 8 <= cols; c += 8) {
    const o = off(c);
    let sd0 = splat(0), sd1 = splat(0), sdh0 = splat(0), sdh1 = splat(0);
    let pd = dy + o, ph = xhat + o;
    for (let r = 0; r < rows; r++) {
      const d0 = v128.load(pd), d1 = v128.load(pd, 16);
      sd0 = f32x4.add(sd0, d0); sd1 = f32x4.add(sd1, d1);
      sdh0 = f32x4.add(sdh0, f32x4.mul(d0, v128.load(ph)));
      sdh1 = f32x4.add(sdh1, f32x4.mul(d1, v128.load(ph, 16)));
      pd += stride; ph += stride;
    }
    v128.store(dgamma + o, sdh0); v128.store(dgamma + o, sdh1, 16);
    v128.store(dbeta + o, sd0); v128.store(dbeta + o, sd1, 16);
    const k0 = f32x4.div(f32x4.mul(v128.load(gamma + o), v128.load(invStd + o)), n);
    const k1 = f32x4.div(f32x4.mul(v128.load(gamma + o, 16), v128.load(invStd + o, 16)), n);
    pd = dy + o; ph = xhat + o;
    let px = dx + o;
    for (let r = 0; r < rows; r++) {
      const t0 = f32x4.sub(f32x4.sub(f32x4.mul(n, v128.load(pd)), sd0), f32x4.mul(v128.load(ph), sdh0));
      const t1 = f32x4.sub(f32x4.sub(f32x4.mul(n, v128.load(pd, 16)), sd1), f32x4.mul(v128.load(ph, 16), sdh1));
      v128.store(px, f32x4.mul(k0, t0)); v128.store(px, f32x4.mul(k1, t1), 16);
      pd += stride; ph += stride; px += stride;
    }
  }
  for (; c < cols; c += 4) {
    const lanes = min(4, cols - c);
    const o = off(c);
    let sd = splat(0), sdh = splat(0);
    let pd = dy + o, ph = xhat + o;
    for (let r = 0; r < rows; r++) {
      const d = v128.load(pd);
      sd = f32x4.add(sd, d);
      sdh = f32x4.add(sdh, f32x4.mul(d, v128.load(ph)));
      pd += stride; ph += stride;
    }
    storeLanes(dgamma + o, sdh, lanes);
    storeLanes(dbeta + o, sd, lanes);
    const k = f32x4.div(f32x4.mul(v128.load(gamma + o), v128.load(invStd + o)), n);
    pd = dy + o; ph = xhat + o;
    let px = dx + o;
    for (let r = 0; r < rows; r++) {
      const t = f32x4.sub(f32x4.sub(f32x4.mul(n, v128.load(pd)), sd), f32x4.mul(v128.load(ph), sdh));
      storeLanes(px, f32x4.mul(k, t), lanes);
      pd += stride; ph += stride; px += stride;
    }
  }
}

/** Largest value of a row of `cols` floats (lanes past the end count as -inf). */
@inline function rowMax(z: usize, cols: i32): f32 {
  let mx = splat(-Infinity);
  let c = 0;
  for (; c + 4 <= cols; c += 4) mx = f32x4.pmax(mx, v128.load(z + off(c)));
  if (c < cols) mx = f32x4.pmax(mx, v128.bitselect(v128.load(z + off(c)), splat(-Infinity), laneMask(cols - c)));
  return hmax(mx);
}

/** e = exp(z - max) into out; returns the sum of e over the row. */
@inline function rowExp(z: usize, out: usize, cols: i32, max: f32): f32 {
  const m = splat(max);
  let sum = splat(0);
  let c = 0;
  for (; c + 4 <= cols; c += 4) {
    const e = expv(f32x4.sub(v128.load(z + off(c)), m));
    v128.store(out + off(c), e);
    sum = f32x4.add(sum, e);
  }
  if (c < cols) {
    const e = v128.and(expv(f32x4.sub(v128.load(z + off(c)), m)), laneMask(cols - c));
    storePartial(out + off(c), e, cols - c);
    sum = f32x4.add(sum, e);
  }
  return hsum(sum);
}

/** Row-wise softmax; out may be z. */
export function softmax(z: usize, out: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const zr = z + off(r * cols), or = out + off(r * cols);
    const inv = splat(<f32>1 / rowExp(zr, or, cols, rowMax(zr, cols)));
    let c = 0;
    for (; c + 4 <= cols; c += 4) v128.store(or + off(c), f32x4.mul(v128.load(or + off(c)), inv));
    if (c < cols) storePartial(or + off(c), f32x4.mul(v128.load(or + off(c)), inv), cols - c);
  }
}

/**
 * Mean cross-entropy of softmax(z) against targets (1 - s) onehot + s / cols, and its
 * gradient (softmax - target) / rows. Labels are class indices stored as floats.
 */
export function softmaxCrossEntropy(z: usize, labels: usize, grad: usize, rows: i32, cols: i32, smoothing: f32): f64 {
  const qOff = smoothing / <f32>cols;
  const qOn = <f32>1 - smoothing + qOff;
  const invRows = splat(1 / <f32>rows);
  let total: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const zr = z + off(r * cols), gr = grad + off(r * cols);
    const max = rowMax(zr, cols);
    const sumE = rowExp(zr, gr, cols, max);
    const logSum = splat(<f32>(Math.log(<f64>sumE) + <f64>max));
    const inv = splat(<f32>1 / sumE);
    const label = splat(load<f32>(labels + off(r)));
    let cls = f32x4(0, 1, 2, 3);
    let loss = splat(0);
    for (let c = 0; c < cols; c += 4) {
      const lanes = min(4, cols - c);
      const q = v128.bitselect(splat(qOn), splat(qOff), f32x4.eq(cls, label));
      const logp = f32x4.sub(v128.load(zr + off(c)), logSum);
      // Lanes past the row end hold whatever follows it, NaN included: mask the product.
      loss = f32x4.add(loss, v128.and(f32x4.mul(q, logp), laneMask(lanes)));
      const g = f32x4.mul(f32x4.sub(f32x4.mul(v128.load(gr + off(c)), inv), q), invRows);
      storeLanes(gr + off(c), g, lanes);
      cls = f32x4.add(cls, splat(4));
    }
    total -= <f64>hsum(loss);
  }
  return total / <f64>rows;
}
