import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../src/errors.js';
import { configKey, factorPaths, resolveStudy, valueLabel } from '../../src/tune/study/config.js';
import { tinyStudyConfig } from './helpers.js';

function configError(input: unknown, field: string, expected: RegExp): void {
  assert.throws(
    () => resolveStudy(input),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
      assert.equal(e.field, field);
      assert.match(e.expected, expected);
      return true;
    },
  );
}

test('a factor naming an unknown option is refused, naming the factor and listing allowed paths', () => {
  configError(tinyStudyConfig({ factors: [{ path: 'train.momentun', values: [0.9] }] }), 'factors[0].path', /allowed: .*train\.momentum/);
  configError(tinyStudyConfig({ factors: [{ path: 'network.width', values: [[8]] }] }), 'factors[0].path', /network\.widths/);
  configError(tinyStudyConfig({ factors: [{ path: 'data.pca', values: [16] }] }), 'factors[0].path', /data options are fixed/);
  configError(tinyStudyConfig({ factors: [{ path: 'train.seed', values: [1, 2] }] }), 'factors[0].path', /seeds/);
  // Deeper than an option: the option exists, the sub-field does not.
  configError(tinyStudyConfig({ earlyStopping: { patience: 3 }, factors: [{ path: 'train.earlyStopping.patiense', values: [3] }] }), 'factors[0].values[0]', /no such option/);
});

test('values of the wrong type are refused, naming the value and what the option takes', () => {
  configError(tinyStudyConfig({ factors: [{ path: 'train.momentum', values: [0.9, 'high'] }] }), 'factors[0].values[1]', /momentum in \[0, 1\).*train\.momentum/);
  configError(tinyStudyConfig({ factors: [{ path: 'network.widths', values: [64] }] }), 'factors[0].values[0]', /list of layer widths/);
  configError(tinyStudyConfig({ factors: [{ path: 'network.activations', values: ['relu', 'swish'] }] }), 'factors[0].values[1]', /relu/);
  configError(tinyStudyConfig({ factors: [{ path: 'network.batchNorm', values: [true, 'off'] }] }), 'factors[0].values[1]', /true\/false/);
  configError(tinyStudyConfig({ factors: [{ path: 'train.batchSize', values: [32, 0] }] }), 'factors[0].values[1]', /whole number >= 1/);
});

test('an empty study, empty value lists and repeated factors or values are refused', () => {
  configError(tinyStudyConfig({ factors: [] }), 'factors', /at least one factor/);
  configError(tinyStudyConfig({ factors: [{ path: 'train.momentum', values: [] }] }), 'factors[0].values', /non-empty/);
  configError(
    tinyStudyConfig({ factors: [{ path: 'train.momentum', values: [0.9] }, { path: 'train.momentum', values: [0.8] }] }),
    'factors[1].path',
    /factors\[0\] varies it/,
  );
  configError(tinyStudyConfig({ factors: [{ path: 'train.momentum', values: [0.9, 0.8, 0.9] }] }), 'factors[0].values[2]', /different from values\[0\]/);
  // [8, 8] with layers unset is the same model as layers: 2 of [8]: found equal by the canonical form.
  configError(tinyStudyConfig({ factors: [{ path: 'network.activations', values: ['relu', ['relu']] }] }), 'factors[0].values[1]', /same model/);
  assert.throws(() => resolveStudy([]), ConfigError);
  assert.throws(() => resolveStudy({ data: { source: 'x' }, factors: [] }, 'empty.json'), /^ConfigError: empty\.json: factors: got \[\], expected at least one factor/);
});

test('bad study-level fields are named', () => {
  configError(tinyStudyConfig({ strategy: 'annealing' }), 'strategy', /one-at-a-time/);
  configError(tinyStudyConfig({ strategy: { type: 'random', trials: 0 } }), 'strategy.trials', /configurations >= 1/);
  configError(tinyStudyConfig({ seeds: 0 }), 'seeds', /seeds >= 1/);
  configError(tinyStudyConfig({ metric: 'testAccuracy' }), 'metric', /valAccuracy/);
  configError(tinyStudyConfig({ base: 'best' }), 'base', /preset/);
  configError(tinyStudyConfig({ base: { network: { widths: [8], dropout: 2 } } }), 'base.network.dropout', /drop probability/);
  configError(tinyStudyConfig({ sedes: 3 }), 'sedes', /no such option; allowed here: .*seeds/);
  configError(tinyStudyConfig({ data: { scale: 'none' } }), 'data.source', /required/);
  const huge = Array.from({ length: 6 }, (_, i) => ({ name: `f${i}`, path: ['train.momentum', 'train.learningRate', 'train.weightDecay', 'train.batchSize', 'network.dropout', 'train.epochs'][i], values: [0.1, 0.2, 0.3, 0.4].map((v) => (i === 3 || i === 5 ? Math.round(v * 100) : v)) }));
  configError(tinyStudyConfig({ strategy: 'grid', factors: [...huge, { path: 'network.widths', values: [[1], [2], [3], [4]] }] }), 'strategy', /at most 5000.*16384.*random/);
});

test('a resolved study: defaults, base value indices, labels, and a hash that follows the content', () => {
  const s = resolveStudy(tinyStudyConfig());
  assert.equal(s.seeds, 2);
  assert.equal(s.metric, 'valAccuracy');
  assert.equal(s.alpha, 0.05);
  assert.deepEqual(s.strategy, { type: 'one-at-a-time' });
  assert.equal(s.base.train.epochs, 3);
  assert.deepEqual(s.factors.map((f) => [f.name, f.baseIndex]), [['learningRate', 1], ['widths', 1]]);
  assert.deepEqual(s.factors[1].labels, ['[4]', '[8]']);
  assert.equal(resolveStudy(tinyStudyConfig()).hash, s.hash);
  assert.notEqual(resolveStudy(tinyStudyConfig({ seeds: 3 })).hash, s.hash);
  assert.equal(valueLabel(false), 'off');
  assert.equal(valueLabel(['gelu', 'relu']), '[gelu,relu]');
  assert.ok(factorPaths().includes('network.layers') && !factorPaths().includes('train.seed'));
});

test('the canonical key ignores how a run is written but not what it trains', () => {
  const s = resolveStudy(tinyStudyConfig());
  const same = { ...s.base, network: { ...s.base.network, activations: ['relu' as const], layers: 1 } };
  assert.equal(configKey(same as typeof s.base), configKey(s.base));
  assert.notEqual(configKey({ ...s.base, train: { ...s.base.train, momentum: 0.5 } }), configKey(s.base));
  assert.equal(configKey({ ...s.base, train: { ...s.base.train, seed: 99 } }), configKey(s.base));
});

test('the shipped example studies are valid', () => {
  const names = readdirSync(fileURLToPath(new URL('../../../examples/', import.meta.url))).filter((f) => /study.*\.json$|^fashion-best\.json$/.test(f));
  assert.ok(names.includes('seed-study.json') && names.includes('quick-study.json') && names.includes('fashion-best.json'));
  for (const name of names) {
    const text = readFileSync(fileURLToPath(new URL(`../../../examples/${name}`, import.meta.url)), 'utf8');
    const s = resolveStudy(JSON.parse(text), name);
    assert.ok(s.factors.length >= 2 || s.space.length >= 2, name);
  }
  const best = resolveStudy(JSON.parse(readFileSync(fileURLToPath(new URL('../../../examples/fashion-best.json', import.meta.url)), 'utf8')));
  // The raw 784 pixels, a TPE search with pruning, the final model on every training row.
  assert.equal(best.strategy.type, 'tpe');
  assert.equal(best.pruner.type, 'successive-halving');
  assert.equal(best.base.data.pca, null);
  assert.equal(best.final.trainRows, undefined);
  const seed = resolveStudy(JSON.parse(readFileSync(fileURLToPath(new URL('../../../examples/seed-study.json', import.meta.url)), 'utf8')));
  // SEED.md: the study's nine factors, starting from its default model.
  assert.deepEqual(
    seed.factors.map((f) => f.path).sort(),
    ['network.activations', 'network.batchNorm', 'network.dropout', 'network.layers', 'network.widths', 'train.batchSize', 'train.learningRate', 'train.momentum', 'train.weightDecay'],
  );
  assert.ok(seed.factors.every((f) => f.baseIndex >= 0), 'every factor lists the default model\'s value');
});

test('a study file cannot ask for unbounded work: trials, values, factors and per-layer lists are capped', () => {
  const base = { name: 'bounded', data: { source: 'fashion-mnist' }, base: 'default' };
  const refused = (config: unknown, pattern: RegExp) => assert.throws(() => resolveStudy(config, 'study.json'), (e: unknown) => e instanceof Error && pattern.test(e.message));
  refused({ ...base, strategy: { type: 'random', trials: 1e9 }, factors: [{ path: 'train.momentum', values: [0.5, 0.9] }] }, /strategy\.trials: got 1000000000, expected at most 100000/);
  refused({ ...base, factors: [{ path: 'train.momentum', values: Array.from({ length: 1001 }, (_, i) => i / 2000) }] }, /factors\[0\]\.values: .*at most 1000 values/);
  refused({ ...base, factors: [{ path: 'network.widths', values: [Array.from({ length: 1_000_000 }, () => 8)] }] }, /at most 64 widths/);
});
