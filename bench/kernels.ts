// Micro-benchmarks of the WebAssembly kernels at the shapes of the study's default model
// (128 -> 64 -> 64 -> 10, batch 32), and one training step of that model issued kernel by
// kernel, to estimate the kernel time of an epoch. Run: node dist/bench/kernels.js
//   --profile                 also time one step call by call
//   --against <file.js>       compare with another kernel build (a kernels.generated.js kept
//                             from an earlier build), interleaved in this process
import { performance } from 'node:perf_hooks';
import { WasmBackend } from '../src/tensor/wasm/backend.js';
import { ReferenceBackend } from '../src/tensor/reference.js';
import { activationCode } from '../src/tensor/backend.js';
import type { Backend } from '../src/tensor/backend.js';
import type { Matrix } from '../src/tensor/matrix.js';
import { Rng, dropoutKey, dropThreshold } from '../src/tensor/rng.js';

const rng = new Rng(12345);

function random(be: Backend, rows: number, cols: number, spread = 1): Matrix {
  const m = be.alloc(rows, cols);
  const d = m.data;
  for (let i = 0; i < d.length; i++) d[i] = spread * (2 * rng.uniform() - 1);
  return m;
}

/**
 * Seconds per call, in CPU time of this process (so that other processes on a shared machine
 * do not inflate it) and in wall time. Calls are batched until a batch takes 30 ms of CPU,
 * which also warms the kernel up (V8 tiers WebAssembly up after its first runs); then the
 * median of 7 batches.
 */
function secondsPerCall(fn: () => void): { cpu: number; wall: number } {
  const cpuNow = (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  let reps = 1;
  for (;;) {
    const c0 = cpuNow();
    for (let i = 0; i < reps; i++) fn();
    if (cpuNow() - c0 > 0.03) break;
    reps *= 2;
  }
  const cpu: number[] = [], wall: number[] = [];
  for (let r = 0; r < 7; r++) {
    const c0 = cpuNow(), t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    wall.push((performance.now() - t0) / 1000 / reps);
    cpu.push((cpuNow() - c0) / reps);
  }
  const median = (v: number[]): number => v.sort((a, b) => a - b)[3];
  return { cpu: median(cpu), wall: median(wall) };
}

interface Row {
  kernel: string;
  shape: string;
  cpu: number;
  wall: number;
  rate: string;
}

const rows: Row[] = [];

function record(kernel: string, shape: string, t: { cpu: number; wall: number }, rate: string): void {
  rows.push({ kernel, shape, cpu: t.cpu * 1e6, wall: t.wall * 1e6, rate });
}

function printTable(title: string): void {
  console.log(`\n${title}`);
  const w0 = Math.max(6, ...rows.map((r) => r.kernel.length));
  const w1 = Math.max(5, ...rows.map((r) => r.shape.length));
  console.log(`${'kernel'.padEnd(w0)}  ${'shape'.padEnd(w1)}  ${'cpu us'.padStart(9)}  ${'wall us'.padStart(9)}  rate (from cpu time)`);
  for (const r of rows) {
    console.log(`${r.kernel.padEnd(w0)}  ${r.shape.padEnd(w1)}  ${r.cpu.toFixed(3).padStart(9)}  ${r.wall.toFixed(3).padStart(9)}  ${r.rate}`);
  }
  rows.length = 0;
}

const be = new WasmBackend();

// GEMM at the three forms a dense layer needs, for each layer of the default model, and a
// larger layer for comparison.
const layers: [number, number][] = [[128, 64], [64, 64], [64, 10], [784, 512]];
const batch = 32;
for (const [fin, fout] of layers) {
  const x = random(be, batch, fin), w = random(be, fin, fout), y = random(be, batch, fout);
  const dy = random(be, batch, fout), dw = random(be, fin, fout), dx = random(be, batch, fin);
  const flops = 2 * batch * fin * fout;
  const gflops = (t: { cpu: number }): string => `${(flops / t.cpu / 1e9).toFixed(1)} GFLOP/s`;
  let s = secondsPerCall(() => be.gemm(x, false, w, false, y, 0));
  record('gemm X W', `${batch}x${fin} . ${fin}x${fout}`, s, gflops(s));
  s = secondsPerCall(() => be.gemm(x, true, dy, false, dw, 0));
  record('gemm X^T dY', `${fin}x${batch} . ${batch}x${fout}`, s, gflops(s));
  s = secondsPerCall(() => be.gemm(dy, false, w, true, dx, 0));
  record('gemm dY W^T', `${batch}x${fout} . ${fout}x${fin}`, s, gflops(s));
}
{
  const n = 256;
  const a = random(be, n, n), b = random(be, n, n), c = random(be, n, n);
  const s = secondsPerCall(() => be.gemm(a, false, b, false, c, 0));
  record('gemm A B', `${n}x${n} . ${n}x${n}`, s, `${((2 * n * n * n) / s.cpu / 1e9).toFixed(1)} GFLOP/s`);
}
{
  const ref = new ReferenceBackend();
  const x = random(ref, batch, 128), w = random(ref, 128, 64), y = ref.alloc(batch, 64);
  const s = secondsPerCall(() => ref.gemm(x, false, w, false, y, 0));
  record('reference gemm X W', `${batch}x128 . 128x64`, s, `${((2 * batch * 128 * 64) / s.cpu / 1e9).toFixed(2)} GFLOP/s`);
}
printTable('Matrix products (WebAssembly SIMD unless named)');

// Element-wise kernels on one hidden layer's activations (32 x 64) and the output (32 x 10).
{
  const n = batch * 64;
  const x = random(be, batch, 64, 3), y = be.alloc(batch, 64), dy = random(be, batch, 64), dx = be.alloc(batch, 64);
  const mask = be.alloc(batch, 64), bias = random(be, 1, 64), out = be.alloc(1, 64);
  const perElem = (t: { cpu: number }): string => `${((t.cpu * 1e9) / n).toFixed(2)} ns/element`;
  const shape = `${batch}x64`;
  for (const name of ['relu', 'gelu', 'gelu_tanh', 'tanh', 'sigmoid'] as const) {
    const code = activationCode(name);
    let s = secondsPerCall(() => be.activationForward(code, x, y, 0));
    record(`${name} forward`, shape, s, perElem(s));
    s = secondsPerCall(() => be.activationBackward(code, x, y, dy, dx, 0));
    record(`${name} backward`, shape, s, perElem(s));
  }
  let counter = 0;
  let s = secondsPerCall(() => be.dropoutForward(x, mask, y, dropoutKey(1, counter++), dropThreshold(0.5), 2));
  record('dropout forward', shape, s, perElem(s));
  s = secondsPerCall(() => be.multiply(dy, mask, dx));
  record('multiply (dropout backward)', shape, s, perElem(s));
  s = secondsPerCall(() => be.addRowVector(y, bias));
  record('addRowVector', shape, s, perElem(s));
  s = secondsPerCall(() => be.sumRows(dy, out, 0));
  record('sumRows', shape, s, perElem(s));

  const gamma = random(be, 1, 64), beta = random(be, 1, 64), xhat = be.alloc(batch, 64), invStd = be.alloc(1, 64);
  const rm = be.alloc(1, 64), rv = be.alloc(1, 64), dg = be.alloc(1, 64), db = be.alloc(1, 64);
  be.fill(rv, 1);
  s = secondsPerCall(() => be.batchNormTrain(x, gamma, beta, y, xhat, invStd, rm, rv, 0.1, 1e-5));
  record('batchNormTrain', shape, s, perElem(s));
  s = secondsPerCall(() => be.batchNormBackward(dy, xhat, gamma, invStd, dx, dg, db));
  record('batchNormBackward', shape, s, perElem(s));
  s = secondsPerCall(() => be.batchNormInfer(x, gamma, beta, rm, rv, 1e-5, y));
  record('batchNormInfer', shape, s, perElem(s));

  const z = random(be, batch, 10, 4), labels = be.alloc(batch, 1), grad = be.alloc(batch, 10);
  for (let i = 0; i < batch; i++) labels.data[i] = rng.int(10);
  s = secondsPerCall(() => be.softmaxCrossEntropy(z, labels, grad, 0.1));
  record('softmaxCrossEntropy', `${batch}x10`, s, `${((s.cpu * 1e9) / (batch * 10)).toFixed(2)} ns/element`);
  s = secondsPerCall(() => be.softmax(z, grad));
  record('softmax', `${batch}x10`, s, `${((s.cpu * 1e9) / (batch * 10)).toFixed(2)} ns/element`);

  // The default model's parameters as one flat vector: 128*64+64 + 64*64+64 + 64*10+10 + 4*64.
  const p = 128 * 64 + 64 + 64 * 64 + 64 + 64 * 10 + 10 + 4 * 64;
  const w = random(be, 1, p), g = random(be, 1, p), t = be.alloc(1, p), m = be.alloc(1, p), v = be.alloc(1, p);
  const perParam = (t: { cpu: number }): string => `${((t.cpu * 1e9) / p).toFixed(3)} ns/element`;
  s = secondsPerCall(() => be.axpy(1e-3, w, g));
  record('axpy', `1x${p}`, s, perParam(s));
  s = secondsPerCall(() => be.momentum(g, t, 0.9, false));
  record('momentum', `1x${p}`, s, perParam(s));
  // A fresh gradient each call: fed its own output, Adam drifts into subnormal numbers,
  // which x86 processors handle hundreds of times slower.
  s = secondsPerCall(() => {
    be.copy(w, g);
    be.adam(g, m, v, 0.9, 0.999, 0.1, 0.001, 1e-8);
  });
  record('copy + adam', `1x${p}`, s, perParam(s));
  // SGD with momentum and weight decay as the optimizer chains it, and fused; a fresh
  // gradient each call for the same reason as Adam.
  const fresh = random(be, 1, p);
  s = secondsPerCall(() => {
    be.copy(fresh, g);
    be.axpy(1e-3, w, g);
    be.momentum(g, t, 0.9, false);
    be.copy(t, g);
    be.scale(g, -1e-3);
    be.axpy(1, g, w);
  });
  record('copy + SGD as 5 kernels', `1x${p}`, s, perParam(s));
  s = secondsPerCall(() => {
    be.copy(fresh, g);
    be.sgdStep(w, g, t, p, 1e-3, 1e-3, 0.9, false);
  });
  record('copy + sgdStep (fused)', `1x${p}`, s, perParam(s));
}
printTable('Element-wise kernels (WebAssembly SIMD)');

/**
 * One SGD-momentum training step of 128 -> 64 BN GELU drop0.5 -> 64 BN ReLU drop0.5 -> 10,
 * as a layer stack would issue it, with parameters, gradients and momentum in flat vectors.
 */
function stepOf(b: Backend, fusedSgd = false): () => void {
  const widths = [128, 64, 64, 10];
  const sizes: number[] = [];
  for (let l = 0; l < 3; l++) sizes.push(widths[l] * widths[l + 1], widths[l + 1]);
  for (let l = 0; l < 2; l++) sizes.push(widths[l + 1], widths[l + 1]); // gamma, beta
  const total = sizes.reduce((a, c) => a + c, 0);
  const params = random(b, 1, total, 0.1), grads = b.alloc(1, total), trace = b.alloc(1, total);
  let at = 0;
  const slice = (flat: Matrix, rows: number, cols: number): Matrix => {
    const m = flat.slice(at, rows * cols).reshape(rows, cols);
    at += rows * cols;
    return m;
  };
  const views = (flat: Matrix): Matrix[] => {
    at = 0;
    return [
      slice(flat, 128, 64), slice(flat, 1, 64), slice(flat, 64, 64), slice(flat, 1, 64), slice(flat, 64, 10), slice(flat, 1, 10),
      slice(flat, 1, 64), slice(flat, 1, 64), slice(flat, 1, 64), slice(flat, 1, 64),
    ];
  };
  const [W1, b1, W2, b2, W3, b3, g1, be1, g2, be2] = views(params);
  const [dW1, db1, dW2, db2, dW3, db3, dg1, dbe1, dg2, dbe2] = views(grads);
  const data = random(b, 1024, 128);
  const labels = b.alloc(batch, 1);
  for (let i = 0; i < batch; i++) labels.data[i] = rng.int(10);
  const x = b.alloc(batch, 128);
  const h1 = b.alloc(batch, 64), n1 = b.alloc(batch, 64), xh1 = b.alloc(batch, 64), is1 = b.alloc(1, 64);
  const a1 = b.alloc(batch, 64), m1 = b.alloc(batch, 64), d1 = b.alloc(batch, 64);
  const rm1 = b.alloc(1, 64), rv1 = b.alloc(1, 64), rm2 = b.alloc(1, 64), rv2 = b.alloc(1, 64);
  const h2 = b.alloc(batch, 64), n2 = b.alloc(batch, 64), xh2 = b.alloc(batch, 64), is2 = b.alloc(1, 64);
  const a2 = b.alloc(batch, 64), m2 = b.alloc(batch, 64), d2 = b.alloc(batch, 64);
  const z = b.alloc(batch, 10), dz = b.alloc(batch, 10);
  const g64a = b.alloc(batch, 64), g64b = b.alloc(batch, 64);
  b.fill(g1, 1);
  b.fill(g2, 1);
  const GELU = activationCode('gelu'), RELU = activationCode('relu');
  const threshold = dropThreshold(0.5);
  let step = 0;
  const batchesPerBuffer = Math.floor(1024 / batch);
  return () => {
    b.copy(data.rowsView((step % batchesPerBuffer) * batch, batch), x);
    // forward
    b.gemm(x, false, W1, false, h1, 0);
    b.addRowVector(h1, b1);
    b.batchNormTrain(h1, g1, be1, n1, xh1, is1, rm1, rv1, 0.1, 1e-5);
    b.activationForward(GELU, n1, a1, 0);
    b.dropoutForward(a1, m1, d1, dropoutKey(7, 2 * step), threshold, 2);
    b.gemm(d1, false, W2, false, h2, 0);
    b.addRowVector(h2, b2);
    b.batchNormTrain(h2, g2, be2, n2, xh2, is2, rm2, rv2, 0.1, 1e-5);
    b.activationForward(RELU, n2, a2, 0);
    b.dropoutForward(a2, m2, d2, dropoutKey(7, 2 * step + 1), threshold, 2);
    b.gemm(d2, false, W3, false, z, 0);
    b.addRowVector(z, b3);
    b.softmaxCrossEntropy(z, labels, dz, 0);
    // backward
    b.gemm(d2, true, dz, false, dW3, 0);
    b.sumRows(dz, db3, 0);
    b.gemm(dz, false, W3, true, g64a, 0);
    b.multiply(g64a, m2, g64a);
    b.activationBackward(RELU, n2, a2, g64a, g64a, 0);
    b.batchNormBackward(g64a, xh2, g2, is2, g64b, dg2, dbe2);
    b.gemm(d1, true, g64b, false, dW2, 0);
    b.sumRows(g64b, db2, 0);
    b.gemm(g64b, false, W2, true, g64a, 0);
    b.multiply(g64a, m1, g64a);
    b.activationBackward(GELU, n1, a1, g64a, g64a, 0);
    b.batchNormBackward(g64a, xh1, g1, is1, g64b, dg1, dbe1);
    b.gemm(x, true, g64b, false, dW1, 0);
    b.sumRows(g64b, db1, 0);
    // SGD, momentum 0.9, weight decay 1e-3, on the flat vectors: the optimizer's chain of
    // five kernels (decay, trace, copy, learning rate, apply), or the fused step.
    if (fusedSgd && b instanceof WasmBackend) {
      b.sgdStep(params, grads, trace, total, 0.01, 1e-3, 0.9, false);
    } else {
      b.axpy(1e-3, params, grads);
      b.momentum(grads, trace, 0.9, false);
      b.copy(trace, grads);
      b.scale(grads, -0.01);
      b.axpy(1, grads, params);
    }
    step++;
  };
}

const ROWS = 50_000;
const steps = Math.ceil(ROWS / batch);
{
  const s = secondsPerCall(stepOf(be));
  record('training step, default model', `batch ${batch}`, s, `${(s.cpu * steps).toFixed(3)} s per epoch of ${ROWS} rows (${steps} steps)`);
  const f = secondsPerCall(stepOf(be, true));
  record('  same, fused sgdStep', `batch ${batch}`, f, `${(f.cpu * steps).toFixed(3)} s per epoch (${(100 * (1 - f.cpu / s.cpu)).toFixed(0)}% less)`);
  const ref = new ReferenceBackend();
  const r = secondsPerCall(stepOf(ref));
  record('  same, reference backend', `batch ${batch}`, r, `${(r.cpu * steps).toFixed(3)} s per epoch (${(r.cpu / s.cpu).toFixed(1)}x slower)`);
}
printTable('Kernels of one training step (no layer code, no data shuffling)');

/**
 * Where a step's time goes: every call of the step timed on its own (wall clock, so the
 * timer's own cost and other processes blur small entries), summed by kernel and shape.
 */
function profileStep(steps: number): void {
  const totals = new Map<string, number>();
  let clock = 0;
  const timed = new Proxy(be, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || prop === 'alloc' || prop === 'free') return value;
      return (...args: unknown[]) => {
        const shape = args.filter((a): a is Matrix => typeof a === 'object' && a !== null && 'rows' in a)
          .map((m) => `${m.rows}x${m.cols}`).join(' ');
        const t0 = performance.now();
        const result = (value as (...a: unknown[]) => unknown).apply(target, args);
        const dt = performance.now() - t0;
        const key = `${String(prop)} ${shape}`;
        totals.set(key, (totals.get(key) ?? 0) + dt);
        clock += dt;
        return result;
      };
    },
  }) as Backend;
  const step = stepOf(timed);
  for (let i = 0; i < steps; i++) step();
  totals.clear();
  clock = 0;
  for (let i = 0; i < steps; i++) step();
  console.log(`\nOne step, call by call (wall clock, ${steps} steps, ${((clock / steps) * 1000).toFixed(1)} us per step in kernels)`);
  const sorted = [...totals.entries()].sort((a, b) => b[1] - a[1]);
  for (const [key, ms] of sorted) {
    console.log(`${((ms / steps) * 1000).toFixed(2).padStart(8)} us  ${((100 * ms) / clock).toFixed(1).padStart(5)}%  ${key}`);
  }
}
if (process.argv.includes('--profile')) profileStep(3000);

/**
 * This build against another, in one process: every case alternates between the two
 * backends, many short rounds, best round of each. On a shared machine the speed of a core
 * drifts by 2x within seconds, so separate runs cannot show a 5% change; interleaving can.
 */
async function compareBuilds(path: string): Promise<void> {
  const { pathToFileURL } = await import('node:url');
  const { resolve } = await import('node:path');
  const other = (await import(pathToFileURL(resolve(path)).href)) as { KERNELS_WASM_BASE64: string };
  const raw = atob(other.KERNELS_WASM_BASE64);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  const backends: [string, WasmBackend][] = [['this build', be], [path, new WasmBackend(new WebAssembly.Module(bytes))]];
  const cases = backends.map(([, b]) => {
    const list: [string, number, () => void][] = [];
    for (const [fin, fout] of [[128, 64], [64, 64], [64, 10], [128, 128]]) {
      const x = random(b, batch, fin), w = random(b, fin, fout), y = random(b, batch, fout);
      const dy = random(b, batch, fout), dw = random(b, fin, fout), dx = random(b, batch, fin);
      const flops = 2 * batch * fin * fout;
      list.push([`gemm X W ${batch}x${fin} . ${fin}x${fout}`, flops, () => b.gemm(x, false, w, false, y, 0)]);
      list.push([`gemm X^T dY ${fin}x${batch} . ${batch}x${fout}`, flops, () => b.gemm(x, true, dy, false, dw, 0)]);
      list.push([`gemm dY W^T ${batch}x${fout} . ${fout}x${fin}`, flops, () => b.gemm(dy, false, w, true, dx, 0)]);
    }
    list.push(['training step, default model', 0, stepOf(b, true)]);
    return list;
  });
  const best = backends.map(() => cases[0].map(() => Infinity));
  for (let round = 0; round < 40; round++) {
    for (let c = 0; c < cases[0].length; c++) {
      for (let k = 0; k < backends.length; k++) {
        const fn = cases[k][c][2];
        const reps = c === cases[0].length - 1 ? 20 : 100;
        const t0 = performance.now();
        for (let i = 0; i < reps; i++) fn();
        const us = ((performance.now() - t0) * 1000) / reps;
        if (round > 2) best[k][c] = Math.min(best[k][c], us);
      }
    }
  }
  console.log(`\nThis build against ${path} (best of 37 interleaved rounds, us per call)`);
  for (let c = 0; c < cases[0].length; c++) {
    const [name, flops] = cases[0][c];
    const cells = backends.map((_, k) => {
      const us = best[k][c];
      return `${us.toFixed(2).padStart(8)} us${flops > 0 ? ` ${(flops / us / 1e3).toFixed(1).padStart(5)} GFLOP/s` : ''}`;
    });
    console.log(`${name.padEnd(34)} ${cells.join('   ')}   ${(best[1][c] / best[0][c]).toFixed(2)}x`);
  }
}
const against = process.argv.indexOf('--against');
if (against >= 0 && process.argv[against + 1]) await compareBuilds(process.argv[against + 1]);
