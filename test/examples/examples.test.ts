/**
 * The README's library examples are the files in examples/: each runs here on the Wine table
 * shipped in examples/data, and the README shows each file's code as it is (the imports
 * spelled as a package user writes them).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { example as library } from '../../examples/library.js';
import { example as predict } from '../../examples/predict.js';
import { example as records } from '../../examples/records.js';
import { example as regression } from '../../examples/regression.js';
import { example as run } from '../../examples/run.js';
import { ROOT, capturingLog, tempDir } from '../cli/helpers.js';

const WINE = ['wine-train.csv', 'wine-test.csv'].map((f) => join(ROOT, 'examples', 'data', f)).join(',');

/** The package names the README uses, for the source paths the examples import in the repository. */
const PACKAGE_PATHS: Record<string, string> = {
  '../src/index.js': 'mlplab',
  '../src/node.js': 'mlplab/node',
  '../src/report/index.js': 'mlplab/report',
  '../src/infer.js': 'mlplab/infer',
  '../src/data/index.js': 'mlplab/data',
  '../src/export/index.js': 'mlplab/export',
  '../src/tensor/index.js': 'mlplab/kernels',
  '../src/tune/index.js': 'mlplab/tune',
};

test('the README shows the code of every example file, in the order run, library, predict, records, regression', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  const files = ['run', 'library', 'predict', 'records', 'regression'].map((n) => {
    const text = readFileSync(join(ROOT, 'examples', `${n}.ts`), 'utf8');
    // The file without its two comment lines and the line that runs it from the command line.
    const body = text.split('\n').filter((l, i) => !(i < 2 && l.startsWith('// ')) && !l.startsWith('if (import.meta.url')).join('\n').trim();
    return body.replace(/from '([^']+)';/g, (m, p: string) => (PACKAGE_PATHS[p] ? `from '${PACKAGE_PATHS[p]}';` : m));
  });
  assert.equal(blocks.length, files.length, 'one TypeScript block per example');
  blocks.forEach((b, i) => assert.equal(b.trim(), files[i], `README block ${i + 1}`));
});

test('the examples run: one run folder, the pieces by hand, and predictions from the saved model', async () => {
  const dir = tempDir();
  const out = join(dir, 'run');
  const ran = await capturingLog(() => run(WINE, out));
  assert.ok(ran.value > 0.85, `the run example's test accuracy on Wine: ${ran.value}`);
  for (const f of ['model.json', 'history.json', 'metrics.json', 'report.html']) assert.ok(existsSync(join(out, f)), f);
  assert.equal(JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')).testAccuracy, ran.value);
  assert.match(ran.logged.join('\n'), /test accuracy \d+\.\d\d%/);
  // Run again: the example replaces its own folder.
  await capturingLog(() => run(WINE, out));

  const model = join(dir, 'library.json');
  const lib = await capturingLog(() => library(WINE, model));
  assert.ok(lib.value > 0.85, `the library example's test accuracy on Wine: ${lib.value}`);
  assert.ok(lib.logged.some((l) => /macro avg/.test(l)), 'prints the classification report');
  assert.ok(lib.logged.includes('reloaded model agrees: true'), lib.logged.join('\n'));

  const labels = (await capturingLog(() => predict(model))).value;
  // The two rows are the first two test wines; the model names their cultivars as the table does.
  const rows = readFileSync(join(ROOT, 'examples', 'data', 'wine-test.csv'), 'utf8').trim().split('\n').slice(1, 3);
  assert.deepEqual(labels, rows.map((l) => l.split(',').at(-1)));
});

test('the records example trains on JavaScript objects and predicts a row with a blank cell', async () => {
  const got = await capturingLog(() => records(join(ROOT, 'examples', 'data', 'penguins.json')));
  const accuracy = Number(/test accuracy (\d\.\d+)/.exec(got.logged.join('\n'))?.[1]);
  assert.ok(accuracy > 0.9, `penguins test accuracy ${accuracy}`);
  // A heavy bird from Biscoe with a 216 mm flipper is a Gentoo (every Gentoo of the data lives on Biscoe).
  assert.deepEqual(got.value, ['Gentoo']);
});

test('the regression example predicts body mass from records, in grams, with the R² it prints', async () => {
  const got = await capturingLog(() => regression(join(ROOT, 'examples', 'data', 'penguins.json')));
  const [, r2, rmse] = /test R² (\d\.\d+), RMSE (\d+) g/.exec(got.logged.join('\n')) ?? [];
  assert.ok(Number(r2) > 0.8, `penguins body mass test R² ${r2}`);
  assert.ok(Number(rmse) > 100 && Number(rmse) < 500, `RMSE ${rmse} g`);
  // A male Gentoo with a 216 mm flipper: the data's male Gentoos weigh 4,750 to 6,300 g.
  assert.equal(got.value.length, 1);
  assert.ok(got.value[0] > 4750 && got.value[0] < 6300, `${got.value[0]} g`);
});
