/**
 * PyTorch state_dicts in and out. The fixtures are nn.Sequential models that PyTorch trained
 * a few steps and evaluated (scripts/fixtures/pytorch_weights.py): imported, they must give
 * PyTorch's labels and probabilities, and mlplab's own export must read back bit for bit.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { writeNpy } from '../../src/data/formats/npy.js';
import { ConfigError, ModelFormatError } from '../../src/errors.js';
import { fromStateDict, pytorchLayout, pytorchSource, stateDict } from '../../src/export/pytorch.js';
import { parseSafetensors, writeSafetensors, type TensorToWrite } from '../../src/export/safetensors.js';
import { exportSafetensors, importWeights, readStateDict } from '../../src/export/weights.js';
import { resolveModelOptions } from '../../src/nn/config.js';
import { Sequential } from '../../src/nn/model.js';
import { Pipeline } from '../../src/data/pipeline.js';
import { zipSync } from 'fflate';
import { assertAbsClose, sameBits } from '../helpers.js';

const FIXTURES = new URL('../../../test/fixtures/pytorch/', import.meta.url);
interface Case {
  name: string;
  file: string;
  network: Record<string, unknown>;
  inputs: number;
  classes: number;
  keys: string[];
  rows: number;
  x: number[];
  probabilities: number[];
  labels: number[];
}
const { cases } = JSON.parse(readFileSync(new URL('cases.json', FIXTURES), 'utf8')) as { cases: Case[] };
const bytesOf = (name: string) => new Uint8Array(readFileSync(new URL(name, FIXTURES)));

describe('PyTorch weights in', () => {
  for (const c of cases) {
    test(`${c.name} (${c.file}) predicts what PyTorch predicted`, () => {
      const m = importWeights(bytesOf(c.file), c.file, c.network);
      assert.equal(m.model.inputs, c.inputs);
      assert.equal(m.model.classes, c.classes);
      const x = Float32Array.from(c.x);
      assert.deepEqual(Array.from(m.model.predict(x, c.rows)), c.labels);
      assertAbsClose(m.model.predictProba(x, c.rows), c.probabilities, 1e-5, 'probabilities');
      assert.deepEqual(m.classNames, Array.from({ length: c.classes }, (_, i) => String(i)));
      m.model.dispose();
    });

    test(`${c.name}: the layout has PyTorch's keys in PyTorch's order`, () => {
      const options = resolveModelOptions({ inputs: c.inputs, classes: c.classes, hidden: hiddenOf(c.network) });
      const model = Sequential.create(options);
      assert.deepEqual(stateDict(model).map((t) => t.name), c.keys);
      model.dispose();
    });
  }

  test('a whole run config is accepted as the network, and class names can be given', () => {
    const c = cases[0];
    const m = importWeights(bytesOf(c.file), c.file, { network: c.network, train: { epochs: 3 } }, { classNames: ['x', 'y', 'z'] });
    assert.deepEqual(m.classNames, ['x', 'y', 'z']);
    assert.deepEqual(Array.from(m.model.predict(Float32Array.from(c.x), c.rows)), c.labels);
    m.model.dispose();
  });
});

/** The per-layer list a fixture's network object describes (it uses the run config's form). */
function hiddenOf(net: Record<string, unknown>) {
  const widths = net.widths as number[];
  const pick = <T>(v: unknown, i: number, d: T): T => (v === undefined ? d : Array.isArray(v) ? (v[Math.min(i, v.length - 1)] as T) : (v as T));
  return widths.map((width, i) => ({
    width,
    activation: pick(net.activations, i, 'relu') as 'relu',
    batchNorm: pick(net.batchNorm, i, true),
    dropout: pick(net.dropout, i, 0),
  }));
}

describe('PyTorch weights out', () => {
  test('export then import gives the same network bit for bit, with its class names', () => {
    for (const c of cases) {
      const a = importWeights(bytesOf(c.file), c.file, c.network, { classNames: Array.from({ length: c.classes }, (_, i) => `class ${i}`) });
      const out = exportSafetensors(a);
      assert.equal(out.pipeline, null);
      const b = importWeights(out.weights, 'again.safetensors', c.network);
      assert.deepEqual(b.classNames, a.classNames);
      assert.ok(sameBits(a.model.flatValues.data, b.model.flatValues.data), c.name);
      a.model.stateTensors().forEach((s, i) => assert.ok(sameBits(s.value.data, b.model.stateTensors()[i].value.data), s.name));
      a.model.dispose();
      b.model.dispose();
    }
  });

  test('a leaky slope and batch-norm settings other than the defaults survive export and import', () => {
    const options = { inputs: 5, classes: 3, leakySlope: 0.2, batchNormEps: 1e-3, batchNormMomentum: 0.3, hidden: [{ width: 4, activation: 'leaky_relu' as const }] };
    const model = Sequential.create(options, { seed: 4 });
    for (const s of model.stateTensors()) s.value.data.fill(s.name.endsWith('var') ? 0.01 : 0.5);
    const back = importWeights(exportSafetensors({ model, pipeline: null, classNames: ['a', 'b', 'c'] }).weights, 'w', { widths: [4], activations: 'leaky_relu' });
    assert.equal(back.model.options.leakySlope, 0.2);
    assert.equal(back.model.options.batchNormEps, 1e-3);
    assert.equal(back.model.options.batchNormMomentum, 0.3);
    const x = Float32Array.from({ length: 20 }, (_, i) => Math.sin(i) * 3);
    assert.ok(sameBits(back.model.predictProba(x, 4), model.predictProba(x, 4)));
    model.dispose();
    back.model.dispose();
  });

  test('the file is what PyTorch wrote for the same weights: same keys, dtypes, shapes and bytes', () => {
    const c = cases[0];
    const theirs = parseSafetensors(bytesOf(c.file), c.file).tensors;
    const m = importWeights(bytesOf(c.file), c.file, c.network);
    const ours = parseSafetensors(exportSafetensors(m).weights, 'ours').tensors;
    assert.deepEqual([...ours.keys()], [...theirs.keys()]);
    for (const [k, t] of theirs) {
      const o = ours.get(k)!;
      assert.deepEqual([o.dtype, o.shape], [t.dtype, t.shape], k);
      if (t.data) assert.ok(sameBits(o.data!, t.data), k);
    }
    m.model.dispose();
  });

  test('the metadata carries the Python lines that build the matching nn.Sequential', () => {
    const options = resolveModelOptions({
      inputs: 128, classes: 10, leakySlope: 0.2, batchNormEps: 1e-3,
      hidden: [{ width: 64, activation: 'gelu', dropout: 0.5 }, { width: 32, activation: 'leaky_relu', batchNorm: false }, { width: 16, activation: 'gelu_tanh', batchNorm: false }, { width: 8, activation: 'identity', batchNorm: false }],
    });
    assert.equal(
      pytorchSource(options),
      [
        'import torch.nn as nn',
        '',
        'model = nn.Sequential(',
        '    nn.Linear(128, 64),',
        '    nn.BatchNorm1d(64, eps=0.001),',
        '    nn.GELU(),',
        '    nn.Dropout(0.5),',
        '    nn.Linear(64, 32),',
        '    nn.LeakyReLU(0.2),',
        '    nn.Linear(32, 16),',
        "    nn.GELU(approximate='tanh'),",
        '    nn.Linear(16, 8),',
        '    nn.Identity(),',
        '    nn.Linear(8, 10),',
        ')',
        '',
      ].join('\n'),
    );
    assert.deepEqual(pytorchLayout(options).counters, ['1.num_batches_tracked']);
  });

  test('the pre-processing travels in its own file', () => {
    const model = Sequential.create({ inputs: 2, classes: 2, hidden: [] });
    const pipeline = new Pipeline(3, { kind: 'standard', shift: Float64Array.of(1, 2, 3), scale: Float64Array.of(0.5, 0.25, 2) }, { k: 2, mean: Float64Array.of(0.1, 0.2, 0.3), components: Float32Array.of(1, 0, 0, 0, 1, 0), explainedVarianceRatio: [0.5, 0.3] });
    const out = exportSafetensors({ model, pipeline, classNames: ['a', 'b'] });
    const p = parseSafetensors(out.pipeline!, 'p').tensors;
    assert.deepEqual([...p.keys()], ['scaler.shift', 'scaler.scale', 'pca.mean', 'pca.components']);
    assert.deepEqual(Array.from(p.get('scaler.scale')!.data!), [0.5, 0.25, 2]);
    assert.equal(p.get('pca.mean')!.dtype, 'F64');
    assert.deepEqual(p.get('pca.components')!.shape, [2, 3]);
    model.dispose();
  });

  test('layer settings out of range in the metadata are refused, never applied silently', () => {
    const model = Sequential.create({ inputs: 2, classes: 2, hidden: [{ width: 3, activation: 'relu', batchNorm: true, dropout: 0 }] }, { seed: 2 });
    const tensors = parseSafetensors(exportSafetensors({ model, pipeline: null, classNames: ['a', 'b'] }).weights, 'w').tensors;
    const rewrite = (network: string) =>
      writeSafetensors([...tensors.values()].map((t): TensorToWrite => ({ name: t.name, shape: t.shape, data: t.data ?? new BigInt64Array(t.shape.reduce((a, b) => a * b, 1)) })), { format: 'pt', 'mlplab.network': network });
    const net = { widths: [3], activations: 'relu', batchNorm: true };
    assert.throws(() => importWeights(rewrite(JSON.stringify({ ...model.options, batchNormEps: 1e308 })), 'w.safetensors', net), (e: unknown) => e instanceof ModelFormatError && /w\.safetensors: metadata "mlplab\.network"\.batchNormEps: got 1e\+308, expected an epsilon in \(0, 0\.1\]/.test(e.message));
    assert.throws(() => importWeights(rewrite('{"leakySlope": '), 'w.safetensors', net), (e: unknown) => e instanceof ModelFormatError && /metadata "mlplab\.network" is not valid JSON/.test(e.message));
    model.dispose();
  });

  test('import reads the pre-processing file export wrote: the round trip predicts raw rows the same', () => {
    const model = Sequential.create({ inputs: 2, classes: 3, hidden: [{ width: 4, activation: 'relu', batchNorm: true, dropout: 0 }] }, { seed: 5 });
    const pipeline = new Pipeline(3, { kind: 'minmax', shift: Float64Array.of(1, 2, 3), scale: Float64Array.of(0.5, 0.25, 2) }, { k: 2, mean: Float64Array.of(0.1, 0.2, 0.3), components: Float32Array.of(0.6, 0.8, 0, 0, 0.6, 0.8), explainedVarianceRatio: [0.5, 0.3] });
    const out = exportSafetensors({ model, pipeline, classNames: ['a', 'b', 'c'] });
    const network = { widths: [4], activations: 'relu', batchNorm: true };
    const back = importWeights(out.weights, 'w.safetensors', network, { pipeline: { bytes: out.pipeline!, file: 'w.pipeline.safetensors' } });
    assert.equal(back.pipeline!.describe(), pipeline.describe());
    const raw = Float32Array.of(3, -1, 7, 0.5, 2, 9, -4, 4, 1);
    assert.ok(sameBits(back.pipeline!.transform(raw, 3), pipeline.transform(raw, 3)));
    assert.deepEqual(Array.from(back.model.predictProba(back.pipeline!.transform(raw, 3), 3)), Array.from(model.predictProba(pipeline.transform(raw, 3), 3)));
    assert.deepEqual(back.classNames, ['a', 'b', 'c']);
    assert.throws(
      () => importWeights(out.weights, 'w.safetensors', network, { pipeline: { bytes: out.weights, file: 'w.safetensors' } }),
      (e: unknown) => e instanceof ModelFormatError && /w\.safetensors: has no "mlplab\.pipeline" metadata/.test(e.message),
    );
    const wide = exportSafetensors({ model, pipeline: new Pipeline(3, { kind: 'standard', shift: Float64Array.of(0, 0, 0), scale: Float64Array.of(1, 1, 1) }), classNames: ['a', 'b', 'c'] });
    assert.throws(
      () => importWeights(out.weights, 'w.safetensors', network, { pipeline: { bytes: wide.pipeline!, file: 'p.safetensors' } }),
      (e: unknown) => e instanceof ModelFormatError && /p\.safetensors: the pre-processing gives 3 features per row, but the network in w\.safetensors takes 2/.test(e.message),
    );
    model.dispose();
    back.model.dispose();
  });
});

describe('state dicts that do not fit are refused, naming the key', () => {
  const c = cases[0]; // widths [6, 5], relu, batch norm, dropout 0.3; 7 inputs, 3 classes
  const base = () => parseSafetensors(bytesOf(c.file), c.file).tensors;
  const refused = (tensors: ReturnType<typeof base>, pattern: RegExp, network: unknown = c.network) =>
    assert.throws(() => fromStateDict(tensors, network, 'w.safetensors', 'net.json'), (e: unknown) => {
      assert.ok(e instanceof ModelFormatError, String(e));
      assert.match(e.message, /^w\.safetensors: /);
      assert.match(e.message, pattern);
      return true;
    });

  test('a width that differs from the network config', () => {
    refused(base(), /4\.weight: shape \[5, 6\], expected \[4, 6\] for nn\.Linear\(6, 4\) \(module 4 of the network in net\.json\)/, { ...c.network, widths: [6, 4] });
  });

  test('a missing key, and a key the config has no place for', () => {
    const t = base();
    t.delete('5.running_var');
    refused(t, /5\.running_var missing: expected shape \[5\] for nn\.BatchNorm1d\(5\)/);
    refused(base(), /5\.weight: not a key of the network in net\.json \(it has 14 tensors: 0\.weight, /, { ...c.network, dropout: 0 });
    refused(base(), /12\.weight missing: expected the weight of nn\.Linear \(module 12 of the network in net\.json\)/, { ...c.network, widths: [6, 5, 5] });
    // A network given as an object, with no file to name, reads as such.
    assert.throws(
      () => fromStateDict(base(), { ...c.network, dropout: 0 }, 'w.safetensors'),
      (e: unknown) => e instanceof ModelFormatError && /5\.weight: not a key of the network given \(it has 14 tensors/.test(e.message),
    );
  });

  test('an integer tensor where a weight belongs, non-finite values, a negative variance', () => {
    const t = base();
    t.set('0.bias', { ...t.get('0.bias')!, dtype: 'I64', data: null });
    refused(t, /0\.bias: dtype I64, expected a float tensor/);
    const n = base();
    n.get('4.weight')!.data![3] = NaN;
    refused(n, /4\.weight: value 3 is NaN/);
    const v = base();
    v.get('1.running_var')!.data![0] = -1;
    refused(v, /1\.running_var: value 0 is -1/);
  });

  test('num_batches_tracked is ignored when present, not required when absent, and must be an integer', () => {
    const t = base();
    t.delete('1.num_batches_tracked');
    fromStateDict(t, c.network, 'w', 'net.json').dispose();
    const f = base();
    f.set('1.num_batches_tracked', { name: '1.num_batches_tracked', dtype: 'F32', shape: [], data: Float32Array.of(5) });
    refused(f, /1\.num_batches_tracked: dtype F32, expected an integer counter/);
  });

  test('a bad network config is a ConfigError naming the field', () => {
    assert.throws(() => fromStateDict(base(), { ...c.network, activations: 'swish' }, 'w', 'net.json'), (e: unknown) => e instanceof ConfigError && /^net\.json\.activations/.test(e.message));
  });

  test('.npz: float16 weights cannot be used', () => {
    // writeNpy writes '<u2'; the same bytes declared '<f2' are a float16 array.
    const member = zipSync({ '0.weight.npy': patchDescr(writeNpy(new Uint16Array(4), [2, 2]), '<u2', '<f2') });
    assert.throws(() => readStateDict(member, 'w.npz'), /w\.npz: 0\.weight: dtype float16 cannot be used/);
  });
});

function patchDescr(npy: Uint8Array, from: string, to: string): Uint8Array {
  const out = Uint8Array.from(npy);
  const text = new TextDecoder('latin1').decode(out);
  out.set(new TextEncoder().encode(to), text.indexOf(from));
  return out;
}

test('writeSafetensors refuses duplicate names and shapes that do not hold the values', () => {
  const t: TensorToWrite = { name: 'a', shape: [2], data: Float32Array.of(1, 2) };
  assert.throws(() => writeSafetensors([t, t]), RangeError);
  assert.throws(() => writeSafetensors([{ ...t, shape: [3] }]), RangeError);
});
