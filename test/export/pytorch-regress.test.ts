/**
 * Regression networks to and from PyTorch, checked against values PyTorch recorded
 * (test/fixtures/pytorch-regress/make.py): torch's nn.Sequential regressors imported predict
 * what torch predicted, and mlplab's export of a trained regression ensemble, loaded by torch,
 * predicted what mlplab predicts. The folding of the target scaling and of an ensemble into one
 * network is checked against mlplab's own predictions.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fromRecords, type Cell } from '../../src/data/table/records.js';
import { ModelFormatError, ShapeError } from '../../src/errors.js';
import { foldRegression, MAX_FOLDED_PARAMETERS } from '../../src/export/fold.js';
import { fromStateDict, stateDict } from '../../src/export/pytorch.js';
import { parseSafetensors } from '../../src/export/safetensors.js';
import { exportSafetensors, importWeights } from '../../src/export/weights.js';
import type { ModelOptions } from '../../src/nn/config.js';
import { Sequential } from '../../src/nn/model.js';
import { decodeModelFile, ensembleValues } from '../../src/run/model-file.js';
import { predictor } from '../../src/run/predictor.js';
import { lcg, sameBits } from '../helpers.js';

const FIXTURES = new URL('../../../test/fixtures/pytorch-regress/', import.meta.url);
const CLASSIFIERS = new URL('../../../test/fixtures/pytorch/', import.meta.url);
const bytesOf = (name: string, dir = FIXTURES) => new Uint8Array(readFileSync(new URL(name, dir)));
const json = <T>(name: string, dir = FIXTURES) => JSON.parse(readFileSync(new URL(name, dir), 'utf8')) as T;

interface TorchCase {
  name: string;
  file: string;
  network: Record<string, unknown>;
  inputs: number;
  keys: string[];
  rows: number;
  x: number[];
  outputs: number[];
}
const { cases } = json<{ cases: TorchCase[] }>('torch_cases.json');

/**
 * Values agree to float32 precision: both sides sum float32 products in their own order, so the
 * gap is a few float32 roundings of the largest terms; `scale` is the size of the values.
 */
function assertClose(got: ArrayLike<number>, expected: ArrayLike<number>, scale: number, what: string): void {
  assert.equal(got.length, expected.length, what);
  const bad: string[] = [];
  for (let i = 0; i < expected.length; i++) if (!(Math.abs(got[i] - expected[i]) <= 4e-6 * scale)) bad.push(`[${i}] ${got[i]} vs ${expected[i]}`);
  assert.deepEqual(bad.slice(0, 8), [], `${what}: ${bad.length} of ${expected.length} values differ by more than ${4e-6 * scale}`);
}

const spread = (v: ArrayLike<number>) => Math.max(...Array.from(v, Math.abs));

function normal(rand: () => number): number {
  let u = 0;
  while (u === 0) u = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

function shake(model: Sequential, rand: () => number): Sequential {
  for (const p of model.params) for (let i = 0; i < p.value.data.length; i++) p.value.data[i] += 0.4 * normal(rand);
  for (const s of model.stateTensors()) for (let i = 0; i < s.value.data.length; i++) s.value.data[i] = s.name.endsWith('running_var') ? 0.3 + 2 * rand() : 0.5 * normal(rand);
  return model;
}

describe('PyTorch regression weights in', () => {
  for (const c of cases) {
    test(`${c.name} (${c.file}): one output row is a regression network predicting what PyTorch predicted`, () => {
      const m = importWeights(bytesOf(c.file), c.file, c.network);
      try {
        assert.equal(m.model.task, 'regress');
        assert.deepEqual(m.model.options.target, { mean: 0, std: 1 });
        assert.equal(m.model.inputs, c.inputs);
        assert.deepEqual(m.classNames, ['target']);
        const got = predictor(m).predictValues({ features: Float32Array.from(c.x), rows: c.rows, cols: c.inputs });
        assert.ok(spread(c.outputs) > 5, 'outputs that vary');
        assertClose(got, c.outputs, spread(c.outputs), c.name);
      } finally {
        m.model.dispose();
      }
    });

    test(`${c.name}: mlplab's layout has PyTorch's keys in PyTorch's order`, () => {
      const m = importWeights(bytesOf(c.file), c.file, c.network, { targetName: 'y' });
      assert.deepEqual(stateDict(m.model).map((t) => t.name), c.keys);
      assert.deepEqual(m.classNames, ['y']);
      m.model.dispose();
    });
  }

  test('task: a regression network read as a classifier, or a classifier as a regression network, is refused naming the key', () => {
    const c = cases[0];
    const tensors = parseSafetensors(bytesOf(c.file), c.file).tensors;
    assert.throws(
      () => fromStateDict(tensors, c.network, 'w.safetensors', 'net.json', undefined, {}, 'classify'),
      (e: unknown) => e instanceof ModelFormatError && e.message === "w.safetensors: 7.weight: shape [1, 5], expected at least 2 output rows for a classifier (one per class); one output row is a regression network (task 'regress')",
    );
    fromStateDict(tensors, c.network, 'w.safetensors', 'net.json', undefined, {}, 'regress').dispose();
    const k = json<{ cases: { file: string; network: unknown }[] }>('cases.json', CLASSIFIERS).cases[0];
    assert.throws(
      () => importWeights(bytesOf(k.file, CLASSIFIERS), k.file, k.network, { task: 'regress' }),
      (e: unknown) => e instanceof ModelFormatError && /^relu_bn_dropout\.safetensors: 8\.weight: shape \[3, 5\], expected 1 output row for a regression network \(one value per row\); 3 rows are a classifier's, one per class$/.test(e.message),
    );
    const classifier = importWeights(bytesOf(k.file, CLASSIFIERS), k.file, k.network, { task: 'classify' });
    assert.equal(classifier.model.task, 'classify');
    classifier.model.dispose();
  });

  test('class names for a regression network, or a target name for a classifier, are refused', () => {
    const c = cases[1];
    assert.throws(
      () => importWeights(bytesOf(c.file), c.file, c.network, { classNames: ['a', 'b'] }),
      (e: unknown) => e instanceof ModelFormatError && /^torch_tanh_leaky\.npz: the weights are a regression network \(one output\), but 2 class names were given \(a, b\); class names are a classifier's, one per output row$/.test(e.message),
    );
    const k = json<{ cases: { file: string; network: unknown }[] }>('cases.json', CLASSIFIERS).cases[0];
    assert.throws(
      () => importWeights(bytesOf(k.file, CLASSIFIERS), k.file, k.network, { targetName: 'price' }),
      (e: unknown) => e instanceof ModelFormatError && /the weights are a classifier of 3 classes, but a target name was given \("price"\)/.test(e.message),
    );
  });
});

interface Exported {
  columns: string[];
  layers: [number, string, boolean, number][];
  rows: number[][];
  outputs: number[];
}

describe('PyTorch regression weights out: a trained seed ensemble of 3, loaded by PyTorch', () => {
  const fixture = json<Exported>('mlplab_export.json');
  let decoded: Awaited<ReturnType<typeof decodeModelFile>>;
  before(async () => {
    decoded = await decodeModelFile(readFileSync(new URL('mlplab_model.json', FIXTURES), 'utf8'), 'mlplab_model.json');
  });
  after(() => predictor(decoded).dispose());
  const records = fixture.rows.map((r) => Object.fromEntries(fixture.columns.map((name, j): [string, Cell] => [name, r[j]])));

  test('PyTorch predicted what mlplab predicts on the same rows', () => {
    assert.equal(decoded.model.task, 'regress');
    assert.equal(decoded.members!.length, 2);
    const p = predictor(decoded);
    const expected = p.predictValues(fromRecords(records));
    assertClose(fixture.outputs, expected, decoded.model.options.target!.std, 'torch vs mlplab');
    // The outputs are the whole ensemble's in the target's units: not the first network's, not the standardised target.
    const first = decoded.model.predictValues(p.modelInputs(fromRecords(records)), records.length);
    assert.ok(first.some((v, i) => Math.abs(v - expected[i]) > 0.05), 'the first network alone predicts otherwise');
    assert.ok(Math.min(...expected) > 10 && spread(expected) > 40, `values in the target's units: ${Math.min(...expected)} .. ${spread(expected)}`);
  });

  test('today\'s export writes the tensors PyTorch loaded, bit for bit, and the same pre-processing file', () => {
    const out = exportSafetensors(decoded);
    const theirs = parseSafetensors(bytesOf('mlplab_export.safetensors'), 'fixture').tensors;
    const ours = parseSafetensors(out.weights, 'ours').tensors;
    assert.deepEqual([...ours.keys()], [...theirs.keys()]);
    for (const [k, t] of theirs) {
      const o = ours.get(k)!;
      assert.deepEqual([o.dtype, o.shape], [t.dtype, t.shape], k);
      if (t.data) assert.ok(sameBits(o.data!, t.data), k);
    }
    assert.deepEqual(out.pipeline, bytesOf('mlplab_export.pipeline.safetensors'));
  });

  test('the file says what it holds: the widened network, the target folded in, and how to read it back', () => {
    const out = exportSafetensors(decoded);
    const meta = parseSafetensors(out.weights, 'ours').metadata;
    assert.deepEqual(JSON.parse(meta['mlplab.target']), { name: 'strength', ...decoded.model.options.target, networks: 3 });
    assert.deepEqual(JSON.parse(meta['mlplab.class_names']), ['strength']);
    const options = JSON.parse(meta['mlplab.network']);
    assert.equal(options.task, 'regress');
    assert.deepEqual(options.target, { mean: 0, std: 1 });
    assert.deepEqual(fixture.layers, options.hidden.map((h: { width: number; activation: string; batchNorm: boolean; dropout: number }) => [h.width, h.activation, h.batchNorm, h.dropout]));
    assert.equal(out.networks, 3);
    assert.deepEqual(out.network, { widths: [36, 18], activations: ['gelu', 'relu'], batchNorm: [true, true], dropout: [0.1, 0.1] });
    assert.match(out.python, /nn\.Linear\(6, 36\),\n {4}nn\.BatchNorm1d\(36\),\n {4}nn\.GELU\(\),\n {4}nn\.Dropout\(0\.1\),\n {4}nn\.Linear\(36, 18\),[^]*nn\.Linear\(18, 1\),\n\)/);
  });

  test('imported back (its network object, its pre-processing file), it predicts as the model file did, named after the target', () => {
    const out = exportSafetensors(decoded);
    const back = importWeights(out.weights, 'w.safetensors', out.network, { pipeline: { bytes: out.pipeline!, file: 'w.pipeline.safetensors' } });
    try {
      assert.equal(back.model.task, 'regress');
      assert.deepEqual(back.classNames, ['strength']);
      assert.deepEqual(back.model.options.target, { mean: 0, std: 1 });
      const x = predictor(decoded).modelInputs(fromRecords(records));
      assertClose(back.model.predictValues(x, records.length), ensembleValues(decoded, x, records.length), decoded.model.options.target!.std, 'round trip');
    } finally {
      back.model.dispose();
    }
  });
});

describe('folding a regression model into one network', () => {
  const rand = lcg(61);
  const cases: [string, ModelOptions, number][] = [
    ['one network: the target scaling in the last Linear', { task: 'regress', inputs: 5, target: { mean: 120, std: 30 }, hidden: [{ width: 7, activation: 'tanh', batchNorm: true, dropout: 0.3 }] }, 1],
    ['an ensemble of 4 with batch norm and two layers', { task: 'regress', inputs: 6, target: { mean: -2, std: 0.5 }, hidden: [{ width: 5, activation: 'gelu', batchNorm: true }, { width: 3, activation: 'leaky_relu', batchNorm: false }], leakySlope: 0.1 }, 4],
    ['an ensemble of 3 without hidden layers: one linear map', { task: 'regress', inputs: 4, target: { mean: 7, std: 3 }, hidden: [] }, 3],
  ];
  for (const [name, options, k] of cases) {
    test(`${name} predicts what the model predicts`, () => {
      const nets = Array.from({ length: k }, (_, i) => shake(Sequential.create(options, { seed: i }), rand));
      const folded = foldRegression(nets[0], nets.slice(1));
      try {
        assert.deepEqual(folded.options.target, { mean: 0, std: 1 });
        assert.deepEqual(folded.options.hidden.map((h) => h.width), options.hidden.map((h) => h.width * k));
        const rows = 40;
        const x = Float32Array.from({ length: rows * options.inputs }, () => 2 * normal(rand));
        const expected = ensembleValues({ model: nets[0], members: nets.slice(1) }, x, rows);
        assertClose(folded.predictValues(x, rows), expected, spread(expected), name);
        if (k === 1) {
          const w = nets[0].params.find((p) => p.name === 'output.weight')!.value.data;
          const b = nets[0].params.find((p) => p.name === 'output.bias')!.value.data[0];
          assert.ok(sameBits(folded.params.find((p) => p.name === 'output.weight')!.value.data, Float32Array.from(w, (v) => 30 * v)));
          assert.equal(folded.params.find((p) => p.name === 'output.bias')!.value.data[0], Math.fround(30 * b + 120));
        }
      } finally {
        [folded, ...nets].forEach((m) => m.dispose());
      }
    });
  }

  test('a classifier, members that differ, and a folded network too large are refused', () => {
    const classifier = Sequential.create({ inputs: 3, classes: 2, hidden: [] });
    assert.throws(() => foldRegression(classifier), ShapeError);
    const a = Sequential.create({ task: 'regress', inputs: 3, hidden: [{ width: 4 }] });
    const b = Sequential.create({ task: 'regress', inputs: 3, hidden: [{ width: 5 }] });
    assert.throws(() => foldRegression(a, [b]), /ensemble member 1 is not the same network as the first/);
    const big: ModelOptions = { task: 'regress', inputs: 8, hidden: [{ width: 256, batchNorm: false }, { width: 256, batchNorm: false }] };
    const nets = Array.from({ length: 16 }, (_, i) => Sequential.create(big, { seed: i }));
    assert.ok(16 * 256 * (16 * 256 + 1) > MAX_FOLDED_PARAMETERS, "the second layer alone, weights and biases");
    assert.throws(
      () => exportSafetensors({ model: nets[0], members: nets.slice(1), pipeline: null, classNames: ['y'] }),
      (e: unknown) => e instanceof ShapeError && /^the seed ensemble of 16 networks as one network 16 times as wide would have 16,\d{3},\d{3} parameters, more than 16,777,216; export it as ONNX, which keeps the networks apart$/.test(e.message),
    );
    [classifier, a, b, ...nets].forEach((m) => m.dispose());
  });

  test("a classifier's ensemble still exports its first network (a mean of probabilities is no nn.Sequential)", () => {
    const options: ModelOptions = { inputs: 3, classes: 2, hidden: [{ width: 4 }] };
    const nets = [0, 1].map((seed) => Sequential.create(options, { seed }));
    const out = exportSafetensors({ model: nets[0], members: [nets[1]], pipeline: null, classNames: ['a', 'b'] });
    assert.equal(out.networks, 1);
    assert.deepEqual(out.network.widths, [4]);
    const back = importWeights(out.weights, 'w', out.network);
    assert.ok(sameBits(back.model.flatValues.data, nets[0].flatValues.data));
    [back.model, ...nets].forEach((m) => m.dispose());
  });
});
