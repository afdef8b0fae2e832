import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatConfusionMatrix } from '../../src/report/text.js';

test('confusion matrix with short names: names head the columns', () => {
  assert.equal(
    formatConfusionMatrix([[5, 1], [0, 12]], ['cat', 'dog']),
    'actual \\ predicted  cat  dog\n' +
      'cat                   5    1\n' +
      'dog                   0   12\n',
  );
});

test('confusion matrix with long names: indices head the columns and prefix the rows', () => {
  const names = Array.from({ length: 11 }, (_, i) => (i === 3 ? 'Ankle boot' : `c${i}`));
  const m = names.map((_, i) => names.map((__, j) => (i === j ? 1000 + i : 0)));
  const lines = formatConfusionMatrix(m, names).split('\n');
  assert.equal(lines.length, 12 + 1);
  assert.equal(lines[0], 'actual \\ predicted     0     1     2     3     4     5     6     7     8     9    10');
  // Row names padded to the corner's 18 characters, then 11 cells of 2 spaces + 4 digits: 84 characters.
  assert.equal(lines[1], ' 0 c0' + ' '.repeat(13) + '  1000' + '     0'.repeat(10));
  assert.equal(lines[4], ' 3 Ankle boot' + ' '.repeat(5) + '     0'.repeat(3) + '  1003' + '     0'.repeat(7));
  assert.equal(lines[11], '10 c10' + ' '.repeat(12) + '     0'.repeat(10) + '  1010');
  assert.ok(lines.slice(0, 12).every((l) => l.length === 84));
});

test('without names, classes are numbered', () => {
  assert.equal(formatConfusionMatrix([[1, 2], [3, 4]]), 'actual \\ predicted  0  1\n0                   1  2\n1                   3  4\n');
});
