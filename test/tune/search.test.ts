import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../src/errors.js';
import { resolveStudy } from '../../src/tune/study/config.js';
import { runExperiment } from '../../src/run/experiment.js';
import { finalRun, moreSearchTrials, nextStage, searchTrials, tpeObservations } from '../../src/tune/study/plan.js';
import { prunerFromConfig } from '../../src/tune/search/pruners.js';
import { SqliteStorage } from '../../src/tune/storage/sqlite.js';
import type { StoredTrial } from '../../src/tune/storage/types.js';
import { spaceConfiguration, studySeeds } from '../../src/tune/study/strategies.js';
import { StudyInterrupted, runStudy } from '../../src/tune/study/study.js';
import { RandomSampler } from '../../src/tune/search/sampler.js';
import { TpeSampler } from '../../src/tune/search/tpe.js';
import { syntheticStudyData, tempDir, tinyStudyConfig } from './helpers.js';

const data = syntheticStudyData();

const space = [
  { path: 'train.learningRate', low: 0.0005, high: 0.5, log: true },
  { path: 'network.widths', name: 'width', low: 2, high: 16, int: true },
  { path: 'network.activations', name: 'activation', choices: ['relu', 'tanh'] },
];

function tpeConfig(over: Record<string, unknown> = {}): Record<string, unknown> {
  const { factors: _f, seeds: _s, ...rest } = tinyStudyConfig({ epochs: 6 });
  return { ...rest, name: 'tpe-tiny', space, strategy: { type: 'tpe', trials: 12, seed: 3, startupTrials: 4 }, pruner: { type: 'median', warmupEpochs: 1, startupTrials: 2 }, ...over };
}

function refused(config: Record<string, unknown>, field: string, expected: RegExp): void {
  assert.throws(
    () => resolveStudy(config, 'study.json'),
    (e: unknown) => e instanceof ConfigError && e.field === `study.json: ${field}` && expected.test(e.expected),
    `${field} should be refused`,
  );
}

test('a search space and its sampler and pruner are checked when the study file is read, naming the field', () => {
  refused(tpeConfig({ space: [{ path: 'train.learningRate', low: 0.1, high: 0.1 }] }), 'space[0].high', /above low \(0\.1\): the range is empty/);
  refused(tpeConfig({ space: [{ path: 'train.learningRate', low: 0, high: 0.1, log: true }] }), 'space[0].low', /cannot touch or cross zero/);
  refused(tpeConfig({ space: [{ path: 'network.dropout', low: 0, high: 1.2 }] }), 'space[0].high', /drop probability/);
  refused(tpeConfig({ space: [{ path: 'train.seed', low: 0, high: 9, int: true }] }), 'space[0].path', /a run option/);
  refused(tpeConfig({ pruner: { type: 'median', warmupEpochs: 6 } }), 'pruner.warmupEpochs', /fewer than the 6 epochs/);
  refused(tpeConfig({ pruner: { type: 'successive-halving', minEpochs: 8 } }), 'pruner.minEpochs', /fewer than the 6 epochs/);
  refused(tpeConfig({ pruner: { type: 'hyperband' } }), 'pruner.type', /'none' \| 'median' \| 'successive-halving'/);
  refused(tpeConfig({ strategy: { type: 'cmaes', trials: 10 } }), 'strategy.type', /\{"type": "tpe", "trials": N\}/);
  refused(tpeConfig({ strategy: 'one-at-a-time' }), 'strategy', /a space of ranges is sampled/);
  refused(tpeConfig({ seeds: 3 }), 'seeds', /trains each suggestion once/);
  refused({ ...tpeConfig(), factors: [{ path: 'train.momentum', values: [0.9] }] }, 'space', /not both/);
  const { space: _s, ...noSpace } = tpeConfig();
  refused({ ...noSpace, factors: [{ path: 'train.momentum', values: [0.9] }] }, 'space', /TPE samples ranges/);
  refused(noSpace, 'factors', /or a "space" of ranges/);
});

test('a sampled width or activation applies to every hidden layer; depth is its own parameter', () => {
  const s = resolveStudy(tpeConfig({ base: { network: { widths: [8, 8], activations: ['relu', 'relu'], batchNorm: false }, train: { learningRate: 0.05 } }, space: [...space, { path: 'network.layers', low: 1, high: 3, int: true }] }));
  const c = spaceConfiguration(s, { 'train.learningRate': 0.01, 'network.widths': 5, 'network.activations': 'tanh', 'network.layers': 3 });
  assert.deepEqual(c.run.network.widths, [5]);
  assert.equal(c.run.network.layers, 3);
  assert.equal(c.run.train.learningRate, 0.01);
  assert.equal(c.label, 'learningRate=0.01, width=5, activation=tanh, layers=3');
  // TPE enqueues its start-up trials up front, each drawn uniformly from the space.
  const first = searchTrials(s);
  assert.deepEqual(first.map((t) => t.key), ['tpe:0', 'tpe:1', 'tpe:2', 'tpe:3']);
  first.forEach((t, n) => assert.deepEqual(t.params, new RandomSampler(3).suggest(s.space, [], n)));
});

/** Trials of the study in `dir`, with each one's metric per epoch. */
async function stored(dir: string): Promise<{ trials: StoredTrial[]; curves: Map<number, number[]> }> {
  const store = SqliteStorage.open(dir);
  try {
    // A fresh study folder holds one study, the first.
    const trials = (await store.trials(1)).sort((a, b) => a.position - b.position);
    const curves = new Map<number, number[]>();
    for (const t of trials) curves.set(t.id, (await store.epochs(t.id)).map((e) => e.valAccuracy));
    return { trials, curves };
  } finally {
    await store.close();
  }
}

test('a TPE study with median pruning: seeded suggestions read the earlier trials, pruned trials stop where the pruner says, and the report shows them', async () => {
  const a = tempDir();
  const b = tempDir();
  try {
    const study = resolveStudy(tpeConfig());
    const out = await runStudy(study, { dir: a.dir, data, workers: 1 });
    const { trials, curves } = await stored(a.dir);
    const search = trials.filter((t) => t.phase === 'search');
    assert.deepEqual(search.map((t) => t.key), Array.from({ length: 12 }, (_, n) => `tpe:${n}`));
    // Every suggestion after the start-up is TPE's answer to trials 0 .. n - 2 (parallelTrials 2 by default), whatever ran meanwhile.
    assert.equal(study.parallelTrials, 2);
    for (let n = 4; n < 12; n++) {
      const expected = new TpeSampler(3, { startupTrials: 4, candidates: 24 }).suggest(study.space, tpeObservations(study, search.slice(0, n - 1)), n);
      assert.deepEqual(search[n].params, expected, `trial ${n}`);
    }
    assert.deepEqual(moreSearchTrials(study, trials), [], 'no trial beyond the 12 asked for');
    // The search is over only when every suggestion was enqueued and ended: a process that counted
    // an empty queue just before another enqueued the last trial must not move on without it.
    const owed = trials.filter((t) => t.key !== 'tpe:11').map((t) => (t.key === 'tpe:10' ? { ...t, status: 'running' as const } : t));
    // Trials 0 .. 9 ended: trial 11 may be suggested while 10 still runs.
    assert.deepEqual(nextStage(study, 'search', owed, true).trials.map((t) => t.key), ['tpe:11']);
    assert.deepEqual(nextStage(study, 'search', trials.map((t) => (t.key === 'tpe:11' ? { ...t, status: 'queued' as const } : t)), true), { to: 'search', trials: [] });
    assert.equal(nextStage(study, 'search', trials.filter((t) => t.phase === 'search'), true).to, 'final');
    // Each pruned trial stopped at the first epoch where the median rule fires against trials 0 .. n - 2, and no other trial should have.
    let pruned = 0;
    for (const [n, t] of search.entries()) {
      const others = search.slice(0, Math.max(0, n - 1)).filter((x) => x.status === 'done' || x.status === 'pruned').map((x) => curves.get(x.id)!);
      const curve = curves.get(t.id)!;
      const firstFire = curve.findIndex((_, e) => e + 1 < 6 && prunerFromConfig(study.pruner, 1)?.prune(curve, others, e + 1)?.prune === true);
      if (t.status === 'pruned') {
        pruned++;
        assert.equal(firstFire, curve.length - 1, `${t.key} stopped after epoch ${curve.length}`);
        assert.match(t.error!, new RegExp(`^epoch ${curve.length}: best .* is worse than the median`));
        assert.equal(t.result!.epochs, curve.length);
      } else {
        assert.equal(t.status, 'done');
        assert.equal(firstFire, -1, `${t.key} was not pruned`);
        assert.equal(curve.length, 6);
      }
    }
    assert.ok(pruned >= 1 && pruned <= 10, `some trials pruned (${pruned})`);
    // The winner is the best finished (not pruned) trial; the final model trains it.
    const done = search.filter((t) => t.status === 'done');
    const best = done.reduce((x, y) => (y.result!.metric > x.result!.metric ? y : x));
    assert.equal(out.report.winner.label, best.label);
    assert.ok(out.report.final?.test);
    // study.json: every trial's state, epochs run and the pruner's reason.
    const json = JSON.parse(readFileSync(join(a.dir, 'study.json'), 'utf8'));
    assert.equal(json.trialLog.length, 12);
    for (const [i, t] of search.entries()) {
      const e = json.trialLog[i];
      assert.equal(e.key, t.key);
      assert.equal(e.state, t.status);
      assert.equal(e.epochs, curves.get(t.id)!.length);
      assert.equal(e.reason, t.status === 'pruned' ? t.error : null);
    }
    assert.equal(json.search.importance.length, 3);
    const html = readFileSync(join(a.dir, 'report.html'), 'utf8');
    for (const id of ['search', 'importance', 'best-trials', 'pruned', 'final']) assert.match(html, new RegExp(`id="${id}"`), id);
    assert.match(html, /<svg/);
    const md = readFileSync(join(a.dir, 'table1.md'), 'utf8');
    assert.match(md, /^# tpe-tiny: search/);
    assert.match(md, /## Pruned trials/);
    // The same study file and seed on two workers: the same suggestions, states and results.
    await runStudy(study, { dir: b.dir, data, workers: 2, htmlReport: false });
    const again = await stored(b.dir);
    assert.deepEqual(
      again.trials.map((t) => [t.key, t.params, t.status, t.result?.metric]),
      trials.map((t) => [t.key, t.params, t.status, t.result?.metric]),
    );
  } finally {
    a.done();
    b.done();
  }
});

test('TPE on two workers runs exactly the trials asked for, each once; random search over a space enqueues them all at once', async () => {
  const t = tempDir();
  const r = tempDir();
  try {
    const study = resolveStudy(tpeConfig({ pruner: { type: 'none' }, strategy: { type: 'tpe', trials: 9, seed: 1, startupTrials: 3 } }));
    const out = await runStudy(study, { dir: t.dir, data, workers: 2, htmlReport: false });
    const { trials } = await stored(t.dir);
    const search = trials.filter((x) => x.phase === 'search');
    assert.deepEqual(search.map((x) => x.key).sort(), Array.from({ length: 9 }, (_, n) => `tpe:${n}`).sort());
    assert.ok(search.every((x) => x.status === 'done' && x.attempt === 1));
    assert.equal(out.report.trialLog.filter((x) => x.phase === 'search').length, 9);
    const random = resolveStudy(tpeConfig({ name: 'random-tiny', pruner: { type: 'none' }, strategy: { type: 'random', trials: 5, seed: 2 } }));
    assert.deepEqual(searchTrials(random).map((x) => x.params), Array.from({ length: 5 }, (_, n) => new RandomSampler(2).suggest(random.space, [], n)));
    const rout = await runStudy(random, { dir: r.dir, data, workers: 2, htmlReport: false });
    assert.equal(rout.report.trialLog.filter((x) => x.phase === 'search' && x.state === 'done').length, 5);
    assert.match(rout.report.strategy, /random search \(5 trials over ranges, seed 2\)/);
  } finally {
    t.done();
    r.done();
  }
});

test("final.compareWith trains the named model beside the final one on the same data, seed and final training, and tests it once", async () => {
  const t = tempDir();
  try {
    const reference = { network: { widths: [3], activations: 'tanh', batchNorm: false, dropout: 0 }, train: { learningRate: 0.02, batchSize: 16, momentum: 0.5, weightDecay: 0 } };
    const study = resolveStudy(tinyStudyConfig({ final: { epochs: 4, compareWith: reference } }));
    assert.throws(() => resolveStudy(tinyStudyConfig({ final: { compareWith: 'best' } }), 'study.json'), (e: unknown) => e instanceof ConfigError && e.field === 'study.json: final.compareWith');
    const out = await runStudy(study, { dir: t.dir, data, workers: 2 });
    const ref = out.report.reference!;
    assert.equal(ref.sameAsWinner, false);
    assert.ok(ref.final?.test && out.report.final?.test);
    // Independently: the same run trained directly on the study's data gives the same test predictions.
    const direct = await runExperiment(finalRun(study, study.reference!.run, studySeeds(study)[0]), data, { title: 'direct' });
    direct.model.dispose();
    assert.equal(ref.final.test.accuracy, direct.report.test!.accuracy);
    assert.deepEqual(ref.final.test.confusion, direct.report.test!.confusion);
    assert.equal(ref.final.history.length, 4);
    const md = readFileSync(join(t.dir, 'table1.md'), 'utf8');
    assert.match(md, /## The final model beside the reference model/);
    assert.match(md, /On the same 90 test rows, mlplab's final model is/);
    assert.match(readFileSync(join(t.dir, 'report.html'), 'utf8'), /id="comparison"/);
    assert.ok(existsSync(join(t.dir, 'reference', 'model.json')) && existsSync(join(t.dir, 'final', 'model.json')));
  } finally {
    t.done();
  }
});

test('a reference model that is the winner once the final training applies is trained once, and said to be the same', async () => {
  const t = tempDir();
  try {
    const config = tinyStudyConfig({ factors: [{ path: 'train.momentum', values: [0.9] }], seeds: 1, final: { epochs: 3 } });
    const study = resolveStudy({ ...config, final: { epochs: 3, compareWith: { ...(config.base as object), train: { ...(config.base as { train: object }).train, epochs: 50 } } } });
    const out = await runStudy(study, { dir: t.dir, data, workers: 1, htmlReport: false });
    assert.equal(out.report.reference?.sameAsWinner, true);
    assert.ok(!existsSync(join(t.dir, 'reference')));
    assert.match(readFileSync(join(t.dir, 'table1.md'), 'utf8'), /The search chose the reference model itself\./);
    const json = JSON.parse(readFileSync(join(t.dir, 'study.json'), 'utf8'));
    assert.equal(json.final.test.predictions, undefined);
  } finally {
    t.done();
  }
});

test('a TPE study with pruning interrupted and resumed gives the results of an uninterrupted run', async () => {
  const a = tempDir();
  const b = tempDir();
  try {
    const study = resolveStudy(tpeConfig({ name: 'tpe-resume', final: { enabled: false } }));
    const controller = new AbortController();
    let finished = 0;
    await assert.rejects(
      runStudy(study, {
        dir: a.dir,
        data,
        workers: 2,
        htmlReport: false,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.finished && ++finished === 6) controller.abort();
        },
      }),
      StudyInterrupted,
    );
    const partial = (await stored(a.dir)).trials.filter((t) => t.phase === 'search');
    assert.ok(partial.length < 12 || partial.some((t) => t.status === 'queued'), 'stopped before the end');
    await runStudy(study, { dir: a.dir, data, workers: 2, htmlReport: false });
    await runStudy(study, { dir: b.dir, data, workers: 1, htmlReport: false });
    const key = (t: StoredTrial) => [t.key, t.params, t.status, t.result?.metric, t.result?.epochs];
    assert.deepEqual((await stored(a.dir)).trials.map(key), (await stored(b.dir)).trials.map(key));
  } finally {
    a.done();
    b.done();
  }
});
