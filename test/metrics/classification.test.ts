import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { accuracy, classificationReport, confusionMatrix } from '../../src/metrics/classification.js';
import { ConfigError, DataError, ShapeError } from '../../src/errors.js';
import { formatClassificationReport } from '../../src/report/text.js';

interface Case {
  name: string;
  classes: number;
  classNames: string[] | null;
  yTrue: number[];
  yPred: number[];
  expected: {
    accuracy: number;
    precision: number[];
    recall: number[];
    f1: number[];
    support: number[];
    macro: Record<string, number>;
    weighted: Record<string, number>;
    confusion: number[][];
    text: Record<string, string>;
  };
}

// Recorded once from scikit-learn by fixtures/record.py.
const fixtures = JSON.parse(
  readFileSync(new URL('../../../test/metrics/fixtures/classification.json', import.meta.url), 'utf8'),
) as { cases: Case[] };

const close = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= 1e-12, `${what}: ${actual} vs scikit-learn ${expected}`);

test('fixtures cover the zero-division cases', () => {
  const names = fixtures.cases.map((c) => c.name);
  assert.ok(names.includes('class 2 never predicted'));
  assert.ok(names.includes('class 4 absent from y_true but predicted'));
  assert.ok(names.includes('classes 3 and 4 named in labels, absent from both'));
});

for (const c of fixtures.cases) {
  test(`classification report matches scikit-learn: ${c.name}`, () => {
    const e = c.expected;
    const r = classificationReport(c.yTrue, Int32Array.from(c.yPred), c.classes, c.classNames ?? undefined);
    assert.equal(r.classes.length, c.classes);
    r.classes.forEach((row, i) => {
      assert.equal(row.label, c.classNames ? c.classNames[i] : String(i));
      close(row.precision, e.precision[i], `precision[${i}]`);
      close(row.recall, e.recall[i], `recall[${i}]`);
      close(row.f1, e.f1[i], `f1[${i}]`);
      assert.equal(row.support, e.support[i]);
    });
    close(r.accuracy, e.accuracy, 'accuracy');
    close(accuracy(c.yTrue, c.yPred), e.accuracy, 'accuracy()');
    for (const [mine, theirs, name] of [[r.macro, e.macro, 'macro'], [r.weighted, e.weighted, 'weighted']] as const) {
      close(mine.precision, theirs.precision, `${name} precision`);
      close(mine.recall, theirs.recall, `${name} recall`);
      close(mine.f1, theirs['f1-score'], `${name} f1`);
      assert.equal(mine.support, theirs.support);
    }
    assert.deepEqual(confusionMatrix(c.yTrue, c.yPred, c.classes), e.confusion);
  });

  for (const digits of [2, 4]) {
    test(`text report matches scikit-learn's layout (digits ${digits}): ${c.name}`, () => {
      const r = classificationReport(c.yTrue, c.yPred, c.classes, c.classNames ?? undefined);
      const mine = formatClassificationReport(r, { digits }).split('\n');
      // scikit-learn prints support as "2.0" when every score is zero; the count is the same.
      const theirs = c.expected.text[String(digits)]
        .split('\n')
        .map((line) => line.replace(/( +)(\d+)\.0$/, (_, sp: string, n: string) => `${sp}  ${n}`));
      assert.equal(mine.length, theirs.length);
      mine.forEach((line, i) => {
        const micro = /^ *micro avg /.exec(theirs[i]);
        if (micro) {
          // With a class absent from both labels and predictions scikit-learn names the row
          // "micro avg"; its three scores then all equal the accuracy printed in our row.
          const acc = line.trim().split(/ +/);
          const scores = theirs[i].trim().split(/ +/);
          assert.deepEqual(acc.slice(0, 1), ['accuracy']);
          assert.deepEqual([scores[2], scores[3], scores[4], scores[5]], [acc[1], acc[1], acc[1], acc[2]]);
          assert.equal(line.length, theirs[i].length);
        } else {
          assert.equal(line, theirs[i], `line ${i}`);
        }
      });
    });
  }
}

test('confusion matrix by hand: rows are actual, columns predicted', () => {
  assert.deepEqual(confusionMatrix([0, 1, 1, 2], [0, 0, 1, 1], 3), [
    [1, 0, 0],
    [1, 1, 0],
    [0, 1, 0],
  ]);
});

test('bad input is refused with named errors', () => {
  assert.throws(() => accuracy([0, 1], [0]), ShapeError);
  assert.throws(() => accuracy([], []), ShapeError);
  assert.throws(() => confusionMatrix([0, 3], [0, 1], 3), (e: unknown) => e instanceof DataError && /yTrue.*label 3 at index 1/.test(e.message));
  assert.throws(() => confusionMatrix([0, 1], [0, 1.5], 3), (e: unknown) => e instanceof DataError && /yPred/.test(e.message));
  assert.throws(() => confusionMatrix([0], [0], 0), ConfigError);
  assert.throws(() => classificationReport([0, 1], [0, 1], 2, ['a']), (e: unknown) => e instanceof ConfigError && e.field === 'classNames');
});
