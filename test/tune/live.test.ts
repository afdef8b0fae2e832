import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LiveView, fmtEta } from '../../src/cli/live.js';
import type { StudyProgress } from '../../src/tune/study/study.js';

function fakeStream(tty: boolean) {
  const out = { text: '', isTTY: tty, columns: 160, write(s: string) { out.text += s; return true; } };
  return out;
}

const progress = (over: Partial<StudyProgress> = {}): StudyProgress => ({
  phase: 'search',
  done: 5,
  running: [{ label: 'dropout=0.2', seed: 1, epoch: 3, epochs: 20 }],
  left: 10,
  total: 16,
  reused: 2,
  best: { label: 'dropout=0.2', mean: 0.5051, n: 3 },
  elapsedSeconds: 75,
  etaSeconds: 130,
  workers: 2,
  ...over,
});

test('on a terminal the view is a block redrawn in place: done, running, left, best, ETA, running trials', () => {
  const s = fakeStream(true);
  const view = new LiveView({ metric: 'valAccuracy', stream: s as unknown as NodeJS.WriteStream });
  view.update(progress());
  assert.match(s.text, /search: 5\/16 done, 1 running, 10 left \(2 from an earlier run\) \| 2 workers \| 1 min 15 s elapsed \| ETA 2 min 10 s/);
  assert.match(s.text, /best so far: 50\.51% \(n=3\) dropout=0\.2/);
  assert.match(s.text, /> dropout=0\.2, seed 1: epoch 3\/20/);
  const first = s.text.length;
  view.update(progress({ done: 6, left: 9 }));
  // The second frame first moves the cursor up over the three lines of the first and clears them.
  assert.equal(s.text.slice(first, first + 7), '\x1b[3F\x1b[J');
  view.log('combined candidate: dropout=0.2');
  view.stop();
  assert.ok(s.text.endsWith('\x1b[J'), 'stop removes the block');
});

test('without a terminal: one plain line per finished trial and no escape codes', () => {
  const s = fakeStream(false);
  const view = new LiveView({ metric: 'valAccuracy', stream: s as unknown as NodeJS.WriteStream });
  view.update(progress());
  assert.equal(s.text, '');
  const result = { metric: 0.4321, valAccuracy: 0.4321, valLoss: 1.5, bestEpoch: 7, epochs: 9, stoppedEarly: true, seconds: 3.25, secondsPerEpoch: 0.36 };
  view.update(progress({ finished: { label: 'momentum=0.85', seed: 2, result } }));
  view.update(progress({ finished: { label: 'learningRate=10', seed: 0, result: null, error: 'training diverged' } }));
  view.stop();
  assert.equal(
    s.text,
    // 3.25 s is an exact binary tie: it rounds to even, as every number mlplab prints.
    '[search 5/16] momentum=0.85, seed 2: 43.21% in 3.2 s (9 epochs) | best 50.51% (dropout=0.2) | ETA 2 min 10 s\n' +
      '[search 5/16] learningRate=10, seed 0: diverged: training diverged | best 50.51% (dropout=0.2) | ETA 2 min 10 s\n',
  );
  assert.equal(fmtEta(3725), '1 h 02 min');
});

test('the view names the worker of each running and finished trial, and the hosts when there are several', () => {
  const s = fakeStream(true);
  const view = new LiveView({ metric: 'valAccuracy', stream: s as unknown as NodeJS.WriteStream });
  view.update(progress({ workers: 4, hosts: 2, running: [{ label: 'dropout=0.2', seed: 1, epoch: 3, epochs: 20, worker: 'lab-2:3187:1' }] }));
  view.stop();
  assert.match(s.text, /\| 4 workers on 2 hosts \|/);
  assert.match(s.text, /> dropout=0\.2, seed 1: epoch 3\/20 on lab-2:3187:1/);
  const plain = fakeStream(false);
  const lines = new LiveView({ metric: 'valAccuracy', stream: plain as unknown as NodeJS.WriteStream });
  const result = { metric: 0.5, valAccuracy: 0.5, valLoss: 1, bestEpoch: 2, epochs: 2, stoppedEarly: false, seconds: 1, secondsPerEpoch: 0.5 };
  lines.update(progress({ hosts: 1, finished: { label: 'base', seed: 0, result, worker: 'lab-1:42:2' } }));
  lines.update(progress({ phase: 'final', done: 1, total: 1, finished: { label: 'base', seed: 0, result: null, worker: 'lab-1:42:1' } }));
  assert.match(plain.text, /^\[search 5\/16\] base, seed 0: 50\.00% in 1\.0 s \(2 epochs\) on lab-1:42:2 \|/);
  assert.match(plain.text, /\n\[final model 1\/1\] base, seed 0: trained on lab-1:42:1/);
});
