/**
 * ONNX export of regression models run in ONNX Runtime against mlplab's own predictions
 * (`predictValues`, `ensembleValues`, the Predictor): one `value` per row in the target's units,
 * the target scaling, pre-processing, table encoder and seed ensemble inside the graph.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-web';
import { Pipeline } from '../../src/data/pipeline.js';
import { fromRecords, type Cell } from '../../src/data/table/records.js';
import { ShapeError } from '../../src/errors.js';
import { exportOnnx } from '../../src/export/onnx.js';
import type { ModelOptions } from '../../src/nn/config.js';
import { Sequential } from '../../src/nn/model.js';
import { regressionScores } from '../../src/metrics/regression.js';
import { decodeModelFile, encodeModelFile, ensembleValues, type ModelFileContents } from '../../src/run/model-file.js';
import { runExperiment } from '../../src/run/experiment.js';
import { predictor } from '../../src/run/predictor.js';
import { ACTIVATIONS } from '../../src/tensor/backend.js';
import { lcg } from '../helpers.js';
import { tableFeeds, type OnnxFeed } from './ort.js'; // ONNX Runtime set up for Node (WebAssembly files from node_modules, one thread)

const { onnx } = onnxProto;
type Row = Record<string, Cell>;

/** Run a regression graph: checks its one output is `value`, float32 [rows, 1], and returns it. */
async function runValue(bytes: Uint8Array, feeds: Record<string, OnnxFeed>, rows: number): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    assert.deepEqual([...session.inputNames], Object.keys(feeds));
    assert.deepEqual([...session.outputNames], ['value']);
    const tensors: Record<string, ort.Tensor> = {};
    for (const [name, f] of Object.entries(feeds)) tensors[name] = f.type === 'float32' ? new ort.Tensor('float32', f.data, f.dims) : new ort.Tensor('string', f.data, f.dims);
    const v = (await session.run(tensors)).value;
    assert.equal(v.type, 'float32');
    assert.deepEqual(v.dims, [rows, 1]);
    return v.data as Float32Array;
  } finally {
    await session.release();
  }
}

/**
 * ONNX Runtime's values are mlplab's to float32 precision: the networks' float32 outputs differ
 * by summation order only, so the gap is within 1e-5 of the target's spread (std) plus the final
 * float32 rounding of the value.
 */
function assertValuesClose(got: Float32Array, expected: Float64Array, std: number, what: string): void {
  assert.equal(got.length, expected.length, what);
  const bad: string[] = [];
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(got[i] - expected[i]) <= 1e-5 * std + 1.2e-7 * Math.abs(expected[i]))) bad.push(`[${i}] ${got[i]} vs ${expected[i]}`);
  }
  assert.deepEqual(bad.slice(0, 8), [], `${what}: ${bad.length} of ${expected.length} values differ`);
}

function normal(rand: () => number): number {
  let u = 0;
  while (u === 0) u = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/** A network's parameters and batch-norm statistics set to non-trivial values. */
function shake(model: Sequential, rand: () => number): Sequential {
  for (const p of model.params) for (let i = 0; i < p.value.data.length; i++) p.value.data[i] += 0.3 * normal(rand);
  for (const s of model.stateTensors()) for (let i = 0; i < s.value.data.length; i++) s.value.data[i] = s.name.endsWith('running_var') ? 0.3 + 2 * rand() : 0.5 * normal(rand);
  return model;
}

const features = (raw: Float32Array, rows: number, cols: number): Record<string, OnnxFeed> => ({ features: { type: 'float32', data: raw, dims: [rows, cols] } });

describe('ONNX export of a regression network, run by ONNX Runtime', () => {
  const target = { mean: 312.5, std: 47.25 };
  let n = 0;
  for (const activation of ACTIVATIONS) {
    const kind = (['none', 'standard', 'standard+pca', 'minmax'] as const)[n++ % 4];
    test(`${activation}, batch norm, pre-processing ${kind}: value = output x std + mean, as predictValues`, async () => {
      const rand = lcg(500 + n);
      const d = 9, k = 5;
      const scaler = kind === 'none' ? null : { kind: kind === 'minmax' ? ('minmax' as const) : ('standard' as const), shift: Float64Array.from({ length: d }, () => 2 * normal(rand)), scale: Float64Array.from({ length: d }, () => 0.3 + rand()) };
      const pca = kind === 'standard+pca'
        ? { k, mean: Float64Array.from({ length: d }, () => normal(rand)), components: Float32Array.from({ length: k * d }, () => normal(rand) / 3), explainedVarianceRatio: Array(k).fill(0.1) }
        : null;
      const pipeline = scaler ? new Pipeline(d, scaler, pca) : null;
      const options: ModelOptions = {
        task: 'regress',
        inputs: pipeline ? pipeline.outputCols : d,
        target,
        leakySlope: 0.05,
        hidden: [{ width: 12, activation, batchNorm: true, dropout: 0.2 }, { width: 6, activation, batchNorm: n % 2 === 0 }],
      };
      const model = shake(Sequential.create(options, { seed: n }), rand);
      const rows = 50;
      const raw = Float32Array.from({ length: rows * d }, () => 2 * normal(rand) + 0.5);
      const expected = model.predictValues(pipeline ? pipeline.transform(raw, rows) : raw, rows);
      // The values spread over several standard deviations: not a constant compared with a constant.
      assert.ok(Math.max(...expected) - Math.min(...expected) > target.std / 20, `spread of ${activation}`);
      assertValuesClose(await runValue(exportOnnx({ model, pipeline, classNames: ['price'] }), features(raw, rows, d), rows), expected, target.std, activation);
      model.dispose();
    });
  }

  test('a network without hidden layers (linear regression) and no target scaling in its options', async () => {
    const rand = lcg(8);
    const model = shake(Sequential.create({ task: 'regress', inputs: 4, hidden: [] }, { seed: 1 }), rand);
    const raw = Float32Array.from({ length: 40 }, () => 3 * normal(rand));
    const expected = model.predictValues(raw, 10);
    assertValuesClose(await runValue(exportOnnx({ model, pipeline: null, classNames: ['target'] }), features(raw, 10, 4), 10), expected, 1, 'linear');
    model.dispose();
  });
});

describe('the ONNX file of a regression model', () => {
  const rand = lcg(41);
  const options: ModelOptions = { task: 'regress', inputs: 6, target: { mean: -3.5, std: 0.125 }, hidden: [{ width: 5, activation: 'gelu', batchNorm: true, dropout: 0 }] };
  const model = shake(Sequential.create(options, { seed: 2 }), rand);
  const members = [3, 4].map((seed) => shake(Sequential.create(options, { seed }), rand));
  const pipeline = new Pipeline(6, { kind: 'standard', shift: Float64Array.from({ length: 6 }, () => normal(rand)), scale: Float64Array.from({ length: 6 }, () => 0.5 + rand()) }, null);
  const c: ModelFileContents = { model, members, pipeline, classNames: ['yield (t/ha)'] };
  after(() => [model, ...members].forEach((m) => m.dispose()));

  test('one output, value: float32 [batch, 1]; no Softmax or ArgMax; the mean and the scaling in float64', () => {
    const decoded = onnx.ModelProto.decode(exportOnnx(c));
    const graph = decoded.graph!;
    assert.equal(graph.name, 'mlplab_regressor');
    assert.deepEqual(graph.output!.map((v) => v.name), ['value']);
    const out = graph.output![0].type!.tensorType!;
    assert.equal(out.elemType, onnx.TensorProto.DataType.FLOAT);
    assert.deepEqual(out.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue)), ['batch', 1]);
    const ops = graph.node!.map((n) => n.opType);
    assert.ok(!ops.includes('Softmax') && !ops.includes('ArgMax'));
    assert.equal(ops.filter((o) => o === 'Gemm').length, 6);
    assert.deepEqual(ops.slice(-9), ['Cast', 'Cast', 'Cast', 'Add', 'Add', 'Div', 'Mul', 'Add', 'Cast']);
    const init = (name: string) => graph.initializer!.find((t) => t.name === name)!;
    assert.equal(init('target.std').dataType, onnx.TensorProto.DataType.DOUBLE);
    assert.equal(Buffer.from(init('target.std').rawData!).readDoubleLE(0), 0.125);
    assert.equal(Buffer.from(init('target.mean').rawData!).readDoubleLE(0), -3.5);
    assert.match(decoded.docString!, /^Seed ensemble of 3 MLP regressors \(mean of their predictions\) trained by mlplab\. .* Output value: float32 \[batch, 1\], the predicted "yield \(t\/ha\)" in the target's units/);
  });

  test('the metadata names the target and its moments, not class names', () => {
    const meta = Object.fromEntries(onnx.ModelProto.decode(exportOnnx(c)).metadataProps.map((p) => [p.key, p.value]));
    assert.equal(meta.target_name, 'yield (t/ha)');
    assert.equal(meta['mlplab.task'], 'regress');
    assert.deepEqual(JSON.parse(meta['mlplab.target']!), { mean: -3.5, std: 0.125 });
    assert.equal(meta.class_names, undefined);
    assert.equal(meta['mlplab.ensemble'], '3');
    assert.equal(JSON.parse(meta['mlplab.network']!).task, 'regress');
  });

  test(`a seed ensemble's value is the mean of its networks' predictions (ensembleValues)`, async () => {
    const rows = 60;
    const raw = Float32Array.from({ length: rows * 6 }, () => 2 * normal(rand));
    const x = pipeline.transform(raw, rows);
    const expected = ensembleValues(c, x, rows);
    assertValuesClose(await runValue(exportOnnx(c), features(raw, rows, 6), rows), expected, 0.125, 'ensemble');
    const first = model.predictValues(x, rows);
    assert.ok(first.some((v, i) => Math.abs(v - expected[i]) > 0.01), 'the mean is not the first network');
  });

  test('members with another target scaling, or a classifier among them, are refused', () => {
    const other = Sequential.create({ ...options, target: { mean: -3.5, std: 0.25 } }, { seed: 5 });
    assert.throws(() => exportOnnx({ ...c, members: [other] }), (e: unknown) => e instanceof ShapeError && /ensemble member 1 has task regress, target \{"mean":-3\.5,"std":0\.25\}; the first network task regress, target \{"mean":-3\.5,"std":0\.125\}/.test(e.message));
    const classifier = Sequential.create({ inputs: 6, classes: 2, hidden: [{ width: 5 }] }, { seed: 5 });
    assert.throws(() => exportOnnx({ model: classifier, members: [model], pipeline, classNames: ['a', 'b'] }), ShapeError);
    assert.throws(() => exportOnnx({ ...c, classNames: ['a', 'b'] }), /2 class names for a network with 1 classes/);
    other.dispose();
    classifier.dispose();
  });
});

/** Rows with a price to predict from a text column with rare values and blanks, a yes/no column, numbers with blanks. */
function houses(n: number, rand: () => number): Row[] {
  const out: Row[] = [];
  for (let r = 0; r < n; r++) {
    const u = rand();
    const town = r === 3 || r === 90 ? 'Oldbridge' : u < 0.06 ? null : u < 0.4 ? 'Riverside' : u < 0.7 ? 'Hilltop' : 'Centre';
    const garden = rand() < 0.07 ? null : rand() < 0.5 ? 'yes' : 'no';
    const area = rand() < 0.1 ? null : Math.round(60 + 40 * Math.abs(normal(rand)));
    const rooms = 1 + Math.floor(5 * rand());
    const base = 1500 * (area ?? 90) + 20000 * rooms + (town === 'Centre' ? 90000 : town === 'Hilltop' ? 40000 : 0) + (garden === 'yes' ? 25000 : 0);
    out.push({ town, garden, 'area (m2)': area, rooms, value: r === 7 ? 'n/a' : r % 2 ? `v${r % 3}` : null, price: Math.round(base + 15000 * normal(rand)) });
  }
  return out;
}

describe('ONNX export of a regression table model trained by runExperiment', () => {
  let decoded: Awaited<ReturnType<typeof decodeModelFile>>;
  const training = houses(400, lcg(51));

  before(async () => {
    const data = fromRecords(training, { label: 'price', task: 'regress' });
    const result = await runExperiment({ network: { widths: [16, 8] }, train: { epochs: 40, ensemble: 3, learningRate: 0.01 } }, data);
    result.model.dispose();
    for (const m of result.members ?? []) m.dispose();
    decoded = await decodeModelFile(result.modelFile, 'model.json');
  });
  after(() => predictor(decoded).dispose());

  test('a regression ensemble of 3 over text, yes/no and numeric columns with blanks; the column named value is not the output', () => {
    assert.equal(decoded.model.task, 'regress');
    assert.equal(decoded.members!.length, 2);
    assert.deepEqual(decoded.classNames, ['price']);
    const roles = Object.fromEntries(decoded.table!.meta.columns.map((c) => [c.name, c.role]));
    assert.deepEqual(roles, { town: 'categorical', garden: 'boolean', 'area (m2)': 'numeric', rooms: 'numeric', value: 'categorical' });
    const inputs = onnx.ModelProto.decode(exportOnnx(decoded)).graph!.input!.map((v) => v.name);
    assert.deepEqual(inputs, ['town', 'garden', 'area_m2', 'rooms', 'value_2']);
  });

  test(`gives the Predictor's values on the training rows, and the model learned the price`, async () => {
    const records = training.map(({ price: _, ...r }) => r);
    const expected = predictor(decoded).predictValues(fromRecords(records));
    const actual = Float64Array.from(training, (r) => r.price as number);
    assert.ok(regressionScores(actual, expected).r2 > 0.7, `R² ${regressionScores(actual, expected).r2}`);
    assertValuesClose(await runValue(exportOnnx(decoded), tableFeeds(decoded, records), records.length), expected, decoded.model.options.target!.std, 'training rows');
  });

  test(`gives the Predictor's values on rows with unseen towns, every spelling of a blank, yes/no in any case`, async () => {
    const rand = lcg(52);
    const towns: Cell[] = ['Riverside', 'Hilltop', 'Centre', 'Oldbridge', 'Atlantis', null, '', 'NA', 'None', 'NULL', '?'];
    const gardens: Cell[] = ['yes', 'NO', 'Yes', null, '', 'n/a', 'perhaps'];
    const records: Row[] = Array.from({ length: 44 }, (_, r) => ({
      town: towns[r % towns.length],
      garden: gardens[r % gardens.length],
      'area (m2)': r % 4 === 0 ? null : r % 9 === 1 ? Infinity : Math.round(60 + 50 * rand()),
      rooms: r % 6 === 0 ? null : 1 + (r % 5),
      value: [null, 'v1', 'v2', 'zzz'][r % 4],
    }));
    const p = predictor(decoded);
    const { counts } = p.encode(fromRecords(records));
    assert.ok(counts!.unknown.get('town')!.rows > 0, 'unseen towns met');
    for (const c of ['town', 'garden', 'area (m2)', 'rooms']) assert.ok((counts!.imputed.get(c) ?? 0) > 0, `blanks in ${c}`);
    const expected = p.predictValues(fromRecords(records));
    assertValuesClose(await runValue(exportOnnx(decoded), tableFeeds(decoded, records), records.length), expected, decoded.model.options.target!.std, 'new rows');
  });

  test('the model file round trip exports the same bytes', async () => {
    const again = await decodeModelFile(await encodeModelFile(decoded), 'again.json');
    try {
      assert.deepEqual(exportOnnx(again), exportOnnx(decoded));
    } finally {
      predictor(again).dispose();
    }
  });
});
