import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTable1, combinedCandidate, configStats } from '../../src/tune/analysis/table1.js';
import { resolveStudy } from '../../src/tune/study/config.js';
import { finishRepair, judgeRepairStep, nextRepairLevels, repairOrder, type RepairStep } from '../../src/tune/analysis/repair.js';
import type { TrialOutcomeRecord } from '../../src/tune/analysis/table1.js';
import { configuration, expandStrategy, type Configuration } from '../../src/tune/study/strategies.js';
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

test('the study plan: a combination that diverges is repaired step by step, then the final model trains the repaired one', async () => {
  const { nextStage, analyse } = await import('../../src/tune/study/plan.js');
  const seeds = 3;
  let position = 0;
  const stored = (c: Configuration, values: (number | null)[], phase: 'search' | 'interaction' | 'repair'): import('../../src/tune/storage/types.js').StoredTrial[] =>
    values.map((v, seed) => ({
      key: `${c.key}/s${seed}`, configKey: c.key, seed, phase, label: c.label, levels: c.levels, epochs: 3,
      id: ++position, position, status: v === null ? ('failed' as const) : ('done' as const), attempt: 1, worker: 'w', epoch: 3,
      result: v === null ? null : { metric: v, valAccuracy: v, valLoss: 1, bestEpoch: 3, epochs: 3, stoppedEarly: false, seconds: 2, secondsPerEpoch: 2 / 3 },
      error: v === null ? 'diverged' : null, finishedAt: null,
    }));
  const alone: Record<string, number[]> = { base: [0.40, 0.41, 0.42], 'dropout=0': [0.44, 0.45, 0.46], 'dropout=0.2': [0.41, 0.42, 0.43], 'momentum=0.85': [0.40, 0.41, 0.40], 'momentum=0.99': [0.50, 0.51, 0.52] };
  const trials = expandStrategy(study).flatMap((c) => stored(c, alone[c.label], 'search'));
  const toCheck = nextStage(study, 'search', trials, true);
  assert.equal(toCheck.to, 'interaction');
  // The candidate (dropout 0 with momentum 0.99) diverges in every seed; its neighbours are fine.
  for (const t of toCheck.trials) {
    const c = configuration(study, t.levels);
    if (trials.some((x) => x.key === t.key)) continue;
    trials.push(...stored(c, c.label === 'dropout=0, momentum=0.99' ? [null] : [0.45 + 0.01 * t.seed], 'interaction').map((x) => ({ ...x, key: t.key, seed: t.seed })));
  }
  const log: string[] = [];
  const next = nextStage(study, 'interaction', trials, true, (l) => log.push(l));
  // Step 1 (momentum 0.99 on the base) was measured in the search: judged at once and kept. Step 2 (adding dropout 0)
  // is the diverged candidate itself, also measured: dropped. So the search ends with no trial to run.
  assert.equal(next.to, 'final');
  assert.equal(next.trials[0].label, 'momentum=0.99');
  assert.ok(log.some((l) => /kept momentum=0\.99; dropped dropout=0\. The final model is momentum=0\.99\./.test(l)), log.join('\n'));
  const a = analyse(study, trials, 'final');
  assert.equal(a.repair!.result!.steps.length, 2);
  assert.equal(a.winner!.label, 'momentum=0.99');
  assert.equal(seeds, 3);
});

test('the study plan: a step whose configuration was never run is enqueued as the next repair stage', async () => {
  const { nextStage } = await import('../../src/tune/study/plan.js');
  const s3 = resolveStudy(
    tinyStudyConfig({
      factors: [
        { path: 'network.dropout', values: [0, 0.5] },
        { path: 'train.momentum', values: [0.9, 0.99] },
        { path: 'train.weightDecay', values: [0, 0.01] },
        { path: 'train.nesterov', values: [false, true] },
      ],
      base: { network: { widths: [8], dropout: 0.5 }, train: { momentum: 0.9, weightDecay: 0, nesterov: false } },
      seeds: 2,
    }),
  );
  let position = 0;
  const stored = (c: Configuration, values: (number | null)[], phase: 'search' | 'interaction' | 'repair') =>
    values.map((v, seed) => ({
      key: `${c.key}/s${seed}`, configKey: c.key, seed, phase, label: c.label, levels: c.levels, epochs: 3,
      id: ++position, position, status: v === null ? ('failed' as const) : ('done' as const), attempt: 1, worker: 'w', epoch: 3,
      result: v === null ? null : { metric: v, valAccuracy: v, valLoss: 1, bestEpoch: 3, epochs: 3, stoppedEarly: false, seconds: 2, secondsPerEpoch: 2 / 3 },
      error: v === null ? 'diverged' : null, finishedAt: null,
    }));
  const alone: Record<string, number[]> = { base: [0.400, 0.401], 'dropout=0': [0.450, 0.451], 'momentum=0.99': [0.500, 0.501], 'weightDecay=0.01': [0.430, 0.431], 'nesterov=on': [0.420, 0.421] };
  const trials = expandStrategy(s3).flatMap((c) => stored(c, alone[c.label], 'search'));
  const toCheck = nextStage(s3, 'search', trials, true);
  for (const t of toCheck.trials) {
    if (trials.some((x) => x.key === t.key)) continue;
    const c = configuration(s3, t.levels);
    trials.push(...stored(c, [c.levels.every((l, i) => l !== s3.factors[i].baseIndex) ? null : 0.47], 'interaction').map((x) => ({ ...x, key: t.key, seed: t.seed })));
  }
  const next = nextStage(s3, 'interaction', trials, true);
  // The check ran the candidate (all four changes: diverged) and its neighbours (three changes each). Step 1 of the
  // forward search is momentum 0.99 alone (run in the search, kept); step 2 adds dropout 0 to it: never run, so enqueued.
  assert.equal(next.to, 'repair:1');
  assert.deepEqual([...new Set(next.trials.map((t) => t.label))], ['dropout=0, momentum=0.99']);
  assert.deepEqual(next.trials.map((t) => t.phase), ['repair', 'repair']);
});
