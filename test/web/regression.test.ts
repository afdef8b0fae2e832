/**
 * The playground's regression pieces that need no browser: the built-in data generated from
 * its known function (checked against the function itself and the noise's spread), the
 * page's regression scores (against scikit-learn's values), and one's own CSV read with a
 * numeric target: the task from the label column, or as asked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataError, prepare } from '../../src/index.js';
import { memoryFiles, resolveSource } from '../../src/data/index.js';
import { assembleUserData, parseUserFile, taskNote } from '../../web/src/data.js';
import { spreadRows } from '../../web/src/regress/scores.js';
import { regressionScores as scoreValues } from '../../src/metrics/regression.js';
import { FILES, TEST_ROWS, loadSynthetic, syntheticFiles } from '../../web/src/regress/synthetic.js';

const enc = (text: string) => new TextEncoder().encode(text);

/** The rows of a generated CSV as numbers, checking its header. */
function rowsOf(csv: string): number[][] {
  const [head, ...lines] = csv.trim().split('\n');
  assert.equal(head, 'x1,x2,x3,y');
  return lines.map((l) => l.split(',').map(Number));
}

/** The function as the page states it: y = 3·sin(x1) + x2² − x3 (written out here, not imported). */
const f = ([x1, x2, x3]: number[]) => 3 * Math.sin(x1) + x2 ** 2 - x3;

test('the built-in regression data: y is the stated function of x1, x2, x3 plus noise of the stated spread, seeded', () => {
  const exact = rowsOf(syntheticFiles(500, 0).trainCsv);
  assert.equal(exact.length, 500);
  for (const r of exact) {
    for (const x of r.slice(0, 3)) assert.ok(x >= -3 && x <= 3, `feature ${x} in [-3, 3]`);
    // Without noise, y is the function of the written features, rounded to 4 decimals.
    assert.ok(Math.abs(r[3] - f(r)) <= 0.00005 + 1e-12, `y ${r[3]} = f(x) ${f(r)}`);
  }
  // With noise 0.5: the residuals have mean about 0 and standard deviation about 0.5 (5,000 rows: within 5%).
  const noisy = rowsOf(syntheticFiles(5000, 0.5).trainCsv);
  const res = noisy.map((r) => r[3] - f(r));
  const mean = res.reduce((a, b) => a + b, 0) / res.length;
  const sd = Math.sqrt(res.reduce((a, b) => a + (b - mean) ** 2, 0) / res.length);
  assert.ok(Math.abs(mean) < 0.03, `noise mean ${mean}`);
  assert.ok(Math.abs(sd - 0.5) < 0.025, `noise standard deviation ${sd}`);
  // The first 500 of 5,000 rows are the 500 rows (same features); the test rows do not depend on the training rows.
  assert.deepEqual(noisy.slice(0, 500).map((r) => r.slice(0, 3)), exact.map((r) => r.slice(0, 3)));
  assert.equal(syntheticFiles(250, 0.5).testCsv, syntheticFiles(2000, 0.5).testCsv);
  assert.equal(rowsOf(syntheticFiles(250, 0.5).testCsv).length, TEST_ROWS);
  // A noise level scales the same draws: the residuals at 1 are twice those at 0.5 (up to the 4-decimal rounding).
  const twice = rowsOf(syntheticFiles(500, 1).trainCsv);
  twice.forEach((r, i) => assert.ok(Math.abs((r[3] - f(r)) - 2 * res[i]) < 0.0002, `row ${i}`));
  assert.equal(syntheticFiles(1000, 0.5).trainCsv, syntheticFiles(1000, 0.5).trainCsv, 'seeded');
});

test('the best score possible on the generated test rows is the function itself, scored by hand', () => {
  for (const noise of [0, 0.5, 2]) {
    const s = syntheticFiles(1000, noise);
    const rows = rowsOf(s.testCsv);
    const y = rows.map((r) => r[3]);
    const mean = y.reduce((a, b) => a + b, 0) / y.length;
    const ssRes = rows.reduce((a, r) => a + (r[3] - f(r)) ** 2, 0);
    const ssTot = y.reduce((a, v) => a + (v - mean) ** 2, 0);
    assert.ok(Math.abs(s.ceiling.r2 - (1 - ssRes / ssTot)) < 1e-12);
    assert.ok(Math.abs(s.ceiling.rmse - Math.sqrt(ssRes / rows.length)) < 1e-12);
    if (noise === 0) assert.ok(s.ceiling.r2 > 0.999999 && s.ceiling.rmse < 0.0001);
  }
});

test('the page scores values as scikit-learn does (r2_score, root of mean_squared_error, mean_absolute_error)', () => {
  // scikit-learn 1.2: r2_score([3, -0.5, 2, 7], [2.5, 0.0, 2, 8]) and the others on the same rows.
  const s = scoreValues([3, -0.5, 2, 7], [2.5, 0.0, 2, 8]);
  assert.ok(Math.abs(s.r2 - 0.9486081370449679) < 1e-15);
  assert.ok(Math.abs(s.rmse - 0.6123724356957945) < 1e-15);
  assert.equal(s.mae, 0.5);
  // A constant target: 1 when every prediction is exact, else 0 (scikit-learn's rule).
  assert.equal(scoreValues([1.5, 1.5, 1.5], [1.5, 1.5, 1.5]).r2, 1);
  assert.equal(scoreValues([1.5, 1.5, 1.5], [1, 1.5, 1.5]).r2, 0);
  // The figure's rows: all of a small set, at most 1,000 spread evenly over a large one.
  assert.deepEqual(spreadRows(4), [0, 1, 2, 3]);
  const spread = spreadRows(2500);
  assert.equal(spread.length, 1000);
  assert.deepEqual([spread[0], spread[1], spread[2], spread[999]], [0, 2, 5, 2497]);
});

test('the generated data reaches a run as the command line reads its two CSV files: a regression of y', async () => {
  const s = syntheticFiles(1000, 0.5);
  const d = await loadSynthetic(s);
  assert.equal(d.task, 'regress');
  assert.deepEqual(d.classNames, ['y']);
  assert.match(d.taskNote ?? '', /^Regression of "y": the labels are numbers with fractions \(-?\d+\.\d+ at row 0\)$/);
  const cli = await resolveSource(`${FILES.train},${FILES.test}`, memoryFiles(new Map([[FILES.train, enc(s.trainCsv)], [FILES.test, enc(s.testCsv)]])));
  assert.deepEqual(Array.from(d.train.targets!), Array.from(cli.train.targets!));
  assert.deepEqual(Array.from(d.test!.targets!), rowsOf(s.testCsv).map((r) => r[3]));
  const p = prepare({ train: d.train, test: d.test, notes: d.notes }, { seed: 0, valFraction: 0.1 });
  assert.equal(p.task, 'regress');
  assert.deepEqual([p.train.rows, p.val.rows, p.test?.rows], [900, 100, 500]);
});

/** A table whose last column is a price with cents, and a column of rooms (few whole numbers). */
function houses(n: number, from = 0): string {
  const lines = ['area,rooms,district,price'];
  for (let i = from; i < from + n; i++) {
    const area = 40 + ((i * 37) % 120), rooms = 1 + (i % 5), district = ['north', 'south', 'east'][i % 3];
    lines.push(`${area},${rooms},${district},${(area * 1.5 + rooms * 10 + (i % 3) * 20 + (i % 7) * 0.25).toFixed(2)}`);
  }
  return lines.join('\n') + '\n';
}

test('one\'s own CSV with a numeric target: regression from the label column, the task asked for, and classes from a column of few whole numbers', async () => {
  const file = await parseUserFile('houses.csv', enc(houses(60)));
  const d = await assembleUserData({ trainData: file });
  assert.equal(d.task, 'regress');
  assert.deepEqual(d.classNames, ['price']);
  assert.deepEqual(Array.from(d.train.targets!), houses(60).trim().split('\n').slice(1).map((l) => Number(l.split(',')[3])));
  assert.deepEqual(Array.from(d.train.targets!.subarray(0, 3)), [70, 155.75, 241.5]);
  assert.equal(d.taskNote, 'Regression of "price": the labels are numbers with fractions (155.75 at row 1)');
  // Asked to classify, the fractions are refused by row, naming the file.
  await assert.rejects(assembleUserData({ trainData: file }, { task: 'classify' }), (e: unknown) => e instanceof DataError && /houses\.csv.*155\.75 at row 1 is not a whole number/.test(e.message));
  // The rooms column: five whole numbers are classes; asked to regress, they are a number.
  const rooms = await assembleUserData({ trainData: await parseUserFile('houses.csv', enc(houses(60)), { labelColumn: 'rooms' }) }, { labelColumn: 'rooms' });
  assert.equal(rooms.task, 'classify');
  assert.equal(rooms.taskNote, 'Classification: the labels are 5 distinct whole numbers');
  const asked = await assembleUserData({ trainData: file }, { labelColumn: 'rooms', task: 'regress' });
  assert.equal(asked.task, 'regress');
  assert.match(asked.taskNote ?? '', /^Regression of "rooms": asked for/);
  // Many whole numbers (areas 40 to 159): a quantity, said without the command line's flag.
  const areas = await assembleUserData({ trainData: file }, { labelColumn: 'area' });
  assert.equal(areas.task, 'regress');
  assert.equal(areas.taskNote, 'Regression of "area": the labels are more than 30 distinct whole numbers: a quantity, not classes');
  assert.equal(taskNote([{ name: 'task', summary: 'Regression of "y": the labels are numbers with fractions (0.5 at row 0); --task classify to refuse them instead' }]), 'Regression of "y": the labels are numbers with fractions (0.5 at row 0)');
});
