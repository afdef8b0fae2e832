import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseNpy } from '../../src/data/formats/npy.js';
import { lcg } from '../helpers.js';
import { mlplab, tempDir } from './helpers.js';

/** A table whose price is 3 x1 - 2 x2 plus a text column's effect and a little noise; some blanks. */
function table(rows: number, seed: number, label = true): string {
  const rand = lcg(seed);
  const lines = [label ? 'x1,x2,kind,price' : 'x1,x2,kind'];
  for (let i = 0; i < rows; i++) {
    const x1 = rand() * 4 - 2, x2 = rand() * 4 - 2;
    const kind = ['low', 'mid', 'high'][i % 3];
    const y = 3 * x1 - 2 * x2 + { low: -1, mid: 0, high: 1.5 }[kind]! + (rand() - 0.5) * 0.2 + 50;
    lines.push([i % 23 === 5 ? '' : x1.toFixed(4), x2.toFixed(4), kind, ...(label ? [y.toFixed(3)] : [])].join(','));
  }
  return lines.join('\n') + '\n';
}

test('regression from the command line: train says the task and scores R², evaluate and predict give numbers in the target\'s units', () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'train.csv'), table(300, 1));
  writeFileSync(join(dir, 'test.csv'), table(90, 2));
  writeFileSync(join(dir, 'new.csv'), table(7, 3, false));
  const data = `${join(dir, 'train.csv')},${join(dir, 'test.csv')}`;
  const out = join(dir, 'run');
  const t = mlplab(['train', '--data', data, '--out', out, '--epochs', '40', '--ensemble', '2', '--threads', '1']);
  assert.equal(t.status, 0, t.stderr);
  assert.match(t.stderr + t.stdout, /Regression of "price": the labels are numbers with fractions/);
  assert.match(t.stdout, /test R² 0\.9\d{3}\s+RMSE [\d.]+\s+MAE [\d.]+\s+\(90 test rows, evaluated once\)/);
  const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
  assert.equal(metrics.task, 'regress');
  assert.ok(metrics.testR2 > 0.9 && metrics.testRmse > 0 && metrics.testMae > 0);
  assert.equal(metrics.testAccuracy, null);

  // evaluate scores the model file on the same test rows: the same R².
  const ev = mlplab(['evaluate', '--model', join(out, 'model.json'), '--data', data, '--out', join(dir, 'eval'), '--threads', '1']);
  assert.equal(ev.status, 0, ev.stderr);
  assert.match(ev.stdout, new RegExp(`R² ${metrics.testR2.toFixed(4)}\\s+RMSE`));
  const evMetrics = JSON.parse(readFileSync(join(dir, 'eval', 'metrics.json'), 'utf8'));
  assert.equal(evMetrics.r2, metrics.testR2);
  const rows = readFileSync(join(dir, 'eval', 'predictions.csv'), 'utf8').trim().split('\n');
  assert.equal(rows[0], 'index,actual,predicted,residual');
  assert.equal(rows.length, 91);

  // A test row whose target is infinite is left out of the scores and counted.
  const lines = readFileSync(join(dir, 'test.csv'), 'utf8').trim().split('\n');
  lines[3] = lines[3].replace(/[^,]+$/, 'inf');
  writeFileSync(join(dir, 'gaps.csv'), lines.join('\n') + '\n');
  const gaps = mlplab(['evaluate', '--model', join(out, 'model.json'), '--data', join(dir, 'gaps.csv'), '--threads', '1']);
  assert.equal(gaps.status, 0, gaps.stderr);
  assert.match(gaps.stdout, /left out 1 of 90 rows without a finite target \(blank, NaN or infinite\)/);
  // A blank label is left out as the file is read, and said too.
  lines[5] = lines[5].replace(/[^,]+$/, '');
  writeFileSync(join(dir, 'blank.csv'), lines.join('\n') + '\n');
  const blank = mlplab(['evaluate', '--model', join(out, 'model.json'), '--data', join(dir, 'blank.csv'), '--threads', '1']);
  assert.equal(blank.status, 0, blank.stderr);
  assert.match(blank.stdout, /^warning: .*blank\.csv: left out 1 row whose label is blank \(line 6\)/m);
  assert.match(gaps.stdout, /R² 0\.\d{4}\s+RMSE [\d.,]+\s+MAE/);

  // predict writes one number per row, in CSV (headed by the target's name) or .npy (float64).
  const p = mlplab(['predict', '--model', join(out, 'model.json'), '--input', join(dir, 'test.csv'), '--out', join(dir, 'p.csv'), '--threads', '1']);
  assert.equal(p.status, 0, p.stderr);
  const predicted = readFileSync(join(dir, 'p.csv'), 'utf8').trim().split('\n');
  assert.equal(predicted[0], 'index,price');
  // The same rows through predict and through evaluate: the same numbers.
  for (let r = 1; r <= 90; r += 11) assert.equal(predicted[r].split(',')[1], rows[r].split(',')[2], `row ${r - 1}`);
  const n = mlplab(['predict', '--model', join(out, 'model.json'), '--input', join(dir, 'new.csv'), '--out', join(dir, 'p.npy'), '--threads', '1']);
  assert.equal(n.status, 0, n.stderr);
  const arr = parseNpy(new Uint8Array(readFileSync(join(dir, 'p.npy'))), 'p.npy');
  assert.equal(arr.dtype, 'float64');
  assert.deepEqual(arr.shape, [7]);
});

test('bad regression input from the command line: one line each', () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'species.csv'), 'a,b,species\n1,2,Adelie\n3,4,Gentoo\n5,6,Adelie\n');
  writeFileSync(join(dir, 'flat.csv'), 'a,b,y\n' + Array.from({ length: 20 }, (_, i) => `${i},${i % 3},2.5`).join('\n') + '\n');
  writeFileSync(join(dir, 'train.csv'), table(120, 4));
  const oneLine = (args: string[], pattern: RegExp) => {
    const r = mlplab(args);
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], pattern);
  };
  oneLine(['train', '--data', join(dir, 'species.csv'), '--task', 'regress', '--out', join(dir, 'a')], /species\.csv.*label "Adelie" at row 0 is not a number; a regression \(task regress\) needs a number/);
  oneLine(['train', '--data', join(dir, 'flat.csv'), '--out', join(dir, 'b')], /the target "y" is 2\.5 in every one of its 20 training rows/);
  oneLine(['train', '--data', join(dir, 'train.csv'), '--class-weight', 'balanced', '--out', join(dir, 'c')], /--class-weight: got "balanced", expected 'none' for regression/);
  oneLine(['train', '--data', join(dir, 'species.csv'), '--loss', 'huber', '--out', join(dir, 'd')], /--loss: got "huber", expected 'auto' for a classifier/);
  oneLine(['train', '--data', join(dir, 'train.csv'), '--task', 'guess', '--out', join(dir, 'e')], /--task: got "guess", expected 'auto', 'classify' or 'regress'/);
  const ok = mlplab(['train', '--data', join(dir, 'train.csv'), '--epochs', '2', '--ensemble', '1', '--out', join(dir, 'run'), '--threads', '1']);
  assert.equal(ok.status, 0, ok.stderr);
  oneLine(['evaluate', '--model', join(dir, 'run', 'model.json'), '--data', join(dir, 'train.csv'), '--task', 'classify'], /--task: got "classify", expected regress or left out: .*model\.json is a regression model/);
});

test('data info describes a regression target; data export writes its numbers, and they train again as a regression', () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'train.csv'), table(150, 7));
  const info = mlplab(['data', 'info', join(dir, 'train.csv')]);
  assert.equal(info.status, 0, info.stderr);
  assert.match(info.stdout, /target "price" \(regression\): 150 rows from [\d.]+ to [\d.]+, mean [\d.]+, standard deviation [\d.]+/);
  assert.doesNotMatch(info.stdout, /class\s+name\s+rows/);
  const out = join(dir, 'npy');
  const ex = mlplab(['data', 'export', join(dir, 'train.csv'), '--out', out]);
  assert.equal(ex.status, 0, ex.stderr);
  const labels = parseNpy(new Uint8Array(readFileSync(join(out, 'train_label.npy'))), 'train_label.npy');
  assert.equal(labels.dtype, 'float64');
  const prices = readFileSync(join(dir, 'train.csv'), 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[3]));
  assert.deepEqual(Array.from(labels.data as Float64Array), prices);
  const t = mlplab(['train', '--data', out, '--epochs', '2', '--ensemble', '1', '--out', join(dir, 'run'), '--threads', '1']);
  assert.equal(t.status, 0, t.stderr);
  assert.match(t.stderr + t.stdout, /Regression of "target": the labels are numbers with fractions/);
});
