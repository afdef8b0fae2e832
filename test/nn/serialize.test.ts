import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Sequential } from '../../src/nn/model.js';
import type { ModelOptions } from '../../src/nn/config.js';
import { MODEL_FORMAT, MODEL_VERSION, modelFromJSON, modelToJSON, type NamedTensor } from '../../src/nn/serialize.js';
import { fit } from '../../src/train/fit.js';
import { ModelFormatError } from '../../src/errors.js';
import type { Backend } from '../../src/tensor/backend.js';
import { BACKENDS, gaussianBlobs, sameBits } from '../helpers.js';

const options: ModelOptions = {
  inputs: 10, classes: 3, leakySlope: 0.05, batchNormMomentum: 0.2,
  hidden: [
    { width: 12, activation: 'gelu', batchNorm: true, dropout: 0.25 },
    { width: 6, activation: 'leaky_relu', batchNorm: true },
    { width: 5, activation: 'tanh', batchNorm: false },
  ],
};
const data = gaussianBlobs(120, 10, 3, 21, 0.6);
const rows = data.rows;

/** A trained model, so every tensor (running statistics included) holds non-trivial values. */
async function trained(backend: Backend, capacity = 32): Promise<Sequential> {
  const model = Sequential.create(options, { seed: 4, backend, capacity });
  await fit(model, data, null, { train: { epochs: 2, batchSize: 16, learningRate: 0.05 } });
  return model;
}

interface Doc {
  format: unknown;
  version: unknown;
  model: Record<string, unknown>;
  extras: Record<string, unknown>;
  tensors: { name: string; shape: number[]; dtype: string; data: string }[];
  checksum?: string;
}

/** The documented checksum: sha256 of the document serialised without its checksum field. */
function withChecksum(doc: Doc): string {
  const { checksum: _old, ...rest } = doc;
  const digest = createHash('sha256').update(JSON.stringify(rest)).digest('hex');
  return JSON.stringify({ ...rest, checksum: `sha256:${digest}` });
}

function decodeTensor(base64: string): Float32Array {
  const bytes = Buffer.from(base64, 'base64');
  const out = new Float32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readFloatLE(i * 4);
  return out;
}

function decodeFloat64(base64: string): Float64Array {
  const bytes = Buffer.from(base64, 'base64');
  const out = new Float64Array(bytes.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readDoubleLE(i * 8);
  return out;
}

/** Extra tensors of both dtypes, with values float32 cannot hold and a negative zero. */
const extraTensors: NamedTensor[] = [
  { name: 'side.table', shape: [2, 3], data: Float32Array.of(1.5, -0, 3e-39, -7, 1 / 3, 65504) },
  { name: 'side.exact', shape: [4], data: Float64Array.of(0.1, Math.PI, -1e-300, 2 ** 60 + 2 ** 8) },
  { name: 'side.cube', shape: [1, 2, 2], data: Float32Array.of(1, 2, 3, 4) },
  { name: 'side.empty', shape: [0, 5], data: new Float32Array(0) },
];

for (const { name: backendName, backend } of BACKENDS) {
  test(`[${backendName}] a model saves and loads back bit-identically`, async () => {
    const model = await trained(backend);
    const extras = { classNames: ['a', 'b', 'c'], note: { nested: [1, 2.5, null] } };
    const text = await modelToJSON(model, extras, extraTensors);
    const { model: loaded, extras: loadedExtras, tensors, version } = await modelFromJSON(text, 'model.json', backend);
    assert.equal(version, MODEL_VERSION);
    assert.deepEqual(loaded.options, model.options);
    assert.deepEqual(loadedExtras, extras);
    assert.deepEqual([...tensors.keys()], extraTensors.map((t) => t.name), 'the extra tensors, by name, in order');
    for (const t of extraTensors) {
      const back = tensors.get(t.name)!;
      assert.deepEqual(back.shape, t.shape, t.name);
      assert.equal(back.data.constructor, t.data.constructor, `${t.name} keeps its dtype`);
      assert.ok(sameBits(back.data, t.data), `${t.name} bit-identical`);
    }
    assert.ok(sameBits(loaded.flatValues.data, model.flatValues.data), 'parameters');
    const [s1, s2] = [model.stateTensors(), loaded.stateTensors()];
    assert.equal(s1.length, 4, 'two batch-norm layers, mean and variance each');
    s1.forEach((s, i) => {
      assert.equal(s2[i].name, s.name);
      assert.ok(sameBits(s2[i].value.data, s.value.data), s.name);
      assert.ok(s.value.data.some((v) => v !== 0 && v !== 1), `${s.name} holds trained values`);
    });
    // Inference on a batch within the loaded model's buffer capacity.
    const few = data.features.subarray(0, 20 * options.inputs);
    assert.ok(sameBits(loaded.predictProba(few, 20), model.predictProba(few, 20)), 'probabilities');
    // Saving the loaded model gives the same document.
    assert.equal(await modelToJSON(loaded, loadedExtras, [...tensors.values()]), text);
    model.dispose();
    loaded.dispose();
  });

  test(`[${backendName}] a loaded model predicts like the original on many rows`, async () => {
    const model = await trained(backend, rows); // built for `rows` rows: predicting on them needs no new buffers
    const expected = model.predictProba(data.features, rows);
    const { model: loaded } = await modelFromJSON(await modelToJSON(model), 'model.json', backend);
    assert.ok(sameBits(loaded.predictProba(data.features, rows), expected));
    model.dispose();
    loaded.dispose();
  });
}

test('inference never changes the batch-norm running statistics', async () => {
  // BatchNorm.allocate re-creates running_mean/running_var (0 and 1) whenever the model grows
  // its buffers, e.g. the first time it predicts on more rows than it was built for.
  const model = await trained(BACKENDS[0].backend);
  const { model: loaded } = await modelFromJSON(await modelToJSON(model), 'model.json', BACKENDS[0].backend);
  const before = loaded.stateTensors().map((s) => s.value.data.slice());
  const first = loaded.predictProba(data.features.subarray(0, 10 * options.inputs), 10);
  const all = loaded.predictProba(data.features, rows); // more rows than the 32 the model was built for
  loaded.stateTensors().forEach((s, i) => assert.ok(sameBits(s.value.data, before[i]), `${s.name} changed by inference`));
  assert.ok(sameBits(all.subarray(0, first.length), first), 'a row gets the same probabilities in any batch');
});

test('the saved document follows the documented format', async () => {
  const model = await trained(BACKENDS[0].backend);
  const doc = JSON.parse(await modelToJSON(model, { classNames: ['x', 'y', 'z'] }, extraTensors)) as Doc;
  assert.deepEqual(Object.keys(doc), ['format', 'version', 'model', 'extras', 'tensors', 'checksum']);
  assert.equal(doc.format, MODEL_FORMAT);
  assert.equal(doc.format, 'mlplab-model');
  assert.equal(doc.version, MODEL_VERSION);
  assert.equal(doc.version, 2);
  assert.deepEqual(doc.model, model.options);
  // Parameters in layer order, then the batch-norm statistics.
  const expectedNames = [
    'hidden0.linear.weight', 'hidden0.linear.bias', 'hidden0.batchnorm.weight', 'hidden0.batchnorm.bias',
    'hidden1.linear.weight', 'hidden1.linear.bias', 'hidden1.batchnorm.weight', 'hidden1.batchnorm.bias',
    'hidden2.linear.weight', 'hidden2.linear.bias', 'output.weight', 'output.bias',
    'hidden0.batchnorm.running_mean', 'hidden0.batchnorm.running_var',
    'hidden1.batchnorm.running_mean', 'hidden1.batchnorm.running_var',
  ];
  // Then the extra tensors, in the caller's order.
  assert.deepEqual(doc.tensors.map((t) => t.name), [...expectedNames, ...extraTensors.map((t) => t.name)]);
  const extra = doc.tensors.slice(expectedNames.length);
  extraTensors.forEach((t, i) => {
    assert.deepEqual(extra[i].shape, t.shape, t.name);
    assert.equal(extra[i].dtype, t.data instanceof Float64Array ? 'float64' : 'float32', t.name);
    const back = extra[i].dtype === 'float64' ? decodeFloat64(extra[i].data) : decodeTensor(extra[i].data);
    assert.ok(sameBits(back, t.data), `${t.name}: little-endian ${extra[i].dtype} bytes in base64`);
  });
  const byName = new Map([...model.params.map((p) => [p.name, p.value] as const), ...model.stateTensors().map((s) => [s.name, s.value] as const)]);
  for (const t of doc.tensors.slice(0, expectedNames.length)) {
    const value = byName.get(t.name)!;
    assert.deepEqual(t.shape, [value.rows, value.cols], t.name);
    assert.equal(t.dtype, 'float32');
    assert.ok(sameBits(decodeTensor(t.data), value.data), `${t.name}: little-endian float32 bytes in base64`);
  }
  assert.deepEqual(doc.tensors.find((t) => t.name === 'hidden0.linear.weight')!.shape, [10, 12], 'dense weights are inputs x outputs');
  assert.equal(withChecksum(doc), JSON.stringify(doc), 'checksum is sha256 of the document without it');
  model.dispose();
});

test('bad model files are refused with a ModelFormatError that names the field at fault', async () => {
  const backend = BACKENDS[0].backend;
  const model = await trained(backend);
  const good = JSON.parse(await modelToJSON(model, {}, extraTensors)) as Doc;
  const edit = (f: (d: Doc) => void): Doc => {
    const d = structuredClone(good);
    f(d);
    return d;
  };
  const bad = (f: (d: Doc) => void) => withChecksum(edit(f));
  const cases: [string, string, RegExp][] = [
    ['not JSON', '{"format": "mlplab-model", ', /^weights\.json: not a mlplab model \(not valid JSON/],
    ['empty file', '', /not valid JSON/],
    ['JSON null', 'null', /^weights\.json: not a mlplab model \(expected a JSON object, got null\)$/],
    ['a JSON array', '[1, 2]', /not a mlplab model \(expected a JSON object, got an array\)/],
    ['another format', JSON.stringify({ format: 'keras', version: 1 }), /^weights\.json: format: got "keras", expected "mlplab-model" \(this is not a mlplab model file\)$/],
    ['no format field', JSON.stringify({ version: 1 }), /^weights\.json: format: got undefined, expected .*"mlplab-model"/],
    ['a newer version', bad((d) => (d.version = 3)), /^weights\.json: version: got 3, expected 1 or 2 \(the model format versions this mlplab reads\)$/],
    ['a version that is not a number', bad((d) => (d.version = '2')), /version: got "2", expected 1 or 2/],
    ['a value edited after saving', JSON.stringify(edit((d) => {
      const t = d.tensors[0];
      t.data = (t.data[0] === 'A' ? 'B' : 'A') + t.data.slice(1);
    })), /^weights\.json: checksum: does not match the document: the file is corrupted or was edited after saving$/],
    ['an option edited after saving', JSON.stringify(edit((d) => (d.model.leakySlope = 0.5))), /checksum: does not match the document/],
    // Sizes are checked against the shapes before the checksum: a wrong size is refused by tensor, before anything is allocated.
    ['an extra tensor edited after saving', JSON.stringify(edit((d) => (d.tensors[17].data = d.tensors[16].data))), /^weights\.json: tensors\[17\]\.data: 24 bytes, expected 32 for tensor side\.exact of shape \[4\] float64$/],
    ['checksum removed', JSON.stringify(edit((d) => delete d.checksum)), /^weights\.json: checksum: got undefined, expected a value \(it is required\)/],
    ['a malformed checksum', JSON.stringify(edit((d) => (d.checksum = 'md5:abc'))), /checksum: got "md5:abc", expected "sha256:" and 64 hex digits/],
    ['an unknown field', bad((d) => ((d as unknown as Record<string, unknown>).comment = 'hi')), /comment: got "hi", expected no such field; allowed here: format, version, model, extras, tensors, checksum/],
    ['extras not an object', bad((d) => ((d as { extras: unknown }).extras = [1])), /^weights\.json: extras: got \[1\], expected an object of caller data$/],
    ['corrupted base64', bad((d) => (d.tensors[1].data = '@@not*base64@@')), /^weights\.json: tensors\[1\]\.data: not valid base64 \(tensor hidden0\.linear\.bias\)$/],
    ['data not a string', bad((d) => ((d.tensors[1] as { data: unknown }).data = [1, 2])), /tensors\[1\]\.data: got \[1,2\], expected base64 text/],
    ['truncated data', bad((d) => (d.tensors[1].data = d.tensors[1].data.slice(0, 8))), /tensors\[1\]\.data: 6 bytes, expected 48 for tensor hidden0\.linear\.bias of shape \[1, 12\] float32/],
    ['a wrong shape', bad((d) => (d.tensors[0].shape = [12, 10])), /tensors\[0\]: should be hidden0\.linear\.weight of shape \[10, 12\] float32, found .*"shape":\[12,10\]/],
    ['a third dimension', bad((d) => (d.tensors[0].shape = [10, 12, 1])), /tensors\[0\]: should be hidden0\.linear\.weight of shape \[10, 12\] float32/],
    ['a negative dimension', bad((d) => (d.tensors[0].shape = [-10, 12])), /tensors\[0\]\.shape\[0\]: got -10, expected a list of whole numbers >= 0/],
    ['a wrong dtype', bad((d) => (d.tensors[0].dtype = 'float64')), /tensors\[0\]: should be hidden0\.linear\.weight of shape \[10, 12\] float32, found .*"dtype":"float64"/],
    ['an unknown dtype', bad((d) => (d.tensors[0].dtype = 'int8')), /tensors\[0\]\.dtype: got "int8", expected "float32" or "float64"/],
    ['an unknown tensor field', bad((d) => ((d.tensors[2] as unknown as Record<string, unknown>).strides = [1])), /tensors\[2\]\.strides: got \[1\], expected no such field; allowed here: name, shape, dtype, data/],
    ['tensors swapped', bad((d) => ([d.tensors[0], d.tensors[1]] = [d.tensors[1], d.tensors[0]])), /tensors\[0\]: should be hidden0\.linear\.weight/],
    ['a network tensor missing', bad((d) => d.tensors.splice(15, 1)), /tensors\[15\]: should be hidden1\.batchnorm\.running_var of shape \[1, 6\] float32, found \{"name":"side\.table"/],
    ['too few tensors', bad((d) => d.tensors.splice(3)), /^weights\.json: tensors: 3 entries, expected the 16 tensors of this architecture \(then any extra tensors\)$/],
    ['no tensors', bad((d) => ((d as { tensors: unknown }).tensors = 'none')), /tensors: got "none", expected a list of tensors/],
    ['an extra tensor of the wrong shape', bad((d) => (d.tensors[16].shape = [3, 3])), /tensors\[16\]\.data: 24 bytes, expected 36 for tensor side\.table of shape \[3, 3\] float32/],
    ['an extra tensor of the wrong dtype', bad((d) => (d.tensors[17].dtype = 'float32')), /tensors\[17\]\.data: 32 bytes, expected 16 for tensor side\.exact of shape \[4\] float32/],
    ['an extra tensor without a shape', bad((d) => (d.tensors[18].shape = [])), /tensors\[18\]\.shape: got \[\], expected at least one dimension/],
    ['an extra tensor without a name', bad((d) => (d.tensors[18].name = '')), /tensors\[18\]\.name: got "", expected a tensor name/],
    ['two extra tensors of one name', bad((d) => (d.tensors[17].name = 'side.table')), /tensors\[17\]\.name: "side\.table" is used by an earlier tensor/],
    ['an extra tensor named like a network tensor', bad((d) => (d.tensors[16].name = 'output.bias')), /tensors\[16\]\.name: "output\.bias" is used by an earlier tensor/],
    ['an invalid width', bad((d) => ((d.model.hidden as { width: number }[])[1].width = 0)), /invalid model description: model\.hidden\[1\]\.width: got 0, expected a whole number of units from 1 to 65536/],
    ['an unknown activation', bad((d) => ((d.model.hidden as { activation: string }[])[0].activation = 'swish')), /invalid model description: model\.hidden\[0\]\.activation: got "swish"/],
    ['version 1 with extra tensors', bad((d) => (d.version = 1)), /^weights\.json: tensors: 20 entries, expected the 16 tensors of this architecture$/],
  ];
  for (const [what, text, message] of cases) {
    await assert.rejects(modelFromJSON(text, 'weights.json', backend), (e: unknown) => {
      assert.ok(e instanceof ModelFormatError, `${what}: ${String(e)}`);
      assert.equal(e.file, 'weights.json', what);
      assert.match(e.message, message, what);
      return true;
    }, what);
  }
  model.dispose();
});

test('version 1 files (network tensors only) still load', async () => {
  const backend = BACKENDS[0].backend;
  const model = await trained(backend);
  const v2 = JSON.parse(await modelToJSON(model, { classNames: ['a', 'b', 'c'] })) as Doc;
  const v1 = withChecksum({ ...v2, version: 1 });
  const { model: loaded, extras, tensors, version } = await modelFromJSON(v1, 'old.json', backend);
  assert.equal(version, 1);
  assert.deepEqual(extras, { classNames: ['a', 'b', 'c'] });
  assert.equal(tensors.size, 0);
  assert.ok(sameBits(loaded.flatValues.data, model.flatValues.data));
  const few = data.features.subarray(0, 20 * options.inputs);
  assert.ok(sameBits(loaded.predictProba(few, 20), model.predictProba(few, 20)));
  model.dispose();
  loaded.dispose();
});

test('modelToJSON refuses extra tensors it could not read back', async () => {
  const model = Sequential.create({ inputs: 2, classes: 2, hidden: [] }, { backend: BACKENDS[0].backend });
  const cases: [NamedTensor[], RegExp][] = [
    [[{ name: 'output.bias', shape: [2], data: new Float32Array(2) }], /output\.bias" is used twice or by the network/],
    [[{ name: 'x', shape: [2], data: new Float32Array(2) }, { name: 'x', shape: [1], data: new Float32Array(1) }], /"x" is used twice/],
    [[{ name: 'x', shape: [3], data: new Float32Array(2) }], /tensor x: shape \[3\] does not hold 2 values/],
    [[{ name: 'x', shape: [], data: new Float32Array(1) }], /tensor x: shape \[\] does not hold 1 values/],
    [[{ name: 'x', shape: [2], data: new Int32Array(2) as unknown as Float32Array }], /tensor x: data must be a Float32Array or Float64Array/],
  ];
  for (const [tensors, message] of cases) await assert.rejects(modelToJSON(model, {}, tensors), message);
  model.dispose();
});

test('loading never runs code: keys like __proto__ and code in strings stay data', async () => {
  const backend = BACKENDS[0].backend;
  const model = Sequential.create({ inputs: 2, classes: 2, hidden: [{ width: 3 }] }, { backend });
  const good = JSON.parse(await modelToJSON(model)) as Doc;
  const marker = '__mlplab_loaded_code__';
  const extras = JSON.parse(
    `{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}},` +
      ` "toJSON": "function () { globalThis.${marker} = 1; }", "valueOf": "() => (globalThis.${marker} = 2)",` +
      ` "init": "eval('globalThis.${marker} = 3')"}`,
  ) as Record<string, unknown>;
  const text = withChecksum({ ...good, extras });
  const { model: loaded, extras: loadedExtras } = await modelFromJSON(text, 'evil.json', backend);
  assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype untouched');
  assert.equal((globalThis as Record<string, unknown>)[marker], undefined, 'no code ran');
  assert.equal(typeof loadedExtras.toJSON, 'string');
  assert.equal(typeof loadedExtras.init, 'string');
  assert.ok(Object.hasOwn(loadedExtras, '__proto__'), '__proto__ is an ordinary own key');
  assert.ok(sameBits(loaded.flatValues.data, model.flatValues.data));
  // Saving again keeps the strings as strings (toJSON in extras is data, not a hook).
  assert.equal(JSON.parse(await modelToJSON(loaded, loadedExtras)).extras.toJSON, extras.toJSON);

  // A __proto__ key inside the model description is refused as an unknown option.
  const evilModel = withChecksum({ ...good, model: JSON.parse(`{"__proto__": {"polluted": true}, ${JSON.stringify(good.model).slice(1)}`) });
  await assert.rejects(modelFromJSON(evilModel, 'evil.json', backend), ModelFormatError);
  assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype untouched');
  model.dispose();
  loaded.dispose();
});
