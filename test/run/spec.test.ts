import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sequential } from '../../src/nn/model.js';
import { fit } from '../../src/train/fit.js';
import { resolveTrainOptions } from '../../src/train/options.js';
import { PRESETS, mergeSpecs, networkToModelOptions, resolveRun } from '../../src/run/spec.js';
import { ConfigError, MlplabError } from '../../src/errors.js';
import { BACKENDS, gaussianBlobs } from '../helpers.js';

// Invalid options are refused when the model or the run is built, with a ConfigError whose
// message reads "<field>: got <value>, expected <what is allowed>".

const backend = BACKENDS[0].backend;
const base = { inputs: 4, classes: 3, hidden: [{ width: 8 }, { width: 5, activation: 'gelu' as const }] };
const ACTS = 'one of identity, relu, gelu, gelu_tanh, tanh, sigmoid, leaky_relu';
const WIDTH = 'a whole number of units from 1 to 65536';
const DROP = 'a drop probability in [0, 1)';

function expectConfigError(fn: () => unknown, field: string, value: unknown, valueText: string, expected: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ConfigError, `expected ConfigError for ${field}, got ${String(e)}`);
    assert.ok(e instanceof MlplabError);
    assert.equal(e.name, 'ConfigError');
    assert.equal(e.field, field);
    assert.ok(Object.is(e.value, value) || JSON.stringify(e.value) === JSON.stringify(value), `value ${String(e.value)}`);
    assert.equal(e.message, `${field}: got ${valueText}, expected ${expected}`);
    return true;
  }, field);
}

const hidden0 = (over: object) => ({ ...base, hidden: [{ ...base.hidden[0], ...over }, base.hidden[1]] });
const hidden1 = (over: object) => ({ ...base, hidden: [base.hidden[0], { ...base.hidden[1], ...over }] });

const modelCases: [string, object, string, unknown, string, string][] = [
  ['width 0', hidden0({ width: 0 }), 'model.hidden[0].width', 0, '0', WIDTH],
  ['negative width', hidden1({ width: -3 }), 'model.hidden[1].width', -3, '-3', WIDTH],
  ['fractional width', hidden0({ width: 4.5 }), 'model.hidden[0].width', 4.5, '4.5', WIDTH],
  ['width as text', hidden0({ width: '64' }), 'model.hidden[0].width', '64', '"64"', WIDTH],
  ['NaN width', hidden0({ width: NaN }), 'model.hidden[0].width', NaN, 'NaN', WIDTH],
  ['infinite width', hidden0({ width: Infinity }), 'model.hidden[0].width', Infinity, 'Infinity', WIDTH],
  ['unknown activation', hidden1({ activation: 'swish' }), 'model.hidden[1].activation', 'swish', '"swish"', ACTS],
  ['dropout 1', hidden0({ dropout: 1 }), 'model.hidden[0].dropout', 1, '1', DROP],
  ['negative dropout', hidden1({ dropout: -0.1 }), 'model.hidden[1].dropout', -0.1, '-0.1', DROP],
  ['NaN dropout', hidden0({ dropout: NaN }), 'model.hidden[0].dropout', NaN, 'NaN', DROP],
  ['batch norm as text', hidden0({ batchNorm: 'yes' }), 'model.hidden[0].batchNorm', 'yes', '"yes"', 'true or false'],
  ['misspelt option', hidden0({ widht: 3 }), 'model.hidden[0].widht', 3, '3', 'no such option; allowed here: width, activation, batchNorm, dropout'],
  ['no inputs', { classes: 3, hidden: [] }, 'model.inputs', undefined, 'undefined', 'a value (it is required): a whole number of input features from 1 to 16777216'],
  ['NaN inputs', { ...base, inputs: NaN }, 'model.inputs', NaN, 'NaN', 'a whole number of input features from 1 to 16777216'],
  ['one class', { ...base, classes: 1 }, 'model.classes', 1, '1', 'a whole number of classes from 2 to 65536'],
  ['NaN classes', { ...base, classes: NaN }, 'model.classes', NaN, 'NaN', 'a whole number of classes from 2 to 65536'],
  ['hidden not a list', { ...base, hidden: { width: 3 } }, 'model.hidden', { width: 3 }, '{"width":3}', 'a list of hidden layers'],
  ['unknown init', { ...base, init: 'lecun' }, 'model.init', 'lecun', '"lecun"', "'auto', 'he', 'xavier' or 'pytorch'"],
  ['NaN leaky slope', { ...base, leakySlope: NaN }, 'model.leakySlope', NaN, 'NaN', 'a finite number >= 0'],
  ['negative leaky slope', { ...base, leakySlope: -0.1 }, 'model.leakySlope', -0.1, '-0.1', 'a finite number >= 0'],
  ['NaN batch-norm momentum', { ...base, batchNormMomentum: NaN }, 'model.batchNormMomentum', NaN, 'NaN', 'a number in (0, 1]'],
  ['batch-norm momentum 0', { ...base, batchNormMomentum: 0 }, 'model.batchNormMomentum', 0, '0', 'a number in (0, 1]'],
  ['NaN batch-norm eps', { ...base, batchNormEps: NaN }, 'model.batchNormEps', NaN, 'NaN', 'a finite number > 0'],
  ['batch-norm eps 0', { ...base, batchNormEps: 0 }, 'model.batchNormEps', 0, '0', 'a finite number > 0'],
];

for (const [what, options, field, value, valueText, expected] of modelCases) {
  test(`model options: ${what} is refused at construction`, () => {
    expectConfigError(() => Sequential.create(options as never, { backend }), field, value, valueText, expected);
  });
}

const LR = 'a learning rate > 0';
const trainCases: [string, object, string, unknown, string, string][] = [
  ['negative learning rate', { learningRate: -0.01 }, 'train.learningRate', -0.01, '-0.01', LR],
  ['learning rate 0', { learningRate: 0 }, 'train.learningRate', 0, '0', LR],
  ['NaN learning rate', { learningRate: NaN }, 'train.learningRate', NaN, 'NaN', LR],
  ['infinite learning rate', { learningRate: Infinity }, 'train.learningRate', Infinity, 'Infinity', LR],
  ['momentum 1', { momentum: 1 }, 'train.momentum', 1, '1', 'a momentum in [0, 1)'],
  ['NaN momentum', { momentum: NaN }, 'train.momentum', NaN, 'NaN', 'a momentum in [0, 1)'],
  ['negative weight decay', { weightDecay: -0.001 }, 'train.weightDecay', -0.001, '-0.001', 'a weight decay >= 0'],
  ['NaN weight decay', { weightDecay: NaN }, 'train.weightDecay', NaN, 'NaN', 'a weight decay >= 0'],
  ['batch size 0', { batchSize: 0 }, 'train.batchSize', 0, '0', 'a whole number >= 1'],
  ['NaN batch size', { batchSize: NaN }, 'train.batchSize', NaN, 'NaN', 'a whole number >= 1'],
  ['0 epochs', { epochs: 0 }, 'train.epochs', 0, '0', 'a whole number >= 1'],
  ['NaN beta1', { beta1: NaN }, 'train.beta1', NaN, 'NaN', 'a number in [0, 1)'],
  ['beta2 1', { beta2: 1 }, 'train.beta2', 1, '1', 'a number in [0, 1)'],
  ['eps 0', { eps: 0 }, 'train.eps', 0, '0', 'a finite number > 0'],
  ['label smoothing 1', { labelSmoothing: 1 }, 'train.labelSmoothing', 1, '1', 'a label smoothing in [0, 1)'],
  ['NaN label smoothing', { labelSmoothing: NaN }, 'train.labelSmoothing', NaN, 'NaN', 'a label smoothing in [0, 1)'],
  ['NaN warm-up', { warmupEpochs: NaN }, 'train.warmupEpochs', NaN, 'NaN', 'a whole number >= 0'],
  ['fractional seed', { seed: 1.5 }, 'train.seed', 1.5, '1.5', 'a whole number'],
  ['NaN seed', { seed: NaN }, 'train.seed', NaN, 'NaN', 'a whole number'],
  ['unknown optimizer', { optimizer: 'rmsprop' }, 'train.optimizer', 'rmsprop', '"rmsprop"', "'sgd', 'adam' or 'adamw'"],
  ['NaN step interval', { schedule: { type: 'step', every: NaN, gamma: 0.5 } }, 'train.schedule.every', NaN, 'NaN', 'a whole number >= 1'],
  ['NaN step factor', { schedule: { type: 'step', every: 2, gamma: NaN } }, 'train.schedule.gamma', NaN, 'NaN', 'a finite number > 0'],
  ['NaN cosine floor', { schedule: { type: 'cosine', minLearningRate: NaN } }, 'train.schedule.minLearningRate', NaN, 'NaN', 'a finite number >= 0'],
  ['misspelt option', { learningrate: 0.1 }, 'train.learningrate', 0.1, '0.1', 'no such option; allowed here: epochs, batchSize, optimizer, learningRate, momentum, nesterov, weightDecay, beta1, beta2, eps, schedule, warmupEpochs, loss, labelSmoothing, earlyStopping, seed, classWeight, ensemble, cv, cvRepeats, diagnostics'],
];

const data = gaussianBlobs(20, 4, 3, 1);
for (const [what, options, field, value, valueText, expected] of trainCases) {
  test(`training options: ${what} is refused before any step`, async () => {
    const model = Sequential.create(base, { backend, seed: 1 });
    const before = model.flatValues.data.slice();
    let error: unknown = null;
    await fit(model, data, null, { train: options }).catch((e: unknown) => (error = e));
    expectConfigError(() => {
      if (error) throw error;
    }, field, value, valueText, expected);
    assert.deepEqual(model.flatValues.data, before, 'the model is untouched');
    model.dispose();
  });
}

const runCases: [string, object, string, unknown, string, string][] = [
  ['a zero width', { network: { widths: [64, 0] } }, 'network.widths[1]', 0, '0', WIDTH],
  ['NaN layers', { network: { layers: NaN } }, 'network.layers', NaN, 'NaN', 'a whole number from 0 to 64'],
  ['dropout 1', { network: { dropout: 1 } }, 'network.dropout', 1, '1', DROP],
  ['batch norm as text', { network: { batchNorm: 'off' } }, 'network.batchNorm', 'off', '"off"', 'true/false or a list of them'],
  ['negative learning rate', { train: { learningRate: -0.1 } }, 'train.learningRate', -0.1, '-0.1', LR],
  ['NaN validation fraction', { data: { valFraction: NaN } }, 'data.valFraction', NaN, 'NaN', 'a fraction in [0, 1)'],
  ['validation fraction 1', { data: { valFraction: 1 } }, 'data.valFraction', 1, '1', 'a fraction in [0, 1)'],
];

for (const [what, over, field, value, valueText, expected] of runCases) {
  test(`run spec: ${what} is refused`, () => {
    expectConfigError(() => resolveRun(mergeSpecs(PRESETS.default, over)), field, value, valueText, expected);
  });
}

test('run spec: per-layer lists must not be empty', () => {
  const resolved = resolveRun(mergeSpecs(PRESETS.default, { network: { activations: [] } }));
  expectConfigError(() => networkToModelOptions(resolved.network, 128, 10), 'network.activations', [], '[]', 'a non-empty list, or a single value for all layers');
});

test('the presets are valid and are the study\'s two models', () => {
  const d = networkToModelOptions(resolveRun(PRESETS.default).network, 128, 10);
  const f = networkToModelOptions(resolveRun(PRESETS.final).network, 128, 10);
  assert.deepEqual(d.hidden.map((h) => [h.width, h.activation, h.batchNorm, h.dropout]), [[64, 'gelu', true, 0.5], [64, 'relu', true, 0.5]]);
  assert.deepEqual(f.hidden.map((h) => [h.width, h.activation, h.batchNorm, h.dropout]), [[128, 'relu', true, 0.2], [64, 'relu', true, 0.2]]);
  const dt = resolveRun(PRESETS.default).train, ft = resolveRun(PRESETS.final).train;
  assert.deepEqual([dt.learningRate, dt.batchSize, dt.weightDecay, dt.momentum], [0.001, 32, 0.001, 0.9]);
  assert.deepEqual([ft.learningRate, ft.batchSize, ft.weightDecay, ft.momentum], [0.0001, 32, 0.001, 0.85]);
  for (const o of [d, f]) Sequential.create(o, { backend }).dispose();
});

// A NaN inside a list or a nested option must be reported at its own field, and shown as NaN
// (JSON would print it as null).
test('NaN in one entry of a per-layer list names that entry', () => {
  expectConfigError(() => resolveRun(mergeSpecs(PRESETS.default, { network: { dropout: [0.5, NaN] } })), 'network.dropout[1]', NaN, 'NaN', DROP);
});

test('NaN in an early-stopping option names that option', () => {
  expectConfigError(() => resolveTrainOptions({ earlyStopping: { patience: NaN } }), 'train.earlyStopping.patience', NaN, 'NaN', 'a whole number >= 1');
});

test('a NaN nested in a reported value is shown as NaN, not null', () => {
  assert.throws(() => Sequential.create({ ...base, hidden: { width: NaN } as never }, { backend }), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /got \{"width":NaN\}/);
    return true;
  });
});
