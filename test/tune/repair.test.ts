import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTable1, combinedCandidate, configStats } from '../../src/tune/analysis.js';
import { resolveStudy } from '../../src/tune/config.js';
import { finishRepair, judgeRepairStep, nextRepairLevels, repairOrder, type RepairStep } from '../../src/tune/repair.js';
import type { TrialOutcomeRecord } from '../../src/tune/analysis.js';
import { configuration, expandStrategy, type Configuration } from '../../src/tune/strategies.js';
import { tinyStudyConfig } from './helpers.js';

const study = resolveStudy(
  tinyStudyConfig({
    factors: [
      { path: 'network.dropout', values: [0, 0.2, 0.5] },
      { path: 'train.momentum', values: [0.85, 0.9, 0.99] },
    ],
    base: { network: { widths: [8], dropout: 0.5 }, train: { momentum: 0.9 } },
    seeds: 3,
  }),
);

function trialsOf(c: Configuration, values: number[]): TrialOutcomeRecord[] {
  return values.map((v, seed) => ({
    configKey: c.key, seed, status: 'done' as const,
    result: { metric: v, valAccuracy: v, valLoss: 1, bestEpoch: 3, epochs: 3, stoppedEarly: false, seconds: 2, secondsPerEpoch: 2 / 3 },
  }));
}

test('forward search: the changes by gain alone, each kept only when it helps beyond the noise', () => {
  // One at a time: momentum 0.99 gains most (+10 points), dropout 0 next (+4); both are significant.
  const configs = expandStrategy(study);
  const alone: Record<string, number[]> = { base: [0.40, 0.41, 0.42], 'dropout=0': [0.44, 0.45, 0.46], 'dropout=0.2': [0.41, 0.42, 0.43], 'momentum=0.85': [0.40, 0.41, 0.40], 'momentum=0.99': [0.50, 0.51, 0.52] };
  const trials = configs.flatMap((c) => trialsOf(c, alone[c.label]));
  const stats = configStats(configs, trials);
  const table = buildTable1(study, configs, stats);
  const candidate = combinedCandidate(study, table);
  const order = repairOrder(study, table, candidate);
  assert.deepEqual(order.map((c) => c.label), ['momentum=0.99', 'dropout=0']);

  // Step 1: momentum 0.99 on the base, which was measured in the search.
  const steps: RepairStep[] = [];
  let levels = nextRepairLevels(study, order, steps)!;
  let c = configuration(study, levels);
  assert.equal(c.label, 'momentum=0.99');
  const baseStats = stats.get(configuration(study, [2, 1]).key)!;
  steps.push(judgeRepairStep(study, order[0], levels, c.label, stats.get(c.key)!, baseStats));
  assert.equal(steps[0].kept, true);
  assert.match(steps[0].reason, /\+10\.00 points over base \(p < 0\.001\): kept/);

  // Step 2: dropout 0 on top of momentum 0.99 diverges together (no finished seed): dropped.
  levels = nextRepairLevels(study, order, steps)!;
  c = configuration(study, levels);
  assert.equal(c.label, 'dropout=0, momentum=0.99');
  const together = configStats([c], [{ ...trialsOf(c, [0])[0], status: 'failed', result: null }]).get(c.key)!;
  steps.push(judgeRepairStep(study, order[1], levels, c.label, together, stats.get(configuration(study, [2, 2]).key)!));
  assert.equal(steps[1].kept, false);
  assert.equal(steps[1].reason, 'diverged or did not finish');
  assert.equal(nextRepairLevels(study, order, steps), null);

  const r = finishRepair(study, steps, 'The combined candidate diverged');
  assert.deepEqual(r.levels, [2, 2]);
  assert.equal(r.label, 'momentum=0.99');
  assert.match(r.summary, /kept momentum=0\.99; dropped dropout=0\. The final model is momentum=0\.99\./);
});

test('a change within the noise of the configuration it extends is dropped', () => {
  const c = configuration(study, [0, 1]);
  const kept = configStats([configuration(study, [2, 1])], trialsOf(configuration(study, [2, 1]), [0.40, 0.45, 0.50])).get(configuration(study, [2, 1]).key)!;
  const tried = configStats([c], trialsOf(c, [0.42, 0.47, 0.51])).get(c.key)!;
  const step = judgeRepairStep(study, { factor: 0, value: 0, label: 'dropout=0', gain: 0.01 }, [0, 1], c.label, tried, kept);
  assert.equal(step.kept, false);
  assert.match(step.reason, /within the noise or worse, dropped/);
});
