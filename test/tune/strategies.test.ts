import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTable1, combinedCandidate, configStats, interactionCheck } from '../../src/tune/analysis/table1.js';
import { resolveStudy } from '../../src/tune/study/config.js';
import type { TrialOutcomeRecord } from '../../src/tune/analysis/table1.js';
import type { TrialResult } from '../../src/tune/storage/types.js';
import { baseLevels, configuration, expandStrategy, gridLevels, neighbourLevels, randomLevels, studySeeds, type Configuration } from '../../src/tune/study/strategies.js';
import { tinyStudyConfig } from './helpers.js';

const threeFactors = [
  { path: 'train.momentum', values: [0.8, 0.9, 0.95] },
  { path: 'network.dropout', values: [0, 0.2] },
  { path: 'train.batchSize', values: [16, 32, 64, 128] },
];

test('one-at-a-time: the base model, then each factor value with the others at base, base duplicates merged', () => {
  const s = resolveStudy(tinyStudyConfig({ factors: threeFactors, base: { network: { widths: [8], dropout: 0 }, train: { momentum: 0.9, batchSize: 32 } } }));
  const configs = expandStrategy(s);
  // 1 base + (3-1) + (2-1) + (4-1): every list holds the base value once.
  assert.equal(configs.length, 1 + 2 + 1 + 3);
  assert.equal(configs[0].label, 'base');
  assert.deepEqual(configs[0].levels, [1, 0, 1]);
  assert.deepEqual(
    configs.slice(1).map((c) => c.label),
    ['momentum=0.8', 'momentum=0.95', 'dropout=0.2', 'batchSize=16', 'batchSize=64', 'batchSize=128'],
  );
  for (const c of configs.slice(1)) assert.equal(c.levels.filter((l, i) => l !== configs[0].levels[i]).length, 1, c.label);
  assert.equal(configs.find((c) => c.label === 'dropout=0.2')!.run.network.dropout, 0.2);
  assert.equal(new Set(configs.map((c) => c.key)).size, configs.length);
  assert.deepEqual(studySeeds(s), [0, 1]);
});

test('one-at-a-time with a base value missing from a list: that factor adds every value', () => {
  const s = resolveStudy(tinyStudyConfig({ factors: [{ path: 'train.momentum', values: [0.5, 0.6] }] }));
  assert.equal(s.factors[0].baseIndex, -1);
  assert.deepEqual(baseLevels(s), [null]);
  assert.equal(expandStrategy(s).length, 3);
});

test('grid: the product of the value lists, first factor slowest', () => {
  const s = resolveStudy(tinyStudyConfig({ factors: threeFactors, strategy: 'grid' }));
  const configs = expandStrategy(s);
  assert.equal(configs.length, 3 * 2 * 4);
  assert.deepEqual(configs[0].levels, [0, 0, 0]);
  assert.deepEqual(configs[1].levels, [0, 0, 1]);
  assert.deepEqual(configs[4].levels, [0, 1, 0]);
  assert.deepEqual(configs[23].levels, [2, 1, 3]);
  assert.equal(new Set(configs.map((c) => c.key)).size, 24);
  assert.equal([...gridLevels(s.factors)].length, 24);
});

test('random: the trial budget of distinct combinations, fixed by its seed', () => {
  const s = resolveStudy(tinyStudyConfig({ factors: threeFactors, strategy: { type: 'random', trials: 7, seed: 5 } }));
  const configs = expandStrategy(s);
  assert.equal(configs.length, 7);
  assert.equal(new Set(configs.map((c) => c.key)).size, 7);
  assert.deepEqual(randomLevels(s.factors, 7, 5), configs.map((c) => c.levels));
  assert.notDeepEqual(randomLevels(s.factors, 7, 6), randomLevels(s.factors, 7, 5));
  // A budget at least the grid's size is the grid.
  assert.equal(randomLevels(s.factors, 24, 1).length, 24);
  assert.equal(randomLevels(s.factors, 100, 1).length, 24);
  // Every value is reachable: over many draws each level of each factor appears.
  const many = randomLevels(s.factors, 20, 3);
  s.factors.forEach((f, i) => assert.equal(new Set(many.map((l) => l[i])).size, f.values.length));
});

test('neighbours: one step either way and back to base for each changed factor', () => {
  const s = resolveStudy(tinyStudyConfig({ factors: threeFactors, base: { network: { widths: [8] }, train: { momentum: 0.9, batchSize: 32 } } }));
  // base levels [1, 0, 1]; candidate changes momentum to 0.95 and batch size to 128.
  const cand = [2, 0, 3];
  assert.deepEqual(neighbourLevels(s, cand, 'changed'), [
    [1, 0, 3], // momentum one step down (= its base value)
    [2, 0, 2], // batch size one step down
    [2, 0, 1], // batch size back to base
  ]);
  const all = neighbourLevels(s, cand, 'all');
  assert.deepEqual(all, [[1, 0, 3], [2, 1, 3], [2, 0, 2], [2, 0, 1]]);
});

/** Stored trials with made-up results: `values` per configuration label, per-epoch seconds `spe`. */
function fakeTrials(configs: Configuration[], table: Record<string, { values: number[]; spe: number }>): TrialOutcomeRecord[] {
  return configs.flatMap((c) => {
    const t = table[c.label];
    if (!t) return [];
    return t.values.map((v, seed): TrialOutcomeRecord => {
      const result: TrialResult = { metric: v, valAccuracy: v, valLoss: 1 - v, bestEpoch: 10, epochs: 10, stoppedEarly: false, seconds: 10 * t.spe, secondsPerEpoch: t.spe };
      return { configKey: c.key, seed, status: 'done', result };
    });
  });
}

test('Table 1, the combined candidate and its cost rule on hand-made numbers', () => {
  const s = resolveStudy(
    tinyStudyConfig({
      factors: [
        { path: 'train.momentum', values: [0.85, 0.9] },
        { path: 'network.dropout', values: [0, 0.2] },
        { path: 'network.layers', values: [1, 2] },
      ],
      base: { network: { widths: [8], dropout: 0 }, train: { momentum: 0.9 } },
      seeds: 3,
    }),
  );
  const configs = expandStrategy(s);
  assert.deepEqual(configs.map((c) => c.label), ['base', 'momentum=0.85', 'dropout=0.2', 'layers=2']);
  const trials = fakeTrials(configs, {
    base: { values: [0.404, 0.405, 0.406], spe: 1 },
    // +0.5 points with 1 point of noise: within the noise.
    'momentum=0.85': { values: [0.4, 0.42, 0.405], spe: 1 },
    // +10 points, clearly significant, same cost.
    'dropout=0.2': { values: [0.505, 0.503, 0.507], spe: 1.05 },
    // +0.8 points, significant, but 2x the time per epoch: the study's "3 layers cost 2x for < 1%".
    'layers=2': { values: [0.412, 0.413, 0.414], spe: 2 },
  });
  const stats = configStats(configs, trials);
  const table = buildTable1(s, configs, stats);
  assert.equal(table.kind, 'configuration');
  assert.ok(Math.abs(table.base!.metric.mean - 0.405) < 1e-12);
  const cell = (f: number, v: number) => table.rows[f].cells[v];
  assert.equal(cell(0, 1).isBase, true);
  assert.equal(cell(0, 0).verdict, 'noise');
  assert.equal(cell(1, 1).verdict, 'better');
  assert.equal(cell(2, 1).verdict, 'better');
  assert.ok(Math.abs(cell(1, 1).stats!.metric.mean - 0.505) < 1e-12);

  const cand = combinedCandidate(s, table);
  assert.deepEqual(cand.levels, [1, 1, 0]);
  assert.deepEqual(cand.decisions.map((d) => [d.factor, d.chosen, d.changed]), [['momentum', '0.9', false], ['dropout', '0.2', true], ['layers', '1', false]]);
  assert.match(cand.decisions[0].rejected[0].reason, /within the noise/);
  assert.match(cand.decisions[2].rejected[0].reason, /costs 2\.0x the time per epoch for \+0\.80 points/);
  assert.ok(Math.abs(cand.sumOfGains - 0.1) < 1e-12);

  // Without the cost rule's bite (2x allowed), 3 layers pass too.
  const lenient = resolveStudy(tinyStudyConfig({ ...JSON.parse(JSON.stringify({})), factors: s.factors.map((f) => ({ path: f.path, values: f.values })), base: { network: { widths: [8], dropout: 0 }, train: { momentum: 0.9 } }, seeds: 3, combine: { costRule: { maxTimeRatio: 2.5 } } }));
  assert.deepEqual(combinedCandidate(lenient, buildTable1(lenient, configs, stats)).levels, [1, 1, 1]);
  // 'best-mean' takes momentum 0.85's +0.5 points as well.
  const greedy = resolveStudy(tinyStudyConfig({ factors: s.factors.map((f) => ({ path: f.path, values: f.values })), base: { network: { widths: [8], dropout: 0 }, train: { momentum: 0.9 } }, seeds: 3, combine: { pick: 'best-mean' } }));
  assert.deepEqual(combinedCandidate(greedy, buildTable1(greedy, configs, stats)).levels, [0, 1, 0]);
});

test('interaction check: holds up unless a neighbour is significantly better', () => {
  const s = resolveStudy(tinyStudyConfig({ factors: [{ path: 'train.momentum', values: [0.85, 0.9] }, { path: 'network.dropout', values: [0, 0.2, 0.5] }], base: { network: { widths: [8], dropout: 0 }, train: { momentum: 0.9 } }, seeds: 3 }));
  const cand = configuration(s, [0, 1]);
  const neighbours = neighbourLevels(s, [0, 1], 'changed').map((l) => configuration(s, l));
  // Momentum one step up is its base value: that neighbour is listed once.
  assert.deepEqual(neighbours.map((n) => n.label), ['dropout=0.2', 'momentum=0.85', 'momentum=0.85, dropout=0.5']);
  const unique = [...new Map(neighbours.map((n) => [n.key, n])).values()];
  const base = configuration(s, [1, 0]);
  const good = fakeTrials([cand, base, ...unique], {
    'momentum=0.85, dropout=0.2': { values: [0.5, 0.51, 0.505], spe: 1 },
    base: { values: [0.4, 0.41, 0.405], spe: 1 },
    'dropout=0.2': { values: [0.49, 0.5, 0.51], spe: 1 },
    'momentum=0.85': { values: [0.45, 0.46, 0.455], spe: 1 },
    'momentum=0.85, dropout=0.5': { values: [0.5, 0.52, 0.49], spe: 1 },
  });
  const ok = interactionCheck(s, cand, neighbours, configStats([cand, base, ...unique], good), 0.15);
  assert.equal(ok.holdsUp, true);
  assert.equal(ok.winnerKey, cand.key);
  assert.equal(ok.vsBase!.significant, true);
  assert.match(ok.summary, /holds up/);

  const bad = fakeTrials([cand, base, ...unique], {
    'momentum=0.85, dropout=0.2': { values: [0.5, 0.51, 0.505], spe: 1 },
    base: { values: [0.4, 0.41, 0.405], spe: 1 },
    'dropout=0.2': { values: [0.49, 0.5, 0.51], spe: 1 },
    'momentum=0.85': { values: [0.45, 0.46, 0.455], spe: 1 },
    // Dropout 0.5 together with momentum 0.85 beats the candidate clearly: an interaction.
    'momentum=0.85, dropout=0.5': { values: [0.6, 0.61, 0.605], spe: 1 },
  });
  const no = interactionCheck(s, cand, neighbours, configStats([cand, base, ...unique], bad), 0.15);
  assert.equal(no.holdsUp, false);
  assert.equal(no.winnerLabel, 'momentum=0.85, dropout=0.5');
  assert.match(no.summary, /does not hold up: dropout 0\.2 -> 0\.5 is significantly better/);
});

test('interaction check: a diverged candidate, or one beaten by the best single change, does not hold up', () => {
  const s = resolveStudy(tinyStudyConfig({ factors: [{ path: 'train.momentum', values: [0.85, 0.9] }, { path: 'network.dropout', values: [0, 0.2] }], base: { network: { widths: [8], dropout: 0 }, train: { momentum: 0.9 } }, seeds: 3 }));
  const cand = configuration(s, [0, 1]);
  const neighbours = neighbourLevels(s, [0, 1], 'changed').map((l) => configuration(s, l));
  const base = configuration(s, [1, 0]);
  const single = neighbours.find((n) => n.label === 'dropout=0.2')!;
  const all = [cand, base, ...neighbours];
  const values = {
    base: { values: [0.4, 0.41, 0.405], spe: 1 },
    'dropout=0.2': { values: [0.5, 0.51, 0.505], spe: 1 },
    'momentum=0.85': { values: [0.45, 0.46, 0.455], spe: 1 },
  };
  // The candidate diverged in every seed: the final model falls back to the best other configuration.
  const diverged = fakeTrials(all, values);
  for (let seed = 0; seed < 3; seed++) {
    diverged.push({ configKey: cand.key, seed, status: 'failed', result: null });
  }
  const a = interactionCheck(s, cand, neighbours, configStats(all, diverged), 0.15, single);
  assert.equal(a.holdsUp, false);
  assert.match(a.summary, /the candidate diverged in 3 of 3 seeds/);
  assert.equal(a.winnerLabel, 'dropout=0.2');

  // The combination finished but is clearly worse than dropout 0.2 alone: momentum 0.85 hurts in combination.
  const worse = fakeTrials(all, { ...values, 'momentum=0.85, dropout=0.2': { values: [0.47, 0.475, 0.48], spe: 1 } });
  const b = interactionCheck(s, cand, neighbours, configStats(all, worse), 0.15, single);
  assert.equal(b.holdsUp, false);
  assert.match(b.summary, /momentum 0\.85 -> 0\.9 is significantly better/);
  assert.equal(b.bestSingle!.vsCandidate!.significant, true);
  assert.equal(b.winnerLabel, 'dropout=0.2');
});
