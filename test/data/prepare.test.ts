import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Dataset } from '../../src/data/dataset.js';
import { symmetricEigen, symmetricEigenTop } from '../../src/data/eigen.js';
import { fitPca } from '../../src/data/pca.js';
import { Pipeline } from '../../src/data/pipeline.js';
import { prepare } from '../../src/data/prepare.js';
import { fitScaler } from '../../src/data/scale.js';
import { stratifiedSplit } from '../../src/data/split.js';
import { gatherLabels, gatherRows } from '../../src/data/batches.js';
import { ConfigError, DataError, ModelFormatError, ShapeError } from '../../src/errors.js';
import { ReferenceBackend } from '../../src/tensor/reference.js';
import { fixtureJson } from './helpers.js';

interface SkRef {
  X: number[][];
  Y: number[][];
  pca: { k: number; mean: number[]; components: number[][]; explainedVariance: number[]; explainedVarianceRatio: number[]; transformX: number[][]; allEigenvalues: number[] };
  standard: { mean: number[]; scale: number[]; transformY: number[][] };
  minmax: { min: number[]; max: number[]; transformY: number[][] };
}
const sk = fixtureJson<SkRef>('sklearn_reference.json');
const flat = (m: number[][]) => Float32Array.from(m.flat());

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    assert.ok(d <= tol * Math.max(1, Math.abs(expected[i])), `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

function dataset(rows: number, cols: number, f: (r: number, c: number) => number, label: (r: number) => number, source = 'mem'): Dataset {
  const features = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) features[r * cols + c] = f(r, c);
  return { features, labels: Int32Array.from({ length: rows }, (_, r) => label(r)), rows, cols, source };
}

test('PCA matches scikit-learn: mean, components (up to sign), explained variance, projection', () => {
  const X = flat(sk.X);
  const n = sk.X.length, d = sk.X[0].length, k = sk.pca.k;
  for (const backend of [new ReferenceBackend(), undefined]) {
    const fit = fitPca(X, n, d, k, backend);
    close(fit.mean, sk.pca.mean, 1e-6, 'mean');
    close(fit.explainedVariance, sk.pca.explainedVariance, 1e-5, 'explained variance');
    close(fit.explainedVarianceRatio, sk.pca.explainedVarianceRatio, 1e-5, 'explained variance ratio');
    for (let i = 0; i < k; i++) {
      const ours = fit.components.subarray(i * d, i * d + d);
      const ref = sk.pca.components[i];
      const sign = ours.reduce((s, v, j) => s + v * ref[j], 0) < 0 ? -1 : 1;
      close(Array.from(ours, (v) => sign * v), ref, 1e-5, `component ${i}`);
    }
    const projected = Pipeline.fitted(d, null, fit).transform(X, n, backend);
    for (let i = 0; i < k; i++) {
      const ref = sk.pca.transformX.map((row) => row[i]);
      const ours = Array.from({ length: n }, (_, r) => projected[r * k + i]);
      const sign = ours.reduce((s, v, r) => s + v * ref[r], 0) < 0 ? -1 : 1;
      close(ours.map((v) => sign * v), ref, 1e-4, `projection column ${i}`);
    }
  }
  // The sign convention: each component's largest-|value| entry is positive.
  const fit = fitPca(X, n, d, k);
  for (let i = 0; i < k; i++) {
    const row = Array.from(fit.components.subarray(i * d, i * d + d));
    const big = row.reduce((b, v, j) => (Math.abs(v) > Math.abs(row[b]) ? j : b), 0);
    assert.ok(row[big] > 0);
  }
  assert.throws(() => fitPca(X, n, d, d + 1), ConfigError);
  assert.throws(() => fitPca(X, n, d, 0), ConfigError);
});

test('eigen-decomposition: all eigenvalues match scikit-learn; top-k agrees with the full solver', () => {
  const X = sk.X, n = X.length, d = X[0].length;
  const mean = sk.pca.mean;
  const cov = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let r = 0; r < n; r++) s += (X[r][i] - mean[i]) * (X[r][j] - mean[j]);
      cov[i * d + j] = s / (n - 1);
    }
  }
  const full = symmetricEigen(cov, d);
  close(full.values, sk.pca.allEigenvalues, 1e-9, 'eigenvalues');
  const top = symmetricEigenTop(cov, d, 3);
  close(top.values, full.values, 1e-12, 'top-k eigenvalues');
  close(top.vectors, full.vectors.subarray(0, 3 * d), 1e-9, 'top-k eigenvectors');
  // A matrix with repeated eigenvalues: vectors stay orthonormal and satisfy A v = lambda v.
  const m = 12;
  const a = new Float64Array(m * m);
  for (let i = 0; i < m; i++) a[i * m + i] = i < 4 ? 2 : 1;
  for (let i = 5; i + 1 < m; i++) a[i * m + i + 1] = a[(i + 1) * m + i] = 0.25;
  const rep = symmetricEigenTop(a, m, 6);
  // The 7 x 7 block has eigenvalues 1 + 0.5 cos(j pi / 8), j = 1..7.
  assert.deepEqual(Array.from(rep.values.subarray(0, 4)), [2, 2, 2, 2]);
  close(rep.values.subarray(4, 6), [1 + 0.5 * Math.cos(Math.PI / 8), 1 + 0.5 * Math.cos((2 * Math.PI) / 8)], 1e-12, 'block eigenvalues');
  for (let i = 0; i < 6; i++) {
    for (let r = 0; r < m; r++) {
      let av = 0;
      for (let t = 0; t < m; t++) av += a[r * m + t] * rep.vectors[i * m + t];
      assert.ok(Math.abs(av - rep.values[i] * rep.vectors[i * m + r]) < 1e-12);
    }
    for (let j = 0; j < 6; j++) {
      let dot = 0;
      for (let t = 0; t < m; t++) dot += rep.vectors[i * m + t] * rep.vectors[j * m + t];
      assert.ok(Math.abs(dot - (i === j ? 1 : 0)) < 1e-12);
    }
  }
});

test('scalers match scikit-learn StandardScaler and MinMaxScaler', () => {
  const X = flat(sk.X), n = sk.X.length, d = sk.X[0].length, Y = flat(sk.Y), m = sk.Y.length;
  const std = fitScaler(X, n, d, 'standard');
  close(std.shift, sk.standard.mean, 1e-6, 'mean');
  close(Array.from(std.scale, (s) => 1 / s), sk.standard.scale, 1e-6, 'scale');
  close(new Pipeline(d, std).transform(Y, m), sk.standard.transformY.flat(), 1e-5, 'standardised Y');
  const mm = fitScaler(X, n, d, 'minmax');
  close(mm.shift, sk.minmax.min, 1e-6, 'min');
  close(new Pipeline(d, mm).transform(Y, m), sk.minmax.transformY.flat(), 1e-5, 'min-max Y');
  // A constant column maps to 0 instead of dividing by zero.
  const c = fitScaler(Float32Array.from([5, 1, 5, 2, 5, 3]), 3, 2, 'standard');
  assert.deepEqual(Array.from(new Pipeline(2, c).transform(Float32Array.from([5, 2]), 1)), [0, 0]);
});

test('stratified split: proportions per class, exact total, seed determinism, no overlap', () => {
  const labels = Int32Array.from({ length: 1000 }, (_, i) => (i < 500 ? 0 : i < 800 ? 1 : i < 950 ? 2 : 3));
  const a = stratifiedSplit(labels, 0.1, 7);
  assert.equal(a.val.length, 100);
  assert.equal(a.train.length, 900);
  const perClass = (idx: Int32Array) => [0, 1, 2, 3].map((c) => Array.from(idx).filter((i) => labels[i] === c).length);
  assert.deepEqual(perClass(a.val), [50, 30, 15, 5]);
  const all = new Set([...a.train, ...a.val]);
  assert.equal(all.size, 1000);
  const b = stratifiedSplit(labels, 0.1, 7);
  assert.deepEqual(Array.from(b.val), Array.from(a.val));
  const c = stratifiedSplit(labels, 0.1, 8);
  assert.notDeepEqual(Array.from(c.val), Array.from(a.val));
  assert.deepEqual(perClass(c.val), [50, 30, 15, 5]);
  // Rounding: 0.25 of (3, 3, 3, 1) rows is 2.5 in all; the total is round(10 * 0.25) = 3.
  const small = stratifiedSplit(Int32Array.from([0, 0, 0, 1, 1, 1, 2, 2, 2, 3]), 0.25, 1);
  assert.equal(small.val.length, 3);
  assert.equal(stratifiedSplit(labels, 0, 1).val.length, 0);
  // A class with a single row keeps it for training, whatever the rounding.
  for (let seed = 0; seed < 5; seed++) {
    const one = stratifiedSplit(Int32Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 1]), 0.15, seed);
    assert.ok(Array.from(one.train).includes(9));
    assert.equal(one.val.length, 2);
  }
});

test('prepare fits scaling on the training part only and applies it to validation and test', () => {
  const train = dataset(200, 3, (r, c) => r * (c + 1) + (r % 7), (r) => r % 4, 'train.npy');
  const test = dataset(20, 3, (r, c) => 1000 + r - c, (r) => r % 4, 'test.npy');
  const p = prepare({ train, test }, { valFraction: 0.2, seed: 3 });
  assert.equal(p.train.rows, 160);
  assert.equal(p.val.rows, 40);
  assert.equal(p.test!.rows, 20);
  assert.equal(p.classes, 4);
  // Training part: mean 0 and unit (population) variance per column.
  for (let c = 0; c < 3; c++) {
    let s = 0, ss = 0;
    for (let r = 0; r < p.train.rows; r++) s += p.train.features[r * 3 + c];
    const mean = s / p.train.rows;
    for (let r = 0; r < p.train.rows; r++) ss += (p.train.features[r * 3 + c] - mean) ** 2;
    assert.ok(Math.abs(mean) < 1e-5);
    assert.ok(Math.abs(ss / p.train.rows - 1) < 1e-4);
  }
  // Validation and test use the training part's statistics, recomputed here by hand.
  const { train: trIdx, val: vaIdx } = stratifiedSplit(train.labels, 0.2, 3);
  for (let c = 0; c < 3; c++) {
    const vals = Array.from(trIdx, (r) => train.features[r * 3 + c]);
    const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
    const sd = Math.sqrt(vals.reduce((a, b) => a + (b - mean) ** 2, 0) / vals.length);
    const r0 = vaIdx[0];
    assert.ok(Math.abs(p.val.features[c] - (train.features[r0 * 3 + c] - mean) / sd) < 1e-5);
    assert.ok(Math.abs(p.test!.features[c] - (test.features[c] - mean) / sd) < 1e-5);
  }
  assert.deepEqual(Array.from(p.val.labels), Array.from(vaIdx, (r) => train.labels[r]));
  assert.deepEqual(p.steps.map((s) => s.name), ['nulls', 'classes', 'split', 'scale']);
  // The pipeline reproduces the transform on raw input.
  assert.deepEqual(Array.from(p.pipeline.transform(test.features, test.rows)), Array.from(p.test!.features));
});

test('prepare with PCA fits it on the scaled training part and reports the explained variance', () => {
  const X = flat(sk.X), n = sk.X.length, d = sk.X[0].length;
  const train: Dataset = { features: X, labels: Int32Array.from({ length: n }, (_, i) => i % 2), rows: n, cols: d, source: 'x' };
  const p = prepare({ train, test: null }, { scale: 'none', pca: 3, valFraction: 0 });
  assert.equal(p.train.cols, 3);
  assert.equal(p.pipeline.inputCols, d);
  assert.equal(p.pipeline.outputCols, 3);
  const step = p.steps.find((s) => s.name === 'pca')!;
  assert.match(step.summary, /PCA 6 -> 3 components.*explain 99\.9% of the variance \(first: 72\.4%, 20\.0%, 7\.5%\)/);
  const json = JSON.parse(JSON.stringify(p.pipeline.toJSON()));
  const back = Pipeline.fromJSON(json, 'model.json');
  assert.deepEqual(Array.from(back.transform(X, n)), Array.from(p.train.features));
});

test('null check: counts per file and column, drops the rows, or refuses', () => {
  const train = dataset(10, 3, (r, c) => (r === 2 && c === 1 ? NaN : r === 5 ? Infinity : r + c), (r) => r % 2, 'train.npy');
  const test = dataset(4, 3, (r, c) => (r === 0 && c === 2 ? -Infinity : r), (r) => r % 2, 'test.npy');
  const p = prepare({ train, test }, { scale: 'none', valFraction: 0 });
  assert.equal(p.train.rows, 8);
  assert.equal(p.test!.rows, 3);
  const step = p.steps[0];
  assert.equal(step.name, 'nulls');
  assert.equal(step.warning, true);
  assert.match(step.summary, /2 of 10 rows of train\.npy \(4 values; column 0: 1, column 1: 2, column 2: 1\); 1 of 4 rows of test\.npy/);
  assert.deepEqual(Array.from(p.train.features.subarray(0, 9)), [0, 1, 2, 1, 2, 3, 3, 4, 5]);
  assert.throws(
    () => prepare({ train, test }, { nulls: 'refuse' }),
    (e: unknown) => e instanceof DataError && e.file === 'train.npy' && /NaN or infinite values.*--nulls drop/.test(e.problem),
  );
});

test('absent classes are a warning; mismatched widths and bad options are named errors', () => {
  const train = dataset(30, 2, (r, c) => r + c, (r) => (r % 2) * 2, 'train.npy');
  const p = prepare({ train, test: null }, {});
  const classes = p.steps.find((s) => s.name === 'classes')!;
  assert.equal(classes.warning, true);
  assert.match(classes.summary, /3 classes.*Warning: no training rows for class 1/);
  const wide = dataset(5, 3, () => 1, () => 0, 'test.npy');
  assert.throws(() => prepare({ train, test: wide }, {}), (e: unknown) => e instanceof DataError && e.file === 'test.npy' && /3 features per row.*has 2/.test(e.problem));
  assert.throws(() => prepare({ train, test: null }, { valFraction: 1 }), ConfigError);
  assert.throws(() => prepare({ train, test: null }, { scale: 'z' as never }), ConfigError);
  assert.throws(() => prepare({ train, test: null }, { pca: 0 }), ConfigError);
  assert.throws(() => prepare({ train, test: null }, { nulls: 'keep' as never }), ConfigError);
  const negative = { ...train, labels: Int32Array.from(train.labels, (v, i) => (i === 4 ? -2 : v)) };
  assert.throws(() => prepare({ train: negative, test: null }, {}), (e: unknown) => e instanceof DataError && /label -2 at row 4/.test(e.problem));
});

test('PCA with more components than features is refused by prepare under the run field data.pca', () => {
  const train = dataset(30, 4, (r, c) => Math.sin(r * 7 + c), (r) => r % 2, 'train.npy');
  const named = (field: string) => (e: unknown) => e instanceof ConfigError && e.field === field;
  assert.throws(() => prepare({ train, test: null }, { pca: 5 }), named('data.pca'));
  assert.throws(() => fitPca(train.features, 30, 4, 0), named('data.pca'));
  assert.throws(() => fitPca(train.features, 1, 4, 1), named('data.pca'));
});

test('Pipeline.fromJSON validates every field and names the file', () => {
  const good = new Pipeline(2, { kind: 'standard', shift: Float64Array.of(1, 2), scale: Float64Array.of(0.5, 2) }).toJSON();
  assert.deepEqual(Array.from(Pipeline.fromJSON(good, 'm.json').transform(Float32Array.of(3, 3), 1)), [1, 2]);
  const pca = { k: 1, mean: [0, 0], components: [0.6, 0.8], explainedVarianceRatio: [0.9] };
  const [projected] = Pipeline.fromJSON({ ...good, outputCols: 1, pca }, 'm.json').transform(Float32Array.of(3, 3), 1);
  assert.ok(Math.abs(projected - (0.6 * 1 + 0.8 * 2)) < 1e-6, `scaled to [1, 2], then projected: ${projected}`);
  const bad: [unknown, RegExp][] = [
    [null, /^pipeline: got null, expected an object describing the pre-processing$/],
    [{ ...good, format: 'x' }, /^pipeline\.format: got "x", expected "mlplab-pipeline"$/],
    [{ ...good, version: 2 }, /^pipeline\.version: got 2, expected 1/],
    [{ ...good, inputCols: 0 }, /^pipeline\.inputCols: got 0, expected a whole number of input features from 1 to 16777216$/],
    [{ ...good, scaler: { ...good.scaler, shift: [1] } }, /^pipeline\.scaler\.shift\.shape: got \[1\], expected \[2\]$/],
    [{ ...good, scaler: { ...good.scaler, scale: [1, 'a'] } }, /^pipeline\.scaler\.scale\[1\]: got "a", expected a number$/],
    [{ ...good, scaler: { ...good.scaler, kind: 'robust' } }, /^pipeline\.scaler\.kind: got "robust", expected "standard" or "minmax"$/],
    [{ ...good, pca: { ...pca, k: 3, components: [] } }, /^pipeline\.pca\.k: got 3, expected a whole number of components from 1 to inputCols \(2\)$/],
    [{ ...good, outputCols: 1, pca: { ...pca, components: [1] } }, /^pipeline\.pca\.components\.shape: got \[1\], expected \[1, 2\]$/],
    [{ ...good, outputCols: 1, pca: { ...pca, components: [1e39, 0] } }, /^pipeline\.pca\.components\.data\[0\]: got Infinity, expected a finite number$/],
    [{ ...good, outputCols: 1, pca: { ...pca, explainedVarianceRatio: [] } }, /^pipeline\.pca\.explainedVarianceRatio: got \[\], expected a list of 1 fractions/],
    [{ ...good, outputCols: 5 }, /^pipeline\.outputCols: got 5, expected 2, the width the transform gives$/],
  ];
  for (const [json, problem] of bad) {
    assert.throws(() => Pipeline.fromJSON(json, 'm.json'), (e: unknown) => e instanceof ModelFormatError && e.file === 'm.json' && problem.test(e.problem), String(problem));
  }
  assert.throws(() => Pipeline.fromJSON(good, 'm.json').transform(new Float32Array(3), 1), ShapeError);
});

test('a pipeline as tensors: small meta JSON, float64 scaling and mean, float32 components; reads back bit-identically', () => {
  const X = flat(sk.X), n = sk.X.length, d = sk.X[0].length;
  const train: Dataset = { features: X, labels: Int32Array.from({ length: n }, (_, i) => i % 2), rows: n, cols: d, source: 'x' };
  const p = prepare({ train, test: null }, { scale: 'standard', pca: 3, valFraction: 0 }).pipeline;
  const { meta, tensors } = p.toTensors();
  assert.deepEqual(meta, {
    format: 'mlplab-pipeline', version: 2, inputCols: d, outputCols: 3,
    scaler: { kind: 'standard' }, pca: { k: 3, explainedVarianceRatio: p.pca!.explainedVarianceRatio },
  });
  assert.deepEqual(tensors.map((t) => [t.name, t.shape, t.data.constructor.name]), [
    ['pipeline.scaler.shift', [d], 'Float64Array'],
    ['pipeline.scaler.scale', [d], 'Float64Array'],
    ['pipeline.pca.mean', [d], 'Float64Array'],
    ['pipeline.pca.components', [3, d], 'Float32Array'],
  ]);
  const back = Pipeline.fromTensors(JSON.parse(JSON.stringify(meta)), new Map(tensors.map((t) => [t.name, t])), 'm.json');
  assert.deepEqual(Array.from(back.transform(X, n)), Array.from(p.transform(X, n)));
  assert.deepEqual(Array.from(back.scaler!.shift), Array.from(p.scaler!.shift));
  tensors[0].data[0] = NaN;
  assert.ok(!Number.isNaN(p.scaler!.shift[0]), 'the tensors are copies');
  // An identity pipeline has no tensors.
  const identity = new Pipeline(4).toTensors();
  assert.deepEqual(identity, { meta: { format: 'mlplab-pipeline', version: 2, inputCols: 4, outputCols: 4, scaler: null, pca: null }, tensors: [] });
  assert.ok(Pipeline.fromTensors(identity.meta, new Map(), 'm.json').isIdentity);
});

test('Pipeline.fromTensors checks the meta, each tensor and every value, naming the file and the field', () => {
  const p = new Pipeline(
    2,
    { kind: 'minmax', shift: Float64Array.of(1, 2), scale: Float64Array.of(0.5, 2) },
    { k: 1, mean: Float64Array.of(0, 0.5), components: Float32Array.of(0.6, 0.8), explainedVarianceRatio: [0.7] },
  );
  const good = p.toTensors();
  const run = (meta: unknown, edit: (m: Map<string, { name: string; shape: number[]; data: Float32Array | Float64Array }>) => void = () => {}) => {
    const m = new Map(structuredClone(good.tensors).map((t) => [t.name, t]));
    edit(m);
    return Pipeline.fromTensors(meta, m, 'm.json');
  };
  assert.deepEqual(Array.from(run(good.meta).transform(Float32Array.of(3, 3), 1)), Array.from(p.transform(Float32Array.of(3, 3), 1)));
  const bad: [() => unknown, RegExp][] = [
    [() => run('x'), /^pipeline: got "x", expected an object describing the pre-processing$/],
    [() => run({ ...good.meta, version: 1 }), /^pipeline\.version: got 1, expected 2/],
    [() => run({ ...good.meta, inputCols: 2.5 }), /^pipeline\.inputCols: got 2\.5, expected a whole number/],
    [() => run({ ...good.meta, extra: 1 }), /^pipeline\.extra: got 1, expected no such field; allowed here: format, version, inputCols, outputCols, scaler, pca$/],
    [() => run({ ...good.meta, scaler: { kind: 'robust' } }), /^pipeline\.scaler\.kind: got "robust"/],
    [() => run({ ...good.meta, pca: { k: 0, explainedVarianceRatio: [] } }), /^pipeline\.pca\.k: got 0/],
    [() => run({ ...good.meta, pca: { k: 1, explainedVarianceRatio: [-0.1] } }), /^pipeline\.pca\.explainedVarianceRatio\[0\]: got -0\.1, expected a finite fraction >= 0$/],
    [() => run({ ...good.meta, outputCols: 2 }), /^pipeline\.outputCols: got 2, expected 1, the width the transform gives$/],
    [() => run(good.meta, (m) => m.delete('pipeline.pca.mean')), /^pipeline\.pca\.mean: got undefined, expected a value \(it is required\): a float64 tensor of shape \[2\]$/],
    [() => run(good.meta, (m) => m.delete('pipeline.scaler.scale')), /^pipeline\.scaler\.scale: got undefined/],
    [() => run(good.meta, (m) => (m.get('pipeline.pca.components')!.shape = [2, 1])), /^pipeline\.pca\.components\.shape: got \[2,1\], expected \[1, 2\]$/],
    [() => run(good.meta, (m) => (m.get('pipeline.pca.mean')!.data = Float32Array.of(0, 0.5))), /^pipeline\.pca\.mean\.data: got .*, expected float64 values$/],
    [() => run(good.meta, (m) => (m.get('pipeline.scaler.scale')!.data[1] = NaN)), /^pipeline\.scaler\.scale\.data\[1\]: got NaN, expected a finite number$/],
    [() => run(good.meta, (m) => (m.get('pipeline.pca.components')!.data[0] = -Infinity)), /^pipeline\.pca\.components\.data\[0\]: got -Infinity, expected a finite number$/],
    [() => run({ ...good.meta, scaler: null }), /^pipeline\.scaler\.shift: got .*, expected no such field; allowed here: pipeline\.pca\.mean, pipeline\.pca\.components$/],
    [() => run(good.meta, (m) => m.set('pipeline.whitening', { name: 'pipeline.whitening', shape: [1], data: new Float32Array(1) })), /^pipeline\.whitening: got .*, expected no such field/],
  ];
  for (const [f, problem] of bad) {
    assert.throws(f, (e: unknown) => e instanceof ModelFormatError && e.file === 'm.json' && problem.test(e.problem), String(problem));
  }
  // Tensors of other owners in the same map are not the pipeline's business.
  assert.ok(run(good.meta, (m) => m.set('other.table', { name: 'other.table', shape: [1], data: new Float32Array(1) })));
});

test('gatherRows and gatherLabels copy the selected rows in order', () => {
  const features = Float32Array.from({ length: 12 }, (_, i) => i);
  const dst = new Float32Array(8).fill(-1);
  gatherRows(features, 3, Int32Array.of(3, 0, 2), 1, 2, dst);
  assert.deepEqual(Array.from(dst), [0, 1, 2, 6, 7, 8, -1, -1]);
  const lab = new Float32Array(2);
  gatherLabels(Int32Array.of(5, 6, 7, 8), Int32Array.of(3, 0, 2), 1, 2, lab);
  assert.deepEqual(Array.from(lab), [5, 7]);
  assert.throws(() => gatherRows(features, 3, Int32Array.of(0, 1, 2), 0, 3, new Float32Array(6)), RangeError);
});

test('PCA on a table wider than one covariance block agrees with a float64 covariance computed directly', () => {
  const rows = 200, cols = 300, k = 8; // 300 columns make two covariance blocks
  let s = 7;
  const rnd = () => ((s = (s * 16807) % 2147483647) / 2147483647) - 0.5;
  // Column c has spread 1 / (1 + c / 8), so the leading directions are well separated.
  const X = Float32Array.from({ length: rows * cols }, (_, i) => rnd() / (1 + (i % cols) / 8) + (i % cols) * 0.01);
  const fit = fitPca(X, rows, cols, k);
  const mean = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) mean[c] += X[r * cols + c] / rows;
  const cov = new Float64Array(cols * cols);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < cols; i++) {
      const xi = X[r * cols + i] - mean[i];
      for (let j = 0; j < cols; j++) cov[i * cols + j] += (xi * (X[r * cols + j] - mean[j])) / (rows - 1);
    }
  }
  const full = symmetricEigen(cov, cols);
  close(fit.explainedVariance, full.values.subarray(0, k), 1e-5, 'explained variance');
  close(fit.components, full.vectors.subarray(0, k * cols), 1e-4, 'components');
  let trace = 0;
  for (let i = 0; i < cols; i++) trace += cov[i * cols + i];
  close([fit.totalVariance], [trace], 1e-6, 'total variance');
});

test('prepare says where every prepared row came from, with NaN rows dropped', () => {
  const rows = 40, cols = 3;
  const features = Float32Array.from({ length: rows * cols }, (_, i) => i);
  const labels = Int32Array.from({ length: rows }, (_, i) => i % 2);
  features[7 * cols + 1] = NaN; // row 7 is dropped
  const test = { features: Float32Array.from({ length: 5 * cols }, (_, i) => 1000 + i), labels: Int32Array.from([0, 1, 0, 1, 0]), rows: 5, cols, source: 't' };
  test.features[2 * cols] = Infinity; // test row 2 is dropped
  const p = prepare({ train: { features, labels, rows, cols, source: 'x' }, test }, { scale: 'none', valFraction: 0.25, seed: 3 });
  assert.equal(p.train.rows + p.val.rows, rows - 1);
  assert.deepEqual(Array.from(p.origin.test!), [0, 1, 3, 4]);
  for (const [part, origin, raw] of [[p.train, p.origin.train, features], [p.val, p.origin.val, features], [p.test!, p.origin.test!, test.features]] as const) {
    assert.equal(origin.length, part.rows);
    for (let i = 0; i < part.rows; i++) {
      assert.deepEqual(Array.from(part.features.subarray(i * cols, (i + 1) * cols)), Array.from(raw.subarray(origin[i] * cols, (origin[i] + 1) * cols)));
    }
  }
  assert.ok(!Array.from(p.origin.train).includes(7) && !Array.from(p.origin.val).includes(7));
});

test('a separate validation set is cleaned by the same rule and transformed with the training fit', () => {
  const train = { features: Float32Array.from([0, 2, 4, 6]), labels: Int32Array.from([0, 1, 0, 1]), rows: 4, cols: 1, source: 'train' };
  const val = { features: Float32Array.from([3, NaN, 9]), labels: Int32Array.from([1, 0, 0]), rows: 3, cols: 1, source: 'val.npy' };
  const p = prepare({ train, test: null, val }, { scale: 'standard', valFraction: 0.5 });
  // The whole training set is fitted (the held-out fraction does not apply), mean 3, population sd sqrt(5).
  assert.equal(p.train.rows, 4);
  assert.deepEqual(Array.from(p.origin.val), [0, 2]);
  close(p.val.features, [0, 6 / Math.sqrt(5)], 1e-6, 'validation rows');
  assert.ok(p.steps.some((s) => s.name === 'validation' && /2 rows from val\.npy \(1 rows with NaN/.test(s.summary)));
  assert.throws(() => prepare({ train, test: null, val }, { nulls: 'refuse' }), (e: unknown) => e instanceof DataError && /val\.npy: 1 rows hold missing, NaN or infinite values/.test(e.message));
  const wide = { ...val, features: new Float32Array(6), cols: 2 };
  assert.throws(() => prepare({ train, test: null, val: wide }), (e: unknown) => e instanceof DataError && /val\.npy: has 2 features per row, but the training data \(train\) has 1/.test(e.message));
  const unknownClass = { ...val, features: Float32Array.from([1, 2, 3]), labels: Int32Array.from([0, 5, 1]) };
  assert.throws(() => prepare({ train, test: null, val: unknownClass }), (e: unknown) => e instanceof DataError && /row 1 has label 5, but the training data has 2 classes/.test(e.message));
});

test('prepare runs PCA on the backend it is given', () => {
  const rows = 30, cols = 4;
  const features = Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i * 1.7));
  const labels = Int32Array.from({ length: rows }, (_, i) => i % 3);
  const calls = { gemm: 0 };
  const backend = new ReferenceBackend();
  const gemm = backend.gemm.bind(backend);
  backend.gemm = (...args: Parameters<typeof gemm>) => {
    calls.gemm++;
    return gemm(...args);
  };
  prepare({ train: { features, labels, rows, cols }, test: null }, { pca: 2 }, backend);
  assert.ok(calls.gemm > 0, 'the projection ran on the given backend');
});

test('a label column with a single class is refused by prepare, naming the file and the class', () => {
  const train = { ...dataset(12, 2, (r, c) => r + c, () => 0, 'one.csv'), classNames: ['x'] };
  assert.throws(() => prepare({ train, test: null }, {}), (e: unknown) => e instanceof DataError && /^one\.csv: holds a single class \("x"\) in its labels; a classifier needs at least two/.test(e.message));
});
