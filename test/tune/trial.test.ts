import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runTrial } from '../../src/tune/exec/trial.js';
import { resolveRun } from '../../src/run/spec.js';
import { ReferenceBackend } from '../../src/tensor/reference.js';
import { gaussianBlobs } from '../helpers.js';

test('a trial whose network cannot be built is recorded as its own failure, not a crash of the worker', async () => {
  const train = gaussianBlobs(60, 8, 3, 1, 1.0, 5);
  const val = gaussianBlobs(30, 8, 3, 2, 1.0, 5);
  const huge = resolveRun({ network: { widths: [65536, 65536, 65536] }, train: { epochs: 1 } });
  const out = await runTrial({ train, val, classes: 3 }, huge, 0, 'valAccuracy', { backend: new ReferenceBackend() });
  assert.equal(out.ok, false);
  assert.ok(!out.ok && /^cannot be trained: model: got "[\d,]+ parameters", expected a network of at most/.test(out.error), JSON.stringify(out));
  const fine = await runTrial({ train, val, classes: 3 }, resolveRun({ network: { widths: [8] }, train: { epochs: 1 } }), 0, 'valAccuracy', { backend: new ReferenceBackend() });
  assert.equal(fine.ok, true);
});

test('a study whose plan holds a network too large to build is refused before it is created, naming the configuration', async () => {
  const { checkPlan } = await import('../../src/tune/study/plan.js');
  const { resolveStudy } = await import('../../src/tune/study/config.js');
  const { tinyStudyConfig } = await import('./helpers.js');
  const study = resolveStudy(tinyStudyConfig({ factors: [{ path: 'network.widths', values: [[8], [65536, 65536, 65536]] }] }));
  assert.throws(() => checkPlan(study, 8, 3), /the study's configuration widths=\[65536,65536,65536\]: got "[\d,]+ parameters", expected a network of at most/);
  const fine = resolveStudy(tinyStudyConfig({ factors: [{ path: 'network.widths', values: [[8], [16]] }] }));
  assert.doesNotThrow(() => checkPlan(fine, 8, 3));
  const space = resolveStudy(tinyStudyConfig({ factors: undefined, seeds: 1, space: [{ path: 'network.widths', low: 8, high: 65536, int: true }, { path: 'network.layers', low: 1, high: 3, int: true }], strategy: { type: 'random', trials: 3 } }));
  assert.throws(() => checkPlan(space, 8, 3), /parameters/);
});
