// A study divides the cores among its workers and never runs more threads than cores.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/errors.js';
import { resolveStudy } from '../../src/tune/study/config.js';
import { trialThreads } from '../../src/tune/exec/runner.js';

const study = (extra: Record<string, unknown>) => ({
  data: { source: 'fashion-mnist', pca: 16, trainRows: 500 },
  factors: [{ path: 'train.momentum', values: [0.5, 0.9] }],
  ...extra,
});

test('threads per trial: the cores divided among the workers by default, as asked when that fits', () => {
  assert.equal(trialThreads(undefined, 1, 8), 8);
  assert.equal(trialThreads(undefined, 3, 8), 2);
  assert.equal(trialThreads('auto', 2, 2), 1);
  assert.equal(trialThreads(undefined, 16, 8), 1, 'more workers than cores: one thread each');
  assert.equal(trialThreads(4, 2, 8), 4);
  assert.equal(trialThreads(1, 16, 8), 1);
});

test('workers x threads above the cores, or a bad count, is a ConfigError naming threads and the cap', () => {
  assert.throws(() => trialThreads(3, 2, 4), (e: unknown) => e instanceof ConfigError && e.field === 'threads' && /at most 2 with 2 workers on 4 cores/.test(e.message));
  assert.throws(() => trialThreads(2, 2, 2), /at most 1 with 2 workers on 2 cores/);
  assert.throws(() => trialThreads(0, 1, 2), (e: unknown) => e instanceof ConfigError && e.field === 'threads');
  assert.throws(() => trialThreads(1.5, 1, 2), ConfigError);
});

test('a study file takes threads, refuses bad ones by name, and keeps them out of its identity', () => {
  assert.equal(resolveStudy(study({ threads: 2 })).threads, 2);
  assert.equal(resolveStudy(study({ threads: 'auto' })).threads, 'auto');
  assert.equal(resolveStudy(study({})).threads, undefined);
  for (const bad of [0, -1, 2.5, 'all']) {
    assert.throws(() => resolveStudy(study({ threads: bad }), 'study.json'), (e: unknown) => e instanceof ConfigError && e.field === 'study.json: threads', String(bad));
  }
  assert.equal(resolveStudy(study({ threads: 2 })).hash, resolveStudy(study({})).hash, 'the same study on any number of threads');
});
