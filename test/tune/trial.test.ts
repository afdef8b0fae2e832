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
