import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bestSoFar, prunerFromConfig, prunerSchema, type PrunerConfig } from '../../src/tune/search/pruners.js';

const median: PrunerConfig = prunerSchema.parse({ type: 'median', warmupEpochs: 1, startupTrials: 3 });
const sha: PrunerConfig = prunerSchema.parse({ type: 'successive-halving', minEpochs: 1, reductionFactor: 2 });

/** `config`'s pruner on a metric with direction `sign`, after `epoch`. */
const judge = (config: PrunerConfig, sign: 1 | -1, curve: number[], others: number[][], epoch: number) => prunerFromConfig(config, sign)!.prune(curve, others, epoch);

test('best so far per epoch, for accuracies and for losses', () => {
  assert.deepEqual(bestSoFar([0.5, 0.4, 0.6, NaN, 0.55], 1), [0.5, 0.5, 0.6, 0.6, 0.6]);
  assert.deepEqual(bestSoFar([1.0, 1.2, 0.8], -1), [1.0, 1.0, 0.8]);
});

test('median pruning: hand-worked decisions', () => {
  const others = [[0.5, 0.6, 0.7], [0.4, 0.5, 0.6], [0.6, 0.7, 0.8], [0.3]];
  // Epoch 1 is the warm-up.
  assert.equal(judge(median, 1, [0.1], others, 1), null);
  // Epoch 2: the three trials that reached it have best-so-far 0.6, 0.5, 0.7: median 0.6.
  assert.match(judge(median, 1, [0.2, 0.55], others, 2)!.reason, /best 0\.55 is worse than the median 0\.6 of 3 trials/);
  assert.equal(judge(median, 1, [0.2, 0.6], others, 2), null, 'equal to the median goes on');
  // Too few trials reached epoch 3 with startupTrials 4.
  assert.equal(judge(prunerSchema.parse({ type: 'median', warmupEpochs: 1, startupTrials: 4 }), 1, [0.1, 0.1, 0.1], others, 3), null);
  // For a loss, lower is better.
  assert.ok(judge(median, -1, [2, 1.9], [[1, 0.9], [1.2, 1.1], [1.1, 1.0]], 2)!.prune);
});

test('successive halving: only rungs decide, and each keeps the best 1/eta', () => {
  // Rungs at epochs 1, 2, 4, 8 (eta 2). At epoch 3 nothing is decided.
  assert.equal(judge(sha, 1, [0.1, 0.1, 0.1], [[0.9, 0.9, 0.9]], 3), null);
  // Epoch 2 with 3 others: 4 competing, keep floor(4/2) = 2: best-so-far values 0.8, 0.7, [0.65], 0.5.
  const others = [[0.8, 0.8], [0.6, 0.7], [0.5, 0.5]];
  assert.ok(judge(sha, 1, [0.6, 0.65], others, 2)!.prune);
  assert.equal(judge(sha, 1, [0.6, 0.75], others, 2), null);
  // Alone at a rung, a trial goes on.
  assert.equal(judge(sha, 1, [0.1], [], 1), null);
});

test('a pruner from the config: none is no pruner; a trial with no finite metric yet stops, even in the warm-up', () => {
  assert.equal(prunerFromConfig({ type: 'none' }, 1), null);
  assert.equal(prunerFromConfig(median, 1)!.name, 'median');
  assert.equal(prunerFromConfig(sha, -1)!.name, 'successive-halving');
  assert.deepEqual(judge(median, 1, [NaN], [], 1), { prune: true, reason: 'no finite metric by epoch 1' });
});

test('pruner options are validated', () => {
  assert.throws(() => prunerSchema.parse({ type: 'successive-halving', reductionFactor: 1 }));
  assert.throws(() => prunerSchema.parse({ type: 'hyperband' }));
});
