import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/errors.js';
import { Rng } from '../../src/tensor/rng.js';
import { parseConfig } from '../../src/validate.js';
import { resolveSpace, sampleParam, spaceSchema, type Param } from '../../src/tune/search/space.js';
import type { Observation } from '../../src/tune/search/sampler.js';
import { TpeSampler, goodCount, normalCdf, parzen, parzenPdf } from '../../src/tune/search/tpe.js';
import { erf64 } from '../nn/reference64.js';

const space = (input: unknown): Param[] => resolveSpace(parseConfig(spaceSchema, input, 'space'));

test('the normal CDF agrees with an independent float64 erf', () => {
  for (let z = -8; z <= 8; z += 0.01) {
    const expected = 0.5 * (1 + erf64(z / Math.SQRT2));
    assert.ok(Math.abs(normalCdf(z) - expected) < 1e-12, `z = ${z}: ${normalCdf(z)} vs ${expected}`);
  }
});

test('Parzen kernels: widths from the neighbours, hand-worked, and the truncated mixture integrates to 1', () => {
  // Points 0.1 and 0.7 on [0, 1], prior at 0.5: gaps 0.1|0.4, -, 0.2|0.3, widths at least 1/min(100, 3 + 1).
  const d = parzen([0.7, 0.1], 0, 1, 1);
  assert.deepEqual(d.mu, [0.1, 0.5, 0.7]);
  assert.deepEqual(d.sigma.map((s) => Number(s.toFixed(12))), [0.4, 1, 0.3]);
  assert.deepEqual(d.weight, [1 / 3, 1 / 3, 1 / 3]);
  const rng = new Rng(4);
  for (const [a, b] of [[0, 1], [-5, -1], [Math.log10(1e-5), Math.log10(1e-1)]]) {
    const points = Array.from({ length: 7 }, () => a + (b - a) * rng.uniform());
    const pdf = parzen(points, a, b, 1);
    const steps = 20000;
    let area = 0;
    for (let i = 0; i <= steps; i++) area += (i === 0 || i === steps ? 0.5 : 1) * parzenPdf(pdf, a, b, a + ((b - a) * i) / steps);
    area *= (b - a) / steps;
    assert.ok(Math.abs(area - 1) < 1e-4, `[${a}, ${b}]: area ${area}`);
    assert.equal(parzenPdf(pdf, a, b, b + 1e-9) <= 1e-300, true, 'zero outside the range');
  }
});

test('the good group is 10% of the trials, rounded up, at most 25', () => {
  assert.deepEqual([1, 9, 10, 11, 100, 249, 251, 1000].map(goodCount), [1, 1, 1, 2, 10, 25, 25, 25]);
});

test('suggestions are seeded: the same trial number and history give the same values; startup draws stay in range', () => {
  const s = space([{ path: 'train.learningRate', low: 1e-4, high: 0.1, log: true }, { path: 'network.widths', choices: [[64], [128, 64], [256, 128]] }, { path: 'network.layers', low: 1, high: 4, int: true }]);
  const history: Observation[] = Array.from({ length: 15 }, (_, i) => ({ params: new TpeSampler(3).suggest(s, [], i), loss: (i * 7) % 11 }));
  for (const h of history) {
    const lr = h.params['train.learningRate'] as number;
    assert.ok(lr >= 1e-4 && lr <= 0.1);
    assert.ok([1, 2, 3, 4].includes(h.params['network.layers'] as number));
  }
  assert.deepEqual(new TpeSampler(3).suggest(s, history, 15), new TpeSampler(3).suggest(s, history, 15));
  assert.notDeepEqual(new TpeSampler(3).suggest(s, history, 15), new TpeSampler(3).suggest(s, history, 16));
  assert.notDeepEqual(new TpeSampler(3).suggest(s, [], 0), new TpeSampler(4).suggest(s, [], 0));
});

test('TPE finds better values than random search on a smooth objective, seed after seed', () => {
  // A log-scale learning rate with its optimum at 10^-2.5 and a categorical with one good value.
  const s = space([{ path: 'lr', low: 1e-5, high: 1, log: true }, { path: 'act', choices: ['relu', 'gelu', 'tanh', 'sigmoid'] }]);
  const objective = (p: Record<string, unknown>) => (Math.log10(p.lr as number) + 2.5) ** 2 + (p.act === 'gelu' ? 0 : 1);
  let wins = 0;
  const seeds = 10;
  for (let seed = 0; seed < seeds; seed++) {
    const tpe: Observation[] = [];
    for (let t = 0; t < 40; t++) {
      const params = new TpeSampler(seed).suggest(s, tpe, t);
      tpe.push({ params, loss: objective(params) });
    }
    const rng = new Rng(1000 + seed);
    let randomBest = Infinity;
    for (let t = 0; t < 40; t++) randomBest = Math.min(randomBest, objective(Object.fromEntries(s.map((p) => [p.path, sampleParam(p, rng)]))));
    const tpeBest = Math.min(...tpe.map((o) => o.loss));
    if (tpeBest < randomBest) wins++;
    // After the startup trials, most suggestions pick the good category.
    assert.ok(tpe.slice(20).filter((o) => o.params.act === 'gelu').length >= 12, `seed ${seed}`);
  }
  assert.ok(wins >= 8, `TPE beat random search in ${wins} of ${seeds} seeds`);
});

test('bad search spaces are refused, naming the field', () => {
  const refuses = (input: unknown, field: string, re: RegExp) =>
    assert.throws(() => space(input), (e: unknown) => e instanceof ConfigError && e.field === field && re.test(e.message));
  refuses([{ path: 'train.learningRate', low: 0.1, high: 0.1 }], 'space[0].high', /the range is empty/);
  refuses([{ path: 'train.learningRate', low: 0, high: 0.1, log: true }], 'space[0].low', /cannot touch or cross zero/);
  refuses([{ path: 'network.layers', low: 1.5, high: 4, int: true }], 'space[0].low', /whole number/);
  refuses([{ path: 'a', choices: [1] }, { path: 'a', choices: [2] }], 'space[1].path', /already searched/);
  refuses([{ path: 'a', choices: [] }], 'space[0].choices', /at least one choice/);
});

test('parameter importance: the parameter the metric depends on takes the variance', async () => {
  const { parameterImportance } = await import('../../src/tune/search/importance.js');
  const s = space([{ path: 'lr', low: 1e-4, high: 1, log: true }, { path: 'act', choices: ['relu', 'gelu'] }, { path: 'wd', low: 0, high: 0.1 }]);
  const rng = new Rng(9);
  const trials = Array.from({ length: 80 }, () => {
    const params = Object.fromEntries(s.map((p) => [p.path, sampleParam(p, rng)]));
    return { params, value: -((Math.log10(params.lr as number) + 2) ** 2) + 0.01 * rng.normal() };
  });
  const imp = parameterImportance(s, trials);
  assert.equal(imp[0].path, 'lr');
  assert.ok(imp[0].eta2 > 0.5 && imp[0].share > 0.8, JSON.stringify(imp));
  assert.ok(Math.abs(imp.reduce((a, x) => a + x.share, 0) - 1) < 1e-12);
  // Hand-worked: two choices splitting values [1, 1] vs [3, 3]: all the variance is between groups.
  const two = parameterImportance(space([{ path: 'c', choices: ['a', 'b'] }]), [{ params: { c: 'a' }, value: 1 }, { params: { c: 'a' }, value: 1 }, { params: { c: 'b' }, value: 3 }, { params: { c: 'b' }, value: 3 }]);
  assert.equal(two[0].eta2, 1);
});
