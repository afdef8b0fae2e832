import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { parseNpy, writeNpy } from '../../src/data/formats/npy.js';
import { parseSafetensors } from '../../src/export/safetensors.js';
import { runOnnx } from '../export/ort.js';
import { mlplab, tempDir, writeStudyFolder } from './helpers.js';

const FIXTURES = new URL('../../../test/fixtures/pytorch/', import.meta.url);

/** A user mistake: exit 1 and one line on stderr, no stack trace. */
function oneLineError(r: ReturnType<typeof mlplab>, pattern: RegExp): void {
  assert.equal(r.status, 1, r.stdout + r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^mlplab: error: /);
  assert.match(lines[0], pattern);
}

describe('mlplab train, then export to ONNX: ONNX Runtime gives the labels of mlplab predict', () => {
  const dir = tempDir();
  const data = join(dir, 'data');
  const run = join(dir, 'run');
  before(() => {
    mkdirSync(data);
    writeStudyFolder(data, { features: 12, classes: 4, train: 400, test: 150 });
    const r = mlplab(['train', '--data', data, '--preset', 'study-default', '--pca', '6', '--scale', 'standard', '--widths', '16,8', '--activations', 'gelu,relu', '--epochs', '3', '--lr', '0.05', '--no-early-stopping', '--out', run]);
    assert.equal(r.status, 0, r.stderr);
  });

  test('export --format onnx, and predict on the raw test rows', async () => {
    const onnxFile = join(dir, 'model.onnx');
    const r = mlplab(['export', '--model', join(run, 'model.json'), '--format', 'onnx', '--out', onnxFile]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /wrote .*model\.onnx \(ONNX opset 17, /);
    assert.match(r.stdout, /input {2}features: float32 \[batch, 12\], raw rows as predict takes them \(standard scaling, then PCA 12 -> 6 inside the graph\)/);
    const predicted = join(dir, 'predicted.npy');
    const p = mlplab(['predict', '--model', join(run, 'model.json'), '--input', join(data, 'test_data.npy'), '--out', predicted]);
    assert.equal(p.status, 0, p.stderr);
    const rows = parseNpy(new Uint8Array(readFileSync(join(data, 'test_data.npy'))), 'test_data.npy');
    const got = await runOnnx(new Uint8Array(readFileSync(onnxFile)), rows.data as Float32Array, 150, 12);
    const expected = parseNpy(new Uint8Array(readFileSync(predicted)), 'predicted.npy').data;
    assert.deepEqual(Array.from(got.label, Number), Array.from(expected));
  });

  test('export --format safetensors writes the state_dict, the pre-processing beside it, and the Python lines', () => {
    const out = join(dir, 'weights.safetensors');
    const r = mlplab(['export', '--model', join(run, 'model.json'), '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /nn\.Linear\(6, 16\),\n {4}nn\.BatchNorm1d\(16\),\n {4}nn\.GELU\(\),/);
    assert.match(r.stdout, /model\.load_state_dict\(load_file\("weights\.safetensors"\)\)/);
    const w = parseSafetensors(new Uint8Array(readFileSync(out)), out);
    assert.deepEqual(w.tensors.get('0.weight')!.shape, [16, 6]);
    const p = parseSafetensors(new Uint8Array(readFileSync(join(dir, 'weights.pipeline.safetensors'))), 'p');
    assert.deepEqual(p.tensors.get('pca.components')!.shape, [6, 12]);
  });

  test('import reads back the pre-processing export wrote beside the weights: evaluate scores the raw test rows as before', () => {
    const net = join(dir, 'net.json');
    writeFileSync(net, JSON.stringify({ widths: [16, 8], activations: ['gelu', 'relu'], batchNorm: true, dropout: 0.5 }));
    const back = join(dir, 'back.json');
    const r = mlplab(['import', join(dir, 'weights.safetensors'), '--network', net, '--out', back]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /read .*weights\.pipeline\.safetensors: the pre-processing \(standard scaling, then PCA 12 -> 6\); the model takes raw rows/);
    const score = (model: string) => /accuracy\s+([\d.]+)/.exec(mlplab(['evaluate', '--model', model, '--data', data]).stdout)?.[1];
    assert.ok(score(back) !== undefined);
    assert.equal(score(back), score(join(run, 'model.json')));
    // Without it (--pipeline none) the network gets raw rows of the wrong width: one clear line.
    const bare = join(dir, 'bare.json');
    assert.equal(mlplab(['import', join(dir, 'weights.safetensors'), '--network', net, '--out', bare, '--pipeline', 'none']).status, 0);
    oneLineError(mlplab(['evaluate', '--model', bare, '--data', data]), /12 features.*6/);
  });

  test('a model file of an unknown version, or an unknown format, is one clear line', () => {
    const doc = JSON.parse(readFileSync(join(run, 'model.json'), 'utf8'));
    const bad = join(dir, 'v9.json');
    writeFileSync(bad, JSON.stringify({ ...doc, version: 9 }));
    oneLineError(mlplab(['export', '--model', bad, '--out', join(dir, 'x.onnx')]), /v9\.json: version: got 9, expected 1 or 2/);
    oneLineError(mlplab(['export', '--model', join(run, 'model.json'), '--out', join(dir, 'x.bin')]), /--format: .*expected onnx or safetensors/);
    oneLineError(mlplab(['export', '--model', join(run, 'model.json'), '--format', 'tflite', '--out', join(dir, 'x.bin')]), /--format: got "tflite", expected onnx or safetensors/);
  });
});

describe('mlplab import: PyTorch weights to an mlplab model with PyTorch\'s predictions', () => {
  const dir = tempDir();
  const cases = JSON.parse(readFileSync(new URL('cases.json', FIXTURES), 'utf8')).cases as { name: string; file: string; network: unknown; inputs: number; rows: number; x: number[]; labels: number[] }[];

  for (const c of cases.filter((k) => k.name === 'relu_bn_dropout' || k.name === 'gelu_tanh_sigmoid')) {
    test(`${c.file}: import, then predict gives PyTorch's labels`, () => {
      const weights = join(dir, c.file);
      copyFileSync(new URL(c.file, FIXTURES), weights);
      const net = join(dir, `${c.name}.json`);
      writeFileSync(net, JSON.stringify(c.network));
      const model = join(dir, `${c.name}.model.json`);
      const r = mlplab(['import', weights, '--network', net, '--out', model, '--class-names', c.name === 'relu_bn_dropout' ? 'a,b,c' : 'x,y,z']);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`layers ${c.inputs} -> `));
      const x = join(dir, `${c.name}.x.npy`);
      writeFileSync(x, writeNpy(Float32Array.from(c.x), [c.rows, c.inputs]));
      const out = join(dir, `${c.name}.pred.npy`);
      const p = mlplab(['predict', '--model', model, '--input', x, '--out', out]);
      assert.equal(p.status, 0, p.stderr);
      assert.deepEqual(Array.from(parseNpy(new Uint8Array(readFileSync(out)), out).data), c.labels);
    });
  }

  test('bad weights or a config that does not fit: one clear line each', () => {
    const c = cases[0];
    const weights = join(dir, 'w.safetensors');
    const bytes = readFileSync(new URL(c.file, FIXTURES));
    const net = join(dir, 'net.json');
    writeFileSync(net, JSON.stringify(c.network));
    writeFileSync(weights, bytes.subarray(0, 100));
    oneLineError(mlplab(['import', weights, '--network', net, '--out', join(dir, 'm.json')]), /w\.safetensors: truncated: the header length says \d+ bytes, but only 92 bytes follow it/);
    const f16 = Buffer.from(bytes);
    f16.write('"F16"', f16.indexOf('"F32"'));
    writeFileSync(weights, f16);
    oneLineError(mlplab(['import', weights, '--network', net, '--out', join(dir, 'm.json')]), /dtype F16 cannot be used/);
    writeFileSync(weights, bytes);
    writeFileSync(net, JSON.stringify({ ...(c.network as object), widths: [6, 4] }));
    oneLineError(mlplab(['import', weights, '--network', net, '--out', join(dir, 'm.json')]), /w\.safetensors: 4\.weight: shape \[5, 6\], expected \[4, 6\] for nn\.Linear\(6, 4\)/);
    oneLineError(mlplab(['import', weights, '--network', join(dir, 'none.json'), '--out', join(dir, 'm.json')]), /--network: got ".*none\.json", expected a readable JSON file/);
    oneLineError(mlplab(['import', join(dir, 'missing.safetensors'), '--network', net, '--out', join(dir, 'm.json')]), /missing\.safetensors/);
  });
});
