import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Sequential } from '../../src/nn/model.js';
import type { ModelOptions } from '../../src/nn/config.js';
import { MODEL_FORMAT, MODEL_VERSION, modelFromJSON, modelToJSON } from '../../src/nn/serialize.js';
import { fit } from '../../src/train/fit.js';
import { ModelFormatError } from '../../src/errors.js';
import type { Backend } from '../../src/tensor/backend.js';
import { BACKENDS, gaussianBlobs, sameBits } from '../engine/helpers.js';

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

for (const { name: backendName, backend } of BACKENDS) {
  test(`[${backendName}] a model saves and loads back bit-identically`, async () => {
    const model = await trained(backend);
    const extras = { classNames: ['a', 'b', 'c'], note: { nested: [1, 2.5, null] } };
    const text = await modelToJSON(model, extras);
    const { model: loaded, extras: loadedExtras } = await modelFromJSON(text, 'model.json', backend);
    assert.deepEqual(loaded.options, model.options);
    assert.deepEqual(loadedExtras, extras);
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
    assert.equal(await modelToJSON(loaded, loadedExtras), text);
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
  const doc = JSON.parse(await modelToJSON(model, { classNames: ['x', 'y', 'z'] })) as Doc;
  assert.deepEqual(Object.keys(doc), ['format', 'version', 'model', 'extras', 'tensors', 'checksum']);
  assert.equal(doc.format, MODEL_FORMAT);
  assert.equal(doc.format, 'mlplab-model');
  assert.equal(doc.version, MODEL_VERSION);
  assert.equal(doc.version, 1);
  assert.deepEqual(doc.model, model.options);
  // Parameters in layer order, then the batch-norm statistics.
  const expectedNames = [
    'hidden0.linear.weight', 'hidden0.linear.bias', 'hidden0.batchnorm.weight', 'hidden0.batchnorm.bias',
    'hidden1.linear.weight', 'hidden1.linear.bias', 'hidden1.batchnorm.weight', 'hidden1.batchnorm.bias',
    'hidden2.linear.weight', 'hidden2.linear.bias', 'output.weight', 'output.bias',
    'hidden0.batchnorm.running_mean', 'hidden0.batchnorm.running_var',
    'hidden1.batchnorm.running_mean', 'hidden1.batchnorm.running_var',
  ];
  assert.deepEqual(doc.tensors.map((t) => t.name), expectedNames);
  const byName = new Map([...model.params.map((p) => [p.name, p.value] as const), ...model.stateTensors().map((s) => [s.name, s.value] as const)]);
  for (const t of doc.tensors) {
    const value = byName.get(t.name)!;
    assert.deepEqual(t.shape, [value.rows, value.cols], t.name);
    assert.equal(t.dtype, 'float32');
    assert.ok(sameBits(decodeTensor(t.data), value.data), `${t.name}: little-endian float32 bytes in base64`);
  }
  assert.deepEqual(doc.tensors.find((t) => t.name === 'hidden0.linear.weight')!.shape, [10, 12], 'dense weights are inputs x outputs');
  assert.equal(withChecksum(doc), JSON.stringify(doc), 'checksum is sha256 of the document without it');
  model.dispose();
});

test('bad model files are refused with a ModelFormatError that says what is wrong', async () => {
  const backend = BACKENDS[0].backend;
  const model = await trained(backend);
  const good = JSON.parse(await modelToJSON(model)) as Doc;
  const edit = (f: (d: Doc) => void): Doc => {
    const d = structuredClone(good);
    f(d);
    return d;
  };
  const cases: [string, string, RegExp][] = [
    ['not JSON', '{"format": "mlplab-model", ', /^weights\.json: not a mlplab model \(not valid JSON/],
    ['empty file', '', /not valid JSON/],
    ['JSON null', 'null', /not a mlplab model/],
    ['a JSON array', '[1, 2]', /not a mlplab model/],
    ['another format', JSON.stringify({ format: 'keras', version: 1 }), /format field is "keras", expected "mlplab-model"/],
    ['no format field', JSON.stringify({ version: 1 }), /not a mlplab model/],
    ['a newer version', withChecksum(edit((d) => (d.version = 2))), /model format version 2 is not supported; this mlplab reads version 1/],
    ['a value edited after saving', JSON.stringify(edit((d) => {
      const t = d.tensors[0];
      t.data = (t.data[0] === 'A' ? 'B' : 'A') + t.data.slice(1);
    })), /checksum mismatch: the file is corrupted or was edited after saving/],
    ['an option edited after saving', JSON.stringify(edit((d) => (d.model.leakySlope = 0.5))), /checksum mismatch/],
    ['checksum removed', JSON.stringify(edit((d) => delete d.checksum)), /checksum mismatch/],
    ['corrupted base64', withChecksum(edit((d) => (d.tensors[1].data = '@@not*base64@@'))), /tensor hidden0\.linear\.bias: data is not valid base64/],
    ['data not a string', withChecksum(edit((d) => ((d.tensors[1] as { data: unknown }).data = [1, 2]))), /tensor hidden0\.linear\.bias: data is not a base64 string/],
    ['truncated data', withChecksum(edit((d) => (d.tensors[1].data = d.tensors[1].data.slice(0, 8)))), /tensor hidden0\.linear\.bias: 6 bytes of data, expected 48/],
    ['a wrong shape', withChecksum(edit((d) => (d.tensors[0].shape = [12, 10]))), /tensor 0 should be hidden0\.linear\.weight of shape \[10, 12\] float32/],
    ['a wrong dtype', withChecksum(edit((d) => (d.tensors[0].dtype = 'float64'))), /tensor 0 should be hidden0\.linear\.weight/],
    ['tensors swapped', withChecksum(edit((d) => ([d.tensors[0], d.tensors[1]] = [d.tensors[1], d.tensors[0]]))), /tensor 0 should be hidden0\.linear\.weight/],
    ['a tensor missing', withChecksum(edit((d) => d.tensors.pop())), /expected 16 tensors for this architecture, found 15/],
    ['no tensors', withChecksum(edit((d) => ((d as { tensors: unknown }).tensors = 'none'))), /expected 16 tensors for this architecture, found none/],
    ['an invalid width', withChecksum(edit((d) => ((d.model.hidden as { width: number }[])[1].width = 0))), /invalid model description: model\.hidden\[1\]\.width: got 0, expected a whole number of units from 1 to 65536/],
    ['an unknown activation', withChecksum(edit((d) => ((d.model.hidden as { activation: string }[])[0].activation = 'swish'))), /invalid model description: model\.hidden\[0\]\.activation: got "swish"/],
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
