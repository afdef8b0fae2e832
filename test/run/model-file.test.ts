import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { PRESETS, networkToModelOptions, resolveRun } from '../../src/run/spec.js';
import { Pipeline } from '../../src/data/pipeline.js';
import { prepare } from '../../src/data/prepare.js';
import { ModelFormatError, ShapeError } from '../../src/errors.js';
import { Sequential } from '../../src/nn/model.js';
import { modelToJSON } from '../../src/nn/serialize.js';
import { decodeModelFile, encodeModelFile, type ModelFileContents } from '../../src/run/model-file.js';
import { Rng } from '../../src/tensor/rng.js';
import { ReferenceBackend } from '../../src/tensor/reference.js';
import { fit } from '../../src/train/fit.js';
import { BACKENDS, gaussianBlobs, sameBits } from '../helpers.js';

interface Doc {
  format: string;
  version: number;
  model: Record<string, unknown>;
  extras: Record<string, unknown>;
  tensors: { name: string; shape: number[]; dtype: string; data: string }[];
  checksum?: string;
}

/** The documented checksum: sha256 of the document serialised without its checksum field. */
function withChecksum(doc: Doc): string {
  const { checksum: _old, ...rest } = doc;
  return JSON.stringify({ ...rest, checksum: `sha256:${createHash('sha256').update(JSON.stringify(rest)).digest('hex')}` });
}

const base64Of = (data: Float32Array | Float64Array) => Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');

// Raw rows: 24 features, 3 classes; standard scaling then PCA to 8, fitted on the training part.
const raw = gaussianBlobs(300, 24, 3, 5, 0.5);
const rows = 40;
const newRows = raw.features.subarray(0, rows * 24);

async function trainedFile(backend = BACKENDS[0].backend): Promise<ModelFileContents> {
  const prepared = prepare({ train: { ...raw, source: 'blobs' }, test: null }, { scale: 'standard', pca: 8, valFraction: 0, seed: 1 });
  const model = Sequential.create({ inputs: 8, classes: 3, hidden: [{ width: 10, batchNorm: true, dropout: 0.1 }] }, { seed: 2, backend, capacity: rows });
  await fit(model, prepared.train, null, { train: { epochs: 2, batchSize: 32, learningRate: 0.05 } });
  return { model, pipeline: prepared.pipeline, classNames: ['red', 'green', 'blue'], run: { note: 'blobs', widths: [10] }, source: 'blobs', epoch: 2 };
}

function predict(c: ModelFileContents, backend = BACKENDS[0].backend): Float32Array {
  return c.model.predictProba(c.pipeline!.transform(newRows, rows, backend), rows);
}

for (const { name: backendName, backend } of BACKENDS) {
  test(`[${backendName}] a model file round trip predicts bit-identically on raw rows (standard scaling + PCA)`, async () => {
    const original = await trainedFile(backend);
    const before = predict(original, backend);
    const text = await encodeModelFile(original);
    const loaded = await decodeModelFile(text, 'model.json', backend);
    assert.ok(sameBits(predict(loaded, backend), before), 'probabilities');
    assert.ok(sameBits(loaded.pipeline!.transform(newRows, rows, backend), original.pipeline!.transform(newRows, rows, backend)), 'transformed rows');
    assert.deepEqual(loaded.pipeline!.scaler, original.pipeline!.scaler);
    assert.deepEqual(loaded.pipeline!.pca, original.pipeline!.pca);
    assert.deepEqual(loaded.classNames, original.classNames);
    assert.deepEqual(loaded.run, original.run);
    assert.equal(loaded.source, 'blobs');
    assert.equal(loaded.epoch, 2);
    assert.deepEqual(loaded.extras, { classNames: original.classNames, pipeline: original.pipeline!.toTensors().meta, run: original.run, source: 'blobs', epoch: 2 });
    assert.equal(await encodeModelFile(loaded), text, 'saving the loaded contents gives the same file');
    original.model.dispose();
    loaded.model.dispose();
  });
}

test('the file keeps the pipeline as meta JSON in extras and its arrays as tensors', async () => {
  const c = await trainedFile();
  const doc = JSON.parse(await encodeModelFile(c)) as Doc;
  assert.equal(doc.version, 2);
  assert.deepEqual(Object.keys(doc.extras), ['classNames', 'pipeline', 'run', 'source', 'epoch']);
  assert.deepEqual(doc.extras.pipeline, c.pipeline!.toTensors().meta);
  const extra = doc.tensors.slice(-4);
  assert.deepEqual(extra.map((t) => [t.name, t.shape, t.dtype]), [
    ['pipeline.scaler.shift', [24], 'float64'],
    ['pipeline.scaler.scale', [24], 'float64'],
    ['pipeline.pca.mean', [24], 'float64'],
    ['pipeline.pca.components', [8, 24], 'float32'],
  ]);
  assert.equal(extra[3].data, base64Of(c.pipeline!.pca!.components));
  assert.equal(extra[0].data, base64Of(c.pipeline!.scaler!.shift));
  c.model.dispose();
});

test("the final preset's file with PCA 784 -> 128 is the floats as base64 plus a little JSON, under a third of version 1's size", async () => {
  const rng = new Rng(11);
  const d = 784, k = 128;
  const vector = () => Float64Array.from({ length: d }, () => rng.normal());
  const pipeline = new Pipeline(
    d,
    { kind: 'standard', shift: vector(), scale: vector() },
    { k, mean: vector(), components: Float32Array.from({ length: k * d }, () => rng.normal() / 28), explainedVarianceRatio: Array.from({ length: k }, (_, i) => 0.2 / (i + 1)) },
  );
  const run = resolveRun(PRESETS.final);
  const model = Sequential.create(networkToModelOptions(run.network, k, 10), { seed: 1, backend: new ReferenceBackend() });
  const classNames = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
  const text = await encodeModelFile({ model, pipeline, classNames, run, source: 'fashion-mnist', epoch: 1 });
  // The floats as base64: 4 bytes per float32 and 8 per float64 value, 4 characters per 3 bytes.
  const b64 = (bytes: number) => Math.ceil(bytes / 3) * 4;
  const network = [...model.params.map((p) => p.value.size), ...model.stateTensors().map((s) => s.value.size)].reduce((a, n) => a + b64(n * 4), 0);
  const floats = network + 3 * b64(d * 8) + b64(k * d * 4);
  assert.equal(floats, 139_688 + 3 * 8_364 + 535_212, 'network, scaler and PCA mean, PCA components');
  assert.ok(text.length > floats && text.length < floats + 8_000, `${text.length} characters: the floats plus under 8 KB of JSON`);
  // 699,992 characters of base64 and about 5 KB of JSON: 705 KB (688 KiB), against 2.3 MB in version 1.
  assert.ok(text.length < 710_000, `${text.length} characters`);
  // Version 1 kept the pipeline as JSON numbers: over three times as large.
  const v1Style = await modelToJSON(model, { classNames, pipeline: pipeline.toJSON(), run, source: 'fashion-mnist', epoch: 1 });
  assert.ok(v1Style.length > 3 * text.length, `${v1Style.length} vs ${text.length}`);
  model.dispose();
});

test('a version 1 file (pipeline as JSON numbers) reads like a version 2 one and predicts as it did', async () => {
  const fixture = (name: string) => readFileSync(new URL(`../../../test/run/fixtures/${name}`, import.meta.url), 'utf8');
  const expected = JSON.parse(fixture('model-v1-expected.json')) as { rows: number; cols: number; inputs: number[]; probabilities: number[] };
  const text = fixture('model-v1.json');
  assert.equal((JSON.parse(text) as Doc).version, 1);
  const backend = new ReferenceBackend();
  const v1 = await decodeModelFile(text, 'model-v1.json', backend);
  const x = Float32Array.from(expected.inputs);
  const probabilities = v1.model.predictProba(v1.pipeline!.transform(x, expected.rows, backend), expected.rows);
  assert.ok(sameBits(probabilities, Float32Array.from(expected.probabilities)), 'the probabilities recorded when the file was written');
  assert.deepEqual(v1.classNames, ['low', 'mid', 'high']);
  assert.equal(v1.source, 'fixture');
  assert.equal(v1.epoch, 2);
  assert.deepEqual(v1.extras.pipeline, v1.pipeline!.toTensors().meta, 'extras.pipeline is the meta, as in version 2');
  // Re-saved, it is a version 2 file that decodes to the same contents.
  const resaved = await encodeModelFile(v1);
  assert.equal((JSON.parse(resaved) as Doc).version, 2);
  assert.ok(resaved.length < text.length);
  const v2 = await decodeModelFile(resaved, 'model.json', backend);
  assert.deepEqual({ ...v2, model: null, pipeline: null }, { ...v1, model: null, pipeline: null });
  assert.deepEqual(v2.pipeline, v1.pipeline);
  assert.ok(sameBits(v2.model.predictProba(v2.pipeline!.transform(x, expected.rows, backend), expected.rows), probabilities));
  v1.model.dispose();
  v2.model.dispose();
});

test('a file without class names or pipeline gets names 0 .. K-1 and no pre-processing', async () => {
  const model = Sequential.create({ inputs: 3, classes: 4, hidden: [] }, { backend: BACKENDS[0].backend });
  const bare = await decodeModelFile(await modelToJSON(model), 'bare.json');
  assert.deepEqual(bare.classNames, ['0', '1', '2', '3']);
  assert.equal(bare.pipeline, null);
  assert.equal(bare.run, undefined);
  const none = await decodeModelFile(await encodeModelFile({ model, pipeline: null, classNames: ['a', 'b', 'c', 'd'] }), 'none.json');
  assert.equal(none.pipeline, null);
  assert.deepEqual(none.extras, { classNames: ['a', 'b', 'c', 'd'], pipeline: null });
  model.dispose();
  bare.model.dispose();
  none.model.dispose();
});

test('encodeModelFile refuses parts that do not fit together', async () => {
  const model = Sequential.create({ inputs: 3, classes: 2, hidden: [] }, { backend: BACKENDS[0].backend });
  await assert.rejects(encodeModelFile({ model, pipeline: null, classNames: ['a'] }), (e: unknown) => e instanceof ShapeError && /1 class names for a network with 2 classes/.test(e.message));
  await assert.rejects(encodeModelFile({ model, pipeline: new Pipeline(5), classNames: ['a', 'b'] }), (e: unknown) => e instanceof ShapeError && /gives 5 features but the network takes 3/.test(e.message));
  model.dispose();
});

test('malformed model files give a ModelFormatError naming the file and the field', async () => {
  const c = await trainedFile();
  const good = JSON.parse(await encodeModelFile(c)) as Doc;
  const n = good.tensors.length;
  const at = (d: Doc, name: string) => d.tensors.find((t) => t.name === name)!;
  const edit = (f: (d: Doc) => void): string => {
    const d = structuredClone(good);
    f(d);
    return withChecksum(d);
  };
  const pipelineMeta = (d: Doc) => d.extras.pipeline as { pca: { k: number }; outputCols: number };
  const cases: [string, string, RegExp][] = [
    ['a wrong version', edit((d) => (d.version = 7)), /^version: got 7, expected 1 or 2/],
    ['a checksum mismatch', JSON.stringify({ ...good, extras: { ...good.extras, epoch: 3 } }), /^checksum: does not match the document/],
    ['a bad network tensor shape', edit((d) => (d.tensors[0].shape = [8, 11])), /^tensors\[0\]: should be hidden0\.linear\.weight of shape \[8, 10\] float32/],
    ['a bad extra tensor shape', edit((d) => (at(d, 'pipeline.pca.mean').shape = [25])), new RegExp(`^tensors\\[${n - 2}\\]\\.data: 192 bytes, expected 200 for tensor pipeline\\.pca\\.mean of shape \\[25\\] float64`)],
    ['a pipeline tensor missing', edit((d) => d.tensors.splice(n - 2, 1)), /^pipeline\.pca\.mean: got undefined, expected a value \(it is required\): a float64 tensor of shape \[24\]$/],
    ['a pipeline tensor of the wrong shape', edit((d) => (at(d, 'pipeline.pca.components').shape = [24, 8])), /^pipeline\.pca\.components\.shape: got \[24,8\], expected \[8, 24\]$/],
    ['a pipeline tensor of the wrong dtype', edit((d) => {
      const t = at(d, 'pipeline.scaler.scale');
      t.dtype = 'float32';
      t.data = base64Of(new Float32Array(24));
    }), /^pipeline\.scaler\.scale\.data: got .*, expected float64 values$/],
    ['a non-finite pipeline value', edit((d) => (at(d, 'pipeline.scaler.scale').data = base64Of(Float64Array.from({ length: 24 }, (_, i) => (i === 5 ? Infinity : 1))))), /^tensors\[\d+\] \(pipeline\.scaler\.scale\): value 5 is Infinity; a model file holds finite numbers only/],
    ['a NaN in the components', edit((d) => (at(d, 'pipeline.pca.components').data = base64Of(Float32Array.from({ length: 8 * 24 }, (_, i) => (i === 30 ? NaN : 0))))), /^tensors\[\d+\] \(pipeline\.pca\.components\): value 30 is NaN; a model file holds finite numbers only/],
    ['an unexpected pipeline tensor', edit((d) => d.tensors.push({ name: 'pipeline.whiten', shape: [1], dtype: 'float32', data: base64Of(new Float32Array(1)) })), /^pipeline\.whiten: got .*, expected no such field/],
    ['pipeline tensors without a pipeline', edit((d) => (d.extras.pipeline = null)), /^extras\.pipeline: missing, but the file holds the pipeline tensor pipeline\.scaler\.shift$/],
    ['a bad pipeline k', edit((d) => (pipelineMeta(d).pca.k = 30)), /^pipeline\.pca\.k: got 30, expected a whole number of components from 1 to inputCols \(24\)$/],
    ['a pipeline wider than the network', edit((d) => {
      d.extras.pipeline = { ...(d.extras.pipeline as object), outputCols: 24, pca: null };
      d.tensors.splice(n - 2, 2);
    }), /^extras\.pipeline\.outputCols: the pre-processing gives 24 features but the network takes 8 \(model\.inputs\)$/],
    ['a wrong class-name count', edit((d) => (d.extras.classNames = ['red', 'green'])), /^extras\.classNames: 2 names, but the network has 3 classes \(model\.classes\)$/],
    ['a class name that is not text', edit((d) => (d.extras.classNames = ['red', 2, 'blue'])), /^extras\.classNames\[1\]: got 2, expected a class name \(text\)$/],
    ['a source that is not text', edit((d) => (d.extras.source = 5)), /^extras\.source: got 5, expected the data source \(text\)$/],
    ['a negative epoch', edit((d) => (d.extras.epoch = -1)), /^extras\.epoch: got -1, expected a whole number >= 0$/],
    ['a pipeline meta of another version', edit((d) => ((d.extras.pipeline as { version: number }).version = 1)), /^pipeline\.version: got 1, expected 2/],
    ['a pipeline with the wrong output width', edit((d) => (pipelineMeta(d).outputCols = 9)), /^pipeline\.outputCols: got 9, expected 8, the width the transform gives$/],
  ];
  for (const [what, text, problem] of cases) {
    await assert.rejects(decodeModelFile(text, 'bad.json'), (e: unknown) => {
      assert.ok(e instanceof ModelFormatError, `${what}: ${String(e)}`);
      assert.equal(e.file, 'bad.json', what);
      assert.match(e.problem, problem, what);
      return true;
    }, what);
  }
  c.model.dispose();
});
