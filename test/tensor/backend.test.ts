// The WebAssembly backend against the reference backend: every kernel, on random shapes
// (odd sizes included), on views at unaligned offsets, with the aliasing the interface allows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReferenceBackend } from '../../src/tensor/reference.js';
import { WasmBackend } from '../../src/tensor/wasm/backend.js';
import { ACTIVATIONS, activationCode } from '../../src/tensor/backend.js';
import type { Backend } from '../../src/tensor/backend.js';
import { Matrix } from '../../src/tensor/matrix.js';
import { Rng, dropoutKey, dropThreshold } from '../../src/tensor/rng.js';
import { createBackend, loadBackend, type BackendName } from '../../src/tensor/index.js';
import { ConfigError } from '../../src/errors.js';

const ref = new ReferenceBackend();
const fast = new WasmBackend();
const ODD = [1, 2, 3, 4, 5, 7, 8, 9, 10, 12, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128];
const U = 2 ** -24; // float32 unit roundoff

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.int(items.length)];
}

function randomValues(rng: Rng, n: number, spread = 1, offset = 0): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = offset + spread * (2 * rng.uniform() - 1);
  return v;
}

/**
 * The same values as a matrix of `be`. With `at`, the matrix is a view starting `at`
 * floats into a larger allocation (so its byte offset is not 16-aligned), as rowsView and
 * slice produce; the floats around it hold junk that no kernel may read into a result.
 */
function put(be: Backend, rows: number, cols: number, values: Float32Array, at = 0): Matrix {
  let m: Matrix;
  if (at === 0) {
    m = be.alloc(rows, cols);
  } else {
    const host = be.alloc(1, rows * cols + at + 5);
    host.data.fill(Number.NaN);
    m = host.slice(at, rows * cols).reshape(rows, cols);
  }
  m.data.set(values);
  return m;
}

/** A pair of matrices, one per backend, holding the same values. */
function pair(rng: Rng, rows: number, cols: number, values?: Float32Array): [Matrix, Matrix] {
  const v = values ?? randomValues(rng, rows * cols);
  const at = rng.int(3) === 0 ? 0 : 1 + rng.int(7);
  return [put(ref, rows, cols, v), put(fast, rows, cols, v, at)];
}

function assertClose(actual: Float32Array, expected: Float32Array, tol: (i: number) => number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i], e = expected[i];
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    const err = Math.abs(a - e);
    if (!(err <= tol(i))) assert.fail(`${what}: element ${i} is ${a}, reference ${e} (error ${err}, allowed ${tol(i)})`);
  }
}

function relTol(expected: Float32Array, rel: number, abs: number): (i: number) => number {
  return (i) => abs + rel * Math.abs(expected[i]);
}

function assertBitEqual(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) assert.fail(`${what}: element ${i} is ${actual[i]}, reference ${expected[i]}`);
  }
}

test('gemm matches the reference for every transpose, beta 0 and 1, odd shapes and views', () => {
  const rng = new Rng(1);
  const cases: [number, number, number][] = [
    [32, 128, 64], [32, 64, 64], [32, 64, 10], [128, 32, 64], [64, 32, 10], [32, 10, 64], [1, 1, 1],
    [5, 300, 270], [3, 0, 4], [0, 3, 4],
  ];
  for (let i = 0; i < 60; i++) cases.push([pick(rng, ODD), pick(rng, ODD), pick(rng, ODD)]);
  for (const [m, k, n] of cases) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        for (const beta of [0, 1] as const) {
          const [ra, fa] = transA ? pair(rng, k, m) : pair(rng, m, k);
          const [rb, fb] = transB ? pair(rng, n, k) : pair(rng, k, n);
          const [rc, fc] = pair(rng, m, n);
          ref.gemm(ra, transA, rb, transB, rc, beta);
          fast.gemm(fa, transA, fb, transB, fc, beta);
          // |error| <= (k + 2) u (|op(A)| |op(B)| + beta |C|): the float32 rounding bound for a sum of k products.
          const absA = ref.alloc(ra.rows, ra.cols), absB = ref.alloc(rb.rows, rb.cols);
          absA.data.set(ra.data.map(Math.abs));
          absB.data.set(rb.data.map(Math.abs));
          const bound = ref.alloc(m, n);
          ref.gemm(absA, transA, absB, transB, bound, 0);
          assertClose(fc.data, rc.data, (j) => (k + 2) * 2 * U * (bound.data[j] + 2 * Math.abs(rc.data[j])) + 1e-30,
            `gemm ${m}x${k}x${n} transA=${transA} transB=${transB} beta=${beta}`);
        }
      }
    }
  }
});

test('gemm rejects shapes that do not agree, like the reference', () => {
  const a = fast.alloc(3, 4), b = fast.alloc(5, 6), c = fast.alloc(3, 6);
  const ra = ref.alloc(3, 4), rb = ref.alloc(5, 6), rc = ref.alloc(3, 6);
  assert.throws(() => ref.gemm(ra, false, rb, false, rc, 0), RangeError);
  assert.throws(() => fast.gemm(a, false, b, false, c, 0), RangeError);
  assert.throws(() => fast.gemm(ra, false, fast.alloc(4, 6), false, c, 0), /not allocated by this backend/);
});

test('gemm on row views of a batch buffer (the last, shorter batch)', () => {
  const rng = new Rng(2);
  const [rx, fx] = pair(rng, 32, 33);
  const [rw, fw] = pair(rng, 33, 17);
  const [ry, fy] = pair(rng, 32, 17);
  const rows = 13;
  ref.gemm(rx.rowsView(0, rows), false, rw, false, ry.rowsView(0, rows), 0);
  fast.gemm(fx.rowsView(0, rows), false, fw, false, fy.rowsView(0, rows), 0);
  ref.gemm(rx.rowsView(5, rows), true, ry.rowsView(5, rows), false, rw, 1);
  fast.gemm(fx.rowsView(5, rows), true, fy.rowsView(5, rows), false, fw, 1);
  assertClose(fy.data, ry.data, relTol(ry.data, 1e-5, 1e-5), 'X W on a row view');
  assertClose(fw.data, rw.data, relTol(rw.data, 1e-5, 1e-5), 'X^T dY on row views, accumulated');
});

test('addRowVector and sumRows (beta 0 and 1)', () => {
  const rng = new Rng(3);
  for (let i = 0; i < 40; i++) {
    const rows = pick(rng, ODD), cols = pick(rng, ODD);
    const [ry, fy] = pair(rng, rows, cols);
    const [rb, fb] = pair(rng, 1, cols);
    ref.addRowVector(ry, rb);
    fast.addRowVector(fy, fb);
    assertBitEqual(fy.data, ry.data, `addRowVector ${rows}x${cols}`);
    for (const beta of [0, 1] as const) {
      const [ro, fo] = pair(rng, 1, cols);
      ref.sumRows(ry, ro, beta);
      fast.sumRows(fy, fo, beta);
      assertClose(fo.data, ro.data, () => (rows + 2) * 2 * U * (rows * 2 + 1), `sumRows ${rows}x${cols} beta=${beta}`);
    }
  }
});

// [relative, absolute] error allowed. The kernels compute in float32 with their own exp, the
// reference in float64; over a million random points in [-30, 30] the largest errors seen
// were 1/2 to 1/4 of these (GELU: 4.8e-7 absolute; tanh, sigmoid: 1.2e-7).
const ACTIVATION_TOL: Record<string, [number, number]> = {
  identity: [0, 0], relu: [0, 0], leaky_relu: [2.5e-7, 0],
  gelu: [2e-6, 1e-6], gelu_tanh: [2e-6, 1e-6], tanh: [1e-6, 3e-7], sigmoid: [1e-6, 2.5e-7],
};

test('activations forward and backward, every activation, with the allowed aliasing', () => {
  const rng = new Rng(4);
  for (const name of ACTIVATIONS) {
    const code = activationCode(name);
    const [rel, abs] = ACTIVATION_TOL[name];
    for (let i = 0; i < 12; i++) {
      const rows = pick(rng, ODD), cols = pick(rng, ODD);
      const x = randomValues(rng, rows * cols, i % 3 === 0 ? 8 : 3);
      if (x.length > 3) { x[0] = 0; x[1] = -0; x[2] = 1e-30; }
      const alpha = 0.01 + rng.uniform() * 0.3;
      const [rx, fx] = pair(rng, rows, cols, x);
      const [ry, fy] = pair(rng, rows, cols);
      ref.activationForward(code, rx, ry, alpha);
      fast.activationForward(code, fx, fy, alpha);
      assertClose(fy.data, ry.data, relTol(ry.data, rel, abs), `${name} forward ${rows}x${cols}`);

      const dy = randomValues(rng, rows * cols, 2);
      const [rdy, fdy] = pair(rng, rows, cols, dy);
      const [rdx, fdx] = pair(rng, rows, cols);
      ref.activationBackward(code, rx, ry, rdy, rdx, alpha);
      fast.activationBackward(code, fx, put(fast, rows, cols, ry.data), fdy, fdx, alpha);
      assertClose(fdx.data, rdx.data, relTol(rdx.data, 2 * rel + 1e-7, 2 * abs), `${name} backward ${rows}x${cols}`);

      // With this backend's own y = f(x), as a layer passes it.
      fast.activationBackward(code, fx, fy, fdy, fdx, alpha);
      assertClose(fdx.data, rdx.data, relTol(rdx.data, 2 * rel + 1e-7, 2 * abs), `${name} backward after forward ${rows}x${cols}`);

      // dx may alias dy.
      fast.activationBackward(code, fx, put(fast, rows, cols, ry.data), fdy, fdy, alpha);
      assertClose(fdy.data, rdx.data, relTol(rdx.data, 2 * rel + 1e-7, 2 * abs), `${name} backward in place`);
    }
  }
  // y may alias x for relu and identity.
  for (const name of ['relu', 'identity'] as const) {
    const x = randomValues(rng, 7 * 9);
    const [rx, fx] = pair(rng, 7, 9, x);
    ref.activationForward(activationCode(name), rx, rx, 0);
    fast.activationForward(activationCode(name), fx, fx, 0);
    assertBitEqual(fx.data, rx.data, `${name} in place`);
  }
});

test('activation derivatives stay finite where x^2 or x^3 overflow float32', () => {
  const values = [-1e30, -1e4, -100, -88, 88, 100, 1e4, 1e30, 0, -0];
  const x = put(fast, 1, values.length, new Float32Array(values));
  const y = fast.alloc(1, values.length), dy = fast.alloc(1, values.length), dx = fast.alloc(1, values.length);
  fast.fill(dy, 1);
  for (const name of ACTIVATIONS) {
    fast.activationForward(activationCode(name), x, y, 0.1);
    fast.activationBackward(activationCode(name), x, y, dy, dx, 0.1);
    assert.ok(y.data.every(Number.isFinite), `${name}: ${y.data}`);
    assert.ok(dx.data.every(Number.isFinite), `${name}': ${dx.data}`);
    if (name.startsWith('gelu')) {
      assert.deepEqual([...dx.data.subarray(0, 8)], [0, 0, 0, 0, 1, 1, 1, 1], `${name}' far from 0`);
    }
  }
});

test('activation functions at hand-worked points', () => {
  const x = put(fast, 1, 7, new Float32Array([0, 1, -1, 2, -3, 20, -20]));
  const y = fast.alloc(1, 7);
  const expect = (name: (typeof ACTIVATIONS)[number], values: number[], tol: number): void => {
    fast.activationForward(activationCode(name), x, y, 0.1);
    values.forEach((v, i) => assert.ok(Math.abs(y.data[i] - v) <= tol * Math.max(1, Math.abs(v)), `${name}(${x.data[i]}) = ${y.data[i]}, expected ${v}`));
  };
  // x Phi(x) with Phi the normal CDF: Phi(1) = 0.841344746, Phi(2) = 0.977249868, Phi(-3) = 0.001349898.
  expect('gelu', [0, 0.841344746, -0.158655254, 1.954499736, -0.004049694, 20, 0], 2e-6);
  expect('tanh', [0, 0.761594156, -0.761594156, 0.964027580, -0.995054754, 1, -1], 1e-6);
  expect('sigmoid', [0.5, 0.731058579, 0.268941421, 0.880797078, 0.047425873, 1, 2.06115362e-9], 1e-6);
  expect('leaky_relu', [0, 1, -0.1, 2, -0.3, 20, -2], 1e-7);
});

test('dropout masks are bit-identical to the reference; y may alias x', () => {
  const rng = new Rng(5);
  for (let i = 0; i < 30; i++) {
    const rows = pick(rng, ODD), cols = pick(rng, ODD);
    const p = pick(rng, [0, 0.1, 0.5, 0.9, 1]);
    const key = dropoutKey(rng.nextU32(), i);
    const threshold = dropThreshold(p);
    const scale = p < 1 ? 1 / (1 - p) : 0;
    const x = randomValues(rng, rows * cols);
    const [rx, fx] = pair(rng, rows, cols, x);
    const [rm, fm] = pair(rng, rows, cols);
    const [ry, fy] = pair(rng, rows, cols);
    ref.dropoutForward(rx, rm, ry, key, threshold, scale);
    fast.dropoutForward(fx, fm, fy, key, threshold, scale);
    assertBitEqual(fm.data, rm.data, `dropout mask ${rows}x${cols} p=${p}`);
    assertBitEqual(fy.data, ry.data, `dropout output ${rows}x${cols} p=${p}`);
    fast.dropoutForward(fx, fm, fx, key, threshold, scale);
    assertBitEqual(fx.data, ry.data, `dropout in place ${rows}x${cols}`);
  }
  // The rule itself, independent of the reference: p = 0.5 keeps about half of 10,000.
  const x = fast.alloc(100, 100), m = fast.alloc(100, 100);
  fast.fill(x, 1);
  fast.dropoutForward(x, m, x, dropoutKey(7, 3), dropThreshold(0.5), 2);
  const kept = m.data.reduce((s, v) => s + (v === 2 ? 1 : 0), 0);
  assert.ok(Math.abs(kept - 5000) < 200, `kept ${kept} of 10000`);
});

test('multiply, with out aliasing a or b', () => {
  const rng = new Rng(6);
  for (let i = 0; i < 20; i++) {
    const rows = pick(rng, ODD), cols = pick(rng, ODD);
    const [ra, fa] = pair(rng, rows, cols);
    const [rb, fb] = pair(rng, rows, cols);
    const [ro, fo] = pair(rng, rows, cols);
    ref.multiply(ra, rb, ro);
    fast.multiply(fa, fb, fo);
    assertBitEqual(fo.data, ro.data, 'multiply');
    fast.multiply(fa, fb, i % 2 === 0 ? fa : fb);
    assertBitEqual(i % 2 === 0 ? fa.data : fb.data, ro.data, 'multiply in place');
  }
});

test('batch norm train, infer and backward', () => {
  const rng = new Rng(7);
  for (let i = 0; i < 40; i++) {
    const rows = i === 0 ? 1 : pick(rng, ODD), cols = pick(rng, ODD);
    const momentum = pick(rng, [0.1, 0.01, 1]), eps = pick(rng, [1e-5, 1e-3]);
    const [rx, fx] = pair(rng, rows, cols, randomValues(rng, rows * cols, 2, rng.uniform() * 2));
    const [rg, fg] = pair(rng, 1, cols, randomValues(rng, cols, 0.5, 1));
    const [rb, fb] = pair(rng, 1, cols);
    const [rmean, fmean] = pair(rng, 1, cols);
    const [rvar, fvar] = pair(rng, 1, cols, randomValues(rng, cols, 0.5, 1));
    const [ry, fy] = pair(rng, rows, cols), [rh, fh] = pair(rng, rows, cols), [ris, fis] = pair(rng, 1, cols);
    ref.batchNormTrain(rx, rg, rb, ry, rh, ris, rmean, rvar, momentum, eps);
    fast.batchNormTrain(fx, fg, fb, fy, fh, fis, fmean, fvar, momentum, eps);
    const what = `batchNormTrain ${rows}x${cols}`;
    assertClose(fh.data, rh.data, relTol(rh.data, 1e-5, 2e-5), `${what} xhat`);
    assertClose(fy.data, ry.data, relTol(ry.data, 1e-5, 2e-5), `${what} y`);
    assertClose(fis.data, ris.data, relTol(ris.data, 2e-6, 0), `${what} invStd`);
    assertClose(fmean.data, rmean.data, relTol(rmean.data, 1e-6, 1e-6), `${what} running mean`);
    assertClose(fvar.data, rvar.data, relTol(rvar.data, 2e-6, 1e-6), `${what} running var`);

    const [rdy, fdy] = pair(rng, rows, cols);
    const [rdx, fdx] = pair(rng, rows, cols), [rdg, fdg] = pair(rng, 1, cols), [rdb, fdb] = pair(rng, 1, cols);
    ref.batchNormBackward(rdy, rh, rg, ris, rdx, rdg, rdb);
    fast.batchNormBackward(fdy, put(fast, rows, cols, rh.data), fg, put(fast, 1, cols, ris.data), fdx, fdg, fdb);
    // dx is a difference of sums of about `rows` terms of size ~ |gamma invStd dy|.
    const scale = Math.max(...ris.data) * 2;
    assertClose(fdx.data, rdx.data, () => (rows + 4) * 4 * U * scale * 2, `${what} dx`);
    assertClose(fdg.data, rdg.data, () => (rows + 2) * 4 * U * rows * 4, `${what} dgamma`);
    assertClose(fdb.data, rdb.data, () => (rows + 2) * 2 * U * rows, `${what} dbeta`);

    ref.batchNormInfer(rx, rg, rb, rmean, rvar, eps, ry);
    fast.batchNormInfer(fx, fg, fb, put(fast, 1, cols, rmean.data), put(fast, 1, cols, rvar.data), eps, fy);
    assertClose(fy.data, ry.data, relTol(ry.data, 1e-5, 2e-5), `batchNormInfer ${rows}x${cols}`);
  }
});

test('batch norm with hand-worked numbers (PyTorch running-statistics rules)', () => {
  // Column [1, 2, 3, 6]: mean 3, biased variance 3.5, unbiased 14/3.
  const x = put(fast, 4, 1, new Float32Array([1, 2, 3, 6]));
  const g = put(fast, 1, 1, new Float32Array([2])), b = put(fast, 1, 1, new Float32Array([0.5]));
  const y = fast.alloc(4, 1), h = fast.alloc(4, 1), is = fast.alloc(1, 1);
  const mean = fast.alloc(1, 1), variance = put(fast, 1, 1, new Float32Array([1]));
  fast.batchNormTrain(x, g, b, y, h, is, mean, variance, 0.1, 0);
  const s = 1 / Math.sqrt(3.5);
  assert.ok(Math.abs(is.data[0] - s) < 1e-6);
  [1, 2, 3, 6].forEach((v, i) => assert.ok(Math.abs(y.data[i] - (2 * (v - 3) * s + 0.5)) < 1e-5));
  assert.ok(Math.abs(mean.data[0] - 0.3) < 1e-6);
  assert.ok(Math.abs(variance.data[0] - (0.9 + 0.1 * 14 / 3)) < 1e-6);
});

test('softmax cross-entropy with label smoothing, and softmax in place', () => {
  const rng = new Rng(8);
  for (let i = 0; i < 40; i++) {
    const rows = pick(rng, ODD), cols = pick(rng, [1, 2, 3, 4, 5, 7, 10, 13, 33]);
    const smoothing = pick(rng, [0, 0.1, 0.3]);
    const [rz, fz] = pair(rng, rows, cols, randomValues(rng, rows * cols, i % 4 === 0 ? 30 : 4));
    const labels = new Float32Array(rows).map(() => rng.int(cols));
    const [rl, fl] = pair(rng, rows, 1, labels);
    const [rg, fg] = pair(rng, rows, cols);
    const rLoss = ref.softmaxCrossEntropy(rz, rl, rg, smoothing);
    const fLoss = fast.softmaxCrossEntropy(fz, fl, fg, smoothing);
    const what = `softmaxCrossEntropy ${rows}x${cols} smoothing=${smoothing}`;
    assert.ok(Math.abs(fLoss - rLoss) <= 1e-5 * Math.abs(rLoss) + 2e-6, `${what}: loss ${fLoss}, reference ${rLoss}`);
    assertClose(fg.data, rg.data, () => 1e-6 / rows, `${what} grad`);

    const [rs, fs] = pair(rng, rows, cols);
    ref.softmax(rz, rs);
    fast.softmax(fz, fs);
    assertClose(fs.data, rs.data, relTol(rs.data, 1e-6, 1e-7), `softmax ${rows}x${cols}`);
    fast.softmax(fz, fz);
    assertClose(fz.data, rs.data, relTol(rs.data, 1e-6, 1e-7), `softmax in place ${rows}x${cols}`);
  }
});

test('softmax cross-entropy at a hand-worked point', () => {
  // Logits [0, ln 3] (probabilities 1/4, 3/4), label 1, smoothing 0.2: targets [0.1, 0.9].
  const z = put(fast, 1, 2, new Float32Array([0, Math.log(3)]));
  const labels = put(fast, 1, 1, new Float32Array([1]));
  const grad = fast.alloc(1, 2);
  const loss = fast.softmaxCrossEntropy(z, labels, grad, 0.2);
  assert.ok(Math.abs(loss - (0.1 * Math.log(4) + 0.9 * Math.log(4 / 3))) < 1e-6);
  assert.ok(Math.abs(grad.data[0] - 0.15) < 1e-6 && Math.abs(grad.data[1] + 0.15) < 1e-6);
});

test('axpy, scale, copy, fill, momentum and adam', () => {
  const rng = new Rng(9);
  for (let i = 0; i < 30; i++) {
    const rows = pick(rng, ODD), cols = pick(rng, ODD);
    const alpha = 4 * rng.uniform() - 2;
    const [rx, fx] = pair(rng, rows, cols);
    const [ry, fy] = pair(rng, rows, cols);
    ref.axpy(alpha, rx, ry);
    fast.axpy(alpha, fx, fy);
    assertClose(fy.data, ry.data, () => 4 * 2 * U * 3, 'axpy');
    ref.scale(ry, alpha);
    fast.scale(fy, alpha);
    assertClose(fy.data, ry.data, () => 6 * 2 * U * 6, 'scale');
    fast.copy(fx, fy);
    assertBitEqual(fy.data, rx.data, 'copy');
    fast.fill(fy, alpha);
    assertBitEqual(fy.data, new Float32Array(rows * cols).fill(alpha), 'fill');

    for (const nesterov of [false, true]) {
      const [rg, fg] = pair(rng, rows, cols);
      const [rt, ft] = pair(rng, rows, cols);
      ref.momentum(rg, rt, 0.9, nesterov);
      fast.momentum(fg, ft, 0.9, nesterov);
      assertClose(ft.data, rt.data, () => 1e-6, `momentum trace nesterov=${nesterov}`);
      assertClose(fg.data, rg.data, () => 2e-6, `momentum g nesterov=${nesterov}`);
    }
    const [rg, fg] = pair(rng, rows, cols);
    const [rm, fm] = pair(rng, rows, cols);
    const v = randomValues(rng, rows * cols, 0.5, 0.5).map(Math.abs);
    const [rv, fv] = pair(rng, rows, cols, v);
    const t = 1 + rng.int(20);
    ref.adam(rg, rm, rv, 0.9, 0.999, 1 - 0.9 ** t, 1 - 0.999 ** t, 1e-8);
    fast.adam(fg, fm, fv, 0.9, 0.999, 1 - 0.9 ** t, 1 - 0.999 ** t, 1e-8);
    assertClose(fm.data, rm.data, relTol(rm.data, 1e-6, 1e-7), 'adam m');
    assertClose(fv.data, rv.data, relTol(rv.data, 1e-6, 1e-7), 'adam v');
    assertClose(fg.data, rg.data, relTol(rg.data, 4e-6, 1e-6), 'adam direction');
  }
});

test('the fused SGD step equals the five-kernel chain of the reference backend', () => {
  const rng = new Rng(11);
  for (let i = 0; i < 24; i++) {
    const n = pick(rng, ODD) * pick(rng, [1, 3, 7]);
    const decayed = rng.int(n + 1);
    const lr = 0.001 + rng.uniform() * 0.1, wd = pick(rng, [0, 1e-3, 0.05]);
    const momentum = pick(rng, [0, 0.9]), nesterov = momentum > 0 && rng.int(2) === 0;
    const [rw, fw] = pair(rng, 1, n), [rg, fg] = pair(rng, 1, n), [rt, ft] = pair(rng, 1, n);
    for (let step = 0; step < 3; step++) {
      const g = randomValues(rng, n);
      rg.data.set(g);
      fg.data.set(g);
      if (wd !== 0 && decayed > 0) ref.axpy(wd, rw.slice(0, decayed), rg.slice(0, decayed));
      if (momentum !== 0) {
        ref.momentum(rg, rt, momentum, nesterov);
        if (!nesterov) ref.copy(rt, rg);
      }
      ref.scale(rg, -lr);
      ref.axpy(1, rg, rw);
      fast.sgdStep(fw, fg, momentum !== 0 ? ft : null, decayed, lr, wd, momentum, nesterov);
      const what = `sgdStep n=${n} decayed=${decayed} wd=${wd} momentum=${momentum} nesterov=${nesterov} step ${step}`;
      assertClose(fw.data, rw.data, () => 2e-6, `${what} weights`);
      assertClose(fg.data, rg.data, () => 2e-6, `${what} update`);
      if (momentum !== 0) assertClose(ft.data, rt.data, () => 4e-6, `${what} trace`);
    }
  }
  assert.throws(() => fast.sgdStep(fast.alloc(1, 4), fast.alloc(1, 4), null, 0, 0.1, 0, 0.9, false), /trace/);
});

test('unitStats: running per-unit minimum and maximum exactly, batch sums like the reference, on odd shapes and views', () => {
  const rng = new Rng(23);
  for (let i = 0; i < 40; i++) {
    const rows = pick(rng, ODD), cols = pick(rng, ODD);
    const zs = randomValues(rng, rows * cols, 4);
    // A diverging batch: a NaN is passed over by the minimum and maximum, as in the reference.
    if (i % 8 === 7) zs[rng.int(zs.length)] = Number.NaN;
    const [rz, fz] = pair(rng, rows, cols, zs);
    const [ra, fa] = pair(rng, rows, cols, randomValues(rng, rows * cols, 2, 1));
    // A running minimum and maximum from earlier batches: some units already beyond this batch.
    const start = new Float32Array(2 * cols);
    for (let c = 0; c < cols; c++) {
      start[c] = rng.uniform() < 0.3 ? -10 : Infinity;
      start[cols + c] = rng.uniform() < 0.3 ? 10 : -Infinity;
    }
    const [rm, fm] = pair(rng, 2, cols, start);
    const [rs, fs] = pair(rng, 1, 5, new Float32Array(5));
    const low = -1 + rng.uniform(), high = 1 + rng.uniform();
    ref.unitStats(rz, ra, rm, rs, low, high);
    fast.unitStats(fz, fa, fm, fs, low, high);
    assertBitEqual(fm.data, rm.data, `minmax ${rows}x${cols}`);
    const absSums = [0, 0, 0, 0];
    for (let j = 0; j < rows * cols; j++) {
      absSums[0] += Math.abs(rz.data[j]);
      absSums[1] += rz.data[j] ** 2;
      absSums[2] += Math.abs(ra.data[j]);
      absSums[3] += ra.data[j] ** 2;
    }
    assertClose(fs.data.subarray(0, 4), rs.data.subarray(0, 4), (k) => 2 * rows * U * absSums[k] + 1e-6, `sums ${rows}x${cols}`);
    assert.equal(fs.data[4], rs.data[4], `units outside [low, high], ${rows}x${cols}`);
  }
});

test('firstNonFinite finds the first NaN or infinity anywhere in a vector (whole vectors and tails), like a scan', () => {
  const rng = new Rng(21);
  const scan = (d: Float32Array) => d.findIndex((v) => !Number.isFinite(v));
  for (const n of [1, 3, 4, 15, 16, 17, 31, 32, 33, 64, 100, 1027]) {
    const clean = randomValues(rng, n, 3.4e38);
    clean[rng.int(n)] = -0;
    for (const be of [ref, fast] as Backend[]) {
      const m = put(be, 1, n, clean, be === fast ? 1 + rng.int(7) : 0);
      assert.equal(be.firstNonFinite(m), -1, `${be.name}, n = ${n}, all finite (the largest floats too)`);
      for (const bad of [Number.NaN, Infinity, -Infinity]) {
        for (const at of new Set([0, n - 1, rng.int(n), Math.min(n - 1, 16), Math.min(n - 1, 15)])) {
          const d = clean.slice();
          d[at] = bad;
          const later = at + 1 + rng.int(Math.max(1, n - at - 1));
          if (later < n) d[later] = Number.NaN;
          m.data.set(d);
          assert.equal(be.firstNonFinite(m), scan(d), `${be.name}, n = ${n}, ${bad} at ${at}`);
        }
      }
    }
  }
});

test('views survive memory growth, and kernels keep using their offsets', () => {
  const be = new WasmBackend();
  const m = be.alloc(10, 10);
  m.data.forEach((_, i) => (m.data[i] = i));
  const view = m.rowsView(3, 4);
  const before = be.memory.buffer.byteLength;
  const big = be.alloc(4096, 4096); // 64 MiB: more than the memory holds, so it grows
  assert.ok(be.memory.buffer.byteLength > before, 'memory grew');
  assert.equal(view.data[0], 30);
  assert.equal(view.get(3, 9), 69);
  be.scale(view, 2);
  assert.equal(m.data[30], 60);
  assert.equal(m.data[29], 29);
  assert.equal(big.data[big.size - 1], 0);
  be.free(big);
  be.free(m);
});

test('alloc zero-fills reused memory; free rejects views and double frees; memory is reused', () => {
  const be = new WasmBackend();
  const a = be.alloc(33, 7);
  be.fill(a, 5);
  const ptr = a.ptr;
  assert.equal(a.ptr % 16, 0);
  be.free(a);
  const b = be.alloc(33, 7);
  assert.equal(b.ptr, ptr, 'the freed block is reused');
  assert.ok(b.data.every((v) => v === 0), 'reused memory is zero-filled');
  assert.throws(() => be.free(b.rowsView(0, 3)), /view/);
  be.free(b.reshape(7, 33));
  assert.throws(() => be.free(b), /freed twice/);
  assert.throws(() => be.free(ref.alloc(2, 2)), /not allocated by this backend/);

  // Many tuning trials of differently sized models next to a long-lived data set must not
  // grow memory without end: everything a trial frees merges back into one free region.
  const dataset = be.alloc(1000, 128);
  const rng = new Rng(10);
  let largestTrial = 0;
  const trial = (): void => {
    const widths = [128, pick(rng, [16, 32, 64, 128, 256]), pick(rng, [16, 32, 64, 128]), 10];
    const held: Matrix[] = [];
    for (let l = 0; l + 1 < widths.length; l++) {
      for (const [r, c] of [[widths[l], widths[l + 1]], [1, widths[l + 1]], [32, widths[l + 1]], [32, widths[l + 1]]]) held.push(be.alloc(r, c));
    }
    largestTrial = Math.max(largestTrial, be.bytesInUse);
    rng.shuffle(held).forEach((h) => be.free(h));
  };
  for (let i = 0; i < 300; i++) trial();
  assert.ok(be.memory.buffer.byteLength <= 1.5 * largestTrial + 2 * 65536, `memory ${be.memory.buffer.byteLength} bytes for trials of at most ${largestTrial}`);
  be.free(dataset);
  assert.equal(be.liveAllocations, 0);
  assert.equal(be.bytesInUse, 0);

  // A large A B^T borrows scratch space for B^T and gives it back.
  const big = [be.alloc(300, 400), be.alloc(500, 400), be.alloc(300, 500)];
  be.gemm(big[0], false, big[1], true, big[2], 0);
  assert.equal(be.liveAllocations, 3);
});

test('backend selection: auto is WebAssembly SIMD in Node; bad names are refused', async () => {
  assert.equal(createBackend('auto').name, 'wasm');
  assert.equal(createBackend('wasm').name, 'wasm');
  assert.equal(createBackend('reference').name, 'reference');
  assert.equal((await loadBackend('auto')).name, 'wasm');
  assert.equal((await loadBackend('reference')).name, 'reference');
  assert.throws(() => createBackend('gpu' as BackendName), ConfigError);
  await assert.rejects(loadBackend('gpu' as BackendName), ConfigError);
});
