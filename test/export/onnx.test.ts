/**
 * Exported ONNX models run in ONNX Runtime (onnxruntime-web, WebAssembly, under Node) on raw
 * rows: the labels are mlplab's and the probabilities within 1e-5, for every activation with
 * batch norm on and off, every kind of pre-processing, and a model trained on Fashion-MNIST.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import onnxProto from 'onnx-proto';
import { loadSource } from '../../src/data/files.js';
import { Pipeline } from '../../src/data/pipeline.js';
import { prepare } from '../../src/data/prepare.js';
import { selectRows } from '../../src/data/dataset.js';
import { ShapeError } from '../../src/errors.js';
import { exportOnnx, ONNX_OPSET } from '../../src/export/onnx.js';
import { Sequential } from '../../src/nn/model.js';
import { decodeModelFile, encodeModelFile, type ModelFileContents } from '../../src/run/model-file.js';
import { ACTIVATIONS } from '../../src/tensor/backend.js';
import { fit } from '../../src/train/fit.js';
import { assertAbsClose, lcg } from '../helpers.js';
import { runOnnx } from './ort.js';

const { onnx } = onnxProto;

function normal(rand: () => number): number {
  let u = 0;
  while (u === 0) u = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

type PipelineKind = 'none' | 'standard' | 'minmax' | 'pca' | 'standard+pca';
const PIPELINES: PipelineKind[] = ['none', 'standard', 'minmax', 'pca', 'standard+pca'];

/** A pipeline with arbitrary (not fitted) values of the given kind over `d` raw columns, giving `k` columns with PCA. */
function makePipeline(kind: PipelineKind, d: number, k: number, rand: () => number): Pipeline | null {
  if (kind === 'none') return null;
  const scaler = kind.startsWith('standard') || kind === 'minmax'
    ? {
        kind: kind === 'minmax' ? ('minmax' as const) : ('standard' as const),
        shift: Float64Array.from({ length: d }, () => 3 * normal(rand)),
        scale: Float64Array.from({ length: d }, () => 0.2 + 2 * rand()),
      }
    : null;
  const pca = kind.endsWith('pca')
    ? {
        k,
        mean: Float64Array.from({ length: d }, () => normal(rand)),
        components: Float32Array.from({ length: k * d }, () => normal(rand) / Math.sqrt(d)),
        explainedVarianceRatio: Array.from({ length: k }, () => 1 / (2 * k)),
      }
    : null;
  return new Pipeline(d, scaler, pca);
}

/** A small model whose every parameter and batch-norm statistic has a non-trivial value. */
function makeModel(inputs: number, activation: (typeof ACTIVATIONS)[number], batchNorm: boolean, rand: () => number): Sequential {
  const model = Sequential.create(
    {
      inputs,
      classes: 5,
      hidden: [
        { width: 16, activation, batchNorm, dropout: 0 },
        { width: 9, activation, batchNorm, dropout: 0.3 },
      ],
      leakySlope: 0.07,
      batchNormEps: 1e-3,
    },
    { seed: 7 },
  );
  for (const p of model.params) {
    const d = p.value.data;
    if (p.name.endsWith('batchnorm.weight')) for (let i = 0; i < d.length; i++) d[i] = 0.5 + rand();
    else if (p.name.endsWith('bias')) for (let i = 0; i < d.length; i++) d[i] = 0.3 * normal(rand);
    else for (let i = 0; i < d.length; i++) d[i] *= 1.5;
  }
  for (const s of model.stateTensors()) {
    const d = s.value.data;
    for (let i = 0; i < d.length; i++) d[i] = s.name.endsWith('running_var') ? 0.2 + 3 * rand() : normal(rand);
  }
  return model;
}

/** mlplab's own labels and probabilities for raw rows, as `mlplab predict` computes them. */
function mlplabPredict(c: ModelFileContents, raw: Float32Array, rows: number) {
  const x = c.pipeline ? c.pipeline.transform(raw, rows) : raw;
  return { probabilities: c.model.predictProba(x, rows), labels: c.model.predict(x, rows) };
}

async function assertSameAsMlplab(c: ModelFileContents, raw: Float32Array, rows: number, what: string): Promise<void> {
  const cols = c.pipeline ? c.pipeline.inputCols : c.model.inputs;
  const expected = mlplabPredict(c, raw, rows);
  const got = await runOnnx(exportOnnx(c), raw, rows, cols);
  assert.deepEqual(Array.from(got.label, Number), Array.from(expected.labels), `${what}: labels`);
  assertAbsClose(got.probabilities, expected.probabilities, 1e-5, `${what}: probabilities`);
}

describe('ONNX export run by ONNX Runtime', () => {
  let n = 0;
  for (const activation of ACTIVATIONS) {
    for (const batchNorm of [true, false]) {
      const kind = PIPELINES[n++ % PIPELINES.length];
      test(`${activation}, batch norm ${batchNorm ? 'on' : 'off'}, pre-processing ${kind}`, async () => {
        const rand = lcg(1000 + n);
        const d = 20, k = 12;
        const pipeline = makePipeline(kind, d, k, rand);
        const model = makeModel(pipeline ? pipeline.outputCols : d, activation, batchNorm, rand);
        const rows = 64;
        const raw = Float32Array.from({ length: rows * d }, () => 3 * normal(rand) + 1);
        const c = { model, pipeline, classNames: ['a', 'b', 'c', 'd', 'e'] };
        await assertSameAsMlplab(c, raw, rows, `${activation}/${batchNorm}/${kind}`);
        model.dispose();
      });
    }
  }

  test('a network without hidden layers (logistic regression)', async () => {
    const rand = lcg(5);
    const model = Sequential.create({ inputs: 6, classes: 3, hidden: [] }, { seed: 2 });
    const raw = Float32Array.from({ length: 30 * 6 }, () => 2 * normal(rand));
    await assertSameAsMlplab({ model, pipeline: null, classNames: ['x', 'y', 'z'] }, raw, 30, 'logistic');
    model.dispose();
  });

  test('a model trained on Fashion-MNIST, through its model file, on 300 raw test rows', async () => {
    const all = await loadSource('fashion-mnist');
    const rows = Int32Array.from({ length: 3000 }, (_, i) => i);
    const raw = { train: selectRows(all.train, rows), test: all.test };
    const data = prepare(raw, { scale: 'standard', pca: 24, seed: 1 });
    const model = Sequential.create(
      { inputs: data.train.cols, classes: 10, hidden: [{ width: 32, activation: 'gelu', batchNorm: true, dropout: 0.2 }, { width: 16, activation: 'relu', batchNorm: true }] },
      { seed: 1 },
    );
    await fit(model, data.train, data.val, { train: { epochs: 3, learningRate: 0.05, momentum: 0.9, batchSize: 64, seed: 1 } });
    const file = await encodeModelFile({ model, pipeline: data.pipeline, classNames: data.classNames });
    model.dispose();
    const loaded = await decodeModelFile(file, 'model.json');
    const test300 = all.test!.features.subarray(0, 300 * 784);
    const expected = mlplabPredict(loaded, test300, 300);
    const got = await runOnnx(exportOnnx(loaded), test300, 300, 784);
    assert.deepEqual(Array.from(got.label, Number), Array.from(expected.labels));
    assertAbsClose(got.probabilities, expected.probabilities, 1e-5, 'probabilities');
    // The model learned something: the comparison is not between two constant outputs.
    const correct = expected.labels.filter((c, i) => c === all.test!.labels[i]).length;
    assert.ok(correct / 300 > 0.6, `accuracy ${correct / 300}`);
    loaded.model.dispose();
  });
});

describe('the ONNX file', () => {
  const rand = lcg(3);
  const pipeline = makePipeline('standard+pca', 10, 4, rand)!;
  const model = makeModel(4, 'gelu', true, rand);
  const classNames = ['cat', 'dog, small', 'bird', '"quoted"', 'émeu'];
  const bytes = exportOnnx({ model, pipeline, classNames }, { producerVersion: '9.9.9', metadata: { note: 'hello' } });
  const decoded = onnx.ModelProto.decode(bytes);

  test('declares opset 17, IR version 8, the producer, and the input and output shapes', () => {
    assert.equal(decoded.opsetImport.length, 1);
    assert.equal(Number(decoded.opsetImport[0].version), ONNX_OPSET);
    assert.equal(decoded.opsetImport[0].domain, '');
    assert.equal(Number(decoded.irVersion), 8);
    assert.equal(decoded.producerName, 'mlplab');
    assert.equal(decoded.producerVersion, '9.9.9');
    const graph = decoded.graph!;
    const dims = (v: onnxProto.onnx.IValueInfoProto) => v.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));
    assert.deepEqual(graph.input!.map((v) => v.name), ['features']);
    assert.deepEqual(dims(graph.input![0]), ['batch', 10]);
    assert.deepEqual(graph.output!.map((v) => v.name), ['probabilities', 'label']);
    assert.deepEqual(dims(graph.output![0]), ['batch', 5]);
    assert.deepEqual(dims(graph.output![1]), ['batch']);
    assert.equal(graph.output![1].type!.tensorType!.elemType, onnx.TensorProto.DataType.INT64);
  });

  test('keeps the class names (and extra metadata) in metadata_props', () => {
    const meta = Object.fromEntries(decoded.metadataProps.map((p) => [p.key, p.value]));
    assert.deepEqual(JSON.parse(meta.class_names!), classNames);
    assert.equal(meta['mlplab.preprocessing'], 'standard scaling, then PCA 10 -> 4');
    assert.equal(meta.note, 'hello');
    assert.equal(JSON.parse(meta['mlplab.network']!).hidden[0].activation, 'gelu');
  });

  test('uses only standard operators: pre-processing as Sub/Mul/MatMul, batch norm, GELU through Erf, no dropout', () => {
    const ops = decoded.graph!.node!.map((n) => n.opType);
    assert.deepEqual(ops.slice(0, 6), ['Cast', 'Sub', 'Mul', 'Sub', 'Cast', 'MatMul']);
    assert.ok(ops.includes('BatchNormalization'));
    assert.ok(ops.includes('Erf'));
    assert.ok(!ops.includes('Dropout'));
    assert.deepEqual(ops.slice(-2), ['Softmax', 'ArgMax']);
    for (const op of ops) assert.ok(['Cast', 'Sub', 'Mul', 'MatMul', 'Gemm', 'BatchNormalization', 'Erf', 'Add', 'Softmax', 'ArgMax'].includes(String(op)), String(op));
  });

  test('is the same bytes every time', () => {
    assert.deepEqual(exportOnnx({ model, pipeline, classNames }, { producerVersion: '9.9.9', metadata: { note: 'hello' } }), bytes);
  });

  test('refuses parts that do not fit together', () => {
    assert.throws(() => exportOnnx({ model, pipeline, classNames: ['a'] }), ShapeError);
    assert.throws(() => exportOnnx({ model, pipeline: makePipeline('pca', 10, 6, rand), classNames }), ShapeError);
  });
});
